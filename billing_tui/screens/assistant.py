"""The assistant pane: a chat transcript and one input; each request goes to the conversation in a worker.

The conversation and its transcript live on the app (``AssistantState``), so closing the pane with
Escape and opening it again shows where the user left off, with any question or review still pending.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from textual.worker import Worker

from billing_tui.domain.errors import BillingError

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.services.assistant import Conversation

GREETING = ("Type a request in English or Italian. I can show orders, invoices and carts, and bill an order "
            "(partial, advance, instalments, final), ship or cancel it; I always ask before I act. "
            "Type help for examples.")
"""The first message: what the assistant can do."""

PLACEHOLDER = "Type a request, e.g. show order 1042 (Enter sends)"
BUSY_PLACEHOLDER = "Working…"


@dataclass
class AssistantState:
    """What the pane keeps between openings: the transcript, the messages typed and the conversation."""

    entries: list[tuple[str, str]] = field(default_factory=lambda: [("help", GREETING)])
    """``(kind, text)`` in order; kind "user" for the user's messages, else the reply's kind."""
    sent: list[str] = field(default_factory=list)
    """The user's messages, for Up."""
    conversation: Conversation | None = None
    """Made by the first worker (it needs the service context, which may still have to be opened)."""
    busy: bool = False
    """True while a message is being answered: the input is ignored until the reply arrives."""


def assistant_state(app: App[object]) -> AssistantState:
    """The app's assistant state, made the first time the pane opens."""
    state = getattr(app, "assistant_state", None)
    if not isinstance(state, AssistantState):
        state = AssistantState()
        app.assistant_state = state  # type: ignore[attr-defined]
    return state


def _message(kind: str, text: str) -> Static:
    """One transcript entry; its text is shown as it is, never read as markup."""
    if kind == "user":
        return Static(Text(f"› {text}"), classes="assistant-msg -user")
    return Static(Text(text), classes=f"assistant-msg -assistant -{kind}")


class AssistantScreen(ModalScreen[None]):
    """The chat pane: Enter sends, Up recalls the last message, PgUp/PgDn scroll, Escape closes (kept for next time)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="assistant.close",
                tooltip="Close the assistant; the conversation is kept for next time"),
        Binding("up", "recall(-1)", "Last message", id="assistant.recall",
                tooltip="Put your previous message back in the input (again: the one before)"),
        Binding("down", "recall(1)", "Next message", show=False, id="assistant.recall_next"),
        Binding("pageup", "scroll_transcript(-1)", "Scroll", show=False, id="assistant.page_up"),
        Binding("pagedown", "scroll_transcript(1)", "Scroll", show=False, id="assistant.page_down"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._recall_at: int | None = None

    @property
    def billing(self) -> BillingApp:
        """The app, with its service context."""
        return cast("BillingApp", self.app)

    @property
    def state(self) -> AssistantState:
        """The conversation kept on the app."""
        return assistant_state(self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="assistant-box") as box:
            box.border_title = "Assistant"
            box.border_subtitle = "Esc close · ↑ last message · PgUp/PgDn scroll"
            with VerticalScroll(id="assistant-log", can_focus=False):
                for kind, text in self.state.entries:
                    yield _message(kind, text)
                if self.state.busy:
                    yield Static("…", classes="assistant-msg -assistant -thinking")
            yield Input(placeholder=BUSY_PLACEHOLDER if self.state.busy else PLACEHOLDER, id="assistant-input")

    def on_mount(self) -> None:
        self.query_one("#assistant-input", Input).focus()
        self.call_after_refresh(self._scroll_to_end)

    def _scroll_to_end(self) -> None:
        self.query_one("#assistant-log", VerticalScroll).scroll_end(animate=False)

    # --- sending ---------------------------------------------------------------------------------

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value
        state = self.state
        if state.busy or not text.strip():
            return
        event.input.value = ""
        event.input.placeholder = BUSY_PLACEHOLDER
        self._recall_at = None
        state.sent.append(text)
        state.entries.append(("user", text))
        state.busy = True
        log = self.query_one("#assistant-log", VerticalScroll)
        log.mount(_message("user", text), Static("…", classes="assistant-msg -assistant -thinking"))
        self.call_after_refresh(self._scroll_to_end)
        self.send(text)

    @work(thread=True, exclusive=True, group="assistant", exit_on_error=False, description="Asking the assistant")
    def send(self, text: str) -> None:
        """Give the message to the conversation (it may call services) and show the reply."""
        state = self.state
        try:
            if state.conversation is None:
                from billing_tui.services.assistant import Conversation

                state.conversation = Conversation(self.billing.ctx)
            reply = state.conversation.send(text)
        except BillingError as exc:  # e.g. the database cannot be opened
            self.app.call_from_thread(self.show_reply, "error", exc.message)
            return
        except Exception as exc:
            self.app.call_from_thread(self.show_reply, "error",
                                      f"Something went wrong ({type(exc).__name__}); nothing was changed.")
            raise  # reported by the app, and written to crash.log
        self.app.call_from_thread(self.show_reply, reply.kind, reply.text)

    def show_reply(self, kind: str, text: str) -> None:
        """Add the assistant's reply to the transcript (kept on the app even if the pane was closed meanwhile)."""
        state = self.state
        state.entries.append((kind, text))
        state.busy = False
        if not self.is_attached:
            return
        for thinking in self.query(".-thinking"):
            thinking.remove()
        self.query_one("#assistant-log", VerticalScroll).mount(_message(kind, text))
        self.query_one("#assistant-input", Input).placeholder = PLACEHOLDER
        self.call_after_refresh(self._scroll_to_end)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.billing.report_worker_failure(event.worker)

    # --- keys --------------------------------------------------------------------------------------

    def action_close(self) -> None:
        """Close the pane; the conversation stays on the app."""
        self.dismiss(None)

    def action_recall(self, step: int) -> None:
        """Up: the previous message typed (again: the one before); Down: back towards an empty input."""
        sent = self.state.sent
        if not sent:
            return
        at = len(sent) if self._recall_at is None else self._recall_at
        at = max(0, min(len(sent), at + step))
        self._recall_at = at
        box = self.query_one("#assistant-input", Input)
        box.value = sent[at] if at < len(sent) else ""
        box.cursor_position = len(box.value)

    def action_scroll_transcript(self, direction: int) -> None:
        """Scroll the transcript a page while the input keeps the focus."""
        log = self.query_one("#assistant-log", VerticalScroll)
        if direction < 0:
            log.scroll_page_up()
        else:
            log.scroll_page_down()
