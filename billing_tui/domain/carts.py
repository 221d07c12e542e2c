"""Cart and order states as the carts screen shows them (S000.1, S000.3)."""

from __future__ import annotations

from enum import StrEnum

from billing_tui.domain.orders import OrderState  # noqa: F401  (the order behind a confirmed cart)


class CartStatus(StrEnum):
    """Where the customer got to with the cart."""

    OPEN = "open"
    ABANDONED = "abandoned"
    PAYMENT_FAILED = "payment_failed"
    CONFIRMED = "confirmed"

    @property
    def confirmed(self) -> bool:
        return self is CartStatus.CONFIRMED


UNCONFIRMED = (CartStatus.OPEN, CartStatus.ABANDONED, CartStatus.PAYMENT_FAILED)


class PaymentMethod(StrEnum):
    """How the customer pays (S000.2)."""

    CARD = "card"
    BANK_TRANSFER = "bank_transfer"


class PaymentState(StrEnum):
    """Whether the money arrived."""

    UNPAID = "unpaid"
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"


class InvoiceState(StrEnum):
    """Whether the cart's invoice has been issued (S000.3)."""

    NOT_DUE = "not_due"  # nothing to invoice yet: not confirmed or not paid
    TO_INVOICE = "to_invoice"  # paid, waiting for the invoicing run (S000.2: within 72 h)
    IN_PARTS = "in_parts"  # billed in parts: partial, advance or instalment invoices, then a final one (S003)
    ISSUED = "issued"
    CANCELLED = "cancelled"


STATUS_FILTERS = ("all", "confirmed", "unconfirmed", "open", "abandoned", "payment_failed")
SORTS = ("date_desc", "date_asc", "total_desc", "total_asc")


def label(value: str) -> str:
    """A state value as a person reads it: ``payment_failed`` → ``payment failed``."""
    return value.replace("_", " ")


MAX_CART_NUMBER = 2_147_483_647  # the cart number column is a 32-bit integer on PostgreSQL


def parse_cart_number(text: object) -> int | None:
    """A cart number typed by a person ("100042", "#100042"), or None if it cannot be one."""
    raw = str(text).strip().lstrip("#")
    if not raw or not raw.isascii() or not raw.isdigit():
        return None
    number = int(raw)
    return number if 0 < number <= MAX_CART_NUMBER else None
