"""Billing orders in parts through the services, on every backend: refusals, wizard inputs, what is issued (S003).

Every refused action and every refused input is checked twice: the message a support person reads,
and that nothing changed (invoices, queued mail, number ranges, the order's state, lines and plan).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from billing_tui.demo import SELLER
from billing_tui.domain.errors import BillingError, NotFound, ValidationFailed
from billing_tui.domain.orders import split_evenly
from billing_tui.services import company, customers, invoices, mail, orders
from billing_tui.services.context import ServiceContext
from billing_tui.services.invoices import InvoiceRefused
from billing_tui.services.orders import OrderRefused
from billing_tui.storage.document_models import Invoice, NumberRange, OutboxMessage
from billing_tui.storage.shop_models import Cart, CartLine, OrderInstalment, Product

D = Decimal
TODAY = date(2026, 11, 23)  # the conftest clock
CUSTOMER = {
    "customer_type": "company", "name": "Rossi Arredamenti S.r.l.", "vat_number": "00743110157",
    "sdi_code": "ABC1234", "email": "fatture@rossi.example", "address": "Via Roma 1", "city": "Torino",
    "country": "IT", "language": "en",
}
RATES = ("22", "10", "5", "4", "0")


# --- helpers shared with the other order tests -------------------------------------------------------


def make_shop(ctx: ServiceContext) -> int:
    """The company data, one customer and a product per VAT rate (P22 … P0 at 10.00); the customer's id."""
    company.update_company(ctx, SELLER)
    customer_id = customers.create_customer(ctx, CUSTOMER).id
    with ctx.db.write() as session:
        for rate in RATES:
            session.add(Product(sku=f"P{rate}", name=f"Product at {rate}%", unit_price=D("10.00"), vat_rate=D(rate)))
    return customer_id


def new_order(ctx: ServiceContext, customer_id: int, *lines: tuple[str, int | str, str | None]) -> int:
    """A draft order with ``(sku, quantity, price)`` lines; its number."""
    number = orders.create_order(ctx, customer_id=customer_id).number
    for sku, qty, price in lines:
        orders.add_line(ctx, number, sku=sku, quantity=qty, price=price)
    return number


def paid_cart(ctx: ServiceContext, customer_id: int) -> int:
    """A cart paid by card and waiting for the automatic invoicing (one line at 22%); its number."""
    now = ctx.clock.now()
    with ctx.db.write() as session:
        number = (session.scalar(select(func.max(Cart.number))) or 100000) + 1
        cart = Cart(number=number, created_at=now - timedelta(hours=2), customer_id=customer_id, status="confirmed",
                    payment_method="card", payment_state="paid", order_state="draft", invoice_state="to_invoice",
                    net=D("20.00"), vat=D("4.40"), total=D("24.40"), paid_at=now - timedelta(hours=1))
        session.add(cart)
        session.flush()
        session.add(CartLine(cart_id=cart.id, position=1, sku="P22", description="Product at 22%",
                             quantity=D("2.000"), unit_price=D("10.00"), vat_rate=D("22"), line_total=D("20.00")))
    return number


def snapshot(ctx: ServiceContext, number: int) -> tuple[object, ...]:
    """Everything an action could change: documents, mail, number ranges, and the order as the screen shows it."""
    with ctx.db.read() as session:
        counts = tuple(session.scalar(select(func.count()).select_from(m)) for m in (Invoice, OutboxMessage,
                                                                                    OrderInstalment, CartLine))
        ranges = tuple(session.execute(select(NumberRange.year, NumberRange.kind, NumberRange.last_number)
                                       .order_by(NumberRange.year, NumberRange.kind)).all())
        cart = tuple(session.execute(select(Cart.order_state, Cart.invoice_state, Cart.net, Cart.vat, Cart.total)
                                     .where(Cart.number == number)).one())
    detail = orders.get_order(ctx, number)
    return counts, ranges, cart, detail


def refused(ctx: ServiceContext, number: int, call: Callable[[], object], error: type[BillingError],
            *fragments: str) -> BillingError:
    """Run ``call``, expecting ``error`` whose message holds every fragment, and check that nothing changed."""
    before = snapshot(ctx, number)
    with pytest.raises(error) as raised:
        call()
    message = raised.value.message
    for fragment in fragments:
        assert fragment in message, message
    assert snapshot(ctx, number) == before
    return raised.value


