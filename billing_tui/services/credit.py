"""Prepaid credit (S000.8): purchases from credit invoices, consumption, the balance month by month, zero invoices.

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
- **Month end**: for every ended month in which a customer consumed credit, one invoice of total
  zero lists the credit used per VAT rate (positive lines) and the reversal of the matching share
  of each purchase invoice drawn on (negative lines, same taxable and VAT), so the lines and the
  VAT summary net to zero; its ``credit_month_end`` row (unique per customer and month) is written
  in the same transaction, and the email is queued with it. Consumption not yet covered by a
  purchase (overdraft) waits until credit is bought.

CSV import: a header line naming the columns ``customer_id,date,quantity,amount,description``
(any order), then one consumption per line (date ``YYYY-MM-DD``, amounts gross with a dot or a
comma). All or nothing; every refused line is named. Each row's key is a hash of its values and
of how many identical rows precede it in the file, so importing the same file again (or the same
file with rows appended) records only what is new.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from billing_tui.domain.documents import DocumentKind, DocumentLine
from billing_tui.domain.errors import BillingError, NotFound, ValidationFailed
from billing_tui.domain.i18n import format_amount, format_date
from billing_tui.domain.money import ZERO, round_money, to_decimal, vat_summary
from billing_tui.domain.profile import FIELD_KEYS, validate_profile
from billing_tui.services import app_settings
from billing_tui.services.context import ServiceContext
from billing_tui.services.invoices import (
    InvoiceRefused,
    _check_date,
    _party_from_customer,
    _party_from_seller,
    _seller,
    _store,
)
from billing_tui.storage.account_models import CreditEntry, CreditMonthEnd
from billing_tui.storage.invoice_models import Invoice, InvoiceLine
from billing_tui.storage.models import Customer

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

TEXTS: dict[str, dict[str, str]] = {
    "used": {"it": "Credito prepagato utilizzato – {month}", "en": "Prepaid credit used – {month}",
             "ro": "Credit preplătit utilizat – {month}"},
    "storno": {"it": "Storno acconto: fattura {number} del {date}", "en": "Reversal of advance: invoice {number} of {date}",
               "ro": "Stornare avans: factura {number} din {date}"},
    "note": {"it": "Fattura a totale zero: riepiloga il credito prepagato utilizzato in {month} e storna la quota "
                   "corrispondente dell'acconto già fatturato.",
             "en": "Zero-total invoice: it reports the prepaid credit used in {month} and reverses the matching share "
                   "of the advance already invoiced.",
             "ro": "Factură cu total zero: raportează creditul preplătit utilizat în {month} și stornează partea "
                   "corespunzătoare din avansul deja facturat."},
    "detail": {"it": "Credito utilizzato con IVA {rate}%: imponibile {taxable}, IVA {vat}, totale {gross}",
               "en": "Credit used at {rate}% VAT: taxable {taxable}, VAT {vat}, total {gross}",
               "ro": "Credit utilizat cu TVA {rate}%: bază impozabilă {taxable}, TVA {vat}, total {gross}"},
}


def _t(key: str, language: str, **values: object) -> str:
    entry = TEXTS[key]
    return (entry.get(language) or entry["it"]).format(**values)


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


@dataclass(frozen=True)
class ImportResult:
    """What a CSV import recorded (rows already imported by an earlier run are counted, not recorded again)."""

    recorded: int
    already_imported: int
    amount: Decimal
    overdrafts: int

    def __str__(self) -> str:
        text = f"recorded {self.recorded} consumption(s) for {self.amount} EUR"
        if self.already_imported:
            text += f"; {self.already_imported} row(s) already imported before"
        if self.overdrafts:
            text += f"; {self.overdrafts} flagged overdraft"
        return text


@dataclass(frozen=True)
class MonthEndResult:
    """What one month-end run did: zero invoices issued, and customer-months left waiting (with why)."""

    issued: tuple[tuple[str, int, str], ...]  # (invoice number, customer id, month)
    waiting: tuple[tuple[int, str, str], ...]  # (customer id, month, reason)

    def __str__(self) -> str:
        text = f"issued {len(self.issued)} zero invoice(s)"
        if self.issued:
            text += ": " + ", ".join(f"{n} (customer {c}, {m})" for n, c, m in self.issued[:5])
            if len(self.issued) > 5:
                text += ", …"
        if self.waiting:
            text += f"; {len(self.waiting)} waiting: " + "; ".join(
                f"customer {c} {m}: {r}" for c, m, r in self.waiting[:3])
        return text


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


def _refuse(errors: dict[str, str], what: str = "Nothing was recorded") -> ValidationFailed:
    return ValidationFailed(errors, f"{what}: " + "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in errors.items()))


def _money(amount: Decimal) -> str:
    return format_amount(amount, "EUR", "it")


def _month(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month_bounds(month: str) -> tuple[date, date]:
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
    known = _known_keys(session, [f"purchase:{r.id}:{r.position}" for r in rows])
    return [{"customer_id": r.customer_id, "kind": "purchase", "on_date": r.issue_date, "quantity": r.quantity,
             "amount": _gross(r.line_total, r.vat_rate), "vat_rate": r.vat_rate, "description": r.description[:200],
             "overdraft": False, "cart_id": r.cart_id, "invoice_id": r.id, "import_key": key}
            for r in rows if (key := f"purchase:{r.id}:{r.position}") not in known]


def _known_keys(session: Session, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` are already recorded (asked 500 at a time: SQLite limits the parameters of a query)."""
    known: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start:start + 500]
        known.update(k for k in session.scalars(select(CreditEntry.import_key)
                                                .where(col(CreditEntry.import_key).in_(chunk))) if k)
    return known


