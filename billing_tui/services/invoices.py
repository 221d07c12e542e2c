"""Invoices for paid carts, cancellation invoices and credit notes (S000.2, S000.3, S004.5, S004.6, S004.11, S004.12).

Each action is one write transaction: the number is allocated, the document with its
lines, VAT summary and PDF is stored, the cart is marked and the email is queued in the
outbox, all or nothing. The email itself is sent afterwards by the mail relay.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from billing_tui.domain.carts import InvoiceState, PaymentState, parse_cart_number
from billing_tui.domain.documents import (
    DocumentKind,
    DocumentLine,
    InvoiceDocument,
    Party,
)
from billing_tui.domain.errors import BillingError, NotFound, ValidationFailed
from billing_tui.domain.i18n import format_amount, format_date, t
from billing_tui.domain.money import (
    ZERO,
    VatRow,
    round_money,
    split_gross,
    to_decimal,
    vat_summary,
)
from billing_tui.domain.numbering import RangeKind
from billing_tui.domain.profile import FIELD_KEYS, validate_profile
from billing_tui.services import app_settings
from billing_tui.services.context import ServiceContext
from billing_tui.services.numbering import allocate
from billing_tui.storage.invoice_models import (
    Invoice,
    InvoiceLine,
    InvoicePdf,
    InvoiceVat,
    OutboxMessage,
)
from billing_tui.storage.models import Cart, CartLine, Customer, SellerSettings, utc
from billing_tui.storage.search import contains_ci

PAGE_SIZE = 50
KINDS = ("invoice", "cancellation", "credit_note")
STATUSES = ("issued", "cancelled", "credited")


class InvoiceRefused(BillingError):
    """The action is not possible for this document now; the message says why and what to do."""


# --- views ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceRow:
    """One row of the invoices list."""

    id: int
    kind: str
    number: str
    issue_date: date
    customer_id: int
    customer_name: str
    total: Decimal
    currency: str
    status: str
    mail_status: str  # queued | sent | failed | none


@dataclass(frozen=True)
class InvoicePage:
    """A page of documents, newest first."""

    rows: tuple[InvoiceRow, ...]
    offset: int
    limit: int
    has_more: bool


@dataclass(frozen=True)
class LinkedDocument:
    """A document linked to another: the invoice a note refers to, or the notes of an invoice."""

    kind: str
    number: str
    issue_date: date
    total: Decimal


@dataclass(frozen=True)
class InvoiceDetail:
    """Everything the invoice screen shows."""

    id: int
    document: InvoiceDocument
    status: str
    cart_number: int | None
    customer_id: int
    refers_to: LinkedDocument | None
    linked: tuple[LinkedDocument, ...]
    creditable: Decimal
    can_cancel: str | None  # None when possible, else the reason it is not
    can_credit: str | None
    mail_status: str
    issued_at: datetime | None
    created_by: str

    @property
    def number(self) -> str:
        return self.document.number

    @property
    def kind(self) -> str:
        return self.document.kind.value


# --- building documents -----------------------------------------------------------------------

def _party_from_customer(c: Customer) -> Party:
    return Party(name=c.name, address=c.address, city=c.city, postcode=c.postcode or "", province=c.province or "",
                 country=c.country, vat_number=c.vat_number or "", fiscal_code=c.fiscal_code or "", email=c.email,
                 customer_type=c.customer_type, pa_office_code=c.pa_office_code or "", sdi_code=c.sdi_code or "",
                 pec=c.pec or "")


def _party_from_seller(s: SellerSettings) -> Party:
    return Party(name=s.company_name, address=s.address, city=s.city, postcode=s.postcode, province=s.province,
                 country=s.country, vat_number=s.vat_number, fiscal_code=s.fiscal_code, email=s.email, iban=s.iban)


def _party_json(p: Party) -> str:
    return json.dumps(p.__dict__, sort_keys=True, ensure_ascii=False)


def _party_from_json(text: str) -> Party:
    return Party(**json.loads(text))


def _document(session: Session, inv: Invoice) -> InvoiceDocument:
    """The document of a stored invoice, read back from its rows."""
    lines = session.scalars(select(InvoiceLine).where(col(InvoiceLine.invoice_id) == inv.id)
                            .order_by(col(InvoiceLine.position))).all()
    vats = session.scalars(select(InvoiceVat).where(col(InvoiceVat.invoice_id) == inv.id)
                           .order_by(col(InvoiceVat.rate).desc())).all()
    related = session.get(Invoice, inv.related_id) if inv.related_id else None
    cart_number = session.scalar(select(Cart.number).where(col(Cart.id) == inv.cart_id)) if inv.cart_id else None
    return _document_of(
        inv,
        [DocumentLine(position=ln.position, sku=ln.sku, description=ln.description, quantity=ln.quantity,
                      unit_price=ln.unit_price, vat_rate=ln.vat_rate, line_total=ln.line_total) for ln in lines],
        tuple(VatRow(rate=v.rate, taxable=v.taxable, vat=v.vat) for v in vats), related, cart_number)


def _document_of(inv: Invoice, lines: list[DocumentLine], vat_rows: tuple[VatRow, ...], related: Invoice | None,
                 cart_number: int | None) -> InvoiceDocument:
    """The document of an invoice from its parts (no query: used while issuing)."""
    return InvoiceDocument(
        kind=DocumentKind(inv.kind), number=inv.number or "", issue_date=inv.issue_date, due_date=inv.due_date,
        language=inv.language, currency=inv.currency, seller=_party_from_json(inv.seller_snapshot),
        customer=_party_from_json(inv.customer_snapshot), lines=tuple(lines),
        vat_rows=tuple(sorted(vat_rows, key=lambda r: r.rate, reverse=True)),
        net=inv.net, vat=inv.vat, total=inv.total, amount_due=inv.amount_due, payment_method=inv.payment_method,
        split_payment=inv.split_payment, paid=inv.paid, cart_number=cart_number,
        refers_to=related.number if related else None, refers_to_date=related.issue_date if related else None,
        reason=inv.reason or "",
        notes=tuple((inv.notes or "").splitlines()),
    )


def _seller(session: Session) -> SellerSettings:
    seller = session.get(SellerSettings, 1)
    if seller is None or not seller.company_name or not seller.vat_number:
        raise InvoiceRefused("The company data is incomplete: fill in at least the company name and VAT number "
                             "in Settings (F4) before issuing documents.")
    return seller


def _check_date(session: Session, ctx: ServiceContext, kind: DocumentKind, on: date) -> None:
    today = ctx.clock.now().date()
    if on > today:
        raise InvoiceRefused(f"A document cannot be dated in the future ({on}); use today ({today}) or earlier.")
    # Dates follow numbers, so the year's highest counter has its latest date (read from the series index).
    latest = session.scalar(select(Invoice.issue_date).where(col(Invoice.kind) == kind.value,
                                                             col(Invoice.year) == on.year)
                            .order_by(col(Invoice.counter).desc()).limit(1))
    if latest is not None and on < latest:
        raise InvoiceRefused(f"Numbers follow dates: the last {kind.value.replace('_', ' ')} of {on.year} is dated "
                             f"{latest}, so a new one cannot be dated {on}. Use {latest} or later.")


def _store(session: Session, ctx: ServiceContext, *, kind: DocumentKind, on: date, due: date | None,
           customer_snapshot: Party, seller_snapshot: Party, language: str, currency: str, payment_method: str,
           paid: bool, split_payment: bool, lines: list[DocumentLine], vat_rows: tuple[VatRow, ...],
           cart: Cart | None, customer_id: int, related: Invoice | None, reason: str | None,
           order_role: str | None = None, notes: tuple[str, ...] = ()) -> Invoice:
    """Number, store, render and queue one document inside the caller's transaction."""
    net = sum((r.taxable for r in vat_rows), ZERO)
    vat = sum((r.vat for r in vat_rows), ZERO)
    total = net + vat
    amount_due = net if split_payment else total
    alloc = allocate(session, kind=RangeKind(kind.value), on=on,
                     invoice_counter=related.counter if related is not None else None)
    if session.scalar(select(func.count()).select_from(Invoice).where(col(Invoice.number) == alloc.number)):
        raise InvoiceRefused(f"Number {alloc.number} is already taken by an earlier document: the number format has "
                             "no year, so numbers repeat (S004.10). Add {yy} or {yyyy} in Settings → Number ranges.")
    now = ctx.clock.now()
    inv = Invoice(kind=kind.value, status="issued", number=alloc.number, year=alloc.year, counter=alloc.counter,
                  issue_date=on, due_date=due, cart_id=cart.id if cart else None, customer_id=customer_id,
                  related_id=related.id if related else None, customer_snapshot=_party_json(customer_snapshot),
                  seller_snapshot=_party_json(seller_snapshot), language=language, currency=currency,
                  payment_method=payment_method, paid=paid, split_payment=split_payment, net=net, vat=vat,
                  total=total, amount_due=amount_due, reason=reason, created_by=ctx.actor, created_at=now,
                  issued_at=now, order_role=order_role, notes="\n".join(notes) or None)
    session.add(inv)
    session.flush()
    session.execute(insert(InvoiceLine), [
        {"invoice_id": inv.id, "position": ln.position, "sku": ln.sku, "description": ln.description,
         "quantity": ln.quantity, "unit_price": ln.unit_price, "vat_rate": ln.vat_rate, "line_total": ln.line_total}
        for ln in lines])
    session.execute(insert(InvoiceVat), [
        {"invoice_id": inv.id, "rate": row.rate, "taxable": row.taxable, "vat": row.vat} for row in vat_rows])
    document = _document_of(inv, lines, vat_rows, related, cart.number if cart else None)
    from billing_tui.integrations.pdf import render_invoice_pdf

    pdf = render_invoice_pdf(document)
    session.execute(insert(InvoicePdf), [{"invoice_id": inv.id, "content": pdf,
                                          "sha256": hashlib.sha256(pdf).hexdigest()}])
    _queue_mail(session, ctx, inv, document, attempt=1)
    return inv


