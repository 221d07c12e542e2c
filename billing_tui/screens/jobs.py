"""Jobs: who runs the scheduled work of this database, what is due next, and how the recent runs went."""

from __future__ import annotations

from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.widgets import DataTable, Footer, Header, Static

from billing_tui.screens.base import BillingScreen
from billing_tui.screens.format import moment, plain, state
from billing_tui.jobs import status as job_service


class JobsScreen(BillingScreen):
    """Upcoming and recent runs of the scheduled jobs; ``r`` runs what is due now."""

    TITLE = "Jobs"
    PALETTE_GROUP = "Jobs"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run_due", "Run due jobs now", id="jobs.run", tooltip="Run everything due as of now, once"),
        Binding("l", "reload", "Reload", id="jobs.reload"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("", id="jobs-leader", classes="form-title")
        upcoming: DataTable[object] = DataTable(id="jobs-upcoming", cursor_type="row", zebra_stripes=True)
        upcoming.add_columns("Job", "Every", "Next due", "Last run")
        yield upcoming
        yield Static("[b]Recent runs[/b]", classes="form-title")
        recent: DataTable[object] = DataTable(id="jobs-recent", cursor_type="row", zebra_stripes=True)
        recent.add_columns("Started", "Job", "State", "Result", "By")
        yield recent
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#jobs-recent", DataTable).focus()
        self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="jobs-load", exit_on_error=False, description="Loading jobs")
    def load(self) -> None:
        ctx = self.billing.ctx
        leader = job_service.leader_info(ctx)
        upcoming = job_service.list_upcoming(ctx)
        recent = job_service.list_recent_runs(ctx, 50)
        self.app.call_from_thread(self._show, leader, upcoming, recent)

    def _show(self, leader: object, upcoming: list[object], recent: list[object]) -> None:
        here = self.billing.scheduler_is_leader
        if leader is None:
            text = "[yellow]No process is running the scheduled jobs of this database.[/yellow] " \
                   "Start one with: billing-tui worker"
        else:
            text = ("Jobs run [b]here[/b]: " if here else "Jobs run elsewhere: ") + escape(leader.describe())  # type: ignore[attr-defined]
        self.query_one("#jobs-leader", Static).update(text)
        table = self.query_one("#jobs-upcoming", DataTable)
        table.clear()
        for u in upcoming:
            last = u.last_run  # type: ignore[attr-defined]
            table.add_row(u.title, _every(u.every), "now" if u.due_now else moment(u.next_due_at),  # type: ignore[attr-defined]
                          plain(f"{last.status}: {last.result or ''}") if last else "never")
        runs = self.query_one("#jobs-recent", DataTable)
        runs.clear()
        for r in recent:
            runs.add_row(moment(r.started_at), r.title, state(r.status), plain(r.result or ""), plain(r.runner))  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="jobs-run", exit_on_error=False, description="Running due jobs")
    def action_run_due(self) -> None:
        views = job_service.run_due_now(self.billing.ctx)
        summary = "; ".join(f"{v.title}: {v.status}" for v in views)
        self.app.call_from_thread(self.notify, summary or "Nothing was due.", title="Jobs", timeout=8)
        self.app.call_from_thread(self.load)


def _every(delta: object) -> str:
    seconds = int(delta.total_seconds())  # type: ignore[attr-defined]
    if seconds % 3600 == 0:
        return f"{seconds // 3600} h"
    if seconds % 60 == 0:
        return f"{seconds // 60} min"
    return f"{seconds} s"
