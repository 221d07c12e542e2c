"""Billing an order in parts: preview and issue partial, advance, final and instalment invoices (S003.1–S003.6).

Each ``preview_*`` returns the :class:`BillingPlan` the wizard, the assistant and the command line
review; the matching ``issue_*`` works the same plan out again under the order's row lock and
issues it in one write transaction: numbers, invoices, PDFs, queued emails, locked lines and the
order's new state together, or nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from billing_tui.domain.carts import InvoiceState, PaymentState
from billing_tui.domain.documents import DocumentKind
from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.order_plans import (
    BillingPlan,
    PlannedInvoice,
    due_instalment,
    parse_day,
    plan_advance,
    plan_final,
    plan_instalments,
    plan_partial,
)
from billing_tui.domain.orders import OrderAction, OrderRefused
from billing_tui.services import app_settings
from billing_tui.services.context import ServiceContext
from billing_tui.services.documents import (
    InvoiceRefused,
    check_issue_date,
    company_for_documents,
    customer_draft,
    issue_document,
    profile_problem,
)
from billing_tui.services.orders.loading import (
    LoadedOrder,
    load_order,
    move,
    refresh_totals,
    rows_json,
)
from billing_tui.storage.document_models import Invoice
from billing_tui.storage.shop_models import CartLine, OrderInstalment

Build = Callable[[Session, LoadedOrder], BillingPlan]
Apply = Callable[[Session, LoadedOrder, BillingPlan], tuple[str, ...]]


# --- the inputs -------------------------------------------------------------------------------------

def invoice_dates(ctx: ServiceContext, session: Session, on: date | str | None,
                  due: date | str | None) -> tuple[date, date]:
    """The invoice date (default today) and due date (default: the payment terms), checked."""
    today = ctx.clock.now().date()
    day = parse_day(on, "date", today)
    if day > today:
        raise ValidationFailed({"date": f"not after today ({today.isoformat()})"},
                               f"An invoice cannot be dated in the future; use {today.isoformat()} or earlier.")
    try:
        check_issue_date(session, ctx, DocumentKind.INVOICE, day)
    except InvoiceRefused as exc:
        raise ValidationFailed({"date": exc.message}, exc.message) from None
    terms = app_settings.get_int(ctx, "payment_terms_days")
    end = parse_day(due, "due", day + timedelta(days=terms))
    if end < day:
        raise ValidationFailed({"due": "on or after the invoice date"},
                               f"The due date ({end.isoformat()}) is before the invoice date ({day.isoformat()}).")
    if end > day + timedelta(days=366):
        raise ValidationFailed({"due": "within a year of the invoice date"},
                               "The due date is more than a year after the invoice date.")
    return day, end


def _dates_for(ctx: ServiceContext, session: Session, order: LoadedOrder, action: OrderAction,
               on: date | str | None, due: date | str | None) -> tuple[date, date]:
    """The dates of ``action``, once the order allows it (a refusal comes before complaints about dates)."""
    order.book.require(action)
    return invoice_dates(ctx, session, on, due)


def ready_to_bill(session: Session, order: LoadedOrder) -> None:
    """Refuse when the customer's profile or the company data cannot go on an invoice."""
    problem = profile_problem(order.customer)
    if problem:
        raise OrderRefused(f"The billing profile of {order.customer.name} (customer {order.customer.id}) is "
                           f"incomplete: {problem}. Fix it in Customers (F3), then try again.")
    company_for_documents(session)


# --- issuing ------------------------------------------------------------------------------------------

def issue_planned(session: Session, ctx: ServiceContext, order: LoadedOrder, planned: PlannedInvoice) -> Invoice:
    """Issue one planned invoice of the order in the caller's transaction (through the document service)."""
    cart = order.cart
    draft = customer_draft(session, order.customer, on=planned.issue_date, due=planned.due_date,
                           lines=planned.lines, vat_rows=planned.vat_rows, currency=cart.currency,
                           payment_method=cart.payment_method, paid=cart.payment_state == PaymentState.PAID.value,
                           cart=cart, order_role=planned.role, notes=(planned.label, *planned.references))
    inv = issue_document(ctx, draft, session=session)
    order.invoices.append(inv)
    order.vat[inv.id or 0] = planned.vat_rows
    cart.invoice_state = (InvoiceState.ISSUED if planned.role == "final" else InvoiceState.IN_PARTS).value
    session.add(cart)
    order.rebook()
    return inv


