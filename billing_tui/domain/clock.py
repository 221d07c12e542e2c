"""The injected clock: every "now" and "today" in the product comes from one of these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time, timezone-aware in UTC."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that says what it is told; tests and ``--now`` use it."""

    at: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 9, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        """Move the clock to ``at``."""
        self.at = at


def today(clock: Clock) -> date:
    """The calendar date of the clock's current instant (UTC)."""
    return clock.now().date()
