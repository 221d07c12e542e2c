"""The PDF of an invoice, cancellation invoice or credit note, drawn with fpdf2 in the document's language.

``render_invoice_pdf(doc)`` is the API: one ``InvoiceDocument`` in, the PDF bytes out,
byte-identical for the same document (the creation date is the issue date at 00:00 UTC and
the file ID is a hash of the content). Safe to call from worker threads.

The fonts (prepared once per process and shared by every document) are in ``pdf_fonts``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, time
from decimal import Decimal

from fpdf import FPDF
from fpdf.fonts import TTFFont

from billing_tui.domain.documents import DocumentKind, InvoiceDocument, Party
from billing_tui.domain.i18n import LOCALES, format_amount, format_date, t
from billing_tui.integrations.pdf_fonts import (
    FAMILY,
    SHARED_FONTS,
    DocumentFonts,
    ParsedPerDocumentFonts,
    SharedFonts,
)

__all__ = ["DocumentFonts", "ParsedPerDocumentFonts", "SharedFonts", "render_invoice_pdf"]

# --- drawing --------------------------------------------------------------------------------

_MARGIN = 15.0
_BOTTOM = 16.0
_WIDTH = 210.0 - 2 * _MARGIN
_TEXT = (33, 37, 41)
_MUTED = (108, 117, 125)
_RULE = (206, 212, 218)
_SHADE = (236, 239, 242)
_LINE_H = 4.2
_ROW_PAD = 0.6
# Lines table: description, quantity, unit price, VAT %, amount (mm, adding up to _WIDTH).
_COLUMNS = (92.0, 16.0, 28.0, 14.0, 30.0)


def _clean(text: str) -> str:
    """Text as printed: NFC (so accents typed as combining marks print as one letter), tabs as spaces."""
    return unicodedata.normalize("NFC", text).replace("\t", " ").replace("\r", "")


def _number(value: Decimal, language: str) -> str:
    """A quantity or a rate without trailing zeros, in the document's language (3 -> 3, 1.50 -> 1,5)."""
    from babel.numbers import format_decimal

    return format_decimal(value, format="#,##0.######", locale=LOCALES.get(language, "it_IT"))


def _address_lines(party: Party) -> list[str]:
    """The postal address of a party as printed: street, then postcode, city, province and country."""
    place = " ".join(part for part in (party.postcode, party.city) if part)
    if party.province:
        place = f"{place} ({party.province})" if place else party.province
    if party.country:
        place = f"{place} - {party.country}" if place else party.country
    return [line for line in (*party.address.splitlines(), place) if line.strip()]


