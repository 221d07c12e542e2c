"""The frozen content of an issued document: what its PDF, its email and its e-invoice are made from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing_tui.domain.money import VatRow


class DocumentKind(StrEnum):
    """What a numbered document is (its number series is the RangeKind of the same name)."""

    INVOICE = "invoice"
    CANCELLATION = "cancellation"
    CREDIT_NOTE = "credit_note"


@dataclass(frozen=True)
class Party:
    """Seller or customer as printed on the document (a snapshot taken when it was issued)."""

    name: str
    address: str = ""
    city: str = ""
    postcode: str = ""
    province: str = ""
    country: str = ""
    vat_number: str = ""
    fiscal_code: str = ""
    email: str = ""
    customer_type: str = "company"
    pa_office_code: str = ""
    sdi_code: str = ""
    pec: str = ""
    iban: str = ""


@dataclass(frozen=True)
class DocumentLine:
    """One line of a document."""

    position: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on an invoice, a cancellation invoice or a credit note."""

    kind: DocumentKind
    number: str
    issue_date: date
    due_date: date | None
    language: str  # it | en | ro
    currency: str
    seller: Party
    customer: Party
    lines: tuple[DocumentLine, ...]
    vat_rows: tuple[VatRow, ...]
    net: Decimal
    vat: Decimal
    total: Decimal
    amount_due: Decimal  # total, less the VAT under split payment
    payment_method: str  # card | bank_transfer
    split_payment: bool = False
    paid: bool = False
    cart_number: int | None = None
    refers_to: str | None = None  # the number of the invoice a cancellation or credit note refers to
    refers_to_date: date | None = None
    reason: str = ""
    notes: tuple[str, ...] = field(default=())
