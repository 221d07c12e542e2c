"""Smoke tests of the installed ``billing-tui`` command, run as real processes (slow: a second or more each).

Everything else about the command line is tested in-process through ``main``; these check what only
a real process shows: the entry point, the environment it reads, its exit codes, and a closed pipe.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from billing_tui.domain.clock import FixedClock
from tests.cli.conftest import RunCli
from tests.cli.helpers import COMMAND, assert_one_line_error, fill_demo, process_env, run_processes

pytestmark = pytest.mark.slow


def test_the_installed_command_reads_the_database_from_the_environment(  # type: ignore[no-untyped-def]
        run_cli: RunCli, make_db_url, clock: FixedClock) -> None:
    assert Path(COMMAND[0]).name == "billing-tui", "the billing-tui entry point is not installed"
    url = make_db_url("sqlite")
    fill_demo(url, clock, carts=10)
    (listed,) = run_processes(["carts", "list", "--json", "--limit", "4"], env={"BILLING_DATABASE_URL": url})
    assert listed.code == 0 and listed.err == ""
    assert len(listed.json()["rows"]) == 4
    assert listed.out == run_cli("carts", "list", "--json", "--limit", "4", "--db", url).out


def test_errors_exit_1_and_usage_errors_exit_2_with_one_line(make_db_url, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    url = make_db_url("sqlite")
    fill_demo(url, clock, carts=5)
    unknown, usage = run_processes(["carts", "show", "999999", "--db", url],
                                   ["carts", "list", "--status", "paid", "--db", url])
    assert_one_line_error(unknown, "999999")
    assert unknown.code == 1
    assert_one_line_error(usage, "--status")
    assert usage.code == 2


def test_a_reader_that_stops_early_ends_the_command_quietly(make_db_url, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    url = make_db_url("sqlite")
    fill_demo(url, clock, carts=400)
    argv = [*COMMAND, "carts", "list", "--json", "--db", url]

    # billing-tui carts list --json --limit 1000 | head -n 1: the JSON (about 150 kB) does not fit in the pipe.
    # Whether the command still has something to write when head leaves (exit 1) or not (exit 0) is up to the
    # kernel; either way the user sees the first line and nothing on stderr.
    head = subprocess.Popen([*argv, "--limit", "1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=process_env())
    assert head.stdout is not None and head.stderr is not None
    first = head.stdout.readline()
    head.stdout.close()
    err = head.stderr.read()
    assert head.wait(timeout=120) in (0, 1)
    assert first == b"{\n"
    assert err == b""  # no traceback, no "Exception ignored ... BrokenPipeError"

    # billing-tui carts list --json | true: the reader is gone before the first byte, so writing fails.
    gone = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=process_env())
    assert gone.stdout is not None and gone.stderr is not None
    gone.stdout.close()
    err = gone.stderr.read()
    assert gone.wait(timeout=120) == 1
    assert err == b""
