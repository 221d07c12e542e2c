"""Orders billed in parts: the order state machine, instalment schedules and amounts split by VAT rate (S003)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from billing_tui.domain.errors import BillingError
from billing_tui.domain.money import CENT, ZERO, VatRow, gross, round_money


class OrderRefused(BillingError):
    """The order cannot be changed that way now; the message says what the user can do instead."""


class OrderState(StrEnum):
    """Where an order is in its billing (S003.1–S003.5); ``none`` for a cart that is not an order."""

    NONE = "none"
    DRAFT = "draft"
    IN_PLANNING = "in_planning"  # after a partial invoice: lines can still be added
    IN_PROGRESS = "in_progress"  # after an advance invoice
    SHIPPED = "shipped"
    COMPLETED = "completed"  # its final invoice is issued, or its instalment plan made
    CANCELLED = "cancelled"

    @property
    def label(self) -> str:
        """The state as a person reads it."""
        return self.value.replace("_", " ")


class OrderAction(StrEnum):
    """What staff can do to an order."""

    ADD_LINE = "add_line"
    REMOVE_LINE = "remove_line"
    PARTIAL = "partial"
    ADVANCE = "advance"
    SHIP = "ship"
    INSTALMENTS = "instalments"
    FINAL = "final"
    CANCEL = "cancel"

    @property
    def label(self) -> str:
        """The action as a person reads it."""
        return {"add_line": "add a line", "remove_line": "remove a line", "partial": "issue a partial invoice",
                "advance": "issue an advance invoice", "ship": "mark it shipped",
                "instalments": "bill it in instalments", "final": "issue the final invoice",
                "cancel": "cancel it"}[self.value]


S = OrderState
A = OrderAction

#: Every allowed transition: (state, action) -> state after. Anything else is refused.
TRANSITIONS: dict[tuple[OrderState, OrderAction], OrderState] = {
    (S.DRAFT, A.ADD_LINE): S.DRAFT,
    (S.IN_PLANNING, A.ADD_LINE): S.IN_PLANNING,
    (S.DRAFT, A.REMOVE_LINE): S.DRAFT,
    (S.IN_PLANNING, A.REMOVE_LINE): S.IN_PLANNING,
    (S.DRAFT, A.PARTIAL): S.IN_PLANNING,
    (S.IN_PLANNING, A.PARTIAL): S.IN_PLANNING,
    (S.DRAFT, A.ADVANCE): S.IN_PROGRESS,
    (S.IN_PROGRESS, A.ADVANCE): S.IN_PROGRESS,
    (S.DRAFT, A.SHIP): S.SHIPPED,
    (S.IN_PLANNING, A.SHIP): S.SHIPPED,
    (S.IN_PROGRESS, A.SHIP): S.SHIPPED,
    (S.SHIPPED, A.INSTALMENTS): S.COMPLETED,
    (S.DRAFT, A.FINAL): S.COMPLETED,
    (S.IN_PLANNING, A.FINAL): S.COMPLETED,
    (S.IN_PROGRESS, A.FINAL): S.COMPLETED,
    (S.SHIPPED, A.FINAL): S.COMPLETED,
    (S.DRAFT, A.CANCEL): S.CANCELLED,
    (S.IN_PLANNING, A.CANCEL): S.CANCELLED,  # only once its partial invoices are cancelled (see ``invoiced``)
    (S.IN_PROGRESS, A.CANCEL): S.CANCELLED,
    (S.SHIPPED, A.CANCEL): S.CANCELLED,
}


#: What can still be done with an order in a state that allows no action: never a dead end.
DEAD_ENDS = {
    S.NONE: "You can bill it once the customer confirms it, or create an order for the customer.",
    S.COMPLETED: "You can correct its invoices with credit notes (Invoices, F5).",
    S.CANCELLED: "You can create a new order for the customer.",
}


def _instead(state: OrderState, invoiced: bool = False) -> str:
    """What can be done with an order in this state, for refusal messages (not cancelling it once invoiced)."""
    options = [a.label for (s, a) in TRANSITIONS if s is state and not (invoiced and a is A.CANCEL)]
    if not options:
        return DEAD_ENDS[state]
    return "You can " + ", ".join(options[:-1]) + (" or " if len(options) > 1 else "") + options[-1] + "."


def refusal(state: OrderState | str, action: OrderAction | str, *, invoiced: bool = False) -> str | None:
    """None when ``action`` is allowed on an order in ``state``; else why not and what to do instead."""
    state, action = OrderState(state), OrderAction(action)
    if state is S.NONE:
        return f"This cart is not confirmed, so it is not an order yet: nothing can be billed on it. {_instead(state)}"
    if action is A.CANCEL and invoiced:
        return ("The order already has invoices, so it cannot be cancelled (cancelling an order never cancels its "
                "invoices). You can cancel its invoice or correct it with a credit note (Invoices, F5).")  # S004.11
    if (state, action) in TRANSITIONS:
        return None
    why = {
        (S.IN_PROGRESS, A.PARTIAL): "an advance was invoiced on it, so it is billed by its final invoice or in "
                                    "instalments, not in partial invoices.",
        (S.IN_PLANNING, A.ADVANCE): "part of it is already billed by partial invoices; advances are taken on a "
                                    "draft order.",
        (S.SHIPPED, A.ADVANCE): "it is shipped; bill what is left with the final invoice or in instalments.",
        (S.SHIPPED, A.PARTIAL): "it is shipped; bill what is left with the final invoice or in instalments.",
        (S.IN_PROGRESS, A.ADD_LINE): "an advance was invoiced on its contents; lines are added to draft or "
                                     "in-planning orders only.",
        (S.SHIPPED, A.ADD_LINE): "it is shipped; its contents can no longer change.",
        (S.SHIPPED, A.SHIP): "it is already shipped.",
        (S.DRAFT, A.INSTALMENTS): "instalments are planned once the order is shipped: mark it shipped first.",
        (S.IN_PLANNING, A.INSTALMENTS): "instalments are planned once the order is shipped: mark it shipped first.",
        (S.IN_PROGRESS, A.INSTALMENTS): "instalments are planned once the order is shipped: mark it shipped first.",
    }.get((state, action))
    if state is S.COMPLETED:
        why = "it is completed: its final invoice is issued or its instalments are planned."
    elif state is S.CANCELLED:
        why = "it is cancelled."
    reason = why or f"that is not possible for a {state.label} order."
    return f"You cannot {action.label} now: {reason} {_instead(state, invoiced)}"


def next_state(state: OrderState | str, action: OrderAction | str, *, invoiced: bool = False) -> OrderState:
    """The state after ``action``, or OrderRefused with the reason and what to do instead."""
    reason = refusal(state, action, invoiced=invoiced)
    if reason:
        raise OrderRefused(reason)
    return TRANSITIONS[(OrderState(state), OrderAction(action))]


# --- instalment schedules ------------------------------------------------------------------------

#: Instalment frequencies: (label, months, days) — a step is either whole months or whole days.
EVERY: dict[str, tuple[str, int, int]] = {
    "week": ("weekly", 0, 7),
    "2weeks": ("every two weeks", 0, 14),
    "month": ("monthly", 1, 0),
    "quarter": ("quarterly", 3, 0),
    "half-year": ("every six months", 6, 0),
    "year": ("yearly", 12, 0),
}
MAX_INSTALMENTS = 60


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole months; a day past the month's end falls on its last day (31/1 → 28/2)."""
    month0 = start.month - 1 + months
    year, month = start.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def instalment_dates(start: date, count: int, every: str) -> tuple[date, ...]:
    """The date of each instalment, always counted from ``start`` (so 31/1 monthly gives 28/2, then 31/3)."""
    if every not in EVERY:
        raise ValueError(f"unknown frequency {every!r}")
    _, months, days = EVERY[every]
    if months:
        return tuple(add_months(start, months * k) for k in range(count))
    return tuple(start + timedelta(days=days * k) for k in range(count))


