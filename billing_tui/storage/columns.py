"""Column helpers shared by every table: money exact to the cent, timezone-aware timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime

from billing_tui.storage.types import Fixed


def timestamp(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    """A point in time, stored with its timezone (every timestamp in the product is UTC)."""
    return Column(DateTime(timezone=True), nullable=nullable)


def money_column(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    """A money amount: exact to the cent."""
    return Column(Fixed(2), nullable=nullable)


def utc(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every timestamp in the product is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)
