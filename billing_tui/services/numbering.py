"""Number ranges per year and kind (S004.1–S004.10): show, edit, preview, and allocate inside the issuing transaction.

Allocation is serialized: on SQLite the issuing transaction already holds the write lock
(``BEGIN IMMEDIATE``); on PostgreSQL the range row is locked with ``SELECT … FOR UPDATE``.
The counter moves in the same transaction as the document it numbers, so a crash or a
rollback leaves no gap and two processes never get the same number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from billing_tui.domain.errors import BillingError, ValidationFailed
from billing_tui.domain.numbering import (
    DEFAULT_FORMATS,
    FormatError,
    RangeKind,
    check_next_number,
    next_counter,
    parse_format,
    render,
)
from billing_tui.services.context import ServiceContext
from billing_tui.storage.document_models import NumberRange

MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True)
class RangeView:
    """One row of Settings → Number ranges."""

    year: int
    kind: str
    format: str
    last_number: int
    next_number: int | None
    preview: str  # the number the next document of this kind would get (cancellations/credit notes: of invoice 1)
    warnings: tuple[str, ...]
    exists: bool  # False while the year's group has not been created yet


@dataclass(frozen=True)
class Allocation:
    """A number given to a document."""

    number: str
    year: int
    counter: int


def _kind(kind: str | RangeKind) -> RangeKind:
    try:
        return RangeKind(str(kind).replace("-", "_"))
    except ValueError:
        raise ValidationFailed({"kind": "choose invoice, cancellation or credit-note"},
                               f"Unknown kind {kind!r}: choose invoice, cancellation or credit-note") from None


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ValidationFailed({"year": f"between {MIN_YEAR} and {MAX_YEAR}"}, f"Year {year} is out of range")


def _inherited_format(session: Session, year: int, kind: RangeKind) -> str:
    """S004.9: the latest earlier year's format, else the default."""
    earlier = session.scalars(
        select(NumberRange.format)
        .where(col(NumberRange.kind) == kind.value, col(NumberRange.year) < year)
        .order_by(col(NumberRange.year).desc())
        .limit(1)
    ).first()
    return earlier or DEFAULT_FORMATS[kind]


def _preview(fmt: str, kind: RangeKind, year: int, counter: int) -> tuple[str, tuple[str, ...]]:
    try:
        parsed = parse_format(fmt, kind)
        counters = {"i": counter if kind is RangeKind.INVOICE else 1, kind.counter: counter}
        return render(parsed, on=date(year, 1, 1), counters=counters), parsed.warnings
    except FormatError as exc:
        return "", (str(exc),)


def show_year(ctx: ServiceContext, year: int) -> tuple[RangeView, ...]:
    """The three ranges of ``year`` as they are, or as they would be created on first use."""
    _check_year(year)
    views = []
    with ctx.db.read() as session:
        rows = {r.kind: r for r in session.scalars(select(NumberRange).where(col(NumberRange.year) == year))}
        for kind in RangeKind:
            row = rows.get(kind.value)
            fmt = row.format if row else _inherited_format(session, year, kind)
            last = row.last_number if row else 0
            nxt = row.next_number if row else None
            preview, warnings = _preview(fmt, kind, year, next_counter(last, nxt))
            views.append(RangeView(year=year, kind=kind.value, format=fmt, last_number=last, next_number=nxt,
                                   preview=preview, warnings=warnings, exists=row is not None))
    return tuple(views)


def preview_format(fmt: str, kind: str | RangeKind, year: int, last_number: int = 0,
                   next_number: int | None = None) -> tuple[str, tuple[str, ...], str | None]:
    """``(preview, warnings, error)`` for a format being typed; nothing is saved."""
    k = _kind(kind)
    try:
        parsed = parse_format(fmt, k)
        counter = next_counter(last_number, next_number)
        counters = {"i": counter if k is RangeKind.INVOICE else 1, k.counter: counter}
        return render(parsed, on=date(year, 1, 1), counters=counters), parsed.warnings, None
    except FormatError as exc:
        return "", (), str(exc)


def _ensure_row(session: Session, year: int, kind: RangeKind, *, lock: bool) -> NumberRange:
    """The range row, created (race-free) with the inherited format on first use."""
    query = select(NumberRange).where(col(NumberRange.year) == year, col(NumberRange.kind) == kind.value)
    if lock:
        query = query.with_for_update()
    row = session.scalars(query.execution_options(populate_existing=True)).first()
    if row is not None:
        return row
    values = {"year": year, "kind": kind.value, "format": _inherited_format(session, year, kind), "last_number": 0}
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(NumberRange).values(**values)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["year", "kind"]))
    return session.scalars(query.execution_options(populate_existing=True)).one()


def set_range(ctx: ServiceContext, *, year: int, kind: str | RangeKind, fmt: str | None = None,
              next_number: int | None = None, clear_next: bool = False) -> RangeView:
    """Change a range's format and/or next number; refused with the reason, changing nothing (S004.3, S004.7)."""
    k = _kind(kind)
    _check_year(year)
    errors: dict[str, str] = {}
    if fmt is not None:
        try:
            parse_format(fmt, k)
        except FormatError as exc:
            errors["format"] = str(exc)
    with ctx.db.write() as session:
        row = _ensure_row(session, year, k, lock=True)
        if next_number is not None:
            reason = check_next_number(next_number, row.last_number)
            if reason:
                errors["next_number"] = reason
        new_format = fmt if fmt is not None else row.format
        if not errors:
            counter = next_counter(row.last_number, next_number if next_number is not None else row.next_number)
            try:
                render(parse_format(new_format, k), on=date(year, 12, 31),
                       counters={"i": max(counter, 1), "c": counter, "ci": counter})
            except FormatError as exc:
                errors["format"] = str(exc)
        if errors:
            raise ValidationFailed(errors)
        from billing_tui.services import audit

        before = {"format": row.format, "next_number": row.next_number}
        row.format = new_format
        if next_number is not None:
            row.next_number = next_number
        elif clear_next:
            row.next_number = None
        row.updated_at = ctx.clock.now()
        session.add(row)
        after = {"format": row.format, "next_number": row.next_number}
        diff = {f"{year}.{k.value}.{key}": (before[key], after[key]) for key in before if before[key] != after[key]}
        if diff:
            audit.record(session, ctx, entity="number_range", entity_id=row.id or 0, action="update", changes=diff)
    return next(v for v in show_year(ctx, year) if v.kind == k.value)


def allocate(session: Session, *, kind: RangeKind, on: date, invoice_counter: int | None = None) -> Allocation:
    """Give the next number of ``kind`` for a document dated ``on``; call inside the document's write transaction.

    ``invoice_counter`` is the counter of the invoice a cancellation or credit note refers to.
    """
    row = _ensure_row(session, on.year, kind, lock=True)
    counter = next_counter(row.last_number, row.next_number)
    try:
        parsed = parse_format(row.format, kind)
        counters = {kind.counter: counter, "i": counter if kind is RangeKind.INVOICE else (invoice_counter or 0)}
        number = render(parsed, on=on, counters=counters)
    except FormatError as exc:
        raise BillingError(f"The {kind.label.lower()} number format of {on.year} cannot be used: {exc}. "
                           "Fix it in Settings → Number ranges.") from exc
    row.last_number = counter
    row.next_number = None
    session.add(row)
    return Allocation(number=number, year=on.year, counter=counter)
