"""``billing-tui demo``: fill a database with the demo business (the demo file unless --db is given)."""

from __future__ import annotations

import argparse
from datetime import date
from typing import TYPE_CHECKING, Any

from billing_tui.cli.output import jsonable

if TYPE_CHECKING:
    from billing_tui.cli.session import Session


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``demo [--carts N] [--seed S] [--as-of YYYY-MM-DD] [--no-history]``."""
    demo = sub.add_parser("demo", parents=[common], help="fill a database with the demo business and exit")
    demo.add_argument("--carts", type=int, default=400, help="number of carts (default 400)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--as-of", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                      help="the demo's 'today' (default: today); the same seed and day give the same data")
    demo.add_argument("--no-history", dest="history", action="store_false",
                      help="no past invoices, cancellations, credit notes and mail (always off above 5000 carts)")


def run(args: argparse.Namespace, session: Session) -> int:
    """Fill the database, then give the demo customers test cards on Stripe if Stripe is configured."""
    from billing_tui import demo
    from billing_tui.services import cards

    ctx = session.context(demo=True)
    out = session.out
    cards.setup_demo_stripe(ctx, [])  # a live Stripe key is refused before anything is written
    summary = demo.fill_demo(ctx, carts=args.carts, seed=args.seed, as_of=args.as_of,
                             history=args.history and args.carts <= demo.HISTORY_MAX_CARTS)
    stripe = cards.setup_demo_stripe(ctx, demo.subscription_customers(ctx))
    if out.as_json:
        out.json({"database": ctx.database_label, **jsonable(summary), "stripe": stripe})
    else:
        out.say(f"Demo business written to {ctx.database_label}: {summary.customers} customers, "
                f"{summary.products} products, {summary.carts} carts, {summary.invoices} invoices, "
                f"{summary.subscriptions} subscriptions (seed {summary.seed}, as of {summary.as_of}).")
        out.say(stripe)
    return 0
