"""Scheduled jobs: one leader per database, each slot run once, catch-up at start, failures recorded."""

from __future__ import annotations

import dataclasses
import os
import select
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from billing_tui.domain.clock import FixedClock
from billing_tui.domain.errors import BillingError
from billing_tui.jobs import registry
from billing_tui.jobs import status as job_service
from billing_tui.jobs.leader import (
    LeaderLock,
    current_leader,
    holder_name,
    lock_file_path,
    pg_lock_keys,
)
from billing_tui.jobs.registry import JobSpec
from billing_tui.jobs.runner import recent_runs, run_due, run_key, slot_start, upcoming
from billing_tui.jobs.scheduler import JobScheduler
from billing_tui.services.context import ServiceContext, open_context

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the conftest clock
WAIT = 20  # seconds: an upper bound for things that happen at once, never a pause


class FakeJob:
    """A job that records the "as of" time of every call (and can be made to fail)."""

    def __init__(self, name: str = "count", every: timedelta = timedelta(minutes=15),
                 fail: Exception | None = None) -> None:
        self.calls: list[datetime] = []
        self.clock_seen: list[datetime] = []
        self._fail = fail
        self._lock = threading.Lock()
        self.spec = JobSpec(name, f"Fake {name}", every, self._run)

    def _run(self, ctx: ServiceContext, now: datetime) -> str:
        with self._lock:
            self.calls.append(now)
            self.clock_seen.append(ctx.clock.now())
        if self._fail is not None:
            raise self._fail
        return f"call {len(self.calls)}"


@pytest.fixture
def second_ctx(db_url: str, clock: FixedClock) -> Iterator[ServiceContext]:
    """Another process's view of the same database (its own engine), acting as 'bob'."""
    context = open_context(db_url, clock=clock, actor="bob", upgrade=False)
    yield context
    context.db.dispose()


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _read_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], WAIT)
    assert ready, "the child process said nothing"
    return proc.stdout.readline().strip()


def _end(proc: subprocess.Popen[str]) -> None:
    """Make sure a child is gone and its pipes are closed."""
    proc.kill()
    proc.wait(WAIT)
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            pipe.close()


def _until(condition: Callable[[], bool]) -> bool:
    """Poll for something another process or the server does (not a scheduler tick)."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


# --- (a) two schedulers on one database --------------------------------------------------------------------------


def test_one_scheduler_leads_the_other_shows_it_and_takes_over(ctx, second_ctx) -> None:
    job = FakeJob()
    first, second = JobScheduler(ctx, jobs=[job.spec]), JobScheduler(second_ctx, jobs=[job.spec])
    try:
        assert first.start() is True
        assert second.start() is False
        assert first.is_leader and not second.is_leader
        seen = second.leader()
        assert seen is not None and seen.holder == holder_name(ctx) and seen.holder.startswith("tester@")
        assert not seen.stale and "tester@" in seen.describe()
        assert second.try_become_leader() is False  # the standby's retry, called directly

        assert first.caught_up.wait(WAIT)
        first.stop()
        assert second.leader() is None  # the leader stepped down and said so
        assert second.try_become_leader() is True
        assert second.is_leader
        assert second.caught_up.wait(WAIT)
        now_leading = first.leader()
        assert now_leading is not None and now_leading.holder.startswith("bob@")
        # The new leader's catch-up found the slot already done: the job ran once in all.
        assert len(job.calls) == 1
        assert [v.status for v in second.last_catch_up] == ["skipped"]
    finally:
        first.stop()
        second.stop()


def test_leader_heartbeat_refreshes_the_row_and_goes_stale_when_it_stops(ctx, clock) -> None:
    lock = LeaderLock(ctx)
    assert lock.acquire()
    try:
        clock.set(T0 + timedelta(minutes=1))
        assert lock.heartbeat()
        view = current_leader(ctx)
        assert view is not None and view.since == T0 and view.heartbeat_at == T0 + timedelta(minutes=1)
        later = current_leader(ctx, now=T0 + timedelta(minutes=4))
        assert later is not None and later.stale and "stale" in later.describe()
    finally:
        lock.release()
    assert current_leader(ctx) is None
    lock.release()  # twice is harmless


def test_a_leader_that_loses_its_lock_stops_leading_and_retries(ctx, backend) -> None:
    job = FakeJob()
    sched = JobScheduler(ctx, jobs=[job.spec])
    try:
        assert sched.start()
        if backend == "sqlite":
            path = ctx.db.sqlite_path
            assert path is not None
            lock_file_path(path).unlink()  # someone removed the lock file: another process could now lock a new one
        else:
            _terminate_lock_holder(ctx)  # the server dropped the leader's session (restart, idle timeout...)
        assert sched.heartbeat() is False
        assert not sched.is_leader
        assert sched.try_become_leader() is True
        assert sched.heartbeat() is True
    finally:
        sched.stop()


def _terminate_lock_holder(ctx: ServiceContext) -> None:
    with ctx.db.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        cls, key = pg_lock_keys(schema)
        pids = conn.execute(text(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = CAST(:c AS oid) AND objid = CAST(:k AS oid) AND objsubid = 2"),
            {"c": cls, "k": key & 0xFFFFFFFF}).scalars().all()
        assert len(pids) == 1, "the leader's advisory lock is visible in pg_locks"
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pids[0]})
        conn.commit()


# --- (b) the lock is real across processes ----------------------------------------------------------------------

CHILD_LOCK = textwrap.dedent("""
    import sys
    from billing_tui.jobs.leader import LeaderLock
    from billing_tui.services.context import open_context
    ctx = open_context(sys.argv[1], actor="child", upgrade=False)
    lock = LeaderLock(ctx)
    print("held" if lock.acquire() else "refused", flush=True)
    sys.stdin.read()
    lock.release()
