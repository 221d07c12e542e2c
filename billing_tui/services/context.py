"""What every service function needs: the database, the clock, who is acting, the configuration and the gateways.

Importing this module is cheap (no SQLAlchemy, no pydantic): the app builds its first frame with it and
opens the database later, in a worker, through :func:`open_context`.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from billing_tui.domain.clock import Clock, SystemClock

if TYPE_CHECKING:
    from billing_tui.config import Settings
    from billing_tui.integrations.mailer import MailConfig, Mailer
    from billing_tui.integrations.stripe_gateway import StripeGateway
    from billing_tui.storage.db import Database

StripeFactory: TypeAlias = "Callable[[ServiceContext], StripeGateway | None]"
"""Makes the Stripe gateway the services use at the moment they need Stripe; None when Stripe is not connected."""

MailerFactory: TypeAlias = "Callable[[ServiceContext, MailConfig | None], Mailer]"
"""Makes the mailer for the SMTP configuration the mail service resolved (None: no SMTP host anywhere)."""

EML_FOLDER_NAME = "outbox-eml"
"""The folder, in the data directory, where mail is written as .eml files when no SMTP host is configured."""


def current_user() -> str:
    """The operating-system user working in this process (shown in the header, written to the audit log)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER") or f"uid{os.getuid()}"


def settings_from_environment() -> Settings:
    """The process configuration read from the environment now (``BILLING_*``)."""
    from billing_tui.config import load_settings

    return load_settings()


def default_data_dir() -> Path:
    """The user's data directory for billing-tui (created on demand)."""
    from billing_tui.paths import data_dir

    return data_dir()


def stripe_from_settings(ctx: ServiceContext) -> StripeGateway | None:
    """The gateway ``ctx.settings`` configure (``BILLING_STRIPE_API_KEY``, ``BILLING_STRIPE_API_BASE``); None without a key."""
    from billing_tui.integrations.stripe_gateway import stripe_gateway

    return stripe_gateway(ctx.settings)


def smtp_or_eml_mailer(ctx: ServiceContext, config: MailConfig | None) -> Mailer:
    """SMTP with ``config``; without one, a mailer writing .eml files to ``outbox-eml/`` in ``ctx.data_dir``."""
    from billing_tui.integrations.mailer import EmlFolderMailer, SmtpMailer

    if config is not None:
        return SmtpMailer(config)
    return EmlFolderMailer(ctx.data_dir / EML_FOLDER_NAME)


@dataclass
class ServiceContext:
    """The dependencies of the services, built once by the app, the CLI or the worker and injected everywhere.

    Tests build it with what they need: a temporary database, a fixed clock, ``Settings(...)``, a
    temporary data directory, a gateway to a local server
    (``dataclasses.replace(ctx, stripe=lambda _ctx: server.gateway())``).
    """

    db: Database
    clock: Clock = field(default_factory=SystemClock)
    actor: str = field(default_factory=current_user)
    settings: Settings = field(default_factory=settings_from_environment)
    """The process configuration (``BILLING_*``), read once when the context was built."""
    data_dir: Path = field(default_factory=default_data_dir)
    """Where files for the user go: exports, .eml mail (the user's data directory unless a test says otherwise)."""
    stripe: StripeFactory = stripe_from_settings
    """Called with this context each time a service needs Stripe."""
    mailer: MailerFactory = smtp_or_eml_mailer
    """Called with this context and the resolved SMTP configuration each time mail is relayed."""

    @property
    def database_label(self) -> str:
        return self.db.label


def open_context(
    url: str | None = None,
    *,
    clock: Clock | None = None,
    actor: str | None = None,
    upgrade: bool = True,
    settings: Settings | None = None,
    data_dir: Path | None = None,
    stripe: StripeFactory | None = None,
    mailer: MailerFactory | None = None,
    busy_timeout_ms: int | None = None,
) -> ServiceContext:
    """Open the database (creating or upgrading its schema) and build the service context.

    ``settings`` are read from the environment when not given. The database is ``url`` when given,
    else ``settings.database_url``, else the SQLite file in the data directory; SQLite waits
    ``busy_timeout_ms`` (default ``settings.sqlite_busy_timeout_ms``) for another writer. Every other
    dependency left out is the one the settings configure. The first call imports the database stack
    (SQLAlchemy, SQLModel, the models): call it from a worker.
    """
    from billing_tui.storage.db import Database
    from billing_tui.storage.migrate import ensure_schema

    settings = settings if settings is not None else settings_from_environment()
    timeout = busy_timeout_ms if busy_timeout_ms is not None else settings.sqlite_busy_timeout_ms
    db = Database(settings.resolved_database_url(url), busy_timeout_ms=timeout)
    if upgrade:
        ensure_schema(db)
    return ServiceContext(
        db=db,
        clock=clock or SystemClock(),
        actor=actor or current_user(),
        settings=settings,
        data_dir=data_dir if data_dir is not None else default_data_dir(),
        stripe=stripe or stripe_from_settings,
        mailer=mailer or smtp_or_eml_mailer,
    )
