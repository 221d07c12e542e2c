"""The demo's past, replayed through the real services: invoices, cancellations, credit notes, mail, and the
staff's orders billed in parts, so every screen has something to show."""


import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import partial

from sqlalchemy import select

from billing_tui.domain.carts import (
    InvoiceState,
)
from billing_tui.domain.clock import FixedClock
from billing_tui.domain.orders import add_months, instalment_dates
from billing_tui.services.context import ServiceContext
from billing_tui.storage.shop_models import Cart

#: Demo subscriptions (S000.6): customer (by place in the demo), product, period, days until the next renewal,
#: and whether its automatic renewal was cancelled. Some renew within days, so the renewals can be tried.
SUBSCRIPTIONS: tuple[tuple[int, str, str, int, bool], ...] = (
    (1, "LP-MONTH", "month", 0, False),
    (2, "SMSRX-MONTH", "month", 1, False),
    (3, "LP-YEAR", "year", 2, False),
    (4, "SMSRX-MONTH", "month", 5, False),
    (5, "LP-MONTH", "month", 12, True),
    (6, "LP-YEAR", "year", 200, False),
    (7, "SMSRX-MONTH", "month", 20, False),
    (8, "LP-MONTH", "month", 27, False),
)


def create_subscriptions(ctx: ServiceContext, day: date, customer_ids: list[int]) -> int:
    """Create the demo subscriptions through the subscriptions service, each in its current paid period."""
    from billing_tui.services import subscriptions

    made = 0
    for place, sku, period, renews_in, cancelled in SUBSCRIPTIONS:
        if place > len(customer_ids):
            continue
        renewal = day + timedelta(days=renews_in)
        start = add_months(renewal, -1 if period == "month" else -12)
        sub = subscriptions.create_subscription(ctx, customer_id=customer_ids[place - 1], product_sku=sku,
                                                period=period, start=start)
        if cancelled:
            subscriptions.cancel_renewal(ctx, sub.id)
        made += 1
    return made


# --- the staff's orders, billed in parts (S003) ------------------------------------------------------

@dataclass(frozen=True)
class Step:
    """One thing a person (or the scheduler) did at a moment of the demo's past."""

    at: datetime
    run: Callable[[ServiceContext], object]


#: The staff's orders: what each shows, its customer, when it was created (days before the "as of" day),
#: its lines (SKU, quantity), and what was done to it later: (days before, hour, action, arguments).
STAFF_ORDERS: tuple[tuple[str, str, int, tuple[tuple[str, int], ...], tuple[tuple[int, int, str, dict], ...]], ...] = (
    ("completed: an instalment plan, two instalments issued, two scheduled", "Agenzia Viaggi Ricci S.r.l.", 50,
     (("LP-YEAR", 5), ("SETUP-HOUR", 10), ("SMS-CREDIT-200", 2)),
     ((47, 16, "ship", {}), (45, 10, "instalments", {"count": 4, "every": "month"}))),
    ("completed: a final invoice deducting an advance", "Studio Legale Romano", 46,
     (("SETUP-HOUR", 20), ("LP-YEAR", 1)),
     ((45, 11, "advance", {"percent": "50"}), (31, 15, "ship", {}), (29, 10, "final", {}))),
    ("completed: a final invoice listing a partial one", "Ottica Gialli S.r.l.", 40,
     (("CAL-2027", 200), ("STICKER-10", 100)),
     ((38, 12, "partial", {}), (30, 9, "add_line", {"sku": "LP-YEAR", "quantity": 1}), (27, 17, "ship", {}),
      (25, 11, "final", {}))),
    ("shipped, with an advance", "Giulia Bianchi", 34,
     (("MUG-CER-01", 10), ("BOOK-FATT-01", 3), ("SMSRX-MONTH", 12)),
     ((33, 10, "advance", {"amount": "100.00"}), (8, 15, "ship", {}))),
    ("in planning: a partial invoice, then a line added", "Caffè Verdi S.p.A.", 26,
     (("MUG-CER-01", 60), ("CAL-2027", 120), ("BOOK-FATT-01", 15)),
     ((24, 11, "partial", {}), (9, 15, "add_line", {"sku": "STICKER-10", "quantity": 300}))),
    ("in progress: an advance of 30%", "Comune di Bologna – Ufficio Tributi", 21,
     (("SETUP-HOUR", 12), ("LP-YEAR", 2)),
     ((20, 12, "advance", {"percent": "30"}),)),
    ("cancelled before anything was billed", "Andrei Popescu", 16,
     (("TSHIRT-RO-01", 2),),
     ((15, 9, "cancel", {}),)),
    ("shipped, nothing billed yet", "Ionescu Soft S.R.L.", 13,
     (("TSHIRT-RO-01", 40), ("AGENDA-RO-01", 25)),
     ((6, 16, "ship", {}),)),
    ("draft, with lines", "Rossi Arredamenti S.r.l.", 2,
     (("LP-YEAR", 1), ("SETUP-HOUR", 4), ("MUG-CER-01", 24)),
     ()),
)


