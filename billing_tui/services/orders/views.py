"""What the order screens, the assistant and the command line show of orders: plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from billing_tui.domain.order_plans import BillingPlan, PlannedInvoice

__all__ = [
    "BillingPlan",
    "InstalmentRunResult",
    "InstalmentView",
    "OrderDetail",
    "OrderInvoiceView",
    "OrderLineView",
    "OrderPage",
    "OrderRow",
    "PlannedInvoice",
]


@dataclass(frozen=True)
class OrderLineView:
    """A line of an order; ``locked_by`` is the number of the invoice that billed it."""

    position: int
    sku: str
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    line_total: Decimal
    locked_by: str | None
    locked_reason: str | None = None  # why the line cannot be removed (it is billed), or None


@dataclass(frozen=True)
class OrderInvoiceView:
    """An invoice linked to an order."""

    number: str
    role: str  # partial | advance | instalment | final | invoice (the whole cart)
    issue_date: date
    total: Decimal
    status: str
    mail_status: str


@dataclass(frozen=True)
class InstalmentView:
    """One instalment of an order's plan."""

    seq: int
    count: int
    due_date: date
    amount: Decimal
    status: str  # planned | issued
    invoice_number: str | None


@dataclass(frozen=True)
class OrderDetail:
    """Everything the order screen shows."""

    number: int
    customer_id: int
    customer_name: str
    customer_email: str
    state: str
    created_at: datetime
    currency: str
    lines: tuple[OrderLineView, ...]
    net: Decimal
    vat: Decimal
    total: Decimal
    invoiced: Decimal  # gross total of the order's invoices so far
    advanced: Decimal  # gross total of its advance invoices
    left_to_bill: Decimal
    invoices: tuple[OrderInvoiceView, ...]
    plan: tuple[InstalmentView, ...]
    refusals: dict[str, str | None]  # action -> None when possible now, else why not

    def can(self, action: str) -> bool:
        """Whether ``action`` (an ``OrderAction`` value) is possible on the order now."""
        return self.refusals.get(action, "unknown action") is None


@dataclass(frozen=True)
class OrderRow:
    """One row of the orders list."""

    number: int
    created_at: datetime
    customer_name: str
    state: str
    total: Decimal
    left_to_bill: Decimal
    currency: str


@dataclass(frozen=True)
class OrderPage:
    """A page of orders, newest first."""

    rows: tuple[OrderRow, ...]
    offset: int
    limit: int
    has_more: bool


@dataclass(frozen=True)
class InstalmentRunResult:
    """What one run of the scheduled instalments did."""

    issued: tuple[str, ...]
    refused: tuple[tuple[int, int, str], ...]  # (order, instalment, reason) left for a person to fix

    def __str__(self) -> str:
        text = f"issued {len(self.issued)} instalment invoice(s)"
        if self.refused:
            text += f"; {len(self.refused)} waiting: " + "; ".join(
                f"order {o} instalment {s}: {r}" for o, s, r in self.refused[:3])
        return text
