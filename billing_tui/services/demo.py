"""The demo business: Italian and Romanian customers of every type, products, carts in every state,
and (with its history) staff-created orders in every order state, billed in parts.

Deterministic: the same seed and the same "as of" day give the same data. Rows are
inserted in bulk so that ``--carts 1000000`` (the benchmark) takes seconds, not hours.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import func, insert, select, text

from billing_tui.domain.carts import (
    CartStatus,
    InvoiceState,
    OrderState,
    PaymentMethod,
    PaymentState,
)
from billing_tui.domain.clock import FixedClock
from billing_tui.domain.errors import BillingError
from billing_tui.domain.money import line_total, vat_summary
from billing_tui.domain.orders import add_months, instalment_dates
from billing_tui.services.context import ServiceContext
from billing_tui.storage.shop_models import Cart, CartLine, Customer, Payment, Product
from billing_tui.storage.system_models import SellerSettings

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


def _ean13(stem12: str) -> str:
    from stdnum import ean

    return stem12 + ean.calc_check_digit(stem12)


def _slug(name: str) -> str:
    import unicodedata

    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in ascii_name.lower() if c.isalnum())[:20] or "cliente"


def _customers(rng: random.Random, now: datetime) -> list[dict[str, object]]:
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


def _carts(rng: random.Random, count: int, now: datetime, customer_ids: list[int],
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


def is_empty(ctx: ServiceContext) -> bool:
    """True when the database holds no customers and no carts."""
    with ctx.db.read() as session:
        return not session.scalar(select(func.count()).select_from(Customer)) and not session.scalar(
            select(func.count()).select_from(Cart)
        )


def fill_demo(ctx: ServiceContext, *, carts: int = 400, seed: int = 7, as_of: date | None = None,
              progress: object = None, history: bool = False) -> DemoSummary:
    """Fill an empty database with the demo business; refuses a database that already has data.

    With ``history``, the past is replayed through the real services: paid carts get their
    invoices on the day after payment (within 72 hours, S000.2), a few are cancelled or
    credited, and their mail is delivered, so every invoice screen has something to show;
    and staff create orders for customers over the last weeks and bill them in parts, leaving
    one in every order state (see ``STAFF_ORDERS``), so each billing wizard can be tried at once.
    Without it the demo holds exactly ``carts`` carts, as generated.
    """
    if carts < 0 or carts > 5_000_000:
        raise BillingError("--carts must be between 0 and 5000000")
    if not is_empty(ctx):
        raise BillingError(
            f"{ctx.db.label} already has customers or carts; the demo only fills an empty database "
            "(use --db with a new file)"
        )
    day = as_of or ctx.clock.now().date()
    now = datetime.combine(day, time(18, 0), tzinfo=UTC)
    rng = random.Random(seed)
    customer_rows = _customers(rng, now)
    product_rows = [
        {"id": i + 1, "sku": sku, "barcode": _ean13(bar) if bar else None, "name": name,
         "unit_price": D(price), "vat_rate": D(rate), "stock": stock, "is_service": stock is None}
        for i, (sku, bar, name, price, rate, stock) in enumerate(PRODUCTS)
    ]
    n_lines = n_payments = 0
    with ctx.db.write() as session:
        session.merge(SellerSettings(id=1, **SELLER, updated_at=now))
        for i, row in enumerate(customer_rows):
            row["id"] = i + 1
        session.execute(insert(Customer), customer_rows)
        session.execute(insert(Product), product_rows)
        customer_ids = [int(r["id"]) for r in customer_rows]  # type: ignore[call-overload]
        cart_batch: list[dict] = []
        line_batch: list[dict] = []
        pay_batch: list[dict] = []

        # Core inserts: one executemany per table and batch. The ORM's bulk insert starts a
        # new statement wherever a row's non-NULL columns differ from the previous row's
        # (paid_at, credited_at come and go), which made about half the carts and payments
        # a statement each.
        conn = session.connection()

        def flush() -> None:
            if cart_batch:
                conn.execute(insert(Cart.__table__), cart_batch)
            if line_batch:
                conn.execute(insert(CartLine.__table__), line_batch)
            if pay_batch:
                conn.execute(insert(Payment.__table__), pay_batch)
            cart_batch.clear()
            line_batch.clear()
            pay_batch.clear()

        for cart, lines, payments in _carts(rng, carts, now, customer_ids, product_rows, 1):
            cart_batch.append(cart)
            line_batch.extend(lines)
            pay_batch.extend(payments)
            n_lines += len(lines)
            n_payments += len(payments)
            if len(cart_batch) >= BATCH:
                flush()
                if callable(progress):
                    progress(cart["id"], carts)
        flush()
        if ctx.db.backend == "postgresql":
            for table in ("customer", "product", "cart", "cart_line", "payment"):
                session.execute(text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                ))
    n_subscriptions = _subscriptions(replace(ctx, clock=FixedClock(now)), day, customer_ids)
    issued = n_orders = 0
    if history:
        staff = _StaffOrders(now, {str(r["name"]): int(r["id"]) for r in customer_rows})  # type: ignore[call-overload]
        issued = _replay_history(ctx, now, random.Random(seed + 1), staff.steps) + len(staff.invoices)
        n_orders = len(staff.numbers)
    return DemoSummary(customers=len(customer_rows), products=len(product_rows), carts=carts,
                       lines=n_lines, payments=n_payments, seed=seed, as_of=day, invoices=issued, orders=n_orders,
                       subscriptions=n_subscriptions)


#: Demo subscriptions (S000.6): customer (by place in the demo), product, period, days until the next renewal,
#: and whether its automatic renewal was cancelled. Some renew within days, so the renewals can be tried.
SUBSCRIPTIONS: tuple[tuple[int, str, str, int, bool], ...] = (
    (1, "LP-MONTH", "month", 0, False),
    (2, "SMSRX-MONTH", "month", 1, False),
    (3, "LP-YEAR", "year", 2, False),
    (4, "SMSRX-MONTH", "month", 5, False),
    (5, "LP-MONTH", "month", 12, True),
    (6, "LP-YEAR", "year", 200, False),
    (7, "SMSRX-MONTH", "month", 20, False),
    (8, "LP-MONTH", "month", 27, False),
)


def _subscriptions(ctx: ServiceContext, day: date, customer_ids: list[int]) -> int:
    """Create the demo subscriptions through the subscriptions service, each in its current paid period."""
    from billing_tui.services import subscriptions

    made = 0
    for place, sku, period, renews_in, cancelled in SUBSCRIPTIONS:
        if place > len(customer_ids):
            continue
        renewal = day + timedelta(days=renews_in)
        start = add_months(renewal, -1 if period == "month" else -12)
        sub = subscriptions.create_subscription(ctx, customer_id=customer_ids[place - 1], product_sku=sku,
                                                period=period, start=start)
        if cancelled:
            subscriptions.cancel_renewal(ctx, sub.id)
        made += 1
    return made


# --- the staff's orders, billed in parts (S003) ------------------------------------------------------

@dataclass(frozen=True)
class _Step:
    """One thing a person (or the scheduler) did at a moment of the demo's past."""

    at: datetime
    run: Callable[[ServiceContext], object]


