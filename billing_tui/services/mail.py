"""Invoice mail: queue in the business transaction, relay the outbox with retries, and track each mail's status.

Each outbox row goes ``queued`` → ``sending`` → ``sent``, or → ``failed`` (retried later
with a growing delay, until ``mail_max_attempts`` attempts; then it stays ``failed`` with
no next attempt). A relay claims a row in a short write transaction before sending it:
the claim moves it to ``sending`` and sets ``next_attempt_at`` to the end of a lease, so
two relays (threads or processes) never send the same row at once, and a row left
``sending`` by a process that stopped is due again when its lease ends.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from pydantic import SecretStr, ValidationError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col

from billing_tui.domain.errors import ValidationFailed
from billing_tui.integrations.mailer import (
    EmlFolderMailer,
    MailConfig,
    Mailer,
    MailError,
    build_message,
)
from billing_tui.services.app_settings import get_settings
from billing_tui.services.company import get_company
from billing_tui.services.context import EML_FOLDER_NAME, ServiceContext
from billing_tui.services.mail_tracking import (
    EMAIL,
    FAILED,
    QUEUED,
    SENDING,
    SENT,
    STATUSES,
    MailPage,
    MailView,
    get_mail,
    list_mail,
)
from billing_tui.storage.columns import utc
from billing_tui.storage.document_models import Invoice, InvoicePdf, OutboxMessage

log = logging.getLogger(__name__)

__all__ = ["EMAIL", "FAILED", "QUEUED", "SENDING", "SENT", "STATUSES", "MailPage", "MailView", "get_mail",
           "list_mail", "queue_email", "relay_outbox", "send_now"]

LEASE = timedelta(minutes=10)
"""How long a claimed row stays ``sending`` before another relay may take it over."""

BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=4),
    timedelta(hours=12),
    timedelta(hours=24),
)
"""Delay before the next attempt after the 1st, 2nd, ... failed attempt; the last one repeats."""

DEFAULT_SENDER = "billing@localhost"


def backoff(attempts: int) -> timedelta:
    """The wait after ``attempts`` failed attempts (1 min, 5 min, 15 min, 1 h, 4 h, 12 h, then 24 h)."""
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


# --- configuration -------------------------------------------------------------------------------
# From ctx.settings (BILLING_SMTP_*, BILLING_MAIL_FROM), then the shared settings: the rule is in billing_tui.config.


def mail_sender(ctx: ServiceContext) -> str:
    """The From address: BILLING_MAIL_FROM, else the mail_from setting, else the company's email, else a default."""
    chosen = (ctx.settings.mail_from or "").strip() or get_settings(ctx)["mail_from"].strip()
    return chosen or get_company(ctx).values.get("email", "").strip() or DEFAULT_SENDER


def mail_config(ctx: ServiceContext) -> MailConfig | None:
    """The SMTP configuration (each environment variable first, then the shared settings); None when no host is set."""
    env = ctx.settings
    saved = get_settings(ctx)
    host = (env.smtp_host or "").strip() or saved["smtp_host"].strip()
    if not host:
        return None
    password = env.smtp_password.get_secret_value() if env.smtp_password else ""
    try:
        return MailConfig(
            host=host,
            port=env.smtp_port or int(saved["smtp_port"] or 587),
            tls=env.smtp_tls or saved["smtp_tls"] or "starttls",  # type: ignore[arg-type]
            user=(env.smtp_user or "").strip() or saved["smtp_user"].strip(),
            password=SecretStr(password or saved["smtp_password"]),
            sender=mail_sender(ctx),
        )
    except (ValidationError, ValueError):
        raise MailError("The saved SMTP settings are not valid: check port and security in Settings") from None


def default_eml_folder(ctx: ServiceContext) -> Path:
    """Where mail is written as .eml files when no SMTP host is configured: ``outbox-eml/`` in the data directory."""
    return ctx.data_dir / EML_FOLDER_NAME


