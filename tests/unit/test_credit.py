"""Prepaid credit on every backend: purchases, consumption, the balance, CSV import and month-end zero invoices (S000.8)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.services import (
    app_settings,
    company,
    credit,
    credit_import,
    customers,
    invoices,
    month_end,
)
from billing_tui.services.credit import CreditRefused
from billing_tui.storage.account_models import CreditEntry, CreditMonthEnd
from billing_tui.storage.document_models import Invoice, OutboxMessage
from billing_tui.storage.shop_models import Cart, CartLine, Product

D = Decimal
SELLER = {"company_name": "Pixel & Stampa S.r.l.", "vat_number": "02118530019", "fiscal_code": "02118530019",
          "address": "Via Garibaldi 12", "city": "Torino", "postcode": "10122", "province": "TO", "country": "IT",
          "iban": "IT60X0542811101000000123456", "email": "fatture@pixelstampa.example", "default_language": "it"}
PERSON = {"customer_type": "person", "name": "Mario Rossi", "fiscal_code": "RSSMRA85T10A562S",
          "email": "mario.rossi@mail.example", "address": "Via Garibaldi 3", "city": "Roma", "country": "IT",
          "language": "it", "pec": "mario.rossi@pec.example"}


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)


@pytest.fixture
def shop(ctx, clock):  # type: ignore[no-untyped-def]
    """A seller, one customer and the demo's credit products, on 2026-10-05."""
    clock.set(_at("2026-10-05"))
    company.update_company(ctx, SELLER)
    customer_id = customers.create_customer(ctx, PERSON).id
    with ctx.db.write() as session:
        session.add(Product(id=1, sku="SMS-CREDIT-50", name="Credito SMS 50 €", unit_price=D("50.00"),
                            vat_rate=D("22"), is_service=True))
        session.add(Product(id=2, sku="MUG-CER-01", name="Tazza", unit_price=D("12.50"), vat_rate=D("22"), stock=10))
    return customer_id


_NEXT_CART = [100_000]


def _buy(ctx, customer_id: int, *lines: tuple[str, str, str, str]) -> str:  # type: ignore[no-untyped-def]
    """A paid cart with ``(sku, quantity, unit price, VAT %)`` lines, invoiced now; the invoice number."""
    _NEXT_CART[0] += 1
    number = _NEXT_CART[0]
    now = ctx.clock.now()
    net = sum((D(q) * D(p) for _, q, p, _ in lines), D("0.00"))
    with ctx.db.write() as session:
        cart = Cart(number=number, created_at=now, customer_id=customer_id, status="confirmed", payment_method="card",
                    payment_state="paid", order_state="none", invoice_state="to_invoice", net=net, vat=D("0"),
                    total=net, paid_at=now)
        session.add(cart)
        session.flush()
        for pos, (sku, qty, price, rate) in enumerate(lines, start=1):
            session.add(CartLine(cart_id=cart.id, position=pos, sku=sku, description=f"{sku} item", quantity=D(qty),
                                 unit_price=D(price), vat_rate=D(rate), line_total=(D(qty) * D(price)).quantize(D("0.01"))))
    return invoices.issue_invoice_for_cart(ctx, number).number


def _count(ctx, model, *where) -> int:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _zero_invoices(ctx) -> list[invoices.InvoiceDetail]:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        ids = list(session.scalars(select(CreditMonthEnd.invoice_id).order_by(CreditMonthEnd.id)))
    return [invoices.get_invoice(ctx, i) for i in ids]


# --- purchases ---------------------------------------------------------------------------------------------

