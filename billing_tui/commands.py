"""The command palette (Ctrl+P): every screen, and every action of the screen you are on."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

SCREENS = (
    ("Go to Carts", "Every cart, confirmed or not (F2)", "go('carts')"),
    ("Go to Customers", "Billing profiles (F3)", "go('customers')"),
    ("Go to Settings", "Company data and number ranges (F4)", "go('settings')"),
    ("Go to Invoices", "Issued documents and their mail (F5)", "go('invoices')"),
    ("Go to Jobs", "Scheduled work: who runs it, next and recent runs (F6)", "go('jobs')"),
    ("Go to Orders", "Orders billed in parts: partial, advance, instalment and final invoices (F8)", "go('orders')"),
    ("Go to Subscriptions", "Every subscription, its state and next renewal (F10)", "go('subscriptions')"),
    ("Assistant", "Ask in English or Italian: an invoice, an order, a cart, billing an order (F9)", "assistant"),
    ("Help", "Every key on every screen (F1 or ?)", "help"),
)
CART_FILTERS = ("all", "confirmed", "unconfirmed", "open", "abandoned", "payment_failed")
ORDER_FILTERS = ("all", "draft", "in_planning", "in_progress", "shipped", "completed", "cancelled")


class BillingCommands(Provider):
    """Screens, the assistant, carts and orders filters, and the current screen's own key actions."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        app = self.app
        commands: list[tuple[str, str, Callable[[], object]]] = [
            (name, help_text, partial(app.run_action, action)) for name, help_text, action in SCREENS
        ]
        for status in CART_FILTERS:
            commands.append(
                (
                    f"Carts: show {status.replace('_', ' ')}",
                    "Filter the carts list",
                    partial(app.run_action, f"show_carts('{status}')"),
                )
            )
        for state in ORDER_FILTERS:
            commands.append(
                (
                    f"Orders: show {state.replace('_', ' ')}",
                    "Filter the orders list",
                    partial(app.run_action, f"show_orders('{state}')"),
                )
            )
        screen = self.screen
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if (not active.enabled or not binding.description
                    or binding.action.startswith(("go(", "help", "quit", "assistant"))):
                continue
            title = getattr(screen, "PALETTE_GROUP", screen.__class__.__name__.removesuffix("Screen"))
            commands.append(
                (
                    f"{title}: {binding.description}",
                    binding.tooltip or f"Key: {key}",
                    partial(active.node.run_action, binding.action),
                )
            )
        return commands

    async def discover(self) -> Hits:
        for name, help_text, callback in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> AsyncIterator[Hit]:
        matcher = self.matcher(query)
        for name, help_text, callback in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
