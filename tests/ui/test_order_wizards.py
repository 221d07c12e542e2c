"""The four order wizards (partial, advance, instalments, final) driven from the keyboard at 80x24 (S003.1–S003.6)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Input, Select, Static

import billing_tui
from billing_tui.app import build_app
from billing_tui.demo import SELLER
from billing_tui.screens.order_wizards import (
    AdvanceWizard,
    FinalWizard,
    InstalmentsWizard,
    OrderWizard,
    PartialWizard,
    review_text,
)
from billing_tui.services import company, customers, orders
from billing_tui.storage.shop_models import Product
from tests.conftest import FIXED_NOW
from tests.ui.conftest import settle, wait_until

TODAY = FIXED_NOW.date()  # 2026-11-23
CUSTOMER = {"customer_type": "company", "name": "Lumen Studio [srl]", "vat_number": "07123450012",
            "fiscal_code": "07123450012", "sdi_code": "ABC1234", "email": "billing@lumenstudio.example",
            "address": "Via Po 3", "city": "Torino", "postcode": "10123", "province": "TO", "country": "IT",
            "language": "en"}


@pytest.fixture
def shop(make_db_url, clock):  # type: ignore[no-untyped-def]
    """A fresh database (not the demo: its orders change) with the company data, one customer and two products."""
    from billing_tui.services.context import open_context

    ctx = open_context(make_db_url("sqlite", "orders"), clock=clock, actor="tester")
    company.update_company(ctx, SELLER)
    customers.create_customer(ctx, CUSTOMER)
    with ctx.db.write() as session:
        session.add(Product(sku="SETUP-HOUR", name="Setup and configuration, per hour", unit_price=Decimal("60.00"),
                            vat_rate=Decimal("22"), is_service=True))
        session.add(Product(sku="BOOK-01", name="Guide to e-invoicing", unit_price=Decimal("24.00"),
                            vat_rate=Decimal("4"), stock=50))
    yield ctx
    ctx.db.dispose()


def draft_order(ctx) -> int:  # type: ignore[no-untyped-def]
    """A draft order of 806,88 €: 10 hours at 22% and 3 books at 4%."""
    number = orders.create_order(ctx, customer_id=1).number
    orders.add_line(ctx, number, sku="SETUP-HOUR", quantity=10)
    orders.add_line(ctx, number, sku="BOOK-01", quantity=3)
    return number


def shipped_order(ctx) -> int:  # type: ignore[no-untyped-def]
    """A shipped order with a 30% advance (PS26001, 242,06 €): 564,82 € left to bill."""
    number = draft_order(ctx)
    orders.issue_advance(ctx, number, percent="30")
    orders.ship_order(ctx, number)
    return number


def invoice_numbers(ctx, number: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.number for i in orders.get_order(ctx, number).invoices]


def host(ctx):  # type: ignore[no-untyped-def]
    """The real app on ``ctx`` (with a stable header label)."""
    return build_app(ctx, database_label="sqlite:orders.sqlite3")


async def open_wizard(pilot, wizard: OrderWizard, results: list[object] | None = None) -> None:  # type: ignore[no-untyped-def]
    """Open ``wizard`` over the app's first screen, as the order screen does, and wait for its first field."""
    await settle(pilot)
    pilot.app.push_screen(wizard, callback=(results.append if results is not None else None))
    await settle(pilot)
    for widget in wizard.query(Input):
        widget.cursor_blink = False
    first = wizard.query_one(f"#w-{wizard.steps()[0].fields[0].name}")
    await wait_until(pilot, lambda: pilot.app.focused is first)


def error(wizard: OrderWizard, name: str) -> str:
    return str(wizard.query_one(f"#err-{name}", Static).render())


def field(wizard: OrderWizard, name: str) -> Input:
    return wizard.query_one(f"#w-{name}", Input)


