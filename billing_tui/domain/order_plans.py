"""What billing an order in parts creates, worked out on plain values (no database, no PDF).

An :class:`OrderBook` is an order as its billing sees it: its lines (each with the invoice that
billed it, if any), its invoices with their VAT rows, and its instalment plan. The ``plan_*``
functions turn a book and the user's choices into a :class:`BillingPlan` (the invoices that will
be created, without numbers), and :meth:`OrderBook.issued` gives the book after one of them is
issued. Services load a book, plan, store; the property tests run the same code with no database.

Amounts (S003.1–S003.5): each partial invoice bills its own lines with its own VAT summary;
advances are gross amounts split over the VAT rates still to bill; the final invoice bills the
lines not yet billed and deducts every advance, rate by rate; instalments split what is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation

from billing_tui.domain.documents import DocumentLine
from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.i18n import format_amount, format_date, t
from billing_tui.domain.money import ZERO, VatRow, round_money, to_decimal, vat_summary
from billing_tui.domain.orders import (
    EVERY,
    MAX_INSTALMENTS,
    OrderAction,
    OrderRefused,
    OrderState,
    add_rows,
    instalment_dates,
    next_state,
    percent_of,
    refusal,
    rows_total,
    share_of,
    split_evenly,
    subtract_rows,
)

ROLES = ("partial", "advance", "instalment", "final")
BILLING_ACTIONS = (OrderAction.PARTIAL, OrderAction.ADVANCE, OrderAction.INSTALMENTS, OrderAction.FINAL)


# --- the order as its billing sees it --------------------------------------------------------------

@dataclass(frozen=True)
class BookLine:
    """A line of an order; ``billed_by`` is the id of the invoice that billed (and locked) it."""

    position: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    line_total: Decimal
    billed_by: int | None = None


@dataclass(frozen=True)
class BookInvoice:
    """An invoice linked to the order: ``role`` is None for an invoice of the whole cart."""

    id: int
    number: str
    role: str | None
    status: str
    issue_date: date
    total: Decimal
    vat_rows: tuple[VatRow, ...]

    @property
    def valid(self) -> bool:
        return self.status != "cancelled"


@dataclass(frozen=True)
class BookInstalment:
    """One row of an order's instalment plan."""

    seq: int
    count: int
    due_date: date
    amount: Decimal
    vat_rows: tuple[VatRow, ...]
    status: str = "planned"  # planned | issued
    invoice_id: int | None = None