""")


def _child_lock(db_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", CHILD_LOCK, db_url], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=ROOT, env=_env())


def test_the_lock_holds_across_processes_and_a_crashed_leader_frees_it(ctx, db_url) -> None:
    child = _child_lock(db_url)
    mine = LeaderLock(ctx)
    try:
        assert _read_line(child) == "held"
        assert mine.acquire() is False
        leader = current_leader(ctx)
        assert leader is not None and leader.holder.startswith("child@") and f"pid {child.pid}" in leader.holder

        child.kill()  # a crash: no release, no goodbye; the OS closes the file / the server ends the session
        child.wait(WAIT)
        assert _until(mine.acquire)
        leader = current_leader(ctx)
        assert leader is not None and leader.holder == holder_name(ctx)

        second = _child_lock(db_url)
        try:
            assert _read_line(second) == "refused"
            assert second.stdin is not None
            second.stdin.close()
            assert second.wait(WAIT) == 0
        finally:
            _end(second)
        leader = current_leader(ctx)  # the refused process did not touch the leader row
        assert leader is not None and leader.holder == holder_name(ctx)
    finally:
        mine.release()
        _end(child)


# --- (c) each slot runs once ----------------------------------------------------------------------------------------


def test_slots_are_the_time_floored_to_the_job_period_since_the_epoch() -> None:
    quarter = timedelta(minutes=15)
    assert slot_start(datetime(2026, 11, 23, 9, 14, 59, tzinfo=UTC), quarter) == T0
    assert slot_start(datetime(2026, 11, 23, 9, 15, tzinfo=UTC), quarter) == T0 + quarter
    assert slot_start(datetime(2026, 11, 23, 11, 7, tzinfo=timezone(timedelta(hours=2))), quarter) == T0
    assert slot_start(datetime(2026, 11, 23, 9, 7), quarter) == T0  # naive is UTC
    assert slot_start(T0 + timedelta(hours=5), timedelta(days=1)) == datetime(2026, 11, 23, tzinfo=UTC)
    assert run_key("count", T0) == "count:2026-11-23T09:00:00+00:00"


def test_a_job_runs_once_per_slot_as_of_the_given_time(ctx) -> None:
    job = FakeJob()
    first = run_due(ctx, now=T0 + timedelta(minutes=3), jobs=[job.spec])
    assert [(v.status, v.key, v.result) for v in first] == [("done", "count:2026-11-23T09:00:00+00:00", "call 1")]
    assert first[0].due_at == T0 and first[0].started_at == T0 + timedelta(minutes=3)
    assert first[0].runner.startswith("tester@") and first[0].finished_at is not None

    again = run_due(ctx, now=T0 + timedelta(minutes=3), jobs=[job.spec])
    assert [v.status for v in again] == ["skipped"] and "already done" in (again[0].result or "")
    assert [v.status for v in run_due(ctx, now=T0 + timedelta(minutes=14), jobs=[job.spec])] == ["skipped"]
    assert [v.status for v in run_due(ctx, now=T0 + timedelta(minutes=15), jobs=[job.spec])] == ["done"]
    assert job.calls == [T0 + timedelta(minutes=3), T0 + timedelta(minutes=15)]
    assert job.clock_seen == job.calls  # the job's context has its clock fixed at "now"
    assert [v.due_at for v in recent_runs(ctx, jobs=[job.spec])] == [T0 + timedelta(minutes=15), T0]


def test_run_due_defaults_to_the_context_clock(ctx, clock) -> None:
    job = FakeJob()
    clock.set(T0 + timedelta(minutes=31))
    assert [v.due_at for v in run_due(ctx, jobs=[job.spec])] == [T0 + timedelta(minutes=30)]
    assert job.calls == [T0 + timedelta(minutes=31)]


def test_two_threads_at_the_same_moment_run_the_job_once(ctx, second_ctx) -> None:
    job = FakeJob()
    start = threading.Barrier(2)
    results: dict[str, str] = {}

    def call(context: ServiceContext) -> None:
        start.wait(WAIT)
        results[context.actor] = run_due(context, now=T0, jobs=[job.spec])[0].status

    threads = [threading.Thread(target=call, args=(c,)) for c in (ctx, second_ctx)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert len(job.calls) == 1
    assert sorted(results.values()) == ["done", "skipped"]


CHILD_RUN = textwrap.dedent("""
    import sys
    from datetime import datetime, timedelta
    from billing_tui.jobs.registry import JobSpec
    from billing_tui.jobs.runner import run_due
    from billing_tui.services.context import open_context
    url, marker, moment = sys.argv[1:4]
    def work(ctx, now):
        with open(marker, "a") as fh:
            fh.write(now.isoformat() + "\\n")
        return "worked"
    ctx = open_context(url, actor="child", upgrade=False)
    spec = JobSpec("count", "Count", timedelta(minutes=15), work)
    print(run_due(ctx, now=datetime.fromisoformat(moment), jobs=[spec])[0].status, flush=True)