def _queue_mail(session: Session, ctx: ServiceContext, inv: Invoice, doc: InvoiceDocument, *, attempt: int) -> None:
    from billing_tui.services.mail import queue_email

    kind = t(doc.kind.value, doc.language)
    values = {"kind": kind, "kind_lower": kind.lower(), "number": doc.number, "seller": doc.seller.name,
              "date": format_date(doc.issue_date, doc.language),
              "total": format_amount(doc.total, doc.currency, doc.language)}
    queue_email(session, ctx, key=f"invoice-mail:{inv.id}:{attempt}", invoice_id=inv.id,
                recipient=doc.customer.email, subject=t("mail_subject", doc.language, **values),
                body=t("mail_body", doc.language, **values), new_key=attempt == 1)


# --- issuing an invoice for a paid cart ---------------------------------------------------------

def _cart_by_number(session: Session, number: int | str, *, lock: bool = False) -> Cart:
    wanted = parse_cart_number(number)
    if wanted is None:
        raise NotFound(f"{number!r} is not a cart number; cart numbers are digits, e.g. 100042")
    query = select(Cart).where(col(Cart.number) == wanted)
    cart = session.scalars(query.with_for_update() if lock else query).first()
    if cart is None:
        raise NotFound(f"There is no cart number {wanted}; check the number in the carts list")
    return cart


