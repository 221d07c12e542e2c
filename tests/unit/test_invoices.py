"""Issuing, cancelling and crediting invoices, on every backend (S000.2, S000.3, S004.5, S004.6, S004.11, S004.12)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from billing_tui.domain.errors import NotFound, ValidationFailed
from billing_tui.services import (
    app_settings,
    carts,
    customers,
    invoices,
    mail,
    numbering,
    orders,
)
from billing_tui.services.invoices import InvoiceRefused
from billing_tui.storage.document_models import Invoice, InvoicePdf, OutboxMessage


def _paid_carts(ctx, n: int | None = None) -> list[int]:  # type: ignore[no-untyped-def]
    numbers = list(invoices.due_carts(ctx, limit=1000))
    return numbers if n is None else numbers[:n]


def _unpaid_cart(ctx) -> int:  # type: ignore[no-untyped-def]
    rows = carts.list_carts(ctx, carts.CartQuery(status="open", limit=1)).rows
    return rows[0].number


def _send_all(ctx, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mail.relay_outbox(ctx, mailer=mail.mailer_for(ctx, eml_folder=tmp_path / "eml"))


def _count(ctx, model) -> int:  # type: ignore[no-untyped-def]
    with ctx.db.read() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_invoice_for_a_paid_cart_carries_lines_totals_snapshot_pdf_and_queued_mail(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    number = _paid_carts(demo_ctx, 1)[0]
    cart = carts.get_cart(demo_ctx, number)
    inv = invoices.issue_invoice_for_cart(demo_ctx, number)
    doc = inv.document
    assert inv.number == "PS26001" and inv.kind == "invoice" and inv.status == "issued"
    assert [(ln.sku, ln.quantity, ln.line_total) for ln in doc.lines] == [
        (ln.sku, ln.quantity, ln.line_total) for ln in cart.lines]
    assert (doc.net, doc.vat, doc.total) == (cart.net, cart.vat, cart.total)
    assert doc.customer.name == cart.customer_name and doc.seller.name == "Pixel & Stampa S.r.l."
    assert doc.issue_date == date(2026, 11, 23) and doc.paid and doc.cart_number == number
    assert inv.mail_status == "queued"
    assert carts.get_cart(demo_ctx, number).invoice_state == "issued"
    name, pdf = invoices.invoice_pdf(demo_ctx, inv.number)
    assert name == "PS26001.pdf" and pdf.startswith(b"%PDF")
    assert invoices.invoice_pdf(demo_ctx, inv.number)[1] == pdf


def test_the_snapshot_does_not_change_when_the_profile_does(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    number = _paid_carts(demo_ctx, 1)[0]
    inv = invoices.issue_invoice_for_cart(demo_ctx, number)
    customers.update_customer(demo_ctx, inv.customer_id, {"city": "Cagliari"})
    assert invoices.get_invoice(demo_ctx, inv.number).document.customer.city != "Cagliari"


def test_one_cart_gets_one_invoice(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    number = _paid_carts(demo_ctx, 1)[0]
    first = invoices.issue_invoice_for_cart(demo_ctx, number)
    with pytest.raises(InvoiceRefused, match=f"already has invoice {first.number}"):
        invoices.issue_invoice_for_cart(demo_ctx, number)
    assert _count(demo_ctx, Invoice) == 1


def test_unpaid_cart_is_refused_and_no_number_is_used(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvoiceRefused, match="not paid"):
        invoices.issue_invoice_for_cart(demo_ctx, _unpaid_cart(demo_ctx))
    with pytest.raises(NotFound):
        invoices.issue_invoice_for_cart(demo_ctx, 42)
    assert invoices.issue_invoice_for_cart(demo_ctx, _paid_carts(demo_ctx, 1)[0]).number == "PS26001"


def test_incomplete_profile_is_refused_with_what_to_fix(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    number = _paid_carts(demo_ctx, 1)[0]
    cart = carts.get_cart(demo_ctx, number)
    with demo_ctx.db.write() as session:  # a profile broken by data imported before validation existed
        from billing_tui.storage.shop_models import Customer

        session.get(Customer, cart.customer_id).email = "broken"
    with pytest.raises(InvoiceRefused, match="billing profile .* is incomplete.*Customers"):
        invoices.issue_invoice_for_cart(demo_ctx, number)
    assert _count(demo_ctx, Invoice) == 0 and _count(demo_ctx, OutboxMessage) == 0
    assert numbering.show_year(demo_ctx, 2026)[0].last_number == 0


def test_split_payment_shows_vat_but_excludes_it_from_the_amount_due(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    pa = next(r for r in customers.list_customers(demo_ctx, limit=100).rows if r.customer_type == "pa")
    customers.update_customer(demo_ctx, pa.id, {"split_payment": True})
    page = carts.list_carts(demo_ctx, carts.CartQuery(search=pa.name.split()[0], status="confirmed", limit=200))
    due = set(_paid_carts(demo_ctx))
    number = next(r.number for r in page.rows if r.number in due and r.customer_id == pa.id)
    doc = invoices.issue_invoice_for_cart(demo_ctx, number).document
    assert doc.split_payment and doc.vat > 0 and doc.amount_due == doc.total - doc.vat


def test_dates_follow_numbers_and_are_not_in_the_future(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    a, b, c = _paid_carts(demo_ctx, 3)
    invoices.issue_invoice_for_cart(demo_ctx, a, on="2026-11-20")
    with pytest.raises(InvoiceRefused, match="dated 2026-11-20"):
        invoices.issue_invoice_for_cart(demo_ctx, b, on="2026-11-19")
    with pytest.raises(InvoiceRefused, match="future"):
        invoices.issue_invoice_for_cart(demo_ctx, b, on="2026-11-24")
    with pytest.raises(ValidationFailed, match="YYYY-MM-DD"):
        invoices.issue_invoice_for_cart(demo_ctx, c, on="23/11/2026")
    assert invoices.issue_invoice_for_cart(demo_ctx, b, on="2026-11-21").number == "PS26002"


def test_format_without_year_refuses_a_repeated_number(demo_ctx, clock) -> None:  # type: ignore[no-untyped-def]
    numbering.set_range(demo_ctx, year=2025, kind="invoice", fmt="PS{i;3}")
    numbering.set_range(demo_ctx, year=2026, kind="invoice", fmt="PS{i;3}")
    a, b = _paid_carts(demo_ctx, 2)
    assert invoices.issue_invoice_for_cart(demo_ctx, a, on="2025-12-30").number == "PS001"
    with pytest.raises(InvoiceRefused, match="the number format has no year"):  # S004.10
        invoices.issue_invoice_for_cart(demo_ctx, b)
    assert numbering.show_year(demo_ctx, 2026)[0].last_number == 0


def test_automatic_invoicing_respects_the_delay_and_runs_once(demo_ctx, clock) -> None:  # type: ignore[no-untyped-def]
    app_settings.update_settings(demo_ctx, {"invoice_delay_hours": "72"})
    waiting = len(invoices.due_carts(demo_ctx, limit=1000))
    clock.set(clock.now() + timedelta(hours=72))
    later = len(invoices.due_carts(demo_ctx, limit=1000))
    assert later >= waiting
    first = invoices.issue_due_invoices(demo_ctx, limit=1000)
    assert len(first.issued) == later and not first.refused
    assert invoices.issue_due_invoices(demo_ctx, limit=1000).issued == ()


def test_cancellation_needs_a_sent_invoice_and_reverses_it(demo_ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    inv = invoices.issue_invoice_for_cart(demo_ctx, _paid_carts(demo_ctx, 1)[0])
    assert "not been emailed" in (inv.can_cancel or "")
    with pytest.raises(InvoiceRefused, match="has not been emailed to the customer yet"):  # S004.11
        invoices.cancel_invoice(demo_ctx, inv.number)
    _send_all(demo_ctx, tmp_path)
    assert invoices.get_invoice(demo_ctx, inv.number).can_cancel is None
    storno = invoices.cancel_invoice(demo_ctx, inv.number)
    assert storno.number == inv.number + "-S1" and storno.kind == "cancellation"
    assert storno.document.total == inv.document.total and storno.document.refers_to == inv.number
    assert storno.mail_status == "queued"
    original = invoices.get_invoice(demo_ctx, inv.number)
    assert original.status == "cancelled" and original.linked[0].number == storno.number
    with pytest.raises(InvoiceRefused, match="already cancelled"):
        invoices.cancel_invoice(demo_ctx, inv.number)
    with pytest.raises(InvoiceRefused):
        invoices.cancel_invoice(demo_ctx, storno.number)


def test_credit_notes_never_exceed_what_is_creditable(demo_ctx) -> None:  # type: ignore[no-untyped-def]
    inv = invoices.issue_invoice_for_cart(demo_ctx, _paid_carts(demo_ctx, 1)[0])
    total = inv.document.total
    with pytest.raises(ValidationFailed, match="can still be credited"):
        invoices.credit_note(demo_ctx, inv.number, total + Decimal("0.01"))
    for bad in ("0", "-5", "abc"):
        with pytest.raises(ValidationFailed):
            invoices.credit_note(demo_ctx, inv.number, bad)
    first = invoices.credit_note(demo_ctx, inv.number, "1.00", reason="Sconto")
    assert first.number == inv.number + "-1" and first.document.total == Decimal("1.00")
    assert sum(r.taxable + r.vat for r in first.document.vat_rows) == Decimal("1.00")
    rest = total - Decimal("1.00")
    assert invoices.get_invoice(demo_ctx, inv.number).creditable == rest
    second = invoices.credit_note(demo_ctx, inv.number, str(rest))
    assert second.number == inv.number + "-2"
    assert invoices.get_invoice(demo_ctx, inv.number).status == "credited"
    with pytest.raises(InvoiceRefused, match="fully credited"):
        invoices.credit_note(demo_ctx, inv.number, "0.01")


def test_cancelling_an_order_is_not_cancelling_its_invoice(demo_ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    open_orders = [n for n in _paid_carts(demo_ctx) if carts.get_cart(demo_ctx, n).order_state != "completed"]
    a, b = open_orders[:2]
    inv = invoices.issue_invoice_for_cart(demo_ctx, a)
    with pytest.raises(orders.OrderRefused, match=f"Cancel invoice {inv.number} first"):
        orders.cancel_order(demo_ctx, a)
    orders.cancel_order(demo_ctx, b)
    assert carts.get_cart(demo_ctx, b).order_state == "cancelled"
    assert _count(demo_ctx, Invoice) == 1
    with pytest.raises(InvoiceRefused, match="cancelled"):
        invoices.issue_invoice_for_cart(demo_ctx, b)
    _send_all(demo_ctx, tmp_path)
    invoices.cancel_invoice(demo_ctx, inv.number)
    orders.cancel_order(demo_ctx, a)
    assert carts.get_cart(demo_ctx, a).order_state == "cancelled"


def test_list_filters_and_search(demo_ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    issued = [invoices.issue_invoice_for_cart(demo_ctx, n) for n in _paid_carts(demo_ctx, 3)]
    _send_all(demo_ctx, tmp_path)
    invoices.cancel_invoice(demo_ctx, issued[0].number)
    invoices.credit_note(demo_ctx, issued[1].number, "2.00")
    page = invoices.list_invoices(demo_ctx)
    assert len(page.rows) == 5 and {r.kind for r in page.rows} == {"invoice", "cancellation", "credit_note"}
    assert [r.number for r in invoices.list_invoices(demo_ctx, kind="credit_note").rows] == [issued[1].number + "-1"]
    assert [r.number for r in invoices.list_invoices(demo_ctx, status="cancelled").rows] == [issued[0].number]
    assert invoices.list_invoices(demo_ctx, year=2025).rows == ()
    assert {r.number for r in invoices.list_invoices(demo_ctx, search=issued[2].number).rows} == {issued[2].number}
    sent = {r.number: r.mail_status for r in page.rows}
    assert sent[issued[2].number] == "sent" and sent[issued[0].number + "-S1"] == "queued"
    with pytest.raises(ValidationFailed):
        invoices.list_invoices(demo_ctx, kind="bogus")


def test_the_stored_pdf_is_the_one_exported(demo_ctx, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from billing_tui.services.exports import export_pdf

    inv = invoices.issue_invoice_for_cart(demo_ctx, _paid_carts(demo_ctx, 1)[0])
    path = export_pdf(demo_ctx, inv.number, tmp_path)
    with demo_ctx.db.read() as session:
        stored = session.get(InvoicePdf, inv.id)
    assert path.name == f"{inv.number}.pdf" and path.read_bytes() == stored.content
    default = export_pdf(dataclasses.replace(demo_ctx, data_dir=tmp_path / "data"), inv.number)
    assert default == tmp_path / "data" / "exports" / path.name and default.read_bytes() == stored.content



def test_issued_with_the_mail_server_down_then_delivered_once_with_its_pdf(demo_ctx, clock, smtp_down) -> None:  # type: ignore[no-untyped-def]
    """S004.12 against a real SMTP server: the invoice is issued anyway, the mail waits and retries."""
    inv = invoices.issue_invoice_for_cart(demo_ctx, _paid_carts(demo_ctx, 1)[0])
    first = mail.relay_outbox(demo_ctx, mailer=smtp_down.mailer())
    assert first.retry_later == 1 and first.sent == 0
    failed = invoices.get_invoice(demo_ctx, inv.number)
    assert failed.status == "issued" and failed.mail_status == "failed"
    view = mail.list_mail(demo_ctx, invoice_id=inv.id).rows[0]
    assert "refused" in (view.last_error or "").lower() and view.next_attempt_at > clock.now()
    smtp_down.start()
    assert mail.relay_outbox(demo_ctx, mailer=smtp_down.mailer()).sent == 0  # not due yet
    clock.set(view.next_attempt_at)
    assert mail.relay_outbox(demo_ctx, mailer=smtp_down.mailer()).sent == 1
    assert mail.relay_outbox(demo_ctx, mailer=smtp_down.mailer()).sent == 0
    (message,) = smtp_down.recorder.messages()
    attachments = [p for p in message.walk() if p.get_content_disposition() == "attachment"]
    assert [a.get_filename() for a in attachments] == [f"{inv.number}.pdf"]
    assert attachments[0].get_payload(decode=True) == invoices.invoice_pdf(demo_ctx, inv.number)[1]
    assert message["To"] == inv.document.customer.email and inv.number in message["Subject"]
    assert invoices.get_invoice(demo_ctx, inv.number).mail_status == "sent"
