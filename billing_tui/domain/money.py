"""Money and VAT: Decimal end to end, rounded here and nowhere else.

Rounding follows the Italian e-invoice rules (FatturaPA): each line total
(``PrezzoTotale``) is quantity x unit price rounded to the cent; the VAT summary
(``DatiRiepilogo``) adds the line totals per rate (``ImponibileImporto``) and
computes the tax of each rate once on that sum (``Imposta``), rounded to the cent,
half up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from babel import Locale

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_decimal(value: object) -> Decimal:
    """Parse a user or storage value as Decimal; floats are refused (they are not money)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a string or Decimal")
    if isinstance(value, Decimal):
        return value
    try:
        number = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{value!r} is not a number") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not an amount of money")
    return number


def round_money(amount: Decimal) -> Decimal:
    """Round an amount to the cent, half up: the one rounding rule of the product."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """A line's taxable total (PrezzoTotale)."""
    return round_money(quantity * unit_price)


@dataclass(frozen=True)
class VatRow:
    """One row of the VAT summary: a rate, its taxable base and its tax."""

    rate: Decimal
    taxable: Decimal
    vat: Decimal


@dataclass(frozen=True)
class Totals:
    """A document's totals with its VAT summary per rate."""

    net: Decimal
    vat: Decimal
    gross: Decimal
    vat_rows: tuple[VatRow, ...]


def vat_summary(lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """Totals from ``(line_total, vat_rate_percent)`` pairs, per the FatturaPA summary rule."""
    bases: dict[Decimal, Decimal] = {}
    for total, rate in lines:
        key = rate.quantize(CENT)
        bases[key] = bases.get(key, ZERO) + total
    rows = tuple(
        VatRow(rate=rate, taxable=round_money(base), vat=round_money(base * rate / 100))
        for rate, base in sorted(bases.items(), key=lambda kv: kv[0], reverse=True)
    )
    net = sum((r.taxable for r in rows), ZERO)
    vat = sum((r.vat for r in rows), ZERO)
    return Totals(net=net, vat=vat, gross=net + vat, vat_rows=rows)


@lru_cache(maxsize=32)
def _currency_format(locale: str) -> tuple[Locale, Any]:
    """The parsed locale and its standard currency pattern, looked up once per locale."""
    from babel import Locale

    parsed = Locale.parse(locale)
    return parsed, parsed.currency_formats["standard"]


def format_money(amount: Decimal, currency: str = "EUR", locale: str = "it_IT") -> str:
    """An amount for display, with the currency, in the given locale.

    The same text as ``babel.numbers.format_currency(amount, currency, locale=locale)``, which
    parses the locale again on every call; a list screen formats many amounts per page.
    """
    parsed, pattern = _currency_format(locale)
    return pattern.apply(amount, parsed, currency=currency)  # type: ignore[no-any-return]


def gross(row: VatRow) -> Decimal:
    """A VAT row's taxable plus tax."""
    return row.taxable + row.vat


def split_gross(amount: Decimal, rows: tuple[VatRow, ...]) -> tuple[VatRow, ...]:
    """Spread a gross amount (VAT included) over VAT rates in proportion to ``rows``' gross amounts.

    Used for credit notes and advances. Each rate's share is rounded to the cent and the
    last rate takes the remainder, so the shares add up to ``amount`` exactly; within each
    share the tax is taken out ("scorporo": taxable = share / (1 + rate), rounded) and the
    VAT is the share less the taxable, so taxable + VAT is the share to the cent.
    """
    rows = tuple(r for r in rows if gross(r) != ZERO)
    base = sum((gross(r) for r in rows), ZERO)
    if not rows or base == ZERO:
        raise ValueError("nothing to split: the document has no amount")
    shares: list[Decimal] = []
    for i, row in enumerate(rows):
        if i == len(rows) - 1:
            shares.append(amount - sum(shares, ZERO))
        else:
            shares.append(round_money(amount * gross(row) / base))
    out = []
    for row, share in zip(rows, shares, strict=True):
        taxable = round_money(share * 100 / (100 + row.rate))
        out.append(VatRow(rate=row.rate, taxable=taxable, vat=share - taxable))
    return tuple(out)