def review(wizard: OrderWizard) -> str:
    """The review's text as it is shown (wrapped to the dialog)."""
    return str(wizard.query_one("#wizard-review-text", Static).render())


def words(text: str) -> str:
    """``text`` with every run of spaces, line breaks and no-break spaces as one space."""
    return " ".join(text.split())


async def next_step(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("ctrl+n")
    await settle(pilot)


# --- each wizard, through to its review and confirmed ------------------------------------------------


async def test_partial_issues_exactly_the_previewed_invoice_and_locks_the_lines(shop) -> None:  # type: ignore[no-untyped-def]
    number = draft_order(shop)
    expected = orders.preview_partial(shop, number, due="2026-12-31")
    wizard, results = PartialWizard(number, TODAY), []
    app = host(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard, results)
        assert field(wizard, "date").value == "2026-11-23" and field(wizard, "due").value == ""
        await pilot.press("tab", *"2026-12-31", "enter")  # Enter in the step's last field: Next
        await settle(pilot)
        assert wizard.on_review
        assert review(wizard) == review_text(expected).plain
        assert ("Partial invoice of order 100001: dated 23/11/2026, due 31/12/2026, total 806,88 €"
                in words(review(wizard)))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not wizard
    detail = orders.get_order(shop, number)
    assert results == [("PS26001",)]
    assert [(i.number, i.role, i.issue_date, i.total) for i in detail.invoices] == [
        ("PS26001", "partial", TODAY, expected.invoices[0].total)]
    assert detail.state == "in_planning" and {ln.locked_by for ln in detail.lines} == {"PS26001"}


async def test_advance_by_percentage_issues_the_previewed_invoice(shop) -> None:  # type: ignore[no-untyped-def]
    number = draft_order(shop)
    expected = orders.preview_advance(shop, number, percent="30")
    wizard, results = AdvanceWizard(number, TODAY), []
    app = host(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard, results)
        await pilot.press("tab", *"30", "enter")  # the percentage, not the amount
        await settle(pilot)
        assert wizard.step_index == 1 and field(wizard, "date").value == "2026-11-23"
        await next_step(pilot)
        assert wizard.on_review and review(wizard) == review_text(expected).plain
        assert "total 242,06 €" in words(review(wizard)) and "left to bill 564,82 €" in words(review(wizard))
        await pilot.press("ctrl+s")
        await settle(pilot)
    detail = orders.get_order(shop, number)
    assert results == [("PS26001",)]
    assert [(i.number, i.role, i.total) for i in detail.invoices] == [("PS26001", "advance", Decimal("242.06"))]
    assert detail.state == "in_progress" and detail.left_to_bill == Decimal("564.82")


async def test_advance_by_amount(shop) -> None:  # type: ignore[no-untyped-def]
    number = draft_order(shop)
    wizard, results = AdvanceWizard(number, TODAY), []
    async with host(shop).run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard, results)
        await pilot.press(*"100,50", "ctrl+n")
        await settle(pilot)
        await next_step(pilot)
        assert "total 100,50 €" in words(review(wizard))
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert results == [("PS26001",)]
    assert [i.total for i in orders.get_order(shop, number).invoices] == [Decimal("100.50")]