def mailer_for(ctx: ServiceContext, *, eml_folder: Path | None = None) -> Mailer:
    """The context's mailer: by SMTP when a host is configured, else writing .eml files (to ``eml_folder`` if given)."""
    config = mail_config(ctx)
    if config is None and eml_folder is not None:
        return EmlFolderMailer(eml_folder)
    return ctx.mailer(ctx, config)


# --- queueing ------------------------------------------------------------------------------------


def queue_email(
    session: Session,
    ctx: ServiceContext,
    *,
    key: str,
    invoice_id: int | None,
    recipient: str,
    subject: str,
    body: str,
    send_after: datetime | None = None,
    new_key: bool = False,
) -> OutboxMessage:
    """Queue an email in the caller's transaction; if a row with ``key`` exists, that row is returned unchanged.

    It is sent by the next relay at or after ``send_after`` (now when omitted). ``new_key`` says the
    key cannot exist yet (it names a row created in this same transaction): the look-up and the
    savepoint that guard against a concurrent duplicate are skipped; the unique key still holds.
    """
    if not new_key:
        existing = session.scalar(select(OutboxMessage).where(col(OutboxMessage.key) == key))
        if existing is not None:
            return existing
    if not recipient.strip():
        raise ValidationFailed({"recipient": "The recipient's email address is empty: fill in the invoice email"})
    now = _now(ctx)
    row = OutboxMessage(
        key=key,
        channel=EMAIL,
        status=QUEUED,
        invoice_id=invoice_id,
        recipient=recipient.strip(),
        subject=subject,
        body=body,
        attempts=0,
        next_attempt_at=send_after.astimezone(UTC) if send_after is not None else now,
        created_at=now,
    )
    if new_key:
        session.add(row)
        return row
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        # Another transaction queued the same key first (PostgreSQL); theirs is the one.
        existing = session.scalar(select(OutboxMessage).where(col(OutboxMessage.key) == key))
        if existing is None:
            raise
        return existing
    return row


# --- relaying ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RelayResult:
    """What one relay run did: mails delivered, given up for good, and failed but to be retried."""

    sent: int = 0
    failed: int = 0
    retry_later: int = 0


@dataclass(frozen=True)
class _Claimed:
    """A row taken for sending, with what the message needs."""

    id: int
    key: str
    attempts: int
    recipient: str
    subject: str
    body: str
    created_at: datetime
    invoice_id: int | None
    invoice_number: str | None
    pdf: bytes | None


def _now(ctx: ServiceContext) -> datetime:
    return ctx.clock.now().astimezone(UTC)


def _max_attempts(ctx: ServiceContext) -> int:
    value = get_settings(ctx)["mail_max_attempts"].strip()
    return int(value) if value.isdigit() and int(value) >= 1 else 8


def _due(now: datetime, max_attempts: int) -> ColumnElement[bool]:
    """Rows a relay may send now: queued, failed and due for a retry, or ``sending`` with an expired lease."""
    status = col(OutboxMessage.status)
    next_at = col(OutboxMessage.next_attempt_at)
    return and_(
        col(OutboxMessage.channel) == EMAIL,
        or_(
            and_(status == QUEUED, or_(next_at.is_(None), next_at <= now)),
            and_(status.in_((FAILED, SENDING)), next_at.is_not(None), next_at <= now,
                 col(OutboxMessage.attempts) < max_attempts),
        ),
    )


def _resendable(now: datetime) -> ColumnElement[bool]:
    """Rows ``send_now`` may send whatever their schedule: not sent, and not being sent by someone else."""
    status = col(OutboxMessage.status)
    next_at = col(OutboxMessage.next_attempt_at)
    return or_(
        status.in_((QUEUED, FAILED)),
        and_(status == SENDING, or_(next_at.is_(None), next_at <= now)),
    )


