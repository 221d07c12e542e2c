"""Running what is due: each job once per slot per database, whoever calls (the scheduler, the CLI, a test).

A run starts by inserting its ``JobRun`` row, keyed ``"<job>:<slot start>"``, in its own
transaction. The unique key decides: whoever inserts the row runs the slot; everyone else
skips it. Each job does "everything due as of now", so running the current slot once at
start catches up whatever fell due while nothing ran.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from billing_tui.domain.clock import FixedClock
from billing_tui.domain.errors import BillingError
from billing_tui.jobs.registry import JobSpec, all_jobs
from billing_tui.services.context import ServiceContext
from billing_tui.storage.system_models import JobRun

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
RESULT_MAX = 2000  # characters of a result or error kept on the run


@dataclass(frozen=True)
class JobRunView:
    """One run of a job, as the Jobs screen and ``jobs`` commands show it."""

    job: str
    title: str
    key: str
    status: str  # running | done | failed; "skipped" only in run_due's answer (the slot ran elsewhere)
    due_at: datetime  # start of the slot
    started_at: datetime
    finished_at: datetime | None
    runner: str  # user@host:pid of the process that ran it
    result: str | None  # the job's one-line summary, or the error


@dataclass(frozen=True)
class UpcomingView:
    """A job's schedule: when its next slot is due and how its last run went."""

    job: str
    title: str
    every: timedelta
    next_due_at: datetime  # the current slot's start if it has not run yet, else the next slot's
    due_now: bool  # the current slot has not run yet
    last_run: JobRunView | None


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime (SQLite, ``--now 2026-11-23T09:00``) is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def slot_start(moment: datetime, every: timedelta) -> datetime:
    """The start of the slot holding ``moment``: ``moment`` floored to ``every``, counted from the Unix epoch."""
    return EPOCH + ((as_utc(moment) - EPOCH) // every) * every


def run_key(job: str, slot: datetime) -> str:
    """The unique key of a job's run in a slot."""
    return f"{job}:{as_utc(slot).isoformat()}"


def runner_name(ctx: ServiceContext) -> str:
    """Who runs: ``user@host:pid``."""
    return f"{ctx.actor}@{socket.gethostname()}:{os.getpid()}"


def error_message(exc: BaseException) -> str:
    """The message a person can act on: a domain error's own message, else the error's type and text."""
    if isinstance(exc, BillingError):
        return exc.message
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _one_line(text: str) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= RESULT_MAX else flat[: RESULT_MAX - 1] + "…"


def _view(row: JobRun, titles: dict[str, str], status: str | None = None, result: str | None = None) -> JobRunView:
    return JobRunView(
        job=row.job,
        title=titles.get(row.job, row.job),
        key=row.key,
        status=status or row.status,
        due_at=as_utc(row.due_at),
        started_at=as_utc(row.started_at),
        finished_at=as_utc(row.finished_at) if row.finished_at else None,
        runner=row.runner,
        result=row.result if result is None else result,
    )


def _claim(ctx: ServiceContext, spec: JobSpec, slot: datetime, now: datetime, runner: str) -> int | None:
    """Insert the slot's run row; its id, or None when the slot already ran (or is running) somewhere."""
    values = {
        "job": spec.name,
        "key": run_key(spec.name, slot),
        "status": "running",
        "due_at": slot,
        "started_at": now,
        "runner": runner,
    }
    insert = pg_insert if ctx.db.backend == "postgresql" else sqlite_insert
    stmt = insert(JobRun).values(**values).on_conflict_do_nothing(index_elements=["key"]).returning(col(JobRun.id))
    with ctx.db.write() as session:
        return session.execute(stmt).scalar_one_or_none()


def _finish(ctx: ServiceContext, run_id: int, status: str, result: str, finished_at: datetime) -> None:
    with ctx.db.write() as session:
        session.execute(
            update(JobRun).where(col(JobRun.id) == run_id).values(status=status, result=result, finished_at=finished_at)
        )


def _load(ctx: ServiceContext, key: str) -> JobRun | None:
    with ctx.db.read() as session:
        return session.exec(select(JobRun).where(col(JobRun.key) == key)).first()


def run_job(ctx: ServiceContext, spec: JobSpec, now: datetime, *, runner: str | None = None) -> JobRunView:
    """Run ``spec`` for the slot holding ``now`` unless that slot already ran; never raises for the job's errors."""
    now = as_utc(now)
    slot = slot_start(now, spec.every)
    titles = {spec.name: spec.title}
    run_id = _claim(ctx, spec, slot, now, runner or runner_name(ctx))
    if run_id is None:
        existing = _load(ctx, run_key(spec.name, slot))
        if existing is None:  # cannot happen: the conflicting row is committed before we see the conflict
            raise RuntimeError(f"run {run_key(spec.name, slot)} conflicted but is not there")
        note = f"slot already {existing.status} by {existing.runner}"
        return _view(existing, titles, status="skipped", result=note)
    as_of = dataclasses.replace(ctx, clock=FixedClock(now))
    try:
        status, result = "done", _one_line(spec.run(as_of, now))
    except Exception as exc:  # one job's failure is recorded and never stops the others
        log.exception("job %s failed for slot %s", spec.name, slot.isoformat())
        status, result = "failed", _one_line(error_message(exc))
    finished_at = as_utc(ctx.clock.now())
    finished_at = max(finished_at, now)  # a fixed clock says "now" for the whole run
    _finish(ctx, run_id, status, result, finished_at)
    row = _load(ctx, run_key(spec.name, slot))
    assert row is not None
    return _view(row, titles)


def run_due(
    ctx: ServiceContext, *, now: datetime | None = None, jobs: Iterable[JobSpec] | None = None
) -> list[JobRunView]:
    """Run every job whose current slot (as of ``now``, default the context's clock) has not run yet.

    One view per job: the run made here, or a "skipped" view of the run that already had the slot.
    A job that fails is recorded as failed with its message; the other jobs still run.
    """
    moment = as_utc(now or ctx.clock.now())
    runner = runner_name(ctx)
    views: list[JobRunView] = []
    for spec in all_jobs() if jobs is None else tuple(jobs):
        views.append(run_job(ctx, spec, moment, runner=runner))
    return views


def recent_runs(ctx: ServiceContext, limit: int = 50, *, jobs: Iterable[JobSpec] | None = None) -> list[JobRunView]:
    """The latest runs, the most recently started first (by when they were recorded, whatever their "as of")."""
    titles = {s.name: s.title for s in (all_jobs() if jobs is None else jobs)}
    with ctx.db.read() as session:
        rows = session.exec(
            select(JobRun).order_by(col(JobRun.id).desc()).limit(max(0, limit))
        ).all()
    return [_view(row, titles) for row in rows]


def upcoming(
    ctx: ServiceContext, now: datetime | None = None, *, jobs: Iterable[JobSpec] | None = None
) -> list[UpcomingView]:
    """Each job's next due time as of ``now`` (default the context's clock), with its last run."""
    moment = as_utc(now or ctx.clock.now())
    specs = all_jobs() if jobs is None else tuple(jobs)
    titles = {s.name: s.title for s in specs}
    views: list[UpcomingView] = []
    with ctx.db.read() as session:
        for spec in specs:
            slot = slot_start(moment, spec.every)
            ran_current = session.exec(
                select(col(JobRun.id)).where(col(JobRun.key) == run_key(spec.name, slot))
            ).first() is not None
            last = session.exec(
                select(JobRun).where(col(JobRun.job) == spec.name).order_by(col(JobRun.id).desc()).limit(1)
            ).first()
            views.append(
                UpcomingView(
                    job=spec.name,
                    title=spec.title,
                    every=spec.every,
                    next_due_at=slot + spec.every if ran_current else slot,
                    due_now=not ran_current,
                    last_run=_view(last, titles) if last is not None else None,
                )
            )
    return views
