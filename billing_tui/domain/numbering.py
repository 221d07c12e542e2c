"""Invoice number formats (S004.4–S004.10): parse, validate, preview and render.

A format is literal ASCII text with placeholders:
``{yyyy}`` ``{yy}`` ``{mm}`` ``{dd}`` ``{qq}`` from the document's date, and the
counters ``{i;n}`` (invoice), ``{c;n}`` (cancellation) and ``{ci;n}`` (credit note),
zero-padded to a *minimum* width ``n`` (``,`` is accepted instead of ``;``).

Decision: every kind has one counter per year (the "last number" the seed shows per
year and kind, S004.2). In a cancellation or credit-note format, ``{i;n}`` is the
counter of the invoice it refers to, so ``PS{i;3}-S{c;0}`` gives ``PS003-S1`` for the
year's first cancellation, which cancels invoice 3 (S004.5), and ``PS{i;3}-{ci;0}``
gives ``PS003-1`` (S004.6).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

MAX_NUMBER_LENGTH = 20  # FatturaPA <Numero>: at most 20 Basic-Latin characters
_TOKEN = re.compile(r"\{([^{}]*)\}")
_LITERAL = re.compile(r"[A-Za-z0-9/\-_.#]*")
_DATE_FIELDS = ("yyyy", "yy", "mm", "dd", "qq")
_COUNTERS = ("i", "c", "ci")
_KNOWN = "{yyyy} {yy} {mm} {dd} {qq} {i;n} {c;n} {ci;n}"


class RangeKind(StrEnum):
    """The three number series of a year (S004.1)."""

    INVOICE = "invoice"
    CANCELLATION = "cancellation"
    CREDIT_NOTE = "credit_note"

    @property
    def counter(self) -> str:
        """The placeholder letter of this kind's own counter."""
        return {"invoice": "i", "cancellation": "c", "credit_note": "ci"}[self.value]

    @property
    def label(self) -> str:
        return {"invoice": "Invoices", "cancellation": "Cancellation invoices", "credit_note": "Credit notes"}[self.value]

    @property
    def singular(self) -> str:
        return {"invoice": "an invoice", "cancellation": "a cancellation", "credit_note": "a credit-note"}[self.value]


DEFAULT_FORMATS = {
    RangeKind.INVOICE: "PS{yy}{i;3}",
    RangeKind.CANCELLATION: "PS{yy}{i;3}-S{c;0}",
    RangeKind.CREDIT_NOTE: "PS{yy}{i;3}-{ci;0}",
}