def _issue_for_cart(session: Session, ctx: ServiceContext, cart: Cart, on: date) -> Invoice:
    if cart.status != "confirmed" or cart.payment_state != PaymentState.PAID.value:
        raise InvoiceRefused(f"Cart {cart.number} is not paid ({cart.status}, payment {cart.payment_state}); "
                             "an invoice is issued once the money is credited (S000.2).")
    if cart.order_state == "cancelled":
        raise InvoiceRefused(f"The order of cart {cart.number} was cancelled; it is not invoiced.")
    if cart.invoice_state == InvoiceState.IN_PARTS.value:
        raise InvoiceRefused(f"Order {cart.number} is billed in parts (partial, advance or instalment invoices); "
                             "bill what is left with its final invoice (Orders).")
    existing = session.scalar(select(Invoice.number).where(col(Invoice.cart_id) == cart.id,
                                                           col(Invoice.kind) == "invoice"))
    if existing:
        raise InvoiceRefused(f"Cart {cart.number} already has invoice {existing}; a cart gets one invoice.")
    customer = session.get(Customer, cart.customer_id)
    assert customer is not None
    errors = validate_profile({k: getattr(customer, k) for k in FIELD_KEYS})[1]
    if errors:
        raise InvoiceRefused(f"The billing profile of {customer.name} (customer {customer.id}) is incomplete: "
                             f"{'; '.join(errors.values())}. Fix it in Customers (F3), then issue the invoice.")
    seller = _seller(session)
    _check_date(session, ctx, DocumentKind.INVOICE, on)
    cart_lines = session.scalars(select(CartLine).where(col(CartLine.cart_id) == cart.id)
                                 .order_by(col(CartLine.position))).all()
    if not cart_lines:
        raise InvoiceRefused(f"Cart {cart.number} has no lines to invoice.")
    lines = [DocumentLine(position=ln.position, sku=ln.sku, description=ln.description, quantity=ln.quantity,
                          unit_price=ln.unit_price, vat_rate=ln.vat_rate, line_total=ln.line_total)
             for ln in cart_lines]
    totals = vat_summary((ln.line_total, ln.vat_rate) for ln in lines)
    split = customer.customer_type == "pa" and bool(customer.split_payment)
    inv = _store(session, ctx, kind=DocumentKind.INVOICE, on=on, due=on, customer_snapshot=_party_from_customer(customer),
                 seller_snapshot=_party_from_seller(seller), language=customer.language or seller.default_language,
                 currency=cart.currency, payment_method=cart.payment_method, paid=True, split_payment=split,
                 lines=lines, vat_rows=totals.vat_rows, cart=cart, customer_id=customer.id or 0, related=None,
                 reason=None)
    cart.invoice_state = InvoiceState.ISSUED.value
    session.add(cart)
    return inv


