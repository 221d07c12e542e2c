"""The base of every billing-tui screen: the app's services, and failed workers reported in one place."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.screen import ModalScreen, Screen
from textual.worker import Worker

if TYPE_CHECKING:
    from billing_tui.app import BillingApp


class BillingScreen(Screen[None]):
    """A screen of the app; its workers' failures become a message, never a traceback."""

    @property
    def billing(self) -> BillingApp:
        """The app, with its service context (``self.billing.ctx``)."""
        return cast("BillingApp", self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.billing.report_worker_failure(event.worker)


class BillingModal(ModalScreen[bool]):
    """A modal screen of the app, with the same failure reporting."""

    @property
    def billing(self) -> BillingApp:
        return cast("BillingApp", self.app)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.billing.report_worker_failure(event.worker)
