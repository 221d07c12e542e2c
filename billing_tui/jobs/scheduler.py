"""The in-process scheduler (APScheduler 3, background threads): runs the jobs while this process leads.

``start()`` tries the leader lock. The leader catches up at once (each job's current slot,
which covers whatever fell due while nothing ran), then wakes every job at its slot
boundaries and refreshes its heartbeat. A process that does not lead retries every 30 s,
so it takes over when the leader exits. Whatever wakes a job, what is due is decided by
``ctx.clock`` and the run's unique key, in ``billing_tui.jobs.runner``. APScheduler is
imported on ``start()``, not at import time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from billing_tui.jobs.leader import LeaderLock, LeaderView, current_leader
from billing_tui.jobs.registry import JobSpec, all_jobs
from billing_tui.jobs.runner import JobRunView, run_job, slot_start
from billing_tui.services.context import ServiceContext

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = timedelta(seconds=30)
RETRY_EVERY = timedelta(seconds=30)
_CATCH_UP, _HEARTBEAT, _RETRY = "catch-up", "leader-heartbeat", "leader-retry"


def _job_id(spec: JobSpec) -> str:
    return f"job:{spec.name}"


class JobScheduler:
    """Runs the registered jobs in background threads of this process while it holds the leader lock."""

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        jobs: Iterable[JobSpec] | None = None,
        heartbeat_every: timedelta = HEARTBEAT_EVERY,
        retry_every: timedelta = RETRY_EVERY,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self._jobs = tuple(jobs) if jobs is not None else None
        self.heartbeat_every = heartbeat_every
        self.retry_every = retry_every
        self.on_change = on_change  # called from a scheduler thread after runs and leadership changes
        self.caught_up = threading.Event()  # set when the catch-up after taking the lead has finished
        self.last_catch_up: list[JobRunView] = []
        self._lock = LeaderLock(ctx)
        self._state = threading.RLock()
        self._job_locks: dict[str, threading.Lock] = {}
        self._scheduler: BackgroundScheduler | None = None

    @property
    def jobs(self) -> tuple[JobSpec, ...]:
        """The jobs this scheduler runs (the registry's, unless given)."""
        return self._jobs if self._jobs is not None else all_jobs()

    @property
    def is_leader(self) -> bool:
        """True while this process runs the jobs."""
        return self._lock.held

    @property
    def running(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._scheduler is not None

    def leader(self) -> LeaderView | None:
        """Who runs the jobs of this database (this process or another), or None if nobody does."""
        return current_leader(self.ctx)

    def start(self) -> bool:
        """Start the scheduler threads and try to lead; True if this process leads (else it retries every 30 s)."""
        from apscheduler.schedulers.background import BackgroundScheduler

        with self._state:
            if self._scheduler is not None:
                return self.is_leader
            self.caught_up.clear()
            scheduler = BackgroundScheduler(
                timezone=UTC,
                job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            )
            scheduler.start()
            self._scheduler = scheduler
            try:
                if not self.try_become_leader():
                    self._schedule_retry()
            except BaseException:
                self.stop(wait=False)
                raise
            return self.is_leader

    def try_become_leader(self) -> bool:
        """Take the lead if it is free (the standby's retry does this); on success catch up and schedule the jobs."""
        with self._state:
            if self._scheduler is None:
                raise RuntimeError("start() the scheduler first")
            if self.is_leader:
                return True
            if not self._lock.acquire():
                return False
            log.info("%s now runs the scheduled jobs", self._lock.holder)
            self._schedule_leader_jobs()
        self._changed()
        return True

    def stop(self, *, wait: bool = True) -> None:
        """Stop the threads (waiting for running jobs unless ``wait=False``) and step down as leader."""
        with self._state:
            scheduler, self._scheduler = self._scheduler, None
        if scheduler is not None:
            scheduler.shutdown(wait=wait)
        self._lock.release()

    def heartbeat(self) -> bool:
        """Refresh the leader row; if the lock was lost, stop running jobs and go back to retrying."""
        with self._state:
            if self._lock.heartbeat():
                return True
            if self._scheduler is None:
                return False
            log.warning("%s lost the scheduler lead; retrying every %s", self._lock.holder, self.retry_every)
            for spec in self.jobs:
                self._remove(_job_id(spec))
            self._remove(_HEARTBEAT)
            self._schedule_retry()
        self._changed()
        return False

    def run_now(self, specs: Iterable[JobSpec] | None = None) -> list[JobRunView]:
        """Run each job's current slot (as of ``ctx.clock``) unless it already ran: the catch-up and every tick."""
        views: list[JobRunView] = []
        for spec in self.jobs if specs is None else tuple(specs):
            with self._state:
                job_lock = self._job_locks.setdefault(spec.name, threading.Lock())
            with job_lock:  # one run of a job at a time in this process (a tick may meet the catch-up)
                try:
                    views.append(run_job(self.ctx, spec, self.ctx.clock.now()))
                except Exception:  # e.g. the database is unreachable: the next tick tries again
                    log.exception("could not run job %s", spec.name)
        if views:
            self._changed()
        return views

    # --- internals ---------------------------------------------------------------------------------------------

    def _catch_up(self) -> None:
        try:
            self.last_catch_up = self.run_now()
        finally:
            self.caught_up.set()

    def _schedule_leader_jobs(self) -> None:
        from apscheduler.triggers.interval import IntervalTrigger

        assert self._scheduler is not None
        self._remove(_RETRY)
        wall = datetime.now(UTC)
        self._add(self._catch_up, _CATCH_UP, "date", run_date=wall)
        for spec in self.jobs:
            trigger = IntervalTrigger(seconds=spec.every.total_seconds(), start_date=slot_start(wall, spec.every),
                                      timezone=UTC)
            self._add(self.run_now, _job_id(spec), trigger, args=[(spec,)])
        self._add(self.heartbeat, _HEARTBEAT, "interval", seconds=self.heartbeat_every.total_seconds())

    def _schedule_retry(self) -> None:
        self._add(self._retry, _RETRY, "interval", seconds=self.retry_every.total_seconds())

    def _retry(self) -> None:
        try:
            self.try_become_leader()
        except Exception:
            log.exception("could not try for the scheduler lead")

    def _add(self, func: Callable[..., Any], job_id: str, trigger: Any, **kwargs: Any) -> None:
        assert self._scheduler is not None
        self._scheduler.add_job(func, trigger, id=job_id, name=job_id, replace_existing=True, **kwargs)

    def _remove(self, job_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        if self._scheduler is None:
            return
        try:
            self._scheduler.remove_job(job_id)
        except JobLookupError:
            pass

    def _changed(self) -> None:
        if self.on_change is not None:
            try:
                self.on_change()
            except Exception:
                log.exception("on_change callback failed")
