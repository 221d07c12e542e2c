"""The demo's made-up business: its seller, products, customers of every type in Italy and Romania, and carts."""


import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from billing_tui.domain.carts import (
    CartStatus,
    InvoiceState,
    OrderState,
    PaymentMethod,
    PaymentState,
)
from billing_tui.domain.money import line_total, vat_summary

D = Decimal
FIRST_CART_NUMBER = 100_001
BATCH = 5_000
HISTORY_MAX_CARTS = 5_000  # replaying the past issues a PDF per paid cart: for big demos it is skipped

SELLER = {
    "company_name": "Pixel & Stampa S.r.l.",
    "vat_number": "02118530019",
    "fiscal_code": "02118530019",
    "address": "Via Garibaldi 12",
    "city": "Torino",
    "postcode": "10122",
    "province": "TO",
    "country": "IT",
    "iban": "IT60X0542811101000000123456",
    "email": "fatture@pixelstampa.example",
    "default_language": "it",
}

# sku, barcode stem (12 digits, check digit added), name, unit price, VAT %, stock (None = service)
PRODUCTS: tuple[tuple[str, str | None, str, str, str, int | None], ...] = (
    ("SMS-CREDIT-50", None, "Credito SMS 50 €", "50.00", "22", None),
    ("SMS-CREDIT-200", None, "Credito SMS 200 €", "200.00", "22", None),
    ("LP-MONTH", None, "Landing Page – abbonamento mensile", "19.90", "22", None),
    ("LP-YEAR", None, "Landing Page – abbonamento annuale", "199.00", "22", None),
    ("SMSRX-MONTH", None, "Ricezione SMS – abbonamento mensile", "9.90", "22", None),
    ("MUG-CER-01", "800123450001", "Tazza in ceramica con logo", "12.50", "22", 340),
    ("BOOK-FATT-01", "978880012345", "Libro: guida alla fatturazione elettronica", "24.00", "4", 75),
    ("TSHIRT-RO-01", "594012345678", "Tricou personalizat", "79.00", "21", 120),
    ("CAL-2027", "800123450002", "Calendario da tavolo 2027", "8.75", "22", 500),
    ("AGENDA-RO-01", "594012345679", "Agendă de birou", "35.50", "11", 60),
    ("SETUP-HOUR", None, "Ora di consulenza e configurazione", "60.00", "22", None),
    ("STICKER-10", "800123450003", "Adesivi (10 pezzi)", "3.33", "22", 2000),
)

IT_COMPANIES = (
    "Rossi Arredamenti S.r.l.", "Bianchi & Figli S.n.c.", "Caffè Verdi S.p.A.", "Ottica Gialli S.r.l.",
    "Panificio Esposito", "Studio Legale Romano", "Lavanderia Colombo S.a.s.", "Pizzeria Da Nicolò",
    "Agenzia Viaggi Ricci S.r.l.", "Farmacia Marino", "Officina Greco S.r.l.", "Libreria Bruno",
)
IT_PEOPLE = (
    ("Mario", "Rossi"), ("Giulia", "Bianchi"), ("Luca", "Ferrari"), ("Francesca", "Russo"),
    ("Niccolò", "Galli"), ("Chiara", "Conti"), ("Andrea", "De Luca"), ("Martina", "Mancini"),
    ("Gianluca", "Costa"), ("Elena", "Giordano"),
)
IT_PA = (
    "Comune di Bologna – Ufficio Tributi", "Istituto Comprensivo Statale \"G. Verdi\"",
    "Azienda Sanitaria Locale TO3", "Comune di Città di Castello", "Università degli Studi di Perugia",
)
RO_COMPANIES = (
    "Ionescu Soft S.R.L.", "Popescu & Asociații S.R.L.", "Țesătoria Brașov S.A.", "Librăria Dumitru S.R.L.",
    "Cafeneaua Ștefan S.R.L.", "Atelierul Constantinescu S.R.L.",
)
RO_PEOPLE = (("Andrei", "Popescu"), ("Ioana", "Ionescu"), ("Mihai", "Stănescu"), ("Ana", "Dumitrescu"), ("Ștefan", "Țurcanu"))
IT_CITIES = (("Torino", "10121", "TO", "H501"), ("Milano", "20121", "MI", "F205"), ("Bologna", "40121", "BO", "A944"),
             ("Napoli", "80121", "NA", "F839"), ("Perugia", "06121", "PG", "G478"), ("Roma", "00184", "RM", "H501"))
RO_CITIES = (("București", "010011", "B"), ("Cluj-Napoca", "400001", "CJ"), ("Iași", "700001", "IS"),
             ("Brașov", "500001", "BV"), ("Timișoara", "300001", "TM"))
STREETS_IT = ("Via Roma", "Corso Vittorio Emanuele", "Via Garibaldi", "Piazza Cavour", "Via Mazzini")
STREETS_RO = ("Strada Mihai Eminescu", "Bulevardul Unirii", "Strada Ștefan cel Mare", "Calea Victoriei")


