"""The common behaviour of list screens: a search box, a table, and pages of rows fetched in a worker."""

from __future__ import annotations

from typing import Protocol

from textual.widgets import DataTable, Input

from billing_tui.screens.base import BillingScreen


class Page(Protocol):
    """What a service's page of rows tells a list screen."""

    offset: int
    limit: int
    has_more: bool


class PagedListScreen(BillingScreen):
    """A searchable, paged list: subclasses set SEARCH_ID and TABLE_ID and implement ``reload``.

    Key bindings stay on each subclass (they differ), calling ``page``, ``focus_search`` and ``leave_search``.
    """

    SEARCH_ID = ""
    TABLE_ID = ""
    PAGE_SIZE = 50

    def __init__(self) -> None:
        super().__init__()
        self.search_text = ""
        self.page_offset = 0
        self.page: Page | None = None

    def reload(self) -> None:
        """Fetch the current page (in a worker) and show it."""
        raise NotImplementedError

    def on_screen_resume(self) -> None:
        # Something may have changed on a screen opened from here: show the list as it is now.
        if self.page is not None:
            self.reload()

    def action_page(self, step: int) -> None:
        if step > 0 and self.page is not None and not self.page.has_more:
            return
        new = max(0, self.page_offset + step * (self.page.limit if self.page else self.PAGE_SIZE))
        if new != self.page_offset:
            self.page_offset = new
            self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "page" and parameters:
            if parameters[0] == -1 and self.page_offset == 0:
                return None
            if parameters[0] == 1 and self.page is not None and not self.page.has_more:
                return None
        return True

    def action_focus_search(self) -> None:
        self.query_one(f"#{self.SEARCH_ID}", Input).focus()

    def action_leave_search(self) -> None:
        self.query_one(f"#{self.TABLE_ID}", DataTable).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == self.SEARCH_ID:
            self.search_text, self.page_offset = event.value, 0
            self.reload()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == self.SEARCH_ID:
            self.action_leave_search()
