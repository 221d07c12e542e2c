"""The add-line dialog: a product by SKU, a quantity and an optional price; the reason beside a refused field."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from textual.worker import Worker

from billing_tui.domain.errors import BillingError, ValidationFailed
from billing_tui.services.orders import OrderDetail, add_line
from billing_tui.widgets.form_field import FormField

if TYPE_CHECKING:
    from billing_tui.app import BillingApp

FIELDS = (("sku", "SKU"), ("quantity", "Quantity"), ("price", "Unit price (net)"))
"""The dialog's fields: the service's field names (its ValidationFailed.errors keys) and their labels."""


class OrderLineDialog(ModalScreen[OrderDetail | None]):
    """Add a line to an order; Ctrl+S (or Enter on the last field) adds it, Escape leaves without changing it.

    The line is added by the service in a worker: a refused field gets its reason beside it, a refused
    action (the order can no longer take lines) its message under the fields; the dialog stays open.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "confirm", "Add line", id="order_line.confirm"),
        Binding("escape", "cancel", "Cancel", id="order_line.cancel"),
    ]

    def __init__(self, order_number: int, customer_name: str) -> None:
        super().__init__()
        self.order_number = order_number
        self.customer_name = customer_name

    @property
    def billing(self) -> BillingApp:
        return cast("BillingApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="order-line-box", classes="dialog"):
            yield Static(f"[b]Add a line to order {self.order_number}[/b]\n{escape(self.customer_name)}\n"
                         "[dim]The product's list price is used unless you type one; VAT follows the "
                         "product.[/dim]", id="order-line-title")
            for key, label in FIELDS:
                yield FormField(key, label, id_prefix="ol")
            yield Static("", id="order-line-message")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add (Ctrl+S)", variant="warning", id="order-line-ok")
                yield Button("Cancel (Esc)", id="order-line-no")

    def on_mount(self) -> None:
        self.query_one("#ol-price", Input).placeholder = "the product's list price"
        self.query_one("#ol-quantity", Input).value = "1"
        self.query_one("#ol-sku", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        keys = [key for key, _ in FIELDS]
        key = (event.input.id or "").removeprefix("ol-")
        if key in keys[:-1]:
            self.query_one(f"#ol-{keys[keys.index(key) + 1]}", Input).focus()
        else:
            self.action_confirm()

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        key = (event.input.id or "").removeprefix("ol-")
        if key in dict(FIELDS):
            self.query_one(f"#field-{key}", FormField).set_error(None)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "order-line-ok":
            self.action_confirm()
        else:
            self.action_cancel()

    def action_confirm(self) -> None:
        values = {key: self.query_one(f"#ol-{key}", Input).value for key, _ in FIELDS}
        self._show_message("Adding…", error=False)
        self._add(values["sku"], values["quantity"], values["price"])

    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="order-line", exit_on_error=False, description="Adding a line")
    def _add(self, sku: str, quantity: str, price: str) -> None:
        try:
            detail = add_line(self.billing.ctx, self.order_number, sku=sku, quantity=quantity, price=price or None)
        except ValidationFailed as exc:
            self.app.call_from_thread(self._refused, exc.errors, exc.message)
        except BillingError as exc:  # the order cannot take lines now (or is gone): say why
            self.app.call_from_thread(self._refused, {}, exc.message)
        else:
            self.app.call_from_thread(self.dismiss, detail)

    def _refused(self, errors: dict[str, str], message: str) -> None:
        for key, _ in FIELDS:
            self.query_one(f"#field-{key}", FormField).set_error(errors.get(key))
        shown = [key for key, _ in FIELDS if key in errors]
        self._show_message("" if shown else message, error=True)
        if shown:
            self.query_one(f"#ol-{shown[0]}", Input).focus()

    def _show_message(self, text: str, *, error: bool) -> None:
        message = self.query_one("#order-line-message", Static)
        message.update(escape(text))
        message.set_class(error, "-error")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.billing.report_worker_failure(event.worker)