#: The staff's orders: what each shows, its customer, when it was created (days before the "as of" day),
#: its lines (SKU, quantity), and what was done to it later: (days before, hour, action, arguments).
STAFF_ORDERS: tuple[tuple[str, str, int, tuple[tuple[str, int], ...], tuple[tuple[int, int, str, dict], ...]], ...] = (
    ("completed: an instalment plan, two instalments issued, two scheduled", "Agenzia Viaggi Ricci S.r.l.", 50,
     (("LP-YEAR", 5), ("SETUP-HOUR", 10), ("SMS-CREDIT-200", 2)),
     ((47, 16, "ship", {}), (45, 10, "instalments", {"count": 4, "every": "month"}))),
    ("completed: a final invoice deducting an advance", "Studio Legale Romano", 46,
     (("SETUP-HOUR", 20), ("LP-YEAR", 1)),
     ((45, 11, "advance", {"percent": "50"}), (31, 15, "ship", {}), (29, 10, "final", {}))),
    ("completed: a final invoice listing a partial one", "Ottica Gialli S.r.l.", 40,
     (("CAL-2027", 200), ("STICKER-10", 100)),
     ((38, 12, "partial", {}), (30, 9, "add_line", {"sku": "LP-YEAR", "quantity": 1}), (27, 17, "ship", {}),
      (25, 11, "final", {}))),
    ("shipped, with an advance", "Giulia Bianchi", 34,
     (("MUG-CER-01", 10), ("BOOK-FATT-01", 3), ("SMSRX-MONTH", 12)),
     ((33, 10, "advance", {"amount": "100.00"}), (8, 15, "ship", {}))),
    ("in planning: a partial invoice, then a line added", "Caffè Verdi S.p.A.", 26,
     (("MUG-CER-01", 60), ("CAL-2027", 120), ("BOOK-FATT-01", 15)),
     ((24, 11, "partial", {}), (9, 15, "add_line", {"sku": "STICKER-10", "quantity": 300}))),
    ("in progress: an advance of 30%", "Comune di Bologna – Ufficio Tributi", 21,
     (("SETUP-HOUR", 12), ("LP-YEAR", 2)),
     ((20, 12, "advance", {"percent": "30"}),)),
    ("cancelled before anything was billed", "Andrei Popescu", 16,
     (("TSHIRT-RO-01", 2),),
     ((15, 9, "cancel", {}),)),
    ("shipped, nothing billed yet", "Ionescu Soft S.R.L.", 13,
     (("TSHIRT-RO-01", 40), ("AGENDA-RO-01", 25)),
     ((6, 16, "ship", {}),)),
    ("draft, with lines", "Rossi Arredamenti S.r.l.", 2,
     (("LP-YEAR", 1), ("SETUP-HOUR", 4), ("MUG-CER-01", 24)),
     ()),
)


