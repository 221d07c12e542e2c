"""The chat assistant understands English and Italian requests, asks for what is missing, one slot at a time."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from billing_tui.domain.assistant import (
    EVERY,
    INTENTS,
    SLOTS,
    Request,
    answer,
    capabilities,
    missing,
    parse,
    parse_amount,
    question,
)

TODAY = date(2026, 12, 1)
D = Decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("advance 30% on order 1042 due 31/12",
         {"intent": "advance", "language": "en", "order": 1042, "percent": D(30), "due_date": date(2026, 12, 31)}),
        ("acconto di 500 euro sull'ordine 1042",
         {"intent": "advance", "language": "it", "order": 1042, "amount": D(500)}),
        ("anticipo 20% ordine 1042", {"intent": "advance", "language": "it", "order": 1042, "percent": D(20)}),
        ("advance € 1.200,00 on order 5", {"intent": "advance", "order": 5, "amount": D("1200.00")}),
        ("advance 1,200.50 on order 5", {"intent": "advance", "order": 5, "amount": D("1200.50")}),
        ("acconto 300,50 € ordine 5", {"intent": "advance", "order": 5, "amount": D("300.50")}),
        ("acconto -50 euro ordine 5", {"intent": "advance", "order": 5, "amount": D(-50)}),
        ("advance 300 on order 5 dated 20/11", {"amount": D(300), "order": 5, "invoice_date": date(2026, 11, 20)}),
        ("rate ordine 1042 3 mensili dal 1/12",
         {"intent": "instalments", "language": "it", "order": 1042, "count": 3, "every": "month",
          "start": date(2026, 12, 1), "mode": None}),
        ("4 instalments monthly from 31/1 on order 77",
         {"intent": "instalments", "language": "en", "order": 77, "count": 4, "every": "month",
          "start": date(2027, 1, 31)}),
        ("instalments order 77 every 2 weeks",
         {"intent": "instalments", "order": 77, "every": "2weeks", "count": None}),
        ("rate trimestrali", {"intent": "instalments", "language": "it", "every": "quarter", "order": None}),
        ("rate ordine 1042 in tre rate ogni 2 settimane a partire da oggi, subito",
         {"count": 3, "every": "2weeks", "start": TODAY, "mode": "now"}),
        ("6 instalments every six months starting tomorrow, schedule them",
         {"count": 6, "every": "half-year", "start": date(2026, 12, 2), "mode": "schedule"}),
        ("final invoice order 1042", {"intent": "final", "language": "en", "order": 1042}),
        ("fattura finale ordine 1042", {"intent": "final", "language": "it", "order": 1042}),
        ("saldo ordine 1042", {"intent": "final", "language": "it", "order": 1042}),
        ("partial invoice order 1042", {"intent": "partial", "language": "en", "order": 1042, "invoice_date": None}),
        ("fattura parziale ordine 1042 scadenza 15/01/2027",
         {"intent": "partial", "language": "it", "order": 1042, "due_date": date(2027, 1, 15), "invoice_date": None}),
        ("fattura parziale ordine 1042 del 30.11.2026 entro il 2026-12-31",
         {"invoice_date": date(2026, 11, 30), "due_date": date(2026, 12, 31)}),
        ("partial invoice #1042 dated today due 15/1/27",
         {"order": 1042, "invoice_date": TODAY, "due_date": date(2027, 1, 15)}),
        ("ship order 1042", {"intent": "ship", "language": "en", "order": 1042}),
        ("spedisci ordine 1042", {"intent": "ship", "language": "it", "order": 1042}),
        ("ship 1042", {"intent": "ship", "order": 1042}),
        ("cancel order 1042", {"intent": "cancel_order", "language": "en", "order": 1042}),
        ("annulla ordine 1042", {"intent": "cancel_order", "language": "it", "order": 1042}),
        ("show order 1042", {"intent": "show_order", "language": "en", "order": 1042}),
        ("mostra ordine n. 1042", {"intent": "show_order", "language": "it", "order": 1042}),
        ("orders", {"intent": "list_orders", "language": "en"}),
        ("elenco ordini", {"intent": "list_orders", "language": "it"}),
        ("show invoice PS26004", {"intent": "show_invoice", "language": "en", "number": "PS26004"}),
        ("fattura PS26004", {"intent": "show_invoice", "language": "it", "number": "PS26004"}),
        ("PS26004-S1", {"intent": "show_invoice", "number": "PS26004-S1"}),
        ("show cart 100042", {"intent": "show_cart", "language": "en", "order": 100042}),
        ("carrello 100042", {"intent": "show_cart", "language": "it", "order": 100042}),
        ("help", {"intent": "help", "language": "en"}),
        ("aiuto", {"intent": "help", "language": "it"}),
        ("?", {"intent": "help"}),
        ("Factură finală comanda 1042", {"intent": "final", "order": 1042}),  # Romanian keywords, English replies
    ],
)
def test_phrases_are_understood(text: str, expected: dict[str, Any]) -> None:
    req = parse(text, TODAY)
    assert req is not None
    assert {field: getattr(req, field) for field in expected} == expected


@pytest.mark.parametrize(
    ("phrase", "every"),
    [
        ("weekly", "week"), ("settimanali", "week"), ("settimanale", "week"),
        ("every two weeks", "2weeks"), ("biweekly", "2weeks"), ("fortnightly", "2weeks"),
        ("quindicinali", "2weeks"), ("ogni 2 settimane", "2weeks"),
        ("monthly", "month"), ("mensili", "month"), ("quarterly", "quarter"), ("trimestrali", "quarter"),
        ("every six months", "half-year"), ("half-yearly", "half-year"), ("semestrali", "half-year"),
        ("yearly", "year"), ("annual", "year"), ("annuali", "year"),
    ],
)
def test_every_frequency_is_read(phrase: str, every: str) -> None:
    req = parse(f"instalments order 7 {phrase}", TODAY)
    assert req is not None and req.every == every and req.count is None
    assert every in EVERY


def test_every_two_months_is_not_read_as_monthly() -> None:
    req = parse("rate ordine 7 ogni 2 mesi", TODAY)
    assert req is not None and req.every is None and req.count is None
    assert "every" in missing(req)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1/12", date(2026, 12, 1)),
        ("31/5", date(2027, 5, 31)),   # today + 181 days: still ahead
        ("1/6", date(2027, 6, 1)),     # today + 182 days: the last day ahead
        ("2/6", date(2026, 6, 2)),     # today + 183 days would be too far: it is the past one (today - 182)
        ("1/6/2027", date(2027, 6, 1)),
        ("31/1", date(2027, 1, 31)),
        ("15/11", date(2026, 11, 15)),
        ("01.02.27", date(2027, 2, 1)),
        ("oggi", TODAY), ("tomorrow", date(2026, 12, 2)), ("domani", date(2026, 12, 2)),
        ("2027-03-04", date(2027, 3, 4)),
    ],
)
def test_dates_without_a_year_fall_within_half_a_year_of_today(typed: str, expected: date) -> None:
    req = answer(Request("instalments"), "start", typed, TODAY)
    assert isinstance(req, Request) and req.start == expected


def test_the_year_window_is_183_days_back_and_182_ahead() -> None:
    today = date(2026, 7, 1)  # window 2025-12-30 .. 2026-12-30
    assert answer(Request("instalments"), "start", "30/12", today) == Request("instalments", start=date(2026, 12, 30))
    assert answer(Request("instalments"), "start", "31/12", today) == Request("instalments", start=date(2025, 12, 31))


@pytest.mark.parametrize("typed", ["31/02", "31/02/2027", "29/02", "2026-02-30", "12/13"])
def test_impossible_dates_are_never_changed_into_others(typed: str) -> None:
    result = answer(Request("partial", order=1), "due_date", typed, TODAY)
    assert isinstance(result, str) and typed in result
    req = parse(f"partial invoice order 1 due {typed}", TODAY)
    assert req is not None and req.due_date is None
    assert missing(req) == ("due_date",)  # optional, but given wrong: asked
    fixed = answer(req, "due_date", "31/12", TODAY)
    assert isinstance(fixed, Request) and fixed.due_date == date(2026, 12, 31) and missing(fixed) == ()


@pytest.mark.parametrize(
    "text", ["hello world", "fattura la luna", "", "   ", "1042", "ordine", "the weather is nice", "fatture",
             "annulla fattura PS26004"],
)
def test_what_is_not_understood_is_none(text: str) -> None:
    assert parse(text, TODAY) is None


def test_instalments_ask_each_slot_once_in_italian() -> None:
    req = parse("rate ordine 1042", TODAY)
    assert req is not None and req.language == "it" and req.order == 1042
    replies = {"count": "3", "every": "mensili", "start": "dal 1/12", "mode": "programmale"}
    asked = []
    while slots := missing(req):
        slot = slots[0]
        asked.append(slot)
        assert question(slot, req.language) == question(slot, "it") != question(slot, "en")
        result = answer(req, slot, replies[slot], TODAY)
        assert isinstance(result, Request)
        req = result
    assert asked == ["count", "every", "start", "mode"]
    assert (req.count, req.every, req.start, req.mode) == (3, "month", date(2026, 12, 1), "schedule")
    assert question("mode", "en") == "Issue and send them all now, or schedule them?"


@pytest.mark.parametrize(("reply", "mode"), [("now", "now"), ("subito", "now"), ("ora", "now"), ("adesso", "now"),
                                             ("schedule", "schedule"), ("programma", "schedule"),
                                             ("pianificale", "schedule")])
def test_mode_answers(reply: str, mode: str) -> None:
    assert answer(Request("instalments"), "mode", reply, TODAY) == Request("instalments", mode=mode)


def test_advance_asks_order_then_amount_which_takes_a_percentage() -> None:
    req = parse("acconto", TODAY)
    assert req is not None and missing(req) == ("order", "amount")
    req2 = answer(req, "order", "#1042", TODAY)
    assert isinstance(req2, Request) and req2.order == 1042 and missing(req2) == ("amount",)
    as_percent = answer(req2, "amount", "30 %", TODAY)
    assert isinstance(as_percent, Request) and as_percent.percent == D(30) and missing(as_percent) == ()
    as_amount = answer(as_percent, "amount", "€ 1.200,50", TODAY)
    assert isinstance(as_amount, Request) and (as_amount.amount, as_amount.percent) == (D("1200.50"), None)
    assert answer(req2, "amount", "0", TODAY) == replace_amount(req2, D(0))  # the service refuses it, with its reason
    assert isinstance(answer(req2, "amount", "trecento", TODAY), str)
    assert isinstance(answer(req2, "amount", "12abc", TODAY), str)


def replace_amount(req: Request, amount: Decimal) -> Request:
    """The request as it is expected after an amount reply."""
    return Request(**{**req.__dict__, "amount": amount, "percent": None})


@pytest.mark.parametrize(
    ("slot", "reply"),
    [("order", "the big one"), ("order", "1042 1043"), ("number", "that one"), ("count", "some"),
     ("every", "often"), ("mode", "maybe"), ("start", "soon"), ("invoice_date", "32/1")],
)
def test_unusable_answers_get_a_message_in_the_users_language(slot: str, reply: str) -> None:
    english = answer(Request("instalments"), slot, reply, TODAY)
    italian = answer(Request("instalments", language="it"), slot, reply, TODAY)
    assert isinstance(english, str) and isinstance(italian, str) and english != italian


@pytest.mark.parametrize(
    ("typed", "language", "expected"),
    [("300", "en", "300"), ("300,50", "it", "300.50"), ("300.50", "en", "300.50"), ("1.200,50", "it", "1200.50"),
     ("1,200.50", "en", "1200.50"), ("1.200", "it", "1200"), ("1,200", "en", "1200"), ("1,200", "it", "1.200"),
     ("1.234.567", "it", "1234567"), ("-5", "en", "-5"), ("abc", "en", None), ("1..2", "en", None)],
)
def test_amounts_with_either_separator(typed: str, language: str, expected: str | None) -> None:
    assert parse_amount(typed, language) == (None if expected is None else D(expected))


def test_show_invoice_and_show_cart_ask_what_they_need() -> None:
    req = parse("show invoice", TODAY)
    assert req is not None and missing(req) == ("number",)
    assert answer(req, "number", "PS26004", TODAY) == Request("show_invoice", number="PS26004")
    cart = parse("mostra carrello", TODAY)
    assert cart is not None and cart.intent == "show_cart" and missing(cart) == ("order",)


@pytest.mark.parametrize("language", ["en", "it"])
def test_every_example_shown_is_understood_and_they_cover_every_intent(language: str) -> None:
    examples = capabilities(language)
    requests = [parse(text, TODAY) for text in examples]
    assert all(r is not None and r.language == language for r in requests)
    assert {r.intent for r in requests if r} == set(INTENTS)


def test_every_slot_has_a_question_in_both_languages() -> None:
    for slot in SLOTS:
        assert question(slot, "en") and question(slot, "it") and question(slot, "en") != question(slot, "it")
