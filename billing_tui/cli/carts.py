"""``billing-tui carts list|show``: the shop's carts, newest first, and one cart in detail."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import actions

if TYPE_CHECKING:
    from billing_tui.cli.output import Output
    from billing_tui.cli.session import Session

CART_STATES = ("all", "confirmed", "unconfirmed", "open", "abandoned", "payment_failed")
"""The ``--status`` choices of ``carts list``."""
CART_SORTS = ("date_desc", "date_asc", "total_desc", "total_asc")
"""The ``--sort`` choices of ``carts list``."""


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``carts list [--status S] [--search TEXT] [--sort S] [--limit N] [--offset N]`` and ``carts show NUMBER``."""
    carts = actions(sub.add_parser("carts", help="list and show carts"))
    c_list = carts.add_parser("list", parents=[common], help="list carts, newest first")
    c_list.add_argument("--status", default="all", choices=list(CART_STATES))
    c_list.add_argument("--search", default="", help="a cart number or part of a customer's name")
    c_list.add_argument("--sort", default="date_desc", choices=list(CART_SORTS))
    c_list.add_argument("--limit", type=int, default=50)
    c_list.add_argument("--offset", type=int, default=0)
    c_show = carts.add_parser("show", parents=[common], help="one cart with its lines, VAT and payments")
    c_show.add_argument("number")


def run(args: argparse.Namespace, session: Session) -> int:
    """List carts or show one."""
    from billing_tui.services import carts

    ctx = session.context()
    out = session.out
    if args.action == "list":
        page = carts.list_carts(ctx, carts.CartQuery(status=args.status, search=args.search, sort=args.sort,
                                                     offset=args.offset, limit=args.limit))
        if out.as_json:
            out.json(page)
            return 0
        out.table(("NUMBER", "DATE", "CUSTOMER", "TOTAL", "PAY", "STATUS", "PAYMENT", "ORDER", "INVOICE"), [
            (r.number, r.created_at.strftime("%Y-%m-%d"), r.customer_name[:30], f"{r.total} {r.currency}",
             "card" if r.payment_method == "card" else "transfer", r.status, r.payment_state, r.order_state,
             r.invoice_state) for r in page.rows])
        if page.has_more:
            out.say(f"… more: --offset {page.offset + page.limit}")
        return 0
    detail = carts.get_cart(ctx, args.number)
    if out.as_json:
        out.json(detail)
    else:
        _show_cart(out, detail)
    return 0


def _show_cart(out: Output, detail: Any) -> None:
    out.say(f"Cart {detail.number}  {detail.created_at:%Y-%m-%d %H:%M} UTC  {detail.status}")
    out.say(f"Customer: {detail.customer_name} (id {detail.customer_id}, {detail.customer_type}, "
            f"{detail.customer_country})")
    out.say(f"Payment: {detail.payment_method} {detail.payment_state}   Order: {detail.order_state}   "
            f"Invoice: {detail.invoice_state}")
    out.table(("#", "SKU", "PRODUCT", "QTY", "UNIT", "VAT%", "TOTAL"), [
        (ln.position, ln.sku, ln.description, f"{ln.quantity.normalize():f}", ln.unit_price, ln.vat_rate,
         ln.line_total) for ln in detail.lines])
    for row in detail.vat_rows:
        out.say(f"VAT {row.rate}%: taxable {row.taxable}  VAT {row.vat}")
    out.say(f"Net {detail.net}  VAT {detail.vat}  Total {detail.total} {detail.currency}")
