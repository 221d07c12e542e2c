"""The command line: the TUI by default, plus scriptable subcommands that call the same services.

Every failure prints one line on stderr and exits non-zero; ``--json`` prints stable JSON on stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

from billing_tui import cli_account
from billing_tui.crashlog import log_exception
from billing_tui.domain.errors import BillingError, ValidationFailed

if TYPE_CHECKING:
    from billing_tui.services.context import ServiceContext

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
    demo.add_argument("--no-history", dest="history", action="store_false",
                      help="no past invoices, cancellations, credit notes and mail (always off above 5000 carts)")

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

    numbering = sub.add_parser("numbering", help="invoice number ranges per year (S004)").add_subparsers(
        dest="action", parser_class=_Parser, metavar="ACTION", required=True)
    n_show = numbering.add_parser("show", parents=[common], help="the year's ranges with the next numbers")
    n_show.add_argument("--year", type=int, default=None, help="default: this year")
    n_set = numbering.add_parser("set", parents=[common], help="change a range's format or next number")
    n_set.add_argument("--year", type=int, required=True)
    n_set.add_argument("--kind", required=True, choices=["invoice", "cancellation", "credit-note"])
    n_set.add_argument("--format", dest="fmt", default=None, help="e.g. PS{yy}{i;3}")
    n_set.add_argument("--next", dest="next_number", type=int, default=None,
                       help="the next number (greater than the last number issued)")

    invoices = sub.add_parser("invoices", help="issue, list, show, export, send, cancel and credit documents")
    inv = invoices.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION", required=True)
    i_issue = inv.add_parser("issue", parents=[common], help="issue the invoice of a paid cart now")
    i_issue.add_argument("--cart", required=True, metavar="NUMBER")
    i_issue.add_argument("--date", default=None, metavar="YYYY-MM-DD", help="invoice date (default: today)")
    i_list = inv.add_parser("list", parents=[common], help="documents, newest first")
    i_list.add_argument("--kind", default="all", choices=["all", "invoice", "cancellation", "credit_note"])
    i_list.add_argument("--status", default="all", choices=["all", "issued", "cancelled", "credited"])
    i_list.add_argument("--year", type=int, default=None)
    i_list.add_argument("--search", default="")
    i_list.add_argument("--limit", type=int, default=50)
    i_list.add_argument("--offset", type=int, default=0)
    i_show = inv.add_parser("show", parents=[common], help="one document with its links and mail")
    i_show.add_argument("number")
    i_pdf = inv.add_parser("pdf", parents=[common], help="write a document's PDF, as issued, to a file")
    i_pdf.add_argument("number")
    i_pdf.add_argument("-o", "--output", required=True, metavar="FILE")
    i_send = inv.add_parser("send", parents=[common], help="email the document (again) now")
    i_send.add_argument("number")
    i_cancel = inv.add_parser("cancel", parents=[common], help="cancel a sent invoice with a cancellation invoice")
    i_cancel.add_argument("number")
    i_cancel.add_argument("--date", default=None, metavar="YYYY-MM-DD")
    i_credit = inv.add_parser("credit-note", parents=[common], help="credit part or all of an invoice")
    i_credit.add_argument("number")
    i_credit.add_argument("--amount", required=True, help="amount to credit, VAT included, e.g. 12.50")
    i_credit.add_argument("--reason", default="")
    i_credit.add_argument("--date", default=None, metavar="YYYY-MM-DD")

    _order_billing_parsers(inv, common)
    _orders_parsers(sub, common)

    mail = sub.add_parser("mail", help="the mail outbox").add_subparsers(dest="action", parser_class=_Parser,
                                                                        metavar="ACTION", required=True)
    m_list = mail.add_parser("list", parents=[common], help="queued, sent and failed mail, newest first")
    m_list.add_argument("--status", default=None, choices=["queued", "sending", "sent", "failed"])
    m_list.add_argument("--limit", type=int, default=50)

    jobs = sub.add_parser("jobs", help="scheduled work").add_subparsers(dest="action", parser_class=_Parser,
                                                                       metavar="ACTION", required=True)
    j_run = jobs.add_parser("run-due", parents=[common], help="run everything due as of now (or --now), once")
    j_run.add_argument("--now", default=None, metavar="ISO-DATETIME", help="e.g. 2026-12-01T08:00 (UTC if no zone)")
    jobs.add_parser("list", parents=[common], help="who runs the jobs, what is due next, recent runs")

    sub.add_parser("worker", parents=[common],
                   help="run the scheduled jobs in the foreground (for a server with nobody logged in)")

    db = sub.add_parser("db", help="database maintenance").add_subparsers(dest="action", parser_class=_Parser,
                                                                         metavar="ACTION", required=True)
    db.add_parser("upgrade", parents=[common], help="upgrade the schema of an existing database, keeping its data")
    cli_account.register(sub, common)
    return parser


ORDER_STATES = ("all", "draft", "in_planning", "in_progress", "shipped", "completed", "cancelled")
EVERY_CHOICES = ("week", "2weeks", "month", "quarter", "half-year", "year")


def _orders_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``orders list|show|create|add-line|remove-line|ship|cancel`` (issue 4)."""
    orders = sub.add_parser("orders", help="orders billed in parts: list, show, create, lines, ship, cancel")
    act = orders.add_subparsers(dest="action", parser_class=_Parser, metavar="ACTION", required=True)
    o_list = act.add_parser("list", parents=[common], help="orders (confirmed carts), newest first")
    o_list.add_argument("--state", default="all", choices=ORDER_STATES)
    o_list.add_argument("--search", default="", help="an order number or part of a customer's name")
    o_list.add_argument("--limit", type=int, default=50)
    o_list.add_argument("--offset", type=int, default=0)
    o_show = act.add_parser("show", parents=[common],
                            help="one order: lines, linked invoices, instalment plan, what is left to bill")
    o_show.add_argument("number")
    o_create = act.add_parser("create", parents=[common], help="a new draft order for a customer; prints its number")
    o_create.add_argument("--customer", required=True, type=int, metavar="ID")
    o_add = act.add_parser("add-line", parents=[common], help="add a product to a draft or in-planning order")
    o_add.add_argument("number")
    o_add.add_argument("--sku", required=True)
    o_add.add_argument("--qty", required=True, help="quantity, e.g. 2 or 1.5")
    o_add.add_argument("--price", default=None, help="unit price before VAT (default: the product's list price)")
    o_remove = act.add_parser("remove-line", parents=[common], help="remove a line no invoice has billed yet")
    o_remove.add_argument("number")
    o_remove.add_argument("position", type=int)
    o_ship = act.add_parser("ship", parents=[common], help="mark an order shipped")
    o_ship.add_argument("number")
    o_cancel = act.add_parser("cancel", parents=[common], help="cancel an order that has no valid invoice")
    o_cancel.add_argument("number")


