"""SQLModel tables of the customer account: subscriptions and their renewals, Stripe links, prepaid credit (S000.6–S000.8)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
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


class StripeCustomer(SQLModel, table=True):
    """The Stripe customer of one of our customers (created at their first card payment or by the demo)."""

    __tablename__ = "stripe_customer"

    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), primary_key=True))
    stripe_id: str = Field(sa_column=Column(String(64), nullable=False, unique=True))
    created_at: datetime = Field(sa_column=timestamp())


class Subscription(SQLModel, table=True):
    """A product renewed every period (S000.6): the paid period runs to ``period_end``; renewal falls on it."""

    __tablename__ = "subscription"
    __table_args__ = (
        Index("ix_subscription_customer", "customer_id", "state"),
        Index("ix_subscription_renewal", "state", "period_end"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), nullable=False))
    product_id: int = Field(sa_column=Column(Integer, ForeignKey("product.id"), nullable=False))
    period: str = Field(sa_column=Column(String(8), nullable=False))  # month | year
    price: Decimal = Field(sa_column=money_column())  # net price of one period
    vat_rate: Decimal = Field(sa_column=Column(Fixed(2, 5), nullable=False))
    currency: str = Field(default="EUR", sa_column=Column(String(3), nullable=False))
    start_date: date = Field(sa_column=Column(Date, nullable=False))
    period_start: date = Field(sa_column=Column(Date, nullable=False))  # the paid period: [start, end)
    period_end: date = Field(sa_column=Column(Date, nullable=False))  # = the next renewal date
    auto_renew: bool = Field(default=True, sa_column=Column(Boolean, nullable=False))
    state: str = Field(sa_column=Column(String(16), nullable=False))  # active | past_due | suspended | cancelled | ended
    created_at: datetime = Field(sa_column=timestamp())
    updated_at: datetime = Field(sa_column=timestamp())
    cancelled_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))
    cancelled_by: str | None = Field(default=None, sa_column=Column(String(100), nullable=True))


class RenewalPeriod(SQLModel, table=True):
    """One period to renew: charged at most once and invoiced at most once (unique per subscription and start)."""

    __tablename__ = "renewal_period"
    __table_args__ = (UniqueConstraint("subscription_id", "period_start", name="uq_renewal_period"),)

    id: int | None = Field(default=None, primary_key=True)
    subscription_id: int = Field(sa_column=Column(Integer, ForeignKey("subscription.id"), nullable=False))
    period_start: date = Field(sa_column=Column(Date, nullable=False))
    period_end: date = Field(sa_column=Column(Date, nullable=False))
    amount: Decimal = Field(sa_column=money_column())  # gross amount charged
    status: str = Field(sa_column=Column(String(16), nullable=False))  # due | charging | paid | invoiced | failed | suspended
    next_attempt_on: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    payment_intent_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    invoice_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("invoice.id"), nullable=True))
    created_at: datetime = Field(sa_column=timestamp())
    updated_at: datetime = Field(sa_column=timestamp())


class ChargeAttempt(SQLModel, table=True):
    """One attempt to charge a renewal: its idempotency key is stored before Stripe is called (exactly once)."""

    __tablename__ = "charge_attempt"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_charge_attempt_key"),
        UniqueConstraint("period_id", "attempt", name="uq_charge_attempt_seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    period_id: int = Field(sa_column=Column(Integer, ForeignKey("renewal_period.id"), nullable=False))
    attempt: int = Field(sa_column=Column(Integer, nullable=False))
    idempotency_key: str = Field(sa_column=Column(String(120), nullable=False))
    status: str = Field(sa_column=Column(String(16), nullable=False))  # started | succeeded | declined | failed | processing
    payment_method: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    payment_intent_id: str | None = Field(default=None, sa_column=Column(String(64), nullable=True))
    amount: Decimal = Field(sa_column=money_column())
    message: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    started_at: datetime = Field(sa_column=timestamp())
    finished_at: datetime | None = Field(default=None, sa_column=timestamp(nullable=True))


class CreditEntry(SQLModel, table=True):
    """Prepaid credit bought (a purchase, whose invoice is the advance) or consumed (S000.8); amounts are gross."""

    __tablename__ = "credit_entry"
    __table_args__ = (
        Index("ix_credit_entry_customer", "customer_id", "on_date"),
        UniqueConstraint("import_key", name="uq_credit_entry_import_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), nullable=False))
    kind: str = Field(sa_column=Column(String(16), nullable=False))  # purchase | consumption
    on_date: date = Field(sa_column=Column(Date, nullable=False))
    quantity: Decimal = Field(sa_column=Column(Fixed(3), nullable=False))
    amount: Decimal = Field(sa_column=money_column())  # gross, always positive; kind says which way it goes
    vat_rate: Decimal = Field(sa_column=Column(Fixed(2, 5), nullable=False))
    description: str = Field(sa_column=Column(String(200), nullable=False))
    overdraft: bool = Field(default=False, sa_column=Column(Boolean, nullable=False))
    cart_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("cart.id"), nullable=True))
    invoice_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("invoice.id"), nullable=True))
    import_key: str | None = Field(default=None, sa_column=Column(String(120), nullable=True))
    created_at: datetime = Field(sa_column=timestamp())
    created_by: str = Field(sa_column=Column(String(100), nullable=False))


class CreditMonthEnd(SQLModel, table=True):
    """The zero invoice of one customer's month of consumed credit: at most one per customer and month."""

    __tablename__ = "credit_month_end"
    __table_args__ = (UniqueConstraint("customer_id", "month", name="uq_credit_month_end"),)

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(sa_column=Column(Integer, ForeignKey("customer.id"), nullable=False))
    month: str = Field(sa_column=Column(String(7), nullable=False))  # YYYY-MM
    invoice_id: int = Field(sa_column=Column(Integer, ForeignKey("invoice.id"), nullable=False))
    created_at: datetime = Field(sa_column=timestamp())
