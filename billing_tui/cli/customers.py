"""``billing-tui customers list|show|history|update``: billing profiles, validated as on the screen."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import UsageError, actions

if TYPE_CHECKING:
    from billing_tui.cli.session import Session

PROFILE_OPTIONS = (
    ("customer_type", "company, person or pa"),
    ("name", "company name, or first and last name"),
    ("vat_number", "VAT number (IT: 11 digits; RO: CIF; EU: with country prefix)"),
    ("fiscal_code", "fiscal code (IT: 16 characters or 11 digits; RO: CNP or CIF)"),
    ("pa_office_code", "PA office code, 6 characters (Public Administration only)"),
    ("split_payment", "yes or no (Public Administration only)"),
    ("sdi_code", "SdI recipient code, 7 characters (Italian companies and persons)"),
    ("pec", "PEC address (Italian companies and persons)"),
    ("email", "invoice email"),
    ("address", "street and number"),
    ("city", "city"),
    ("postcode", "postcode"),
    ("province", "province or county"),
    ("country", "2-letter country code"),
    ("language", "document language: it, en or ro"),
)
"""The profile fields ``customers update`` can change (``--vat-number`` for ``vat_number``), with their help."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``customers list [--search TEXT]``, ``show ID``, ``history ID`` and ``update ID --field VALUE ...``."""
    customers = actions(sub.add_parser("customers", help="billing profiles"))
    u_list = customers.add_parser("list", parents=[common], help="list customers by name")
    u_list.add_argument("--search", default="", help="part of the name, VAT number, fiscal code or email")
    u_list.add_argument("--limit", type=int, default=100)
    u_list.add_argument("--offset", type=int, default=0)
    u_show = customers.add_parser("show", parents=[common], help="one customer's billing profile")
    u_show.add_argument("id")
    u_hist = customers.add_parser("history", parents=[common], help="the audit log of a customer's data")
    u_hist.add_argument("id")
    u_upd = customers.add_parser("update", parents=[common],
                                 help="change fields of a billing profile (validated as on the screen)")
    u_upd.add_argument("id")
    for key, text in PROFILE_OPTIONS:
        u_upd.add_argument("--" + key.replace("_", "-"), dest=key, default=None, help=text + " (empty clears)")


def run(args: argparse.Namespace, session: Session) -> int:
    """List, show, update a customer, or show the audit log of their data."""
    from billing_tui.services import customers

    ctx = session.context()
    out = session.out
    if args.action == "list":
        page = customers.list_customers(ctx, search=args.search, offset=args.offset, limit=args.limit)
        if out.as_json:
            out.json(page)
            return 0
        out.table(("ID", "NAME", "TYPE", "COUNTRY", "VAT / FISCAL CODE", "EMAIL"), [
            (r.id, r.name[:34], r.customer_type, r.country, r.vat_number or r.fiscal_code or "", r.email)
            for r in page.rows])
        return 0
    if args.action == "history":
        rows = customers.customer_history(ctx, args.id)
        if out.as_json:
            out.json(list(rows))
            return 0
        for row in rows:
            changed = ", ".join(f"{k}: {o!r} → {n!r}" for k, (o, n) in row.changes.items())
            out.say(f"{row.at:%Y-%m-%d %H:%M} {row.actor} {row.action}: {changed}")
        return 0
    if args.action == "update":
        changes = {key: getattr(args, key) for key, _ in PROFILE_OPTIONS if getattr(args, key) is not None}
        if not changes:
            raise UsageError("nothing to change: give at least one field, e.g. --email new@example.com")
        detail = customers.update_customer(ctx, args.id, changes)
    else:
        detail = customers.get_customer(ctx, args.id)
    if out.as_json:
        out.json(detail)
        return 0
    out.say(f"Customer {detail.id} ({detail.carts} carts)")
    for key in detail.visible:
        value = detail.profile.get(key)
        out.say(f"  {customers.field_label(key):<20} {'' if value is None else value}")
    return 0
