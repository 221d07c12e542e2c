"""The customer account screens at 80x24, pushed directly: Payment method (S000.7) and Subscriptions (S000.6)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from textual.widgets import DataTable, Static

from billing_tui.screens.confirm import ConfirmScreen
from billing_tui.screens.payment_method import PaymentMethodScreen
from billing_tui.screens.subscriptions import (
    SubscriptionDetailScreen,
    SubscriptionsScreen,
)
from billing_tui.services import cards, customers, renewals, subscriptions
from tests.stripe_server import DECLINES_ON_CHARGE, VISA, StripeTestServer
from tests.ui.conftest import settle

MARIO = {
    "customer_type": "person", "name": "Mario Rossi", "fiscal_code": "RSSMRA85T10A562S",
    "email": "mario.rossi@mail.example", "address": "Via Garibaldi 3", "city": "Roma", "country": "IT",
    "language": "it", "pec": "mario.rossi@pec.example",
}
ROSSI = {
    "customer_type": "company", "name": "Rossi Arredamenti S.r.l.", "vat_number": "00743110157",
    "sdi_code": "ABC1234", "email": "fatture@rossi.example", "address": "Via Roma 1", "city": "Torino",
    "country": "IT", "language": "it",
}


@pytest.fixture
def account_ctx(make_db_url, clock, stripe_server: StripeTestServer) -> Iterator:  # type: ignore[no-untyped-def]
    """A small database of our own (the demo changes often): Mario Rossi, customer 1; Stripe is localstripe."""
    from billing_tui.services.context import open_context

    ctx = open_context(make_db_url("sqlite", "account"), clock=clock, actor="tester",
                       stripe=lambda _ctx: stripe_server.gateway())
    customers.create_customer(ctx, MARIO)
    yield ctx
    ctx.db.dispose()


def _app_on(ctx):  # type: ignore[no-untyped-def]
    from billing_tui.app import build_app

    return build_app(ctx, database_label="sqlite:account.sqlite3")


@pytest.fixture
def account_app(account_ctx):  # type: ignore[no-untyped-def]
    return _app_on(account_ctx)


@pytest.fixture
def stripe(stripe_server: StripeTestServer) -> StripeTestServer:
    """The localstripe ``account_ctx`` talks to."""
    return stripe_server


@pytest.fixture
def mario_cards(account_ctx, stripe) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Mario's three cards (the clock is 2026-11-23): the default expires next month, one expired."""
    gateway = stripe.gateway()
    stripe_id = cards.ensure_stripe_customer(account_ctx, 1)
    made = {}
    for name, number, month, year in (("spare", VISA, 8, 2029), ("default", DECLINES_ON_CHARGE, 12, 2026),
                                      ("expired", VISA, 10, 2026)):
        made[name] = gateway.attach_card(stripe_id, gateway.create_test_card(number, month, year)).id
    gateway.set_default_card(stripe_id, made["default"])
    return made


