"""The assistant's conversation: questions one at a time, the wizards' review, acting only on yes (issue 4)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing_tui import demo
from billing_tui.domain.assistant import capabilities, question
from billing_tui.services import carts, invoices, orders
from billing_tui.services.assistant import Conversation
from billing_tui.services.order_review import plan_text
from tests.conftest import FIXED_NOW

TODAY = FIXED_NOW.date()  # 2026-11-23


@pytest.fixture
def shop(ctx):  # type: ignore[no-untyped-def]
    """The demo's customers, products and company data, and no carts: the tests make their own orders."""
    demo.fill_demo(ctx, carts=0, seed=7, as_of=TODAY)
    return ctx


def _order(ctx, *, shipped: bool = False) -> int:  # type: ignore[no-untyped-def]
    """A draft order of 2 x 50,00 + 1 x 199,00 at 22% (364,78 € with VAT), shipped if asked."""
    number = orders.create_order(ctx, customer_id=1).number
    orders.add_line(ctx, number, sku="SMS-CREDIT-50", quantity=2)
    orders.add_line(ctx, number, sku="LP-YEAR", quantity=1)
    if shipped:
        orders.ship_order(ctx, number)
    return number


def _plain(text: str) -> str:
    """Amounts are shown with a no-break space before the euro sign; the tests spell it as a space."""
    return text.replace("\u00a0", " ")


def _invoice_count(ctx) -> int:  # type: ignore[no-untyped-def]
    return len(invoices.list_invoices(ctx).rows)


def test_advance_is_reviewed_then_yes_issues_exactly_the_previewed_invoice(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop)
    chat = Conversation(shop)

    review = chat.send(f"advance 30% on order {number} due 31/12")
    assert review.kind == "review" and review.plan is not None
    assert review.plan == orders.preview_advance(shop, number, percent=Decimal(30), due=date(2026, 12, 31))
    assert review.text == plan_text(review.plan) + "\nType yes to issue, no to stop."
    assert _invoice_count(shop) == 0

    done = chat.send("yes")
    assert done.kind == "done" and done.numbers == ("PS26001",)
    assert "Issued invoice PS26001" in done.text
    planned = review.plan.invoices[0]
    doc = invoices.get_invoice(shop, "PS26001").document
    assert (doc.issue_date, doc.due_date, doc.total, doc.vat_rows) == (
        planned.issue_date, date(2026, 12, 31), planned.total, planned.vat_rows)
    assert [(ln.description, ln.line_total) for ln in doc.lines] == [
        (ln.description, ln.line_total) for ln in planned.lines]
    detail = orders.get_order(shop, number)
    assert detail.state == "in_progress" and detail.left_to_bill == review.plan.left_after
    assert [(i.number, i.role) for i in detail.invoices] == [("PS26001", "advance")]
    assert not chat.pending


