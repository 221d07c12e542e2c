"""``billing-tui credit consume|import|balance``: prepaid credit used, imported and left (S000.8)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import actions

if TYPE_CHECKING:
    from billing_tui.cli.session import Session


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``credit consume --customer ID --amount X``, ``credit import FILE.csv`` and ``credit balance``."""
    credit = actions(sub.add_parser("credit", help="prepaid credit: record consumption, import it, show the balance"))
    c_use = credit.add_parser("consume", parents=[common],
                              help="record credit used (refused beyond the credit left unless overdraft is allowed)")
    c_use.add_argument("--customer", type=int, required=True, metavar="ID")
    c_use.add_argument("--amount", required=True, metavar="X", help="gross amount, VAT included, e.g. 12.50")
    c_use.add_argument("--quantity", default="1", metavar="N", help="e.g. the number of SMS (default 1)")
    c_use.add_argument("--date", default=None, metavar="YYYY-MM-DD", help="default today; never in the future")
    c_use.add_argument("--description", default="", metavar="TEXT")
    c_imp = credit.add_parser("import", parents=[common],
                              help="import consumption from CSV: customer_id,date,quantity,amount,description "
                                   "(header required; all or nothing; rows already imported are skipped)")
    c_imp.add_argument("file", metavar="FILE.csv")
    c_bal = credit.add_parser("balance", parents=[common], help="credit bought, consumed and left, month by month")
    c_bal.add_argument("--customer", type=int, required=True, metavar="ID")


def run(args: argparse.Namespace, session: Session) -> int:
    """Record consumption, import it from CSV, or show a customer's balance month by month."""
    from billing_tui.services import credit, credit_import

    ctx = session.context()
    out = session.out
    if args.action == "consume":
        entry = credit.record_consumption(ctx, customer_id=args.customer, amount=args.amount, quantity=args.quantity,
                                          on=args.date, description=args.description)
        if out.as_json:
            out.json(entry)
        else:
            out.say(f"Recorded {entry.amount} EUR of credit used by customer {entry.customer_id} on {entry.on_date}"
                    + (" (overdraft: the credit is below zero)" if entry.overdraft else "") + ".")
        return 0
    if args.action == "import":
        result = credit_import.import_consumption_csv(ctx, args.file)
        out.json(result) if out.as_json else out.say(str(result)[:1].upper() + str(result)[1:] + ".")
        return 0
    balance = credit.balance(ctx, args.customer)
    if out.as_json:
        out.json(balance)
        return 0
    out.say(f"{balance.customer_name} (customer {balance.customer_id}): bought {balance.bought}, consumed "
            f"{balance.consumed}, left {balance.left} {balance.currency}; below zero: {balance.overdraft_policy}")
    if balance.months:
        out.table(("MONTH", "BOUGHT", "CONSUMED", "LEFT", "ZERO INVOICE"), [
            (m.month, m.bought, m.consumed, m.left, m.zero_invoice or "") for m in balance.months])
    return 0