async def test_instalments_review_lists_each_date_and_amount_and_confirm_makes_the_plan(shop) -> None:  # type: ignore[no-untyped-def]
    number = shipped_order(shop)
    expected = orders.preview_instalments(shop, number, count="3", start="2026-12-31", every="month")
    wizard, results = InstalmentsWizard(number, TODAY), []
    app = host(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard, results)
        assert wizard.query_one("#w-every", Select).value == "month"
        await pilot.press(*"3", "enter")  # Enter: to the frequency
        await pilot.pause()
        assert app.focused is wizard.query_one("#w-every", Select)
        await next_step(pilot)
        assert wizard.step_index == 1 and field(wizard, "start").value == "2026-11-23"
        assert wizard.query_one("#w-mode", Select).value == "schedule"
        field(wizard, "start").value = "2026-12-31"  # a start on the 31st: each month's last day
        await next_step(pilot)
        text = review(wizard)
        assert wizard.on_review and text == review_text(expected).plain
        for line in ("1/3 31/12/2026 188,27 €", "2/3 31/01/2027 188,27 €", "3/3 28/02/2027 188,28 €",
                     "Total of the instalments: 564,82 €"):
            assert line in words(text)
        await pilot.press("ctrl+s")
        await settle(pilot)
    detail = orders.get_order(shop, number)
    assert results == [()]  # none is due today: the scheduler issues each on its date
    assert [(p.seq, p.due_date, p.amount, p.status) for p in detail.plan] == [
        (1, date(2026, 12, 31), Decimal("188.27"), "planned"), (2, date(2027, 1, 31), Decimal("188.27"), "planned"),
        (3, date(2027, 2, 28), Decimal("188.28"), "planned")]
    assert detail.state == "completed" and invoice_numbers(shop, number) == ["PS26001"]


async def test_instalments_issued_and_sent_now(shop) -> None:  # type: ignore[no-untyped-def]
    number = shipped_order(shop)
    wizard, results = InstalmentsWizard(number, TODAY), []
    app = host(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard, results)
        await pilot.press("2", "tab", "enter", "up", "enter")  # 2, every: monthly -> every two weeks
        await settle(pilot)
        assert wizard.query_one("#w-every", Select).value == "2weeks"
        await next_step(pilot)
        await pilot.press("tab", "enter", "down", "enter")  # issue: schedule -> now
        await settle(pilot)
        assert wizard.query_one("#w-mode", Select).value == "now"
        await next_step(pilot)
        assert "Instalments are issued and emailed now" in words(review(wizard))
        await pilot.press("ctrl+s")
        await settle(pilot)
    detail = orders.get_order(shop, number)
    assert results == [("PS26002", "PS26003")]
    assert [(i.number, i.role) for i in detail.invoices] == [
        ("PS26001", "advance"), ("PS26002", "instalment"), ("PS26003", "final")]
    assert [p.due_date for p in detail.plan] == [date(2026, 11, 23), date(2026, 12, 7)]


async def test_final_lists_the_advance_deducts_it_and_completes_the_order(shop) -> None:  # type: ignore[no-untyped-def]
    number = shipped_order(shop)
    expected = orders.preview_final(shop, number)
    wizard, results = FinalWizard(number, TODAY), []
    async with host(shop).run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard, results)
        await next_step(pilot)
        text = words(review(wizard))
        assert wizard.on_review and review(wizard) == review_text(expected).plain
        assert "Less advance PS26001" in text and "Lists: Advance invoice PS26001" in text
        assert "total 564,82 €" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
    detail = orders.get_order(shop, number)
    assert results == [("PS26002",)]
    assert [(i.number, i.role, i.total) for i in detail.invoices] == [
        ("PS26001", "advance", Decimal("242.06")), ("PS26002", "final", Decimal("564.82"))]
    assert detail.state == "completed" and detail.left_to_bill == 0


async def test_final_covered_by_advances_is_zero_never_negative(shop) -> None:  # type: ignore[no-untyped-def]
    number = draft_order(shop)
    orders.issue_advance(shop, number, percent="100")
    wizard, results = FinalWizard(number, TODAY), []
    async with host(shop).run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard, results)
        await next_step(pilot)
        text = words(review(wizard))
        assert "Final invoice of order 100001: dated 23/11/2026, due 23/12/2026, total 0,00 €" in text
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert results == [("PS26002",)]
    assert orders.get_order(shop, number).invoices[-1].total == Decimal("0.00")


# --- Back keeps values; Escape changes nothing -------------------------------------------------------

