"""The ``billing-tui`` command line, run as a user runs it: a separate process, JSON or one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from billing_tui.services import carts, customers, demo
from billing_tui.services.context import open_context
from billing_tui.services.views import to_json
from billing_tui.storage import migrate
from billing_tui.storage.models import AuditEntry, Cart, Customer

AS_OF = "2026-11-23"
UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test"
_SCRIPT = Path(sys.executable).with_name("billing-tui")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "billing_tui.cli"]


@dataclass(frozen=True)
class Result:
    """What a run of the command line printed and returned."""

    code: int
    out: str
    err: str

    def json(self):  # type: ignore[no-untyped-def]
        assert self.code == 0, self.err
        return json.loads(self.out)


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    # A copy of the test's environment, so the isolated HOME and data directory apply.
    env = os.environ.copy()
    env.pop("BILLING_DATABASE_URL", None)
    env.update(extra or {})
    return env


def run_all(*argvs: list[str], env: dict[str, str] | None = None) -> list[Result]:
    """Run several command lines at once (they only read, or touch different things) and wait for all."""
    procs = [subprocess.Popen([*COMMAND, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=_env(env)) for argv in argvs]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append(Result(proc.returncode, out, err))
    return results


def run(*argv: str, env: dict[str, str] | None = None) -> Result:
    return run_all(list(argv), env=env)[0]


def assert_one_line_error(result: Result, *words: str) -> None:
    assert result.code != 0
    assert result.out == ""
    assert len(result.err.splitlines()) == 1 and result.err.endswith("\n"), result.err
    assert result.err.startswith("billing-tui: ")
    assert "Traceback" not in result.err + result.out
    for word in words:
        assert word in result.err, result.err


def _fill(url: str, carts_count: int = 50, seed: int = 3) -> None:
    ctx = open_context(url, actor="setup")
    try:
        demo.fill_demo(ctx, carts=carts_count, seed=seed, as_of=date.fromisoformat(AS_OF))
    finally:
        ctx.db.dispose()


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


def _find_customer(url: str, **where: str) -> int:
    ctx = open_context(url, actor="check", upgrade=False)
    try:
        rows = customers.list_customers(ctx, limit=1000).rows
        return next(r.id for r in rows if all(getattr(r, k) == v for k, v in where.items()))
    finally:
        ctx.db.dispose()


# --- demo, lists and details ------------------------------------------------------------------

def test_demo_then_lists_and_details_as_json(db_url: str, backend: str) -> None:
    filled = run("demo", "--carts", "50", "--seed", "3", "--as-of", AS_OF, "--db", db_url)
    assert filled.code == 0, filled.err
    assert "50 carts" in filled.out and "seed 3" in filled.out and filled.err == ""

    argvs = [
        ["carts", "list", "--json", "--db", db_url],
        ["carts", "show", "100010", "--json", "--db", db_url],
    ]
    if backend == "sqlite":  # the rest does not depend on the backend: run it once
        argvs += [
            ["carts", "list", "--status", "confirmed", "--json", "--db", db_url],
            ["carts", "list", "--db", db_url, "--json"],
            ["customers", "list", "--json", "--db", db_url],
            ["customers", "show", "1", "--json", "--db", db_url],
        ]
    listing, cart, *more = run_all(*argvs)
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

    if more:
        confirmed, again, people, one = more
        confirmed_rows = confirmed.json()["rows"]
        assert confirmed_rows and {r["status"] for r in confirmed_rows} == {"confirmed"}
        assert [r["number"] for r in confirmed_rows] == [r.number for r in every_cart
                                                         if r.status == "confirmed"][:len(confirmed_rows)]
        assert again.out == listing.out  # stable output, byte for byte
        rows = people.json()["rows"]
        assert len(rows) > 30 and {r["customer_type"] for r in rows} == {"company", "person", "pa"}
        profile = one.json()
        assert profile["id"] == 1 and profile["profile"]["name"] == next(r["name"] for r in rows if r["id"] == 1)
        assert "customer_type" in profile["visible"]


def test_text_output_is_a_table(make_db_url) -> None:  # type: ignore[no-untyped-def]
    url = make_db_url("sqlite")
    _fill(url, carts_count=12)
    listing, cart = run_all(["carts", "list", "--limit", "5", "--db", url], ["carts", "show", "100003", "--db", url])
    lines = listing.out.splitlines()
    assert listing.code == 0 and lines[0].split()[:3] == ["NUMBER", "DATE", "CUSTOMER"]
    assert len(lines) == 1 + 5 + 1 and lines[-1] == "… more: --offset 5"
    assert cart.code == 0 and cart.out.startswith("Cart 100003") and "Total" in cart.out


def test_the_database_can_come_from_the_environment(make_db_url) -> None:  # type: ignore[no-untyped-def]
    url = make_db_url("sqlite")
    _fill(url, carts_count=10)
    from_env = subprocess.Popen([*COMMAND, "carts", "list", "--json", "--limit", "4"], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=_env({"BILLING_DATABASE_URL": url}))
    # --db wins over the environment.
    overridden = run("carts", "list", "--json", "--limit", "4", "--db", url, env={"BILLING_DATABASE_URL": UNREACHABLE})
    out, err = from_env.communicate(timeout=120)
    assert from_env.returncode == 0, err
    assert len(json.loads(out)["rows"]) == 4
    assert overridden.out == out


# --- changing a profile ----------------------------------------------------------------------------

def test_update_a_customer_and_see_it_in_the_history(db_url: str) -> None:
    _fill(db_url)
    cid = _find_customer(db_url, name="Rossi Arredamenti S.r.l.")
    updated = run("customers", "update", str(cid), "--email", "x@y.example", "--json", "--db", db_url)
    assert updated.json()["profile"]["email"] == "x@y.example"
    history = run("customers", "history", str(cid), "--db", db_url)
    assert history.code == 0, history.err
    (line,) = history.out.splitlines()
    assert "update" in line and "email" in line and "'x@y.example'" in line
    ctx = open_context(db_url, actor="check", upgrade=False)
    try:
        assert customers.get_customer(ctx, cid).profile["email"] == "x@y.example"
    finally:
        ctx.db.dispose()


def test_a_bad_field_value_is_one_line_and_changes_nothing(db_url: str, backend: str) -> None:
    _fill(db_url)
    company = _find_customer(db_url, name="Rossi Arredamenti S.r.l.")
    pa = _find_customer(db_url, customer_type="pa")
    before = _state(db_url)
    cases = [
        (["customers", "update", str(company), "--email", "not-an-email", "--name", "New name", "--json"], "email"),
        (["customers", "update", str(company), "--vat-number", "00743110158"], "check digit"),
        (["customers", "update", str(pa), "--pa-office-code", "UF01A"], "PA office code"),
    ]
    if backend != "sqlite":
        cases = cases[:1]  # validation does not depend on the backend; the rollback might
    results = run_all(*[[*argv, "--db", db_url] for argv, _ in cases])
    for result, (_argv, word) in zip(results, cases, strict=True):
        assert_one_line_error(result, word)
    assert _state(db_url) == before


def test_errors_are_one_line_without_a_traceback(make_db_url) -> None:  # type: ignore[no-untyped-def]
    url = make_db_url("sqlite")
    _fill(url, carts_count=5)
    before = _state(url)
    unknown_cart, unknown_customer, bad_status, nothing_to_change, unknown_option, bad_url = run_all(
        ["carts", "show", "999999", "--db", url],
        ["customers", "show", "4242", "--db", url],
        ["carts", "list", "--status", "paid", "--db", url],
        ["customers", "update", "1", "--db", url],
        ["customers", "update", "1", "--iban", "IT60X0542811101000000123456", "--db", url],
        ["carts", "list", "--db", "not a url"],
    )
    assert_one_line_error(unknown_cart, "999999")
    assert_one_line_error(unknown_customer, "4242")
    assert_one_line_error(bad_status, "--status")
    assert bad_status.code == 2
    assert_one_line_error(nothing_to_change, "nothing to change")
    assert_one_line_error(unknown_option, "--iban")
    assert_one_line_error(bad_url, "not a database URL")
    assert _state(url) == before


def test_an_unreachable_database_is_one_line() -> None:
    for result in run_all(["carts", "list", "--db", UNREACHABLE], ["db", "upgrade", "--db", UNREACHABLE]):
        assert_one_line_error(result, "127.0.0.1")


def test_an_unreachable_database_is_reported_as_unavailable_not_as_a_crash() -> None:
    result = run("carts", "list", "--db", UNREACHABLE)
    assert_one_line_error(result, "not available")
    assert "unexpected error" not in result.err


# --- database maintenance and the demo file ------------------------------------------------------

def test_db_upgrade_keeps_the_data_and_says_it_is_up_to_date(db_url: str) -> None:
    _fill(db_url, carts_count=20)
    before = _state(db_url)
    existing = run("db", "upgrade", "--db", db_url)
    assert existing.code == 0, existing.err
    assert "up to date" in existing.out and migrate.HEAD in existing.out
    assert _state(db_url) == before


def test_db_upgrade_of_an_empty_database(make_db_url) -> None:  # type: ignore[no-untyped-def]
    report = run("db", "upgrade", "--json", "--db", make_db_url("sqlite"))
    assert report.json()["from"] is None and report.json()["to"] == migrate.HEAD


def _data_dir() -> Path:
    return Path(os.environ["XDG_DATA_HOME"]) / "billing-tui"


def test_demo_without_db_fills_the_demo_file_never_the_real_one() -> None:
    first = run("demo", "--carts", "5", "--seed", "1", "--as-of", AS_OF)
    assert first.code == 0, first.err
    demo_file, real_file = _data_dir() / "demo.sqlite3", _data_dir() / "billing.sqlite3"
    assert demo_file.is_file() and "demo.sqlite3" in first.out
    assert not real_file.exists()
    again, real = run_all(["demo", "--carts", "5", "--seed", "1", "--as-of", AS_OF], ["carts", "list", "--json"])
    assert_one_line_error(again, "empty")
    # Without --db the other commands open the user's own database, which the demo never touched.
    assert real.json()["rows"] == []
    ctx = open_context(f"sqlite:///{demo_file}", actor="check", upgrade=False)
    try:
        assert len(carts.list_carts(ctx, carts.CartQuery()).rows) == 5 + len(demo.STAFF_ORDERS)
    finally:
        ctx.db.dispose()
