"""A labelled form field with its validation message right under it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static


class FormField(Vertical):
    """One field of a form: label, input (text, choice or flag) and the reason it is refused."""

    DEFAULT_CSS = """
    FormField { height: auto; }
    FormField > Horizontal { height: auto; }
    FormField .field-label { width: 20; padding: 0 1 0 0; text-align: right; }
    FormField Input, FormField Select { width: 1fr; }
    FormField Checkbox { width: 1fr; }
    FormField .field-error { color: $error; padding-left: 20; height: auto; }
    FormField .field-error.-empty { display: none; }
    """

    def __init__(
        self,
        key: str,
        label: str,
        *,
        kind: str = "text",
        value: object = None,
        choices: tuple[tuple[str, str], ...] = (),
        id_prefix: str = "f",
    ) -> None:
        super().__init__(id=f"field-{key}")
        self.key = key
        self.label = label
        self.kind = kind
        self._initial = value
        self._choices = choices
        self._id_prefix = id_prefix

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Label(self.label, classes="field-label")
            yield self._make_input()
        yield Static("", classes="field-error -empty", id=f"err-{self.key}")

    def _make_input(self) -> Widget:
        widget_id = f"{self._id_prefix}-{self.key}"
        if self.kind == "choice":
            return Select(self._choices, value=self._initial, allow_blank=False, id=widget_id, compact=True)
        if self.kind == "flag":
            return Checkbox("yes", value=bool(self._initial), id=widget_id, compact=True)
        return Input("" if self._initial is None else str(self._initial), id=widget_id, compact=True)

    @property
    def input(self) -> Widget:
        """The widget that holds the value."""
        return self.query_one(f"#{self._id_prefix}-{self.key}")

    @property
    def value(self) -> object:
        """The current value: text, the chosen option, or a bool."""
        widget = self.input
        if isinstance(widget, Input):
            return widget.value
        if isinstance(widget, Select):
            return widget.value
        if isinstance(widget, Checkbox):
            return widget.value
        return None

    def set_error(self, reason: str | None) -> None:
        """Show why the value is refused, or clear the message."""
        error = self.query_one(".field-error", Static)
        error.update(reason or "")
        error.set_class(not reason, "-empty")
        self.set_class(bool(reason), "-invalid")

    @property
    def error(self) -> str:
        return str(self.query_one(".field-error", Static).renderable)
