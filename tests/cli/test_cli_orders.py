"""The orders command line: orders billed in parts by partial, advance, instalment and final invoices (issue 4).

Each test makes its own orders with ``orders create`` and ``add-line`` on a demo database, so it
does not depend on the demo's own orders. Invoicing commands run in-process on the fixed clock (the
demo's day); the scheduled instalments are issued by ``jobs run-due --now`` on their dates.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from billing_tui.domain.clock import FixedClock
from billing_tui.services.context import open_context
from billing_tui.storage.document_models import Invoice, OutboxMessage
from billing_tui.storage.shop_models import Cart, CartLine, OrderInstalment
from billing_tui.storage.system_models import AuditEntry
from tests.cli.conftest import RunCli
from tests.cli.helpers import AS_OF, assert_one_line_error, fill_demo, find_customer

CUSTOMER = "Rossi Arredamenti S.r.l."  # a demo company whose billing profile is complete
LINES = (("LP-YEAR", "1"), ("BOOK-FATT-01", "3"))  # 199.00 at 22% and 3 x 24.00 at 4%: 317.66 gross
ROW_KEYS = {"number", "created_at", "customer_name", "state", "total", "left_to_bill", "currency"}
DETAIL_KEYS = {"number", "customer_id", "customer_name", "customer_email", "state", "created_at", "currency",
               "lines", "net", "vat", "total", "invoiced", "advanced", "left_to_bill", "invoices", "plan",
               "refusals"}


TODAY = date.fromisoformat(AS_OF)
"""The CLI's today: the fixed clock's day, which is the demo's."""


@pytest.fixture
def customer(db_url: str, clock: FixedClock) -> int:
    """A demo database with 10 carts; the id of its customer ``CUSTOMER``."""
    fill_demo(db_url, clock, carts=10)
    return find_customer(db_url, name=CUSTOMER)


def _new_orders(run_cli: RunCli, url: str, customer: int, count: int = 1) -> list[str]:
    """``count`` draft orders with the ``LINES``; the lines of one order one after the other."""
    numbers = [run_cli("orders", "create", "--customer", str(customer), "--db", url).out.strip()
               for _ in range(count)]
    for number in numbers:
        for sku, qty in LINES:  # positions follow the commands
            added = run_cli("orders", "add-line", number, "--sku", sku, "--qty", qty, "--db", url)
            assert added.code == 0, added.err
    return numbers


def _state(url: str) -> tuple:  # type: ignore[type-arg]
    """Everything a preview or a refused command must not change."""
    ctx = open_context(url, actor="check", upgrade=False)
    try:
        with ctx.db.read() as session:
            counts = tuple(session.scalar(select(func.count()).select_from(table))
                           for table in (Invoice, CartLine, OrderInstalment, OutboxMessage, AuditEntry))
            carts = session.execute(select(Cart.number, Cart.order_state, Cart.invoice_state, Cart.total)
                                    .order_by(Cart.number)).all()
        return counts, [tuple(c) for c in carts]
    finally:
        ctx.db.dispose()


def _sum(invoices: list[dict]) -> Decimal:  # type: ignore[type-arg]
    return sum((Decimal(i["total"]) for i in invoices), Decimal("0.00"))


# --- reading orders and previews ----------------------------------------------------------------------

