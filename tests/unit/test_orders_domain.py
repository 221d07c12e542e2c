"""The order state machine, instalment dates and amounts split by VAT rate (domain.orders, S003)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing_tui.domain.money import VatRow, gross
from billing_tui.domain.orders import (
    EVERY,
    OrderAction,
    OrderRefused,
    OrderState,
    add_months,
    instalment_dates,
    next_state,
    percent_of,
    refusal,
    rows_total,
    share_of,
    split_evenly,
    subtract_rows,
)

D = Decimal
S, A = OrderState, OrderAction

#: The transitions of docs/dev/orders-api.md, written out again here so the table in the domain is checked.
#: Cancelling is allowed from every state before completion while nothing is invoiced (README: "cancelling an
#: order is refused while it has a valid invoice"); the demo has shipped and in-progress orders with no invoice.
DOCUMENTED = {
    (S.DRAFT, A.PARTIAL): S.IN_PLANNING, (S.IN_PLANNING, A.PARTIAL): S.IN_PLANNING,
    (S.DRAFT, A.ADVANCE): S.IN_PROGRESS, (S.IN_PROGRESS, A.ADVANCE): S.IN_PROGRESS,
    (S.DRAFT, A.SHIP): S.SHIPPED, (S.IN_PLANNING, A.SHIP): S.SHIPPED, (S.IN_PROGRESS, A.SHIP): S.SHIPPED,
    (S.SHIPPED, A.INSTALMENTS): S.COMPLETED,
    (S.DRAFT, A.FINAL): S.COMPLETED, (S.IN_PLANNING, A.FINAL): S.COMPLETED,
    (S.IN_PROGRESS, A.FINAL): S.COMPLETED, (S.SHIPPED, A.FINAL): S.COMPLETED,
    (S.DRAFT, A.ADD_LINE): S.DRAFT, (S.IN_PLANNING, A.ADD_LINE): S.IN_PLANNING,
    (S.DRAFT, A.REMOVE_LINE): S.DRAFT, (S.IN_PLANNING, A.REMOVE_LINE): S.IN_PLANNING,
    (S.DRAFT, A.CANCEL): S.CANCELLED, (S.IN_PLANNING, A.CANCEL): S.CANCELLED,
    (S.IN_PROGRESS, A.CANCEL): S.CANCELLED, (S.SHIPPED, A.CANCEL): S.CANCELLED,
}
PAIRS = [(s, a) for s in OrderState for a in OrderAction]


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p in DOCUMENTED])
def test_an_allowed_action_gives_the_documented_next_state(state: OrderState, action: OrderAction) -> None:
    assert refusal(state, action) is None
    assert next_state(state, action) is DOCUMENTED[(state, action)]
    assert next_state(state.value, action.value) is DOCUMENTED[(state, action)]  # plain strings work too


@pytest.mark.parametrize(("state", "action"), [p for p in PAIRS if p not in DOCUMENTED])
def test_a_refused_action_says_why_and_what_can_be_done_instead(state: OrderState, action: OrderAction) -> None:
    reason = refusal(state, action)
    assert reason
    if state is not S.NONE:
        assert f"You cannot {action.label} now" in reason
    assert "You can " in reason, reason  # an alternative the user can act on, never a dead end
    with pytest.raises(OrderRefused) as raised:
        next_state(state, action)
    assert raised.value.message == reason


@pytest.mark.parametrize("state", [S.DRAFT, S.IN_PLANNING, S.IN_PROGRESS, S.SHIPPED])
def test_an_order_with_invoices_cannot_be_cancelled(state: OrderState) -> None:
    reason = refusal(state, A.CANCEL, invoiced=True)
    assert reason and "credit note" in reason and "You can " in reason
    with pytest.raises(OrderRefused):
        next_state(state, A.CANCEL, invoiced=True)
    assert refusal(state, A.FINAL, invoiced=True) is None  # only cancelling depends on the invoices


def test_the_alternatives_offered_are_the_allowed_actions() -> None:
    reason = refusal(S.SHIPPED, A.PARTIAL) or ""
    assert "bill it in instalments" in reason and "issue the final invoice" in reason
    assert "issue a partial invoice" not in reason.split("You can ")[1]
    assert "mark it shipped first" in (refusal(S.DRAFT, A.INSTALMENTS) or "")


# --- instalment dates ----------------------------------------------------------------------------


def test_monthly_from_the_31st_falls_on_each_months_last_day() -> None:
    assert instalment_dates(date(2027, 1, 31), 4, "month") == (
        date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30))
    assert instalment_dates(date(2028, 1, 31), 2, "month")[1] == date(2028, 2, 29)


@pytest.mark.parametrize(("every", "expected"), [
    ("week", (date(2027, 1, 31), date(2027, 2, 7), date(2027, 2, 14))),
    ("2weeks", (date(2027, 1, 31), date(2027, 2, 14), date(2027, 2, 28))),
    ("month", (date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31))),
    ("quarter", (date(2027, 1, 31), date(2027, 4, 30), date(2027, 7, 31))),
    ("half-year", (date(2027, 1, 31), date(2027, 7, 31), date(2028, 1, 31))),
    ("year", (date(2027, 1, 31), date(2028, 1, 31), date(2029, 1, 31))),
])
def test_every_frequency(every: str, expected: tuple[date, ...]) -> None:
    assert instalment_dates(date(2027, 1, 31), 3, every) == expected


def test_leap_day_yearly_and_months_across_the_year_end() -> None:
    assert instalment_dates(date(2028, 2, 29), 3, "year") == (date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28))
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2026, 12, 15), 1) == date(2027, 1, 15)
    assert set(EVERY) == {"week", "2weeks", "month", "quarter", "half-year", "year"}
    with pytest.raises(ValueError, match="unknown frequency"):
        instalment_dates(date(2027, 1, 1), 2, "fortnight")


# --- splitting amounts ---------------------------------------------------------------------------


def test_split_evenly_puts_the_cents_left_over_on_the_last() -> None:
    assert split_evenly(D("100.00"), 3) == (D("33.33"), D("33.33"), D("33.34"))
    assert split_evenly(D("0.05"), 2) == (D("0.02"), D("0.03"))
    assert split_evenly(D("10.00"), 1) == (D("10.00"),)
    assert sum(split_evenly(D("1234.57"), 7)) == D("1234.57")
    with pytest.raises(ValueError):
        split_evenly(D("1.00"), 0)


ROWS = (VatRow(D("22"), D("100.00"), D("22.00")), VatRow(D("10"), D("50.00"), D("5.00")),
        VatRow(D("4"), D("0.10"), D("0.00")), VatRow(D("0"), D("7.00"), D("0.00")))


@pytest.mark.parametrize("amount", ["0.01", "0.03", "1.00", "33.33", "100.00", "184.09", "184.10"])
def test_share_of_adds_up_exactly_and_never_takes_more_than_a_rate_has(amount: str) -> None:
    shares = share_of(D(amount), ROWS)
    assert rows_total(shares) == D(amount)
    have = {r.rate: r for r in ROWS}
    for row in shares:
        assert D("0") <= row.taxable <= have[row.rate].taxable and D("0") <= row.vat <= have[row.rate].vat
        assert gross(row) > 0
    rest = subtract_rows(ROWS, shares)
    assert all(r.taxable >= 0 and r.vat >= 0 for r in rest)
    assert rows_total(rest) == rows_total(ROWS) - D(amount)


def test_share_of_everything_returns_the_rows_and_of_nothing_none() -> None:
    assert share_of(rows_total(ROWS), ROWS) == ROWS
    assert share_of(D("0"), ROWS) == ()
    with pytest.raises(ValueError):
        share_of(rows_total(ROWS) + D("0.01"), ROWS)
    with pytest.raises(ValueError):
        share_of(D("-1"), ROWS)


def test_share_of_is_in_proportion_to_each_rate_and_takes_the_tax_out_of_each_share() -> None:
    shares = share_of(D("59.00"), ROWS[:2])  # a third of 122.00 + 55.00; the odd cent to the largest remainder
    assert shares == (VatRow(D("22"), D("33.34"), D("7.33")), VatRow(D("10"), D("16.66"), D("1.67")))
    assert percent_of(D("183.00"), D("30")) == D("54.90") and percent_of(D("0.05"), D("50")) == D("0.03")


def test_once_invoiced_cancelling_is_not_offered_as_an_alternative() -> None:
    assert "cancel it" in (refusal(S.IN_PROGRESS, A.PARTIAL) or "")
    assert "cancel it" not in (refusal(S.IN_PROGRESS, A.PARTIAL, invoiced=True) or "")
