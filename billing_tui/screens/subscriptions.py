"""Subscriptions (S000.6): overall or one customer's, with state and next renewal; details and cancelling renewal.

The detail screen lives here too: it is this list's Enter, and shares its cancel-renewal question.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.markup import escape
from textual.widgets import DataTable, Footer, Header, Static

from billing_tui.screens.base import BillingScreen
from billing_tui.screens.format import day, moment, money_text, plain
from billing_tui.services import subscriptions as subscription_service
from billing_tui.services.subscriptions import SubscriptionDetail, SubscriptionView

FILTERS = ("all", *subscription_service.STATES)
"""The states ``f`` cycles through."""

STYLE = {
    "active": "green", "past_due": "yellow", "suspended": "bold red", "cancelled": "red", "ended": "dim",
    "due": "yellow", "charging": "yellow", "paid": "green", "invoiced": "green", "failed": "red",
    "succeeded": "green", "declined": "red", "processing": "yellow", "started": "yellow",
}
"""Colours of subscription states, renewal-period states and charge outcomes."""

PER = {"month": "/mo", "year": "/yr"}


def _state(value: str) -> Text:
    return Text(value.replace("_", " "), style=STYLE.get(value, ""), no_wrap=True)


def _renewal(s: SubscriptionView) -> str:
    """The next renewal date; when renewal is cancelled, the day the paid period ends."""
    if s.next_renewal is not None:
        return day(s.next_renewal)
    return f"ends {day(s.period_end)}" if s.state == "active" else "-"


def _can_cancel(s: SubscriptionView) -> bool:
    return s.auto_renew and s.state in ("active", "past_due", "suspended")


def _question(s: SubscriptionView) -> str:
    what = (f"Cancel automatic renewal of subscription {s.id}, {s.product_name}, for {s.customer_name} "
            f"({money_text(s.gross, s.currency)} every {s.period})?")
    if s.state == "active":
        after = (f"It stays active to the end of the paid period, {day(s.period_end)}, and then ends. "
                 "Nothing more is charged.")
    else:
        after = "Its renewal is unpaid: it is cancelled now and no further charge is tried."
    return f"{what}\n\n{after}"


class _CancelsRenewal(BillingScreen):
    """What both subscription screens share: ``c`` asks, then cancels automatic renewal in a worker."""

    def subscription(self) -> SubscriptionView | None:
        """The subscription ``c`` applies to."""
        raise NotImplementedError

    def reload(self) -> None:
        """Show the data again after a change."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_renewal":
            s = self.subscription()
            return s is not None and _can_cancel(s) or None
        return True

    @work(exclusive=True, group="subscription-action")
    async def action_cancel_renewal(self) -> None:
        from billing_tui.screens.confirm import ConfirmScreen

        s = self.subscription()
        if s is None or not _can_cancel(s):
            return
        if await self.app.push_screen_wait(ConfirmScreen(_question(s), yes="Cancel renewal", no="Keep it")):
            self._cancel(s.id)

    @work(thread=True, exclusive=True, group="subscription-write", exit_on_error=False,
          description="Cancelling automatic renewal")
    def _cancel(self, subscription_id: int) -> None:
        detail = subscription_service.cancel_renewal(self.billing.ctx, subscription_id)
        s = detail.subscription
        message = (f"Subscription {s.id} will not renew: it ends on {day(s.period_end)}." if s.state == "active"
                   else f"Subscription {s.id} is cancelled; no further charge is tried.")
        self.app.call_from_thread(self.notify, message, title="Renewal cancelled", timeout=8)
        self.app.call_from_thread(self.reload)


