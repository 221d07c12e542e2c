"""Orders and billing them in parts: partial, advance, instalment and final invoices (S003.1–S003.6, S004.11).

An order is a confirmed cart (its number is the order number) or one staff create for a
customer. The rules of which action is allowed when live in ``domain.orders``; this module
loads an order, asks the domain, and stores the outcome in one write transaction: numbers,
invoices, PDFs and queued emails together, or nothing.

Amounts: each partial invoice bills its own lines, with its own VAT summary; advances are
gross amounts split over the VAT rates still to bill; the final invoice bills the lines not
yet billed and deducts every advance, rate by rate; instalments split what is left. So the
order's invoices always add up to the order's total, to the cent.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from billing_tui.domain.carts import InvoiceState, PaymentState, parse_cart_number
from billing_tui.domain.documents import DocumentKind, DocumentLine
from billing_tui.domain.errors import BillingError, NotFound, ValidationFailed
from billing_tui.domain.i18n import format_amount, format_date, t
from billing_tui.domain.money import ZERO, VatRow, round_money, to_decimal, vat_summary
from billing_tui.domain.orders import (
    EVERY,
    MAX_INSTALMENTS,
    OrderAction,
    OrderRefused,
    OrderState,
    add_rows,
    instalment_dates,
    next_state,
    percent_of,
    refusal,
    rows_total,
    share_of,
    split_evenly,
    subtract_rows,
)
from billing_tui.domain.profile import FIELD_KEYS, validate_profile
from billing_tui.services import app_settings, audit
from billing_tui.services.context import ServiceContext
from billing_tui.storage.invoice_models import Invoice, InvoiceVat, OrderInstalment, OutboxMessage
from billing_tui.storage.models import Cart, CartLine, Customer, Product, utc
from billing_tui.storage.search import contains_ci

PAGE_SIZE = 50
ROLES = ("partial", "advance", "instalment", "final")
ORDER_STATES = ("draft", "in_planning", "in_progress", "shipped", "completed", "cancelled")


# --- views ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class OrderLineView:
    """A line of an order; ``locked_by`` is the number of the invoice that billed it."""

    position: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    line_total: Decimal
    locked_by: str | None


@dataclass(frozen=True)
class OrderInvoiceView:
    """An invoice linked to an order."""

    number: str
    role: str  # partial | advance | instalment | final | invoice (the whole cart)
    issue_date: date
    total: Decimal
    status: str
    mail_status: str


@dataclass(frozen=True)
class InstalmentView:
    """One instalment of an order's plan."""

    seq: int
    count: int
    due_date: date
    amount: Decimal
    status: str  # planned | issued
    invoice_number: str | None


@dataclass(frozen=True)
class OrderDetail:
    """Everything the order screen shows."""

    number: int
    customer_id: int
    customer_name: str
    customer_email: str
    state: str
    created_at: datetime
    currency: str
    lines: tuple[OrderLineView, ...]
    net: Decimal
    vat: Decimal
    total: Decimal
    invoiced: Decimal  # gross total of the order's invoices so far
    advanced: Decimal  # gross total of its advance invoices
    left_to_bill: Decimal
    invoices: tuple[OrderInvoiceView, ...]
    plan: tuple[InstalmentView, ...]
    refusals: dict[str, str | None]  # action -> None when possible now, else why not


@dataclass(frozen=True)
class OrderRow:
    """One row of the orders list."""

    number: int
    created_at: datetime
    customer_name: str
    state: str
    total: Decimal
    left_to_bill: Decimal
    currency: str


@dataclass(frozen=True)
class OrderPage:
    """A page of orders, newest first."""

    rows: tuple[OrderRow, ...]
    offset: int
    limit: int
    has_more: bool


@dataclass(frozen=True)
class PlannedInvoice:
    """An invoice that will be created (its number is assigned when it is issued)."""

    role: str
    label: str
    issue_date: date
    due_date: date
    lines: tuple[DocumentLine, ...]
    vat_rows: tuple[VatRow, ...]
    net: Decimal
    vat: Decimal
    total: Decimal
    references: tuple[str, ...] = ()
    seq: int | None = None  # the instalment's place in its plan
    count: int | None = None


@dataclass(frozen=True)
class BillingPlan:
    """What an action will create: the review the wizard, the assistant and the CLI show before it acts."""

    order_number: int
    action: str
    invoices: tuple[PlannedInvoice, ...]
    state_after: str
    left_after: Decimal
    currency: str
    mode: str = "now"  # instalments: now | schedule


@dataclass(frozen=True)
class InstalmentRunResult:
    """What one run of the scheduled instalments did."""

    issued: tuple[str, ...]
    refused: tuple[tuple[int, int, str], ...]  # (order, instalment, reason) left for a person to fix

    def __str__(self) -> str:
        text = f"issued {len(self.issued)} instalment invoice(s)"
        if self.refused:
            text += f"; {len(self.refused)} waiting: " + "; ".join(
                f"order {o} instalment {s}: {r}" for o, s, r in self.refused[:3])
        return text


# --- loading an order -------------------------------------------------------------------------------

