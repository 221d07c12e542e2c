"""What the carts list asks for and gets back: plain dataclasses, importable without the database stack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


@dataclass(frozen=True)
class CartQuery:
    """What the carts list shows: a status filter, a search text, a sort and a page."""

    status: str = "all"
    search: str = ""
    sort: str = "date_desc"
    offset: int = 0
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class CartRow:
    """One row of the carts list."""

    number: int
    created_at: datetime
    customer_id: int
    customer_name: str
    total: Decimal
    currency: str
    status: str
    payment_method: str
    payment_state: str
    order_state: str
    invoice_state: str


@dataclass(frozen=True)
class CartPage:
    """A page of carts; ``has_more`` tells whether a next page exists (no full count on a million rows)."""

    rows: tuple[CartRow, ...]
    offset: int
    limit: int
    has_more: bool
