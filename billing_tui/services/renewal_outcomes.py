"""What a renewal charge came to, recorded: success (period paid, renewal invoice issued) or failure (retry or suspend).

Each outcome is one write transaction under the period's row lock; an outcome another process
recorded first is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlmodel import Session, col

from billing_tui.domain.errors import BillingError
from billing_tui.integrations.stripe_gateway import ChargeResult
from billing_tui.services import audit
from billing_tui.services.context import ServiceContext
from billing_tui.services.renewal_documents import (
    issue_renewal_invoice,
    queue_renewal_mail,
)
from billing_tui.services.subscriptions import LIVE_STATES, lock_subscription
from billing_tui.storage.account_models import ChargeAttempt, RenewalPeriod
from billing_tui.storage.columns import utc
from billing_tui.storage.document_models import Invoice
from billing_tui.storage.shop_models import Customer, Product

NO_CARD = "no saved card"
FAILED_ATTEMPTS = ("declined", "failed")


@dataclass(frozen=True)
class ChargeStep:
    """What to do next for one subscription, decided under its row lock."""

    kind: str  # none | ended | waiting | charge | reconcile
    reason: str = ""
    period_id: int = 0
    attempt_id: int = 0  # reconcile: the attempt whose outcome is unknown
    attempt_no: int = 0  # charge: the number of the new attempt
    key: str = ""
    amount: Decimal = Decimal("0")
    currency: str = "EUR"
    stripe_customer: str | None = None
    metadata: tuple[tuple[str, str], ...] = ()


def note_attempt(ctx: ServiceContext, attempt_id: int, message: str) -> None:
    with ctx.db.write() as session:
        attempt = session.get(ChargeAttempt, attempt_id)
        if attempt is not None and attempt.status == "started":
            attempt.message = message[:2000]
            session.add(attempt)


def attempt_status(ctx: ServiceContext, attempt_id: int) -> str:
    with ctx.db.read() as session:
        return session.scalar(select(ChargeAttempt.status).where(col(ChargeAttempt.id) == attempt_id)) or ""


def settle(ctx: ServiceContext, step: ChargeStep, attempt_id: int, result: ChargeResult, card: str | None, today: date,
            schedule: tuple[int, ...]) -> tuple[str, str]:
    """Record what Stripe answered for an attempt."""
    if result.succeeded:
        return record_success(ctx, step, attempt_id, result, card, today)
    if result.status == "processing":
        with ctx.db.write() as session:
            attempt = session.get(ChargeAttempt, attempt_id)
            assert attempt is not None
            attempt.status = "processing"
            attempt.payment_intent_id = result.payment_intent_id
            attempt.message = result.message
            session.add(attempt)
        return "waiting", result.message or "Stripe is still processing the payment"
    message = result.message or "The card was declined."
    if result.decline_code and result.decline_code not in message:
        message = f"{message} ({result.decline_code})"
    record_failure(ctx, attempt_id, result.status, message, result.payment_intent_id, card, today, schedule)
    return failure_outcome(ctx, attempt_id)


def failure_outcome(ctx: ServiceContext, attempt_id: int) -> tuple[str, str]:
    with ctx.db.read() as session:
        row = session.execute(select(ChargeAttempt.message, RenewalPeriod.status)
                              .join(RenewalPeriod, col(RenewalPeriod.id) == col(ChargeAttempt.period_id))
                              .where(col(ChargeAttempt.id) == attempt_id)).one()
    return ("suspended" if row[1] == "suspended" else "declined"), row[0] or ""


def record_failure(ctx: ServiceContext, attempt_id: int, status: str, message: str, payment_intent: str | None,
                    card: str | None, today: date, schedule: tuple[int, ...]) -> None:
    with ctx.db.write() as session:
        attempt = session.get(ChargeAttempt, attempt_id)
        assert attempt is not None
        period = session.scalars(select(RenewalPeriod).where(col(RenewalPeriod.id) == attempt.period_id)
                                 .with_for_update()).first()
        assert period is not None
        if attempt.status not in ("started", "processing") or period.status != "charging":
            return  # settled by another process
        if card:
            attempt.payment_method = card
        apply_failure(session, ctx, period, attempt, status, message, payment_intent, today, schedule)


def apply_failure(session: Session, ctx: ServiceContext, period: RenewalPeriod, attempt: ChargeAttempt, status: str,
                   message: str, payment_intent: str | None, today: date, schedule: tuple[int, ...]) -> None:
    """A declined or failed attempt, in the caller's transaction: past due with the next retry date and an email
    to the customer, or, after the last retry, suspended (and emailed)."""
    now = ctx.clock.now()
    attempt.status = "failed" if status == "failed" else "declined"
    attempt.message = message[:2000]
    attempt.payment_intent_id = payment_intent
    attempt.finished_at = now
    session.add(attempt)
    session.flush()
    sub = lock_subscription(session, period.subscription_id)
    failures = session.scalar(select(func.count()).select_from(ChargeAttempt).where(
        col(ChargeAttempt.period_id) == period.id, col(ChargeAttempt.status).in_(FAILED_ATTEMPTS))) or 0
    first = session.scalar(select(func.min(ChargeAttempt.started_at)).where(col(ChargeAttempt.period_id) == period.id))
    first_day = (utc(first) or now).date()
    before = sub.state
    period.updated_at = now
    sub.updated_at = now
    customer = session.get(Customer, sub.customer_id)
    product = session.get(Product, sub.product_id)
    assert customer is not None and product is not None
    if sub.auto_renew and sub.state in LIVE_STATES and failures <= len(schedule):
        period.status = "failed"
        period.next_attempt_on = max(first_day + timedelta(days=schedule[failures - 1]), today + timedelta(days=1))
        sub.state = "past_due"
        queue_renewal_mail(session, ctx, f"renewal-declined:{attempt.id}", customer, product, period, sub.currency, "declined",
              message)
    elif sub.auto_renew and sub.state in LIVE_STATES:
        period.status = "suspended"
        period.next_attempt_on = None
        sub.state = "suspended"
        queue_renewal_mail(session, ctx, f"renewal-suspended:{period.id}", customer, product, period, sub.currency, "suspended",
              message)
    else:  # renewal cancelled while this charge was under way: no retries
        period.status = "failed"
        period.next_attempt_on = None
        sub.state = "ended" if sub.state == "active" else "cancelled"
    session.add_all([period, sub])
    if sub.state != before:
        audit.record(session, ctx, entity="subscription", entity_id=sub.id or 0, action="renewal_failed",
                     changes={"state": (before, sub.state), "attempt": (None, attempt.attempt)})


def record_success(ctx: ServiceContext, step: ChargeStep, attempt_id: int, result: ChargeResult, card: str | None,
                    today: date) -> tuple[str, str]:
    """One transaction: attempt succeeded, period paid, subscription moved on, and (in a savepoint) the renewal
    invoice issued and emailed, the period invoiced. An invoice that is refused leaves the period paid."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        period = session.scalars(select(RenewalPeriod).where(col(RenewalPeriod.id) == step.period_id)
                                 .with_for_update()).first()
        attempt = session.get(ChargeAttempt, attempt_id)
        assert period is not None and attempt is not None
        if period.status in ("paid", "invoiced"):  # recorded by another process
            number = session.scalar(select(Invoice.number).where(col(Invoice.id) == period.invoice_id))
            return "renewed", number or ""
        attempt.status = "succeeded"
        attempt.payment_intent_id = result.payment_intent_id
        attempt.payment_method = card or attempt.payment_method
        attempt.message = None
        attempt.finished_at = now
        period.status = "paid"
        period.payment_intent_id = result.payment_intent_id
        period.next_attempt_on = None
        period.updated_at = now
        sub = lock_subscription(session, period.subscription_id)
        before = (sub.state, sub.period_end)
        if sub.period_end == period.period_start:
            sub.period_start, sub.period_end = period.period_start, period.period_end
        sub.state = "active"
        sub.updated_at = now
        session.add_all([attempt, period, sub])
        if before[0] != "active":
            audit.record(session, ctx, entity="subscription", entity_id=sub.id or 0, action="renewed",
                         changes={"state": (before[0], "active"), "period_end": (before[1], sub.period_end)})
        session.flush()
        try:
            with session.begin_nested():
                invoice = issue_renewal_invoice(session, ctx, sub, period, today)
                period.invoice_id = invoice.id
                period.status = "invoiced"
                session.add(period)
                number = invoice.number or ""
        except BillingError as exc:
            return "paid", exc.message
    return "renewed", number
