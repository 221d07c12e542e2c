"""The renewals job (S000.6): charge the saved card of every subscription due, then issue its renewal invoice.

Exactly once, per renewal period (a ``RenewalPeriod``, unique per subscription and start):

1. The period row is created (or found) in its own transaction, under the subscription's row lock.
2. A ``ChargeAttempt`` with the deterministic key ``renewal:<period id>:<attempt>`` is written with
   status ``started`` and committed *before* Stripe is called; the period is ``charging`` and its
   ``updated_at`` is the lease: nobody else touches a charging period for ``LEASE``.
3. The outcome is recorded in one transaction: on success the attempt, the period (paid → invoiced),
   the renewal invoice (issued through ``documents.issue_document``) and the
   subscription's next period; on a decline the attempt, the retry date and the customer's email.
4. A period found ``charging`` after its lease (the process died during or after the call) is first
   reconciled with Stripe's own record (``find_charge`` by the key, in the PaymentIntent metadata):
   a succeeded charge is recorded and never made again; only when Stripe has none is the card
   charged, with the same key. Stripe's idempotency cache is never relied on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from billing_tui.domain.errors import BillingError
from billing_tui.integrations.stripe_gateway import StripeError, StripeGateway
from billing_tui.services import audit, stripe_link
from billing_tui.services.context import ServiceContext
from billing_tui.services.renewal_documents import (
    amount_due,
    invoice_paid_period,
    invoice_problem,
)
from billing_tui.services.renewal_outcomes import (
    NO_CARD,
    ChargeStep,
    apply_failure,
    attempt_status,
    failure_outcome,
    note_attempt,
    record_failure,
    settle,
)
from billing_tui.services.subscriptions import (
    LIVE_STATES,
    current_period,
    lock_subscription,
    period_end_after,
    retry_days,
)
from billing_tui.storage.account_models import (
    ChargeAttempt,
    RenewalPeriod,
    StripeCustomer,
    Subscription,
)
from billing_tui.storage.columns import utc
from billing_tui.storage.shop_models import Customer

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=10)
"""How long a period being charged belongs to the process charging it (a charge call times out after 30 s)."""
MAX_PERIODS_PER_RUN = 36
"""At most this many periods of one subscription are renewed in one run (catching up after a long stop)."""


@dataclass(frozen=True)
class RenewalRunResult:
    """What one run of the renewals did; ``str()`` is its one-line summary."""

    renewed: tuple[tuple[int, str], ...]  # (subscription, renewal invoice number; "" while the invoice waits)
    declined: tuple[tuple[int, str], ...]  # (subscription, why): past due, retried later
    suspended: tuple[int, ...]  # every retry failed
    ended: tuple[int, ...]  # renewal cancelled and the paid period over
    waiting: tuple[tuple[int, str], ...]  # (subscription, why) nothing could be done now; tried again next run
    stripe: str | None = None  # why no card was charged (Stripe not configured); None when it is

    def __str__(self) -> str:
        numbers = [n for _, n in self.renewed if n]
        parts = [f"renewed {len(self.renewed)}" + (f" ({', '.join(numbers[:5])})" if numbers else "")]
        if self.declined:
            parts.append(f"declined {len(self.declined)}")
        if self.suspended:
            parts.append(f"suspended {len(self.suspended)}")
        if self.ended:
            parts.append(f"ended {len(self.ended)}")
        if self.waiting:
            parts.append(f"{len(self.waiting)} waiting: "
                         + "; ".join(f"subscription {s}: {why}" for s, why in self.waiting[:3]))
        if self.stripe:
            parts.append(self.stripe)
        return "; ".join(parts)


@dataclass
class _Tally:
    renewed: list[tuple[int, str]] = field(default_factory=list)
    declined: list[tuple[int, str]] = field(default_factory=list)
    suspended: list[int] = field(default_factory=list)
    ended: list[int] = field(default_factory=list)
    waiting: list[tuple[int, str]] = field(default_factory=list)
    not_charged: int = 0

    def result(self, stripe_problem: str | None) -> RenewalRunResult:
        stripe = None
        if stripe_problem:
            stripe = f"{stripe_problem}: {self.not_charged} renewal(s) not charged"
        return RenewalRunResult(tuple(self.renewed), tuple(self.declined), tuple(self.suspended), tuple(self.ended),
                                tuple(self.waiting), stripe)


def _message(exc: BaseException) -> str:
    if isinstance(exc, BillingError):
        return exc.message
    return f"unexpected error ({type(exc).__name__}: {exc})"


def run_renewals(ctx: ServiceContext) -> RenewalRunResult:
    """The scheduled job: renew everything due as of ``ctx.clock`` (charge, invoice, move on), each period once.

    Also retries past-due renewals on their retry day, ends subscriptions whose renewal was cancelled
    and whose period is over, and invoices periods paid earlier whose invoice could not be issued then.
    Without Stripe configured, no card is charged and the summary says so.
    """
    today = ctx.clock.now().date()
    tally = _Tally()
    stripe_problem: str | None = None
    try:
        gateway = stripe_link.gateway_for(ctx)
    except BillingError as exc:
        gateway, stripe_problem = None, f"Stripe is not configured properly ({exc.message})"
    else:
        if gateway is None:
            stripe_problem = "Stripe is not configured (set BILLING_STRIPE_API_KEY)"
    schedule = retry_days(ctx)
    for period_id, sub_id in _paid_periods(ctx):
        try:
            number = invoice_paid_period(ctx, period_id, today)
        except Exception as exc:  # noqa: BLE001 - one renewal's problem never stops the others
            if not isinstance(exc, BillingError):
                log.exception("renewal invoice of period %s failed", period_id)
            tally.waiting.append((sub_id, f"paid, invoice not issued: {_message(exc)}"))
        else:
            if number:
                tally.renewed.append((sub_id, number))
    for sub_id in _due_subscriptions(ctx, today):
        try:
            _renew(ctx, gateway, sub_id, today, schedule, tally)
        except Exception as exc:  # noqa: BLE001 - recorded in the summary; the period is settled next run
            if not isinstance(exc, BillingError):
                log.exception("renewal of subscription %s failed", sub_id)
            tally.waiting.append((sub_id, _message(exc)))
    return tally.result(stripe_problem)


def _paid_periods(ctx: ServiceContext) -> list[tuple[int, int]]:
    with ctx.db.read() as session:
        return [(p, s) for p, s in session.execute(
            select(RenewalPeriod.id, RenewalPeriod.subscription_id).where(col(RenewalPeriod.status) == "paid")
            .order_by(col(RenewalPeriod.id)))]


def _due_subscriptions(ctx: ServiceContext, today: date) -> list[int]:
    charging = select(RenewalPeriod.subscription_id).where(col(RenewalPeriod.status) == "charging")
    with ctx.db.read() as session:
        return list(session.scalars(
            select(Subscription.id).where(or_(
                (col(Subscription.period_end) <= today) & col(Subscription.state).in_(LIVE_STATES),
                col(Subscription.id).in_(charging)))
            .order_by(col(Subscription.period_end), col(Subscription.id))))


def _renew(ctx: ServiceContext, gateway: StripeGateway | None, sub_id: int, today: date,
           schedule: tuple[int, ...], tally: _Tally) -> None:
    """Renew one subscription: every period due as of ``today``, until one is not paid now."""
    for _ in range(MAX_PERIODS_PER_RUN):
        step = _prepare(ctx, sub_id, today)
        if step.kind == "none":
            return
        if step.kind == "ended":
            tally.ended.append(sub_id)
            return
        if step.kind == "waiting":
            tally.waiting.append((sub_id, step.reason))
            return
        if gateway is None:
            tally.not_charged += 1
            return
        if step.kind == "reconcile":
            outcome, text = _reconcile(ctx, gateway, step, today, schedule)
        else:
            outcome, text = _charge_new(ctx, gateway, step, today, schedule)
        if outcome == "renewed":
            tally.renewed.append((sub_id, text))
            continue
        if outcome == "paid":  # charged, invoice refused: the next run issues it
            tally.renewed.append((sub_id, ""))
            tally.waiting.append((sub_id, f"paid, invoice not issued: {text}"))
            continue
        if outcome == "declined":
            tally.declined.append((sub_id, text))
        elif outcome == "suspended":
            tally.suspended.append(sub_id)
        else:
            tally.waiting.append((sub_id, text))
        return


def _prepare(ctx: ServiceContext, sub_id: int, today: date) -> ChargeStep:
    """Decide, under the subscription's row lock, what renewing it needs now; create its period if due."""
    now = ctx.clock.now()
    try:
        with ctx.db.write() as session:
            sub = lock_subscription(session, sub_id)
            if sub.period_end > today:
                return ChargeStep("none")
            period = current_period(session, sub, lock=True)
            if sub.state == "active" and not sub.auto_renew and (period is None or period.status in ("due", "failed")):
                if period is not None:  # due but never charged (e.g. waiting for a profile) when renewal was cancelled
                    period.status, period.next_attempt_on, period.updated_at = "failed", None, now
                    session.add(period)
                sub.state = "ended"
                sub.updated_at = now
                session.add(sub)
                audit.record(session, ctx, entity="subscription", entity_id=sub_id, action="end",
                             changes={"state": ("active", "ended")})
                return ChargeStep("ended")
            if period is None:
                if not sub.auto_renew or sub.state not in LIVE_STATES:
                    return ChargeStep("none")
                customer = session.get(Customer, sub.customer_id)
                assert customer is not None
                period = RenewalPeriod(subscription_id=sub_id, period_start=sub.period_end,
                                       period_end=period_end_after(sub, sub.period_end), amount=amount_due(customer, sub),
                                       status="due", next_attempt_on=sub.period_end, created_at=now, updated_at=now)
                session.add(period)
                session.flush()
            if period.status not in ("due", "charging", "failed"):
                return ChargeStep("none")  # paid/invoiced are settled elsewhere; suspended is final
            last = session.scalars(select(ChargeAttempt).where(col(ChargeAttempt.period_id) == period.id)
                                   .order_by(col(ChargeAttempt.attempt).desc()).limit(1)).first()
            stripe_id = session.scalar(select(StripeCustomer.stripe_id).where(
                col(StripeCustomer.customer_id) == sub.customer_id))
            common = {"period_id": period.id or 0, "amount": period.amount, "currency": sub.currency,
                      "stripe_customer": stripe_id}
            if last is not None and last.status in ("started", "processing"):
                if (utc(period.updated_at) or now) > now - LEASE and last.status == "started":
                    return ChargeStep("waiting", f"being charged by another process since "
                                            f"{utc(period.updated_at):%Y-%m-%d %H:%M} UTC")
                if stripe_id is None:
                    return ChargeStep("waiting", f"the outcome of charge {last.idempotency_key} cannot be checked: "
                                            "the customer has no Stripe customer any more")
                period.status = "charging"
                period.updated_at = now  # the lease: this process reconciles it
                session.add(period)
                return ChargeStep("reconcile", attempt_id=last.id or 0, key=last.idempotency_key,
                             metadata=_metadata(sub, period, last.attempt), **common)  # type: ignore[arg-type]
            if not sub.auto_renew or sub.state not in LIVE_STATES:
                return ChargeStep("none")
            if period.next_attempt_on is None or period.next_attempt_on > today:
                return ChargeStep("none")
            customer = session.get(Customer, sub.customer_id)
            assert customer is not None
            problem = invoice_problem(session, customer)
            if problem:
                return ChargeStep("waiting", problem)
            attempt_no = (last.attempt if last is not None else 0) + 1
            return ChargeStep("charge", attempt_no=attempt_no, key=f"renewal:{period.id}:{attempt_no}",
                         metadata=_metadata(sub, period, attempt_no), **common)  # type: ignore[arg-type]
    except IntegrityError:
        return ChargeStep("waiting", "renewed by another process at the same moment")


