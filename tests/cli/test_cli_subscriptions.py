"""``billing-tui subscriptions list|show|cancel-renewal``, run in-process as a user would, on every backend (S000.6)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from billing_tui.domain.clock import FixedClock
from billing_tui.domain.orders import add_months
from billing_tui.services import subscriptions
from billing_tui.services.context import open_context
from tests.cli.conftest import RunCli
from tests.cli.helpers import AS_OF
from tests.unit.test_subscriptions import _shop

TODAY = date.fromisoformat(AS_OF)  # the fixed clock's day
MONTHLY_START = add_months(TODAY, -1)
MONTHLY_END = add_months(MONTHLY_START, 1).isoformat()  # today: the monthly subscription is due
YEARLY_END = add_months(TODAY - timedelta(days=22), 12).isoformat()


@pytest.fixture
def subscribed(db_url: str, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """A customer with two subscriptions, one due today (the fixed clock's day); no Stripe configured."""
    monkeypatch.delenv("BILLING_STRIPE_API_KEY", raising=False)
    ctx = open_context(db_url, clock=clock, actor="setup")
    try:
        customer = _shop(ctx)
        monthly = subscriptions.create_subscription(ctx, customer_id=customer, product_sku="LP-MONTH",
                                                    period="month", start=MONTHLY_START).id
        yearly = subscriptions.create_subscription(ctx, customer_id=customer, product_sku="LP-YEAR",
                                                   period="year", start=TODAY - timedelta(days=22)).id
    finally:
        ctx.db.dispose()
    return {"customer": customer, "monthly": monthly, "yearly": yearly}


def test_list_show_and_cancel_renewal(
        run_cli: RunCli, db_url: str, clock: FixedClock, subscribed: dict[str, int]) -> None:
    listed = run_cli("subscriptions", "list", "--customer", str(subscribed["customer"]), "--db", db_url, "--json")
    assert listed.code == 0 and listed.err == ""
    rows = listed.json()
    assert [(r["id"], r["product_sku"], r["state"], r["next_renewal"], r["gross"]) for r in rows] == [
        (subscribed["monthly"], "LP-MONTH", "active", MONTHLY_END, "24.28"),
        (subscribed["yearly"], "LP-YEAR", "active", YEARLY_END, "242.78")]

    code, out, _ = run_cli("subscriptions", "list", "--db", db_url)
    assert code == 0 and "NEXT RENEWAL" in out and "Landing Page" in out and YEARLY_END in out

    cancelled = run_cli("subscriptions", "cancel-renewal", str(subscribed["yearly"]), "--db", db_url, "--json").json()
    assert cancelled["subscription"]["auto_renew"] is False
    assert cancelled["subscription"]["state"] == "active" and cancelled["subscription"]["next_renewal"] is None
    assert cancelled["cancelled_at"] == clock.now().isoformat()  # the clock's time

    code, out, err = run_cli("subscriptions", "cancel-renewal", str(subscribed["yearly"]), "--db", db_url)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("billing-tui: ") and f"already cancelled; it ends on {YEARLY_END}" in err

    code, out, _ = run_cli("subscriptions", "show", str(subscribed["yearly"]), "--db", db_url)
    assert code == 0 and "Automatic renewal: no" in out and "Renewal cancelled" in out

    active = run_cli("subscriptions", "list", "--state", "active", "--db", db_url, "--json").json()
    assert [r["auto_renew"] for r in active] == [True, False]


def test_show_has_periods_and_attempts_and_errors_are_one_line(
        run_cli: RunCli, db_url: str, subscribed: dict[str, int]) -> None:
    shown = run_cli("subscriptions", "show", str(subscribed["monthly"]), "--db", db_url, "--json").json()
    assert shown["periods"] == [] and shown["attempts"] == []
    assert shown["subscription"]["period_end"] == MONTHLY_END
    assert shown["start_date"] == MONTHLY_START.isoformat()

    for argv, words in ((["subscriptions", "show", "999"], "no subscription 999"),
                        (["subscriptions", "show", "abc"], "not a subscription id"),
                        (["subscriptions", "list", "--customer", "999"], "no customer 999"),
                        (["subscriptions", "list", "--state", "paused"], "invalid choice")):
        code, out, err = run_cli(*argv, "--db", db_url)
        assert code != 0 and out == "" and err.count("\n") == 1 and words in err, (argv, err)
