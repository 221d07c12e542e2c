"""Orders and billing them in parts: partial, advance, instalment and final invoices (S003.1–S003.6, S004.11).

An order is a confirmed cart (its number is the order number) or one staff create for a
customer. The package is split by seam: ``views`` (what screens show), ``loading`` (an order and
its :class:`~billing_tui.domain.order_plans.OrderBook` inside a transaction), ``queries`` (reading),
``lines`` (changing an order), ``billing`` (previewing and issuing its invoices) and
``instalments`` (the scheduled job). The arithmetic of every plan is pure, in
``domain.order_plans``. This module is the public surface: import from here.
"""

from __future__ import annotations

from billing_tui.domain.order_plans import ROLES
from billing_tui.domain.orders import OrderRefused
from billing_tui.services.orders.billing import (
    issue_advance,
    issue_final,
    issue_partial,
    preview_advance,
    preview_final,
    preview_instalments,
    preview_partial,
)
from billing_tui.services.orders.billing import plan_order_instalments as plan_instalments
from billing_tui.services.orders.instalments import issue_due_instalments
from billing_tui.services.orders.lines import (
    add_line,
    cancel_order,
    cancellation_refusal,
    create_order,
    remove_line,
    ship_order,
)
from billing_tui.services.orders.queries import ORDER_STATES, PAGE_SIZE, get_order, list_orders
from billing_tui.services.orders.views import (
    BillingPlan,
    InstalmentRunResult,
    InstalmentView,
    OrderDetail,
    OrderInvoiceView,
    OrderLineView,
    OrderPage,
    OrderRow,
    PlannedInvoice,
)

__all__ = [
    "ORDER_STATES",
    "PAGE_SIZE",
    "ROLES",
    "BillingPlan",
    "InstalmentRunResult",
    "InstalmentView",
    "OrderDetail",
    "OrderInvoiceView",
    "OrderLineView",
    "OrderPage",
    "OrderRefused",
    "OrderRow",
    "PlannedInvoice",
    "add_line",
    "cancel_order",
    "cancellation_refusal",
    "create_order",
    "get_order",
    "issue_advance",
    "issue_due_instalments",
    "issue_final",
    "issue_partial",
    "list_orders",
    "plan_instalments",
    "preview_advance",
    "preview_final",
    "preview_instalments",
    "preview_partial",
    "remove_line",
    "ship_order",
]
