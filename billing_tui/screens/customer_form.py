"""A customer's billing profile, edited with validation as you type (S000.4, S000.5)."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import Checkbox, Footer, Header, Input, Select, Static

from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.profile import FIELDS, LANGUAGES, CustomerType
from billing_tui.screens.base import BillingScreen
from billing_tui.services.customers import (
    CustomerDetail,
    check_field,
    check_profile,
    fields_for,
    get_customer,
    update_customer,
)
from billing_tui.widgets.form_field import FormField

TYPE_CHOICES = tuple((t.label, t.value) for t in CustomerType)
LANGUAGE_CHOICES = (("Italiano (it)", "it"), ("English (en)", "en"), ("Română (ro)", "ro"))
assert {v for _, v in LANGUAGE_CHOICES} == set(LANGUAGES)


class CustomerFormScreen(BillingScreen):
    """Edit a billing profile; fields that do not apply to the customer type are hidden."""

    PALETTE_GROUP = "Billing profile"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="customer.save", tooltip="Save the profile (only if every field is valid)"),
        Binding("f7", "history", "History", id="customer.history", tooltip="Who changed what, and when"),
        Binding("escape", "back", "Back", id="customer.back", tooltip="Back (asks before discarding changes)"),
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.detail: CustomerDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Loading customer {self.customer_id}…", id="customer-title", classes="form-title")
        yield VerticalScroll(id="customer-form")
        yield Static("", id="customer-status", classes="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="customer-load", exit_on_error=False, description="Loading customer")
    def load(self) -> None:
        detail = get_customer(self.billing.ctx, self.customer_id)
        self.app.call_from_thread(self._build, detail)

    async def _build(self, detail: CustomerDetail) -> None:
        self.detail = detail
        self.title = f"Customer {detail.id}"
        self.query_one("#customer-title", Static).update(
            f"[b]{escape(str(detail.profile['name']))}[/b]  customer {detail.id} · {detail.carts} carts"
        )
        form = self.query_one("#customer-form", VerticalScroll)
        await form.remove_children()
        fields = []
        for spec in FIELDS:
            choices = TYPE_CHOICES if spec.key == "customer_type" else LANGUAGE_CHOICES
            fields.append(FormField(spec.key, spec.label, kind=spec.kind, value=detail.profile.get(spec.key),
                                    choices=choices if spec.kind == "choice" else ()))
        await form.mount_all(fields)
        self._apply_visibility()
        self._validate_all()
        self.query_one("#f-customer_type").focus()
        self._update_status()

    # --- reading and checking the form ----------------------------------------------------------

    def _fields(self) -> dict[str, FormField]:
        return {f.key: f for f in self.query(FormField)}

    def profile(self) -> dict[str, object]:
        """The profile as typed so far."""
        return {key: field.value for key, field in self._fields().items()}

    def _visible(self) -> tuple[str, ...]:
        p = self.profile()
        return fields_for(str(p.get("customer_type") or "company"), str(p.get("country") or ""))

    def _apply_visibility(self) -> None:
        visible = self._visible()
        for key, field in self._fields().items():
            field.display = key in visible

    def _validate_all(self) -> dict[str, str]:
        profile = self.profile()
        visible = self._visible()
        errors = {k: v for k, v in check_profile(profile).items() if k in visible}
        for key, field in self._fields().items():
            field.set_error(errors.get(key) if key in visible else None)
        return errors

    def _changes(self) -> dict[str, object]:
        if self.detail is None:
            return {}
        visible = self._visible()
        changes: dict[str, object] = {}
        for key, value in self.profile().items():
            before = self.detail.profile.get(key)
            if key not in visible:
                continue
            if key == "split_payment":
                if bool(value) != bool(before):
                    changes[key] = bool(value)
            elif str(value or "") != str(before or ""):
                changes[key] = value
        return changes

    def _update_status(self) -> None:
        errors = sum(1 for f in self._fields().values() if f.has_class("-invalid"))
        dirty = bool(self._changes())
        parts = []
        if errors:
            parts.append(f"[red]{errors} field(s) to fix before saving[/red]")
        parts.append("unsaved changes · Ctrl+S saves" if dirty else "no changes")
        self.query_one("#customer-status", Static).update("  ".join(parts))

    @on(Input.Changed)
    def _text_changed(self, event: Input.Changed) -> None:
        field = self._field_of(event.input)
        if field is None:
            return
        if field.key == "country":
            self._apply_visibility()
            self._validate_all()
        else:
            field.set_error(check_field(field.key, event.value, self.profile()))
        self._update_status()

    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _choice_changed(self, event: Select.Changed | Checkbox.Changed) -> None:
        if self.detail is None or self._field_of(event.control) is None:
            return
        self._apply_visibility()
        self._validate_all()
        self._update_status()

    def _field_of(self, widget: object) -> FormField | None:
        for field in self._fields().values():
            if field.input is widget:
                return field
        return None

    # --- actions --------------------------------------------------------------------------------

    def action_save(self) -> None:
        if self.detail is None:
            return
        errors = self._validate_all()
        self._update_status()
        if errors:
            self.notify(f"Nothing was saved: fix the {len(errors)} field(s) marked in red.",
                        severity="error", timeout=6)
            first = self._fields()[next(iter(errors))]
            first.input.focus()
            return
        changes = self._changes()
        if not changes:
            self.notify("No changes to save.", timeout=3)
            return
        self.save(changes)

    @work(thread=True, exclusive=True, group="customer-save", exit_on_error=False, description="Saving customer")
    def save(self, changes: dict[str, object]) -> None:
        try:
            detail = update_customer(self.billing.ctx, self.customer_id, changes)
        except ValidationFailed as exc:
            self.app.call_from_thread(self._refused, exc)
            return
        self.app.call_from_thread(self._saved, detail, sorted(changes))

    def _refused(self, exc: ValidationFailed) -> None:
        for key, reason in exc.errors.items():
            field = self._fields().get(key)
            if field is not None:
                field.set_error(reason)
        self._update_status()
        self.notify(exc.message, severity="error", timeout=8)

    def _saved(self, detail: CustomerDetail, keys: list[str]) -> None:
        self.detail = detail
        self.query_one("#customer-title", Static).update(
            f"[b]{escape(str(detail.profile['name']))}[/b]  customer {detail.id} · {detail.carts} carts"
        )
        self._update_status()
        self.notify(f"Saved: {', '.join(keys)}.", title="Billing profile", timeout=4)

    async def action_history(self) -> None:
        from billing_tui.screens.audit import AuditScreen

        await self.app.push_screen(AuditScreen(self.customer_id))

    @work(exclusive=True, group="customer-back")
    async def action_back(self) -> None:
        from billing_tui.screens.confirm import ConfirmScreen

        if self._changes():
            name = self.detail.profile["name"] if self.detail else self.customer_id
            if not await self.app.push_screen_wait(ConfirmScreen(f"Discard your unsaved changes to {name}?",
                                                                 yes="Discard", no="Keep editing")):
                return
        self.dismiss(None)