class FormatError(ValueError):
    """A number format that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Token:
    """A piece of a format: literal text, a date field, or a counter with a minimum width."""

    literal: str = ""
    field: str = ""
    width: int = 0


@dataclass(frozen=True)
class ParsedFormat:
    """A validated format and the warnings to show beside it."""

    text: str
    tokens: tuple[Token, ...]
    warnings: tuple[str, ...]

    @property
    def counters(self) -> set[str]:
        return {t.field for t in self.tokens if t.field in _COUNTERS}


def parse_format(text: str, kind: RangeKind = RangeKind.INVOICE) -> ParsedFormat:
    """Parse and check a format for ``kind``; raises FormatError with the reason (S004.7, S004.10)."""
    if not text:
        raise FormatError("The format is empty; e.g. PS{yy}{i;3}")
    if any(ch.isspace() for ch in text):
        raise FormatError("The format must not contain spaces")  # S004.7
    bad = sorted({ch for ch in text if ord(ch) > 127})
    if bad:
        raise FormatError(f"The format must not contain non-ASCII letters such as {''.join(bad)}")  # S004.7
    tokens: list[Token] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        literal = text[pos:match.start()]
        if literal:
            tokens.append(_literal(literal))
        tokens.append(_placeholder(match.group(1)))
        pos = match.end()
    if text[pos:]:
        tokens.append(_literal(text[pos:]))
    parsed = ParsedFormat(text=text, tokens=tuple(tokens), warnings=())
    own = kind.counter
    if own not in parsed.counters:
        raise FormatError(f"Format of {kind.singular} needs its counter {{{own};n}}, e.g. {DEFAULT_FORMATS[kind]}")
    if kind is not RangeKind.INVOICE and "i" not in parsed.counters:
        raise FormatError(f"Format of {kind.singular} includes the invoice's counter {{i;n}}, "
                          f"e.g. {DEFAULT_FORMATS[kind]}")
    foreign = parsed.counters - {own, "i"}
    if foreign:
        raise FormatError(f"{{{sorted(foreign)[0]}}} is another kind's counter; format of {kind.singular} "
                          f"uses {{{own};n}}")
    warnings = []
    if not any(t.field in ("yyyy", "yy") for t in tokens):
        warnings.append("No {yy} or {yyyy}: numbers will repeat every year, and a repeated number cannot be "
                        "issued or sent. Add {yy} or {yyyy}.")  # S004.10
    return ParsedFormat(text=text, tokens=tuple(tokens), warnings=tuple(warnings))


def _literal(text: str) -> Token:
    if "{" in text or "}" in text:
        raise FormatError("Unbalanced brace in the format: every { needs its }")
    if not _LITERAL.fullmatch(text):
        raise FormatError(f"{text!r}: use only letters, digits and / - _ . # outside placeholders")
    return Token(literal=text)


def _placeholder(body: str) -> Token:
    match = re.fullmatch(r"([a-z]+)(?:([;,])(.*))?", body)
    if match is None:
        raise FormatError(f"Unknown placeholder {{{body}}}; the placeholders are {_KNOWN}")
    name, sep, width_text = match.group(1), match.group(2) or "", match.group(3) or ""
    if name in _DATE_FIELDS:
        if sep:
            raise FormatError(f"{{{body}}}: date placeholders take no width")
        return Token(field=name)
    if name in _COUNTERS:
        if not sep:
            return Token(field=name, width=0)
        if not width_text.isdigit() or int(width_text) > 10:
            raise FormatError(f"{{{body}}}: the width after '{sep}' must be a number from 0 to 10")
        return Token(field=name, width=int(width_text))
    raise FormatError(f"Unknown placeholder {{{body}}}; the placeholders are {_KNOWN}")


def render(parsed: ParsedFormat, *, on: date, counters: dict[str, int]) -> str:
    """The number for a document dated ``on`` with the given counter values; refuses over 20 characters."""
    out = []
    for t in parsed.tokens:
        if t.literal:
            out.append(t.literal)
        elif t.field == "yyyy":
            out.append(f"{on.year:04d}")
        elif t.field == "yy":
            out.append(f"{on.year % 100:02d}")
        elif t.field == "mm":
            out.append(f"{on.month:02d}")
        elif t.field == "dd":
            out.append(f"{on.day:02d}")
        elif t.field == "qq":
            out.append(f"{(on.month - 1) // 3 + 1:02d}")
        else:
            out.append(f"{counters[t.field]:0{t.width}d}")
    number = "".join(out)
    if len(number) > MAX_NUMBER_LENGTH:
        raise FormatError(f"{number} has {len(number)} characters; an e-invoice number has at most "
                          f"{MAX_NUMBER_LENGTH}. Shorten the format.")
    return number


def check_next_number(next_number: int | None, last_number: int) -> str | None:
    """Why a "next number" is refused (S004.3), or None."""
    if next_number is None:
        return None
    if next_number < 1:
        return "The next number must be 1 or more"
    if next_number <= last_number:
        return f"The next number must be greater than the last number issued ({last_number})"  # S004.3
    return None


def next_counter(last_number: int, next_number: int | None) -> int:
    """The counter the next document of a series gets: the set next number, else last + 1 (S004.3, S004.9)."""
    if next_number is not None and next_number > last_number:
        return next_number
    return last_number + 1
