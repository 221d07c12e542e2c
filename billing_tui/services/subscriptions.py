"""Subscriptions that renew (S000.6): list, show, create, cancel renewal, and the renewals job.

Exactly once, per renewal period (a ``RenewalPeriod``, unique per subscription and start):

1. The period row is created (or found) in its own transaction, under the subscription's row lock.
2. A ``ChargeAttempt`` with the deterministic key ``renewal:<period id>:<attempt>`` is written with
   status ``started`` and committed *before* Stripe is called; the period is ``charging`` and its
   ``updated_at`` is the lease: nobody else touches a charging period for ``LEASE``.
3. The outcome is recorded in one transaction: on success the attempt, the period (paid → invoiced),
   the renewal invoice (numbered, PDF, email queued through ``invoices._store``) and the
   subscription's next period; on a decline the attempt, the retry date and the customer's email.
4. A period found ``charging`` after its lease (the process died during or after the call) is first
   reconciled with Stripe's own record (``find_charge`` by the key, in the PaymentIntent metadata):
   a succeeded charge is recorded and never made again; only when Stripe has none is the card
   charged, with the same key. Stripe's idempotency cache is never relied on.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from billing_tui.domain.documents import DocumentKind, DocumentLine
from billing_tui.domain.errors import BillingError, NotFound, ValidationFailed
from billing_tui.domain.i18n import format_amount, format_date
from billing_tui.domain.money import round_money, to_decimal, vat_summary
from billing_tui.domain.orders import add_months
from billing_tui.domain.profile import FIELD_KEYS, validate_profile
from billing_tui.integrations.stripe_gateway import ChargeResult, StripeError, StripeGateway
from billing_tui.services import app_settings, audit, stripe_link
from billing_tui.services.context import ServiceContext
from billing_tui.services.invoices import (
    InvoiceRefused,
    _check_date,
    _party_from_customer,
    _party_from_seller,
    _seller,
    _store,
)
from billing_tui.storage.account_models import ChargeAttempt, RenewalPeriod, StripeCustomer, Subscription
from billing_tui.storage.invoice_models import Invoice
from billing_tui.storage.models import Customer, Product, utc

log = logging.getLogger(__name__)

PERIODS = {"month": 1, "year": 12}
"""A subscription's period and its length in months."""
STATES = ("active", "past_due", "suspended", "cancelled", "ended")
"""active: paid to ``period_end``; past_due: the renewal charge failed, retries pending; suspended: every
retry failed; cancelled: renewal cancelled while unpaid (retries stopped); ended: the paid period ran out
after its renewal was cancelled."""
RETRY_DAYS = (1, 3, 7)
"""Days after the first failed charge of a period on which it is charged again; then it is suspended."""
RETRY_SETTING = "renewal_retry_days"
"""The app setting (``1,3,7``) that overrides ``RETRY_DAYS`` when it is declared in ``app_settings.SPECS``."""
LEASE = timedelta(minutes=10)
"""How long a period being charged belongs to the process charging it (a charge call times out after 30 s)."""
MAX_PERIODS_PER_RUN = 36
"""At most this many periods of one subscription are renewed in one run (catching up after a long stop)."""
NO_CARD = "no saved card"

_LIVE = ("active", "past_due")
_FAILED = ("declined", "failed")


class SubscriptionRefused(BillingError):
    """The action is not possible for this subscription now; the message says why."""


def retry_days(ctx: ServiceContext) -> tuple[int, ...]:
    """The retry schedule: the ``renewal_retry_days`` setting when the app declares it, else ``RETRY_DAYS``."""
    if RETRY_SETTING not in app_settings.SPEC_BY_KEY:
        return RETRY_DAYS
    text = app_settings.get_settings(ctx).get(RETRY_SETTING, "")
    try:
        days = tuple(int(part) for part in text.replace(";", ",").split(",") if part.strip())
    except ValueError:
        return RETRY_DAYS
    if not days or any(d < 1 for d in days) or list(days) != sorted(set(days)):
        return RETRY_DAYS
    return days


# --- views ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubscriptionView:
    """One subscription as the lists show it."""

    id: int
    customer_id: int
    customer_name: str
    product_sku: str
    product_name: str
    period: str  # month | year
    price: Decimal  # net price of one period
    vat_rate: Decimal
    gross: Decimal  # price with VAT
    currency: str
    state: str  # see STATES
    period_start: date  # the paid period: [period_start, period_end)
    period_end: date
    next_renewal: date | None  # = period_end while it renews automatically
    auto_renew: bool
    card_on_file: bool | None  # the customer has a default card on Stripe; None when Stripe cannot say


