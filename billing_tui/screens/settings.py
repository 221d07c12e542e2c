"""Settings: the seller's company data (first page; later pages add number ranges, mail, integrations)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import (
    Footer,
    Header,
    Input,
    Select,
    Static,
    TabbedContent,
    TabPane,
)

from billing_tui.domain.errors import ValidationFailed
from billing_tui.screens.base import BillingScreen
from billing_tui.services.company import (
    COMPANY_FIELDS,
    CompanyView,
    check_company_field,
    get_company,
    update_company,
)
from billing_tui.widgets.app_settings_form import AppSettingsForm
from billing_tui.widgets.form_field import FormField
from billing_tui.widgets.number_ranges import NumberRanges

LANGUAGE_CHOICES = (("Italiano (it)", "it"), ("English (en)", "en"), ("Română (ro)", "ro"))


class SettingsScreen(BillingScreen):
    """Settings pages; the first is the seller's company data printed on every document."""

    TITLE = "Settings"
    PALETTE_GROUP = "Settings"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="settings.save", tooltip="Save the page you are on"),
        Binding("f7", "next_page", "Next page", id="settings.next_page",
                tooltip="Company data → Number ranges → Invoicing & mail"),
        Binding("pageup", "year(-1)", "Prev year", id="settings.prev_year", priority=True,
                tooltip="Number ranges: the previous year (also [ outside a field)"),
        Binding("pagedown", "year(1)", "Next year", id="settings.next_year", priority=True,
                tooltip="Number ranges: the next year (also ] outside a field)"),
        Binding("left_square_bracket", "year(-1)", "Prev year", show=False, id="settings.prev_year2"),
        Binding("right_square_bracket", "year(1)", "Next year", show=False, id="settings.next_year2"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[str, str] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(id="settings-tabs"):
            with TabPane("Company", id="tab-company"):
                yield VerticalScroll(id="seller-form")
            with TabPane("Number ranges", id="tab-numbers"):
                with VerticalScroll():
                    yield NumberRanges()
            with TabPane("Invoicing & mail", id="tab-mail"):
                with VerticalScroll():
                    yield AppSettingsForm()
        yield Static("", id="settings-status", classes="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="settings-load", exit_on_error=False, description="Loading settings")
    def load(self) -> None:
        view = get_company(self.billing.ctx)
        self.app.call_from_thread(self._build, view)

    async def _build(self, view: CompanyView) -> None:
        self.saved = dict(view.values)
        form = self.query_one("#seller-form", VerticalScroll)
        await form.remove_children()
        await form.mount_all(
            FormField(key, label, kind="choice" if key == "default_language" else "text", value=view.values[key],
                      choices=LANGUAGE_CHOICES if key == "default_language" else (), id_prefix="s")
            for key, label in COMPANY_FIELDS
        )
        self._validate_all()
        self.query_one("#s-company_name").focus()

    def _fields(self) -> dict[str, FormField]:
        """The company-data fields (the other pages have their own)."""
        return {f.key: f for f in self.query_one("#seller-form").query(FormField)}

    def values(self) -> dict[str, str]:
        """The company data as typed so far."""
        return {k: "" if f.value is None else str(f.value) for k, f in self._fields().items()}

    def _validate_all(self) -> dict[str, str]:
        values = self.values()
        errors = {}
        for key, field in self._fields().items():
            reason = check_company_field(key, values[key], values)[1]
            field.set_error(reason)
            if reason:
                errors[key] = reason
        dirty = self.saved is not None and values != self.saved
        self.query_one("#settings-status", Static).update(
            (f"[red]{len(errors)} field(s) to fix[/red]  " if errors else "")
            + ("unsaved changes · Ctrl+S saves" if dirty else "no changes")
        )
        return errors

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Select.Changed) -> None:
        if not (event.control.id or "").startswith("s-"):
            return
        if self.saved is not None:
            self._validate_all()

    def _on_numbers_tab(self) -> bool:
        return self.query_one("#settings-tabs", TabbedContent).active == "tab-numbers"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "year":
            return self._on_numbers_tab() or None
        return True

    @on(TabbedContent.TabActivated)
    def _tab_changed(self) -> None:
        # The status line speaks of the company page; the other pages show their state beside each field.
        self.query_one("#settings-status").display = self.query_one("#settings-tabs", TabbedContent).active == \
            "tab-company"
        self.refresh_bindings()

    PAGES = ("tab-company", "tab-numbers", "tab-mail")

    def action_next_page(self) -> None:
        tabs = self.query_one("#settings-tabs", TabbedContent)
        tabs.active = self.PAGES[(self.PAGES.index(tabs.active) + 1) % len(self.PAGES)]
        first = {"tab-company": "#s-company_name", "tab-numbers": "#nr-format-invoice",
                 "tab-mail": "#a-invoice_delay_hours"}[tabs.active]
        for widget in self.query(first):
            widget.focus()

    def action_year(self, step: int) -> None:
        self.query_one(NumberRanges).change_year(step)

    def action_save(self) -> None:
        if self._on_numbers_tab():
            self.query_one(NumberRanges).save()
            return
        if self.query_one("#settings-tabs", TabbedContent).active == "tab-mail":
            self.query_one(AppSettingsForm).save()
            return
        errors = self._validate_all()
        if errors:
            self.notify(f"Nothing was saved: fix the {len(errors)} field(s) marked in red.", severity="error")
            return
        self.save(self.values())

    @work(thread=True, exclusive=True, group="settings-save", exit_on_error=False, description="Saving settings")
    def save(self, values: dict[str, str]) -> None:
        try:
            view = update_company(self.billing.ctx, values)
        except ValidationFailed as exc:
            self.app.call_from_thread(self.notify, exc.message, severity="error")
            return
        self.app.call_from_thread(self._saved, view)

    def _saved(self, view: CompanyView) -> None:
        self.saved = dict(view.values)
        self._validate_all()
        self.notify("Company data saved.", title="Settings", timeout=4)
