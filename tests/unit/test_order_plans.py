"""Property tests of the billing arithmetic, pure: no database, no PDF (S003.1–S003.5).

Hypothesis builds an order (1–6 lines, VAT 22/10/5/4/0 %) as an ``OrderBook`` and then, step by step,
picks one of the actions the book allows now: add a line, a partial invoice, an advance (amount or
percentage), ship, instalments, the final invoice. Each plan is "issued" by adding its invoices to
the book, exactly as the services do after storing them. Whatever the sequence, the order ends
billed exactly once, to the cent per VAT rate (see ``test_orders_properties`` for the same property
through the services and a real database, with fewer examples).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.money import CENT, line_total, vat_summary
from billing_tui.domain.order_plans import (
    BillingPlan,
    BookInstalment,
    BookInvoice,
    BookLine,
    OrderBook,
    PlannedInvoice,
    due_instalment,
    plan_advance,
    plan_final,
    plan_instalments,
    plan_partial,
)
from billing_tui.domain.orders import EVERY, OrderAction, OrderState, next_state

D = Decimal
RATES = ("22", "10", "5", "4", "0")
QUANTITIES = ("1", "2", "3", "5", "0.5", "1.25", "12")
OPERATIONS = ("add_line", "partial", "partial", "advance", "advance", "advance", "ship", "ship",
              "instalments", "instalments", "instalments", "final")
START = date(2026, 1, 5)

line = st.tuples(st.sampled_from(RATES), st.sampled_from(QUANTITIES),
                 st.integers(1, 99_999).map(lambda cents: str(D(cents) * CENT)))


class Ledger:
    """An order's book and the invoices "issued" from its plans, each checked as it is added."""

    def __init__(self, lines: list[tuple[str, str, str]]) -> None:
        self.book = OrderBook(number=100001, state=OrderState.DRAFT, confirmed=True, currency="EUR", language="en",
                              lines=())
        self.day = START
        for values in lines:
            self.add_line(*values)

    def add_line(self, rate: str, qty: str, price: str) -> None:
        position = len(self.book.lines) + 1
        new = BookLine(position=position, sku=f"P{rate}", description=f"Product at {rate}%", quantity=D(qty),
                       unit_price=D(price), vat_rate=D(rate).quantize(CENT), line_total=line_total(D(qty), D(price)))
        self.book = replace(self.book, lines=(*self.book.lines, new),
                            state=next_state(self.book.state, OrderAction.ADD_LINE))

    def issue(self, planned: PlannedInvoice, *, bills: tuple[int, ...] = (), instalment: int | None = None,
              state: str | None = None) -> BookInvoice:
        assert planned.lines, "an invoice needs a line"
        assert planned.total >= 0 and all(r.taxable >= 0 and r.vat >= 0 for r in planned.vat_rows), planned
        assert planned.total == sum((r.taxable + r.vat for r in planned.vat_rows), D(0))
        invoice = BookInvoice(id=len(self.book.invoices) + 1, number=f"T{len(self.book.invoices) + 1:03d}",
                              role=planned.role, status="issued", issue_date=planned.issue_date, total=planned.total,
                              vat_rows=planned.vat_rows)
        self.book = self.book.issued(invoice, bills=bills, instalment=instalment,
                                     state=OrderState(state) if state else None)
        self.notes = getattr(self, "notes", {})
        self.notes[invoice.number] = planned.references
        return invoice

    def issue_plan(self, plan: BillingPlan, *, bills_lines: bool) -> None:
        (planned,) = plan.invoices
        bills = tuple(ln.position for ln in self.book.unbilled) if bills_lines else ()
        self.issue(planned, bills=bills, state=plan.state_after)

    def invariant(self) -> None:
        assert self.book.invoiced + self.book.left_to_bill == self.book.total, self.book
        assert self.book.left_to_bill >= 0


