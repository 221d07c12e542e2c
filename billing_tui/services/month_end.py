"""Month end for prepaid credit (S000.8): one zero invoice per customer and ended month with consumption.

For every ended month in which a customer consumed credit, one invoice of total zero lists the
credit used per VAT rate (positive lines) and the reversal of the matching share of each purchase
invoice drawn on (negative lines, same taxable and VAT), so the lines and the VAT summary net to
zero; its ``credit_month_end`` row (unique per customer and month) is written in the same
transaction, and the email is queued with it. Consumption not yet covered by a purchase
(overdraft) waits until credit is bought.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from billing_tui.domain.documents import DocumentKind, DocumentLine
from billing_tui.domain.errors import BillingError
from billing_tui.domain.i18n import format_amount, format_date, format_month, t
from billing_tui.domain.money import CENT, ZERO, round_money, vat_summary
from billing_tui.services.context import ServiceContext
from billing_tui.services.credit import (
    CreditPool,
    customer_row,
    entries_of,
    eur,
    month_bounds,
    month_of,
    sync_purchases,
)
from billing_tui.services.documents import (
    InvoiceRefused,
    check_issue_date,
    company_for_documents,
    customer_draft,
    issue_document,
    profile_problem,
)
from billing_tui.storage.account_models import CreditEntry, CreditMonthEnd
from billing_tui.storage.document_models import Invoice
from billing_tui.storage.shop_models import Customer

USED_SKU = "PREPAID-USED"
STORNO_SKU = "PREPAID-STORNO"

@dataclass(frozen=True)
class MonthEndResult:
    """What one month-end run did: zero invoices issued, and customer-months left waiting (with why)."""

    issued: tuple[tuple[str, int, str], ...]  # (invoice number, customer id, month)
    waiting: tuple[tuple[int, str, str], ...]  # (customer id, month, reason)

    def __str__(self) -> str:
        text = f"issued {len(self.issued)} zero invoice(s)"
        if self.issued:
            text += ": " + ", ".join(f"{n} (customer {c}, {m})" for n, c, m in self.issued[:5])
            if len(self.issued) > 5:
                text += ", …"
        if self.waiting:
            text += f"; {len(self.waiting)} waiting: " + "; ".join(
                f"customer {c} {m}: {r}" for c, m, r in self.waiting[:3])
        return text


class _Waiting(BillingError):
    """This customer's month cannot be reported yet; the message says why."""


def _split_taxable(shares: Sequence[Decimal], rate: Decimal) -> tuple[Decimal, list[Decimal]]:
    """The taxable of the total of ``shares`` (gross, at ``rate``), and of each share, adding up to it exactly."""
    total = sum(shares, ZERO)
    taxable = round_money(total * 100 / (100 + rate))
    parts = [round_money(s * 100 / (100 + rate)) for s in shares[:-1]]
    parts.append(taxable - sum(parts, ZERO))
    return taxable, parts