def _order_billing_parsers(inv: Any, common: argparse.ArgumentParser) -> None:
    """``invoices partial|advance|instalments|final --order NUMBER [--preview]`` (S003.1–S003.6)."""
    def billing(name: str, text: str, *, dates: bool = True) -> _Parser:
        parser: _Parser = inv.add_parser(name, parents=[common], help=text)
        parser.add_argument("--order", required=True, metavar="NUMBER")
        if dates:
            parser.add_argument("--date", default=None, metavar="YYYY-MM-DD", help="invoice date (default: today)")
            parser.add_argument("--due", default=None, metavar="YYYY-MM-DD",
                                help="due date (default: the payment terms from the invoice date)")
        parser.add_argument("--preview", "--dry-run", dest="preview", action="store_true",
                            help="show the invoice(s) that would be created and change nothing")
        return parser

    billing("partial", "invoice every line of an order not yet billed; the lines are locked")
    advance = billing("advance", "invoice an advance on a draft order, as an amount or a percentage")
    amount = advance.add_mutually_exclusive_group(required=True)
    amount.add_argument("--amount", default=None, help="gross amount, VAT included, e.g. 250.00")
    amount.add_argument("--percent", default=None, help="percentage of the order's total, e.g. 30")
    plan = billing("instalments", "bill what is left of a shipped order in instalments", dates=False)
    plan.add_argument("--count", required=True, help="number of instalments, 2 or more")
    plan.add_argument("--start", required=True, metavar="YYYY-MM-DD", help="date of the first instalment")
    plan.add_argument("--every", required=True, choices=EVERY_CHOICES)
    mode = plan.add_mutually_exclusive_group()
    mode.add_argument("--now", dest="mode", action="store_const", const="now",
                      help="issue and send every instalment now")
    mode.add_argument("--schedule", dest="mode", action="store_const", const="schedule",
                      help="the scheduler issues each on its date (default)")
    plan.set_defaults(mode="schedule")
    billing("final", "invoice what is left of an order, deducting its advances; the order is completed")


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
    from billing_tui.config import demo_database_url
    from billing_tui.services.context import open_context

    url = getattr(args, "db", None)
    if demo and not url:
        url = demo_database_url()
    return open_context(url)  # reads the settings (BILLING_*) once, into the context


