"""The app is on screen before its database is open; the data follows, and a database that cannot be opened is
told in a message, never a traceback, and tried again on the next request."""

from __future__ import annotations

import threading

from textual.widgets import DataTable, Footer, Static
from textual.widgets._footer import FooterKey

from billing_tui.app import build_app
from billing_tui.domain.clock import FixedClock
from billing_tui.domain.errors import DatabaseUnavailable
from billing_tui.services.context import ServiceContext, open_context
from billing_tui.storage.urls import describe_url
from tests.conftest import FIXED_NOW
from tests.ui.conftest import settle


def _status(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#carts-status", Static).render())


def _rows(app) -> int:  # type: ignore[no-untyped-def]
    return app.screen.query_one("#carts-table", DataTable).row_count


def _opener(url: str, release: threading.Event | None = None):  # type: ignore[no-untyped-def]
    """A function that opens the demo database, after ``release`` is set when given."""

    def open_demo() -> ServiceContext:
        if release is not None:
            assert release.wait(30), "the test never let the database open"
        return open_context(url, clock=FixedClock(FIXED_NOW), actor="tester")

    return open_demo


async def test_the_carts_screen_is_drawn_before_the_database_opens(demo_url: str) -> None:
    release = threading.Event()
    at_first_frame: dict[str, object] = {}

    def first_frame() -> None:
        at_first_frame.update(status=_status(app), rows=_rows(app), open=app.context_is_open, header=app.sub_title)
        release.set()  # only now may the database open: the first frame cannot have waited for it

    app = build_app(_opener(demo_url, release), on_first_frame=first_frame)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert at_first_frame["status"] == "Loading carts…"
        assert at_first_frame["rows"] == 0 and at_first_frame["open"] is False
        assert _rows(app) == 50 and _status(app).startswith("Carts 1–50")
        assert app.sub_title == f"{describe_url(demo_url)} · tester"


async def test_given_a_url_the_header_names_the_database_from_the_first_frame(demo_url: str) -> None:
    headers: list[str] = []
    app = build_app(demo_url, on_first_frame=lambda: headers.append(app.sub_title))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert headers and headers[0].startswith(describe_url(demo_url) + " · ")
        assert _rows(app) == 50 and app.sub_title == headers[0]


async def test_a_database_that_cannot_be_opened_is_told_and_tried_again(demo_url: str) -> None:
    attempts: list[int] = []
    open_demo = _opener(demo_url)

    def flaky() -> ServiceContext:
        attempts.append(1)
        if len(attempts) == 1:
            raise DatabaseUnavailable("Database sqlite:/mnt/gone.sqlite3 is not available: unable to open database file")
        return open_demo()

    app = build_app(flaky)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        assert [n.message for n in app._notifications if "unable to open database file" in n.message] == [
            "Database sqlite:/mnt/gone.sqlite3 is not available: unable to open database file"
        ]
        assert _status(app).startswith("Carts not loaded.") and _rows(app) == 0
        assert not app.context_is_open
        await pilot.press("f")  # a new request opens the database again
        await settle(pilot)
        assert len(attempts) == 2 and app.context_is_open
        assert _rows(app) > 0 and app.screen.query_state.status == "confirmed"


async def test_another_screen_asked_for_early_waits_for_the_database(demo_url: str) -> None:
    release = threading.Event()
    app = build_app(_opener(demo_url, release))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("f3")  # customers
        await pilot.pause()
        assert app.current_mode == "carts"
        release.set()
        await settle(pilot)
        assert app.current_mode == "customers"


async def test_another_screen_is_not_shown_without_a_database(demo_url: str) -> None:
    def unavailable() -> ServiceContext:
        raise DatabaseUnavailable("Database sqlite:/mnt/gone.sqlite3 is not available: unable to open database file")

    app = build_app(unavailable)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert app.current_mode == "carts"
        # one message for the carts list, one for the other screen; each failure is told once
        assert sum("unable to open database file" in n.message for n in app._notifications) == 2


async def test_the_footer_follows_the_paging_keys(demo_url: str) -> None:
    app = build_app(_opener(demo_url))

    def footer_keys() -> list[tuple[str, str, str, bool, bool]]:
        return [(k.key, k.action, k.description, k.has_class("-disabled"), k._disabled)
                for k in app.screen.query(FooterKey)]

    def prev_page_enabled() -> bool:
        keys = [k for k in footer_keys() if k[1] == "page(-1)"]
        assert len(keys) == 1
        return not keys[0][3] and not keys[0][4]

    async def rebuilt_the_same() -> bool:
        """The footer, as updated in place, shows what rebuilding it shows."""
        shown, widgets = footer_keys(), set(app.screen.query(FooterKey))
        footer = app.screen.query_one(Footer)
        footer.call_later(footer.recompose)  # what Textual's Footer does on every change of bindings
        await settle(pilot)
        assert not widgets & set(app.screen.query(FooterKey))  # new keys
        return footer_keys() == shown

    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert not prev_page_enabled()
        await pilot.press("n")
        await settle(pilot)
        assert prev_page_enabled() and _status(app).startswith("Carts 51–100")
        assert await rebuilt_the_same()
        await pilot.press("f")  # a filter goes back to the first page
        await settle(pilot)
        assert not prev_page_enabled()
        assert await rebuilt_the_same()
