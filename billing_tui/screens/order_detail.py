"""One order: its totals, lines (locked once billed), linked invoices, instalment plan, and the billing keys (S003)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import DataTable, Footer, Header, Static

from billing_tui.screens.base import BillingScreen
from billing_tui.screens.format import day, money, money_text, plain, state, state_markup
from billing_tui.services.orders import OrderDetail, OrderLineView, cancel_order, get_order, remove_line, ship_order

REFUSALS = {"add_line": "add_line", "remove_line": "remove_line", "ship": "ship", "cancel_order": "cancel",
            "partial": "partial", "advance": "advance", "instalments": "instalments", "final": "final"}
"""Each key action whose possibility the service decides: the action -> its key in ``OrderDetail.refusals``."""

WIZARDS = {"partial": ("PartialWizard", "partial invoice"), "advance": ("AdvanceWizard", "advance invoice"),
           "instalments": ("InstalmentsWizard", "instalments"), "final": ("FinalWizard", "final invoice")}
"""The billing wizards (``billing_tui.screens.order_wizards``): action -> (class name, what it issues)."""

ROLES = {"partial": "partial", "advance": "advance", "instalment": "instalment", "final": "final",
         "invoice": "whole cart"}


BILL = Binding.Group("Bill in parts", compact=True)
"""The footer shows the four billing keys together (p a i f), so that every key fits at 80 columns."""


class OrderDetailScreen(BillingScreen):
    """An order; keys that are not possible now are greyed out, and pressing one says why."""

    PALETTE_GROUP = "Order"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", show=False, id="order.back", tooltip="Back to the list"),
        Binding("n", "add_line", "Add line", id="order.add_line", tooltip="Add a product to a draft or in-planning order"),
        Binding("d", "remove_line", "Remove", id="order.remove_line",
                tooltip="Remove the selected line (not one an invoice has billed)"),
        Binding("s", "ship", "Ship", id="order.ship", tooltip="Mark the order shipped (asks first)"),
        Binding("x", "cancel_order", "Cancel", id="order.cancel",
                tooltip="Cancel an order with no invoice (asks first)"),
        Binding("p", "partial", "Partial", id="order.partial", group=BILL,
                tooltip="Partial invoice: bills every line not yet billed and locks them"),
        Binding("a", "advance", "Advance", id="order.advance", group=BILL,
                tooltip="Advance invoice: an amount or a percentage of a draft order"),
        Binding("i", "instalments", "Instalments", id="order.instalments", group=BILL,
                tooltip="Bill what is left of a shipped order in instalments, now or on their dates"),
        Binding("f", "final", "Final", id="order.final", group=BILL,
                tooltip="Final invoice: what is left, listing the earlier invoices, less the advances"),
        Binding("o", "open_invoice", "Invoice", id="order.open_invoice",
                tooltip="Open the selected invoice of the order (Tab: the invoices table)"),
    ]

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number
        self.detail: OrderDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="order-body"):
            yield Static(f"Loading order {self.number}…", id="order-summary")
            yield Static("[b]Lines[/b]", classes="section-title")
            lines: DataTable[object] = DataTable(id="order-lines", cursor_type="row", zebra_stripes=True)
            for key, label, width in (("pos", "#", 2), ("sku", "SKU", 13), ("product", "Product", 18),
                                      ("qty", "Qty", 5), ("total", "Net", 11), ("lock", "Billed", 17)):
                lines.add_column(label, key=key, width=width)
            yield lines
            yield Static("[b]Invoices[/b]", classes="section-title")
            invoices: DataTable[object] = DataTable(id="order-invoices", cursor_type="row", zebra_stripes=True)
            for key, label, width in (("number", "Number", 10), ("role", "Role", 10), ("date", "Date", 10),
                                      ("amount", "Amount", 11), ("state", "State", 9), ("mail", "Mail", 6)):
                invoices.add_column(label, key=key, width=width)
            yield invoices
            yield Static("", id="order-no-invoices")
            yield Static("[b]Instalment plan[/b]", classes="section-title", id="order-plan-title")
            yield Static("", id="order-plan")
        yield Footer(compact=True)  # ten keys at 80 columns

    def on_mount(self) -> None:
        self.title = f"Order {self.number}"
        self.query_one("#order-lines", DataTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.detail is not None:  # back from an invoice or a wizard: show the order as it is now
            self.load()

    # --- loading ------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="order-detail", exit_on_error=False, description="Loading order")
    def load(self) -> None:
        detail = get_order(self.billing.ctx, self.number)
        self.app.call_from_thread(self._show, detail)

    def _show(self, d: OrderDetail) -> None:
        self.detail = d
        cur = d.currency
        self.query_one("#order-summary", Static).update(
            f"[b]Order {d.number}[/b]  {day(d.created_at)}  {state_markup(d.state)}   "
            f"[b]Left to bill {money_text(d.left_to_bill, cur)}[/b]\n"
            f"[b]Customer:[/b] {escape(d.customer_name)} (id {d.customer_id})\n"
            f"[b]Total[/b] {money_text(d.total, cur)}   [b]Invoiced[/b] {money_text(d.invoiced, cur)}   "
            f"[b]Advanced[/b] {money_text(d.advanced, cur)}"
        )
        lines = self.query_one("#order-lines", DataTable)
        row = lines.cursor_row
        lines.clear()
        for ln in d.lines:
            lock = (Text(f"locked by {ln.locked_by}", style="yellow") if ln.locked_by
                    else Text("by the plan" if d.plan else "not billed", style="dim"))
            lines.add_row(str(ln.position), plain(ln.sku), plain(ln.description),
                          Text(f"{ln.quantity.normalize():f}", justify="right"), money(ln.line_total, cur), lock,
                          key=str(ln.position))
        if d.lines:
            lines.move_cursor(row=min(row, len(d.lines) - 1))
        invoices = self.query_one("#order-invoices", DataTable)
        invoices.clear()
        for inv in d.invoices:
            invoices.add_row(plain(inv.number), ROLES.get(inv.role, inv.role), day(inv.issue_date),
                             money(inv.total, cur), state(inv.status), state(inv.mail_status), key=inv.number)
        invoices.display = bool(d.invoices)
        self.query_one("#order-no-invoices", Static).update("" if d.invoices else "[dim]No invoice yet.[/dim]")
        self.query_one("#order-no-invoices", Static).display = not d.invoices
        plan = [f"{p.seq}/{p.count}  {day(p.due_date)}  {money_text(p.amount, cur):>12}  "
                f"{state_markup(p.status)}{' ' * (8 - len(p.status))}"
                f"{escape(p.invoice_number) if p.invoice_number else '[dim]issued on its date[/dim]'}"
                for p in d.plan]
        self.query_one("#order-plan", Static).update("\n".join(plan))
        self.query_one("#order-plan", Static).display = bool(plan)
        self.query_one("#order-plan-title", Static).display = bool(plan)
        self.refresh_bindings()

    # --- which keys are possible now ------------------------------------------------------------

    def _selected_line(self) -> OrderLineView | None:
        d = self.detail
        row = self.query_one("#order-lines", DataTable).cursor_row
        return d.lines[row] if d is not None and 0 <= row < len(d.lines) else None

    def _selected_invoice(self) -> str | None:
        d = self.detail
        row = self.query_one("#order-invoices", DataTable).cursor_row
        return d.invoices[row].number if d is not None and 0 <= row < len(d.invoices) else None

    def refusal(self, action: str) -> str | None:
        """Why ``action`` is not possible on this order now (from the service's refusals), or None."""
        d = self.detail
        if d is None:
            return f"Order {self.number} is still loading."
        if action in REFUSALS and d.refusals.get(REFUSALS[action]):
            return d.refusals[REFUSALS[action]]
        if action == "remove_line":
            line = self._selected_line()
            if line is None:
                return f"Order {d.number} has no lines to remove."
            if line.locked_reason:
                return line.locked_reason
        if action == "open_invoice" and not d.invoices:
            return f"Order {d.number} has no invoice yet."
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in REFUSALS or action == "open_invoice":
            return None if self.refusal(action) else True
        return True

    def on_key(self, event: events.Key) -> None:
        # A greyed-out key does not reach its action: say why it is not possible instead of doing nothing.
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.key == event.key and binding.action in (*REFUSALS,
                                                                                                "open_invoice"):
                reason = self.refusal(binding.action)
                if reason:
                    event.stop()
                    event.prevent_default()
                    self.notify(reason, title="Not possible now", severity="warning", timeout=8)
                return

    @on(DataTable.RowHighlighted, "#order-lines")
    def _line_highlighted(self) -> None:
        self.refresh_bindings()  # "d" is greyed out on a locked line

    @on(DataTable.RowSelected, "#order-invoices")
    async def _invoice_selected(self) -> None:
        await self.action_open_invoice()

    # --- actions ------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss(None)

    async def action_open_invoice(self) -> None:
        from billing_tui.screens.invoice_detail import InvoiceDetailScreen

        number = self._selected_invoice()
        if number is not None:
            await self.app.push_screen(InvoiceDetailScreen(number))

    @work(exclusive=True, group="order-action")
    async def action_add_line(self) -> None:
        from billing_tui.screens.order_line import OrderLineDialog

        if self.detail is None or self._refused("add_line"):
            return
        added = await self.app.push_screen_wait(OrderLineDialog(self.number, self.detail.customer_name))
        if added is not None:
            self._show(added)
            line = added.lines[-1]
            self.notify(f"Line {line.position} added: {line.sku} × {line.quantity.normalize():f}.", title="Order")

    @work(exclusive=True, group="order-action")
    async def action_remove_line(self) -> None:
        from billing_tui.screens.confirm import ConfirmScreen

        line = self._selected_line()
        if line is None or self._refused("remove_line"):
            return
        question = (f"Remove line {line.position} from order {self.number}?\n\n{line.sku}  {line.description}  × "
                    f"{line.quantity.normalize():f}  {money_text(line.line_total)}")
        if await self.app.push_screen_wait(ConfirmScreen(question, yes="Remove line", no="Keep it")):
            self._remove(line.position)

    @work(thread=True, exclusive=True, group="order-write", exit_on_error=False, description="Removing a line")
    def _remove(self, position: int) -> None:
        detail = remove_line(self.billing.ctx, self.number, position)
        self.app.call_from_thread(self._show, detail)
        self.app.call_from_thread(self.notify, f"Line {position} removed from order {self.number}.", title="Order")

    @work(exclusive=True, group="order-action")
    async def action_ship(self) -> None:
        from billing_tui.screens.confirm import ConfirmScreen

        d = self.detail
        if d is None or self._refused("ship"):
            return
        question = (f"Mark order {d.number} ({d.customer_name}) shipped?\n\nIts lines can no longer change; what is "
                    f"left to bill ({money_text(d.left_to_bill, d.currency)}) is billed by its final invoice or in "
                    "instalments.")
        if await self.app.push_screen_wait(ConfirmScreen(question, yes="Mark shipped", no="Not yet")):
            self._ship()

    @work(thread=True, exclusive=True, group="order-write", exit_on_error=False, description="Shipping")
    def _ship(self) -> None:
        detail = ship_order(self.billing.ctx, self.number)
        self.app.call_from_thread(self._show, detail)
        self.app.call_from_thread(self.notify, f"Order {self.number} is shipped.", title="Order")

    @work(exclusive=True, group="order-action")
    async def action_cancel_order(self) -> None:
        from billing_tui.screens.confirm import ConfirmScreen

        d = self.detail
        if d is None or self._refused("cancel_order"):
            return
        question = (f"Cancel order {d.number} ({d.customer_name}), total {money_text(d.total, d.currency)}?\n\n"
                    "Nothing is invoiced on it; it will not be billed. This cannot be undone.")
        if await self.app.push_screen_wait(ConfirmScreen(question, yes="Cancel order", no="Keep it")):
            self._cancel()

    @work(thread=True, exclusive=True, group="order-write", exit_on_error=False, description="Cancelling order")
    def _cancel(self) -> None:
        cancel_order(self.billing.ctx, self.number)
        self.app.call_from_thread(self.notify, f"Order {self.number} cancelled.", title="Order")
        self.app.call_from_thread(self.load)

    def action_partial(self) -> None:
        self._open_wizard("partial")

    def action_advance(self) -> None:
        self._open_wizard("advance")

    def action_instalments(self) -> None:
        self._open_wizard("instalments")

    def action_final(self) -> None:
        self._open_wizard("final")

    def _refused(self, action: str) -> bool:
        """True (and the reason shown) when ``action`` is not possible now, e.g. run from the palette."""
        reason = self.refusal(action)
        if reason:
            self.notify(reason, title="Not possible now", severity="warning", timeout=8)
        return reason is not None

    def _open_wizard(self, action: str) -> None:
        """Open the wizard of ``action``; when it has issued invoices, show the order again and name them."""
        class_name, what = WIZARDS[action]
        if self._refused(action):
            return
        try:
            from billing_tui.screens import order_wizards
        except ImportError:
            self.notify(f"The {what} wizard is not available.", title="Not available", severity="warning")
            return
        wizard = getattr(order_wizards, class_name, None)
        if wizard is None:
            self.notify(f"The {what} wizard is not available.", title="Not available", severity="warning")
            return

        def done(issued: tuple[str, ...] | None) -> None:
            if issued is None:  # left with Escape: nothing changed
                return
            self.load()
            if issued:
                self.notify(f"Issued {', '.join(issued)}", title=f"Order {self.number}")
            else:
                self.notify("Nothing is issued today: the scheduler issues each instalment on its date.",
                            title=f"Order {self.number}")

        self.app.push_screen(wizard(self.number, self.billing.today()), done)
