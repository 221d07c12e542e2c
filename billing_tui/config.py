"""Settings read from the environment (prefix ``BILLING_``); the paths are in billing_tui.paths (re-exported)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from billing_tui.paths import (
    APP_NAME,
    data_dir,
    default_database_url,
    demo_database_url,
)

__all__ = ["APP_NAME", "Settings", "data_dir", "default_database_url", "demo_database_url"]


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
    stripe_api_key: SecretStr | None = Field(
        default=None,
        description="Stripe secret key (sk_live_... or sk_test_...); Stripe is off without it. Never displayed.",
    )
    stripe_api_base: str | None = Field(
        default=None,
        description="Base URL of the Stripe API, for testing against a local server (e.g. localstripe); "
        "Stripe's own when unset.",
    )

    def resolved_database_url(self, override: str | None = None) -> str:
        """The URL to open: the command-line value, then the environment, then the default file."""
        return override or self.database_url or default_database_url()