def _sync(session: Session, ctx: ServiceContext, customer_id: int | None) -> int:
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
        return _sync(session, ctx, customer_id)


# --- drawing on the credit ----------------------------------------------------------------------------------

@dataclass
class _Pool:
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


def _entries(session: Session, customer_id: int, kind: str, *, before: date | None = None) -> list[CreditEntry]:
    stmt = select(CreditEntry).where(col(CreditEntry.customer_id) == customer_id, col(CreditEntry.kind) == kind)
    if before is not None:
        stmt = stmt.where(col(CreditEntry.on_date) < before)
    return list(session.scalars(stmt.order_by(col(CreditEntry.on_date), col(CreditEntry.id))))


def _pool(session: Session, customer_id: int) -> _Pool:
    """The customer's credit after every consumption recorded so far."""
    pool = _Pool(_entries(session, customer_id, "purchase"))
    for entry in _entries(session, customer_id, "consumption"):
        pool.draw(entry.amount)
    return pool


def _customer(session: Session, customer_id: int, *, lock: bool = False) -> Customer:
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


def _consume(session: Session, ctx: ServiceContext, customer_id: int, pool: _Pool, row: ConsumptionInput,
             policy: str, import_key: str | None) -> CreditEntry:
    """Check one consumption against the credit left and the closed months, then add it (caller's transaction)."""
    closed = _closed_month(session, customer_id)
    if closed is not None and _month(row.on) <= closed[0]:
        raise _refuse({"date": f"after {closed[0]}: that month's credit is already reported by zero invoice "
                               f"{closed[1]}"})
    if pool.purchases:
        rate = pool.next_rate()
    else:
        rate = DEFAULT_VAT_RATE if row.vat_rate is None else row.vat_rate
    if row.vat_rate is not None and row.vat_rate != rate:
        raise _refuse({"vat_rate": f"{rate.normalize():f}%, the rate of the credit it uses (or leave it empty)"})
    left = pool.balance
    overdraft = row.amount > left
    if overdraft and policy != "allow":
        raise CreditRefused(
            {"amount": f"more than the credit left ({_money(max(left, ZERO))})"},
            f"Nothing was recorded: customer {customer_id} has {_money(left)} of credit left and "
            f"{_money(row.amount)} was asked. Record less, have the customer buy credit, or allow overdraft in "
            "Settings (credit_overdraft).")
    pool.draw(row.amount)
    entry = CreditEntry(customer_id=customer_id, kind="consumption", on_date=row.on, quantity=row.quantity,
                        amount=row.amount, vat_rate=rate, description=row.description, overdraft=overdraft,
                        import_key=import_key, created_at=ctx.clock.now(), created_by=ctx.actor)
    session.add(entry)
    return entry


def _policy(ctx: ServiceContext) -> str:
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
        raise _refuse(errors)
    policy = _policy(ctx)
    with ctx.db.write() as session:
        _customer(session, customer_id, lock=True)
        _sync(session, ctx, customer_id)
        entry = _consume(session, ctx, customer_id, _pool(session, customer_id), row, policy, None)
        session.flush()
        return _view(entry, None)


# --- CSV import ---------------------------------------------------------------------------------------------