def test_a_credit_line_of_an_issued_invoice_is_recorded_once_as_a_purchase(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    number = _buy(ctx, shop, ("SMS-CREDIT-50", "2", "50.00", "22"), ("MUG-CER-01", "1", "12.50", "22"))
    assert credit.sync_purchases(ctx) == 1
    assert credit.sync_purchases(ctx) == 0
    bal = credit.balance(ctx, shop)
    (entry,) = bal.entries
    assert (entry.kind, entry.amount, entry.vat_rate, entry.invoice_number) == ("purchase", D("122.00"), D("22"), number)
    assert (bal.bought, bal.consumed, bal.left) == (D("122.00"), D("0.00"), D("122.00"))
    assert credit.is_credit_sku("SMS-CREDIT-200") and not credit.is_credit_sku("MUG-CER-01")


# --- consumption ------------------------------------------------------------------------------------------

def test_consumption_is_refused_beyond_the_credit_left_and_nothing_is_recorded(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))  # 61,00 € of credit
    credit.record_consumption(ctx, customer_id=shop, amount="60.00", quantity=600, description="SMS inviati")
    with pytest.raises(CreditRefused) as info:
        credit.record_consumption(ctx, customer_id=shop, amount="1.50")
    assert "1,00" in info.value.message and "1,50" in info.value.message and "Nothing was recorded" in info.value.message
    assert "credit left" in info.value.errors["amount"]
    assert _count(ctx, CreditEntry, CreditEntry.kind == "consumption") == 1
    assert credit.balance(ctx, shop).left == D("1.00")


def test_with_overdraft_allowed_the_consumption_is_recorded_and_flagged(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))
    app_settings.update_settings(ctx, {"credit_overdraft": "allow"})
    first = credit.record_consumption(ctx, customer_id=shop, amount="60.00")
    second = credit.record_consumption(ctx, customer_id=shop, amount="5.00")
    assert (first.overdraft, second.overdraft) == (False, True)
    bal = credit.balance(ctx, shop)
    assert bal.left == D("-4.00") and bal.overdraft_policy == "allow"
    assert [e.overdraft for e in bal.entries if e.kind == "consumption"] == [True, False]  # newest first


def test_consumption_fields_are_checked_with_a_reason_per_field(ctx, shop) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationFailed) as info:
        credit.record_consumption(ctx, customer_id=shop, amount="-3", quantity="x", on="2026-10-06",
                                  description="d" * 201)
    assert set(info.value.errors) == {"amount", "quantity", "date", "description"}
    assert "not after today (2026-10-05)" in info.value.errors["date"]
    with pytest.raises(ValidationFailed, match="decimals"):
        credit.record_consumption(ctx, customer_id=shop, amount="1.234")
    with pytest.raises(NotFound):
        credit.record_consumption(ctx, customer_id=999, amount="1")
    assert _count(ctx, CreditEntry) == 0


# --- the balance month by month ---------------------------------------------------------------------------

def test_the_balance_shows_bought_consumed_and_left_month_by_month(ctx, clock, shop) -> None:  # type: ignore[no-untyped-def]
    _buy(ctx, shop, ("SMS-CREDIT-50", "2", "50.00", "22"))  # 122,00 € on 2026-10-05
    credit.record_consumption(ctx, customer_id=shop, amount="20.00", on="2026-10-05")
    clock.set(_at("2026-12-10"))
    credit.record_consumption(ctx, customer_id=shop, amount="2.00", on="2026-12-09")
    months = credit.balance(ctx, shop).months
    assert [(m.month, m.bought, m.consumed, m.left) for m in months] == [
        ("2026-10", D("122.00"), D("20.00"), D("102.00")),
        ("2026-11", D("0.00"), D("0.00"), D("102.00")),
        ("2026-12", D("0.00"), D("2.00"), D("100.00")),
    ]


# --- month end --------------------------------------------------------------------------------------------

