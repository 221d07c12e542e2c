"""One run of the command line: its arguments, its output and the service context it opens.

The context comes from an opener, a function of the resolved database URL, so that tests can
inject a temporary database and a fixed clock the way they pass a context to ``build_app``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING

from billing_tui.cli.output import Output

if TYPE_CHECKING:
    from billing_tui.services.context import ServiceContext

ContextOpener = Callable[[str], "ServiceContext"]
"""Opens the service context on a database URL (already resolved from --db, the environment or the default)."""


def open_default_context(url: str) -> ServiceContext:
    """The context of a real run: the database at ``url`` with its schema upgraded, the system clock, the OS user."""
    from billing_tui.services.context import open_context

    return open_context(url)  # reads the settings (BILLING_*) once, into the context


class Session:
    """What a command handler works with: the parsed arguments, the output, and contexts opened on demand."""

    def __init__(self, args: argparse.Namespace, out: Output, opener: ContextOpener | None = None) -> None:
        self.args = args
        """The parsed command line."""
        self.out = out
        """Where the command writes its results and errors."""
        self._opener = opener or open_default_context
        self._opened: list[ServiceContext] = []

    def database_url(self, *, demo: bool = False) -> str:
        """The database to open: ``--db``, else (with ``demo``) the demo file, else $BILLING_DATABASE_URL, else the
        file in the data directory."""
        from billing_tui.config import demo_database_url, load_settings

        url = getattr(self.args, "db", None)
        if demo and not url:
            url = demo_database_url()
        return load_settings().resolved_database_url(url)

    def context(self, *, demo: bool = False) -> ServiceContext:
        """Open the service context on :meth:`database_url`; it is closed when the run ends."""
        ctx = self._opener(self.database_url(demo=demo))
        self._opened.append(ctx)
        return ctx

    def close(self) -> None:
        """Close the database connections of every context this run opened."""
        while self._opened:
            self._opened.pop().db.dispose()
