"""One cart: its lines, totals with the VAT breakdown, the customer, payments and invoices."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import DataTable, Footer, Header, Static

from billing_tui.screens.base import BillingScreen
from billing_tui.screens.format import day, moment, money, money_text, plain, state_markup
from billing_tui.services.carts import CartDetail, get_cart
from billing_tui.services.invoices import (
    InvoiceDetail,
    invoice_for_cart,
    issue_invoice_for_cart,
)
from billing_tui.services.orders import cancel_order, cancellation_refusal


class CartDetailScreen(BillingScreen):
    """The contents of one cart (S000.1); Escape goes back to the list."""

    PALETTE_GROUP = "Cart"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="cart.back", tooltip="Back to the carts list"),
        Binding("c", "open_customer", "Customer", id="cart.customer", tooltip="Open the customer's billing profile"),
        Binding("i", "issue_invoice", "Issue invoice", id="cart.issue", tooltip="Issue the invoice of a paid cart now"),
        Binding("v", "open_invoice", "Invoice", id="cart.invoice", tooltip="Open the cart's invoice"),
        Binding("x", "cancel_order", "Cancel order", id="cart.cancel_order",
                tooltip="Cancel the order (not its invoice)"),
        Binding("o", "open_order", "Order", id="cart.order",
                tooltip="Open the order of a confirmed cart: its invoices, billing in parts"),
    ]

    def __init__(self, number: int) -> None:
        super().__init__()
        self.number = number
        self.detail: CartDetail | None = None
        self.invoice: InvoiceDetail | None = None
        self.cancel_refusal: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="cart-body"):
            yield Static(f"Loading cart {self.number}…", id="cart-summary")
            yield Static("[b]Lines[/b]", classes="section-title")
            lines: DataTable[object] = DataTable(id="cart-lines", cursor_type="row", zebra_stripes=True)
            lines.add_columns("#", "SKU", "Product", "Qty", "Unit price", "VAT %", "Total")
            yield lines
            yield Static("", id="cart-totals")
            yield Static("[b]Payments[/b]", classes="section-title")
            yield Static("", id="cart-payments")
            yield Static("[b]Invoices[/b]", classes="section-title")
            yield Static("", id="cart-invoices")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Cart {self.number}"
        self.query_one("#cart-lines", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="cart-detail", exit_on_error=False, description="Loading cart")
    def load(self) -> None:
        detail = get_cart(self.billing.ctx, self.number)
        invoice = invoice_for_cart(self.billing.ctx, self.number)
        refusal = cancellation_refusal(self.billing.ctx, self.number)
        self.app.call_from_thread(self._show, detail, invoice, refusal)

    def on_screen_resume(self) -> None:
        if self.detail is not None:
            self.load()

    def _show(self, d: CartDetail, invoice: InvoiceDetail | None = None, refusal: str | None = None) -> None:
        self.detail = d
        self.invoice = invoice
        self.cancel_refusal = refusal
        paid = f" {day(d.paid_at)}" if d.paid_at else ""
        self.query_one("#cart-summary", Static).update(
            f"[b]Cart {d.number}[/b]  {moment(d.created_at)}  {state_markup(d.status)}\n"
            f"[b]Customer:[/b] {escape(d.customer_name)} (id {d.customer_id}, {d.customer_type}, "
            f"{d.customer_country})  {escape(d.customer_email)}\n"
            f"[b]Payment:[/b] {state_markup(d.payment_method)} {state_markup(d.payment_state)}{paid}   "
            f"[b]Order:[/b] {state_markup(d.order_state)}   [b]Invoice:[/b] {state_markup(d.invoice_state)}"
        )
        table = self.query_one("#cart-lines", DataTable)
        table.clear()
        for ln in d.lines:
            table.add_row(
                str(ln.position), plain(ln.sku), plain(ln.description), Text(f"{ln.quantity.normalize():f}", justify="right"),
                money(ln.unit_price, d.currency), Text(f"{ln.vat_rate.normalize():f}%", justify="right"),
                money(ln.line_total, d.currency),
            )
        vat_lines = [
            f"VAT {row.rate.normalize():f}%:  taxable {money_text(row.taxable, d.currency)}"
            f"  VAT {money_text(row.vat, d.currency)}"
            for row in d.vat_rows
        ]
        vat_lines.append(
            f"[b]Net[/b] {money_text(d.net, d.currency)}   [b]VAT[/b] {money_text(d.vat, d.currency)}"
            f"   [b]Total[/b] {money_text(d.total, d.currency)}"
        )
        self.query_one("#cart-totals", Static).update("\n".join(vat_lines))
        payments = []
        for p in d.payments:
            line = (f"{moment(p.created_at)}  {state_markup(p.method)}  {money_text(p.amount, d.currency)}"
                    f"  {state_markup(p.state)}")
            if p.credited_at:
                line += f"  credited {day(p.credited_at)}"
            if p.reference:
                line += f"  ref {escape(p.reference)}"
            payments.append(line)
        self.query_one("#cart-payments", Static).update("\n".join(payments) or "[dim]No payment yet.[/dim]")
        if invoice is not None:
            doc = invoice.document
            text = (f"Invoice [b]{escape(doc.number)}[/b]  {day(doc.issue_date)}  {money_text(doc.total, doc.currency)}"
                    f"  {state_markup(invoice.status)}  mail {state_markup(invoice.mail_status)}  v: open")
            text += "".join(f"\n  {x.kind.replace('_', ' ')} {escape(x.number)}  {day(x.issue_date)}"
                            f"  {money_text(x.total, doc.currency)}" for x in invoice.linked)
        else:
            text = "[dim]" + escape({
                "to_invoice": "Not invoiced yet: paid carts are invoiced automatically within 72 hours of the money "
                              "being credited; i issues it now.",
                "not_due": "Nothing to invoice: the cart is not confirmed and paid, or its order was cancelled.",
            }.get(d.invoice_state, f"Invoice state: {d.invoice_state}")) + "[/dim]"
        self.query_one("#cart-invoices", Static).update(text)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "issue_invoice":
            return (self.detail is not None and self.invoice is None
                    and self.detail.invoice_state == "to_invoice") or None
        if action == "open_invoice":
            return self.invoice is not None or None
        if action == "cancel_order":
            return (self.detail is not None and self.detail.status == "confirmed"
                    and self.detail.order_state != "cancelled") or None
        if action == "open_order":
            return (self.detail is not None and self.detail.status == "confirmed") or None
        return True

    @work(exclusive=True, group="cart-action")
    async def action_issue_invoice(self) -> None:
        from billing_tui.screens.issue_invoice import IssueInvoiceDialog

        if self.detail is None:
            return
        on = await self.app.push_screen_wait(IssueInvoiceDialog(self.detail, self.billing.today()))
        if on is not None:
            self._issue(on)

    @work(thread=True, exclusive=True, group="cart-write", exit_on_error=False, description="Issuing invoice")
    def _issue(self, on: date) -> None:
        invoice = issue_invoice_for_cart(self.billing.ctx, self.number, on=on)
        self.app.call_from_thread(self.notify, f"Invoice {invoice.number} issued; its mail is queued.",
                                  title="Invoice")
        self.app.call_from_thread(self.load)

    async def action_open_invoice(self) -> None:
        from billing_tui.screens.invoice_detail import InvoiceDetailScreen

        if self.invoice is not None:
            await self.app.push_screen(InvoiceDetailScreen(self.invoice.number))

    @work(exclusive=True, group="cart-action")
    async def action_cancel_order(self) -> None:
        from billing_tui.screens.confirm import ConfirmScreen

        if self.detail is None:
            return
        if self.cancel_refusal:
            self.notify(self.cancel_refusal, title="Cannot cancel the order", severity="warning", timeout=10)
            return
        question = (f"Cancel the order of cart {self.detail.number} ({self.detail.customer_name})?\n\n"
                    "It has no invoice, so none is cancelled; the cart will not be invoiced.")
        if await self.app.push_screen_wait(ConfirmScreen(question, yes="Cancel order", no="Keep it")):
            self._cancel_order()

    @work(thread=True, exclusive=True, group="cart-write", exit_on_error=False, description="Cancelling order")
    def _cancel_order(self) -> None:
        cancel_order(self.billing.ctx, self.number)
        self.app.call_from_thread(self.notify, f"Order of cart {self.number} cancelled.", title="Order")
        self.app.call_from_thread(self.load)

    def action_back(self) -> None:
        self.dismiss(None)

    async def action_open_order(self) -> None:
        from billing_tui.screens.order_detail import OrderDetailScreen

        if self.detail is not None and self.detail.status == "confirmed":
            await self.app.push_screen(OrderDetailScreen(self.number))

    async def action_open_customer(self) -> None:
        from billing_tui.screens.customer_form import CustomerFormScreen

        if self.detail is not None:
            await self.app.push_screen(CustomerFormScreen(self.detail.customer_id))