@dataclass(frozen=True)
class DemoSummary:
    """What the demo put in the database."""

    customers: int
    products: int
    carts: int
    lines: int
    payments: int
    seed: int
    as_of: date
    invoices: int = 0
    orders: int = 0  # staff-created orders (with the history only)
    subscriptions: int = 0


# --- valid identifiers, built with python-stdnum's check-digit functions -------------------

def _it_vat(rng: random.Random) -> str:
    from stdnum import luhn

    stem = f"{rng.randrange(1, 9_999_999):07d}{rng.randrange(1, 101):03d}"
    return stem + luhn.calc_check_digit(stem)


def _it_fiscal_code(rng: random.Random, first: str, last: str, belfiore: str) -> str:
    from stdnum.it import codicefiscale

    def consonants(s: str) -> str:
        return "".join(c for c in s.upper() if c.isalpha() and c not in "AEIOUÀÈÉÌÒÙ")

    def vowels(s: str) -> str:
        return "".join(c for c in s.upper() if c in "AEIOU")

    def part(s: str, is_first: bool) -> str:
        cons = consonants(s)
        if is_first and len(cons) >= 4:
            cons = cons[0] + cons[2] + cons[3]
        return (cons + vowels(s) + "XXX")[:3]

    year = rng.randrange(50, 100)
    month = "ABCDEHLMPRST"[rng.randrange(12)]
    day = rng.randrange(1, 29) + (40 if first.endswith("a") else 0)
    stem = f"{part(last, False)}{part(first, True)}{year:02d}{month}{day:02d}{belfiore}"
    return stem + codicefiscale.calc_check_digit(stem)


def _ro_cif(rng: random.Random) -> str:
    from stdnum.ro import cui

    stem = str(rng.randrange(1_000_000, 49_999_999))
    return stem + cui.calc_check_digit(stem)


def _ro_cnp(rng: random.Random) -> str:
    from stdnum.ro import cnp

    stem = f"{rng.choice('12')}{rng.randrange(60, 100):02d}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}" \
           f"{rng.randrange(1, 41):02d}{rng.randrange(1, 999):03d}"
    return stem + cnp.calc_check_digit(stem)


def ean13(stem12: str) -> str:
    from stdnum import ean

    return stem12 + ean.calc_check_digit(stem12)


def _slug(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_name.lower() if c.isalnum())[:20] or "cliente"


def demo_customers(rng: random.Random, now: datetime) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []

    def base(name: str, country: str, language: str) -> dict[str, object]:
        created = now - timedelta(days=rng.randrange(400, 900))
        return {
            "name": name, "country": country, "language": language, "vat_number": None, "fiscal_code": None,
            "pa_office_code": None, "split_payment": False, "sdi_code": None, "pec": None,
            "email": f"fatture@{_slug(name)}.example" if country == "IT" else f"facturi@{_slug(name)}.example",
            "created_at": created, "updated_at": created,
        }

    for name in IT_COMPANIES:
        city, cap, prov, _ = rng.choice(IT_CITIES)
        vat = _it_vat(rng)
        row = base(name, "IT", "it")
        row.update(customer_type="company", vat_number=vat, fiscal_code=vat, address=f"{rng.choice(STREETS_IT)} {rng.randrange(1, 200)}",
                   city=city, postcode=cap, province=prov)
        if rng.random() < 0.7:
            row["sdi_code"] = "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(7))
        else:
            row["pec"] = f"{_slug(name)}@pec.example"
        rows.append(row)
    for first, last in IT_PEOPLE:
        city, cap, prov, belfiore = rng.choice(IT_CITIES)
        row = base(f"{first} {last}", "IT", "it")
        row.update(customer_type="person", fiscal_code=_it_fiscal_code(rng, first, last, belfiore),
                   address=f"{rng.choice(STREETS_IT)} {rng.randrange(1, 200)}", city=city, postcode=cap, province=prov,
                   email=f"{_slug(first)}.{_slug(last)}@mail.example")
        rows.append(row)
    for i, name in enumerate(IT_PA):
        city, cap, prov, _ = rng.choice(IT_CITIES)
        code = _it_vat(rng)
        row = base(name, "IT", "it")
        row.update(customer_type="pa", fiscal_code=code, pa_office_code=f"UF{i:02d}{rng.choice('ABCDEFGH')}{rng.randrange(10)}",
                   split_payment=i % 2 == 0, address=f"Piazza Maggiore {i + 1}", city=city, postcode=cap, province=prov,
                   email=f"protocollo@{_slug(name)}.example")
        rows.append(row)
    for name in RO_COMPANIES:
        city, cod, county = rng.choice(RO_CITIES)
        row = base(name, "RO", "ro")
        row.update(customer_type="company", vat_number="RO" + _ro_cif(rng), address=f"{rng.choice(STREETS_RO)} {rng.randrange(1, 120)}",
                   city=city, postcode=cod, province=county)
        rows.append(row)
    for first, last in RO_PEOPLE:
        city, cod, county = rng.choice(RO_CITIES)
        row = base(f"{first} {last}", "RO", "ro")
        row.update(customer_type="person", fiscal_code=_ro_cnp(rng), address=f"{rng.choice(STREETS_RO)} {rng.randrange(1, 120)}",
                   city=city, postcode=cod, province=county, email=f"{_slug(first)}.{_slug(last)}@posta.example")
        rows.append(row)
    row = base("Müller Webdesign GmbH", "DE", "en")
    row.update(customer_type="company", vat_number="DE136695976", address="Friedrichstraße 44", city="Berlin",
               postcode="10117", province=None)
    rows.append(row)
    return rows