def _parse_day(value: date | str | None, ctx: ServiceContext) -> date:
    if value is None:
        return ctx.clock.now().date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed({"date": "use YYYY-MM-DD"}, f"{value!r} is not a date; use YYYY-MM-DD") from None


def issue_invoice_for_cart(ctx: ServiceContext, cart_number: int | str, *, on: date | str | None = None) -> InvoiceDetail:
    """Issue the invoice of a paid cart now (staff action; S000.2)."""
    return get_invoice(ctx, _issue_cart(ctx, cart_number, _parse_day(on, ctx)))


def _issue_cart(ctx: ServiceContext, cart_number: int | str, day: date) -> str:
    """Issue a cart's invoice in one write transaction; its number."""
    try:
        with ctx.db.write() as session:
            cart = _cart_by_number(session, cart_number, lock=True)
            return _issue_for_cart(session, ctx, cart, day).number or ""
    except IntegrityError:
        raise InvoiceRefused(f"Cart {cart_number} was invoiced by someone else just now; see its invoice.") from None


@dataclass(frozen=True)
class AutoInvoiceResult:
    """What one run of the automatic invoicing did."""

    issued: tuple[str, ...]
    refused: tuple[tuple[int, str], ...]  # (cart number, reason) left for a person to fix

    def __str__(self) -> str:
        text = f"issued {len(self.issued)} invoice(s)"
        if self.refused:
            text += f"; {len(self.refused)} cart(s) waiting: " + "; ".join(f"{n}: {r}" for n, r in self.refused[:3])
        return text


def due_carts(ctx: ServiceContext, *, limit: int = 500) -> tuple[int, ...]:
    """Numbers of paid carts waiting for their invoice whose delay has passed, oldest payment first."""
    delay = timedelta(hours=app_settings.get_int(ctx, "invoice_delay_hours"))
    cutoff = ctx.clock.now() - delay
    with ctx.db.read() as session:
        return tuple(session.scalars(
            select(Cart.number).where(col(Cart.invoice_state) == InvoiceState.TO_INVOICE.value,
                                      col(Cart.payment_state) == PaymentState.PAID.value,
                                      col(Cart.paid_at) <= cutoff)
            .order_by(col(Cart.paid_at), col(Cart.id)).limit(limit)))