def test_list_show_and_previews_that_change_nothing(run_cli: RunCli, db_url: str, customer: int) -> None:
    (number,) = _new_orders(run_cli, db_url, customer)
    before = _state(db_url)
    listing, drafts, found, shown, text, partial, advance, final = (run_cli(*argv, "--db", db_url) for argv in (
        ["orders", "list", "--json"],
        ["orders", "list", "--state", "draft", "--json"],
        ["orders", "list", "--search", number],
        ["orders", "show", number, "--json"],
        ["orders", "show", number],
        ["invoices", "partial", "--order", number, "--preview"],
        ["invoices", "advance", "--order", number, "--percent", "30", "--dry-run", "--json"],
        ["invoices", "final", "--order", number, "--preview", "--json"],
    ))
    page = listing.json()
    assert set(page) == {"rows", "offset", "limit", "has_more"} and page["rows"]
    assert all(set(r) == ROW_KEYS for r in page["rows"])
    assert str(page["rows"][0]["number"]) == number  # newest first
    mine = [r for r in drafts.json()["rows"] if str(r["number"]) == number]
    assert mine and mine[0]["state"] == "draft" and mine[0]["total"] == mine[0]["left_to_bill"] == "317.66"
    assert found.code == 0 and found.out.splitlines()[0].split()[:4] == ["NUMBER", "DATE", "CUSTOMER", "STATE"]
    assert found.out.splitlines()[1].startswith(number)

    detail = shown.json()
    assert set(detail) == DETAIL_KEYS and str(detail["number"]) == number
    assert detail["state"] == "draft" and detail["customer_name"] == CUSTOMER
    assert [(ln["position"], ln["sku"], ln["locked_by"]) for ln in detail["lines"]] == [
        (1, "LP-YEAR", None), (2, "BOOK-FATT-01", None)]
    assert Decimal(detail["total"]) == Decimal(detail["net"]) + Decimal(detail["vat"]) == Decimal("317.66")
    assert detail["left_to_bill"] == "317.66" and detail["invoices"] == [] and detail["plan"] == []
    assert detail["refusals"]["partial"] is None and "shipped" in detail["refusals"]["instalments"]
    assert text.code == 0 and text.out.startswith(f"Order {number}") and "LOCKED BY" in text.out

    assert partial.code == 0, partial.err
    assert partial.out.startswith(f"Partial invoice for order {number}: 1 invoice will be created")
    assert "317,66\xa0€" in partial.out and "Afterwards the order is in planning" in partial.out
    plan = advance.json()
    assert plan["action"] == "advance" and plan["state_after"] == "in_progress"
    assert [i["total"] for i in plan["invoices"]] == ["95.30"] and plan["left_after"] == "222.36"
    assert final.json()["invoices"][0]["role"] == "final" and final.json()["invoices"][0]["total"] == "317.66"
    assert _state(db_url) == before


# --- billing an order end to end ----------------------------------------------------------------------

def test_partial_then_more_lines_then_final_add_up_to_the_order(run_cli: RunCli, db_url: str, customer: int) -> None:
    (number,) = _new_orders(run_cli, db_url, customer)
    partial = run_cli("invoices", "partial", "--order", number, "--json", "--db", db_url).json()
    (first,) = partial["issued"]
    assert partial["order"]["state"] == "in_planning" and partial["order"]["invoiced"] == "317.66"
    assert {ln["locked_by"] for ln in partial["order"]["lines"]} == {first}
    assert [i["issue_date"] for i in partial["order"]["invoices"]] == [AS_OF]  # the clock's day

    added = run_cli("orders", "add-line", number, "--sku", "MUG-CER-01", "--qty", "2", "--price", "11.11", "--json",
                "--db", db_url).json()
    assert added["state"] == "in_planning" and added["lines"][-1]["locked_by"] is None
    assert added["left_to_bill"] == "27.11"  # 2 x 11.11 + 22% VAT
    locked = run_cli("orders", "remove-line", number, "1", "--db", db_url)
    assert_one_line_error(locked, f"billed by invoice {first}", "locked")

    final = run_cli("invoices", "final", "--order", number, "--json", "--db", db_url).json()
    (last,) = final["issued"]
    order = final["order"]
    assert order["state"] == "completed" and order["left_to_bill"] == "0.00"
    assert [(i["number"], i["role"]) for i in order["invoices"]] == [(first, "partial"), (last, "final")]
    assert _sum(order["invoices"]) == Decimal(order["total"]) == Decimal(order["invoiced"]) == Decimal("344.77")
    shown = run_cli("orders", "show", number, "--db", db_url)
    assert shown.code == 0 and "completed" in shown.out.splitlines()[0]
    assert f"{last}  final" in shown.out and "Left to bill 0.00 EUR" in shown.out