@dataclass(frozen=True)
class RenewalPeriodView:
    """One period renewed (or being renewed)."""

    id: int
    period_start: date
    period_end: date
    amount: Decimal  # the amount charged
    status: str  # due | charging | paid | invoiced | failed | suspended
    next_attempt_on: date | None
    payment_intent_id: str | None
    invoice_number: str | None


@dataclass(frozen=True)
class ChargeAttemptView:
    """One attempt to charge a period, with its outcome."""

    id: int
    period_id: int
    attempt: int
    status: str  # started | succeeded | declined | failed | processing
    amount: Decimal
    payment_method: str | None
    payment_intent_id: str | None
    message: str | None
    started_at: datetime
    finished_at: datetime | None
    idempotency_key: str


@dataclass(frozen=True)
class SubscriptionDetail:
    """A subscription with every renewal period and every charge attempt (oldest first)."""

    subscription: SubscriptionView
    start_date: date
    customer_email: str
    cancelled_at: datetime | None
    cancelled_by: str | None
    periods: tuple[RenewalPeriodView, ...]
    attempts: tuple[ChargeAttemptView, ...]

    @property
    def id(self) -> int:
        return self.subscription.id

    @property
    def state(self) -> str:
        return self.subscription.state


def _gross(price: Decimal, rate: Decimal) -> Decimal:
    return vat_summary([(price, rate)]).gross


def _shown_state(sub: Subscription, today: date) -> str:
    """The state, with a cancelled renewal whose period ran out shown as ended before the job records it."""
    if sub.state == "active" and not sub.auto_renew and sub.period_end <= today:
        return "ended"
    return sub.state


def _view(sub: Subscription, customer_name: str, product: Product, today: date,
          card_on_file: bool | None) -> SubscriptionView:
    state = _shown_state(sub, today)
    return SubscriptionView(
        id=sub.id or 0, customer_id=sub.customer_id, customer_name=customer_name, product_sku=product.sku,
        product_name=product.name, period=sub.period, price=sub.price, vat_rate=sub.vat_rate,
        gross=_gross(sub.price, sub.vat_rate), currency=sub.currency, state=state, period_start=sub.period_start,
        period_end=sub.period_end, next_renewal=sub.period_end if sub.auto_renew and state in _LIVE else None,
        auto_renew=sub.auto_renew, card_on_file=card_on_file)