""")


def test_two_processes_at_the_same_moment_run_the_job_once(ctx, db_url, tmp_path) -> None:
    marker = tmp_path / "calls.txt"
    children = [subprocess.Popen([sys.executable, "-c", CHILD_RUN, db_url, str(marker), T0.isoformat()],
                                 stdout=subprocess.PIPE, text=True, cwd=ROOT, env=_env()) for _ in range(2)]
    try:
        outputs = [child.communicate(timeout=60)[0].strip() for child in children]
    finally:
        for child in children:
            _end(child)
    assert [child.returncode for child in children] == [0, 0]
    assert sorted(outputs) == ["done", "skipped"]
    assert marker.read_text().splitlines() == [T0.isoformat()]


# --- (d) work missed while nothing ran is caught up at the next start ---------------------------------------------


def test_the_next_start_catches_up_once_as_of_the_new_now(ctx, clock) -> None:
    job = FakeJob()
    run_due(ctx, jobs=[job.spec])  # the last time anything ran
    three_days_later = T0 + timedelta(days=3, minutes=7)
    clock.set(three_days_later)

    sched = JobScheduler(ctx, jobs=[job.spec])
    try:
        assert sched.start()
        assert sched.caught_up.wait(WAIT)
    finally:
        sched.stop()
    assert job.calls == [T0, three_days_later]
    assert job.clock_seen[-1] == three_days_later
    assert [(v.status, v.due_at) for v in sched.last_catch_up] == [("done", T0 + timedelta(days=3))]

    again = JobScheduler(ctx, jobs=[job.spec])  # started again in the same slot: nothing to do
    try:
        assert again.start()
        assert again.caught_up.wait(WAIT)
    finally:
        again.stop()
    assert len(job.calls) == 2
    assert [v.status for v in again.last_catch_up] == ["skipped"]


def test_upcoming_shows_what_is_due_now_and_the_last_run(ctx) -> None:
    job = FakeJob(every=timedelta(hours=1))
    before = upcoming(ctx, T0 + timedelta(minutes=20), jobs=[job.spec])
    assert [(u.job, u.due_now, u.next_due_at, u.last_run) for u in before] == [("count", True, T0, None)]
    run_due(ctx, now=T0 + timedelta(minutes=20), jobs=[job.spec])
    (after,) = upcoming(ctx, T0 + timedelta(minutes=30), jobs=[job.spec])
    assert not after.due_now and after.next_due_at == T0 + timedelta(hours=1)
    assert after.last_run is not None and after.last_run.status == "done" and after.last_run.title == "Fake count"


# --- (e) a failing job is recorded and does not stop the others ---------------------------------------------------


def test_a_failing_job_is_recorded_with_its_message_and_the_others_still_run(ctx) -> None:
    domain = FakeJob("domain", fail=BillingError("Seller VAT number missing: fill it in Settings"))
    crash = FakeJob("crash", fail=ValueError("unexpected\nthing"))
    fine = FakeJob("fine")
    views = run_due(ctx, now=T0, jobs=[domain.spec, crash.spec, fine.spec])
    assert [(v.job, v.status, v.result) for v in views] == [
        ("domain", "failed", "Seller VAT number missing: fill it in Settings"),
        ("crash", "failed", "ValueError: unexpected thing"),
        ("fine", "done", "call 1"),
    ]
    stored = {v.job: (v.status, v.result) for v in recent_runs(ctx)}
    assert stored["domain"] == ("failed", "Seller VAT number missing: fill it in Settings")
    assert stored["fine"] == ("done", "call 1")
    # A failed slot is not retried within the slot; the next slot tries again.
    assert [v.status for v in run_due(ctx, now=T0 + timedelta(minutes=1), jobs=[domain.spec])] == ["skipped"]
    assert [v.status for v in run_due(ctx, now=T0 + timedelta(minutes=15), jobs=[domain.spec])] == ["failed"]


# --- the service functions and the registry ----------------------------------------------------------------------


def test_the_services_run_and_list_the_registered_jobs(ctx, monkeypatch) -> None:
    job = FakeJob()
    monkeypatch.setattr(registry, "_JOBS", {})
    registry.register(job.spec)
    with pytest.raises(ValueError):
        registry.register(job.spec)
    assert [v.status for v in job_service.run_due_now(ctx)] == ["done"]
    assert [v.status for v in job_service.run_due_now(ctx, now=T0 + timedelta(hours=1))] == ["done"]
    assert [v.due_at for v in job_service.list_recent_runs(ctx, 1)] == [T0 + timedelta(hours=1)]
    (next_up,) = job_service.list_upcoming(ctx)
    assert next_up.due_now is False and next_up.next_due_at == T0 + timedelta(minutes=15)
    assert job_service.leader_info(ctx) is None


def test_the_built_in_jobs_invoice_due_carts_and_send_their_mail(ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from billing_tui import demo
    from billing_tui.services import invoices

    specs = {s.name: s for s in registry.all_jobs()}
    assert specs["auto_invoice"].every == timedelta(minutes=15)
    assert specs["mail_relay"].every == timedelta(minutes=1)
    ctx = dataclasses.replace(ctx, data_dir=tmp_path)  # without SMTP, mail goes to .eml files in there
    demo.fill_demo(ctx, carts=12, seed=7, as_of=ctx.clock.now().date())
    due = len(invoices.due_carts(ctx))
    assert due > 0
    assert specs["auto_invoice"].run(ctx, T0) == f"issued {due} invoice(s)"
    assert specs["auto_invoice"].run(ctx, T0) == "issued 0 invoice(s)"
    assert specs["mail_relay"].run(ctx, T0) == f"{due} sent, 0 failed, 0 to retry later"
    assert len(list((tmp_path / "outbox-eml").glob("*.eml"))) == due

def test_a_job_spec_needs_a_name_and_a_whole_number_of_seconds() -> None:
    with pytest.raises(ValueError):
        JobSpec("bad:name", "Bad", timedelta(minutes=1), lambda c, n: "")
    with pytest.raises(ValueError):
        JobSpec("zero", "Zero", timedelta(0), lambda c, n: "")
    with pytest.raises(ValueError):
        JobSpec("fraction", "Fraction", timedelta(milliseconds=1500), lambda c, n: "")


# --- (f) no Textual under billing_tui.jobs, and a fast import ----------------------------------------------------

PROBE = textwrap.dedent("""
    import sys
    import billing_tui.jobs.scheduler, billing_tui.jobs.leader, billing_tui.jobs.runner, billing_tui.jobs.status
    loaded = sorted(m.split(".")[0] for m in sys.modules)
    for name in ("textual", "apscheduler"):
        print(name, name in loaded)
    for name in ("billing_tui.services.invoices", "billing_tui.services.mail"):
        print(name, name in sys.modules)
""")


def test_importing_the_scheduler_loads_neither_textual_nor_the_job_targets() -> None:
    result = subprocess.run([sys.executable, "-c", PROBE], check=False, capture_output=True, text=True, cwd=ROOT, env=_env(),
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "textual", "False",
        "apscheduler", "False",  # imported when the scheduler starts
        "billing_tui.services.invoices", "False",
        "billing_tui.services.mail", "False",
    ]


def test_trying_to_lead_before_start_is_refused(ctx) -> None:
    with pytest.raises(RuntimeError):
        JobScheduler(ctx, jobs=[]).try_become_leader()

