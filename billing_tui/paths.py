"""Where billing-tui keeps its files; cheap to import (no pydantic), so the app can use it before its first frame."""

from __future__ import annotations

from pathlib import Path

APP_NAME = "billing-tui"


def data_dir() -> Path:
    """The user's data directory for billing-tui (created on demand)."""
    from platformdirs import user_data_path

    path = user_data_path(APP_NAME, appauthor=False)
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    """The user's own database: a SQLite file in the data directory."""
    return f"sqlite:///{data_dir() / 'billing.sqlite3'}"


def demo_database_url() -> str:
    """The demo database: a separate SQLite file, never the user's real one."""
    return f"sqlite:///{data_dir() / 'demo.sqlite3'}"