class _Cards:
    """Whether each Stripe customer has a default card, asked once per customer (None: Stripe cannot say)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx
        self._answers: dict[str, bool | None] = {}
        self._gateway: StripeGateway | None = None
        self._ready = False

    def on_file(self, stripe_id: str | None) -> bool | None:
        if stripe_id is None:
            return False
        if stripe_id not in self._answers:
            if not self._ready:
                self._ready = True
                try:
                    self._gateway = stripe_link.gateway_for(self._ctx)
                except BillingError:
                    self._gateway = None
            try:
                self._answers[stripe_id] = (self._gateway.default_card(stripe_id) is not None
                                            if self._gateway is not None else None)
            except StripeError as exc:
                self._answers[stripe_id] = None
                if exc.retryable:  # Stripe is unreachable: do not wait for it once per customer
                    self._gateway = None
        return self._answers[stripe_id]


def _parse_id(value: int | str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise NotFound(f"{value!r} is not a subscription id; ids are numbers (see 'subscriptions list')") from None


def list_subscriptions(ctx: ServiceContext, *, customer_id: int | None = None, state: str = "all",
                       cards: bool = True) -> tuple[SubscriptionView, ...]:
    """Subscriptions, per customer or all, by next renewal; ``cards`` asks Stripe whether each has a card."""
    if state not in ("all", *STATES):
        raise ValidationFailed({"state": f"choose all, {', '.join(STATES)}"})
    today = ctx.clock.now().date()
    stmt = (select(Subscription, Customer.name, Product, StripeCustomer.stripe_id)
            .join(Customer, col(Customer.id) == col(Subscription.customer_id))
            .join(Product, col(Product.id) == col(Subscription.product_id))
            .outerjoin(StripeCustomer, col(StripeCustomer.customer_id) == col(Subscription.customer_id))
            .order_by(col(Subscription.period_end), col(Subscription.id)))
    if customer_id is not None:
        stmt = stmt.where(col(Subscription.customer_id) == customer_id)
    with ctx.db.read() as session:
        if customer_id is not None and session.get(Customer, customer_id) is None:
            raise NotFound(f"There is no customer {customer_id}; see 'customers list'")
        found = session.execute(stmt).all()
    checker = _Cards(ctx)
    views = []
    for sub, name, product, stripe_id in found:
        if state != "all" and _shown_state(sub, today) != state:
            continue
        views.append(_view(sub, name, product, today, checker.on_file(stripe_id) if cards else None))
    return tuple(views)


def get_subscription(ctx: ServiceContext, subscription_id: int | str, *, cards: bool = True) -> SubscriptionDetail:
    """One subscription with every renewal period and every charge attempt and its outcome."""
    wanted = _parse_id(subscription_id)
    today = ctx.clock.now().date()
    with ctx.db.read() as session:
        sub = session.get(Subscription, wanted)
        if sub is None:
            raise NotFound(f"There is no subscription {wanted}; see 'subscriptions list'")
        customer = session.get(Customer, sub.customer_id)
        product = session.get(Product, sub.product_id)
        assert customer is not None and product is not None
        stripe_id = session.scalar(select(StripeCustomer.stripe_id).where(
            col(StripeCustomer.customer_id) == sub.customer_id))
        periods = session.execute(
            select(RenewalPeriod, Invoice.number).outerjoin(Invoice, col(Invoice.id) == col(RenewalPeriod.invoice_id))
            .where(col(RenewalPeriod.subscription_id) == wanted).order_by(col(RenewalPeriod.period_start))).all()
        attempts = session.scalars(
            select(ChargeAttempt).join(RenewalPeriod, col(RenewalPeriod.id) == col(ChargeAttempt.period_id))
            .where(col(RenewalPeriod.subscription_id) == wanted)
            .order_by(col(RenewalPeriod.period_start), col(ChargeAttempt.attempt))).all()
    card = _Cards(ctx).on_file(stripe_id) if cards else None
    return SubscriptionDetail(
        subscription=_view(sub, customer.name, product, today, card), start_date=sub.start_date,
        customer_email=customer.email, cancelled_at=utc(sub.cancelled_at), cancelled_by=sub.cancelled_by,
        periods=tuple(RenewalPeriodView(id=p.id or 0, period_start=p.period_start, period_end=p.period_end,
                                        amount=p.amount, status=p.status, next_attempt_on=p.next_attempt_on,
                                        payment_intent_id=p.payment_intent_id, invoice_number=number)
                      for p, number in periods),
        attempts=tuple(ChargeAttemptView(id=a.id or 0, period_id=a.period_id, attempt=a.attempt, status=a.status,
                                         amount=a.amount, payment_method=a.payment_method,
                                         payment_intent_id=a.payment_intent_id, message=a.message,
                                         started_at=utc(a.started_at), finished_at=utc(a.finished_at),  # type: ignore[arg-type]
                                         idempotency_key=a.idempotency_key)
                       for a in attempts))


# --- creating and cancelling ------------------------------------------------------------------------

def _period_end(sub: Subscription, period_start: date) -> date:
    """The end of the period starting on ``period_start``, counted from the subscription's start (31st → month end)."""
    months = PERIODS[sub.period]
    elapsed = (period_start.year - sub.start_date.year) * 12 + period_start.month - sub.start_date.month
    return add_months(sub.start_date, elapsed + months)