def cmd_demo(args: argparse.Namespace) -> int:
    from billing_tui.services import demo

    ctx = _context(args, demo=True)
    from billing_tui.services import cards

    cards.setup_demo_stripe(ctx, [])  # a live Stripe key is refused before anything is written
    summary = demo.fill_demo(ctx, carts=args.carts, seed=args.seed, as_of=args.as_of,
                             history=args.history and args.carts <= demo.HISTORY_MAX_CARTS)
    stripe = cards.setup_demo_stripe(ctx, demo.subscription_customers(ctx))
    if getattr(args, "json", False):
        _print_json({"database": ctx.database_label, **_asdict(summary), "stripe": stripe})
    else:
        _say(f"Demo business written to {ctx.database_label}: {summary.customers} customers, "
             f"{summary.products} products, {summary.carts} carts, {summary.invoices} invoices, "
             f"{summary.subscriptions} subscriptions (seed {summary.seed}, as of {summary.as_of}).")
        _say(stripe)
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
        (ln.position, ln.sku, ln.description, f"{ln.quantity.normalize():f}", ln.unit_price, ln.vat_rate, ln.line_total)
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
    from billing_tui.services import company

    ctx = _context(args)
    if args.action == "set":
        changes = {k: getattr(args, k) for k in company.COMPANY_KEYS if getattr(args, k, None) is not None}
        if not changes:
            raise UsageError("nothing to change: give at least one field, e.g. --iban IT60X0542811101000000123456")
        view = company.update_company(ctx, changes)
    else:
        view = company.get_company(ctx)
    if getattr(args, "json", False):
        _print_json(view.values)
        return 0
    for key, label in company.COMPANY_FIELDS:
        _say(f"{label:<28} {view.values[key]}")
    return 0


def cmd_numbering(args: argparse.Namespace) -> int:
    from billing_tui.services import numbering

    ctx = _context(args)
    if args.action == "set":
        if args.fmt is None and args.next_number is None:
            raise UsageError("nothing to change: give --format and/or --next")
        numbering.set_range(ctx, year=args.year, kind=args.kind, fmt=args.fmt, next_number=args.next_number)
        year = args.year
    else:
        year = args.year or ctx.clock.now().year
    views = numbering.show_year(ctx, year)
    if getattr(args, "json", False):
        _print_json(list(views))
        return 0
    _say(_table(("YEAR", "KIND", "FORMAT", "LAST", "NEXT", "NEXT NUMBER"), [
        (v.year, v.kind.replace("_", "-"), v.format, v.last_number, v.next_number or "", v.preview) for v in views]))
    for v in views:
        for warning in v.warnings:
            _say(f"warning ({v.kind.replace('_', '-')}): {warning}")
    return 0


def _show_invoice(detail: Any) -> None:
    doc = detail.document
    _say(f"{doc.kind.value.replace('_', ' ').capitalize()} {doc.number}  {doc.issue_date}  {detail.status}"
         f"  mail {detail.mail_status}")
    _say(f"Customer: {doc.customer.name} (id {detail.customer_id})  {doc.customer.email}")
    if detail.cart_number:
        _say(f"Cart: {detail.cart_number}")
    if detail.refers_to:
        _say(f"Refers to: {detail.refers_to.kind.replace('_', ' ')} {detail.refers_to.number}")
    _say(_table(("#", "DESCRIPTION", "QTY", "UNIT", "VAT%", "AMOUNT"), [
        (ln.position, ln.description, f"{ln.quantity.normalize():f}", ln.unit_price, ln.vat_rate, ln.line_total)
        for ln in doc.lines]))
    for row in doc.vat_rows:
        _say(f"VAT {row.rate}%: taxable {row.taxable}  VAT {row.vat}")
    _say(f"Net {doc.net}  VAT {doc.vat}  Total {doc.total} {doc.currency}"
         + (f"  Amount due {doc.amount_due} (split payment)" if doc.split_payment else ""))
    for linked in detail.linked:
        _say(f"Linked: {linked.kind.replace('_', ' ')} {linked.number} {linked.issue_date} {linked.total}")


