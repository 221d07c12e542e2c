"""SVG snapshots of the screen states that matter, at 80x24 and 120x40.

Review changes with ``pytest tests/snapshots --snapshot-update`` and look at the SVGs before committing.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.ui.conftest import settle

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]


@pytest.mark.parametrize("size", SIZES)
def test_carts_list(snap_compare, app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_cart_detail(snap_compare, app, size) -> None:  # type: ignore[no-untyped-def]
    async def open_cart(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("slash", *"100396", "enter", "enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=open_cart)


@pytest.mark.parametrize("size", SIZES)
def test_customer_form_with_errors(snap_compare, app, size) -> None:  # type: ignore[no-untyped-def]
    async def break_the_form(pilot) -> None:  # type: ignore[no-untyped-def]
        from billing_tui.screens.customer_form import CustomerFormScreen

        await settle(pilot)
        await pilot.app.push_screen(CustomerFormScreen(1))
        await settle(pilot)
        form = pilot.app.screen
        form.query_one("#f-vat_number", Input).value = "25308300514"
        form.query_one("#f-email", Input).value = "fatture@"
        form.query_one("#f-sdi_code", Input).value = "ABC"
        await pilot.pause()
        form.query_one("#f-vat_number", Input).focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=break_the_form)


def test_help(snap_compare, app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=(80, 24), press=["f1"], run_before=settle)


def _first_sent_invoice(app) -> str:  # type: ignore[no-untyped-def]
    from billing_tui.services import invoices

    rows = invoices.list_invoices(app.ctx, kind="invoice", status="issued", limit=50).rows
    return next(r.number for r in rows if r.mail_status == "sent")


@pytest.mark.parametrize("size", SIZES)
def test_invoices_list(snap_compare, app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, press=["f5"], run_before=settle)


def test_invoice_detail(snap_compare, app) -> None:  # type: ignore[no-untyped-def]
    async def open_invoice(pilot) -> None:  # type: ignore[no-untyped-def]
        from billing_tui.screens.invoice_detail import InvoiceDetailScreen

        await settle(pilot)
        await pilot.app.push_screen(InvoiceDetailScreen(_first_sent_invoice(pilot.app)))
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=open_invoice)


def test_cancel_confirmation(snap_compare, app) -> None:  # type: ignore[no-untyped-def]
    async def ask(pilot) -> None:  # type: ignore[no-untyped-def]
        from billing_tui.screens.invoice_detail import InvoiceDetailScreen

        await settle(pilot)
        await pilot.app.push_screen(InvoiceDetailScreen(_first_sent_invoice(pilot.app)))
        await settle(pilot)
        await pilot.press("x")
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=ask)


def test_credit_note_dialog_with_a_refused_amount(snap_compare, app) -> None:  # type: ignore[no-untyped-def]
    async def too_much(pilot) -> None:  # type: ignore[no-untyped-def]
        from billing_tui.screens.invoice_detail import InvoiceDetailScreen

        await settle(pilot)
        await pilot.app.push_screen(InvoiceDetailScreen(_first_sent_invoice(pilot.app)))
        await settle(pilot)
        await pilot.press("r")
        await pilot.pause()
        pilot.app.screen.query_one("#c-amount", Input).value = "99999"
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=too_much)


@pytest.mark.parametrize("size", SIZES)
def test_number_ranges_with_preview_and_a_refused_format(snap_compare, app, size) -> None:  # type: ignore[no-untyped-def]
    async def refuse(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        pilot.app.screen.query_one("#nr-format-cancellation", Input).value = "STORNO {i;3}"
        pilot.app.screen.query_one("#nr-next-invoice", Input).value = "215"
        pilot.app.screen.set_focus(None)  # no blinking cursor or selection racing the screenshot
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=refuse)


def test_jobs(snap_compare, app) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=(80, 24), press=["f6"], run_before=settle)


@pytest.mark.parametrize("size", SIZES)
def test_orders_list(snap_compare, app, size) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(app, terminal_size=size, press=["f8"], run_before=settle)


def _open_order(number: int):  # type: ignore[no-untyped-def]
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        from billing_tui.screens.order_detail import OrderDetailScreen

        await settle(pilot)
        await pilot.app.push_screen(OrderDetailScreen(number))
        await settle(pilot)

    return run_before


def test_order_in_planning_with_locked_lines(snap_compare, app) -> None:  # type: ignore[no-untyped-def]
    # The demo's order in planning: three lines locked by its partial invoice, one added after it.
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_order(100405))


def test_order_with_an_instalment_plan(snap_compare, app) -> None:  # type: ignore[no-untyped-def]
    # The demo's order completed by a plan of four monthly instalments: two issued, two scheduled.
    assert snap_compare(app, terminal_size=(80, 24), run_before=_open_order(100401))
