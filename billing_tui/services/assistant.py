"""The chat assistant's conversation: one pending request at a time, asked for, reviewed, then acted on.

``Conversation(ctx).send(text)`` reads a message with the rules of ``domain.assistant``, asks for
what is missing one question at a time, shows the same review of a billing plan as the wizards
(``order_review.plan_text``) and calls the same services, only after the user types yes. Look-ups
(an order, the latest orders, an invoice, a cart) are answered at once. Nothing here imports Textual.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from billing_tui.domain import assistant as rules
from billing_tui.domain.assistant import Request
from billing_tui.domain.errors import BillingError, NotFound, ValidationFailed
from billing_tui.domain.i18n import format_amount, t
from billing_tui.domain.texts import TEXTS
from billing_tui.services import carts, invoices, orders
from billing_tui.services.context import ServiceContext
from billing_tui.services.order_review import plan_text
from billing_tui.services.orders import BillingPlan

KINDS = ("answer", "question", "review", "done", "error", "help")
"""What a reply is: a look-up answered, a question asked, a review to confirm, an action done or
dropped, a refusal, or the list of what the assistant can do."""

BILLING = ("partial", "advance", "instalments", "final")
"""Requests that create invoices: previewed, reviewed, issued on yes."""

CHANGES = ("ship", "cancel_order")
"""Requests that change an order without invoicing it: described, done on yes."""

LOOKUPS = ("show_order", "list_orders", "show_invoice", "show_cart")
"""Requests answered at once."""

YES = frozenset({"yes", "y", "si", "ok", "okay", "confirm", "confirmed", "conferma", "confermo", "procedi", "vai",
                 "da", "yes please", "si grazie", "ok go", "go ahead", "va bene"})
"""Replies that confirm a review (accents and punctuation removed): anything else drops it."""

STOP = frozenset({"stop", "annulla", "cancel", "basta", "abort", "lascia stare", "lascia perdere", "never mind",
                  "nevermind", "forget it", "niente", "nulla", "renunta", "stop it"})
"""Replies that drop a pending question or review."""

_FIELD_SLOT = {"date": "invoice_date", "due": "due_date", "amount": "amount", "percent": "amount", "count": "count",
               "start": "start", "every": "every", "mode": "mode"}
"""The services' field names (ValidationFailed.errors) as the parser's slots."""

_ITALIAN_WORDS = frozenset("ciao buongiorno buonasera salve grazie cosa come puoi fai fare non capisco per favore "
                           "vorrei voglio fammi dammi quale quali ordine ordini fattura fatture carrello".split())
"""Words that make a message the parser did not understand Italian, so the help is in Italian."""

@dataclass(frozen=True)
class Reply:
    """What the assistant says to one message."""

    text: str
    """The reply, possibly several lines."""
    kind: str
    """One of KINDS."""
    plan: BillingPlan | None = None
    """For a review of invoices to create: the plan that yes will issue."""
    numbers: tuple[str, ...] = ()
    """For a done reply: the numbers of the invoices just issued."""


@dataclass
class _Pending:
    """The request being completed: the slot asked for, or the review waiting for yes."""

    request: Request
    asking: str | None = None
    confirming: bool = False
    plan: BillingPlan | None = None


def _say(key: str, language: str, **values: object) -> str:
    """One of the assistant's own sentences in the user's language (Italian or English)."""
    return t(f"assistant_{key}", "it" if language == "it" else "en", **values)


def _words(text: str) -> str:
    """A short reply as the words it is made of: lower case, no accents, no punctuation."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return " ".join(re.findall(r"\w+", folded))


def _money(amount: Decimal, currency: str = "EUR") -> str:
    return format_amount(amount, currency)


def _day(value: date | None) -> str:
    return value.strftime("%d/%m/%Y") if value else "-"


def _state(value: str, language: str) -> str:
    """A state word as the user reads it."""
    key = f"state_{value}"
    return t(key, language) if key in TEXTS and language == "it" else value.replace("_", " ")


def _language_of(text: str, fallback: str) -> str:
    """The language of a message the parser did not understand: Italian if it has Italian words."""
    return "it" if set(_words(text).split()) & _ITALIAN_WORDS else fallback