WIZARDS: dict[str, tuple[type[OrderWizard], Callable[..., int]]] = {
    "partial": (PartialWizard, draft_order),
    "advance": (AdvanceWizard, draft_order),
    "instalments": (InstalmentsWizard, shipped_order),
    "final": (FinalWizard, shipped_order),
}
FIRST_STEP = {"partial": {"due": "2026-12-31"}, "advance": {"amount": "150"}, "instalments": {"count": "4"},
              "final": {"date": "2026-11-23", "due": "2027-01-15"}}


@pytest.mark.parametrize("kind", list(WIZARDS))
async def test_back_keeps_the_values(shop, kind: str) -> None:  # type: ignore[no-untyped-def]
    wizard_class, make_order = WIZARDS[kind]
    wizard = wizard_class(make_order(shop), TODAY)
    async with host(shop).run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard)
        for name, value in FIRST_STEP[kind].items():
            field(wizard, name).value = value
        await next_step(pilot)
        assert wizard.step_index == 1
        await pilot.press("ctrl+b")
        await settle(pilot)
        assert wizard.step_index == 0
        assert {name: field(wizard, name).value for name in FIRST_STEP[kind]} == FIRST_STEP[kind]
        await next_step(pilot)  # and the same values pass again
        assert wizard.step_index == 1


@pytest.mark.parametrize("kind", list(WIZARDS))
async def test_escape_at_step_two_changes_nothing(shop, kind: str) -> None:  # type: ignore[no-untyped-def]
    wizard_class, make_order = WIZARDS[kind]
    number = make_order(shop)
    before = orders.get_order(shop, number)
    wizard, results = wizard_class(number, TODAY), []
    app = host(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard, results)
        for name, value in FIRST_STEP[kind].items():
            field(wizard, name).value = value
        await next_step(pilot)
        assert wizard.step_index == 1
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is not wizard
    after = orders.get_order(shop, number)
    assert results == [None]
    assert (after.state, after.invoices, after.plan, after.left_to_bill) == (
        before.state, before.invoices, before.plan, before.left_to_bill)


# --- refused inputs: the reason beside the field, and the wizard stays ----------------------------


async def _refused(shop, wizard: OrderWizard, values: dict[str, str]):  # type: ignore[no-untyped-def]
    """Fill ``values`` on the first step, press Next, and return what the wizard shows (it must stay)."""
    app = host(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard)
        for name, value in values.items():
            field(wizard, name).value = value
        await next_step(pilot)
        assert app.screen is wizard and wizard.step_index == 0
        shown = {name: error(wizard, name) for name in values}
        await wait_until(pilot, lambda: app.focused is field(wizard, next(n for n in values if shown[n])))
        return shown, wizard.status


async def test_an_advance_of_150_percent_is_refused_beside_the_percentage(shop) -> None:  # type: ignore[no-untyped-def]
    number = draft_order(shop)
    shown, status = await _refused(shop, AdvanceWizard(number, TODAY), {"percent": "150"})
    assert shown == {"percent": "at most 100"} and status == ""
    assert invoice_numbers(shop, number) == []


async def test_an_advance_beyond_what_is_left_is_refused_beside_the_amount(shop) -> None:  # type: ignore[no-untyped-def]
    number = draft_order(shop)
    shown, _ = await _refused(shop, AdvanceWizard(number, TODAY), {"amount": "900"})
    assert shown["amount"].startswith("at most ") and "806" in shown["amount"]
    assert shown["amount"].endswith(" is left to bill")


async def test_an_advance_needs_the_amount_or_the_percentage_not_both(shop) -> None:  # type: ignore[no-untyped-def]
    number = draft_order(shop)
    shown, _ = await _refused(shop, AdvanceWizard(number, TODAY), {"amount": "100", "percent": "10"})
    assert shown == {"amount": "give the amount or the percentage, not both", "percent": ""}


