"""Words and formats per language: text lookup in the one catalog (``domain.texts``), amounts, dates, months.

Documents are printed in it, en or ro; the screens use Italian notation for amounts. Every amount
on a document, in an email or on a screen is formatted by :func:`format_amount` (babel, with the
locale parsed once), every date by :func:`format_date`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from billing_tui.domain.money import format_money
from billing_tui.domain.texts import TEXTS

LANGUAGES = ("it", "en", "ro")
LOCALES = {"it": "it_IT", "en": "en_IE", "ro": "ro_RO"}
"""The babel locale of each document language."""


def t(key: str, language: str, **values: object) -> str:
    """The text ``key`` in ``language`` (Italian if the language is unknown), with ``values`` filled in."""
    entry = TEXTS[key]
    text = entry.get(language) or entry["it"]
    return text.format(**values) if values else text


def format_date(day: date, language: str) -> str:
    """A date as the document's language writes it (dd/mm/yyyy for it, dd.mm.yyyy for ro, ISO for en)."""
    if language == "ro":
        return day.strftime("%d.%m.%Y")
    if language == "en":
        return day.isoformat()
    return day.strftime("%d/%m/%Y")


def format_amount(amount: Decimal, currency: str, language: str = "it") -> str:
    """An amount with its currency as the language writes it (1.234,56 € in Italian)."""
    return format_money(amount, currency, LOCALES.get(language, "it_IT"))


def format_month(first_day: date, language: str) -> str:
    """A month and its year in words ("ottobre 2026", "October 2026", "octombrie 2026")."""
    from babel.dates import format_date as babel_date

    return babel_date(first_day, "LLLL yyyy", locale=LOCALES.get(language, "it_IT"))
