"""The process configuration: every ``BILLING_*`` variable, read once into the service context that carries it."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from billing_tui.config import Settings, SettingsInvalid, load_settings
from billing_tui.integrations.mailer import EmlFolderMailer, SmtpMailer
from billing_tui.paths import data_dir
from billing_tui.services import mail, stripe_link
from billing_tui.services.context import open_context

ENVIRONMENT = {
    "BILLING_SQLITE_BUSY_TIMEOUT_MS": "1234",
    "BILLING_STRIPE_API_KEY": "sk_test_from_env",
    "BILLING_STRIPE_API_BASE": "http://127.0.0.1:12111",
    "BILLING_SMTP_HOST": "smtp.env.example",
    "BILLING_SMTP_PORT": "465",
    "BILLING_SMTP_USER": "env-user",
    "BILLING_SMTP_PASSWORD": "env-password",
    "BILLING_SMTP_TLS": "ssl",
    "BILLING_MAIL_FROM": "fatture@venditore.example",
    "BILLING_FIC_API_BASE": "http://127.0.0.1:12112",
    "BILLING_FIC_TOKEN": "fic-token",
    "BILLING_SMARTBILL_API_BASE": "http://127.0.0.1:12113",
    "BILLING_SMARTBILL_USER": "contabil@firma.example",
    "BILLING_SMARTBILL_TOKEN": "smartbill-token",
    "BILLING_BNR_RATES_URL": "http://127.0.0.1:12114/nbrfxrates.xml",
    "BILLING_PEC_HOST": "smtps.pec.example",
    "BILLING_PEC_PORT": "465",
    "BILLING_PEC_USER": "venditore@pec.example",
    "BILLING_PEC_PASSWORD": "pec-password",
    "BILLING_PEC_FROM": "venditore@pec.example",
}
SECRETS = ("sk_test_from_env", "env-password", "fic-token", "smartbill-token", "pec-password")


def test_every_variable_is_read_by_its_name_and_secrets_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)

    settings = load_settings()

    for name, value in ENVIRONMENT.items():
        read = getattr(settings, name.removeprefix("BILLING_").lower())
        assert str(read.get_secret_value() if isinstance(read, SecretStr) else read) == value, name
    assert not any(secret in repr(settings) for secret in SECRETS)


def test_a_value_that_cannot_be_used_is_refused_naming_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_SMTP_TLS", "tls13")
    monkeypatch.setenv("BILLING_SQLITE_BUSY_TIMEOUT_MS", "soon")

    with pytest.raises(SettingsInvalid) as refused:
        load_settings()

    assert refused.value.message.startswith("Settings in the environment are not valid: ")
    assert "BILLING_SMTP_TLS" in refused.value.message and "BILLING_SQLITE_BUSY_TIMEOUT_MS" in refused.value.message


def test_the_context_reads_the_environment_once_and_builds_its_dependencies_from_it(  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'from-env.sqlite3'}"
    monkeypatch.setenv("BILLING_DATABASE_URL", url)
    monkeypatch.setenv("BILLING_STRIPE_API_KEY", "sk_test_from_env")
    monkeypatch.setenv("BILLING_STRIPE_API_BASE", "http://127.0.0.1:12111")
    ctx = open_context(actor="tester")
    try:
        monkeypatch.setenv("BILLING_STRIPE_API_KEY", "sk_live_set_later")  # read once: not seen by this context
        monkeypatch.setenv("BILLING_SMTP_HOST", "smtp.later.example")

        assert ctx.db.url == url and ctx.data_dir == data_dir()
        gateway = stripe_link.gateway_for(ctx)
        assert gateway is not None and gateway.is_test and gateway.where == "http://127.0.0.1:12111"
        mailer = mail.mailer_for(ctx)
        assert isinstance(mailer, EmlFolderMailer) and mailer.folder == data_dir() / "outbox-eml"
    finally:
        ctx.db.dispose()
    given = open_context(url, settings=Settings(smtp_host="smtp.given.example"), upgrade=False)
    try:
        assert isinstance(mail.mailer_for(given), SmtpMailer) and mail.mail_config(given).host == "smtp.given.example"
    finally:
        given.db.dispose()