def test_italian_instalments_ask_now_or_schedule_then_review_then_plan(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop, shipped=True)
    chat = Conversation(shop)

    asked = chat.send(f"rate ordine {number} 3 mensili dal 1/12")
    assert (asked.kind, asked.text) == ("question", question("mode", "it"))

    review = chat.send("programma")
    assert review.kind == "review" and review.plan is not None and review.plan.mode == "schedule"
    assert [i.due_date for i in review.plan.invoices] == [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    assert review.text.endswith("Scrivi sì per creare il piano, no per fermarti.")

    done = chat.send("sì")
    assert done.kind == "done" and done.numbers == ()  # nothing falls due before 1/12
    assert "Il piano è creato: 3 rate" in done.text
    detail = orders.get_order(shop, number)
    assert detail.state == "completed"
    assert [(p.seq, p.due_date, p.amount, p.status) for p in detail.plan] == [
        (i.seq, i.due_date, i.total, "planned") for i in review.plan.invoices]


def test_instalments_now_issue_every_invoice_of_the_review(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop, shipped=True)
    chat = Conversation(shop)
    assert chat.send(f"rate ordine {number} 3 mensili dal 1/12").kind == "question"
    review = chat.send("subito")
    assert review.plan is not None and review.text.endswith("Scrivi sì per emettere, no per fermarti.")
    done = chat.send("si")
    assert done.numbers == ("PS26001", "PS26002", "PS26003")
    totals = [invoices.get_invoice(shop, n).document.total for n in done.numbers]
    assert totals == [i.total for i in review.plan.invoices]
    assert sum(totals) == orders.get_order(shop, number).total


def test_a_missing_order_number_is_asked_for_then_the_request_goes_on(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop)
    chat = Conversation(shop)

    asked = chat.send("final invoice")
    assert (asked.kind, asked.text) == ("question", question("order", "en"))
    again = chat.send("the big one")
    assert again.kind == "question" and "Type the order number" in again.text and chat.pending
    review = chat.send(str(number))
    assert review.kind == "review" and review.plan is not None and review.plan.action == "final"


def test_no_or_anything_else_issues_nothing(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop)
    chat = Conversation(shop)

    assert chat.send(f"partial invoice order {number}").kind == "review"
    stopped = chat.send("no")
    assert (stopped.kind, stopped.text) == ("done", "Nothing was issued.")
    assert chat.send(f"acconto 100 € ordine {number}").kind == "review"
    assert chat.send("forse").text == "Non è stato emesso nulla."
    assert chat.send(f"final invoice order {number}").kind == "review"
    switched = chat.send(f"show order {number}")  # a new request instead of yes: the review is dropped
    assert switched.kind == "answer" and switched.text.startswith(f"Nothing was issued.\nOrder {number} of ")
    assert _invoice_count(shop) == 0 and not chat.pending
    assert orders.get_order(shop, number).state == "draft"


def test_an_invalid_amount_gets_the_reason_and_is_asked_again(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop)
    chat = Conversation(shop)

    refused = chat.send(f"advance 150% on order {number}")
    assert refused.kind == "question"
    assert refused.text == f"The percentage must be at most 100.\n{question('amount', 'en')}"
    too_much = chat.send("1000")
    assert too_much.kind == "question" and "more than is left to bill (364,78 €)" in _plain(too_much.text)
    review = chat.send("122")
    assert review.kind == "review" and review.plan is not None and review.plan.invoices[0].total == Decimal("122.00")
    assert _invoice_count(shop) == 0


def test_stop_drops_a_pending_question(shop) -> None:  # type: ignore[no-untyped-def]
    chat = Conversation(shop)
    assert chat.send("4 instalments monthly from 31/1").kind == "question"
    assert chat.send("annulla").kind == "done" and not chat.pending


def test_nonsense_gets_the_list_of_what_it_can_do_in_the_users_language(shop) -> None:  # type: ignore[no-untyped-def]
    chat = Conversation(shop)
    help_en = chat.send("what's the weather like")
    assert help_en.kind == "help"
    assert help_en.text.splitlines()[1:] == [f"  {example}" for example in capabilities("en")]
    help_it = chat.send("ciao, che tempo fa?")
    assert help_it.kind == "help" and "  mostra ordine 1042" in help_it.text.splitlines()


def test_ship_and_cancel_are_described_and_done_only_on_yes(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop)
    orders.issue_advance(shop, number, amount="100")
    chat = Conversation(shop)

    described = chat.send(f"ship order {number}")
    assert described.kind == "review" and "will be marked shipped" in described.text
    assert chat.send("no").text == "Nothing was changed."
    assert orders.get_order(shop, number).state == "in_progress"
    chat.send(f"ship order {number}")
    assert chat.send("yes").kind == "done" and orders.get_order(shop, number).state == "shipped"

    refused = chat.send(f"cancel order {number}")
    assert refused.kind == "error" and "PS26001" in refused.text and not chat.pending
    assert orders.get_order(shop, number).state == "shipped"

    other = _order(shop)
    assert "sarà annullato: non sarà mai fatturato" in chat.send(f"annulla ordine {other}").text
    assert chat.send("sì").kind == "done" and orders.get_order(shop, other).state == "cancelled"


def test_an_order_that_does_not_exist_is_asked_for_again(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop)
    chat = Conversation(shop)
    asked = chat.send("final invoice order 999999")
    assert asked.kind == "question" and "There is no order number 999999" in asked.text
    assert chat.send(str(number)).kind == "review"


def test_a_refused_action_says_why_and_drops_the_request(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop)  # a draft: instalments need a shipped order
    chat = Conversation(shop)
    refused = chat.send(f"3 instalments monthly from 1/12 on order {number} now")
    assert refused.kind == "error" and not chat.pending and _invoice_count(shop) == 0


def test_show_order_invoice_and_cart_answer_directly(shop) -> None:  # type: ignore[no-untyped-def]
    number = _order(shop)
    orders.issue_advance(shop, number, amount="122")
    chat = Conversation(shop)

    order = chat.send(f"show order {number}")
    assert order.kind == "answer"
    lines = _plain(order.text).splitlines()
    assert lines[0] == f"Order {number} of Rossi Arredamenti S.r.l.: in progress, created 23/11/2026."
    assert lines[1] == "Total 364,78 € (net 299,00 €, VAT 65,78 €); invoiced 122,00 €; left to bill 242,78 €."
    assert any("SMS-CREDIT-50" in ln and "100,00 €" in ln for ln in lines)
    assert any(ln.startswith("  PS26001  advance  23/11/2026  122,00 €") for ln in lines)

    listed = chat.send("orders")
    assert listed.kind == "answer" and f"{number} 2026-11-23 Rossi Arredamenti" in listed.text

    invoice = chat.send("show invoice PS26001")
    assert invoice.kind == "answer"
    assert invoice.text.startswith("Invoice PS26001 to Rossi Arredamenti S.r.l.: issued, mail queued.")

    cart = chat.send(f"carrello {number}")
    assert cart.kind == "answer" and cart.text.startswith(f"Carrello {number} di Rossi Arredamenti S.r.l.")
    assert carts.get_cart(shop, number).total == Decimal("364.78")

    missing = chat.send("show invoice PS99999")
    assert missing.kind == "error" and "PS99999" in missing.text
