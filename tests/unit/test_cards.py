"""Saved cards through Stripe (S000.7) against localstripe, on every backend: list, default, delete, card payments."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
from sqlalchemy import select

from billing_tui.config import Settings
from billing_tui.domain.errors import BillingError, NotFound
from billing_tui.domain.money import format_money
from billing_tui.integrations.stripe_gateway import StripeError
from billing_tui.services import cards, customers
from billing_tui.services.cards import StripeNotConnected
from billing_tui.services.context import stripe_from_settings
from billing_tui.storage.account_models import StripeCustomer
from billing_tui.storage.shop_models import Cart, Payment
from billing_tui.storage.system_models import AuditEntry
from tests.conftest import FIXED_NOW
from tests.stripe_server import DECLINES_ON_CHARGE, VISA, StripeTestServer

PERSON = {
    "customer_type": "person", "name": "Mario Rossi", "fiscal_code": "RSSMRA85T10A562S",
    "email": "mario.rossi@mail.example", "address": "Via Garibaldi 3", "city": "Roma", "country": "IT",
    "language": "it", "pec": "mario.rossi@pec.example",
}


@pytest.fixture
def ctx(ctx, backend: str, stripe_server: StripeTestServer):  # type: ignore[no-untyped-def]
    """The shared test context, its services talking to localstripe."""
    return dataclasses.replace(ctx, stripe=lambda _ctx: stripe_server.gateway())


@pytest.fixture
def stripe(stripe_server: StripeTestServer) -> StripeTestServer:
    """The localstripe the services of ``ctx`` talk to."""
    return stripe_server


def _configured(ctx, **settings: str):  # type: ignore[no-untyped-def]
    """``ctx`` with Stripe as these settings (``BILLING_STRIPE_*``) configure it, the way a process starts."""
    return dataclasses.replace(ctx, settings=Settings(**settings), stripe=stripe_from_settings)


def _customer(ctx, name: str = "Mario Rossi") -> int:  # type: ignore[no-untyped-def]
    return customers.create_customer(ctx, {**PERSON, "name": name}).id


def _cart(ctx, customer_id: int, number: int = 100500, total: str = "122.00", **state: str) -> int:  # type: ignore[no-untyped-def]
    values = {"status": "open", "payment_method": "card", "payment_state": "unpaid", "order_state": "none",
              "invoice_state": "not_due", **state}
    with ctx.db.write() as session:
        session.add(Cart(number=number, created_at=FIXED_NOW, customer_id=customer_id, net=Decimal("100.00"),
                         vat=Decimal(total) - Decimal("100.00"), total=Decimal(total), **values))
    return number


def _card_on(stripe: StripeTestServer, ctx, customer_id: int, number: str = VISA, month: int = 12,  # type: ignore[no-untyped-def]
             year: int = 2034, *, default: bool = False) -> str:
    gateway = stripe.gateway()
    stripe_id = cards.ensure_stripe_customer(ctx, customer_id)
    card = gateway.attach_card(stripe_id, gateway.create_test_card(number, month, year))
    if default:
        gateway.set_default_card(stripe_id, card.id)
    return card.id


def _checkout(stripe: StripeTestServer, amount_cents: int, *, number: str = VISA, year: int = 2031) -> str:
    """A card payment made in the web shop's checkout: a confirmed PaymentIntent; its id."""
    import stripe as stripe_lib

    client = stripe_lib.StripeClient(stripe.api_key, base_addresses={"api": stripe.url})
    method = stripe.gateway().create_test_card(number, 3, year)
    intent = client.v1.payment_intents.create(params={
        "amount": amount_cents, "currency": "eur", "payment_method": method, "confirm": True,
        "payment_method_types": ["card"]})
    assert intent.status == "succeeded"
    return str(intent.id)


def _audit(ctx, entity: str, entity_id: int) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        rows = session.execute(select(AuditEntry.action, AuditEntry.changes).where(
            AuditEntry.entity == entity, AuditEntry.entity_id == entity_id).order_by(AuditEntry.id)).all()
    return [(action, json.loads(changes)) for action, changes in rows]


