"""Scheduled instalments with a fixed clock: issued on their dates by ``jobs.runner.run_due``, once each (S003.5)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from billing_tui.domain.clock import FixedClock
from billing_tui.jobs import registry
from billing_tui.jobs.runner import run_due
from billing_tui.services import customers, invoices, orders
from billing_tui.services.context import ServiceContext, open_context
from billing_tui.storage.shop_models import Cart, Customer
from billing_tui.storage.system_models import SellerSettings
from tests.unit.test_orders_service import CUSTOMER, make_shop, new_order, notes_of

JAN_31_2027 = date(2027, 1, 31)
MONTHLY_2027 = (date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30))


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


@pytest.fixture
def instalments_job() -> list[registry.JobSpec]:
    return [registry.get_job("instalments")]


def _planned_order(ctx: ServiceContext, clock: FixedClock, *, made: date, start: date, count: int = 4,
                   every: str = "month", customer_id: int | None = None) -> int:
    """A shipped order (three lines, three VAT rates) whose instalment plan is made on ``made``; its number."""
    clock.set(at(made, 9))
    cid = customer_id if customer_id is not None else make_shop(ctx)
    number = new_order(ctx, cid, ("P22", 3, "33.33"), ("P10", 1, "0.07"), ("P4", 2, None))
    orders.ship_order(ctx, number)
    issued_now = orders.plan_instalments(ctx, number, count=count, start=start, every=every, mode="schedule")
    assert issued_now == (() if start > made else issued_now)
    return number


def _issued(ctx: ServiceContext, number: int) -> dict[int, tuple[str, date]]:
    """Instalment → (invoice number, issue date) of the instalments issued so far."""
    detail = orders.get_order(ctx, number)
    dates = {i.number: i.issue_date for i in detail.invoices}
    return {p.seq: (p.invoice_number, dates[p.invoice_number]) for p in detail.plan if p.invoice_number}


def test_a_monthly_plan_from_31_january_is_issued_on_each_months_last_day(ctx, clock, instalments_job) -> None:  # type: ignore[no-untyped-def]
    number = _planned_order(ctx, clock, made=date(2027, 1, 30), start=JAN_31_2027)
    detail = orders.get_order(ctx, number)
    assert detail.state == "completed" and [p.due_date for p in detail.plan] == list(MONTHLY_2027)
    assert {p.status for p in detail.plan} == {"planned"} and detail.left_to_bill == detail.total
    issued_on: list[date] = []
    day = date(2027, 1, 30)
    while day <= date(2027, 5, 2):
        before = len(_issued(ctx, number))
        (view,) = run_due(ctx, now=at(day), jobs=instalments_job)
        assert view.status == "done", view.result
        if len(_issued(ctx, number)) > before:
            assert len(_issued(ctx, number)) == before + 1, day
            issued_on.append(day)
        day += timedelta(days=1)
    assert issued_on == list(MONTHLY_2027)
    issued = _issued(ctx, number)
    assert [issued[seq][1] for seq in (1, 2, 3, 4)] == list(MONTHLY_2027)  # each dated the day it fell due


def test_in_a_leap_year_the_february_instalment_falls_on_the_29th(ctx, clock, instalments_job) -> None:  # type: ignore[no-untyped-def]
    number = _planned_order(ctx, clock, made=date(2028, 1, 30), start=date(2028, 1, 31), count=2)
    assert [p.due_date for p in orders.get_order(ctx, number).plan] == [date(2028, 1, 31), date(2028, 2, 29)]
    for day, expected in ((date(2028, 1, 31), 1), (date(2028, 2, 28), 1), (date(2028, 2, 29), 2)):
        run_due(ctx, now=at(day), jobs=instalments_job)
        assert len(_issued(ctx, number)) == expected, day
    assert _issued(ctx, number)[2][1] == date(2028, 2, 29)


def test_after_three_months_of_downtime_the_missed_instalments_are_issued_once_each(ctx, clock) -> None:  # type: ignore[no-untyped-def]
    number = _planned_order(ctx, clock, made=date(2027, 1, 30), start=JAN_31_2027)
    views = {v.job: v for v in run_due(ctx, now=at(date(2027, 4, 30)))}  # every job, as `jobs run-due` does
    assert views["instalments"].status == "done" and "issued 4" in (views["instalments"].result or "")
    issued = _issued(ctx, number)
    assert sorted(issued) == [1, 2, 3, 4] and len({n for n, _ in issued.values()}) == 4
    assert {d for _, d in issued.values()} == {date(2027, 4, 30)}  # dated the day they were issued, not before
    detail = orders.get_order(ctx, number)
    assert [i.role for i in detail.invoices] == ["instalment", "instalment", "instalment", "final"]
    assert sum(i.total for i in detail.invoices) == detail.total and detail.left_to_bill == 0
    final = issued[4][0]
    assert all(issued[seq][0] in notes_of(ctx, final) for seq in (1, 2, 3))
    with ctx.db.read() as session:
        states = session.execute(select(Cart.invoice_state, Cart.order_state).where(Cart.number == number)).one()
        assert tuple(states) == ("issued", "completed")
    assert all(ln.locked_by == final for ln in detail.lines)

    again = {v.job: v for v in run_due(ctx, now=at(date(2027, 4, 30)))}  # the same slot: skipped
    assert again["instalments"].status == "skipped"
    later = {v.job: v for v in run_due(ctx, now=at(date(2027, 4, 30), 15))}  # a new slot: nothing left to do
    assert later["instalments"].status == "done" and "issued 0" in (later["instalments"].result or "")
    assert [i.number for i in orders.get_order(ctx, number).invoices] == [i.number for i in detail.invoices]


def test_a_gap_that_ends_before_the_last_date_leaves_it_planned(ctx, clock, instalments_job) -> None:  # type: ignore[no-untyped-def]
    number = _planned_order(ctx, clock, made=date(2027, 1, 30), start=JAN_31_2027)
    run_due(ctx, now=at(date(2027, 4, 29)), jobs=instalments_job)
    assert sorted(_issued(ctx, number)) == [1, 2, 3]
    assert orders.get_order(ctx, number).left_to_bill == orders.get_order(ctx, number).plan[3].amount
    run_due(ctx, now=at(date(2027, 4, 30)), jobs=instalments_job)
    assert sorted(_issued(ctx, number)) == [1, 2, 3, 4]


@pytest.fixture
def second_ctx(db_url: str) -> Iterator[ServiceContext]:
    """Another process on the same database, with its own engine and clock."""
    context = open_context(db_url, clock=FixedClock(at(date(2027, 1, 30))), actor="bob", upgrade=False)
    yield context
    context.db.dispose()


def test_two_processes_running_the_same_slot_issue_each_instalment_once(ctx, clock, second_ctx,  # type: ignore[no-untyped-def]
                                                                        instalments_job) -> None:
    number = _planned_order(ctx, clock, made=date(2027, 1, 30), start=JAN_31_2027)
    moment = at(date(2027, 3, 31))
    results: dict[str, list] = {}  # type: ignore[type-arg]
    start = threading.Barrier(2)

    def run(name: str, context: ServiceContext) -> None:
        start.wait()
        results[name] = run_due(context, now=moment, jobs=instalments_job)

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in (("tester", ctx), ("bob", second_ctx))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(v.status for (v,) in results.values()) == ["done", "skipped"]
    assert sorted(_issued(ctx, number)) == [1, 2, 3]


def test_two_processes_in_different_slots_at_once_issue_each_instalment_once(ctx, clock, second_ctx) -> None:  # type: ignore[no-untyped-def]
    """Not the slot key but the instalment row decides: the job itself is safe to run twice at once."""
    cid = make_shop(ctx)
    numbers = [_planned_order(ctx, clock, made=date(2027, 1, 30), start=JAN_31_2027, customer_id=cid)
               for _ in range(3)]
    runs: dict[str, orders.InstalmentRunResult] = {}
    start = threading.Barrier(2)

    def run(name: str, context: ServiceContext) -> None:
        start.wait()
        runs[name] = orders.issue_due_instalments(context)

    for context in (ctx, second_ctx):
        context.clock = FixedClock(at(date(2027, 3, 31)))
    threads = [threading.Thread(target=run, args=(n, c)) for n, c in (("tester", ctx), ("bob", second_ctx))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    issued = runs["tester"].issued + runs["bob"].issued
    assert len(issued) == len(set(issued)) == 9 and not runs["tester"].refused and not runs["bob"].refused
    for number in numbers:
        assert sorted(_issued(ctx, number)) == [1, 2, 3]


def test_an_instalment_that_cannot_be_issued_waits_with_the_reason_and_the_others_go_out(ctx, clock) -> None:  # type: ignore[no-untyped-def]
    cid = make_shop(ctx)
    other = customers.create_customer(ctx, {**CUSTOMER, "name": "Bianchi S.p.A."}).id
    fine = _planned_order(ctx, clock, made=date(2027, 1, 30), start=JAN_31_2027, customer_id=cid)
    broken = _planned_order(ctx, clock, made=date(2027, 1, 30), start=JAN_31_2027, customer_id=other)
    with ctx.db.write() as session:  # a profile broken by data imported before validation existed
        session.get(Customer, other).email = "broken"
    clock.set(at(date(2027, 2, 28)))
    result = orders.issue_due_instalments(ctx)
    assert len(result.issued) == 2 and sorted(_issued(ctx, fine)) == [1, 2] and _issued(ctx, broken) == {}
    assert [(n, s) for n, s, _ in result.refused] == [(broken, 1)]  # the 2nd waits behind the 1st, unreported
    assert "billing profile" in result.refused[0][2] and "Customers (F3)" in result.refused[0][2]
    with ctx.db.write() as session:
        session.get(Customer, other).email = "fatture@bianchi.example"
    assert len(orders.issue_due_instalments(ctx).issued) == 2 and sorted(_issued(ctx, broken)) == [1, 2]


def test_incomplete_company_data_is_reported_by_the_job_not_a_crash(ctx, clock, instalments_job) -> None:  # type: ignore[no-untyped-def]
    number = _planned_order(ctx, clock, made=date(2027, 1, 30), start=JAN_31_2027)
    with ctx.db.write() as session:
        session.get(SellerSettings, 1).vat_number = ""
    (view,) = run_due(ctx, now=at(date(2027, 2, 1)), jobs=instalments_job)
    assert view.status == "done" and "company data" in (view.result or ""), view.result
    assert _issued(ctx, number) == {}
    assert invoices.list_invoices(ctx).rows == ()


def test_a_run_as_of_a_day_before_the_last_invoice_keeps_dates_following_numbers(ctx, clock, instalments_job) -> None:  # type: ignore[no-untyped-def]
    cid = make_shop(ctx)
    number = _planned_order(ctx, clock, made=date(2027, 1, 30), start=JAN_31_2027, customer_id=cid)
    clock.set(at(date(2027, 3, 1)))
    (partial,) = orders.issue_partial(ctx, new_order(ctx, cid, ("P22", 1, None)))
    (view,) = run_due(ctx, now=at(date(2027, 2, 28)), jobs=instalments_job)  # `jobs run-due --now 2027-02-28`
    assert "waiting" in (view.result or "") and "2027-03-01" in (view.result or ""), view.result
    assert _issued(ctx, number) == {}
    run_due(ctx, now=at(date(2027, 3, 31)), jobs=instalments_job)
    issued = _issued(ctx, number)
    assert sorted(issued) == [1, 2, 3] and all(n > partial for n, _ in issued.values())