class SubscriptionsScreen(_CancelsRenewal):
    """Every subscription, or one customer's, by next renewal; Enter opens one, ``c`` cancels its renewal."""

    TITLE = "Subscriptions"
    PALETTE_GROUP = "Subscriptions"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="subscriptions.back"),
        Binding("c", "cancel_renewal", "Cancel renewal", id="subscriptions.cancel",
                tooltip="Stop automatic renewal (asks first): it ends at the end of the paid period"),
        Binding("f", "next_filter", "State", id="subscriptions.filter", tooltip="Show only one state; again for the next"),
        Binding("r", "refresh", "Refresh", id="subscriptions.refresh"),
    ]

    def __init__(self, customer_id: int | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.state_filter = "all"
        self.rows: tuple[SubscriptionView, ...] = ()
        self.loaded = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Subscriptions", id="subscriptions-title", classes="form-title")
        table: DataTable[object] = DataTable(id="subscriptions-table", cursor_type="row", zebra_stripes=True)
        table.add_column("ID", key="id", width=3)
        if self.customer_id is None:
            table.add_column("Customer", key="customer", width=14)
        table.add_column("Product", key="product", width=13 if self.customer_id is None else 29)
        table.add_column("Price", key="price", width=12)
        table.add_column("State", key="state", width=9)
        table.add_column("Next renewal", key="renewal", width=15)
        yield table
        yield Static("Loading subscriptions…", id="subscriptions-status", classes="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#subscriptions-table", DataTable).focus()
        self.reload()

    def reload(self) -> None:
        self.load(self.state_filter)

    @work(thread=True, exclusive=True, group="subscriptions-load", exit_on_error=False,
          description="Loading subscriptions")
    def load(self, state: str) -> None:
        ctx = self.billing.ctx
        rows = subscription_service.list_subscriptions(ctx, customer_id=self.customer_id, state=state, cards=False)
        name = None
        if self.customer_id is not None:
            from billing_tui.services.customers import get_customer

            name = rows[0].customer_name if rows else str(get_customer(ctx, self.customer_id).profile["name"])
        self.app.call_from_thread(self._show, state, name, rows)

    def _show(self, state: str, name: str | None, rows: tuple[SubscriptionView, ...]) -> None:
        if state != self.state_filter:
            return
        self.rows, self.loaded = rows, True
        title = (f"[b]{escape(name)}[/b]  customer {self.customer_id} · subscriptions" if name is not None
                 else "[b]All subscriptions[/b]")
        self.query_one("#subscriptions-title", Static).update(title)
        table = self.query_one("#subscriptions-table", DataTable)
        selected = self._selected_id()
        table.clear()
        for s in rows:
            cells: list[object] = [str(s.id)]
            if self.customer_id is None:
                cells.append(plain(s.customer_name))
            cells += [plain(s.product_name), Text(f"{money_text(s.gross, s.currency)}{PER.get(s.period, '')}",
                                                  justify="right"), _state(s.state), _renewal(s)]
            table.add_row(*cells, key=str(s.id))
        ids = [str(s.id) for s in rows]
        if selected in ids:
            table.move_cursor(row=ids.index(selected))
        shown = "" if state == "all" else f" {state.replace('_', ' ')}"
        count = f"{len(rows)}{shown} subscription{'' if len(rows) == 1 else 's'}"
        keys = " · Enter: details · c: cancel renewal" if rows else ""
        self.query_one("#subscriptions-status", Static).update(f"{count}{keys} · f: state ({state.replace('_', ' ')})")
        self.refresh_bindings()

    def _selected_id(self) -> str | None:
        table = self.query_one("#subscriptions-table", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def subscription(self) -> SubscriptionView | None:
        wanted = self._selected_id()
        return next((s for s in self.rows if str(s.id) == wanted), None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_filter":
            return self.loaded or None
        return super().check_action(action, parameters)

    @on(DataTable.RowHighlighted, "#subscriptions-table")
    def _moved(self) -> None:
        self.refresh_bindings()

    @on(DataTable.RowSelected, "#subscriptions-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.app.push_screen(SubscriptionDetailScreen(int(event.row_key.value)), callback=lambda _: self.reload())

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.reload()

    def action_next_filter(self) -> None:
        self.state_filter = FILTERS[(FILTERS.index(self.state_filter) + 1) % len(FILTERS)]
        self.query_one("#subscriptions-status", Static).update(f"Loading {self.state_filter.replace('_', ' ')}…")
        self.reload()


class SubscriptionDetailScreen(_CancelsRenewal):
    """One subscription: its paid period, every renewal period and every charge attempt with its outcome."""

    TITLE = "Subscription"
    PALETTE_GROUP = "Subscription"
    DEFAULT_CSS = """
    SubscriptionDetailScreen #subscription-body { height: 1fr; padding: 0 1; }
    SubscriptionDetailScreen #subscription-summary { height: auto; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="subscription.back"),
        Binding("c", "cancel_renewal", "Cancel renewal", id="subscription.cancel",
                tooltip="Stop automatic renewal (asks first): it ends at the end of the paid period"),
        Binding("r", "refresh", "Refresh", id="subscription.refresh"),
    ]

    def __init__(self, subscription_id: int) -> None:
        super().__init__()
        self.subscription_id = subscription_id
        self.detail: SubscriptionDetail | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="subscription-body"):
            yield Static(f"Loading subscription {self.subscription_id}…", id="subscription-summary")
            yield Static("[b]Renewal periods[/b]", id="subscription-periods-title", classes="section-title")
            periods: DataTable[object] = DataTable(id="subscription-periods", cursor_type="row", zebra_stripes=True)
            for label, width in (("From", 10), ("To", 10), ("Amount", 10), ("State", 9), ("Next try", 10),
                                 ("Invoice", 10)):
                periods.add_column(label, width=width)
            yield periods
            yield Static("[b]Charge attempts[/b]", id="subscription-attempts-title", classes="section-title")
            attempts: DataTable[object] = DataTable(id="subscription-attempts", cursor_type="row", zebra_stripes=True)
            for label, width in (("Period", 10), ("#", 2), ("When (UTC)", 16), ("Outcome", 10), ("Message", 24)):
                attempts.add_column(label, width=width)
            yield attempts
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Subscription {self.subscription_id}"
        for table in self.query(DataTable):  # inline: the app's ``DataTable { height: 1fr }`` beats DEFAULT_CSS
            table.styles.height = "auto"
            table.styles.max_height = 8
        self.query_one("#subscription-periods", DataTable).focus()
        self.reload()

    def reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="subscription-detail", exit_on_error=False,
          description="Loading subscription")
    def load(self) -> None:
        detail = subscription_service.get_subscription(self.billing.ctx, self.subscription_id)
        self.app.call_from_thread(self._show, detail)

    def _show(self, d: SubscriptionDetail) -> None:
        self.detail = d
        s = d.subscription
        card = {True: "yes", False: "[red]none: renewals cannot be charged[/red]",
                None: "unknown (Stripe not connected or not reachable)"}[s.card_on_file]
        retry = next((p.next_attempt_on for p in reversed(d.periods) if p.next_attempt_on is not None), None)
        if s.state == "past_due":
            renewal = f"unpaid since {day(s.period_end)}, next try {day(retry)}"
        elif s.state == "suspended":
            renewal = f"unpaid since {day(s.period_end)}; every retry failed"
        elif s.next_renewal is not None:
            renewal = f"automatic, next on {day(s.next_renewal)}"
        else:
            renewal = f"cancelled, ends {day(s.period_end)}" if s.state == "active" else "none"
        lines = [
            f"[b]{escape(s.product_name)}[/b] ({escape(s.product_sku)}), every {s.period}  "
            f"[{STYLE.get(s.state, '')}]{s.state.replace('_', ' ')}[/]",
            f"[b]Customer:[/b] {escape(s.customer_name)} (id {s.customer_id})  "
            f"[b]Price:[/b] {money_text(s.price, s.currency)} + VAT {s.vat_rate.normalize():f}% = "
            f"{money_text(s.gross, s.currency)}",
            f"[b]Paid period:[/b] {day(s.period_start)} – {day(s.period_end)}  [b]Started[/b] {day(d.start_date)}",
            f"[b]Renewal:[/b] {renewal}  [b]Card on file:[/b] {card}",
        ]
        if d.cancelled_at is not None:
            lines.append(f"Renewal cancelled {moment(d.cancelled_at)} by {escape(d.cancelled_by or '?')}")
        self.query_one("#subscription-summary", Static).update("\n".join(lines))
        periods = self.query_one("#subscription-periods", DataTable)
        periods.clear()
        for p in d.periods:
            periods.add_row(day(p.period_start), day(p.period_end),
                            Text(money_text(p.amount, s.currency), justify="right"), _state(p.status),
                            day(p.next_attempt_on), plain(p.invoice_number or "-"))
        starts = {p.id: p.period_start for p in d.periods}
        attempts = self.query_one("#subscription-attempts", DataTable)
        attempts.clear()
        for a in d.attempts:
            attempts.add_row(day(starts.get(a.period_id)), str(a.attempt), moment(a.started_at).removesuffix(" UTC"),
                             _state(a.status), plain(a.message or ""))
        periods.display, attempts.display = bool(d.periods), bool(d.attempts)
        self.query_one("#subscription-periods-title", Static).update(
            "[b]Renewal periods[/b]" if d.periods else "[b]Renewal periods[/b]  [dim]none renewed yet[/dim]")
        self.query_one("#subscription-attempts-title", Static).update(
            "[b]Charge attempts[/b]" if d.attempts else "[b]Charge attempts[/b]  [dim]none[/dim]")
        self.refresh_bindings()

    def subscription(self) -> SubscriptionView | None:
        return self.detail.subscription if self.detail is not None else None

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.reload()