def _import_key(customer_id: int, row: ConsumptionInput, occurrence: int) -> str:
    text = "|".join((str(customer_id), row.on.isoformat(), f"{row.quantity:f}", f"{row.amount:f}", row.description,
                     str(occurrence)))
    return "csv:" + hashlib.sha256(text.encode()).hexdigest()


def _read_csv(path: Path) -> list[tuple[int, dict[str, str]]]:
    """``[(line number, {column: value})]``; refuses a file without the header line."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            first = handle.readline()
            handle.seek(0)
            delimiter = ";" if first.count(";") > first.count(",") else ","
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, None)
            names = [h.strip().lower() for h in header or ()]
            if sorted(names) != sorted(CSV_COLUMNS):
                raise _refuse({"line 1": f"the header must name the columns {','.join(CSV_COLUMNS)} "
                                         f"(found: {','.join(names) or 'nothing'})"}, f"Nothing was imported from {path.name}")
            rows = []
            line = reader.line_num
            for values in reader:
                start, line = line + 1, reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(names):
                    rows.append((start, {"__error__": f"{len(values)} values, {len(names)} expected"}))
                    continue
                rows.append((start, dict(zip(names, values, strict=True))))
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise BillingError(f"Cannot read {path}: {exc}. Check the path, that the file is readable and that it is "
                           "UTF-8 CSV with the header customer_id,date,quantity,amount,description; nothing was "
                           "recorded") from None


def import_consumption_csv(ctx: ServiceContext, path: Path | str) -> ImportResult:
    """Import consumption from a CSV file (see the module's docstring): all or nothing, idempotent."""
    path = Path(path)
    rows = _read_csv(path)
    today = ctx.clock.now().date()
    errors: dict[str, str] = {}
    parsed: list[tuple[int, int, ConsumptionInput, str]] = []  # (line, customer, values, key)
    seen: dict[tuple[int, ConsumptionInput], int] = defaultdict(int)
    for line, values in rows:
        if "__error__" in values:
            errors[f"line {line}"] = values["__error__"]
            continue
        raw_id = values["customer_id"].strip()
        row, problems = check_consumption(amount=values["amount"], quantity=values["quantity"].strip() or "1",
                                          on=values["date"].strip() or None, description=values["description"],
                                          today=today)
        if not values["date"].strip():
            problems = {**problems, "date": "required, YYYY-MM-DD"}
        if not raw_id.isdigit():
            problems = {"customer_id": "a customer number, e.g. 42", **problems}
        if problems or row is None:
            errors[f"line {line}"] = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in problems.items())
            continue
        customer_id = int(raw_id)
        occurrence = seen[(customer_id, row)]
        seen[(customer_id, row)] += 1
        parsed.append((line, customer_id, row, _import_key(customer_id, row, occurrence)))
    if not rows:
        errors["line 2"] = "no consumption in the file"
    if errors:
        raise _too_many(errors, path)
    policy = _policy(ctx)
    recorded = already = overdrafts = 0
    amount = ZERO
    with ctx.db.write() as session:
        ids = sorted({c for _, c, _, _ in parsed})
        found = set(session.scalars(select(Customer.id).where(col(Customer.id).in_(ids))
                                    .order_by(col(Customer.id)).with_for_update()))
        known = _known_keys(session, [k for _, _, _, k in parsed])
        pools: dict[int, _Pool] = {}
        for line, customer_id, row, key in parsed:
            if customer_id not in found:
                errors[f"line {line}"] = f"customer id: there is no customer {customer_id}"
                continue
            if key in known:
                already += 1
                continue
            if customer_id not in pools:
                _sync(session, ctx, customer_id)
                pools[customer_id] = _pool(session, customer_id)
            try:
                entry = _consume(session, ctx, customer_id, pools[customer_id], row, policy, key)
            except ValidationFailed as exc:
                reason = ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in exc.errors.items())
                if isinstance(exc, CreditRefused):
                    reason = f"customer {customer_id} would go below zero ({exc.errors['amount']})"
                errors[f"line {line}"] = reason
                continue
            recorded += 1
            overdrafts += entry.overdraft
            amount += row.amount
        if errors:
            raise _too_many(errors, path)  # rolls the whole file back
    return ImportResult(recorded=recorded, already_imported=already, amount=amount, overdrafts=overdrafts)