def issue_due_invoices(ctx: ServiceContext, *, limit: int = 500, batch: int = 25) -> AutoInvoiceResult:
    """The scheduled job: invoice every paid cart whose delay has passed (S000.2).

    Carts are invoiced ``batch`` at a time in one transaction (one commit, one fsync, for
    many invoices), each inside its own savepoint: a cart that cannot be invoiced rolls
    back alone, number included, and is reported for a person to fix.
    """
    issued: list[str] = []
    refused: list[tuple[int, str]] = []
    today = ctx.clock.now().date()
    due = due_carts(ctx, limit=limit)
    for start in range(0, len(due), max(batch, 1)):
        with ctx.db.write() as session:
            for number in due[start:start + max(batch, 1)]:
                try:
                    with session.begin_nested():
                        cart = _cart_by_number(session, number, lock=True)
                        issued.append(_issue_for_cart(session, ctx, cart, today).number or "")
                except InvoiceRefused as exc:
                    refused.append((number, exc.message))
                except IntegrityError:
                    refused.append((number, "invoiced by another process at the same moment"))
    return AutoInvoiceResult(issued=tuple(issued), refused=tuple(refused))


# --- cancellation and credit notes --------------------------------------------------------------

def _invoice_by_number(session: Session, number: str, *, lock: bool = False) -> Invoice:
    query = select(Invoice).where(col(Invoice.number) == str(number).strip())
    inv = session.scalars(query.with_for_update() if lock else query).first()
    if inv is None:
        raise NotFound(f"There is no document number {number!r}; see the invoices list")
    return inv


def _mail_sent(session: Session, inv: Invoice) -> bool:
    return bool(session.scalar(select(func.count()).select_from(OutboxMessage).where(
        col(OutboxMessage.invoice_id) == inv.id, col(OutboxMessage.status) == "sent")))


def _credited(session: Session, inv: Invoice) -> Decimal:
    total = session.scalar(select(func.coalesce(func.sum(Invoice.total), 0)).where(
        col(Invoice.related_id) == inv.id, col(Invoice.kind) == "credit_note"))
    return to_decimal(total).quantize(Decimal("0.01")) if total else ZERO


def _cancel_refusal(session: Session, inv: Invoice) -> str | None:
    if inv.kind != "invoice":
        return f"{inv.number} is a {inv.kind.replace('_', ' ')}; only an invoice can be cancelled."
    if inv.status == "cancelled":
        return f"Invoice {inv.number} is already cancelled."
    if inv.order_role is not None:
        return (f"Invoice {inv.number} bills an order in parts ({inv.order_role}); the order's other invoices "
                "refer to it, so correct it with a credit note instead of cancelling it.")
    if _credited(session, inv) > ZERO:
        return (f"Invoice {inv.number} already has credit notes; credit the rest with another credit note "
                "instead of cancelling it.")
    if not _mail_sent(session, inv):
        return (f"Invoice {inv.number} has not been emailed to the customer yet, so there is nothing to cancel "
                "(S004.11). Wait for the mail to be sent, or resend it.")
    return None


def _credit_refusal(session: Session, inv: Invoice) -> str | None:
    if inv.kind != "invoice":
        return f"{inv.number} is a {inv.kind.replace('_', ' ')}; credit notes are issued on invoices."
    if inv.status == "cancelled":
        return f"Invoice {inv.number} is cancelled; there is nothing left to credit."
    if inv.total - _credited(session, inv) <= ZERO:
        return f"Invoice {inv.number} is fully credited."
    return None


def cancel_invoice(ctx: ServiceContext, number: str, *, on: date | str | None = None) -> InvoiceDetail:
    """Cancel a sent invoice with a cancellation invoice that reverses it in full (S004.5, S004.11, S004.12)."""
    day = _parse_day(on, ctx)
    with ctx.db.write() as session:
        inv = _invoice_by_number(session, number, lock=True)
        reason = _cancel_refusal(session, inv)
        if reason:
            raise InvoiceRefused(reason)
        _check_date(session, ctx, DocumentKind.CANCELLATION, day)
        original = _document(session, inv)
        storno = _store(session, ctx, kind=DocumentKind.CANCELLATION, on=day, due=day,
                        customer_snapshot=original.customer, seller_snapshot=original.seller,
                        language=inv.language, currency=inv.currency, payment_method=inv.payment_method,
                        paid=inv.paid, split_payment=inv.split_payment, lines=list(original.lines),
                        vat_rows=original.vat_rows, cart=None, customer_id=inv.customer_id, related=inv,
                        reason=None)
        inv.status = "cancelled"
        session.add(inv)
        if inv.cart_id:
            cart = session.get(Cart, inv.cart_id)
            if cart is not None:
                cart.invoice_state = InvoiceState.CANCELLED.value
                session.add(cart)
        storno_id = storno.id
    return get_invoice(ctx, storno_id)


