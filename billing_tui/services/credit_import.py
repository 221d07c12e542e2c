"""Consumption of prepaid credit imported from a CSV file (S000.8).

A header line names the columns ``customer_id,date,quantity,amount,description`` (any order), then
one consumption per line (date ``YYYY-MM-DD``, amounts gross with a dot or a comma). All or
nothing; every refused line is named. Each row's key is a hash of its values and of how many
identical rows precede it in the file, so importing the same file again (or the same file with
rows appended) records only what is new.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlmodel import col

from billing_tui.domain.errors import BillingError, ValidationFailed
from billing_tui.domain.money import ZERO
from billing_tui.services.context import ServiceContext
from billing_tui.services.credit import (
    CSV_COLUMNS,
    ConsumptionInput,
    CreditPool,
    CreditRefused,
    check_consumption,
    consume,
    known_keys,
    nothing_recorded,
    overdraft_policy,
    pool_of,
    sync_in_session,
)
from billing_tui.storage.shop_models import Customer


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
                raise nothing_recorded({"line 1": f"the header must name the columns {','.join(CSV_COLUMNS)} "
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
    policy = overdraft_policy(ctx)
    recorded = already = overdrafts = 0
    amount = ZERO
    with ctx.db.write() as session:
        ids = sorted({c for _, c, _, _ in parsed})
        found = set(session.scalars(select(Customer.id).where(col(Customer.id).in_(ids))
                                    .order_by(col(Customer.id)).with_for_update()))
        known = known_keys(session, [k for _, _, _, k in parsed])
        pools: dict[int, CreditPool] = {}
        for line, customer_id, row, key in parsed:
            if customer_id not in found:
                errors[f"line {line}"] = f"customer id: there is no customer {customer_id}"
                continue
            if key in known:
                already += 1
                continue
            if customer_id not in pools:
                sync_in_session(session, ctx, customer_id)
                pools[customer_id] = pool_of(session, customer_id)
            try:
                entry = consume(session, ctx, customer_id, pools[customer_id], row, policy, key)
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
