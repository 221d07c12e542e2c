"""The shared settings: named values every process on a database reads (invoicing delay, payment terms, mail...)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select

from billing_tui.domain.errors import ValidationFailed
from billing_tui.services import audit
from billing_tui.services.context import ServiceContext
from billing_tui.storage.system_models import AppSetting


@dataclass(frozen=True)
class SettingSpec:
    """A known setting: its key, label, default and how to check a value."""

    key: str
    label: str
    default: str
    kind: str = "int"  # int | text | choice | secret
    minimum: int = 0
    maximum: int = 10_000
    choices: tuple[str, ...] = ()
    help: str = ""


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("invoice_delay_hours", "Invoice paid carts after (hours)", "0", maximum=72,
                help="0 = at the next run; at most 72"),  # S000.2
    SettingSpec("payment_terms_days", "Payment terms (days)", "30", maximum=365,
                help="Due date of unpaid documents = issue date + this"),
    SettingSpec("mail_max_attempts", "Mail attempts before giving up", "8", minimum=1, maximum=50),
    SettingSpec("smtp_host", "SMTP host", "", kind="text", help="Empty: mails are written as .eml files"),
    SettingSpec("smtp_port", "SMTP port", "587", minimum=1, maximum=65535),
    SettingSpec("smtp_tls", "SMTP security", "starttls", kind="choice", choices=("none", "starttls", "ssl")),
    SettingSpec("smtp_user", "SMTP user", "", kind="text"),
    SettingSpec("smtp_password", "SMTP password", "", kind="secret"),
    SettingSpec("mail_from", "Sender address", "", kind="text"),
    SettingSpec("credit_overdraft", "Prepaid credit below zero", "refuse", kind="choice", choices=("refuse", "allow"),
                help="refuse: a consumption above the credit left is not recorded; allow: recorded, flagged overdraft"),
    SettingSpec("renewal_retry_days", "Renewal retries (days after the first failure)", "1,3,7", kind="days",
                help="A declined renewal is charged again after these days, then suspended"),
)
SPEC_BY_KEY = {s.key: s for s in SPECS}


def check_setting(key: str, value: str) -> tuple[str, str | None]:
    """``(normalised, reason)`` for a setting's value."""
    spec = SPEC_BY_KEY.get(key)
    if spec is None:
        return value, f"Unknown setting {key!r}"
    text = (value or "").strip()
    if spec.kind == "int":
        if not text.isdigit() or not spec.minimum <= int(text) <= spec.maximum:
            return value, f"{spec.label}: a whole number from {spec.minimum} to {spec.maximum}"
        return str(int(text)), None
    if spec.kind == "days":
        parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
        if (not parts or not all(p.isdigit() for p in parts) or len(parts) > 10
                or [int(p) for p in parts] != sorted(set(int(p) for p in parts)) or int(parts[0]) < 1
                or int(parts[-1]) > 90):
            return value, f"{spec.label}: increasing whole days from 1 to 90, e.g. 1,3,7"
        return ",".join(str(int(p)) for p in parts), None
    if spec.kind == "choice" and text not in spec.choices:
        return value, f"{spec.label}: one of {', '.join(spec.choices)}"
    return (value if spec.kind == "secret" else text), None


def get_settings(ctx: ServiceContext) -> dict[str, str]:
    """Every known setting's value (the default where none was saved)."""
    with ctx.db.read() as session:
        saved = {row.key: row.value for row in session.scalars(select(AppSetting))}
    return {s.key: saved.get(s.key, s.default) for s in SPECS}


def get_int(ctx: ServiceContext, key: str) -> int:
    """An integer setting."""
    return int(get_settings(ctx)[key])


def update_settings(ctx: ServiceContext, changes: Mapping[str, str]) -> dict[str, str]:
    """Save settings; all or nothing, refused with every reason. Secrets are audited as changed, never shown."""
    clean: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, value in changes.items():
        normalised, reason = check_setting(key, str(value))
        if reason:
            errors[key] = reason
        clean[key] = normalised
    if errors:
        raise ValidationFailed(errors)
    current = get_settings(ctx)
    with ctx.db.write() as session:
        diff: dict[str, tuple[object, object]] = {}
        for key, value in clean.items():
            if current[key] == value:
                continue
            row = session.get(AppSetting, key) or AppSetting(key=key, value=value)
            row.value = value
            row.updated_at = ctx.clock.now()
            row.updated_by = ctx.actor
            session.add(row)
            secret = SPEC_BY_KEY[key].kind == "secret"
            diff[key] = ("***", "***") if secret else (current[key], value)
        if diff:
            audit.record(session, ctx, entity="settings", entity_id=2, action="update", changes=diff)
    return get_settings(ctx)
