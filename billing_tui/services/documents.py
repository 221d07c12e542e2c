"""Issuing a document: the one service every kind of document goes through (S004.1–S004.12).

Cart invoices, partial, advance, instalment and final invoices, renewals, month-end zero invoices,
cancellations and credit notes are all a :class:`~billing_tui.domain.documents.DocumentDraft`
handed to :func:`issue_document`, inside the caller's write transaction: it checks the date
against the series, allocates the number, stores the document with its lines and VAT summary,
renders and stores its PDF, and queues its email in the outbox. All of it commits with the
caller's own changes (the cart's state, the plan row, ...), or none of it does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, insert, select
from sqlmodel import Session, col

from billing_tui.domain.documents import (
    DocumentDraft,
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
    Reference,
)
from billing_tui.domain.errors import BillingError
from billing_tui.domain.i18n import format_amount, format_date, t
from billing_tui.domain.money import VatRow, vat_summary
from billing_tui.domain.numbering import RangeKind
from billing_tui.domain.profile import FIELD_KEYS, validate_profile
from billing_tui.services.context import ServiceContext
from billing_tui.services.numbering import allocate
from billing_tui.storage.document_models import (
    Invoice,
    InvoiceLine,
    InvoicePdf,
    InvoiceVat,
)
from billing_tui.storage.shop_models import Cart, Customer
from billing_tui.storage.system_models import SellerSettings

__all__ = [
    "InvoiceRefused",
    "check_issue_date",
    "company_for_documents",
    "correction_draft",
    "customer_draft",
    "issue_document",
    "party_from_customer",
    "party_from_seller",
    "profile_problem",
    "queue_document_mail",
    "stored_document",
]


class InvoiceRefused(BillingError):
    """The document cannot be issued (or the action is not possible) now; the message says why and what to do."""


# --- the parties --------------------------------------------------------------------------------

def party_from_customer(c: Customer) -> Party:
    """The customer as printed on a document issued now."""
    return Party(name=c.name, address=c.address, city=c.city, postcode=c.postcode or "", province=c.province or "",
                 country=c.country, vat_number=c.vat_number or "", fiscal_code=c.fiscal_code or "", email=c.email,
                 customer_type=c.customer_type, pa_office_code=c.pa_office_code or "", sdi_code=c.sdi_code or "",
                 pec=c.pec or "")


def party_from_seller(s: SellerSettings) -> Party:
    """The business as printed on a document issued now."""
    return Party(name=s.company_name, address=s.address, city=s.city, postcode=s.postcode, province=s.province,
                 country=s.country, vat_number=s.vat_number, fiscal_code=s.fiscal_code, email=s.email, iban=s.iban)


def _party_json(p: Party) -> str:
    return json.dumps(p.__dict__, sort_keys=True, ensure_ascii=False)


def _party_from_json(text: str) -> Party:
    return Party(**json.loads(text))


def company_for_documents(session: Session) -> SellerSettings:
    """The business's company data, refused when it cannot go on a document yet."""
    seller = session.get(SellerSettings, 1)
    if seller is None or not seller.company_name or not seller.vat_number:
        raise InvoiceRefused("The company data is incomplete: fill in at least the company name and VAT number "
                             "in Settings (F4) before issuing documents.")
    return seller


def profile_problem(customer: Customer) -> str | None:
    """What keeps the customer's billing profile off a document (``a; b``), or None when it is complete."""
    errors = validate_profile({k: getattr(customer, k) for k in FIELD_KEYS})[1]
    return "; ".join(errors.values()) if errors else None


# --- drafts ---------------------------------------------------------------------------------------

