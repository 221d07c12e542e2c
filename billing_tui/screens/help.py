"""Help: every key of every screen, read from the screens' own bindings so it cannot go stale."""

from __future__ import annotations

import re
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static


def _key_name(key: str) -> str:
    """A binding's key as printed on a keyboard: ``ctrl+s`` → ``Ctrl+S``, ``f2`` → ``F2``."""
    names = {"question_mark": "?", "slash": "/", "escape": "Esc", "enter": "Enter", "tab": "Tab", "pageup": "PgUp",
             "pagedown": "PgDn", "left_square_bracket": "[", "right_square_bracket": "]"}

    def one(k: str) -> str:
        k = k.strip()
        if k in names:
            return names[k]
        if re.fullmatch(r"f\d{1,2}", k):
            return k.upper()
        if "+" in k:
            mod, _, rest = k.partition("+")
            return f"{mod.capitalize()}+{rest.upper()}"
        return k

    return ", ".join(one(k) for k in key.split(","))


def _rows(bindings: list[BindingType]) -> list[tuple[str, str]]:
    rows = []
    for b in bindings:
        if isinstance(b, Binding) and b.description:
            rows.append((_key_name(b.key), b.description))
    return rows


class HelpScreen(ModalScreen[None]):
    """A scrollable list of keys; Escape, F1 or ? closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,question_mark,q", "close", "Close help", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        from billing_tui.screens.audit import AuditScreen
        from billing_tui.screens.cart_detail import CartDetailScreen
        from billing_tui.screens.carts import CartsScreen
        from billing_tui.screens.confirm import ConfirmScreen
        from billing_tui.screens.credit_note import CreditNoteDialog
        from billing_tui.screens.customer_form import CustomerFormScreen
        from billing_tui.screens.customers import CustomersScreen
        from billing_tui.screens.invoice_detail import InvoiceDetailScreen
        from billing_tui.screens.invoices import InvoicesScreen
        from billing_tui.screens.issue_invoice import IssueInvoiceDialog
        from billing_tui.screens.jobs import JobsScreen
        from billing_tui.screens.order_detail import OrderDetailScreen
        from billing_tui.screens.order_line import OrderLineDialog
        from billing_tui.screens.orders import OrdersScreen
        from billing_tui.screens.assistant import AssistantScreen
        from billing_tui.screens.credit import ConsumptionDialog, CreditScreen
        from billing_tui.screens.payment_method import PaymentMethodScreen
        from billing_tui.screens.settings import SettingsScreen
        from billing_tui.screens.subscriptions import SubscriptionDetailScreen, SubscriptionsScreen
        from billing_tui.screens.wizard import WizardScreen

        sections = [
            ("Everywhere", list(type(self.app).BINDINGS) + [Binding("ctrl+p", "command_palette", "Command palette: every screen and action")]),
            ("Carts (F2)", CartsScreen.BINDINGS + [Binding("enter", "", "Open the cart")]),
            ("Cart", CartDetailScreen.BINDINGS),
            ("Customers (F3)", CustomersScreen.BINDINGS + [Binding("enter", "", "Open the billing profile")]),
            ("Billing profile", CustomerFormScreen.BINDINGS + [Binding("tab", "", "Next field (Shift+Tab: previous)")]),
            ("Customer history", AuditScreen.BINDINGS),
            ("Settings (F4)", SettingsScreen.BINDINGS),
            ("Invoices (F5)", InvoicesScreen.BINDINGS + [Binding("enter", "", "Open the document")]),
            ("Invoice", InvoiceDetailScreen.BINDINGS),
            ("Issue-invoice and credit-note dialogs", IssueInvoiceDialog.BINDINGS
             + [b for b in CreditNoteDialog.BINDINGS if isinstance(b, Binding) and b.key == "ctrl+s"]),
            ("Questions (cancel, discard…)", ConfirmScreen.BINDINGS),
            ("Jobs (F6)", JobsScreen.BINDINGS),
            ("Orders (F8)", OrdersScreen.BINDINGS + [Binding("enter", "", "Open the order")]),
            ("Order", OrderDetailScreen.BINDINGS + [Binding("tab", "", "Lines / invoices (Enter: open the invoice)")]),
            ("Add-line dialog", OrderLineDialog.BINDINGS),
            ("Billing wizards (partial, advance, instalments, final)", WizardScreen.BINDINGS),
            ("Assistant (F9)", AssistantScreen.BINDINGS + [Binding("enter", "", "Send; answer yes/sì to confirm")]),
            ("Subscriptions (F10; b on a customer)", SubscriptionsScreen.BINDINGS
             + [Binding("enter", "", "Open the subscription")]),
            ("Subscription", SubscriptionDetailScreen.BINDINGS),
            ("Payment method (k on a customer)", PaymentMethodScreen.BINDINGS),
            ("Prepaid credit (r on a customer)", CreditScreen.BINDINGS),
            ("Credit-used dialog", ConsumptionDialog.BINDINGS),
        ]
        lines = ["[b]billing-tui keys[/b]", ""]
        for title, bindings in sections:
            lines.append(f"[b]{title}[/b]")
            lines += [f"  {key:<14} {text}" for key, text in _rows(bindings)]
            lines.append("")
        with VerticalScroll(id="help-body"):
            yield Static("\n".join(lines), id="help-text", markup=True)

    def on_mount(self) -> None:
        self.query_one("#help-body").focus()

    def action_close(self) -> None:
        self.dismiss(None)
