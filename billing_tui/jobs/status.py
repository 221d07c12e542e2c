"""What the command line and the Jobs screen ask of the scheduled jobs: run what is due, list runs and schedules, who leads."""

from __future__ import annotations

from datetime import datetime

from billing_tui.jobs.leader import LeaderView, current_leader
from billing_tui.jobs.runner import (
    JobRunView,
    UpcomingView,
    recent_runs,
    run_due,
    upcoming,
)
from billing_tui.services.context import ServiceContext

__all__ = ["JobRunView", "LeaderView", "UpcomingView", "leader_info", "list_recent_runs", "list_upcoming",
           "run_due_now"]


def run_due_now(ctx: ServiceContext, now: datetime | None = None) -> list[JobRunView]:
    """Run every job whose current slot (as of ``now``, default the clock) has not run yet: the scheduler's own code."""
    return run_due(ctx, now=now)


def list_recent_runs(ctx: ServiceContext, limit: int = 50) -> list[JobRunView]:
    """The latest job runs, newest first, with their results."""
    return recent_runs(ctx, limit)


def list_upcoming(ctx: ServiceContext) -> list[UpcomingView]:
    """Each job's next due time as of the clock, with its last run."""
    return upcoming(ctx, ctx.clock.now())


def leader_info(ctx: ServiceContext) -> LeaderView | None:
    """Who runs the scheduled jobs of this database, or None when nobody does."""
    return current_leader(ctx)
