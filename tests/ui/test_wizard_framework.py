"""The guided-wizard framework, driven from the keyboard at 80x24 with a dummy three-step wizard."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from textual.app import App
from textual.widgets import Button, Input, Select, Static

import billing_tui
from billing_tui.domain.errors import BillingError, ValidationFailed
from billing_tui.screens.wizard import FieldSpec, WizardScreen, WizardStep
from billing_tui.widgets.step_indicator import StepIndicator
from tests.ui.conftest import settle, wait_until

APP_CSS = Path(billing_tui.__file__).parent / "app.tcss"


def check_dummy_step(index: int, values: Mapping[str, str]) -> dict[str, str]:
    """The dummy wizard's validation: a plain function of the values."""
    errors: dict[str, str] = {}
    if index == 0:
        try:
            amount = Decimal(values["amount"].replace(",", "."))
        except InvalidOperation:
            return {"amount": "Amount: type a number, e.g. 122,00"}
        if not 0 < amount <= 1000:
            errors["amount"] = "Amount: from 0,01 to 1.000,00 (left to bill)"
    if index == 1 and len(values["date"]) != 10:
        errors["date"] = "Invoice date: use YYYY-MM-DD"
    return errors


class DummyAdvanceWizard(WizardScreen[tuple[str, ...]]):
    """Amount, dates, review; records what its hooks were called with."""

    TITLE = "Advance invoice — order 1042"
    CONFIRM_LABEL = "Issue"

    def __init__(self, *, confirm_error: BillingError | None = None, gate: threading.Event | None = None) -> None:
        super().__init__()
        self.confirm_error = confirm_error
        self.gate = gate
        self.checked: list[tuple[int, dict[str, str], bool]] = []
        self.confirmed: list[dict[str, str]] = []
        self.refuse_on_review: ValidationFailed | None = None

    def steps(self) -> Sequence[WizardStep]:
        return (
            WizardStep("amount", "Amount", (
                FieldSpec("amount", "Amount (VAT incl.)", "", help="Gross; at most what is left to bill",
                          placeholder="e.g. 122,00"),
                FieldSpec("mode", "Issue", "now", choices=(("now", "Now"), ("schedule", "On the date"))),
                FieldSpec("note", "Note", ""),
            )),
            WizardStep("dates", "Dates", (
                FieldSpec("date", "Invoice date", "2026-11-18"),
                FieldSpec("due", "Due date", "2026-12-18"),
            )),
            WizardStep("review", "Review"),
        )

    def validate_step(self, index: int, values: Mapping[str, str]) -> dict[str, str]:
        if self.gate is not None:
            self.gate.wait(timeout=10)
        self.checked.append((index, dict(values), threading.current_thread() is threading.main_thread()))
        return check_dummy_step(index, values)

    def review(self, values: Mapping[str, str]) -> str:
        if self.refuse_on_review is not None:
            raise self.refuse_on_review
        lines = [f"Advance invoice of {values['amount']} € (VAT incl.), dated {values['date']}, "
                 f"due {values['due']}, to ACME [srl] S.p.A."]
        lines += [f"Line {n}: advance on order 1042" for n in range(1, 31)]
        return "\n".join(lines)

    def confirm(self, values: Mapping[str, str]) -> tuple[str, ...]:
        self.confirmed.append(dict(values))
        if self.confirm_error is not None:
            raise self.confirm_error
        return ("PS26201",)


class WizardHost(App[None]):
    """A tiny app with the real app's CSS that opens the wizard and keeps what it was dismissed with."""

    CSS_PATH = APP_CSS

    def __init__(self, wizard: DummyAdvanceWizard) -> None:
        super().__init__()
        self.wizard = wizard
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.wizard, callback=self.results.append)


def _error(wizard: WizardScreen, name: str) -> str:  # type: ignore[type-arg]
    return str(wizard.query_one(f"#err-{name}", Static).render())


def _input(wizard: WizardScreen, name: str) -> Input:  # type: ignore[type-arg]
    return wizard.query_one(f"#w-{name}", Input)


