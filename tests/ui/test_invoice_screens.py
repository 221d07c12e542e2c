"""Invoices, an invoice, its cancellation and credit notes, number ranges and jobs, from the keyboard."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from billing_tui.jobs.registry import all_jobs
from billing_tui.screens.cart_detail import CartDetailScreen
from billing_tui.screens.confirm import ConfirmScreen
from billing_tui.screens.credit_note import CreditNoteDialog
from billing_tui.screens.invoice_detail import InvoiceDetailScreen
from billing_tui.screens.invoices import InvoicesScreen
from billing_tui.screens.issue_invoice import IssueInvoiceDialog
from billing_tui.screens.jobs import JobsScreen
from billing_tui.screens.settings import SettingsScreen
from billing_tui.services import invoices, numbering
from tests.ui.conftest import settle


def _sent_invoice(ctx) -> str:  # type: ignore[no-untyped-def]
    """The newest invoice whose mail went out (so it can be cancelled or credited)."""
    rows = invoices.list_invoices(ctx, kind="invoice", status="issued", limit=50).rows
    return next(r.number for r in rows if r.mail_status == "sent")


async def _open_invoice(app, pilot, number: str) -> InvoiceDetailScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)
    assert isinstance(app.screen, InvoicesScreen)
    await pilot.press("slash", *number, "enter")
    await settle(pilot)
    table = app.screen.query_one("#invoices-table", DataTable)
    assert str(table.get_row_at(0)[0]) == number
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, InvoiceDetailScreen) and app.screen.number == number
    return app.screen


async def test_invoices_list_filters_by_kind_and_opens_one(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        screen = app.screen
        assert screen.page.rows and {r.kind for r in screen.page.rows} >= {"invoice", "cancellation", "credit_note"}
        await pilot.press("k", "k", "k")  # all -> invoices -> cancellations -> credit notes
        await settle(pilot)
        assert screen.kind == "credit_note" and {r.kind for r in screen.page.rows} == {"credit_note"}
        await pilot.press("enter")
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, InvoiceDetailScreen)
        assert "Credit note" in str(detail.query_one("#invoice-summary", Static).render())
        await pilot.press("o")  # the invoice it credits
        await settle(pilot)
        assert isinstance(app.screen, InvoiceDetailScreen) and app.screen.number == detail.detail.refers_to.number
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert app.screen is screen


async def test_cancel_asks_naming_the_invoice_and_only_yes_cancels(app) -> None:  # type: ignore[no-untyped-def]
    number = _sent_invoice(app.ctx)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        detail = await _open_invoice(app, pilot, number)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#confirm-question", Static).render())
        assert f"Cancel invoice {number}" in question and "cannot be undone" in question
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is detail and invoices.get_invoice(app.ctx, number).status == "issued"
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert any("Cancellation invoice" in n.message for n in app._notifications)
    cancelled = invoices.get_invoice(app.ctx, number)
    assert cancelled.status == "cancelled" and cancelled.linked[0].number == f"{number}-S4"


async def test_cancel_is_unavailable_with_the_reason_when_the_mail_was_not_sent(app) -> None:  # type: ignore[no-untyped-def]
    rows = invoices.list_invoices(app.ctx, kind="invoice", limit=300).rows
    number = next(r.number for r in rows if r.mail_status == "failed")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        detail = await _open_invoice(app, pilot, number)
        actions = str(detail.query_one("#invoice-actions", Static).render())
        assert "has not been emailed" in actions
        assert detail.check_action("cancel_invoice", ()) is None
        await pilot.press("x")
        await settle(pilot)
        assert app.screen is detail
    assert invoices.get_invoice(app.ctx, number).status == "issued"


async def test_credit_note_dialog_refuses_too_much_then_issues(app) -> None:  # type: ignore[no-untyped-def]
    number = _sent_invoice(app.ctx)
    creditable = invoices.get_invoice(app.ctx, number).creditable
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open_invoice(app, pilot, number)
        await pilot.press("r")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, CreditNoteDialog)
        amount = dialog.query_one("#c-amount", Input)
        amount.value = str(creditable + 1)
        await pilot.pause()
        assert "can still be credited" in str(dialog.query_one("#err-amount").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog  # refused: the dialog stays, nothing issued
        assert invoices.list_invoices(app.ctx, kind="credit_note", search=number).rows == ()
        amount.value = "10,00"
        await pilot.pause()
        assert str(dialog.query_one("#err-amount").render()) == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
    notes = invoices.list_invoices(app.ctx, kind="credit_note", search=number).rows
    assert [(r.number, str(r.total)) for r in notes] == [(f"{number}-3", "10.00")]


async def test_escape_leaves_the_credit_dialog_without_issuing(app) -> None:  # type: ignore[no-untyped-def]
    number = _sent_invoice(app.ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        detail = await _open_invoice(app, pilot, number)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is detail
    assert invoices.list_invoices(app.ctx, kind="credit_note", search=number).rows == ()


async def test_number_ranges_preview_refuse_and_save(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, SettingsScreen)
        await pilot.press("f7")
        await settle(pilot)
        screen = app.screen
        fmt = screen.query_one("#nr-format-invoice", Input)
        assert app.focused is fmt
        assert "PS26209" in str(screen.query_one("#nr-note-invoice", Static).render())
        fmt.value = "FT {i;4}"
        await pilot.pause()
        assert "spaces" in str(screen.query_one("#nr-note-invoice", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Nothing was saved" in n.message for n in app._notifications)
        assert numbering.show_year(app.ctx, 2026)[0].format == "PS{yy}{i;3}"
        fmt.value = "FT{yy}-{i;4}"
        screen.query_one("#nr-next-invoice", Input).value = "250"
        await pilot.pause()
        assert "FT26-0250" in str(screen.query_one("#nr-note-invoice", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("pagedown")  # works while the cursor is in a format field
        await settle(pilot)
        assert "Year 2027" in str(screen.query_one("#nr-year", Static).render())
        assert "FT27-0001" in str(screen.query_one("#nr-note-invoice", Static).render())
        await pilot.press("f7")  # back on the company page, PgDn is the form's own again
        await settle(pilot)
        await pilot.press("pagedown")
        await settle(pilot)
        assert "Year 2027" in str(screen.query_one("#nr-year", Static).render())
    saved = numbering.show_year(app.ctx, 2026)[0]
    assert (saved.format, saved.next_number, saved.preview) == ("FT{yy}-{i;4}", 250, "FT26-0250")


async def test_a_paid_cart_is_invoiced_from_its_screen_and_its_order_cannot_then_be_cancelled(app) -> None:  # type: ignore[no-untyped-def]
    number = invoices.due_carts(app.ctx)[0]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await app.push_screen(CartDetailScreen(number))
        await settle(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert isinstance(app.screen, IssueInvoiceDialog)
        assert f"cart {number}" in str(app.screen.query_one("#issue-review", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, CartDetailScreen)
        issued = invoices.invoice_for_cart(app.ctx, number)
        assert issued is not None and issued.number == "PS26209"
        assert "PS26209" in str(app.screen.query_one("#cart-invoices", Static).render())
        await pilot.press("x")
        await settle(pilot)
        assert any("Cancel invoice PS26209 first" in n.message for n in app._notifications)
        assert isinstance(app.screen, CartDetailScreen)


async def test_jobs_screen_runs_what_is_due(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f6")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, JobsScreen)
        assert "No process is running" in str(screen.query_one("#jobs-leader", Static).render())
        every_job = len(all_jobs())
        assert screen.query_one("#jobs-upcoming", DataTable).row_count == every_job
        await pilot.press("r")
        await settle(pilot)
        runs = screen.query_one("#jobs-recent", DataTable)
        assert runs.row_count == every_job
        results = {str(runs.get_row_at(i)[1]): str(runs.get_row_at(i)[3]) for i in range(every_job)}
        assert results["Issue due invoices"].startswith("issued 2 invoice(s)")
    assert "sent" in results["Send queued mail"]


async def test_invoicing_and_mail_settings_validate_and_never_show_the_password(app) -> None:  # type: ignore[no-untyped-def]
    from billing_tui.services import app_settings

    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("f7", "f7")
        await settle(pilot)
        screen = app.screen
        delay = screen.query_one("#a-invoice_delay_hours", Input)
        assert app.focused is delay
        delay.value = "100"
        await pilot.pause()
        assert "from 0 to 72" in str(screen.query_one("#err-invoice_delay_hours").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any("Nothing was saved" in n.message for n in app._notifications)
        assert app_settings.get_settings(app.ctx)["invoice_delay_hours"] == "0"
        delay.value = "24"
        screen.query_one("#a-smtp_host", Input).value = "smtp.example.it"
        screen.query_one("#a-smtp_password", Input).value = "s3cret"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        password = screen.query_one("#a-smtp_password", Input)
        assert password.value == "" and password.password and "saved" in password.placeholder
    saved = app_settings.get_settings(app.ctx)
    assert (saved["invoice_delay_hours"], saved["smtp_host"], saved["smtp_password"]) == ("24", "smtp.example.it",
                                                                                          "s3cret")
