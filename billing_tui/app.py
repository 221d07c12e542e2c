"""The Textual app: screens as modes, global keys, the command palette and the one worker-error handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from billing_tui.commands import BillingCommands
from billing_tui.crashlog import log_exception
from billing_tui.domain.errors import BillingError
from billing_tui.screens.carts import CartsScreen
from billing_tui.screens.customers import CustomersScreen
from billing_tui.screens.invoices import InvoicesScreen
from billing_tui.screens.jobs import JobsScreen
from billing_tui.screens.settings import SettingsScreen
from billing_tui.services.context import ServiceContext

if TYPE_CHECKING:
    from billing_tui.jobs.scheduler import JobScheduler


class BillingApp(App[None]):
    """billing-tui: carts, customers and settings, keyboard only, 80x24 and up."""

    CSS_PATH = "app.tcss"
    TITLE = "billing-tui"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {BillingCommands}
    MODES: ClassVar[dict[str, Callable[[], Screen[None]]]] = {  # type: ignore[assignment]
        "carts": CartsScreen,
        "customers": CustomersScreen,
        "invoices": InvoicesScreen,
        "jobs": JobsScreen,
        "settings": SettingsScreen,
    }
    DEFAULT_MODE = "carts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "go('carts')", "Carts", id="go.carts", tooltip="The list of every cart"),
        Binding("f3", "go('customers')", "Customers", id="go.customers", tooltip="Billing profiles"),
        Binding("f4", "go('settings')", "Settings", id="go.settings", tooltip="Company data, number ranges"),
        Binding("f5", "go('invoices')", "Invoices", id="go.invoices", tooltip="Issued documents and their mail"),
        Binding("f6", "go('jobs')", "Jobs", id="go.jobs", tooltip="Scheduled work and its runs"),
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key on every screen"),
        Binding("question_mark", "help", "Help", show=False, id="app.help2"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave billing-tui"),
    ]

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        database_label: str | None = None,
        on_first_page: Callable[[], None] | None = None,
        scheduler_factory: Callable[..., JobScheduler] | None = None,
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.database_label = database_label or ctx.database_label
        self._on_first_page = on_first_page
        self._scheduler_factory = scheduler_factory
        self.scheduler: JobScheduler | None = None
        self.sub_title = f"{self.database_label} · {ctx.actor}"

    def on_mount(self) -> None:
        if self._scheduler_factory is not None:
            self._start_scheduler()

    @work(thread=True, exclusive=True, group="scheduler", exit_on_error=False, description="Starting the scheduler")
    def _start_scheduler(self) -> None:
        """Take the leader lock if no other process holds it, and run the scheduled jobs here."""
        assert self._scheduler_factory is not None
        scheduler = self._scheduler_factory(self.ctx)
        self.scheduler = scheduler
        scheduler.start()

    @property
    def scheduler_is_leader(self) -> bool:
        """True when this process runs the scheduled jobs."""
        return self.scheduler is not None and self.scheduler.is_leader

    def on_unmount(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop(wait=False)

    # --- actions shared by keys and the command palette ------------------------------------

    async def action_go(self, mode: str) -> None:
        """Show one of the main screens."""
        if self.current_mode != mode:
            await self.switch_mode(mode)

    async def action_help(self) -> None:
        """Open the help screen listing every key."""
        from billing_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            await self.push_screen(HelpScreen())

    async def action_show_carts(self, status: str) -> None:
        """Show the carts list filtered by ``status``."""
        await self.action_go("carts")
        screen = self.screen
        if isinstance(screen, CartsScreen):
            screen.set_status(status)

    def first_page_shown(self) -> None:
        """Called by the carts screen when it has shown its first page of data."""
        callback, self._on_first_page = self._on_first_page, None
        if callback is not None:
            self.call_after_refresh(callback)

    # --- one place where failed workers become a message for the user ------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.report_worker_failure(event.worker)

    def report_worker_failure(self, worker: Worker[object]) -> None:
        """Tell the user why a background task failed; unexpected errors also go to crash.log."""
        if worker.state is not WorkerState.ERROR:
            return
        error = worker.error
        if isinstance(error, BillingError):
            self.notify(error.message, title="Not done", severity="error", timeout=8)
        else:
            path = log_exception(error)
            self.notify(
                f"Something went wrong ({type(error).__name__}). Nothing was changed. Details: {path}",
                title="Error",
                severity="error",
                timeout=12,
            )


def build_app(
    ctx: ServiceContext,
    *,
    database_label: str | None = None,
    on_first_page: Callable[[], None] | None = None,
    run_scheduler: bool = False,
) -> BillingApp:
    """The one factory of the app, used by the CLI, the tests and the benchmark.

    With ``run_scheduler`` the app runs the scheduled jobs if no other process on the database does.
    """
    factory = None
    if run_scheduler:
        from billing_tui.jobs.scheduler import JobScheduler

        factory = JobScheduler
    return BillingApp(ctx, database_label=database_label, on_first_page=on_first_page, scheduler_factory=factory)
