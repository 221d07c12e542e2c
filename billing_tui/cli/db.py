"""``billing-tui db upgrade``: upgrade the schema of an existing database, keeping its data."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import actions

if TYPE_CHECKING:
    from billing_tui.cli.session import Session


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``db upgrade``."""
    db = actions(sub.add_parser("db", help="database maintenance"))
    db.add_parser("upgrade", parents=[common], help="upgrade the schema of an existing database, keeping its data")


def run(args: argparse.Namespace, session: Session) -> int:
    """Upgrade the schema and say from which revision to which.

    It opens the database itself, not a service context: a context upgrades the schema as it opens.
    """
    from billing_tui.storage.db import Database
    from billing_tui.storage.migrate import upgrade

    out = session.out
    db = Database(session.database_url())
    try:
        before, after = upgrade(db)
    finally:
        db.dispose()
    if out.as_json:
        out.json({"database": db.label, "from": before, "to": after})
    elif before == after:
        out.say(f"{db.label} is up to date ({after}).")
    else:
        out.say(f"{db.label} upgraded from {before or 'empty'} to {after}.")
    return 0
