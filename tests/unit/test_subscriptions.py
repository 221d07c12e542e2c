"""Subscriptions that renew (S000.6), against localstripe on every backend: charged once, invoiced once."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from billing_tui.config import Settings
from billing_tui.demo import SELLER
from billing_tui.domain.clock import FixedClock
from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.integrations.stripe_gateway import BILLING_KEY
from billing_tui.services import (
    audit,
    company,
    customers,
    invoices,
    orders,
    renewals,
    subscriptions,
)
from billing_tui.services.context import (
    ServiceContext,
    open_context,
    stripe_from_settings,
)
from billing_tui.services.subscriptions import SubscriptionRefused
from billing_tui.storage.account_models import (
    ChargeAttempt,
    RenewalPeriod,
    StripeCustomer,
)
from billing_tui.storage.document_models import Invoice, InvoiceLine, OutboxMessage
from billing_tui.storage.shop_models import Product
from tests.stripe_server import DECLINES_ON_CHARGE, VISA, StripeTestServer

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 11, 23)  # the fixed clock's day (tests/conftest.py)
CUSTOMER = {
    "customer_type": "company", "name": "Rossi Arredamenti S.r.l.", "vat_number": "00743110157",
    "sdi_code": "ABC1234", "email": "fatture@rossi.example", "address": "Via Roma 1", "city": "Torino",
    "country": "IT", "language": "it",
}
LANDING = "Landing Page – abbonamento mensile"


def _shop(ctx: ServiceContext) -> int:
    """The seller, the subscription products and one customer; the customer's id."""
    company.update_company(ctx, SELLER)
    with ctx.db.write() as session:
        session.add(Product(sku="LP-MONTH", name=LANDING, unit_price=Decimal("19.90"), vat_rate=Decimal("22"),
                            is_service=True))
        session.add(Product(sku="LP-YEAR", name="Landing Page – abbonamento annuale", unit_price=Decimal("199.00"),
                            vat_rate=Decimal("22"), is_service=True))
    return customers.create_customer(ctx, CUSTOMER).id


def _link(ctx: ServiceContext, customer_id: int, stripe_id: str) -> None:
    with ctx.db.write() as session:
        session.add(StripeCustomer(customer_id=customer_id, stripe_id=stripe_id, created_at=ctx.clock.now()))


def _count(ctx: ServiceContext, model: type, *where: object) -> int:
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0  # type: ignore[arg-type]


def _on(ctx: ServiceContext, day: date, hour: int = 9) -> ServiceContext:
    """The same database as of ``day`` at ``hour`` UTC."""
    return dataclasses.replace(ctx, clock=FixedClock(datetime(day.year, day.month, day.day, hour, tzinfo=UTC)))


@pytest.fixture
def ctx(ctx: ServiceContext, backend: str, stripe_server: StripeTestServer) -> ServiceContext:
    """The shared test context, its renewals charging on localstripe (``backend``: so pytest parametrizes this one)."""
    return dataclasses.replace(ctx, stripe=lambda _ctx: stripe_server.gateway())


@pytest.fixture
def shop(ctx: ServiceContext, stripe_server: StripeTestServer) -> dict:
    """A customer with a Visa card on localstripe, linked to their Stripe customer."""
    customer_id = _shop(ctx)
    stripe_id, card = stripe_server.customer_with_card(VISA, email=CUSTOMER["email"])
    _link(ctx, customer_id, stripe_id)
    return {"customer": customer_id, "stripe": stripe_id, "card": card.id}


def _monthly_due_today(ctx: ServiceContext, customer_id: int) -> int:
    return subscriptions.create_subscription(ctx, customer_id=customer_id, product_sku="LP-MONTH", period="month",
                                             start=date(2026, 10, 23)).id


# --- renewing ---------------------------------------------------------------------------------------------------

