"""The whole command line: the parser built from every command group, and the handler of each command."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING

from billing_tui.cli import (
    cards,
    carts,
    credit,
    customers,
    db,
    demo,
    invoices,
    jobs,
    mail,
    numbering,
    orders,
    settings,
    subscriptions,
    tui,
    worker,
)
from billing_tui.cli.options import Parser, common_options

if TYPE_CHECKING:
    from billing_tui.cli.session import Session

Handler = Callable[[argparse.Namespace, "Session"], int]
"""Runs a parsed command and returns its exit code."""

GROUPS: dict[str, ModuleType] = {
    "demo": demo,
    "carts": carts,
    "customers": customers,
    "settings": settings,
    "numbering": numbering,
    "invoices": invoices,
    "orders": orders,
    "mail": mail,
    "jobs": jobs,
    "worker": worker,
    "db": db,
    "subscriptions": subscriptions,
    "cards": cards,
    "credit": credit,
}
"""Top-level command → its module, in the order ``--help`` lists them; each module has ``add_parser(sub, common)``
(which adds that command) and ``run(args, session)``."""

COMMANDS: dict[str | None, Handler] = {None: tui.run, **{name: group.run for name, group in GROUPS.items()}}
"""Top-level command → handler; no command opens the app."""


def build_parser() -> Parser:
    """The whole command line."""
    common = common_options()
    parser = Parser(prog="billing-tui", description="Keyboard-driven billing for Italy and Romania.",
                    parents=[common])
    tui.add_options(parser)
    sub = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    for group in GROUPS.values():
        group.add_parser(sub, common)
    return parser


def run_command(args: argparse.Namespace, session: Session) -> int:
    """Run the command ``args`` names and return its exit code."""
    return COMMANDS[args.command](args, session)