def _give_up_exhausted(ctx: ServiceContext, now: datetime, max_attempts: int) -> int:
    """Mark as given up the due rows that have used every attempt; how many were changed.

    These are rows left ``sending`` by a process that stopped during their last attempt,
    and failed rows whose retry was planned before ``mail_max_attempts`` was lowered.
    """
    next_at = col(OutboxMessage.next_attempt_at)
    exhausted = and_(
        col(OutboxMessage.channel) == EMAIL,
        next_at.is_not(None),
        next_at <= now,
        col(OutboxMessage.attempts) >= max_attempts,
    )
    with ctx.db.write() as session:
        interrupted = session.execute(
            update(OutboxMessage)
            .where(exhausted, col(OutboxMessage.status) == SENDING)
            .values(
                status=FAILED,
                next_attempt_at=None,
                last_error="The sending process stopped before the server confirmed delivery "
                "(it may have arrived); no attempts left",
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        lowered = session.execute(
            update(OutboxMessage)
            .where(exhausted, col(OutboxMessage.status) == FAILED)
            .values(next_attempt_at=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    return int(interrupted or 0) + int(lowered or 0)


def _claim(ctx: ServiceContext, outbox_id: int, condition: ColumnElement[bool]) -> _Claimed | None:
    """Take one row for sending in its own short write transaction; None if it is not (or no longer) claimable.

    The UPDATE re-checks ``condition`` against the row as it is when the update runs
    (PostgreSQL re-reads a row another transaction changed; SQLite writers queue), so of
    two concurrent claims only one changes the row. The claim counts as an attempt and
    holds the row for ``LEASE``.
    """
    now = _now(ctx)
    with ctx.db.write() as session:
        changed = session.execute(
            update(OutboxMessage)
            .where(col(OutboxMessage.id) == outbox_id, condition)
            .values(status=SENDING, attempts=col(OutboxMessage.attempts) + 1, next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed != 1:
            return None
        msg, number = session.execute(
            select(OutboxMessage, col(Invoice.number))
            .outerjoin(Invoice, col(Invoice.id) == col(OutboxMessage.invoice_id))
            .where(col(OutboxMessage.id) == outbox_id)
        ).one()
        pdf = None
        if msg.invoice_id is not None:
            pdf = session.scalar(select(col(InvoicePdf.content)).where(col(InvoicePdf.invoice_id) == msg.invoice_id))
        return _Claimed(
            id=outbox_id,
            key=msg.key,
            attempts=msg.attempts,
            recipient=msg.recipient,
            subject=msg.subject,
            body=msg.body,
            created_at=utc(msg.created_at) or now,
            invoice_id=msg.invoice_id,
            invoice_number=number,
            pdf=bytes(pdf) if pdf is not None else None,
        )


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _domain_of(address: str) -> str:
    domain = address.rpartition("@")[2].strip().strip(">").lower()
    return _UNSAFE.sub("", domain) or "localhost"


def _stable_message_id(claimed: _Claimed, domain: str) -> str:
    """The same Message-ID on every attempt of one row, so a mail delivered twice after a crash reads as one."""
    stamp = claimed.created_at.strftime("%Y%m%d%H%M%S%f")
    key = _UNSAFE.sub(".", claimed.key).strip(".")[:60]
    return f"<{key}.{claimed.id}.{stamp}@{domain}>"


def attachment_name(invoice_number: str | None, invoice_id: int) -> str:
    """The PDF's file name: ``<number>.pdf`` (path separators in a number become ``-``)."""
    if not invoice_number:
        return f"invoice-{invoice_id}.pdf"
    return invoice_number.replace("/", "-").replace("\\", "-") + ".pdf"


def _build(claimed: _Claimed, sender: str, now: datetime) -> EmailMessage:
    name = pdf = None
    if claimed.invoice_id is not None:
        if claimed.pdf is None:
            label = claimed.invoice_number or f"id {claimed.invoice_id}"
            raise MailError(f"The PDF of invoice {label} is missing, so its mail was not sent")
        name, pdf = attachment_name(claimed.invoice_number, claimed.invoice_id), claimed.pdf
    domain = _domain_of(sender)
    return build_message(
        sender=sender,
        recipient=claimed.recipient,
        subject=claimed.subject,
        body=claimed.body,
        attachment_name=name,
        attachment=pdf,
        message_id_domain=domain,
        message_id=_stable_message_id(claimed, domain),
        date=now,
    )


def _deliver(ctx: ServiceContext, claimed: _Claimed, mailer: Mailer, sender: str, max_attempts: int) -> str:
    """Send a claimed row and record the outcome; ``"sent"``, ``"failed"`` (given up) or ``"retry"``."""
    try:
        message_id = mailer.send(_build(claimed, sender, _now(ctx)))
    except MailError as exc:
        reason = exc.message
    except Exception as exc:  # a bug must not leave the row "sending": record it, log it, go on
        log.exception("Unexpected error while sending outbox row %s", claimed.id)
        reason = f"Unexpected error while sending ({type(exc).__name__}): see the log"
    else:
        now = _now(ctx)
        with ctx.db.write() as session:
            # Delivered: recorded even if another relay took the row over after our lease ended.
            session.execute(
                update(OutboxMessage)
                .where(col(OutboxMessage.id) == claimed.id)
                .values(status=SENT, sent_at=now, message_id=message_id[:200], last_error=None, next_attempt_at=None)
                .execution_options(synchronize_session=False)
            )
        return SENT
    now = _now(ctx)
    give_up = claimed.attempts >= max_attempts
    with ctx.db.write() as session:
        # Only while the row is still ours: never over a delivery or a newer claim.
        session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id) == claimed.id,
                col(OutboxMessage.status) == SENDING,
                col(OutboxMessage.attempts) == claimed.attempts,
            )
            .values(
                status=FAILED,
                last_error=reason,
                next_attempt_at=None if give_up else now + backoff(claimed.attempts),
            )
            .execution_options(synchronize_session=False)
        )
    return FAILED if give_up else "retry"


def relay_outbox(ctx: ServiceContext, *, mailer: Mailer | None = None, limit: int = 100) -> RelayResult:
    """Send every email due as of ``ctx.clock.now()``, oldest first (at most ``limit``); safe to run in parallel.

    ``failed`` counts mails given up in this run, ``retry_later`` those that failed and
    will be tried again; a mail another relay is sending is skipped.
    """
    now = _now(ctx)
    max_attempts = _max_attempts(ctx)
    failed = _give_up_exhausted(ctx, now, max_attempts)
    with ctx.db.read() as session:
        ids = session.scalars(
            select(col(OutboxMessage.id))
            .where(_due(now, max_attempts))
            .order_by(col(OutboxMessage.created_at), col(OutboxMessage.id))
            .limit(max(limit, 0))
        ).all()
    if not ids:
        return RelayResult(failed=failed)
    mailer = mailer if mailer is not None else mailer_for(ctx)
    sender = mail_sender(ctx)
    outcomes = {SENT: 0, FAILED: failed, "retry": 0}
    for outbox_id in ids:
        claimed = _claim(ctx, outbox_id, _due(_now(ctx), max_attempts))
        if claimed is not None:
            outcomes[_deliver(ctx, claimed, mailer, sender, max_attempts)] += 1
    return RelayResult(sent=outcomes[SENT], failed=outcomes[FAILED], retry_later=outcomes["retry"])


def send_now(ctx: ServiceContext, outbox_id: int, *, mailer: Mailer | None = None) -> MailView:
    """Send one mail at once, whatever its schedule (also one given up); its view after the attempt.

    A failure is not raised: the view's ``status`` is ``failed`` and ``last_error`` says why.
    Refused with ``MailError`` if the mail was already sent or another process is sending it.
    """
    current = get_mail(ctx, outbox_id)
    if current.status == SENT:
        when = current.sent_at.strftime("%Y-%m-%d %H:%M UTC") if current.sent_at else "earlier"
        raise MailError(f"Mail {outbox_id} was already sent ({when}); nothing to resend")
    claimed = _claim(ctx, outbox_id, _resendable(_now(ctx)))
    if claimed is None:
        raise MailError(f"Mail {outbox_id} is being sent by another process right now; look again in a minute")
    _deliver(ctx, claimed, mailer if mailer is not None else mailer_for(ctx), mail_sender(ctx), _max_attempts(ctx))
    return get_mail(ctx, outbox_id)
