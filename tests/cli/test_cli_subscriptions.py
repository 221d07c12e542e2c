"""``billing-tui subscriptions list|show|cancel-renewal``, as a user would run them, on every backend (S000.6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from billing_tui import cli
from billing_tui.domain.orders import add_months
from billing_tui.services import subscriptions
from billing_tui.services.context import open_context
from tests.unit.test_subscriptions import _shop

TODAY = datetime.now(UTC).date()
MONTHLY_START = add_months(TODAY, -1)
MONTHLY_END = add_months(MONTHLY_START, 1).isoformat()  # today, except after a shorter month's end
YEARLY_END = add_months(TODAY - timedelta(days=22), 12).isoformat()


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def subscribed(db_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """A customer with two subscriptions, one due today (the CLI's clock is the real one); no Stripe configured."""
    monkeypatch.delenv("BILLING_STRIPE_API_KEY", raising=False)
    ctx = open_context(db_url, actor="setup")
    try:
        customer = _shop(ctx)
        monthly = subscriptions.create_subscription(ctx, customer_id=customer, product_sku="LP-MONTH",
                                                    period="month", start=MONTHLY_START).id
        yearly = subscriptions.create_subscription(ctx, customer_id=customer, product_sku="LP-YEAR",
                                                   period="year", start=TODAY - timedelta(days=22)).id
    finally:
        ctx.db.dispose()
    return {"customer": customer, "monthly": monthly, "yearly": yearly}


def test_list_show_and_cancel_renewal(db_url, subscribed, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, err = _run(capsys, "subscriptions", "list", "--customer", str(subscribed["customer"]),
                          "--db", db_url, "--json")
    assert code == 0 and err == ""
    rows = json.loads(out)
    assert [(r["id"], r["product_sku"], r["state"], r["next_renewal"], r["gross"]) for r in rows] == [
        (subscribed["monthly"], "LP-MONTH", "active", MONTHLY_END, "24.28"),
        (subscribed["yearly"], "LP-YEAR", "active", YEARLY_END, "242.78")]

    code, out, _ = _run(capsys, "subscriptions", "list", "--db", db_url)
    assert code == 0 and "NEXT RENEWAL" in out and "Landing Page" in out and YEARLY_END in out

    code, out, _ = _run(capsys, "subscriptions", "cancel-renewal", str(subscribed["yearly"]), "--db", db_url, "--json")
    cancelled = json.loads(out)
    assert code == 0 and cancelled["subscription"]["auto_renew"] is False
    assert cancelled["subscription"]["state"] == "active" and cancelled["subscription"]["next_renewal"] is None

    code, out, err = _run(capsys, "subscriptions", "cancel-renewal", str(subscribed["yearly"]), "--db", db_url)
    assert code == 1 and out == "" and err.count("\n") == 1
    assert err.startswith("billing-tui: ") and f"already cancelled; it ends on {YEARLY_END}" in err

    code, out, _ = _run(capsys, "subscriptions", "show", str(subscribed["yearly"]), "--db", db_url)
    assert code == 0 and "Automatic renewal: no" in out and "Renewal cancelled" in out

    code, out, _ = _run(capsys, "subscriptions", "list", "--state", "active", "--db", db_url, "--json")
    assert [r["auto_renew"] for r in json.loads(out)] == [True, False]


def test_show_has_periods_and_attempts_and_errors_are_one_line(db_url, subscribed, capsys) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _run(capsys, "subscriptions", "show", str(subscribed["monthly"]), "--db", db_url, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["periods"] == [] and shown["attempts"] == []
    assert shown["subscription"]["period_end"] == MONTHLY_END
    assert shown["start_date"] == MONTHLY_START.isoformat()

    for argv, words in ((["subscriptions", "show", "999"], "no subscription 999"),
                        (["subscriptions", "show", "abc"], "not a subscription id"),
                        (["subscriptions", "list", "--customer", "999"], "no customer 999"),
                        (["subscriptions", "list", "--state", "paused"], "invalid choice")):
        code, out, err = _run(capsys, *argv, "--db", db_url)
        assert code != 0 and out == "" and err.count("\n") == 1 and words in err, (argv, err)
