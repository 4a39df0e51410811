"""Loom's one door to Stripe: a configured client, money in Stripe's units, errors sorted by what to do next."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import stripe

# Stripe takes amounts in the currency's smallest unit; these currencies have none below the unit
# (https://docs.stripe.com/currencies#zero-decimal). UGX and RWF are among the groups' own currencies.
ZERO_DECIMAL = frozenset(["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"])


def round_to_unit(amount: Decimal, currency: str) -> Decimal:
    """Round to what the currency can be paid in (whole shillings for UGX, cents for USD)."""
    return amount.quantize(Decimal("1") if currency.upper() in ZERO_DECIMAL else Decimal("0.01"), rounding=ROUND_HALF_UP)


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


def to_minor(amount: Decimal, currency: str) -> int:
    exponent = Decimal("1") if currency.upper() in ZERO_DECIMAL else Decimal("0.01")
    return int((amount / exponent).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def from_minor(units: int, currency: str) -> Decimal:
    return Decimal(units) if currency.upper() in ZERO_DECIMAL else (Decimal(units) / 100).quantize(Decimal("0.01"))


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
        return self._call(self.client.v1.checkout.sessions.create, params, {"idempotency_key": idempotency_key})

    def checkout(self, session_id: str) -> dict[str, Any]:
        return self._call(self.client.v1.checkout.sessions.retrieve, session_id)

    def payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        return self._call(self.client.v1.payment_intents.retrieve, payment_intent_id, {"expand": ["latest_charge"]})

    def create_refund(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call(self.client.v1.refunds.create, params, {"idempotency_key": idempotency_key})

    def refund(self, refund_id: str) -> dict[str, Any]:
        return self._call(self.client.v1.refunds.retrieve, refund_id)

    def create_transfer(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call(self.client.v1.transfers.create, params, {"idempotency_key": idempotency_key})

    def transfer(self, transfer_id: str) -> dict[str, Any]:
        return self._call(self.client.v1.transfers.retrieve, transfer_id)

    def reverse_transfer(self, transfer_id: str, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call(self.client.v1.transfers.reversals.create, transfer_id, params, {"idempotency_key": idempotency_key})

    def create_account(self, params: dict[str, Any], *, idempotency_key: str) -> dict[str, Any]:
        return self._call(self.client.v1.accounts.create, params, {"idempotency_key": idempotency_key})

    def account(self, account_id: str) -> dict[str, Any]:
        return self._call(self.client.v1.accounts.retrieve, account_id)

    def account_link(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._call(self.client.v1.account_links.create, params)


def gateway_from(config: Any) -> StripeGateway:
    """The gateway for this installation, or PaymentsNotConfigured when no Stripe key is set."""
    key = config.get("STRIPE_SECRET_KEY")
    if not key:
        raise PaymentsNotConfigured("Card payments are not set up on this marketplace (no Stripe key is configured).")
    return StripeGateway(key, api_base=config.get("STRIPE_API_BASE"), timeout=float(config["STRIPE_TIMEOUT_SECONDS"]),
                   network_retries=int(config["STRIPE_NETWORK_RETRIES"]))  # fmt: skip
