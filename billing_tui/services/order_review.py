"""The review of a billing plan as plain lines: the same text in the wizards, the assistant and the command line."""

from __future__ import annotations

from decimal import Decimal

from billing_tui.domain.money import format_money
from billing_tui.services.orders import BillingPlan, PlannedInvoice

ACTION_TITLES = {"partial": "Partial invoice", "advance": "Advance invoice", "instalments": "Instalment invoices",
                 "final": "Final invoice"}


def _money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency, "it_IT")


def _rate(rate: Decimal) -> str:
    return f"{rate.normalize():f}%"


def invoice_lines(inv: PlannedInvoice, currency: str, *, detail: bool = True) -> list[str]:
    """One planned invoice: what it is, its dates, its lines, its VAT by rate and its total."""
    head = (f"{inv.label}: dated {inv.issue_date.strftime('%d/%m/%Y')}, due {inv.due_date.strftime('%d/%m/%Y')}, "
            f"total {_money(inv.total, currency)}")
    out = [head]
    if not detail:
        return out
    for ln in inv.lines:
        out.append(f"  {ln.description[:44]:<44} {ln.quantity.normalize():f} x {_money(ln.unit_price, currency)}"
                   f" = {_money(ln.line_total, currency)} ({_rate(ln.vat_rate)})")
    for row in inv.vat_rows:
        out.append(f"  VAT {_rate(row.rate)}: taxable {_money(row.taxable, currency)}, "
                   f"VAT {_money(row.vat, currency)}")
    for ref in inv.references:
        out.append(f"  Lists: {ref}")
    return out


def plan_lines(plan: BillingPlan) -> list[str]:
    """The whole review: every invoice that will be created, then what happens to the order."""
    title = ACTION_TITLES.get(plan.action, plan.action)
    count = len(plan.invoices)
    out = [f"{title} for order {plan.order_number}: {count} invoice{'s' if count != 1 else ''} will be created; "
           "numbers are assigned when they are issued."]
    if plan.action == "instalments":
        when = ("issued and emailed now" if plan.mode == "now"
                else "each issued and emailed by the scheduler on its date")
        out.append(f"Instalments are {when}; the last one is the final invoice.")
        for inv in plan.invoices:
            out.append(f"  {inv.seq}/{inv.count}  {inv.due_date.strftime('%d/%m/%Y')}  "
                       f"{_money(inv.total, plan.currency):>14}  "
                       + ", ".join(f"VAT {_rate(r.rate)} {_money(r.vat, plan.currency)}" for r in inv.vat_rows))
        total = sum((i.total for i in plan.invoices), Decimal("0.00"))
        out.append(f"  Total of the instalments: {_money(total, plan.currency)}")
        out.extend(invoice_lines(plan.invoices[-1], plan.currency))
    else:
        for inv in plan.invoices:
            out.extend(invoice_lines(inv, plan.currency))
    out.append(f"Afterwards the order is {plan.state_after.replace('_', ' ')}; left to bill "
               f"{_money(plan.left_after, plan.currency)}.")
    return out


def plan_text(plan: BillingPlan) -> str:
    """The review as one block of text."""
    return "\n".join(plan_lines(plan))
