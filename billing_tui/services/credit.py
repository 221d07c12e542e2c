"""Prepaid credit (S000.8): purchases from credit invoices, consumption and the balance month by month.

- **Which products are credit**: a product whose SKU starts with one of ``CREDIT_SKU_PREFIXES``
  (``SMS-CREDIT-50``, ``SMS-CREDIT-200`` in the demo); :func:`is_credit_sku` is the one rule.
- **Purchases**: the invoice of a cart holding a credit line is the advance. Each credit line of
  an issued invoice becomes one ``purchase`` entry (its gross amount, VAT rate, invoice and cart),
  found by :func:`sync_purchases`, which balance reads, consumption and month end run first
  (idempotent: one entry per invoice line, keyed ``purchase:<invoice id>:<line position>``).
- **Consumption** draws on the purchases oldest first and takes their VAT rate. It never takes
  the balance below zero silently: the ``credit_overdraft`` setting refuses it (default) or
  records it flagged ``overdraft``. It cannot be dated in the future, nor in a month already
  reported by a zero invoice.
- **Month end** (``services.month_end``) reports the credit used in each ended month with a zero
  invoice; **CSV import** (``services.credit_import``) records consumption from a file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.domain.i18n import format_amount
from billing_tui.domain.money import ZERO, round_money, to_decimal
from billing_tui.services import app_settings
from billing_tui.services.context import ServiceContext
from billing_tui.storage.account_models import CreditEntry, CreditMonthEnd
from billing_tui.storage.document_models import Invoice, InvoiceLine
from billing_tui.storage.shop_models import Customer

CREDIT_SKU_PREFIXES = ("SMS-CREDIT-", "CREDIT-")
"""A product is prepaid credit when its SKU starts with one of these (the one rule, in one place)."""
CSV_COLUMNS = ("customer_id", "date", "quantity", "amount", "description")
"""The columns of a consumption CSV file, named in its header line (any order)."""
DEFAULT_VAT_RATE = Decimal("22.00")
"""The rate of a consumption when the customer never bought credit (only possible as an overdraft)."""
MAX_AMOUNT = Decimal("1000000")
MAX_QUANTITY = Decimal("1000000")
USED_SKU = "PREPAID-USED"
STORNO_SKU = "PREPAID-STORNO"
CENT = Decimal("0.01")
MILLI = Decimal("0.001")

def is_credit_sku(sku: str | None) -> bool:
    """Whether a product (by its SKU) is prepaid credit."""
    return bool(sku) and str(sku).strip().upper().startswith(CREDIT_SKU_PREFIXES)


class CreditRefused(ValidationFailed):
    """A consumption was refused because the credit left is not enough (nothing was recorded)."""


# --- views --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CreditEntryView:
    """One movement of a customer's credit: bought (a purchase invoice's credit line) or consumed."""

    id: int
    customer_id: int
    kind: str  # purchase | consumption
    on_date: date
    quantity: Decimal
    amount: Decimal  # gross, positive
    vat_rate: Decimal
    description: str
    overdraft: bool
    invoice_number: str | None  # the purchase invoice
    created_by: str


@dataclass(frozen=True)
class CreditMonth:
    """One month of a customer's credit: bought, consumed, left at its end, and its zero invoice if issued."""

    month: str  # YYYY-MM
    bought: Decimal
    consumed: Decimal
    left: Decimal
    zero_invoice: str | None


@dataclass(frozen=True)
class CreditBalance:
    """A customer's prepaid credit: month by month (oldest first), totals, and the entries (newest first)."""

    customer_id: int
    customer_name: str
    currency: str
    months: tuple[CreditMonth, ...]
    bought: Decimal
    consumed: Decimal
    left: Decimal
    entries: tuple[CreditEntryView, ...]
    overdraft_policy: str  # refuse | allow


# --- checking input -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConsumptionInput:
    """A consumption's values, checked and normalised (amount to the cent, quantity to the thousandth)."""

    on: date
    quantity: Decimal
    amount: Decimal
    description: str
    vat_rate: Decimal | None = None


def _number(value: object, field_name: str, *, places: Decimal, maximum: Decimal, example: str,
            errors: dict[str, str]) -> Decimal | None:
    text = str(value).strip().replace("€", "").strip() if value is not None else ""
    if not text:
        errors[field_name] = f"required, e.g. {example}"
        return None
    try:
        number = to_decimal(text)
    except (ValueError, TypeError, InvalidOperation):
        errors[field_name] = f"a number, e.g. {example}"
        return None
    if number <= 0:
        errors[field_name] = "more than 0"
        return None
    if number > maximum:
        errors[field_name] = f"at most {maximum}"
        return None
    if number != number.quantize(places):
        errors[field_name] = f"at most {-places.as_tuple().exponent} decimals, e.g. {example}"  # type: ignore[operator]
        return None
    return number.quantize(places)


