"""``billing-tui orders ...`` and the order billing actions ``invoices partial|advance|instalments|final``.

Orders are billed in parts (issue 4): every action prints the order afterwards, and the billing
actions show the invoices they would create with ``--preview`` and change nothing.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import Parser, actions

if TYPE_CHECKING:
    from billing_tui.cli.output import Output
    from billing_tui.cli.session import Session
    from billing_tui.services.context import ServiceContext

ORDER_STATES = ("all", "draft", "in_planning", "in_progress", "shipped", "completed", "cancelled")
"""The ``--state`` choices of ``orders list``."""
EVERY_CHOICES = ("week", "2weeks", "month", "quarter", "half-year", "year")
"""The ``--every`` choices of ``invoices instalments``."""
BILLING_ACTIONS = ("partial", "advance", "instalments", "final")
"""The ``invoices`` actions that bill an order."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``orders list|show|create|add-line|remove-line|ship|cancel``."""
    act = actions(sub.add_parser("orders", help="orders billed in parts: list, show, create, lines, ship, cancel"))
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


def add_billing_parsers(inv: Any, common: argparse.ArgumentParser) -> None:
    """``invoices partial|advance|instalments|final --order NUMBER [--preview]`` (S003.1–S003.6)."""
    def billing(name: str, text: str, *, dates: bool = True) -> Parser:
        parser: Parser = inv.add_parser(name, parents=[common], help=text)
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


def run(args: argparse.Namespace, session: Session) -> int:
    """Run one ``orders`` action and print the order (``create`` prints its number only)."""
    from billing_tui.services import orders

    ctx = session.context()
    out = session.out
    action = args.action
    if action == "list":
        page = orders.list_orders(ctx, state=args.state, search=args.search, offset=args.offset, limit=args.limit)
        if out.as_json:
            out.json(page)
            return 0
        out.table(("NUMBER", "DATE", "CUSTOMER", "STATE", "TOTAL", "LEFT TO BILL"), [
            (r.number, r.created_at.strftime("%Y-%m-%d"), r.customer_name[:30], r.state.replace("_", " "),
             f"{r.total} {r.currency}", f"{r.left_to_bill} {r.currency}") for r in page.rows])
        if page.has_more:
            out.say(f"… more: --offset {page.offset + page.limit}")
        return 0
    if action == "create":
        detail = orders.create_order(ctx, customer_id=args.customer)
        if out.as_json:
            out.json(detail)
        else:
            out.say(str(detail.number))
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
    if out.as_json:
        out.json(detail)
    else:
        _show_order(out, detail)
    return 0


def bill_order(ctx: ServiceContext, args: argparse.Namespace, out: Output) -> int:
    """``invoices partial|advance|instalments|final``: the review with --preview, else issue and report."""
    from billing_tui.services import orders
    from billing_tui.services.order_review import plan_text

    number, action = args.order, args.action
    preview: Callable[..., Any]
    issue: Callable[..., Any]
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
    if args.preview:
        plan = preview(ctx, number, **options)
        if out.as_json:
            out.json(plan)
        else:
            out.say(plan_text(plan))
        return 0
    issued = issue(ctx, number, **options)
    detail = orders.get_order(ctx, number)
    if out.as_json:
        out.json({"issued": list(issued), "order": detail})
        return 0
    if issued:
        out.say(f"Issued {', '.join(issued)} for order {detail.number}.")
    if action == "instalments":
        waiting = sum(1 for p in detail.plan if p.status == "planned")
        if waiting:
            out.say(f"{waiting} instalment(s) planned: the scheduler issues each on its date.")
    out.say(f"Order {detail.number} is {detail.state.replace('_', ' ')}; left to bill {detail.left_to_bill} "
            f"{detail.currency}.")
    return 0


def _show_order(out: Output, detail: Any) -> None:
    cur = detail.currency
    out.say(f"Order {detail.number}  {detail.created_at:%Y-%m-%d}  {detail.state.replace('_', ' ')}")
    out.say(f"Customer: {detail.customer_name} (id {detail.customer_id})  {detail.customer_email}")
    if detail.lines:
        out.table(("#", "SKU", "PRODUCT", "QTY", "UNIT", "VAT%", "TOTAL", "LOCKED BY"), [
            (ln.position, ln.sku, ln.description[:30], f"{ln.quantity.normalize():f}", ln.unit_price, ln.vat_rate,
             ln.line_total, ln.locked_by or "") for ln in detail.lines])
    else:
        out.say("No lines yet.")
    if detail.invoices:
        out.say("Invoices:")
        out.table(("NUMBER", "ROLE", "DATE", "AMOUNT", "STATE", "MAIL"), [
            (i.number, i.role, i.issue_date, f"{i.total} {cur}", i.status, i.mail_status)
            for i in detail.invoices])
    if detail.plan:
        out.say("Instalment plan:")
        out.table(("#", "DATE", "AMOUNT", "STATE", "INVOICE"), [
            (f"{p.seq}/{p.count}", p.due_date, f"{p.amount} {cur}", p.status, p.invoice_number or "")
            for p in detail.plan])
    out.say(f"Net {detail.net}  VAT {detail.vat}  Total {detail.total} {cur}  Invoiced {detail.invoiced}  "
            f"Left to bill {detail.left_to_bill} {cur}")
