"""Invoices for paid carts, cancellation invoices and credit notes (S000.2, S000.3, S004.5, S004.6, S004.11, S004.12).

Each action is one write transaction: the number is allocated, the document with its
lines, VAT summary and PDF is stored, the cart is marked and the email is queued in the
outbox, all or nothing. The email itself is sent afterwards by the mail relay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from billing_tui.domain.carts import InvoiceState, PaymentState, parse_cart_number
from billing_tui.domain.documents import DocumentKind, DocumentLine, InvoiceDocument
from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.domain.i18n import format_date, t
from billing_tui.domain.money import ZERO, round_money, split_gross, to_decimal
from billing_tui.services import app_settings
from billing_tui.services.context import ServiceContext
from billing_tui.services.documents import (
    InvoiceRefused,
    correction_draft,
    customer_draft,
    issue_document,
    profile_problem,
    queue_document_mail,
    stored_document,
)
from billing_tui.storage.columns import utc
from billing_tui.storage.document_models import Invoice, InvoicePdf, OutboxMessage
from billing_tui.storage.search import contains_ci
from billing_tui.storage.shop_models import Cart, CartLine, Customer

PAGE_SIZE = 50
KINDS = ("invoice", "cancellation", "credit_note")
STATUSES = ("issued", "cancelled", "credited")


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
                             "an invoice is issued once the money is credited.")  # S000.2
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
    problem = profile_problem(customer)
    if problem:
        raise InvoiceRefused(f"The billing profile of {customer.name} (customer {customer.id}) is incomplete: "
                             f"{problem}. Fix it in Customers (F3), then issue the invoice.")
    cart_lines = session.scalars(select(CartLine).where(col(CartLine.cart_id) == cart.id)
                                 .order_by(col(CartLine.position))).all()
    if not cart_lines:
        raise InvoiceRefused(f"Cart {cart.number} has no lines to invoice.")
    lines = [DocumentLine(position=ln.position, sku=ln.sku, description=ln.description, quantity=ln.quantity,
                          unit_price=ln.unit_price, vat_rate=ln.vat_rate, line_total=ln.line_total)
             for ln in cart_lines]
    draft = customer_draft(session, customer, on=on, due=on, lines=lines, currency=cart.currency,
                           payment_method=cart.payment_method, paid=True, cart=cart)
    inv = issue_document(ctx, draft, session=session)
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
        return (f"Invoice {inv.number} has not been emailed to the customer yet, so there is nothing to cancel. "
                "Wait for the mail to be sent, or resend it.")  # S004.11
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
        original = stored_document(session, inv)
        storno = issue_document(ctx, correction_draft(inv, original, kind=DocumentKind.CANCELLATION, on=day,
                                                      lines=original.lines, vat_rows=original.vat_rows),
                                session=session)
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
        original = stored_document(session, inv)
        rows = split_gross(value, original.vat_rows)
        label = t("credits", inv.language, number=inv.number, date=format_date(inv.issue_date, inv.language))
        lines = [DocumentLine(position=i + 1, sku="CREDIT", description=f"{label} ({row.rate.normalize():f}%)",
                              quantity=Decimal("1.000"), unit_price=row.taxable, vat_rate=row.rate,
                              line_total=row.taxable) for i, row in enumerate(rows)]
        note = issue_document(ctx, correction_draft(inv, original, kind=DocumentKind.CREDIT_NOTE, on=day,
                                                    lines=lines, vat_rows=rows, reason=reason.strip()),
                              session=session)
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
        queue_document_mail(session, ctx, inv, stored_document(session, inv), attempt=attempts + 1)
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
        doc = stored_document(session, inv)
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
