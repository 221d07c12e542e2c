"""The documents of a renewal: its invoice, and the customer's emails when a renewal charge fails (S000.6)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from billing_tui.domain.documents import DocumentLine
from billing_tui.domain.i18n import LANGUAGES, format_amount, format_date, t
from billing_tui.domain.money import vat_summary
from billing_tui.services.context import ServiceContext
from billing_tui.services.documents import (
    InvoiceRefused,
    company_for_documents,
    customer_draft,
    issue_document,
    profile_problem,
)
from billing_tui.services.subscriptions import lock_subscription
from billing_tui.storage.account_models import RenewalPeriod, Subscription
from billing_tui.storage.document_models import Invoice
from billing_tui.storage.shop_models import Customer, Product
from billing_tui.storage.system_models import SellerSettings


def amount_due(customer: Customer, sub: Subscription) -> Decimal:
    """What a period costs the customer: with VAT, or net under split payment (the PA pays the VAT to the state)."""
    totals = vat_summary([(sub.price, sub.vat_rate)])
    split = customer.customer_type == "pa" and bool(customer.split_payment)
    return totals.net if split else totals.gross


def invoice_problem(session: Session, customer: Customer) -> str | None:
    """Why the renewal invoice could not be issued now (checked before charging), or None."""
    problem = profile_problem(customer)
    if problem:
        return (f"the billing profile of {customer.name} (customer {customer.id}) is incomplete: "
                f"{problem}; fix it in Customers (F3) and the renewal is charged at the next run")
    try:
        company_for_documents(session)
    except InvoiceRefused as exc:
        return exc.message
    return None


def invoice_paid_period(ctx: ServiceContext, period_id: int, today: date) -> str | None:
    """Issue the invoice of a period paid earlier whose invoice was refused then; its number."""
    with ctx.db.write() as session:
        period = session.scalars(select(RenewalPeriod).where(col(RenewalPeriod.id) == period_id)
                                 .with_for_update()).first()
        if period is None or period.status != "paid":
            return None
        sub = lock_subscription(session, period.subscription_id)
        invoice = issue_renewal_invoice(session, ctx, sub, period, today)
        period.invoice_id = invoice.id
        period.status = "invoiced"
        period.updated_at = ctx.clock.now()
        session.add(period)
        return invoice.number


def period_label(period_start: date, period_end: date, language: str = "en") -> str:
    """``period dd/mm/yyyy–dd/mm/yyyy`` with the last day of the period (the day before the next one starts)."""
    last = period_end - timedelta(days=1)
    return f"{t('period', language)} {period_start:%d/%m/%Y}–{last:%d/%m/%Y}"


def issue_renewal_invoice(session: Session, ctx: ServiceContext, sub: Subscription, period: RenewalPeriod,
                           today: date) -> Invoice:
    """The renewal invoice of a paid period, inside the caller's transaction: numbered, PDF, email queued."""
    customer = session.get(Customer, sub.customer_id)
    product = session.get(Product, sub.product_id)
    assert customer is not None and product is not None
    problem = invoice_problem(session, customer)
    if problem:
        raise InvoiceRefused(problem)
    seller = company_for_documents(session)
    language = customer.language or seller.default_language
    suffix = ", " + period_label(period.period_start, period.period_end, language)
    line = DocumentLine(position=1, sku=product.sku, description=product.name[:200 - len(suffix)] + suffix,
                        quantity=Decimal("1.000"), unit_price=sub.price, vat_rate=sub.vat_rate, line_total=sub.price)
    draft = customer_draft(session, customer, on=today, due=today, lines=[line], currency=sub.currency,
                           payment_method="card", paid=True)
    return issue_document(ctx, draft, session=session)


# --- the customer's emails ------------------------------------------------------------------------------

def queue_renewal_mail(session: Session, ctx: ServiceContext, key: str, customer: Customer, product: Product,
                       period: RenewalPeriod, currency: str, kind: str, reason: str) -> None:
    """Queue the customer's email about a failed renewal in the caller's transaction (once per key)."""
    from billing_tui.services.mail import queue_email

    language = customer.language if customer.language in LANGUAGES else "en"
    seller = session.get(SellerSettings, 1)
    values = {
        "name": customer.name, "product": product.name, "reason": reason.rstrip("."),
        "amount": format_amount(period.amount, currency, language),
        "period": period_label(period.period_start, period.period_end, language),
        "next": format_date(period.next_attempt_on, language) if period.next_attempt_on else "",
        "seller": seller.company_name if seller is not None else "",
    }
    queue_email(session, ctx, key=key, invoice_id=None, recipient=customer.email,
                subject=t(f"renewal_{kind}_subject", language, **values),
                body=t(f"renewal_{kind}_body", language, **values))
