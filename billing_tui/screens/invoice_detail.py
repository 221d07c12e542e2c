"""One document: lines, totals, links to its cart and related documents, mails, and what can be done with it."""

from __future__ import annotations

from decimal import Decimal
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
from billing_tui.services import invoices as invoice_service
from billing_tui.services.invoices import InvoiceDetail

TITLES = {"invoice": "Invoice", "cancellation": "Cancellation invoice", "credit_note": "Credit note"}


class InvoiceDetailScreen(BillingScreen):
    """An issued document; cancel (with confirmation), credit, resend or export its PDF."""

    PALETTE_GROUP = "Invoice"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="invoice.back"),
        Binding("x", "cancel_invoice", "Cancel invoice", id="invoice.cancel",
                tooltip="Issue a cancellation invoice that reverses it in full"),
        Binding("r", "credit_note", "Credit note", id="invoice.credit", tooltip="Credit part or all of it"),
        Binding("m", "resend", "Resend mail", id="invoice.resend", tooltip="Queue the email with the PDF again"),
        Binding("e", "export_pdf", "Export PDF", id="invoice.export", tooltip="Save the PDF to a file"),
        Binding("o", "open_related", "Open cart/invoice", id="invoice.related",
                tooltip="The cart it was issued for, or the invoice it refers to"),
    ]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.detail: InvoiceDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="invoice-body"):
            yield Static(f"Loading {escape(self.number)}…", id="invoice-summary")
            lines: DataTable[object] = DataTable(id="invoice-lines", cursor_type="row", zebra_stripes=True)
            for label, width in (("#", 2), ("Description", 32), ("Qty", 5), ("Unit price", 11), ("VAT %", 5),
                                 ("Amount", 11)):
                lines.add_column(label, width=width)
            yield lines
            yield Static("", id="invoice-totals")
            yield Static("[b]Linked documents[/b]", classes="section-title")
            yield Static("", id="invoice-links")
            yield Static("[b]Mail[/b]", classes="section-title")
            yield Static("", id="invoice-mails")
            yield Static("", id="invoice-actions", classes="section-title")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.number
        self.query_one("#invoice-lines", DataTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        if self.detail is not None:
            self.load()

    @work(thread=True, exclusive=True, group="invoice-detail", exit_on_error=False, description="Loading invoice")
    def load(self) -> None:
        from billing_tui.services.mail import list_mail

        detail = invoice_service.get_invoice(self.billing.ctx, self.number)
        mails = list_mail(self.billing.ctx, invoice_id=detail.id).rows
        self.app.call_from_thread(self._show, detail, mails)

    def _show(self, d: InvoiceDetail, mails: tuple[object, ...]) -> None:
        self.detail = d
        doc = d.document
        cur = doc.currency
        customer = doc.customer
        ids = " · ".join(x for x in (customer.vat_number and f"VAT {customer.vat_number}",
                                     customer.fiscal_code and f"FC {customer.fiscal_code}",
                                     customer.pa_office_code and f"PA office {customer.pa_office_code}") if x)
        origin = f"cart {d.cart_number}" if d.cart_number else (
            f"refers to {d.refers_to.number}" if d.refers_to else "")
        self.query_one("#invoice-summary", Static).update(
            f"[b]{TITLES[d.kind]} {escape(doc.number)}[/b]  {day(doc.issue_date)}  {state_markup(d.status)}"
            f"  {escape(origin)}\n"
            f"[b]Customer:[/b] {escape(customer.name)} (id {d.customer_id})  {escape(ids)}\n"
            f"[b]Payment:[/b] {state_markup(doc.payment_method)} "
            f"{'paid' if doc.paid else 'due ' + day(doc.due_date)}  [b]Language:[/b] {doc.language}"
            f"  [b]Issued by[/b] {escape(d.created_by)} {moment(d.issued_at)}"
        )
        table = self.query_one("#invoice-lines", DataTable)
        table.clear()
        for ln in doc.lines:
            table.add_row(str(ln.position), plain(ln.description), Text(f"{ln.quantity.normalize():f}", justify="right"),
                          money(ln.unit_price, cur), Text(f"{ln.vat_rate.normalize():f}%", justify="right"),
                          money(ln.line_total, cur))
        totals = [f"VAT {r.rate.normalize():f}%:  taxable {money_text(r.taxable, cur)}  VAT {money_text(r.vat, cur)}"
                  for r in doc.vat_rows]
        totals.append(f"[b]Net[/b] {money_text(doc.net, cur)}   [b]VAT[/b] {money_text(doc.vat, cur)}"
                      f"   [b]Total[/b] {money_text(doc.total, cur)}")
        if doc.split_payment:
            totals.append(f"[b]Amount due[/b] {money_text(doc.amount_due, cur)}  (split payment: the PA pays the VAT "
                          "to the State)")
        if d.kind == "invoice" and d.status != "cancelled":
            totals.append(f"Still creditable: {money_text(d.creditable, cur)}")
        self.query_one("#invoice-totals", Static).update("\n".join(totals))
        links = []
        if d.refers_to:
            links.append(f"{TITLES[d.kind]} of {TITLES[d.refers_to.kind].lower()} {escape(d.refers_to.number)} "
                         f"({day(d.refers_to.issue_date)}, {money_text(d.refers_to.total, cur)})  o: open")
        links += [f"{TITLES[x.kind]} {escape(x.number)}  {day(x.issue_date)}  {money_text(x.total, cur)}"
                  for x in d.linked]
        self.query_one("#invoice-links", Static).update("\n".join(links) or "[dim]None.[/dim]")
        mail_lines = []
        for m in mails:
            line = f"{moment(m.created_at)}  to {escape(m.recipient)}  {state_markup(m.status)}"  # type: ignore[attr-defined]
            if m.sent_at:  # type: ignore[attr-defined]
                line += f" {moment(m.sent_at)}"  # type: ignore[attr-defined]
            if m.status == "failed":  # type: ignore[attr-defined]
                nxt = m.next_attempt_at  # type: ignore[attr-defined]
                line += f"  ({escape(m.last_error or '')}; " + (  # type: ignore[attr-defined]
                    f"next try {moment(nxt)})" if nxt else "given up: press m to resend)")
            mail_lines.append(line)
        self.query_one("#invoice-mails", Static).update("\n".join(mail_lines) or "[dim]No mail.[/dim]")
        actions = []
        if d.kind == "invoice":
            actions.append(f"Cancel (x): {'available' if d.can_cancel is None else escape(d.can_cancel)}")
            actions.append(f"Credit note (r): {'available' if d.can_credit is None else escape(d.can_credit)}")
        self.query_one("#invoice-actions", Static).update("\n".join(actions))
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        d = self.detail
        if action == "cancel_invoice":
            return d is not None and d.kind == "invoice" and d.can_cancel is None or None
        if action == "credit_note":
            return d is not None and d.kind == "invoice" and d.can_credit is None or None
        if action in ("resend", "export_pdf", "open_related"):
            return d is not None or None
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="invoice-action")
    async def action_cancel_invoice(self) -> None:
        from billing_tui.screens.confirm import ConfirmScreen

        d = self.detail
        if d is None or d.can_cancel is not None:
            if d is not None:
                self.notify(d.can_cancel or "", severity="warning")
            return
        question = (f"Cancel invoice {d.number} of {day(d.document.issue_date)} to {d.document.customer.name}, "
                    f"total {money_text(d.document.total, d.document.currency)}?\n\nA cancellation invoice that "
                    "reverses it in full will be issued and emailed to the customer. This cannot be undone.")
        if await self.app.push_screen_wait(ConfirmScreen(question, yes=f"Cancel {d.number}", no="Keep it")):
            self._cancel(d.number)

    @work(thread=True, exclusive=True, group="invoice-write", exit_on_error=False, description="Cancelling")
    def _cancel(self, number: str) -> None:
        storno = invoice_service.cancel_invoice(self.billing.ctx, number)
        self.app.call_from_thread(self.notify, f"Cancellation invoice {storno.number} issued; its mail is queued.",
                                  title="Cancelled")
        self.app.call_from_thread(self.load)

    @work(exclusive=True, group="invoice-action")
    async def action_credit_note(self) -> None:
        from billing_tui.screens.credit_note import CreditNoteDialog

        d = self.detail
        if d is None or d.can_credit is not None:
            if d is not None:
                self.notify(d.can_credit or "", severity="warning")
            return
        result: tuple[Decimal, str] | None = await self.app.push_screen_wait(CreditNoteDialog(d))
        if result is not None:
            self._credit(d.number, *result)

    @work(thread=True, exclusive=True, group="invoice-write", exit_on_error=False, description="Issuing credit note")
    def _credit(self, number: str, amount: Decimal, reason: str) -> None:
        note = invoice_service.credit_note(self.billing.ctx, number, amount, reason=reason)
        self.app.call_from_thread(self.notify, f"Credit note {note.number} issued; its mail is queued.",
                                  title="Credit note")
        self.app.call_from_thread(self.load)

    @work(thread=True, exclusive=True, group="invoice-write", exit_on_error=False, description="Queueing mail")
    def action_resend(self) -> None:
        invoice_service.resend_invoice(self.billing.ctx, self.number)
        self.app.call_from_thread(self.notify, f"The mail of {self.number} is queued again.", title="Mail")
        self.app.call_from_thread(self.load)

    @work(thread=True, exclusive=True, group="invoice-write", exit_on_error=False, description="Exporting PDF")
    def action_export_pdf(self) -> None:
        from billing_tui.services.exports import export_pdf

        path = export_pdf(self.billing.ctx, self.number)
        self.app.call_from_thread(self.notify, f"Saved {path}", title="PDF exported", timeout=10)

    async def action_open_related(self) -> None:
        d = self.detail
        if d is None:
            return
        if d.refers_to is not None:
            await self.app.push_screen(InvoiceDetailScreen(d.refers_to.number))
        elif d.cart_number is not None:
            await self.billing.open_cart(d.cart_number)
