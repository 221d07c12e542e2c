"""``billing-tui settings show|set``: the seller's company data printed on every document."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import UsageError, actions

if TYPE_CHECKING:
    from billing_tui.cli.session import Session

SELLER_OPTIONS = ("company_name", "vat_number", "fiscal_code", "address", "city", "postcode", "province",
                  "country", "iban", "email", "default_language")
"""The seller's fields ``settings set`` can change (``--company-name`` for ``company_name``)."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``settings show`` and ``settings set --field VALUE ...``."""
    settings = actions(sub.add_parser("settings", help="the seller's company data"))
    settings.add_parser("show", parents=[common], help="show the seller's data")
    s_set = settings.add_parser("set", parents=[common], help="change the seller's data")
    for key in SELLER_OPTIONS:
        s_set.add_argument("--" + key.replace("_", "-"), dest=key, default=None)


def run(args: argparse.Namespace, session: Session) -> int:
    """Show the seller's data, after changing it with ``set``."""
    from billing_tui.services import company

    ctx = session.context()
    out = session.out
    if args.action == "set":
        changes = {k: getattr(args, k) for k in company.COMPANY_KEYS if getattr(args, k, None) is not None}
        if not changes:
            raise UsageError("nothing to change: give at least one field, e.g. --iban IT60X0542811101000000123456")
        view = company.update_company(ctx, changes)
    else:
        view = company.get_company(ctx)
    if out.as_json:
        out.json(view.values)
        return 0
    for key, label in company.COMPANY_FIELDS:
        out.say(f"{label:<28} {view.values[key]}")
    return 0