async def _focused_on(pilot, widget) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: pilot.app.focused is widget)


async def _to_review(pilot, wizard: DummyAdvanceWizard) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press(*"122,00", "enter", "tab", "enter")  # Enter: to the choice; Tab: to the note; Enter in the last field
    await settle(pilot)
    assert wizard.step_index == 1
    await pilot.press("ctrl+n")
    await settle(pilot)
    assert wizard.on_review


async def test_next_with_valid_input_moves_on_and_checks_in_a_worker() -> None:
    wizard = DummyAdvanceWizard()
    app = WizardHost(wizard)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen is wizard and app.focused is _input(wizard, "amount")
        assert "Step 1 of 3" in str(wizard.query_one("#wizard-counter", Static).render())
        steps = str(wizard.query_one(StepIndicator).render())
        assert "1 Amount" in steps and steps.endswith("› 2 Dates › 3 Review")
        await pilot.press(*"100", "enter")  # Enter in a field that is not the step's last: the next field
        await pilot.pause()
        assert wizard.step_index == 0 and isinstance(app.focused, Select)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert wizard.step_index == 1
        assert "Step 2 of 3" in str(wizard.query_one("#wizard-counter", Static).render())
        await _focused_on(pilot, _input(wizard, "date"))
        assert wizard.query_one(StepIndicator).current == 1
        assert wizard.checked == [(0, {"amount": "100", "mode": "now", "note": "", "date": "2026-11-18",
                                       "due": "2026-12-18"}, False)]  # False: not on the main thread
        assert not wizard.query_one("#wizard-step-amount").display


async def test_an_invalid_value_shows_the_reason_beside_the_field_and_stays() -> None:
    wizard = DummyAdvanceWizard()
    app = WizardHost(wizard)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"5000", "tab", "tab", "enter")  # Enter in the step's last field: Next
        await settle(pilot)
        assert wizard.step_index == 0
        assert _error(wizard, "amount") == "Amount: from 0,01 to 1.000,00 (left to bill)"
        await _focused_on(pilot, _input(wizard, "amount"))  # focus back on the first refused field
        assert wizard.status == ""
        _input(wizard, "amount").value = "500"
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert wizard.step_index == 1 and _error(wizard, "amount") == ""


async def test_back_keeps_the_values_of_every_step() -> None:
    wizard = DummyAdvanceWizard()
    app = WizardHost(wizard)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"250", "ctrl+n")
        await settle(pilot)
        _input(wizard, "date").value = "2026-11-20"
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert wizard.step_index == 0 and _input(wizard, "amount").value == "250"
        await _focused_on(pilot, _input(wizard, "amount"))
        await pilot.click("#wizard-next")  # the buttons do the same as the keys
        await settle(pilot)
        assert wizard.step_index == 1 and _input(wizard, "date").value == "2026-11-20"
        assert wizard.query_one("#wizard-back", Button).disabled is False


async def test_escape_on_step_two_leaves_with_none_and_creates_nothing() -> None:
    wizard = DummyAdvanceWizard()
    app = WizardHost(wizard)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"100", "ctrl+n")
        await settle(pilot)
        assert wizard.step_index == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not wizard
    assert app.results == [None] and wizard.confirmed == []


async def test_the_review_shows_what_confirm_creates_and_confirm_runs_once() -> None:
    wizard = DummyAdvanceWizard()
    app = WizardHost(wizard)
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_review(pilot, wizard)
        review = str(wizard.query_one("#wizard-review-text", Static).render())
        assert "Advance invoice of 122,00 € (VAT incl.), dated 2026-11-18, due 2026-12-18, to ACME [srl]" in review
        scroll = wizard.query_one("#wizard-review")
        await _focused_on(pilot, scroll)  # not the Issue button: a stray Enter creates nothing
        assert wizard.query_one("#wizard-confirm", Button).label.plain == "Issue (Ctrl+S)"
        assert not wizard.query_one("#wizard-next", Button).display
        await pilot.press("enter")
        await pilot.press("pagedown")  # the review is longer than the dialog: it scrolls
        await pilot.pause()
        assert scroll.scroll_y > 0 and wizard.confirmed == []
        await pilot.press("ctrl+s", "ctrl+s")  # the second one arrives while the first runs: ignored
        await settle(pilot)
        assert app.screen is not wizard
    assert app.results == [("PS26201",)]
    assert wizard.confirmed == [{"amount": "122,00", "mode": "now", "note": "", "date": "2026-11-18",
                                 "due": "2026-12-18"}]


