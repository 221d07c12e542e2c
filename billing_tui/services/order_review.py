"""The review of a billing plan as structured rows: the wizards, the assistant and the command line format them.

:func:`review_rows` says *what* the review holds (a title, each invoice's heading, its lines, VAT and the
earlier invoices it lists, what happens to the order); :func:`plan_lines` and :func:`plan_text` lay the rows
out as plain text (the assistant and the CLI), and the wizard lays out the same rows to its own width. No
renderer parses another's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from billing_tui.domain.i18n import format_amount
from billing_tui.domain.order_plans import BillingPlan, PlannedInvoice

ACTION_TITLES = {"partial": "Partial invoice", "advance": "Advance invoice", "instalments": "Instalment invoices",
                 "final": "Final invoice"}
DESCRIPTION_WIDTH = 44
"""The plain-text review pads line descriptions to this width (the wizard pads to the longest one)."""


class RowKind(StrEnum):
    """What a review row is, so each renderer can lay it out (and emphasise headings) its own way."""

    TITLE = "title"  # the first row: what will be created
    NOTE = "note"  # a sentence about the plan (how instalments are issued)
    SCHEDULE = "schedule"  # one instalment of the plan: seq/count, date, amount, VAT
    HEADING = "heading"  # an invoice: label, dates, total
    LINE = "line"  # a line of that invoice: description and its "qty x price = total (rate)"
    VAT = "vat"  # a VAT row of that invoice
    LISTS = "lists"  # an earlier invoice it lists
    AFTER = "after"  # the last row: the order afterwards


@dataclass(frozen=True)
class ReviewRow:
    """One row of a review; ``text`` is the whole row, except for LINE rows (``description`` then ``detail``)."""

    kind: RowKind
    text: str = ""
    description: str = ""
    detail: str = ""

    @property
    def indented(self) -> bool:
        """Rows that belong to the invoice or schedule above them."""
        return self.kind in (RowKind.SCHEDULE, RowKind.LINE, RowKind.VAT, RowKind.LISTS)


def _money(amount: Decimal, currency: str) -> str:
    return format_amount(amount, currency)


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def invoice_rows(inv: PlannedInvoice, currency: str, *, detail: bool = True) -> list[ReviewRow]:
    """One planned invoice: what it is, its dates, its lines, its VAT by rate and the invoices it lists."""
    out = [ReviewRow(RowKind.HEADING, f"{inv.label}: dated {inv.issue_date.strftime('%d/%m/%Y')}, due "
                                      f"{inv.due_date.strftime('%d/%m/%Y')}, total {_money(inv.total, currency)}")]
    if not detail:
        return out
    for ln in inv.lines:
        out.append(ReviewRow(RowKind.LINE, description=ln.description,
                             detail=f"{ln.quantity.normalize():f} x {_money(ln.unit_price, currency)} = "
                                    f"{_money(ln.line_total, currency)} ({_rate(ln.vat_rate)})"))
    for row in inv.vat_rows:
        out.append(ReviewRow(RowKind.VAT, f"VAT {_rate(row.rate)}: taxable {_money(row.taxable, currency)}, "
                                          f"VAT {_money(row.vat, currency)}"))
    out.extend(ReviewRow(RowKind.LISTS, f"Lists: {ref}") for ref in inv.references)
    return out


def review_rows(plan: BillingPlan) -> tuple[ReviewRow, ...]:
    """The whole review: every invoice that will be created, then what happens to the order."""
    title = ACTION_TITLES.get(plan.action, plan.action)
    count = len(plan.invoices)
    out = [ReviewRow(RowKind.TITLE, f"{title} for order {plan.order_number}: {count} invoice"
                                    f"{'s' if count != 1 else ''} will be created; numbers are assigned when they "
                                    "are issued.")]
    if plan.action == "instalments":
        when = ("issued and emailed now" if plan.mode == "now"
                else "each issued and emailed by the scheduler on its date")
        out.append(ReviewRow(RowKind.NOTE, f"Instalments are {when}; the last one is the final invoice."))
        for inv in plan.invoices:
            out.append(ReviewRow(RowKind.SCHEDULE, f"{inv.seq}/{inv.count}  {inv.due_date.strftime('%d/%m/%Y')}  "
                                                   f"{_money(inv.total, plan.currency):>14}  "
                                 + ", ".join(f"VAT {_rate(r.rate)} {_money(r.vat, plan.currency)}"
                                             for r in inv.vat_rows)))
        total = sum((i.total for i in plan.invoices), Decimal("0.00"))
        out.append(ReviewRow(RowKind.SCHEDULE, f"Total of the instalments: {_money(total, plan.currency)}"))
        out.extend(invoice_rows(plan.invoices[-1], plan.currency))
    else:
        for inv in plan.invoices:
            out.extend(invoice_rows(inv, plan.currency))
    out.append(ReviewRow(RowKind.AFTER, f"Afterwards the order is {plan.state_after.replace('_', ' ')}; left to "
                                        f"bill {_money(plan.left_after, plan.currency)}."))
    return tuple(out)


def row_text(row: ReviewRow, *, column: int = DESCRIPTION_WIDTH, gap: str = " ") -> str:
    """A row as one line of plain text: indented rows by two spaces, line descriptions padded to ``column``."""
    if row.kind is RowKind.LINE:
        return f"  {row.description[:column]:<{column}}{gap}{row.detail}"
    return ("  " if row.indented else "") + row.text


def plan_lines(plan: BillingPlan) -> list[str]:
    """The review as plain lines (the assistant and the command line)."""
    return [row_text(row) for row in review_rows(plan)]


def plan_text(plan: BillingPlan) -> str:
    """The review as one block of text."""
    return "\n".join(plan_lines(plan))
