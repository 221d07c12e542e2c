"""Validation of tax identifiers and addresses with python-stdnum and email-validator.

Each ``check_*`` returns ``(normalised_value, None)`` when the value is valid and
``(value, reason)`` when it is not; the reason says what is wrong and what to do.
"""

from __future__ import annotations

import re

from stdnum.exceptions import (
    InvalidChecksum,
    InvalidComponent,
    InvalidFormat,
    InvalidLength,
    ValidationError,
)

Result = tuple[str, str | None]

_EU_COUNTRIES = {
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU",
    "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
}


def is_eu_country(country: str) -> bool:
    """True for an EU member state's ISO 3166 alpha-2 code."""
    return country.upper() in _EU_COUNTRIES


def _reason(exc: ValidationError, what: str) -> str:
    if isinstance(exc, InvalidChecksum):
        return f"{what}: the check digit is wrong; retype the number from the document"
    if isinstance(exc, InvalidLength):
        return f"{what}: wrong number of characters"
    if isinstance(exc, InvalidFormat):
        return f"{what}: contains characters that do not belong in it"
    if isinstance(exc, InvalidComponent):
        return f"{what}: one part of the number is not valid"
    return f"{what}: not valid"


def check_it_vat(value: str) -> Result:
    """An Italian VAT number (Partita IVA), 11 digits, optionally prefixed ``IT``."""
    from stdnum.it import iva

    raw = value.strip().upper()
    raw = raw[2:] if raw.startswith("IT") else raw
    try:
        return iva.validate(raw), None
    except ValidationError as exc:
        return value, _reason(exc, "Italian VAT number (11 digits)")


def check_it_fiscal_code(value: str, *, allow_numeric: bool = True) -> Result:
    """An Italian fiscal code: 16 characters for a person, or 11 digits for a company or body."""
    from stdnum.it import codicefiscale, iva

    raw = value.strip().upper().replace(" ", "")
    if raw.isdigit():
        if not allow_numeric:
            return value, "Fiscal code: a private person's code has 16 letters and digits"
        try:
            return iva.validate(raw), None
        except ValidationError as exc:
            return value, _reason(exc, "Fiscal code (11 digits)")
    try:
        return codicefiscale.validate(raw), None
    except ValidationError as exc:
        return value, _reason(exc, "Fiscal code (16 characters)")


def check_ro_cif(value: str) -> Result:
    """A Romanian CIF/CUI (fiscal identification code), optionally prefixed ``RO``."""
    from stdnum.ro import cf

    try:
        return cf.validate(value), None
    except ValidationError as exc:
        return value, _reason(exc, "Romanian CIF")


def check_ro_cnp(value: str) -> Result:
    """A Romanian personal numeric code (CNP), 13 digits."""
    from stdnum.ro import cnp

    try:
        return cnp.validate(value), None
    except ValidationError as exc:
        return value, _reason(exc, "Romanian CNP (13 digits)")


def check_eu_vat(value: str, country: str | None = None) -> Result:
    """An EU VAT number with its country prefix (e.g. ``DE136695976``)."""
    from stdnum.eu import vat

    raw = value.strip().upper().replace(" ", "")
    if country and not raw[:2].isalpha():
        raw = ("EL" if country.upper() == "GR" else country.upper()) + raw
    try:
        return vat.validate(raw), None
    except ValidationError as exc:
        return value, _reason(exc, "EU VAT number (with its country prefix)")


def check_vat_for_country(value: str, country: str) -> Result:
    """The VAT number rule that applies to a customer in ``country``."""
    country = country.upper()
    if country == "IT":
        return check_it_vat(value)
    if country == "RO":
        return check_ro_cif(value)
    if is_eu_country(country):
        return check_eu_vat(value, country)
    raw = value.strip()
    if not re.fullmatch(r"[A-Za-z0-9 .\-/]{2,30}", raw):
        return value, "VAT number: use 2 to 30 letters, digits, spaces, dots or dashes"
    return raw, None


def check_email(value: str, what: str = "Email") -> Result:
    """An email address (syntax only; nothing is looked up on the network)."""
    from email_validator import EmailNotValidError, validate_email

    try:
        info = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        return value, f"{what}: {exc}"
    return info.normalized, None


def check_pa_office_code(value: str) -> Result:
    """The PA "Codice Univoco Ufficio": exactly 6 letters or digits."""
    raw = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{6}", raw):
        return value, "PA office code: exactly 6 letters or digits (from the IPA index)"
    return raw, None


def check_sdi_code(value: str) -> Result:
    """The SdI recipient code of a company or person: exactly 7 letters or digits."""
    raw = value.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{7}", raw):
        return value, "SdI recipient code: exactly 7 letters or digits (0000000 if none)"
    return raw, None


def check_iban(value: str) -> Result:
    """An IBAN with a valid check digit."""
    from stdnum import iban

    try:
        return iban.validate(value), None
    except ValidationError as exc:
        return value, _reason(exc, "IBAN")
