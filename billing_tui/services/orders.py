"""Orders behind confirmed carts: cancelling one, which is not cancelling its invoice (S004.11)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from billing_tui.domain.carts import InvoiceState, OrderState, parse_cart_number
from billing_tui.domain.errors import BillingError, NotFound
from billing_tui.services import audit
from billing_tui.services.context import ServiceContext
from billing_tui.storage.invoice_models import Invoice
from billing_tui.storage.models import Cart


class OrderRefused(BillingError):
    """The order cannot be changed that way; the message says what to do instead."""


def cancellation_refusal(ctx: ServiceContext, cart_number: int) -> str | None:
    """Why the order of a cart cannot be cancelled now, or None."""
    with ctx.db.read() as session:
        cart = session.scalars(select(Cart).where(col(Cart.number) == cart_number)).first()
        if cart is None:
            raise NotFound(f"There is no cart number {cart_number}")
        return _refusal(session, cart)


def _refusal(session, cart: Cart) -> str | None:  # type: ignore[no-untyped-def]
    if cart.status != "confirmed":
        return f"Cart {cart.number} is not confirmed: there is no order to cancel."
    if cart.order_state == OrderState.CANCELLED.value:
        return f"The order of cart {cart.number} is already cancelled."
    if cart.order_state == OrderState.COMPLETED.value:
        return f"The order of cart {cart.number} is completed; it can no longer be cancelled."
    invoice = session.scalars(select(Invoice).where(col(Invoice.cart_id) == cart.id, col(Invoice.kind) == "invoice",
                                                    col(Invoice.status) != "cancelled")).first()
    if invoice is not None:
        return (f"The order has invoice {invoice.number}: cancelling an order does not cancel its invoice "
                f"(S004.11). Cancel invoice {invoice.number} first (Invoices, F5), then the order.")
    return None


def cancel_order(ctx: ServiceContext, cart_number: int | str) -> None:
    """Cancel the order of a confirmed cart that has no valid invoice; it will not be invoiced."""
    number = parse_cart_number(cart_number)
    if number is None:
        raise NotFound(f"{cart_number!r} is not a cart number; cart numbers are digits, e.g. 100042")
    with ctx.db.write() as session:
        cart = session.scalars(select(Cart).where(col(Cart.number) == number).with_for_update()).first()
        if cart is None:
            raise NotFound(f"There is no cart number {number}")
        reason = _refusal(session, cart)
        if reason:
            raise OrderRefused(reason)
        before = (cart.order_state, cart.invoice_state)
        cart.order_state = OrderState.CANCELLED.value
        if cart.invoice_state == InvoiceState.TO_INVOICE.value:
            cart.invoice_state = InvoiceState.NOT_DUE.value
        session.add(cart)
        audit.record(session, ctx, entity="cart", entity_id=cart.id or 0, action="cancel_order",
                     changes={"order_state": (before[0], cart.order_state),
                              "invoice_state": (before[1], cart.invoice_state)})
