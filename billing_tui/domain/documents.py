"""The frozen content of an issued document: what its PDF, its email and its e-invoice are made from."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from billing_tui.domain.money import ZERO, VatRow


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


@dataclass(frozen=True)
class Reference:
    """The earlier document a cancellation or credit note corrects."""

    id: int
    number: str
    issue_date: date
    counter: int | None = None


@dataclass(frozen=True)
class DocumentDraft:
    """A document ready to be issued, every kind alike: all it prints and stores, except its number.

    ``services.documents.issue_document`` numbers it, stores it, renders its PDF and queues its
    email in the caller's transaction. ``order_role`` says how an invoice bills an order in parts
    (partial | advance | instalment | final); ``refers_to`` is the invoice a cancellation or a
    credit note corrects.
    """

    kind: DocumentKind
    issue_date: date
    due_date: date | None
    customer_id: int
    customer: Party
    seller: Party
    language: str
    currency: str
    payment_method: str
    paid: bool
    split_payment: bool
    lines: tuple[DocumentLine, ...]
    vat_rows: tuple[VatRow, ...]
    cart_id: int | None = None
    cart_number: int | None = None
    refers_to: Reference | None = None
    order_role: str | None = None
    notes: tuple[str, ...] = ()
    reason: str = ""

    @property
    def net(self) -> Decimal:
        return sum((r.taxable for r in self.vat_rows), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((r.vat for r in self.vat_rows), ZERO)

    @property
    def total(self) -> Decimal:
        return self.net + self.vat

    @property
    def amount_due(self) -> Decimal:
        """What the customer pays: the total, less the VAT under split payment."""
        return self.net if self.split_payment else self.total

    def as_document(self, number: str) -> InvoiceDocument:
        """The document as printed once it has its number."""
        return InvoiceDocument(
            kind=self.kind, number=number, issue_date=self.issue_date, due_date=self.due_date,
            language=self.language, currency=self.currency, seller=self.seller, customer=self.customer,
            lines=self.lines, vat_rows=tuple(sorted(self.vat_rows, key=lambda r: r.rate, reverse=True)),
            net=self.net, vat=self.vat, total=self.total, amount_due=self.amount_due,
            payment_method=self.payment_method, split_payment=self.split_payment, paid=self.paid,
            cart_number=self.cart_number, refers_to=self.refers_to.number if self.refers_to else None,
            refers_to_date=self.refers_to.issue_date if self.refers_to else None, reason=self.reason,
            notes=self.notes)
