"""The registry of scheduled jobs: one ``JobSpec`` per job; adding a job is one ``register`` call.

Targets are imported inside the job functions, so importing the registry stays fast and
a job's failure is recorded on its run and never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from billing_tui.services.context import ServiceContext


@dataclass(frozen=True)
class JobSpec:
    """A scheduled job: its name, a title for people, its slot length and the function that does the work."""

    name: str  # unique; the first part of every run's key
    title: str  # shown on the Jobs screen and by ``jobs`` commands
    every: timedelta  # slot length: the job runs at most once per slot, slots counted from the Unix epoch (UTC)
    run: Callable[[ServiceContext, datetime], str]  # does everything due as of the datetime; one-line summary

    def __post_init__(self) -> None:
        if not self.name or ":" in self.name:
            raise ValueError(f"job name {self.name!r}: required, without ':'")
        if self.every <= timedelta(0) or self.every % timedelta(seconds=1):
            raise ValueError(f"job {self.name}: 'every' must be a positive whole number of seconds")


_JOBS: dict[str, JobSpec] = {}


def register(spec: JobSpec, *, replace: bool = False) -> JobSpec:
    """Add a job to the registry (a second job with the same name is refused unless ``replace``)."""
    if spec.name in _JOBS and not replace:
        raise ValueError(f"job {spec.name!r} is already registered")
    _JOBS[spec.name] = spec
    return spec


def all_jobs() -> tuple[JobSpec, ...]:
    """Every registered job, in registration order."""
    return tuple(_JOBS.values())


def get_job(name: str) -> JobSpec:
    """The registered job called ``name``."""
    try:
        return _JOBS[name]
    except KeyError:
        raise KeyError(f"no job called {name!r}; known jobs: {', '.join(_JOBS) or 'none'}") from None


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


# --- The jobs -------------------------------------------------------------------------------------------------


def issue_due_invoices_job(ctx: ServiceContext, now: datetime) -> str:
    """Issue the invoices of every cart that is due as of ``now`` (the services' own keys keep it once per cart)."""
    from billing_tui.services.invoices import issue_due_invoices

    return str(issue_due_invoices(ctx))


def relay_outbox_job(ctx: ServiceContext, now: datetime) -> str:
    """Send the queued emails that are due as of ``now``, with retries."""
    from billing_tui.services.mail import relay_outbox

    outcome = relay_outbox(ctx)
    return f"{outcome.sent} sent, {outcome.failed} failed, {outcome.retry_later} to retry later"


def issue_due_instalments_job(ctx: ServiceContext, now: datetime) -> str:
    """Issue the order instalments due as of ``now``, each once (the instalment row keeps its invoice)."""
    from billing_tui.services.orders import issue_due_instalments

    return str(issue_due_instalments(ctx))


def credit_month_end_job(ctx: ServiceContext, now: datetime) -> str:
    """Issue the zero invoices of every ended month with prepaid credit consumed, each customer-month once (S000.8)."""
    from billing_tui.services.month_end import run_month_end

    return str(run_month_end(ctx))


def renew_subscriptions_job(ctx: ServiceContext, now: datetime) -> str:
    """Charge and invoice the subscriptions due as of ``now``, with retries; each period charged and invoiced once."""
    from billing_tui.services.renewals import run_renewals

    return str(run_renewals(ctx))


register(JobSpec("auto_invoice", "Issue due invoices", timedelta(minutes=15), issue_due_invoices_job))
register(JobSpec("mail_relay", "Send queued mail", timedelta(minutes=1), relay_outbox_job))
register(JobSpec("instalments", "Issue scheduled instalments", timedelta(hours=1), issue_due_instalments_job))
register(JobSpec("month_end", "Month-end zero invoices (prepaid credit)", timedelta(days=1), credit_month_end_job))
register(JobSpec("renewals", "Renew subscriptions", timedelta(hours=1), renew_subscriptions_job))
