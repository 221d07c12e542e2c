"""The process configuration: every ``BILLING_*`` environment variable, read once when the service context is built.

billing-tui has three kinds of settings, each in one place:

- **process configuration** (this module): how this process reaches the outside world (database,
  Stripe, SMTP...), from the environment, read once by :func:`load_settings` and carried by the
  service context as ``ctx.settings``;
- **company data** (``services/company.py``): the seller printed on every document, one database
  row edited in Settings → Company;
- **shared settings** (``services/app_settings.py``): named values every process on the database
  shares (invoicing delay, payment terms, mail...), edited in Settings → Invoicing & mail.

Mail is configured in both of the last two places; the rule is: a ``BILLING_SMTP_*`` or
``BILLING_MAIL_FROM`` variable that is set wins over the shared setting of the same name, field by
field (``services/mail.py::mail_config`` applies it). The paths are in billing_tui.paths (re-exported).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from billing_tui.domain.errors import BillingError
from billing_tui.paths import (
    APP_NAME,
    data_dir,
    default_database_url,
    demo_database_url,
)

__all__ = [
    "APP_NAME",
    "Settings",
    "SettingsInvalid",
    "data_dir",
    "default_database_url",
    "demo_database_url",
    "load_settings",
]

ENV_PREFIX = "BILLING_"


class SettingsInvalid(BillingError):
    """A ``BILLING_*`` environment variable holds a value that cannot be used; the message names it."""


class Settings(BaseSettings):
    """Process configuration; every field can be set as ``BILLING_<NAME>`` in the environment.

    Built once per process by :func:`load_settings` (tests pass the values they need,
    ``Settings(smtp_host=...)``); services read it from ``ctx.settings``, never from the environment.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    # --- the database ---------------------------------------------------------------------------

    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database; the SQLite file in the data directory when unset.",
    )
    sqlite_busy_timeout_ms: int = Field(
        default=30_000,
        description="How long a SQLite writer waits for another writer before giving up.",
    )

    # --- Stripe (cards, renewals) -------------------------------------------------------------------

    stripe_api_key: SecretStr | None = Field(
        default=None,
        description="Stripe secret key (sk_live_... or sk_test_...); Stripe is off without it. Never displayed.",
    )
    stripe_api_base: str | None = Field(
        default=None,
        description="Base URL of the Stripe API, for testing against a local server (e.g. localstripe); "
        "Stripe's own when unset.",
    )

    # --- mail: each one, when set, wins over the shared setting of the same name -------------------

    smtp_host: str | None = Field(default=None, description="SMTP host; when set, mail goes by SMTP.")
    smtp_port: int | None = Field(default=None, ge=1, le=65535, description="SMTP port.")
    smtp_user: str | None = Field(default=None, description="SMTP login user.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP login password. Never displayed.")
    smtp_tls: Literal["none", "starttls", "ssl"] | None = Field(
        default=None, description="SMTP security: none, starttls or ssl."
    )
    mail_from: str | None = Field(default=None, description="Sender address of every mail.")

    # --- planned integrations: declared so their names are fixed; nothing reads them yet -------------

    fic_api_base: str | None = Field(
        default=None,
        description="Base URL of the Fatture in Cloud API, for testing against a local server; theirs when unset.",
    )
    fic_token: SecretStr | None = Field(
        default=None, description="Fatture in Cloud access token; the push to FiC is off without it. Never displayed."
    )
    smartbill_api_base: str | None = Field(
        default=None,
        description="Base URL of the SmartBill API, for testing against a local server; theirs when unset.",
    )
    smartbill_user: str | None = Field(default=None, description="SmartBill login (the account's email).")
    smartbill_token: SecretStr | None = Field(
        default=None, description="SmartBill API token; the push to SmartBill is off without it. Never displayed."
    )
    bnr_rates_url: str | None = Field(
        default=None,
        description="URL of the BNR (Romanian National Bank) daily exchange-rate XML; the BNR's own when unset.",
    )
    pec_host: str | None = Field(default=None, description="PEC (certified mail) SMTP host.")
    pec_port: int | None = Field(default=None, ge=1, le=65535, description="PEC SMTP port.")
    pec_user: str | None = Field(default=None, description="PEC login user (usually the PEC address).")
    pec_password: SecretStr | None = Field(default=None, description="PEC login password. Never displayed.")
    pec_from: str | None = Field(default=None, description="Sender address of PEC mail.")

    def resolved_database_url(self, override: str | None = None) -> str:
        """The URL to open: the command-line value, then the environment, then the default file."""
        return override or self.database_url or default_database_url()


def load_settings() -> Settings:
    """The process configuration from the environment; an unusable value is refused naming its variable."""
    try:
        return Settings()
    except ValidationError as exc:
        reasons = "; ".join(
            f"{ENV_PREFIX}{str(err['loc'][0]).upper()}: {err['msg']}" for err in exc.errors(include_input=False)
        )
        raise SettingsInvalid(f"Settings in the environment are not valid: {reasons}") from None
