"""The guided wizards that bill an order in parts: partial, advance, instalments and final (S003.1–S003.6).

Each is a :class:`~billing_tui.screens.wizard.WizardScreen` opened as ``Wizard(order_number, today)`` that
dismisses with the numbers of the invoices it issued (None on Escape). Every step is checked by the same
``preview_*`` service the review and the command line use, so a refusal is the service's own reason, beside
the field it concerns; Confirm calls the matching ``issue_*`` service with exactly the reviewed values.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text

from billing_tui.domain.errors import ValidationFailed
from billing_tui.domain.orders import EVERY, MAX_INSTALMENTS
from billing_tui.screens.wizard import FieldSpec, WizardScreen, WizardStep
from billing_tui.services import orders
from billing_tui.services.order_review import DESCRIPTION_WIDTH, ReviewRow, RowKind, review_rows, row_text

if TYPE_CHECKING:
    from billing_tui.app import BillingApp
    from billing_tui.services.context import ServiceContext
    from billing_tui.services.orders import BillingPlan

InvoiceNumbers = tuple[str, ...]
"""What a confirmed wizard returns: the numbers of the invoices it issued (none for a plan scheduled later)."""

REVIEW_WIDTH = 72
"""The review is wrapped to this width, continuation lines indented under their line (the wizard is 78 wide)."""

REVIEW_STEP = WizardStep("review", "Review")


def dates_step(today: date) -> WizardStep:
    """The invoice date (default today) and the due date (default empty: the payment terms)."""
    return WizardStep("dates", "Dates", (
        FieldSpec("date", "Invoice date", today.isoformat(), help="YYYY-MM-DD, today or earlier"),
        FieldSpec("due", "Due date", "", placeholder="YYYY-MM-DD",
                  help="Empty: the invoice date plus the payment terms"),
    ))


def review_text(plan: BillingPlan, width: int = REVIEW_WIDTH) -> Text:
    """The shared review rows laid out to ``width``: line descriptions padded to the longest one (two spaces
    after them if every line then fits, else one), long rows wrapped under their own indent, the first row and
    each invoice's heading bold."""
    rows = review_rows(plan)
    lines = [row for row in rows if row.kind is RowKind.LINE]
    column = max((len(row.description[:DESCRIPTION_WIDTH].rstrip()) for row in lines), default=0)
    longest = max((len(row.detail) for row in lines), default=0)
    gap = "  " if 2 + column + 2 + longest <= width else " "
    text = Text()
    for position, row in enumerate(rows):
        if row.kind is RowKind.LINE:
            shown = row_text(ReviewRow(row.kind, description=row.description[:DESCRIPTION_WIDTH].rstrip(),
                                       detail=row.detail), column=column, gap=gap)
        else:
            shown = row_text(row)
        indent = " " * (len(shown) - len(shown.lstrip(" ")) + 2)
        wrapped = textwrap.fill(shown, width, subsequent_indent=indent, break_on_hyphens=False)
        text.append(wrapped, style="bold" if position == 0 or row.kind is RowKind.HEADING else "")
        if position + 1 < len(rows):
            text.append("\n")
    return text


class OrderWizard(WizardScreen[InvoiceNumbers]):
    """A wizard on one order: the preview service checks each step, the review is its plan, Confirm issues it.

    A concrete wizard sets ``ACTION`` and implements :meth:`steps`, :meth:`preview` and :meth:`issue`. Its
    fields are named after the services' error keys (date, due, amount, percent, count, every, start, mode), so a
    ``ValidationFailed`` from a service is shown beside the field it names.
    """

    ACTION: ClassVar[str] = ""
    """The heading's first words ("Advance invoice")."""
    CONFIRM_LABEL = "Issue"
    CONFIRMING_TEXT = "Issuing… (Escape is refused until it is done)"

    def __init__(self, order_number: int, today: date) -> None:
        super().__init__()
        self.order_number = order_number
        """The order billed."""
        self.today = today
        """Today by the services' clock: the default dates."""
        self.title = f"{self.ACTION} — order {order_number}"
        self._step_of_field = {spec.name: index for index, step in enumerate(self.steps()) for spec in step.fields}
        self._checked: tuple[tuple[tuple[str, str], ...], BillingPlan] | None = None  # the last check's plan

    # --- what a concrete wizard says --------------------------------------------------------------

    def preview(self, ctx: ServiceContext, values: Mapping[str, str]) -> BillingPlan:
        """The service's plan for these values (may raise ``ValidationFailed`` or ``OrderRefused``)."""
        raise NotImplementedError

    def issue(self, ctx: ServiceContext, values: Mapping[str, str]) -> InvoiceNumbers:
        """Issue what :meth:`preview` showed for the same values; the numbers issued."""
        raise NotImplementedError

    # --- the framework's hooks (thread workers) -------------------------------------------------------

    @property
    def service_context(self) -> ServiceContext:
        """The app's service context (opened by the first worker that needs it)."""
        return cast("BillingApp", self.app).ctx

    def _so_far(self, index: int, values: Mapping[str, str]) -> dict[str, str]:
        """The values of steps up to ``index``; later steps' fields at their defaults."""
        defaults = {spec.name: spec.default or (spec.choices[0][0] if spec.choices else "")
                    for step in self.steps() for spec in step.fields}
        return {name: (str(values.get(name, defaults[name])) if self._step_of_field[name] <= index else default)
                for name, default in defaults.items()}

    def validate_step(self, index: int, values: Mapping[str, str]) -> Mapping[str, str] | None:
        """Ask the preview service with the values so far; reasons about later steps wait for those steps."""
        so_far = self._so_far(index, values)
        try:
            plan = self.preview(self.service_context, so_far)
        except ValidationFailed as refused:
            if not refused.errors:
                raise
            shown = {name: reason for name, reason in refused.errors.items()
                     if self._step_of_field.get(name, index) <= index}
            return shown  # empty: every reason is about a later step, which shows it when it is checked
        self._checked = (tuple(sorted(so_far.items())), plan)
        return None

    def review(self, values: Mapping[str, str]) -> Text:
        """The plan the last check made with these values (else a new preview), as the shared review text."""
        key = tuple(sorted((name, str(values[name])) for name in self._step_of_field))
        plan = self._checked[1] if self._checked is not None and self._checked[0] == key else self.preview(self.service_context, values)
        return review_text(plan)

    def confirm(self, values: Mapping[str, str]) -> InvoiceNumbers:
        """Issue exactly the reviewed invoice(s)."""
        return tuple(self.issue(self.service_context, values))