def bill_lines(session: Session, order: LoadedOrder, lines: list[CartLine], inv: Invoice) -> None:
    """Lock the lines an invoice billed; a line is billed once (the update only takes unbilled lines)."""
    ids = [ln.id for ln in lines]
    if not ids:
        return
    done = session.execute(update(CartLine).where(col(CartLine.id).in_(ids), col(CartLine.invoice_id).is_(None))
                           .values(invoice_id=inv.id).execution_options(synchronize_session=False))
    if done.rowcount != len(ids):  # type: ignore[attr-defined]
        raise OrderRefused(f"Some lines of order {order.cart.number} were billed by someone else just now; "
                           "open the order again.")
    for ln in lines:
        ln.invoice_id = inv.id
    order.rebook()


def issue_instalment(session: Session, ctx: ServiceContext, order: LoadedOrder, row: OrderInstalment,
                     unbilled: list[CartLine]) -> str:
    """Issue one planned instalment as of today (the last is the final invoice, listing all the others)."""
    today = ctx.clock.now().date()
    check_issue_date(session, ctx, DocumentKind.INVOICE, today)  # dates follow numbers, also "as of" the past
    inv = issue_planned(session, ctx, order, due_instalment(order.book, row.seq, today))
    row.status = "issued"
    row.invoice_id = inv.id
    session.add(row)
    order.rebook()
    if row.seq == row.count:
        bill_lines(session, order, unbilled, inv)
    return inv.number or ""


def _preview(ctx: ServiceContext, number: int | str, build: Build) -> BillingPlan:
    with ctx.db.read() as session:
        order = load_order(session, number)
        plan = build(session, order)
        ready_to_bill(session, order)
        return plan


def _write(ctx: ServiceContext, number: int | str, build: Build, apply: Apply) -> tuple[str, ...]:
    try:
        with ctx.db.write() as session:
            order = load_order(session, number, lock=True)
            plan = build(session, order)
            ready_to_bill(session, order)
            return apply(session, order, plan)
    except IntegrityError:
        raise OrderRefused(f"Order {number} was billed by someone else at the same moment; open it again to see "
                           "its invoices.") from None


def _billing_the_lines(ctx: ServiceContext, action: OrderAction) -> Apply:
    """How a partial or final invoice is stored: it bills (and locks) every line not yet billed."""
    def apply(session: Session, order: LoadedOrder, plan: BillingPlan) -> tuple[str, ...]:
        lines = order.unbilled
        inv = issue_planned(session, ctx, order, plan.invoices[0])
        bill_lines(session, order, lines, inv)
        refresh_totals(order)
        move(session, ctx, order, action, invoice=inv.number)
        return (inv.number or "",)
    return apply


def _partial(ctx: ServiceContext, on: date | str | None, due: date | str | None) -> Build:
    return lambda s, o: plan_partial(o.book, *_dates_for(ctx, s, o, OrderAction.PARTIAL, on, due))


def _final(ctx: ServiceContext, on: date | str | None, due: date | str | None) -> Build:
    return lambda s, o: plan_final(o.book, *_dates_for(ctx, s, o, OrderAction.FINAL, on, due))


def _advance(ctx: ServiceContext, on: date | str | None, due: date | str | None, amount: Decimal | str | None,
             percent: Decimal | str | None) -> Build:
    return lambda s, o: plan_advance(o.book, *_dates_for(ctx, s, o, OrderAction.ADVANCE, on, due), amount, percent)


def _instalments(ctx: ServiceContext, count: int | str, start: date | str | None, every: str, mode: str) -> Build:
    return lambda s, o: plan_instalments(o.book, ctx.clock.now().date(), count, start, every, mode)


def preview_partial(ctx: ServiceContext, number: int | str, *, on: date | str | None = None,
                    due: date | str | None = None) -> BillingPlan:
    """The partial invoice that would bill every line not yet billed (S003.1)."""
    return _preview(ctx, number, _partial(ctx, on, due))