def customer_draft(session: Session, customer: Customer, *, on: date, due: date | None,
                   lines: Iterable[DocumentLine], currency: str, payment_method: str, paid: bool,
                   vat_rows: tuple[VatRow, ...] | None = None, kind: DocumentKind = DocumentKind.INVOICE,
                   cart: Cart | None = None, order_role: str | None = None,
                   notes: tuple[str, ...] = ()) -> DocumentDraft:
    """A new document for ``customer``, with today's snapshots of both parties.

    The VAT summary is computed from the lines unless ``vat_rows`` is given (amounts split by
    rate: advances, instalments). The language is the customer's, else the business's default;
    a public administration under split payment pays the VAT to the State.
    """
    seller = company_for_documents(session)
    lines = tuple(lines)
    rows = vat_rows if vat_rows is not None else vat_summary((ln.line_total, ln.vat_rate) for ln in lines).vat_rows
    return DocumentDraft(
        kind=kind, issue_date=on, due_date=due, customer_id=customer.id or 0,
        customer=party_from_customer(customer), seller=party_from_seller(seller),
        language=customer.language or seller.default_language, currency=currency, payment_method=payment_method,
        paid=paid, split_payment=customer.customer_type == "pa" and bool(customer.split_payment), lines=lines,
        vat_rows=rows, cart_id=cart.id if cart is not None else None,
        cart_number=cart.number if cart is not None else None, order_role=order_role, notes=notes)


def correction_draft(original: Invoice, document: InvoiceDocument, *, kind: DocumentKind, on: date,
                     lines: Iterable[DocumentLine], vat_rows: tuple[VatRow, ...], reason: str = "") -> DocumentDraft:
    """A cancellation or credit note of ``original``: same parties, language and terms as the invoice it corrects."""
    return DocumentDraft(
        kind=kind, issue_date=on, due_date=on, customer_id=original.customer_id, customer=document.customer,
        seller=document.seller, language=original.language, currency=original.currency,
        payment_method=original.payment_method, paid=original.paid if kind is DocumentKind.CANCELLATION else False,
        split_payment=original.split_payment, lines=tuple(lines), vat_rows=vat_rows,
        refers_to=Reference(id=original.id or 0, number=original.number or "", issue_date=original.issue_date,
                            counter=original.counter),
        reason=reason)


# --- issuing --------------------------------------------------------------------------------------

def check_issue_date(session: Session, ctx: ServiceContext, kind: DocumentKind, on: date) -> None:
    """Refuse a date in the future, or before the latest document of the same series (numbers follow dates)."""
    today = ctx.clock.now().date()
    if on > today:
        raise InvoiceRefused(f"A document cannot be dated in the future ({on}); use today ({today}) or earlier.")
    # The year's highest counter has its latest date (read from the series index).
    latest = session.scalar(select(Invoice.issue_date).where(col(Invoice.kind) == kind.value,
                                                             col(Invoice.year) == on.year)
                            .order_by(col(Invoice.counter).desc()).limit(1))
    if latest is not None and on < latest:
        raise InvoiceRefused(f"Numbers follow dates: the last {kind.value.replace('_', ' ')} of {on.year} is dated "
                             f"{latest}, so a new one cannot be dated {on}. Use {latest} or later.")