def _measurer(pdf: FPDF) -> Callable[[str], float]:
    """The width in mm of a string in the current font and size.

    ``FPDF.get_string_width`` parses the string for markdown and font styles first, which
    cost more than drawing it; the font's own widths give the same number.
    """
    font = pdf.current_font
    if not isinstance(font, TTFFont):  # pragma: no cover - the renderer only sets TrueType faces
        return pdf.get_string_width
    size, k = pdf.font_size_pt, pdf.k
    return lambda text: font.get_text_width(text, size, None)[1] / k


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` broken into lines that fit ``width`` (mm, cell margins included) in the current font.

    Breaks at spaces, and inside a word only when the word alone is too wide. fpdf2's
    ``multi_cell`` does the same but measures each line again for every character added,
    which made it most of an invoice's drawing time.
    """
    room = width - 2 * pdf.c_margin
    measure = _measurer(pdf)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        if measure(paragraph) <= room:
            lines.append(paragraph.rstrip())
            continue
        line = ""
        for word in paragraph.split(" "):
            candidate = f"{line} {word}" if line else word
            if measure(candidate) <= room:
                line = candidate
                continue
            if line:
                lines.append(line)
            while measure(word) > room and len(word) > 1:  # a word wider than the column
                cut = len(word) - 1
                while cut > 1 and measure(word[:cut]) > room:
                    cut -= 1
                lines.append(word[:cut])
                word = word[cut:]
            line = word
        lines.append(line)
    return lines


class _InvoicePDF(FPDF):
    """An A4 page with the document's number and the page count in the footer."""

    def __init__(self, footer_left: str, language: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self._footer_left = footer_left
        self._language = language

    def footer(self) -> None:
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*_MUTED)
        _put(self, _MARGIN, self.h - 12, _WIDTH, 4, self._footer_left)
        # a cell, as fpdf2 replaces "{nb}" by the page count only in cells
        self.set_xy(_MARGIN, self.h - 12)
        self.cell(_WIDTH, 4, t("page", self._language, page=self.page_no(), pages="{nb}"), align="R")


def _put(pdf: FPDF, x: float, y: float, width: float, height: float, text: str, align: str = "L") -> None:
    """One line of text in the box (x, y, width, height), vertically centred like ``cell``.

    ``FPDF.text`` instead of ``cell``: ``cell`` does much more than an invoice needs and
    was a third of the drawing time.
    """
    if not text:
        return
    if align == "L":
        left = x + pdf.c_margin
    else:
        measured = _measurer(pdf)(text)
        left = x + width - pdf.c_margin - measured if align == "R" else x + (width - measured) / 2
    pdf.text(left, y + 0.5 * height + 0.3 * pdf.font_size, text)


class _Layout:
    """Draws one document on a fresh ``_InvoicePDF``, top to bottom, breaking pages itself."""

    def __init__(self, doc: InvoiceDocument, fonts: DocumentFonts) -> None:
        self.doc = doc
        self.lang = doc.language
        self.title = t(doc.kind.value, self.lang)
        pdf = _InvoicePDF(f"{self.title} {doc.number}", self.lang)
        pdf.set_creation_date(datetime.combine(doc.issue_date, time(0, 0), tzinfo=UTC))
        pdf.set_title(f"{self.title} {doc.number}")
        pdf.set_author(_clean(doc.seller.name))
        pdf.set_creator("billing-tui")
        pdf.set_lang(self.lang)
        pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
        pdf.set_auto_page_break(False, margin=_BOTTOM)  # every block checks the room it needs
        pdf.c_margin = 1.5  # the space between a box's edge and its text
        fonts.install(pdf)
        self.pdf = pdf
        self.fonts = fonts
        self.y = _MARGIN

    def t(self, key: str, **values: object) -> str:
        return t(key, self.lang, **values)

    def money(self, amount: Decimal) -> str:
        return format_amount(amount, self.doc.currency, self.lang)

    def day(self, value: object) -> str:
        return format_date(value, self.lang)

    def font(self, size: float, bold: bool = False, color: tuple[int, int, int] = _TEXT) -> None:
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def room(self, height: float) -> bool:
        """Start a new page unless ``height`` mm still fit above the bottom margin; True if it did."""
        if self.y + height <= self.pdf.page_break_trigger:
            return False
        self.pdf.add_page()
        self.y = _MARGIN
        return True

    def put(self, x: float, width: float, height: float, text: str, align: str = "L") -> None:
        """One line at the current height."""
        _put(self.pdf, x, self.y, width, height, text, align)

    def text(self, x: float, width: float, height: float, text: str, align: str = "L") -> None:
        """``text`` wrapped to ``width`` at ``x``, one line of ``height`` mm under the other."""
        for line in _wrap(self.pdf, _clean(text), width):
            self.room(height)
            self.put(x, width, height, line, align)
            self.y += height

    def shade(self, x: float, width: float, height: float) -> None:
        self.pdf.set_fill_color(*_SHADE)
        self.pdf.rect(x, self.y, width, height, style="F")

    def label(self, text: str) -> None:
        """A small grey heading above a block."""
        self.font(7.5, bold=True, color=_MUTED)
        self.put(_MARGIN, _WIDTH, 5, text.upper())
        self.y += 5

    # -- sections

    def render(self) -> bytes:
        self.pdf.add_page()
        self.header()
        self.customer()
        self.lines()
        self.summary()
        self.notes()
        return self.fonts.output(self.pdf)

    def header(self) -> None:
        doc, seller = self.doc, self.doc.seller
        top = self.y
        left_w = 110.0
        self.font(12.5, bold=True)
        self.text(_MARGIN, left_w, 5.6, seller.name)
        self.font(8.5)
        details = _address_lines(seller)
        if seller.vat_number:
            details.append(f"{self.t('vat_number')}: {seller.vat_number}")
        if seller.fiscal_code and seller.fiscal_code != seller.vat_number:
            details.append(f"{self.t('fiscal_code')}: {seller.fiscal_code}")
        if doc.payment_method == "bank_transfer" and seller.iban:
            details.append(f"{self.t('iban')}: {seller.iban}")
        for line in details:
            self.text(_MARGIN, left_w, _LINE_H, line)
        left_bottom = self.y

        right_x, right_w = _MARGIN + left_w, _WIDTH - left_w
        self.y = top
        self.font(17, bold=True)
        self.put(right_x, right_w, 8, self.title, "R")
        self.y += 9
        facts = [(self.t("number"), doc.number), (self.t("date"), self.day(doc.issue_date))]
        if doc.due_date is not None:
            facts.append((self.t("due_date"), self.day(doc.due_date)))
        if doc.cart_number is not None:
            facts.append((self.t("order"), str(doc.cart_number)))
        for label, value in facts:
            self.font(8.5, color=_MUTED)
            self.put(right_x, right_w * 0.45, 4.8, label, "R")
            self.font(9, bold=True)
            self.put(right_x + right_w * 0.45, right_w * 0.55, 4.8, _clean(value), "R")
            self.y += 4.8
        self.y = max(left_bottom, self.y) + 5

    def customer(self) -> None:
        c = self.doc.customer
        italian = c.country.strip().upper() == "IT"
        codes: list[tuple[str, str]] = []
        if c.vat_number:
            codes.append((self.t("vat_number"), c.vat_number))
        if c.fiscal_code and c.fiscal_code != c.vat_number:
            codes.append((self.t("fiscal_code"), c.fiscal_code))
        if c.customer_type == "pa" and c.pa_office_code:
            codes.append((self.t("pa_office_code"), c.pa_office_code))
        elif italian and c.sdi_code:
            codes.append((self.t("sdi_code"), c.sdi_code))
        if italian and c.pec:
            codes.append((self.t("pec"), c.pec))

        pad = 2.5
        top = self.y
        left_x, left_w = _MARGIN + pad, _WIDTH / 2 - pad
        self.y += pad
        self.font(7.5, bold=True, color=_MUTED)
        self.text(left_x, left_w, 4, self.t("customer").upper())
        self.font(10.5, bold=True)
        self.text(left_x, left_w, 5, c.name)
        self.font(8.5)
        for line in _address_lines(c):
            self.text(left_x, left_w, _LINE_H, line)
        left_bottom = self.y

        label_x, label_w = _MARGIN + _WIDTH / 2 + pad, 38.0
        value_x, value_w = label_x + label_w, _MARGIN + _WIDTH - pad - label_x - label_w
        self.y = top + pad + 4
        for label, value in codes:
            self.font(8, color=_MUTED)
            self.put(label_x, label_w, _LINE_H + 0.4, label)
            self.font(8.5, bold=True)
            self.text(value_x, value_w, _LINE_H + 0.4, value)
        bottom = max(left_bottom, self.y) + pad
        self.pdf.set_draw_color(*_RULE)
        self.pdf.set_line_width(0.25)
        self.pdf.rect(_MARGIN, top, _WIDTH, bottom - top)
        self.y = bottom + 6

    def table_header(self) -> None:
        labels = (self.t("description"), self.t("quantity"), self.t("unit_price"), self.t("vat_rate"),
                  self.t("amount"))
        self.shade(_MARGIN, _WIDTH, 6)
        self.font(8, bold=True)
        x = _MARGIN
        for index, (label, width) in enumerate(zip(labels, _COLUMNS, strict=True)):
            self.put(x, width, 6, label, "L" if index == 0 else "R")
            x += width
        self.y += 6

    def lines(self) -> None:
        pdf = self.pdf
        desc_w = _COLUMNS[0]
        self.room(6 + _LINE_H + 2 * _ROW_PAD)
        self.table_header()
        pdf.set_draw_color(*_RULE)
        pdf.set_line_width(0.15)
        for line in self.doc.lines:
            self.font(8.5)
            wrapped = _wrap(pdf, _clean(line.description) or "-", desc_w)
            height = len(wrapped) * _LINE_H + 2 * _ROW_PAD
            if self.room(height):
                self.table_header()
                self.font(8.5)
            top = self.y
            for index, text in enumerate(wrapped):
                _put(pdf, _MARGIN, top + _ROW_PAD + index * _LINE_H, desc_w, _LINE_H, text)
            values = (_number(line.quantity, self.lang), self.money(line.unit_price),
                      _number(line.vat_rate, self.lang), self.money(line.line_total))
            x = _MARGIN + desc_w
            for value, width in zip(values, _COLUMNS[1:], strict=True):
                _put(pdf, x, top + _ROW_PAD, width, _LINE_H, value, "R")
                x += width
            self.y = top + height
            pdf.line(_MARGIN, self.y, _MARGIN + _WIDTH, self.y)
        self.y += 5

    def summary(self) -> None:
        """VAT summary and payment terms on the left, totals on the right."""
        doc = self.doc
        row_h = 5.0
        totals = [(self.t("taxable"), doc.net, False), (self.t("vat"), doc.vat, False),
                  (self.t("total"), doc.total, True)]
        if doc.amount_due != doc.total:  # split payment: the VAT is not paid to the seller
            totals.append((self.t("amount_due"), doc.amount_due, True))
        payment = self.payment_lines()
        left_w = 95.0
        self.font(8.5)
        payment_h = sum(len(_wrap(self.pdf, line, left_w)) for line in payment) * _LINE_H
        left_h = 5 + row_h * (len(doc.vat_rows) + 1) + 4 + 5 + payment_h
        right_h = 5 + sum(row_h + 1 if strong else row_h for _, _, strong in totals)
        self.room(max(left_h, right_h))  # the whole block stays on one page
        top = self.y

        # VAT summary per rate
        cols = (22.0, 32.0, 28.0)
        self.label(self.t("vat_summary"))
        self.shade(_MARGIN, sum(cols), row_h)
        self.font(8, bold=True)
        x = _MARGIN
        for label, width in zip((self.t("vat_rate"), self.t("taxable"), self.t("vat")), cols, strict=True):
            self.put(x, width, row_h, label, "R")
            x += width
        self.y += row_h
        self.font(8.5)
        for row in doc.vat_rows:
            x = _MARGIN
            for value, width in zip((_number(row.rate, self.lang), self.money(row.taxable), self.money(row.vat)),
                                    cols, strict=True):
                self.put(x, width, row_h, value, "R")
                x += width
            self.y += row_h

        # payment method and terms
        self.y += 4
        self.label(self.t("payment"))
        self.font(8.5)
        for line in payment:
            self.text(_MARGIN, left_w, _LINE_H, line)
        left_bottom = self.y

        # totals
        box_w = 80.0
        box_x = _MARGIN + _WIDTH - box_w
        self.y = top + 5
        for label, amount, strong in totals:
            height = row_h + 1 if strong else row_h
            if strong:
                self.shade(box_x, box_w, height)
            self.font(9.5 if strong else 8.5, bold=strong)
            self.put(box_x, box_w * 0.55, height, label)
            self.put(box_x + box_w * 0.55, box_w * 0.45, height, self.money(amount), "R")
            self.y += height
        self.y = max(left_bottom, self.y) + 5

    def payment_lines(self) -> list[str]:
        doc = self.doc
        method = self.t(doc.payment_method) if doc.payment_method in ("card", "bank_transfer") else doc.payment_method
        if doc.paid:
            terms = self.t("paid")
        elif doc.due_date is not None:
            terms = f"{self.t('due_date')}: {self.day(doc.due_date)}"
        else:
            terms = ""
        lines = [" - ".join(part for part in (method, terms) if part)]
        if doc.payment_method == "bank_transfer" and doc.seller.iban:
            lines.append(f"{self.t('iban')}: {doc.seller.iban}")
        return lines

    def notes(self) -> None:
        doc = self.doc
        notes: list[str] = []
        if doc.refers_to:
            key = "cancels" if doc.kind is DocumentKind.CANCELLATION else "credits"
            if doc.refers_to_date is not None:
                notes.append(self.t(key, number=doc.refers_to, date=self.day(doc.refers_to_date)))
            else:
                notes.append(self.t(f"{key}_undated", number=doc.refers_to))
        if doc.reason:
            notes.append(f"{self.t('reason')}: {doc.reason}")
        if doc.split_payment:
            notes.append(self.t("split_payment_note"))
        notes.extend(note for note in doc.notes if note.strip())
        if not notes:
            return
        self.room(5 + _LINE_H)
        self.label(self.t("notes"))
        self.font(8.5)
        for note in notes:
            self.text(_MARGIN, _WIDTH, _LINE_H, note)
            self.y += 1


def render_invoice_pdf(doc: InvoiceDocument, *, fonts: DocumentFonts | None = None) -> bytes:
    """The PDF of ``doc``: same document, same bytes.

    ``fonts`` is for the benchmark; by default the faces parsed once per process are used.
    Safe to call from worker threads.
    """
    return _Layout(doc, fonts if fonts is not None else SHARED_FONTS).render()