def split_evenly(amount: Decimal, count: int) -> tuple[Decimal, ...]:
    """``amount`` in ``count`` equal parts rounded down to the cent; the cents left over go on the last."""
    if count < 1:
        raise ValueError("count must be at least 1")
    part = (amount / count).quantize(CENT, rounding=ROUND_DOWN)
    return (part,) * (count - 1) + (amount - part * (count - 1),)


# --- amounts by VAT rate -------------------------------------------------------------------------

def rows_total(rows: Iterable[VatRow]) -> Decimal:
    """The gross amount of VAT rows."""
    return sum((gross(r) for r in rows), ZERO)


def add_rows(*groups: Iterable[VatRow]) -> tuple[VatRow, ...]:
    """VAT rows added rate by rate (highest rate first)."""
    acc: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for rows in groups:
        for r in rows:
            t, v = acc.get(r.rate.quantize(CENT), (ZERO, ZERO))
            acc[r.rate.quantize(CENT)] = (t + r.taxable, v + r.vat)
    return tuple(VatRow(rate=k, taxable=t, vat=v) for k, (t, v) in sorted(acc.items(), reverse=True))


def subtract_rows(rows: Iterable[VatRow], less: Iterable[VatRow]) -> tuple[VatRow, ...]:
    """``rows`` less ``less`` rate by rate; rates that come to zero are dropped."""
    negated = [VatRow(rate=r.rate, taxable=-r.taxable, vat=-r.vat) for r in less]
    return tuple(r for r in add_rows(rows, negated) if r.taxable != ZERO or r.vat != ZERO)


def share_of(amount: Decimal, available: tuple[VatRow, ...]) -> tuple[VatRow, ...]:
    """A gross ``amount`` taken from ``available`` rows in proportion to their gross amounts.

    Each rate gets at most what it has, to the cent, and the shares add up to ``amount``
    exactly (largest remainders get the odd cents); taking everything returns ``available``
    itself. Within a rate the tax is taken out of the share ("scorporo"), never taking more
    taxable or more VAT than the rate has left, so what remains is never negative.
    """
    amount = round_money(amount)
    rows = tuple(r for r in available if gross(r) > ZERO)
    base = rows_total(rows)
    if amount < ZERO or amount > base:
        raise ValueError(f"cannot take {amount} from {base}")
    if amount == base:
        return rows
    if amount == ZERO:
        return ()
    exact = [amount * gross(r) / base for r in rows]
    shares = [e.quantize(CENT, rounding=ROUND_DOWN) for e in exact]
    left = int((amount - sum(shares, ZERO)) / CENT)
    by_remainder = sorted(range(len(rows)), key=lambda i: (exact[i] - shares[i], -i), reverse=True)
    for i in by_remainder:
        if left == 0:
            break
        if shares[i] + CENT <= gross(rows[i]):
            shares[i] += CENT
            left -= 1
    out = []
    for row, share in zip(rows, shares, strict=True):
        if share == ZERO:
            continue
        taxable = min(round_money(share * 100 / (100 + row.rate)), row.taxable)
        vat = share - taxable
        if vat > row.vat:
            vat = row.vat
            taxable = share - vat
        out.append(VatRow(rate=row.rate, taxable=taxable, vat=vat))
    return tuple(out)


def percent_of(total: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``total``, to the cent."""
    return round_money(total * percent / 100)