@dataclass
class _Order:
    """An order as loaded inside a transaction, with what its amounts are made of."""

    cart: Cart
    customer: Customer
    lines: list[CartLine]
    invoices: list[Invoice]  # kind invoice, linked to the order, oldest first
    vat: dict[int, tuple[VatRow, ...]]  # invoice id -> its VAT rows
    plan: list[OrderInstalment] = field(default_factory=list)

    @property
    def state(self) -> OrderState:
        return OrderState(self.cart.order_state)

    @property
    def unbilled(self) -> list[CartLine]:
        return [ln for ln in self.lines if ln.invoice_id is None]

    def by_role(self, role: str) -> list[Invoice]:
        return [i for i in self.invoices if i.order_role == role and i.status != "cancelled"]

    @property
    def whole_invoice(self) -> Invoice | None:
        return next((i for i in self.invoices if i.order_role is None and i.status != "cancelled"), None)

    def rows_of(self, lines: Iterable[CartLine]) -> tuple[VatRow, ...]:
        return vat_summary((ln.line_total, ln.vat_rate) for ln in lines).vat_rows

    @property
    def order_rows(self) -> tuple[VatRow, ...]:
        """The order's VAT rows: each billed group of lines with its own summary, plus the lines not yet billed."""
        groups: dict[int | None, list[CartLine]] = {}
        for ln in self.lines:
            groups.setdefault(ln.invoice_id, []).append(ln)
        return add_rows(*(self.rows_of(g) for g in groups.values()))

    @property
    def advance_rows(self) -> tuple[VatRow, ...]:
        return add_rows(*(self.vat.get(i.id or 0, ()) for i in self.by_role("advance")))

    @property
    def remaining_rows(self) -> tuple[VatRow, ...]:
        """What is left to bill, rate by rate: lines not yet billed, less the advances."""
        if self.by_role("final") or self.plan or self.whole_invoice or self.state is OrderState.CANCELLED:
            return ()
        return subtract_rows(self.rows_of(self.unbilled), self.advance_rows)

    @property
    def left_to_bill(self) -> Decimal:
        if self.plan:
            return sum((p.amount for p in self.plan if p.status == "planned"), ZERO)
        return rows_total(self.remaining_rows)

    def refusal(self, action: OrderAction) -> str | None:
        """Why ``action`` is not possible on this order now, or None."""
        number = self.cart.number
        if self.cart.status != "confirmed":
            return (f"Cart {number} is not confirmed, so it is not an order: nothing can be billed on it. You can "
                    "bill it once the customer confirms it.")
        whole = self.whole_invoice
        if whole is not None and action not in (OrderAction.SHIP,):
            return (f"Order {number} was invoiced in full by invoice {whole.number}; it is not billed in parts. You "
                    f"can correct invoice {whole.number} with a credit note or cancel it (Invoices, F5).")
        reason = refusal(self.state, action, invoiced=bool(self.invoices))
        if reason:
            return reason
        billing = (OrderAction.PARTIAL, OrderAction.ADVANCE, OrderAction.INSTALMENTS, OrderAction.FINAL)
        if action in billing and not self.lines:
            if refusal(self.state, OrderAction.ADD_LINE) is None:
                return f"Order {number} has no lines yet, so there is nothing to bill: add a line first."
            return f"Order {number} has no lines and none can be added now, so there is nothing to bill: cancel it."
        if action is OrderAction.PARTIAL and not self.unbilled:
            return (f"Every line of order {number} is billed already: add a line first, or issue the final invoice "
                    "(total zero) to complete it.")
        if action in (OrderAction.ADVANCE, OrderAction.INSTALMENTS) and self.left_to_bill <= ZERO:
            return (f"Nothing is left to bill on order {number}: issue its final invoice (total zero) to complete "
                    "it.")
        return None


def _cart(session: Session, number: int | str, *, lock: bool = False) -> Cart:
    wanted = parse_cart_number(number)
    if wanted is None:
        raise NotFound(f"{number!r} is not an order number; order numbers are digits, e.g. 100042")
    query = select(Cart).where(col(Cart.number) == wanted)
    cart = session.scalars(query.with_for_update() if lock else query).first()
    if cart is None:
        raise NotFound(f"There is no order number {wanted}; check the number in the orders list (F8)")
    return cart


def _load(session: Session, number: int | str, *, lock: bool = False) -> _Order:
    cart = _cart(session, number, lock=lock)
    customer = session.get(Customer, cart.customer_id)
    assert customer is not None
    lines = list(session.scalars(select(CartLine).where(col(CartLine.cart_id) == cart.id)
                                 .order_by(col(CartLine.position))))
    invoices = list(session.scalars(select(Invoice).where(col(Invoice.cart_id) == cart.id,
                                                          col(Invoice.kind) == "invoice")
                                    .order_by(col(Invoice.issue_date), col(Invoice.id))))
    vat: dict[int, tuple[VatRow, ...]] = {}
    if invoices:
        for v in session.scalars(select(InvoiceVat).where(col(InvoiceVat.invoice_id).in_([i.id for i in invoices]))
                                 .order_by(col(InvoiceVat.rate).desc())):
            vat.setdefault(v.invoice_id, ())
            vat[v.invoice_id] += (VatRow(rate=v.rate, taxable=v.taxable, vat=v.vat),)
    plan = list(session.scalars(select(OrderInstalment).where(col(OrderInstalment.cart_id) == cart.id)
                                .order_by(col(OrderInstalment.seq))))
    return _Order(cart=cart, customer=customer, lines=lines, invoices=invoices, vat=vat, plan=plan)


def _require(order: _Order, action: OrderAction) -> None:
    reason = order.refusal(action)
    if reason:
        raise OrderRefused(reason)


# --- reading ----------------------------------------------------------------------------------------

