"""What the command line writes: results on stdout (text or ``--json``), one-line errors on stderr."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

PROG = "billing-tui"
"""The program's name, which starts every error line."""


class Output:
    """The two streams of one command-line run, and whether its results are JSON (``--json``)."""

    def __init__(self, stdout: TextIO, stderr: TextIO) -> None:
        self.stdout = stdout
        """Where results go: the text a person reads, or the JSON a script parses."""
        self.stderr = stderr
        """Where errors go, one line each."""
        self.as_json = False
        """True with ``--json``: print views as stable JSON instead of text."""

    def say(self, text: str) -> None:
        """Print a line (or several) of text on stdout."""
        self.stdout.write(text + "\n")

    def json(self, view: Any) -> None:
        """Print a view (dataclasses, lists, dicts of them) as stable JSON on stdout."""
        from billing_tui.services.views import to_json

        self.stdout.write(to_json(view) + "\n")

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
        """Print rows as a table with a header line on stdout."""
        self.say(table(headers, rows))

    def error(self, message: str) -> None:
        """Print ``message`` on stderr as one line, prefixed with the program's name."""
        self.stderr.write(f"{PROG}: {' '.join(message.split())}\n")

    def flush(self) -> None:
        """Flush stdout, so that a closed pipe is noticed while the command can still handle it."""
        self.stdout.flush()


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows as left-aligned columns two spaces apart under a header line; None prints as empty."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def jsonable(view: Any) -> Any:
    """A view as JSON-ready data (dicts, lists, strings), e.g. to merge it with more fields."""
    from billing_tui.services.views import jsonable as to_data

    return to_data(view)
