"""Number formats, with the seed's examples word for word (S004.3–S004.10)."""

from __future__ import annotations

from datetime import date

import pytest

from billing_tui.domain.numbering import (
    FormatError,
    RangeKind,
    check_next_number,
    next_counter,
    parse_format,
    render,
)

DAY = date(2017, 6, 28)


def test_next_number_four_over_last_three_gives_ps004() -> None:
    """S004.3/S004.4: next number 4 (> last number 3) with PS{i;3} gives PS004, then 5, 6."""
    assert check_next_number(4, 3) is None
    counter = next_counter(last_number=3, next_number=4)
    assert render(parse_format("PS{i;3}"), on=DAY, counters={"i": counter}) == "PS004"
    assert next_counter(last_number=4, next_number=None) == 5


def test_next_number_three_over_last_three_is_refused() -> None:
    reason = check_next_number(3, 3)
    assert reason is not None and "greater than the last number issued (3)" in reason


@pytest.mark.parametrize(("counter", "expected"), [(4, "004"), (44, "044"), (444, "444"), (4444, "4444")])
def test_minimum_width_is_zero_padded_never_cut(counter: int, expected: str) -> None:
    assert render(parse_format("{i;3}{yy}"), on=DAY, counters={"i": counter}) == expected + "17"


def test_cancellation_ps003_s1() -> None:
    fmt = parse_format("PS{i;3}-S{c;0}", RangeKind.CANCELLATION)
    assert render(fmt, on=DAY, counters={"i": 3, "c": 1}) == "PS003-S1"


def test_credit_note_ps003_1() -> None:
    fmt = parse_format("PS{i;3}-{ci;0}", RangeKind.CREDIT_NOTE)
    assert render(fmt, on=DAY, counters={"i": 3, "ci": 1}) == "PS003-1"


def test_comma_is_accepted_like_semicolon() -> None:
    assert render(parse_format("PS{i,3}"), on=DAY, counters={"i": 4}) == "PS004"


def test_date_placeholders_come_from_the_document_date() -> None:
    fmt = parse_format("{yyyy}{yy}{mm}{dd}{qq}-{i;1}")
    assert render(fmt, on=DAY, counters={"i": 9}) == "2017170628" + "02-9"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("PS {i;3}", "spaces"),
        ("PSÜ{i;3}", "non-ASCII"),
        ("PS{x;3}", "Unknown placeholder"),
        ("PS{i;x}", "width"),
        ("PS{i;3", "brace"),
        ("PS", "needs its counter"),
        ("", "empty"),
    ],
)
def test_bad_formats_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(FormatError, match=reason):
        parse_format(text)


def test_format_without_year_is_accepted_with_a_warning() -> None:
    assert parse_format("PS{i;3}").warnings and "numbers will repeat every year" in parse_format("PS{i;3}").warnings[0]  # S004.10
    assert parse_format("PS{yy}{i;3}").warnings == ()


def test_a_number_longer_than_20_characters_is_refused() -> None:
    with pytest.raises(FormatError, match="at most 20"):
        render(parse_format("INVOICE-{yyyy}-{i;10}"), on=DAY, counters={"i": 1})


def test_each_kind_needs_its_own_counter() -> None:
    with pytest.raises(FormatError):
        parse_format("PS{i;3}", RangeKind.CANCELLATION)
    with pytest.raises(FormatError):
        parse_format("PS{i;3}-{c;0}", RangeKind.CREDIT_NOTE)
