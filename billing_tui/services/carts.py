"""Carts: the paged list with filter, search and sort, and one cart's full detail (S000.1, S000.3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, select
from sqlmodel import col

from billing_tui.domain.carts import SORTS, STATUS_FILTERS, UNCONFIRMED
from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.domain.money import vat_summary
from billing_tui.services.context import ServiceContext
from billing_tui.storage.models import Cart, CartLine, Customer, Payment, utc

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class CartQuery:
    """What the carts list shows: a status filter, a search text, a sort and a page."""

    status: str = "all"
    search: str = ""
    sort: str = "date_desc"
    offset: int = 0
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class CartRow:
    """One row of the carts list."""

    number: int
    created_at: datetime
    customer_id: int
    customer_name: str
    total: Decimal
    currency: str
    status: str
    payment_method: str
    payment_state: str
    order_state: str
    invoice_state: str


@dataclass(frozen=True)
class CartPage:
    """A page of carts; ``has_more`` tells whether a next page exists (no full count on a million rows)."""

    rows: tuple[CartRow, ...]
    offset: int
    limit: int
    has_more: bool


@dataclass(frozen=True)
class CartLineView:
    """A cart line as shown and invoiced."""

    position: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class VatRowView:
    """One rate of the VAT breakdown."""

    rate: Decimal
    taxable: Decimal
    vat: Decimal


@dataclass(frozen=True)
class PaymentView:
    """A payment attempt on the cart."""

    method: str
    amount: Decimal
    state: str
    created_at: datetime
    credited_at: datetime | None
    reference: str | None


@dataclass(frozen=True)
class CartDetail:
    """Everything the cart screen shows."""

    number: int
    created_at: datetime
    status: str
    payment_method: str
    payment_state: str
    order_state: str
    invoice_state: str
    currency: str
    customer_id: int
    customer_name: str
    customer_type: str
    customer_country: str
    customer_email: str
    lines: tuple[CartLineView, ...]
    vat_rows: tuple[VatRowView, ...]
    net: Decimal
    vat: Decimal
    total: Decimal
    paid_at: datetime | None
    payments: tuple[PaymentView, ...]


def _check_query(query: CartQuery) -> dict[str, str]:
    errors: dict[str, str] = {}
    if query.status not in STATUS_FILTERS:
        errors["status"] = f"choose one of: {', '.join(STATUS_FILTERS)}"
    if query.sort not in SORTS:
        errors["sort"] = f"choose one of: {', '.join(SORTS)}"
    if query.offset < 0:
        errors["offset"] = "must be 0 or more"
    if not 1 <= query.limit <= MAX_PAGE_SIZE:
        errors["limit"] = f"must be between 1 and {MAX_PAGE_SIZE}"
    return errors


def _filtered(stmt: Select, query: CartQuery, ctx: ServiceContext) -> Select:  # type: ignore[type-arg]
    if query.status == "confirmed":
        stmt = stmt.where(col(Cart.status) == "confirmed")
    elif query.status == "unconfirmed":
        stmt = stmt.where(col(Cart.status).in_([s.value for s in UNCONFIRMED]))
    elif query.status != "all":
        stmt = stmt.where(col(Cart.status) == query.status)
    text = query.search.strip()
    if text:
        if text.isdigit():
            # A number is a cart number: an exact, indexed match.
            stmt = stmt.where(col(Cart.number) == int(text))
        else:
            # Customers are few next to carts: find them first, then their carts by index.
            with ctx.db.read() as session:
                pattern = f"%{text.replace('%', '').replace('_', '')}%"
                ids = list(session.scalars(select(Customer.id).where(col(Customer.name).ilike(pattern))))
            stmt = stmt.where(col(Cart.customer_id).in_(ids or [-1]))
    return stmt


_ORDER = {
    "date_desc": (col(Cart.created_at).desc(), col(Cart.id).desc()),
    "date_asc": (col(Cart.created_at).asc(), col(Cart.id).asc()),
    "total_desc": (col(Cart.total).desc(), col(Cart.id).desc()),
    "total_asc": (col(Cart.total).asc(), col(Cart.id).asc()),
}


def list_carts(ctx: ServiceContext, query: CartQuery = CartQuery()) -> CartPage:
    """One page of carts, filtered, searched and sorted in SQL."""
    errors = _check_query(query)
    if errors:
        raise ValidationFailed(errors, "Cannot list carts: " + "; ".join(f"{k} {v}" for k, v in errors.items()))
    stmt = select(
        Cart.number,
        Cart.created_at,
        Cart.customer_id,
        Customer.name,
        Cart.total,
        Cart.currency,
        Cart.status,
        Cart.payment_method,
        Cart.payment_state,
        Cart.order_state,
        Cart.invoice_state,
    ).join(Customer, col(Customer.id) == col(Cart.customer_id))
    stmt = _filtered(stmt, query, ctx).order_by(*_ORDER[query.sort]).offset(query.offset).limit(query.limit + 1)
    with ctx.db.read() as session:
        result = session.execute(stmt).all()
    rows = tuple(
        CartRow(
            number=r[0],
            created_at=utc(r[1]),  # type: ignore[arg-type]
            customer_id=r[2],
            customer_name=r[3],
            total=r[4],
            currency=r[5],
            status=r[6],
            payment_method=r[7],
            payment_state=r[8],
            order_state=r[9],
            invoice_state=r[10],
        )
        for r in result[: query.limit]
    )
    return CartPage(rows=rows, offset=query.offset, limit=query.limit, has_more=len(result) > query.limit)


def get_cart(ctx: ServiceContext, number: int | str) -> CartDetail:
    """One cart with its lines, VAT breakdown, customer and payments."""
    try:
        wanted = int(str(number).strip().lstrip("#"))
    except ValueError:
        raise NotFound(f"{number!r} is not a cart number; cart numbers are digits, e.g. 100042") from None
    with ctx.db.read() as session:
        cart = session.scalars(select(Cart).where(col(Cart.number) == wanted)).first()
        if cart is None:
            raise NotFound(f"There is no cart number {wanted}; check the number in the carts list")
        customer = session.get(Customer, cart.customer_id)
        lines = session.scalars(
            select(CartLine).where(col(CartLine.cart_id) == cart.id).order_by(col(CartLine.position))
        ).all()
        payments = session.scalars(
            select(Payment).where(col(Payment.cart_id) == cart.id).order_by(col(Payment.created_at))
        ).all()
    assert customer is not None
    totals = vat_summary((ln.line_total, ln.vat_rate) for ln in lines)
    return CartDetail(
        number=cart.number,
        created_at=utc(cart.created_at),  # type: ignore[arg-type]
        status=cart.status,
        payment_method=cart.payment_method,
        payment_state=cart.payment_state,
        order_state=cart.order_state,
        invoice_state=cart.invoice_state,
        currency=cart.currency,
        customer_id=customer.id,  # type: ignore[arg-type]
        customer_name=customer.name,
        customer_type=customer.customer_type,
        customer_country=customer.country,
        customer_email=customer.email,
        lines=tuple(
            CartLineView(
                position=ln.position,
                sku=ln.sku,
                description=ln.description,
                quantity=ln.quantity,
                unit_price=ln.unit_price,
                vat_rate=ln.vat_rate,
                line_total=ln.line_total,
            )
            for ln in lines
        ),
        vat_rows=tuple(VatRowView(rate=r.rate, taxable=r.taxable, vat=r.vat) for r in totals.vat_rows),
        net=totals.net,
        vat=totals.vat,
        total=totals.gross,
        paid_at=utc(cart.paid_at),
        payments=tuple(
            PaymentView(
                method=p.method,
                amount=p.amount,
                state=p.state,
                created_at=utc(p.created_at),  # type: ignore[arg-type]
                credited_at=utc(p.credited_at),
                reference=p.reference,
            )
            for p in payments
        ),
    )