class Conversation:
    """One assistant pane's conversation: it holds the request still being asked for or reviewed."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.language = "en"
        """The language of the last request understood (the help for an unclear message uses it)."""
        self._pending: _Pending | None = None

    @property
    def pending(self) -> bool:
        """True while a question or a review waits for the user's reply."""
        return self._pending is not None

    def _today(self) -> date:
        return self.ctx.clock.now().date()

    # --- reading a message ---------------------------------------------------------------------------

    def send(self, text: str) -> Reply:
        """Read one message from the user and reply; acts (issues, ships, cancels) only on a yes to a review."""
        text = text.strip()
        pending = self._pending
        if not text:
            return self._next() if pending is not None else self._help(self.language, understood=False)
        if pending is not None and pending.confirming:
            return self._confirm(pending, text)
        if pending is not None and _words(text) in STOP | {"no"}:
            self._pending = None
            return Reply(_say("stopped", pending.request.language), "done")
        if pending is not None and pending.asking is not None:
            return self._answer(pending, pending.asking, text)
        return self._start(text)

    def _start(self, text: str) -> Reply:
        req = rules.parse(text, self._today())
        if req is None:
            return self._help(_language_of(text, self.language), understood=False)
        self.language = req.language
        if req.intent == "help":
            return self._help(req.language, understood=True)
        self._pending = _Pending(req)
        return self._next()

    def _help(self, language: str, *, understood: bool) -> Reply:
        head = _say("examples" if understood else "not_understood", language)
        return Reply("\n".join([head, *(f"  {example}" for example in rules.capabilities(language))]), "help")

    def _answer(self, pending: _Pending, slot: str, text: str) -> Reply:
        other = rules.parse(text, self._today())
        if other is not None and other.intent not in ("help", "show_order", "show_cart", pending.request.intent):
            self._pending = None  # a different request instead of an answer ("order 1042" is an answer)
            return self._start(text)
        got = rules.answer(pending.request, slot, text, self._today())
        if isinstance(got, Request):
            pending.request = got
            return self._next()
        return Reply(f"{got}\n{_say('stop_hint', pending.request.language)}", "question")

    def _next(self) -> Reply:
        """Ask for the next missing slot, or carry out the request once it is complete."""
        pending = self._pending
        assert pending is not None
        req = pending.request
        missing = rules.missing(req)
        if missing:
            pending.asking = missing[0]
            return Reply(rules.question(missing[0], req.language), "question")
        pending.asking = None
        try:
            return self._run(pending)
        except ValidationFailed as exc:
            return self._refused(pending, exc)
        except NotFound as exc:
            return self._not_found(pending, exc)
        except BillingError as exc:
            self._pending = None
            return Reply(exc.message, "error")

    def _confirm(self, pending: _Pending, text: str) -> Reply:
        self._pending = None
        req = pending.request
        if _words(text) not in YES:
            dropped = _say("nothing_issued" if req.intent in BILLING else "nothing_changed", req.language)
            other = None if _words(text) in STOP else rules.parse(text, self._today())
            if other is not None and other.intent != "help":  # a new request instead of yes or no
                reply = self._start(text)
                return replace(reply, text=f"{dropped}\n{reply.text}")
            return Reply(dropped, "done")
        try:
            return self._act(req, pending.plan)
        except ValidationFailed as exc:  # e.g. the day changed since the review: ask again
            self._pending = _Pending(req)
            return self._refused(self._pending, exc)
        except BillingError as exc:
            return Reply(exc.message, "error")

    # --- errors ------------------------------------------------------------------------------------

    def _refused(self, pending: _Pending, exc: ValidationFailed) -> Reply:
        """A refused input: clear the slots it names and ask for the first of them again."""
        slots = [slot for slot in rules.SLOTS if slot in {_FIELD_SLOT.get(f) for f in exc.errors}]
        if not slots:
            self._pending = None
            return Reply(exc.message, "error")
        req = pending.request
        for slot in slots:
            cleared = {"amount": None, "percent": None} if slot == "amount" else {slot: None}
            req = replace(req, unclear=tuple(dict.fromkeys((*req.unclear, slot))), **cleared)  # type: ignore[arg-type]
        pending.request, pending.plan, pending.confirming = req, None, False
        reply = self._next()
        return replace(reply, text=f"{exc.message}\n{reply.text}")

    def _not_found(self, pending: _Pending, exc: NotFound) -> Reply:
        """An order that does not exist is asked for again; a missing invoice or cart ends the request."""
        req = pending.request
        if req.intent in BILLING + CHANGES:
            pending.request = replace(req, order=None)
            reply = self._next()
            return replace(reply, text=f"{exc.message}\n{reply.text}")
        self._pending = None
        return Reply(exc.message, "error")

    # --- carrying out a complete request -----------------------------------------------------------------

    def _run(self, pending: _Pending) -> Reply:
        req = pending.request
        lang = req.language
        if req.intent in LOOKUPS:
            self._pending = None
            return Reply(self._look_up(req), "answer")
        if req.intent in CHANGES:
            assert req.order is not None
            detail = orders.get_order(self.ctx, req.order)
            action = "ship" if req.intent == "ship" else "cancel"
            reason = detail.refusals.get(action)
            if reason:
                self._pending = None
                return Reply(reason, "error")
            pending.confirming = True
            values = {"order": detail.number, "customer": detail.customer_name, "state": _state(detail.state, lang),
                      "total": _money(detail.total, detail.currency)}
            return Reply(f"{_say(action, lang, **values)}\n{_say('confirm_' + action, lang)}", "review")
        plan = self._preview(req)
        pending.plan, pending.confirming = plan, True
        confirm = "confirm_plan" if plan.action == "instalments" and plan.mode == "schedule" else "confirm_issue"
        return Reply(f"{plan_text(plan)}\n{_say(confirm, lang)}", "review", plan=plan)

    def _preview(self, req: Request) -> BillingPlan:
        assert req.order is not None
        if req.intent == "partial":
            return orders.preview_partial(self.ctx, req.order, on=req.invoice_date, due=req.due_date)
        if req.intent == "advance":
            return orders.preview_advance(self.ctx, req.order, amount=req.amount, percent=req.percent,
                                          on=req.invoice_date, due=req.due_date)
        if req.intent == "final":
            return orders.preview_final(self.ctx, req.order, on=req.invoice_date, due=req.due_date)
        assert req.count is not None and req.every is not None
        return orders.preview_instalments(self.ctx, req.order, count=req.count, start=req.start, every=req.every,
                                          mode=req.mode or "schedule")

    def _act(self, req: Request, plan: BillingPlan | None) -> Reply:
        """The yes: the same services as the wizards, with the arguments the review was made from."""
        assert req.order is not None
        lang = req.language
        if req.intent == "ship":
            orders.ship_order(self.ctx, req.order)
            return Reply(_say("shipped", lang, order=req.order), "done")
        if req.intent == "cancel_order":
            orders.cancel_order(self.ctx, req.order)
            return Reply(_say("cancelled", lang, order=req.order), "done")
        if req.intent == "partial":
            numbers = orders.issue_partial(self.ctx, req.order, on=req.invoice_date, due=req.due_date)
        elif req.intent == "advance":
            numbers = orders.issue_advance(self.ctx, req.order, amount=req.amount, percent=req.percent,
                                           on=req.invoice_date, due=req.due_date)
        elif req.intent == "final":
            numbers = orders.issue_final(self.ctx, req.order, on=req.invoice_date, due=req.due_date)
        else:
            assert req.count is not None and req.every is not None
            numbers = orders.plan_instalments(self.ctx, req.order, count=req.count, start=req.start, every=req.every,
                                              mode=req.mode or "schedule")
        listed = ", ".join(numbers)
        if req.intent == "instalments" and (req.mode or "schedule") == "schedule":
            text = _say("planned", lang, n=req.count)
            if numbers:
                text += " " + _say("issued_now", lang, numbers=listed)
        else:
            text = _say("issued_one" if len(numbers) == 1 else "issued_many", lang, n=len(numbers), numbers=listed)
        if plan is not None:
            text += "\n" + _say("after", lang, order=req.order, state=_state(plan.state_after, lang),
                                left=_money(plan.left_after, plan.currency))
        return Reply(text, "done", numbers=numbers)

    # --- look-ups ------------------------------------------------------------------------------------------

    def _look_up(self, req: Request) -> str:
        if req.intent == "show_order":
            assert req.order is not None
            return self._order_text(orders.get_order(self.ctx, req.order), req.language)
        if req.intent == "list_orders":
            return self._orders_text(orders.list_orders(self.ctx, limit=10), req.language)
        if req.intent == "show_invoice":
            assert req.number is not None
            return self._invoice_text(invoices.get_invoice(self.ctx, req.number), req.language)
        assert req.order is not None
        return self._cart_text(carts.get_cart(self.ctx, req.order), req.language)

    @staticmethod
    def _order_text(d: orders.OrderDetail, lang: str) -> str:
        cur = d.currency
        out = [_say("order_head", lang, order=d.number, customer=d.customer_name, state=_state(d.state, lang),
                    created=_day(d.created_at.date())),
               _say("order_totals", lang, total=_money(d.total, cur), net=_money(d.net, cur), vat=_money(d.vat, cur),
                    invoiced=_money(d.invoiced, cur), left=_money(d.left_to_bill, cur))]
        out.append(_say("lines", lang) if d.lines else _say("no_lines", lang))
        for ln in d.lines[:15]:
            locked = f"  [{_say('locked', lang, number=ln.locked_by)}]" if ln.locked_by else ""
            out.append(f"  {ln.position}. {ln.sku} {ln.description[:28]}  {ln.quantity.normalize():f} x "
                       f"{_money(ln.unit_price, cur)} = {_money(ln.line_total, cur)} "
                       f"({ln.vat_rate.normalize():f}%){locked}")
        if len(d.lines) > 15:
            out.append("  " + _say("more", lang, n=len(d.lines) - 15))
        out.append(_say("invoices", lang) if d.invoices else _say("no_invoices", lang))
        for inv in d.invoices:
            out.append(f"  {inv.number}  {inv.role}  {_day(inv.issue_date)}  {_money(inv.total, cur)}  "
                       f"{_state(inv.status, lang)}, mail {_state(inv.mail_status, lang)}")
        if d.plan:
            out.append(_say("plan", lang))
            for p in d.plan:
                out.append(f"  {p.seq}/{p.count}  {_day(p.due_date)}  {_money(p.amount, cur)}  "
                           f"{_state(p.status, lang)}{'  ' + p.invoice_number if p.invoice_number else ''}")
        return "\n".join(out)

    @staticmethod
    def _orders_text(page: orders.OrderPage, lang: str) -> str:
        if not page.rows:
            return _say("no_orders", lang)
        out = [_say("orders_head", lang, n=len(page.rows)), _say("orders_cols", lang)]
        for r in page.rows:
            out.append(f"{r.number:<6} {r.created_at.date().isoformat()} {r.customer_name[:18]:<18} "
                       f"{_state(r.state, lang)[:11]:<11} {_money(r.total, r.currency):>11} "
                       f"{_money(r.left_to_bill, r.currency):>11}")
        if page.has_more:
            out.append(_say("more_orders", lang))
        return "\n".join(out)

    @staticmethod
    def _invoice_text(inv: invoices.InvoiceDetail, lang: str) -> str:
        doc = inv.document
        cur = doc.currency
        kind = t(doc.kind.value, lang)
        due = _say("due", lang, due=_day(doc.due_date)) if doc.due_date else ""
        out = [_say("invoice_head", lang, kind=kind, number=doc.number, customer=doc.customer.name,
                    status=_state(inv.status, lang), mail=_state(inv.mail_status, lang)),
               _say("invoice_dates", lang, issued=_day(doc.issue_date), due=due, total=_money(doc.total, cur),
                    net=_money(doc.net, cur), vat=_money(doc.vat, cur))]
        if doc.cart_number is not None:
            out.append(_say("of_cart", lang, cart=doc.cart_number))
        for ln in doc.lines[:10]:
            out.append(f"  {ln.position}. {ln.description[:36]}  {ln.quantity.normalize():f} x "
                       f"{_money(ln.unit_price, cur)} = {_money(ln.line_total, cur)} ({ln.vat_rate.normalize():f}%)")
        if len(doc.lines) > 10:
            out.append("  " + _say("more", lang, n=len(doc.lines) - 10))
        if inv.refers_to is not None:
            ref = inv.refers_to
            out.append(_say("refers_to", lang, kind=t(ref.kind, lang).lower(),
                            number=ref.number, date=_day(ref.issue_date)))
        for x in inv.linked:
            out.append(_say("linked", lang, kind=t(x.kind, lang).lower(),
                            number=x.number, date=_day(x.issue_date), total=_money(x.total, cur)))
        if inv.can_credit is None and inv.creditable > 0:
            out.append(_say("creditable", lang, amount=_money(inv.creditable, cur)))
        return "\n".join(out)

    @staticmethod
    def _cart_text(c: carts.CartDetail, lang: str) -> str:
        cur = c.currency
        out = [_say("cart_head", lang, cart=c.number, customer=c.customer_name, status=_state(c.status, lang),
                    created=_day(c.created_at.date())),
               _say("cart_states", lang, method=c.payment_method.replace("_", " "),
                    payment=_state(c.payment_state, lang), order=_state(c.order_state, lang),
                    invoice=_state(c.invoice_state, lang)),
               _say("cart_totals", lang, total=_money(c.total, cur), net=_money(c.net, cur), vat=_money(c.vat, cur))]
        for ln in c.lines[:10]:
            out.append(f"  {ln.position}. {ln.sku} {ln.description[:28]}  {ln.quantity.normalize():f} x "
                       f"{_money(ln.unit_price, cur)} = {_money(ln.line_total, cur)} ({ln.vat_rate.normalize():f}%)")
        if len(c.lines) > 10:
            out.append("  " + _say("more", lang, n=len(c.lines) - 10))
        return "\n".join(out)
