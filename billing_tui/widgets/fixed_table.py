"""A DataTable whose columns have fixed widths: showing a new page measures no cell."""

from __future__ import annotations

from collections.abc import Iterable

from textual.geometry import Size
from textual.widgets import DataTable
from textual.widgets.data_table import RowKey


class FixedWidthTable(DataTable[object]):
    """A DataTable for columns added with a ``width`` and rows one line high, without row labels.

    After rows are added, DataTable measures every new cell to size its auto-width columns
    (about 450 measurements for a page of 50 rows and 9 columns), even when no column is
    auto-width. Here, when nothing can change size, only the scrollable size is updated;
    otherwise DataTable does its usual work.
    """

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        new_rows = list(new_rows)
        rows = self.rows
        if any(column.auto_width for column in self.columns.values()) or any(
            rows[key].auto_height or rows[key].label is not None for key in new_rows if key in rows
        ):
            super()._update_dimensions(new_rows)
            return
        # The end of Textual 8.2.8's DataTable._update_dimensions: the size to scroll.
        width = sum(column.get_render_width(self) for column in self.columns.values()) + self._row_label_column_width
        header_height = self.header_height if self.show_header else 0
        self.virtual_size = Size(width, self._total_row_height + header_height)
