"""The main keyboard path on every backend (PostgreSQL too when BILLING_TEST_DATABASE_URL is set)."""

from __future__ import annotations

from textual.widgets import DataTable, Input

from billing_tui.screens.cart_detail import CartDetailScreen
from billing_tui.screens.carts import CartsScreen
from billing_tui.screens.customer_form import CustomerFormScreen
from billing_tui.services import carts as carts_service
from billing_tui.services import customers as customers_service
from tests.ui.conftest import settle


async def test_browse_carts_and_edit_a_profile(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    from billing_tui.app import build_app

    app = build_app(demo_ctx, database_label="db")
    newest = carts_service.list_carts(demo_ctx, carts_service.CartQuery(limit=1)).rows[0]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, CartsScreen)
        assert app.screen.query_one("#carts-table", DataTable).row_count == 50
        await pilot.press("f")
        await settle(pilot)
        assert {r.status for r in app.screen.page.rows} == {"confirmed"}
        await pilot.press("slash", *str(newest.customer_name.split()[0]), "enter")
        await settle(pilot)
        assert app.screen.page.rows
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CartDetailScreen)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CustomerFormScreen)
        city = form.query_one("#f-city", Input)
        city.value = "Cagliari"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        customer_id = form.customer_id
    assert customers_service.get_customer(demo_ctx, customer_id).profile["city"] == "Cagliari"
    assert len(customers_service.customer_history(demo_ctx, customer_id)) == 1
