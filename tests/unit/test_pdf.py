"""The invoice PDF (S000.2, S004.12): what a customer reads on it, in their language, the same bytes every time."""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from billing_tui.domain.documents import DocumentKind, DocumentLine, InvoiceDocument, Party
from billing_tui.domain.i18n import format_amount, format_date, t
from billing_tui.domain.money import line_total, vat_summary
from billing_tui.integrations.pdf import ParsedPerDocumentFonts, render_invoice_pdf

D = Decimal
ROOT = Path(__file__).resolve().parents[2]
ITALIAN_ACCENTS = "àèìòù"
ROMANIAN_LETTERS = "ăâîșțȘȚ"

SELLER = Party(name="Officina Digitale S.r.l.", address="Via dell'Indipendenza 44", city="Bologna",
               postcode="40121", province="BO", country="IT", vat_number="IT03847210371",
               fiscal_code="03847210371", iban="IT60X0542811101000000123456")
CUSTOMER = Party(name="Caffè Niccolò di Lucà", address="Piazza della Libertà 3", city="Forlì", postcode="47121",
                 province="FC", country="IT", vat_number="IT02938470401", sdi_code="M5UXCR1")
PA = Party(name="Comune di Città di Castello", address="Piazza Gabriotti 1", city="Città di Castello",
           postcode="06012", province="PG", country="IT", vat_number="IT00372420547", fiscal_code="00372420547",
           customer_type="pa", pa_office_code="UFB7X2")
RO_SELLER = Party(name="Soluții Web Brașov S.R.L.", address="Str. Mureșenilor 14", city="Brașov", postcode="500030",
                  country="RO", vat_number="RO18547290", iban="RO49AAAA1B31007593840000")
RO_CUSTOMER = Party(name="Țesătoria Ștefănești S.A.", address="Bd. Independenței 22", city="Ștefănești",
                    country="RO", vat_number="RO1234567")


def make_document(
    *,
    kind: DocumentKind = DocumentKind.INVOICE,
    number: str = "FT2026/00042",
    language: str = "it",
    seller: Party = SELLER,
    customer: Party = CUSTOMER,
    lines: list[tuple[str, str, str, str]] | None = None,
    split_payment: bool = False,
    payment_method: str = "bank_transfer",
    refers_to: str | None = None,
    refers_to_date: date | None = None,
    reason: str = "",
    notes: tuple[str, ...] = (),
) -> InvoiceDocument:
    """A consistent document: totals, VAT rows and amount due computed as the services do."""
    specs = lines if lines is not None else [
        (f"Consulenza tecnica: caffè, perché, così {ITALIAN_ACCENTS}", "2", "65.00", "22"),
        ("Hosting gestito, canone mensile", "1", "24.50", "22"),
        ("Libri di testo", "3", "12.00", "4"),
    ]
    doc_lines = tuple(
        DocumentLine(position=i, sku=f"SKU{i}", description=desc, quantity=D(qty), unit_price=D(price),
                     vat_rate=D(rate), line_total=line_total(D(qty), D(price)))
        for i, (desc, qty, price, rate) in enumerate(specs, start=1)
    )
    totals = vat_summary((line.line_total, line.vat_rate) for line in doc_lines)
    return InvoiceDocument(
        kind=kind, number=number, issue_date=date(2026, 11, 23), due_date=date(2026, 12, 23), language=language,
        currency="EUR", seller=seller, customer=customer, lines=doc_lines, vat_rows=totals.vat_rows,
        net=totals.net, vat=totals.vat, total=totals.gross,
        amount_due=totals.net if split_payment else totals.gross, payment_method=payment_method,
        split_payment=split_payment, paid=payment_method == "card", cart_number=100_042, refers_to=refers_to,
        refers_to_date=refers_to_date, reason=reason, notes=notes,
    )


def pdf_text(pdf: bytes) -> str:
    """All the text a reader would copy out of the PDF, page after page."""
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def page_count(pdf: bytes) -> int:
    return len(PdfReader(BytesIO(pdf)).pages)


