"""Invoices: every issued document with its kind, state and mail state; filter, search, open (S000.3, S004.12)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from billing_tui.screens.paged import PagedListScreen
from billing_tui.screens.format import day, money, plain, state
from billing_tui.services.invoices import KINDS, STATUSES, InvoicePage, list_invoices

KIND_LABELS = {"all": "all kinds", "invoice": "invoices", "cancellation": "cancellations", "credit_note": "credit notes"}
KIND_SHORT = {"invoice": "invoice", "cancellation": "storno", "credit_note": "credit"}


class InvoicesScreen(PagedListScreen):
    """The list of documents; Enter opens one."""

    TITLE = "Invoices"
    PALETTE_GROUP = "Invoices"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="invoices.search", tooltip="Number or customer"),
        Binding("k", "cycle_kind", "Kind", id="invoices.kind", tooltip="Invoices, cancellations, credit notes"),
        Binding("t", "cycle_status", "State", id="invoices.status", tooltip="Issued, cancelled, credited"),
        Binding("y", "cycle_year", "Year", id="invoices.year", tooltip="All years, this year, earlier years"),
        Binding("n", "page(1)", "Next page", id="invoices.next"),
        Binding("p", "page(-1)", "Prev page", id="invoices.prev"),
        Binding("escape", "leave_search", "Back to list", show=False, id="invoices.leave_search"),
    ]

    SEARCH_ID = "invoices-search"
    TABLE_ID = "invoices-table"

    def __init__(self) -> None:
        super().__init__()
        self.kind = "all"
        self.status = "all"
        self.year: int | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="toolbar"):
            yield Input(placeholder="Search number or customer (/)", id="invoices-search", compact=True)
            yield Static("", id="invoices-filter", classes="toolbar-info")
        table: DataTable[object] = DataTable(id="invoices-table", cursor_type="row", zebra_stripes=True)
        # 78 columns in all: every column fits at 80x24.
        table.add_column("Number", key="number", width=11)
        table.add_column("Date", key="date", width=10)
        table.add_column("Kind", key="kind", width=7)
        table.add_column("Customer", key="customer", width=11)
        table.add_column("Total", key="total", width=10)
        table.add_column("State", key="state", width=9)
        table.add_column("Mail", key="mail", width=6)
        yield table
        yield Static("Loading invoices…", id="invoices-status", classes="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#invoices-table", DataTable).focus()
        self.reload()

    def _key(self) -> tuple[object, ...]:
        return (self.kind, self.status, self.year, self.search_text, self.page_offset)

    def reload(self) -> None:
        year = "all years" if self.year is None else str(self.year)
        self.query_one("#invoices-filter", Static).update(
            f"{KIND_LABELS[self.kind]} · {self.status if self.status != 'all' else 'any state'} · {year}")
        self.load(self._key())

    @work(thread=True, exclusive=True, group="invoices-page", exit_on_error=False, description="Loading invoices")
    def load(self, key: tuple[object, ...]) -> None:
        kind, status, year, search, offset = key
        page = list_invoices(self.billing.ctx, kind=str(kind), status=str(status), year=year,  # type: ignore[arg-type]
                             search=str(search), offset=int(offset))  # type: ignore[call-overload]
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, key, page)

    def _show(self, key: tuple[object, ...], page: InvoicePage) -> None:
        if key != self._key():
            return
        self.page = page
        table = self.query_one("#invoices-table", DataTable)
        table.clear()
        for r in page.rows:
            table.add_row(plain(r.number), day(r.issue_date), KIND_SHORT.get(r.kind, r.kind), plain(r.customer_name),
                          money(r.total, r.currency), state(r.status), state(r.mail_status), key=r.number)
        status = self.query_one("#invoices-status", Static)
        if not page.rows:
            status.update("No documents match. Paid carts are invoiced automatically (see Jobs, F6).")
        else:
            more = "  n: next page" if page.has_more else ""
            status.update(f"Documents {page.offset + 1}–{page.offset + len(page.rows)}{more}  Enter: open")
        self.refresh_bindings()

    def action_cycle_kind(self) -> None:
        options = ("all", *KINDS)
        self.kind = options[(options.index(self.kind) + 1) % len(options)]
        self.page_offset = 0
        self.reload()

    def action_cycle_status(self) -> None:
        options = ("all", *STATUSES)
        self.status = options[(options.index(self.status) + 1) % len(options)]
        self.page_offset = 0
        self.reload()

    def action_cycle_year(self) -> None:
        this_year = self.billing.today().year
        options: list[int | None] = [None, this_year, this_year - 1, this_year - 2]
        self.year = options[(options.index(self.year) + 1) % len(options)] if self.year in options else None
        self.page_offset = 0
        self.reload()

    @on(DataTable.RowSelected, "#invoices-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        from billing_tui.screens.invoice_detail import InvoiceDetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(InvoiceDetailScreen(str(event.row_key.value)))

