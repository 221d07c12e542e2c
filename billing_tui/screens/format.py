"""How values look on screen: money, dates and states."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from rich.text import Text
from textual.markup import escape

from billing_tui.domain.i18n import format_amount

STATE_STYLE = {
    "confirmed": "green",
    "paid": "green",
    "issued": "green",
    "completed": "green",
    "open": "cyan",
    "pending": "yellow",
    "queued": "yellow",
    "sending": "yellow",
    "running": "yellow",
    "done": "green",
    "sent": "green",
    "credited": "magenta",
    "to_invoice": "yellow",
    "abandoned": "dim",
    "not_due": "dim",
    "none": "dim",
    "unpaid": "dim",
    "payment_failed": "red",
    "failed": "red",
    "cancelled": "red",
    "refunded": "magenta",
}
SHORT = {"bank_transfer": "transfer", "payment_failed": "pay failed", "to_invoice": "to invoice", "not_due": "-"}


def plain(value: str) -> Text:
    """A table cell showing ``value`` as it is. A str cell is read as markup, which costs more and is wrong for
    user data: "ACME [srl]" loses its "[srl]", and "[/x]" raises MarkupError, which ends the app."""
    return Text(value, end="", no_wrap=True)


def money(amount: Decimal, currency: str = "EUR") -> Text:
    """An amount, right-aligned, in Italian notation (1.234,56 €)."""
    return Text(format_amount(amount, currency), justify="right")


@lru_cache(maxsize=256)
def state(value: str) -> Text:
    """A state word, coloured by what it means for the user.

    One Text per state word, shared by every table cell showing it: do not modify the result.
    """
    return Text(SHORT.get(value, value.replace("_", " ")), style=STATE_STYLE.get(value, ""))


def day(value: date | datetime | None) -> str:
    """A date as YYYY-MM-DD (UTC for timestamps)."""
    return value.strftime("%Y-%m-%d") if value else "-"


def moment(value: datetime | None) -> str:
    """A date and time as YYYY-MM-DD HH:MM UTC."""
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def state_markup(value: str) -> str:
    """A state word as Textual markup, coloured like :func:`state`."""
    style = STATE_STYLE.get(value, "")
    text = escape(SHORT.get(value, value.replace("_", " ")))
    return f"[{style}]{text}[/]" if style else text


def money_text(amount: Decimal, currency: str = "EUR") -> str:
    """An amount as plain text in Italian notation."""
    return format_amount(amount, currency)
