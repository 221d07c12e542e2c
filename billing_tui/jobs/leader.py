"""The leader lock: one process per database runs the scheduled jobs; the others can tell who does.

SQLite: an exclusive, non-blocking ``flock`` on ``<database file>.scheduler.lock``.
PostgreSQL: a session-level ``pg_try_advisory_lock`` on a dedicated connection kept open
while leading. The operating system or the server drops the lock when the process dies, so
a crashed leader never blocks the others. The leader also writes the one ``SchedulerLeader``
row (who, since when, last heartbeat) that the other processes show.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlmodel import col

from billing_tui.jobs.runner import as_utc
from billing_tui.services.context import ServiceContext
from billing_tui.storage.system_models import SchedulerLeader

log = logging.getLogger(__name__)

# First key of the PostgreSQL advisory lock (two-int key space); the second is a hash of the
# schema, so two billing databases in different schemas of one PostgreSQL database each get a leader.
PG_LOCK_CLASS = 74_191_002
STALE_AFTER = timedelta(minutes=2)  # a leader not heard from for this long is shown as stale
LEADER_ROW = 1

# In-memory SQLite lives in one process: a plain lock per URL stands in for the file lock.
_memory_locks: dict[str, threading.Lock] = {}
_memory_locks_guard = threading.Lock()


@dataclass(frozen=True)
class LeaderView:
    """Who runs the scheduled jobs of this database, as the other processes see it."""

    holder: str  # user@host pid N
    since: datetime
    heartbeat_at: datetime
    stale: bool  # not heard from for STALE_AFTER: it probably exited without saying so

    def describe(self) -> str:
        """One line for the Jobs screen and the command line."""
        line = f"{self.holder}, leading since {self.since:%Y-%m-%d %H:%M} UTC"
        if self.stale:
            line += f" (not heard from since {self.heartbeat_at:%Y-%m-%d %H:%M} UTC: stale, probably gone)"
        return line


def holder_name(ctx: ServiceContext) -> str:
    """How this process names itself as leader: ``user@host pid N``."""
    return f"{ctx.actor}@{socket.gethostname()} pid {os.getpid()}"


def lock_file_path(sqlite_path: Path) -> Path:
    """The file whose lock says who leads a SQLite database."""
    return Path(f"{sqlite_path}.scheduler.lock")


def pg_lock_keys(schema: str) -> tuple[int, int]:
    """The two 32-bit keys of the advisory lock for a schema."""
    digest = zlib.crc32(schema.encode("utf-8"))
    return PG_LOCK_CLASS, digest - (1 << 32) if digest >= (1 << 31) else digest


def current_leader(ctx: ServiceContext, now: datetime | None = None) -> LeaderView | None:
    """Who leads, from the leader's row; None when nobody has led or the last leader stepped down."""
    with ctx.db.read() as session:
        row = session.get(SchedulerLeader, LEADER_ROW)
    if row is None:
        return None
    moment = as_utc(now or ctx.clock.now())
    heartbeat = as_utc(row.heartbeat_at)
    return LeaderView(holder=row.holder, since=as_utc(row.since), heartbeat_at=heartbeat,
                      stale=moment - heartbeat > STALE_AFTER)


