"""A customer's prepaid credit: bought, consumed and left month by month, its entries, and recording a consumption (S000.8)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Footer, Header, Input, Static
from textual.worker import Worker

from billing_tui.domain.errors import BillingError, ValidationFailed
from billing_tui.screens.base import BillingScreen
from billing_tui.screens.format import day, money, money_text, plain
from billing_tui.services import credit as credit_service
from billing_tui.services.credit import CreditBalance, CreditEntryView
from billing_tui.widgets.form_field import FormField

if TYPE_CHECKING:
    from billing_tui.app import BillingApp

FIELDS = ("date", "quantity", "amount", "description")
POLICY = {"refuse": "refused", "allow": "allowed, flagged overdraft"}


class CreditScreen(BillingScreen):
    """One customer's prepaid credit month by month (oldest first) and its entries (newest first); ``c`` records use."""

    PALETTE_GROUP = "Credit"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="credit.back"),
        Binding("c", "consume", "Record credit used", id="credit.consume",
                tooltip="Record credit consumed: date, quantity, amount (VAT incl.), description"),
        Binding("l", "reload", "Reload", id="credit.reload", tooltip="Read the balance again"),
    ]
    DEFAULT_CSS = """
    CreditScreen #credit-summary { height: auto; padding: 0 1; }
    CreditScreen .credit-section { height: 1; padding: 0 1; text-style: bold; }
    CreditScreen #credit-months { height: auto; max-height: 8; }
    CreditScreen #credit-entries { height: 1fr; }
    """

    def __init__(self, customer_id: int) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.balance: CreditBalance | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(f"Loading the credit of customer {self.customer_id}…", id="credit-summary")
        yield Static("Month by month", classes="credit-section")
        months: DataTable[object] = DataTable(id="credit-months", cursor_type="row", zebra_stripes=True)
        for label, width in (("Month", 7), ("Bought", 12), ("Consumed", 12), ("Left", 12), ("Zero invoice", 12)):
            months.add_column(label, width=width)
        yield months
        yield Static("Entries, newest first", classes="credit-section")
        entries: DataTable[object] = DataTable(id="credit-entries", cursor_type="row", zebra_stripes=True)
        for label, width in (("Date", 10), ("Entry", 9), ("Qty", 6), ("Amount", 11), ("VAT", 4), ("Description", 26)):
            entries.add_column(label, width=width)
        yield entries
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"Credit · customer {self.customer_id}"
        self.query_one("#credit-entries", DataTable).focus()
        self.load()

    @work(thread=True, exclusive=True, group="credit-load", exit_on_error=False, description="Loading credit")
    def load(self) -> None:
        balance = credit_service.balance(self.billing.ctx, self.customer_id)
        self.app.call_from_thread(self._show, balance)

    def _show(self, b: CreditBalance) -> None:
        self.balance = b
        cur = b.currency
        self.title = f"Credit · {b.customer_name}"
        left = money_text(b.left, cur)
        left_markup = f"[b red]{left}[/]" if b.left < 0 else f"[b]{left}[/b]"
        lines = [f"[b]Prepaid credit of {escape(b.customer_name)}[/b] (customer {b.customer_id})",
                 f"Bought {money_text(b.bought, cur)} · consumed {money_text(b.consumed, cur)} · left {left_markup}"
                 f" · below zero: {POLICY.get(b.overdraft_policy, b.overdraft_policy)}"]
        if not b.entries:
            lines.append("[dim]No credit bought or used yet: credit is bought with a cart of a credit product "
                         "(SMS-CREDIT-…).[/dim]")
        self.query_one("#credit-summary", Static).update("\n".join(lines))
        months = self.query_one("#credit-months", DataTable)
        months.clear()
        for m in b.months:
            left_cell = money(m.left, cur)
            if m.left < 0:
                left_cell.stylize("red")
            months.add_row(m.month, money(m.bought, cur), money(m.consumed, cur), left_cell,
                           plain(m.zero_invoice or "-"))
        if b.months:
            months.move_cursor(row=len(b.months) - 1)
        entries = self.query_one("#credit-entries", DataTable)
        entries.clear()
        for e in b.entries:
            entries.add_row(day(e.on_date), _entry_kind(e), Text(f"{e.quantity.normalize():f}", justify="right"),
                            money(e.amount, cur), Text(f"{e.vat_rate.normalize():f}%", justify="right"),
                            plain(_entry_text(e)))

    def action_back(self) -> None:
        self.dismiss(None)

    def action_reload(self) -> None:
        self.load()

    def action_consume(self) -> None:
        self.app.push_screen(ConsumptionDialog(self.customer_id, self.balance), callback=self._recorded)

    def _recorded(self, recorded: CreditEntryView | None) -> None:
        if recorded is None:
            return
        note = " (overdraft: the credit is below zero)" if recorded.overdraft else ""
        self.notify(f"Recorded {money_text(recorded.amount)} of credit used on {day(recorded.on_date)}{note}.",
                    title="Credit", severity="warning" if recorded.overdraft else "information")
        self.load()


def _entry_kind(e: CreditEntryView) -> Text:
    if e.kind == "purchase":
        return Text("bought", style="green")
    return Text("overdraft", style="red") if e.overdraft else Text("used")