async def test_a_due_date_before_the_invoice_date_is_refused(shop) -> None:  # type: ignore[no-untyped-def]
    number = draft_order(shop)
    shown, _ = await _refused(shop, PartialWizard(number, TODAY), {"date": "2026-11-20", "due": "2026-11-19"})
    assert shown == {"date": "", "due": "on or after the invoice date"}
    assert invoice_numbers(shop, number) == []


async def test_an_invoice_date_in_the_future_is_refused(shop) -> None:  # type: ignore[no-untyped-def]
    number = shipped_order(shop)
    shown, _ = await _refused(shop, FinalWizard(number, TODAY), {"date": "2026-11-24"})
    assert shown == {"date": "not after today (2026-11-23)"}


async def test_a_wrong_advance_date_waits_for_its_own_step(shop) -> None:  # type: ignore[no-untyped-def]
    """Step 1 is checked with the later steps' defaults: a bad due date typed there and left with Back is
    not held against the amount, and is shown on its own step."""
    number = draft_order(shop)
    wizard = AdvanceWizard(number, TODAY)
    async with host(shop).run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard)
        field(wizard, "amount").value = "100"
        await next_step(pilot)
        field(wizard, "due").value = "2026-01-01"
        await pilot.press("ctrl+b")
        await settle(pilot)
        await next_step(pilot)
        assert wizard.step_index == 1 and error(wizard, "due") == "" and wizard.status == ""
        await next_step(pilot)
        assert wizard.step_index == 1 and error(wizard, "due") == "on or after the invoice date"


async def test_zero_instalments_are_refused(shop) -> None:  # type: ignore[no-untyped-def]
    number = shipped_order(shop)
    shown, status = await _refused(shop, InstalmentsWizard(number, TODAY), {"count": "0"})
    assert shown == {"count": "a whole number from 2 to 60"} and status == ""


async def test_instalments_starting_in_the_past_are_refused(shop) -> None:  # type: ignore[no-untyped-def]
    number = shipped_order(shop)
    wizard = InstalmentsWizard(number, TODAY)
    app = host(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard)
        field(wizard, "count").value = "3"
        await next_step(pilot)
        field(wizard, "start").value = "2026-11-01"
        await next_step(pilot)
        assert wizard.step_index == 1 and error(wizard, "start") == "today (2026-11-23) or later"
        await wait_until(pilot, lambda: app.focused is field(wizard, "start"))
    assert orders.get_order(shop, number).plan == ()


# --- an order in the wrong state: the refusal, and nothing created ------------------------------------


@pytest.mark.parametrize(("wizard_class", "make_order", "reason"), [
    (AdvanceWizard, shipped_order, "shipped"),
    (PartialWizard, shipped_order, "shipped"),
    (InstalmentsWizard, draft_order, "once the order is shipped"),
])
async def test_an_order_in_the_wrong_state_shows_the_refusal(shop, wizard_class, make_order, reason) -> None:  # type: ignore[no-untyped-def]
    number = make_order(shop)
    before = invoice_numbers(shop, number)
    wizard = wizard_class(number, TODAY)
    app = host(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard)
        if wizard_class is AdvanceWizard:
            field(wizard, "percent").value = "10"
        if wizard_class is InstalmentsWizard:
            field(wizard, "count").value = "3"
        await next_step(pilot)
        assert app.screen is wizard and wizard.step_index == 0
        assert reason in wizard.status and wizard.query_one("#wizard-status").has_class("-error")
        assert "Traceback" not in wizard.status
    assert invoice_numbers(shop, number) == before


async def test_an_order_changed_after_the_review_is_refused_at_confirm(shop) -> None:  # type: ignore[no-untyped-def]
    number = draft_order(shop)
    wizard, results = AdvanceWizard(number, TODAY), []
    app = host(shop)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wizard(pilot, wizard, results)
        field(wizard, "percent").value = "30"
        await next_step(pilot)
        await next_step(pilot)
        assert wizard.on_review
        orders.ship_order(shop, number)  # someone else, meanwhile
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is wizard and wizard.on_review and "shipped" in wizard.status
    assert results == [] and invoice_numbers(shop, number) == []


