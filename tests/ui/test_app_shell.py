"""The frame around every screen: header, help, command palette and settings."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import Input, Static

from billing_tui.screens.customers import CustomersScreen
from billing_tui.screens.help import HelpScreen
from billing_tui.screens.settings import SettingsScreen
from billing_tui.services import company
from tests.ui.conftest import settle, wait_until


def _top_hit(app) -> str:  # type: ignore[no-untyped-def]
    """The text of the palette's highlighted command ('' while it has none)."""
    from textual.command import CommandList

    commands = app.screen.query_one(CommandList)
    if commands.highlighted is None or commands.option_count == 0:
        return ""
    prompt = commands.get_option_at_index(commands.highlighted).prompt
    return str(getattr(prompt, "plain", prompt)).splitlines()[0]


async def test_header_names_database_and_user(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.sub_title == "sqlite:demo.sqlite3 · tester"


async def test_help_lists_every_screen_and_closes(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text", Static).render())
        for expected in ("Carts (F2)", "Customers (F3)", "Settings (F4)", "Invoices (F5)", "Jobs (F6)", "Ctrl+S",
                         "Filter", "F7", "Cancel invoice", "Credit note", "PgDn", "Issue invoice"):
            assert expected in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)


async def test_command_palette_reaches_screens_and_actions(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"go to customers")
        await wait_until(pilot, lambda: _top_hit(app) == "Go to Customers")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CustomersScreen)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"carts: show abandoned")
        await wait_until(pilot, lambda: _top_hit(app) == "Carts: show abandoned")
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.query_state.status == "abandoned"
        assert {r.status for r in app.screen.page.rows} == {"abandoned"}


async def test_settings_refuses_an_invalid_iban_and_saves_a_valid_one(app) -> None:  # type: ignore[no-untyped-def]
    before = company.get_company(app.ctx).values
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        iban = screen.query_one("#s-iban", Input)
        iban.value = "IT60X0542811101000000123457"
        await pilot.pause()
        assert "IBAN" in str(screen.query_one("#err-iban").render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert company.get_company(app.ctx).values == before
        iban.value = "IT 60 X 05428 11101 000000123456"
        screen.query_one("#s-company_name", Input).value = "Pixel & Stampa S.r.l. (Torino)"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
    after = company.get_company(app.ctx).values
    assert after["company_name"] == "Pixel & Stampa S.r.l. (Torino)"
    assert after["iban"] == "IT60X0542811101000000123456"
