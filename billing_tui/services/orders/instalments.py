"""Scheduled instalments: issue and email each planned instalment on its date, exactly once (S003.5)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from billing_tui.domain.errors import BillingError
from billing_tui.services.context import ServiceContext
from billing_tui.services.orders.billing import issue_instalment, ready_to_bill
from billing_tui.services.orders.loading import load_order
from billing_tui.services.orders.views import InstalmentRunResult
from billing_tui.storage.shop_models import Cart, OrderInstalment


def issue_due_instalments(ctx: ServiceContext, *, limit: int = 500) -> InstalmentRunResult:
    """The scheduled job: issue and email every planned instalment due today or earlier, once each (S003.5).

    Instalments missed while nothing ran are caught up, oldest first, dated the day they are
    issued (an invoice cannot be dated before the numbers already issued). Each instalment is
    issued in its own transaction: the row's status and its invoice commit together, so running
    again finds nothing more to do.
    """
    today = ctx.clock.now().date()
    with ctx.db.read() as session:
        due = session.execute(select(OrderInstalment.id, Cart.number, OrderInstalment.seq)
                              .join(Cart, col(Cart.id) == col(OrderInstalment.cart_id))
                              .where(col(OrderInstalment.status) == "planned",
                                     col(OrderInstalment.due_date) <= today)
                              .order_by(col(OrderInstalment.due_date), col(Cart.number), col(OrderInstalment.seq))
                              .limit(limit)).all()
    issued: list[str] = []
    refused: list[tuple[int, int, str]] = []
    for row_id, number, seq in due:
        try:
            with ctx.db.write() as session:
                order = load_order(session, number, lock=True)
                row = next((p for p in order.plan if p.id == row_id), None)
                if row is None or row.status != "planned":
                    continue  # issued by another process since the list was read
                if any(p.status == "planned" and p.seq < row.seq for p in order.plan):
                    continue  # an earlier instalment of the order waits: keep the order of the plan
                ready_to_bill(session, order)
                issued.append(issue_instalment(session, ctx, order, row, order.unbilled))
        except BillingError as exc:  # the order's refusals, and the invoice's (company data, number format)
            refused.append((number, seq, exc.message))
        except IntegrityError:
            continue
    return InstalmentRunResult(issued=tuple(issued), refused=tuple(refused))
