"""The carts screen and a cart, driven from the keyboard (S000.1, S000.3)."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from billing_tui.screens.cart_detail import CartDetailScreen
from billing_tui.screens.carts import CartsScreen
from billing_tui.services import carts as carts_service
from tests.ui.conftest import settle


def _numbers(app) -> list[int]:  # type: ignore[no-untyped-def]
    table = app.screen.query_one("#carts-table", DataTable)
    return [int(str(table.get_row_at(i)[0])) for i in range(table.row_count)]


async def test_start_screen_lists_newest_carts(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CartsScreen)
        expected = carts_service.list_carts(app.ctx, carts_service.CartQuery())
        assert _numbers(app) == [r.number for r in expected.rows]
        assert "Carts 1–50" in str(app.screen.query_one("#carts-status", Static).render())


async def test_open_cart_and_come_back(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, CartDetailScreen)
        detail = carts_service.get_cart(app.ctx, screen.number)
        lines = screen.query_one("#cart-lines", DataTable)
        assert lines.row_count == len(detail.lines) >= 1
        summary = str(screen.query_one("#cart-summary", Static).render())
        assert f"Cart {detail.number}" in summary and detail.customer_name in summary
        totals = str(screen.query_one("#cart-totals", Static).render())
        assert "Total" in totals
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CartsScreen)
        page = carts_service.list_carts(app.ctx, carts_service.CartQuery())
        assert screen.number == page.rows[1].number


async def test_filter_cycles_through_states(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")  # all -> confirmed
        await settle(pilot)
        screen = app.screen
        assert screen.query_state.status == "confirmed"
        assert screen.page.rows and {r.status for r in screen.page.rows} == {"confirmed"}
        assert "Filter: confirmed" in str(screen.query_one("#carts-filter", Static).render())
        await pilot.press("f")  # -> unconfirmed
        await settle(pilot)
        assert {r.status for r in screen.page.rows} <= {"open", "abandoned", "payment_failed"}
        assert "confirmed" not in {r.status for r in screen.page.rows}


async def test_search_by_number_and_by_customer(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"100123")
        await settle(pilot)
        assert _numbers(app) == [100123]
        await pilot.press(*["backspace"] * 6, *"bianchi")
        await settle(pilot)
        names = {r.customer_name for r in app.screen.page.rows}
        assert names and all("bianchi" in n.lower() for n in names)
        await pilot.press(*["backspace"] * 7, *"nobody-like-this")
        await settle(pilot)
        assert _numbers(app) == []
        assert "No carts match" in str(app.screen.query_one("#carts-status", Static).render())


async def test_sort_by_total_and_next_page(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("s", "s")  # newest -> oldest -> highest total
        await settle(pilot)
        totals = [r.total for r in app.screen.page.rows]
        assert app.screen.query_state.sort == "total_desc"
        assert totals == sorted(totals, reverse=True)
        first_page = _numbers(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_state.offset == 50
        assert not set(first_page) & set(_numbers(app))
        await pilot.press("p")
        await settle(pilot)
        assert _numbers(app) == first_page


async def test_unknown_cart_gives_a_message_not_a_traceback(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await app.push_screen(CartDetailScreen(999))
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("There is no cart number 999" in m for m in messages)
