"""The carts list (filter, search, sort, pages) and one cart's detail, on every backend (S000.1, S000.3)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_tui.domain.carts import UNCONFIRMED, CartStatus
from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.domain.money import ZERO, line_total
from billing_tui.services import carts
from billing_tui.services.carts import CartQuery, CartRow

DEMO_CARTS = 400


def _all(ctx, **kw) -> list[CartRow]:  # type: ignore[no-untyped-def]
    page = carts.list_carts(ctx, CartQuery(limit=1000, **kw))
    assert not page.has_more
    return list(page.rows)


def _numbers(rows) -> list[int]:  # type: ignore[no-untyped-def]
    return [r.number for r in rows]


def test_all_carts_are_listed_once(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    rows = _all(demo_ctx)
    assert len(rows) == DEMO_CARTS
    assert len(set(_numbers(rows))) == DEMO_CARTS
    assert {r.status for r in rows} == {s.value for s in CartStatus}


def test_status_filters_return_only_matching_carts(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    everything = _all(demo_ctx)
    expected = {
        "all": {s.value for s in CartStatus},
        "confirmed": {"confirmed"},
        "unconfirmed": {s.value for s in UNCONFIRMED},
        "open": {"open"},
        "abandoned": {"abandoned"},
        "payment_failed": {"payment_failed"},
    }
    for status, allowed in expected.items():
        rows = _all(demo_ctx, status=status)
        assert rows, status
        assert {r.status for r in rows} == allowed, status
        assert sorted(_numbers(rows)) == sorted(r.number for r in everything if r.status in allowed), status
    confirmed = _all(demo_ctx, status="confirmed")
    unconfirmed = _all(demo_ctx, status="unconfirmed")
    assert len(confirmed) + len(unconfirmed) == DEMO_CARTS


def test_search_by_cart_number_is_exact(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    assert _numbers(_all(demo_ctx, search="100042")) == [100042]
    assert _numbers(_all(demo_ctx, search=" 100123 ")) == [100123]
    assert _all(demo_ctx, search="1000") == []  # a prefix is not a cart number
    assert _all(demo_ctx, search="999999") == []
    # The number search composes with the status filter.
    status = carts.get_cart(demo_ctx, 100042).status
    other = "confirmed" if status != "confirmed" else "unconfirmed"
    assert _all(demo_ctx, search="100042", status=other) == []


def test_search_by_part_of_the_customer_name_ignores_case(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    everything = _all(demo_ctx)
    for text in ("rossi", "ROSSI", "Rossi", "  rOsSi  ", "arreda", "S.R.L."):
        wanted = text.strip().lower()
        expected = sorted(r.number for r in everything if wanted in r.customer_name.lower())
        assert expected, text
        assert sorted(_numbers(_all(demo_ctx, search=text))) == expected, text
    assert _all(demo_ctx, search="nobody is called this") == []


def _check_accented_search(ctx, cases: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    for text, name in cases.items():
        rows = _all(ctx, search=text)
        assert any(r.customer_name == name for r in rows), f"no cart of {name!r} found for {text!r}"
        assert all(text.lower() in r.customer_name.lower() for r in rows), text


def test_search_with_accented_letters_as_written(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    _check_accented_search(demo_ctx, {"Niccolò": "Niccolò Galli", "niccolò": "Niccolò Galli",
                                      "caffè": "Caffè Verdi S.p.A.", "Ștefan": "Ștefan Țurcanu"})


def test_search_with_accented_letters_in_another_case(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    _check_accented_search(demo_ctx, {"NICCOLÒ": "Niccolò Galli", "ștefan": "Ștefan Țurcanu",
                                      "țesătoria": "Țesătoria Brașov S.A.", "CAFFÈ": "Caffè Verdi S.p.A."})


SORT_KEYS = {
    "date_desc": (lambda r: (r.created_at, r.number), True),
    "date_asc": (lambda r: (r.created_at, r.number), False),
    "total_desc": (lambda r: (r.total, r.number), True),
    "total_asc": (lambda r: (r.total, r.number), False),
}


def test_sorts_really_sort(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    for sort, (key, reverse) in SORT_KEYS.items():
        rows = _all(demo_ctx, sort=sort)
        assert len(rows) == DEMO_CARTS
        assert rows == sorted(rows, key=key, reverse=reverse), sort
        # Sorting also holds inside a filter, and totals compare as amounts, not as text.
        confirmed = _all(demo_ctx, sort=sort, status="confirmed")
        assert confirmed == sorted(confirmed, key=key, reverse=reverse), sort
    assert len({r.total for r in rows}) > 50  # the data can tell a real sort from a lucky one
    assert any(len(str(r.total)) != len(str(rows[0].total)) for r in rows)  # text order would differ


def test_pages_do_not_overlap_and_cover_everything(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    query = {"status": "payment_failed", "sort": "total_desc"}
    whole = _all(demo_ctx, **query)
    assert 8 < len(whole) < 200
    seen: list[int] = []
    offset = 0
    while True:
        page = carts.list_carts(demo_ctx, CartQuery(offset=offset, limit=7, **query))
        assert page.offset == offset and page.limit == 7
        assert len(page.rows) <= 7
        seen += _numbers(page.rows)
        if not page.has_more:
            break
        assert len(page.rows) == 7
        offset += 7
    assert seen == _numbers(whole)
    assert len(set(seen)) == len(seen)
    past_the_end = carts.list_carts(demo_ctx, CartQuery(offset=len(whole), limit=7, **query))
    assert past_the_end.rows == () and not past_the_end.has_more
    exact = carts.list_carts(demo_ctx, CartQuery(offset=0, limit=len(whole), **query))
    assert len(exact.rows) == len(whole) and not exact.has_more


def test_an_invalid_query_is_refused(ctx) -> None:  # type: ignore[no-untyped-def]
    cases = [(CartQuery(status="paid"), "status"), (CartQuery(sort="price"), "sort"), (CartQuery(limit=0), "limit"),
             (CartQuery(limit=1001), "limit"), (CartQuery(offset=-1), "offset")]
    for query, key in cases:
        with pytest.raises(ValidationFailed) as info:
            carts.list_carts(ctx, query)
        assert set(info.value.errors) == {key}
        assert key in info.value.message


def test_cart_detail_adds_up(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    listed = {r.number: r for r in _all(demo_ctx)}
    checked_statuses = set()
    by_status: dict[str, list[int]] = {}
    for row in listed.values():
        by_status.setdefault(row.status, []).append(row.number)
    sample = {n for numbers in by_status.values() for n in numbers[:4]} | set(list(listed)[::13])
    for number in sorted(sample):
        detail = carts.get_cart(demo_ctx, number)
        row = listed[number]
        checked_statuses.add(detail.status)
        assert detail.number == number and detail.status == row.status
        assert detail.customer_name == row.customer_name and detail.customer_id == row.customer_id
        assert detail.lines, number
        assert [ln.position for ln in detail.lines] == list(range(1, len(detail.lines) + 1))
        for ln in detail.lines:
            assert ln.line_total == line_total(ln.quantity, ln.unit_price)
        assert sum((ln.line_total for ln in detail.lines), ZERO) == detail.net
        assert sum((v.taxable for v in detail.vat_rows), ZERO) == detail.net
        assert sum((v.vat for v in detail.vat_rows), ZERO) == detail.vat
        assert detail.total == detail.net + detail.vat == row.total
        assert {v.rate for v in detail.vat_rows} == {ln.vat_rate.quantize(Decimal("0.01")) for ln in detail.lines}
        assert detail.created_at.tzinfo is not None
    assert checked_statuses == {s.value for s in CartStatus}


def test_cart_detail_shows_its_payments(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    rows = _all(demo_ctx)
    for status in CartStatus:
        sample = [r for r in rows if r.status == status][:5]
        assert sample, status
        for row in sample:
            detail = carts.get_cart(demo_ctx, row.number)
            if status is CartStatus.CONFIRMED:
                (payment,) = detail.payments
                assert payment.method == detail.payment_method and payment.amount == detail.total
                assert payment.state in ("paid", "pending")
                if payment.state == "paid":
                    assert payment.credited_at is not None and detail.paid_at == payment.credited_at
                else:
                    assert detail.paid_at is None and detail.payment_state == "pending"
            elif status is CartStatus.PAYMENT_FAILED:
                (payment,) = detail.payments
                assert payment.state == "failed" and detail.payment_state == "failed" and detail.paid_at is None
            else:
                assert detail.payments == () and detail.paid_at is None


def test_cart_lookup_by_number(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    assert carts.get_cart(demo_ctx, "#100007").number == 100007
    assert carts.get_cart(demo_ctx, " 100008 ").number == 100008
    assert carts.get_cart(demo_ctx, 100400).number == 100400
    # Unknown numbers and non-numbers are "not found", with a message that says what to do.
    cases = [(999, "no cart number 999"), ("100401", "no cart number 100401"), ("abc", "not a cart number"),
             ("", "not a cart number"), ("12.5", "not a cart number")]
    for number, words in cases:
        with pytest.raises(NotFound) as info:
            carts.get_cart(demo_ctx, number)
        assert words in info.value.message, number


@pytest.mark.parametrize("text", ["12345670033", "99999999999999999999"])
def test_a_long_number_in_the_search_finds_nothing_instead_of_failing(ctx, text: str) -> None:  # type: ignore[no-untyped-def]
    # Support staff paste a VAT number (11 digits) or a payment reference into the carts search.
    assert carts.list_carts(ctx, CartQuery(search=text)).rows == ()


def test_an_out_of_range_cart_number_is_not_found(ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotFound):
        carts.get_cart(ctx, "99999999999999999999")


def test_a_superscript_digit_in_the_search_is_just_text(ctx) -> None:  # type: ignore[no-untyped-def]
    assert carts.list_carts(ctx, CartQuery(search="²")).rows == ()
