"""``billing-tui [--demo]`` with no command: open the app, on the demo database with ``--demo``."""

from __future__ import annotations

import argparse
from functools import partial
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing_tui.cli.session import Session
    from billing_tui.services.context import ServiceContext


def add_options(parser: argparse.ArgumentParser) -> None:
    """The app's own option on the top-level parser: ``--demo``."""
    parser.add_argument("--demo", action="store_true",
                        help="open the demo database (filled with the demo business if it is empty)")


def _open_for_app(session: Session) -> ServiceContext:
    """The app's context, opened in its worker: settings, database and schema, and an empty demo filled."""
    demo_mode = session.args.demo
    ctx = session.context(demo=demo_mode)
    if demo_mode:
        from billing_tui import demo

        if demo.is_empty(ctx):  # a demo file left empty by an interrupted first start
            demo.fill_demo(ctx, history=True)
    return ctx


def run(args: argparse.Namespace, session: Session) -> int:
    """Run the app until it quits; its logs (the scheduler's among them) go to a file in the data directory."""
    import logging

    from billing_tui.app import ContextSource, build_app
    from billing_tui.paths import data_dir, demo_database_url
    from billing_tui.storage.urls import describe_url, sqlite_file

    # The URL, when it is known without reading the settings (which load pydantic): --db, or the demo file.
    url = getattr(args, "db", None) or (demo_database_url() if args.demo else None)
    demo_file = sqlite_file(url) if args.demo and url else None
    source: ContextSource
    if args.demo and not (demo_file is not None and demo_file.is_file() and demo_file.stat().st_size > 0):
        # First start of the demo: fill it before the app starts (once; it takes a while).
        from billing_tui import demo

        source = ctx = session.context(demo=True)
        if demo.is_empty(ctx):
            session.out.say("Filling the demo database (first start only)…")
            session.out.flush()
            demo.fill_demo(ctx, history=True)
    else:
        # The settings, SQLAlchemy and the schema check load in the app's worker, after its first frame.
        source = partial(_open_for_app, session)
    logging.basicConfig(filename=data_dir() / "billing-tui.log", level=logging.INFO,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    build_app(source, database_label=describe_url(url) if url else None, run_scheduler=True).run()
    return 0