def test_month_end_issues_one_zero_invoice_for_october_and_none_for_november(ctx, clock, shop) -> None:  # type: ignore[no-untyped-def]
    purchase = _buy(ctx, shop, ("SMS-CREDIT-50", "2", "50.00", "22"))
    for day, amount in (("2026-10-05", "10.00"), ("2026-10-17", "25.50"), ("2026-10-31", "7.33")):
        clock.set(_at(day))
        credit.record_consumption(ctx, customer_id=shop, amount=amount, on=day, quantity=10, description="SMS")
    clock.set(_at("2026-11-01"))
    result = month_end.run_month_end(ctx)
    assert [(c, m) for _, c, m in result.issued] == [(shop, "2026-10")] and not result.waiting
    assert str(result).startswith("issued 1 zero invoice(s): PS26002")
    (zero,) = _zero_invoices(ctx)
    doc = zero.document
    assert (zero.kind, doc.issue_date, doc.total, doc.net, doc.vat, doc.paid) == (
        "invoice", date(2026, 11, 1), D("0.00"), D("0.00"), D("0.00"), True)
    assert zero.cart_number is None and zero.customer_id == shop
    # 42,83 € consumed at 22%: taxable 35,11 and VAT 7,72; the advance is reversed by the same amounts.
    assert [(ln.sku, ln.vat_rate, ln.line_total) for ln in doc.lines] == [
        ("PREPAID-USED", D("22.00"), D("35.11")), ("PREPAID-STORNO", D("22.00"), D("-35.11"))]
    assert "ottobre 2026" in doc.lines[0].description and purchase in doc.lines[1].description
    assert sum(ln.line_total for ln in doc.lines) == 0
    assert sum(r.taxable for r in doc.vat_rows) == 0 and sum(r.vat for r in doc.vat_rows) == 0
    assert any("ottobre 2026" in n for n in doc.notes)
    assert any("imponibile 35,11" in n and "IVA 7,72" in n and "42,83" in n for n in doc.notes)
    assert zero.mail_status == "queued"
    assert _count(ctx, OutboxMessage, OutboxMessage.invoice_id == zero.id) == 1
    # Running again, the same day or a month later (November had no consumption), issues nothing new.
    assert month_end.run_month_end(ctx).issued == ()
    clock.set(_at("2026-12-01"))
    assert month_end.run_month_end(ctx).issued == ()
    assert _count(ctx, Invoice) == 2 and _count(ctx, CreditMonthEnd) == 1
    months = {m.month: m.zero_invoice for m in credit.balance(ctx, shop).months}
    assert months == {"2026-10": zero.number, "2026-11": None, "2026-12": None}


def test_month_end_catches_up_missed_months_and_reverses_each_purchase_drawn_on(ctx, clock, shop) -> None:  # type: ignore[no-untyped-def]
    first = _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))  # 61,00 €
    credit.record_consumption(ctx, customer_id=shop, amount="50.00", on="2026-10-05")
    clock.set(_at("2026-11-10"))
    second = _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))
    credit.record_consumption(ctx, customer_id=shop, amount="30.00", on="2026-11-10")  # 11 from the first, 19 from the second
    clock.set(_at("2027-01-02"))  # nothing ran on 1 December
    result = month_end.run_month_end(ctx)
    assert [m for _, _, m in result.issued] == ["2026-10", "2026-11"]
    october, november = _zero_invoices(ctx)
    assert [ln.line_total for ln in november.document.lines] == [D("24.59"), D("-9.02"), D("-15.57")]
    assert first in november.document.lines[1].description and second in november.document.lines[2].description
    assert november.document.total == 0 and october.document.total == 0
    assert [r.vat for r in november.document.vat_rows] == [D("0.00")]


def test_a_consumption_cannot_be_dated_in_a_month_already_reported(ctx, clock, shop) -> None:  # type: ignore[no-untyped-def]
    _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))
    credit.record_consumption(ctx, customer_id=shop, amount="5.00", on="2026-10-05")
    clock.set(_at("2026-11-01"))
    number = month_end.run_month_end(ctx).issued[0][0]
    with pytest.raises(ValidationFailed) as info:
        credit.record_consumption(ctx, customer_id=shop, amount="1.00", on="2026-10-31")
    assert number in info.value.errors["date"]


def test_overdraft_waits_for_credit_before_its_month_is_reported(ctx, clock, shop) -> None:  # type: ignore[no-untyped-def]
    app_settings.update_settings(ctx, {"credit_overdraft": "allow"})
    credit.record_consumption(ctx, customer_id=shop, amount="5.00", on="2026-10-05")
    clock.set(_at("2026-11-01"))
    result = month_end.run_month_end(ctx)
    assert result.issued == () and "overdraft" in result.waiting[0][2]
    _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))
    (zero,) = [n for n, _, _ in month_end.run_month_end(ctx).issued]
    assert invoices.get_invoice(ctx, zero).document.total == 0


def test_month_end_runs_as_the_scheduled_job(ctx, clock, shop) -> None:  # type: ignore[no-untyped-def]
    from billing_tui.jobs.registry import get_job
    from billing_tui.jobs.runner import run_job

    _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))
    credit.record_consumption(ctx, customer_id=shop, amount="5.00", on="2026-10-05")
    run = run_job(ctx, get_job("month_end"), _at("2026-11-01"))
    assert run.status == "done" and run.result.startswith("issued 1 zero invoice(s)")
    assert _count(ctx, CreditMonthEnd) == 1


