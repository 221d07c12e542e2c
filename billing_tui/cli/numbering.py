"""``billing-tui numbering show|set``: the invoice number ranges of a year, with the next numbers."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import UsageError, actions

if TYPE_CHECKING:
    from billing_tui.cli.session import Session


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``numbering show [--year Y]`` and ``numbering set --year Y --kind K [--format F] [--next N]`` (S004)."""
    numbering = actions(sub.add_parser("numbering", help="invoice number ranges per year"))
    n_show = numbering.add_parser("show", parents=[common], help="the year's ranges with the next numbers")
    n_show.add_argument("--year", type=int, default=None, help="default: this year")
    n_set = numbering.add_parser("set", parents=[common], help="change a range's format or next number")
    n_set.add_argument("--year", type=int, required=True)
    n_set.add_argument("--kind", required=True, choices=["invoice", "cancellation", "credit-note"])
    n_set.add_argument("--format", dest="fmt", default=None, help="e.g. PS{yy}{i;3}")
    n_set.add_argument("--next", dest="next_number", type=int, default=None,
                       help="the next number (greater than the last number issued)")


def run(args: argparse.Namespace, session: Session) -> int:
    """Show a year's ranges, after changing one with ``set``."""
    from billing_tui.services import numbering

    ctx = session.context()
    out = session.out
    if args.action == "set":
        if args.fmt is None and args.next_number is None:
            raise UsageError("nothing to change: give --format and/or --next")
        numbering.set_range(ctx, year=args.year, kind=args.kind, fmt=args.fmt, next_number=args.next_number)
        year = args.year
    else:
        year = args.year or ctx.clock.now().year
    views = numbering.show_year(ctx, year)
    if out.as_json:
        out.json(list(views))
        return 0
    out.table(("YEAR", "KIND", "FORMAT", "LAST", "NEXT", "NEXT NUMBER"), [
        (v.year, v.kind.replace("_", "-"), v.format, v.last_number, v.next_number or "", v.preview) for v in views])
    for v in views:
        for warning in v.warnings:
            out.say(f"warning ({v.kind.replace('_', '-')}): {warning}")
    return 0
