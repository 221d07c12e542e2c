"""Saved cards through Stripe (S000.7): list, set the default, delete, and save the card of a cart paid by card.

The app never asks for, stores, logs or shows a card number or security code: it shows brand, last four
digits and expiry, and keeps only Stripe ids. Without ``BILLING_STRIPE_API_KEY`` every function here
raises :class:`StripeNotConnected`, saying how to connect Stripe; the rest of the app does not need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from billing_tui.domain.carts import (
    CartStatus,
    InvoiceState,
    PaymentMethod,
    PaymentState,
    parse_cart_number,
)
from billing_tui.domain.errors import BillingError, NotFound
from billing_tui.domain.money import format_money
from billing_tui.domain.orders import OrderState
from billing_tui.integrations.stripe_gateway import (
    CardInfo,
    ChargeResult,
    StripeError,
    StripeGateway,
)
from billing_tui.services import audit, stripe_link
from billing_tui.services.context import ServiceContext
from billing_tui.storage.account_models import StripeCustomer
from billing_tui.storage.shop_models import Cart, Customer, Payment

if TYPE_CHECKING:
    from sqlmodel import Session

EXPIRING_MONTHS = 1
"""A card is flagged as expiring when it expires this month or within this many months."""

CONNECT_HINT = (
    "set BILLING_STRIPE_API_KEY to the secret key (sk_live_... or sk_test_...) from the Stripe dashboard, "
    "Developers → API keys, and start billing-tui again (to test against a local server such as localstripe, "
    "also set BILLING_STRIPE_API_BASE, e.g. http://127.0.0.1:8420). Everything else works without Stripe"
)
"""How to connect Stripe, for people; the key itself is never displayed."""

DEMO_CARDS: tuple[tuple[str, ...], ...] = (
    ("pm_card_visa",),
    ("pm_card_visa",),
    ("expiring", "pm_card_visa"),
    ("pm_card_chargeCustomerFail",),
)
"""The test cards the demo gives its customers in turn (the first of each is the default): a good card,
a good card, one that expires next month plus a spare, and one that attaches but declines every charge."""


class StripeNotConnected(BillingError):
    """No Stripe key is configured; the message says how to connect Stripe."""


@dataclass(frozen=True)
class CardView:
    """A saved card as staff see it: never its number or security code."""

    id: str
    """The Stripe PaymentMethod id (``pm_...``), to set it as default or delete it."""
    brand: str
    """visa, mastercard, amex... as Stripe names it."""
    last4: str
    """The last four digits."""
    exp_month: int
    """Expiry month, 1-12."""
    exp_year: int
    """Expiry year, four digits."""
    is_default: bool
    """Whether renewals charge this card."""
    expired: bool
    """The expiry month is over."""
    expiring: bool
    """Not expired yet, but expires this month or next month."""

    @property
    def label(self) -> str:
        """``Visa •••• 4242``."""
        return f"{_brand(self.brand)} •••• {self.last4}"

    @property
    def expiry(self) -> str:
        """``12/2034``."""
        return f"{self.exp_month:02d}/{self.exp_year}"


@dataclass(frozen=True)
class CardsView:
    """A customer's saved cards on Stripe, the default first, with what staff should know about them."""

    customer_id: int
    customer_name: str
    stripe_customer_id: str | None
    """None until the customer's first card payment (or the demo) links them to a Stripe customer."""
    cards: tuple[CardView, ...]
    notice: str | None
    """Why renewals may fail: no card, no default card, the default card expired or expiring; else None."""

    @property
    def default(self) -> CardView | None:
        """The card renewals charge, if any."""
        return next((c for c in self.cards if c.is_default), None)


@dataclass(frozen=True)
class CardChange:
    """The outcome of setting a default card or deleting one: what happened, and the cards now."""

    message: str
    cards: CardsView


