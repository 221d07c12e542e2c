"""The argparse pieces every command uses: a parser with one-line errors, ``--db``/``--json``, exit codes."""

from __future__ import annotations

import argparse
from typing import Any, NoReturn

EXIT_ERROR = 1
"""Exit code of a command that failed (a refusal, an unknown record, an unreachable database)."""
EXIT_USAGE = 2
"""Exit code of a command line that is itself wrong (argparse's own code)."""


class UsageError(Exception):
    """The command line itself is wrong."""


class HelpRequested(Exception):  # noqa: N818 - not an error: it carries the help text to print
    """``--help`` was given; ``text`` is the help to print on stdout."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, not usage plus a message, and which never exits itself."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")

    def print_help(self, file: Any = None) -> None:
        # argparse prints the help on sys.stdout and exits; the caller decides where it goes instead.
        raise HelpRequested(self.format_help())


def common_options() -> argparse.ArgumentParser:
    """The options every subcommand takes: ``--db URL`` and ``--json`` (as a parent parser)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                        help="SQLAlchemy database URL "
                             "(default: $BILLING_DATABASE_URL, else the file in the data directory)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON on stdout")
    return common


def actions(command: argparse.ArgumentParser) -> Any:
    """The required ACTION subparsers of a command (``carts list``, ``carts show``, ...)."""
    return command.add_subparsers(dest="action", parser_class=Parser, metavar="ACTION", required=True)
