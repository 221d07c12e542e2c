"""Command-line subcommands of the customer account: subscriptions (and, beside them, cards and credit).

``register(sub, common)`` adds the subparsers and ``COMMANDS`` maps each top-level command to its handler.
``billing_tui/cli.py`` wires them with two lines: in ``build_parser()``, after the other subparsers,
``cli_account.register(sub, common)``; and after its ``COMMANDS`` dict, ``COMMANDS.update(cli_account.COMMANDS)``
(with ``from billing_tui import cli_account`` at the top: this module imports nothing heavy at import time).

Handlers raise ``BillingError`` for anything a person can fix; ``cli.main`` prints it as one line on stderr.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

SUBSCRIPTION_STATES = ("all", "active", "past_due", "suspended", "cancelled", "ended")
"""The ``--state`` choices of ``subscriptions list``."""


def _actions(parser: argparse.ArgumentParser) -> Any:
    """The ACTION subparsers of a command, built with the same one-line-error parser class as ``cli.py``'s."""
    return parser.add_subparsers(dest="action", parser_class=type(parser), metavar="ACTION", required=True)


def register(sub: Any, common: argparse.ArgumentParser) -> None:
    """Add the account commands to the top-level subparsers ``sub`` (``common`` gives --db and --json)."""
    _subscription_parsers(sub, common)
    _card_parsers(sub, common)
    _credit_parsers(sub, common)


# --- subscriptions (S000.6) -----------------------------------------------------------------------

def _subscription_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``subscriptions list|show|cancel-renewal``."""
    subs = _actions(sub.add_parser("subscriptions", help="subscriptions: list, show, cancel automatic renewal"))
    s_list = subs.add_parser("list", parents=[common], help="subscriptions with state and next renewal")
    s_list.add_argument("--customer", type=int, default=None, metavar="ID", help="only this customer's")
    s_list.add_argument("--state", default="all", choices=SUBSCRIPTION_STATES)
    s_show = subs.add_parser("show", parents=[common],
                             help="one subscription with every renewal period and charge attempt")
    s_show.add_argument("id")
    s_cancel = subs.add_parser("cancel-renewal", parents=[common],
                               help="stop automatic renewal: it ends at the end of the paid period")
    s_cancel.add_argument("id")


def _yes(flag: bool | None) -> str:
    return "?" if flag is None else ("yes" if flag else "no")


def cmd_subscriptions(args: argparse.Namespace) -> int:
    """``billing-tui subscriptions ...``."""
    from billing_tui.cli import _context, _print_json, _say, _table
    from billing_tui.services import subscriptions

    ctx = _context(args)
    as_json = getattr(args, "json", False)
    if args.action == "list":
        rows = subscriptions.list_subscriptions(ctx, customer_id=args.customer, state=args.state)
        if as_json:
            _print_json(list(rows))
            return 0
        _say(_table(("ID", "CUSTOMER", "PRODUCT", "PERIOD", "NET", "GROSS", "STATE", "NEXT RENEWAL", "CARD"), [
            (r.id, r.customer_name[:28], r.product_name[:30], r.period, r.price, f"{r.gross} {r.currency}", r.state,
             r.next_renewal or ("ends " + r.period_end.isoformat() if r.state == "active" else ""),
             _yes(r.card_on_file)) for r in rows]))
        return 0
    if args.action == "show":
        detail = subscriptions.get_subscription(ctx, args.id)
    else:
        detail = subscriptions.cancel_renewal(ctx, args.id)
    if as_json:
        _print_json(detail)
        return 0
    s = detail.subscription
    if args.action == "cancel-renewal":
        _say(f"Automatic renewal of subscription {s.id} cancelled: it ends on {s.period_end}.")
        return 0
    _say(f"Subscription {s.id}  {s.product_name} ({s.product_sku}), every {s.period}  {s.state}")
    _say(f"Customer: {s.customer_name} (id {s.customer_id})   Price: {s.price} + VAT {s.vat_rate}% = "
         f"{s.gross} {s.currency}")
    _say(f"Paid period: {s.period_start} – {s.period_end}   Started {detail.start_date}   "
         f"Automatic renewal: {'yes, next ' + str(s.next_renewal) if s.auto_renew and s.next_renewal else 'no'}"
         f"   Card on file: {_yes(s.card_on_file)}")
    if detail.cancelled_at:
        _say(f"Renewal cancelled {detail.cancelled_at:%Y-%m-%d %H:%M} by {detail.cancelled_by}")
    if detail.periods:
        _say(_table(("PERIOD", "FROM", "TO", "AMOUNT", "STATE", "NEXT TRY", "INVOICE"), [
            (p.id, p.period_start, p.period_end, p.amount, p.status, p.next_attempt_on or "", p.invoice_number or "")
            for p in detail.periods]))
    if detail.attempts:
        _say(_table(("PERIOD", "#", "WHEN", "AMOUNT", "OUTCOME", "MESSAGE"), [
            (a.period_id, a.attempt, f"{a.started_at:%Y-%m-%d %H:%M}", a.amount, a.status, (a.message or "")[:50])
            for a in detail.attempts]))
    return 0


# --- saved cards (S000.7) -------------------------------------------------------------------------

def _card_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``cards list|set-default|delete|record-payment``."""
    cards = _actions(sub.add_parser("cards", help="saved cards on Stripe: list, set the default, delete"))
    c_list = cards.add_parser("list", parents=[common], help="a customer's saved cards, the default first")
    c_list.add_argument("--customer", type=int, required=True, metavar="ID")
    for name, text in (("set-default", "make a saved card the one renewals charge"),
                       ("delete", "delete (detach) a saved card on Stripe")):
        parser = cards.add_parser(name, parents=[common], help=text)
        parser.add_argument("--customer", type=int, required=True, metavar="ID")
        parser.add_argument("card", metavar="CARD", help="the card's id (pm_...) or its last four digits")
    c_pay = cards.add_parser("record-payment", parents=[common],
                             help="record a cart paid by card through Stripe; saves the card (default if none)")
    c_pay.add_argument("--cart", required=True, metavar="NUMBER")
    c_pay.add_argument("payment_intent", metavar="PAYMENT_INTENT", help="the Stripe PaymentIntent id (pi_...)")


