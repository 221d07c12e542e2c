"""Customers: the billing profiles, searched by name, VAT number, fiscal code or email (S000.4)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Static
from textual.worker import get_current_worker

from billing_tui.domain.profile import CustomerType
from billing_tui.screens.format import plain
from billing_tui.screens.paged import PagedListScreen
from billing_tui.services.customers import CustomerPage, list_customers


class CustomersScreen(PagedListScreen):
    """The list of customers; Enter opens a billing profile for editing."""

    TITLE = "Customers"
    PALETTE_GROUP = "Customers"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", id="customers.search"),
        Binding("n", "page(1)", "Next page", id="customers.next"),
        Binding("p", "page(-1)", "Prev page", id="customers.prev"),
        Binding("k", "account('cards')", "Cards", id="customers.cards",
                tooltip="The customer's saved cards (Stripe): default, delete"),  # S000.7
        Binding("b", "account('subscriptions')", "Subscriptions", id="customers.subscriptions",
                tooltip="The customer's subscriptions: renewals, cancel automatic renewal"),  # S000.6
        Binding("r", "account('credit')", "Credit", id="customers.credit",
                tooltip="Prepaid credit bought, consumed and left, month by month"),  # S000.8
        Binding("escape", "leave_search", "Back to list", show=False, id="customers.leave_search"),
    ]

    SEARCH_ID = "customers-search"
    TABLE_ID = "customers-table"

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="toolbar"):
            yield Input(placeholder="Search name, VAT, fiscal code or email (/)", id="customers-search", compact=True)
        table: DataTable[object] = DataTable(id="customers-table", cursor_type="row", zebra_stripes=True)
        table.add_column("ID", key="id", width=4)
        table.add_column("Name", key="name", width=28)
        table.add_column("Type", key="type", width=14)
        table.add_column("Ctry", key="country", width=4)
        table.add_column("VAT / fiscal code", key="tax", width=17)
        table.add_column("Invoice email", key="email", width=30)
        yield table
        yield Static("Loading customers…", id="customers-status", classes="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#customers-table", DataTable).focus()
        self.reload()

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="customers-page", exit_on_error=False, description="Loading customers")
    def load(self) -> None:
        search, offset = self.search_text, self.page_offset
        page = list_customers(self.billing.ctx, search=search, offset=offset)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, search, offset, page)

    def _show(self, search: str, offset: int, page: CustomerPage) -> None:
        if (search, offset) != (self.search_text, self.page_offset):
            return
        self.page = page
        table = self.query_one("#customers-table", DataTable)
        selected = self._selected_id()
        table.clear()
        for r in page.rows:
            table.add_row(str(r.id), plain(r.name), CustomerType(r.customer_type).label, r.country,
                          plain(r.vat_number or r.fiscal_code or ""), plain(r.email), key=str(r.id))
        if selected is not None and str(selected) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected)))  # back from a customer: still on it
        status = self.query_one("#customers-status", Static)
        if not page.rows:
            status.update("No customer matches the search.")
        else:
            more = "  n: next page" if page.has_more else ""
            status.update(f"Customers {offset + 1}–{offset + len(page.rows)}{more}  Enter: open the billing profile")
        self.refresh_bindings()

    def _selected_id(self) -> int | None:
        table = self.query_one("#customers-table", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def action_account(self, part: str) -> None:
        """Open the selected customer's cards, subscriptions or prepaid credit."""
        customer_id = self._selected_id()
        if customer_id is None:
            self.notify("No customer is selected.", severity="warning")
            return
        if part == "cards":
            from billing_tui.screens.payment_method import PaymentMethodScreen

            self.app.push_screen(PaymentMethodScreen(customer_id))
        elif part == "subscriptions":
            from billing_tui.screens.subscriptions import SubscriptionsScreen

            self.app.push_screen(SubscriptionsScreen(customer_id))
        else:
            from billing_tui.screens.credit import CreditScreen

            self.app.push_screen(CreditScreen(customer_id))

    @on(DataTable.RowSelected, "#customers-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        from billing_tui.screens.customer_form import CustomerFormScreen

        if event.row_key.value is not None:
            self.app.push_screen(CustomerFormScreen(int(event.row_key.value)))