def _dates(values: Mapping[str, str]) -> dict[str, Any]:
    return {"on": values["date"].strip() or None, "due": values["due"].strip() or None}


class PartialWizard(OrderWizard):
    """A partial invoice of every line not yet billed; the lines are locked, the order is in planning (S003.1)."""

    ACTION = "Partial invoice"

    def steps(self) -> Sequence[WizardStep]:
        return (dates_step(self.today), REVIEW_STEP)

    def preview(self, ctx: ServiceContext, values: Mapping[str, str]) -> BillingPlan:
        return orders.preview_partial(ctx, self.order_number, **_dates(values))

    def issue(self, ctx: ServiceContext, values: Mapping[str, str]) -> InvoiceNumbers:
        return orders.issue_partial(ctx, self.order_number, **_dates(values))


class AdvanceWizard(OrderWizard):
    """An advance invoice for an amount or a percentage of the order, VAT split by rate (S003.4)."""

    ACTION = "Advance invoice"

    def steps(self) -> Sequence[WizardStep]:
        return (
            WizardStep("amount", "Amount", (
                FieldSpec("amount", "Amount (VAT incl.)", "", placeholder="e.g. 250,00",
                          help="Gross; at most what is left to bill"),
                FieldSpec("percent", "or % of the order", "", placeholder="e.g. 30",
                          help="Of the order's total. Fill one of the two."),
            )),
            dates_step(self.today),
            REVIEW_STEP,
        )

    @staticmethod
    def _arguments(values: Mapping[str, str]) -> dict[str, Any]:
        return {"amount": values["amount"].strip() or None, "percent": values["percent"].strip() or None,
                **_dates(values)}

    def preview(self, ctx: ServiceContext, values: Mapping[str, str]) -> BillingPlan:
        return orders.preview_advance(ctx, self.order_number, **self._arguments(values))

    def issue(self, ctx: ServiceContext, values: Mapping[str, str]) -> InvoiceNumbers:
        return orders.issue_advance(ctx, self.order_number, **self._arguments(values))


MODES = (("schedule", "Schedule: each issued on its date"), ("now", "Issue and send them all now"))
"""The instalments' two ways of issuing: the scheduler on each date (S003.5), or every invoice at once."""


class InstalmentsWizard(OrderWizard):
    """A shipped order billed in instalments: how many, how often, from when; issued now or scheduled (S003.5)."""

    ACTION = "Instalments"

    def steps(self) -> Sequence[WizardStep]:
        return (
            WizardStep("plan", "Plan", (
                FieldSpec("count", "Instalments", "", placeholder=f"2 to {MAX_INSTALMENTS}",
                          help="How many invoices split what is left to bill"),
                FieldSpec("every", "Every", "month", choices=tuple((key, label.capitalize())
                                                                   for key, (label, _, _) in EVERY.items())),
            )),
            WizardStep("start", "Start", (
                FieldSpec("start", "First instalment", self.today.isoformat(),
                          help="YYYY-MM-DD, today or later; 31st = each month's end"),
                FieldSpec("mode", "Issue", "schedule", choices=MODES),
            )),
            REVIEW_STEP,
        )

    @staticmethod
    def _arguments(values: Mapping[str, str]) -> dict[str, Any]:
        return {"count": values["count"].strip(), "start": values["start"].strip() or None,
                "every": values["every"], "mode": values["mode"]}

    def preview(self, ctx: ServiceContext, values: Mapping[str, str]) -> BillingPlan:
        return orders.preview_instalments(ctx, self.order_number, **self._arguments(values))

    def issue(self, ctx: ServiceContext, values: Mapping[str, str]) -> InvoiceNumbers:
        return orders.plan_instalments(ctx, self.order_number, **self._arguments(values))


class FinalWizard(OrderWizard):
    """The final invoice: what is left, listing every earlier invoice and deducting the advances (S003.2–S003.4)."""

    ACTION = "Final invoice"

    def steps(self) -> Sequence[WizardStep]:
        return (dates_step(self.today), REVIEW_STEP)

    def preview(self, ctx: ServiceContext, values: Mapping[str, str]) -> BillingPlan:
        return orders.preview_final(ctx, self.order_number, **_dates(values))

    def issue(self, ctx: ServiceContext, values: Mapping[str, str]) -> InvoiceNumbers:
        return orders.issue_final(ctx, self.order_number, **_dates(values))
