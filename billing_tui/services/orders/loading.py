"""An order loaded inside a transaction: its rows, and the :class:`OrderBook` its billing is worked out on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlmodel import Session, col

from billing_tui.domain.carts import parse_cart_number
from billing_tui.domain.errors import NotFound
from billing_tui.domain.money import ZERO, VatRow
from billing_tui.domain.order_plans import (
    BookInstalment,
    BookInvoice,
    BookLine,
    OrderBook,
)
from billing_tui.domain.orders import (
    OrderAction,
    OrderRefused,
    OrderState,
    next_state,
    refusal,
)
from billing_tui.services import audit
from billing_tui.services.context import ServiceContext
from billing_tui.storage.document_models import Invoice, InvoiceVat
from billing_tui.storage.shop_models import Cart, CartLine, Customer, OrderInstalment


def rows_json(rows: tuple[VatRow, ...]) -> str:
    """VAT rows as stored on a plan row: ``[[rate, taxable, vat], ...]``."""
    return json.dumps([[str(r.rate), str(r.taxable), str(r.vat)] for r in rows])


def rows_from_json(text: str) -> tuple[VatRow, ...]:
    return tuple(VatRow(rate=Decimal(r), taxable=Decimal(tx), vat=Decimal(v)) for r, tx, v in json.loads(text))


def book_line(ln: CartLine) -> BookLine:
    return BookLine(position=ln.position, sku=ln.sku, description=ln.description, quantity=ln.quantity,
                    unit_price=ln.unit_price, vat_rate=ln.vat_rate, line_total=ln.line_total, billed_by=ln.invoice_id)


def book_invoice(inv: Invoice, rows: tuple[VatRow, ...]) -> BookInvoice:
    return BookInvoice(id=inv.id or 0, number=inv.number or "", role=inv.order_role, status=inv.status,
                       issue_date=inv.issue_date, total=inv.total, vat_rows=rows)


def book_instalment(p: OrderInstalment) -> BookInstalment:
    return BookInstalment(seq=p.seq, count=p.count, due_date=p.due_date, amount=p.amount,
                          vat_rows=rows_from_json(p.rows), status=p.status, invoice_id=p.invoice_id)


def make_book(cart: Cart, customer: Customer, lines: list[CartLine], invoices: list[Invoice],
              vat: dict[int, tuple[VatRow, ...]], plan: list[OrderInstalment]) -> OrderBook:
    """The order's billing facts from its rows."""
    return OrderBook(number=cart.number, state=OrderState(cart.order_state), confirmed=cart.status == "confirmed",
                     currency=cart.currency, language=customer.language or "it",
                     lines=tuple(book_line(ln) for ln in lines),
                     invoices=tuple(book_invoice(i, vat.get(i.id or 0, ())) for i in invoices),
                     plan=tuple(book_instalment(p) for p in plan))


@dataclass
class LoadedOrder:
    """An order's rows as loaded in a transaction, with its book; ``book`` is kept in step as invoices are issued."""

    cart: Cart
    customer: Customer
    lines: list[CartLine]
    invoices: list[Invoice]  # kind invoice, linked to the order, oldest first
    plan: list[OrderInstalment]
    vat: dict[int, tuple[VatRow, ...]]  # invoice id -> its VAT rows
    book: OrderBook

    def rebook(self) -> None:
        """Work the book out again from the rows, after they changed in this transaction."""
        self.book = make_book(self.cart, self.customer, self.lines, self.invoices, self.vat, self.plan)

    @property
    def unbilled(self) -> list[CartLine]:
        return [ln for ln in self.lines if ln.invoice_id is None]


def cart_by_number(session: Session, number: int | str, *, lock: bool = False) -> Cart:
    wanted = parse_cart_number(number)
    if wanted is None:
        raise NotFound(f"{number!r} is not an order number; order numbers are digits, e.g. 100042")
    query = select(Cart).where(col(Cart.number) == wanted)
    cart = session.scalars(query.with_for_update() if lock else query).first()
    if cart is None:
        raise NotFound(f"There is no order number {wanted}; check the number in the orders list (F8)")
    return cart


