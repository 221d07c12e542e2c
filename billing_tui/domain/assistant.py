"""The chat assistant's language understanding: rules that turn English or Italian requests into slots.

No model and no network: keyword tables and regular expressions (Romanian keywords are accepted too,
answered in English). ``parse`` reads a request, ``missing`` says which slots are still needed,
``question`` asks for one and ``answer`` fills it from the user's reply.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

EVERY = ("week", "2weeks", "month", "quarter", "half-year", "year")
"""How often instalments fall due, as the orders service spells it."""

INTENTS = ("partial", "advance", "instalments", "final", "ship", "cancel_order",
           "show_order", "list_orders", "show_invoice", "show_cart", "help")
"""Everything the assistant can be asked to do."""

SLOTS = ("order", "number", "amount", "invoice_date", "due_date", "count", "every", "start", "mode")
"""Every slot, in the order they are asked; "amount" is filled by an amount or a percentage."""

_REQUIRED: dict[str, tuple[str, ...]] = {
    "partial": ("order",), "advance": ("order", "amount"), "final": ("order",), "ship": ("order",),
    "instalments": ("order", "count", "every", "start", "mode"), "cancel_order": ("order",),
    "show_order": ("order",), "show_cart": ("order",), "show_invoice": ("number",),
    "list_orders": (), "help": (),
}


@dataclass(frozen=True)
class Request:
    """One understood request: what to do and the slots read so far (None: not given)."""

    intent: str
    language: str = "en"
    order: int | None = None
    amount: Decimal | None = None
    percent: Decimal | None = None
    invoice_date: date | None = None
    due_date: date | None = None
    count: int | None = None
    every: str | None = None
    start: date | None = None
    mode: str | None = None
    number: str | None = None
    unclear: tuple[str, ...] = ()
    """Slots the user gave but that could not be used (e.g. 31/02): asked even when optional."""


def _rx(words: str) -> re.Pattern[str]:
    """A pattern matching any of ``words`` (a regex alternation) as whole words."""
    return re.compile(rf"(?<!\w)(?:{words})(?!\w)")


_ACTIONS = (
    ("instalments", _rx(r"instal+ments?|installments?|rate|rata|rateizz\w*|rateal[ei]")),
    ("advance", _rx(r"advance|deposit|down ?payment|acconto|anticipo|avans(?:ul)?")),
    ("partial", _rx(r"partial|parziale|partiala")),
    ("final", _rx(r"final|finale|saldo|finala")),
    ("ship", _rx(r"ship|shipped|spedisci|spedire|spedito|expediaza|livreaza")),
    ("cancel_order", _rx(r"cancel|annulla|anuleaza")),
)
_SHOW = _rx(r"show|open|view|see|display|mostra|mostrami|apri|vedi|visualizza|arata|deschide")
_INVOICE = _rx(r"invoice|fattura|factura")
_CART = _rx(r"cart|carrello|cos|cosul")
_ORDERS = _rx(r"orders|ordini|comenzi|comenzile|(?:list|elenco|lista) (?:of )?(?:order|ordine|comanda)")
_ORDER_WORD = _rx(r"order|ordine|ordinul|comanda")
_HELP = re.compile(r"(?<!\w)(?:help|aiuto|ajutor|what can you do|cosa (?:puoi|sai) fare)(?!\w)|^\?+$")

_IT = frozenset("ordine ordini fattura acconto anticipo rate rata saldo finale parziale spedisci annulla mostra "
                "elenco carrello aiuto dal del data scadenza entro oggi domani ieri ogni mensili settimanali "
                "quindicinali trimestrali semestrali annuali di sull sullo per il subito adesso programma".split())
_EN = frozenset("order orders invoice advance deposit instalments installments final partial ship cancel show "
                "list help due from dated today tomorrow yesterday weekly monthly quarterly yearly every on the "
                "of cart now schedule starting".split())

_NUMBER_WORDS = {
    "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "twelve": 12, "due": 2, "tre": 3, "quattro": 4, "cinque": 5, "sei": 6, "sette": 7, "otto": 8,
    "nove": 9, "dieci": 10, "dodici": 12, "doua": 2, "trei": 3, "patru": 4, "cinci": 5, "sase": 6, "zece": 10,
}
_COUNT_WORD = "|".join(_NUMBER_WORDS)

_DAY_WORDS = {"today": 0, "oggi": 0, "azi": 0, "tomorrow": 1, "domani": 1, "maine": 1,
              "yesterday": -1, "ieri": -1}
_DATE_TOKEN = (r"(?<![\d.,/])(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}/\d{1,2}(?:/\d{4}|/\d{2})?"
               r"|\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2}))(?![\d/]|[.,]\d)|\b(?:" + "|".join(_DAY_WORDS) + r")\b")
_DATE_KEYS = {
    "due_date": "due scadenza scade entro scadenta",
    "start": "from starting start dal da dalla incepand",
    "invoice_date": "dated date del data din",
}
_KEY_SLOT = {word: slot for slot, words in _DATE_KEYS.items() for word in words.split()}
_DATE = re.compile(rf"(?:\b(?P<key>{'|'.join(_KEY_SLOT)})\s+(?:(?:the|on|from|by|il|al|lo|la|cu|de)\s+)*)?"
                   rf"(?P<date>{_DATE_TOKEN})")

_NUM = r"-?\d+(?:[.,]\d+)*"
_ORDER = re.compile(r"\b(?:order|ordine|ordinul|comanda|cart|carrello|cos|cosul)\s*"
                    r"(?:(?:n|no|nr|num|number|numero)(?:\.\s*|\s+))?#?\s*(\d+)\b|#\s*(\d+)\b")
_PERCENT = re.compile(rf"(?<![\d.,])({_NUM})\s*(?:%|\bper ?cento?\b|\bpercent\b|\bla suta\b)")
_CURRENCY = r"€|\beur\b|\beuros?\b|\bron\b|\blei\b"
_MONEY = re.compile(rf"(?:{_CURRENCY})\s*({_NUM})|(?<![\d.,])({_NUM})\s*(?:{_CURRENCY})")
_BARE = re.compile(rf"(?<![\w.,/-])({_NUM})(?![\w/])")
_COUNT = re.compile(rf"(?<![\w.,])(\d+|{_COUNT_WORD})\s+(?:instal+ments?|installments?|rate|rata|payments?"
                    r"|pagamenti|tranche|times|volte|@every)(?!\w)")
_BARE_NUMBER = re.compile(r"[A-Za-z]+\d[\w/-]*")  # "PS26004" typed alone is an invoice number
_INVOICE_NUMBER = re.compile(r"(?i)\b(?:invoice|fattura|factura|factură)\s+"
                             r"(?:(?:n|no|nr|num|number|numero)(?:\.\s*|\s+)|#\s*)?([A-Za-z0-9][\w/.-]*)")

_EVERY_WORDS = (  # (value, phrases read anywhere, bare nouns accepted only as an answer); order matters
    ("2weeks", r"every (?:two|2|other) weeks?|bi-?weekly|fortnightly|quindicinal[ei]|ogni (?:due|2) settimane"
               r"|la (?:doua|2) saptamani", r"2 ?weeks|two weeks|fortnight|(?:due|2) settimane|15 giorni"),
    ("half-year", r"every (?:six|6) months|half[- ]?yearly|semi-?annual(?:ly)?|semestral[ei]"
                  r"|ogni (?:sei|6) mesi|semestrial[ea]?", r"half[- ]?year|(?:six|6) months|semestre|(?:sei|6) mesi"),
    ("quarter", r"every (?:three|3) months|every quarter|quarterly|trimestral[ei]|ogni (?:tre|3) mesi"
                r"|ogni trimestre|trimestrial[ea]?", r"quarter|(?:three|3) months|trimestre|(?:tre|3) mesi"),
    ("week", r"every week|weekly|settimanal[ei]|ogni settimana|saptamanal[ea]?", r"weeks?|settimana|saptamana"),
    ("month", r"every month|monthly|mensil[ei]|ogni mese|lunar[ea]?", r"months?|mese|luna"),
    ("year", r"every year|yearly|annual(?:ly)?|annual[ei]|ogni anno|anual[ea]?", r"years?|anno"),
)
_EVERY_PARSE = tuple((value, _rx(phrases)) for value, phrases, _ in _EVERY_WORDS)
_EVERY_ANSWER = tuple((value, _rx(f"{phrases}|{nouns}")) for value, phrases, nouns in _EVERY_WORDS)
_NOW = _rx(r"now|immediately|right away|subito|ora|adesso|immediatamente|acum|imediat")
_SCHEDULE = _rx(r"schedul\w*|later|programm\w*|pianific\w*|programeaz\w*|planific\w*|alla scadenza|alle scadenze")

_QUESTIONS = {
    "order": ("Which order? Type its number (the cart number).",
              "Quale ordine? Scrivi il numero (quello del carrello)."),
    "number": ("Which invoice? Type its number, e.g. PS26004.", "Quale fattura? Scrivi il numero, es. PS26004."),
    "amount": ("How much? A gross amount (e.g. 300) or a percentage (e.g. 30%).",
               "Quanto? Un importo lordo (es. 300) o una percentuale (es. 30%)."),
    "invoice_date": ("Which invoice date? (dd/mm/yyyy, or today)", "Quale data della fattura? (gg/mm/aaaa, o oggi)"),
    "due_date": ("Which due date? (dd/mm/yyyy)", "Quale scadenza? (gg/mm/aaaa)"),
    "count": ("How many instalments?", "Quante rate?"),
    "every": ("How often? Weekly, every 2 weeks, monthly, quarterly, every six months or yearly.",
              "Ogni quanto? Settimanali, quindicinali, mensili, trimestrali, semestrali o annuali."),
    "start": ("From which date? (dd/mm/yyyy)", "A partire da quale data? (gg/mm/aaaa)"),
    "mode": ("Issue and send them all now, or schedule them?", "Le emetto e invio tutte subito, o le programmo?"),
}
_RETRY = {
    "order": ("Type the order number, e.g. 1042.", "Scrivi il numero dell'ordine, es. 1042."),
    "number": ("Type the invoice number, e.g. PS26004.", "Scrivi il numero della fattura, es. PS26004."),
    "amount": ("That is not an amount: type e.g. 300, 1,200.50 or 30%.",
               "Non è un importo: scrivi ad es. 300, 1.200,50 o 30%."),
    "date": ("Type a date as dd/mm/yyyy, or today.", "Scrivi una data come gg/mm/aaaa, o oggi."),
    "no_such_date": ("{token} is not a date on the calendar: type it again.",
                     "{token} non è una data del calendario: riscrivila."),
    "count": ("Type how many instalments, e.g. 3.", "Scrivi quante rate, es. 3."),
    "every": ("Type weekly, every 2 weeks, monthly, quarterly, every six months or yearly.",
              "Scrivi settimanali, quindicinali, mensili, trimestrali, semestrali o annuali."),
    "mode": ("Type now, or schedule.", "Scrivi subito, oppure programma."),
}
_EXAMPLES = {
    "en": ("show order 1042", "orders", "partial invoice order 1042", "advance 30% on order 1042 due 31/12",
           "4 instalments monthly from 31/1 on order 1042", "final invoice order 1042", "ship order 1042",
           "cancel order 1042", "show invoice PS26004", "show cart 100042", "help"),
    "it": ("mostra ordine 1042", "elenco ordini", "fattura parziale ordine 1042",
           "acconto 30% ordine 1042 scadenza 31/12", "rate ordine 1042 3 mensili dal 1/12",
           "fattura finale ordine 1042", "spedisci ordine 1042", "annulla ordine 1042", "fattura PS26004",
           "carrello 100042", "aiuto"),
}


def _normal(text: str) -> str:
    """Lower case, accents and apostrophes removed, spaces collapsed: the text the rules read."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return " ".join(re.sub(r"[’'`]", " ", plain).split())


def _in(language: str, texts: tuple[str, str]) -> str:
    """The Italian text for "it", the English one for any other language."""
    return texts[1] if language == "it" else texts[0]


def _language(s: str) -> str:
    """ "it" when more of the words are Italian than English, else "en"."""
    words = re.findall(r"\w+", s)
    return "it" if sum(w in _IT for w in words) > sum(w in _EN for w in words) else "en"


def _intent(s: str, text: str) -> str | None:
    """What the request asks for, from its keywords; None when nothing fits."""
    for intent, pattern in _ACTIONS:
        if pattern.search(s):
            return None if intent == "cancel_order" and _INVOICE.search(s) else intent
    has_number = bool(re.search(r"\d", s))
    if _INVOICE.search(s) and (_invoice_number(text) or _SHOW.search(s)):
        return "show_invoice"
    if _BARE_NUMBER.fullmatch(text.strip()):
        return "show_invoice"
    if _CART.search(s) and (has_number or _SHOW.search(s)):
        return "show_cart"
    if _ORDERS.search(s) and not has_number:
        return "list_orders"
    if (_ORDER_WORD.search(s) and (has_number or _SHOW.search(s))) or re.fullmatch(r"#\s*\d+", s):
        return "show_order"
    return "help" if _HELP.search(s) else None


def _invoice_number(text: str) -> str | None:
    """The invoice number after "invoice"/"fattura", if it has a digit."""
    m = _INVOICE_NUMBER.search(text)
    number = m.group(1).rstrip(".-/") if m else ""
    return number if re.search(r"\d", number) else None


def _to_date(token: str, today: date) -> date | None:
    """A date token as a date (a year-less one within about six months of today); None if impossible."""
    if token in _DAY_WORDS:
        return today + timedelta(days=_DAY_WORDS[token])
    if "-" in token:
        parts = [int(p) for p in token.split("-")]
        year, month, day = parts
    else:
        parts = [int(p) for p in re.split(r"[/.]", token)]
        day, month = parts[0], parts[1]
        year = (parts[2] + 2000 if parts[2] < 100 else parts[2]) if len(parts) == 3 else 0
    if year:
        try:
            return date(year, month, day)
        except ValueError:
            return None
    fits = []
    for candidate_year in (today.year - 1, today.year, today.year + 1):
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if -183 <= (candidate - today).days <= 182:
            fits.append(candidate)
    return min(fits, key=lambda d: abs((d - today).days), default=None)


def parse_amount(raw: str, language: str = "en") -> Decimal | None:
    """A typed number as Decimal: "300", "300,50", "1.200,50", "1,200.50"; None if it is not one.

    With a single separator followed by exactly three digits, the language decides: "1.200" is
    1200 in Italian and 1.2 in English, "1,200" the other way round.
    """
    s = raw.replace(" ", "").replace("\u00a0", "")
    if not re.fullmatch(_NUM, s):
        return None
    if "." in s and "," in s:
        decimal_sep = "." if s.rfind(".") > s.rfind(",") else ","
        s = s.replace("," if decimal_sep == "." else ".", "").replace(",", ".")
    elif "." in s or "," in s:
        sep = "." if "." in s else ","
        head, *tail = s.split(sep)
        thousands = sep == ("." if language == "it" else ",")
        if len(tail) > 1 or (len(tail[0]) == 3 and thousands):
            s = head + "".join(tail)
        else:
            s = s.replace(",", ".")
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _every(s: str, table: tuple[tuple[str, re.Pattern[str]], ...]) -> tuple[str, re.Match[str]] | None:
    """The first frequency named in ``s``, with where it was found."""
    for value, pattern in table:
        if m := pattern.search(s):
            return value, m
    return None


def _mode(s: str) -> str | None:
    """ "now" or "schedule" when exactly one of them is asked for."""
    now, schedule = bool(_NOW.search(s)), bool(_SCHEDULE.search(s))
    return "now" if now and not schedule else "schedule" if schedule and not now else None


def _count(word: str) -> int:
    """A count written in digits or as a small number word."""
    return int(word) if word.isdigit() else _NUMBER_WORDS[word]


def _cut(s: str, m: re.Match[str], mark: str = " ") -> str:
    """``s`` with the match replaced, so later rules do not read it again."""
    return f"{s[:m.start()]}{mark}{s[m.end():]}"


def parse(text: str, today: date) -> Request | None:
    """Read a request; None when it is not understood."""
    s = _normal(text)
    intent = _intent(s, text) if s else None
    if intent is None:
        return None
    language = _language(s)
    got: dict[str, Any] = {}
    unclear: list[str] = []
    while m := _DATE.search(s):
        slot = _KEY_SLOT.get(m["key"] or "")
        if slot is None:
            slot = "start" if intent == "instalments" else "invoice_date" if "invoice_date" not in got else "due_date"
        value = _to_date(m["date"], today)
        if value is None:
            unclear.append(slot)
        got.setdefault(slot, value)
        s = _cut(s, m)
    if intent == "show_invoice":
        got["number"] = _invoice_number(text) or (text.strip() if _BARE_NUMBER.fullmatch(text.strip()) else None)
    elif m := _ORDER.search(s):
        got["order"], s = int(m[1] or m[2]), _cut(s, m)
    if intent == "advance":
        if m := _PERCENT.search(s):
            got["percent"], s = parse_amount(m[1], language), _cut(s, m)
        elif m := _MONEY.search(s):
            got["amount"], s = parse_amount(m[1] or m[2], language), _cut(s, m)
        elif "order" in got and len(bare := _BARE.findall(s)) == 1:
            got["amount"] = parse_amount(bare[0], language)
    if intent == "instalments":
        if found := _every(s, _EVERY_PARSE):
            got["every"], s = found[0], _cut(s, found[1], " @every ")
        if m := _COUNT.search(s):
            got["count"] = _count(m[1])
        got["mode"] = _mode(s)
    elif intent != "advance" and "order" in _REQUIRED[intent] and "order" not in got:
        if len(bare := _BARE.findall(s)) == 1 and bare[0].isdigit():
            got["order"] = int(bare[0])  # "ship 1042": a lone number is the order
    fields = {k: v for k, v in got.items() if v is not None}
    return Request(intent=intent, language=language, unclear=tuple(dict.fromkeys(unclear)), **fields)


def _empty(req: Request, slot: str) -> bool:
    """Whether a slot has no value yet (the "amount" slot takes an amount or a percentage)."""
    if slot == "amount":
        return req.amount is None and req.percent is None
    return getattr(req, slot) is None


def missing(req: Request) -> tuple[str, ...]:
    """The slots still needed before the request can run, in the order to ask them."""
    required = _REQUIRED[req.intent]
    return tuple(s for s in SLOTS if (s in required and _empty(req, s)) or s in req.unclear)


def question(slot: str, language: str) -> str:
    """The question that asks for one slot, in the user's language."""
    return _in(language, _QUESTIONS[slot])


def _read(slot: str, s: str, text: str, today: date, language: str) -> dict[str, Any] | str:
    """The fields one reply gives a slot, or the message saying why it cannot be used."""
    if slot == "order":
        numbers = re.findall(r"\d+", s)
        return {"order": int(numbers[0])} if len(numbers) == 1 else _in(language, _RETRY["order"])
    if slot == "number":
        token = _invoice_number(text) or text.strip().rstrip(".")
        ok = re.fullmatch(r"[A-Za-z0-9][\w/.-]*", token) and re.search(r"\d", token)
        return {"number": token} if ok else _in(language, _RETRY["number"])
    if slot == "amount":
        plain = re.sub(_CURRENCY, " ", s).strip()
        if m := re.fullmatch(rf"({_NUM})\s*(?:%|per ?cento?|percent|la suta)", plain):
            percent = parse_amount(m[1], language)
            return {"percent": percent, "amount": None} if percent is not None else _in(language, _RETRY["amount"])
        amount = parse_amount(plain, language)
        return {"amount": amount, "percent": None} if amount is not None else _in(language, _RETRY["amount"])
    if slot in ("invoice_date", "due_date", "start"):
        if not (m := re.search(_DATE_TOKEN, s)):
            return _in(language, _RETRY["date"])
        value = _to_date(m.group(), today)
        return {slot: value} if value else _in(language, _RETRY["no_such_date"]).format(token=m.group())
    if slot == "count":
        m = re.search(rf"\b(\d+|{_COUNT_WORD})\b", s)
        return {"count": _count(m[1])} if m else _in(language, _RETRY["count"])
    if slot == "every":
        found = _every(s, _EVERY_ANSWER)
        return {"every": found[0]} if found else _in(language, _RETRY["every"])
    if slot == "mode":
        mode = _mode(s)
        return {"mode": mode} if mode else _in(language, _RETRY["mode"])
    raise ValueError(f"unknown slot {slot!r}")


def answer(req: Request, slot: str, text: str, today: date) -> Request | str:
    """The request with ``slot`` filled from the user's reply, or a short message why the reply is not usable."""
    got = _read(slot, _normal(text), text, today, req.language)
    if isinstance(got, str):
        return got
    return replace(req, unclear=tuple(u for u in req.unclear if u != slot), **got)


def capabilities(language: str) -> tuple[str, ...]:
    """Example requests the assistant understands, shown when it did not understand one."""
    return _EXAMPLES["it" if language == "it" else "en"]