@dataclass(frozen=True)
class OrderBook:
    """An order's billing facts: every amount and refusal is computed from these."""

    number: int
    state: OrderState
    confirmed: bool
    currency: str
    language: str
    lines: tuple[BookLine, ...]
    invoices: tuple[BookInvoice, ...] = ()  # oldest first
    plan: tuple[BookInstalment, ...] = ()

    @property
    def unbilled(self) -> tuple[BookLine, ...]:
        return tuple(ln for ln in self.lines if ln.billed_by is None)

    def by_role(self, role: str) -> tuple[BookInvoice, ...]:
        return tuple(i for i in self.invoices if i.role == role and i.valid)

    @property
    def whole_invoice(self) -> BookInvoice | None:
        """The valid invoice of the whole cart, if the order was invoiced in one go."""
        return next((i for i in self.invoices if i.role is None and i.valid), None)

    @staticmethod
    def rows_of(lines: Iterable[BookLine]) -> tuple[VatRow, ...]:
        return vat_summary((ln.line_total, ln.vat_rate) for ln in lines).vat_rows

    @property
    def order_rows(self) -> tuple[VatRow, ...]:
        """The order's VAT rows: each billed group of lines with its own summary, plus the lines not yet billed."""
        groups: dict[int | None, list[BookLine]] = {}
        for ln in self.lines:
            groups.setdefault(ln.billed_by, []).append(ln)
        return add_rows(*(self.rows_of(g) for g in groups.values()))

    @property
    def advance_rows(self) -> tuple[VatRow, ...]:
        return add_rows(*(i.vat_rows for i in self.by_role("advance")))

    @property
    def remaining_rows(self) -> tuple[VatRow, ...]:
        """What is left to bill, rate by rate: lines not yet billed, less the advances."""
        if self.by_role("final") or self.plan or self.whole_invoice or self.state is OrderState.CANCELLED:
            return ()
        return subtract_rows(self.rows_of(self.unbilled), self.advance_rows)

    @property
    def left_to_bill(self) -> Decimal:
        if self.plan:
            return sum((p.amount for p in self.plan if p.status == "planned"), ZERO)
        return rows_total(self.remaining_rows)

    @property
    def total(self) -> Decimal:
        return rows_total(self.order_rows)

    @property
    def invoiced(self) -> Decimal:
        return sum((i.total for i in self.invoices if i.valid), ZERO)

    def refusal(self, action: OrderAction) -> str | None:
        """Why ``action`` is not possible on this order now, or None."""
        number = self.number
        if not self.confirmed:
            return (f"Cart {number} is not confirmed, so it is not an order: nothing can be billed on it. You can "
                    "bill it once the customer confirms it.")
        whole = self.whole_invoice
        if whole is not None and action is not OrderAction.SHIP:
            return (f"Order {number} was invoiced in full by invoice {whole.number}; it is not billed in parts. You "
                    f"can correct invoice {whole.number} with a credit note or cancel it (Invoices, F5).")
        reason = refusal(self.state, action, invoiced=bool(self.invoices))
        if reason:
            return reason
        if action in BILLING_ACTIONS and not self.lines:
            if refusal(self.state, OrderAction.ADD_LINE) is None:
                return f"Order {number} has no lines yet, so there is nothing to bill: add a line first."
            return f"Order {number} has no lines and none can be added now, so there is nothing to bill: cancel it."
        if action is OrderAction.PARTIAL and not self.unbilled:
            return (f"Every line of order {number} is billed already: add a line first, or issue the final invoice "
                    "(total zero) to complete it.")
        if action in (OrderAction.ADVANCE, OrderAction.INSTALMENTS) and self.left_to_bill <= ZERO:
            return (f"Nothing is left to bill on order {number}: issue its final invoice (total zero) to complete "
                    "it.")
        return None

    def require(self, action: OrderAction) -> None:
        """Raise OrderRefused when ``action`` is not possible now."""
        reason = self.refusal(action)
        if reason:
            raise OrderRefused(reason)

    def issued(self, invoice: BookInvoice, *, bills: Iterable[int] = (), instalment: int | None = None,
               state: OrderState | None = None) -> OrderBook:
        """The book once ``invoice`` is issued: it bills the lines at positions ``bills``, or instalment ``seq``."""
        billed = set(bills)
        lines = tuple(replace(ln, billed_by=invoice.id) if ln.position in billed else ln for ln in self.lines)
        plan = tuple(replace(p, status="issued", invoice_id=invoice.id) if p.seq == instalment else p
                     for p in self.plan)
        return replace(self, lines=lines, invoices=(*self.invoices, invoice), plan=plan, state=state or self.state)


# --- what an action creates ------------------------------------------------------------------------

@dataclass(frozen=True)
class PlannedInvoice:
    """An invoice that will be created (its number is assigned when it is issued)."""

    role: str
    label: str
    issue_date: date
    due_date: date
    lines: tuple[DocumentLine, ...]
    vat_rows: tuple[VatRow, ...]
    net: Decimal
    vat: Decimal
    total: Decimal
    references: tuple[str, ...] = ()
    seq: int | None = None  # the instalment's place in its plan
    count: int | None = None


@dataclass(frozen=True)
class BillingPlan:
    """What an action will create: the review the wizard, the assistant and the CLI show before it acts."""

    order_number: int
    action: str
    invoices: tuple[PlannedInvoice, ...]
    state_after: str
    left_after: Decimal
    currency: str
    mode: str = "now"  # instalments: now | schedule


def planned_invoice(role: str, label: str, day: date, due: date, lines: Iterable[DocumentLine],
                    rows: tuple[VatRow, ...], references: tuple[str, ...] = (), seq: int | None = None,
                    count: int | None = None) -> PlannedInvoice:
    """A planned invoice with its totals from its VAT rows."""
    net = sum((r.taxable for r in rows), ZERO)
    vat = sum((r.vat for r in rows), ZERO)
    return PlannedInvoice(role=role, label=label, issue_date=day, due_date=due, lines=tuple(lines), vat_rows=rows,
                          net=net, vat=vat, total=net + vat, references=references, seq=seq, count=count)


def _money(book: OrderBook, amount: Decimal) -> str:
    return format_amount(amount, book.currency, book.language)


def document_lines(lines: Iterable[BookLine]) -> tuple[DocumentLine, ...]:
    """Order lines as the lines of an invoice, numbered from 1."""
    return tuple(DocumentLine(position=i, sku=ln.sku, description=ln.description, quantity=ln.quantity,
                              unit_price=ln.unit_price, vat_rate=ln.vat_rate, line_total=ln.line_total)
                 for i, ln in enumerate(lines, start=1))


def rate_lines(rows: Iterable[VatRow], sku: str, text: str, start: int = 1, sign: int = 1) -> tuple[DocumentLine, ...]:
    """One line per VAT rate (advances, instalments, deductions): ``text (22%)`` for the rate's taxable."""
    return tuple(DocumentLine(position=start + i, sku=sku, description=f"{text} ({row.rate.normalize():f}%)",
                              quantity=Decimal("1.000"), unit_price=sign * row.taxable, vat_rate=row.rate,
                              line_total=sign * row.taxable) for i, row in enumerate(rows))