def check_consumption(*, amount: object, quantity: object = 1, on: date | str | None = None, description: str = "",
                      vat_rate: object = None, today: date) -> tuple[ConsumptionInput | None, dict[str, str]]:
    """``(values, {})`` when a consumption's fields are acceptable, else ``(None, {field: reason})``.

    A plain function (no database): the dialog shows its reasons beside the fields as you type.
    """
    errors: dict[str, str] = {}
    value = _number(amount, "amount", places=CENT, maximum=MAX_AMOUNT, example="12.50", errors=errors)
    qty = _number(quantity, "quantity", places=MILLI, maximum=MAX_QUANTITY, example="100", errors=errors)
    day: date | None = today
    if isinstance(on, date):
        day = on
    elif on is not None and str(on).strip():
        try:
            day = date.fromisoformat(str(on).strip())
        except ValueError:
            errors["date"] = "use YYYY-MM-DD, e.g. 2026-10-31"
            day = None
    if day is not None and day > today:
        errors["date"] = f"not after today ({today.isoformat()})"
    text = " ".join(str(description or "").split())
    if len(text) > 200:
        errors["description"] = "at most 200 characters"
    rate: Decimal | None = None
    if vat_rate is not None and str(vat_rate).strip():
        try:
            rate = to_decimal(str(vat_rate).replace("%", "").strip()).quantize(CENT)
        except (ValueError, TypeError, InvalidOperation):
            errors["vat_rate"] = "a rate such as 22"
        else:
            if not ZERO <= rate < 100:
                errors["vat_rate"] = "from 0 to 99.99"
    if errors or value is None or qty is None or day is None:
        return None, errors
    return ConsumptionInput(on=day, quantity=qty, amount=value, description=text, vat_rate=rate), {}