def issue_partial(ctx: ServiceContext, number: int | str, *, on: date | str | None = None,
                  due: date | str | None = None) -> tuple[str, ...]:
    """Issue a partial invoice for every line not yet billed; the lines are locked, the order is in planning."""
    return _write(ctx, number, _partial(ctx, on, due), _billing_the_lines(ctx, OrderAction.PARTIAL))


def preview_advance(ctx: ServiceContext, number: int | str, *, amount: Decimal | str | None = None,
                    percent: Decimal | str | None = None, on: date | str | None = None,
                    due: date | str | None = None) -> BillingPlan:
    """The advance invoice for an amount or a percentage of the order (S003.4)."""
    return _preview(ctx, number, _advance(ctx, on, due, amount, percent))


def issue_advance(ctx: ServiceContext, number: int | str, *, amount: Decimal | str | None = None,
                  percent: Decimal | str | None = None, on: date | str | None = None,
                  due: date | str | None = None) -> tuple[str, ...]:
    """Issue an advance invoice; the order is in progress until its final invoice."""
    def apply(session: Session, order: LoadedOrder, plan: BillingPlan) -> tuple[str, ...]:
        inv = issue_planned(session, ctx, order, plan.invoices[0])
        move(session, ctx, order, OrderAction.ADVANCE, invoice=inv.number)
        return (inv.number or "",)
    return _write(ctx, number, _advance(ctx, on, due, amount, percent), apply)


def preview_final(ctx: ServiceContext, number: int | str, *, on: date | str | None = None,
                  due: date | str | None = None) -> BillingPlan:
    """The final invoice: what is left, listing earlier partials and deducting the advances (S003.2–S003.4)."""
    return _preview(ctx, number, _final(ctx, on, due))


def issue_final(ctx: ServiceContext, number: int | str, *, on: date | str | None = None,
                due: date | str | None = None) -> tuple[str, ...]:
    """Issue the final invoice; the order is completed."""
    return _write(ctx, number, _final(ctx, on, due), _billing_the_lines(ctx, OrderAction.FINAL))


def preview_instalments(ctx: ServiceContext, number: int | str, *, count: int | str, start: date | str | None,
                        every: str, mode: str = "schedule") -> BillingPlan:
    """The instalment invoices of a shipped order: dates and amounts adding up to what is left (S003.5)."""
    return _preview(ctx, number, _instalments(ctx, count, start, every, mode))


def plan_order_instalments(ctx: ServiceContext, number: int | str, *, count: int | str, start: date | str | None,
                           every: str, mode: str = "schedule") -> tuple[str, ...]:
    """Make the instalment plan; the order is completed (S003.5). ``now`` issues every instalment at once;
    ``schedule`` issues those due today and leaves the others to the scheduler. The numbers issued now."""
    today = ctx.clock.now().date()

    def apply(session: Session, order: LoadedOrder, plan: BillingPlan) -> tuple[str, ...]:
        now = ctx.clock.now()
        unbilled = order.unbilled
        for p in plan.invoices:
            row = OrderInstalment(cart_id=order.cart.id or 0, seq=p.seq or 0, count=p.count or 0, every=every,
                                  due_date=p.due_date, amount=p.total, rows=rows_json(p.vat_rows), status="planned",
                                  created_at=now, created_by=ctx.actor)
            session.add(row)
            order.plan.append(row)
        session.flush()
        order.cart.invoice_state = InvoiceState.IN_PARTS.value
        move(session, ctx, order, OrderAction.INSTALMENTS, plan=f"{len(plan.invoices)} x {every} from "
                                                                f"{plan.invoices[0].due_date} ({mode})")
        return tuple(issue_instalment(session, ctx, order, row, unbilled) for row in order.plan
                     if mode == "now" or row.due_date <= today)
    return _write(ctx, number, _instalments(ctx, count, start, every, mode), apply)


__all__ = [
    "bill_lines",
    "ready_to_bill",
    "invoice_dates",
    "issue_instalment",
    "issue_advance",
    "issue_final",
    "issue_partial",
    "issue_planned",
    "plan_order_instalments",
    "preview_advance",
    "preview_final",
    "preview_instalments",
    "preview_partial",
]
