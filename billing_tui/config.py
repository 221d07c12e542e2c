"""Settings read from the environment (prefix ``BILLING_``) and the paths the app uses."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

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


class Settings(BaseSettings):
    """Process settings; every field can be set as ``BILLING_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; the SQLite file in the data directory when unset.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=30_000,
        description="How long a SQLite writer waits for another writer before giving up.",
    )

    def resolved_database_url(self, override: str | None = None) -> str:
        """The URL to open: the command-line value, then the environment, then the default file."""
        return override or self.database_url or default_database_url()