class _StaffOrders:
    """The steps that create and bill ``STAFF_ORDERS`` through the order services, each at its moment.

    Orders are created in date order (they are numbered after the generated carts); every invoice is
    dated the day it is issued, so with the carts' invoices on the same timeline numbers follow dates.
    An instalment plan's later instalments are issued by the scheduled job on their dates up to ``now``.
    """

    def __init__(self, now: datetime, customer_ids: dict[str, int]) -> None:
        self.numbers: dict[str, int] = {}  # what the order shows -> its number
        self.invoices: list[str] = []
        self.steps: list[_Step] = []
        today = now.date()

        def moment(days: int, hour: int, minute: int = 0) -> datetime:
            return datetime.combine(today - timedelta(days=days), time(hour, minute), tzinfo=UTC)

        for key, customer, created, lines, actions in STAFF_ORDERS:
            self.steps.append(_Step(moment(created, 9, 30), partial(self._create, key, customer_ids[customer], lines)))
            for days, hour, action, args in actions:
                at = moment(days, hour)
                self.steps.append(_Step(at, partial(self._act, key, action, args)))
                if action == "instalments":
                    for due in instalment_dates(at.date(), args["count"], args["every"])[1:]:
                        if due <= today:  # the scheduler's run that morning
                            self.steps.append(_Step(datetime.combine(due, time(6, 0), tzinfo=UTC),
                                                    self._scheduled_run))

    def _create(self, key: str, customer_id: int, lines: tuple[tuple[str, int], ...], ctx: ServiceContext) -> None:
        from billing_tui.services import orders

        number = orders.create_order(ctx, customer_id=customer_id).number
        self.numbers[key] = number
        for sku, quantity in lines:
            orders.add_line(ctx, number, sku=sku, quantity=quantity)

    def _act(self, key: str, action: str, args: dict, ctx: ServiceContext) -> None:  # type: ignore[type-arg]
        from billing_tui.services import orders

        number = self.numbers[key]
        today = ctx.clock.now().date()
        if action == "add_line":
            orders.add_line(ctx, number, **args)
        elif action == "ship":
            orders.ship_order(ctx, number)
        elif action == "cancel":
            orders.cancel_order(ctx, number)
        elif action == "partial":
            self.invoices += orders.issue_partial(ctx, number, on=today)
        elif action == "advance":
            self.invoices += orders.issue_advance(ctx, number, on=today, **args)
        elif action == "final":
            self.invoices += orders.issue_final(ctx, number, on=today)
        elif action == "instalments":
            self.invoices += orders.plan_instalments(ctx, number, start=today, mode="schedule", **args)
        else:
            raise ValueError(f"unknown demo order action {action!r}")

    def _scheduled_run(self, ctx: ServiceContext) -> None:
        from billing_tui.services import orders

        self.invoices += orders.issue_due_instalments(ctx).issued


