"""SQLModel tables of issued documents: number ranges, invoices with lines, VAT and PDF, and the mail outbox."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from billing_tui.storage.columns import money_column, timestamp
from billing_tui.storage.types import Fixed


class NumberRange(SQLModel, table=True):
    """One number series: a year and a kind, its format, the last number issued and an optional next number."""

    __tablename__ = "number_range"
    __table_args__ = (UniqueConstraint("year", "kind", name="uq_number_range_year_kind"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(sa_column=Column(Integer, nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    format: str = Field(sa_column=Column(String(64), nullable=False))
    last_number: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    next_number: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    updated_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))


class Invoice(SQLModel, table=True):
    """An issued document: invoice, cancellation invoice or credit note, with snapshots of both parties."""

    __tablename__ = "invoice"
    __table_args__ = (
        UniqueConstraint("number", name="uq_invoice_number"),
        UniqueConstraint("kind", "year", "counter", name="uq_invoice_series_counter"),
        Index(
            "uq_invoice_one_per_cart",
            "cart_id",
            unique=True,
            sqlite_where=text("kind = 'invoice' AND cart_id IS NOT NULL AND order_role IS NULL"),
            postgresql_where=text("kind = 'invoice' AND cart_id IS NOT NULL AND order_role IS NULL"),
        ),
        Index(
            "uq_invoice_one_final_per_order",
            "cart_id",
            unique=True,
            sqlite_where=text("order_role = 'final'"),
            postgresql_where=text("order_role = 'final'"),
        ),
        Index("ix_invoice_order", "cart_id", "order_role"),
        Index("ix_invoice_issue_date", "issue_date", "id"),
        Index("ix_invoice_customer", "customer_id", "issue_date"),
        Index("ix_invoice_related", "related_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    number: str | None = Field(default=None, sa_column=Column(String(20), nullable=True))
    year: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    counter: int | None = Field(default=None, sa_column=Column(Integer, nullable=True))
    issue_date: date = Field(sa_column=Column(Date, nullable=False))
    due_date: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    cart_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("cart.id"), nullable=True))
    order_role: str | None = Field(default=None, sa_column=Column(String(16), nullable=True))
    """How an invoice bills its order in parts: partial | advance | instalment | final; None for a whole cart."""
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), nullable=False))
    related_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("invoice.id"), nullable=True))
    customer_snapshot: str = Field(sa_column=Column(Text, nullable=False))  # JSON of the billing profile
    seller_snapshot: str = Field(sa_column=Column(Text, nullable=False))  # JSON of the seller's data
    language: str = Field(sa_column=Column(String(2), nullable=False))
    currency: str = Field(default="EUR", sa_column=Column(String(3), nullable=False))
    payment_method: str = Field(sa_column=Column(String(16), nullable=False))
    paid: bool = Field(default=False)
    split_payment: bool = Field(default=False)
    net: Decimal = Field(sa_column=money_column())
    vat: Decimal = Field(sa_column=money_column())
    total: Decimal = Field(sa_column=money_column())
    amount_due: Decimal = Field(sa_column=money_column())
    reason: str | None = Field(default=None, sa_column=Column(String(500), nullable=True))
    notes: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # printed notes, one per line
    created_by: str = Field(sa_column=Column(String(100), nullable=False))
    created_at: datetime = Field(sa_column=timestamp())
    issued_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))


class InvoiceLine(SQLModel, table=True):
    """A line of a document, as issued."""

    __tablename__ = "invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position", name="uq_invoice_line_position"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(sa_column=Column(Integer, ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False))
    position: int
    sku: str = Field(sa_column=Column(String(64), nullable=False))
    description: str = Field(sa_column=Column(String(200), nullable=False))
    quantity: Decimal = Field(sa_column=Column(Fixed(3), nullable=False))
    unit_price: Decimal = Field(sa_column=money_column())
    vat_rate: Decimal = Field(sa_column=Column(Fixed(2, 5), nullable=False))
    line_total: Decimal = Field(sa_column=money_column())


class InvoiceVat(SQLModel, table=True):
    """One row of a document's VAT summary."""

    __tablename__ = "invoice_vat"
    __table_args__ = (UniqueConstraint("invoice_id", "rate", name="uq_invoice_vat_rate"),)

    id: int | None = Field(default=None, primary_key=True)
    invoice_id: int = Field(sa_column=Column(Integer, ForeignKey("invoice.id", ondelete="CASCADE"), nullable=False))
    rate: Decimal = Field(sa_column=Column(Fixed(2, 5), nullable=False))
    taxable: Decimal = Field(sa_column=money_column())
    vat: Decimal = Field(sa_column=money_column())


class InvoicePdf(SQLModel, table=True):
    """The PDF made when the document was issued: exported and emailed byte for byte the same."""

    __tablename__ = "invoice_pdf"

    invoice_id: int = Field(sa_column=Column(Integer, ForeignKey("invoice.id", ondelete="CASCADE"), primary_key=True))
    content: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    sha256: str = Field(sa_column=Column(String(64), nullable=False))


class OutboxMessage(SQLModel, table=True):
    """A side effect to perform after the transaction that decided it (an email, later a charge or a push)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("key", name="uq_outbox_key"),
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_invoice", "invoice_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String(120), nullable=False))  # idempotency key
    channel: str = Field(sa_column=Column(String(16), nullable=False))  # email
    status: str = Field(sa_column=Column(String(16), nullable=False))  # queued | sent | failed
    invoice_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("invoice.id"), nullable=True))
    recipient: str = Field(sa_column=Column(String(254), nullable=False))
    subject: str = Field(sa_column=Column(String(300), nullable=False))
    body: str = Field(sa_column=Column(Text, nullable=False))
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(sa_column=timestamp())
    sent_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    message_id: str | None = Field(default=None, sa_column=Column(String(200), nullable=True))
