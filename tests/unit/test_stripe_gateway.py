"""The Stripe gateway against a real fake Stripe (localstripe on loopback): customers, cards, charges, reconciling."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import FrozenInstanceError
from datetime import date
from pathlib import Path

import pytest

from billing_tui.config import Settings
from billing_tui.domain.errors import BillingError
from billing_tui.integrations.stripe_gateway import (
    BILLING_KEY,
    CardInfo,
    ChargeResult,
    StripeError,
    StripeGateway,
    is_test_key,
    stripe_gateway,
)
from tests.smtp_server import free_port
from tests.stripe_server import DECLINES_ON_ATTACH, DECLINES_ON_CHARGE, VISA, StripeTestServer

ROOT = Path(__file__).resolve().parents[2]


def test_a_customer_gets_a_card_that_becomes_the_default(stripe_server: StripeTestServer) -> None:
    gateway = stripe_server.gateway()
    customer = gateway.create_customer("mario.rossi@example.it", "Mario Rossi", {"billing_customer_id": 42})
    assert customer.startswith("cus_")
    assert gateway.list_cards(customer) == ()
    assert gateway.default_card(customer) is None

    card = gateway.attach_card(customer, gateway.create_test_card(VISA, 12, 2034))

    assert (card.brand, card.last4, card.exp_month, card.exp_year, card.is_default) == ("visa", "4242", 12, 2034, False)
    assert gateway.list_cards(customer) == (card,)
    gateway.set_default_card(customer, card.id)
    assert gateway.default_card(customer) == card.id
    assert gateway.list_cards(customer)[0].is_default


def test_cards_set_default_and_delete(stripe_server: StripeTestServer) -> None:
    gateway = stripe_server.gateway()
    customer, first = stripe_server.customer_with_card(VISA)
    second = gateway.attach_test_card(customer, "pm_card_visa")  # Stripe's own test PaymentMethod works too

    assert {c.id: c.is_default for c in gateway.list_cards(customer)} == {first.id: True, second.id: False}
    gateway.set_default_card(customer, second.id)
    assert {c.id: c.is_default for c in gateway.list_cards(customer)} == {first.id: False, second.id: True}

    gateway.detach_card(first.id, customer)
    assert [c.id for c in gateway.list_cards(customer)] == [second.id]
    assert gateway.default_card(customer) == second.id

    gateway.detach_card(second.id)  # the default one: the customer is left without a default
    assert gateway.list_cards(customer) == ()
    assert gateway.default_card(customer) is None


def test_a_card_of_another_customer_is_neither_made_default_nor_deleted(stripe_server: StripeTestServer) -> None:
    gateway = stripe_server.gateway()
    mario, marios_card = stripe_server.customer_with_card(VISA, email="mario@example.it")
    ioana = gateway.create_customer("ioana@example.ro", "Ioana Popescu")

    with pytest.raises(StripeError, match="not saved for the Stripe customer"):
        gateway.set_default_card(ioana, marios_card.id)
    with pytest.raises(StripeError, match="not saved for the Stripe customer"):
        gateway.detach_card(marios_card.id, ioana)
    assert gateway.list_cards(mario) == (marios_card,)


def test_a_card_declined_on_attach_is_not_saved(stripe_server: StripeTestServer) -> None:
    gateway = stripe_server.gateway()
    customer = gateway.create_customer("a@example.it", "A")

    with pytest.raises(StripeError, match="card was refused while trying to save the card") as caught:
        gateway.attach_card(customer, gateway.create_test_card(DECLINES_ON_ATTACH, 12, 2034))

    assert caught.value.code == "card_declined"
    assert gateway.list_cards(customer) == ()


def test_an_off_session_charge_succeeds(stripe_server: StripeTestServer) -> None:
    gateway = stripe_server.gateway()
    customer, card = stripe_server.customer_with_card(VISA)

    result = gateway.charge_off_session(customer, card.id, 2440, "EUR", "renewal-7-2026-12",
                                        {"subscription_id": 7, "period": "2026-12"})

    assert result.status == "succeeded" and result.succeeded
    assert (result.amount_cents, result.currency, result.decline_code, result.message) == (2440, "eur", None, None)
    assert result.payment_intent_id is not None and result.payment_intent_id.startswith("pi_")
    assert gateway.payment_method_of_intent(result.payment_intent_id) == card.id
    assert gateway.count_payment_intents(customer) == 1


def test_a_card_that_declines_on_charge_gives_a_declined_result(stripe_server: StripeTestServer) -> None:
    gateway = stripe_server.gateway()
    customer, card = stripe_server.customer_with_card(DECLINES_ON_CHARGE)  # it attaches fine
    assert card.last4 == "0341" and card.is_default

    result = gateway.charge_off_session(customer, card.id, 990, "eur", "renewal-8-2026-12", {})

    assert result.status == "declined" and not result.succeeded
    assert result.decline_code == "card_declined"
    assert result.message and "declined" in result.message
    assert result.payment_intent_id is not None and result.payment_intent_id.startswith("pi_")
    # The declined attempt is on Stripe too, and reconciling finds it as declined.
    assert gateway.count_payment_intents(customer) == 1
    found = gateway.find_charge(customer, "renewal-8-2026-12")
    assert found is not None
    assert (found.status, found.payment_intent_id, found.decline_code) == (
        "declined", result.payment_intent_id, "card_declined")


def test_find_charge_reconciles_a_charge_made_before_a_crash(stripe_server: StripeTestServer) -> None:
    gateway = stripe_server.gateway()
    customer, card = stripe_server.customer_with_card(VISA)
    other_customer, other_card = stripe_server.customer_with_card(VISA, email="altro@example.it")
    gateway.charge_off_session(other_customer, other_card.id, 500, "eur", "renewal-1-2026-12", {})
    made = gateway.charge_off_session(customer, card.id, 2440, "eur", "renewal-1-2026-12", {"subscription_id": 1})
    gateway.charge_off_session(customer, card.id, 2440, "eur", "renewal-1-2027-01", {"subscription_id": 1})

    # A new process, knowing only the key it stored before calling Stripe:
    after_restart = stripe_server.gateway()
    found = after_restart.find_charge(customer, "renewal-1-2026-12")

    assert found == made
    assert after_restart.find_charge(customer, "renewal-1-2027-02") is None
    assert after_restart.count_payment_intents(customer) == 2
    assert after_restart.count_payment_intents(other_customer) == 1


def test_the_key_is_kept_in_the_payment_intent_metadata(stripe_server: StripeTestServer) -> None:
    import stripe

    gateway = stripe_server.gateway()
    customer, card = stripe_server.customer_with_card(VISA)
    made = gateway.charge_off_session(customer, card.id, 100, "eur", "renewal-2-2026-12", {"subscription_id": 2})

    client = stripe.StripeClient(stripe_server.api_key, base_addresses={"api": stripe_server.url})
    intent = client.v1.payment_intents.retrieve(str(made.payment_intent_id))
    assert (intent.metadata[BILLING_KEY], intent.metadata["subscription_id"]) == ("renewal-2-2026-12", "2")
    assert intent.customer == customer


def test_results_are_plain_frozen_dataclasses(stripe_server: StripeTestServer) -> None:
    customer, card = stripe_server.customer_with_card(VISA)
    result = stripe_server.gateway().charge_off_session(customer, card.id, 100, "eur", "k-frozen", {})

    assert type(card) is CardInfo and type(result) is ChargeResult
    with pytest.raises(FrozenInstanceError):
        card.last4 = "0000"  # type: ignore[misc]
    assert "4242424242424242" not in repr(card)


def test_a_refused_key_and_an_unreachable_server_say_what_to_check(stripe_server: StripeTestServer) -> None:
    with pytest.raises(StripeError, match="Stripe refused the API key") as refused:
        StripeGateway("rk_test_wrong", api_base=stripe_server.url).create_customer("a@example.it", "A")
    assert isinstance(refused.value, BillingError) and not refused.value.retryable

    port = free_port()
    down = StripeGateway(stripe_server.api_key, api_base=f"http://127.0.0.1:{port}")
    with pytest.raises(StripeError, match=f"Stripe could not be reached at http://127.0.0.1:{port}") as unreachable:
        down.charge_off_session("cus_x", "pm_x", 100, "eur", "k-down", {})
    assert unreachable.value.retryable
    assert "BILLING_STRIPE_API_BASE" in unreachable.value.message


def test_an_unknown_customer_is_reported_as_missing(stripe_server: StripeTestServer) -> None:
    with pytest.raises(StripeError, match="does not exist on this Stripe account"):
        stripe_server.gateway().list_cards("cus_doesnotexist")


def test_keys_test_cards_and_settings() -> None:
    assert is_test_key("sk_test_abc") and is_test_key("rk_test_abc")
    assert not is_test_key("sk_live_abc")
    with pytest.raises(StripeError, match="publishable key"):
        StripeGateway("pk_test_abc")
    live = StripeGateway("sk_live_abc", api_base="http://127.0.0.1:9")
    assert "sk_live_abc" not in repr(live)
    with pytest.raises(StripeError, match="live Stripe key"):
        live.create_test_card(VISA, 12, 2034)
    with pytest.raises(StripeError, match="live Stripe key"):
        live.attach_test_card("cus_x")

    assert stripe_gateway(Settings()) is None
    configured = stripe_gateway(Settings(stripe_api_key="sk_test_abc", stripe_api_base="http://127.0.0.1:9/"))
    assert configured is not None and configured.is_test and configured.where == "http://127.0.0.1:9"


def test_settings_read_stripe_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BILLING_STRIPE_API_KEY", "sk_test_from_env")
    monkeypatch.setenv("BILLING_STRIPE_API_BASE", "http://127.0.0.1:12111")
    settings = Settings()
    assert settings.stripe_api_key is not None
    assert settings.stripe_api_key.get_secret_value() == "sk_test_from_env"
    assert "sk_test_from_env" not in repr(settings)
    assert settings.stripe_api_base == "http://127.0.0.1:12111"


def test_cards_flag_expiry() -> None:
    card = CardInfo("pm_1", "visa", "4242", 11, 2026, True)
    assert not card.is_expired(date(2026, 11, 30)) and card.is_expired(date(2026, 12, 1))
    assert card.expires_within(date(2026, 10, 1), 1) and not card.expires_within(date(2026, 9, 1), 1)


def test_importing_the_gateway_does_not_import_stripe() -> None:
    probe = ("import sys, billing_tui.integrations.stripe_gateway as g; g.StripeGateway('sk_test_x'); "
             "print('stripe' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT,
                            timeout=60)
    assert result.stdout.strip() == "False"
