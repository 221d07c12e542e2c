"""The seller's settings: company data printed on every document (first page of Settings)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from billing_tui.domain import identifiers as ids
from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.profile import LANGUAGES
from billing_tui.services import audit
from billing_tui.services.context import ServiceContext
from billing_tui.storage.models import SellerSettings

SELLER_FIELDS: tuple[tuple[str, str], ...] = (
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
SELLER_KEYS = tuple(k for k, _ in SELLER_FIELDS)


@dataclass(frozen=True)
class SellerView:
    """The seller's company data."""

    values: dict[str, str]


def check_seller_field(key: str, value: str, values: Mapping[str, str]) -> tuple[str, str | None]:
    """``(normalised, reason)`` for one seller field."""
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


def get_seller(ctx: ServiceContext) -> SellerView:
    """The seller's settings (empty fields until someone fills them in)."""
    with ctx.db.read() as session:
        row = session.get(SellerSettings, 1) or SellerSettings(id=1)
    return SellerView(values={k: getattr(row, k) or "" for k in SELLER_KEYS})


def update_seller(ctx: ServiceContext, changes: Mapping[str, str]) -> SellerView:
    """Save the seller's settings; refused with every reason if any field is invalid."""
    unknown = sorted(set(changes) - set(SELLER_KEYS))
    if unknown:
        raise ValidationFailed({k: "unknown field" for k in unknown})
    with ctx.db.write() as session:
        row = session.get(SellerSettings, 1)
        if row is None:
            row = SellerSettings(id=1)
        before = {k: getattr(row, k) or "" for k in SELLER_KEYS}
        merged = {**before, **{k: str(v) for k, v in changes.items()}}
        clean: dict[str, str] = {}
        errors: dict[str, str] = {}
        for key in SELLER_KEYS:
            value, reason = check_seller_field(key, merged[key], merged)
            clean[key] = value
            if reason:
                errors[key] = reason
        if errors:
            raise ValidationFailed(errors)
        diff = {k: (before[k], clean[k]) for k in SELLER_KEYS if before[k] != clean[k]}
        if diff:
            for key, (_old, new) in diff.items():
                setattr(row, key, new)
            row.updated_at = ctx.clock.now()
            session.add(row)
            audit.record(session, ctx, entity="settings", entity_id=1, action="update", changes=diff)
    return SellerView(values=clean)
