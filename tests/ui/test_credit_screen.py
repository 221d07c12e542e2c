"""The prepaid-credit screen and its consumption dialog, from the keyboard at 80x24 on the demo business (S000.8)."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App
from textual.widgets import DataTable, Input, Static

from billing_tui.screens.credit import ConsumptionDialog, CreditScreen
from billing_tui.services import credit, month_end
from tests.ui.conftest import settle, wait_until


def _credit_customer(ctx) -> int:  # type: ignore[no-untyped-def]
    """A demo customer who bought credit once (61,00 € in April), with credit used in October and November,
    October reported by its zero invoice."""
    credit.sync_purchases(ctx)
    from sqlalchemy import func, select

    from billing_tui.storage.account_models import CreditEntry

    with ctx.db.read() as session:
        customer_id = session.scalar(select(CreditEntry.customer_id).group_by(CreditEntry.customer_id)
                                     .having(func.count() == 1, func.sum(CreditEntry.amount) == Decimal("61.00"))
                                     .order_by(CreditEntry.customer_id).limit(1))
    credit.record_consumption(ctx, customer_id=customer_id, amount="20.00", quantity=200, on="2026-10-10",
                              description="SMS campagna ottobre")
    credit.record_consumption(ctx, customer_id=customer_id, amount="15.50", quantity=155, on="2026-11-20",
                              description="SMS [promemoria] novembre")
    assert [m for _, _, m in month_end.run_month_end(ctx).issued if _ == customer_id] == ["2026-10"]
    return int(customer_id)


def _text(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one(selector, Static).render()).replace("\xa0", " ")


def _cell(value: object) -> str:
    return str(value).replace("\xa0", " ")


def _steady_cursor(app: App[None]) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False


async def _open(pilot, customer_id: int) -> CreditScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.app.push_screen(CreditScreen(customer_id))
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CreditScreen)
    months = screen.query_one("#credit-months", DataTable)  # scrolled to this month after a refresh
    at_this_month = lambda: months.max_scroll_y > 0 and months.scroll_y == months.max_scroll_y  # noqa: E731
    await wait_until(pilot, at_this_month)
    await pilot.wait_for_scheduled_animations()
    await settle(pilot)  # the scrollbar repaints after the scroll (slow under load: wait, then check again)
    await wait_until(pilot, at_this_month)
    await pilot.pause()
    return screen


async def test_the_credit_screen_shows_the_months_and_the_entries(app, sqlite_demo_ctx) -> None:  # type: ignore[no-untyped-def]
    customer_id = _credit_customer(sqlite_demo_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, customer_id)
        summary = _text(screen, "#credit-summary")
        assert "Bought 61,00 € · consumed 35,50 € · left 25,50 €" in summary and "below zero: refused" in summary
        months = screen.query_one("#credit-months", DataTable)
        rows = [months.get_row_at(i) for i in range(months.row_count)]
        assert [str(r[0]) for r in rows] == [f"2026-{m:02d}" for m in range(4, 12)]
        october = rows[6]
        assert _cell(october[2]) == "20,00 €" and _cell(october[3]) == "41,00 €" and str(october[4]).startswith("PS26")
        entries = screen.query_one("#credit-entries", DataTable)
        assert [str(entries.get_row_at(i)[1]) for i in range(entries.row_count)] == ["used", "used", "bought"]
        assert str(entries.get_row_at(0)[5]) == "SMS [promemoria] novembre"  # user text is never markup
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, CreditScreen)


async def test_the_dialog_refuses_more_than_the_credit_left_and_records_nothing(app, sqlite_demo_ctx) -> None:  # type: ignore[no-untyped-def]
    customer_id = _credit_customer(sqlite_demo_ctx)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot, customer_id)
        await pilot.press("c")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, ConsumptionDialog)
        assert dialog.query_one("#u-date", Input).value == "2026-11-23"
        await pilot.press(*"99", "tab", *"x")  # an amount, then a word in the description
        await pilot.press("ctrl+s")
        await settle(pilot)
        message = _text(dialog, "#consume-message")
        assert "25,50 € of credit left and 99,00 € was asked" in message
        assert "more than the credit left" in _text(dialog, "#err-amount")
        assert pilot.app.screen is dialog and pilot.app.focused is dialog.query_one("#u-amount", Input)
        assert credit.balance(sqlite_demo_ctx, customer_id).consumed == Decimal("35.50")
        # Field errors beside the fields, before anything is sent.
        dialog.query_one("#u-quantity", Input).value = "0"
        dialog.query_one("#u-date", Input).value = "2026-11-24"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _text(dialog, "#err-quantity") == "more than 0" and "not after today" in _text(dialog, "#err-date")
        dialog.query_one("#u-quantity", Input).value = "50"
        dialog.query_one("#u-date", Input).value = "2026-11-22"
        dialog.query_one("#u-amount", Input).value = "5,50"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await wait_until(pilot, lambda: pilot.app.screen is screen)
        await settle(pilot)
        assert "left 20,00 €" in _text(screen, "#credit-summary")
        entries = screen.query_one("#credit-entries", DataTable)
        assert str(entries.get_row_at(0)[0]) == "2026-11-22" and _cell(entries.get_row_at(0)[3]) == "5,50 €"


def test_snapshot_credit_screen(snap_compare, app, sqlite_demo_ctx) -> None:  # type: ignore[no-untyped-def]
    customer_id = _credit_customer(sqlite_demo_ctx)

    async def show(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, customer_id)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=show)


def test_snapshot_consumption_dialog_refusing_an_amount(snap_compare, app, sqlite_demo_ctx) -> None:  # type: ignore[no-untyped-def]
    customer_id = _credit_customer(sqlite_demo_ctx)

    async def refuse(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, customer_id)
        await pilot.press("c")
        await settle(pilot)
        _steady_cursor(pilot.app)
        await pilot.press(*"99", "tab", *"SMS campagna", "ctrl+s")
        await settle(pilot)
        await wait_until(pilot, lambda: "credit left" in _text(pilot.app.screen, "#consume-message"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=refuse)