def _too_many(errors: dict[str, str], path: Path) -> ValidationFailed:
    shown = list(errors.items())[:10]
    text = "; ".join(f"{k}: {v}" for k, v in shown)
    if len(errors) > len(shown):
        text += f"; and {len(errors) - len(shown)} more line(s)"
    return ValidationFailed(errors, f"Nothing was imported from {path.name}. {text}")


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
        customer = _customer(session, customer_id)
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
        (bought if entry.kind == "purchase" else consumed)[_month(entry.on_date)] += entry.amount
    months: list[CreditMonth] = []
    if rows:
        this_month = _month(ctx.clock.now().date())
        first = _month(rows[0][0].on_date)
        last = max(this_month, _month(rows[-1][0].on_date))
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
                         entries=entries, overdraft_policy=_policy(ctx))


# --- month end ----------------------------------------------------------------------------------------------

class _Waiting(BillingError):
    """This customer's month cannot be reported yet; the message says why."""


def _month_name(month: str, language: str) -> str:
    from babel.dates import format_date as babel_date

    locale = {"it": "it_IT", "en": "en_IE", "ro": "ro_RO"}.get(language, "it_IT")
    return babel_date(_month_bounds(month)[0], "LLLL yyyy", locale=locale)


def _split_taxable(shares: Sequence[Decimal], rate: Decimal) -> tuple[Decimal, list[Decimal]]:
    """The taxable of the total of ``shares`` (gross, at ``rate``), and of each share, adding up to it exactly."""
    total = sum(shares, ZERO)
    taxable = round_money(total * 100 / (100 + rate))
    parts = [round_money(s * 100 / (100 + rate)) for s in shares[:-1]]
    parts.append(taxable - sum(parts, ZERO))
    return taxable, parts