@dataclass(frozen=True)
class CardPaymentResult:
    """A cart recorded as paid by card through Stripe, and what happened to its card."""

    cart_number: int
    payment_id: int
    payment_intent_id: str
    amount: Decimal
    already_recorded: bool
    """The same PaymentIntent had been recorded before: nothing new was written."""
    card: CardView | None
    """The card of the payment, now saved for the customer (None when the PaymentIntent has no card)."""
    made_default: bool
    """The card became the customer's default card (they had none)."""
    message: str


# --- Stripe, connected or not ------------------------------------------------------------------

def stripe_status(ctx: ServiceContext) -> str | None:
    """None when Stripe is configured; else what is wrong and how to connect it (never showing a key)."""
    try:
        gateway = stripe_link.gateway_for(ctx)
    except BillingError as exc:
        return f"Stripe is not connected: {exc.message}"
    return None if gateway is not None else f"Stripe is not connected: {CONNECT_HINT}."


def _gateway(ctx: ServiceContext) -> StripeGateway:
    gateway = stripe_link.gateway_for(ctx)
    if gateway is None:
        raise StripeNotConnected(f"Stripe is not connected: {CONNECT_HINT}.")
    return gateway


# --- Stripe customers --------------------------------------------------------------------------

def _customer(session: Session, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"There is no customer with id {customer_id}; see 'customers list'")
    return customer


def _linked(session: Session, customer_id: int) -> str | None:
    link = session.get(StripeCustomer, customer_id)
    return link.stripe_id if link is not None else None


def _ensure(ctx: ServiceContext, gateway: StripeGateway, customer_id: int) -> str:
    with ctx.db.read() as session:
        customer = _customer(session, customer_id)
        found = _linked(session, customer_id)
    if found:
        return found
    stripe_id = gateway.create_customer(customer.email, customer.name, {"billing_customer_id": customer_id})
    try:
        with ctx.db.write() as session:
            found = _linked(session, customer_id)  # another process may have linked them meanwhile
            if found:
                return found
            session.add(StripeCustomer(customer_id=customer_id, stripe_id=stripe_id, created_at=ctx.clock.now()))
            audit.record(session, ctx, entity="customer", entity_id=customer_id, action="stripe_link",
                         changes={"stripe_customer": (None, stripe_id)})
    except IntegrityError:  # PostgreSQL: the other process committed first; theirs is the link
        with ctx.db.read() as session:
            found = _linked(session, customer_id)
        if not found:
            raise
        return found
    return stripe_id


def ensure_stripe_customer(ctx: ServiceContext, customer_id: int) -> str:
    """The customer's Stripe customer id (``cus_...``), created on Stripe and stored the first time."""
    return _ensure(ctx, _gateway(ctx), customer_id)


# --- cards ---------------------------------------------------------------------------------------

def _brand(brand: str) -> str:
    names = {"amex": "Amex", "diners": "Diners", "jcb": "JCB", "mastercard": "Mastercard", "unionpay": "UnionPay",
             "visa": "Visa", "discover": "Discover", "cartes_bancaires": "Cartes Bancaires"}
    return names.get(brand, brand.replace("_", " ").title() or "Card")


def _view(card: CardInfo, today: date) -> CardView:
    expired = card.is_expired(today)
    return CardView(id=card.id, brand=card.brand, last4=card.last4, exp_month=card.exp_month,
                    exp_year=card.exp_year, is_default=card.is_default, expired=expired,
                    expiring=not expired and card.expires_within(today, EXPIRING_MONTHS))


def _notice(cards: Sequence[CardView]) -> str | None:
    if not cards:
        return "No saved card: one is saved when the customer pays a cart by card. Renewals cannot be charged."
    default = next((c for c in cards if c.is_default), None)
    if default is None:
        return "No default card: renewals cannot be charged until one of the cards is set as default."
    if default.expired:
        return (f"The default card {default.label} expired ({default.expiry}): renewals will fail until "
                "another card is set as default or the customer saves a new one.")
    if default.expiring:
        return (f"The default card {default.label} expires at the end of {default.expiry}: ask the customer "
                "for a new card before then.")
    return None


