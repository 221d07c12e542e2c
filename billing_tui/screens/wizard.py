"""A guided wizard: steps of fields checked in a worker, Back and Next, and a review of what Confirm creates.

A concrete wizard subclasses :class:`WizardScreen` and implements four hooks (``steps``, ``validate_step``,
``review`` and ``confirm``); the last three run in a thread worker, so they may call services (which open the
database), and must not touch widgets. Keys: Enter in a step's last field or Ctrl+N next, Ctrl+B back (the values
are kept), Tab between fields, Ctrl+S confirm on the review step, Escape leave (nothing is created).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Generic, TypeVar

from rich.console import RenderableType
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static
from textual.worker import Worker, WorkerState

from billing_tui.domain.errors import BillingError, ValidationFailed
from billing_tui.widgets.form_field import FormField
from billing_tui.widgets.step_indicator import StepIndicator

if TYPE_CHECKING:
    from textual.widget import Widget

ResultT = TypeVar("ResultT")
"""What a confirmed wizard returns (e.g. the numbers of the invoices it issued)."""

WORKER_GROUP = "wizard"
"""The worker group of a wizard's checks and its confirmation (one at a time: each is exclusive)."""


@dataclass(frozen=True)
class FieldSpec:
    """One field of a wizard step."""

    name: str
    """The key of the value in ``values`` (and of its reason in the errors a hook returns or raises)."""
    label: str
    """Shown left of the input (at most 19 characters fit the label column)."""
    default: str = ""
    """The value the field starts with (for a choice: one of the choices' values)."""
    help: str = ""
    """A short hint shown under the field, dim (optional)."""
    placeholder: str = ""
    """Shown in an empty text input (optional)."""
    choices: tuple[tuple[str, str], ...] = ()
    """``(value, label)`` pairs: the field is a one-line Select (Enter/Space/Down opens it, arrows, Enter picks)."""


@dataclass(frozen=True)
class WizardStep:
    """One step: its key, its title in the step indicator and its fields (none for the final review step)."""

    key: str
    title: str
    fields: tuple[FieldSpec, ...] = ()


class _WizardField(FormField):
    """A FormField with the wizard's optional hint line under it."""

    DEFAULT_CSS = """
    _WizardField .wizard-help { color: $text-muted; padding-left: 20; height: auto; }
    """

    def __init__(self, spec: FieldSpec) -> None:
        default = spec.default or (spec.choices[0][0] if spec.choices else "")
        super().__init__(spec.name, spec.label, kind="choice" if spec.choices else "text", value=default,
                         choices=tuple((label, value) for value, label in spec.choices), id_prefix="w")
        self.spec = spec

    def compose(self) -> ComposeResult:
        yield from super().compose()
        if self.spec.help:
            yield Static(Text(self.spec.help), classes="wizard-help")

    def on_mount(self) -> None:
        widget = self.input
        if isinstance(widget, Input) and self.spec.placeholder:
            widget.placeholder = self.spec.placeholder


class _StepBody(VerticalScroll, can_focus=False):
    """The fields of one step; scrolls to the focused field when they do not fit (Tab moves between fields)."""