# --- snapshots (80x24, fixed clock and data) -----------------------------------------------------------


class SnapshotHost(App[None]):
    """A blank app with the real app's CSS and service context: the snapshots show the wizard alone, so they
    do not change with the screens beneath it."""

    CSS_PATH = Path(billing_tui.__file__).parent / "app.tcss"

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        super().__init__()
        self.ctx = ctx


def _snapshot(snap_compare, shop, wizard: OrderWizard, steps: Callable[..., object] | None = None) -> bool:  # type: ignore[no-untyped-def]
    app = SnapshotHost(shop)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await open_wizard(pilot, wizard)
        if steps is not None:
            await steps(pilot)
        await pilot.pause()

    return bool(snap_compare(app, terminal_size=(80, 24), run_before=run_before))


def _fill_then_next(wizard: OrderWizard, *pages: dict[str, str]):  # type: ignore[no-untyped-def]
    async def go(pilot) -> None:  # type: ignore[no-untyped-def]
        for values in pages:
            for name, value in values.items():
                field(wizard, name).value = value
            await next_step(pilot)
        if wizard.on_review:
            await wait_until(pilot, lambda: pilot.app.focused is wizard.query_one("#wizard-review"))
    return go


def test_snapshot_partial_dates(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    assert _snapshot(snap_compare, shop, PartialWizard(draft_order(shop), TODAY))


def test_snapshot_partial_review(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    wizard = PartialWizard(draft_order(shop), TODAY)
    assert _snapshot(snap_compare, shop, wizard, _fill_then_next(wizard, {"due": "2026-12-31"}))


def test_snapshot_partial_due_before_date(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    wizard = PartialWizard(draft_order(shop), TODAY)
    assert _snapshot(snap_compare, shop, wizard, _fill_then_next(wizard, {"due": "2026-11-01"}))


def test_snapshot_advance_amount(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    assert _snapshot(snap_compare, shop, AdvanceWizard(draft_order(shop), TODAY))


def test_snapshot_advance_of_150_percent(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    wizard = AdvanceWizard(draft_order(shop), TODAY)
    assert _snapshot(snap_compare, shop, wizard, _fill_then_next(wizard, {"percent": "150"}))


def test_snapshot_advance_review(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    wizard = AdvanceWizard(draft_order(shop), TODAY)
    assert _snapshot(snap_compare, shop, wizard, _fill_then_next(wizard, {"percent": "30"}, {}))


def test_snapshot_advance_on_a_shipped_order(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    wizard = AdvanceWizard(shipped_order(shop), TODAY)
    assert _snapshot(snap_compare, shop, wizard, _fill_then_next(wizard, {"percent": "10"}))


def test_snapshot_instalments_plan(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    assert _snapshot(snap_compare, shop, InstalmentsWizard(shipped_order(shop), TODAY))


def test_snapshot_instalments_start_in_the_past(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    wizard = InstalmentsWizard(shipped_order(shop), TODAY)
    assert _snapshot(snap_compare, shop, wizard, _fill_then_next(wizard, {"count": "4"}, {"start": "2026-11-01"}))


def test_snapshot_instalments_review(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    wizard = InstalmentsWizard(shipped_order(shop), TODAY)
    assert _snapshot(snap_compare, shop, wizard,
                     _fill_then_next(wizard, {"count": "4"}, {"start": "2027-01-31"}))


def test_snapshot_final_dates(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    assert _snapshot(snap_compare, shop, FinalWizard(shipped_order(shop), TODAY))


def test_snapshot_final_review(snap_compare, shop) -> None:  # type: ignore[no-untyped-def]
    wizard = FinalWizard(shipped_order(shop), TODAY)
    assert _snapshot(snap_compare, shop, wizard, _fill_then_next(wizard, {}))
