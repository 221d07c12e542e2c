"""Property tests through the services and a real database: what is issued is what the preview showed (S003).

The arithmetic itself is checked on many more examples, with no database, in ``test_order_plans``;
this test keeps a few examples end to end: numbers, stored rows, PDFs, the instalments job.

Hypothesis builds an order (1–6 lines, VAT 22/10/5/4/0 %) and then, step by step, picks one of the
operations that ``get_order(...).refusals`` says are possible now: add a line, a partial invoice, an
advance (amount or percentage), ship, instalments (issued now, or scheduled and issued by running the
job on their dates), the final invoice. The clock only moves forward, so every example reuses the one
database of the test (one order per example) and invoice dates follow their numbers.

About VAT: each partial invoice bills its own lines with its own VAT summary, rounded per rate once per
invoice (FatturaPA). So once partials exist, an order's VAT is the sum of its billed groups' summaries,
which can differ by a cent per rate and group from one summary of all its lines. What holds, and is
checked: per rate, the invoices' taxable and VAT add up exactly to the order's groups (each partial's
lines, and the lines billed by the final invoice or the instalments); with no partial invoice that is
the one summary of all the lines; and the order's total (``get_order().total``) is that sum.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.money import CENT, vat_summary
from billing_tui.domain.orders import EVERY
from billing_tui.jobs import registry
from billing_tui.jobs.runner import run_due
from billing_tui.services import invoices, orders
from billing_tui.services.context import ServiceContext
from tests.unit.test_orders_service import RATES, make_shop, snapshot

D = Decimal
#: Each operation, repeated by its weight: the final invoice ends an example, so it is drawn less often.
OPERATIONS = ("add_line", "partial", "partial", "advance", "advance", "advance", "ship", "ship",
              "instalments", "instalments", "instalments", "final")
QUANTITIES = ("1", "2", "3", "5", "0.5", "1.25", "12")

line = st.tuples(st.sampled_from(RATES), st.sampled_from(QUANTITIES),
                 st.integers(1, 99_999).map(lambda cents: str(D(cents) * CENT)))


@pytest.fixture
def shop(ctx: ServiceContext) -> int:
    return make_shop(ctx)


class Check:
    """An order under test: what was billed so far, checked after every step."""

    def __init__(self, ctx: ServiceContext, number: int) -> None:
        self.ctx, self.number = ctx, number
        self.locked: dict[int, str] = {}  # line position -> the invoice that billed it, never to change

    def detail(self) -> orders.OrderDetail:
        detail = orders.get_order(self.ctx, self.number)
        for ln in detail.lines:
            if ln.position in self.locked:
                assert ln.locked_by == self.locked[ln.position], f"line {ln.position} billed twice"
            elif ln.locked_by:
                self.locked[ln.position] = ln.locked_by
        assert all(i.total >= 0 for i in detail.invoices), detail.invoices
        assert detail.invoiced + detail.left_to_bill == detail.total, detail
        assert detail.left_to_bill >= 0
        return detail

    def stored(self, number: str) -> invoices.InvoiceDetail:
        doc = invoices.get_invoice(self.ctx, number)
        assert all(r.taxable >= 0 and r.vat >= 0 for r in doc.document.vat_rows), doc.document.vat_rows
        assert doc.document.lines, f"invoice {number} has no lines"
        return doc

    def same_as_preview(self, plan: orders.BillingPlan, numbers: tuple[str, ...]) -> None:
        """The issue_* function created exactly the invoices its preview showed."""
        assert len(numbers) == len(plan.invoices)
        for planned, number in zip(plan.invoices, numbers, strict=True):
            doc = self.stored(number).document
            assert (doc.total, doc.vat_rows) == (planned.total, planned.vat_rows)
            assert [ln.line_total for ln in doc.lines] == [ln.line_total for ln in planned.lines]


def _next_slot(clock, day: date | None = None) -> datetime:  # type: ignore[no-untyped-def]
    """Move the clock at least an hour on (a new slot of the hourly job), to ``day`` if that is later."""
    moment = clock.now() + timedelta(hours=1)
    if day is not None:
        moment = max(moment, datetime.combine(day, time(8), tzinfo=UTC))
    clock.set(moment)
    return moment


def _step(check: Check, clock, data, op: str) -> None:  # type: ignore[no-untyped-def]
    ctx, n = check.ctx, check.number
    if op == "add_line":
        rate, qty, price = data.draw(line, label="new line")
        orders.add_line(ctx, n, sku=f"P{rate}", quantity=qty, price=price)
    elif op == "partial":
        plan = orders.preview_partial(ctx, n)
        check.same_as_preview(plan, orders.issue_partial(ctx, n))
    elif op == "advance":
        left = orders.get_order(ctx, n).left_to_bill
        if data.draw(st.booleans(), label="by percent"):
            args = {"percent": str(data.draw(st.integers(1, 100), label="percent"))}
        else:
            args = {"amount": str(D(data.draw(st.integers(1, int(left / CENT)), label="cents")) * CENT)}
        try:
            plan = orders.preview_advance(ctx, n, **args)
        except ValidationFailed as exc:  # a percentage of the order can be more than is left
            assert "more than is left" in exc.message or "less than a cent" in exc.message
            before = snapshot(ctx, n)
            with pytest.raises(ValidationFailed):
                orders.issue_advance(ctx, n, **args)
            assert snapshot(ctx, n) == before
            return
        assert plan.invoices[0].total <= left
        check.same_as_preview(plan, orders.issue_advance(ctx, n, **args))
    elif op == "ship":
        orders.ship_order(ctx, n)
    elif op == "instalments":
        count = data.draw(st.integers(2, 4), label="count")
        today = clock.now().date()
        if data.draw(st.booleans(), label="now"):
            args = {"count": count, "start": today, "every": data.draw(st.sampled_from(list(EVERY))),
                    "mode": "now"}
        else:
            start = today + timedelta(days=data.draw(st.integers(0, 10), label="start in days"))
            args = {"count": count, "start": start, "mode": "schedule",
                    "every": data.draw(st.sampled_from(["week", "2weeks", "month", "quarter"]), label="every")}
        try:
            plan = orders.preview_instalments(ctx, n, **args)
        except ValidationFailed as exc:
            assert "fewer" in exc.message  # more instalments than cents left
            return
        assert sum(i.total for i in plan.invoices) == orders.get_order(ctx, n).left_to_bill
        issued = orders.plan_instalments(ctx, n, **args)
        if args["mode"] == "now":
            check.same_as_preview(plan, issued)
        job = [registry.get_job("instalments")]
        while planned := [p for p in check.detail().plan if p.status == "planned"]:
            (view,) = run_due(ctx, now=_next_slot(clock, planned[0].due_date), jobs=job)
            assert view.status == "done" and "waiting" not in (view.result or ""), view.result
        amounts = [p.amount for p in check.detail().plan]
        assert amounts == [i.total for i in plan.invoices]
        assert [_stored_total(check, p.invoice_number) for p in check.detail().plan] == amounts
    elif op == "final":
        plan = orders.preview_final(ctx, n)
        check.same_as_preview(plan, orders.issue_final(ctx, n))


def _stored_total(check: Check, number: str | None) -> Decimal:
    assert number is not None
    return check.stored(number).document.total


@settings(max_examples=12, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_any_allowed_sequence_bills_the_order_exactly_once(ctx, clock, shop, data) -> None:  # type: ignore[no-untyped-def]
    lines = data.draw(st.lists(line, min_size=1, max_size=6), label="lines")
    number = orders.create_order(ctx, customer_id=shop).number
    for rate, qty, price in lines:
        orders.add_line(ctx, number, sku=f"P{rate}", quantity=qty, price=price)
    check = Check(ctx, number)
    for _ in range(data.draw(st.integers(1, 6), label="steps")):
        detail = check.detail()
        if detail.state == "completed":
            break
        allowed = [op for op in OPERATIONS if detail.refusals[op] is None
                   and not (op == "add_line" and len(detail.lines) >= 8)]
        op = data.draw(st.sampled_from(allowed), label="operation")
        event(f"{detail.state} -> {op}")
        _step(check, clock, data, op)
        _next_slot(clock, clock.now().date() + timedelta(days=data.draw(st.integers(0, 3), label="days later")))
    detail = check.detail()
    if detail.state != "completed":
        assert detail.refusals["final"] is None, detail.refusals["final"]
        _step(check, clock, data, "final")
        detail = check.detail()

    # Completed: every line billed once, and the invoices add up to the order, to the cent.
    assert detail.state == "completed" and detail.left_to_bill == 0
    assert all(ln.locked_by for ln in detail.lines)
    docs = {i.number: check.stored(i.number).document for i in detail.invoices}
    assert sum(d.total for d in docs.values()) == detail.total == detail.invoiced
    assert all(d.total >= 0 for d in docs.values())

    # The final invoice (the last instalment when billed in instalments) lists every earlier invoice.
    finals = [i.number for i in detail.invoices if i.role == "final"]
    assert len(finals) == 1 and detail.invoices[-1].number == finals[0]
    notes = "\n".join(docs[finals[0]].notes)
    assert all(i.number in notes for i in detail.invoices[:-1]), (notes, detail.invoices)

    # Per VAT rate, the invoices add up to the order's billed groups exactly (see the module docstring).
    groups: dict[str, list[orders.OrderLineView]] = defaultdict(list)
    for ln in detail.lines:
        groups[ln.locked_by or ""].append(ln)
    expected: dict[Decimal, list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    for group in groups.values():
        for row in vat_summary((ln.line_total, ln.vat_rate) for ln in group).vat_rows:
            expected[row.rate][0] += row.taxable
            expected[row.rate][1] += row.vat
    billed: dict[Decimal, list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    for doc in docs.values():
        for row in doc.vat_rows:
            billed[row.rate][0] += row.taxable
            billed[row.rate][1] += row.vat
    assert _nonzero(billed) == _nonzero(expected)
    assert detail.net == sum(t for t, _ in expected.values()) and detail.vat == sum(v for _, v in expected.values())
    whole = {r.rate: [r.taxable, r.vat] for r in vat_summary((ln.line_total, ln.vat_rate)
                                                             for ln in detail.lines).vat_rows}
    if not any(i.role == "partial" for i in detail.invoices):
        assert _nonzero(billed) == _nonzero(whole)
    for rate, (_taxable, vat) in expected.items():  # partials only move VAT by rounding, a cent per group
        assert abs(vat - whole[rate][1]) <= CENT * len(groups)


def _nonzero(rows: dict[Decimal, list[Decimal]]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    return {rate: (t, v) for rate, (t, v) in rows.items() if t or v}