def _mail_statuses(session: Session, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    if ids:
        for inv_id, status in session.execute(select(OutboxMessage.invoice_id, OutboxMessage.status)
                                              .where(col(OutboxMessage.invoice_id).in_(ids))
                                              .order_by(col(OutboxMessage.id))):
            out[inv_id] = status  # the latest message wins
    return out


def _detail(session: Session, order: _Order) -> OrderDetail:
    numbers = {i.id: i.number or "" for i in order.invoices}
    mail = _mail_statuses(session, [i.id or 0 for i in order.invoices])
    rows = order.order_rows
    net = sum((r.taxable for r in rows), ZERO)
    vat = sum((r.vat for r in rows), ZERO)
    live = [i for i in order.invoices if i.status != "cancelled"]
    return OrderDetail(
        number=order.cart.number, customer_id=order.customer.id or 0, customer_name=order.customer.name,
        customer_email=order.customer.email, state=order.cart.order_state,
        created_at=utc(order.cart.created_at),  # type: ignore[arg-type]
        currency=order.cart.currency,
        lines=tuple(OrderLineView(position=ln.position, sku=ln.sku, description=ln.description,
                                  quantity=ln.quantity, unit_price=ln.unit_price, vat_rate=ln.vat_rate,
                                  line_total=ln.line_total,
                                  locked_by=numbers.get(ln.invoice_id) if ln.invoice_id else None)
                    for ln in order.lines),
        net=net, vat=vat, total=net + vat,
        invoiced=sum((i.total for i in live), ZERO),
        advanced=sum((i.total for i in order.by_role("advance")), ZERO),
        left_to_bill=order.left_to_bill,
        invoices=tuple(OrderInvoiceView(number=i.number or "", role=i.order_role or "invoice",
                                        issue_date=i.issue_date, total=i.total, status=i.status,
                                        mail_status=mail.get(i.id or 0, "none")) for i in order.invoices),
        plan=tuple(InstalmentView(seq=p.seq, count=p.count, due_date=p.due_date, amount=p.amount, status=p.status,
                                  invoice_number=numbers.get(p.invoice_id) if p.invoice_id else None)
                   for p in order.plan),
        refusals={a.value: cancellation_reason(order) if a is OrderAction.CANCEL else order.refusal(a)
                  for a in OrderAction},
    )


def get_order(ctx: ServiceContext, number: int | str) -> OrderDetail:
    """One order with its lines, linked invoices, instalment plan and what is left to bill (S003.3)."""
    with ctx.db.read() as session:
        return _detail(session, _load(session, number))


def list_orders(ctx: ServiceContext, *, state: str = "all", search: str = "", offset: int = 0,
                limit: int = PAGE_SIZE) -> OrderPage:
    """Orders (confirmed carts) newest first, by state, searched by number or customer name."""
    if state not in ("all", *ORDER_STATES):
        raise ValidationFailed({"state": f"choose all, {', '.join(ORDER_STATES)}"})
    if not 1 <= limit <= 1000 or offset < 0:
        raise ValidationFailed({"limit": "limit 1-1000, offset 0 or more"})
    stmt = (select(Cart, Customer.name).join(Customer, col(Customer.id) == col(Cart.customer_id))
            .where(col(Cart.status) == "confirmed"))
    if state != "all":
        stmt = stmt.where(col(Cart.order_state) == state)
    text = search.strip()
    if text:
        wanted = parse_cart_number(text)
        cond = contains_ci(col(Customer.name), text, ctx.db.backend)
        stmt = stmt.where(cond | (col(Cart.number) == wanted) if wanted else cond)
    stmt = stmt.order_by(col(Cart.created_at).desc(), col(Cart.id).desc()).offset(offset).limit(limit + 1)
    with ctx.db.read() as session:
        found = session.execute(stmt).all()
        rows = []
        for cart, name in found[:limit]:
            left = cart.total if cart.invoice_state in ("not_due", "to_invoice") else None
            if left is None:
                left = (_load(session, cart.number).left_to_bill if cart.invoice_state in ("in_parts", "cancelled")
                        else ZERO)
            if cart.order_state == "cancelled":
                left = ZERO
            rows.append(OrderRow(number=cart.number, created_at=utc(cart.created_at),  # type: ignore[arg-type]
                                 customer_name=name, state=cart.order_state, total=cart.total, left_to_bill=left,
                                 currency=cart.currency))
    return OrderPage(rows=tuple(rows), offset=offset, limit=limit, has_more=len(found) > limit)


# --- changing an order --------------------------------------------------------------------------------

def _refresh_totals(order: _Order) -> None:
    rows = order.order_rows
    order.cart.net = sum((r.taxable for r in rows), ZERO)
    order.cart.vat = sum((r.vat for r in rows), ZERO)
    order.cart.total = order.cart.net + order.cart.vat


def _move(session: Session, ctx: ServiceContext, order: _Order, action: OrderAction, **changes: object) -> None:
    before = order.cart.order_state
    after = next_state(order.state, action, invoiced=bool(order.invoices)).value
    order.cart.order_state = after
    session.add(order.cart)
    audit.record(session, ctx, entity="cart", entity_id=order.cart.id or 0, action=f"order_{action.value}",
                 changes={"order_state": (before, after), **{k: (None, v) for k, v in changes.items()}})


def create_order(ctx: ServiceContext, *, customer_id: int) -> OrderDetail:
    """A new draft order for a customer, to be paid by bank transfer; staff add its lines next.

    Its number follows the highest cart number; when another process takes that number at the
    same moment (PostgreSQL), the unique number refuses the second insert and it takes the next.
    """
    for _attempt in range(10):
        try:
            number = _create_order(ctx, customer_id)
        except IntegrityError:
            continue
        return get_order(ctx, number)
    raise OrderRefused("Many orders were being created at the same moment; try again.")


def _create_order(ctx: ServiceContext, customer_id: int) -> int:
    with ctx.db.write() as session:
        customer = session.get(Customer, customer_id)
        if customer is None:
            raise NotFound(f"There is no customer {customer_id}; see the customers list (F3)")
        number = (session.scalar(select(func.max(Cart.number))) or 100000) + 1
        now = ctx.clock.now()
        cart = Cart(number=number, created_at=now, customer_id=customer_id, status="confirmed",
                    payment_method="bank_transfer", payment_state=PaymentState.UNPAID.value,
                    order_state=OrderState.DRAFT.value, invoice_state=InvoiceState.NOT_DUE.value,
                    net=ZERO, vat=ZERO, total=ZERO)
        session.add(cart)
        session.flush()
        audit.record(session, ctx, entity="cart", entity_id=cart.id or 0, action="order_create",
                     changes={"order_state": (None, "draft"), "customer_id": (None, customer_id)})
    return number


def _quantity(value: Decimal | str | int) -> Decimal:
    try:
        qty = to_decimal(value).quantize(Decimal("0.001"))
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationFailed({"quantity": "a number, e.g. 2 or 1.5"},
                               f"{value!r} is not a quantity; type a number such as 2 or 1.5") from None
    if qty <= 0 or qty > 1_000_000:
        raise ValidationFailed({"quantity": "more than 0, at most 1,000,000"},
                               "The quantity must be more than 0 (at most 1,000,000).")
    return qty


def _price(value: Decimal | str | None, default: Decimal) -> Decimal:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        price = round_money(to_decimal(value))
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationFailed({"price": "an amount, e.g. 12.50"},
                               f"{value!r} is not a price; type an amount such as 12.50") from None
    if price < 0 or price > Decimal("10000000"):
        raise ValidationFailed({"price": "0 or more, at most 10,000,000"}, "The price must be 0 or more.")
    return price


def add_line(ctx: ServiceContext, number: int | str, *, sku: str, quantity: Decimal | str | int,
             price: Decimal | str | None = None) -> OrderDetail:
    """Add a product to a draft or in-planning order (S003.2), at its list price unless ``price`` is given."""
    qty = _quantity(quantity)
    with ctx.db.write() as session:
        order = _load(session, number, lock=True)
        _require(order, OrderAction.ADD_LINE)
        product = session.scalars(select(Product).where(col(Product.sku) == sku.strip())).first()
        if product is None:
            raise ValidationFailed({"sku": f"no product with SKU {sku.strip()!r}"},
                                   f"There is no product with SKU {sku.strip()!r}; check the SKU and try again.")
        unit = _price(price, product.unit_price)
        line = CartLine(cart_id=order.cart.id or 0, position=max((ln.position for ln in order.lines), default=0) + 1,
                        product_id=product.id, sku=product.sku, description=product.name, quantity=qty,
                        unit_price=unit, vat_rate=product.vat_rate, line_total=round_money(qty * unit))
        session.add(line)
        order.lines.append(line)
        _refresh_totals(order)
        _move(session, ctx, order, OrderAction.ADD_LINE, line=f"{product.sku} x {qty} at {unit}")
    return get_order(ctx, number)


def remove_line(ctx: ServiceContext, number: int | str, position: int) -> OrderDetail:
    """Remove a line that no invoice has billed yet (a billed line is locked: S003.1)."""
    with ctx.db.write() as session:
        order = _load(session, number, lock=True)
        _require(order, OrderAction.REMOVE_LINE)
        line = next((ln for ln in order.lines if ln.position == position), None)
        if line is None:
            raise NotFound(f"Order {order.cart.number} has no line {position}")
        if line.invoice_id is not None:
            locked = next((i.number for i in order.invoices if i.id == line.invoice_id), "?")
            raise OrderRefused(f"Line {position} was billed by invoice {locked}, so it is locked (S003.1). Credit "
                               "that invoice with a credit note if the line was wrong.")
        session.delete(line)
        order.lines.remove(line)
        _refresh_totals(order)
        _move(session, ctx, order, OrderAction.REMOVE_LINE, line=f"{line.sku} x {line.quantity}")
    return get_order(ctx, number)


def ship_order(ctx: ServiceContext, number: int | str) -> OrderDetail:
    """Mark an order shipped: from then on it is billed by its final invoice or in instalments."""
    with ctx.db.write() as session:
        order = _load(session, number, lock=True)
        _require(order, OrderAction.SHIP)
        _move(session, ctx, order, OrderAction.SHIP)
    return get_order(ctx, number)


def cancel_order(ctx: ServiceContext, number: int | str) -> None:
    """Cancel a draft order that has no valid invoice; it will not be invoiced (S004.11)."""
    with ctx.db.write() as session:
        order = _load(session, number, lock=True)
        reason = cancellation_reason(order)
        if reason:
            raise OrderRefused(reason)
        before_invoice = order.cart.invoice_state
        order.cart.order_state = OrderState.CANCELLED.value
        if order.cart.invoice_state == InvoiceState.TO_INVOICE.value:
            order.cart.invoice_state = InvoiceState.NOT_DUE.value
        session.add(order.cart)
        audit.record(session, ctx, entity="cart", entity_id=order.cart.id or 0, action="cancel_order",
                     changes={"order_state": (order.state.value, "cancelled"),
                              "invoice_state": (before_invoice, order.cart.invoice_state)})


def cancellation_reason(order: _Order) -> str | None:
    """Why the order cannot be cancelled, or None (cancelling an order never cancels its invoice: S004.11)."""
    cart = order.cart
    if cart.status != "confirmed":
        return f"Cart {cart.number} is not confirmed: there is no order to cancel."
    live = [i for i in order.invoices if i.status != "cancelled"]
    parts = [i.number or "" for i in live if i.order_role]
    if parts:  # invoices billing an order in parts cannot be cancelled (the others refer to them)
        return (f"Order {cart.number} is billed in parts (invoice {', '.join(parts)}), so it cannot be cancelled: "
                "cancelling an order never cancels its invoices (S004.11). You can correct its invoices with credit "
                "notes (Invoices, F5).")
    if live:
        return (f"The order has invoice {live[0].number}: cancelling an order does not cancel its invoice "
                f"(S004.11). Cancel invoice {live[0].number} first (Invoices, F5), then the order.")
    return refusal(order.state, OrderAction.CANCEL)


def cancellation_refusal(ctx: ServiceContext, cart_number: int) -> str | None:
    """Why the order of a cart cannot be cancelled now, or None."""
    with ctx.db.read() as session:
        return cancellation_reason(_load(session, cart_number))


# --- the inputs of the wizards -----------------------------------------------------------------------

def _day(value: date | str | None, field_name: str, default: date) -> date:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed({field_name: "use YYYY-MM-DD, e.g. 2026-12-31"},
                               f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-12-31") from None


def _dates_for(ctx: ServiceContext, session: Session, order: _Order, action: OrderAction, on: date | str | None,
               due: date | str | None) -> tuple[date, date]:
    """The invoice and due dates of ``action``, once the order allows it (a refusal comes before bad input)."""
    _require(order, action)
    return _dates(ctx, session, on, due)


def _dates(ctx: ServiceContext, session: Session, on: date | str | None,
           due: date | str | None) -> tuple[date, date]:
    from billing_tui.services.invoices import InvoiceRefused, _check_date

    today = ctx.clock.now().date()
    day = _day(on, "date", today)
    if day > today:
        raise ValidationFailed({"date": f"not after today ({today.isoformat()})"},
                               f"An invoice cannot be dated in the future; use {today.isoformat()} or earlier.")
    try:
        _check_date(session, ctx, DocumentKind.INVOICE, day)
    except InvoiceRefused as exc:
        raise ValidationFailed({"date": exc.message}, exc.message) from None
    terms = app_settings.get_int(ctx, "payment_terms_days")
    end = _day(due, "due", day + timedelta(days=terms))
    if end < day:
        raise ValidationFailed({"due": "on or after the invoice date"},
                               f"The due date ({end.isoformat()}) is before the invoice date ({day.isoformat()}).")
    if end > day + timedelta(days=366):
        raise ValidationFailed({"due": "within a year of the invoice date"},
                               "The due date is more than a year after the invoice date.")
    return day, end


def _amount(value: Decimal | str, field_name: str, what: str) -> Decimal:
    try:
        number = to_decimal(str(value).strip().replace("€", "").replace("%", "").strip())
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationFailed({field_name: f"a number, e.g. {'30' if field_name == 'percent' else '250.00'}"},
                               f"{value!r} is not {what}; type a number") from None
    if not number.is_finite() or number <= 0:
        raise ValidationFailed({field_name: "more than 0"}, f"The {what} must be more than 0.")
    return number


def _ready(session: Session, order: _Order) -> None:
    """Refuse when the customer's profile or the company data cannot go on an invoice."""
    from billing_tui.services.invoices import _seller

    errors = validate_profile({k: getattr(order.customer, k) for k in FIELD_KEYS})[1]
    if errors:
        raise OrderRefused(f"The billing profile of {order.customer.name} (customer {order.customer.id}) is "
                           f"incomplete: {'; '.join(errors.values())}. Fix it in Customers (F3), then try again.")
    _seller(session)


# --- building the invoices -------------------------------------------------------------------------

def _money(order: _Order, amount: Decimal) -> str:
    return format_amount(amount, order.cart.currency, _language(order))


def _language(order: _Order) -> str:
    return order.customer.language or "it"


def _doc_lines(lines: Iterable[CartLine]) -> list[DocumentLine]:
    return [DocumentLine(position=i, sku=ln.sku, description=ln.description, quantity=ln.quantity,
                         unit_price=ln.unit_price, vat_rate=ln.vat_rate, line_total=ln.line_total)
            for i, ln in enumerate(lines, start=1)]


def _rate_lines(rows: Iterable[VatRow], sku: str, text: str, start: int = 1, sign: int = 1) -> list[DocumentLine]:
    return [DocumentLine(position=start + i, sku=sku, description=f"{text} ({row.rate.normalize():f}%)",
                         quantity=Decimal("1.000"), unit_price=sign * row.taxable, vat_rate=row.rate,
                         line_total=sign * row.taxable) for i, row in enumerate(rows)]


def _planned(role: str, label: str, day: date, due: date, lines: list[DocumentLine], rows: tuple[VatRow, ...],
             references: tuple[str, ...] = (), seq: int | None = None, count: int | None = None) -> PlannedInvoice:
    net = sum((r.taxable for r in rows), ZERO)
    vat = sum((r.vat for r in rows), ZERO)
    return PlannedInvoice(role=role, label=label, issue_date=day, due_date=due, lines=tuple(lines), vat_rows=rows,
                          net=net, vat=vat, total=net + vat, references=references, seq=seq, count=count)


def _earlier(order: _Order, roles: tuple[str, ...]) -> tuple[str, ...]:
    lang = _language(order)
    out = []
    plan_seq = {p.invoice_id: (p.seq, p.count) for p in order.plan}
    for inv in order.invoices:
        if inv.status == "cancelled" or inv.order_role not in roles:
            continue
        values = {"number": inv.number, "date": format_date(inv.issue_date, lang), "total": _money(order, inv.total)}
        if inv.order_role == "instalment":
            seq, count = plan_seq.get(inv.id, (0, 0))
            out.append(t("earlier_instalment", lang, seq=seq, count=count, **values))
        else:
            out.append(t(f"earlier_{inv.order_role}", lang, **values))
    return tuple(out)


def _plan_partial(order: _Order, day: date, due: date) -> BillingPlan:
    _require(order, OrderAction.PARTIAL)
    lines = order.unbilled
    rows = order.rows_of(lines)
    invoice = _planned("partial", t("role_partial", _language(order), order=order.cart.number), day, due,
                       _doc_lines(lines), rows)
    return BillingPlan(order_number=order.cart.number, action="partial", invoices=(invoice,),
                       state_after=next_state(order.state, OrderAction.PARTIAL).value, left_after=ZERO,
                       currency=order.cart.currency)


def _plan_advance(order: _Order, day: date, due: date, amount: Decimal | str | None,
                  percent: Decimal | str | None) -> BillingPlan:
    _require(order, OrderAction.ADVANCE)
    if (amount is None or str(amount).strip() == "") == (percent is None or str(percent).strip() == ""):
        raise ValidationFailed({"amount": "give the amount or the percentage, not both"},
                               "Give the advance as an amount or as a percentage of the order (one of the two).")
    left = order.left_to_bill
    order_total = rows_total(order.order_rows)
    if percent is not None and str(percent).strip():
        pct = _amount(percent, "percent", "percentage")
        if pct > 100:
            raise ValidationFailed({"percent": "at most 100"}, "The percentage must be at most 100.")
        value = percent_of(order_total, pct)
        field_name = "percent"
    else:
        value = round_money(_amount(amount or "", "amount", "amount"))
        field_name = "amount"
    if value <= ZERO:
        raise ValidationFailed({field_name: "comes to less than a cent"}, "The advance comes to less than a cent.")
    if value > left:
        money = _money(order, left)
        raise ValidationFailed({field_name: f"at most {money} is left to bill"},
                               f"The advance ({_money(order, value)}) is more than is left to bill ({money}).")
    rows = share_of(value, order.remaining_rows)
    label = t("advance_line", _language(order), order=order.cart.number)
    invoice = _planned("advance", t("role_advance", _language(order), order=order.cart.number), day, due,
                       _rate_lines(rows, "ADVANCE", label), rows)
    return BillingPlan(order_number=order.cart.number, action="advance", invoices=(invoice,),
                       state_after=next_state(order.state, OrderAction.ADVANCE).value, left_after=left - value,
                       currency=order.cart.currency)


def _plan_final(order: _Order, day: date, due: date) -> BillingPlan:
    _require(order, OrderAction.FINAL)
    lang = _language(order)
    lines = _doc_lines(order.unbilled)
    unbilled_rows = order.rows_of(order.unbilled)
    for inv in order.by_role("advance"):
        rows = order.vat.get(inv.id or 0, ())
        lines += _rate_lines(rows, "ADVANCE", t("less_advance", lang, number=inv.number,
                                                date=format_date(inv.issue_date, lang)),
                             start=len(lines) + 1, sign=-1)
    rates = {r.rate for r in unbilled_rows} | {r.rate for r in order.advance_rows}
    remaining = subtract_rows(unbilled_rows, order.advance_rows)
    rows = tuple(next((r for r in remaining if r.rate == rate), VatRow(rate=rate, taxable=ZERO, vat=ZERO))
                 for rate in sorted(rates, reverse=True))
    if not lines:  # partial invoices billed every line: a zero balance, still with one line (an invoice needs one)
        rate = max(ln.vat_rate for ln in order.lines)
        lines = [DocumentLine(position=1, sku="BALANCE", description=t("role_final", lang, order=order.cart.number),
                              quantity=Decimal("1.000"), unit_price=ZERO, vat_rate=rate, line_total=ZERO)]
        rows = (VatRow(rate=rate, taxable=ZERO, vat=ZERO),)
    invoice = _planned("final", t("role_final", lang, order=order.cart.number), day, due, lines, rows,
                       references=_earlier(order, ("partial", "advance")))
    return BillingPlan(order_number=order.cart.number, action="final", invoices=(invoice,),
                       state_after=next_state(order.state, OrderAction.FINAL).value, left_after=ZERO,
                       currency=order.cart.currency)


def _instalment_invoice(order: _Order, seq: int, count: int, day: date, due: date, rows: tuple[VatRow, ...],
                        earlier: tuple[str, ...]) -> PlannedInvoice:
    lang = _language(order)
    final = seq == count
    label = t("role_instalment", lang, seq=seq, count=count, order=order.cart.number)
    lines = _rate_lines(rows, "INSTALMENT", t("instalment_line", lang, seq=seq, count=count,
                                               order=order.cart.number))
    return _planned("final" if final else "instalment", label, day, due, lines, rows,
                    references=earlier if final else (), seq=seq, count=count)


def _plan_instalments(ctx: ServiceContext, order: _Order, count: int | str, start: date | str | None, every: str,
                      mode: str) -> BillingPlan:
    _require(order, OrderAction.INSTALMENTS)
    today = ctx.clock.now().date()
    errors: dict[str, str] = {}
    try:
        k = int(str(count).strip())
    except ValueError:
        k = 0
    if not 2 <= k <= MAX_INSTALMENTS:
        errors["count"] = f"a whole number from 2 to {MAX_INSTALMENTS}"
    if every not in EVERY:
        errors["every"] = "choose " + ", ".join(EVERY)
    if mode not in ("now", "schedule"):
        errors["mode"] = "choose now (issue and send them all now) or schedule"
    first = None
    try:
        first = _day(start, "start", today)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if first is not None and first < today:
        errors["start"] = f"today ({today.isoformat()}) or later"
    if errors:
        raise ValidationFailed(errors, "Check the instalments: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    assert first is not None
    dates = instalment_dates(first, k, every)
    remaining = order.remaining_rows
    amounts = split_evenly(rows_total(remaining), k)
    if any(a <= ZERO for a in amounts):
        raise ValidationFailed({"count": "fewer instalments: each must be at least a cent"},
                               "There are more instalments than cents to bill; choose fewer instalments.")
    earlier = _earlier(order, ("partial", "advance"))
    invoices = []
    for seq, (due, amount) in enumerate(zip(dates, amounts, strict=True), start=1):
        rows = share_of(amount, remaining) if seq < k else remaining
        remaining = subtract_rows(remaining, rows)
        day = today if mode == "now" else due
        listed = earlier + ((t("earlier_instalments_planned", _language(order), last=k - 1),) if seq == k else ())
        invoices.append(_instalment_invoice(order, seq, k, day, max(due, day), rows, listed))
    return BillingPlan(order_number=order.cart.number, action="instalments", invoices=tuple(invoices),
                       state_after=next_state(order.state, OrderAction.INSTALMENTS).value, left_after=ZERO,
                       currency=order.cart.currency, mode=mode)


# --- issuing ------------------------------------------------------------------------------------------

def _issue(session: Session, ctx: ServiceContext, order: _Order, planned: PlannedInvoice) -> Invoice:
    """Store one planned invoice (number, rows, PDF, queued email) in the caller's transaction."""
    from billing_tui.services.invoices import _party_from_customer, _party_from_seller, _seller, _store

    seller = _seller(session)
    notes = (planned.label, *planned.references)
    inv = _store(session, ctx, kind=DocumentKind.INVOICE, on=planned.issue_date, due=planned.due_date,
                 customer_snapshot=_party_from_customer(order.customer), seller_snapshot=_party_from_seller(seller),
                 language=_language(order), currency=order.cart.currency,
                 payment_method=order.cart.payment_method,
                 paid=order.cart.payment_state == PaymentState.PAID.value,
                 split_payment=order.customer.customer_type == "pa" and bool(order.customer.split_payment),
                 lines=list(planned.lines), vat_rows=planned.vat_rows, cart=order.cart,
                 customer_id=order.customer.id or 0, related=None, reason=None, order_role=planned.role,
                 notes=notes)
    order.invoices.append(inv)
    order.vat[inv.id or 0] = planned.vat_rows
    order.cart.invoice_state = (InvoiceState.ISSUED if planned.role == "final" else InvoiceState.IN_PARTS).value
    session.add(order.cart)
    return inv


def _bill_lines(session: Session, order: _Order, lines: list[CartLine], inv: Invoice) -> None:
    """Lock the lines an invoice billed; a line is billed once (the update only takes unbilled lines)."""
    ids = [ln.id for ln in lines]
    if not ids:
        return
    done = session.execute(update(CartLine).where(col(CartLine.id).in_(ids), col(CartLine.invoice_id).is_(None))
                           .values(invoice_id=inv.id).execution_options(synchronize_session=False))
    if done.rowcount != len(ids):  # type: ignore[attr-defined]
        raise OrderRefused(f"Some lines of order {order.cart.number} were billed by someone else just now; "
                           "open the order again.")
    for ln in lines:
        ln.invoice_id = inv.id


def _preview(ctx: ServiceContext, number: int | str, build) -> BillingPlan:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        order = _load(session, number)
        plan = build(session, order)
        _ready(session, order)
        return plan


def _write(ctx: ServiceContext, number: int | str, build, apply) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    try:
        with ctx.db.write() as session:
            order = _load(session, number, lock=True)
            plan = build(session, order)
            _ready(session, order)
            return apply(session, order, plan)
    except IntegrityError:
        raise OrderRefused(f"Order {number} was billed by someone else at the same moment; open it again to see "
                           "its invoices.") from None


def _billing_the_lines(ctx: ServiceContext, action: OrderAction):  # type: ignore[no-untyped-def]
    """How a partial or final invoice is stored: it bills (and locks) every line not yet billed."""
    def apply(session: Session, order: _Order, plan: BillingPlan) -> tuple[str, ...]:
        lines = order.unbilled
        inv = _issue(session, ctx, order, plan.invoices[0])
        _bill_lines(session, order, lines, inv)
        _refresh_totals(order)
        _move(session, ctx, order, action, invoice=inv.number)
        return (inv.number or "",)
    return apply


def preview_partial(ctx: ServiceContext, number: int | str, *, on: date | str | None = None,
                    due: date | str | None = None) -> BillingPlan:
    """The partial invoice that would bill every line not yet billed (S003.1)."""
    return _preview(ctx, number, lambda s, o: _plan_partial(o, *_dates_for(ctx, s, o, OrderAction.PARTIAL, on, due)))


def issue_partial(ctx: ServiceContext, number: int | str, *, on: date | str | None = None,
                  due: date | str | None = None) -> tuple[str, ...]:
    """Issue a partial invoice for every line not yet billed; the lines are locked, the order is in planning."""
    return _write(ctx, number, lambda s, o: _plan_partial(o, *_dates_for(ctx, s, o, OrderAction.PARTIAL, on, due)),
                  _billing_the_lines(ctx, OrderAction.PARTIAL))


def preview_advance(ctx: ServiceContext, number: int | str, *, amount: Decimal | str | None = None,
                    percent: Decimal | str | None = None, on: date | str | None = None,
                    due: date | str | None = None) -> BillingPlan:
    """The advance invoice for an amount or a percentage of the order (S003.4)."""
    return _preview(ctx, number, lambda s, o: _plan_advance(
        o, *_dates_for(ctx, s, o, OrderAction.ADVANCE, on, due), amount, percent))


def issue_advance(ctx: ServiceContext, number: int | str, *, amount: Decimal | str | None = None,
                  percent: Decimal | str | None = None, on: date | str | None = None,
                  due: date | str | None = None) -> tuple[str, ...]:
    """Issue an advance invoice; the order is in progress until its final invoice."""
    def apply(session: Session, order: _Order, plan: BillingPlan) -> tuple[str, ...]:
        inv = _issue(session, ctx, order, plan.invoices[0])
        _move(session, ctx, order, OrderAction.ADVANCE, invoice=inv.number)
        return (inv.number or "",)
    return _write(ctx, number, lambda s, o: _plan_advance(
        o, *_dates_for(ctx, s, o, OrderAction.ADVANCE, on, due), amount, percent), apply)


def preview_final(ctx: ServiceContext, number: int | str, *, on: date | str | None = None,
                  due: date | str | None = None) -> BillingPlan:
    """The final invoice: what is left, listing earlier partials and deducting the advances (S003.2–S003.4)."""
    return _preview(ctx, number, lambda s, o: _plan_final(o, *_dates_for(ctx, s, o, OrderAction.FINAL, on, due)))


def issue_final(ctx: ServiceContext, number: int | str, *, on: date | str | None = None,
                due: date | str | None = None) -> tuple[str, ...]:
    """Issue the final invoice; the order is completed."""
    return _write(ctx, number, lambda s, o: _plan_final(o, *_dates_for(ctx, s, o, OrderAction.FINAL, on, due)),
                  _billing_the_lines(ctx, OrderAction.FINAL))


def preview_instalments(ctx: ServiceContext, number: int | str, *, count: int | str, start: date | str | None,
                        every: str, mode: str = "schedule") -> BillingPlan:
    """The instalment invoices of a shipped order: dates and amounts adding up to what is left (S003.5)."""
    return _preview(ctx, number, lambda s, o: _plan_instalments(ctx, o, count, start, every, mode))


def _rows_json(rows: tuple[VatRow, ...]) -> str:
    return json.dumps([[str(r.rate), str(r.taxable), str(r.vat)] for r in rows])


def _rows_from_json(text: str) -> tuple[VatRow, ...]:
    return tuple(VatRow(rate=Decimal(r), taxable=Decimal(tx), vat=Decimal(v)) for r, tx, v in json.loads(text))


def plan_instalments(ctx: ServiceContext, number: int | str, *, count: int | str, start: date | str | None,
                     every: str, mode: str = "schedule") -> tuple[str, ...]:
    """Make the instalment plan; the order is completed (S003.5). ``now`` issues every instalment at once;
    ``schedule`` issues those due today and leaves the others to the scheduler. The numbers issued now."""
    today = ctx.clock.now().date()

    def apply(session: Session, order: _Order, plan: BillingPlan) -> tuple[str, ...]:
        now = ctx.clock.now()
        unbilled = order.unbilled
        for p in plan.invoices:
            row = OrderInstalment(cart_id=order.cart.id or 0, seq=p.seq or 0, count=p.count or 0, every=every,
                                  due_date=p.due_date, amount=p.total,
                                  rows=_rows_json(p.vat_rows), status="planned", created_at=now,
                                  created_by=ctx.actor)
            session.add(row)
            order.plan.append(row)
        session.flush()
        order.cart.invoice_state = InvoiceState.IN_PARTS.value
        _move(session, ctx, order, OrderAction.INSTALMENTS, plan=f"{len(plan.invoices)} x {every} from "
                                                                 f"{plan.invoices[0].due_date} ({mode})")
        issued = []
        for row in order.plan:
            if mode == "now" or row.due_date <= today:
                issued.append(_issue_instalment(session, ctx, order, row, unbilled))
        return tuple(issued)
    return _write(ctx, number, lambda s, o: _plan_instalments(ctx, o, count, start, every, mode), apply)


def _issue_instalment(session: Session, ctx: ServiceContext, order: _Order, row: OrderInstalment,
                      unbilled: list[CartLine]) -> str:
    """Issue one planned instalment as of today (the last is the final invoice, listing all the others)."""
    from billing_tui.services.invoices import _check_date

    today = ctx.clock.now().date()
    _check_date(session, ctx, DocumentKind.INVOICE, today)  # dates follow numbers, also for a run "as of" the past
    rows = _rows_from_json(row.rows)
    planned = _instalment_invoice(order, row.seq, row.count, today, max(row.due_date, today), rows,
                                  _earlier(order, ("partial", "advance", "instalment")))
    inv = _issue(session, ctx, order, planned)
    row.status = "issued"
    row.invoice_id = inv.id
    session.add(row)
    if row.seq == row.count:
        _bill_lines(session, order, unbilled, inv)
    return inv.number or ""


def issue_due_instalments(ctx: ServiceContext, *, limit: int = 500) -> InstalmentRunResult:
    """The scheduled job: issue and email every planned instalment due today or earlier, once each (S003.5).

    Instalments missed while nothing ran are caught up, oldest first, dated the day they are
    issued (an invoice cannot be dated before the numbers already issued). Each instalment is
    issued in its own savepoint: the row's status and its invoice commit together, so running
    again finds nothing more to do.
    """
    today = ctx.clock.now().date()
    with ctx.db.read() as session:
        due = session.execute(select(OrderInstalment.id, Cart.number, OrderInstalment.seq)
                              .join(Cart, col(Cart.id) == col(OrderInstalment.cart_id))
                              .where(col(OrderInstalment.status) == "planned",
                                     col(OrderInstalment.due_date) <= today)
                              .order_by(col(OrderInstalment.due_date), col(Cart.number), col(OrderInstalment.seq))
                              .limit(limit)).all()
    issued: list[str] = []
    refused: list[tuple[int, int, str]] = []
    for row_id, number, seq in due:
        try:
            with ctx.db.write() as session:
                order = _load(session, number, lock=True)
                row = next((p for p in order.plan if p.id == row_id), None)
                if row is None or row.status != "planned":
                    continue  # issued by another process since the list was read
                if any(p.status == "planned" and p.seq < row.seq for p in order.plan):
                    continue  # an earlier instalment of the order waits: keep the order of the plan
                _ready(session, order)
                issued.append(_issue_instalment(session, ctx, order, row, order.unbilled))
        except BillingError as exc:  # the order's refusals, and the invoice's (company data, number format)
            refused.append((number, seq, exc.message))
        except IntegrityError:
            continue
    return InstalmentRunResult(issued=tuple(issued), refused=tuple(refused))