def _cards_view(ctx: ServiceContext, customer: Customer, stripe_id: str | None, infos: Sequence[CardInfo]) -> CardsView:
    today = ctx.clock.now().date()
    cards = sorted((_view(c, today) for c in infos),
                   key=lambda c: (not c.is_default, -(c.exp_year * 12 + c.exp_month), c.brand, c.last4, c.id))
    return CardsView(customer_id=customer.id or 0, customer_name=customer.name, stripe_customer_id=stripe_id,
                     cards=tuple(cards), notice=_notice(cards))


def _load(ctx: ServiceContext, gateway: StripeGateway, customer_id: int) -> CardsView:
    with ctx.db.read() as session:
        customer = _customer(session, customer_id)
        stripe_id = _linked(session, customer_id)
    infos = gateway.list_cards(stripe_id) if stripe_id else ()
    return _cards_view(ctx, customer, stripe_id, infos)


def list_cards(ctx: ServiceContext, customer_id: int) -> CardsView:
    """The customer's saved cards (none before their first card payment: viewing never creates anything)."""
    return _load(ctx, _gateway(ctx), customer_id)


def _find(view: CardsView, card: str) -> CardView:
    """A card of the customer by its id, or by its last four digits when only one card has them."""
    ref = card.strip()
    found = [c for c in view.cards if c.id == ref] or [c for c in view.cards if c.last4 == ref]
    if len(found) == 1:
        return found[0]
    where = f"'cards list --customer {view.customer_id}'"
    if found:
        raise BillingError(f"{len(found)} cards of {view.customer_name} end in {ref}: name the card by its id "
                           f"(pm_...), see {where}")
    raise NotFound(f"{view.customer_name} (customer {view.customer_id}) has no saved card {ref!r}; see {where}")


def set_default_card(ctx: ServiceContext, customer_id: int, card_id: str) -> CardChange:
    """Make one of the customer's saved cards the one renewals charge (by its id or its last four digits)."""
    gateway = _gateway(ctx)
    view = _load(ctx, gateway, customer_id)
    card = _find(view, card_id)
    before = view.default
    if card.is_default:
        return CardChange(f"{card.label} is already the default card of {view.customer_name}.", view)
    gateway.set_default_card(view.stripe_customer_id or "", card.id)
    with ctx.db.write() as session:
        audit.record(session, ctx, entity="customer", entity_id=customer_id, action="card_default",
                     changes={"default_card": (before.label if before else None, card.label)})
    after = _load(ctx, gateway, customer_id)
    warning = " It has expired: renewals will fail." if card.expired else (
        " It expires soon: ask the customer for a new card." if card.expiring else "")
    return CardChange(f"{card.label} is now the default card of {view.customer_name}.{warning}", after)


def delete_card(ctx: ServiceContext, customer_id: int, card_id: str) -> CardChange:
    """Delete (detach) one of the customer's saved cards on Stripe; deleting the default leaves none."""
    gateway = _gateway(ctx)
    view = _load(ctx, gateway, customer_id)
    card = _find(view, card_id)
    gateway.detach_card(card.id, view.stripe_customer_id)
    with ctx.db.write() as session:
        audit.record(session, ctx, entity="customer", entity_id=customer_id, action="card_delete",
                     changes={"saved_card": (f"{card.label} {card.expiry}", None)})
    after = _load(ctx, gateway, customer_id)
    message = f"{card.label} was deleted from {view.customer_name}'s saved cards."
    if card.is_default:
        message += (" It was the default card: the customer has no default card now, so renewals cannot be "
                    "charged until another card is set as default.")
    return CardChange(message, after)


# --- a cart paid by card ------------------------------------------------------------------------

