"""The customer account screens at 80x24, pushed directly: Payment method (S000.7) and Subscriptions (S000.6)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from textual.widgets import DataTable, Static

from billing_tui.screens.confirm import ConfirmScreen
from billing_tui.screens.payment_method import PaymentMethodScreen
from billing_tui.services import cards, customers
from tests.stripe_server import DECLINES_ON_CHARGE, VISA, StripeTestServer
from tests.ui.conftest import settle

MARIO = {
    "customer_type": "person", "name": "Mario Rossi", "fiscal_code": "RSSMRA85T10A562S",
    "email": "mario.rossi@mail.example", "address": "Via Garibaldi 3", "city": "Roma", "country": "IT",
    "language": "it", "pec": "mario.rossi@pec.example",
}


@pytest.fixture
def account_ctx(make_db_url, clock) -> Iterator:  # type: ignore[no-untyped-def]
    """A small database of our own (the demo changes often): Mario Rossi, customer 1."""
    from billing_tui.services.context import open_context

    ctx = open_context(make_db_url("sqlite", "account"), clock=clock, actor="tester")
    customers.create_customer(ctx, MARIO)
    yield ctx
    ctx.db.dispose()


@pytest.fixture
def account_app(account_ctx):  # type: ignore[no-untyped-def]
    from billing_tui.app import build_app

    return build_app(account_ctx, database_label="sqlite:account.sqlite3")


@pytest.fixture
def stripe(stripe_server: StripeTestServer, monkeypatch: pytest.MonkeyPatch) -> StripeTestServer:
    monkeypatch.setattr(cards, "gateway_factory", lambda ctx: stripe_server.gateway())
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


async def test_without_stripe_the_screen_explains_how_to_connect_it(account_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(cards, "gateway_factory", lambda ctx: None)
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
        account_app, stripe, mario_cards, monkeypatch) -> None:
    from billing_tui.integrations.stripe_gateway import StripeGateway
    from tests.smtp_server import free_port

    down = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setattr(cards, "gateway_factory", lambda ctx: StripeGateway(stripe.api_key, api_base=down))
    async with account_app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_cards(account_app, pilot)
        assert screen.view is None
        assert _text(screen, "#cards-status").startswith(f"The cards could not be read: Stripe could not be reached at {down}")
        assert any("could not be reached" in n.message for n in account_app._notifications)

        monkeypatch.setattr(cards, "gateway_factory", lambda ctx: stripe.gateway())
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
