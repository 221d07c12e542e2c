"""The engine and its sessions: read sessions, and write sessions that hold the write lock from the start.

SQLite gets WAL, ``synchronous=FULL``, foreign keys, a busy timeout and write
transactions that ``BEGIN IMMEDIATE``, so several processes on one file queue for the
write lock instead of failing with "database is locked" half-way through a transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session, create_engine

from billing_tui.domain.errors import DatabaseUnavailable
from billing_tui.storage.urls import describe_url

WRITE_OPTION = "billing_write"


def _casefold(value: object) -> object:
    return value.casefold() if isinstance(value, str) else value


def _enable_wal(cursor: Any, busy_timeout_ms: int) -> None:
    """Switch the file to WAL (it stays so); retried, because SQLite answers BUSY to this without waiting.

    Only a brand-new file is switched; when several processes create it at the same moment,
    one switches it and the others find it already in WAL on their next try.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def _install_sqlite_behaviour(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours (see _on_begin).
        dbapi_connection.isolation_level = None
        # Unicode-aware case folding for searches (SQLite's lower() folds A-Z only): storage.search.
        dbapi_connection.create_function("casefold", 1, _casefold, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        _enable_wal(cursor, busy_timeout_ms)
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE_OPTION):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


class Database:
    """One database: its engine, read sessions and write sessions."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 30_000, echo: bool = False) -> None:
        try:
            parsed = make_url(url)
        except ArgumentError as exc:
            raise DatabaseUnavailable(
                f"{url!r} is not a database URL; use e.g. sqlite:///path/to/file.sqlite3 "
                "or postgresql+psycopg://user@host/dbname"
            ) from exc
        self.url = url
        self.backend = parsed.get_backend_name()
        self.label = describe_url(url)
        kwargs: dict[str, Any] = {"echo": echo}
        if self.backend == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
        else:
            kwargs["pool_pre_ping"] = True
        try:
            self.engine = create_engine(url, **kwargs)
        except (ArgumentError, ImportError) as exc:
            raise DatabaseUnavailable(f"Cannot open {self.label}: {exc}") from exc
        if self.backend == "sqlite":
            _install_sqlite_behaviour(self.engine, busy_timeout_ms)

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        """The database file, for SQLite."""
        if not self.is_sqlite:
            return None
        db = make_url(self.url).database
        return Path(db).expanduser() if db and db != ":memory:" else None

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; it never writes and never takes the write lock."""
        with self._guard(), Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session whose transaction holds the write lock from its first statement; commits on success."""
        with self._guard(), Session(self.engine, expire_on_commit=False) as session:
            session.connection(execution_options={WRITE_OPTION: True})
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def guard(self) -> Iterator[None]:
        """Turn a lost or refused connection into DatabaseUnavailable, with the reason."""
        with self._guard():
            yield

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except OperationalError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise DatabaseUnavailable(f"Database {self.label} is not available: {reason}") from exc

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