def earlier_invoices(book: OrderBook, roles: tuple[str, ...]) -> tuple[str, ...]:
    """The valid earlier invoices of ``roles``, one printed line each, in the customer's language."""
    lang = book.language
    plan_seq = {p.invoice_id: (p.seq, p.count) for p in book.plan}
    out = []
    for inv in book.invoices:
        if not inv.valid or inv.role not in roles:
            continue
        values = {"number": inv.number, "date": format_date(inv.issue_date, lang), "total": _money(book, inv.total)}
        if inv.role == "instalment":
            seq, count = plan_seq.get(inv.id, (0, 0))
            out.append(t("earlier_instalment", lang, seq=seq, count=count, **values))
        else:
            out.append(t(f"earlier_{inv.role}", lang, **values))
    return tuple(out)


def _one(book: OrderBook, action: OrderAction, invoice: PlannedInvoice, left_after: Decimal) -> BillingPlan:
    return BillingPlan(order_number=book.number, action=action.value, invoices=(invoice,),
                       state_after=next_state(book.state, action, invoiced=bool(book.invoices)).value,
                       left_after=left_after, currency=book.currency)


def plan_partial(book: OrderBook, day: date, due: date) -> BillingPlan:
    """A partial invoice billing every line not yet billed (S003.1)."""
    book.require(OrderAction.PARTIAL)
    lines = book.unbilled
    invoice = planned_invoice("partial", t("role_partial", book.language, order=book.number), day, due,
                              document_lines(lines), book.rows_of(lines))
    return _one(book, OrderAction.PARTIAL, invoice, ZERO)


def positive_number(value: Decimal | str, field_name: str, what: str) -> Decimal:
    """A number the user typed (``€`` and ``%`` allowed) that must be more than zero."""
    try:
        number = to_decimal(str(value).strip().replace("€", "").replace("%", "").strip())
    except (ValueError, TypeError, InvalidOperation):
        raise ValidationFailed({field_name: f"a number, e.g. {'30' if field_name == 'percent' else '250.00'}"},
                               f"{value!r} is not {what}; type a number") from None
    if not number.is_finite() or number <= 0:
        raise ValidationFailed({field_name: "more than 0"}, f"The {what} must be more than 0.")
    return number


def _blank(value: object) -> bool:
    return value is None or str(value).strip() == ""


def plan_advance(book: OrderBook, day: date, due: date, amount: Decimal | str | None,
                 percent: Decimal | str | None) -> BillingPlan:
    """An advance invoice for an amount or a percentage of the order, split over the rates left (S003.4)."""
    book.require(OrderAction.ADVANCE)
    if _blank(amount) == _blank(percent):
        raise ValidationFailed({"amount": "give the amount or the percentage, not both"},
                               "Give the advance as an amount or as a percentage of the order (one of the two).")
    left = book.left_to_bill
    if not _blank(percent):
        assert percent is not None
        pct = positive_number(percent, "percent", "percentage")
        if pct > 100:
            raise ValidationFailed({"percent": "at most 100"}, "The percentage must be at most 100.")
        value = percent_of(book.total, pct)
        field_name = "percent"
    else:
        value = round_money(positive_number(amount or "", "amount", "amount"))
        field_name = "amount"
    if value <= ZERO:
        raise ValidationFailed({field_name: "comes to less than a cent"}, "The advance comes to less than a cent.")
    if value > left:
        money = _money(book, left)
        raise ValidationFailed({field_name: f"at most {money} is left to bill"},
                               f"The advance ({_money(book, value)}) is more than is left to bill ({money}).")
    rows = share_of(value, book.remaining_rows)
    label = t("advance_line", book.language, order=book.number)
    invoice = planned_invoice("advance", t("role_advance", book.language, order=book.number), day, due,
                              rate_lines(rows, "ADVANCE", label), rows)
    return _one(book, OrderAction.ADVANCE, invoice, left - value)