def _zero_invoice_lines(month: str, language: str, purchases: list[CreditEntry],
                        drawn: Iterable[tuple[int, Decimal]], invoices: dict[int, Invoice]) -> tuple[list[DocumentLine], list[str]]:
    """The lines (credit used per rate, then the reversal per purchase invoice) and the VAT-detail notes."""
    by_rate: dict[Decimal, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for index, gross in drawn:
        purchase = purchases[index]
        by_rate[purchase.vat_rate.quantize(CENT)][purchase.invoice_id or 0] += gross
    name = format_month(month_bounds(month)[0], language)
    lines: list[DocumentLine] = []
    notes = [t("prepaid_note", language, month=name)]
    for rate in sorted(by_rate, reverse=True):
        per_invoice = sorted(by_rate[rate].items(), key=lambda kv: (invoices[kv[0]].issue_date, kv[0]))
        shares = [gross for _, gross in per_invoice]
        taxable, parts = _split_taxable(shares, rate)
        gross_total = sum(shares, ZERO)
        label = f"{rate.normalize():f}"
        lines.append(DocumentLine(position=len(lines) + 1, sku=USED_SKU,
                                  description=f"{t('prepaid_used', language, month=name)} ({label}%)"[:200],
                                  quantity=Decimal("1.000"), unit_price=taxable, vat_rate=rate, line_total=taxable))
        for (invoice_id, _), part in zip(per_invoice, parts, strict=True):
            inv = invoices[invoice_id]
            text = t("prepaid_storno", language, number=inv.number, date=format_date(inv.issue_date, language))
            lines.append(DocumentLine(position=len(lines) + 1, sku=STORNO_SKU, description=f"{text} ({label}%)"[:200],
                                      quantity=Decimal("1.000"), unit_price=-part, vat_rate=rate, line_total=-part))
        notes.append(t("prepaid_detail", language, rate=label, taxable=format_amount(taxable, "EUR", language),
                        vat=format_amount(gross_total - taxable, "EUR", language),
                        gross=format_amount(gross_total, "EUR", language)))
    return lines, notes


def _issue_month(session: Session, ctx: ServiceContext, customer: Customer, month: str, on: date) -> str:
    """Issue one customer's zero invoice for ``month`` and its month-end row (caller's transaction); its number."""
    customer_id = customer.id or 0
    start, end = month_bounds(month)
    purchases = entries_of(session, customer_id, "purchase")
    pool = CreditPool(purchases)
    drawn: list[tuple[int, Decimal]] = []
    for entry in entries_of(session, customer_id, "consumption", before=end):
        taken = pool.draw(entry.amount)
        if entry.on_date >= start:
            drawn.extend(taken)
    if not drawn:
        raise _Waiting("no consumption")  # cannot happen: the month was chosen for its consumption
    uncovered = sum((gross for index, gross in drawn if index < 0), ZERO)
    if uncovered > ZERO:
        raise _Waiting(f"{eur(uncovered)} consumed beyond the credit bought (overdraft); the zero invoice is "
                       "issued once the customer buys credit that covers it")
    problem = profile_problem(customer)
    if problem:
        raise _Waiting(f"the billing profile of {customer.name} is incomplete: {problem}; fix it in Customers (F3)")
    try:
        seller = company_for_documents(session)
        check_issue_date(session, ctx, DocumentKind.INVOICE, on)
    except InvoiceRefused as exc:
        raise _Waiting(exc.message) from None
    invoice_ids = {purchases[i].invoice_id for i, _ in drawn if purchases[i].invoice_id is not None}
    invoices = {inv.id or 0: inv for inv in session.scalars(select(Invoice).where(col(Invoice.id).in_(invoice_ids)))}
    if len(invoices) != len(invoice_ids) or any(purchases[i].invoice_id is None for i, _ in drawn):
        raise _Waiting("a purchase of credit has no invoice to reverse")
    language = customer.language or seller.default_language
    lines, notes = _zero_invoice_lines(month, language, purchases, drawn, invoices)
    totals = vat_summary((ln.line_total, ln.vat_rate) for ln in lines)
    assert totals.net == ZERO and totals.vat == ZERO, "a zero invoice must net to zero"
    first_purchase = invoices[purchases[drawn[0][0]].invoice_id or 0]
    draft = customer_draft(session, customer, on=on, due=on, lines=lines, currency="EUR",
                           payment_method=first_purchase.payment_method, paid=True, notes=tuple(notes))
    inv = issue_document(ctx, draft, session=session)
    session.add(CreditMonthEnd(customer_id=customer_id, month=month, invoice_id=inv.id or 0,
                               created_at=ctx.clock.now()))
    session.flush()
    return inv.number or ""


def months_to_report(ctx: ServiceContext) -> list[tuple[str, int]]:
    """``(month, customer id)`` of every ended month with consumption and no zero invoice yet, oldest first."""
    first_of_month = ctx.clock.now().date().replace(day=1)
    with ctx.db.read() as session:
        done = {(m, c) for m, c in session.execute(select(CreditMonthEnd.month, CreditMonthEnd.customer_id))}
        latest_stmt = select(CreditMonthEnd.customer_id, func.max(CreditMonthEnd.month)).group_by(
            col(CreditMonthEnd.customer_id))
        latest: dict[int, str] = {c: m for c, m in session.execute(latest_stmt)}
        used = session.execute(select(CreditEntry.customer_id, CreditEntry.on_date).distinct()
                               .where(col(CreditEntry.kind) == "consumption",
                                      col(CreditEntry.on_date) < first_of_month)).all()
        wanted = {(month_of(day), cid) for cid, day in used}
    return sorted(m for m in wanted - done if m[0] > latest.get(m[1], ""))


def run_month_end(ctx: ServiceContext) -> MonthEndResult:
    """The scheduled job, as of the context's clock: one zero invoice per customer and ended month with consumption.

    Catches up every month before the current one that was missed; each customer-month is one
    transaction (the invoice, its month-end row and the queued email), so running again issues
    nothing new. A customer whose month cannot be reported yet (overdraft not covered, incomplete
    profile) waits, with the reason, and their later months wait behind it.
    """
    sync_purchases(ctx)
    today = ctx.clock.now().date()
    issued: list[tuple[str, int, str]] = []
    waiting: list[tuple[int, str, str]] = []
    blocked: set[int] = set()
    for month, customer_id in months_to_report(ctx):
        if customer_id in blocked:
            continue
        try:
            with ctx.db.write() as session:
                customer = customer_row(session, customer_id, lock=True)
                if session.scalar(select(func.count()).select_from(CreditMonthEnd).where(
                        col(CreditMonthEnd.customer_id) == customer_id, col(CreditMonthEnd.month) >= month)):
                    continue  # reported by another process since the list was read
                issued.append((_issue_month(session, ctx, customer, month, today), customer_id, month))
        except (_Waiting, InvoiceRefused) as exc:  # e.g. a number format without a year repeating a number
            waiting.append((customer_id, month, exc.message))
            blocked.add(customer_id)
        except IntegrityError:
            continue  # another process issued this month's invoice at the same moment
    return MonthEndResult(issued=tuple(issued), waiting=tuple(waiting))