def test_advance_ship_then_instalments_issued_by_the_scheduler_on_their_dates(
        run_cli: RunCli, db_url: str, customer: int) -> None:
    (number,) = _new_orders(run_cli, db_url, customer)
    advance = run_cli("invoices", "advance", "--order", number, "--percent", "30", "--json", "--db", db_url).json()
    assert advance["order"]["state"] == "in_progress" and advance["order"]["advanced"] == "95.30"
    assert run_cli("orders", "ship", number, "--db", db_url).code == 0

    start = (TODAY + timedelta(days=2)).isoformat()  # after today: nothing is due when the plan is made
    plan_args = ["invoices", "instalments", "--order", number, "--count", "3", "--start", start, "--every", "month",
                 "--db", db_url, "--json"]
    preview = run_cli(*plan_args, "--preview").json()
    dates = [i["due_date"] for i in preview["invoices"]]
    assert preview["mode"] == "schedule" and dates[0] == start and len(dates) == 3
    assert [i["role"] for i in preview["invoices"]] == ["instalment", "instalment", "final"]
    planned = run_cli(*plan_args, "--schedule").json()
    assert planned["issued"] == [] and planned["order"]["state"] == "completed"
    assert [(p["due_date"], p["status"]) for p in planned["order"]["plan"]] == [(d, "planned") for d in dates]
    assert planned["order"]["left_to_bill"] == "222.36"

    for day in dates:
        ran = run_cli("jobs", "run-due", "--now", f"{day}T09:00", "--db", db_url, "--json").json()
        assert {v["job"]: v["result"] for v in ran}["instalments"] == "issued 1 instalment invoice(s)"
    again = run_cli("jobs", "run-due", "--now", f"{dates[-1]}T10:00", "--db", db_url, "--json").json()
    assert {v["job"]: v["result"] for v in again}["instalments"] == "issued 0 instalment invoice(s)"

    order = run_cli("orders", "show", number, "--json", "--db", db_url).json()
    assert [p["status"] for p in order["plan"]] == ["issued"] * 3
    issued = [i for i in order["invoices"] if i["role"] in ("instalment", "final")]
    assert [i["issue_date"] for i in issued] == dates  # each on its date
    assert [i["number"] for i in issued] == [p["invoice_number"] for p in order["plan"]]
    assert [i["role"] for i in order["invoices"]] == ["advance", "instalment", "instalment", "final"]
    assert _sum(order["invoices"]) == Decimal(order["total"]) == Decimal("317.66")
    assert order["left_to_bill"] == "0.00"


# --- refusals ------------------------------------------------------------------------------------------

def test_refusals_are_one_line_and_change_nothing(run_cli: RunCli, db_url: str, customer: int) -> None:
    draft, shipped = _new_orders(run_cli, db_url, customer, 2)
    assert run_cli("orders", "ship", shipped, "--db", db_url).code == 0
    today = TODAY
    before = _state(db_url)
    cases = [
        (["invoices", "advance", "--order", shipped, "--amount", "10"], "it is shipped"),
        (["invoices", "instalments", "--order", draft, "--count", "3", "--start", today.isoformat(),
          "--every", "month", "--now"], "mark it shipped first"),
        (["invoices", "partial", "--order", draft, "--date", today.isoformat(),
          "--due", (today - timedelta(days=1)).isoformat()], "before the invoice date"),
        (["invoices", "advance", "--order", draft, "--percent", "150", "--json"], "at most 100"),
        (["invoices", "final", "--order", "999999"], "no order number 999999"),
        (["orders", "show", "999999", "--json"], "no order number 999999"),
        (["orders", "add-line", draft, "--sku", "NO-SUCH-SKU", "--qty", "1"], "NO-SUCH-SKU"),
        (["invoices", "advance", "--order", draft, "--amount", "10", "--percent", "30"], "not allowed with"),
        (["invoices", "advance", "--order", draft], "one of the arguments --amount --percent is required"),
    ]
    results = [run_cli(*argv, "--db", db_url) for argv, _ in cases]
    for result, (_argv, words) in zip(results, cases, strict=True):
        assert_one_line_error(result, words)
    assert results[-2].code == results[-1].code == 2  # argparse: a usage error
    assert _state(db_url) == before