def plan_final(book: OrderBook, day: date, due: date) -> BillingPlan:
    """The final invoice: the lines not yet billed, less every advance, listing the earlier invoices (S003.2–4)."""
    book.require(OrderAction.FINAL)
    lang = book.language
    lines = list(document_lines(book.unbilled))
    unbilled_rows = book.rows_of(book.unbilled)
    for inv in book.by_role("advance"):
        lines += rate_lines(inv.vat_rows, "ADVANCE", t("less_advance", lang, number=inv.number,
                                                       date=format_date(inv.issue_date, lang)),
                            start=len(lines) + 1, sign=-1)
    rates = {r.rate for r in unbilled_rows} | {r.rate for r in book.advance_rows}
    remaining = subtract_rows(unbilled_rows, book.advance_rows)
    rows = tuple(next((r for r in remaining if r.rate == rate), VatRow(rate=rate, taxable=ZERO, vat=ZERO))
                 for rate in sorted(rates, reverse=True))
    if not lines:  # partial invoices billed every line: a zero balance, still with one line (an invoice needs one)
        rate = max(ln.vat_rate for ln in book.lines)
        lines = [DocumentLine(position=1, sku="BALANCE", description=t("role_final", lang, order=book.number),
                              quantity=Decimal("1.000"), unit_price=ZERO, vat_rate=rate, line_total=ZERO)]
        rows = (VatRow(rate=rate, taxable=ZERO, vat=ZERO),)
    invoice = planned_invoice("final", t("role_final", lang, order=book.number), day, due, lines, rows,
                              references=earlier_invoices(book, ("partial", "advance")))
    return _one(book, OrderAction.FINAL, invoice, ZERO)


def instalment_invoice(book: OrderBook, seq: int, count: int, day: date, due: date, rows: tuple[VatRow, ...],
                       earlier: tuple[str, ...]) -> PlannedInvoice:
    """Instalment ``seq`` of ``count``; the last is the final invoice and lists ``earlier``."""
    lang = book.language
    final = seq == count
    label = t("role_instalment", lang, seq=seq, count=count, order=book.number)
    lines = rate_lines(rows, "INSTALMENT", t("instalment_line", lang, seq=seq, count=count, order=book.number))
    return planned_invoice("final" if final else "instalment", label, day, due, lines, rows,
                           references=earlier if final else (), seq=seq, count=count)


def parse_day(value: date | str | None, field_name: str, default: date) -> date:
    """A date the user typed (YYYY-MM-DD), or ``default`` when blank."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed({field_name: "use YYYY-MM-DD, e.g. 2026-12-31"},
                               f"{value!r} is not a date; use YYYY-MM-DD, e.g. 2026-12-31") from None


def plan_instalments(book: OrderBook, today: date, count: int | str, start: date | str | None, every: str,
                     mode: str) -> BillingPlan:
    """Instalments of a shipped order: dates and amounts adding up to what is left (S003.5)."""
    book.require(OrderAction.INSTALMENTS)
    errors: dict[str, str] = {}
    try:
        k = int(str(count).strip())
    except ValueError:
        k = 0
    if not 2 <= k <= MAX_INSTALMENTS:
        errors["count"] = f"a whole number from 2 to {MAX_INSTALMENTS}"
    if every not in EVERY:
        errors["every"] = "choose " + ", ".join(EVERY)
    if mode not in ("now", "schedule"):
        errors["mode"] = "choose now (issue and send them all now) or schedule"
    first = None
    try:
        first = parse_day(start, "start", today)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if first is not None and first < today:
        errors["start"] = f"today ({today.isoformat()}) or later"
    if errors:
        raise ValidationFailed(errors, "Check the instalments: " + "; ".join(f"{k}: {v}" for k, v in errors.items()))
    assert first is not None
    dates = instalment_dates(first, k, every)
    remaining = book.remaining_rows
    amounts = split_evenly(rows_total(remaining), k)
    if any(a <= ZERO for a in amounts):
        raise ValidationFailed({"count": "fewer instalments: each must be at least a cent"},
                               "There are more instalments than cents to bill; choose fewer instalments.")
    earlier = earlier_invoices(book, ("partial", "advance"))
    invoices = []
    for seq, (due, amount) in enumerate(zip(dates, amounts, strict=True), start=1):
        rows = share_of(amount, remaining) if seq < k else remaining
        remaining = subtract_rows(remaining, rows)
        day = today if mode == "now" else due
        listed = earlier + ((t("earlier_instalments_planned", book.language, last=k - 1),) if seq == k else ())
        invoices.append(instalment_invoice(book, seq, k, day, max(due, day), rows, listed))
    return BillingPlan(order_number=book.number, action="instalments", invoices=tuple(invoices),
                       state_after=next_state(book.state, OrderAction.INSTALMENTS).value, left_after=ZERO,
                       currency=book.currency, mode=mode)


def due_instalment(book: OrderBook, seq: int, today: date) -> PlannedInvoice:
    """Planned instalment ``seq`` as issued today (the last one lists every earlier invoice of the order)."""
    row = next(p for p in book.plan if p.seq == seq)
    return instalment_invoice(book, row.seq, row.count, today, max(row.due_date, today), row.vat_rows,
                              earlier_invoices(book, ("partial", "advance", "instalment")))
