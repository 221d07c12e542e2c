"""The company data: the seller printed on every document, one database row edited in Settings → Company."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from billing_tui.domain import identifiers as ids
from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.profile import LANGUAGES
from billing_tui.services import audit
from billing_tui.services.context import ServiceContext
from billing_tui.storage.system_models import SellerSettings

COMPANY_FIELDS: tuple[tuple[str, str], ...] = (
    ("company_name", "Company name"),
    ("vat_number", "VAT number"),
    ("fiscal_code", "Fiscal code"),
    ("address", "Address"),
    ("city", "City"),
    ("postcode", "Postcode"),
    ("province", "Province / county"),
    ("country", "Country"),
    ("iban", "IBAN"),
    ("email", "Sender email"),
    ("default_language", "Default document language"),
)
COMPANY_KEYS = tuple(k for k, _ in COMPANY_FIELDS)


@dataclass(frozen=True)
class CompanyView:
    """The seller's company data, field by field (empty strings until someone fills them in)."""

    values: dict[str, str]


def check_company_field(key: str, value: str, values: Mapping[str, str]) -> tuple[str, str | None]:
    """``(normalised, reason)`` for one company field."""
    text = (value or "").strip()
    country = (values.get("country") or "IT").strip().upper()
    if key == "company_name":
        return (text, None) if text else (value, "Company name: required on every invoice")
    if key == "vat_number":
        if not text:
            return value, "VAT number: required on every invoice"
        return ids.check_vat_for_country(text, country)
    if key == "fiscal_code":
        if not text:
            return "", None
        if country == "IT":
            return ids.check_it_fiscal_code(text)
        if country == "RO":
            return ids.check_ro_cif(text)
        return text, None
    if key == "country":
        if len(text) != 2 or not text.isalpha():
            return value, "Country: the 2-letter ISO code, e.g. IT or RO"
        return text.upper(), None
    if key == "iban":
        return ("", None) if not text else ids.check_iban(text)
    if key == "email":
        return ("", None) if not text else ids.check_email(text, "Sender email")
    if key == "default_language":
        return (text.lower(), None) if text.lower() in LANGUAGES else (value, "Document language: it, en or ro")
    return text, None


def get_company(ctx: ServiceContext) -> CompanyView:
    """The company data (empty fields until someone fills them in)."""
    with ctx.db.read() as session:
        row = session.get(SellerSettings, 1) or SellerSettings(id=1)
    return CompanyView(values={k: getattr(row, k) or "" for k in COMPANY_KEYS})


def update_company(ctx: ServiceContext, changes: Mapping[str, str]) -> CompanyView:
    """Save the company data; refused with every reason if any field is invalid."""
    unknown = sorted(set(changes) - set(COMPANY_KEYS))
    if unknown:
        raise ValidationFailed({k: "unknown field" for k in unknown})
    with ctx.db.write() as session:
        row = session.get(SellerSettings, 1)
        if row is None:
            row = SellerSettings(id=1)
        before = {k: getattr(row, k) or "" for k in COMPANY_KEYS}
        merged = {**before, **{k: str(v) for k, v in changes.items()}}
        clean: dict[str, str] = {}
        errors: dict[str, str] = {}
        for key in COMPANY_KEYS:
            value, reason = check_company_field(key, merged[key], merged)
            clean[key] = value
            if reason:
                errors[key] = reason
        if errors:
            raise ValidationFailed(errors)
        diff = {k: (before[k], clean[k]) for k in COMPANY_KEYS if before[k] != clean[k]}
        if diff:
            for key, (_old, new) in diff.items():
                setattr(row, key, new)
            row.updated_at = ctx.clock.now()
            session.add(row)
            audit.record(session, ctx, entity="settings", entity_id=1, action="update", changes=diff)
    return CompanyView(values=clean)
