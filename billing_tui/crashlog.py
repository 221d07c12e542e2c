"""Unexpected errors go to crash.log in the data directory, never as a traceback on screen."""

from __future__ import annotations

import traceback
from datetime import UTC, datetime


def log_exception(error: BaseException | None) -> str:
    """Append ``error``'s traceback to crash.log and return the file's path for the message."""
    from billing_tui.paths import data_dir

    path = data_dir() / "crash.log"
    with path.open("a", encoding="utf-8") as fh:
        fh.write(f"--- {datetime.now(UTC).isoformat()}\n")
        fh.write("".join(traceback.format_exception(error)) if error else "(no exception)\n")
    return str(path)