def _record_payment(ctx: ServiceContext, cart_number: int, payment_intent_id: str,
                    charged: ChargeResult) -> tuple[int, int, Decimal, bool]:
    """Write the credited card payment and mark the cart paid: (customer id, payment id, amount, already)."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        cart = session.scalars(select(Cart).where(col(Cart.number) == cart_number).with_for_update()).first()
        if cart is None:
            raise NotFound(f"There is no cart {cart_number}; see 'carts list'")
        same = session.scalars(select(Payment).where(col(Payment.reference) == payment_intent_id)).all()
        other = next((p for p in same if p.cart_id != cart.id), None)
        if other is not None:
            other_number = session.get(Cart, other.cart_id).number  # type: ignore[union-attr]
            raise BillingError(f"The payment {payment_intent_id} is already recorded for cart {other_number}, "
                               f"not {cart_number}: check the PaymentIntent id in the Stripe dashboard")
        mine = next((p for p in same if p.state == PaymentState.PAID.value), None)
        if mine is not None:
            return cart.customer_id, mine.id or 0, mine.amount, True
        if cart.payment_state == PaymentState.PAID.value:
            raise BillingError(f"Cart {cart_number} is already paid; see 'carts show {cart_number}'")
        if cart.payment_state == PaymentState.REFUNDED.value or cart.order_state == OrderState.CANCELLED.value:
            raise BillingError(f"Cart {cart_number} is cancelled or refunded: a payment cannot be recorded on it")
        if cart.total <= 0:
            raise BillingError(f"Cart {cart_number} has nothing to pay (total {format_money(cart.total)})")
        if charged.status != "succeeded":
            raise BillingError(f"The payment {payment_intent_id} has not succeeded on Stripe ({charged.status}"
                               f"{': ' + charged.message if charged.message else ''}); nothing was recorded")
        expected = int(cart.total * 100)
        if charged.amount_cents != expected or (charged.currency or "").lower() != cart.currency.lower():
            paid = (f"{Decimal(charged.amount_cents or 0) / 100:.2f} {(charged.currency or '?').upper()}")
            raise BillingError(f"The payment {payment_intent_id} is for {paid}, but cart {cart_number} totals "
                               f"{format_money(cart.total, cart.currency)}: check the PaymentIntent id; nothing was "
                               "recorded")
        payment = Payment(cart_id=cart.id or 0, method=PaymentMethod.CARD.value, amount=cart.total,
                          state=PaymentState.PAID.value, created_at=now, credited_at=now, reference=payment_intent_id)
        session.add(payment)
        before = {"status": cart.status, "payment_method": cart.payment_method, "payment_state": cart.payment_state,
                  "order_state": cart.order_state, "invoice_state": cart.invoice_state}
        cart.status = CartStatus.CONFIRMED.value
        cart.payment_method = PaymentMethod.CARD.value
        cart.payment_state = PaymentState.PAID.value
        cart.paid_at = now
        if cart.order_state == OrderState.NONE.value:
            cart.order_state = OrderState.DRAFT.value
        if cart.invoice_state == InvoiceState.NOT_DUE.value:
            cart.invoice_state = InvoiceState.TO_INVOICE.value
        session.add(cart)
        session.flush()
        changes: dict[str, tuple[object, object]] = {k: (v, getattr(cart, k)) for k, v in before.items()
                                                     if v != getattr(cart, k)}
        changes["payment"] = (None, f"card {format_money(cart.total, cart.currency)} {payment_intent_id}")
        audit.record(session, ctx, entity="cart", entity_id=cart.id or 0, action="payment_card", changes=changes)
        return cart.customer_id, payment.id or 0, cart.total, False


def record_card_payment(ctx: ServiceContext, cart_number: int | str, payment_intent_id: str) -> CardPaymentResult:
    """Record a cart as paid by card through Stripe (the PaymentIntent as reference, credited), then save its card.

    The card becomes the customer's default if they have none (S000.7). The payment is written first;
    the Stripe side (the customer looked up or created, the card attached, made default) follows. If that
    fails the payment stays recorded and the error says so: recording the same PaymentIntent again
    finishes saving the card and writes nothing twice.
    """
    gateway = _gateway(ctx)
    number = parse_cart_number(cart_number)
    if number is None:
        raise NotFound(f"{cart_number!r} is not a cart number; cart numbers are digits, e.g. 100042")
    pi = payment_intent_id.strip()
    if not pi.startswith("pi_"):
        raise BillingError(f"{payment_intent_id!r} is not a Stripe PaymentIntent id (pi_...): copy it from the "
                           "payment in the Stripe dashboard")
    charged, method = gateway.payment_intent(pi)  # read first: a mistyped id writes nothing
    customer_id, payment_id, amount, already = _record_payment(ctx, number, pi, charged)
    paid = f"Cart {number} is {'already ' if already else ''}recorded as paid by card ({format_money(amount)})."
    if method is None:
        return CardPaymentResult(number, payment_id, pi, amount, already, None, False,
                                 f"{paid} The payment has no card on Stripe, so no card was saved.")
    try:
        stripe_id = _ensure(ctx, gateway, customer_id)
        info = gateway.attach_card(stripe_id, method)
        made_default = gateway.default_card(stripe_id) is None
        if made_default:
            gateway.set_default_card(stripe_id, method)
    except BillingError as exc:
        raise BillingError(f"{paid} Its card was not saved: {exc.message}. Record the same payment again to "
                           "save the card; the payment will not be recorded twice") from None
    card = _view(CardInfo(info.id, info.brand, info.last4, info.exp_month, info.exp_year, made_default or info.is_default),
                 ctx.clock.now().date())
    if made_default:
        with ctx.db.write() as session:
            audit.record(session, ctx, entity="customer", entity_id=customer_id, action="card_default",
                         changes={"default_card": (None, card.label)})
        saved = f"The card {card.label} is saved and is now the customer's default card."
    else:
        saved = f"The card {card.label} is saved{'; it is the default card' if card.is_default else ''}."
    return CardPaymentResult(number, payment_id, pi, amount, already, card, made_default, f"{paid} {saved}")


# --- the demo on Stripe --------------------------------------------------------------------------

def _demo_card(gateway: StripeGateway, stripe_id: str, kind: str, today: date) -> CardInfo:
    if kind == "expiring":  # a Visa that expires next month; a server that refuses raw test numbers gets a plain one
        month = today.month % 12 + 1
        year = today.year + (1 if today.month == 12 else 0)
        try:
            return gateway.attach_card(stripe_id, gateway.create_test_card("4242424242424242", month, year))
        except StripeError:
            kind = "pm_card_visa"
    return gateway.attach_test_card(stripe_id, kind)


def setup_demo_stripe(ctx: ServiceContext, customer_ids: Sequence[int]) -> str:
    """Create the demo customers on Stripe with test cards (test keys only); says what was done.

    Without a key it does nothing and says so; with a live key it refuses (StripeError). Customers that
    already have cards on Stripe are left as they are, so running the demo again adds nothing.
    """
    if stripe_status(ctx) is not None:
        return ("Stripe is not connected, so the demo customers were not created on Stripe "
                "(set BILLING_STRIPE_API_KEY to a test key, sk_test_..., to try renewals end to end).")
    gateway = _gateway(ctx)
    if not gateway.is_test:
        raise StripeError("Refusing to create the demo customers on Stripe with a live key: set "
                          "BILLING_STRIPE_API_KEY to a test key (sk_test_...) from the Stripe dashboard")
    today = ctx.clock.now().date()
    made = cards = declining = 0
    for n, customer_id in enumerate(customer_ids):
        stripe_id = _ensure(ctx, gateway, customer_id)
        if gateway.list_cards(stripe_id):
            continue
        made += 1
        for i, kind in enumerate(DEMO_CARDS[n % len(DEMO_CARDS)]):
            card = _demo_card(gateway, stripe_id, kind, today)
            cards += 1
            declining += kind == "pm_card_chargeCustomerFail"
            if i == 0:
                gateway.set_default_card(stripe_id, card.id)
    kept = len(customer_ids) - made
    return (f"Stripe (test mode, {gateway.where}): {made} demo customers got {cards} test cards "
            f"({declining} decline every charge)" + (f"; {kept} already had cards." if kept else "."))
