"""``billing-tui subscriptions list|show|cancel-renewal`` (S000.6)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import actions

if TYPE_CHECKING:
    from billing_tui.cli.output import Output
    from billing_tui.cli.session import Session

SUBSCRIPTION_STATES = ("all", "active", "past_due", "suspended", "cancelled", "ended")
"""The ``--state`` choices of ``subscriptions list``."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``subscriptions list [--customer ID] [--state S]``, ``show ID`` and ``cancel-renewal ID``."""
    subs = actions(sub.add_parser("subscriptions", help="subscriptions: list, show, cancel automatic renewal"))
    s_list = subs.add_parser("list", parents=[common], help="subscriptions with state and next renewal")
    s_list.add_argument("--customer", type=int, default=None, metavar="ID", help="only this customer's")
    s_list.add_argument("--state", default="all", choices=SUBSCRIPTION_STATES)
    s_show = subs.add_parser("show", parents=[common],
                             help="one subscription with every renewal period and charge attempt")
    s_show.add_argument("id")
    s_cancel = subs.add_parser("cancel-renewal", parents=[common],
                               help="stop automatic renewal: it ends at the end of the paid period")
    s_cancel.add_argument("id")


def yes_no(flag: bool | None) -> str:
    """``yes``, ``no``, or ``?`` when it is not known (e.g. Stripe is not configured)."""
    return "?" if flag is None else ("yes" if flag else "no")


def run(args: argparse.Namespace, session: Session) -> int:
    """List subscriptions, show one, or cancel its automatic renewal."""
    from billing_tui.services import subscriptions

    ctx = session.context()
    out = session.out
    if args.action == "list":
        rows = subscriptions.list_subscriptions(ctx, customer_id=args.customer, state=args.state)
        if out.as_json:
            out.json(list(rows))
            return 0
        out.table(("ID", "CUSTOMER", "PRODUCT", "PERIOD", "NET", "GROSS", "STATE", "NEXT RENEWAL", "CARD"), [
            (r.id, r.customer_name[:28], r.product_name[:30], r.period, r.price, f"{r.gross} {r.currency}", r.state,
             r.next_renewal or ("ends " + r.period_end.isoformat() if r.state == "active" else ""),
             yes_no(r.card_on_file)) for r in rows])
        return 0
    if args.action == "show":
        detail = subscriptions.get_subscription(ctx, args.id)
    else:
        detail = subscriptions.cancel_renewal(ctx, args.id)
    if out.as_json:
        out.json(detail)
        return 0
    if args.action == "cancel-renewal":
        s = detail.subscription
        out.say(f"Automatic renewal of subscription {s.id} cancelled: it ends on {s.period_end}.")
        return 0
    _show_subscription(out, detail)
    return 0


def _show_subscription(out: Output, detail: Any) -> None:
    s = detail.subscription
    out.say(f"Subscription {s.id}  {s.product_name} ({s.product_sku}), every {s.period}  {s.state}")
    out.say(f"Customer: {s.customer_name} (id {s.customer_id})   Price: {s.price} + VAT {s.vat_rate}% = "
            f"{s.gross} {s.currency}")
    out.say(f"Paid period: {s.period_start} – {s.period_end}   Started {detail.start_date}   "
            f"Automatic renewal: {'yes, next ' + str(s.next_renewal) if s.auto_renew and s.next_renewal else 'no'}"
            f"   Card on file: {yes_no(s.card_on_file)}")
    if detail.cancelled_at:
        out.say(f"Renewal cancelled {detail.cancelled_at:%Y-%m-%d %H:%M} by {detail.cancelled_by}")
    if detail.periods:
        out.table(("PERIOD", "FROM", "TO", "AMOUNT", "STATE", "NEXT TRY", "INVOICE"), [
            (p.id, p.period_start, p.period_end, p.amount, p.status, p.next_attempt_on or "", p.invoice_number or "")
            for p in detail.periods])
    if detail.attempts:
        out.table(("PERIOD", "#", "WHEN", "AMOUNT", "OUTCOME", "MESSAGE"), [
            (a.period_id, a.attempt, f"{a.started_at:%Y-%m-%d %H:%M}", a.amount, a.status, (a.message or "")[:50])
            for a in detail.attempts])
