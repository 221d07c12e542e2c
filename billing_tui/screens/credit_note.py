"""The credit-note dialog: how much to credit (VAT included) and why; refuses more than is creditable."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from billing_tui.screens.format import money_text
from billing_tui.services.invoices import InvoiceDetail, check_credit_amount
from billing_tui.widgets.form_field import FormField


class CreditNoteDialog(ModalScreen[tuple[Decimal, str] | None]):
    """Ask for the amount and reason of a credit note; Enter on the last field or Ctrl+S confirms."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "confirm", "Issue credit note", id="credit.confirm"),
        Binding("escape", "cancel", "Cancel", id="credit.cancel"),
    ]

    def __init__(self, detail: InvoiceDetail) -> None:
        super().__init__()
        self.detail = detail

    def compose(self) -> ComposeResult:
        d = self.detail
        cur = d.document.currency
        with Vertical(id="credit-box", classes="dialog"):
            yield Static(f"[b]Credit note on invoice {escape(d.number)}[/b]\n{escape(d.document.customer.name)} · "
                         f"total {money_text(d.document.total, cur)} · still creditable "
                         f"{money_text(d.creditable, cur)}", id="credit-title")
            yield FormField("amount", "Amount (VAT incl.)", value=str(d.creditable), id_prefix="c")
            yield FormField("reason", "Reason", value="", id_prefix="c")
            yield Static("", id="credit-review")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Issue (Ctrl+S)", variant="warning", id="credit-ok")
                yield Button("Cancel (Esc)", id="credit-no")

    def on_mount(self) -> None:
        self.query_one("#c-amount", Input).focus()
        self._check()

    def _check(self) -> str | None:
        amount = self.query_one("#c-amount", Input).value
        value, problem = check_credit_amount(amount, self.detail.creditable, self.detail.document.currency)
        self.query_one("#field-amount", FormField).set_error(problem)
        review = self.query_one("#credit-review", Static)
        if value is None:
            review.update("")
        else:
            rest = self.detail.creditable - value
            review.update(f"Will issue a credit note of {money_text(value, self.detail.document.currency)}, "
                          f"split over the invoice's VAT rates; {money_text(rest, self.detail.document.currency)} "
                          "stays creditable. The note is numbered from the credit-note range and emailed.")
        return problem

    @on(Input.Changed, "#c-amount")
    def _amount_changed(self) -> None:
        self._check()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "c-amount":
            self.query_one("#c-reason", Input).focus()
        else:
            self.action_confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "credit-ok":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        if self._check() is not None:
            self.query_one("#c-amount", Input).focus()
            return
        value = check_credit_amount(self.query_one("#c-amount", Input).value)[0]
        assert value is not None
        self.dismiss((value, self.query_one("#c-reason", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)
