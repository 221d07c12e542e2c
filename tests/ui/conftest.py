"""Fixtures for driving the real app with Textual's Pilot."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import FIXED_NOW


async def settle(pilot: Pilot) -> None:  # type: ignore[type-arg]
    """Let pending messages run, wait for every worker, then let their results render."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(pilot: Pilot, condition: Callable[[], bool], *, rounds: int = 500) -> None:  # type: ignore[type-arg]
    """Process messages until ``condition`` holds (for widgets that work on timers, like the palette)."""
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        if condition():
            return
        await pilot.pause(0.01)
    raise AssertionError("the screen never reached the expected state")


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo database (SQLite, seed 7, 400 carts, as of the fixed day, with its invoice history) per session."""
    from billing_tui import demo
    from billing_tui.domain.clock import FixedClock
    from billing_tui.services.context import open_context

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    ctx = open_context(f"sqlite:///{path}", clock=FixedClock(FIXED_NOW), actor="tester")
    demo.fill_demo(ctx, carts=400, seed=7, as_of=FIXED_NOW.date(), history=True)
    with ctx.db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx.db.dispose()
    return path


@pytest.fixture
def sqlite_demo_ctx(demo_template: Path, tmp_path: Path, clock):  # type: ignore[no-untyped-def]
    """A private copy of the demo database (screens are the same on every backend; services run on both)."""
    from billing_tui.services.context import open_context

    path = tmp_path / "demo.sqlite3"
    shutil.copyfile(demo_template, path)
    ctx = open_context(f"sqlite:///{path}", clock=clock, actor="tester")
    yield ctx
    ctx.db.dispose()


@pytest.fixture
def app(sqlite_demo_ctx):  # type: ignore[no-untyped-def]
    """The app on the demo database, with a stable header label for snapshots."""
    from billing_tui.app import build_app

    return build_app(sqlite_demo_ctx, database_label="sqlite:demo.sqlite3")