def check_credit_amount(amount: Decimal | str, creditable: Decimal | None = None,
                        currency: str = "EUR") -> tuple[Decimal | None, str | None]:
    """``(amount rounded to the cent, None)``, or ``(None, reason)`` when it cannot be credited."""
    try:
        value = round_money(to_decimal(amount))
    except (ValueError, TypeError):
        return None, f"{amount!r} is not an amount; type a number such as 12.50"
    if value <= ZERO:
        return None, "The amount to credit must be more than zero"
    if creditable is not None and value > creditable:
        return None, f"At most {creditable} {currency} can still be credited ({value} asked)"
    return value, None


def credit_note(ctx: ServiceContext, number: str, amount: Decimal | str, *, reason: str = "",
                on: date | str | None = None) -> InvoiceDetail:
    """Credit part or all of an issued invoice, never more than is still creditable (amount includes VAT)."""
    day = _parse_day(on, ctx)
    checked, problem = check_credit_amount(amount)
    if checked is None:
        raise ValidationFailed({"amount": problem or ""}, f"Nothing was issued. {problem}.")
    value = checked
    if len(reason) > 500:
        raise ValidationFailed({"reason": "at most 500 characters"}, "The reason is too long (500 characters at most).")
    with ctx.db.write() as session:
        inv = _invoice_by_number(session, number, lock=True)
        refusal = _credit_refusal(session, inv)
        if refusal:
            raise InvoiceRefused(refusal)
        creditable = inv.total - _credited(session, inv)
        problem = check_credit_amount(value, creditable, inv.currency)[1]
        if problem:
            raise ValidationFailed({"amount": problem}, f"Nothing was issued on invoice {inv.number}. {problem}.")
        _check_date(session, ctx, DocumentKind.CREDIT_NOTE, day)
        original = _document(session, inv)
        rows = split_gross(value, original.vat_rows)
        label = t("credits", inv.language, number=inv.number, date=format_date(inv.issue_date, inv.language))
        lines = [DocumentLine(position=i + 1, sku="CREDIT", description=f"{label} ({row.rate.normalize():f}%)",
                              quantity=Decimal("1.000"), unit_price=row.taxable, vat_rate=row.rate,
                              line_total=row.taxable) for i, row in enumerate(rows)]
        note = _store(session, ctx, kind=DocumentKind.CREDIT_NOTE, on=day, due=day,
                      customer_snapshot=original.customer, seller_snapshot=original.seller, language=inv.language,
                      currency=inv.currency, payment_method=inv.payment_method, paid=False,
                      split_payment=inv.split_payment, lines=lines, vat_rows=rows, cart=None,
                      customer_id=inv.customer_id, related=inv, reason=reason.strip() or None)
        if creditable - value <= ZERO:
            inv.status = "credited"
            session.add(inv)
        note_id = note.id
    return get_invoice(ctx, note_id)


def resend_invoice(ctx: ServiceContext, number: str) -> InvoiceDetail:
    """Queue the document's email again (a new outbox message; the old ones keep their history)."""
    with ctx.db.write() as session:
        inv = _invoice_by_number(session, number)
        attempts = session.scalar(select(func.count()).select_from(OutboxMessage).where(
            col(OutboxMessage.invoice_id) == inv.id)) or 0
        _queue_mail(session, ctx, inv, _document(session, inv), attempt=attempts + 1)
        inv_id = inv.id
    return get_invoice(ctx, inv_id)


# --- reading ------------------------------------------------------------------------------------

def _mail_status(session: Session, invoice_id: int) -> str:
    status = session.scalar(select(OutboxMessage.status).where(col(OutboxMessage.invoice_id) == invoice_id)
                            .order_by(col(OutboxMessage.id).desc()).limit(1))
    return status or "none"