def issue_document(ctx: ServiceContext, draft: DocumentDraft, *, session: Session) -> Invoice:
    """Number, store, render and queue one document inside the caller's write transaction; the stored row.

    The number comes from the draft's series for its date, allocated under the series' lock, so
    numbers stay unique and gapless: if anything later in the transaction fails, the number is
    rolled back with the document.
    """
    check_issue_date(session, ctx, draft.kind, draft.issue_date)
    ref = draft.refers_to
    alloc = allocate(session, kind=RangeKind(draft.kind.value), on=draft.issue_date,
                     invoice_counter=ref.counter if ref is not None else None)
    if session.scalar(select(func.count()).select_from(Invoice).where(col(Invoice.number) == alloc.number)):
        raise InvoiceRefused(f"Number {alloc.number} is already taken by an earlier document: the number format has "
                             "no year, so numbers repeat. Add {yy} or {yyyy} in Settings → Number ranges.")
    now = ctx.clock.now()
    inv = Invoice(kind=draft.kind.value, status="issued", number=alloc.number, year=alloc.year, counter=alloc.counter,
                  issue_date=draft.issue_date, due_date=draft.due_date, cart_id=draft.cart_id,
                  customer_id=draft.customer_id, related_id=ref.id if ref is not None else None,
                  customer_snapshot=_party_json(draft.customer), seller_snapshot=_party_json(draft.seller),
                  language=draft.language, currency=draft.currency, payment_method=draft.payment_method,
                  paid=draft.paid, split_payment=draft.split_payment, net=draft.net, vat=draft.vat,
                  total=draft.total, amount_due=draft.amount_due, reason=draft.reason or None, created_by=ctx.actor,
                  created_at=now, issued_at=now, order_role=draft.order_role, notes="\n".join(draft.notes) or None)
    session.add(inv)
    session.flush()
    session.execute(insert(InvoiceLine), [
        {"invoice_id": inv.id, "position": ln.position, "sku": ln.sku, "description": ln.description,
         "quantity": ln.quantity, "unit_price": ln.unit_price, "vat_rate": ln.vat_rate, "line_total": ln.line_total}
        for ln in draft.lines])
    session.execute(insert(InvoiceVat), [
        {"invoice_id": inv.id, "rate": row.rate, "taxable": row.taxable, "vat": row.vat} for row in draft.vat_rows])
    document = draft.as_document(alloc.number)
    from billing_tui.integrations.pdf import render_invoice_pdf

    pdf = render_invoice_pdf(document)
    session.execute(insert(InvoicePdf), [{"invoice_id": inv.id, "content": pdf,
                                          "sha256": hashlib.sha256(pdf).hexdigest()}])
    queue_document_mail(session, ctx, inv, document, attempt=1)
    return inv


def queue_document_mail(session: Session, ctx: ServiceContext, inv: Invoice, doc: InvoiceDocument, *,
                        attempt: int) -> None:
    """Queue the document's email to the customer (attempt 1 when issued; resending adds attempts)."""
    from billing_tui.services.mail import queue_email

    kind = t(doc.kind.value, doc.language)
    values = {"kind": kind, "kind_lower": kind.lower(), "number": doc.number, "seller": doc.seller.name,
              "date": format_date(doc.issue_date, doc.language),
              "total": format_amount(doc.total, doc.currency, doc.language)}
    queue_email(session, ctx, key=f"invoice-mail:{inv.id}:{attempt}", invoice_id=inv.id,
                recipient=doc.customer.email, subject=t("mail_subject", doc.language, **values),
                body=t("mail_body", doc.language, **values), new_key=attempt == 1)


# --- reading back -----------------------------------------------------------------------------------

def stored_document(session: Session, inv: Invoice) -> InvoiceDocument:
    """The document of a stored invoice, read back from its rows and snapshots."""
    lines = session.scalars(select(InvoiceLine).where(col(InvoiceLine.invoice_id) == inv.id)
                            .order_by(col(InvoiceLine.position))).all()
    vats = session.scalars(select(InvoiceVat).where(col(InvoiceVat.invoice_id) == inv.id)
                           .order_by(col(InvoiceVat.rate).desc())).all()
    related = session.get(Invoice, inv.related_id) if inv.related_id else None
    cart_number = session.scalar(select(Cart.number).where(col(Cart.id) == inv.cart_id)) if inv.cart_id else None
    return InvoiceDocument(
        kind=DocumentKind(inv.kind), number=inv.number or "", issue_date=inv.issue_date, due_date=inv.due_date,
        language=inv.language, currency=inv.currency, seller=_party_from_json(inv.seller_snapshot),
        customer=_party_from_json(inv.customer_snapshot),
        lines=tuple(DocumentLine(position=ln.position, sku=ln.sku, description=ln.description,
                                 quantity=ln.quantity, unit_price=ln.unit_price, vat_rate=ln.vat_rate,
                                 line_total=ln.line_total) for ln in lines),
        vat_rows=tuple(VatRow(rate=v.rate, taxable=v.taxable, vat=v.vat) for v in vats),
        net=inv.net, vat=inv.vat, total=inv.total, amount_due=inv.amount_due, payment_method=inv.payment_method,
        split_payment=inv.split_payment, paid=inv.paid, cart_number=cart_number,
        refers_to=related.number if related else None, refers_to_date=related.issue_date if related else None,
        reason=inv.reason or "", notes=tuple((inv.notes or "").splitlines()))