def _zero_invoice_lines(month: str, language: str, purchases: list[CreditEntry],
                        drawn: Iterable[tuple[int, Decimal]], invoices: dict[int, Invoice]) -> tuple[list[DocumentLine], list[str]]:
    """The lines (credit used per rate, then the reversal per purchase invoice) and the VAT-detail notes."""
    by_rate: dict[Decimal, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for index, gross in drawn:
        purchase = purchases[index]
        by_rate[purchase.vat_rate.quantize(CENT)][purchase.invoice_id or 0] += gross
    name = _month_name(month, language)
    lines: list[DocumentLine] = []
    notes = [_t("note", language, month=name)]
    for rate in sorted(by_rate, reverse=True):
        per_invoice = sorted(by_rate[rate].items(), key=lambda kv: (invoices[kv[0]].issue_date, kv[0]))
        shares = [gross for _, gross in per_invoice]
        taxable, parts = _split_taxable(shares, rate)
        gross_total = sum(shares, ZERO)
        label = f"{rate.normalize():f}"
        lines.append(DocumentLine(position=len(lines) + 1, sku=USED_SKU,
                                  description=f"{_t('used', language, month=name)} ({label}%)"[:200],
                                  quantity=Decimal("1.000"), unit_price=taxable, vat_rate=rate, line_total=taxable))
        for (invoice_id, _), part in zip(per_invoice, parts, strict=True):
            inv = invoices[invoice_id]
            text = _t("storno", language, number=inv.number, date=format_date(inv.issue_date, language))
            lines.append(DocumentLine(position=len(lines) + 1, sku=STORNO_SKU, description=f"{text} ({label}%)"[:200],
                                      quantity=Decimal("1.000"), unit_price=-part, vat_rate=rate, line_total=-part))
        notes.append(_t("detail", language, rate=label, taxable=format_amount(taxable, "EUR", language),
                        vat=format_amount(gross_total - taxable, "EUR", language),
                        gross=format_amount(gross_total, "EUR", language)))
    return lines, notes


def _issue_month(session: Session, ctx: ServiceContext, customer: Customer, month: str, on: date) -> str:
    """Issue one customer's zero invoice for ``month`` and its month-end row (caller's transaction); its number."""
    customer_id = customer.id or 0
    start, end = _month_bounds(month)
    purchases = _entries(session, customer_id, "purchase")
    pool = _Pool(purchases)
    drawn: list[tuple[int, Decimal]] = []
    for entry in _entries(session, customer_id, "consumption", before=end):
        taken = pool.draw(entry.amount)
        if entry.on_date >= start:
            drawn.extend(taken)
    if not drawn:
        raise _Waiting("no consumption")  # cannot happen: the month was chosen for its consumption
    uncovered = sum((gross for index, gross in drawn if index < 0), ZERO)
    if uncovered > ZERO:
        raise _Waiting(f"{_money(uncovered)} consumed beyond the credit bought (overdraft); the zero invoice is "
                       "issued once the customer buys credit that covers it")
    errors = validate_profile({k: getattr(customer, k) for k in FIELD_KEYS})[1]
    if errors:
        raise _Waiting(f"the billing profile of {customer.name} is incomplete: {'; '.join(errors.values())}; "
                       "fix it in Customers (F3)")
    try:
        seller = _seller(session)
        _check_date(session, ctx, DocumentKind.INVOICE, on)
    except InvoiceRefused as exc:
        raise _Waiting(exc.message) from None
    invoice_ids = {purchases[i].invoice_id for i, _ in drawn if purchases[i].invoice_id is not None}
    invoices = {inv.id or 0: inv for inv in session.scalars(select(Invoice).where(col(Invoice.id).in_(invoice_ids)))}
    if len(invoices) != len(invoice_ids) or any(purchases[i].invoice_id is None for i, _ in drawn):
        raise _Waiting("a purchase of credit has no invoice to reverse")
    language = customer.language or seller.default_language
    lines, notes = _zero_invoice_lines(month, language, purchases, drawn, invoices)
    totals = vat_summary((ln.line_total, ln.vat_rate) for ln in lines)
    assert totals.net == ZERO and totals.vat == ZERO, "a zero invoice must net to zero"
    first_purchase = invoices[purchases[drawn[0][0]].invoice_id or 0]
    inv = _store(session, ctx, kind=DocumentKind.INVOICE, on=on, due=on, customer_snapshot=_party_from_customer(customer),
                 seller_snapshot=_party_from_seller(seller), language=language, currency="EUR",
                 payment_method=first_purchase.payment_method, paid=True,
                 split_payment=customer.customer_type == "pa" and bool(customer.split_payment), lines=lines,
                 vat_rows=totals.vat_rows, cart=None, customer_id=customer_id, related=None, reason=None,
                 notes=tuple(notes))
    session.add(CreditMonthEnd(customer_id=customer_id, month=month, invoice_id=inv.id or 0,
                               created_at=ctx.clock.now()))
    session.flush()
    return inv.number or ""


def months_to_report(ctx: ServiceContext) -> list[tuple[str, int]]:
    """``(month, customer id)`` of every ended month with consumption and no zero invoice yet, oldest first."""
    first_of_month = ctx.clock.now().date().replace(day=1)
    with ctx.db.read() as session:
        done = {(m, c) for m, c in session.execute(select(CreditMonthEnd.month, CreditMonthEnd.customer_id))}
        latest_stmt = select(CreditMonthEnd.customer_id, func.max(CreditMonthEnd.month)).group_by(
            col(CreditMonthEnd.customer_id))
        latest: dict[int, str] = {c: m for c, m in session.execute(latest_stmt)}
        used = session.execute(select(CreditEntry.customer_id, CreditEntry.on_date).distinct()
                               .where(col(CreditEntry.kind) == "consumption",
                                      col(CreditEntry.on_date) < first_of_month)).all()
        wanted = {(_month(day), cid) for cid, day in used}
    return sorted(m for m in wanted - done if m[0] > latest.get(m[1], ""))


def run_month_end(ctx: ServiceContext) -> MonthEndResult:
    """The scheduled job, as of the context's clock: one zero invoice per customer and ended month with consumption.

    Catches up every month before the current one that was missed; each customer-month is one
    transaction (the invoice, its month-end row and the queued email), so running again issues
    nothing new. A customer whose month cannot be reported yet (overdraft not covered, incomplete
    profile) waits, with the reason, and their later months wait behind it.
    """
    sync_purchases(ctx)
    today = ctx.clock.now().date()
    issued: list[tuple[str, int, str]] = []
    waiting: list[tuple[int, str, str]] = []
    blocked: set[int] = set()
    for month, customer_id in months_to_report(ctx):
        if customer_id in blocked:
            continue
        try:
            with ctx.db.write() as session:
                customer = _customer(session, customer_id, lock=True)
                if session.scalar(select(func.count()).select_from(CreditMonthEnd).where(
                        col(CreditMonthEnd.customer_id) == customer_id, col(CreditMonthEnd.month) >= month)):
                    continue  # reported by another process since the list was read
                issued.append((_issue_month(session, ctx, customer, month, today), customer_id, month))
        except (_Waiting, InvoiceRefused) as exc:  # e.g. a number format without a year repeating a number
            waiting.append((customer_id, month, exc.message))
            blocked.add(customer_id)
        except IntegrityError:
            continue  # another process issued this month's invoice at the same moment
    return MonthEndResult(issued=tuple(issued), waiting=tuple(waiting))
