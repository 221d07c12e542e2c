"""``billing-tui invoices ...``: issue, list, show, export, send, cancel and credit documents.

The order billing actions (``invoices partial|advance|instalments|final``) belong to
:mod:`billing_tui.cli.orders`; this command registers and dispatches them.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli import orders
from billing_tui.cli.options import EXIT_ERROR, actions

if TYPE_CHECKING:
    from billing_tui.cli.output import Output
    from billing_tui.cli.session import Session


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``invoices issue|list|show|pdf|send|cancel|credit-note`` and the order billing actions."""
    inv = actions(sub.add_parser("invoices", help="issue, list, show, export, send, cancel and credit documents"))
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
    orders.add_billing_parsers(inv, common)


def run(args: argparse.Namespace, session: Session) -> int:
    """Run one ``invoices`` action; ``send`` fails (exit 1) when the mail could not be sent now."""
    from billing_tui.services import invoices

    ctx = session.context()
    out = session.out
    action = args.action
    if action in orders.BILLING_ACTIONS:
        return orders.bill_order(ctx, args, out)
    if action == "list":
        page = invoices.list_invoices(ctx, kind=args.kind, status=args.status, year=args.year, search=args.search,
                                      offset=args.offset, limit=args.limit)
        if out.as_json:
            out.json(page)
            return 0
        out.table(("NUMBER", "DATE", "KIND", "CUSTOMER", "TOTAL", "STATE", "MAIL"), [
            (r.number, r.issue_date, r.kind.replace("_", " "), r.customer_name[:30], f"{r.total} {r.currency}",
             r.status, r.mail_status) for r in page.rows])
        if page.has_more:
            out.say(f"… more: --offset {page.offset + page.limit}")
        return 0
    if action == "pdf":
        from pathlib import Path

        from billing_tui.services.exports import export_pdf

        path = export_pdf(ctx, args.number, Path(args.output))
        if out.as_json:
            out.json({"number": args.number, "file": str(path)})
        else:
            out.say(f"Wrote {path}")
        return 0
    if action == "send":
        from billing_tui.services import mail

        detail = invoices.resend_invoice(ctx, args.number)
        latest = mail.list_mail(ctx, invoice_id=detail.id, limit=1).rows[0]
        view = mail.send_now(ctx, latest.id)
        if out.as_json:
            out.json(view)
        elif view.status == "sent":
            out.say(f"Sent {args.number} to {view.recipient}.")
        else:
            out.say(f"Not sent yet ({view.last_error}); it stays queued and is retried automatically.")
        return 0 if view.status == "sent" else EXIT_ERROR
    if action == "issue":
        detail = invoices.issue_invoice_for_cart(ctx, args.cart, on=args.date)
    elif action == "cancel":
        detail = invoices.cancel_invoice(ctx, args.number, on=args.date)
    elif action == "credit-note":
        detail = invoices.credit_note(ctx, args.number, args.amount, reason=args.reason, on=args.date)
    else:
        detail = invoices.get_invoice(ctx, args.number)
    if out.as_json:
        out.json(detail)
    else:
        _show_invoice(out, detail)
    return 0


def _show_invoice(out: Output, detail: Any) -> None:
    doc = detail.document
    out.say(f"{doc.kind.value.replace('_', ' ').capitalize()} {doc.number}  {doc.issue_date}  {detail.status}"
            f"  mail {detail.mail_status}")
    out.say(f"Customer: {doc.customer.name} (id {detail.customer_id})  {doc.customer.email}")
    if detail.cart_number:
        out.say(f"Cart: {detail.cart_number}")
    if detail.refers_to:
        out.say(f"Refers to: {detail.refers_to.kind.replace('_', ' ')} {detail.refers_to.number}")
    out.table(("#", "DESCRIPTION", "QTY", "UNIT", "VAT%", "AMOUNT"), [
        (ln.position, ln.description, f"{ln.quantity.normalize():f}", ln.unit_price, ln.vat_rate, ln.line_total)
        for ln in doc.lines])
    for row in doc.vat_rows:
        out.say(f"VAT {row.rate}%: taxable {row.taxable}  VAT {row.vat}")
    out.say(f"Net {doc.net}  VAT {doc.vat}  Total {doc.total} {doc.currency}"
            + (f"  Amount due {doc.amount_due} (split payment)" if doc.split_payment else ""))
    for linked in detail.linked:
        out.say(f"Linked: {linked.kind.replace('_', ' ')} {linked.number} {linked.issue_date} {linked.total}")
