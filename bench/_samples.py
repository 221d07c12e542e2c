"""Realistic sample documents for the benchmarks: Italian and Romanian businesses, accents, 1-6 lines.

``sample_document(i, language)`` is deterministic: the same ``i`` and language give the same
document. Every 9th document is a credit note and every 13th a cancellation invoice (both
refer to an earlier invoice); Italian public administrations pay with split payment.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from billing_tui.domain.documents import DocumentKind, DocumentLine, InvoiceDocument, Party
from billing_tui.domain.money import line_total, vat_summary

D = Decimal

SELLERS = {
    "it": Party(name="Officina Digitale Bolognese S.r.l.", address="Via dell'Indipendenza 44", city="Bologna",
                postcode="40121", province="BO", country="IT", vat_number="IT03847210371",
                fiscal_code="03847210371", email="amministrazione@officinadigitale.it",
                iban="IT60X0542811101000000123456"),
    "ro": Party(name="Soluții Web Brașov S.R.L.", address="Str. Mureșenilor 14, et. 2", city="Brașov",
                postcode="500030", province="BV", country="RO", vat_number="RO18547290",
                email="facturare@solutiiweb.ro", iban="RO49AAAA1B31007593840000"),
}

CUSTOMERS = {
    "it": (
        Party(name="Caffè Niccolò di Lucà & C. s.n.c.", address="Piazza della Libertà 3", city="Forlì",
              postcode="47121", province="FC", country="IT", vat_number="IT02938470401",
              fiscal_code="02938470401", sdi_code="M5UXCR1", email="info@caffeniccolo.it"),
        Party(name="Comune di Città di Castello", address="Piazza Gabriotti 1", city="Città di Castello",
              postcode="06012", province="PG", country="IT", vat_number="IT00372420547",
              fiscal_code="00372420547", customer_type="pa", pa_office_code="UFB7X2", email="protocollo@comune.it"),
        Party(name="Tipografia Perù di Gioè Martìn", address="Corso Vittorio Emanuele II 210", city="Cantù",
              postcode="22063", province="CO", country="IT", vat_number="IT01928374650",
              fiscal_code="GIOMRT80A01C933K", pec="tipografiaperu@pec.it"),
        Party(name="Ludovica Però", address="Via Santa Lucìa 7/B", city="Ragusa", postcode="97100", province="RG",
              country="IT", fiscal_code="PRELDV85M41H163W", customer_type="person", sdi_code="0000000"),
        Party(name="Azienda Sanitaria Locale di Città Sant'Angelo", address="Via Gabriele d'Annunzio 95",
              city="Città Sant'Angelo", postcode="65013", province="PE", country="IT", vat_number="IT01397530682",
              fiscal_code="01397530682", customer_type="pa", pa_office_code="QX7K9P"),
    ),
    "ro": (
        Party(name="Țesătoria Ștefănești S.A.", address="Bd. Independenței 22", city="Ștefănești",
              postcode="117715", province="AG", country="RO", vat_number="RO1234567"),
        Party(name="Brânzeturi Câmpina S.R.L.", address="Str. Nicolae Bălcescu 5", city="Câmpina",
              postcode="105600", province="PH", country="RO", vat_number="RO29384756"),
        Party(name="Ana-Maria Bălășoiu", address="Aleea Trandafirilor 9, bl. C3, ap. 12", city="Iași",
              postcode="700259", province="IS", country="RO", fiscal_code="2850312226789", customer_type="person"),
        Party(name="Cofetăria Dulce Tradiție S.R.L.", address="Calea Moșilor 118", city="București",
              postcode="020873", province="B", country="RO", vat_number="RO40918273"),
    ),
}

PRODUCTS = {
    "it": (
        ("LP-ANN", "Landing Page: rinnovo annuale dell'abbonamento (dominio e certificato inclusi)", "290.00"),
        ("SMS-1K", "Ricezione SMS: pacchetto da 1.000 messaggi", "39.90"),
        ("CONS-H", "Consulenza tecnica per la migrazione del sito di e-commerce", "65.00"),
        ("FOTO", "Servizio fotografico prodotti: più scatti, ritocco e perché no, un video", "180.00"),
        ("HOST-M", "Hosting gestito, canone mensile", "24.50"),
        ("CORSO", "Corso di formazione \"Caffè digitale\" per il personale dell'ufficio", "120.00"),
    ),
    "ro": (
        ("LP-ANN", "Pagină de prezentare: reînnoire anuală a abonamentului", "1450.00"),
        ("SMS-1K", "Recepție SMS: pachet de 1.000 de mesaje", "199.00"),
        ("MENT", "Mentenanță lunară și actualizări de securitate", "350.00"),
        ("GAZD", "Găzduire și întreținere magazin online, trimestrul în curs", "420.00"),
        ("FOTO", "Ședință foto pentru produse, retușare și încărcare pe site", "900.00"),
        ("INST", "Instruire personal: gestionarea comenzilor și a facturilor", "600.00"),
    ),
}

VAT_RATES = {"it": (D("22"), D("22"), D("10"), D("4")), "ro": (D("21"), D("21"), D("11"))}
REASONS = {
    "it": ("Reso parziale della merce", "Sconto concordato dopo la consegna", "Errore nei dati del cliente"),
    "en": ("Partial return of goods", "Discount agreed after delivery", "Wrong customer data"),
    "ro": ("Retur parțial al mărfii", "Reducere acordată după livrare", "Date greșite ale clientului"),
}
NOTES = {
    "it": "Grazie per averci scelto: per qualsiasi chiarimento scriva a amministrazione@officinadigitale.it.",
    "en": "Thank you for your business: for any question write to our accounts team.",
    "ro": "Vă mulțumim! Pentru orice întrebare ne puteți scrie la facturare@solutiiweb.ro.",
}


def sample_document(i: int, language: str) -> InvoiceDocument:
    """Document number ``i`` in ``language`` (it, en or ro); English ones are Romanian sellers to Italians."""
    rng = random.Random(f"{language}:{i}")
    country = "ro" if language in ("ro", "en") else "it"
    seller = SELLERS[country]
    customer_country = "it" if language == "en" else country
    customer = rng.choice(CUSTOMERS[customer_country])
    products = PRODUCTS[country]
    rates = VAT_RATES[country]
    currency = "EUR" if country == "it" else "RON"

    kind = DocumentKind.INVOICE
    if i % 9 == 8:
        kind = DocumentKind.CREDIT_NOTE
    elif i % 13 == 12:
        kind = DocumentKind.CANCELLATION

    lines = []
    for position in range(1, rng.randint(1, 6) + 1):
        sku, description, price = products[rng.randrange(len(products))]
        quantity = D(rng.choice(("1", "1", "2", "3", "0.5", "12")))
        unit_price = D(price)
        if kind is DocumentKind.CREDIT_NOTE:
            unit_price = (unit_price / 4).quantize(D("0.01"))
        lines.append(DocumentLine(position=position, sku=sku, description=description, quantity=quantity,
                                  unit_price=unit_price, vat_rate=rng.choice(rates),
                                  line_total=line_total(quantity, unit_price)))
    totals = vat_summary((line.line_total, line.vat_rate) for line in lines)
    split_payment = customer.customer_type == "pa" and country == "it"
    issue_date = date(2026, 1, 2) + timedelta(days=i % 320)
    bank_transfer = customer.customer_type == "pa" or rng.random() < 0.4
    prefix = "FT2026/" if country == "it" else "SWB "
    invoice_number = f"{prefix}{i + 1:05d}"
    number = {DocumentKind.INVOICE: invoice_number, DocumentKind.CREDIT_NOTE: f"{invoice_number}-1",
              DocumentKind.CANCELLATION: f"{invoice_number}-S1"}[kind]
    refers = kind is not DocumentKind.INVOICE
    return InvoiceDocument(
        kind=kind,
        number=number,
        issue_date=issue_date,
        due_date=issue_date + timedelta(days=30) if bank_transfer else None,
        language=language,
        currency=currency,
        seller=seller,
        customer=customer,
        lines=tuple(lines),
        vat_rows=totals.vat_rows,
        net=totals.net,
        vat=totals.vat,
        total=totals.gross,
        amount_due=totals.net if split_payment else totals.gross,
        payment_method="bank_transfer" if bank_transfer else "card",
        split_payment=split_payment,
        paid=not bank_transfer,
        cart_number=100_001 + i,
        refers_to=invoice_number if refers else None,
        refers_to_date=issue_date - timedelta(days=12) if refers else None,
        reason=rng.choice(REASONS[language]) if refers else "",
        notes=(NOTES[language],) if i % 4 == 0 else (),
    )