def _show_order(detail: Any) -> None:
    cur = detail.currency
    _say(f"Order {detail.number}  {detail.created_at:%Y-%m-%d}  {detail.state.replace('_', ' ')}")
    _say(f"Customer: {detail.customer_name} (id {detail.customer_id})  {detail.customer_email}")
    _say(_table(("#", "SKU", "PRODUCT", "QTY", "UNIT", "VAT%", "TOTAL", "LOCKED BY"), [
        (ln.position, ln.sku, ln.description[:30], f"{ln.quantity.normalize():f}", ln.unit_price, ln.vat_rate,
         ln.line_total, ln.locked_by or "") for ln in detail.lines]) if detail.lines else "No lines yet.")
    if detail.invoices:
        _say("Invoices:")
        _say(_table(("NUMBER", "ROLE", "DATE", "AMOUNT", "STATE", "MAIL"), [
            (i.number, i.role, i.issue_date, f"{i.total} {cur}", i.status, i.mail_status)
            for i in detail.invoices]))
    if detail.plan:
        _say("Instalment plan:")
        _say(_table(("#", "DATE", "AMOUNT", "STATE", "INVOICE"), [
            (f"{p.seq}/{p.count}", p.due_date, f"{p.amount} {cur}", p.status, p.invoice_number or "")
            for p in detail.plan]))
    _say(f"Net {detail.net}  VAT {detail.vat}  Total {detail.total} {cur}  Invoiced {detail.invoiced}  "
         f"Left to bill {detail.left_to_bill} {cur}")


def cmd_orders(args: argparse.Namespace) -> int:
    from billing_tui.services import orders

    ctx = _context(args)
    as_json = getattr(args, "json", False)
    action = args.action
    if action == "list":
        page = orders.list_orders(ctx, state=args.state, search=args.search, offset=args.offset, limit=args.limit)
        if as_json:
            _print_json(page)
            return 0
        _say(_table(("NUMBER", "DATE", "CUSTOMER", "STATE", "TOTAL", "LEFT TO BILL"), [
            (r.number, r.created_at.strftime("%Y-%m-%d"), r.customer_name[:30], r.state.replace("_", " "),
             f"{r.total} {r.currency}", f"{r.left_to_bill} {r.currency}") for r in page.rows]))
        if page.has_more:
            _say(f"… more: --offset {page.offset + page.limit}")
        return 0
    if action == "create":
        detail = orders.create_order(ctx, customer_id=args.customer)
        if as_json:
            _print_json(detail)
        else:
            _say(str(detail.number))
        return 0
    if action == "add-line":
        detail = orders.add_line(ctx, args.number, sku=args.sku, quantity=args.qty, price=args.price)
    elif action == "remove-line":
        detail = orders.remove_line(ctx, args.number, args.position)
    elif action == "ship":
        detail = orders.ship_order(ctx, args.number)
    elif action == "cancel":
        orders.cancel_order(ctx, args.number)
        detail = orders.get_order(ctx, args.number)
    else:
        detail = orders.get_order(ctx, args.number)
    if as_json:
        _print_json(detail)
    else:
        _show_order(detail)
    return 0


