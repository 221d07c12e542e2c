"""Settings → Invoicing & mail: the invoicing delay, payment terms and SMTP, validated as you type.

The SMTP password is never shown: the field stays empty, and only what is typed into it is saved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select, Static

from billing_tui.domain.errors import ValidationFailed
from billing_tui.services import app_settings
from billing_tui.widgets.form_field import FormField

if TYPE_CHECKING:
    from billing_tui.app import BillingApp

PREFIX = "a"


class AppSettingsForm(Vertical):
    """The shared settings of the database (all processes see them)."""

    DEFAULT_CSS = """
    AppSettingsForm { height: auto; padding: 0 1; }
    AppSettingsForm .as-help { color: $text-muted; padding-left: 20; height: auto; }
    """

    def __init__(self) -> None:
        super().__init__(id="app-settings")
        self.saved: dict[str, str] | None = None

    @property
    def billing(self) -> BillingApp:
        return cast("BillingApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="as-loading")

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="app-settings", exit_on_error=False, description="Loading settings")
    def load(self) -> None:
        values = app_settings.get_settings(self.billing.ctx)
        self.app.call_from_thread(self._build, values)

    async def _build(self, values: dict[str, str]) -> None:
        self.saved = dict(values)
        await self.remove_children()
        widgets = []
        for spec in app_settings.SPECS:
            kind = "choice" if spec.kind == "choice" else "text"
            value = "" if spec.kind == "secret" else values[spec.key]
            widgets.append(FormField(spec.key, spec.label, kind=kind, value=value, id_prefix=PREFIX,
                                     choices=tuple((c, c) for c in spec.choices)))
            if spec.help:
                widgets.append(Static(spec.help, classes="as-help"))
        await self.mount_all(widgets)
        password = self.query_one(f"#{PREFIX}-smtp_password", Input)
        password.password = True
        password.placeholder = "(saved; type to replace)" if values["smtp_password"] else "(none)"

    def _typed(self) -> dict[str, str]:
        typed = {}
        for field in self.query(FormField):
            value = field.value
            typed[field.key] = "" if value is None or value is Select.BLANK else str(value)
        return typed

    def check(self) -> dict[str, str]:
        """Show each field's reason for refusal; return them."""
        errors = {}
        for key, value in self._typed().items():
            if key == "smtp_password" and not value:
                continue
            reason = app_settings.check_setting(key, value)[1]
            self.query_one(f"#field-{key}", FormField).set_error(reason)
            if reason:
                errors[key] = reason
        return errors

    def on_input_changed(self, event: Input.Changed) -> None:
        if self.saved is not None and (event.input.id or "").startswith(f"{PREFIX}-"):
            self.check()

    def save(self) -> None:
        if self.saved is None:
            return
        errors = self.check()
        if errors:
            self.app.notify(f"Nothing was saved: {next(iter(errors.values()))}", severity="error", timeout=8)
            return
        typed = self._typed()
        changes = {k: v for k, v in typed.items() if k != "smtp_password" and v != self.saved.get(k)}
        if typed.get("smtp_password"):
            changes["smtp_password"] = typed["smtp_password"]
        if not changes:
            self.app.notify("No changes to save.", timeout=3)
            return
        self._save(changes)

    @work(thread=True, exclusive=True, group="app-settings-save", exit_on_error=False, description="Saving settings")
    def _save(self, changes: dict[str, str]) -> None:
        try:
            app_settings.update_settings(self.billing.ctx, changes)
        except ValidationFailed as exc:
            self.app.call_from_thread(self.app.notify, exc.message, severity="error", timeout=8)
            return
        self.app.call_from_thread(self.app.notify, "Invoicing and mail settings saved.", title="Settings")
        self.app.call_from_thread(self.load)
