"""``billing-tui cards list|set-default|delete|record-payment``: saved cards on Stripe (S000.7).

Only brand, last four digits and expiry are ever printed, never a card number.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from billing_tui.cli.options import actions

if TYPE_CHECKING:
    from billing_tui.cli.session import Session


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    """``cards list --customer ID``, ``set-default|delete --customer ID CARD`` and ``record-payment``."""
    cards = actions(sub.add_parser("cards", help="saved cards on Stripe: list, set the default, delete"))
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


def run(args: argparse.Namespace, session: Session) -> int:
    """Record a card payment, or list, change the default of or delete a customer's saved cards."""
    from billing_tui.services import cards

    ctx = session.context()
    out = session.out
    if args.action == "record-payment":
        paid = cards.record_card_payment(ctx, args.cart, args.payment_intent)
        out.json(paid) if out.as_json else out.say(paid.message)
        return 0
    if args.action == "list":
        view = cards.list_cards(ctx, args.customer)
    else:
        change = (cards.set_default_card if args.action == "set-default" else cards.delete_card)(
            ctx, args.customer, args.card)
        if out.as_json:
            out.json(change)
            return 0
        out.say(change.message)
        view = change.cards
    if out.as_json:
        out.json(view)
        return 0
    out.say(f"{view.customer_name} (customer {view.customer_id})")
    if view.cards:
        out.table(("CARD", "BRAND", "LAST4", "EXPIRES", "DEFAULT", "NOTE"), [
            (c.id, c.brand, c.last4, c.expiry, "yes" if c.is_default else "",
             "expired" if c.expired else "expires soon" if c.expiring else "") for c in view.cards])
    if view.notice:
        out.say(view.notice)
    return 0