def cmd_cards(args: argparse.Namespace) -> int:
    """``billing-tui cards ...``: brand, last four digits and expiry only, never a card number."""
    from billing_tui.cli import _context, _print_json, _say, _table
    from billing_tui.services import cards

    ctx = _context(args)
    as_json = getattr(args, "json", False)
    if args.action == "record-payment":
        paid = cards.record_card_payment(ctx, args.cart, args.payment_intent)
        _print_json(paid) if as_json else _say(paid.message)
        return 0
    if args.action == "list":
        view = cards.list_cards(ctx, args.customer)
    else:
        change = (cards.set_default_card if args.action == "set-default" else cards.delete_card)(
            ctx, args.customer, args.card)
        if as_json:
            _print_json(change)
            return 0
        _say(change.message)
        view = change.cards
    if as_json:
        _print_json(view)
        return 0
    _say(f"{view.customer_name} (customer {view.customer_id})")
    if view.cards:
        _say(_table(("CARD", "BRAND", "LAST4", "EXPIRES", "DEFAULT", "NOTE"), [
            (c.id, c.brand, c.last4, c.expiry, "yes" if c.is_default else "",
             "expired" if c.expired else "expires soon" if c.expiring else "") for c in view.cards]))
    if view.notice:
        _say(view.notice)
    return 0


# --- prepaid credit (S000.8) ----------------------------------------------------------------------

def _credit_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    """``credit consume|import|balance``."""
    credit = _actions(sub.add_parser("credit", help="prepaid credit: record consumption, import it, show the balance"))
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


def cmd_credit(args: argparse.Namespace) -> int:
    """``billing-tui credit ...``."""
    from billing_tui.cli import _context, _print_json, _say, _table
    from billing_tui.services import credit, credit_import

    ctx = _context(args)
    as_json = getattr(args, "json", False)
    if args.action == "consume":
        entry = credit.record_consumption(ctx, customer_id=args.customer, amount=args.amount, quantity=args.quantity,
                                          on=args.date, description=args.description)
        if as_json:
            _print_json(entry)
        else:
            _say(f"Recorded {entry.amount} EUR of credit used by customer {entry.customer_id} on {entry.on_date}"
                 + (" (overdraft: the credit is below zero)" if entry.overdraft else "") + ".")
        return 0
    if args.action == "import":
        result = credit_import.import_consumption_csv(ctx, args.file)
        _print_json(result) if as_json else _say(str(result)[:1].upper() + str(result)[1:] + ".")
        return 0
    balance = credit.balance(ctx, args.customer)
    if as_json:
        _print_json(balance)
        return 0
    _say(f"{balance.customer_name} (customer {balance.customer_id}): bought {balance.bought}, consumed "
         f"{balance.consumed}, left {balance.left} {balance.currency}; below zero: {balance.overdraft_policy}")
    if balance.months:
        _say(_table(("MONTH", "BOUGHT", "CONSUMED", "LEFT", "ZERO INVOICE"), [
            (m.month, m.bought, m.consumed, m.left, m.zero_invoice or "") for m in balance.months]))
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "subscriptions": cmd_subscriptions,
    "cards": cmd_cards,
    "credit": cmd_credit,
}
"""Top-level command → handler, merged into ``cli.COMMANDS``."""