def test_a_due_renewal_is_charged_invoiced_emailed_and_moved_on(ctx, shop, stripe_server) -> None:  # type: ignore[no-untyped-def]
    sub_id = _monthly_due_today(ctx, shop["customer"])
    before = subscriptions.get_subscription(ctx, sub_id).subscription
    assert (before.state, before.next_renewal, before.gross, before.card_on_file) == (
        "active", TODAY, Decimal("24.28"), True)

    result = renewals.run_renewals(ctx)

    assert str(result) == "renewed 1 (PS26001)"
    detail = subscriptions.get_subscription(ctx, sub_id)
    s = detail.subscription
    assert (s.state, s.period_start, s.period_end, s.next_renewal) == (
        "active", TODAY, date(2026, 12, 23), date(2026, 12, 23))
    [period] = detail.periods
    [attempt] = detail.attempts
    assert (period.status, period.invoice_number, period.amount) == ("invoiced", "PS26001", Decimal("24.28"))
    assert (attempt.status, attempt.attempt, attempt.idempotency_key) == ("succeeded", 1, f"renewal:{period.id}:1")
    assert attempt.payment_intent_id == period.payment_intent_id and attempt.payment_method == shop["card"]
    gateway = stripe_server.gateway()
    assert gateway.count_payment_intents(shop["stripe"]) == 1
    charge = gateway.find_charge(shop["stripe"], attempt.idempotency_key)
    assert charge is not None and charge.succeeded and charge.amount_cents == 2428
    invoice = invoices.get_invoice(ctx, "PS26001")
    doc = invoice.document
    assert [ln.description for ln in doc.lines] == [f"{LANDING}, periodo 23/11/2026–22/12/2026"]
    assert (doc.total, doc.paid, doc.payment_method, doc.issue_date) == (Decimal("24.28"), True, "card", TODAY)
    assert [(r.rate, r.taxable, r.vat) for r in doc.vat_rows] == [(Decimal("22.00"), Decimal("19.90"), Decimal("4.38"))]
    assert invoice.mail_status == "queued" and invoices.invoice_pdf(ctx, "PS26001")[1].startswith(b"%PDF")

    again = renewals.run_renewals(ctx)  # the same day: nothing is due any more
    assert str(again) == "renewed 0"
    assert subscriptions.get_subscription(ctx, sub_id) == detail
    assert gateway.count_payment_intents(shop["stripe"]) == 1 and _count(ctx, Invoice) == 1


def test_the_key_and_the_subscription_travel_in_the_payment_intent(ctx, shop, stripe_server) -> None:  # type: ignore[no-untyped-def]
    sub_id = _monthly_due_today(ctx, shop["customer"])
    renewals.run_renewals(ctx)
    attempt = subscriptions.get_subscription(ctx, sub_id).attempts[0]
    [intent] = stripe_server.gateway()._intents(shop["stripe"])
    assert intent["metadata"][BILLING_KEY] == attempt.idempotency_key
    assert intent["metadata"]["subscription_id"] == str(sub_id)


def test_the_31st_renews_on_month_ends_and_missed_periods_are_caught_up(ctx, shop, stripe_server) -> None:  # type: ignore[no-untyped-def]
    sub_id = subscriptions.create_subscription(ctx, customer_id=shop["customer"], product_sku="LP-MONTH",
                                               period="month", start="2026-08-31").id
    assert subscriptions.get_subscription(ctx, sub_id).subscription.period_end == date(2026, 9, 30)

    result = renewals.run_renewals(ctx)  # nothing ran since September: two periods are due

    assert str(result) == "renewed 2 (PS26001, PS26002)"
    detail = subscriptions.get_subscription(ctx, sub_id)
    assert [(p.period_start, p.period_end) for p in detail.periods] == [
        (date(2026, 9, 30), date(2026, 10, 31)), (date(2026, 10, 31), date(2026, 11, 30))]
    assert detail.subscription.next_renewal == date(2026, 11, 30)
    assert stripe_server.gateway().count_payment_intents(shop["stripe"]) == 2