# --- CSV import -------------------------------------------------------------------------------------------

def _csv(tmp_path: Path, text: str, name: str = "sms.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_import_records_every_row_and_the_same_file_twice_records_nothing_new(ctx, shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))
    path = _csv(tmp_path, "customer_id,date,quantity,amount,description\n"
                          f"{shop},2026-10-01,100,10.00,SMS campagna\n"
                          f"{shop},2026-10-02,100,10.00,SMS campagna\n"  # another day: another row
                          f"{shop},2026-10-02,100,10.00,SMS campagna\n"  # the same row twice is two consumptions
                          f"{shop},2026-10-03,5,\"0,50\",\"Avvisi, promemoria\"\n")
    result = credit_import.import_consumption_csv(ctx, path)
    assert (result.recorded, result.already_imported, result.amount) == (4, 0, D("30.50"))
    again = credit_import.import_consumption_csv(ctx, path)
    assert (again.recorded, again.already_imported) == (0, 4) and "already imported" in str(again)
    assert credit.balance(ctx, shop).consumed == D("30.50")


def test_a_bad_line_imports_nothing_and_is_named(ctx, shop, tmp_path) -> None:  # type: ignore[no-untyped-def]
    _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))
    path = _csv(tmp_path, "customer_id,date,quantity,amount,description\n"
                          f"{shop},2026-10-01,100,10.00,ok\n"
                          f"{shop},2026-10-01,100,dieci,bad amount\n")
    with pytest.raises(ValidationFailed) as info:
        credit_import.import_consumption_csv(ctx, path)
    assert "Nothing was imported from sms.csv" in info.value.message and "line 3: amount" in info.value.message
    too_much = _csv(tmp_path, "customer_id,date,quantity,amount,description\n"
                              f"{shop},2026-10-01,100,50.00,ok\n"
                              f"{shop},2026-10-02,100,50.00,over\n", "over.csv")
    with pytest.raises(ValidationFailed, match="line 3: customer .* would go below zero"):
        credit_import.import_consumption_csv(ctx, too_much)
    no_header = _csv(tmp_path, f"{shop},2026-10-01,100,10.00,ok\n", "raw.csv")
    with pytest.raises(ValidationFailed, match="line 1: the header must name the columns"):
        credit_import.import_consumption_csv(ctx, no_header)
    assert _count(ctx, CreditEntry, CreditEntry.kind == "consumption") == 0


# --- command line -----------------------------------------------------------------------------------------

@pytest.mark.slow  # runs the installed billing-tui in separate processes
def test_credit_commands_consume_import_and_show_the_balance(ctx, shop, db_url, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.cli.test_cli import assert_one_line_error, run

    _buy(ctx, shop, ("SMS-CREDIT-50", "1", "50.00", "22"))  # 61,00 €
    used = run("credit", "consume", "--customer", str(shop), "--amount", "5", "--quantity", "50",
               "--description", "SMS", "--db", db_url, "--json")
    assert used.code == 0 and used.json()["amount"] == "5.00" and used.json()["overdraft"] is False
    assert_one_line_error(run("credit", "consume", "--customer", str(shop), "--amount", "500", "--db", db_url),
                          "56,00", "500,00", "Nothing was recorded")
    today = date.today().isoformat()  # the command line runs on the real clock
    path = _csv(tmp_path, f"customer_id,date,quantity,amount,description\n{shop},{today},10,1.00,SMS\n")
    assert run("credit", "import", str(path), "--db", db_url).out == "Recorded 1 consumption(s) for 1.00 EUR.\n"
    assert "already imported" in run("credit", "import", str(path), "--db", db_url).out
    shown = run("credit", "balance", "--customer", str(shop), "--db", db_url, "--json").json()
    assert (shown["bought"], shown["consumed"], shown["left"]) == ("61.00", "6.00", "55.00")
    table = run("credit", "balance", "--customer", str(shop), "--db", db_url).out
    assert table.splitlines()[1].split() == ["MONTH", "BOUGHT", "CONSUMED", "LEFT", "ZERO", "INVOICE"]