def demo_carts(rng: random.Random, count: int, now: datetime, customer_ids: list[int],
           products: list[dict[str, object]], first_id: int) -> Iterator[tuple[dict, list[dict], list[dict]]]:
    """Yield ``(cart, lines, payments)`` in date order; numbers follow dates."""
    span = timedelta(days=400).total_seconds()
    offsets = sorted(rng.random() * span for _ in range(count))
    for i, off in enumerate(offsets):
        created = (now - timedelta(seconds=span - off) - timedelta(hours=1)).replace(microsecond=0)
        cart_id = first_id + i
        roll = rng.random()
        status = (CartStatus.CONFIRMED if roll < 0.62 else CartStatus.OPEN if roll < 0.75
                  else CartStatus.ABANDONED if roll < 0.9 else CartStatus.PAYMENT_FAILED)
        if status is CartStatus.OPEN and (now - created).days > 30:
            status = CartStatus.ABANDONED
        method = PaymentMethod.CARD if rng.random() < 0.65 else PaymentMethod.BANK_TRANSFER
        if status is CartStatus.PAYMENT_FAILED:
            method = PaymentMethod.CARD
        lines = []
        for pos in range(1, rng.choice((1, 1, 1, 2, 2, 3, 4)) + 1):
            p = rng.choice(products)
            qty = D(rng.choice((1, 1, 1, 2, 3, 5, 10)))
            lines.append({
                "cart_id": cart_id, "position": pos, "product_id": p["id"], "sku": p["sku"], "description": p["name"],
                "quantity": qty, "unit_price": p["unit_price"], "vat_rate": p["vat_rate"],
                "line_total": line_total(qty, p["unit_price"]),  # type: ignore[arg-type]
            })
        totals = vat_summary((ln["line_total"], ln["vat_rate"]) for ln in lines)
        payments: list[dict] = []
        payment_state, order_state, invoice_state, paid_at = PaymentState.UNPAID, OrderState.NONE, InvoiceState.NOT_DUE, None
        if status is CartStatus.PAYMENT_FAILED:
            payment_state = PaymentState.FAILED
            payments.append({"cart_id": cart_id, "method": method, "amount": totals.gross, "state": "failed",
                             "created_at": created + timedelta(minutes=3), "credited_at": None,
                             "reference": f"pi_demo{cart_id:08d}"})
        elif status is CartStatus.CONFIRMED:
            age = now - created
            if method is PaymentMethod.CARD:
                paid_at = created + timedelta(minutes=2)
            elif age > timedelta(days=3) or rng.random() < 0.3:
                paid_at = created + timedelta(days=rng.randrange(1, 4), hours=rng.randrange(9, 17))
                paid_at = min(paid_at, now - timedelta(minutes=5))
            if paid_at is None:
                payment_state, order_state = PaymentState.PENDING, OrderState.DRAFT
                payments.append({"cart_id": cart_id, "method": method, "amount": totals.gross, "state": "pending",
                                 "created_at": created + timedelta(minutes=5), "credited_at": None,
                                 "reference": f"BON-{cart_id:08d}"})
            else:
                payment_state, invoice_state = PaymentState.PAID, InvoiceState.TO_INVOICE
                days = (now - paid_at).days
                order_state = (OrderState.COMPLETED if days > 20 else OrderState.SHIPPED if days > 7
                               else OrderState.IN_PROGRESS if days > 1 else OrderState.DRAFT)
                if rng.random() < 0.03:
                    order_state, invoice_state = OrderState.CANCELLED, InvoiceState.NOT_DUE
                    payment_state = PaymentState.REFUNDED
                payments.append({"cart_id": cart_id, "method": method, "amount": totals.gross, "state": "paid",
                                 "created_at": created + timedelta(minutes=2), "credited_at": paid_at,
                                 "reference": (f"pi_demo{cart_id:08d}" if method is PaymentMethod.CARD else f"BON-{cart_id:08d}")})
        cart = {
            "id": cart_id, "number": FIRST_CART_NUMBER + cart_id - 1, "created_at": created,
            "customer_id": rng.choice(customer_ids), "status": status.value, "payment_method": method.value,
            "payment_state": payment_state.value, "order_state": order_state.value, "invoice_state": invoice_state.value,
            "currency": "EUR", "net": totals.net, "vat": totals.vat, "total": totals.gross, "paid_at": paid_at,
        }
        yield cart, lines, payments
