"""The Textual app: screens as modes, global keys, the command palette and the one worker-error handler.

The app starts before its database: the first frame of the carts screen needs Textual and
nothing else, and the first worker that needs the service context opens it (importing
SQLAlchemy, checking the schema), so the user sees the screen while that happens.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import TYPE_CHECKING, ClassVar, TypeAlias

from textual import work
from textual.app import App
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker, WorkerState, get_current_worker

from billing_tui.commands import BillingCommands
from billing_tui.crashlog import log_exception
from billing_tui.domain.clock import SystemClock
from billing_tui.domain.errors import BillingError
from billing_tui.screens.carts import CartsScreen
from billing_tui.services.context import ServiceContext, current_user, open_context
from billing_tui.storage.urls import describe_url

if TYPE_CHECKING:
    from billing_tui.jobs.scheduler import JobScheduler

ContextSource: TypeAlias = "ServiceContext | str | Callable[[], ServiceContext]"
"""What the app works on: an open context (tests), a database URL, or a function that opens one (the CLI)."""


# The other main screens are imported when first shown: their modules import services that
# load the database stack, which the first frame does not wait for.


def _customers_screen() -> Screen[None]:
    from billing_tui.screens.customers import CustomersScreen

    return CustomersScreen()


def _invoices_screen() -> Screen[None]:
    from billing_tui.screens.invoices import InvoicesScreen

    return InvoicesScreen()


def _orders_screen() -> Screen[None]:
    from billing_tui.screens.orders import OrdersScreen

    return OrdersScreen()


def _jobs_screen() -> Screen[None]:
    from billing_tui.screens.jobs import JobsScreen

    return JobsScreen()


def _subscriptions_screen() -> Screen[None]:
    from billing_tui.screens.subscriptions import SubscriptionsScreen

    return SubscriptionsScreen()


def _settings_screen() -> Screen[None]:
    from billing_tui.screens.settings import SettingsScreen

    return SettingsScreen()


def _job_scheduler(ctx: ServiceContext) -> JobScheduler:
    from billing_tui.jobs.scheduler import JobScheduler

    return JobScheduler(ctx)


class BillingApp(App[None]):
    """billing-tui: carts, orders, customers, invoices and settings, keyboard only, 80x24 and up."""

    CSS_PATH = "app.tcss"
    TITLE = "billing-tui"
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = App.COMMANDS | {BillingCommands}
    MODES: ClassVar[dict[str, Callable[[], Screen[None]]]] = {  # type: ignore[assignment]
        "carts": CartsScreen,
        "customers": _customers_screen,
        "invoices": _invoices_screen,
        "jobs": _jobs_screen,
        "orders": _orders_screen,
        "settings": _settings_screen,
        "subscriptions": _subscriptions_screen,
    }
    DEFAULT_MODE = "carts"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "go('carts')", "Carts", id="go.carts", tooltip="The list of every cart"),
        Binding("f3", "go('customers')", "Customers", id="go.customers", tooltip="Billing profiles"),
        Binding("f4", "go('settings')", "Settings", id="go.settings", tooltip="Company data, number ranges"),
        Binding("f5", "go('invoices')", "Invoices", id="go.invoices", tooltip="Issued documents and their mail"),
        Binding("f6", "go('jobs')", "Jobs", id="go.jobs", tooltip="Scheduled work and its runs"),
        Binding("f8", "go('orders')", "Orders", id="go.orders",
                tooltip="Orders billed in parts: partial, advance, instalment and final invoices"),
        Binding("f9", "assistant", "Assistant", id="app.assistant",
                tooltip="Ask in English or Italian, e.g. \"final invoice order 100402\""),
        Binding("f10", "go('subscriptions')", "Subscriptions", id="go.subscriptions",
                tooltip="Every subscription, its state and next renewal"),  # S000.6
        Binding("f1", "help", "Help", id="app.help", tooltip="Every key on every screen"),
        Binding("question_mark", "help", "Help", show=False, id="app.help2"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", tooltip="Leave billing-tui"),
    ]

    class DatabaseOpened(Message):
        """The service context has just been opened (posted by the worker that opened it)."""

    def __init__(
        self,
        source: ContextSource,
        *,
        database_label: str | None = None,
        on_first_frame: Callable[[], None] | None = None,
        on_first_page: Callable[[], None] | None = None,
        scheduler_factory: Callable[[ServiceContext], JobScheduler] | None = None,
    ) -> None:
        super().__init__()
        self._ctx: ServiceContext | None = None
        self._open: Callable[[], ServiceContext] | None = None
        self._ctx_lock = threading.Lock()
        self._explicit_label = database_label
        self.database_label = database_label
        """The database shown in the header; None until known (a context opened by a function)."""
        if isinstance(source, str):
            self._open = partial(open_context, source)
            self.database_label = database_label or describe_url(source)
        elif callable(source):
            self._open = source
        else:
            self._ctx = source
        self.actor = current_user()
        """The user shown in the header: the context's actor once it is open."""
        self._on_first_frame = on_first_frame
        self._on_first_page = on_first_page
        self._scheduler_factory = scheduler_factory
        self._scheduler_started = False
        self._after_first_frame: list[Callable[[], object]] | None = []  # None once the first frame is shown
        self.scheduler: JobScheduler | None = None
        self._reported_workers: weakref.WeakSet[Worker[object]] = weakref.WeakSet()
        self._show_database()

    # --- the service context, opened by the first worker that needs it ----------------------

    @property
    def ctx(self) -> ServiceContext:
        """The service context. The first call opens it (imports the database stack, checks the schema),
        so call it from a thread worker; if opening fails it raises the domain error, and the next call
        tries again.
        """
        ctx = self._ctx
        return ctx if ctx is not None else self._open_context()

    def today(self) -> date:
        """Today by the services' clock, for the screen thread: never opens the database to find out.

        Until the context is open, the system clock stands in (the clock an opened context has, except in tests,
        which pass an open context with their fixed clock).
        """
        ctx = self._ctx
        return (ctx.clock if ctx is not None else SystemClock()).now().date()

    @property
    def context_is_open(self) -> bool:
        """True once the service context is open (screens other than the carts list wait for it)."""
        return self._ctx is not None

    def _open_context(self) -> ServiceContext:
        with self._ctx_lock:  # one worker opens it; the others wait for it
            if self._ctx is None:
                assert self._open is not None
                self._ctx = self._open()
                self.post_message(self.DatabaseOpened())
            return self._ctx

    def on_billing_app_database_opened(self, _: DatabaseOpened) -> None:
        self._show_database()
        self._start_scheduler_once()

    def _show_database(self) -> None:
        """The header's subtitle: the database (once known) and the user."""
        if self._ctx is not None:
            self.actor = self._ctx.actor
            self.database_label = self._explicit_label or self._ctx.database_label
        parts = [self.database_label, self.actor] if self.database_label else [self.actor]
        self.sub_title = " · ".join(parts)

    # --- after the first frame: loading data, the scheduler -------------------------------------

    def on_mount(self) -> None:
        self.call_after_refresh(self._first_frame_shown)

    def after_first_frame(self, callback: Callable[[], object]) -> None:
        """Run ``callback`` once the first frame is on screen (now, if it is already).

        Screens start their slow work here (the first of it opens the database), so that it does
        not compete with drawing the first frame.
        """
        if self._after_first_frame is None:
            callback()
        else:
            self._after_first_frame.append(callback)

    def _first_frame_shown(self) -> None:
        callback, self._on_first_frame = self._on_first_frame, None
        if callback is not None:
            callback()
        waiting, self._after_first_frame = self._after_first_frame or [], None
        for then in waiting:
            then()
        if self._ctx is not None:
            self._start_scheduler_once()

    def _start_scheduler_once(self) -> None:
        """The scheduler starts once the context is open (it opens none itself, so a failure is reported once)."""
        if self._scheduler_factory is not None and not self._scheduler_started:
            self._scheduler_started = True
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
        """Show one of the main screens (once the database is open: they read from it as they start)."""
        if self.current_mode == mode:
            return
        if self._ctx is None:
            self._go_when_open(mode)
            return
        await self.switch_mode(mode)

    @work(thread=True, exclusive=True, group="go", exit_on_error=False, description="Opening the database")
    def _go_when_open(self, mode: str) -> None:
        """Open the database (or wait for the worker opening it), then show ``mode``; a failure is reported."""
        self._open_context()
        if not get_current_worker().is_cancelled:
            self.call_from_thread(self.action_go, mode)

    async def action_help(self) -> None:
        """Open the help screen listing every key."""
        from billing_tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            await self.push_screen(HelpScreen())

    async def action_assistant(self) -> None:
        """Open the assistant, where a request typed in English or Italian is answered and, once confirmed, done."""
        try:
            from billing_tui.screens.assistant import AssistantScreen
        except ImportError:
            self.notify("The assistant is not available", title="Assistant", severity="warning")
            return
        if not isinstance(self.screen, AssistantScreen):
            await self.push_screen(AssistantScreen())

    async def open_cart(self, number: int) -> None:
        """Show cart ``number`` over the current screen (screens that link to a cart go through the app)."""
        from billing_tui.screens.cart_detail import CartDetailScreen

        await self.push_screen(CartDetailScreen(number))

    async def action_show_orders(self, state: str) -> None:
        """Show the orders list filtered by ``state``."""
        from billing_tui.screens.orders import OrdersScreen

        await self.action_go("orders")
        screen = self.screen
        if isinstance(screen, OrdersScreen):
            screen.set_state(state)

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
        """Tell the user why a background task failed, once; unexpected errors also go to crash.log."""
        # A worker that fails at once is already in ERROR when its PENDING and RUNNING messages arrive.
        if worker.state is not WorkerState.ERROR or worker in self._reported_workers:
            return
        self._reported_workers.add(worker)
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
    source: ContextSource,
    *,
    database_label: str | None = None,
    on_first_frame: Callable[[], None] | None = None,
    on_first_page: Callable[[], None] | None = None,
    run_scheduler: bool = False,
) -> BillingApp:
    """The one factory of the app, used by the CLI, the tests and the benchmark.

    ``source`` is an open ServiceContext, a database URL, or a function that opens the context;
    the last two are opened in a worker after the first frame. ``on_first_frame`` is called once
    the carts screen is on screen (empty, "Loading carts…"), ``on_first_page`` once it shows its
    first page of data. With ``run_scheduler`` the app runs the scheduled jobs if no other
    process on the database does.
    """
    return BillingApp(
        source,
        database_label=database_label,
        on_first_frame=on_first_frame,
        on_first_page=on_first_page,
        scheduler_factory=_job_scheduler if run_scheduler else None,
    )
