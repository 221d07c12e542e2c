"""What the command-line tests share: a run's result, the one-line error check, demo data, and ways to run.

Most tests run the command line in-process through ``run_cli`` (``tests/cli/conftest.py``), with a
fixed clock. ``run_process`` and ``run_processes`` run the installed ``billing-tui`` as a user does,
for the few tests marked ``slow``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from billing_tui import demo
from billing_tui.domain.clock import Clock
from billing_tui.services import customers
from billing_tui.services.context import open_context

AS_OF = "2026-11-23"
"""The demo's day: the fixed clock's day."""
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test"
"""A database URL nothing listens on."""
_SCRIPT = Path(sys.executable).with_name("billing-tui")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "billing_tui.cli"]
"""The installed command, as a user runs it."""


class Result(NamedTuple):
    """What a run of the command line returned and printed."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        """The JSON on stdout of a run that succeeded."""
        assert self.code == 0, self.err
        return json.loads(self.out)


def assert_one_line_error(result: Result, *words: str) -> None:
    """The run failed with one line on stderr that names ``words``, printed nothing else and no traceback."""
    assert result.code != 0
    assert result.out == ""
    assert len(result.err.splitlines()) == 1 and result.err.endswith("\n"), result.err
    assert result.err.startswith("billing-tui: ")
    assert "Traceback" not in result.err + result.out
    for word in words:
        assert word in result.err, result.err


def fill_demo(url: str, clock: Clock, *, carts: int = 50, seed: int = 3) -> None:
    """Fill the database at ``url`` with the demo business as of the demo's day."""
    ctx = open_context(url, clock=clock, actor="setup")
    try:
        demo.fill_demo(ctx, carts=carts, seed=seed, as_of=date.fromisoformat(AS_OF))
    finally:
        ctx.db.dispose()


def find_customer(url: str, **where: str) -> int:
    """The id of the first customer whose list row has the values ``where``."""
    ctx = open_context(url, actor="check", upgrade=False)
    try:
        rows = customers.list_customers(ctx, limit=1000).rows
        return next(r.id for r in rows if all(getattr(r, k) == v for k, v in where.items()))
    finally:
        ctx.db.dispose()


def process_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the test's environment (its isolated HOME and data directory) with ``extra``."""
    env = os.environ.copy()
    env.pop("BILLING_DATABASE_URL", None)
    env.update(extra or {})
    return env


def run_processes(*argvs: list[str], env: dict[str, str] | None = None) -> list[Result]:
    """Run the installed command with each argument list, all at once, and wait for every one."""
    procs = [subprocess.Popen([*COMMAND, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=process_env(env)) for argv in argvs]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(Result(proc.returncode, out, err))
    return results


def run_process(*argv: str, env: dict[str, str] | None = None) -> Result:
    """Run the installed command once with ``argv`` (``env`` added to the test's environment) and wait for it."""
    return run_processes(list(argv), env=env)[0]


run = run_process
"""The name ``tests/unit/test_cards.py`` and ``test_credit.py`` import (from ``tests.cli.test_cli``)."""
