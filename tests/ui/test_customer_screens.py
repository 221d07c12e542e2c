"""Customers and billing profiles, edited from the keyboard with validation as you type (S000.4, S000.5)."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select

from billing_tui.screens.audit import AuditScreen
from billing_tui.screens.confirm import ConfirmScreen
from billing_tui.screens.customer_form import CustomerFormScreen
from billing_tui.screens.customers import CustomersScreen
from billing_tui.services import customers as customers_service
from tests.ui.conftest import settle


def _first_italian_company(ctx) -> int:  # type: ignore[no-untyped-def]
    rows = customers_service.list_customers(ctx, limit=100).rows
    return next(r.id for r in rows if r.customer_type == "company" and r.country == "IT")


async def _open_form(app, pilot, customer_id: int) -> CustomerFormScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, CustomersScreen)
    await pilot.press("slash", *str(customer_id))
    await settle(pilot)
    await app.screen.query_one("#customers-search", Input).action_submit()
    await pilot.pause()
    table = app.screen.query_one("#customers-table", DataTable)
    for i in range(table.row_count):
        if str(table.get_row_at(i)[0]) == str(customer_id):
            table.move_cursor(row=i)
            break
    await pilot.press("enter")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, CustomerFormScreen) and screen.customer_id == customer_id
    return screen


async def _replace(pilot, widget: Input, text: str) -> None:  # type: ignore[no-untyped-def]
    widget.focus()
    await pilot.pause()
    widget.action_select_all()
    await pilot.press("backspace", *text)
    await pilot.pause()


async def test_invalid_vat_number_is_shown_beside_the_field_and_nothing_is_saved(app) -> None:  # type: ignore[no-untyped-def]
    cid = _first_italian_company(app.ctx)
    before = customers_service.get_customer(app.ctx, cid)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        form = await _open_form(app, pilot, cid)
        vat = form.query_one("#f-vat_number", Input)
        wrong = str(before.profile["vat_number"])[:-1] + str((int(str(before.profile["vat_number"])[-1]) + 1) % 10)
        await _replace(pilot, vat, wrong)
        error = form.query_one("#err-vat_number").render()
        assert "check digit" in str(error)
        await _replace(pilot, form.query_one("#f-email", Input), "not-an-email")
        assert "Invoice email" in str(form.query_one("#err-email").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Nothing was saved" in n.message for n in app._notifications)
    after = customers_service.get_customer(app.ctx, cid)
    assert after.profile == before.profile
    assert customers_service.customer_history(app.ctx, cid) == ()


async def test_valid_change_is_saved_and_audited(app) -> None:  # type: ignore[no-untyped-def]
    cid = _first_italian_company(app.ctx)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        form = await _open_form(app, pilot, cid)
        await _replace(pilot, form.query_one("#f-email", Input), "amministrazione@nuovo.example")
        assert str(form.query_one("#err-email").render()) == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Saved: email" in n.message for n in app._notifications)
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen)
        table = app.screen.query_one("#audit-table", DataTable)
        assert table.row_count == 1
        row = [str(c) for c in table.get_row_at(0)]
        assert row[1] == "tester" and row[2] == "Invoice email" and row[4] == "amministrazione@nuovo.example"
    assert customers_service.get_customer(app.ctx, cid).profile["email"] == "amministrazione@nuovo.example"


async def test_public_administration_shows_office_code_and_split_payment(app) -> None:  # type: ignore[no-untyped-def]
    cid = _first_italian_company(app.ctx)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        form = await _open_form(app, pilot, cid)
        assert form.query_one("#field-pa_office_code").display is False
        assert form.query_one("#field-sdi_code").display is True
        form.query_one("#f-customer_type", Select).value = "pa"
        await pilot.pause()
        assert form.query_one("#field-pa_office_code").display is True
        assert form.query_one("#field-split_payment").display is True
        assert form.query_one("#field-sdi_code").display is False
        assert "PA office code" in str(form.query_one("#err-pa_office_code").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert customers_service.get_customer(app.ctx, cid).profile["customer_type"] == "company"
        await _replace(pilot, form.query_one("#f-pa_office_code", Input), "UFABC1")
        await pilot.press("ctrl+s")
        await settle(pilot)
    saved = customers_service.get_customer(app.ctx, cid).profile
    assert saved["customer_type"] == "pa" and saved["pa_office_code"] == "UFABC1"
    assert saved["sdi_code"] is None and saved["pec"] is None


async def test_escape_with_unsaved_changes_asks_first(app) -> None:  # type: ignore[no-untyped-def]
    cid = _first_italian_company(app.ctx)
    before = customers_service.get_customer(app.ctx, cid)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await _open_form(app, pilot, cid)
        await _replace(pilot, form.query_one("#f-city", Input), "Genova")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
    assert customers_service.get_customer(app.ctx, cid).profile == before.profile


async def test_names_with_brackets_are_shown_as_typed(app) -> None:  # type: ignore[no-untyped-def]
    """A name is data, not markup: "[srl]" stays, "[/x]" does not end the app."""
    cid = _first_italian_company(app.ctx)
    customers_service.update_customer(app.ctx, cid, {"name": "ACME [srl] [/x]"})
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#customers-table", DataTable)
        names = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert "ACME [srl] [/x]" in names
        await pilot.press("f5", "slash", *"ACME")
        await settle(pilot)
        invoices = app.screen.query_one("#invoices-table", DataTable)
        assert invoices.row_count and str(invoices.get_row_at(0)[3]) == "ACME [srl] [/x]"


async def test_a_customer_s_cards_subscriptions_and_credit_are_one_key_away(app) -> None:  # type: ignore[no-untyped-def]
    from billing_tui.screens.credit import CreditScreen
    from billing_tui.screens.payment_method import PaymentMethodScreen
    from billing_tui.screens.subscriptions import SubscriptionsScreen

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#customers-table", DataTable)
        table.move_cursor(row=1)
        chosen = int(str(table.get_row_at(1)[0]))
        for key, kind in (("k", PaymentMethodScreen), ("b", SubscriptionsScreen), ("r", CreditScreen)):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, kind) and app.screen.customer_id == chosen
            await pilot.press("escape")
            await settle(pilot)
            assert isinstance(app.screen, CustomersScreen)
