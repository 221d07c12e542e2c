"""Orders and an order from the keyboard: the list, locked lines, linked invoices, the plan, and the order keys."""

from __future__ import annotations

import sys
from typing import ClassVar

import pytest
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static

from billing_tui.screens.cart_detail import CartDetailScreen
from billing_tui.screens.confirm import ConfirmScreen
from billing_tui.screens.format import money_text
from billing_tui.screens.invoice_detail import InvoiceDetailScreen
from billing_tui.screens.order_detail import OrderDetailScreen
from billing_tui.screens.order_line import OrderLineDialog
from billing_tui.screens.orders import OrdersScreen
from billing_tui.services import carts, orders
from tests.ui.conftest import settle, wait_until
from tests.ui.test_app_shell import _top_hit

# The demo's staff orders (tests/ui/conftest.py: 400 carts, so they are numbered from 100401; see
# billing_tui.demo.STAFF_ORDERS for what each shows).
INSTALMENTS, FINAL_AFTER_PARTIAL, PLANNING, SHIPPED, DRAFT = 100401, 100403, 100405, 100408, 100409


def _cells(screen, table_id: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    table = screen.query_one(f"#{table_id}", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def _messages(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.message for n in app._notifications]


async def _dialog_settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for the add-line dialog's worker (``settle`` would wait for the order screen's, which awaits the dialog)."""
    await pilot.pause()
    for worker in list(pilot.app.workers):
        if worker.group == "order-line":
            await worker.wait()
    await pilot.pause()


async def _open_order(app, pilot, number: int) -> OrderDetailScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await app.push_screen(OrderDetailScreen(number))
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, OrderDetailScreen) and screen.detail is not None
    return screen


async def test_orders_list_shows_the_demo_orders_filters_by_state_and_opens_one(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, OrdersScreen)
        shown = {int(row[0]): row for row in _cells(screen, "orders-table")}
        assert {DRAFT, PLANNING} <= set(shown)
        assert shown[DRAFT][3] == "draft" and shown[PLANNING][3] == "in planning"
        assert {r.state for r in screen.page.rows} >= {"draft", "in_planning", "in_progress", "shipped", "cancelled"}
        await pilot.press("f", "f")  # all -> draft -> in planning
        await settle(pilot)
        assert screen.state_filter == "in_planning"
        assert "in planning" in str(screen.query_one("#orders-filter", Static).render())
        assert [r.number for r in screen.page.rows] == [PLANNING]
        await pilot.press("f", "f", "f", "f")  # in progress, shipped, completed, cancelled
        await settle(pilot)
        assert screen.state_filter == "cancelled" and {r.state for r in screen.page.rows} == {"cancelled"}
        await pilot.press("f", "slash", *"Caffè", "enter")  # all states again, searched by customer
        await settle(pilot)
        assert [r.customer_name for r in screen.page.rows] == ["Caffè Verdi S.p.A."] * len(screen.page.rows)
        assert PLANNING in [r.number for r in screen.page.rows]
        table = screen.query_one("#orders-table", DataTable)
        table.move_cursor(row=[r.number for r in screen.page.rows].index(PLANNING))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrderDetailScreen) and app.screen.number == PLANNING
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_order_screen_shows_locked_lines_its_invoices_and_what_is_left(app) -> None:  # type: ignore[no-untyped-def]
    detail = orders.get_order(app.ctx, PLANNING)
    (partial,) = detail.invoices
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_order(app, pilot, PLANNING)
        summary = str(screen.query_one("#order-summary", Static).render())
        assert "in planning" in summary and "Caffè Verdi S.p.A." in summary
        assert f"Left to bill {money_text(detail.left_to_bill)}" in summary
        assert f"Invoiced {money_text(partial.total)}" in summary and money_text(partial.total) == "2.570,40\xa0€"
        lines = _cells(screen, "order-lines")
        assert [row[-1] for row in lines] == [f"locked by {partial.number}"] * 3 + ["not billed"]
        assert _cells(screen, "order-invoices") == [[partial.number, "partial", partial.issue_date.isoformat(),
                                                     money_text(partial.total), "issued", "sent"]]
        assert not screen.query_one("#order-plan", Static).display  # no plan: no plan section
        await pilot.press("o")  # the selected invoice
        await settle(pilot)
        assert isinstance(app.screen, InvoiceDetailScreen) and app.screen.number == partial.number


async def test_order_screen_shows_the_instalment_plan(app) -> None:  # type: ignore[no-untyped-def]
    detail = orders.get_order(app.ctx, INSTALMENTS)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_order(app, pilot, INSTALMENTS)
        plan = str(screen.query_one("#order-plan", Static).render()).splitlines()
        assert len(plan) == 4
        for row, step in zip(plan, detail.plan, strict=True):
            assert row.startswith(f"{step.seq}/4  {step.due_date.isoformat()}")
            assert (step.invoice_number or "issued on its date") in row and step.status in row
        assert [p.status for p in detail.plan] == ["issued", "issued", "planned", "planned"]
        assert [row[0] for row in _cells(screen, "order-invoices")] == [p.invoice_number for p in detail.plan[:2]]


async def test_add_line_refuses_an_unknown_sku_beside_the_field_then_adds(app) -> None:  # type: ignore[no-untyped-def]
    before = orders.get_order(app.ctx, DRAFT)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_order(app, pilot, DRAFT)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, OrderLineDialog) and app.focused is dialog.query_one("#ol-sku", Input)
        await pilot.press(*"NOPE-1", "enter", "backspace", "2", "enter", "enter")  # sku, quantity 2, no price
        await _dialog_settle(pilot)
        assert app.screen is dialog
        assert "no product with SKU 'NOPE-1'" in str(dialog.query_one("#err-sku", Static).render())
        assert app.focused is dialog.query_one("#ol-sku", Input)
        assert orders.get_order(app.ctx, DRAFT).lines == before.lines  # nothing changed
        dialog.query_one("#ol-sku", Input).value = "CAL-2027"
        await pilot.pause()
        assert str(dialog.query_one("#err-sku", Static).render()) == ""
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert any("CAL-2027 × 2" in m for m in _messages(app))
        assert _cells(screen, "order-lines")[-1][:4] == [str(len(before.lines) + 1), "CAL-2027",
                                                          "Calendario da tavolo 2027", "2"]
    after = orders.get_order(app.ctx, DRAFT)
    assert len(after.lines) == len(before.lines) + 1 and after.total > before.total


async def test_add_line_shows_a_refused_action_and_escape_adds_nothing(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_order(app, pilot, DRAFT)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        orders.ship_order(app.ctx, DRAFT)  # someone else ships it meanwhile
        await pilot.press(*"CAL-2027", "ctrl+s")
        await _dialog_settle(pilot)
        assert app.screen is dialog
        assert "You cannot add a line now" in str(dialog.query_one("#order-line-message", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
    assert len(orders.get_order(app.ctx, DRAFT).lines) == 3


async def test_removing_a_locked_line_is_refused_naming_the_invoice(app) -> None:  # type: ignore[no-untyped-def]
    (partial,) = orders.get_order(app.ctx, PLANNING).invoices
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_order(app, pilot, PLANNING)
        assert screen.check_action("remove_line", ()) is None  # greyed out on a locked line
        await pilot.press("d")
        await settle(pilot)
        assert app.screen is screen  # no question asked
        assert any(f"billed by invoice {partial.number}, so it is locked" in m for m in _messages(app))
        assert len(orders.get_order(app.ctx, PLANNING).lines) == 4
        await pilot.press("down", "down", "down")  # the line added after the partial invoice
        await pilot.pause()
        assert screen.check_action("remove_line", ()) is True
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert "Remove line 4" in str(app.screen.query_one("#confirm-question", Static).render())
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen and len(_cells(screen, "order-lines")) == 3
    assert [ln.locked_by for ln in orders.get_order(app.ctx, PLANNING).lines] == [partial.number] * 3


async def test_ship_asks_first_then_the_order_takes_no_more_lines(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_order(app, pilot, PLANNING)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        assert f"Mark order {PLANNING}" in str(app.screen.query_one("#confirm-question", Static).render())
        await pilot.press("n")
        await settle(pilot)
        assert orders.get_order(app.ctx, PLANNING).state == "in_planning"
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is screen and screen.detail.state == "shipped"
        assert "shipped" in str(screen.query_one("#order-summary", Static).render())
        assert screen.check_action("add_line", ()) is None and screen.check_action("instalments", ()) is True
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen  # no dialog: the refusal is shown instead
        assert any("You cannot add a line now" in m for m in _messages(app))
    assert orders.get_order(app.ctx, PLANNING).state == "shipped"


async def test_greyed_keys_change_nothing_and_say_why(app) -> None:  # type: ignore[no-untyped-def]
    before = orders.get_order(app.ctx, FINAL_AFTER_PARTIAL)
    assert before.state == "completed"
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_order(app, pilot, FINAL_AFTER_PARTIAL)
        for key, action in (("n", "add_line"), ("d", "remove_line"), ("s", "ship"), ("x", "cancel_order"),
                            ("p", "partial"), ("a", "advance"), ("i", "instalments"), ("f", "final")):
            assert screen.check_action(action, ()) is None, action
            await pilot.press(key)
            await settle(pilot)
            assert app.screen is screen, key
        assert len(_messages(app)) == 8
        assert any("You cannot issue the final invoice now: it is completed" in m for m in _messages(app))
    assert orders.get_order(app.ctx, FINAL_AFTER_PARTIAL) == before


def _replace_module(monkeypatch, name: str, module: object) -> None:  # type: ignore[no-untyped-def]
    """Make ``billing_tui.screens.<name>`` import as ``module`` (None: importing it fails), also once imported."""
    import billing_tui.screens

    monkeypatch.setitem(sys.modules, f"billing_tui.screens.{name}", module)
    monkeypatch.delattr(billing_tui.screens, name, raising=False)


class _FakeWizard(ModalScreen[tuple[str, ...] | None]):
    """Stands in for a billing wizard: remembers how it was made; Enter dismisses with invoice numbers."""

    made: ClassVar[list[tuple[int, object]]] = []
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "issue", "Issue"), Binding("escape", "leave", "Leave")]

    def __init__(self, order_number: int, today: object) -> None:
        super().__init__()
        self.made.append((order_number, today))

    def action_issue(self) -> None:
        self.dismiss(("PS26990",))

    def action_leave(self) -> None:
        self.dismiss(None)


@pytest.mark.parametrize(("key", "name", "number"), [("p", "PartialWizard", DRAFT), ("a", "AdvanceWizard", DRAFT),
                                                    ("i", "InstalmentsWizard", SHIPPED), ("f", "FinalWizard", DRAFT)])
async def test_a_billing_key_opens_its_wizard_and_names_what_it_issued(app, monkeypatch, key: str,  # type: ignore[no-untyped-def]
                                                                       name: str, number: int) -> None:
    import types

    fake = types.ModuleType("billing_tui.screens.order_wizards")
    setattr(fake, name, _FakeWizard)
    _replace_module(monkeypatch, "order_wizards", fake)
    monkeypatch.setattr(_FakeWizard, "made", [])
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_order(app, pilot, number)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, _FakeWizard) and _FakeWizard.made == [(number, app.today())]
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and _messages(app) == []
        await pilot.press(key, "enter")
        await settle(pilot)
        assert app.screen is screen and "Issued PS26990" in _messages(app)


async def test_without_the_wizards_or_the_assistant_the_keys_say_so(app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _replace_module(monkeypatch, "order_wizards", None)  # importing it fails
    _replace_module(monkeypatch, "assistant", None)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_order(app, pilot, DRAFT)
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert app.screen is screen
        assert _messages(app) == ["The partial invoice wizard is not available.", "The assistant is not available"]


async def test_a_confirmed_cart_opens_its_order(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await app.push_screen(CartDetailScreen(PLANNING))
        await settle(pilot)
        cart = app.screen
        assert cart.check_action("open_order", ()) is True
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OrderDetailScreen) and app.screen.number == PLANNING
        (unconfirmed,) = carts.list_carts(app.ctx, carts.CartQuery(status="open", limit=1)).rows
        await app.push_screen(CartDetailScreen(unconfirmed.number))
        await settle(pilot)
        assert app.screen.check_action("open_order", ()) is None
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, CartDetailScreen)


async def test_the_palette_goes_to_orders_and_filters_them(app) -> None:  # type: ignore[no-untyped-def]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"orders: show shipped")
        await wait_until(pilot, lambda: _top_hit(app) == "Orders: show shipped")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OrdersScreen) and app.screen.state_filter == "shipped"
        assert {r.state for r in app.screen.page.rows} == {"shipped"}
