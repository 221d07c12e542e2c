"""The command line run in-process, as ``main(argv, open_context=...)``, on a test database and the fixed clock."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest

from billing_tui.cli import main
from billing_tui.domain.clock import FixedClock
from billing_tui.services.context import ServiceContext, open_context
from tests.cli.helpers import Result

RunCli = Callable[..., Result]
"""``run_cli("carts", "list", "--db", url)``: one run of the command line; its exit code, stdout and stderr."""


@pytest.fixture
def opened_urls() -> list[str]:
    """The database URLs the command line opened a context on during the test, in order."""
    return []


@pytest.fixture
def run_cli(clock: FixedClock, opened_urls: list[str]) -> RunCli:
    """Run ``billing-tui ARGV`` in-process: its contexts use the fixed clock and act as 'tester'.

    The database comes from the arguments as for a user (``--db``, $BILLING_DATABASE_URL, the data
    directory, the demo file); ``jobs run-due --now`` still sets its own clock.
    """
    def open_test_context(url: str) -> ServiceContext:
        opened_urls.append(url)
        return open_context(url, clock=clock, actor="tester")

    def run(*argv: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        code = main(list(argv), open_context=open_test_context, stdout=out, stderr=err)
        return Result(code, out.getvalue(), err.getvalue())

    return run
