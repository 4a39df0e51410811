"""What accepting a quote would cost: the total, the deposit invoiced at once and the balance, tax included, and
the delivery terms (Incoterms® 2020) it is quoted on.

Shared by the RFQ's compare table (marketplace.sourcing) and the acceptance page and `accept_quote`
(marketplace.orders), so both show the figures the invoices and Stripe will carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from marketplace.billing.services import sales_tax_of
from marketplace.billing.taxes import Amounts, TaxRule, amounts_of, split_deposit
from marketplace.money import round_money
from marketplace.sourcing.incoterms import delivery_terms, same_terms
from marketplace.sourcing.models import Quote


@dataclass(frozen=True)
class AwardTerms:
    """What accepting a quote commits the buyer to, in the quote's currency: the total, the deposit invoiced at once, the balance.

    Each is tax included; `subtotal`, `tax` and `deposit_tax`/`balance_tax` give the sales tax in them
    (`tax_rule` None: the group charges none). `incoterm`/`incoterm_place` are the delivery terms quoted,
    `asked_incoterm`/`asked_incoterm_place` those the RFQ asked for (`marketplace.sourcing.incoterms`).
    """

    currency: str
    total: Decimal
    deposit_percent: int
    deposit: Decimal
    balance: Decimal
    subtotal: Decimal = Decimal(0)
    tax: Decimal = Decimal(0)
    deposit_tax: Decimal = Decimal(0)
    balance_tax: Decimal = Decimal(0)
    tax_rule: TaxRule | None = None
    incoterm: str = "FCA"
    incoterm_place: str = ""
    asked_incoterm: str = "FCA"
    asked_incoterm_place: str = ""

    @property
    def delivery_terms(self) -> str:
        """Write the quoted delivery terms as people read them ("DAP Rotterdam — delivered to the door; …")."""
        return delivery_terms(self.incoterm, self.incoterm_place)

    @property
    def asked_delivery_terms(self) -> str:
        """Write the delivery terms the RFQ asked for, as `delivery_terms` does."""
        return delivery_terms(self.asked_incoterm, self.asked_incoterm_place)

    @property
    def terms_differ(self) -> bool:
        """Tell whether the group quotes other delivery terms than the buyer asked for (`incoterms.same_terms`)."""
        return not same_terms(self.incoterm, self.incoterm_place, self.asked_incoterm, self.asked_incoterm_place)

    @property
    def tax_on_top(self) -> bool:
        """Tell whether the buyer pays a sales tax added on top of the quoted prices."""
        return self.tax_rule is not None and not self.tax_rule.included


def award_terms(quote: Quote, deposit_percent: int, tax_rule: TaxRule | None = None) -> AwardTerms:
    """Work out the total, deposit and balance exactly as `accept_quote` will invoice them (they add up to the total).

    `tax_rule` is the group's sales tax (`billing.services.sales_tax_of`): a tax on top is added to the
    total and split between the invoices as the group's Odoo books it (`billing.taxes.split_deposit`).

    `deposit_percent` is a whole percentage of the total (30 means 30 %; 0: no deposit invoice).
    """
    line = round_money(quote.unit_price * quote.quantity, quote.currency)
    order = amounts_of([line], tax_rule, quote.currency)
    if deposit_percent:
        deposit, balance = split_deposit(order, [line], tax_rule, deposit_percent, quote.currency)
    else:
        deposit, balance = Amounts(Decimal(0), Decimal(0), Decimal(0)), order
    return AwardTerms(
        quote.currency,
        order.total,
        deposit_percent,
        deposit.total,
        balance.total,
        order.untaxed,
        order.tax,
        deposit.tax,
        balance.tax,
        tax_rule,
        quote.incoterm,
        quote.incoterm_place,
        quote.rfq.incoterm,
        quote.rfq.incoterm_place,
    )


def terms_for(session: Session, quote: Quote, deposit_percent: int) -> AwardTerms:
    """Work out what accepting the quote would cost now, with the quoting group's current sales tax (see `award_terms`).

    `deposit_percent` is a whole percentage of the total (30 means 30 %).
    """
    return award_terms(quote, deposit_percent, sales_tax_of(session, quote.group_id))
