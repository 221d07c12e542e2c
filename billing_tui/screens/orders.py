"""Orders: confirmed carts and staff-created orders, with their state and what is left to bill (S003)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Static
from textual.worker import get_current_worker

from billing_tui.screens.format import day, money, plain, state
from billing_tui.screens.paged import PagedListScreen
from billing_tui.services.orders import ORDER_STATES, OrderPage, list_orders
from billing_tui.widgets.footer import Footer

STATE_FILTERS = ("all", *ORDER_STATES)
"""The state filter's values, in the order ``f`` steps through them."""


class OrdersScreen(PagedListScreen):
    """The list of orders, newest first; Enter opens one."""

    TITLE = "Orders"
    PALETTE_GROUP = "Orders"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="orders.search", tooltip="Order number or customer name"),
        Binding("f", "cycle_state", "State", id="orders.state",
                tooltip="All, draft, in planning, in progress, shipped, completed, cancelled"),
        Binding("n", "page(1)", "Next page", id="orders.next"),
        Binding("p", "page(-1)", "Prev page", id="orders.prev"),
        Binding("escape", "leave_search", "Back to list", show=False, id="orders.leave_search"),
    ]

    SEARCH_ID = "orders-search"
    TABLE_ID = "orders-table"

    def __init__(self) -> None:
        super().__init__()
        self.state_filter = "all"
        self.page: OrderPage | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="toolbar"):
            yield Input(placeholder="Search order no. or customer (/)", id="orders-search", compact=True)
            yield Static("", id="orders-filter", classes="toolbar-info")
        table: DataTable[object] = DataTable(id="orders-table", cursor_type="row", zebra_stripes=True)
        # 78 columns in all: every column fits at 80x24.
        table.add_column("Order", key="number", width=6)
        table.add_column("Date", key="date", width=10)
        table.add_column("Customer", key="customer", width=16)
        table.add_column("State", key="state", width=11)
        table.add_column("Total", key="total", width=11)
        table.add_column("Left to bill", key="left", width=12)
        yield table
        yield Static("Loading orders…", id="orders-status", classes="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#orders-table", DataTable).focus()
        self.reload()

    def _key(self) -> tuple[str, str, int]:
        return (self.state_filter, self.search_text, self.page_offset)

    def reload(self) -> None:
        label = "all states" if self.state_filter == "all" else self.state_filter.replace("_", " ")
        self.query_one("#orders-filter", Static).update(f"State: {label}")
        self.load(self._key())

    @work(thread=True, exclusive=True, group="orders-page", exit_on_error=False, description="Loading orders")
    def load(self, key: tuple[str, str, int]) -> None:
        wanted, search, offset = key
        page = list_orders(self.billing.ctx, state=wanted, search=search, offset=offset, limit=self.PAGE_SIZE)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, key, page)

    def _show(self, key: tuple[str, str, int], page: OrderPage) -> None:
        if key != self._key():
            return
        self.page = page
        table = self.query_one("#orders-table", DataTable)
        table.clear()
        for r in page.rows:
            table.add_row(plain(str(r.number)), day(r.created_at), plain(r.customer_name), state(r.state),
                          money(r.total, r.currency), money(r.left_to_bill, r.currency), key=str(r.number))
        status = self.query_one("#orders-status", Static)
        if not page.rows:
            status.update("No orders match. Change the state (f) or the search (/).")
        else:
            more = "  n: next page" if page.has_more else ""
            back = "  p: previous page" if page.offset else ""
            status.update(f"Orders {page.offset + 1}–{page.offset + len(page.rows)}{more}{back}  Enter: open")
        self.refresh_bindings()

    def set_state(self, wanted: str) -> None:
        """Show only orders in ``wanted`` (one of STATE_FILTERS)."""
        if wanted in STATE_FILTERS:
            self.state_filter, self.page_offset = wanted, 0
            self.reload()

    def action_cycle_state(self) -> None:
        self.set_state(STATE_FILTERS[(STATE_FILTERS.index(self.state_filter) + 1) % len(STATE_FILTERS)])

    @on(DataTable.RowSelected, "#orders-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        from billing_tui.screens.order_detail import OrderDetailScreen

        if event.row_key.value is not None:
            self.app.push_screen(OrderDetailScreen(int(event.row_key.value)))