def drawn_glyphs(pdf: bytes) -> list[tuple[str, bool]]:
    """Each character the PDF says it shows (its ToUnicode map), and whether the glyph drawn for it is right.

    Text extraction reads only the ToUnicode map, so it cannot see a wrong glyph: this
    follows each code through the CIDToGIDMap into the embedded font program and checks
    that the glyph there is the one the font's own cmap gives for the character.
    """
    from fontTools.ttLib import TTFont

    checked = []
    for name, ref in PdfReader(BytesIO(pdf)).pages[0]["/Resources"]["/Font"].items():
        composite = ref.get_object()
        cid_font = composite["/DescendantFonts"][0].get_object()
        cid_to_gid = cid_font["/CIDToGIDMap"].get_object().get_data()
        program = TTFont(BytesIO(cid_font["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()))
        cmap = program.getBestCmap()
        to_unicode = composite["/ToUnicode"].get_object().get_data().decode("latin-1")
        for code, text in re.findall(r"<([0-9A-F]{4})> <([0-9A-F]+)>", to_unicode):
            cid, char = int(code, 16), bytes.fromhex(text).decode("utf-16-be")
            if cid == 0:  # .notdef
                continue
            gid = int.from_bytes(cid_to_gid[2 * cid:2 * cid + 2], "big")
            checked.append((f"{name} {char}", ord(char) in cmap and program.getGlyphID(cmap[ord(char)]) == gid))
    return checked


# --- what is printed ---------------------------------------------------------------------------


def test_invoice_shows_number_total_parties_and_accents() -> None:
    doc = make_document(customer=dataclasses.replace(CUSTOMER, name=f"Bottega {ROMANIAN_LETTERS} {ITALIAN_ACCENTS}"))

    text = pdf_text(render_invoice_pdf(doc))

    assert "Fattura" in text
    assert doc.number in text
    assert format_amount(doc.total, "EUR", "it") in text
    assert SELLER.name in text
    assert doc.customer.name in text
    assert f"così {ITALIAN_ACCENTS}" in text  # from a line description
    for letter in ITALIAN_ACCENTS + ROMANIAN_LETTERS + "€":
        assert letter in text


def test_invoice_shows_dates_order_codes_and_payment_terms() -> None:
    doc = make_document()

    text = pdf_text(render_invoice_pdf(doc))

    assert format_date(doc.issue_date, "it") in text
    assert f"Scadenza: {format_date(doc.due_date, 'it')}" in text
    assert "100042" in text  # the cart/order number
    assert "P. IVA: IT03847210371" in text and "IT02938470401" in text
    assert "Codice destinatario M5UXCR1" in text
    assert "Bonifico bancario" in text and "IBAN: IT60X0542811101000000123456" in text
    assert "RIEPILOGO IVA" in text
    for row in doc.vat_rows:
        assert format_amount(row.taxable, "EUR", "it") in text
        assert format_amount(row.vat, "EUR", "it") in text


def test_card_payment_says_paid_and_hides_the_iban() -> None:
    text = pdf_text(render_invoice_pdf(make_document(payment_method="card")))

    assert "Carta di credito - Pagata" in text
    assert "IBAN" not in text


def test_split_payment_prints_the_legal_note_and_an_amount_due_without_vat() -> None:
    doc = make_document(customer=PA, split_payment=True)
    assert doc.amount_due == doc.net != doc.total

    text = pdf_text(render_invoice_pdf(doc))

    assert t("split_payment_note", "it") in text.replace("\n", " ")
    assert f"{t('amount_due', 'it')} {format_amount(doc.net, 'EUR', 'it')}" in text
    assert f"{t('total', 'it')} {format_amount(doc.total, 'EUR', 'it')}" in text
    assert "Codice univoco ufficio UFB7X2" in text  # S000.5


def test_without_split_payment_there_is_no_amount_due_line() -> None:
    text = pdf_text(render_invoice_pdf(make_document()))

    assert t("amount_due", "it") not in text
    assert "17-ter" not in text


def test_cancellation_cancels_the_invoice_it_refers_to() -> None:
    doc = make_document(kind=DocumentKind.CANCELLATION, number="FT2026/00042-S1", language="en",
                        refers_to="FT2026/00042", refers_to_date=date(2026, 11, 2), reason="Wrong customer data")

    text = pdf_text(render_invoice_pdf(doc))

    assert "Cancellation invoice" in text
    assert "Cancels invoice FT2026/00042 of 2026-11-02 in full" in text
    assert "Reason: Wrong customer data" in text


def test_credit_note_in_romanian() -> None:
    doc = make_document(kind=DocumentKind.CREDIT_NOTE, number="SWB 00009-1", language="ro", seller=RO_SELLER,
                        customer=RO_CUSTOMER, refers_to="SWB 00009", refers_to_date=date(2026, 10, 30),
                        lines=[("Mentenanță lunară și actualizări", "1", "87.50", "21")])

    text = pdf_text(render_invoice_pdf(doc))

    assert "Notă de credit" in text
    assert "Notă de credit pentru factura SWB 00009 din 30.10.2026" in text
    assert "Țesătoria Ștefănești S.A." in text and "Mentenanță lunară și actualizări" in text
    assert format_amount(doc.total, "EUR", "ro") in text


@pytest.mark.parametrize(
    ("language", "title", "words"),
    [
        ("it", "Fattura", ("Descrizione", "Totale documento", "Pagina 1 di 1")),
        ("en", "Invoice", ("Description", "Total", "Page 1 of 1")),
        ("ro", "Factură", ("Descriere", "Total", "Pagina 1 din 1")),
    ],
)
def test_titles_and_labels_follow_the_document_language(language: str, title: str, words: tuple[str, ...]) -> None:
    doc = make_document(language=language)

    text = pdf_text(render_invoice_pdf(doc))

    assert title in text
    for word in words:
        assert word in text
    assert format_date(doc.issue_date, language) in text
    assert format_amount(doc.total, "EUR", language) in text


def test_notes_and_characters_outside_the_working_font_still_print() -> None:
    # Greek and Cyrillic are not in the small working font: the full font is embedded instead.
    doc = make_document(customer=dataclasses.replace(CUSTOMER, name="Ελληνικά & Київ Ltd"),
                        notes=("Consegna al piano terra, grazie. → №7",))

    text = pdf_text(render_invoice_pdf(doc))

    assert "Ελληνικά & Київ Ltd" in text
    assert "Consegna al piano terra, grazie. → №7" in text


# --- pages -------------------------------------------------------------------------------------------


def test_twenty_five_lines_fit_on_one_page() -> None:
    lines = [(f"Articolo {i}: ricarica SMS più servizi", "1", "10.00", "22") for i in range(25)]
    doc = make_document(customer=PA, split_payment=True, lines=lines, notes=("Grazie.",))

    assert page_count(render_invoice_pdf(doc)) == 1


def test_eighty_lines_flow_onto_more_pages_with_every_line() -> None:
    lines = [(f"Articolo numero {i:02d} con descrizione così", "1", "10.00", "22") for i in range(80)]
    doc = make_document(lines=lines)

    pdf = render_invoice_pdf(doc)
    text = pdf_text(pdf)

    pages = [page.extract_text() for page in PdfReader(BytesIO(pdf)).pages]
    assert len(pages) > 1
    assert f"Pagina {len(pages)} di {len(pages)}" in text
    pages_with_lines = [page for page in pages if "Articolo numero" in page]
    assert len(pages_with_lines) > 1
    for page in pages_with_lines:  # the table header is repeated on every page the table continues on
        assert "Descrizione Q.tà Prezzo unit. IVA % Importo" in page
    for i in range(80):
        assert f"Articolo numero {i:02d} con descrizione così" in text
    assert format_amount(doc.total, "EUR", "it") in text


def test_a_long_description_wraps_inside_its_column() -> None:
    words = " ".join(f"parola{i}" for i in range(60))
    doc = make_document(lines=[(words, "1", "1.00", "22"), ("Unaparolalunghissimasenzaspazi" * 5, "1", "1.00", "22")])

    text = pdf_text(render_invoice_pdf(doc))

    for i in range(60):
        assert f"parola{i}" in text
    assert page_count(render_invoice_pdf(doc)) == 1


# --- same document, same bytes; documents do not share state ------------------------------------------


def test_same_document_gives_the_same_bytes() -> None:
    doc = make_document(customer=PA, split_payment=True)

    first = render_invoice_pdf(doc)

    assert render_invoice_pdf(doc) == first
    assert b"/CreationDate (D:20261123000000Z" in first  # the issue date at 00:00 UTC, not the clock


def test_a_document_is_unaffected_by_the_documents_rendered_before_it() -> None:
    plain = make_document(customer=dataclasses.replace(CUSTOMER, name="Alpha Beta"),
                          lines=[("Plain text only", "1", "10.00", "22")])
    accented = make_document(language="ro", seller=RO_SELLER, customer=RO_CUSTOMER, number="SWB 00010",
                             lines=[(f"Produse: {ROMANIAN_LETTERS} {ITALIAN_ACCENTS} Ʃ", "2", "5.00", "21")])

    plain_first = render_invoice_pdf(plain)
    accented_text = pdf_text(render_invoice_pdf(accented))  # uses glyphs the first one never did

    assert f"Produse: {ROMANIAN_LETTERS} {ITALIAN_ACCENTS} Ʃ" in accented_text
    assert "Țesătoria Ștefănești S.A." in accented_text
    assert "Alpha Beta" not in accented_text and "Plain text only" not in accented_text
    assert render_invoice_pdf(plain) == plain_first  # nothing carried over from the second document


def test_the_bytes_do_not_depend_on_the_process() -> None:
    code = ("import sys\n"
            "from billing_tui.integrations.pdf import render_invoice_pdf\n"
            "from tests.unit.test_pdf import PA, make_document\n"
            "sys.stdout.buffer.write(render_invoice_pdf(make_document(customer=PA, split_payment=True)))\n")
    env = {**os.environ, "PYTHONHASHSEED": "4242"}

    other = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True, cwd=ROOT, env=env).stdout

    assert other == render_invoice_pdf(make_document(customer=PA, split_payment=True))


def test_rendering_from_threads_gives_the_same_bytes_as_one_by_one() -> None:
    names = [f"Cliente {ROMANIAN_LETTERS}", "Κώστας Παπαδόπουλος", "Олена Коваленко", "Rossi & Figli"]
    docs = [make_document(number=f"FT2026/{i:05d}", language=("it", "en", "ro")[i % 3],
                          customer=dataclasses.replace(CUSTOMER, name=f"{names[i % len(names)]} {i}"))
            for i in range(24)]  # Greek and Cyrillic names take the full-font path
    expected = [render_invoice_pdf(doc) for doc in docs]

    with ThreadPoolExecutor(max_workers=6) as pool:
        rendered = list(pool.map(render_invoice_pdf, docs))

    assert rendered == expected


def test_cached_fonts_print_the_same_text_as_fonts_parsed_per_document() -> None:
    doc = make_document(customer=dataclasses.replace(CUSTOMER, name=f"Bottega {ROMANIAN_LETTERS}"))

    cached = render_invoice_pdf(doc)
    parsed = render_invoice_pdf(doc, fonts=ParsedPerDocumentFonts())

    assert pdf_text(cached) == pdf_text(parsed)


@pytest.mark.parametrize(
    ("customer_name", "fonts"),
    [
        (f"Bottega {ROMANIAN_LETTERS} {ITALIAN_ACCENTS}", None),  # the working fonts, embedded whole
        ("Κώστας Παπαδόπουλος, Олена", None),  # fpdf2's subsets of the full fonts
        (f"Bottega {ROMANIAN_LETTERS} {ITALIAN_ACCENTS}", ParsedPerDocumentFonts()),  # fpdf2 alone
    ],
)
def test_every_character_is_drawn_with_its_own_glyph(customer_name: str, fonts: ParsedPerDocumentFonts | None) -> None:
    doc = make_document(customer=dataclasses.replace(CUSTOMER, name=customer_name))

    glyphs = drawn_glyphs(render_invoice_pdf(doc, fonts=fonts))

    assert len(glyphs) > 60
    assert [char for char, right in glyphs if not right] == []
    drawn = "".join(char[-1] for char, _ in glyphs)
    for letter in customer_name.replace(" ", ""):
        assert letter in drawn


def test_fpdf2_font_attributes_are_the_ones_the_font_cache_was_written_for() -> None:
    """The cache shares every TTFFont attribute except a known per-document list: review it on fpdf2 upgrades."""
    from fpdf.fonts import TTFFont

    from billing_tui.integrations.pdf_fonts import PER_DOCUMENT_ATTRIBUTES

    assert set(TTFFont.__slots__) == {
        "i", "type", "name", "desc", "glyph_ids", "_hbfont", "sp", "ss", "up", "ut", "cw", "ttffile", "fontkey",
        "emphasis", "scale", "subset", "cmap", "ttfont", "missing_glyphs", "biggest_size_pt", "color_font",
        "unicode_range", "palette_index", "is_compressed", "is_cff", "is_cid_keyed", "is_symbol", "cff_ros",
        "collection_font_number",
    }
    assert PER_DOCUMENT_ATTRIBUTES <= set(TTFFont.__slots__)