def nothing_recorded(errors: dict[str, str], what: str = "Nothing was recorded") -> ValidationFailed:
    return ValidationFailed(errors, f"{what}: " + "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in errors.items()))


def eur(amount: Decimal) -> str:
    return format_amount(amount, "EUR", "it")


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(month: str) -> tuple[date, date]:
    year, mon = int(month[:4]), int(month[5:7])
    start = date(year, mon, 1)
    end = date(year + (mon == 12), mon % 12 + 1, 1)
    return start, end


# --- purchases ----------------------------------------------------------------------------------------------

def _gross(line_total: Decimal, rate: Decimal) -> Decimal:
    return round_money(line_total * (100 + rate) / 100)


def _missing_purchases(session: Session, customer_id: int | None) -> list[dict[str, object]]:
    """Credit lines of issued invoices (for carts) that have no purchase entry yet, in invoice order."""
    stmt = (select(Invoice.id, Invoice.customer_id, Invoice.cart_id, Invoice.issue_date, InvoiceLine.position,
                   InvoiceLine.sku, InvoiceLine.description, InvoiceLine.quantity, InvoiceLine.line_total,
                   InvoiceLine.vat_rate)
            .join(InvoiceLine, col(InvoiceLine.invoice_id) == col(Invoice.id))
            .where(col(Invoice.kind) == "invoice", col(Invoice.status) != "cancelled",
                   col(Invoice.cart_id).is_not(None), col(InvoiceLine.line_total) > 0,
                   or_(*(col(InvoiceLine.sku).like(prefix + "%") for prefix in CREDIT_SKU_PREFIXES))))
    if customer_id is not None:
        stmt = stmt.where(col(Invoice.customer_id) == customer_id)
    rows = [r for r in session.execute(stmt.order_by(col(Invoice.issue_date), col(Invoice.id),
                                                     col(InvoiceLine.position))).all() if is_credit_sku(r.sku)]
    if not rows:
        return []
    known = known_keys(session, [f"purchase:{r.id}:{r.position}" for r in rows])
    return [{"customer_id": r.customer_id, "kind": "purchase", "on_date": r.issue_date, "quantity": r.quantity,
             "amount": _gross(r.line_total, r.vat_rate), "vat_rate": r.vat_rate, "description": r.description[:200],
             "overdraft": False, "cart_id": r.cart_id, "invoice_id": r.id, "import_key": key}
            for r in rows if (key := f"purchase:{r.id}:{r.position}") not in known]


def known_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` are already recorded (asked 500 at a time: SQLite limits the parameters of a query)."""
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        known.update(k for k in session.scalars(select(CreditEntry.import_key)
                                                .where(col(CreditEntry.import_key).in_(chunk))) if k)
    return known


def sync_in_session(session: Session, ctx: ServiceContext, customer_id: int | None) -> int:
    """Record the missing purchases inside the caller's write transaction; how many were recorded."""
    missing = _missing_purchases(session, customer_id)
    if not missing:
        return 0
    now = ctx.clock.now()
    insert = pg_insert if ctx.db.backend == "postgresql" else sqlite_insert
    for row in missing:
        row.update(created_at=now, created_by=ctx.actor)
    stmt = insert(CreditEntry).values(missing).on_conflict_do_nothing(index_elements=["import_key"])
    session.execute(stmt)
    return len(missing)


def sync_purchases(ctx: ServiceContext, customer_id: int | None = None) -> int:
    """Record a purchase entry for every credit line of an issued invoice that has none yet; how many (idempotent)."""
    with ctx.db.read() as session:
        if not _missing_purchases(session, customer_id):
            return 0
    with ctx.db.write() as session:
        return sync_in_session(session, ctx, customer_id)


# --- drawing on the credit ----------------------------------------------------------------------------------

@dataclass
class CreditPool:
    """A customer's purchases (oldest first) and what is left of each after the consumption allocated so far."""

    purchases: list[CreditEntry]
    left: list[Decimal] = field(default_factory=list)
    uncovered: Decimal = ZERO

    def __post_init__(self) -> None:
        self.left = [p.amount for p in self.purchases]

    def draw(self, amount: Decimal) -> list[tuple[int, Decimal]]:
        """Take ``amount`` oldest purchase first: ``[(purchase index, gross)]``; what no purchase covers is uncovered."""
        out = []
        rest = amount
        for i, left in enumerate(self.left):
            if rest <= ZERO:
                break
            if left <= ZERO:
                continue
            take = min(left, rest)
            self.left[i] -= take
            rest -= take
            out.append((i, take))
        if rest > ZERO:
            self.uncovered += rest
            out.append((-1, rest))
        return out

    @property
    def balance(self) -> Decimal:
        return sum(self.left, ZERO) - self.uncovered

    def next_rate(self) -> Decimal:
        """The VAT rate of the credit the next consumption draws on."""
        for p, left in zip(self.purchases, self.left, strict=True):
            if left > ZERO:
                return p.vat_rate
        return self.purchases[-1].vat_rate if self.purchases else DEFAULT_VAT_RATE


def entries_of(session: Session, customer_id: int, kind: str, *, before: date | None = None) -> list[CreditEntry]:
    stmt = select(CreditEntry).where(col(CreditEntry.customer_id) == customer_id, col(CreditEntry.kind) == kind)
    if before is not None:
        stmt = stmt.where(col(CreditEntry.on_date) < before)
    return list(session.scalars(stmt.order_by(col(CreditEntry.on_date), col(CreditEntry.id))))


def pool_of(session: Session, customer_id: int) -> CreditPool:
    """The customer's credit after every consumption recorded so far."""
    pool = CreditPool(entries_of(session, customer_id, "purchase"))
    for entry in entries_of(session, customer_id, "consumption"):
        pool.draw(entry.amount)
    return pool


def customer_row(session: Session, customer_id: int, *, lock: bool = False) -> Customer:
    query = select(Customer).where(col(Customer.id) == customer_id)
    customer = session.scalars(query.with_for_update() if lock else query).first()
    if customer is None:
        raise NotFound(f"There is no customer {customer_id}; see the customers list (F3)")
    return customer


def _closed_month(session: Session, customer_id: int) -> tuple[str, str] | None:
    """The customer's latest month already reported by a zero invoice: ``(YYYY-MM, invoice number)``."""
    row = session.execute(select(CreditMonthEnd.month, Invoice.number)
                          .join(Invoice, col(Invoice.id) == col(CreditMonthEnd.invoice_id))
                          .where(col(CreditMonthEnd.customer_id) == customer_id)
                          .order_by(col(CreditMonthEnd.month).desc()).limit(1)).first()
    return (row[0], row[1] or "") if row else None


def consume(session: Session, ctx: ServiceContext, customer_id: int, pool: CreditPool, row: ConsumptionInput,
             policy: str, import_key: str | None) -> CreditEntry:
    """Check one consumption against the credit left and the closed months, then add it (caller's transaction)."""
    closed = _closed_month(session, customer_id)
    if closed is not None and month_of(row.on) <= closed[0]:
        raise nothing_recorded({"date": f"after {closed[0]}: that month's credit is already reported by zero invoice "
                               f"{closed[1]}"})
    if pool.purchases:
        rate = pool.next_rate()
    else:
        rate = DEFAULT_VAT_RATE if row.vat_rate is None else row.vat_rate
    if row.vat_rate is not None and row.vat_rate != rate:
        raise nothing_recorded({"vat_rate": f"{rate.normalize():f}%, the rate of the credit it uses (or leave it empty)"})
    left = pool.balance
    overdraft = row.amount > left
    if overdraft and policy != "allow":
        raise CreditRefused(
            {"amount": f"more than the credit left ({eur(max(left, ZERO))})"},
            f"Nothing was recorded: customer {customer_id} has {eur(left)} of credit left and "
            f"{eur(row.amount)} was asked. Record less, have the customer buy credit, or allow overdraft in "
            "Settings (credit_overdraft).")
    pool.draw(row.amount)
    entry = CreditEntry(customer_id=customer_id, kind="consumption", on_date=row.on, quantity=row.quantity,
                        amount=row.amount, vat_rate=rate, description=row.description, overdraft=overdraft,
                        import_key=import_key, created_at=ctx.clock.now(), created_by=ctx.actor)
    session.add(entry)
    return entry


def overdraft_policy(ctx: ServiceContext) -> str:
    return app_settings.get_settings(ctx).get("credit_overdraft", "refuse")


def _view(entry: CreditEntry, invoice_number: str | None) -> CreditEntryView:
    return CreditEntryView(id=entry.id or 0, customer_id=entry.customer_id, kind=entry.kind, on_date=entry.on_date,
                           quantity=entry.quantity, amount=entry.amount, vat_rate=entry.vat_rate,
                           description=entry.description, overdraft=entry.overdraft, invoice_number=invoice_number,
                           created_by=entry.created_by)


def record_consumption(ctx: ServiceContext, *, customer_id: int, amount: Decimal | str, quantity: Decimal | str | int = 1,
                       on: date | str | None = None, description: str = "",
                       vat_rate: Decimal | str | None = None) -> CreditEntryView:
    """Record credit consumed by a customer (gross amount); refused, or flagged overdraft, beyond the credit left."""
    row, errors = check_consumption(amount=amount, quantity=quantity, on=on, description=description,
                                    vat_rate=vat_rate, today=ctx.clock.now().date())
    if row is None:
        raise nothing_recorded(errors)
    policy = overdraft_policy(ctx)
    with ctx.db.write() as session:
        customer_row(session, customer_id, lock=True)
        sync_in_session(session, ctx, customer_id)
        entry = consume(session, ctx, customer_id, pool_of(session, customer_id), row, policy, None)
        session.flush()
        return _view(entry, None)


# --- the balance --------------------------------------------------------------------------------------------

def _months_between(first: str, last: str) -> list[str]:
    out = []
    year, mon = int(first[:4]), int(first[5:7])
    while f"{year:04d}-{mon:02d}" <= last:
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = year + (mon == 12), mon % 12 + 1
    return out


def balance(ctx: ServiceContext, customer_id: int) -> CreditBalance:
    """A customer's credit bought, consumed and left, month by month up to this month, with every entry."""
    sync_purchases(ctx, customer_id)
    with ctx.db.read() as session:
        customer = customer_row(session, customer_id)
        rows = session.execute(select(CreditEntry, Invoice.number)
                               .outerjoin(Invoice, col(Invoice.id) == col(CreditEntry.invoice_id))
                               .where(col(CreditEntry.customer_id) == customer_id)
                               .order_by(col(CreditEntry.on_date), col(CreditEntry.id))).all()
        zero = dict(session.execute(select(CreditMonthEnd.month, Invoice.number)
                                    .join(Invoice, col(Invoice.id) == col(CreditMonthEnd.invoice_id))
                                    .where(col(CreditMonthEnd.customer_id) == customer_id)).all())
    bought: dict[str, Decimal] = defaultdict(lambda: ZERO)
    consumed: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry, _ in rows:
        (bought if entry.kind == "purchase" else consumed)[month_of(entry.on_date)] += entry.amount
    months: list[CreditMonth] = []
    if rows:
        this_month = month_of(ctx.clock.now().date())
        first = month_of(rows[0][0].on_date)
        last = max(this_month, month_of(rows[-1][0].on_date))
        left = ZERO
        for month in _months_between(first, last):
            left += bought[month] - consumed[month]
            months.append(CreditMonth(month=month, bought=bought[month], consumed=consumed[month], left=left,
                                      zero_invoice=zero.get(month)))
    total_bought = sum(bought.values(), ZERO)
    total_consumed = sum(consumed.values(), ZERO)
    entries = tuple(_view(e, n) for e, n in reversed(rows))
    return CreditBalance(customer_id=customer_id, customer_name=customer.name, currency="EUR", months=tuple(months),
                         bought=total_bought, consumed=total_consumed, left=total_bought - total_consumed,
                         entries=entries, overdraft_policy=overdraft_policy(ctx))
