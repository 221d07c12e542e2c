"""Billing profiles: which fields apply to which customer type, and how each is validated (S000.4, S000.5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from billing_tui.domain import identifiers as ids


class CustomerType(StrEnum):
    """Who the invoice is made out to."""

    COMPANY = "company"
    PERSON = "person"
    PA = "pa"

    @property
    def label(self) -> str:
        return {"company": "Company", "person": "Private person", "pa": "Public Administration"}[self]


LANGUAGES = ("it", "en", "ro")


@dataclass(frozen=True)
class FieldSpec:
    """A billing-profile field: its key, label and whether it is text or a flag."""

    key: str
    label: str
    kind: str = "text"  # text | flag | choice


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("customer_type", "Customer type", "choice"),
    FieldSpec("name", "Name"),
    FieldSpec("vat_number", "VAT number"),
    FieldSpec("fiscal_code", "Fiscal code"),
    FieldSpec("pa_office_code", "PA office code"),
    FieldSpec("split_payment", "Split payment", "flag"),
    FieldSpec("sdi_code", "SdI recipient code"),
    FieldSpec("pec", "PEC address"),
    FieldSpec("email", "Invoice email"),
    FieldSpec("address", "Address"),
    FieldSpec("city", "City"),
    FieldSpec("postcode", "Postcode"),
    FieldSpec("province", "Province / county"),
    FieldSpec("country", "Country"),
    FieldSpec("language", "Document language", "choice"),
)
FIELD_KEYS = tuple(f.key for f in FIELDS)
FIELD_LABELS = {f.key: f.label for f in FIELDS}


def visible_fields(customer_type: str, country: str) -> tuple[str, ...]:
    """The fields that apply to a customer of this type in this country, in form order.

    The PA office code and split payment are for Public Administration only (S000.5);
    the SdI recipient code and PEC are for Italian companies and private persons.
    """
    kind = CustomerType(customer_type)
    italian = country.strip().upper() == "IT"
    keys = ["customer_type", "name"]
    if kind in (CustomerType.COMPANY, CustomerType.PA):
        keys.append("vat_number")
    keys.append("fiscal_code")
    if kind is CustomerType.PA:
        keys += ["pa_office_code", "split_payment"]
    elif italian:
        keys += ["sdi_code", "pec"]
    keys += ["email", "address", "city", "postcode", "province", "country", "language"]
    return tuple(keys)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def validate_field(key: str, value: object, profile: Mapping[str, object]) -> tuple[object, str | None]:
    """Validate one field in the context of the rest of the profile; ``(normalised, reason)``."""
    text = "" if value is None else str(value).strip()
    if key == "customer_type":
        try:
            return CustomerType(text.lower()).value, None
        except ValueError:
            return value, "Customer type: choose company, person or pa"
    try:
        kind = CustomerType(str(profile.get("customer_type") or "company").strip().lower())
    except ValueError:
        kind = CustomerType.COMPANY  # the type's own error is reported on the customer_type field
    country = str(profile.get("country") or "").strip().upper()

    if key == "name":
        if not text:
            return value, "Name: required (company name, or first and last name)"
        if len(text) > 200:
            return value, "Name: at most 200 characters"
        return text, None
    if key == "country":
        if len(text) != 2 or not text.isalpha():
            return value, "Country: the 2-letter ISO code, e.g. IT, RO, DE"
        if kind is CustomerType.PA and text.upper() != "IT":
            return value, "Country: a Public Administration customer is Italian (IT)"
        return text.upper(), None
    if key == "email":
        if not text:
            return value, "Invoice email: required, invoices are sent there"
        return ids.check_email(text, "Invoice email")
    if key == "pec":
        return (None, None) if not text else ids.check_email(text, "PEC address")
    if key == "vat_number":
        if not text:
            if kind is CustomerType.COMPANY:
                return value, "VAT number: required for a company"
            return None, None
        return ids.check_vat_for_country(text, country or "IT")
    if key == "fiscal_code":
        if not text:
            if country == "IT" and kind is not CustomerType.COMPANY:
                who = "a private person" if kind is CustomerType.PERSON else "a public administration"
                return value, f"Fiscal code: required for {who} in Italy"
            return None, None
        if country == "IT":
            return ids.check_it_fiscal_code(text, allow_numeric=kind is not CustomerType.PERSON)
        if country == "RO":
            return ids.check_ro_cnp(text) if kind is CustomerType.PERSON else ids.check_ro_cif(text)
        return text, None
    if key == "pa_office_code":
        if not text:
            return value, "PA office code: required for a Public Administration (6 characters)"
        return ids.check_pa_office_code(text)
    if key == "sdi_code":
        return (None, None) if not text else ids.check_sdi_code(text)
    if key == "split_payment":
        if isinstance(value, bool):
            return value, None
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "y", "on", "si", "sì"):
            return True, None
        if lowered in ("", "0", "false", "no", "n", "off"):
            return False, None
        return value, "Split payment: yes or no"
    if key == "language":
        if text.lower() not in LANGUAGES:
            return value, "Document language: it, en or ro"
        return text.lower(), None
    if key in ("address", "city"):
        if not text:
            return value, f"{FIELD_LABELS[key]}: required on an invoice"
        return text, None
    if key in ("postcode", "province"):
        return (text or None), None
    return value, f"{key}: unknown field"


def validate_profile(data: Mapping[str, object]) -> tuple[dict[str, object], dict[str, str]]:
    """Validate a whole profile: ``(normalised values, {field: reason})``.

    Fields that do not apply to the customer type are cleared, so a profile never
    keeps a PA office code for a company or split payment for a private person.
    Italian companies need an SdI recipient code or a PEC address to receive e-invoices.
    """
    errors: dict[str, str] = {}
    clean: dict[str, object] = {}
    ctype, reason = validate_field("customer_type", data.get("customer_type"), data)
    if reason:
        return {}, {"customer_type": reason}
    country, reason = validate_field("country", data.get("country"), data)
    if reason:
        errors["country"] = reason
    context = dict(data, customer_type=ctype, country=country if not reason else data.get("country"))
    visible = visible_fields(str(ctype), str(context.get("country") or ""))
    for key in FIELD_KEYS:
        if key not in visible:
            clean[key] = False if key == "split_payment" else None
            continue
        if key == "country":
            clean[key] = country
            continue
        value, reason = validate_field(key, data.get(key), context)
        clean[key] = value
        if reason:
            errors[key] = reason
    if (
        ctype == CustomerType.COMPANY
        and clean.get("country") == "IT"
        and not clean.get("sdi_code")
        and not clean.get("pec")
        and "sdi_code" not in errors
        and "pec" not in errors
    ):
        errors["sdi_code"] = "SdI recipient code: enter the 7-character code or a PEC address"
    return clean, errors