class StaffOrders:
    """The steps that create and bill ``STAFF_ORDERS`` through the order services, each at its moment.

    Orders are created in date order (they are numbered after the generated carts); every invoice is
    dated the day it is issued, so with the carts' invoices on the same timeline numbers follow dates.
    An instalment plan's later instalments are issued by the scheduled job on their dates up to ``now``.
    """

    def __init__(self, now: datetime, customer_ids: dict[str, int]) -> None:
        self.numbers: dict[str, int] = {}  # what the order shows -> its number
        self.invoices: list[str] = []
        self.steps: list[Step] = []
        today = now.date()

        def moment(days: int, hour: int, minute: int = 0) -> datetime:
            return datetime.combine(today - timedelta(days=days), time(hour, minute), tzinfo=UTC)

        for key, customer, created, lines, actions in STAFF_ORDERS:
            self.steps.append(Step(moment(created, 9, 30), partial(self._create, key, customer_ids[customer], lines)))
            for days, hour, action, args in actions:
                at = moment(days, hour)
                self.steps.append(Step(at, partial(self._act, key, action, args)))
                if action == "instalments":
                    for due in instalment_dates(at.date(), args["count"], args["every"])[1:]:
                        if due <= today:  # the scheduler's run that morning
                            self.steps.append(Step(datetime.combine(due, time(6, 0), tzinfo=UTC),
                                                    self._scheduled_run))

    def _create(self, key: str, customer_id: int, lines: tuple[tuple[str, int], ...], ctx: ServiceContext) -> None:
        from billing_tui.services import orders

        number = orders.create_order(ctx, customer_id=customer_id).number
        self.numbers[key] = number
        for sku, quantity in lines:
            orders.add_line(ctx, number, sku=sku, quantity=quantity)

    def _act(self, key: str, action: str, args: dict, ctx: ServiceContext) -> None:  # type: ignore[type-arg]
        from billing_tui.services import orders

        number = self.numbers[key]
        today = ctx.clock.now().date()
        if action == "add_line":
            orders.add_line(ctx, number, **args)
        elif action == "ship":
            orders.ship_order(ctx, number)
        elif action == "cancel":
            orders.cancel_order(ctx, number)
        elif action == "partial":
            self.invoices += orders.issue_partial(ctx, number, on=today)
        elif action == "advance":
            self.invoices += orders.issue_advance(ctx, number, on=today, **args)
        elif action == "final":
            self.invoices += orders.issue_final(ctx, number, on=today)
        elif action == "instalments":
            self.invoices += orders.plan_instalments(ctx, number, start=today, mode="schedule", **args)
        else:
            raise ValueError(f"unknown demo order action {action!r}")

    def _scheduled_run(self, ctx: ServiceContext) -> None:
        from billing_tui.services import orders

        self.invoices += orders.issue_due_instalments(ctx).issued


class DeliveredInThePast:
    """The demo's mail history: goes through the real relay and is recorded as delivered, sending nothing.

    One address bounces, so the demo also shows a mail that failed and waits for its retry.
    """

    bouncing = "facturi@librariadumitrusrl.example"

    def send(self, msg) -> str:  # type: ignore[no-untyped-def]
        from billing_tui.integrations.mailer import MailError

        if msg["To"] == self.bouncing:
            raise MailError("550 mailbox unavailable (the demo's bouncing address)")
        return str(msg["Message-ID"])


def replay_history(ctx: ServiceContext, now: datetime, rng: random.Random, staff_steps: list[Step]) -> int:
    """Invoice the carts paid more than three days before ``now`` as the job would have, then some notes;
    the staff's order steps happen in between, each at its moment. The number of invoices issued."""
    from billing_tui.services import invoices, mail

    with ctx.db.read() as session:
        paid = session.execute(
            select(Cart.number, Cart.paid_at).where(Cart.invoice_state == InvoiceState.TO_INVOICE.value,
                                                    Cart.paid_at <= now - timedelta(days=3))
            .order_by(Cart.paid_at, Cart.id)).all()
    mailer = DeliveredInThePast()
    issued: list[tuple[str, datetime]] = []
    plan = sorted(((paid_at if paid_at.tzinfo else paid_at.replace(tzinfo=UTC)) + timedelta(hours=rng.randrange(2, 40)),
                   number) for number, paid_at in paid)

    def invoice_cart(number: int, at: datetime) -> None:
        moment = replace(ctx, clock=FixedClock(at))
        issued.append((invoices.issue_invoice_for_cart(moment, number, on=at.date()).number, at))

    # One timeline, in date order (numbers follow dates); the staff's steps come after the job's at the same moment.
    timeline: list[tuple[datetime, int, int, Callable[[], object]]] = [
        (at, 0, i, lambda number=number, at=at: invoice_cart(number, at)) for i, (at, number) in enumerate(plan)]
    timeline += [(step.at, 1, i, lambda step=step: step.run(replace(ctx, clock=FixedClock(step.at))))
                 for i, step in enumerate(staff_steps)]
    timeline.sort(key=lambda event: event[:3])
    for at, _, _, run in timeline:
        run()
        mail.relay_outbox(replace(ctx, clock=FixedClock(at + timedelta(minutes=1))), mailer=mailer)
    # A few of the last month's invoices were later cancelled or partly credited.
    recent = [n for n, at in issued if at >= now - timedelta(days=30)]
    later = now - timedelta(days=1)
    cancellable = [n for n in recent[:-4] if invoices.get_invoice(ctx, n).can_cancel is None]
    for n in cancellable[-6:-3]:
        invoices.cancel_invoice(replace(ctx, clock=FixedClock(later)), n)
    for n in cancellable[-3:-1]:
        total = invoices.get_invoice(ctx, n).document.total
        invoices.credit_note(replace(ctx, clock=FixedClock(later)), n, (total / 4).quantize(Decimal("0.01")),
                             reason="Sconto concordato / agreed discount")
    mail.relay_outbox(replace(ctx, clock=FixedClock(later + timedelta(minutes=1))), mailer=mailer)
    return len(issued)
