"""Carts: the paged list with filter, search and sort, and one cart's full detail (S000.1, S000.3)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Subquery,
    UnaryExpression,
    func,
    literal,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.operators import custom_op
from sqlmodel import col

from billing_tui.domain.carts import (
    SORTS,
    STATUS_FILTERS,
    UNCONFIRMED,
    parse_cart_number,
)
from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.domain.money import vat_summary
from billing_tui.services.cart_views import (
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    CartPage,
    CartQuery,
    CartRow,
)
from billing_tui.services.context import ServiceContext
from billing_tui.storage.columns import utc
from billing_tui.storage.search import contains_ci
from billing_tui.storage.shop_models import Cart, CartLine, Customer, Payment

# The list's query and page are defined in cart_views, which the carts screen imports at startup
# without the database stack; they are part of this module's API as well.
__all__ = [
    "MAX_PAGE_SIZE",
    "PAGE_SIZE",
    "CartDetail",
    "CartLineView",
    "CartPage",
    "CartQuery",
    "CartRow",
    "PaymentView",
    "VatRowView",
    "get_cart",
    "list_carts",
]


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


# Every list is read in two steps. First the keys of the page (id and sort value) from an
# index that yields the carts already in order, reading no more than offset + limit + 1
# index entries; then the page's columns and customer names for those few ids. A deep page
# (offset 500,000) so costs a walk along one index, not half a million rows joined and
# thrown away. "Not confirmed" is three statuses: one ordered index walk per status, merged
# (SQLite: MERGE (UNION ALL); PostgreSQL: Merge Append), never a sort of all of them.
#
# A search by customer name has two good plans, and which one wins depends on how many
# carts those customers have: few, and their carts are fetched by ix_cart_customer_created
# and sorted; many, and walking the sort index while skipping other customers' carts
# fills a page sooner. PostgreSQL's planner knows from its statistics; SQLite has none
# unless someone ran ANALYZE, so here a bounded count decides, and the other index is kept
# out of the planner's reach with SQLite's documented unary "+" on the column.

# From this many carts of the searched customers on, walking the sort index wins (SQLite).
WALK_FROM = 10_000

_SORT_COLUMN = {"date_desc": "created_at", "date_asc": "created_at", "total_desc": "total", "total_asc": "total"}

_ORDER = {
    "date_desc": (col(Cart.created_at).desc(), col(Cart.id).desc()),
    "date_asc": (col(Cart.created_at).asc(), col(Cart.id).asc()),
    "total_desc": (col(Cart.total).desc(), col(Cart.id).desc()),
    "total_asc": (col(Cart.total).asc(), col(Cart.id).asc()),
}


def _statuses(query: CartQuery) -> list[str | None]:
    """The statuses to walk, one index walk each; ``[None]`` for every status."""
    if query.status == "all":
        return [None]
    if query.status == "unconfirmed":
        return [s.value for s in UNCONFIRMED]
    return [query.status]


def _no_index(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``+column``: the same value, but SQLite will not use an index on it to evaluate the term."""
    return UnaryExpression(column, operator=custom_op("+"), type_=column.type)


def _customer_ids(session: Session, text: str) -> list[int]:
    """Customers are few next to carts: find them first, then their carts by index."""
    backend = session.get_bind().dialect.name
    return list(session.scalars(select(Customer.id).where(contains_ci(col(Customer.name), text, backend))))


def _many_carts(session: Session, ids: list[int]) -> bool:
    """True when the customers ``ids`` have at least WALK_FROM carts (counts no further)."""
    sample = select(literal(1)).where(col(Cart.customer_id).in_(ids)).limit(WALK_FROM).subquery()
    return (session.scalar(select(func.count()).select_from(sample)) or 0) >= WALK_FROM


def _page_keys(session: Session, query: CartQuery, sqlite: bool) -> Subquery:
    """The ids of the page's carts, plus one to tell whether more follow, read from indexes."""
    column = getattr(Cart, _SORT_COLUMN[query.sort])
    text = query.search.strip()
    number: int | None = None
    ids: list[int] | None = None
    walk = False
    if text.isascii() and text.lstrip("#").isdigit():
        # A number is a cart number: an exact, indexed match (one that cannot exist matches nothing).
        number = parse_cart_number(text) or -1
    elif text:
        ids = _customer_ids(session, text) or [-1]
        walk = sqlite and ids != [-1] and _many_carts(session, ids)

    arms = []
    for status in _statuses(query):
        arm = select(col(Cart.id).label("id"), column.label("key"))
        if status is not None:
            by_status = col(Cart.status)
            if sqlite and ids is not None and not walk:
                by_status = _no_index(by_status)  # fetch by customer, then check the status
            arm = arm.where(by_status == status)
        if number is not None:
            arm = arm.where(col(Cart.number) == number)
        if ids is not None:
            by_customer = _no_index(col(Cart.customer_id)) if walk else col(Cart.customer_id)
            arm = arm.where(by_customer.in_(ids))
        arms.append(arm)
    descending = query.sort.endswith("_desc")
    if len(arms) == 1:
        keys = arms[0].subquery()
    elif sqlite:
        keys = union_all(*arms).subquery()
    else:
        # PostgreSQL plans each arm on its own: give it its order and how many rows can
        # matter, so it walks an index (and the arms merge) instead of sorting every match.
        in_order = (column.desc(), col(Cart.id).desc()) if descending else (column.asc(), col(Cart.id).asc())
        wanted = query.offset + query.limit + 1
        keys = union_all(*(arm.order_by(*in_order).limit(wanted) for arm in arms)).subquery()
    order = (keys.c.key.desc(), keys.c.id.desc()) if descending else (keys.c.key.asc(), keys.c.id.asc())
    # Selecting the sort key too lets SQLite fold the ORDER BY into the UNION ALL (a merge).
    page = select(keys.c.id, keys.c.key).order_by(*order).offset(query.offset).limit(query.limit + 1)
    return page.subquery("page_keys")


def list_carts(ctx: ServiceContext, query: CartQuery = CartQuery()) -> CartPage:  # noqa: B008 - frozen
    """One page of carts, filtered, searched and sorted in SQL."""
    errors = _check_query(query)
    if errors:
        raise ValidationFailed(errors, "Cannot list carts: " + "; ".join(f"{k} {v}" for k, v in errors.items()))
    with ctx.db.read() as session:
        keys = _page_keys(session, query, ctx.db.is_sqlite)
        stmt = (
            select(
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
            )
            .select_from(keys)
            .join(Cart, col(Cart.id) == keys.c.id)
            .join(Customer, col(Customer.id) == col(Cart.customer_id))
            .order_by(*_ORDER[query.sort])
        )
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
    wanted = parse_cart_number(number)
    if wanted is None:
        raise NotFound(f"{number!r} is not a cart number; cart numbers are digits, e.g. 100042")
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
