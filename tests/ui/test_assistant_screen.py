"""The assistant pane at 80x24: a follow-up question, the review, yes issues, Escape keeps the conversation."""

from __future__ import annotations

import threading

import pytest
from textual.app import App
from textual.containers import VerticalScroll
from textual.widgets import Input, Static

from billing_tui import demo
from billing_tui.app import BillingApp, build_app
from billing_tui.screens.assistant import GREETING, AssistantScreen, assistant_state
from billing_tui.services import orders
from billing_tui.services.assistant import Reply
from tests.conftest import FIXED_NOW
from tests.ui.conftest import settle


@pytest.fixture
def shop(make_db_url, clock):  # type: ignore[no-untyped-def]
    """SQLite only (screens are the same on every backend): the demo's customers and products, no carts, and
    one draft order of 364,78 € made through the orders service."""
    from billing_tui.services.context import open_context

    ctx = open_context(make_db_url("sqlite"), clock=clock, actor="tester")
    demo.fill_demo(ctx, carts=0, seed=7, as_of=FIXED_NOW.date())
    number = orders.create_order(ctx, customer_id=1).number
    orders.add_line(ctx, number, sku="SMS-CREDIT-50", quantity=2)
    orders.add_line(ctx, number, sku="LP-YEAR", quantity=1)
    yield ctx, number
    ctx.db.dispose()


def _app(shop) -> BillingApp:  # type: ignore[no-untyped-def]
    return build_app(shop[0], database_label="sqlite:shop.sqlite3")


async def _open(pilot) -> AssistantScreen:  # type: ignore[no-untyped-def]
    """Open the pane as the F9 key does, and keep the cursor still for snapshots."""
    await settle(pilot)
    await pilot.app.push_screen(AssistantScreen())
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AssistantScreen)
    screen.query_one(Input).cursor_blink = False
    return screen


async def _say(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*text, "enter")
    await settle(pilot)


def _transcript(screen: AssistantScreen) -> list[str]:
    return [str(w.render()) for w in screen.query(".assistant-msg").results(Static)]


async def test_question_review_yes_then_escape_keeps_the_conversation(shop) -> None:  # type: ignore[no-untyped-def]
    ctx, number = shop
    app = _app(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        box = screen.query_one(Input)
        assert app.focused is box
        assert _transcript(screen) == [GREETING]

        await _say(pilot, "advance 30% due 31/12")
        assert _transcript(screen)[-2:] == ["› advance 30% due 31/12", "Which order? Type its number (the cart number)."]
        assert app.focused is box and box.value == ""

        await _say(pilot, str(number))
        review = _transcript(screen)[-1]
        assert review.startswith(f"Advance invoice for order {number}: 1 invoice will be created")
        assert review.endswith("Type yes to issue, no to stop.")
        assert "due 31/12/2026, total 109,43\u00a0€" in review
        assert orders.get_order(ctx, number).invoices == ()

        await _say(pilot, "yes")
        assert _transcript(screen)[-1].startswith("Issued invoice PS26001")
        assert [(i.number, i.role) for i in orders.get_order(ctx, number).invoices] == [("PS26001", "advance")]

        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, AssistantScreen)

        again = await _open(pilot)
        assert len(_transcript(again)) == 7  # greeting, then three messages and their replies
        await pilot.press("up")
        assert again.query_one(Input).value == "yes"
        await pilot.press("up")
        assert again.query_one(Input).value == str(number)


async def test_user_text_is_shown_as_typed_never_as_markup(shop) -> None:  # type: ignore[no-untyped-def]
    async with _app(shop).run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        await _say(pilot, "[/b] [red]hello[/red]")
        assert _transcript(screen)[1] == "› [/b] [red]hello[/red]"
        assert _transcript(screen)[2].startswith("I did not understand that.")


class _Gated:
    """A conversation whose reply waits until the test opens the gate."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.heard: list[str] = []

    def send(self, text: str) -> Reply:
        self.heard.append(text)
        self.gate.wait(timeout=10)
        return Reply("Done.", "done")


async def test_messages_typed_while_the_assistant_works_are_ignored(shop) -> None:  # type: ignore[no-untyped-def]
    app = _app(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        gated = _Gated()
        assistant_state(app).conversation = gated  # type: ignore[assignment]
        await pilot.press(*"orders", "enter")
        await pilot.pause()
        assert assistant_state(app).busy and screen.query_one(Input).placeholder == "Working…"
        await pilot.press(*"second", "enter")
        await pilot.pause()
        gated.gate.set()
        await settle(pilot)
        assert gated.heard == ["orders"] and not assistant_state(app).busy
        assert _transcript(screen)[-2:] == ["› orders", "Done."]
        assert screen.query_one(Input).value == "second"  # kept, to send once the reply is in


def _at_the_end(app: App[None]) -> None:
    log = app.screen.query_one("#assistant-log", VerticalScroll)
    log.scroll_end(animate=False, immediate=True)


def test_snapshot_asking_a_follow_up_question(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    async def ask(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot)
        await _say(pilot, "rate 3 mensili dal 1/12")
        _at_the_end(pilot.app)
        await pilot.pause()

    assert snap_compare(_app(shop), terminal_size=(80, 24), run_before=ask)


def test_snapshot_showing_the_review(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    number = shop[1]

    async def review(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot)
        await _say(pilot, "advance 30% due 31/12")
        await _say(pilot, str(number))
        _at_the_end(pilot.app)
        await pilot.pause()

    assert snap_compare(_app(shop), terminal_size=(80, 24), run_before=review)
