"""Subscriptions that renew (S000.6): list, show, create, cancel and resume renewal.

The renewals job, which charges the saved card and issues the renewal invoice exactly once per
period, is in ``services.renewals``; the renewal invoice and the customer's emails about a failed
renewal are in ``services.renewal_documents``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from billing_tui.domain.errors import BillingError, NotFound, ValidationFailed
from billing_tui.domain.money import round_money, to_decimal, vat_summary
from billing_tui.domain.orders import add_months
from billing_tui.integrations.stripe_gateway import StripeError, StripeGateway
from billing_tui.services import app_settings, audit, stripe_link
from billing_tui.services.context import ServiceContext
from billing_tui.storage.account_models import (
    ChargeAttempt,
    RenewalPeriod,
    StripeCustomer,
    Subscription,
)
from billing_tui.storage.columns import utc
from billing_tui.storage.document_models import Invoice
from billing_tui.storage.shop_models import Customer, Product

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

LIVE_STATES = ("active", "past_due")
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
        period_end=sub.period_end, next_renewal=sub.period_end if sub.auto_renew and state in LIVE_STATES else None,
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

def period_end_after(sub: Subscription, period_start: date) -> date:
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
        sub.period_end = period_end_after(sub, start_day)
        session.add(sub)
        session.flush()
        audit.record(session, ctx, entity="subscription", entity_id=sub.id or 0, action="create",
                     changes={"product": (None, product.sku), "period": (None, period), "price": (None, sub.price),
                              "start_date": (None, start_day)})
        sub_id = sub.id or 0
    return get_subscription(ctx, sub_id, cards=False)


def lock_subscription(session: Session, subscription_id: int) -> Subscription:
    sub = session.scalars(select(Subscription).where(col(Subscription.id) == subscription_id).with_for_update()).first()
    if sub is None:
        raise NotFound(f"There is no subscription {subscription_id}; see 'subscriptions list'")
    return sub


def current_period(session: Session, sub: Subscription, *, lock: bool = False) -> RenewalPeriod | None:
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
        sub = lock_subscription(session, wanted)
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
            period = current_period(session, sub, lock=True)
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
        sub = lock_subscription(session, wanted)
        state = _shown_state(sub, now.date())
        if sub.auto_renew and state in LIVE_STATES:
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