def _rows(screen) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    table = screen.query_one("#cards-table", DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


def _text(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one(selector, Static).render())


async def _asked(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for the confirmation (the worker asking waits for the answer, so settle() would wait forever)."""
    for _ in range(200):
        await pilot.pause()
        if isinstance(pilot.app.screen, ConfirmScreen):
            await pilot.pause()
            return
    raise AssertionError("no confirmation was asked")


async def _open_cards(app, pilot) -> PaymentMethodScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    screen = PaymentMethodScreen(1)
    await app.push_screen(screen)
    await settle(pilot)
    assert app.screen is screen
    return screen


async def test_the_saved_cards_show_brand_last4_expiry_and_the_default_first_never_an_id(  # type: ignore[no-untyped-def]
        account_app, mario_cards) -> None:
    async with account_app.run_test(size=(80, 24)) as pilot:
        screen = await _open_cards(account_app, pilot)

        assert _rows(screen) == [
            ("Visa •••• 0341", "12/2026", "default", "expires soon"),
            ("Visa •••• 4242", "08/2029", "", ""),
            ("Visa •••• 4242", "10/2026", "", "expired"),
        ]
        assert "Mario Rossi" in _text(screen, "#cards-title")
        assert "The default card Visa •••• 0341 expires at the end of 12/2026" in _text(screen, "#cards-notice")
        assert _text(screen, "#cards-status") == "3 saved cards · d: set as default · x: delete · r: refresh"
        shown = "".join(str(s.render()) for s in screen.query(Static)) + str(_rows(screen))
        assert "pm_" not in shown and "cus_" not in shown and VISA not in shown


async def test_d_sets_the_selected_card_as_default_without_asking(account_app, account_ctx, mario_cards) -> None:  # type: ignore[no-untyped-def]
    async with account_app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_cards(account_app, pilot)
        await pilot.press("down", "d")
        await settle(pilot)

        assert not isinstance(account_app.screen, ConfirmScreen)
        assert _rows(screen)[0] == ("Visa •••• 4242", "08/2029", "default", "")
        assert screen.selected_card() is not None and screen.selected_card().id == mario_cards["spare"]  # type: ignore[union-attr]
        assert not screen.query_one("#cards-notice").display  # a good default: nothing to flag
        assert cards.list_cards(account_ctx, 1).default.id == mario_cards["spare"]  # type: ignore[union-attr]
        assert "Visa •••• 4242 is now the default card of Mario Rossi." in [n.message for n in account_app._notifications]


async def test_x_deletes_a_card_only_after_yes(account_app, account_ctx, mario_cards) -> None:  # type: ignore[no-untyped-def]
    async with account_app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_cards(account_app, pilot)
        await pilot.press("down", "down", "x")
        await _asked(pilot)
        assert isinstance(account_app.screen, ConfirmScreen)
        assert "Delete the card Visa •••• 4242 (expires 10/2026) of Mario Rossi?" in account_app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert account_app.screen is screen and len(_rows(screen)) == 3

        await pilot.press("x", "y")
        await settle(pilot)

        assert account_app.screen is screen
        assert [r[:2] for r in _rows(screen)] == [("Visa •••• 0341", "12/2026"), ("Visa •••• 4242", "08/2029")]
        assert mario_cards["expired"] not in [c.id for c in cards.list_cards(account_ctx, 1).cards]


async def test_deleting_the_default_card_warns_first_and_leaves_no_default(account_app, account_ctx, mario_cards) -> None:  # type: ignore[no-untyped-def]
    async with account_app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_cards(account_app, pilot)
        await pilot.press("x")
        await _asked(pilot)
        assert "This is the default card: renewals cannot be charged" in account_app.screen.question
        await pilot.press("y")
        await settle(pilot)

        assert [r[2] for r in _rows(screen)] == ["", ""]
        assert "No default card" in _text(screen, "#cards-notice")
        assert any("the customer has no default card now" in n.message for n in account_app._notifications)
        assert cards.list_cards(account_ctx, 1).default is None


async def test_without_stripe_the_screen_explains_how_to_connect_it(account_ctx) -> None:  # type: ignore[no-untyped-def]
    account_app = _app_on(dataclasses.replace(account_ctx, stripe=lambda _ctx: None))
    async with account_app.run_test(size=(80, 24)) as pilot:
        screen = await _open_cards(account_app, pilot)

        notice = _text(screen, "#cards-notice")
        assert "Stripe is not connected: set BILLING_STRIPE_API_KEY" in notice
        assert "BILLING_STRIPE_API_BASE" in notice and "Mario Rossi" in _text(screen, "#cards-title")
        assert not screen.query_one("#cards-table").display
        assert screen.check_action("set_default", ()) is None and screen.check_action("delete_card", ()) is None
        await pilot.press("x", "d")
        await settle(pilot)
        assert account_app.screen is screen


async def test_a_stripe_that_cannot_be_reached_is_reported_and_r_tries_again(  # type: ignore[no-untyped-def]
        account_ctx, stripe, mario_cards) -> None:
    from billing_tui.integrations.stripe_gateway import StripeGateway
    from tests.smtp_server import free_port

    down = f"http://127.0.0.1:{free_port()}"
    where = {"api_base": down}  # until Stripe is back
    account_app = _app_on(dataclasses.replace(
        account_ctx, stripe=lambda _ctx: StripeGateway(stripe.api_key, api_base=where["api_base"])))
    async with account_app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_cards(account_app, pilot)
        assert screen.view is None
        assert _text(screen, "#cards-status").startswith(f"The cards could not be read: Stripe could not be reached at {down}")
        assert any("could not be reached" in n.message for n in account_app._notifications)

        where["api_base"] = stripe.url
        await pilot.press("r")
        await settle(pilot)
        assert len(_rows(screen)) == 3


def test_snapshot_payment_method(snap_compare, account_app, mario_cards) -> None:  # type: ignore[no-untyped-def]
    async def show(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open_cards(account_app, pilot)

    assert snap_compare(account_app, terminal_size=(80, 24), run_before=show)


def test_snapshot_delete_card_confirmation(snap_compare, account_app, mario_cards) -> None:  # type: ignore[no-untyped-def]
    async def ask(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open_cards(account_app, pilot)
        await pilot.press("down", "x")
        await _asked(pilot)

    assert snap_compare(account_app, terminal_size=(80, 24), run_before=ask)


# --- Subscriptions --------------------------------------------------------------------------------------------

@pytest.fixture
def subs(account_ctx, stripe) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Four subscriptions renewed by the real job against localstripe as of 2026-11-23.

    Mario's monthly Landing Page renewed today (charged, invoiced); Rossi's monthly SMS Reception declined
    (past due); Rossi's yearly Landing Page renews in March; Mario's SMS Reception had its renewal cancelled.
    """
    from billing_tui.demo import SELLER
    from billing_tui.services import company
    from billing_tui.storage.shop_models import Product

    ctx = account_ctx
    company.update_company(ctx, SELLER)
    with ctx.db.write() as session:
        for sku, name, price in (("LP-MONTH", "Landing Page", "19.90"), ("LP-YEAR", "Landing Page annuale", "199.00"),
                                 ("SMS-MONTH", "SMS Reception", "9.90")):
            session.add(Product(sku=sku, name=name, unit_price=Decimal(price), vat_rate=Decimal("22"), is_service=True))
    rossi = customers.create_customer(ctx, ROSSI).id
    gateway = stripe.gateway()
    for customer_id, number in ((1, VISA), (rossi, DECLINES_ON_CHARGE)):
        stripe_id = cards.ensure_stripe_customer(ctx, customer_id)
        gateway.set_default_card(stripe_id, gateway.attach_card(stripe_id, gateway.create_test_card(number, 12, 2030)).id)

    def create(customer_id: int, sku: str, period: str, start: date) -> int:
        return subscriptions.create_subscription(ctx, customer_id=customer_id, product_sku=sku, period=period,
                                                 start=start).id

    made = {"renewed": create(1, "LP-MONTH", "month", date(2026, 10, 23)),
            "past_due": create(rossi, "SMS-MONTH", "month", date(2026, 10, 23)),
            "yearly": create(rossi, "LP-YEAR", "year", date(2026, 3, 10)),
            "cancelled": create(1, "SMS-MONTH", "month", date(2026, 11, 5))}
    subscriptions.cancel_renewal(ctx, made["cancelled"])
    assert str(renewals.run_renewals(ctx)).startswith("renewed 1 (PS26001)")
    return made


def _table_rows(screen, selector: str) -> list[tuple[str, ...]]:  # type: ignore[no-untyped-def]
    table = screen.query_one(selector, DataTable)
    return [tuple(str(cell) for cell in table.get_row_at(i)) for i in range(table.row_count)]


async def _open_subscriptions(app, pilot, customer_id: int | None = None) -> SubscriptionsScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    screen = SubscriptionsScreen(customer_id)
    await app.push_screen(screen)
    await settle(pilot)
    assert app.screen is screen
    return screen


async def _select(pilot, screen, subscription_id: int) -> None:  # type: ignore[no-untyped-def]
    table = screen.query_one("#subscriptions-table", DataTable)
    table.move_cursor(row=table.get_row_index(str(subscription_id)))
    await pilot.pause()


async def test_every_subscription_with_state_and_next_renewal_by_renewal_date(account_app, subs) -> None:  # type: ignore[no-untyped-def]
    async with account_app.run_test(size=(80, 24)) as pilot:
        screen = await _open_subscriptions(account_app, pilot)

        assert _table_rows(screen, "#subscriptions-table") == [
            (str(subs["past_due"]), "Rossi Arredamenti S.r.l.", "SMS Reception", "12,08\xa0€/mo", "past due", "2026-11-23"),
            (str(subs["cancelled"]), "Mario Rossi", "SMS Reception", "12,08\xa0€/mo", "active", "ends 2026-12-05"),
            (str(subs["renewed"]), "Mario Rossi", "Landing Page", "24,28\xa0€/mo", "active", "2026-12-23"),
            (str(subs["yearly"]), "Rossi Arredamenti S.r.l.", "Landing Page annuale", "242,78\xa0€/yr", "active",
             "2027-03-10"),
        ]
        assert _text(screen, "#subscriptions-status") == (
            "4 subscriptions · Enter: details · c: cancel renewal · f: state (all)")

        await pilot.press("f")
        await settle(pilot)
        assert [r[0] for r in _table_rows(screen, "#subscriptions-table")] == [
            str(subs["cancelled"]), str(subs["renewed"]), str(subs["yearly"])]
        assert _text(screen, "#subscriptions-status").startswith("3 active subscriptions")
        await pilot.press("f")
        await settle(pilot)
        assert [r[0] for r in _table_rows(screen, "#subscriptions-table")] == [str(subs["past_due"])]


async def test_one_customers_subscriptions(account_app, subs) -> None:  # type: ignore[no-untyped-def]
    async with account_app.run_test(size=(80, 24)) as pilot:
        screen = await _open_subscriptions(account_app, pilot, customer_id=1)

        assert "Mario Rossi" in _text(screen, "#subscriptions-title")
        assert [r[:2] for r in _table_rows(screen, "#subscriptions-table")] == [
            (str(subs["cancelled"]), "SMS Reception"), (str(subs["renewed"]), "Landing Page")]


async def test_enter_shows_the_periods_and_every_attempt_with_its_outcome(account_app, subs) -> None:  # type: ignore[no-untyped-def]
    async with account_app.run_test(size=(80, 24)) as pilot:
        screen = await _open_subscriptions(account_app, pilot)
        await _select(pilot, screen, subs["past_due"])
        await pilot.press("enter")
        await settle(pilot)

        detail = account_app.screen
        assert isinstance(detail, SubscriptionDetailScreen) and detail.subscription_id == subs["past_due"]
        summary = _text(detail, "#subscription-summary")
        assert "SMS Reception (SMS-MONTH), every month  past due" in summary
        assert "Card on file: yes" in summary
        assert _table_rows(detail, "#subscription-periods") == [
            ("2026-11-23", "2026-12-23", "12,08\xa0€", "failed", "2026-11-24", "-")]
        [(period, n, when, outcome, message)] = _table_rows(detail, "#subscription-attempts")
        assert (period, n, when, outcome) == ("2026-11-23", "1", "2026-11-23 09:00", "declined")
        assert "declined" in message
        shown = str(_table_rows(detail, "#subscription-attempts")) + summary
        assert "pi_" not in shown and "pm_" not in shown

        await pilot.press("escape")
        await settle(pilot)
        assert account_app.screen is screen


async def test_c_cancels_automatic_renewal_after_one_confirmation(account_app, account_ctx, subs) -> None:  # type: ignore[no-untyped-def]
    async with account_app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_subscriptions(account_app, pilot)
        await _select(pilot, screen, subs["renewed"])
        await pilot.press("c")
        await _asked(pilot)
        assert "It stays active to the end of the paid period, 2026-12-23, and then ends." in account_app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert subscriptions.get_subscription(account_ctx, subs["renewed"], cards=False).subscription.auto_renew

        await pilot.press("c")
        await _asked(pilot)
        await pilot.press("y")
        await settle(pilot)

        assert account_app.screen is screen
        row = screen.query_one("#subscriptions-table", DataTable).get_row(str(subs["renewed"]))
        assert (str(row[4]), str(row[5])) == ("active", "ends 2026-12-23")
        s = subscriptions.get_subscription(account_ctx, subs["renewed"], cards=False).subscription
        assert (s.auto_renew, s.state, s.next_renewal) == (False, "active", None)
        assert "Subscription {} will not renew: it ends on 2026-12-23.".format(subs["renewed"]) in [
            n.message for n in account_app._notifications]
        # Nothing left to cancel on it: the key is off, and pressing it asks nothing.
        assert screen.check_action("cancel_renewal", ()) is None
        await pilot.press("c")
        await pilot.pause()
        assert account_app.screen is screen


async def test_cancelling_a_past_due_renewal_from_its_detail_stops_the_retries(account_app, account_ctx, subs) -> None:  # type: ignore[no-untyped-def]
    async with account_app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        detail = SubscriptionDetailScreen(subs["past_due"])
        await account_app.push_screen(detail)
        await settle(pilot)
        await pilot.press("c")
        await _asked(pilot)
        assert "it is cancelled now and no further charge is tried" in account_app.screen.question
        await pilot.press("y")
        await settle(pilot)

        assert account_app.screen is detail
        assert "cancelled" in _text(detail, "#subscription-summary").splitlines()[0]
        assert _table_rows(detail, "#subscription-periods")[0][3:5] == ("failed", "-")


def test_snapshot_subscriptions(snap_compare, account_app, subs) -> None:  # type: ignore[no-untyped-def]
    async def show(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open_subscriptions(account_app, pilot)

    assert snap_compare(account_app, terminal_size=(80, 24), run_before=show)


def test_snapshot_cancel_renewal_confirmation(snap_compare, account_app, subs) -> None:  # type: ignore[no-untyped-def]
    async def ask(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await _open_subscriptions(account_app, pilot)
        await _select(pilot, screen, subs["renewed"])
        await pilot.press("c")
        await _asked(pilot)

    assert snap_compare(account_app, terminal_size=(80, 24), run_before=ask)


def test_snapshot_subscription_detail_past_due(snap_compare, account_app, subs) -> None:  # type: ignore[no-untyped-def]
    async def show(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await account_app.push_screen(SubscriptionDetailScreen(subs["past_due"]))
        await settle(pilot)

    assert snap_compare(account_app, terminal_size=(80, 24), run_before=show)
