"""The payment settings every part of payments reads: Loom's base URL, its fee, the countries Stripe pays out to."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Settings:
    """What payments reads from the app's configuration."""

    base_url: str  # Loom's public address without a trailing slash, for links in e-mails and Stripe's return pages
    fee_percent: Decimal  # Loom's fee as a percentage of an invoice before sales tax: Decimal("5") is 5 %
    payout_countries: frozenset[str]  # ISO 3166 alpha-2 codes, upper case, where Stripe Connect pays groups out

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Settings:
        """Read the payment settings from the app's configuration.

        Keys: BASE_URL, PLATFORM_FEE_PERCENT (a Decimal percentage), STRIPE_PAYOUT_COUNTRIES.
        """
        return cls(
            base_url=str(config["BASE_URL"]).rstrip("/"),
            fee_percent=Decimal(str(config["PLATFORM_FEE_PERCENT"])),
            payout_countries=frozenset(str(config["STRIPE_PAYOUT_COUNTRIES"]).upper().split()),
        )


def stamp(moment: dt.datetime) -> int:
    """Return `moment` as whole seconds since the epoch (for idempotency keys)."""
    return int(moment.timestamp())
