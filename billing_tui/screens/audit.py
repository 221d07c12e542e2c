"""A customer's history: every change to the billing profile, who made it and when."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Header, Static

from billing_tui.screens.base import BillingScreen
from billing_tui.screens.format import moment, plain
from billing_tui.services.audit import AuditRow
from billing_tui.services.customers import customer_history, field_label


def _show(value: object) -> str:
    return "—" if value in (None, "") else str(value)


class AuditScreen(BillingScreen):
    """The audit log of one customer, newest first."""

    TITLE = "Customer history"
    PALETTE_GROUP = "Customer history"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="audit.back"),
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"History of customer {self.customer_id}", classes="form-title")
        table: DataTable[object] = DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("When", "Who", "Field", "Before", "After")
        yield table
        yield Static("", id="audit-status", classes="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#audit-table", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="audit", exit_on_error=False, description="Loading history")
    def load(self) -> None:
        rows = customer_history(self.billing.ctx, self.customer_id)
        self.app.call_from_thread(self._show_rows, rows)

    def _show_rows(self, rows: tuple[AuditRow, ...]) -> None:
        table = self.query_one("#audit-table", DataTable)
        table.clear()
        for row in rows:
            for key, (old, new) in row.changes.items():
                table.add_row(moment(row.at), plain(row.actor), field_label(key), plain(_show(old)), plain(_show(new)))
        self.query_one("#audit-status", Static).update(
            f"{len(rows)} change(s) recorded." if rows else "No change has been recorded for this customer."
        )

    def action_back(self) -> None:
        self.dismiss(None)