def _metadata(sub: Subscription, period: RenewalPeriod, attempt: int) -> tuple[tuple[str, str], ...]:
    return (("subscription_id", str(sub.id)), ("customer_id", str(sub.customer_id)), ("period_id", str(period.id)),
            ("period_start", period.period_start.isoformat()), ("attempt", str(attempt)))


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _charge_new(ctx: ServiceContext, gateway: StripeGateway, step: ChargeStep, today: date,
                schedule: tuple[int, ...]) -> tuple[str, str]:
    """Start a new attempt (committed before Stripe is called), charge the default card and record the outcome."""
    card: str | None = None
    if step.stripe_customer is not None:
        try:
            card = gateway.default_card(step.stripe_customer)
        except StripeError as exc:
            return "waiting", exc.message
    attempt_id = _start_attempt(ctx, step, card, today, schedule)
    if attempt_id is None:
        return "waiting", "charged by another process at the same moment"
    if card is None:
        return failure_outcome(ctx, attempt_id)
    assert step.stripe_customer is not None
    return _call_stripe(ctx, gateway, step, attempt_id, card, today, schedule)


def _call_stripe(ctx: ServiceContext, gateway: StripeGateway, step: ChargeStep, attempt_id: int, card: str,
                 today: date, schedule: tuple[int, ...]) -> tuple[str, str]:
    assert step.stripe_customer is not None
    try:
        result = gateway.charge_off_session(step.stripe_customer, card, _cents(step.amount), step.currency, step.key,
                                            dict(step.metadata))
    except StripeError as exc:
        note_attempt(ctx, attempt_id, f"Stripe did not answer ({exc.message}); the outcome is checked with Stripe "
                               "before the card is charged again")
        return "waiting", exc.message
    return settle(ctx, step, attempt_id, result, card, today, schedule)


