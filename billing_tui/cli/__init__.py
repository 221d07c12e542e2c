"""The command line: the TUI by default, plus scriptable subcommands that call the same services.

Every failure prints one line on stderr and exits non-zero (2 for a wrong command line); ``--json``
prints stable JSON on stdout. :func:`main` is the one entry point, for ``billing-tui`` and the tests.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import TextIO

from billing_tui.cli.options import EXIT_ERROR, EXIT_USAGE, HelpRequested, UsageError
from billing_tui.cli.output import Output
from billing_tui.cli.session import ContextOpener, Session
from billing_tui.domain.errors import BillingError

__all__ = ["EXIT_ERROR", "EXIT_USAGE", "ContextOpener", "main"]


def main(
    argv: Sequence[str] | None = None,
    *,
    open_context: ContextOpener | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``) and return the exit code.

    ``open_context(url)`` opens the service context on the database URL resolved from ``--db``,
    ``$BILLING_DATABASE_URL`` or the data directory (the demo file for ``demo`` and ``--demo``);
    by default with the system clock and the operating-system user. Tests pass one that uses a
    fixed clock. Results go to ``stdout``, errors to ``stderr`` (default: the process's own).
    """
    from billing_tui.cli.dispatch import build_parser, run_command

    out = Output(stdout or sys.stdout, stderr or sys.stderr)
    session: Session | None = None
    try:
        try:
            args = build_parser().parse_args(argv)
        except HelpRequested as shown:
            out.stdout.write(shown.text)
            out.flush()
            return 0
        out.as_json = getattr(args, "json", False)
        session = Session(args, out, open_context)
        code = run_command(args, session)
        out.flush()
        return code
    except UsageError as exc:
        out.error(str(exc))
        return EXIT_USAGE
    except BillingError as exc:
        out.error(exc.message)
        return EXIT_ERROR
    except KeyboardInterrupt:
        out.error("interrupted")
        return 130
    except BrokenPipeError:
        _silence(out.stdout)
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        from billing_tui.crashlog import log_exception

        out.error(f"unexpected error ({type(exc).__name__}: {exc}); details in {log_exception(exc)}")
        return EXIT_ERROR
    finally:
        if session is not None:
            session.close()


def _silence(stream: TextIO) -> None:
    """After a closed pipe (``billing-tui ... | head``): send what is left of stdout nowhere, so exiting is quiet."""
    if stream is sys.stdout:
        os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
