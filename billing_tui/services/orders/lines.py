"""Changing an order: create it, add and remove lines, ship it, cancel it (S003.1, S003.2, S004.11)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from billing_tui.domain.carts import InvoiceState, PaymentState
from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.domain.money import ZERO, round_money, to_decimal
from billing_tui.domain.orders import OrderAction, OrderRefused, OrderState
from billing_tui.services import audit
from billing_tui.services.context import ServiceContext
from billing_tui.services.orders.loading import (
    cancellation_reason,
    line_lock_reason,
    load_order,
    move,
    refresh_totals,
)
from billing_tui.services.orders.queries import get_order
from billing_tui.services.orders.views import OrderDetail
from billing_tui.storage.shop_models import Cart, CartLine, Customer, Product


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
        order = load_order(session, number, lock=True)
        order.book.require(OrderAction.ADD_LINE)
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
        order.rebook()
        refresh_totals(order)
        move(session, ctx, order, OrderAction.ADD_LINE, line=f"{product.sku} x {qty} at {unit}")
    return get_order(ctx, number)


def remove_line(ctx: ServiceContext, number: int | str, position: int) -> OrderDetail:
    """Remove a line that no invoice has billed yet (a billed line is locked: S003.1)."""
    with ctx.db.write() as session:
        order = load_order(session, number, lock=True)
        order.book.require(OrderAction.REMOVE_LINE)
        line = next((ln for ln in order.lines if ln.position == position), None)
        if line is None:
            raise NotFound(f"Order {order.cart.number} has no line {position}")
        if line.invoice_id is not None:
            locked = next((i.number or "" for i in order.invoices if i.id == line.invoice_id), "?")
            raise OrderRefused(line_lock_reason(position, line.sku, locked))
        session.delete(line)
        order.lines.remove(line)
        order.rebook()
        refresh_totals(order)
        move(session, ctx, order, OrderAction.REMOVE_LINE, line=f"{line.sku} x {line.quantity}")
    return get_order(ctx, number)


def ship_order(ctx: ServiceContext, number: int | str) -> OrderDetail:
    """Mark an order shipped: from then on it is billed by its final invoice or in instalments."""
    with ctx.db.write() as session:
        order = load_order(session, number, lock=True)
        order.book.require(OrderAction.SHIP)
        move(session, ctx, order, OrderAction.SHIP)
    return get_order(ctx, number)


def cancel_order(ctx: ServiceContext, number: int | str) -> None:
    """Cancel an order that has no valid invoice; it will not be invoiced (S004.11)."""
    with ctx.db.write() as session:
        order = load_order(session, number, lock=True)
        reason = cancellation_reason(order.book)
        if reason:
            raise OrderRefused(reason)
        before_invoice = order.cart.invoice_state
        order.cart.order_state = OrderState.CANCELLED.value
        if order.cart.invoice_state == InvoiceState.TO_INVOICE.value:
            order.cart.invoice_state = InvoiceState.NOT_DUE.value
        session.add(order.cart)
        audit.record(session, ctx, entity="cart", entity_id=order.cart.id or 0, action="cancel_order",
                     changes={"order_state": (order.book.state.value, "cancelled"),
                              "invoice_state": (before_invoice, order.cart.invoice_state)})


def cancellation_refusal(ctx: ServiceContext, cart_number: int) -> str | None:
    """Why the order of a cart cannot be cancelled now, or None."""
    with ctx.db.read() as session:
        return cancellation_reason(load_order(session, cart_number).book)
