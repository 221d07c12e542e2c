"""Settings → Number ranges as a service, on every backend (S004.1–S004.10)."""

from __future__ import annotations

from datetime import date

import pytest

from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.numbering import RangeKind
from billing_tui.services import audit, numbering


def _view(ctx, year: int, kind: str) -> numbering.RangeView:  # type: ignore[no-untyped-def]
    return next(v for v in numbering.show_year(ctx, year) if v.kind == kind)


def _allocate(ctx, kind: RangeKind, on: date, invoice_counter: int | None = None) -> str:  # type: ignore[no-untyped-def]
    with ctx.db.write() as session:
        return numbering.allocate(session, kind=kind, on=on, invoice_counter=invoice_counter).number


def test_a_new_database_shows_the_default_group_with_previews(ctx) -> None:  # type: ignore[no-untyped-def]
    views = numbering.show_year(ctx, 2026)
    assert [v.kind for v in views] == ["invoice", "cancellation", "credit_note"]
    assert all(not v.exists and v.last_number == 0 and v.next_number is None for v in views)
    assert [v.preview for v in views] == ["PS26001", "PS26001-S1", "PS26001-1"]


def test_seed_example_next_number_4_over_last_3(ctx) -> None:  # type: ignore[no-untyped-def]
    numbering.set_range(ctx, year=2026, kind="invoice", fmt="PS{i;3}")
    assert [_allocate(ctx, RangeKind.INVOICE, date(2026, 3, 1)) for _ in range(3)] == ["PS001", "PS002", "PS003"]
    with pytest.raises(ValidationFailed) as refused:
        numbering.set_range(ctx, year=2026, kind="invoice", next_number=3)
    assert "greater than the last number issued (3)" in refused.value.errors["next_number"]
    view = numbering.set_range(ctx, year=2026, kind="invoice", next_number=4)
    assert view.preview == "PS004" and view.last_number == 3
    assert _allocate(ctx, RangeKind.INVOICE, date(2026, 3, 2)) == "PS004"
    assert _allocate(ctx, RangeKind.INVOICE, date(2026, 3, 2)) == "PS005"


def test_cancellation_and_credit_note_examples(ctx) -> None:  # type: ignore[no-untyped-def]
    numbering.set_range(ctx, year=2026, kind="cancellation", fmt="PS{i;3}-S{c;0}")
    numbering.set_range(ctx, year=2026, kind="credit-note", fmt="PS{i;3}-{ci;0}")
    assert _allocate(ctx, RangeKind.CANCELLATION, date(2026, 5, 1), invoice_counter=3) == "PS003-S1"
    assert _allocate(ctx, RangeKind.CREDIT_NOTE, date(2026, 5, 1), invoice_counter=3) == "PS003-1"
    assert _allocate(ctx, RangeKind.CREDIT_NOTE, date(2026, 5, 2), invoice_counter=7) == "PS007-2"


def test_refused_format_changes_nothing(ctx) -> None:  # type: ignore[no-untyped-def]
    before = numbering.show_year(ctx, 2026)
    for bad in ("PS {i;3}", "FATTURA{i;3}è", "PS{z}", "VERYLONGPREFIX{yyyy}{i;9}"):
        with pytest.raises(ValidationFailed) as refused:
            numbering.set_range(ctx, year=2026, kind="invoice", fmt=bad)
        assert refused.value.errors["format"]
    assert [(v.format, v.next_number) for v in numbering.show_year(ctx, 2026)] == [
        (v.format, v.next_number) for v in before]


def test_format_without_year_is_saved_with_a_warning(ctx) -> None:  # type: ignore[no-untyped-def]
    view = numbering.set_range(ctx, year=2026, kind="invoice", fmt="PS{i;3}")
    assert view.format == "PS{i;3}" and any("numbers will repeat every year" in w for w in view.warnings)  # S004.10
    changes = audit.history(ctx, entity="number_range", entity_id=1)
    assert changes and "2026.invoice.format" in changes[0].changes


def test_a_new_year_inherits_the_previous_formats_and_starts_at_one(ctx) -> None:  # type: ignore[no-untyped-def]
    numbering.set_range(ctx, year=2026, kind="invoice", fmt="R{yyyy}/{i;4}", next_number=40)
    assert _allocate(ctx, RangeKind.INVOICE, date(2026, 12, 30)) == "R2026/0040"
    view = _view(ctx, 2027, "invoice")
    assert not view.exists and view.format == "R{yyyy}/{i;4}" and view.preview == "R2027/0001"
    assert _allocate(ctx, RangeKind.INVOICE, date(2027, 1, 2)) == "R2027/0001"
    assert _view(ctx, 2027, "invoice").exists


def test_years_are_prepared_ahead_and_checked(ctx) -> None:  # type: ignore[no-untyped-def]
    numbering.set_range(ctx, year=2027, kind="invoice", fmt="N{yy}-{i;4}")
    assert _view(ctx, 2027, "invoice").preview == "N27-0001"
    assert _view(ctx, 2026, "invoice").format == "PS{yy}{i;3}"
    with pytest.raises(ValidationFailed):
        numbering.show_year(ctx, 1999)
