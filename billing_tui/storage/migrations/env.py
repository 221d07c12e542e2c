"""Alembic environment: runs on the connection that ``billing_tui.storage.migrate`` hands it."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import billing_tui.storage.account_models  # noqa: F401  (registers the tables on SQLModel.metadata)
import billing_tui.storage.document_models  # noqa: F401
import billing_tui.storage.shop_models  # noqa: F401
import billing_tui.storage.system_models  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