def notes_of(ctx: ServiceContext, number: str) -> str:
    """The notes printed on a stored invoice, one string."""
    return "\n".join(invoices.get_invoice(ctx, number).document.notes)


def send_all(ctx: ServiceContext, tmp_path: Path) -> None:
    mail.relay_outbox(ctx, mailer=mail.mailer_for(ctx, eml_folder=tmp_path / "eml"))


@pytest.fixture
def shop(ctx: ServiceContext) -> int:
    """The customer's id in a database with the company data and products filled in."""
    return make_shop(ctx)


ACTIONS: dict[str, Callable[[ServiceContext, int], object]] = {
    "add_line": lambda ctx, n: orders.add_line(ctx, n, sku="P10", quantity=1),
    "remove_line": lambda ctx, n: orders.remove_line(ctx, n, orders.get_order(ctx, n).lines[-1].position),
    "partial": lambda ctx, n: orders.issue_partial(ctx, n),
    "advance": lambda ctx, n: orders.issue_advance(ctx, n, amount="1.00"),
    "ship": lambda ctx, n: orders.ship_order(ctx, n),
    "instalments": lambda ctx, n: orders.plan_instalments(ctx, n, count=2, start=TODAY, every="month", mode="now"),
    "final": lambda ctx, n: orders.issue_final(ctx, n),
    "cancel": lambda ctx, n: orders.cancel_order(ctx, n),
}
PREVIEWS: dict[str, Callable[[ServiceContext, int], object]] = {
    "partial": lambda ctx, n: orders.preview_partial(ctx, n),
    "advance": lambda ctx, n: orders.preview_advance(ctx, n, amount="1.00"),
    "instalments": lambda ctx, n: orders.preview_instalments(ctx, n, count=2, start=TODAY, every="month"),
    "final": lambda ctx, n: orders.preview_final(ctx, n),
}


def _order_in(ctx: ServiceContext, customer_id: int, state: str) -> int:
    number = new_order(ctx, customer_id, ("P22", 2, None), ("P10", 1, None))
    if state == "in_planning":
        orders.issue_partial(ctx, number)
    elif state == "in_progress":
        orders.issue_advance(ctx, number, percent="30")
    elif state == "shipped":
        orders.ship_order(ctx, number)
    elif state == "completed":
        orders.issue_final(ctx, number)
    elif state == "cancelled":
        orders.cancel_order(ctx, number)
    assert orders.get_order(ctx, number).state == state
    return number


REFUSED = {
    "draft": {"instalments"},
    "in_planning": {"partial", "advance", "instalments", "cancel"},  # partial: every line is billed already
    "in_progress": {"add_line", "remove_line", "partial", "instalments", "cancel"},
    "shipped": {"add_line", "remove_line", "partial", "advance", "ship"},
    "completed": set(ACTIONS),
    "cancelled": set(ACTIONS),
}


@pytest.mark.parametrize("state", list(REFUSED))
def test_every_refused_action_says_what_to_do_instead_and_changes_nothing(ctx, shop, state) -> None:  # type: ignore[no-untyped-def]
    number = _order_in(ctx, shop, state)
    refusals = orders.get_order(ctx, number).refusals
    assert {a for a, why in refusals.items() if why} == REFUSED[state]
    for action in sorted(REFUSED[state]):
        error = refused(ctx, number, lambda a=action: ACTIONS[a](ctx, number), OrderRefused)  # type: ignore[misc]
        assert error.message == refusals[action]
        assert any(hint in error.message for hint in ("You can ", "credit note", "add a line")), error.message
        if action in PREVIEWS:  # the wizard's review step is refused with the same words
            refused(ctx, number, lambda a=action: PREVIEWS[a](ctx, number), OrderRefused, error.message)  # type: ignore[misc]


