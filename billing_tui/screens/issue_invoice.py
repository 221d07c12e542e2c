"""The issue-invoice dialog: the date, and a review of exactly what will be issued."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from billing_tui.screens.format import money_text
from billing_tui.services.carts import CartDetail
from billing_tui.widgets.form_field import FormField


class IssueInvoiceDialog(ModalScreen[date | None]):
    """Confirm the invoice of a paid cart; the number is assigned when it is issued."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "confirm", "Issue", id="issue.confirm"),
        Binding("escape", "cancel", "Cancel", id="issue.cancel"),
    ]

    def __init__(self, cart: CartDetail, today: date) -> None:
        super().__init__()
        self.cart = cart
        self.today = today

    def compose(self) -> ComposeResult:
        c = self.cart
        rates = ", ".join(f"{r.rate.normalize():f}%: {money_text(r.taxable, c.currency)} + "
                          f"{money_text(r.vat, c.currency)}" for r in c.vat_rows)
        with Vertical(classes="dialog"):
            yield Static(f"[b]Issue the invoice of cart {c.number}[/b]\n"
                         f"To {escape(c.customer_name)} ({c.customer_type}, {c.customer_country}), "
                         f"{len(c.lines)} line(s), VAT {rates}\n"
                         f"Total {money_text(c.total, c.currency)}, paid by {c.payment_method.replace('_', ' ')}.\n"
                         f"The number is assigned from this year's invoice range when it is issued; the PDF is "
                         f"emailed to {escape(c.customer_email)}.", id="issue-review")
            yield FormField("date", "Invoice date", value=self.today.isoformat(), id_prefix="i")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Issue (Ctrl+S)", variant="warning", id="issue-ok")
                yield Button("Cancel (Esc)", id="issue-no")

    def on_mount(self) -> None:
        self.query_one("#i-date", Input).focus()

    def _date(self) -> date | None:
        text = self.query_one("#i-date", Input).value.strip()
        try:
            day = date.fromisoformat(text)
        except ValueError:
            self.query_one("#field-date", FormField).set_error("Invoice date: use YYYY-MM-DD")
            return None
        if day > self.today:
            self.query_one("#field-date", FormField).set_error("Invoice date: not in the future")
            return None
        self.query_one("#field-date", FormField).set_error(None)
        return day

    @on(Input.Changed)
    def _changed(self) -> None:
        self._date()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "issue-ok":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        day = self._date()
        if day is not None:
            self.dismiss(day)

    def action_cancel(self) -> None:
        self.dismiss(None)
