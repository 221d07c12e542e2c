"""SQLModel tables of the shop: billing profiles, products, carts (orders) with lines, payments, instalment plans."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from billing_tui.storage.columns import money_column, timestamp
from billing_tui.storage.types import Fixed


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
    created_at: datetime = Field(sa_column=timestamp())
    updated_at: datetime = Field(sa_column=timestamp())


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
    created_at: datetime = Field(sa_column=timestamp())
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
    paid_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))


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
    created_at: datetime = Field(sa_column=timestamp())
    credited_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    reference: str | None = Field(default=None, sa_column=Column(String(100)))


class OrderInstalment(SQLModel, table=True):
    """One instalment of an order's plan (S003.5): its date and amount, then the invoice that billed it."""

    __tablename__ = "order_instalment"
    __table_args__ = (
        UniqueConstraint("cart_id", "seq", name="uq_order_instalment_seq"),
        Index("ix_order_instalment_due", "status", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    cart_id: int = Field(sa_column=Column(Integer, ForeignKey("cart.id"), nullable=False))
    seq: int = Field(sa_column=Column(Integer, nullable=False))
    count: int = Field(sa_column=Column(Integer, nullable=False))
    every: str = Field(sa_column=Column(String(16), nullable=False))
    due_date: date = Field(sa_column=Column(Date, nullable=False))
    amount: Decimal = Field(sa_column=money_column())
    rows: str = Field(sa_column=Column(Text, nullable=False))  # JSON [[rate, taxable, vat], ...]
    status: str = Field(sa_column=Column(String(16), nullable=False))  # planned | issued
    invoice_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("invoice.id"), nullable=True))
    created_at: datetime = Field(sa_column=timestamp())
    created_by: str = Field(sa_column=Column(String(100), nullable=False))