def test_every_allowed_action_is_possible(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    for state, refused_actions in REFUSED.items():
        for action in set(ACTIONS) - refused_actions:
            number = _order_in(ctx, shop, state)
            if action == "remove_line" and state == "in_planning":  # its lines are billed: add one to remove
                orders.add_line(ctx, number, sku="P5", quantity=1)
            ACTIONS[action](ctx, number)


def test_an_order_billed_in_parts_cannot_be_cancelled_and_says_credit_note(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = _order_in(ctx, shop, "in_planning")
    partial = orders.get_order(ctx, number).invoices[0].number
    error = refused(ctx, number, lambda: orders.cancel_order(ctx, number), OrderRefused, partial, "credit note")
    assert f"Cancel invoice {partial} first" not in error.message  # it cannot be cancelled: no circular advice
    with pytest.raises(InvoiceRefused, match="credit note instead"):
        invoices.cancel_invoice(ctx, partial)
    assert "credit note" in (invoices.get_invoice(ctx, partial).can_cancel or "")
    note = invoices.credit_note(ctx, partial, "1.00", reason="Scratched")
    assert note.kind == "credit_note" and note.document.refers_to == partial


# --- the inputs of the wizards ---------------------------------------------------------------------------


INPUTS: list[tuple[str, str, Callable[[ServiceContext, int], object], str, str]] = [
    # (order state, test id, call, field, words of the message)
    ("draft", "date-future", lambda c, n: orders.issue_partial(c, n, on="2026-11-24"), "date", "future"),
    ("draft", "date-not-a-date", lambda c, n: orders.issue_partial(c, n, on="23/11/2026"), "date", "YYYY-MM-DD"),
    ("draft", "due-before-date", lambda c, n: orders.issue_partial(c, n, on="2026-11-20", due="2026-11-19"),
     "due", "before the invoice date"),
    ("draft", "due-not-a-date", lambda c, n: orders.issue_final(c, n, due="soon"), "due", "YYYY-MM-DD"),
    ("draft", "due-years-later", lambda c, n: orders.issue_partial(c, n, due="2028-01-01"), "due", "year"),
    ("draft", "amount-zero", lambda c, n: orders.issue_advance(c, n, amount="0"), "amount", "more than 0"),
    ("draft", "amount-negative", lambda c, n: orders.issue_advance(c, n, amount="-5"), "amount", "more than 0"),
    ("draft", "amount-not-a-number", lambda c, n: orders.issue_advance(c, n, amount="lots"), "amount", "number"),
    ("draft", "amount-more-than-left", lambda c, n: orders.issue_advance(c, n, amount="1000"), "amount",
     "more than is left to bill"),
    ("draft", "percent-over-100", lambda c, n: orders.issue_advance(c, n, percent="101"), "percent", "at most 100"),
    ("draft", "percent-zero", lambda c, n: orders.issue_advance(c, n, percent="0"), "percent", "more than 0"),
    ("draft", "amount-and-percent", lambda c, n: orders.issue_advance(c, n, amount="5", percent="10"), "amount",
     "one of the two"),
    ("draft", "neither-amount-nor-percent", lambda c, n: orders.issue_advance(c, n), "amount", "one of the two"),
    ("draft", "advance-date-future", lambda c, n: orders.issue_advance(c, n, amount="5", on=TODAY + timedelta(1)),
     "date", "future"),
    ("shipped", "count-0", lambda c, n: orders.plan_instalments(c, n, count=0, start=TODAY, every="month"),
     "count", "2 to 60"),
    ("shipped", "count-1", lambda c, n: orders.plan_instalments(c, n, count=1, start=TODAY, every="month"),
     "count", "2 to 60"),
    ("shipped", "count-61", lambda c, n: orders.plan_instalments(c, n, count=61, start=TODAY, every="month"),
     "count", "2 to 60"),
    ("shipped", "count-x", lambda c, n: orders.plan_instalments(c, n, count="x", start=TODAY, every="month"),
     "count", "2 to 60"),
    ("shipped", "unknown-frequency", lambda c, n: orders.plan_instalments(c, n, count=3, start=TODAY,
                                                                          every="fortnight"), "every", "month"),
    ("shipped", "start-in-the-past", lambda c, n: orders.plan_instalments(c, n, count=3, start="2026-11-22",
                                                                          every="month"), "start", "today"),
    ("shipped", "start-not-a-date", lambda c, n: orders.plan_instalments(c, n, count=3, start="next week",
                                                                         every="month"), "start", "YYYY-MM-DD"),
    ("shipped", "mode-later", lambda c, n: orders.plan_instalments(c, n, count=3, start=TODAY, every="month",
                                                                   mode="later"), "mode", "schedule"),
    ("shipped", "more-instalments-than-cents", lambda c, n: orders.plan_instalments(
        c, n, count=60, start=TODAY, every="week", mode="now"), "count", "fewer"),
    ("draft", "unknown-sku", lambda c, n: orders.add_line(c, n, sku="NOPE", quantity=1), "sku", "NOPE"),
    ("draft", "quantity-0", lambda c, n: orders.add_line(c, n, sku="P22", quantity=0), "quantity", "more than 0"),
    ("draft", "quantity-not-a-number", lambda c, n: orders.add_line(c, n, sku="P22", quantity="two"), "quantity",
     "number"),
    ("draft", "price-negative", lambda c, n: orders.add_line(c, n, sku="P22", quantity=1, price="-1"), "price",
     "0 or more"),
]


@pytest.mark.parametrize(("state", "call", "field", "words"), [(s, c, f, w) for s, _, c, f, w in INPUTS],
                         ids=[i for _, i, *_ in INPUTS])
def test_every_invalid_input_names_the_field_and_changes_nothing(ctx, shop, state, call, field, words) -> None:  # type: ignore[no-untyped-def]
    if words == "fewer":
        number = new_order(ctx, shop, ("P22", 1, "0.40"))  # 0.49 to bill: not a cent for each of 60
        orders.ship_order(ctx, number)
    else:
        number = _order_in(ctx, shop, state)
    error = refused(ctx, number, lambda: call(ctx, number), ValidationFailed, words)
    assert field in error.errors, error.errors  # type: ignore[attr-defined]


def test_a_date_before_the_last_invoice_of_the_year_is_refused(ctx, shop, clock) -> None:  # type: ignore[no-untyped-def]
    first, second = (_order_in(ctx, shop, "draft") for _ in range(2))
    orders.issue_partial(ctx, first, on=TODAY)
    error = refused(ctx, second, lambda: orders.issue_partial(ctx, second, on="2026-11-20"), ValidationFailed,
                    str(TODAY))
    assert "date" in error.errors  # type: ignore[attr-defined]


def test_unknown_orders_and_lines_are_not_found(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = _order_in(ctx, shop, "draft")
    with pytest.raises(NotFound, match="no order number 999999"):
        orders.get_order(ctx, 999999)
    with pytest.raises(NotFound, match="not an order number"):
        orders.issue_final(ctx, "abc")
    refused(ctx, number, lambda: orders.remove_line(ctx, number, 9), NotFound, "no line 9")


# --- locked lines ---------------------------------------------------------------------------------------


def test_a_line_billed_by_a_partial_is_locked_and_names_its_invoice(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = new_order(ctx, shop, ("P22", 2, None))
    (partial,) = orders.issue_partial(ctx, number, on=TODAY, due="2026-12-23")
    orders.add_line(ctx, number, sku="P4", quantity=3)
    detail = orders.get_order(ctx, number)
    assert detail.state == "in_planning"
    assert [(ln.position, ln.locked_by) for ln in detail.lines] == [(1, partial), (2, None)]
    refused(ctx, number, lambda: orders.remove_line(ctx, number, 1), OrderRefused, f"invoice {partial}", "locked")
    orders.remove_line(ctx, number, 2)  # not billed yet: it can go
    assert [ln.position for ln in orders.get_order(ctx, number).lines] == [1]
    stored = invoices.get_invoice(ctx, partial).document
    assert stored.due_date == date(2026, 12, 23) and [ln.sku for ln in stored.lines] == ["P22"]


def test_the_next_partial_bills_only_the_new_lines(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = new_order(ctx, shop, ("P22", 1, None))
    first = orders.issue_partial(ctx, number)[0]
    orders.add_line(ctx, number, sku="P10", quantity=2)
    plan = orders.preview_partial(ctx, number)
    assert [ln.sku for ln in plan.invoices[0].lines] == ["P10"] and plan.invoices[0].total == D("22.00")
    second = orders.issue_partial(ctx, number)[0]
    assert [ln.locked_by for ln in orders.get_order(ctx, number).lines] == [first, second]
    refused(ctx, number, lambda: orders.issue_partial(ctx, number), OrderRefused, "add a line")


# --- what the invoices say ------------------------------------------------------------------------------


def test_final_after_advances_covering_everything_is_zero_never_negative(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = new_order(ctx, shop, ("P22", 1, "10.01"), ("P4", 3, "0.33"), ("P0", 1, "5.00"))
    total = orders.get_order(ctx, number).total
    first = orders.issue_advance(ctx, number, percent="33.3")[0]
    left = orders.get_order(ctx, number).left_to_bill
    second = orders.issue_advance(ctx, number, amount=str(left))[0]
    detail = orders.get_order(ctx, number)
    assert detail.left_to_bill == 0 and detail.advanced == total and detail.state == "in_progress"
    refused(ctx, number, lambda: orders.issue_advance(ctx, number, amount="0.01"), OrderRefused,
            "Nothing is left to bill", "final invoice")
    plan = orders.preview_final(ctx, number)
    assert plan.invoices[0].total == 0 and plan.left_after == 0
    (final,) = orders.issue_final(ctx, number)
    doc = invoices.get_invoice(ctx, final).document
    assert doc.total == 0 and all(r.taxable >= 0 and r.vat >= 0 for r in doc.vat_rows)
    assert {ln.sku for ln in doc.lines} == {"P22", "P4", "P0", "ADVANCE"}
    notes = notes_of(ctx, final)
    assert first in notes and second in notes
    done = orders.get_order(ctx, number)
    assert done.state == "completed" and done.left_to_bill == 0 and done.invoiced == total
    assert all(ln.locked_by == final for ln in done.lines)


def test_the_final_invoice_lists_every_partial_before_it(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = new_order(ctx, shop, ("P22", 1, None))
    numbers = [orders.issue_partial(ctx, number)[0]]
    orders.add_line(ctx, number, sku="P5", quantity=1)
    numbers.append(orders.issue_partial(ctx, number)[0])
    orders.add_line(ctx, number, sku="P10", quantity=1)
    (final,) = orders.issue_final(ctx, number)
    notes = notes_of(ctx, final)
    assert all(n in notes for n in numbers), notes
    assert invoices.get_invoice(ctx, final).document.total == D("11.00")
    detail = orders.get_order(ctx, number)
    assert [i.role for i in detail.invoices] == ["partial", "partial", "final"]
    assert sum(i.total for i in detail.invoices) == detail.total


def test_final_when_partials_billed_every_line_is_a_zero_invoice_listing_them(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = new_order(ctx, shop, ("P22", 1, None), ("P10", 1, None))
    (partial,) = orders.issue_partial(ctx, number)
    plan = orders.preview_final(ctx, number)
    assert plan.invoices[0].total == 0 and plan.invoices[0].lines  # an invoice has at least one line
    (final,) = orders.issue_final(ctx, number)
    doc = invoices.get_invoice(ctx, final).document
    assert doc.total == 0 and doc.lines and partial in notes_of(ctx, final)
    assert orders.get_order(ctx, number).state == "completed"


def test_the_last_instalment_is_the_final_invoice_and_lists_every_earlier_one(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = new_order(ctx, shop, ("P22", 3, "33.33"), ("P10", 1, "0.07"))
    (advance,) = orders.issue_advance(ctx, number, amount="10.00")
    orders.ship_order(ctx, number)
    left = orders.get_order(ctx, number).left_to_bill
    plan = orders.preview_instalments(ctx, number, count=3, start=TODAY, every="month", mode="now")
    assert [i.total for i in plan.invoices] == list(split_evenly(left, 3))
    issued = orders.plan_instalments(ctx, number, count=3, start=TODAY, every="month", mode="now")
    assert len(issued) == 3
    detail = orders.get_order(ctx, number)
    assert [i.role for i in detail.invoices] == ["advance", "instalment", "instalment", "final"]
    assert [(p.seq, p.status, p.invoice_number) for p in detail.plan] == [
        (1, "issued", issued[0]), (2, "issued", issued[1]), (3, "issued", issued[2])]
    assert [p.due_date for p in detail.plan] == [TODAY, date(2026, 12, 23), date(2027, 1, 23)]
    notes = notes_of(ctx, issued[-1])
    assert advance in notes and issued[0] in notes and issued[1] in notes
    assert issued[0] not in notes_of(ctx, issued[1])  # only the last one lists the others
    assert sum(i.total for i in detail.invoices) == detail.total and detail.left_to_bill == 0
    with ctx.db.read() as session:
        assert session.scalar(select(Cart.invoice_state).where(Cart.number == number)) == "issued"


def test_scheduled_instalments_leave_the_future_ones_planned(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = new_order(ctx, shop, ("P22", 1, None))
    orders.ship_order(ctx, number)
    issued = orders.plan_instalments(ctx, number, count=2, start=TODAY, every="week", mode="schedule")
    detail = orders.get_order(ctx, number)
    assert len(issued) == 1 and detail.state == "completed"
    assert [(p.status, p.amount) for p in detail.plan] == [("issued", D("6.10")), ("planned", D("6.10"))]
    assert detail.left_to_bill == D("6.10")
    refused(ctx, number, lambda: orders.issue_final(ctx, number), OrderRefused, "instalments")


# --- orders and whole-cart invoices --------------------------------------------------------------------------


def test_a_cart_invoiced_in_full_refuses_billing_in_parts(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = paid_cart(ctx, shop)
    whole = invoices.issue_invoice_for_cart(ctx, number).number
    detail = orders.get_order(ctx, number)
    assert detail.left_to_bill == 0 and detail.invoiced == D("24.40")
    assert [(i.number, i.role) for i in detail.invoices] == [(whole, "invoice")]
    for action in ("partial", "advance", "final", "add_line", "remove_line"):
        error = refused(ctx, number, lambda a=action: ACTIONS[a](ctx, number), OrderRefused, whole)  # type: ignore[misc]
        assert error.message == detail.refusals[action]
    orders.ship_order(ctx, number)
    refused(ctx, number, lambda: ACTIONS["instalments"](ctx, number), OrderRefused, whole)


def test_a_cart_billed_in_parts_is_not_invoiced_in_full(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number, other = paid_cart(ctx, shop), paid_cart(ctx, shop)
    assert set(invoices.due_carts(ctx)) == {number, other}
    (partial,) = orders.issue_partial(ctx, number)
    assert invoices.due_carts(ctx) == (other,)
    run = invoices.issue_due_invoices(ctx)
    assert len(run.issued) == 1 and not run.refused
    refused(ctx, number, lambda: invoices.issue_invoice_for_cart(ctx, number), InvoiceRefused, "billed in parts")
    detail = orders.get_order(ctx, number)
    assert [i.number for i in detail.invoices] == [partial] and detail.state == "in_planning"
    assert invoices.get_invoice(ctx, partial).document.paid  # the cart was paid by card


def test_order_invoices_cannot_be_cancelled_but_can_be_credited(ctx, shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    number = new_order(ctx, shop, ("P22", 1, None))
    (advance,) = orders.issue_advance(ctx, number, amount="5.00")
    send_all(ctx, tmp_path)
    with pytest.raises(InvoiceRefused, match="credit note"):
        invoices.cancel_invoice(ctx, advance)
    assert invoices.get_invoice(ctx, advance).status == "issued"
    invoices.credit_note(ctx, advance, "5.00")
    assert invoices.get_invoice(ctx, advance).status == "credited"


def test_an_advance_splits_vat_across_the_rates_in_proportion(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = new_order(ctx, shop, ("P22", 1, "100.00"), ("P10", 1, "100.00"))  # 122.00 + 110.00
    plan = orders.preview_advance(ctx, number, percent="50", on=TODAY, due="2026-12-31")
    (inv,) = plan.invoices
    assert inv.total == D("116.00") and [(r.rate, r.taxable + r.vat) for r in inv.vat_rows] == [
        (D("22.00"), D("61.00")), (D("10.00"), D("55.00"))]
    assert plan.left_after == D("116.00") and plan.state_after == "in_progress"
    (number_issued,) = orders.issue_advance(ctx, number, percent="50", on=TODAY, due="2026-12-31")
    doc = invoices.get_invoice(ctx, number_issued).document
    assert doc.vat_rows == inv.vat_rows and doc.due_date == date(2026, 12, 31) and doc.total == inv.total
    assert orders.get_order(ctx, number).left_to_bill == D("116.00")


def test_list_orders_shows_what_is_left(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    a = new_order(ctx, shop, ("P22", 1, None))
    b = new_order(ctx, shop, ("P22", 2, None))
    orders.issue_advance(ctx, b, amount="4.40")
    rows = {r.number: r for r in orders.list_orders(ctx).rows}
    assert rows[a].left_to_bill == D("12.20") and rows[b].left_to_bill == D("20.00")
    assert [r.number for r in orders.list_orders(ctx, state="in_progress").rows] == [b]
    with pytest.raises(ValidationFailed):
        orders.list_orders(ctx, state="bogus")


def test_creating_orders_numbers_them_after_the_last_cart(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    first = paid_cart(ctx, shop)
    detail = orders.create_order(ctx, customer_id=shop)
    assert detail.number == first + 1 and detail.state == "draft" and detail.lines == () and detail.total == 0
    with pytest.raises(NotFound, match="no customer 999"):
        orders.create_order(ctx, customer_id=999)
    assert isinstance(detail.created_at, datetime)


def test_a_refused_order_is_refused_before_its_inputs_are_checked(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = _order_in(ctx, shop, "completed")
    for call in (lambda: orders.issue_final(ctx, number, on="not a date"),
                 lambda: orders.preview_partial(ctx, number, due="x"),
                 lambda: orders.issue_advance(ctx, number, amount="5", on="2030-01-01")):
        refused(ctx, number, call, OrderRefused, "completed", "credit notes")


def test_an_order_without_lines_says_add_a_line_first(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = orders.create_order(ctx, customer_id=shop).number
    detail = orders.get_order(ctx, number)
    for action in ("partial", "advance", "final"):
        assert "add a line" in (detail.refusals[action] or ""), detail.refusals[action]
        refused(ctx, number, lambda a=action: ACTIONS[a](ctx, number), OrderRefused, "add a line")  # type: ignore[misc]
    orders.ship_order(ctx, number)  # shipped empty: nothing can be added, so nothing can be billed
    detail = orders.get_order(ctx, number)
    for action in ("instalments", "final"):
        assert "cancel it" in (detail.refusals[action] or ""), detail.refusals[action]
    orders.cancel_order(ctx, number)


def test_instalments_when_partials_billed_everything_point_to_the_final_invoice(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = _order_in(ctx, shop, "in_planning")
    orders.ship_order(ctx, number)
    reason = orders.get_order(ctx, number).refusals["instalments"] or ""
    assert "Nothing is left to bill" in reason and "final invoice" in reason and "advances" not in reason


def test_the_orders_list_and_the_order_agree_on_what_is_left(ctx, shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    number = paid_cart(ctx, shop)
    whole = invoices.issue_invoice_for_cart(ctx, number).number
    send_all(ctx, tmp_path)
    invoices.cancel_invoice(ctx, whole)
    left = orders.get_order(ctx, number).left_to_bill
    assert left == D("24.40")  # the cancelled invoice billed nothing: the order can be billed again, in parts
    assert {r.number: r.left_to_bill for r in orders.list_orders(ctx).rows}[number] == left


def test_orders_created_at_once_by_two_processes_get_their_own_numbers(ctx, shop, db_url) -> None:  # type: ignore[no-untyped-def]
    import threading

    from billing_tui.services.context import open_context

    other = open_context(db_url, clock=ctx.clock, actor="bob", upgrade=False)
    made: list[int] = []
    start = threading.Barrier(2)

    def create(context: ServiceContext) -> None:
        start.wait()
        for _ in range(5):
            made.append(orders.create_order(context, customer_id=shop).number)

    try:
        threads = [threading.Thread(target=create, args=(c,)) for c in (ctx, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        other.db.dispose()
    assert len(made) == len(set(made)) == 10


def test_two_people_issuing_the_final_invoice_at_once_make_one(ctx, shop, db_url) -> None:  # type: ignore[no-untyped-def]
    import threading

    from billing_tui.services.context import open_context

    number = new_order(ctx, shop, ("P22", 1, None), ("P5", 2, None))
    other = open_context(db_url, clock=ctx.clock, actor="bob", upgrade=False)
    outcomes: list[object] = []
    start = threading.Barrier(2)

    def final(context: ServiceContext) -> None:
        start.wait()
        try:
            outcomes.append(orders.issue_final(context, number))
        except OrderRefused as exc:
            outcomes.append(exc)

    try:
        threads = [threading.Thread(target=final, args=(c,)) for c in (ctx, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        other.db.dispose()
    issued = [o for o in outcomes if isinstance(o, tuple)]
    assert len(outcomes) == 2 and len(issued) == 1, outcomes
    assert "completed" in str(next(o for o in outcomes if isinstance(o, OrderRefused)))
    detail = orders.get_order(ctx, number)
    assert [i.number for i in detail.invoices] == list(issued[0]) and detail.state == "completed"