class WizardScreen(ModalScreen[ResultT | None], Generic[ResultT]):
    """A guided sequence of steps ending with a review; dismisses with ``confirm``'s result, or None on Escape.

    Subclasses set the heading with ``TITLE`` (or ``self.title``), optionally ``CONFIRM_LABEL`` and
    ``CONFIRMING_TEXT``, and implement :meth:`steps`, :meth:`validate_step`, :meth:`review` and :meth:`confirm`.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+n", "next", "Next", id="wizard.next", tooltip="Check this step and go to the next"),
        Binding("ctrl+b", "back", "Back", id="wizard.back", tooltip="The previous step (values are kept)"),
        Binding("ctrl+s", "confirm", "Confirm", id="wizard.confirm", tooltip="Create what the review shows"),
        Binding("escape", "leave", "Cancel", id="wizard.leave", tooltip="Leave; nothing is created"),
        Binding("pageup", "scroll_page(-1)", "Scroll up", show=False, id="wizard.page_up",
                tooltip="Scroll the review (or a long step) up a page"),
        Binding("pagedown", "scroll_page(1)", "Scroll down", show=False, id="wizard.page_down",
                tooltip="Scroll the review (or a long step) down a page"),
    ]

    CONFIRM_LABEL: ClassVar[str] = "Confirm"
    """The confirm button's word (the key is added: "Issue (Ctrl+S)")."""
    CONFIRMING_TEXT: ClassVar[str] = "Working… (Escape is refused until it is done)"
    """The status line while ``confirm`` runs."""
    CHECKING_TEXT: ClassVar[str] = "Checking…"
    """The status line while a step is checked."""

    # --- the hooks a concrete wizard implements ---------------------------------------------------

    def steps(self) -> Sequence[WizardStep]:
        """The steps, in order; the last one is the review and has no fields. Called once, when composed."""
        raise NotImplementedError

    def validate_step(self, index: int, values: Mapping[str, str]) -> Mapping[str, str] | None:
        """Reasons keyed by field name why step ``index`` cannot be left (empty or None: it can).

        Runs in a thread worker (it may call a service ``preview_*``); ``values`` holds every field of every
        step. It may also raise ``ValidationFailed`` (its ``errors`` are shown beside their fields, on whichever
        step holds them) or another ``BillingError`` (its message is shown in the status line).
        """
        raise NotImplementedError

    def review(self, values: Mapping[str, str]) -> RenderableType:
        """What Confirm will create, exactly: shown on the review step (a str is shown as plain text).

        Runs in the same worker right after the last input step is validated, with the same values, which are
        the ones later passed to :meth:`confirm`. It may raise like :meth:`validate_step`.
        """
        raise NotImplementedError

    def confirm(self, values: Mapping[str, str]) -> ResultT:
        """Create what the review showed, and return the wizard's result. Runs in a thread worker.

        A ``BillingError`` keeps the wizard on the review with its message (a ``ValidationFailed`` naming
        fields goes back to the first step holding one of them).
        """
        raise NotImplementedError

    # --- messages from the workers ----------------------------------------------------------------

    class Checked(Message):
        """A step was checked (or a confirmation refused): the reasons, and the review when it is reached."""

        def __init__(self, request: int, step: int, values: dict[str, str], errors: dict[str, str], message: str,
                     review: RenderableType | None) -> None:
            super().__init__()
            self.request = request
            self.step = step
            self.values = values
            self.errors = errors
            self.message = message
            self.review = review

    class Confirmed(Message):
        """``confirm`` returned: the wizard is dismissed with its result."""

        def __init__(self, request: int, result: object) -> None:
            super().__init__()
            self.request = request
            self.result = result

    # --- state --------------------------------------------------------------------------------------

    def __init__(self, *, name: str | None = None, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(name=name, id=id)
        self._steps: tuple[WizardStep, ...] = ()
        self._index = 0
        self._request = 0  # the check or confirmation whose answer is awaited; older answers are ignored
        self._busy = False
        self._confirming = False
        self._reviewed: dict[str, str] | None = None  # the values the review shows: the ones confirmed
        self._worker: Worker[None] | None = None  # the check or confirmation running for the current request

    @property
    def step_index(self) -> int:
        """The index of the step shown now."""
        return self._index

    @property
    def on_review(self) -> bool:
        """True on the final review step."""
        return bool(self._steps) and self._index == len(self._steps) - 1

    @property
    def busy(self) -> bool:
        """True while a check or the confirmation runs (Next and Confirm are ignored meanwhile)."""
        return self._busy

    def values(self) -> dict[str, str]:
        """Every field's current value, by name (read on the screen's thread, then handed to a worker)."""
        return {f.key: str(f.value) for f in self.query(_WizardField)}

    # --- layout -------------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        self._steps = tuple(self.steps())
        self._check_steps()
        with Vertical(id="wizard-box"):
            with Horizontal(id="wizard-heading"):
                yield Static(Text(self.title or "", style="bold"), id="wizard-title")
                yield Static("", id="wizard-counter")
            yield StepIndicator([s.title for s in self._steps], id="wizard-steps")
            for index, step in enumerate(self._steps[:-1]):
                with _StepBody(id=f"wizard-step-{step.key}", classes="wizard-step") as body:
                    body.display = index == 0
                    for spec in step.fields:
                        yield _WizardField(spec)
            review = VerticalScroll(Static("", id="wizard-review-text"), id="wizard-review")
            review.display = False
            yield review
            yield Static("", id="wizard-status", classes="-empty")
            with Horizontal(id="wizard-buttons"):
                yield Button("Back (Ctrl+B)", id="wizard-back")
                yield Button("Next (Ctrl+N)", variant="primary", id="wizard-next")
                yield Button(f"{self.CONFIRM_LABEL} (Ctrl+S)", variant="warning", id="wizard-confirm")
                yield Button("Cancel (Esc)", id="wizard-cancel")

    def _check_steps(self) -> None:
        if len(self._steps) < 2 or self._steps[-1].fields:
            raise ValueError("a wizard needs at least one step of fields and a last, review step without fields")
        names = [f.name for s in self._steps for f in s.fields]
        if len(names) != len(set(names)):
            raise ValueError("every field of a wizard needs its own name")

    def on_mount(self) -> None:
        self._show_step(0)

    def watch_title(self) -> None:
        if self.is_mounted:
            self.query_one("#wizard-title", Static).update(Text(self.title or "", style="bold"))

    def _field(self, name: str) -> _WizardField:
        return self.query_one(f"#field-{name}", _WizardField)

    def _fields_of(self, index: int) -> list[_WizardField]:
        return [self._field(spec.name) for spec in self._steps[index].fields]

    def _step_of(self, name: str) -> int | None:
        return next((i for i, s in enumerate(self._steps) if any(f.name == name for f in s.fields)), None)

    def _show_step(self, index: int, *, focus: str | None = None) -> None:
        """Show step ``index`` (focusing field ``focus``, else its first field) and the buttons that apply."""
        self._index = index
        for i, step in enumerate(self._steps[:-1]):
            self.query_one(f"#wizard-step-{step.key}").display = i == index
        review = self.query_one("#wizard-review", VerticalScroll)
        review.display = self.on_review
        indicator = self.query_one(StepIndicator)
        indicator.current = index
        self.query_one("#wizard-counter", Static).update(indicator.counter)
        self._update_buttons()
        target: Widget
        if self.on_review:
            review.scroll_home(animate=False)
            target = review  # not the Confirm button: an Enter too many must not create anything
        elif self._steps[index].fields:
            target = self._field(focus or self._steps[index].fields[0].name).input
        else:
            target = self.query_one("#wizard-next", Button)
        self.call_after_refresh(target.focus)

    def _update_buttons(self) -> None:
        self.query_one("#wizard-back", Button).disabled = self._index == 0 or self._confirming
        next_button = self.query_one("#wizard-next", Button)
        next_button.display = not self.on_review
        next_button.disabled = self._busy
        confirm = self.query_one("#wizard-confirm", Button)
        confirm.display = self.on_review
        confirm.disabled = self._busy

    def _set_status(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#wizard-status", Static)
        status.update(Text(text))
        status.set_class(not text, "-empty")
        status.set_class(error, "-error")

    @property
    def status(self) -> str:
        """The status line's text (a refusal that belongs to no field, or what is running)."""
        return str(self.query_one("#wizard-status", Static).render())

    def _set_busy(self, busy: bool, *, confirming: bool = False) -> None:
        self._busy = busy
        self._confirming = busy and confirming
        self._update_buttons()

    # --- keys and buttons ---------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next":
            return None if self.on_review or self._busy else True
        if action == "back":
            return None if self._index == 0 or self._confirming else True
        if action == "confirm":
            return True if self.on_review and not self._busy else None
        return True

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"wizard-back": self.action_back, "wizard-next": self.action_next,
                   "wizard-confirm": self.action_confirm, "wizard-cancel": self.action_leave}
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        """Enter in a field: the next field of the step, or Next from its last one."""
        fields = self._fields_of(self._index) if not self.on_review else []
        inputs = [f.input for f in fields]
        if event.input not in inputs:
            return
        event.stop()
        position = inputs.index(event.input)
        if position + 1 < len(inputs):
            inputs[position + 1].focus()
        else:
            self.action_next()

    def action_next(self) -> None:
        """Check the current step in a worker; on success the next step (or the review) is shown."""
        if self.on_review or self._busy:
            return
        self._request += 1
        self._set_busy(True)
        self._set_status(self.CHECKING_TEXT)
        self._worker = self._check(self._request, self._index, self.values())

    def action_back(self) -> None:
        """The previous step, values kept; a check still running is forgotten."""
        if self._index == 0 or self._confirming:
            return
        self._request += 1
        self._worker = None
        self._set_busy(False)
        self._set_status("")
        self._show_step(self._index - 1)

    def action_confirm(self) -> None:
        """Create what the review shows, in a worker; dismissed with the result, or the refusal is shown."""
        if not self.on_review or self._busy or self._reviewed is None:
            return
        self._request += 1
        self._set_busy(True, confirming=True)
        self._set_status(self.CONFIRMING_TEXT)
        self._worker = self._confirm(self._request, dict(self._reviewed))

    def action_leave(self) -> None:
        """Leave without creating anything (refused while the confirmation runs: it may already be creating)."""
        if self._confirming:
            self._set_status(self.CONFIRMING_TEXT)
            return
        self._request += 1
        self.dismiss(None)

    def action_scroll_page(self, pages: int) -> None:
        """PageUp/PageDown scroll the review (or a step's fields) wherever the focus is."""
        body = (self.query_one("#wizard-review", VerticalScroll) if self.on_review
                else self.query_one(f"#wizard-step-{self._steps[self._index].key}", VerticalScroll))
        (body.scroll_page_down if pages > 0 else body.scroll_page_up)()

    # --- the workers ----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group=WORKER_GROUP, description="Checking the step")
    def _check(self, request: int, index: int, values: dict[str, str]) -> None:
        errors: dict[str, str] = {}
        message = ""
        review: RenderableType | None = None
        try:
            errors = dict(self.validate_step(index, values) or {})
            if not errors and index == len(self._steps) - 2:
                review = self.review(values)
        except ValidationFailed as refused:
            errors, message = dict(refused.errors), "" if refused.errors else refused.message
        except BillingError as refused:
            message = refused.message
        self.post_message(self.Checked(request, index, values, errors, message, review))

    @work(thread=True, exclusive=True, exit_on_error=False, group=WORKER_GROUP, description="Confirming")
    def _confirm(self, request: int, values: dict[str, str]) -> None:
        try:
            result = self.confirm(values)
        except ValidationFailed as refused:
            message = "" if refused.errors else refused.message
            self.post_message(self.Checked(request, len(self._steps) - 1, values, dict(refused.errors), message,
                                           None))
        except BillingError as refused:
            self.post_message(self.Checked(request, len(self._steps) - 1, values, {}, refused.message, None))
        else:
            self.post_message(self.Confirmed(request, result))

    @on(Checked)
    def _checked(self, event: Checked) -> None:
        if event.request != self._request:
            return
        self._worker = None
        self._set_busy(False)
        placed = {name: reason for name, reason in event.errors.items()
                  if (step := self._step_of(name)) is not None and step <= event.step}
        others = [reason for name, reason in event.errors.items() if name not in placed]
        note = " ".join([*others, event.message] if event.message else others)
        for field in self.query(_WizardField):
            if self._step_of(field.key) == event.step or field.key in placed:
                field.set_error(placed.get(field.key))
        if placed:
            first_step = min(self._step_of(name) or 0 for name in placed)
            first = next(f.name for f in self._steps[first_step].fields if f.name in placed)
            self._show_step(first_step, focus=first)
            self._set_status(note, error=bool(note))
        elif note:
            self._set_status(note, error=True)
        elif event.step < len(self._steps) - 1:
            self._set_status("")
            if event.step == len(self._steps) - 2:
                review = event.review if event.review is not None else ""
                self.query_one("#wizard-review-text", Static).update(
                    Text(review) if isinstance(review, str) else review)
                self._reviewed = dict(event.values)
            self._show_step(event.step + 1)

    @on(Confirmed)
    def _confirmed(self, event: Confirmed) -> None:
        if event.request == self._request:
            self._worker = None
            self._set_busy(False)
            self.dismiss(event.result)  # type: ignore[arg-type]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """An unexpected failure of a hook: the wizard stays, says so, and the app reports it (crash.log)."""
        worker = event.worker
        if worker.group != WORKER_GROUP or event.state is not WorkerState.ERROR:
            return
        report = getattr(self.app, "report_worker_failure", None)  # BillingApp's: a message, and crash.log
        if report is not None:
            report(worker)
        if worker is self._worker:  # not one the user has already moved on from
            self._worker = None
            self._set_busy(False)
            self._set_status(f"Something went wrong ({type(worker.error).__name__}). Nothing was changed.",
                             error=True)