def vat_rows_of(session: Session, invoice_ids: list[int]) -> dict[int, tuple[VatRow, ...]]:
    """Each invoice's VAT rows (highest rate first), in one query."""
    vat: dict[int, tuple[VatRow, ...]] = {}
    if invoice_ids:
        for v in session.scalars(select(InvoiceVat).where(col(InvoiceVat.invoice_id).in_(invoice_ids))
                                 .order_by(col(InvoiceVat.invoice_id), col(InvoiceVat.rate).desc())):
            vat[v.invoice_id] = (*vat.get(v.invoice_id, ()), VatRow(rate=v.rate, taxable=v.taxable, vat=v.vat))
    return vat


def load_order(session: Session, number: int | str, *, lock: bool = False) -> LoadedOrder:
    """The order ``number`` with its lines, invoices and plan; ``lock`` takes the cart's row lock first."""
    cart = cart_by_number(session, number, lock=lock)
    customer = session.get(Customer, cart.customer_id)
    assert customer is not None
    lines = list(session.scalars(select(CartLine).where(col(CartLine.cart_id) == cart.id)
                                 .order_by(col(CartLine.position))))
    invoices = list(session.scalars(select(Invoice).where(col(Invoice.cart_id) == cart.id,
                                                          col(Invoice.kind) == "invoice")
                                    .order_by(col(Invoice.issue_date), col(Invoice.id))))
    vat = vat_rows_of(session, [i.id or 0 for i in invoices])
    plan = list(session.scalars(select(OrderInstalment).where(col(OrderInstalment.cart_id) == cart.id)
                                .order_by(col(OrderInstalment.seq))))
    return LoadedOrder(cart=cart, customer=customer, lines=lines, invoices=invoices, plan=plan, vat=vat,
                       book=make_book(cart, customer, lines, invoices, vat, plan))


def line_lock_reason(position: int, sku: str, invoice_number: str) -> str:
    """Why a billed line cannot be removed (S003.1), and what to do instead."""
    return (f"Line {position} ({sku}) was billed by invoice {invoice_number}, so it is locked. Credit invoice "
            f"{invoice_number} with a credit note if the line was wrong.")


def cancellation_reason(book: OrderBook) -> str | None:
    """Why the order cannot be cancelled, or None (cancelling an order never cancels its invoice: S004.11)."""
    if not book.confirmed:
        return f"Cart {book.number} is not confirmed: there is no order to cancel."
    live = [i for i in book.invoices if i.valid]
    parts = [i.number for i in live if i.role]
    if parts:  # invoices billing an order in parts cannot be cancelled (the others refer to them)
        return (f"Order {book.number} is billed in parts (invoice {', '.join(parts)}), so it cannot be cancelled: "
                "cancelling an order never cancels its invoices. You can correct its invoices with credit notes "
                "(Invoices, F5).")
    if live:
        return (f"The order has invoice {live[0].number}: cancelling an order does not cancel its invoice. "
                f"Cancel invoice {live[0].number} first (Invoices, F5), then the order.")
    return refusal(book.state, OrderAction.CANCEL)


def refresh_totals(order: LoadedOrder) -> None:
    """The cart's totals from its lines (each billed group with its own VAT summary)."""
    rows = order.book.order_rows
    order.cart.net = sum((r.taxable for r in rows), ZERO)
    order.cart.vat = sum((r.vat for r in rows), ZERO)
    order.cart.total = order.cart.net + order.cart.vat


def move(session: Session, ctx: ServiceContext, order: LoadedOrder, action: OrderAction, **changes: object) -> None:
    """Move the order to its state after ``action`` and write the audit log entry."""
    before = order.cart.order_state
    after = next_state(order.book.state, action, invoiced=bool(order.book.invoices))
    order.cart.order_state = after.value
    order.rebook()
    session.add(order.cart)
    audit.record(session, ctx, entity="cart", entity_id=order.cart.id or 0, action=f"order_{action.value}",
                 changes={"order_state": (before, after.value), **{k: (None, v) for k, v in changes.items()}})


__all__ = ["LoadedOrder", "OrderRefused", "cancellation_reason", "load_order", "move", "refresh_totals"]
