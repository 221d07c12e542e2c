"""Shared fixtures: a fresh database per test, on SQLite always and on PostgreSQL when configured.

Set ``BILLING_TEST_DATABASE_URL`` (``.ci/run`` does) to a PostgreSQL URL to run every
``db_url``/``ctx`` test against PostgreSQL too; each test gets its own schema, dropped after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from billing_tui.domain.clock import FixedClock

pytest_plugins = ["tests.smtp_server", "tests.stripe_server"]  # the smtp, smtp_down and stripe_server fixtures

PG_URL = os.environ.get("BILLING_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
FIXED_NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the real user's data directory or database, nor read their configuration, from a test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    for name in [n for n in os.environ if n.startswith("BILLING_") and n != "BILLING_TEST_DATABASE_URL"]:
        monkeypatch.delenv(name)  # BILLING_DATABASE_URL, a developer's Stripe key or SMTP host...


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture
def make_db_url(tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    """A factory of fresh, empty database URLs for a backend ('sqlite' or 'postgresql')."""
    schemas: list[str] = []

    def make(backend: str = "sqlite", name: str = "billing") -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / (name + '.sqlite3')}"
        if not PG_URL:
            pytest.skip("BILLING_TEST_DATABASE_URL is not set")
        from sqlalchemy import create_engine, text

        schema = "t_" + uuid.uuid4().hex[:12]
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        engine.dispose()
        schemas.append(schema)
        return _pg_schema_url(PG_URL, schema)

    yield make
    if schemas:
        from sqlalchemy import create_engine, text

        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            for schema in schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each backend the suite runs against."""
    return str(request.param)


@pytest.fixture
def db_url(make_db_url, backend: str) -> str:  # type: ignore[no-untyped-def]
    """A fresh, empty database URL on each backend."""
    return str(make_db_url(backend))


@pytest.fixture
def clock() -> FixedClock:
    """A fixed clock at 2026-11-23 09:00 UTC."""
    return FixedClock(FIXED_NOW)


@pytest.fixture
def ctx(db_url: str, clock: FixedClock):  # type: ignore[no-untyped-def]
    """A service context on a fresh, migrated, empty database, acting as 'tester'."""
    from billing_tui.services.context import open_context

    context = open_context(db_url, clock=clock, actor="tester")
    yield context
    context.db.dispose()


@pytest.fixture
def demo_ctx(ctx):  # type: ignore[no-untyped-def]
    """A service context whose database holds the demo business (seed 7, 400 carts, as of the fixed day)."""
    from billing_tui import demo

    demo.fill_demo(ctx, carts=400, seed=7, as_of=FIXED_NOW.date())
    return ctx
