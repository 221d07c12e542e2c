"""Payment method: a customer's saved cards on Stripe; set the default, delete one (S000.7)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.widgets import DataTable, Footer, Header, Static
from textual.worker import Worker, WorkerState

from billing_tui.domain.errors import BillingError
from billing_tui.screens.base import BillingScreen
from billing_tui.services import cards as card_service
from billing_tui.services.cards import CardChange, CardsView, CardView


class PaymentMethodScreen(BillingScreen):
    """One customer's saved cards: brand, last four digits, expiry, which is the default; never a card number."""

    TITLE = "Payment method"
    PALETTE_GROUP = "Payment method"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="cards.back"),
        Binding("d", "set_default", "Set default", id="cards.default",
                tooltip="Renewals charge the selected card from now on"),
        Binding("x", "delete_card", "Delete card", id="cards.delete",
                tooltip="Delete the selected card on Stripe (asks first)"),
        Binding("r", "refresh", "Refresh", id="cards.refresh", tooltip="Read the cards from Stripe again"),
    ]

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.view: CardsView | None = None
        """The cards shown; None while loading or when Stripe is not connected."""
        self.connected: bool | None = None
        """Whether Stripe is configured; None until known."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Customer {self.customer_id}", id="cards-title", classes="form-title")
        yield Static("", id="cards-notice", classes="form-title")
        table: DataTable[object] = DataTable(id="cards-table", cursor_type="row", zebra_stripes=True)
        table.add_column("Card", key="card", width=24)
        table.add_column("Expires", key="expiry", width=8)
        table.add_column("Default", key="default", width=8)
        table.add_column("Note", key="note", width=26)
        yield table
        yield Static("Loading saved cards…", id="cards-status", classes="statusline")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#cards-table", DataTable).focus()
        self.load()

    # --- loading ----------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="cards-load", exit_on_error=False, description="Loading saved cards")
    def load(self) -> None:
        ctx = self.billing.ctx
        problem = card_service.stripe_status(ctx)
        if problem is not None:
            from billing_tui.services.customers import get_customer

            name = str(get_customer(ctx, self.customer_id).profile["name"])
            self.app.call_from_thread(self._not_connected, name, problem)
            return
        view = card_service.list_cards(ctx, self.customer_id)
        self.app.call_from_thread(self._show, view)

    def _title(self, name: str) -> None:
        self.query_one("#cards-title", Static).update(
            f"[b]{escape(name)}[/b]  customer {self.customer_id} · saved cards on Stripe")

    def _not_connected(self, name: str, problem: str) -> None:
        self.connected, self.view = False, None
        self._title(name)
        self.query_one("#cards-notice", Static).update(
            f"[yellow]{escape(problem)}[/]\n\nSaved cards are kept on Stripe: they are shown here once it is connected.")
        self.query_one("#cards-table", DataTable).display = False
        self.query_one("#cards-status", Static).update("r: look again · Esc: back")
        self.refresh_bindings()

    def _show(self, view: CardsView, focus_card: str | None = None) -> None:
        self.connected, self.view = True, view
        self._title(view.customer_name)
        notice = self.query_one("#cards-notice", Static)
        default = view.default
        severity = "red" if default is None or default.expired else "yellow"
        notice.update(f"[{severity}]{escape(view.notice)}[/]" if view.notice else "")
        notice.display = bool(view.notice)
        table = self.query_one("#cards-table", DataTable)
        table.display = True
        selected = focus_card or self._selected_id()
        table.clear()
        for card in view.cards:
            table.add_row(Text(card.label, no_wrap=True), card.expiry,
                          Text("default", style="bold green") if card.is_default else "", _note(card), key=card.id)
        ids = [c.id for c in view.cards]
        if selected in ids:
            table.move_cursor(row=ids.index(selected))
        count = f"{len(view.cards)} saved card{'' if len(view.cards) == 1 else 's'}"
        keys = " · d: set as default · x: delete" if view.cards else ""
        self.query_one("#cards-status", Static).update(f"{count}{keys} · r: refresh")
        self.refresh_bindings()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        super().on_worker_state_changed(event)
        worker = event.worker
        if worker.group == "cards-load" and worker.state is WorkerState.ERROR and self.view is None:
            why = worker.error.message if isinstance(worker.error, BillingError) else "see the message"
            self.query_one("#cards-status", Static).update(
                Text(f"The cards could not be read: {why} · r: try again", no_wrap=True))

    # --- the selected card and what can be done with it ----------------------------------------------

    def _selected_id(self) -> str | None:
        table = self.query_one("#cards-table", DataTable)
        if self.view is None or not self.view.cards or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return str(key) if key is not None else None

    def selected_card(self) -> CardView | None:
        """The card under the cursor."""
        wanted = self._selected_id()
        return next((c for c in self.view.cards if c.id == wanted), None) if self.view else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("set_default", "delete_card"):
            return self.connected is True and self.view is not None and bool(self.view.cards) or None
        return True

    def action_back(self) -> None:
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.query_one("#cards-status", Static).update("Reading the cards from Stripe…")
        self.load()

    def action_set_default(self) -> None:
        card = self.selected_card()
        if card is None:
            return
        if card.is_default:
            self.notify(f"{card.label} is already the default card.", title="Payment method")
            return
        self._set_default(card.id)

    @work(thread=True, exclusive=True, group="cards-write", exit_on_error=False, description="Setting the default card")
    def _set_default(self, card_id: str) -> None:
        change = card_service.set_default_card(self.billing.ctx, self.customer_id, card_id)
        self.app.call_from_thread(self._changed, change, card_id)

    @work(exclusive=True, group="cards-action")
    async def action_delete_card(self) -> None:
        from billing_tui.screens.confirm import ConfirmScreen

        card = self.selected_card()
        if card is None or self.view is None:
            return
        question = (f"Delete the card {card.label} (expires {card.expiry}) of {self.view.customer_name}?\n\n"
                    "It is removed from the customer on Stripe; to use it again the customer must enter it again.")
        if card.is_default:
            question += ("\n\nThis is the default card: renewals cannot be charged until another card is set "
                         "as default.")
        if await self.app.push_screen_wait(ConfirmScreen(question, yes="Delete card", no="Keep it")):
            self._delete(card.id)

    @work(thread=True, exclusive=True, group="cards-write", exit_on_error=False, description="Deleting the card")
    def _delete(self, card_id: str) -> None:
        change = card_service.delete_card(self.billing.ctx, self.customer_id, card_id)
        self.app.call_from_thread(self._changed, change, None)

    def _changed(self, change: CardChange, focus_card: str | None) -> None:
        self.notify(change.message, title="Payment method", timeout=8)
        self._show(change.cards, focus_card)


def _note(card: CardView) -> Text:
    if card.expired:
        return Text("expired", style="bold red")
    if card.expiring:
        return Text("expires soon", style="yellow")
    return Text("")
