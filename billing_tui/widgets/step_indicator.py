"""Where a wizard is: "1 Amount › 2 Dates › 3 Review", with the current step highlighted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget


class StepIndicator(Widget):
    """The titles of a wizard's steps, numbered; done steps plain, the current one highlighted, later ones dim."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "step-indicator--done",
        "step-indicator--current",
        "step-indicator--todo",
        "step-indicator--separator",
    }
    DEFAULT_CSS = """
    StepIndicator { height: auto; width: 1fr; }
    StepIndicator > .step-indicator--done { color: $text; }
    StepIndicator > .step-indicator--current { color: $text; background: $accent; text-style: bold; }
    StepIndicator > .step-indicator--todo { color: $text-muted; }
    StepIndicator > .step-indicator--separator { color: $text-muted; }
    """

    current: reactive[int] = reactive(0)
    """The index of the step shown now (0-based)."""

    def __init__(self, titles: Sequence[str], *, id: str | None = None) -> None:  # noqa: A002 (Textual's name)
        super().__init__(id=id)
        self.titles = tuple(titles)
        """The steps' titles, in order."""

    def validate_current(self, value: int) -> int:
        return max(0, min(value, len(self.titles) - 1))

    @property
    def counter(self) -> str:
        """"Step 2 of 3"."""
        return f"Step {self.current + 1} of {len(self.titles)}"

    def render(self) -> Text:
        text = Text()
        separator = self.get_component_rich_style("step-indicator--separator")
        for index, title in enumerate(self.titles):
            if index:
                text.append(" › ", style=separator)
            if index < self.current:
                part = "done"
            elif index == self.current:
                part = "current"
            else:
                part = "todo"
            label = f" {index + 1} {title} " if part == "current" else f"{index + 1} {title}"
            text.append(label, style=self.get_component_rich_style(f"step-indicator--{part}"))
        return text
