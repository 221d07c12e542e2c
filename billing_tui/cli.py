"""The command line: the TUI by default, plus scriptable subcommands that call the same services.

Every failure prints one line on stderr and exits non-zero; ``--json`` prints stable JSON on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NoReturn

from billing_tui.crashlog import log_exception
from billing_tui.domain.errors import BillingError, ValidationFailed

EXIT_ERROR = 1
EXIT_USAGE = 2


class UsageError(Exception):
    """The command line itself is wrong."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line, not usage plus a message."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                        help="SQLAlchemy database URL (default: $BILLING_DATABASE_URL, else the file in the data directory)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON on stdout")
    return common


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


def build_parser() -> _Parser:
    """The whole command line."""
    common = _common()
    parser = _Parser(prog="billing-tui", description="Keyboard-driven billing for Italy and Romania.",
                     parents=[common])
    parser.add_argument("--demo", action="store_true",
                        help="open the demo database (filled with the demo business if it is empty)")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[common], help="fill a database with the demo business and exit")
    demo.add_argument("--carts", type=int, default=400, help="number of carts (default 400)")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--as-of", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                      help="the demo's 'today' (default: today); the same seed and day give the same data")

    carts = sub.add_parser("carts", help="list and show carts").add_subparsers(dest="action", parser_class=_Parser,
                                                                              metavar="ACTION", required=True)
    c_list = carts.add_parser("list", parents=[common], help="list carts, newest first")
    c_list.add_argument("--status", default="all",
                        choices=["all", "confirmed", "unconfirmed", "open", "abandoned", "payment_failed"])
    c_list.add_argument("--search", default="", help="a cart number or part of a customer's name")
    c_list.add_argument("--sort", default="date_desc", choices=["date_desc", "date_asc", "total_desc", "total_asc"])
    c_list.add_argument("--limit", type=int, default=50)
    c_list.add_argument("--offset", type=int, default=0)
    c_show = carts.add_parser("show", parents=[common], help="one cart with its lines, VAT and payments")
    c_show.add_argument("number")

    customers = sub.add_parser("customers", help="billing profiles").add_subparsers(
        dest="action", parser_class=_Parser, metavar="ACTION", required=True)
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

    settings = sub.add_parser("settings", help="the seller's company data").add_subparsers(
        dest="action", parser_class=_Parser, metavar="ACTION", required=True)
    settings.add_parser("show", parents=[common], help="show the seller's data")
    s_set = settings.add_parser("set", parents=[common], help="change the seller's data")
    for key in ("company_name", "vat_number", "fiscal_code", "address", "city", "postcode", "province",
                "country", "iban", "email", "default_language"):
        s_set.add_argument("--" + key.replace("_", "-"), dest=key, default=None)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="action", parser_class=_Parser,
                                                                         metavar="ACTION", required=True)
    db.add_parser("upgrade", parents=[common], help="upgrade the schema of an existing database, keeping its data")
    return parser


# --- output -------------------------------------------------------------------------------

def _print_json(view: Any) -> None:
    from billing_tui.services.views import to_json

    sys.stdout.write(to_json(view) + "\n")


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells)


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")


# --- commands -----------------------------------------------------------------------------

