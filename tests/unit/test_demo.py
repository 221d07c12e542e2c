"""The demo business: deterministic, valid, covering every customer type and cart state, never over real data."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from billing_tui import demo
from billing_tui.domain.carts import CartStatus, PaymentMethod
from billing_tui.domain.errors import BillingError
from billing_tui.domain.profile import CustomerType, validate_profile
from billing_tui.services import carts, customers, invoices, orders
from billing_tui.services.context import open_context
from billing_tui.services.views import to_json
from billing_tui.storage.shop_models import Cart, CartLine, Customer, Payment, Product
from billing_tui.storage.system_models import AuditEntry

AS_OF = date(2026, 11, 23)


def _carts_json(ctx) -> str:  # type: ignore[no-untyped-def]
    return to_json(carts.list_carts(ctx, carts.CartQuery(limit=1000)))


def _fill(url: str, clock, seed: int, as_of: date = AS_OF, n: int = 120) -> str:  # type: ignore[no-untyped-def]
    ctx = open_context(url, clock=clock, actor="tester")
    try:
        demo.fill_demo(ctx, carts=n, seed=seed, as_of=as_of)
        return _carts_json(ctx) + to_json(customers.list_customers(ctx, limit=1000))
    finally:
        ctx.db.dispose()


def test_same_seed_and_day_give_the_same_business(make_db_url, backend: str, clock) -> None:  # type: ignore[no-untyped-def]
    first = _fill(make_db_url(backend, "a"), clock, seed=3)
    again = _fill(make_db_url(backend, "b"), clock, seed=3)
    other_seed = _fill(make_db_url(backend, "c"), clock, seed=4)
    other_day = _fill(make_db_url(backend, "d"), clock, seed=3, as_of=date(2026, 6, 1))
    assert first == again
    assert other_seed != first
    assert other_day != first


def test_every_demo_customer_has_a_valid_profile(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    rows = customers.list_customers(demo_ctx, limit=1000).rows
    assert len(rows) >= 30
    for row in rows:
        profile = customers.get_customer(demo_ctx, row.id).profile
        clean, errors = validate_profile(profile)
        assert errors == {}, (row.name, errors)
        assert clean == profile, row.name  # stored already normalised


def test_demo_has_every_customer_type_in_italy_and_romania(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    rows = customers.list_customers(demo_ctx, limit=1000).rows
    kinds = {(r.customer_type, r.country) for r in rows}
    for kind in ("company", "person", "pa"):
        assert (kind, "IT") in kinds
    for kind in ("company", "person"):
        assert (kind, "RO") in kinds
    assert {r.customer_type for r in rows} == {t.value for t in CustomerType}
    pa = [customers.get_customer(demo_ctx, r.id).profile for r in rows if r.customer_type == "pa"]
    assert {p["split_payment"] for p in pa} == {True, False}


def test_demo_has_carts_in_every_state_and_both_payment_methods(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    rows = carts.list_carts(demo_ctx, carts.CartQuery(limit=1000)).rows
    assert len(rows) == 400
    assert {r.status for r in rows} == {s.value for s in CartStatus}
    assert {r.payment_method for r in rows} == {m.value for m in PaymentMethod}
    confirmed = [r for r in rows if r.status == "confirmed"]
    assert {r.payment_method for r in confirmed} == {m.value for m in PaymentMethod}
    assert "paid" in {r.payment_state for r in confirmed}
    assert {"to_invoice"} <= {r.invoice_state for r in confirmed}
    assert all(r.invoice_state == "not_due" for r in rows if r.status != "confirmed")
    assert all(r.created_at.date() <= AS_OF for r in rows)
    assert len({r.customer_id for r in rows}) > 20


def _counts(ctx) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return {m.__name__: session.scalar(select(func.count()).select_from(m)) or 0
                for m in (Customer, Product, Cart, CartLine, Payment, AuditEntry)}


def test_filling_a_database_that_has_data_is_refused_and_changes_nothing(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    before = _counts(demo_ctx)
    listing = _carts_json(demo_ctx)
    with pytest.raises(BillingError) as info:
        demo.fill_demo(demo_ctx, carts=10, seed=8, as_of=AS_OF)
    assert "empty" in info.value.message
    assert _counts(demo_ctx) == before
    assert _carts_json(demo_ctx) == listing


def test_a_database_with_only_a_customer_is_not_empty(ctx) -> None:  # type: ignore[no-untyped-def]
    assert demo.is_empty(ctx)
    customers.create_customer(ctx, {
        "customer_type": "company", "name": "Ionescu Soft S.R.L.", "vat_number": "RO18547290",
        "email": "facturi@ionescu.example", "address": "Strada Mihai Eminescu 5", "city": "Cluj-Napoca",
        "country": "RO", "language": "ro",
    })
    assert not demo.is_empty(ctx)
    with pytest.raises(BillingError):
        demo.fill_demo(ctx, carts=5, seed=1, as_of=AS_OF)
    assert _counts(ctx)["Cart"] == 0 and _counts(ctx)["Customer"] == 1


@pytest.mark.parametrize("n", [-1, 5_000_001])
def test_an_impossible_number_of_carts_is_refused(ctx, n: int) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BillingError, match="--carts"):
        demo.fill_demo(ctx, carts=n, seed=1, as_of=AS_OF)
    assert demo.is_empty(ctx)


def test_new_rows_after_the_demo_get_fresh_ids(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    # The demo inserts explicit ids; the database's own id sequence must continue after them.
    detail = customers.create_customer(demo_ctx, {
        "customer_type": "person", "name": "Ana Nouă", "fiscal_code": "1800101221144", "email": "ana@nou.example",
        "address": "Calea Victoriei 1", "city": "București", "country": "RO", "language": "ro",
    })
    assert detail.id > max(r.id for r in customers.list_customers(demo_ctx, limit=1000).rows if r.id != detail.id)


def test_the_demo_with_its_history_has_a_staff_order_in_every_state(ctx) -> None:  # type: ignore[no-untyped-def]
    summary = demo.fill_demo(ctx, carts=40, seed=7, as_of=AS_OF, history=True)
    assert summary.orders == len(demo.STAFF_ORDERS)
    staff = [orders.get_order(ctx, n) for n in range(100_041, 100_041 + summary.orders)]
    assert {o.state for o in staff} == set(orders.ORDER_STATES)
    assert {o.state for o in orders.list_orders(ctx, limit=1000).rows} == set(orders.ORDER_STATES)
    by_state: dict[str, list[orders.OrderDetail]] = {}
    for order in staff:
        by_state.setdefault(order.state, []).append(order)

    (draft,) = by_state["draft"]
    assert draft.lines and not draft.invoices
    (planning,) = by_state["in_planning"]
    (partial_invoice,) = planning.invoices
    assert partial_invoice.role == "partial"
    assert {ln.locked_by for ln in planning.lines} == {partial_invoice.number, None}  # a line added after it
    (progress,) = by_state["in_progress"]
    assert [i.role for i in progress.invoices] == ["advance"] and progress.left_to_bill > 0
    shipped = sorted(by_state["shipped"], key=lambda o: len(o.invoices))
    assert [[i.role for i in o.invoices] for o in shipped] == [[], ["advance"]]
    completed = {tuple(i.role for i in o.invoices): o for o in by_state["completed"]}
    assert set(completed) == {("partial", "final"), ("advance", "final"), ("instalment", "instalment")}
    plan = completed[("instalment", "instalment")].plan
    assert [p.status for p in plan] == ["issued", "issued", "planned", "planned"]
    assert all(p.due_date > AS_OF for p in plan if p.status == "planned")
    assert [p.invoice_number for p in plan[:2]] == [i.number for i in completed[("instalment", "instalment")].invoices]
    (cancelled,) = by_state["cancelled"]
    assert not cancelled.invoices and cancelled.left_to_bill == 0

    # Every invoice is dated at or before the demo's day, its mail delivered, and numbers follow dates.
    order_invoices = [i for o in staff for i in o.invoices]
    assert all(i.issue_date <= AS_OF and i.mail_status == "sent" for i in order_invoices)
    rows = invoices.list_invoices(ctx, kind="invoice", limit=1000).rows
    assert {i.number for i in order_invoices} <= {r.number for r in rows}
    for year in {r.issue_date.year for r in rows}:
        dates = [r.issue_date for r in sorted((r for r in rows if r.issue_date.year == year), key=lambda r: r.number)]
        assert dates == sorted(dates), year


def test_the_demo_without_its_history_has_only_the_generated_carts(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    assert len(carts.list_carts(demo_ctx, carts.CartQuery(limit=1000)).rows) == 400
    assert "in_planning" not in {o.state for o in orders.list_orders(demo_ctx, limit=1000).rows}


def test_the_demo_has_subscriptions_of_both_products_some_renewing_soon(demo_ctx, clock) -> None:  # type: ignore[no-untyped-def]
    from billing_tui.services import subscriptions

    subs = subscriptions.list_subscriptions(demo_ctx, cards=False)
    names = {s.product_name for s in subs}
    assert any(n.startswith("Landing Page") for n in names) and any(n.startswith("Ricezione SMS") for n in names)
    today = clock.now().date()
    soon = [s for s in subs if s.auto_renew and 0 <= (s.next_renewal - today).days <= 7]
    assert len(soon) >= 3
    assert any(not s.auto_renew for s in subs)  # one has its automatic renewal cancelled
    assert {s.period for s in subs} == {"month", "year"}
