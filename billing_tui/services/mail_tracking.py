"""Tracking invoice mail: each outbox row's status (queued → sending → sent, or failed), one mail, the list.

The statuses are defined here; ``services.mail`` queues and relays the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import col

from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.services.context import ServiceContext
from billing_tui.storage.columns import utc
from billing_tui.storage.document_models import Invoice, OutboxMessage

QUEUED = "queued"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
STATUSES = (QUEUED, SENDING, SENT, FAILED)
EMAIL = "email"


@dataclass(frozen=True)
class MailView:
    """One mail as the invoice screen and ``mail list`` show it (S004.12)."""

    id: int
    key: str
    invoice_id: int | None
    invoice_number: str | None
    recipient: str
    subject: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None
    next_attempt_at: datetime | None

    @property
    def given_up(self) -> bool:
        """Failed with no further attempt planned (it can still be sent by hand)."""
        return self.status == FAILED and self.next_attempt_at is None


@dataclass(frozen=True)
class MailPage:
    """A page of mails, newest first."""

    rows: tuple[MailView, ...]
    offset: int
    limit: int
    has_more: bool


def _view(msg: OutboxMessage, number: str | None) -> MailView:
    return MailView(
        id=msg.id,  # type: ignore[arg-type]
        key=msg.key,
        invoice_id=msg.invoice_id,
        invoice_number=number,
        recipient=msg.recipient,
        subject=msg.subject,
        status=msg.status,
        attempts=msg.attempts,
        created_at=utc(msg.created_at),  # type: ignore[arg-type]
        sent_at=utc(msg.sent_at),
        last_error=msg.last_error,
        next_attempt_at=utc(msg.next_attempt_at),
    )


def _with_number():  # type: ignore[no-untyped-def]
    return select(OutboxMessage, col(Invoice.number)).outerjoin(
        Invoice, col(Invoice.id) == col(OutboxMessage.invoice_id)
    )


def get_mail(ctx: ServiceContext, outbox_id: int) -> MailView:
    """One mail by its id."""
    with ctx.db.read() as session:
        found = session.execute(_with_number().where(col(OutboxMessage.id) == outbox_id)).first()
    if found is None:
        raise NotFound(f"There is no mail {outbox_id}; see 'mail list'")
    return _view(found[0], found[1])


def list_mail(
    ctx: ServiceContext,
    *,
    invoice_id: int | None = None,
    status: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> MailPage:
    """Mails newest first, optionally of one invoice and/or in one status (queued, sending, sent, failed)."""
    stmt = _with_number().where(col(OutboxMessage.channel) == EMAIL)
    if invoice_id is not None:
        stmt = stmt.where(col(OutboxMessage.invoice_id) == invoice_id)
    if status:
        if status not in STATUSES:
            raise ValidationFailed({"status": f"Mail status: one of {', '.join(STATUSES)}"},
                                   message=f"Unknown mail status {status!r}: use one of {', '.join(STATUSES)}")
        stmt = stmt.where(col(OutboxMessage.status) == status)
    stmt = stmt.order_by(col(OutboxMessage.created_at).desc(), col(OutboxMessage.id).desc())
    with ctx.db.read() as session:
        found = session.execute(stmt.offset(max(offset, 0)).limit(limit + 1)).all()
    rows = tuple(_view(msg, number) for msg, number in found[:limit])
    return MailPage(rows=rows, offset=offset, limit=limit, has_more=len(found) > limit)