def create_subscription(ctx: ServiceContext, *, customer_id: int, product_sku: str, period: str,
                        start: date | str, price: Decimal | str | None = None) -> SubscriptionDetail:
    """A new subscription, paid from ``start`` to its first renewal (one period later); it renews automatically."""
    errors: dict[str, str] = {}
    if period not in PERIODS:
        errors["period"] = f"choose {' or '.join(PERIODS)}"
    try:
        start_day = start if isinstance(start, date) else date.fromisoformat(str(start).strip())
    except ValueError:
        errors["start"] = "use YYYY-MM-DD"
    net: Decimal | None = None
    if price is not None:
        try:
            net = round_money(to_decimal(price))
        except (ValueError, TypeError, ArithmeticError):
            errors["price"] = "a number such as 19.90"
        else:
            if net <= 0:
                errors["price"] = "more than zero"
    if errors:
        raise ValidationFailed(errors)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        if session.get(Customer, customer_id) is None:
            raise NotFound(f"There is no customer {customer_id}; see 'customers list'")
        product = session.scalars(select(Product).where(col(Product.sku) == product_sku.strip())).first()
        if product is None:
            raise NotFound(f"There is no product with SKU {product_sku!r}")
        sub = Subscription(customer_id=customer_id, product_id=product.id or 0, period=period,
                           price=net if net is not None else product.unit_price, vat_rate=product.vat_rate,
                           start_date=start_day, period_start=start_day, period_end=start_day, auto_renew=True,
                           state="active", created_at=now, updated_at=now)
        sub.period_end = _period_end(sub, start_day)
        session.add(sub)
        session.flush()
        audit.record(session, ctx, entity="subscription", entity_id=sub.id or 0, action="create",
                     changes={"product": (None, product.sku), "period": (None, period), "price": (None, sub.price),
                              "start_date": (None, start_day)})
        sub_id = sub.id or 0
    return get_subscription(ctx, sub_id, cards=False)


def _lock_subscription(session: Session, subscription_id: int) -> Subscription:
    sub = session.scalars(select(Subscription).where(col(Subscription.id) == subscription_id).with_for_update()).first()
    if sub is None:
        raise NotFound(f"There is no subscription {subscription_id}; see 'subscriptions list'")
    return sub


def _current_period(session: Session, sub: Subscription, *, lock: bool = False) -> RenewalPeriod | None:
    """The period that renews ``sub`` now (it starts where the paid period ends), if it exists yet."""
    stmt = select(RenewalPeriod).where(col(RenewalPeriod.subscription_id) == sub.id,
                                       col(RenewalPeriod.period_start) == sub.period_end)
    return session.scalars(stmt.with_for_update() if lock else stmt).first()


def cancel_renewal(ctx: ServiceContext, subscription_id: int | str) -> SubscriptionDetail:
    """Stop automatic renewal (any time): a paid subscription stays active to the end of its period, then ends;
    one that is past due or suspended is cancelled at once and its retries stop."""
    wanted = _parse_id(subscription_id)
    now = ctx.clock.now()
    today = now.date()
    with ctx.db.write() as session:
        sub = _lock_subscription(session, wanted)
        state = _shown_state(sub, today)
        if state == "ended":
            raise SubscriptionRefused(f"Subscription {wanted} already ended on {sub.period_end}; nothing renews it.")
        if not sub.auto_renew or state == "cancelled":
            raise SubscriptionRefused(f"Automatic renewal of subscription {wanted} is already cancelled"
                                      + (f"; it ends on {sub.period_end}." if state == "active" else "."))
        before = sub.state
        sub.auto_renew = False
        sub.cancelled_at = now
        sub.cancelled_by = ctx.actor
        sub.updated_at = now
        if sub.state in ("past_due", "suspended"):
            sub.state = "cancelled"
            period = _current_period(session, sub, lock=True)
            if period is not None and period.status in ("due", "failed"):
                period.status = "failed"
                period.next_attempt_on = None
                period.updated_at = now
                session.add(period)
        session.add(sub)
        audit.record(session, ctx, entity="subscription", entity_id=wanted, action="cancel_renewal",
                     changes={"auto_renew": (True, False), "state": (before, sub.state)})
    return get_subscription(ctx, wanted, cards=False)


def resume_renewal(ctx: ServiceContext, subscription_id: int | str) -> SubscriptionDetail:
    """Turn automatic renewal back on for an active subscription whose paid period has not ended yet."""
    wanted = _parse_id(subscription_id)
    now = ctx.clock.now()
    with ctx.db.write() as session:
        sub = _lock_subscription(session, wanted)
        state = _shown_state(sub, now.date())
        if sub.auto_renew and state in _LIVE:
            raise SubscriptionRefused(f"Subscription {wanted} already renews automatically on {sub.period_end}.")
        if state != "active":
            raise SubscriptionRefused(f"Subscription {wanted} is {state.replace('_', ' ')}; only an active one "
                                      "can renew again. Create a new subscription instead.")
        sub.auto_renew = True
        sub.cancelled_at = None
        sub.cancelled_by = None
        sub.updated_at = now
        session.add(sub)
        audit.record(session, ctx, entity="subscription", entity_id=wanted, action="resume_renewal",
                     changes={"auto_renew": (False, True)})
    return get_subscription(ctx, wanted, cards=False)


