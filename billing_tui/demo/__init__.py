"""The demo business: Italian and Romanian customers of every type, products, carts in every state,
and (with its history) staff-created orders in every order state, billed in parts.

Deterministic: the same seed and the same "as of" day give the same data. Rows are
inserted in bulk so that ``--carts 1000000`` (the benchmark) takes seconds, not hours.
"""


import random
from dataclasses import replace
from datetime import UTC, date, datetime, time

from sqlalchemy import func, insert, select, text

from billing_tui.demo.history import STAFF_ORDERS, StaffOrders, create_subscriptions, replay_history
from billing_tui.demo.people import (
    BATCH,
    FIRST_CART_NUMBER,
    HISTORY_MAX_CARTS,
    PRODUCTS,
    SELLER,
    D,
    DemoSummary,
    demo_carts,
    demo_customers,
    ean13,
)
from billing_tui.domain.clock import FixedClock
from billing_tui.domain.errors import BillingError
from billing_tui.services.context import ServiceContext
from billing_tui.storage.shop_models import Cart, CartLine, Customer, Payment, Product
from billing_tui.storage.system_models import SellerSettings

__all__ = ["FIRST_CART_NUMBER", "HISTORY_MAX_CARTS", "PRODUCTS", "SELLER", "STAFF_ORDERS", "DemoSummary",
           "fill_demo", "is_empty", "subscription_customers"]


def is_empty(ctx: ServiceContext) -> bool:
    """True when the database holds no customers and no carts."""
    with ctx.db.read() as session:
        return not session.scalar(select(func.count()).select_from(Customer)) and not session.scalar(
            select(func.count()).select_from(Cart)
        )


def fill_demo(ctx: ServiceContext, *, carts: int = 400, seed: int = 7, as_of: date | None = None,
              progress: object = None, history: bool = False) -> DemoSummary:
    """Fill an empty database with the demo business; refuses a database that already has data.

    With ``history``, the past is replayed through the real services: paid carts get their
    invoices on the day after payment (within 72 hours, S000.2), a few are cancelled or
    credited, and their mail is delivered, so every invoice screen has something to show;
    and staff create orders for customers over the last weeks and bill them in parts, leaving
    one in every order state (see ``STAFF_ORDERS``), so each billing wizard can be tried at once.
    Without it the demo holds exactly ``carts`` carts, as generated.
    """
    if carts < 0 or carts > 5_000_000:
        raise BillingError("--carts must be between 0 and 5000000")
    if not is_empty(ctx):
        raise BillingError(
            f"{ctx.db.label} already has customers or carts; the demo only fills an empty database "
            "(use --db with a new file)"
        )
    day = as_of or ctx.clock.now().date()
    now = datetime.combine(day, time(18, 0), tzinfo=UTC)
    rng = random.Random(seed)
    customer_rows = demo_customers(rng, now)
    product_rows = [
        {"id": i + 1, "sku": sku, "barcode": ean13(bar) if bar else None, "name": name,
         "unit_price": D(price), "vat_rate": D(rate), "stock": stock, "is_service": stock is None}
        for i, (sku, bar, name, price, rate, stock) in enumerate(PRODUCTS)
    ]
    n_lines = n_payments = 0
    with ctx.db.write() as session:
        session.merge(SellerSettings(id=1, **SELLER, updated_at=now))
        for i, row in enumerate(customer_rows):
            row["id"] = i + 1
        session.execute(insert(Customer), customer_rows)
        session.execute(insert(Product), product_rows)
        customer_ids = [int(r["id"]) for r in customer_rows]  # type: ignore[call-overload]
        cart_batch: list[dict] = []
        line_batch: list[dict] = []
        pay_batch: list[dict] = []

        # Core inserts: one executemany per table and batch. The ORM's bulk insert starts a
        # new statement wherever a row's non-NULL columns differ from the previous row's
        # (paid_at, credited_at come and go), which made about half the carts and payments
        # a statement each.
        conn = session.connection()

        def flush() -> None:
            if cart_batch:
                conn.execute(insert(Cart.__table__), cart_batch)
            if line_batch:
                conn.execute(insert(CartLine.__table__), line_batch)
            if pay_batch:
                conn.execute(insert(Payment.__table__), pay_batch)
            cart_batch.clear()
            line_batch.clear()
            pay_batch.clear()

        for cart, lines, payments in demo_carts(rng, carts, now, customer_ids, product_rows, 1):
            cart_batch.append(cart)
            line_batch.extend(lines)
            pay_batch.extend(payments)
            n_lines += len(lines)
            n_payments += len(payments)
            if len(cart_batch) >= BATCH:
                flush()
                if callable(progress):
                    progress(cart["id"], carts)
        flush()
        if ctx.db.backend == "postgresql":
            for table in ("customer", "product", "cart", "cart_line", "payment"):
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ))
    n_subscriptions = create_subscriptions(replace(ctx, clock=FixedClock(now)), day, customer_ids)
    issued = n_orders = 0
    if history:
        staff = StaffOrders(now, {str(r["name"]): int(r["id"]) for r in customer_rows})  # type: ignore[call-overload]
        issued = replay_history(ctx, now, random.Random(seed + 1), staff.steps) + len(staff.invoices)
        n_orders = len(staff.numbers)
    return DemoSummary(customers=len(customer_rows), products=len(product_rows), carts=carts,
                       lines=n_lines, payments=n_payments, seed=seed, as_of=day, invoices=issued, orders=n_orders,
                       subscriptions=n_subscriptions)


def subscription_customers(ctx: ServiceContext) -> list[int]:
    """The customers with demo subscriptions (the ones to create on Stripe with test cards)."""
    from billing_tui.services import subscriptions

    return sorted({s.customer_id for s in subscriptions.list_subscriptions(ctx, cards=False)})
