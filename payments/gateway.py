"""Loom's one door to Stripe: a configured client, money in Stripe's units, errors sorted by what to do next."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import stripe

from marketplace.money import currency_code, is_rounded

# Stripe takes amounts in the currency's smallest unit; these currencies have none below the unit
# (https://docs.stripe.com/currencies#zero-decimal). UGX and RWF are among the groups' own currencies.
ZERO_DECIMAL = frozenset(
    ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"]
)


def stripe_id(value: Any) -> str:
    """An object's id, whether Stripe sent the id or the expanded object."""
    return value if isinstance(value, str) else value["id"]


class StripeUnavailable(Exception):
    """Stripe did not answer, or answered that it could not: the request may or may not have happened.

    Retry with the same idempotency key; Stripe then returns what it did the first time.
    """


class StripeRefused(Exception):
    """Stripe answered no (bad request, declined, not allowed): retrying the same request will not help."""


class PaymentsNotConfigured(Exception):
    """No Stripe secret key is configured on this installation."""


# Three-decimal currencies: amounts in thousandths, and Stripe wants the last digit 0 (docs.stripe.com/currencies#three-decimal).
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


def stripe_exponent(currency: str) -> int:
    """How many decimals Stripe's smallest unit has for `currency`: 0 for its zero-decimal list, 3 for its three-decimal one.

    Every other currency has 2.
    """
    code = currency_code(currency)
    return 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2


def to_minor(amount: Decimal, currency: str) -> int:
    """`amount` (already rounded to the currency, see `marketplace.money`) as Stripe's integer of smallest units.

    Raises `ValueError` for an amount with more decimals than the currency has: Loom never lets
    Stripe round money for it (125,000.50 UGX is a bug upstream, not 125,001 UGX to charge).
    """
    if not is_rounded(amount, currency):
        raise ValueError(f"{amount} {currency} has more decimals than the currency allows")
    units = amount.scaleb(stripe_exponent(currency))
    if units != units.to_integral_value() or (currency_code(currency) in THREE_DECIMAL and units % 10):
        raise ValueError(f"{amount} {currency} is not an amount Stripe can charge in its smallest units")
    return int(units)


def from_minor(units: int, currency: str) -> Decimal:
    """Stripe's integer of smallest units as a Decimal amount (1099 USD cents → Decimal("10.99"), 5000 UGX → Decimal("5000"))."""
    exponent = stripe_exponent(currency)
    return Decimal(int(units)).scaleb(-exponent) if exponent else Decimal(int(units))


class StripeGateway:
    """Thin, typed calls on Stripe's API (v1) through the official client."""

    def __init__(self, secret_key: str, *, api_base: str | None = None, timeout: float = 20.0, network_retries: int = 2) -> None:
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else {},
            # The library retries connection errors itself with the same idempotency key; Loom retries later from the outbox.
            max_network_retries=network_retries,
            http_client=stripe.RequestsClient(timeout=timeout),
        )

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """Call Stripe; Loom works with the answer as plain JSON data (what webhooks deliver too)."""
        try:
            return fn(*args, **kwargs).to_dict()
        except (stripe.APIConnectionError, stripe.RateLimitError) as error:
            raise StripeUnavailable(error.user_message or str(error)) from error
        except stripe.StripeError as error:
            if (error.http_status or 0) >= 500 or error.http_status is None:
                raise StripeUnavailable(error.user_message or str(error)) from error
            raise StripeRefused(error.user_message or str(error)) from error

    def create_checkout(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Create a Checkout Session with `params` under `idempotency_key`; return it as JSON data.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.checkout.sessions.create, params, {"idempotency_key": idempotency_key})

    def checkout(self, session_id: str) -> dict[str, Any]:
        """Return Checkout Session `session_id` as JSON data.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.checkout.sessions.retrieve, session_id)

    def payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        """Return PaymentIntent `payment_intent_id` with its latest charge expanded, as JSON data.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.payment_intents.retrieve, payment_intent_id, {"expand": ["latest_charge"]})

    def create_refund(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Create a refund with `params` (amount in the currency's minor units) under `idempotency_key`; return it.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.refunds.create, params, {"idempotency_key": idempotency_key})

    def refund(self, refund_id: str) -> dict[str, Any]:
        """Return refund `refund_id` as JSON data.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.refunds.retrieve, refund_id)

    def create_transfer(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Create a Connect transfer with `params` (amount in minor units) under `idempotency_key`; return it.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.transfers.create, params, {"idempotency_key": idempotency_key})

    def destination_payment(self, payment_id: str, account_id: str) -> dict[str, Any]:
        """The payment a transfer made on the connected account (`py_…`, the transfer's `destination_payment`), read as
        that account, with its `balance_transaction` expanded: the amount that arrived, in the account's currency,
        and the `exchange_rate` Stripe converted at (docs.stripe.com/api/balance_transactions/object)."""
        return self._call(
            self.client.v1.charges.retrieve, payment_id, {"expand": ["balance_transaction"]}, {"stripe_account": account_id}
        )

    def transfers_in_group(self, transfer_group: str) -> list[dict[str, Any]]:
        """The transfers made under `transfer_group` (Loom uses the order number), newest first, up to 100."""
        return self._call(self.client.v1.transfers.list, {"transfer_group": transfer_group, "limit": 100}).get("data") or []

    def refunds_of(self, payment_intent_id: str) -> list[dict[str, Any]]:
        """The refunds made of a PaymentIntent, newest first, up to 100."""
        return self._call(self.client.v1.refunds.list, {"payment_intent": payment_intent_id, "limit": 100}).get("data") or []

    def transfer(self, transfer_id: str) -> dict[str, Any]:
        """Return transfer `transfer_id` as JSON data.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.transfers.retrieve, transfer_id)

    def reverse_transfer(self, transfer_id: str, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Reverse transfer `transfer_id` (all of it, or `params['amount']` in minor units) under `idempotency_key`.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.transfers.reversals.create, transfer_id, params, {"idempotency_key": idempotency_key})

    def create_account(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        """Create a Connect Express account with `params` under `idempotency_key`; return it.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.accounts.create, params, {"idempotency_key": idempotency_key})

    def account(self, account_id: str) -> dict[str, Any]:
        """Return Connect account `account_id` as JSON data (its capabilities and whether details were submitted).

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.accounts.retrieve, account_id)

    def account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        """Create an onboarding link for a Connect account (`params`: account, type, refresh and return URLs); return it.

        Raises StripeUnavailable when Stripe cannot be reached or fails (5xx, rate limit), StripeRefused when it refuses
        (4xx).
        """
        return self._call(self.client.v1.account_links.create, params)


def gateway_from(config: Any) -> StripeGateway:
    """The gateway for this installation, or PaymentsNotConfigured when no Stripe key is set."""
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        raise PaymentsNotConfigured("Card payments are not set up on this marketplace (no Stripe key is configured).")
    return StripeGateway(
        key,
        api_base=config.get("STRIPE_API_BASE"),
        timeout=float(config["STRIPE_TIMEOUT_SECONDS"]),
        network_retries=int(config["STRIPE_NETWORK_RETRIES"]),
    )