def test_a_customer_without_a_stripe_customer_has_no_cards_and_viewing_creates_none(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    customer_id = _customer(ctx)

    view = cards.list_cards(ctx, customer_id)

    assert (view.customer_name, view.stripe_customer_id, view.cards) == ("Mario Rossi", None, ())
    assert view.notice is not None and "No saved card" in view.notice
    with ctx.db.read() as session:
        assert session.get(StripeCustomer, customer_id) is None


def test_the_stripe_customer_is_created_once_and_stored(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    customer_id = _customer(ctx)

    first = cards.ensure_stripe_customer(ctx, customer_id)
    again = cards.ensure_stripe_customer(ctx, customer_id)

    assert first.startswith("cus_") and again == first
    with ctx.db.read() as session:
        assert session.get(StripeCustomer, customer_id).stripe_id == first  # type: ignore[union-attr]
    assert [a for a, _ in _audit(ctx, "customer", customer_id)] == ["create", "stripe_link"]
    with pytest.raises(NotFound, match="no customer with id 999"):
        cards.ensure_stripe_customer(ctx, 999)


def test_list_shows_brand_last4_expiry_and_the_default_first_flagging_an_expiring_default(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    customer_id = _customer(ctx)
    _card_on(stripe, ctx, customer_id, VISA, 8, 2029)
    _card_on(stripe, ctx, customer_id, DECLINES_ON_CHARGE, 12, 2026, default=True)  # the clock is 2026-11-23
    _card_on(stripe, ctx, customer_id, VISA, 10, 2026)  # expired last month

    view = cards.list_cards(ctx, customer_id)

    assert [(c.label, c.expiry, c.is_default, c.expired, c.expiring) for c in view.cards] == [
        ("Visa •••• 0341", "12/2026", True, False, True),
        ("Visa •••• 4242", "08/2029", False, False, False),
        ("Visa •••• 4242", "10/2026", False, True, False),
    ]
    assert view.default == view.cards[0]
    assert view.notice == ("The default card Visa •••• 0341 expires at the end of 12/2026: ask the customer for a "
                           "new card before then.")
    shown = repr(view) + repr(cards.CardsView)
    assert VISA not in shown and DECLINES_ON_CHARGE not in shown


def test_set_default_makes_another_card_the_default_and_audits_it(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    customer_id = _customer(ctx)
    first = _card_on(stripe, ctx, customer_id, VISA, 10, 2026, default=True)
    second = _card_on(stripe, ctx, customer_id, DECLINES_ON_CHARGE, 5, 2030)
    assert cards.list_cards(ctx, customer_id).notice.startswith("The default card Visa •••• 4242 expired (10/2026)")  # type: ignore[union-attr]

    change = cards.set_default_card(ctx, customer_id, second)

    assert change.message == "Visa •••• 0341 is now the default card of Mario Rossi."
    assert [(c.id, c.is_default) for c in change.cards.cards] == [(second, True), (first, False)]
    assert change.cards.notice is None
    assert cards.list_cards(ctx, customer_id) == change.cards
    assert stripe.gateway().default_card(change.cards.stripe_customer_id) == second  # type: ignore[arg-type]
    assert _audit(ctx, "customer", customer_id)[-1] == (
        "card_default", {"default_card": ["Visa •••• 4242", "Visa •••• 0341"]})
    # By the last four digits too, and setting the default again changes nothing.
    again = cards.set_default_card(ctx, customer_id, "0341")
    assert again.message == "Visa •••• 0341 is already the default card of Mario Rossi."
    assert len(_audit(ctx, "customer", customer_id)) == 3


def test_delete_a_card_detaches_it_and_deleting_the_default_leaves_none(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    customer_id = _customer(ctx)
    default = _card_on(stripe, ctx, customer_id, VISA, 12, 2034, default=True)
    spare = _card_on(stripe, ctx, customer_id, DECLINES_ON_CHARGE, 6, 2031)

    change = cards.delete_card(ctx, customer_id, spare)

    assert change.message == "Visa •••• 0341 was deleted from Mario Rossi's saved cards."
    assert [c.id for c in change.cards.cards] == [default]
    assert _audit(ctx, "customer", customer_id)[-1] == ("card_delete", {"saved_card": ["Visa •••• 0341 06/2031", None]})

    last = cards.delete_card(ctx, customer_id, default)

    assert "It was the default card: the customer has no default card now" in last.message
    assert last.cards.cards == () and last.cards.notice is not None
    assert stripe.gateway().list_cards(last.cards.stripe_customer_id) == ()  # type: ignore[arg-type]


def test_a_card_that_is_not_the_customers_is_neither_made_default_nor_deleted(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    mario, ioana = _customer(ctx), _customer(ctx, "Ioana Popescu")
    marios = _card_on(stripe, ctx, mario, default=True)
    _card_on(stripe, ctx, ioana, VISA, 1, 2030)
    _card_on(stripe, ctx, ioana, VISA, 2, 2031)

    with pytest.raises(NotFound, match=r"Ioana Popescu \(customer \d+\) has no saved card 'pm_"):
        cards.delete_card(ctx, ioana, marios)
    with pytest.raises(NotFound, match="has no saved card"):
        cards.set_default_card(ctx, ioana, marios)
    with pytest.raises(BillingError, match="2 cards of Ioana Popescu end in 4242: name the card by its id"):
        cards.delete_card(ctx, ioana, "4242")
    assert [c.id for c in cards.list_cards(ctx, mario).cards] == [marios]


def test_a_card_paid_cart_is_recorded_and_its_card_becomes_the_default_when_there_is_none(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    customer_id = _customer(ctx)
    number = _cart(ctx, customer_id, total="122.00")
    pi = _checkout(stripe, 12200)

    result = cards.record_card_payment(ctx, number, pi)

    assert (result.cart_number, result.payment_intent_id, result.amount, result.already_recorded) == (
        number, pi, Decimal("122.00"), False)
    assert result.made_default and result.card is not None
    assert (result.card.label, result.card.expiry, result.card.is_default) == ("Visa •••• 4242", "03/2031", True)
    assert result.message == (f"Cart 100500 is recorded as paid by card ({format_money(Decimal('122'))}). The card "
                              "Visa •••• 4242 is saved and is now the customer's default card.")
    with ctx.db.read() as session:
        cart = session.scalars(select(Cart).where(Cart.number == number)).one()
        (payment,) = session.scalars(select(Payment).where(Payment.cart_id == cart.id)).all()
    assert (cart.status, cart.payment_state, cart.order_state, cart.invoice_state) == (
        "confirmed", "paid", "draft", "to_invoice")
    assert cart.paid_at is not None
    assert (payment.method, payment.state, payment.amount, payment.reference) == ("card", "paid", Decimal("122.00"), pi)
    assert payment.credited_at is not None
    view = cards.list_cards(ctx, customer_id)
    assert [(c.last4, c.is_default) for c in view.cards] == [("4242", True)] and view.notice is None
    assert _audit(ctx, "cart", cart.id)[0][0] == "payment_card"

    # Recording it again writes nothing twice (it finishes saving the card if that had failed).
    again = cards.record_card_payment(ctx, f"#{number}", pi)
    assert again.already_recorded and again.payment_id == result.payment_id and not again.made_default
    with ctx.db.read() as session:
        assert len(session.scalars(select(Payment).where(Payment.reference == pi)).all()) == 1


def test_a_card_paid_cart_keeps_the_existing_default_card(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    customer_id = _customer(ctx)
    existing = _card_on(stripe, ctx, customer_id, DECLINES_ON_CHARGE, 9, 2032, default=True)
    number = _cart(ctx, customer_id, total="50.00", status="confirmed", payment_state="pending",
                   order_state="draft")

    result = cards.record_card_payment(ctx, number, _checkout(stripe, 5000))

    assert not result.made_default
    assert result.message.endswith("The card Visa •••• 4242 is saved.")
    view = cards.list_cards(ctx, customer_id)
    assert [(c.last4, c.is_default) for c in view.cards] == [("0341", True), ("4242", False)]
    assert view.default is not None and view.default.id == existing


def test_a_card_payment_is_refused_on_a_paid_cart_a_wrong_id_or_another_carts_payment(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    customer_id = _customer(ctx)
    first = _cart(ctx, customer_id, 100601)
    second = _cart(ctx, customer_id, 100602)
    paid = _cart(ctx, customer_id, 100603, status="confirmed", payment_state="paid", invoice_state="to_invoice")
    pi = _checkout(stripe, 12200)
    cards.record_card_payment(ctx, first, pi)

    with pytest.raises(BillingError, match=f"{pi} is already recorded for cart 100601, not 100602"):
        cards.record_card_payment(ctx, second, pi)
    with pytest.raises(BillingError, match="Cart 100603 is already paid"):
        cards.record_card_payment(ctx, paid, _checkout(stripe, 12200))
    with pytest.raises(BillingError, match="not a Stripe PaymentIntent id"):
        cards.record_card_payment(ctx, second, "4242424242424242")
    with pytest.raises(StripeError, match="does not exist on this Stripe account"):
        cards.record_card_payment(ctx, second, "pi_doesnotexist")
    with pytest.raises(NotFound, match="There is no cart 999999"):
        cards.record_card_payment(ctx, 999999, pi)
    with ctx.db.read() as session:
        assert [c.payment_state for c in session.scalars(select(Cart).order_by(Cart.number))] == ["paid", "unpaid", "paid"]


def test_without_a_key_every_function_says_how_to_connect_stripe(ctx) -> None:  # type: ignore[no-untyped-def]
    ctx = _configured(ctx)
    customer_id = _customer(ctx)
    number = _cart(ctx, customer_id)

    status = cards.stripe_status(ctx)

    assert status is not None and status.startswith("Stripe is not connected: set BILLING_STRIPE_API_KEY")
    assert "BILLING_STRIPE_API_BASE" in status
    for call in (lambda: cards.list_cards(ctx, customer_id), lambda: cards.ensure_stripe_customer(ctx, customer_id),
                 lambda: cards.set_default_card(ctx, customer_id, "pm_x"),
                 lambda: cards.delete_card(ctx, customer_id, "pm_x"),
                 lambda: cards.record_card_payment(ctx, number, "pi_x")):
        with pytest.raises(StripeNotConnected, match="^Stripe is not connected: set BILLING_STRIPE_API_KEY"):
            call()
    assert "not connected" in cards.setup_demo_stripe(ctx, [customer_id])
    with ctx.db.read() as session:
        assert session.scalars(select(Cart)).one().payment_state == "unpaid"


def test_a_configured_key_connects_and_a_publishable_key_is_explained(ctx, stripe_server) -> None:  # type: ignore[no-untyped-def]
    configured = _configured(ctx, stripe_api_key=stripe_server.api_key, stripe_api_base=stripe_server.url)
    assert cards.stripe_status(configured) is None
    assert cards.list_cards(configured, _customer(ctx)).cards == ()

    status = cards.stripe_status(_configured(ctx, stripe_api_key="pk_test_publishable"))
    assert status is not None and "publishable key" in status and "pk_test_publishable" not in status


def test_the_demo_creates_customers_with_test_cards_once_and_refuses_a_live_key(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    ids = [_customer(ctx, f"Cliente {n}") for n in range(5)]

    said = cards.setup_demo_stripe(ctx, ids)

    assert said.startswith(f"Stripe (test mode, {stripe.url}): 5 demo customers got 6 test cards (1 decline")
    views = [cards.list_cards(ctx, i) for i in ids]
    assert [len(v.cards) for v in views] == [1, 1, 2, 1, 1]
    assert all(v.default is not None for v in views)
    assert views[2].default.expiring  # type: ignore[union-attr]
    assert views[3].default.last4 == "0341"  # type: ignore[union-attr]
    assert cards.setup_demo_stripe(ctx, ids).endswith("0 demo customers got 0 test cards (0 decline every charge); "
                                                      "5 already had cards.")

    live = dataclasses.replace(ctx, stripe=lambda _ctx: stripe.gateway("sk_live_not_for_demos"))
    with pytest.raises(StripeError, match="Refusing to create the demo customers on Stripe with a live key"):
        cards.setup_demo_stripe(live, ids)


@pytest.mark.slow  # runs the installed billing-tui in separate processes
def test_the_cards_commands_list_set_default_delete_and_record_a_payment(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    from tests.cli.test_cli import assert_one_line_error, run

    customer_id = _customer(ctx)
    number = _cart(ctx, customer_id)
    pi = _checkout(stripe, 12200)
    env = {"BILLING_STRIPE_API_KEY": stripe.api_key, "BILLING_STRIPE_API_BASE": stripe.url}
    db = ["--db", ctx.db.url]

    paid = run("cards", "record-payment", "--cart", str(number), pi, *db, env=env)
    assert paid.code == 0, paid.err
    assert paid.out.startswith("Cart 100500 is recorded as paid by card") and "default card" in paid.out
    _card_on(stripe, ctx, customer_id, DECLINES_ON_CHARGE, 10, 2026)

    listed = run("cards", "list", "--customer", str(customer_id), *db, "--json", env=env).json()
    assert [(c["last4"], c["exp_month"], c["exp_year"], c["is_default"], c["expired"]) for c in listed["cards"]] == [
        ("4242", 3, 2031, True, False), ("0341", 10, 2026, False, True)]
    text = run("cards", "list", "--customer", str(customer_id), *db, env=env)
    assert "Mario Rossi (customer 1)" in text.out and "expired" in text.out and VISA not in text.out

    made = run("cards", "set-default", "--customer", str(customer_id), "0341", *db, env=env)
    assert made.code == 0 and made.out.startswith("Visa •••• 0341 is now the default card of Mario Rossi. It has expired")
    gone = run("cards", "delete", "--customer", str(customer_id), "0341", *db, "--json", env=env).json()
    assert "It was the default card" in gone["message"] and [c["last4"] for c in gone["cards"]["cards"]] == ["4242"]

    assert_one_line_error(run("cards", "list", "--customer", str(customer_id), *db,
                              env={"BILLING_STRIPE_API_KEY": ""}), "Stripe is not connected", "BILLING_STRIPE_API_KEY")


def test_a_payment_that_did_not_succeed_or_is_for_another_amount_is_refused_and_nothing_is_recorded(ctx, stripe) -> None:  # type: ignore[no-untyped-def]
    import stripe as stripe_lib

    customer_id = _customer(ctx)
    number = _cart(ctx, customer_id, total="122.00")
    client = stripe_lib.StripeClient(stripe.api_key, base_addresses={"api": stripe.url})
    unconfirmed = client.v1.payment_intents.create(params={"amount": 12200, "currency": "eur",
                                                           "payment_method_types": ["card"]})

    with pytest.raises(BillingError, match=f"{unconfirmed.id} has not succeeded on Stripe"):
        cards.record_card_payment(ctx, number, str(unconfirmed.id))
    with pytest.raises(BillingError, match=r"is for 99\.00 EUR, but cart 100500 totals"):
        cards.record_card_payment(ctx, number, _checkout(stripe, 9900))

    with ctx.db.read() as session:
        cart = session.scalars(select(Cart).where(Cart.number == number)).one()
        assert cart.payment_state == "unpaid"
        assert not session.scalars(select(Payment).where(Payment.cart_id == cart.id)).all()
    assert cards.list_cards(ctx, customer_id).cards == ()