# --- the renewals job -------------------------------------------------------------------------------

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


@dataclass(frozen=True)
class _Step:
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
            number = _invoice_paid_period(ctx, period_id, today)
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
                (col(Subscription.period_end) <= today) & col(Subscription.state).in_(_LIVE),
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


def _amount_due(customer: Customer, sub: Subscription) -> Decimal:
    """What a period costs the customer: with VAT, or net under split payment (the PA pays the VAT to the state)."""
    totals = vat_summary([(sub.price, sub.vat_rate)])
    split = customer.customer_type == "pa" and bool(customer.split_payment)
    return totals.net if split else totals.gross


def _invoice_problem(session: Session, customer: Customer) -> str | None:
    """Why the renewal invoice could not be issued now (checked before charging), or None."""
    errors = validate_profile({k: getattr(customer, k) for k in FIELD_KEYS})[1]
    if errors:
        return (f"the billing profile of {customer.name} (customer {customer.id}) is incomplete: "
                f"{'; '.join(errors.values())}; fix it in Customers (F3) and the renewal is charged at the next run")
    try:
        _seller(session)
    except InvoiceRefused as exc:
        return exc.message
    return None


def _prepare(ctx: ServiceContext, sub_id: int, today: date) -> _Step:
    """Decide, under the subscription's row lock, what renewing it needs now; create its period if due."""
    now = ctx.clock.now()
    try:
        with ctx.db.write() as session:
            sub = _lock_subscription(session, sub_id)
            if sub.period_end > today:
                return _Step("none")
            period = _current_period(session, sub, lock=True)
            if sub.state == "active" and not sub.auto_renew and (period is None or period.status in ("due", "failed")):
                if period is not None:  # due but never charged (e.g. waiting for a profile) when renewal was cancelled
                    period.status, period.next_attempt_on, period.updated_at = "failed", None, now
                    session.add(period)
                sub.state = "ended"
                sub.updated_at = now
                session.add(sub)
                audit.record(session, ctx, entity="subscription", entity_id=sub_id, action="end",
                             changes={"state": ("active", "ended")})
                return _Step("ended")
            if period is None:
                if not sub.auto_renew or sub.state not in _LIVE:
                    return _Step("none")
                customer = session.get(Customer, sub.customer_id)
                assert customer is not None
                period = RenewalPeriod(subscription_id=sub_id, period_start=sub.period_end,
                                       period_end=_period_end(sub, sub.period_end), amount=_amount_due(customer, sub),
                                       status="due", next_attempt_on=sub.period_end, created_at=now, updated_at=now)
                session.add(period)
                session.flush()
            if period.status not in ("due", "charging", "failed"):
                return _Step("none")  # paid/invoiced are settled elsewhere; suspended is final
            last = session.scalars(select(ChargeAttempt).where(col(ChargeAttempt.period_id) == period.id)
                                   .order_by(col(ChargeAttempt.attempt).desc()).limit(1)).first()
            stripe_id = session.scalar(select(StripeCustomer.stripe_id).where(
                col(StripeCustomer.customer_id) == sub.customer_id))
            common = {"period_id": period.id or 0, "amount": period.amount, "currency": sub.currency,
                      "stripe_customer": stripe_id}
            if last is not None and last.status in ("started", "processing"):
                if (utc(period.updated_at) or now) > now - LEASE and last.status == "started":
                    return _Step("waiting", f"being charged by another process since "
                                            f"{utc(period.updated_at):%Y-%m-%d %H:%M} UTC")
                if stripe_id is None:
                    return _Step("waiting", f"the outcome of charge {last.idempotency_key} cannot be checked: "
                                            "the customer has no Stripe customer any more")
                period.status = "charging"
                period.updated_at = now  # the lease: this process reconciles it
                session.add(period)
                return _Step("reconcile", attempt_id=last.id or 0, key=last.idempotency_key,
                             metadata=_metadata(sub, period, last.attempt), **common)  # type: ignore[arg-type]
            if not sub.auto_renew or sub.state not in _LIVE:
                return _Step("none")
            if period.next_attempt_on is None or period.next_attempt_on > today:
                return _Step("none")
            customer = session.get(Customer, sub.customer_id)
            assert customer is not None
            problem = _invoice_problem(session, customer)
            if problem:
                return _Step("waiting", problem)
            attempt_no = (last.attempt if last is not None else 0) + 1
            return _Step("charge", attempt_no=attempt_no, key=f"renewal:{period.id}:{attempt_no}",
                         metadata=_metadata(sub, period, attempt_no), **common)  # type: ignore[arg-type]
    except IntegrityError:
        return _Step("waiting", "renewed by another process at the same moment")