def get_invoice(ctx: ServiceContext, ref: int | str) -> InvoiceDetail:
    """One document by id (int) or number (str)."""
    with ctx.db.read() as session:
        inv = session.get(Invoice, ref) if isinstance(ref, int) else _invoice_by_number(session, ref)
        if inv is None:
            raise NotFound(f"There is no document {ref!r}")
        doc = _document(session, inv)
        related = session.get(Invoice, inv.related_id) if inv.related_id else None
        linked = session.scalars(select(Invoice).where(col(Invoice.related_id) == inv.id)
                                 .order_by(col(Invoice.issue_date), col(Invoice.id))).all()
        creditable = inv.total - _credited(session, inv) if inv.kind == "invoice" and inv.status != "cancelled" else ZERO
        return InvoiceDetail(
            id=inv.id or 0, document=doc, status=inv.status,
            cart_number=doc.cart_number, customer_id=inv.customer_id,
            refers_to=LinkedDocument(related.kind, related.number or "", related.issue_date, related.total)
            if related else None,
            linked=tuple(LinkedDocument(x.kind, x.number or "", x.issue_date, x.total) for x in linked),
            creditable=creditable, can_cancel=_cancel_refusal(session, inv), can_credit=_credit_refusal(session, inv),
            mail_status=_mail_status(session, inv.id or 0), issued_at=utc(inv.issued_at), created_by=inv.created_by,
        )


def invoice_for_cart(ctx: ServiceContext, cart_number: int) -> InvoiceDetail | None:
    """The invoice of a whole cart, if it has one (an order billed in parts shows its invoices on the order)."""
    with ctx.db.read() as session:
        inv_id = session.scalar(select(Invoice.id).join(Cart, col(Cart.id) == col(Invoice.cart_id))
                                .where(col(Cart.number) == cart_number, col(Invoice.kind) == "invoice",
                                       col(Invoice.order_role).is_(None)))
    return get_invoice(ctx, inv_id) if inv_id else None


def invoice_pdf(ctx: ServiceContext, number: str) -> tuple[str, bytes]:
    """``(file name, PDF bytes)`` exactly as issued."""
    with ctx.db.read() as session:
        inv = _invoice_by_number(session, number)
        pdf = session.get(InvoicePdf, inv.id)
        if pdf is None:
            raise NotFound(f"Document {number} has no PDF")
        return f"{inv.number}.pdf", pdf.content


def list_invoices(ctx: ServiceContext, *, kind: str = "all", status: str = "all", year: int | None = None,
                  search: str = "", offset: int = 0, limit: int = PAGE_SIZE) -> InvoicePage:
    """Documents newest first, filtered by kind, status and year, searched by number or customer."""
    errors = {}
    if kind not in ("all", *KINDS):
        errors["kind"] = f"choose all, {', '.join(KINDS)}"
    if status not in ("all", *STATUSES):
        errors["status"] = f"choose all, {', '.join(STATUSES)}"
    if not 1 <= limit <= 1000 or offset < 0:
        errors["limit"] = "limit 1-1000, offset 0 or more"
    if errors:
        raise ValidationFailed(errors)
    mail = (select(OutboxMessage.status).where(col(OutboxMessage.invoice_id) == col(Invoice.id))
            .order_by(col(OutboxMessage.id).desc()).limit(1).correlate(Invoice).scalar_subquery())
    stmt = select(Invoice.id, Invoice.kind, Invoice.number, Invoice.issue_date, Invoice.customer_id, Customer.name,
                  Invoice.total, Invoice.currency, Invoice.status, mail).join(
        Customer, col(Customer.id) == col(Invoice.customer_id)).where(col(Invoice.number).is_not(None))
    if kind != "all":
        stmt = stmt.where(col(Invoice.kind) == kind)
    if status != "all":
        stmt = stmt.where(col(Invoice.status) == status)
    if year:
        stmt = stmt.where(col(Invoice.year) == year)
    text = search.strip()
    if text:
        stmt = stmt.where(contains_ci(col(Invoice.number), text, ctx.db.backend)
                          | contains_ci(col(Customer.name), text, ctx.db.backend))
    stmt = stmt.order_by(col(Invoice.issue_date).desc(), col(Invoice.id).desc()).offset(offset).limit(limit + 1)
    with ctx.db.read() as session:
        found = session.execute(stmt).all()
    rows = tuple(InvoiceRow(id=r[0], kind=r[1], number=r[2], issue_date=r[3], customer_id=r[4], customer_name=r[5],
                            total=r[6], currency=r[7], status=r[8], mail_status=r[9] or "none")
                 for r in found[:limit])
    return InvoicePage(rows=rows, offset=offset, limit=limit, has_more=len(found) > limit)