class LeaderLock:
    """The leadership of one database for this process: acquire and release never block."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.holder = holder_name(ctx)
        self._guard = threading.Lock()
        self._fd: int | None = None  # SQLite file: the locked descriptor
        self._conn: Connection | None = None  # PostgreSQL: the connection holding the advisory lock
        self._pg_keys: tuple[int, int] | None = None
        self._memory: threading.Lock | None = None  # in-memory SQLite

    @property
    def held(self) -> bool:
        """True while this process leads."""
        return self._fd is not None or self._conn is not None or self._memory is not None

    def acquire(self) -> bool:
        """Take the lead if nobody has it; True if this process leads now (also when it already did)."""
        with self._guard:
            if self.held:
                return True
            if self.ctx.db.is_sqlite:
                taken = self._acquire_sqlite()
            else:
                taken = self._acquire_pg()
            if not taken:
                return False
            try:
                self._write_row(new=True)
            except BaseException:
                self._drop()
                raise
            return True

    def heartbeat(self) -> bool:
        """Check the lock is still ours and refresh the leader row; False (and no longer leading) if it was lost."""
        with self._guard:
            if not self.held:
                return False
            if not self._still_held():
                self._drop()
                return False
            self._write_row(new=False)
            return True

    def release(self) -> None:
        """Step down: clear the leader row and let go of the lock. Safe to call when not leading."""
        with self._guard:
            if not self.held:
                return
            try:
                with self.ctx.db.write() as session:
                    session.execute(delete(SchedulerLeader).where(
                        col(SchedulerLeader.id) == LEADER_ROW, col(SchedulerLeader.holder) == self.holder))
            except Exception:
                log.warning("could not clear the scheduler leader row of %s", self.holder, exc_info=True)
            finally:
                self._drop()

    # --- SQLite ----------------------------------------------------------------------------------------------

    def _acquire_sqlite(self) -> bool:
        path = self.ctx.db.sqlite_path
        if path is None:
            with _memory_locks_guard:
                lock = _memory_locks.setdefault(self.ctx.db.url, threading.Lock())
            if not lock.acquire(blocking=False):
                return False
            self._memory = lock
            return True
        import fcntl

        lock_path = lock_file_path(path)
        fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        if not self._same_file(lock_path):  # someone replaced the file between open and lock
            self._drop()
            return False
        return True

    def _same_file(self, lock_path: Path) -> bool:
        assert self._fd is not None
        try:
            on_disk = os.stat(lock_path)
        except FileNotFoundError:
            return False
        mine = os.fstat(self._fd)
        return (mine.st_dev, mine.st_ino) == (on_disk.st_dev, on_disk.st_ino)

    # --- PostgreSQL ------------------------------------------------------------------------------------------

    def _acquire_pg(self) -> bool:
        conn = self.ctx.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            schema = str(conn.execute(text("SELECT current_schema()")).scalar_one())
            keys = pg_lock_keys(schema)
            got = conn.execute(
                text("SELECT pg_try_advisory_lock(CAST(:a AS integer), CAST(:b AS integer))"),
                {"a": keys[0], "b": keys[1]},
            ).scalar_one()
        except BaseException:
            _discard(conn)
            raise
        if not got:
            _discard(conn)
            return False
        self._conn, self._pg_keys = conn, keys
        return True

    # --- Both ------------------------------------------------------------------------------------------------

    def _still_held(self) -> bool:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
            except DBAPIError:
                return False
            return True
        if self._fd is not None:
            path = self.ctx.db.sqlite_path
            return path is not None and self._same_file(lock_file_path(path))
        return self._memory is not None

    def _write_row(self, *, new: bool) -> None:
        now = as_utc(self.ctx.clock.now())
        with self.ctx.db.write() as session:
            if not new:
                done = session.execute(
                    update(SchedulerLeader)
                    .where(col(SchedulerLeader.id) == LEADER_ROW, col(SchedulerLeader.holder) == self.holder)
                    .values(heartbeat_at=now)
                )
                if getattr(done, "rowcount", 0):
                    return
            values: dict[str, Any] = {"id": LEADER_ROW, "holder": self.holder, "since": now, "heartbeat_at": now}
            insert = pg_insert if self.ctx.db.backend == "postgresql" else sqlite_insert
            stmt = insert(SchedulerLeader).values(**values)
            session.execute(stmt.on_conflict_do_update(
                index_elements=["id"], set_={"holder": self.holder, "since": now, "heartbeat_at": now}))

    def _drop(self) -> None:
        """Let go of whatever lock is held (closing the connection or the file releases it)."""
        if self._conn is not None:
            conn, keys = self._conn, self._pg_keys
            self._conn = self._pg_keys = None
            try:
                if keys is not None:
                    conn.execute(text("SELECT pg_advisory_unlock(CAST(:a AS integer), CAST(:b AS integer))"),
                                 {"a": keys[0], "b": keys[1]})
            except SQLAlchemyError:  # the session is already gone, and the lock with it
                pass
            finally:
                _discard(conn)
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor of this open file releases the flock
        if self._memory is not None:
            lock, self._memory = self._memory, None
            lock.release()


def _discard(conn: Connection) -> None:
    """Close the connection for good (never back to the pool): its session, and any lock it held, end with it."""
    try:
        conn.invalidate()
    finally:
        conn.close()