def _step(ledger: Ledger, data: st.DataObject, op: str) -> None:
    book, day = ledger.book, ledger.day
    if op == "add_line":
        ledger.add_line(*data.draw(line, label="new line"))
    elif op == "partial":
        ledger.issue_plan(plan_partial(book, day, day), bills_lines=True)
    elif op == "advance":
        left = book.left_to_bill
        if data.draw(st.booleans(), label="by percent"):
            args = {"amount": None, "percent": str(data.draw(st.integers(1, 100), label="percent"))}
        else:
            args = {"amount": str(D(data.draw(st.integers(1, int(left / CENT)), label="cents")) * CENT),
                    "percent": None}
        try:
            plan = plan_advance(book, day, day, **args)
        except ValidationFailed as exc:  # a percentage of the order can be more than is left
            assert "more than is left" in exc.message or "less than a cent" in exc.message
            return
        assert plan.invoices[0].total <= left and plan.left_after == left - plan.invoices[0].total
        ledger.issue_plan(plan, bills_lines=False)
    elif op == "ship":
        ledger.book = replace(book, state=next_state(book.state, OrderAction.SHIP))
    elif op == "instalments":
        count = data.draw(st.integers(2, 6), label="count")
        every = data.draw(st.sampled_from(list(EVERY)), label="every")
        try:
            plan = plan_instalments(book, day, count, day, every, "schedule")
        except ValidationFailed as exc:
            assert "fewer" in exc.message  # more instalments than cents left
            return
        assert sum(i.total for i in plan.invoices) == book.left_to_bill
        unbilled = tuple(ln.position for ln in book.unbilled)
        ledger.book = replace(book, state=OrderState(plan.state_after), plan=tuple(
            BookInstalment(seq=i.seq or 0, count=i.count or 0, due_date=i.due_date, amount=i.total,
                           vat_rows=i.vat_rows) for i in plan.invoices))
        for planned in plan.invoices:  # the scheduler issues each on its date
            seq = planned.seq or 0
            issued = due_instalment(ledger.book, seq, planned.due_date)
            assert (issued.total, issued.vat_rows) == (planned.total, planned.vat_rows)
            ledger.issue(issued, instalment=seq, bills=unbilled if seq == count else ())
    elif op == "final":
        ledger.issue_plan(plan_final(book, day, day), bills_lines=True)
    ledger.day += timedelta(days=data.draw(st.integers(0, 3), label="days later"))


@settings(max_examples=400, deadline=None)
@given(data=st.data())
def test_any_allowed_sequence_bills_the_order_exactly_once(data: st.DataObject) -> None:
    ledger = Ledger(data.draw(st.lists(line, min_size=1, max_size=6), label="lines"))
    for _ in range(data.draw(st.integers(1, 6), label="steps")):
        if ledger.book.state is OrderState.COMPLETED:
            break
        allowed = [op for op in OPERATIONS if (ledger.book.refusal(OrderAction(op)) is None if op != "add_line"
                                               else ledger.book.refusal(OrderAction.ADD_LINE) is None
                                               and len(ledger.book.lines) < 8)]
        op = data.draw(st.sampled_from(allowed), label="operation")
        event(f"{ledger.book.state} -> {op}")
        _step(ledger, data, op)
        ledger.invariant()
    if ledger.book.state is not OrderState.COMPLETED:
        assert ledger.book.refusal(OrderAction.FINAL) is None
        _step(ledger, data, "final")
    book = ledger.book

    # Completed: every line billed once, and the invoices add up to the order, to the cent.
    assert book.state is OrderState.COMPLETED and book.left_to_bill == 0
    assert all(ln.billed_by for ln in book.lines)
    assert sum(i.total for i in book.invoices) == book.total == book.invoiced

    # The final invoice (the last instalment when billed in instalments) lists every earlier invoice.
    finals = [i for i in book.invoices if i.role == "final"]
    assert len(finals) == 1 and book.invoices[-1] == finals[0]
    notes = "\n".join(ledger.notes[finals[0].number])
    if book.plan:  # the plan's own instalments are listed as "1 to k-1 of this plan"; partials and advances by number
        listed = [i for i in book.invoices[:-1] if i.role in ("partial", "advance")]
    else:
        listed = list(book.invoices[:-1])
    assert all(i.number in notes for i in listed), (notes, book.invoices)

    # Per VAT rate, the invoices add up to the order's billed groups exactly.
    groups: dict[int | None, list[BookLine]] = defaultdict(list)
    for ln in book.lines:
        groups[ln.billed_by].append(ln)
    expected: dict[Decimal, list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    for group in groups.values():
        for row in vat_summary((ln.line_total, ln.vat_rate) for ln in group).vat_rows:
            expected[row.rate][0] += row.taxable
            expected[row.rate][1] += row.vat
    billed: dict[Decimal, list[Decimal]] = defaultdict(lambda: [D(0), D(0)])
    for inv in book.invoices:
        for row in inv.vat_rows:
            billed[row.rate][0] += row.taxable
            billed[row.rate][1] += row.vat
    assert _nonzero(billed) == _nonzero(expected)
    whole = {r.rate: [r.taxable, r.vat] for r in vat_summary((ln.line_total, ln.vat_rate)
                                                             for ln in book.lines).vat_rows}
    if not any(i.role == "partial" for i in book.invoices):
        assert _nonzero(billed) == _nonzero(whole)
    for rate, (_taxable, vat) in expected.items():  # partials only move VAT by rounding, a cent per group
        assert abs(vat - whole[rate][1]) <= CENT * len(groups)


def _nonzero(rows: dict[Decimal, list[Decimal]]) -> dict[Decimal, tuple[Decimal, Decimal]]:
    return {rate: (t, v) for rate, (t, v) in rows.items() if t or v}


def test_a_refused_action_names_the_reason_and_what_to_do_instead() -> None:
    ledger = Ledger([("22", "1", "100.00")])
    ledger.book = replace(ledger.book, state=next_state(ledger.book.state, OrderAction.SHIP))
    reason = ledger.book.refusal(OrderAction.PARTIAL)
    assert reason is not None and "it is shipped" in reason and "You can" in reason