def _bill_order(ctx: ServiceContext, args: argparse.Namespace) -> int:
    """``invoices partial|advance|instalments|final``: the review with --preview, else issue and report."""
    from billing_tui.services import orders
    from billing_tui.services.order_review import plan_text

    number, action = args.order, args.action
    if action == "instalments":
        options: dict[str, Any] = {"count": args.count, "start": args.start, "every": args.every, "mode": args.mode}
        preview, issue = orders.preview_instalments, orders.plan_instalments
    else:
        options = {"on": args.date, "due": args.due}
        if action == "advance":
            options.update(amount=args.amount, percent=args.percent)
        preview, issue = {"partial": (orders.preview_partial, orders.issue_partial),
                          "advance": (orders.preview_advance, orders.issue_advance),
                          "final": (orders.preview_final, orders.issue_final)}[action]
    as_json = getattr(args, "json", False)
    if args.preview:
        plan = preview(ctx, number, **options)
        if as_json:
            _print_json(plan)
        else:
            _say(plan_text(plan))
        return 0
    issued = issue(ctx, number, **options)
    detail = orders.get_order(ctx, number)
    if as_json:
        _print_json({"issued": list(issued), "order": detail})
        return 0
    if issued:
        _say(f"Issued {', '.join(issued)} for order {detail.number}.")
    if action == "instalments":
        waiting = sum(1 for p in detail.plan if p.status == "planned")
        if waiting:
            _say(f"{waiting} instalment(s) planned: the scheduler issues each on its date.")
    _say(f"Order {detail.number} is {detail.state.replace('_', ' ')}; left to bill {detail.left_to_bill} "
         f"{detail.currency}.")
    return 0


def cmd_invoices(args: argparse.Namespace) -> int:
    from billing_tui.services import invoices

    ctx = _context(args)
    as_json = getattr(args, "json", False)
    action = args.action
    if action in ("partial", "advance", "instalments", "final"):
        return _bill_order(ctx, args)
    if action == "list":
        page = invoices.list_invoices(ctx, kind=args.kind, status=args.status, year=args.year, search=args.search,
                                      offset=args.offset, limit=args.limit)
        if as_json:
            _print_json(page)
            return 0
        _say(_table(("NUMBER", "DATE", "KIND", "CUSTOMER", "TOTAL", "STATE", "MAIL"), [
            (r.number, r.issue_date, r.kind.replace("_", " "), r.customer_name[:30], f"{r.total} {r.currency}",
             r.status, r.mail_status) for r in page.rows]))
        if page.has_more:
            _say(f"… more: --offset {page.offset + page.limit}")
        return 0
    if action == "pdf":
        from pathlib import Path

        from billing_tui.services.exports import export_pdf

        path = export_pdf(ctx, args.number, Path(args.output))
        if as_json:
            _print_json({"number": args.number, "file": str(path)})
        else:
            _say(f"Wrote {path}")
        return 0
    if action == "send":
        from billing_tui.services import mail

        detail = invoices.resend_invoice(ctx, args.number)
        latest = mail.list_mail(ctx, invoice_id=detail.id, limit=1).rows[0]
        view = mail.send_now(ctx, latest.id)
        if as_json:
            _print_json(view)
        elif view.status == "sent":
            _say(f"Sent {args.number} to {view.recipient}.")
        else:
            _say(f"Not sent yet ({view.last_error}); it stays queued and is retried automatically.")
        return 0 if view.status == "sent" else EXIT_ERROR
    if action == "issue":
        detail = invoices.issue_invoice_for_cart(ctx, args.cart, on=args.date)
    elif action == "cancel":
        detail = invoices.cancel_invoice(ctx, args.number, on=args.date)
    elif action == "credit-note":
        detail = invoices.credit_note(ctx, args.number, args.amount, reason=args.reason, on=args.date)
    else:
        detail = invoices.get_invoice(ctx, args.number)
    if as_json:
        _print_json(detail)
    else:
        _show_invoice(detail)
    return 0


def cmd_mail(args: argparse.Namespace) -> int:
    from billing_tui.services import mail

    ctx = _context(args)
    page = mail.list_mail(ctx, status=args.status, limit=args.limit)
    if getattr(args, "json", False):
        _print_json(page)
        return 0
    _say(_table(("ID", "CREATED", "DOCUMENT", "TO", "STATE", "ATTEMPTS", "SENT / NEXT TRY", "ERROR"), [
        (m.id, f"{m.created_at:%Y-%m-%d %H:%M}", m.invoice_number or "", m.recipient, m.status, m.attempts,
         f"{m.sent_at:%Y-%m-%d %H:%M}" if m.sent_at else (f"{m.next_attempt_at:%Y-%m-%d %H:%M}"
                                                          if m.next_attempt_at else ""),
         (m.last_error or "")[:40]) for m in page.rows]))
    return 0