def _metadata(sub: Subscription, period: RenewalPeriod, attempt: int) -> tuple[tuple[str, str], ...]:
    return (("subscription_id", str(sub.id)), ("customer_id", str(sub.customer_id)), ("period_id", str(period.id)),
            ("period_start", period.period_start.isoformat()), ("attempt", str(attempt)))


def _cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _charge_new(ctx: ServiceContext, gateway: StripeGateway, step: _Step, today: date,
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
        return _failure_outcome(ctx, attempt_id)
    assert step.stripe_customer is not None
    return _call_stripe(ctx, gateway, step, attempt_id, card, today, schedule)


def _call_stripe(ctx: ServiceContext, gateway: StripeGateway, step: _Step, attempt_id: int, card: str,
                 today: date, schedule: tuple[int, ...]) -> tuple[str, str]:
    assert step.stripe_customer is not None
    try:
        result = gateway.charge_off_session(step.stripe_customer, card, _cents(step.amount), step.currency, step.key,
                                            dict(step.metadata))
    except StripeError as exc:
        _note(ctx, attempt_id, f"Stripe did not answer ({exc.message}); the outcome is checked with Stripe "
                               "before the card is charged again")
        return "waiting", exc.message
    return _settle(ctx, step, attempt_id, result, card, today, schedule)


def _reconcile(ctx: ServiceContext, gateway: StripeGateway, step: _Step, today: date,
               schedule: tuple[int, ...]) -> tuple[str, str]:
    """An attempt whose outcome is unknown: what Stripe recorded for its key wins; charge only if it has nothing."""
    assert step.stripe_customer is not None
    try:
        found = gateway.find_charge(step.stripe_customer, step.key)
        if found is not None:
            return _settle(ctx, step, step.attempt_id, found, None, today, schedule)
        if _attempt_status(ctx, step.attempt_id) == "processing":
            return "waiting", f"Stripe has no payment for {step.key} although it was processing: check on Stripe"
        card = gateway.default_card(step.stripe_customer)
    except StripeError as exc:
        return "waiting", exc.message
    if card is None:
        _record_failure(ctx, step.attempt_id, "declined", NO_CARD, None, None, today, schedule)
        return _failure_outcome(ctx, step.attempt_id)
    return _call_stripe(ctx, gateway, step, step.attempt_id, card, today, schedule)


def _start_attempt(ctx: ServiceContext, step: _Step, card: str | None, today: date,
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
                _apply_failure(session, ctx, period, attempt, "declined", NO_CARD, None, today, schedule)
            return attempt.id
    except IntegrityError:
        return None


def _note(ctx: ServiceContext, attempt_id: int, message: str) -> None:
    with ctx.db.write() as session:
        attempt = session.get(ChargeAttempt, attempt_id)
        if attempt is not None and attempt.status == "started":
            attempt.message = message[:2000]
            session.add(attempt)


def _attempt_status(ctx: ServiceContext, attempt_id: int) -> str:
    with ctx.db.read() as session:
        return session.scalar(select(ChargeAttempt.status).where(col(ChargeAttempt.id) == attempt_id)) or ""


def _settle(ctx: ServiceContext, step: _Step, attempt_id: int, result: ChargeResult, card: str | None, today: date,
            schedule: tuple[int, ...]) -> tuple[str, str]:
    """Record what Stripe answered for an attempt."""
    if result.succeeded:
        return _record_success(ctx, step, attempt_id, result, card, today)
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
    _record_failure(ctx, attempt_id, result.status, message, result.payment_intent_id, card, today, schedule)
    return _failure_outcome(ctx, attempt_id)


def _failure_outcome(ctx: ServiceContext, attempt_id: int) -> tuple[str, str]:
    with ctx.db.read() as session:
        row = session.execute(select(ChargeAttempt.message, RenewalPeriod.status)
                              .join(RenewalPeriod, col(RenewalPeriod.id) == col(ChargeAttempt.period_id))
                              .where(col(ChargeAttempt.id) == attempt_id)).one()
    return ("suspended" if row[1] == "suspended" else "declined"), row[0] or ""


def _record_failure(ctx: ServiceContext, attempt_id: int, status: str, message: str, payment_intent: str | None,
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
        _apply_failure(session, ctx, period, attempt, status, message, payment_intent, today, schedule)


def _apply_failure(session: Session, ctx: ServiceContext, period: RenewalPeriod, attempt: ChargeAttempt, status: str,
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
    sub = _lock_subscription(session, period.subscription_id)
    failures = session.scalar(select(func.count()).select_from(ChargeAttempt).where(
        col(ChargeAttempt.period_id) == period.id, col(ChargeAttempt.status).in_(_FAILED))) or 0
    first = session.scalar(select(func.min(ChargeAttempt.started_at)).where(col(ChargeAttempt.period_id) == period.id))
    first_day = (utc(first) or now).date()
    before = sub.state
    period.updated_at = now
    sub.updated_at = now
    customer = session.get(Customer, sub.customer_id)
    product = session.get(Product, sub.product_id)
    assert customer is not None and product is not None
    if sub.auto_renew and sub.state in _LIVE and failures <= len(schedule):
        period.status = "failed"
        period.next_attempt_on = max(first_day + timedelta(days=schedule[failures - 1]), today + timedelta(days=1))
        sub.state = "past_due"
        _mail(session, ctx, f"renewal-declined:{attempt.id}", customer, product, period, sub.currency, "declined",
              message)
    elif sub.auto_renew and sub.state in _LIVE:
        period.status = "suspended"
        period.next_attempt_on = None
        sub.state = "suspended"
        _mail(session, ctx, f"renewal-suspended:{period.id}", customer, product, period, sub.currency, "suspended",
              message)
    else:  # renewal cancelled while this charge was under way: no retries
        period.status = "failed"
        period.next_attempt_on = None
        sub.state = "ended" if sub.state == "active" else "cancelled"
    session.add_all([period, sub])
    if sub.state != before:
        audit.record(session, ctx, entity="subscription", entity_id=sub.id or 0, action="renewal_failed",
                     changes={"state": (before, sub.state), "attempt": (None, attempt.attempt)})


def _record_success(ctx: ServiceContext, step: _Step, attempt_id: int, result: ChargeResult, card: str | None,
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
        sub = _lock_subscription(session, period.subscription_id)
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
                invoice = _issue_renewal_invoice(session, ctx, sub, period, today)
                period.invoice_id = invoice.id
                period.status = "invoiced"
                session.add(period)
                number = invoice.number or ""
        except BillingError as exc:
            return "paid", exc.message
    return "renewed", number


def _invoice_paid_period(ctx: ServiceContext, period_id: int, today: date) -> str | None:
    """Issue the invoice of a period paid earlier whose invoice was refused then; its number."""
    with ctx.db.write() as session:
        period = session.scalars(select(RenewalPeriod).where(col(RenewalPeriod.id) == period_id)
                                 .with_for_update()).first()
        if period is None or period.status != "paid":
            return None
        sub = _lock_subscription(session, period.subscription_id)
        invoice = _issue_renewal_invoice(session, ctx, sub, period, today)
        period.invoice_id = invoice.id
        period.status = "invoiced"
        period.updated_at = ctx.clock.now()
        session.add(period)
        return invoice.number


PERIOD_WORD = {"it": "periodo", "en": "period", "ro": "perioada"}


def period_label(period_start: date, period_end: date, language: str = "en") -> str:
    """``period dd/mm/yyyy–dd/mm/yyyy`` with the last day of the period (the day before the next one starts)."""
    last = period_end - timedelta(days=1)
    return f"{PERIOD_WORD.get(language, 'period')} {period_start:%d/%m/%Y}–{last:%d/%m/%Y}"


def _issue_renewal_invoice(session: Session, ctx: ServiceContext, sub: Subscription, period: RenewalPeriod,
                           today: date) -> Invoice:
    """The renewal invoice of a paid period, inside the caller's transaction: numbered, PDF, email queued."""
    customer = session.get(Customer, sub.customer_id)
    product = session.get(Product, sub.product_id)
    assert customer is not None and product is not None
    problem = _invoice_problem(session, customer)
    if problem:
        raise InvoiceRefused(problem)
    seller = _seller(session)
    _check_date(session, ctx, DocumentKind.INVOICE, today)
    language = customer.language or seller.default_language
    suffix = ", " + period_label(period.period_start, period.period_end, language)
    line = DocumentLine(position=1, sku=product.sku, description=product.name[:200 - len(suffix)] + suffix,
                        quantity=Decimal("1.000"), unit_price=sub.price, vat_rate=sub.vat_rate, line_total=sub.price)
    totals = vat_summary([(line.line_total, line.vat_rate)])
    return _store(session, ctx, kind=DocumentKind.INVOICE, on=today, due=today,
                  customer_snapshot=_party_from_customer(customer), seller_snapshot=_party_from_seller(seller),
                  language=language, currency=sub.currency, payment_method="card", paid=True,
                  split_payment=customer.customer_type == "pa" and bool(customer.split_payment), lines=[line],
                  vat_rows=totals.vat_rows, cart=None, customer_id=customer.id or 0, related=None, reason=None)


# --- the customer's emails ------------------------------------------------------------------------------

_MAIL = {
    "declined": {
        "it": ("Rinnovo non riuscito: {product}",
               "Gentile {name},\n\nnon siamo riusciti ad addebitare {amount} sulla sua carta per il rinnovo di "
               "{product} ({period}): {reason}.\n\nAggiorni la carta di pagamento salvata: riproveremo il {next}.\n\n"
               "{seller}"),
        "en": ("Renewal failed: {product}",
               "Dear {name},\n\nwe could not charge {amount} to your card for the renewal of {product} ({period}): "
               "{reason}.\n\nPlease update your saved card: we will try again on {next}.\n\n{seller}"),
        "ro": ("Reînnoire eșuată: {product}",
               "Stimate {name},\n\nnu am putut debita {amount} de pe cardul dumneavoastră pentru reînnoirea "
               "{product} ({period}): {reason}.\n\nVă rugăm să actualizați cardul salvat: vom încerca din nou pe "
               "{next}.\n\n{seller}"),
    },
    "suspended": {
        "it": ("Abbonamento sospeso: {product}",
               "Gentile {name},\n\nnon siamo riusciti ad addebitare {amount} per il rinnovo di {product} ({period}) "
               "dopo più tentativi: {reason}.\n\nL'abbonamento è sospeso. Aggiorni la carta di pagamento e ci "
               "contatti per riattivarlo.\n\n{seller}"),
        "en": ("Subscription suspended: {product}",
               "Dear {name},\n\nwe could not charge {amount} for the renewal of {product} ({period}) after several "
               "attempts: {reason}.\n\nThe subscription is suspended. Please update your card and contact us to "
               "reactivate it.\n\n{seller}"),
        "ro": ("Abonament suspendat: {product}",
               "Stimate {name},\n\nnu am putut debita {amount} pentru reînnoirea {product} ({period}) după mai multe "
               "încercări: {reason}.\n\nAbonamentul este suspendat. Vă rugăm să actualizați cardul și să ne "
               "contactați pentru reactivare.\n\n{seller}"),
    },
}


def _mail(session: Session, ctx: ServiceContext, key: str, customer: Customer, product: Product,
          period: RenewalPeriod, currency: str, kind: str, reason: str) -> None:
    """Queue the customer's email about a failed renewal in the caller's transaction (once per key)."""
    from billing_tui.services.mail import queue_email
    from billing_tui.storage.models import SellerSettings

    language = customer.language if customer.language in _MAIL[kind] else "en"
    seller = session.get(SellerSettings, 1)
    values = {
        "name": customer.name, "product": product.name, "reason": reason.rstrip("."),
        "amount": format_amount(period.amount, currency, language),
        "period": period_label(period.period_start, period.period_end, language),
        "next": format_date(period.next_attempt_on, language) if period.next_attempt_on else "",
        "seller": seller.company_name if seller is not None else "",
    }
    subject, body = _MAIL[kind][language]
    queue_email(session, ctx, key=key, invoice_id=None, recipient=customer.email,
                subject=subject.format(**values), body=body.format(**values))