def _entry_text(e: CreditEntryView) -> str:
    if e.kind == "purchase" and e.invoice_number:
        return f"{e.invoice_number} · {e.description}"
    return e.description or "-"


class ConsumptionDialog(ModalScreen[CreditEntryView | None]):
    """Record credit used: date, quantity, amount (VAT incl.), description; a refusal keeps the dialog open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "confirm", "Record", id="consume.confirm"),
        Binding("escape", "cancel", "Cancel", id="consume.cancel"),
    ]
    DEFAULT_CSS = """
    ConsumptionDialog { align: center middle; }
    ConsumptionDialog #consume-message { color: $error; height: auto; margin-top: 1; }
    ConsumptionDialog #consume-message.-empty { display: none; }
    ConsumptionDialog #consume-review { color: $text-muted; height: auto; margin-top: 1; }
    ConsumptionDialog #consume-review.-empty { display: none; }
    """

    def __init__(self, customer_id: int, balance: CreditBalance | None = None) -> None:
        super().__init__()
        self.customer_id = customer_id
        self.balance = balance
        self._touched: set[str] = set()

    @property
    def billing(self) -> BillingApp:
        return cast("BillingApp", self.app)

    def compose(self) -> ComposeResult:
        b = self.balance
        who = escape(b.customer_name) if b else f"customer {self.customer_id}"
        about = (f"\nCredit left {money_text(b.left, b.currency)} · below zero: "
                 f"{POLICY.get(b.overdraft_policy, b.overdraft_policy)}") if b else ""
        with Vertical(id="consume-box", classes="dialog"):
            yield Static(f"[b]Record credit used — {who}[/b]{about}", id="consume-title")
            yield FormField("date", "Date", value=self.billing.today().isoformat(), id_prefix="u")
            yield FormField("quantity", "Quantity", value="1", id_prefix="u")
            yield FormField("amount", "Amount (VAT incl.)", value="", id_prefix="u")
            yield FormField("description", "Description", value="", id_prefix="u")
            yield Static("", id="consume-review", classes="-empty")
            yield Static("", id="consume-message", classes="-empty")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Record (Ctrl+S)", variant="warning", id="consume-ok")
                yield Button("Cancel (Esc)", id="consume-no")

    def on_mount(self) -> None:
        self.query_one("#u-amount", Input).focus()

    def _values(self) -> dict[str, str]:
        return {name: self.query_one(f"#u-{name}", Input).value for name in FIELDS}

    def _check(self, *, all_fields: bool = False) -> bool:
        """Show the reason beside each field typed in (every field when confirming); True when all are acceptable."""
        values = self._values()
        row, errors = credit_service.check_consumption(amount=values["amount"], quantity=values["quantity"],
                                                       on=values["date"], description=values["description"],
                                                       today=self.billing.today())
        for name in FIELDS:
            shown = all_fields or name in self._touched
            self.query_one(f"#field-{name}", FormField).set_error(errors.get(name) if shown else None)
        review = ""
        if row is not None and self.balance is not None:
            after = self.balance.left - row.amount
            review = f"Leaves {money_text(after, self.balance.currency)} of credit."
            if after < 0:
                review = (f"This is more than the credit left ({money_text(self.balance.left, self.balance.currency)})"
                          + (": it will be refused." if self.balance.overdraft_policy != "allow"
                             else ": it will be recorded as overdraft."))
        self._review(review)
        return row is not None

    def _review(self, text: str) -> None:
        review = self.query_one("#consume-review", Static)
        review.update(text)
        review.set_class(not text, "-empty")

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("u-")
        if name in FIELDS:
            self._touched.add(name)
        self._message(None)
        self._check()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        name = (event.input.id or "").removeprefix("u-")
        if name == FIELDS[-1]:
            self.action_confirm()
        elif name in FIELDS:
            self.query_one(f"#u-{FIELDS[FIELDS.index(name) + 1]}", Input).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "consume-ok":
            self.action_confirm()
        else:
            self.action_cancel()

    def _message(self, text: str | None) -> None:
        message = self.query_one("#consume-message", Static)
        message.update(escape(text or ""))
        message.set_class(not text, "-empty")

    def action_confirm(self) -> None:
        if not self._check(all_fields=True):
            first = next(name for name in FIELDS if self.query_one(f"#field-{name}", FormField).has_class("-invalid"))
            self.query_one(f"#u-{first}", Input).focus()
            return
        self._record(self._values())

    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, group="consume-write", exit_on_error=False, description="Recording credit used")
    def _record(self, values: dict[str, str]) -> None:
        try:
            entry = credit_service.record_consumption(
                self.billing.ctx, customer_id=self.customer_id, amount=values["amount"], quantity=values["quantity"],
                on=values["date"], description=values["description"])
        except ValidationFailed as exc:
            self.app.call_from_thread(self._refused, exc.errors, exc.message)
            return
        except BillingError as exc:
            self.app.call_from_thread(self._refused, {}, exc.message)
            return
        self.app.call_from_thread(self.dismiss, entry)

    def _refused(self, errors: dict[str, str], message: str) -> None:
        for name in FIELDS:
            if name in errors:
                self.query_one(f"#field-{name}", FormField).set_error(errors[name])
        self._review("")
        self._message(message)
        first = next((name for name in FIELDS if name in errors), "amount")
        self.query_one(f"#u-{first}", Input).focus()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.billing.report_worker_failure(event.worker)
