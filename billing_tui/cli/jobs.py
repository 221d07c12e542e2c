"""``billing-tui jobs run-due|list``: run the scheduled work once, as of now or ``--now``, and see who runs it."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import EXIT_ERROR, UsageError, actions

if TYPE_CHECKING:
    from billing_tui.cli.session import Session


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``jobs run-due [--now ISO-DATETIME]`` and ``jobs list``."""
    jobs = actions(sub.add_parser("jobs", help="scheduled work"))
    j_run = jobs.add_parser("run-due", parents=[common], help="run everything due as of now (or --now), once")
    j_run.add_argument("--now", default=None, metavar="ISO-DATETIME", help="e.g. 2026-12-01T08:00 (UTC if no zone)")
    jobs.add_parser("list", parents=[common], help="who runs the jobs, what is due next, recent runs")


def parse_now(text: str | None) -> datetime | None:
    """The ``--now`` moment, in UTC when it names no zone; None without ``--now``."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {text!r} is not a date-time; use e.g. 2026-12-01T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def run(args: argparse.Namespace, session: Session) -> int:
    """Run the due jobs (exit 1 if one failed), or list the leader, the upcoming jobs and the recent runs."""
    from billing_tui.jobs import status as jobs

    now = parse_now(getattr(args, "now", None))
    ctx = session.context()
    if now is not None:
        from billing_tui.domain.clock import FixedClock

        ctx.clock = FixedClock(now)
    out = session.out
    if args.action == "run-due":
        views = jobs.run_due_now(ctx, now=now)
        if out.as_json:
            out.json(views)
        else:
            for v in views:
                out.say(f"{v.job}: {v.status} — {v.result or ''}")
        return EXIT_ERROR if any(v.status == "failed" for v in views) else 0
    leader = jobs.leader_info(ctx)
    upcoming = jobs.list_upcoming(ctx)
    recent = jobs.list_recent_runs(ctx, 20)
    if out.as_json:
        out.json({"leader": leader, "upcoming": upcoming, "recent": recent})
        return 0
    out.say("Jobs run by: " + (leader.describe() if leader else "nobody (start one with: billing-tui worker)"))
    out.table(("JOB", "NEXT DUE", "LAST RUN"), [
        (u.job, "now" if u.due_now else f"{u.next_due_at:%Y-%m-%d %H:%M}",
         f"{u.last_run.status}: {u.last_run.result or ''}" if u.last_run else "never") for u in upcoming])
    out.table(("STARTED", "JOB", "STATE", "RESULT"), [
        (f"{r.started_at:%Y-%m-%d %H:%M}", r.job, r.status, (r.result or "")[:60]) for r in recent])
    return 0
