"""SQLModel tables: billing profiles, products, carts with lines, payments, seller settings, audit log."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from billing_tui.storage.types import Fixed


def _utc_column(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    return Column(DateTime(timezone=True), nullable=nullable)


def money_column(nullable: bool = False) -> Column:  # type: ignore[type-arg]
    """A money amount: exact to the cent."""
    return Column(Fixed(2), nullable=nullable)


def utc(dt: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; every timestamp in the product is UTC."""
    if dt is None:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


class Customer(SQLModel, table=True):
    """A customer's billing profile (S000.4, S000.5)."""

    __tablename__ = "customer"

    id: int | None = Field(default=None, primary_key=True)
    customer_type: str = Field(sa_column=Column(String(16), nullable=False))
    name: str = Field(sa_column=Column(String(200), nullable=False, index=True))
    vat_number: str | None = Field(default=None, sa_column=Column(String(30)))
    fiscal_code: str | None = Field(default=None, sa_column=Column(String(20)))
    pa_office_code: str | None = Field(default=None, sa_column=Column(String(6)))
    split_payment: bool = Field(default=False)
    sdi_code: str | None = Field(default=None, sa_column=Column(String(7)))
    pec: str | None = Field(default=None, sa_column=Column(String(254)))
    email: str = Field(sa_column=Column(String(254), nullable=False))
    address: str = Field(sa_column=Column(String(200), nullable=False))
    city: str = Field(sa_column=Column(String(100), nullable=False))
    postcode: str | None = Field(default=None, sa_column=Column(String(20)))
    province: str | None = Field(default=None, sa_column=Column(String(50)))
    country: str = Field(sa_column=Column(String(2), nullable=False))
    language: str = Field(default="it", sa_column=Column(String(2), nullable=False))
    created_at: datetime = Field(sa_column=_utc_column())
    updated_at: datetime = Field(sa_column=_utc_column())


class Product(SQLModel, table=True):
    """Something sold: goods with stock, a service, credit or a subscription."""

    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    barcode: str | None = Field(default=None, sa_column=Column(String(32)))
    name: str = Field(sa_column=Column(String(200), nullable=False))
    unit_price: Decimal = Field(sa_column=money_column())
    vat_rate: Decimal = Field(sa_column=Column(Fixed(2, 5), nullable=False))
    stock: int | None = Field(default=None)
    is_service: bool = Field(default=False)


class Cart(SQLModel, table=True):
    """A cart, confirmed or not (S000.1); the totals are kept from its lines for paging and sorting."""

    __tablename__ = "cart"
    __table_args__ = (
        Index("ix_cart_created", "created_at", "id"),
        Index("ix_cart_total", "total", "id"),
        Index("ix_cart_status_created", "status", "created_at", "id"),
        Index("ix_cart_status_total", "status", "total", "id"),
        Index("ix_cart_customer_created", "customer_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: int = Field(sa_column=Column(Integer, nullable=False, unique=True))
    created_at: datetime = Field(sa_column=_utc_column())
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))
    payment_method: str = Field(sa_column=Column(String(16), nullable=False))
    payment_state: str = Field(sa_column=Column(String(16), nullable=False))
    order_state: str = Field(sa_column=Column(String(16), nullable=False))
    invoice_state: str = Field(sa_column=Column(String(16), nullable=False))
    currency: str = Field(default="EUR", sa_column=Column(String(3), nullable=False))
    net: Decimal = Field(sa_column=money_column())
    vat: Decimal = Field(sa_column=money_column())
    total: Decimal = Field(sa_column=money_column())
    paid_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class CartLine(SQLModel, table=True):
    """One line of a cart: a product, a quantity and the price it was sold at."""

    __tablename__ = "cart_line"
    __table_args__ = (UniqueConstraint("cart_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(sa_column=Column(Integer, ForeignKey("cart.id", ondelete="CASCADE"), nullable=False))
    position: int
    product_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("product.id")))
    sku: str = Field(sa_column=Column(String(64), nullable=False))
    description: str = Field(sa_column=Column(String(200), nullable=False))
    quantity: Decimal = Field(sa_column=Column(Fixed(3), nullable=False))
    unit_price: Decimal = Field(sa_column=money_column())
    vat_rate: Decimal = Field(sa_column=Column(Fixed(2, 5), nullable=False))
    line_total: Decimal = Field(sa_column=money_column())
    invoice_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("invoice.id"), nullable=True))
    """The invoice that billed this line (a partial or final invoice): the line is then locked (S003.1)."""


class Payment(SQLModel, table=True):
    """A payment attempt on a cart (card or bank transfer) and whether the money was credited."""

    __tablename__ = "payment"
    __table_args__ = (Index("ix_payment_cart", "cart_id"),)

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(sa_column=Column(Integer, ForeignKey("cart.id", ondelete="CASCADE"), nullable=False))
    method: str = Field(sa_column=Column(String(16), nullable=False))
    amount: Decimal = Field(sa_column=money_column())
    state: str = Field(sa_column=Column(String(16), nullable=False))
    created_at: datetime = Field(sa_column=_utc_column())
    credited_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))
    reference: str | None = Field(default=None, sa_column=Column(String(100)))


class SellerSettings(SQLModel, table=True):
    """The seller's company data, printed on every document (one row)."""

    __tablename__ = "seller_settings"

    id: int | None = Field(default=1, primary_key=True)
    company_name: str = Field(default="", sa_column=Column(String(200), nullable=False))
    vat_number: str = Field(default="", sa_column=Column(String(30), nullable=False))
    fiscal_code: str = Field(default="", sa_column=Column(String(20), nullable=False))
    address: str = Field(default="", sa_column=Column(String(200), nullable=False))
    city: str = Field(default="", sa_column=Column(String(100), nullable=False))
    postcode: str = Field(default="", sa_column=Column(String(20), nullable=False))
    province: str = Field(default="", sa_column=Column(String(50), nullable=False))
    country: str = Field(default="IT", sa_column=Column(String(2), nullable=False))
    iban: str = Field(default="", sa_column=Column(String(34), nullable=False))
    email: str = Field(default="", sa_column=Column(String(254), nullable=False))
    default_language: str = Field(default="it", sa_column=Column(String(2), nullable=False))
    updated_at: datetime | None = Field(default=None, sa_column=_utc_column(nullable=True))


class AuditEntry(SQLModel, table=True):
    """Who changed what, when: one row per change to customer or settings data."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entity", "entity", "entity_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=_utc_column())
    actor: str = Field(sa_column=Column(String(100), nullable=False))
    entity: str = Field(sa_column=Column(String(32), nullable=False))
    entity_id: int = Field(sa_column=Column(Integer, nullable=False))
    action: str = Field(sa_column=Column(String(32), nullable=False))
    changes: str = Field(sa_column=Column(Text, nullable=False))  # JSON: {field: [old, new]}