def _reconcile(ctx: ServiceContext, gateway: StripeGateway, step: ChargeStep, today: date,
               schedule: tuple[int, ...]) -> tuple[str, str]:
    """An attempt whose outcome is unknown: what Stripe recorded for its key wins; charge only if it has nothing."""
    assert step.stripe_customer is not None
    try:
        found = gateway.find_charge(step.stripe_customer, step.key)
        if found is not None:
            return settle(ctx, step, step.attempt_id, found, None, today, schedule)
        if attempt_status(ctx, step.attempt_id) == "processing":
            return "waiting", f"Stripe has no payment for {step.key} although it was processing: check on Stripe"
        card = gateway.default_card(step.stripe_customer)
    except StripeError as exc:
        return "waiting", exc.message
    if card is None:
        record_failure(ctx, step.attempt_id, "declined", NO_CARD, None, None, today, schedule)
        return failure_outcome(ctx, step.attempt_id)
    return _call_stripe(ctx, gateway, step, step.attempt_id, card, today, schedule)


def _start_attempt(ctx: ServiceContext, step: ChargeStep, card: str | None, today: date,
                   schedule: tuple[int, ...]) -> int | None:
    """Write the attempt and its key (``started``) and commit it before Stripe is called; None if another process
    started one first. Without a card the attempt is declined at once ("no saved card")."""
    now = ctx.clock.now()
    try:
        with ctx.db.write() as session:
            period = session.scalars(select(RenewalPeriod).where(col(RenewalPeriod.id) == step.period_id)
                                     .with_for_update()).first()
            assert period is not None
            done = session.scalar(select(func.max(ChargeAttempt.attempt)).where(
                col(ChargeAttempt.period_id) == step.period_id)) or 0
            if period.status not in ("due", "failed") or done != step.attempt_no - 1:
                return None
            attempt = ChargeAttempt(period_id=step.period_id, attempt=step.attempt_no, idempotency_key=step.key,
                                    status="started", payment_method=card, amount=step.amount, started_at=now)
            session.add(attempt)
            period.status = "charging"
            period.next_attempt_on = None
            period.updated_at = now
            session.add(period)
            session.flush()
            if card is None:
                apply_failure(session, ctx, period, attempt, "declined", NO_CARD, None, today, schedule)
            return attempt.id
    except IntegrityError:
        return None