async def test_a_refused_confirmation_shows_the_message_and_stays_on_the_review() -> None:
    wizard = DummyAdvanceWizard(confirm_error=BillingError("Order 1042 was shipped meanwhile: issue the final "
                                                           "invoice instead."))
    app = WizardHost(wizard)
    async with app.run_test(size=(80, 24)) as pilot:
        await _to_review(pilot, wizard)
        await pilot.press("tab", "tab", "enter")  # Tab to Back, Tab to Issue, Enter
        await settle(pilot)
        assert app.screen is wizard and wizard.on_review and len(wizard.confirmed) == 1
        assert wizard.status == "Order 1042 was shipped meanwhile: issue the final invoice instead."
        assert "Traceback" not in wizard.status
        assert wizard.query_one("#wizard-confirm", Button).disabled is False
        await pilot.press("escape")
        await settle(pilot)
    assert app.results == [None]


async def test_next_is_ignored_while_the_step_is_being_checked() -> None:
    gate = threading.Event()
    wizard = DummyAdvanceWizard(gate=gate)
    app = WizardHost(wizard)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"100", "ctrl+n")
        await pilot.pause()
        assert wizard.busy and wizard.query_one("#wizard-next", Button).disabled
        assert wizard.status == "Checking…"
        await pilot.press("ctrl+n", "enter")
        gate.set()
        await settle(pilot)
        assert wizard.step_index == 1 and len(wizard.checked) == 1 and not wizard.busy


async def test_a_refusal_at_the_last_check_goes_back_to_the_field_that_holds_it() -> None:
    wizard = DummyAdvanceWizard()
    wizard.refuse_on_review = ValidationFailed({"amount": "At most 80,00 € is left to bill",
                                                "elsewhere": "The order changed meanwhile"})
    app = WizardHost(wizard)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"100", "ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert wizard.step_index == 0 and _error(wizard, "amount") == "At most 80,00 € is left to bill"
        assert wizard.status == "The order changed meanwhile"
        await _focused_on(pilot, _input(wizard, "amount"))


async def test_an_unexpected_failure_is_reported_and_the_wizard_stays() -> None:
    wizard = DummyAdvanceWizard(confirm_error=None)
    wizard.review = lambda values: 1 / 0  # type: ignore[method-assign,assignment,return-value]
    app = WizardHost(wizard)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(*"100", "ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert wizard.step_index == 1 and not wizard.busy
        assert wizard.status == "Something went wrong (ZeroDivisionError). Nothing was changed."


# --- snapshots (80x24) --------------------------------------------------------------------------------


def _steady_cursor(app: App[None]) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


def test_snapshot_step_one_with_a_refused_amount(snap_compare) -> None:  # type: ignore[no-untyped-def]
    wizard = DummyAdvanceWizard()

    async def refuse(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        _steady_cursor(pilot.app)
        await pilot.press(*"5000", "ctrl+n")
        await settle(pilot)
        await _focused_on(pilot, _input(wizard, "amount"))
        await pilot.pause()

    assert snap_compare(WizardHost(wizard), terminal_size=(80, 24), run_before=refuse)


def test_snapshot_review_step(snap_compare) -> None:  # type: ignore[no-untyped-def]
    wizard = DummyAdvanceWizard()

    async def review(pilot) -> None:  # type: ignore[no-untyped-def]
        await _to_review(pilot, wizard)
        await _focused_on(pilot, wizard.query_one("#wizard-review"))
        await pilot.pause()

    assert snap_compare(WizardHost(wizard), terminal_size=(80, 24), run_before=review)
