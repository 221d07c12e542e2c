"""Reading orders: one order with everything the order screen shows, and the orders list (S003.3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from billing_tui.domain.carts import parse_cart_number
from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.money import ZERO
from billing_tui.domain.order_plans import OrderBook
from billing_tui.domain.orders import OrderAction
from billing_tui.services.context import ServiceContext
from billing_tui.services.orders.loading import (
    LoadedOrder,
    cancellation_reason,
    line_lock_reason,
    load_order,
    make_book,
    vat_rows_of,
)
from billing_tui.services.orders.views import (
    InstalmentView,
    OrderDetail,
    OrderInvoiceView,
    OrderLineView,
    OrderPage,
    OrderRow,
)
from billing_tui.storage.columns import utc
from billing_tui.storage.document_models import Invoice, OutboxMessage
from billing_tui.storage.search import contains_ci
from billing_tui.storage.shop_models import Cart, CartLine, Customer, OrderInstalment

PAGE_SIZE = 50
ORDER_STATES = ("draft", "in_planning", "in_progress", "shipped", "completed", "cancelled")


def refusals(book: OrderBook) -> dict[str, str | None]:
    """Each action mapped to None (possible now) or the reason it is not."""
    return {a.value: cancellation_reason(book) if a is OrderAction.CANCEL else book.refusal(a) for a in OrderAction}


def _mail_statuses(session: Session, ids: list[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    if ids:
        for inv_id, status in session.execute(select(OutboxMessage.invoice_id, OutboxMessage.status)
                                              .where(col(OutboxMessage.invoice_id).in_(ids))
                                              .order_by(col(OutboxMessage.id))):
            out[inv_id] = status  # the latest message wins
    return out


def order_detail(session: Session, order: LoadedOrder) -> OrderDetail:
    """The order screen's view of a loaded order."""
    book = order.book
    numbers = {i.id: i.number or "" for i in order.invoices}
    mail = _mail_statuses(session, [i.id or 0 for i in order.invoices])
    rows = book.order_rows
    net = sum((r.taxable for r in rows), ZERO)
    vat = sum((r.vat for r in rows), ZERO)
    return OrderDetail(
        number=order.cart.number, customer_id=order.customer.id or 0, customer_name=order.customer.name,
        customer_email=order.customer.email, state=order.cart.order_state,
        created_at=utc(order.cart.created_at),  # type: ignore[arg-type]
        currency=order.cart.currency,
        lines=tuple(OrderLineView(position=ln.position, sku=ln.sku, description=ln.description,
                                  quantity=ln.quantity, unit_price=ln.unit_price, vat_rate=ln.vat_rate,
                                  line_total=ln.line_total,
                                  locked_by=numbers.get(ln.invoice_id) if ln.invoice_id else None,
                                  locked_reason=line_lock_reason(ln.position, ln.sku, numbers.get(ln.invoice_id, "?"))
                                  if ln.invoice_id else None)
                    for ln in order.lines),
        net=net, vat=vat, total=net + vat, invoiced=book.invoiced,
        advanced=sum((i.total for i in book.by_role("advance")), ZERO),
        left_to_bill=book.left_to_bill,
        invoices=tuple(OrderInvoiceView(number=i.number or "", role=i.order_role or "invoice",
                                        issue_date=i.issue_date, total=i.total, status=i.status,
                                        mail_status=mail.get(i.id or 0, "none")) for i in order.invoices),
        plan=tuple(InstalmentView(seq=p.seq, count=p.count, due_date=p.due_date, amount=p.amount, status=p.status,
                                  invoice_number=numbers.get(p.invoice_id) if p.invoice_id else None)
                   for p in order.plan),
        refusals=refusals(book),
    )


def get_order(ctx: ServiceContext, number: int | str) -> OrderDetail:
    """One order with its lines, linked invoices, instalment plan and what is left to bill (S003.3)."""
    with ctx.db.read() as session:
        return order_detail(session, load_order(session, number))


def _books(session: Session, carts: list[tuple[Cart, Customer]]) -> dict[int, OrderBook]:
    """The books of several orders in four queries, whatever their number (no query per order)."""
    ids = [c.id or 0 for c, _ in carts]
    if not ids:
        return {}
    lines: dict[int, list[CartLine]] = {i: [] for i in ids}
    for ln in session.scalars(select(CartLine).where(col(CartLine.cart_id).in_(ids))
                              .order_by(col(CartLine.cart_id), col(CartLine.position))):
        lines[ln.cart_id].append(ln)
    invoices: dict[int, list[Invoice]] = {i: [] for i in ids}
    for inv in session.scalars(select(Invoice).where(col(Invoice.cart_id).in_(ids), col(Invoice.kind) == "invoice")
                               .order_by(col(Invoice.issue_date), col(Invoice.id))):
        invoices[inv.cart_id or 0].append(inv)
    vat = vat_rows_of(session, [i.id or 0 for found in invoices.values() for i in found])
    plans: dict[int, list[OrderInstalment]] = {i: [] for i in ids}
    for p in session.scalars(select(OrderInstalment).where(col(OrderInstalment.cart_id).in_(ids))
                             .order_by(col(OrderInstalment.cart_id), col(OrderInstalment.seq))):
        plans[p.cart_id].append(p)
    return {c.id or 0: make_book(c, customer, lines[c.id or 0], invoices[c.id or 0], vat, plans[c.id or 0])
            for c, customer in carts}


def list_orders(ctx: ServiceContext, *, state: str = "all", search: str = "", offset: int = 0,
                limit: int = PAGE_SIZE) -> OrderPage:
    """Orders (confirmed carts) newest first, by state, searched by number or customer name.

    What is left to bill comes from the cart's total while nothing is invoiced; the orders billed in
    parts on the page are worked out together, in a fixed number of queries.
    """
    if state not in ("all", *ORDER_STATES):
        raise ValidationFailed({"state": f"choose all, {', '.join(ORDER_STATES)}"})
    if not 1 <= limit <= 1000 or offset < 0:
        raise ValidationFailed({"limit": "limit 1-1000, offset 0 or more"})
    stmt = (select(Cart, Customer).join(Customer, col(Customer.id) == col(Cart.customer_id))
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
        page = found[:limit]
        books = _books(session, [(c, u) for c, u in page if c.invoice_state in ("in_parts", "cancelled")])
    rows = []
    for cart, customer in page:
        if cart.order_state == "cancelled":
            left = ZERO
        elif cart.invoice_state in ("not_due", "to_invoice"):
            left = cart.total
        elif cart.id in books:
            left = books[cart.id].left_to_bill
        else:
            left = ZERO
        rows.append(OrderRow(number=cart.number, created_at=utc(cart.created_at),  # type: ignore[arg-type]
                             customer_name=customer.name, state=cart.order_state, total=cart.total,
                             left_to_bill=left, currency=cart.currency))
    return OrderPage(rows=tuple(rows), offset=offset, limit=limit, has_more=len(found) > limit)