def _context(args: argparse.Namespace, *, demo: bool = False):  # type: ignore[no-untyped-def]
    from billing_tui.config import Settings, demo_database_url
    from billing_tui.services.context import open_context

    settings = Settings()
    url = getattr(args, "db", None)
    if demo and not url:
        url = demo_database_url()
    return open_context(settings.resolved_database_url(url), busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def cmd_demo(args: argparse.Namespace) -> int:
    from billing_tui.services import demo

    ctx = _context(args, demo=True)
    summary = demo.fill_demo(ctx, carts=args.carts, seed=args.seed, as_of=args.as_of)
    if getattr(args, "json", False):
        _print_json({"database": ctx.database_label, **_asdict(summary)})
    else:
        _say(f"Demo business written to {ctx.database_label}: {summary.customers} customers, "
             f"{summary.products} products, {summary.carts} carts (seed {summary.seed}, as of {summary.as_of}).")
    return 0


def _asdict(view: Any) -> dict[str, Any]:
    from billing_tui.services.views import jsonable

    return jsonable(view)  # type: ignore[no-any-return]


def cmd_carts(args: argparse.Namespace) -> int:
    from billing_tui.services import carts

    ctx = _context(args)
    if args.action == "list":
        page = carts.list_carts(ctx, carts.CartQuery(status=args.status, search=args.search, sort=args.sort,
                                                     offset=args.offset, limit=args.limit))
        if getattr(args, "json", False):
            _print_json(page)
            return 0
        _say(_table(("NUMBER", "DATE", "CUSTOMER", "TOTAL", "PAY", "STATUS", "PAYMENT", "ORDER", "INVOICE"), [
            (r.number, r.created_at.strftime("%Y-%m-%d"), r.customer_name[:30], f"{r.total} {r.currency}",
             "card" if r.payment_method == "card" else "transfer", r.status, r.payment_state, r.order_state,
             r.invoice_state) for r in page.rows]))
        if page.has_more:
            _say(f"… more: --offset {page.offset + page.limit}")
        return 0
    detail = carts.get_cart(ctx, args.number)
    if getattr(args, "json", False):
        _print_json(detail)
        return 0
    _say(f"Cart {detail.number}  {detail.created_at:%Y-%m-%d %H:%M} UTC  {detail.status}")
    _say(f"Customer: {detail.customer_name} (id {detail.customer_id}, {detail.customer_type}, {detail.customer_country})")
    _say(f"Payment: {detail.payment_method} {detail.payment_state}   Order: {detail.order_state}   "
         f"Invoice: {detail.invoice_state}")
    _say(_table(("#", "SKU", "PRODUCT", "QTY", "UNIT", "VAT%", "TOTAL"), [
        (ln.position, ln.sku, ln.description, ln.quantity.normalize(), ln.unit_price, ln.vat_rate, ln.line_total)
        for ln in detail.lines]))
    for row in detail.vat_rows:
        _say(f"VAT {row.rate}%: taxable {row.taxable}  VAT {row.vat}")
    _say(f"Net {detail.net}  VAT {detail.vat}  Total {detail.total} {detail.currency}")
    return 0


def cmd_customers(args: argparse.Namespace) -> int:
    from billing_tui.services import customers

    ctx = _context(args)
    as_json = getattr(args, "json", False)
    if args.action == "list":
        page = customers.list_customers(ctx, search=args.search, offset=args.offset, limit=args.limit)
        if as_json:
            _print_json(page)
            return 0
        _say(_table(("ID", "NAME", "TYPE", "COUNTRY", "VAT / FISCAL CODE", "EMAIL"), [
            (r.id, r.name[:34], r.customer_type, r.country, r.vat_number or r.fiscal_code or "", r.email)
            for r in page.rows]))
        return 0
    if args.action == "history":
        rows = customers.customer_history(ctx, args.id)
        if as_json:
            _print_json(list(rows))
            return 0
        for row in rows:
            changes = ", ".join(f"{k}: {o!r} → {n!r}" for k, (o, n) in row.changes.items())
            _say(f"{row.at:%Y-%m-%d %H:%M} {row.actor} {row.action}: {changes}")
        return 0
    if args.action == "update":
        changes = {key: getattr(args, key) for key, _ in PROFILE_OPTIONS if getattr(args, key) is not None}
        if not changes:
            raise UsageError("nothing to change: give at least one field, e.g. --email new@example.com")
        detail = customers.update_customer(ctx, args.id, changes)
    else:
        detail = customers.get_customer(ctx, args.id)
    if as_json:
        _print_json(detail)
        return 0
    _say(f"Customer {detail.id} ({detail.carts} carts)")
    for key in detail.visible:
        value = detail.profile.get(key)
        _say(f"  {customers.field_label(key):<20} {'' if value is None else value}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from billing_tui.services import settings

    ctx = _context(args)
    if args.action == "set":
        changes = {k: getattr(args, k) for k in settings.SELLER_KEYS if getattr(args, k, None) is not None}
        if not changes:
            raise UsageError("nothing to change: give at least one field, e.g. --iban IT60X0542811101000000123456")
        view = settings.update_seller(ctx, changes)
    else:
        view = settings.get_seller(ctx)
    if getattr(args, "json", False):
        _print_json(view.values)
        return 0
    for key, label in settings.SELLER_FIELDS:
        _say(f"{label:<28} {view.values[key]}")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from billing_tui.config import Settings
    from billing_tui.storage.db import Database
    from billing_tui.storage.migrate import upgrade

    settings = Settings()
    db = Database(settings.resolved_database_url(getattr(args, "db", None)))
    before, after = upgrade(db)
    if getattr(args, "json", False):
        _print_json({"database": db.label, "from": before, "to": after})
    elif before == after:
        _say(f"{db.label} is up to date ({after}).")
    else:
        _say(f"{db.label} upgraded from {before or 'empty'} to {after}.")
    return 0


def cmd_tui(args: argparse.Namespace) -> int:
    from billing_tui.services import demo

    ctx = _context(args, demo=args.demo)
    if args.demo and demo.is_empty(ctx):
        demo.fill_demo(ctx)
    from billing_tui.app import build_app

    build_app(ctx).run()
    return 0


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_tui,
    "demo": cmd_demo,
    "carts": cmd_carts,
    "customers": cmd_customers,
    "settings": cmd_settings,
    "db": cmd_db,
}


def _fail(message: str, code: int = EXIT_ERROR) -> int:
    sys.stderr.write(f"billing-tui: {' '.join(message.split())}\n")
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``billing-tui``; returns the exit code."""
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except UsageError as exc:
        return _fail(str(exc), EXIT_USAGE)
    except ValidationFailed as exc:
        return _fail(exc.message)
    except BillingError as exc:
        return _fail(exc.message)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except Exception as exc:  # noqa: BLE001 - the promise is: never a traceback
        return _fail(f"unexpected error ({type(exc).__name__}: {exc}); details in {log_exception(exc)}")


if __name__ == "__main__":
    sys.exit(main())
