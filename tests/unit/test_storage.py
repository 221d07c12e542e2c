"""The store: SQLite settings, write locks, several processes on one file, and Alembic migrations."""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text
from sqlmodel import SQLModel

import billing_tui.storage
from billing_tui import demo
from billing_tui.domain.errors import DatabaseUnavailable
from billing_tui.services import customers
from billing_tui.services.context import open_context
from billing_tui.storage import migrate
from billing_tui.storage.db import Database
from billing_tui.storage.shop_models import Cart, Customer
from billing_tui.storage.system_models import AuditEntry

WORKERS = 4
UPDATES = 50
CUSTOMER = {
    "customer_type": "company", "name": "Rossi Arredamenti S.r.l.", "vat_number": "00743110157",
    "sdi_code": "ABC1234", "email": "fatture@rossi.example", "address": "Via Roma 1", "city": "Torino",
    "country": "IT", "language": "it",
}


def _model_tables() -> set[str]:
    """Every table the models declare (importing each storage module registers its tables)."""
    import importlib
    import pkgutil

    for module in pkgutil.iter_modules(billing_tui.storage.__path__, "billing_tui.storage."):
        if not module.ispkg:
            importlib.import_module(module.name)
    return set(SQLModel.metadata.tables)


# --- SQLite connection settings and locks -------------------------------------------------------

def test_sqlite_connections_are_durable_and_safe(make_db_url) -> None:  # type: ignore[no-untyped-def]
    db = Database(make_db_url("sqlite"), busy_timeout_ms=1234)
    try:
        with db.engine.connect() as conn:
            pragma = {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                      for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
        assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 1234}
        # Every session gets them, not only the first connection.
        with db.read() as session:
            assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        db.dispose()


def test_foreign_keys_are_enforced_on_sqlite(ctx) -> None:  # type: ignore[no-untyped-def]
    if not ctx.db.is_sqlite:
        pytest.skip("PostgreSQL always enforces foreign keys")
    with pytest.raises(Exception, match="FOREIGN KEY"), ctx.db.write() as session:
        session.execute(text(
            "INSERT INTO cart (number, created_at, customer_id, status, payment_method, payment_state, "
            "order_state, invoice_state, currency, net, vat, total) VALUES (1, '2026-11-23', 999, 'open', "
            "'card', 'unpaid', 'none', 'not_due', 'EUR', 0, 0, 0)"))


def test_a_write_session_holds_the_lock_from_its_start(make_db_url) -> None:  # type: ignore[no-untyped-def]
    url = make_db_url("sqlite")
    first = open_context(url, actor="first").db
    second = Database(url, busy_timeout_ms=100)
    try:
        with first.write():
            # No statement has run in the first session yet: BEGIN IMMEDIATE alone holds the lock.
            with pytest.raises(DatabaseUnavailable) as info, second.write():
                pass
            assert "locked" in info.value.message
            # Readers are not blocked by a writer (WAL).
            with second.read() as session:
                assert session.scalar(select(func.count()).select_from(Customer)) == 0
        # Once the first writer is done, the second one gets the lock.
        with second.write() as session:
            session.execute(text("SELECT 1"))
    finally:
        first.dispose()
        second.dispose()


def test_a_failed_write_session_leaves_nothing_behind(ctx) -> None:  # type: ignore[no-untyped-def]
    customer_id = customers.create_customer(ctx, CUSTOMER).id
    with pytest.raises(RuntimeError), ctx.db.write() as session:
        row = session.get(Customer, customer_id)
        assert row is not None
        row.name = "Changed"
        session.add(row)
        session.flush()
        raise RuntimeError("boom")
    assert customers.get_customer(ctx, customer_id).profile["name"] == CUSTOMER["name"]


def _update_many(url: str, worker: int, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """Run in a separate process: wait for the others, then update the same customer many times."""
    try:
        ctx = open_context(url, actor=f"worker{worker}", upgrade=False)
        barrier.wait(timeout=60)
        for i in range(UPDATES):
            customers.update_customer(ctx, 1, {"email": f"w{worker}-{i}@rossi.example"})
        ctx.db.dispose()
        results.put((worker, "ok"))
    except BaseException:  # noqa: BLE001 - report everything to the parent
        results.put((worker, traceback.format_exc()))


def test_several_processes_update_one_sqlite_file_without_locking_errors(make_db_url) -> None:  # type: ignore[no-untyped-def]
    url = make_db_url("sqlite")
    ctx = open_context(url, actor="setup")
    assert customers.create_customer(ctx, CUSTOMER).id == 1
    mp = multiprocessing.get_context("spawn")
    barrier, results = mp.Barrier(WORKERS), mp.Queue()
    procs = [mp.Process(target=_update_many, args=(url, n, barrier, results)) for n in range(WORKERS)]
    for p in procs:
        p.start()
    outcome = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    assert outcome == {n: "ok" for n in range(WORKERS)}, "\n".join(outcome.values())
    with ctx.db.read() as session:
        updates = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "update")).all()
    assert len(updates) == WORKERS * UPDATES
    assert {a: updates.count(a) for a in set(updates)} == {f"worker{n}": UPDATES for n in range(WORKERS)}
    final = customers.get_customer(ctx, 1).profile["email"]
    assert final in {f"w{n}-{UPDATES - 1}@rossi.example" for n in range(WORKERS)}
    ctx.db.dispose()


