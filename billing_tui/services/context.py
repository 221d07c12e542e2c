"""What every service function needs: the database, the clock and who is acting.

Importing this module is cheap (no SQLAlchemy): the app builds its first frame with it and
opens the database later, in a worker, through :func:`open_context`.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from billing_tui.domain.clock import Clock, SystemClock

if TYPE_CHECKING:
    from billing_tui.storage.db import Database


def current_user() -> str:
    """The operating-system user working in this process (shown in the header, written to the audit log)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or f"uid{os.getuid()}"


@dataclass
class ServiceContext:
    """The dependencies of the services, built once by the app or the CLI and injected everywhere."""

    db: Database
    clock: Clock = field(default_factory=SystemClock)
    actor: str = field(default_factory=current_user)

    @property
    def database_label(self) -> str:
        return self.db.label


def open_context(
    url: str,
    *,
    clock: Clock | None = None,
    actor: str | None = None,
    upgrade: bool = True,
    busy_timeout_ms: int = 30_000,
) -> ServiceContext:
    """Open the database at ``url`` (creating or upgrading its schema) and build the service context.

    The first call imports the database stack (SQLAlchemy, SQLModel, the models): call it from a worker.
    """
    from billing_tui.storage.db import Database
    from billing_tui.storage.migrate import ensure_schema

    db = Database(url, busy_timeout_ms=busy_timeout_ms)
    if upgrade:
        ensure_schema(db)
    return ServiceContext(db=db, clock=clock or SystemClock(), actor=actor or current_user())
