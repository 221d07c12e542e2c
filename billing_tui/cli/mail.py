"""``billing-tui mail list``: the mail outbox, queued, sent and failed, newest first."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import actions

if TYPE_CHECKING:
    from billing_tui.cli.session import Session


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``mail list [--status S] [--limit N]``."""
    mail = actions(sub.add_parser("mail", help="the mail outbox"))
    m_list = mail.add_parser("list", parents=[common], help="queued, sent and failed mail, newest first")
    m_list.add_argument("--status", default=None, choices=["queued", "sending", "sent", "failed"])
    m_list.add_argument("--limit", type=int, default=50)


def run(args: argparse.Namespace, session: Session) -> int:
    """List the outbox."""
    from billing_tui.services import mail

    ctx = session.context()
    out = session.out
    page = mail.list_mail(ctx, status=args.status, limit=args.limit)
    if out.as_json:
        out.json(page)
        return 0
    out.table(("ID", "CREATED", "DOCUMENT", "TO", "STATE", "ATTEMPTS", "SENT / NEXT TRY", "ERROR"), [
        (m.id, f"{m.created_at:%Y-%m-%d %H:%M}", m.invoice_number or "", m.recipient, m.status, m.attempts,
         f"{m.sent_at:%Y-%m-%d %H:%M}" if m.sent_at else (f"{m.next_attempt_at:%Y-%m-%d %H:%M}"
                                                          if m.next_attempt_at else ""),
         (m.last_error or "")[:40]) for m in page.rows])
    return 0
