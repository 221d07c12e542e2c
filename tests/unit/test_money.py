"""Money: Decimal end to end, half-up to the cent, VAT per rate as FatturaPA computes it, exact in the database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import col

from billing_tui.domain.money import (
    ZERO,
    format_money,
    line_total,
    round_money,
    to_decimal,
    vat_summary,
)
from billing_tui.storage.shop_models import Product

D = Decimal


@pytest.mark.parametrize(
    ("amount", "rounded"),
    [
        ("0.005", "0.01"), ("0.015", "0.02"), ("0.025", "0.03"), ("2.675", "2.68"), ("1.004", "1.00"),
        ("1.0049999", "1.00"), ("10", "10.00"), ("-0.005", "-0.01"), ("-2.675", "-2.68"), ("0.0", "0.00"),
    ],
)
def test_round_money_is_half_up_to_the_cent(amount: str, rounded: str) -> None:
    result = round_money(D(amount))
    assert result == D(rounded)
    assert result.as_tuple().exponent == -2  # always two decimals, as printed on an invoice


@pytest.mark.parametrize(
    ("quantity", "unit_price", "total"),
    [("3", "0.10", "0.30"), ("3", "3.33", "9.99"), ("1.5", "0.05", "0.08"), ("0.333", "10.00", "3.33"),
     ("2", "19.90", "39.80"), ("7", "0.015", "0.11")],
)
def test_line_total_is_quantity_times_price_rounded_once(quantity: str, unit_price: str, total: str) -> None:
    assert line_total(D(quantity), D(unit_price)) == D(total)


def test_vat_is_computed_once_per_rate_on_the_summed_base() -> None:
    lines = [(line_total(D(1), D("0.10")), D(22))] * 3
    totals = vat_summary(lines)
    (row,) = totals.vat_rows
    assert row.rate == D("22.00") and row.taxable == D("0.30")
    # 0.30 x 22% = 0.066 -> 0.07; per line it would be 3 x 0.02 = 0.06.
    assert row.vat == D("0.07")
    assert (totals.net, totals.vat, totals.gross) == (D("0.30"), D("0.07"), D("0.37"))


def test_vat_summary_has_one_row_per_rate_highest_first() -> None:
    totals = vat_summary([
        (D("100.00"), D("4")), (D("12.50"), D("22")), (D("24.00"), D("4")), (D("79.00"), D("21")),
        (D("10.00"), D("0")), (D("0.05"), D("22.0")),
    ])
    assert [r.rate for r in totals.vat_rows] == [D("22"), D("21"), D("4"), D("0")]
    by_rate = {r.rate: r for r in totals.vat_rows}
    assert by_rate[D("22")].taxable == D("12.55") and by_rate[D("22")].vat == D("2.76")  # 2.761
    assert by_rate[D("21")].vat == D("16.59")  # 16.59
    assert by_rate[D("4")].taxable == D("124.00") and by_rate[D("4")].vat == D("4.96")
    assert by_rate[D("0")].vat == ZERO
    assert totals.net == sum((r.taxable for r in totals.vat_rows), ZERO) == D("225.55")
    assert totals.vat == sum((r.vat for r in totals.vat_rows), ZERO)
    assert totals.gross == totals.net + totals.vat


def test_vat_summary_of_nothing_is_zero() -> None:
    totals = vat_summary([])
    assert totals.vat_rows == () and totals.net == totals.vat == totals.gross == ZERO


@given(st.lists(st.tuples(st.integers(0, 10**7), st.sampled_from(["0", "4", "5", "10", "21", "22"])), max_size=20))
def test_vat_summary_totals_are_consistent(lines: list[tuple[int, str]]) -> None:
    totals = vat_summary([(D(cents) / 100, D(rate)) for cents, rate in lines])
    assert totals.net == D(sum(c for c, _ in lines)) / 100
    assert totals.gross == totals.net + totals.vat
    for row in totals.vat_rows:
        assert row.vat == round_money(row.taxable * row.rate / 100)
    assert len({r.rate for r in totals.vat_rows}) == len(totals.vat_rows)


@pytest.mark.parametrize("value", [0.1, 1.0, 19.9])
def test_floats_are_not_money(value: float) -> None:
    with pytest.raises(TypeError, match="float"):
        to_decimal(value)


@pytest.mark.parametrize(("value", "expected"), [("19.90", "19.90"), (" 19,90 ", "19.90"), (3, "3"),
                                                 (D("0.10"), "0.10"), ("-1.5", "-1.5")])
def test_to_decimal_reads_strings_ints_and_decimals(value: object, expected: str) -> None:
    assert to_decimal(value) == D(expected)


@pytest.mark.parametrize("value", ["abc", "", "1.2.3", "12 EUR"])
def test_to_decimal_refuses_text_that_is_not_a_number(value: str) -> None:
    with pytest.raises(ValueError, match="not a number"):
        to_decimal(value)


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-inf", "sNaN"])
def test_to_decimal_refuses_not_a_number_and_infinity(value: str) -> None:
    with pytest.raises(ValueError):
        to_decimal(value)


def test_format_money_in_italian() -> None:
    text = format_money(D("1234.50"))
    assert "1.234,50" in text and "€" in text


def test_format_money_writes_what_babel_format_currency_writes() -> None:
    # format_money looks the locale's currency pattern up once; the text must stay babel's, to the byte.
    import random

    from babel.numbers import format_currency

    rng = random.Random(7)
    amounts = [D("0"), D("-0"), D("0.00"), D("-0.00"), D("0.005"), D("-0.005"), D("0.015"), D("1E+3"), D("-1"),
               D("1234567.891"), D("-1234567.895"), D("999999999.99")]
    amounts += [D(rng.randint(-10**9, 10**9)).scaleb(-rng.choice([0, 1, 2, 3])) for _ in range(300)]
    for currency, locale in [("EUR", "it_IT"), ("RON", "ro_RO"), ("EUR", "en_GB"), ("JPY", "it_IT")]:
        for amount in amounts:
            assert format_money(amount, currency, locale) == format_currency(amount, currency, locale=locale), amount


# --- the Fixed column type, on every backend ------------------------------------------------

PRICES = ["0.10", "0.20", "0.30", "9.99", "10.00", "100.00", "1234567.89", "0.01", "0.00", "2.05", "19.90"]


def _store(ctx, prices: list[str]) -> None:  # type: ignore[no-untyped-def]
    with ctx.db.write() as session:
        for i, price in enumerate(prices):
            session.add(Product(sku=f"SKU-{i}", name=f"Product {i}", unit_price=D(price), vat_rate=D("22")))


def test_fixed_column_round_trips_decimals_exactly(ctx) -> None:  # type: ignore[no-untyped-def]
    summed = D("0.10") + D("0.20")  # 0.30 exactly; 0.1 + 0.2 in floating point is not
    _store(ctx, [*PRICES, str(summed)])
    with ctx.db.read() as session:
        stored = {p.sku: p.unit_price for p in session.scalars(select(Product)).all()}
    for i, price in enumerate([*PRICES, str(summed)]):
        value = stored[f"SKU-{i}"]
        assert isinstance(value, Decimal)
        assert value == D(price) and str(value) == str(D(price).quantize(D("0.01")))
    assert stored[f"SKU-{len(PRICES)}"] == D("0.30")


def test_fixed_column_sorts_by_amount_in_sql(ctx) -> None:  # type: ignore[no-untyped-def]
    _store(ctx, PRICES)
    with ctx.db.read() as session:
        ascending = list(session.scalars(select(Product.unit_price).order_by(col(Product.unit_price))))
        descending = list(session.scalars(select(Product.unit_price).order_by(col(Product.unit_price).desc())))
        above = list(session.scalars(select(Product.sku).where(col(Product.unit_price) > D("9.99"))))
    assert ascending == sorted(D(p) for p in PRICES)
    assert descending == sorted((D(p) for p in PRICES), reverse=True)
    assert sorted(above) == sorted(f"SKU-{i}" for i, p in enumerate(PRICES) if D(p) > D("9.99"))


def test_fixed_column_refuses_floats(ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Exception, match="float"), ctx.db.write() as session:
        session.add(Product(sku="F", name="Float", unit_price=0.1, vat_rate=D("22")))  # type: ignore[arg-type]
    with ctx.db.read() as session:
        assert session.scalars(select(Product)).all() == []


def test_fixed_column_never_rounds_differently_from_round_money(ctx) -> None:  # type: ignore[no-untyped-def]
    _store(ctx, ["0.125", "2.675"])
    with ctx.db.read() as session:
        stored = {p.sku: p.unit_price for p in session.scalars(select(Product)).all()}
    assert stored == {"SKU-0": round_money(D("0.125")), "SKU-1": round_money(D("2.675"))}