def test_a_yearly_subscription_renews_for_a_year(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    sub_id = subscriptions.create_subscription(ctx, customer_id=shop["customer"], product_sku="LP-YEAR",
                                               period="year", start=date(2025, 11, 23)).id
    renewals.run_renewals(ctx)
    s = subscriptions.get_subscription(ctx, sub_id).subscription
    assert (s.period_start, s.period_end, s.gross) == (TODAY, date(2027, 11, 23), Decimal("242.78"))


def test_a_declined_card_makes_it_past_due_then_retries_after_1_3_and_7_days_then_suspends(  # type: ignore[no-untyped-def]
        ctx, stripe_server) -> None:
    customer_id = _shop(ctx)
    stripe_id, _ = stripe_server.customer_with_card(DECLINES_ON_CHARGE, email=CUSTOMER["email"])
    _link(ctx, customer_id, stripe_id)
    sub_id = _monthly_due_today(ctx, customer_id)

    first = renewals.run_renewals(ctx)

    assert str(first).startswith("renewed 0; declined 1")
    detail = subscriptions.get_subscription(ctx, sub_id)
    assert detail.subscription.state == "past_due" and detail.periods[0].next_attempt_on == TODAY + timedelta(days=1)
    assert detail.subscription.period_end == TODAY  # not paid: the period does not move on
    with ctx.db.read() as session:
        [mail] = session.scalars(select(OutboxMessage)).all()
    assert mail.recipient == CUSTOMER["email"] and mail.key == f"renewal-declined:{detail.attempts[0].id}"
    assert "Rinnovo non riuscito" in mail.subject and "Aggiorni la carta" in mail.body and "24/11/2026" in mail.body

    outcomes = {}
    for offset in range(0, 10):  # the job runs every day; only the retry days charge
        day = TODAY + timedelta(days=offset)
        outcomes[offset] = str(renewals.run_renewals(_on(ctx, day, hour=10)))
    charged = [o for o, text in outcomes.items() if not text.startswith("renewed 0") or "declined" in text
               or "suspended" in text]
    assert charged == [1, 3, 7]
    assert "suspended 1" in outcomes[7]

    detail = subscriptions.get_subscription(ctx, sub_id)
    assert detail.subscription.state == "suspended" and detail.subscription.next_renewal is None
    assert [(a.attempt, a.status, a.started_at.date()) for a in detail.attempts] == [
        (1, "declined", TODAY), (2, "declined", date(2026, 11, 24)), (3, "declined", date(2026, 11, 26)),
        (4, "declined", date(2026, 11, 30))]
    assert all("declined" in (a.message or "") for a in detail.attempts)
    assert [(p.status, p.next_attempt_on) for p in detail.periods] == [("suspended", None)]
    keys = [m.key for m in _mails(ctx)]
    assert len(keys) == 4 and keys[-1] == f"renewal-suspended:{detail.periods[0].id}"
    assert stripe_server.gateway().count_payment_intents(stripe_id) == 4  # one per attempt, never more
    assert _count(ctx, Invoice) == 0


def _mails(ctx: ServiceContext) -> list[OutboxMessage]:
    with ctx.db.read() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_no_saved_card_is_declined_without_calling_stripe_to_charge(ctx, stripe_server) -> None:  # type: ignore[no-untyped-def]
    customer_id = _shop(ctx)
    stripe_id = stripe_server.gateway().create_customer(CUSTOMER["email"], "Rossi")  # on Stripe, no card
    _link(ctx, customer_id, stripe_id)
    with_stripe = _monthly_due_today(ctx, customer_id)
    other = customers.create_customer(ctx, {**CUSTOMER, "name": "Bianchi S.r.l.", "vat_number": "01234560017"}).id
    without_stripe = _monthly_due_today(ctx, other)

    result = renewals.run_renewals(ctx)

    assert "declined 2" in str(result)
    for sub_id in (with_stripe, without_stripe):
        detail = subscriptions.get_subscription(ctx, sub_id)
        assert detail.subscription.state == "past_due" and detail.subscription.card_on_file is False
        assert [(a.status, a.message) for a in detail.attempts] == [("declined", "no saved card")]
    assert stripe_server.gateway().count_payment_intents(stripe_id) == 0
    assert len(_mails(ctx)) == 2


def test_without_stripe_nothing_is_charged_and_the_job_says_why(ctx) -> None:  # type: ignore[no-untyped-def]
    ctx = dataclasses.replace(ctx, settings=Settings(), stripe=stripe_from_settings)  # no BILLING_STRIPE_API_KEY
    customer_id = _shop(ctx)
    sub_id = _monthly_due_today(ctx, customer_id)

    result = renewals.run_renewals(ctx)

    assert str(result) == "renewed 0; Stripe is not configured (set BILLING_STRIPE_API_KEY): 1 renewal(s) not charged"
    detail = subscriptions.get_subscription(ctx, sub_id)
    assert detail.subscription.state == "active" and detail.attempts == ()
    assert detail.subscription.card_on_file is False  # no Stripe customer at all

    publishable = dataclasses.replace(ctx, settings=Settings(stripe_api_key="pk_test_publishable"))
    assert "Stripe is not configured properly (The Stripe key is a publishable key" in str(
        renewals.run_renewals(publishable))  # a wrong kind of key: said, not raised


# --- cancelling ---------------------------------------------------------------------------------------------------

def test_cancel_renewal_keeps_the_paid_period_then_ends_without_a_charge(ctx, shop, stripe_server) -> None:  # type: ignore[no-untyped-def]
    sub_id = subscriptions.create_subscription(ctx, customer_id=shop["customer"], product_sku="LP-MONTH",
                                               period="month", start=date(2026, 11, 10)).id

    detail = subscriptions.cancel_renewal(ctx, sub_id)

    s = detail.subscription
    assert (s.state, s.auto_renew, s.next_renewal, s.period_end) == ("active", False, None, date(2026, 12, 10))
    assert detail.cancelled_by == "tester"
    assert audit.history(ctx, entity="subscription", entity_id=sub_id)[0].action == "cancel_renewal"
    with pytest.raises(SubscriptionRefused, match="already cancelled; it ends on 2026-12-10"):
        subscriptions.cancel_renewal(ctx, sub_id)

    assert str(renewals.run_renewals(ctx)) == "renewed 0"  # still paid: nothing to do
    at_end = _on(ctx, date(2026, 12, 10))
    assert [v.state for v in subscriptions.list_subscriptions(at_end)] == ["ended"]  # shown ended at once
    assert str(renewals.run_renewals(at_end)) == "renewed 0; ended 1"
    assert subscriptions.get_subscription(at_end, sub_id).subscription.state == "ended"
    assert str(renewals.run_renewals(_on(ctx, date(2027, 1, 10)))) == "renewed 0"
    assert stripe_server.gateway().count_payment_intents(shop["stripe"]) == 0 and _count(ctx, Invoice) == 0
    with pytest.raises(SubscriptionRefused, match="already ended on 2026-12-10"):
        subscriptions.cancel_renewal(at_end, sub_id)


def test_cancelling_a_past_due_subscription_stops_the_retries(ctx, stripe_server) -> None:  # type: ignore[no-untyped-def]
    customer_id = _shop(ctx)
    stripe_id, _ = stripe_server.customer_with_card(DECLINES_ON_CHARGE)
    _link(ctx, customer_id, stripe_id)
    sub_id = _monthly_due_today(ctx, customer_id)
    renewals.run_renewals(ctx)

    detail = subscriptions.cancel_renewal(ctx, sub_id)

    assert detail.subscription.state == "cancelled"
    assert [(p.status, p.next_attempt_on) for p in detail.periods] == [("failed", None)]
    for offset in (1, 3, 7):
        assert str(renewals.run_renewals(_on(ctx, TODAY + timedelta(days=offset)))) == "renewed 0"
    assert len(subscriptions.get_subscription(ctx, sub_id).attempts) == 1
    assert stripe_server.gateway().count_payment_intents(stripe_id) == 1
    with pytest.raises(SubscriptionRefused, match="already cancelled"):
        subscriptions.cancel_renewal(ctx, sub_id)


def test_resume_renewal_before_the_end(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    sub_id = subscriptions.create_subscription(ctx, customer_id=shop["customer"], product_sku="LP-MONTH",
                                               period="month", start=date(2026, 11, 10)).id
    with pytest.raises(SubscriptionRefused, match="already renews automatically"):
        subscriptions.resume_renewal(ctx, sub_id)
    subscriptions.cancel_renewal(ctx, sub_id)
    resumed = subscriptions.resume_renewal(ctx, sub_id).subscription
    assert (resumed.auto_renew, resumed.next_renewal) == (True, date(2026, 12, 10))


# --- exactly once -------------------------------------------------------------------------------------------------

_KILLED_AFTER_CHARGE = """
import os, sys
from datetime import datetime
from billing_tui.domain.clock import FixedClock
from billing_tui.integrations.stripe_gateway import StripeGateway
from billing_tui.services import renewals
from billing_tui.services.context import open_context

url, api_base, key, now = sys.argv[1:5]

class DiesAfterCharging(StripeGateway):
    def charge_off_session(self, *args, **kwargs):
        result = super().charge_off_session(*args, **kwargs)
        print(result.status, result.payment_intent_id, flush=True)
        os._exit(17)  # the process dies after Stripe took the money, before anything is recorded

ctx = open_context(url, clock=FixedClock(datetime.fromisoformat(now)), actor="worker",
                   stripe=lambda _ctx: DiesAfterCharging(key, api_base=api_base))
renewals.run_renewals(ctx)
print("not killed", flush=True)
"""


def test_a_process_killed_between_the_charge_and_the_invoice_charges_once_and_invoices_once(  # type: ignore[no-untyped-def]
        ctx, db_url, shop, stripe_server) -> None:
    sub_id = _monthly_due_today(ctx, shop["customer"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    killed = subprocess.run(  # noqa: S603 - our interpreter and script
        [sys.executable, "-c", _KILLED_AFTER_CHARGE, db_url, stripe_server.url, stripe_server.api_key,
         ctx.clock.now().isoformat()], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)
    assert killed.returncode == 17, killed.stderr
    assert killed.stdout.startswith("succeeded pi_")
    gateway = stripe_server.gateway()
    assert gateway.count_payment_intents(shop["stripe"]) == 1
    [attempt] = subscriptions.get_subscription(ctx, sub_id).attempts
    assert attempt.status == "started" and _count(ctx, Invoice) == 0  # the key was stored before the call

    same_moment = renewals.run_renewals(ctx)  # within the lease: it may still be charging
    assert "being charged by another process" in str(same_moment)
    later = renewals.run_renewals(_on(ctx, TODAY, hour=10))  # the next hourly run reconciles with Stripe

    assert str(later) == "renewed 1 (PS26001)"
    assert gateway.count_payment_intents(shop["stripe"]) == 1
    assert _count(ctx, Invoice) == 1
    detail = subscriptions.get_subscription(ctx, sub_id)
    [attempt] = detail.attempts
    assert attempt.status == "succeeded" and attempt.payment_intent_id == killed.stdout.split()[1]
    assert [(p.status, p.invoice_number) for p in detail.periods] == [("invoiced", "PS26001")]
    assert detail.subscription.period_end == date(2026, 12, 23)
    assert str(renewals.run_renewals(_on(ctx, TODAY, hour=11))) == "renewed 0"


@contextlib.contextmanager
def _power_cut_on(ctx: ServiceContext, table: str) -> Iterator[None]:
    """The database connection fails when the next row of ``table`` is written (a fault at the storage boundary)."""
    def fail(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith(f"INSERT INTO {table.upper()} "):
            raise RuntimeError(f"power cut while writing {table}")

    event.listen(ctx.db.engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", fail)


def test_a_crash_while_invoicing_rolls_back_to_a_charge_that_is_reconciled_not_repeated(  # type: ignore[no-untyped-def]
        ctx, shop, stripe_server) -> None:
    sub_id = _monthly_due_today(ctx, shop["customer"])
    with _power_cut_on(ctx, "invoice_pdf"):
        assert "unexpected error (RuntimeError: power cut while writing invoice_pdf" in str(renewals.run_renewals(ctx))
    assert subscriptions.get_subscription(ctx, sub_id).attempts[0].status == "started"
    assert _count(ctx, Invoice) == 0  # the invoice rolled back with the PDF

    assert str(renewals.run_renewals(_on(ctx, TODAY, hour=10))) == "renewed 1 (PS26001)"
    assert stripe_server.gateway().count_payment_intents(shop["stripe"]) == 1 and _count(ctx, Invoice) == 1


def test_a_refused_invoice_keeps_the_payment_and_is_issued_at_the_next_run(ctx, shop, stripe_server) -> None:  # type: ignore[no-untyped-def]
    sub_id = _monthly_due_today(ctx, shop["customer"])
    tomorrow = _on(ctx, TODAY + timedelta(days=1))  # e.g. a run "as of" tomorrow issued an invoice dated then
    order = orders.create_order(tomorrow, customer_id=shop["customer"]).number
    orders.add_line(tomorrow, order, sku="LP-YEAR", quantity=1)
    assert orders.issue_final(tomorrow, order) == ("PS26001",)

    first = renewals.run_renewals(ctx)
    assert str(first).startswith("renewed 1; 1 waiting: subscription 1: paid, invoice not issued: Numbers follow "
                                 "dates: the last invoice of 2026 is dated 2026-11-24"), str(first)
    detail = subscriptions.get_subscription(ctx, sub_id)
    assert [p.status for p in detail.periods] == ["paid"] and detail.subscription.period_end == date(2026, 12, 23)

    assert str(renewals.run_renewals(tomorrow)) == "renewed 1 (PS26002)"
    assert [p.status for p in subscriptions.get_subscription(ctx, sub_id).periods] == ["invoiced"]
    assert stripe_server.gateway().count_payment_intents(shop["stripe"]) == 1 and _count(ctx, Invoice) == 2


def test_two_processes_running_renewals_at_once_charge_once(ctx, db_url, shop, stripe_server) -> None:  # type: ignore[no-untyped-def]
    sub_ids = [_monthly_due_today(ctx, shop["customer"]) for _ in range(3)]
    others = [open_context(db_url, clock=ctx.clock, actor=f"worker{i}", stripe=ctx.stripe) for i in range(2)]
    barrier = threading.Barrier(len(others))
    results: list[str] = []
    errors: list[BaseException] = []

    def work(context: ServiceContext) -> None:
        try:
            barrier.wait(timeout=30)
            results.append(str(renewals.run_renewals(context)))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(c,)) for c in others]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        for c in others:
            c.db.dispose()
    assert not errors and len(results) == 2

    later = _on(ctx, TODAY, hour=10)
    renewals.run_renewals(later)  # whatever one of them left "being charged" is settled, never charged again
    assert stripe_server.gateway().count_payment_intents(shop["stripe"]) == 3
    assert _count(ctx, Invoice) == 3 and _count(ctx, ChargeAttempt) == 3 and _count(ctx, RenewalPeriod) == 3
    with ctx.db.read() as session:
        assert session.scalar(select(func.count(func.distinct(InvoiceLine.invoice_id)))) == 3
    for sub_id in sub_ids:
        assert subscriptions.get_subscription(ctx, sub_id).subscription.period_end == date(2026, 12, 23)


# --- reading and validating ---------------------------------------------------------------------------------------

def test_lists_per_customer_and_state_and_refuses_what_does_not_exist(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    first = _monthly_due_today(ctx, shop["customer"])
    later = subscriptions.create_subscription(ctx, customer_id=shop["customer"], product_sku="LP-YEAR",
                                              period="year", start="2026-11-01", price="150").id
    rows = subscriptions.list_subscriptions(ctx, customer_id=shop["customer"])
    assert [(r.id, r.product_sku, r.price, r.next_renewal, r.card_on_file) for r in rows] == [
        (first, "LP-MONTH", Decimal("19.90"), TODAY, True), (later, "LP-YEAR", Decimal("150.00"), date(2027, 11, 1), True)]
    assert subscriptions.list_subscriptions(ctx, state="past_due") == ()
    with pytest.raises(ValidationFailed, match="choose all, active"):
        subscriptions.list_subscriptions(ctx, state="paused")
    with pytest.raises(NotFound, match="no customer 999"):
        subscriptions.list_subscriptions(ctx, customer_id=999)
    with pytest.raises(NotFound, match="no subscription 42"):
        subscriptions.get_subscription(ctx, "42")
    with pytest.raises(ValidationFailed) as refused:
        subscriptions.create_subscription(ctx, customer_id=shop["customer"], product_sku="LP-MONTH", period="week",
                                          start="yesterday", price="-1")
    assert set(refused.value.errors) == {"period", "start", "price"}
    with pytest.raises(NotFound, match="no product with SKU 'NOPE'"):
        subscriptions.create_subscription(ctx, customer_id=shop["customer"], product_sku="NOPE", period="month",
                                          start=TODAY)


def test_the_retry_schedule_is_the_shared_setting(ctx, stripe_server) -> None:  # type: ignore[no-untyped-def]
    from billing_tui.services import app_settings

    app_settings.update_settings(ctx, {subscriptions.RETRY_SETTING: "2,5"})
    assert subscriptions.retry_days(ctx) == (2, 5)
    customer_id = _shop(ctx)
    stripe_id, _ = stripe_server.customer_with_card(DECLINES_ON_CHARGE)
    _link(ctx, customer_id, stripe_id)
    sub_id = _monthly_due_today(ctx, customer_id)
    for offset in (0, 2, 5):
        renewals.run_renewals(_on(ctx, TODAY + timedelta(days=offset)))
    detail = subscriptions.get_subscription(ctx, sub_id)
    assert [a.started_at.date() for a in detail.attempts] == [TODAY, date(2026, 11, 25), date(2026, 11, 28)]
    assert detail.subscription.state == "suspended"


def test_the_scheduler_runs_renewals_once_per_slot(ctx, shop, stripe_server) -> None:  # type: ignore[no-untyped-def]
    from billing_tui.jobs import registry, runner

    sub_id = _monthly_due_today(ctx, shop["customer"])
    spec = registry.get_job("renewals")
    now = ctx.clock.now()

    [ran] = runner.run_due(ctx, now=now, jobs=[spec])
    [skipped] = runner.run_due(ctx, now=now, jobs=[spec])

    assert (ran.status, ran.result) == ("done", "renewed 1 (PS26001)")
    assert skipped.status == "skipped"
    assert subscriptions.get_subscription(ctx, sub_id).subscription.next_renewal == date(2026, 12, 23)
    assert stripe_server.gateway().count_payment_intents(shop["stripe"]) == 1