# --- migrations -------------------------------------------------------------------------------------

def _alembic_scripts():  # type: ignore[no-untyped-def]
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(billing_tui.storage.__file__).parent / "migrations"))
    return ScriptDirectory.from_config(cfg)


def test_head_constant_is_alembics_only_head() -> None:
    scripts = _alembic_scripts()
    assert scripts.get_heads() == [migrate.HEAD]
    assert scripts.get_current_head() == migrate.HEAD


def _tables(db: Database) -> set[str]:
    with db.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_ensure_schema_creates_every_table(db_url: str) -> None:
    db = Database(db_url)
    try:
        assert migrate.current_revision(db) is None and migrate.needs_upgrade(db)
        assert _tables(db) == set()
        migrate.ensure_schema(db)
        assert _tables(db) == _model_tables() | {"alembic_version"}
        assert migrate.current_revision(db) == migrate.HEAD and not migrate.needs_upgrade(db)
    finally:
        db.dispose()


def test_the_migrations_build_exactly_the_models(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(db_url)
    try:
        migrate.ensure_schema(db)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata)
        assert diff == []
    finally:
        db.dispose()


def test_upgrading_twice_is_a_no_op_and_keeps_the_data(ctx) -> None:  # type: ignore[no-untyped-def]
    demo.fill_demo(ctx, carts=30, seed=2)
    with ctx.db.read() as session:
        before = (session.scalar(select(func.count()).select_from(Cart)),
                  session.scalars(select(Customer.name).order_by(Customer.id)).all())
    tables = _tables(ctx.db)
    assert migrate.upgrade(ctx.db) == (migrate.HEAD, migrate.HEAD)
    assert migrate.upgrade(ctx.db) == (migrate.HEAD, migrate.HEAD)
    migrate.ensure_schema(ctx.db)
    assert _tables(ctx.db) == tables
    with ctx.db.read() as session:
        after = (session.scalar(select(func.count()).select_from(Cart)),
                 session.scalars(select(Customer.name).order_by(Customer.id)).all())
    assert after == before and before[0] == 30


def test_opening_an_existing_database_again_keeps_its_data(db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    first = open_context(db_url, clock=clock, actor="tester")
    demo.fill_demo(first, carts=20, seed=5)
    first.db.dispose()
    second = open_context(db_url, clock=clock, actor="tester")
    try:
        assert not demo.is_empty(second)
        with second.db.read() as session:
            assert session.scalar(select(func.count()).select_from(Cart)) == 20
    finally:
        second.db.dispose()


def _ensure_schema(url: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """Run in a separate process: create the schema at the same moment as another process."""
    try:
        db = Database(url)
        barrier.wait(timeout=60)
        migrate.ensure_schema(db)
        db.dispose()
        results.put("ok")
    except BaseException:  # noqa: BLE001 - report everything to the parent
        results.put(traceback.format_exc())


def test_two_processes_creating_the_schema_at_once_both_succeed(make_db_url) -> None:  # type: ignore[no-untyped-def]
    db_url = make_db_url("sqlite")
    mp = multiprocessing.get_context("spawn")
    barrier, results = mp.Barrier(2), mp.Queue()
    procs = [mp.Process(target=_ensure_schema, args=(db_url, barrier, results)) for _ in range(2)]
    for p in procs:
        p.start()
    outcome = [results.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    assert outcome == ["ok", "ok"], "\n".join(outcome)
    db = Database(db_url)
    try:
        assert migrate.current_revision(db) == migrate.HEAD
        assert _tables(db) == _model_tables() | {"alembic_version"}
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        db.dispose()


@pytest.mark.parametrize("url", ["not a url", "nosuchdriver://x/y"])
def test_a_bad_database_url_is_reported_clearly(url: str) -> None:
    with pytest.raises(DatabaseUnavailable) as info:
        Database(url)
    assert "database" in info.value.message.lower() or "open" in info.value.message.lower()


def test_an_unreachable_server_is_reported_as_unavailable() -> None:
    with pytest.raises(DatabaseUnavailable) as info:
        open_context("postgresql+psycopg://postgres@127.0.0.1:1/test")
    assert "127.0.0.1" in info.value.message
