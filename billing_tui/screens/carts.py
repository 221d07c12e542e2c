"""Carts, the start screen: every cart, filtered, searched, sorted and paged in SQL (S000.1, S000.3).

It is on screen before the database is open: its first page is loaded by a worker after the
first frame, so this module imports no service that loads the database stack.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.domain.carts import SORTS, STATUS_FILTERS
from billing_tui.screens.base import BillingScreen
from billing_tui.screens.format import day, money, plain, state
from billing_tui.services.cart_views import CartPage, CartQuery
from billing_tui.widgets.fixed_table import FixedWidthTable
from billing_tui.widgets.footer import Footer

SORT_LABELS = {"date_desc": "newest first", "date_asc": "oldest first", "total_desc": "highest total",
               "total_asc": "lowest total"}
STATUS_LABELS = {"all": "all carts", "confirmed": "confirmed", "unconfirmed": "not confirmed", "open": "open",
                 "abandoned": "abandoned", "payment_failed": "payment failed"}


def _cells(page: CartPage) -> list[tuple[Text, ...]]:
    """The table cells of each cart on the page, in column order."""
    return [
        (
            plain(str(row.number)),
            plain(day(row.created_at)),
            plain(row.customer_name),
            money(row.total, row.currency),
            state(row.status),
            state(row.payment_method),
            state(row.payment_state),
            state(row.order_state),
            state(row.invoice_state),
        )
        for row in page.rows
    ]


class CartsScreen(BillingScreen):
    """The list of every cart; Enter opens one."""

    TITLE = "Carts"
    PALETTE_GROUP = "Carts"
    AUTO_FOCUS = "#carts-table"  # focus the list from the start, not the search field first and then the list
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="carts.search", tooltip="Cart number or customer name"),
        Binding("f", "cycle_status", "Filter", id="carts.filter", tooltip="All, confirmed, not confirmed, ..."),
        Binding("s", "cycle_sort", "Sort", id="carts.sort", tooltip="By date or by total"),
        Binding("n", "page(1)", "Next page", id="carts.next"),
        Binding("p", "page(-1)", "Prev page", id="carts.prev"),
        Binding("escape", "leave_search", "Back to list", show=False, id="carts.leave_search"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_state = CartQuery()
        self.page: CartPage | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="carts-bar", classes="toolbar"):
            yield Input(placeholder="Search cart no. or customer (/)", id="carts-search", compact=True)
            yield Static("", id="carts-filter", classes="toolbar-info")
        table = FixedWidthTable(id="carts-table", cursor_type="row", zebra_stripes=True)
        table.add_column("Cart", key="number", width=7)
        table.add_column("Date", key="date", width=10)
        table.add_column("Customer", key="customer", width=20)
        table.add_column("Total", key="total", width=11)
        table.add_column("Status", key="status", width=10)
        table.add_column("Pay by", key="method", width=8)
        table.add_column("Payment", key="payment", width=8)
        table.add_column("Order", key="order", width=10)
        table.add_column("Invoice", key="invoice", width=10)
        yield table
        yield Static("Loading carts…", id="carts-status", classes="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#carts-table", DataTable).focus()  # (already, by AUTO_FOCUS, when the app has focus)
        self._describe()
        # After the first frame: the first load opens the database, which takes a while.
        self.billing.after_first_frame(self._load_current)

    # --- loading ------------------------------------------------------------------------------

    def _load_current(self) -> None:
        self.load_page(self.query_state)

    @work(thread=True, exclusive=True, group="carts-page", exit_on_error=False, description="Loading carts")
    def load_page(self, query: CartQuery) -> None:
        """Fetch one page in a thread (the first one imports the database stack); a newer request cancels
        this one's display."""
        from billing_tui.services.carts import list_carts

        page = list_carts(self.billing.ctx, query)
        cells = _cells(page)  # formatted here too, not in the UI thread
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_page, query, page, cells)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # (BillingScreen's handler tells the user why; this one fixes the status line.)
        if event.worker.group == "carts-page" and event.state is WorkerState.ERROR and self.page is None:
            self.query_one("#carts-status", Static).update(
                "Carts not loaded. Change the filter (f), the sort (s) or the search (/) to try again."
            )

    def _show_page(self, query: CartQuery, page: CartPage, cells: list[tuple[Text, ...]]) -> None:
        if query != self.query_state:
            return
        self.page = page
        table = self.query_one("#carts-table", DataTable)
        table.clear()
        for row, row_cells in zip(page.rows, cells, strict=True):
            table.add_row(*row_cells, key=str(row.number))
        status = self.query_one("#carts-status", Static)
        if not page.rows:
            status.update("No carts match. Change the filter (f) or the search (/).")
        else:
            first = page.offset + 1
            more = "  n: next page" if page.has_more else ""
            back = "  p: previous page" if page.offset else ""
            status.update(f"Carts {first}–{page.offset + len(page.rows)}{more}{back}  Enter: open")
        self.refresh_bindings()
        self.billing.first_page_shown()

    def _reload(self, **changes: object) -> None:
        self.query_state = CartQuery(**{**self.query_state.__dict__, **changes})  # type: ignore[arg-type]
        self._describe()
        self.load_page(self.query_state)

    def _describe(self) -> None:
        q = self.query_state
        self.query_one("#carts-filter", Static).update(
            f"Filter: {STATUS_LABELS[q.status]} · Sort: {SORT_LABELS[q.sort]}"
        )

    # --- actions ------------------------------------------------------------------------------

    def set_status(self, status: str) -> None:
        """Show only carts in ``status`` (one of STATUS_FILTERS)."""
        if status in STATUS_FILTERS:
            self._reload(status=status, offset=0)

    def action_cycle_status(self) -> None:
        i = STATUS_FILTERS.index(self.query_state.status)
        self.set_status(STATUS_FILTERS[(i + 1) % len(STATUS_FILTERS)])

    def action_cycle_sort(self) -> None:
        i = SORTS.index(self.query_state.sort)
        self._reload(sort=SORTS[(i + 1) % len(SORTS)], offset=0)

    def action_page(self, step: int) -> None:
        q = self.query_state
        if step > 0 and self.page is not None and not self.page.has_more:
            self.notify("This is the last page.", timeout=3)
            return
        offset = max(0, q.offset + step * q.limit)
        if offset != q.offset:
            self._reload(offset=offset)

    def action_focus_search(self) -> None:
        self.query_one("#carts-search", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one("#carts-table", DataTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page" and parameters:
            if parameters[0] == -1 and self.query_state.offset == 0:
                return None
            if parameters[0] == 1 and self.page is not None and not self.page.has_more:
                return None
        return True

    @on(Input.Changed, "#carts-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._reload(search=event.value, offset=0)

    @on(Input.Submitted, "#carts-search")
    def _search_submitted(self) -> None:
        self.action_leave_search()

    @on(DataTable.RowSelected, "#carts-table")
    def _open_cart(self, event: DataTable.RowSelected) -> None:
        from billing_tui.screens.cart_detail import CartDetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(CartDetailScreen(int(event.row_key.value)))
