"""Stripe: customers, saved cards and off-session charges, answered as plain dataclasses (stripe loads on first use)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from billing_tui.domain.errors import BillingError

if TYPE_CHECKING:
    import stripe

    from billing_tui.config import Settings

DEFAULT_API_BASE = "https://api.stripe.com"
"""Where Stripe answers when ``BILLING_STRIPE_API_BASE`` is not set."""

BILLING_KEY = "billing_key"
"""The PaymentIntent metadata entry holding our idempotency key, so a charge can be found again after a crash."""

ChargeStatus = Literal["succeeded", "declined", "processing", "failed"]
"""succeeded: the money is taken; declined: the bank or card refused; processing: not final yet (do not charge
again, look again later); failed: Stripe did not take the money for another reason (see the message)."""

_DECLINE_CODES = frozenset({
    "card_declined", "expired_card", "incorrect_cvc", "incorrect_number", "insufficient_funds",
    "authentication_required", "card_velocity_exceeded", "processing_error",
})
_CARD_NUMBER = re.compile(r"^[0-9]{12,19}$")


class StripeError(BillingError):
    """Stripe could not be used or refused a request; the message says what to check.

    ``retryable`` is true when the same request may work later (network, rate limit, Stripe's own
    trouble); after such an error on a charge its outcome is unknown: ``find_charge`` before charging again.
    """

    def __init__(self, message: str, *, retryable: bool = False, code: str | None = None,
                 http_status: int | None = None, request_id: str | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code
        self.http_status = http_status
        self.request_id = request_id


@dataclass(frozen=True)
class CardInfo:
    """A saved card as the app may show it: never its number or security code."""

    id: str
    """The Stripe PaymentMethod id (``pm_...``)."""
    brand: str
    """Card brand as Stripe names it: visa, mastercard, amex..."""
    last4: str
    """The last four digits."""
    exp_month: int
    """Expiry month, 1-12."""
    exp_year: int
    """Expiry year, four digits."""
    is_default: bool
    """Whether renewals charge this card (the customer's default payment method)."""

    def is_expired(self, today: date) -> bool:
        """True once the expiry month is over (a card is valid through its expiry month)."""
        return (self.exp_year, self.exp_month) < (today.year, today.month)

    def expires_within(self, today: date, months: int) -> bool:
        """True when the card expires in the current month or one of the next ``months`` months (or has)."""
        return self.exp_year * 12 + self.exp_month - (today.year * 12 + today.month) <= months


@dataclass(frozen=True)
class ChargeResult:
    """The outcome of one off-session charge (a PaymentIntent), found on creation or looked up again."""

    status: ChargeStatus
    """succeeded, declined, processing or failed (see ``ChargeStatus``)."""
    payment_intent_id: str | None
    """The PaymentIntent on Stripe (``pi_...``); None only when Stripe refused before creating one."""
    decline_code: str | None
    """Why the card was refused (Stripe's decline code, else its error code); None on success."""
    message: str | None
    """A sentence for staff or the customer when it did not succeed; None on success."""
    amount_cents: int | None = None
    """The amount of the PaymentIntent in the currency's minor unit, when known."""
    currency: str | None = None
    """Lower-case ISO currency of the PaymentIntent, when known."""

    @property
    def succeeded(self) -> bool:
        """True when the money was taken."""
        return self.status == "succeeded"


def is_test_key(key: str) -> bool:
    """True for a Stripe test-mode secret or restricted key (``sk_test_...``/``rk_test_...``)."""
    return key.startswith(("sk_test_", "rk_test_"))


def stripe_gateway(settings: Settings) -> StripeGateway | None:
    """The gateway configured by ``BILLING_STRIPE_API_KEY``/``BILLING_STRIPE_API_BASE``; None without a key."""
    key = settings.stripe_api_key.get_secret_value().strip() if settings.stripe_api_key is not None else ""
    if not key:
        return None
    return StripeGateway(key, api_base=settings.stripe_api_base or None)


def _field(obj: Any, name: str) -> Any:
    """A field of a Stripe object or plain mapping; None when absent."""
    if obj is None:
        return None
    try:
        return obj[name] if name in obj else None  # dicts and Stripe objects (newer ones are not mappings)
    except (TypeError, KeyError):
        return getattr(obj, name, None)


def _id_of(value: Any) -> str | None:
    """The id of a reference that Stripe may send as an id or as the expanded object."""
    if value is None or isinstance(value, str):
        return value
    found = _field(value, "id")
    return str(found) if found else None


class StripeGateway:
    """Talks to Stripe (or a local fake of it) with its own client: no global ``stripe.api_key``."""

    def __init__(self, api_key: str, api_base: str | None = None, *, timeout: float = 30.0,
                 max_network_retries: int = 0) -> None:
        key = (api_key or "").strip()
        if key.startswith("pk_"):
            raise StripeError("The Stripe key is a publishable key (pk_...): set BILLING_STRIPE_API_KEY to the "
                              "secret key (sk_live_... or sk_test_...) from the Stripe dashboard, Developers → API keys")
        if not key.startswith(("sk_", "rk_")):
            raise StripeError("The Stripe key is not a secret key: set BILLING_STRIPE_API_KEY to the secret key "
                              "(sk_live_... or sk_test_...) from the Stripe dashboard, Developers → API keys")
        self._api_key = key
        self.api_base = api_base.rstrip("/") if api_base else None
        self.timeout = timeout
        self.max_network_retries = max_network_retries
        self._stripe_client: stripe.StripeClient | None = None
        self._list_intents_by_customer = True

    def __repr__(self) -> str:
        return f"StripeGateway({'test' if self.is_test else 'live'} key, {self.where})"

    @property
    def is_test(self) -> bool:
        """Whether the key is a test-mode key (no real money moves)."""
        return is_test_key(self._api_key)

    @property
    def where(self) -> str:
        """The base URL of the Stripe API in use, for messages."""
        return self.api_base or DEFAULT_API_BASE

    # -- customers ------------------------------------------------------------------------------

    def create_customer(self, email: str | None, name: str | None, metadata: Mapping[str, object] | None = None) -> str:
        """A new Stripe customer; its id (``cus_...``)."""
        params: dict[str, Any] = {"metadata": _metadata(metadata)}
        if email:
            params["email"] = email
        if name:
            params["name"] = name
        with self._errors("create the customer"):
            customer = self._client.v1.customers.create(params=params)  # type: ignore[arg-type]
        return str(customer.id)

    def default_card(self, customer_id: str) -> str | None:
        """The id of the card renewals charge (the customer's default payment method), or None."""
        customer = self._customer(customer_id)
        return _id_of(_field(_field(customer, "invoice_settings"), "default_payment_method"))

    # -- cards ----------------------------------------------------------------------------------

    def create_test_card(self, number: str, exp_month: int, exp_year: int) -> str:
        """A test PaymentMethod made from a test card number (test keys only); its id.

        Only for test servers such as localstripe: real Stripe refuses raw card numbers by default, even
        in test mode; there, attach one of Stripe's test PaymentMethods (``pm_card_visa``...) instead.
        The number is sent once and never logged or kept.
        """
        self._require_test_key("create a test card")
        digits = number.replace(" ", "")
        if not _CARD_NUMBER.match(digits):
            raise StripeError("A test card number is 12 to 19 digits")
        card = {"number": digits, "exp_month": int(exp_month), "exp_year": int(exp_year), "cvc": "123"}
        with self._errors("create the test card"):
            method = self._client.v1.payment_methods.create(params={"type": "card", "card": card})  # type: ignore[arg-type,typeddict-item]
        return str(method.id)

    def attach_card(self, customer_id: str, payment_method_id: str) -> CardInfo:
        """Save a card (a PaymentMethod) for the customer; it becomes the default only by ``set_default_card``."""
        with self._errors("save the card"):
            method = self._client.v1.payment_methods.attach(payment_method_id, params={"customer": customer_id})
        return _card_info(method, self.default_card(customer_id))

    def attach_test_card(self, customer_id: str, token_or_pm: str = "pm_card_visa") -> CardInfo:
        """Save a test card (test keys only): a Stripe test PaymentMethod (``pm_card_visa``...) or a test number."""
        self._require_test_key("save a test card")
        if _CARD_NUMBER.match(token_or_pm.replace(" ", "")):
            token_or_pm = self.create_test_card(token_or_pm, 12, date.today().year + 5)
        return self.attach_card(customer_id, token_or_pm)

    def list_cards(self, customer_id: str) -> tuple[CardInfo, ...]:
        """The customer's saved cards, each with brand, last four digits, expiry and whether it is the default."""
        default = self.default_card(customer_id)
        with self._errors("list the customer's cards"):
            page = self._client.v1.payment_methods.list(params={"customer": customer_id, "type": "card", "limit": 100})
            return tuple(_card_info(method, default) for method in page.auto_paging_iter())

    def set_default_card(self, customer_id: str, pm_id: str) -> None:
        """Make a saved card the one renewals charge; refused when the card is not this customer's."""
        self._require_card_of(customer_id, pm_id)
        with self._errors("set the default card"):
            self._client.v1.customers.update(
                customer_id, params={"invoice_settings": {"default_payment_method": pm_id}})

    def detach_card(self, pm_id: str, customer_id: str | None = None) -> None:
        """Delete a saved card from its customer (Stripe "detach"); with ``customer_id``, only if it is theirs.

        When it was the default card, the customer is left without one (as Stripe does; localstripe
        forgets to, so it is cleared here too).
        """
        owner = self._require_card_of(customer_id, pm_id) if customer_id else self._owner_of(pm_id)
        with self._errors("delete the card"):
            self._client.v1.payment_methods.detach(pm_id)
        if owner and self.default_card(owner) == pm_id:
            with self._errors("clear the default card"):
                self._client.v1.customers.update(owner, params={"invoice_settings": {"default_payment_method": ""}})

    # -- charges --------------------------------------------------------------------------------

    def charge_off_session(self, customer_id: str, pm_id: str, amount_cents: int, currency: str,
                           idempotency_key: str, metadata: Mapping[str, object] | None = None) -> ChargeResult:
        """Charge a saved card without the customer present (a renewal): one confirmed PaymentIntent.

        ``idempotency_key`` goes to Stripe as the Idempotency-Key and into the metadata as ``billing_key``,
        so ``find_charge`` can find the charge again after a crash. A refused card is a ``declined``
        result, not an error; ``StripeError`` means Stripe could not be asked or did not answer
        (``retryable``: the outcome is unknown, call ``find_charge`` before charging again).
        """
        import stripe

        if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
            raise StripeError(f"A charge needs a positive amount in cents, not {amount_cents!r}")
        if not idempotency_key or len(idempotency_key) > 255:
            raise StripeError("A charge needs an idempotency key of 1 to 255 characters")
        meta = _metadata(metadata)
        meta[BILLING_KEY] = idempotency_key
        params: dict[str, Any] = {
            "amount": amount_cents, "currency": currency.lower(), "customer": customer_id, "payment_method": pm_id,
            "payment_method_types": ["card"], "confirm": True, "off_session": True, "metadata": meta,
        }
        try:
            intent = self._client.v1.payment_intents.create(
                params=params, options={"idempotency_key": idempotency_key})  # type: ignore[arg-type]
        except stripe.CardError as exc:
            return self._declined(exc, amount_cents, currency.lower())
        except stripe.InvalidRequestError as exc:
            error = self._error(exc, "charge the card")
            return ChargeResult("failed", self._intent_id_of_error(exc), exc.code, error.message,
                                amount_cents, currency.lower())
        except stripe.StripeError as exc:
            raise self._error(exc, "charge the card") from None
        return _charge_result(intent)

    def find_charge(self, customer_id: str, idempotency_key: str) -> ChargeResult | None:
        """The charge made with ``idempotency_key`` for this customer, as Stripe records it; None if there is none.

        Reads the customer's PaymentIntents (never relies on Stripe's idempotency cache, which expires and
        which test servers ignore). With several, a succeeded or processing one wins, then the newest.
        """
        found = [pi for pi in self._intents(customer_id) if _field(_field(pi, "metadata"), BILLING_KEY) == idempotency_key]
        if not found:
            return None
        rank = {"succeeded": 2, "processing": 1}
        best = max(found, key=lambda pi: (rank.get(str(_field(pi, "status")), 0), _field(pi, "created") or 0))
        return _charge_result(best)

    def count_payment_intents(self, customer_id: str) -> int:
        """How many PaymentIntents Stripe holds for the customer (each charge attempt makes one)."""
        return len(self._intents(customer_id))

    def payment_intent(self, pi_id: str) -> tuple[ChargeResult, str | None]:
        """A PaymentIntent's outcome (status, amount, currency) and the card (PaymentMethod id) it used."""
        with self._errors("read the payment"):
            intent = self._client.v1.payment_intents.retrieve(pi_id)
        return _charge_result(intent), _id_of(_field(intent, "payment_method"))

    def payment_method_of_intent(self, pi_id: str) -> str | None:
        """The card (PaymentMethod id) a PaymentIntent used, e.g. to save the card of a cart paid by card."""
        with self._errors("read the payment"):
            intent = self._client.v1.payment_intents.retrieve(pi_id)
        return _id_of(_field(intent, "payment_method"))

    # -- plumbing -------------------------------------------------------------------------------

    @property
    def _client(self) -> stripe.StripeClient:
        if self._stripe_client is None:
            import stripe

            self._stripe_client = stripe.StripeClient(
                self._api_key,
                base_addresses={"api": self.api_base} if self.api_base else None,
                max_network_retries=self.max_network_retries,
                http_client=stripe.RequestsClient(timeout=self.timeout),
            )
        return self._stripe_client

    def _require_test_key(self, action: str) -> None:
        if not self.is_test:
            raise StripeError(f"Refusing to {action} with a live Stripe key: test cards need a test key (sk_test_...)")

    def _customer(self, customer_id: str) -> Any:
        with self._errors("read the customer"):
            customer = self._client.v1.customers.retrieve(customer_id)
        if _field(customer, "deleted"):
            raise StripeError(f"The Stripe customer {customer_id} was deleted on Stripe: link the customer again")
        return customer

    def _owner_of(self, pm_id: str) -> str | None:
        with self._errors("read the card"):
            method = self._client.v1.payment_methods.retrieve(pm_id)
        return _id_of(_field(method, "customer"))

    def _require_card_of(self, customer_id: str, pm_id: str) -> str:
        if self._owner_of(pm_id) != customer_id:
            raise StripeError(f"The card {pm_id} is not saved for the Stripe customer {customer_id}")
        return customer_id

    def _intents(self, customer_id: str) -> list[Any]:
        """Every PaymentIntent of the customer (listed with a customer filter, else all of them, filtered here)."""
        import stripe

        with self._errors("list the customer's payments"):
            if self._list_intents_by_customer:
                try:
                    page = self._client.v1.payment_intents.list(params={"customer": customer_id, "limit": 100})
                    return list(page.auto_paging_iter())
                except stripe.InvalidRequestError as exc:
                    if "unexpected customer" not in (exc.user_message or "").lower():
                        raise
                    self._list_intents_by_customer = False  # localstripe cannot filter PaymentIntents
            page = self._client.v1.payment_intents.list(params={"limit": 100})
            return [pi for pi in page.auto_paging_iter() if _id_of(_field(pi, "customer")) == customer_id]

    def _declined(self, exc: stripe.CardError, amount_cents: int, currency: str) -> ChargeResult:
        decline = _field(exc.error, "decline_code") or exc.code or "card_declined"
        message = exc.user_message or "The card was declined."
        return ChargeResult("declined", self._intent_id_of_error(exc), str(decline), message, amount_cents, currency)

    def _intent_id_of_error(self, exc: stripe.StripeError) -> str | None:
        """The PaymentIntent a refused charge created: from the error, else through its charge."""
        found = _id_of(_field(exc.error, "payment_intent"))
        if found:
            return found
        charge_id = _field(exc.error, "charge") or _field((exc.json_body or {}).get("error"), "charge")
        if not charge_id:
            return None
        try:
            charge = self._client.v1.charges.retrieve(str(charge_id))
        except Exception:  # noqa: BLE001 - the id is a nicety; the decline itself is what matters
            return None
        return _id_of(_field(charge, "payment_intent"))

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        import stripe

        try:
            yield
        except stripe.StripeError as exc:
            raise self._error(exc, action) from None

    def _error(self, exc: stripe.StripeError, action: str) -> StripeError:
        """A ``StripeError`` that says what went wrong while trying to ``action`` and what to check."""
        import stripe

        detail = (exc.user_message or type(exc).__name__).strip().rstrip(".")
        retryable = False
        if isinstance(exc, stripe.AuthenticationError):
            text = (f"Stripe refused the API key while trying to {action}: check BILLING_STRIPE_API_KEY against "
                    "the secret key in the Stripe dashboard (Developers → API keys)")
        elif isinstance(exc, stripe.PermissionError):
            text = (f"The Stripe API key may not {action}: use the secret key, or a restricted key with write "
                    "access to customers, payment methods and payment intents")
        elif isinstance(exc, stripe.APIConnectionError):
            hint = ", and BILLING_STRIPE_API_BASE" if self.api_base else ""
            text = f"Stripe could not be reached at {self.where} to {action}: check the network connection{hint}"
            retryable = True
        elif isinstance(exc, stripe.RateLimitError):
            text = f"Stripe is limiting this account's requests (rate limit) while trying to {action}: try again shortly"
            retryable = True
        elif isinstance(exc, stripe.IdempotencyError):
            text = (f"Stripe refused to {action}: the request reuses an earlier idempotency key with different "
                    "details")
        elif isinstance(exc, stripe.CardError):
            text = f"The card was refused while trying to {action} ({exc.code or 'card_declined'}): {detail}"
        elif isinstance(exc, stripe.InvalidRequestError):
            missing = exc.http_status == 404 or exc.code == "resource_missing"
            text = (f"Stripe could not {action}: {detail} (it does not exist on this Stripe account)" if missing
                    else f"Stripe refused to {action}: {detail}")
        elif isinstance(exc, stripe.APIError):
            text = f"Stripe had a problem while trying to {action} ({detail}): try again later"
            retryable = True
        else:
            text = f"Stripe error while trying to {action}: {detail}"
        if exc.request_id:
            text += f" [Stripe request {exc.request_id}]"
        return StripeError(text, retryable=retryable, code=exc.code, http_status=exc.http_status,
                           request_id=exc.request_id)


def _metadata(values: Mapping[str, object] | None) -> dict[str, str]:
    """Stripe metadata: string keys and values."""
    return {str(k): "" if v is None else str(v) for k, v in (values or {}).items()}


def _card_info(method: Any, default_id: str | None) -> CardInfo:
    card = _field(method, "card") or {}
    return CardInfo(
        id=str(_field(method, "id")),
        brand=str(_field(card, "brand") or "unknown"),
        last4=str(_field(card, "last4") or ""),
        exp_month=int(_field(card, "exp_month") or 0),
        exp_year=int(_field(card, "exp_year") or 0),
        is_default=_field(method, "id") == default_id,
    )


def _charge_result(intent: Any) -> ChargeResult:
    """The outcome a PaymentIntent records."""
    status = str(_field(intent, "status"))
    pi_id = _id_of(intent)
    amount = _field(intent, "amount")
    currency = _field(intent, "currency")
    amount_cents = int(amount) if amount is not None else None
    currency_code = str(currency).lower() if currency else None

    def result(outcome: ChargeStatus, code: str | None = None, message: str | None = None) -> ChargeResult:
        return ChargeResult(outcome, pi_id, code, message, amount_cents, currency_code)

    if status == "succeeded":
        return result("succeeded")
    if status in ("processing", "requires_capture"):
        return result("processing", None, "Stripe is still processing this payment: look again later")
    if status == "requires_action":
        return result("declined", "authentication_required",
                      "The bank asks the customer to confirm this payment (3-D Secure), which a renewal cannot do")
    error = _field(intent, "last_payment_error")
    if status == "requires_payment_method" and error:
        code = _field(error, "decline_code") or _field(error, "code")
        message = str(_field(error, "message") or "The card was declined.")
        if _field(error, "type") == "card_error" or _field(error, "code") in _DECLINE_CODES:
            return result("declined", str(code or "card_declined"), message)
        return result("failed", str(code) if code else None, message)
    if status == "canceled":
        return result("failed", None, "The payment was cancelled on Stripe")
    return result("failed", None, f"The payment was not completed on Stripe (status {status})")