class _DeliveredInThePast:
    """The demo's mail history: goes through the real relay and is recorded as delivered, sending nothing.

    One address bounces, so the demo also shows a mail that failed and waits for its retry.
    """

    bouncing = "facturi@librariadumitrusrl.example"

    def send(self, msg) -> str:  # type: ignore[no-untyped-def]
        from billing_tui.integrations.mailer import MailError

        if msg["To"] == self.bouncing:
            raise MailError("550 mailbox unavailable (the demo's bouncing address)")
        return str(msg["Message-ID"])


def _replay_history(ctx: ServiceContext, now: datetime, rng: random.Random, staff_steps: list[_Step]) -> int:
    """Invoice the carts paid more than three days before ``now`` as the job would have, then some notes;
    the staff's order steps happen in between, each at its moment. The number of invoices issued."""
    from billing_tui.domain.clock import FixedClock
    from billing_tui.services import invoices, mail

    with ctx.db.read() as session:
        paid = session.execute(
            select(Cart.number, Cart.paid_at).where(Cart.invoice_state == InvoiceState.TO_INVOICE.value,
                                                    Cart.paid_at <= now - timedelta(days=3))
            .order_by(Cart.paid_at, Cart.id)).all()
    mailer = _DeliveredInThePast()
    issued: list[tuple[str, datetime]] = []
    plan = sorted(((paid_at if paid_at.tzinfo else paid_at.replace(tzinfo=UTC)) + timedelta(hours=rng.randrange(2, 40)),
                   number) for number, paid_at in paid)

    def invoice_cart(number: int, at: datetime) -> None:
        moment = replace(ctx, clock=FixedClock(at))
        issued.append((invoices.issue_invoice_for_cart(moment, number, on=at.date()).number, at))

    # One timeline, in date order (numbers follow dates); the staff's steps come after the job's at the same moment.
    timeline: list[tuple[datetime, int, int, Callable[[], object]]] = [
        (at, 0, i, lambda number=number, at=at: invoice_cart(number, at)) for i, (at, number) in enumerate(plan)]
    timeline += [(step.at, 1, i, lambda step=step: step.run(replace(ctx, clock=FixedClock(step.at))))
                 for i, step in enumerate(staff_steps)]
    timeline.sort(key=lambda event: event[:3])
    for at, _, _, run in timeline:
        run()
        mail.relay_outbox(replace(ctx, clock=FixedClock(at + timedelta(minutes=1))), mailer=mailer)
    # A few of the last month's invoices were later cancelled or partly credited.
    recent = [n for n, at in issued if at >= now - timedelta(days=30)]
    later = now - timedelta(days=1)
    cancellable = [n for n in recent[:-4] if invoices.get_invoice(ctx, n).can_cancel is None]
    for n in cancellable[-6:-3]:
        invoices.cancel_invoice(replace(ctx, clock=FixedClock(later)), n)
    for n in cancellable[-3:-1]:
        total = invoices.get_invoice(ctx, n).document.total
        invoices.credit_note(replace(ctx, clock=FixedClock(later)), n, (total / 4).quantize(Decimal("0.01")),
                             reason="Sconto concordato / agreed discount")
    mail.relay_outbox(replace(ctx, clock=FixedClock(later + timedelta(minutes=1))), mailer=mailer)
    return len(issued)


def subscription_customers(ctx: ServiceContext) -> list[int]:
    """The customers with demo subscriptions (the ones to create on Stripe with test cards)."""
    from billing_tui.services import subscriptions

    return sorted({s.customer_id for s in subscriptions.list_subscriptions(ctx, cards=False)})
