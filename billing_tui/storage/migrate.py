"""Creating and upgrading the schema with Alembic, serialized so that concurrent starts are safe."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect, text

from billing_tui.storage.db import WRITE_OPTION, Database

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest revision in migrations/versions; a test checks it against Alembic's own view.
HEAD = "0004_account"
# Any constant shared by every billing-tui process; serializes upgrades on PostgreSQL.
_PG_MIGRATION_LOCK = 74_191_001


def _alembic_config():  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def current_revision(db: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with db.guard(), db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def needs_upgrade(db: Database) -> bool:
    """True when the schema is older than this version of the program (cheap: no Alembic import)."""
    return current_revision(db) != HEAD


def upgrade(db: Database) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns ``(before, after)``. Data is kept."""
    from alembic import command

    before = current_revision(db)
    with db.guard(), db.engine.connect().execution_options(**{WRITE_OPTION: True}) as conn:
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK})
            cfg = _alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return before, HEAD


def ensure_schema(db: Database) -> None:
    """Create or upgrade the schema if this program is newer than the database."""
    if needs_upgrade(db):
        upgrade(db)