def _parse_now(text: str | None) -> Any:
    from datetime import UTC, datetime

    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {text!r} is not a date-time; use e.g. 2026-12-01T08:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def cmd_jobs(args: argparse.Namespace) -> int:
    from billing_tui.services import jobs

    now = _parse_now(getattr(args, "now", None))
    ctx = _context(args)
    if now is not None:
        from billing_tui.domain.clock import FixedClock

        ctx.clock = FixedClock(now)
    as_json = getattr(args, "json", False)
    if args.action == "run-due":
        views = jobs.run_due_now(ctx, now=now)
        if as_json:
            _print_json(views)
        else:
            for v in views:
                _say(f"{v.job}: {v.status} — {v.result or ''}")
        return EXIT_ERROR if any(v.status == "failed" for v in views) else 0
    leader = jobs.leader_info(ctx)
    upcoming = jobs.list_upcoming(ctx)
    recent = jobs.list_recent_runs(ctx, 20)
    if as_json:
        _print_json({"leader": leader, "upcoming": upcoming, "recent": recent})
        return 0
    _say("Jobs run by: " + (leader.describe() if leader else "nobody (start one with: billing-tui worker)"))
    _say(_table(("JOB", "NEXT DUE", "LAST RUN"), [
        (u.job, "now" if u.due_now else f"{u.next_due_at:%Y-%m-%d %H:%M}",
         f"{u.last_run.status}: {u.last_run.result or ''}" if u.last_run else "never") for u in upcoming]))
    _say(_table(("STARTED", "JOB", "STATE", "RESULT"), [
        (f"{r.started_at:%Y-%m-%d %H:%M}", r.job, r.status, (r.result or "")[:60]) for r in recent]))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    import logging
    import signal
    import threading

    from billing_tui.jobs.scheduler import JobScheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ctx = _context(args)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    scheduler = JobScheduler(ctx)
    try:
        if scheduler.start():
            _say(f"Running the scheduled jobs of {ctx.database_label}. Ctrl+C stops.")
        else:
            leader = scheduler.leader()
            _say(f"Standing by: {leader.describe() if leader else 'another process'} runs the jobs; "
                 "this worker takes over if it stops.")
        stop.wait()
    finally:
        scheduler.stop()
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from billing_tui.config import load_settings
    from billing_tui.storage.db import Database
    from billing_tui.storage.migrate import upgrade

    settings = load_settings()
    db = Database(settings.resolved_database_url(getattr(args, "db", None)))
    before, after = upgrade(db)
    if getattr(args, "json", False):
        _print_json({"database": db.label, "from": before, "to": after})
    elif before == after:
        _say(f"{db.label} is up to date ({after}).")
    else:
        _say(f"{db.label} upgraded from {before or 'empty'} to {after}.")
    return 0


def _open_for_app(args: argparse.Namespace) -> ServiceContext:
    """The app's context, opened in its worker: settings, database and schema, and an empty demo filled."""
    ctx = _context(args, demo=args.demo)
    if args.demo:
        from billing_tui.services import demo

        if demo.is_empty(ctx):  # a demo file left empty by an interrupted first start
            demo.fill_demo(ctx, history=True)
    return ctx


def cmd_tui(args: argparse.Namespace) -> int:
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
        from billing_tui.services import demo

        source = ctx = _context(args, demo=True)
        if demo.is_empty(ctx):
            sys.stdout.write("Filling the demo database (first start only)…\n")
            demo.fill_demo(ctx, history=True)
    else:
        # The settings, SQLAlchemy and the schema check load in the app's worker, after its first frame.
        source = partial(_open_for_app, args)
    # The screen belongs to the app: logs (the scheduler's among them) go to a file.
    logging.basicConfig(filename=data_dir() / "billing-tui.log", level=logging.INFO,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    build_app(source, database_label=describe_url(url) if url else None, run_scheduler=True).run()
    return 0


COMMANDS: dict[str | None, Callable[[argparse.Namespace], int]] = {
    None: cmd_tui,
    "demo": cmd_demo,
    "carts": cmd_carts,
    "customers": cmd_customers,
    "settings": cmd_settings,
    "numbering": cmd_numbering,
    "invoices": cmd_invoices,
    "orders": cmd_orders,
    "mail": cmd_mail,
    "jobs": cmd_jobs,
    "worker": cmd_worker,
    "db": cmd_db,
}
COMMANDS.update(cli_account.COMMANDS)


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
