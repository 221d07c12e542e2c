"""Settings → Number ranges: one year at a time, with the last numbers, the editable formats and next numbers,
and a live preview of the next number each format will produce (S004.1–S004.10)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.widgets import Input, Label, Static

from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.numbering import RangeKind
from billing_tui.services import numbering
from billing_tui.services.numbering import RangeView

if TYPE_CHECKING:
    from billing_tui.app import BillingApp


class NumberRanges(Vertical):
    """The year's three number ranges; ``[`` and ``]`` change year, Ctrl+S saves (through the screen)."""

    DEFAULT_CSS = """
    NumberRanges { height: auto; padding: 0 1; }
    NumberRanges .nr-year { height: 1; margin-bottom: 1; }
    NumberRanges .nr-row { height: auto; margin-bottom: 1; }
    NumberRanges .nr-line { height: 1; }
    NumberRanges .nr-label { width: 22; }
    NumberRanges .nr-small { width: 14; }
    NumberRanges Input.nr-format { width: 1fr; }
    NumberRanges Input.nr-next { width: 8; }
    NumberRanges .nr-note { color: $text-muted; height: auto; padding-left: 22; }
    NumberRanges .nr-note.-error { color: $error; }
    NumberRanges .nr-note.-warning { color: $warning; }
    """

    def __init__(self) -> None:
        super().__init__(id="number-ranges")
        self.year = 0
        self.views: dict[str, RangeView] = {}

    @property
    def billing(self) -> BillingApp:
        return cast("BillingApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("", classes="nr-year", id="nr-year")
        for kind in RangeKind:
            with Vertical(classes="nr-row", id=f"nr-row-{kind.value}"):
                with Horizontal(classes="nr-line"):
                    yield Label(kind.label, classes="nr-label")
                    yield Label("last: -", classes="nr-small", id=f"nr-last-{kind.value}")
                    yield Label("next:", classes="nr-small-label")
                    yield Input("", id=f"nr-next-{kind.value}", classes="nr-next", compact=True,
                                placeholder="auto", restrict=r"\d*", max_length=7)
                with Horizontal(classes="nr-line"):
                    yield Label("format", classes="nr-label")
                    yield Input("", id=f"nr-format-{kind.value}", classes="nr-format", compact=True)
                yield Static("", classes="nr-note", id=f"nr-note-{kind.value}")

    def on_mount(self) -> None:
        self.year = self.billing.today().year
        self.load(self.year)

    @work(thread=True, exclusive=True, group="number-ranges", exit_on_error=False, description="Loading ranges")
    def load(self, year: int) -> None:
        views = numbering.show_year(self.billing.ctx, year)
        self.app.call_from_thread(self._show, year, views)

    def _show(self, year: int, views: tuple[RangeView, ...]) -> None:
        self.year = year
        self.views = {v.kind: v for v in views}
        self.query_one("#nr-year", Static).update(
            f"[b]Year {year}[/b]   PgUp previous year · PgDn next year · Ctrl+S save"
            + ("" if all(v.exists for v in views) else "   [dim](not used yet: created on first use)[/dim]"))
        for v in views:
            self.query_one(f"#nr-last-{v.kind}", Label).update(f"last: {v.last_number}")
            self.query_one(f"#nr-format-{v.kind}", Input).value = v.format
            self.query_one(f"#nr-next-{v.kind}", Input).value = "" if v.next_number is None else str(v.next_number)
        self.refresh_previews()

    def _typed(self, kind: str) -> tuple[str, int | None]:
        fmt = self.query_one(f"#nr-format-{kind}", Input).value.strip()
        text = self.query_one(f"#nr-next-{kind}", Input).value.strip()
        return fmt, int(text) if text.isdigit() else None

    def refresh_previews(self) -> dict[str, str]:
        """Show each format's next number, warning or reason for refusal; return the refusals."""
        problems: dict[str, str] = {}
        for kind, view in self.views.items():
            fmt, nxt = self._typed(kind)
            preview, warnings, error = numbering.preview_format(fmt, kind, self.year, view.last_number, nxt)
            if error is None and nxt is not None and nxt <= view.last_number:
                error = f"The next number must be greater than the last number issued ({view.last_number})"
            note = self.query_one(f"#nr-note-{kind}", Static)
            note.set_class(error is not None, "-error")
            note.set_class(error is None and bool(warnings), "-warning")
            if error:
                problems[kind] = error
                note.update(escape(error))
            else:
                example = "" if kind == RangeKind.INVOICE.value else " (shown for invoice no. 1)"
                note.update(f"next: [b]{escape(preview)}[/b]{example}" + "".join(f"\n{escape(w)}" for w in warnings))
        return problems

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self.views and (event.input.id or "").startswith("nr-"):
            self.refresh_previews()

    def change_year(self, step: int) -> None:
        self.load(self.year + step)

    def save(self) -> None:
        problems = self.refresh_previews()
        if problems:
            self.app.notify(f"Nothing was saved: {next(iter(problems.values()))}", severity="error", timeout=8)
            return
        changes = {}
        for kind, view in self.views.items():
            fmt, nxt = self._typed(kind)
            if fmt != view.format or nxt != view.next_number:
                changes[kind] = (fmt if fmt != view.format else None, nxt, nxt is None and view.next_number is not None)
        if not changes:
            self.app.notify("No changes to save.", timeout=3)
            return
        self._save(self.year, changes)

    @work(thread=True, exclusive=True, group="number-ranges-save", exit_on_error=False, description="Saving ranges")
    def _save(self, year: int, changes: dict[str, tuple[str | None, int | None, bool]]) -> None:
        try:
            for kind, (fmt, nxt, clear) in changes.items():
                numbering.set_range(self.billing.ctx, year=year, kind=kind, fmt=fmt, next_number=nxt, clear_next=clear)
        except ValidationFailed as exc:
            self.app.call_from_thread(self.app.notify, exc.message, severity="error", timeout=8)
        else:
            self.app.call_from_thread(self.app.notify, f"Number ranges of {year} saved.", title="Settings")
        self.app.call_from_thread(self.load, year)
