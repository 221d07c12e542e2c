"""``billing-tui worker``: run the scheduled jobs in the foreground until Ctrl+C or SIGTERM."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from billing_tui.cli.session import Session


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``worker``."""
    sub.add_parser("worker", parents=[common],
                   help="run the scheduled jobs in the foreground (for a server with nobody logged in)")


def run(args: argparse.Namespace, session: Session) -> int:
    """Lead the scheduled jobs, or stand by while another process leads them; logs go to stderr."""
    import logging
    import signal
    import threading

    from billing_tui.jobs.scheduler import JobScheduler

    out = session.out
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=out.stderr)
    ctx = session.context()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = JobScheduler(ctx)
    try:
        if scheduler.start():
            out.say(f"Running the scheduled jobs of {ctx.database_label}. Ctrl+C stops.")
        else:
            leader = scheduler.leader()
            out.say(f"Standing by: {leader.describe() if leader else 'another process'} runs the jobs; "
                    "this worker takes over if it stops.")
        out.flush()
        stop.wait()
    finally:
        scheduler.stop()
    return 0
