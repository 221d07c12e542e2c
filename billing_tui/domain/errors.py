"""One hierarchy of domain errors, each with a message a support person can act on."""

from __future__ import annotations


class BillingError(Exception):
    """Base of every error the product reports to a user (screen or command line)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(BillingError):
    """The thing asked for does not exist."""


class ValidationFailed(BillingError):
    """Input was refused; ``errors`` maps each field to the reason."""

    def __init__(self, errors: dict[str, str], message: str | None = None) -> None:
        self.errors = dict(errors)
        summary = "; ".join(self.errors.values())
        super().__init__(message or f"Nothing was saved. {summary}")


class DatabaseUnavailable(BillingError):
    """The database cannot be opened or reached."""
