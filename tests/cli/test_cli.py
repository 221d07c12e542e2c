"""The ``billing-tui`` command line, run in-process as a user would type it: JSON, tables or one-line errors."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from billing_tui import demo
from billing_tui.services import carts, customers
from billing_tui.services.context import open_context
from billing_tui.services.views import to_json
from billing_tui.storage import migrate
from billing_tui.storage.shop_models import Cart, Customer
from billing_tui.storage.system_models import AuditEntry
from tests.cli.conftest import RunCli
from tests.cli.helpers import (
    AS_OF,
    UNREACHABLE,
    assert_one_line_error,
    fill_demo,
    find_customer,
    run,  # noqa: F401 - tests/unit/test_cards.py and test_credit.py import it from here
)


def _state(url: str) -> tuple:  # type: ignore[type-arg]
    """Everything a bad command must not change: profiles, the audit log, the number of carts."""
    ctx = open_context(url, actor="check", upgrade=False)
    try:
        with ctx.db.read() as session:
            profiles = [tuple(getattr(c, k) for k in ("id", "name", "vat_number", "email", "pa_office_code",
                                                      "updated_at"))
                        for c in session.scalars(select(Customer).order_by(Customer.id)).all()]
            audit = session.scalar(select(func.count()).select_from(AuditEntry))
            cart_count = session.scalar(select(func.count()).select_from(Cart))
        return profiles, audit, cart_count
    finally:
        ctx.db.dispose()


# --- demo, lists and details ------------------------------------------------------------------

def test_demo_then_lists_and_details_as_json(run_cli: RunCli, db_url: str, backend: str) -> None:
    filled = run_cli("demo", "--carts", "50", "--seed", "3", "--as-of", AS_OF, "--db", db_url)
    assert filled.code == 0, filled.err
    assert "50 carts" in filled.out and "seed 3" in filled.out and filled.err == ""

    listing = run_cli("carts", "list", "--json", "--db", db_url)
    cart = run_cli("carts", "show", "100010", "--json", "--db", db_url)
    page = listing.json()
    # 50 shop carts, and the staff-created orders of the demo's history on top of them (a second page).
    assert len(page["rows"]) == 50 and page["has_more"] is True
    stamps = [r["created_at"] for r in page["rows"]]
    assert stamps == sorted(stamps, reverse=True)

    # The command line prints exactly what the service returns.
    ctx = open_context(db_url, actor="check", upgrade=False)
    try:
        assert listing.out == to_json(carts.list_carts(ctx, carts.CartQuery())) + "\n"
        every_cart = carts.list_carts(ctx, carts.CartQuery(limit=100)).rows
        assert len(every_cart) == 50 + len(demo.STAFF_ORDERS)
    finally:
        ctx.db.dispose()

    detail = cart.json()
    assert detail["number"] == 100010 and detail["lines"]
    net = sum(Decimal(ln["line_total"]) for ln in detail["lines"])
    assert Decimal(detail["net"]) == net
    assert Decimal(detail["total"]) == Decimal(detail["net"]) + Decimal(detail["vat"])
    assert Decimal(detail["vat"]) == sum(Decimal(v["vat"]) for v in detail["vat_rows"])
    assert detail["total"] == next(r["total"] for r in page["rows"] if r["number"] == 100010)

    if backend != "sqlite":  # the rest does not depend on the backend: run it once
        return
    confirmed_rows = run_cli("carts", "list", "--status", "confirmed", "--json", "--db", db_url).json()["rows"]
    assert confirmed_rows and {r["status"] for r in confirmed_rows} == {"confirmed"}
    assert [r["number"] for r in confirmed_rows] == [r.number for r in every_cart
                                                     if r.status == "confirmed"][:len(confirmed_rows)]
    assert run_cli("carts", "list", "--db", db_url, "--json").out == listing.out  # stable output, byte for byte
    rows = run_cli("customers", "list", "--json", "--db", db_url).json()["rows"]
    assert len(rows) > 30 and {r["customer_type"] for r in rows} == {"company", "person", "pa"}
    profile = run_cli("customers", "show", "1", "--json", "--db", db_url).json()
    assert profile["id"] == 1 and profile["profile"]["name"] == next(r["name"] for r in rows if r["id"] == 1)
    assert "customer_type" in profile["visible"]


def test_text_output_is_a_table(run_cli: RunCli, make_db_url, clock) -> None:  # type: ignore[no-untyped-def]
    url = make_db_url("sqlite")
    fill_demo(url, clock, carts=12)
    listing = run_cli("carts", "list", "--limit", "5", "--db", url)
    lines = listing.out.splitlines()
    assert listing.code == 0 and lines[0].split()[:3] == ["NUMBER", "DATE", "CUSTOMER"]
    assert len(lines) == 1 + 5 + 1 and lines[-1] == "… more: --offset 5"
    cart = run_cli("carts", "show", "100003", "--db", url)
    assert cart.code == 0 and cart.out.startswith("Cart 100003") and "Total" in cart.out


def test_the_database_can_come_from_the_environment(  # type: ignore[no-untyped-def]
        run_cli: RunCli, make_db_url, clock, opened_urls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    url = make_db_url("sqlite")
    fill_demo(url, clock, carts=10)
    monkeypatch.setenv("BILLING_DATABASE_URL", url)
    from_env = run_cli("carts", "list", "--json", "--limit", "4")
    assert len(from_env.json()["rows"]) == 4
    # --db wins over the environment.
    monkeypatch.setenv("BILLING_DATABASE_URL", UNREACHABLE)
    overridden = run_cli("carts", "list", "--json", "--limit", "4", "--db", url)
    assert overridden.out == from_env.out
    assert opened_urls == [url, url]


# --- changing a profile ----------------------------------------------------------------------------

def test_update_a_customer_and_see_it_in_the_history(run_cli: RunCli, db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    fill_demo(db_url, clock)
    cid = find_customer(db_url, name="Rossi Arredamenti S.r.l.")
    updated = run_cli("customers", "update", str(cid), "--email", "x@y.example", "--json", "--db", db_url)
    assert updated.json()["profile"]["email"] == "x@y.example"
    history = run_cli("customers", "history", str(cid), "--db", db_url)
    assert history.code == 0, history.err
    (line,) = history.out.splitlines()
    assert "update" in line and "email" in line and "'x@y.example'" in line
    ctx = open_context(db_url, actor="check", upgrade=False)
    try:
        assert customers.get_customer(ctx, cid).profile["email"] == "x@y.example"
    finally:
        ctx.db.dispose()


def test_a_bad_field_value_is_one_line_and_changes_nothing(  # type: ignore[no-untyped-def]
        run_cli: RunCli, db_url: str, backend: str, clock) -> None:
    fill_demo(db_url, clock)
    company = find_customer(db_url, name="Rossi Arredamenti S.r.l.")
    pa = find_customer(db_url, customer_type="pa")
    before = _state(db_url)
    cases = [
        (["customers", "update", str(company), "--email", "not-an-email", "--name", "New name", "--json"], "email"),
        (["customers", "update", str(company), "--vat-number", "00743110158"], "check digit"),
        (["customers", "update", str(pa), "--pa-office-code", "UF01A"], "PA office code"),
    ]
    if backend != "sqlite":
        cases = cases[:1]  # validation does not depend on the backend; the rollback might
    for argv, word in cases:
        assert_one_line_error(run_cli(*argv, "--db", db_url), word)
    assert _state(db_url) == before


def test_errors_are_one_line_without_a_traceback(run_cli: RunCli, make_db_url, clock) -> None:  # type: ignore[no-untyped-def]
    url = make_db_url("sqlite")
    fill_demo(url, clock, carts=5)
    before = _state(url)
    assert_one_line_error(run_cli("carts", "show", "999999", "--db", url), "999999")
    assert_one_line_error(run_cli("customers", "show", "4242", "--db", url), "4242")
    bad_status = run_cli("carts", "list", "--status", "paid", "--db", url)
    assert_one_line_error(bad_status, "--status")
    assert bad_status.code == 2
    assert_one_line_error(run_cli("customers", "update", "1", "--db", url), "nothing to change")
    assert_one_line_error(run_cli("customers", "update", "1", "--iban", "IT60X0542811101000000123456", "--db", url),
                          "--iban")
    assert_one_line_error(run_cli("carts", "list", "--db", "not a url"), "not a database URL")
    assert _state(url) == before


def test_an_unreachable_database_is_one_line(run_cli: RunCli) -> None:
    for argv in (["carts", "list", "--db", UNREACHABLE], ["db", "upgrade", "--db", UNREACHABLE]):
        assert_one_line_error(run_cli(*argv), "127.0.0.1")


def test_an_unreachable_database_is_reported_as_unavailable_not_as_a_crash(run_cli: RunCli) -> None:
    result = run_cli("carts", "list", "--db", UNREACHABLE)
    assert_one_line_error(result, "not available")
    assert "unexpected error" not in result.err


def test_help_is_printed_on_stdout_and_exits_zero(run_cli: RunCli) -> None:
    shown = run_cli("--help")
    assert shown.code == 0 and shown.err == "" and shown.out.startswith("usage: billing-tui ")
    assert "subscriptions" in shown.out and "(S0" not in shown.out  # no requirement IDs in what users read
    instalments = run_cli("invoices", "instalments", "--help")
    assert instalments.code == 0 and "--every {week,2weeks,month,quarter,half-year,year}" in instalments.out


# --- database maintenance and the demo file ------------------------------------------------------

def test_db_upgrade_keeps_the_data_and_says_it_is_up_to_date(run_cli: RunCli, db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    fill_demo(db_url, clock, carts=20)
    before = _state(db_url)
    existing = run_cli("db", "upgrade", "--db", db_url)
    assert existing.code == 0, existing.err
    assert "up to date" in existing.out and migrate.HEAD in existing.out
    assert _state(db_url) == before


def test_db_upgrade_of_an_empty_database(run_cli: RunCli, make_db_url) -> None:  # type: ignore[no-untyped-def]
    report = run_cli("db", "upgrade", "--json", "--db", make_db_url("sqlite"))
    assert report.json()["from"] is None and report.json()["to"] == migrate.HEAD


def _data_dir() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "billing-tui"


def test_demo_without_db_fills_the_demo_file_never_the_real_one(run_cli: RunCli) -> None:
    first = run_cli("demo", "--carts", "5", "--seed", "1", "--as-of", AS_OF)
    assert first.code == 0, first.err
    demo_file, real_file = _data_dir() / "demo.sqlite3", _data_dir() / "billing.sqlite3"
    assert demo_file.is_file() and "demo.sqlite3" in first.out
    assert not real_file.exists()
    assert_one_line_error(run_cli("demo", "--carts", "5", "--seed", "1", "--as-of", AS_OF), "empty")
    # Without --db the other commands open the user's own database, which the demo never touched.
    assert run_cli("carts", "list", "--json").json()["rows"] == []
    ctx = open_context(f"sqlite:///{demo_file}", actor="check", upgrade=False)
    try:
        assert len(carts.list_carts(ctx, carts.CartQuery()).rows) == 5 + len(demo.STAFF_ORDERS)
    finally:
        ctx.db.dispose()
