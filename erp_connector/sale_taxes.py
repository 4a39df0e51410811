"""The sale taxes of a group's Odoo (`account.tax`), and the one the group chooses for Loom's prices."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from erp_connector.client import connect
from erp_connector.links import link_of
from erp_connector.models import ErpLink
from marketplace.accounts.models import Membership, Role
from marketplace.accounts.services import require_role
from marketplace.billing.services import set_sales_tax
from marketplace.billing.taxes import TaxRule
from marketplace.db import use_case
from marketplace.errors import DomainError
from marketplace.i18n import format_number
from marketplace.outbound import OutboundPolicy
from marketplace.producers.models import ProducerGroup
from marketplace.secrets import SecretBox


@dataclass(frozen=True)
class SaleTax:
    """One sale tax of the group's Odoo as read from it: rate in percent, included in price, Odoo's `amount_type`, its company's
    rounding."""

    id: int
    name: str
    rate: Decimal
    included: bool
    kind: str = "percent"  # Odoo's amount_type: percent, group, fixed, division (the last three Loom cannot charge)
    per_line: bool = True  # the company's tax_calculation_rounding_method is round_per_line (else round_globally)

    @property
    def usable(self) -> bool:
        """Tell whether Loom can reproduce this Odoo tax: a positive percent tax (not group, fixed or division)."""
        return self.kind == "percent" and self.rate > 0

    @property
    def label(self) -> str:
        """Return the tax as the admin picks it: its name, percentage and how prices carry it (or why Loom cannot use it)."""
        if not self.usable:
            return _("%(name)s — cannot be used by Loom (only a percentage tax can be)", name=self.name)
        if self.included:
            return _("%(name)s — %(rate)s %%, included in prices", name=self.name, rate=format_number(self.rate))
        return _("%(name)s — %(rate)s %%, added on top of prices", name=self.name, rate=format_number(self.rate))


def sale_taxes(link: ErpLink, box: SecretBox, *, policy: OutboundPolicy, timeout: float = 10) -> list[SaleTax]:
    """Read the sale taxes of the group's Odoo, with each one's company rounding method, for the admin to choose from. Raises
    OdooCallError.

    `timeout` is in seconds, per call.
    """
    client = connect(
        link.url,
        link.database,
        link.login,
        box.open(link.api_key_encrypted),
        protocol=link.protocol,
        timeout=timeout,
        policy=policy,
    )
    try:
        rows = client.search_read(
            "account.tax",
            [["type_tax_use", "=", "sale"]],
            ["id", "name", "amount", "amount_type", "price_include", "company_id"],
        )
        companies = sorted({r["company_id"][0] for r in rows if r.get("company_id")})
        methods = {
            c["id"]: c.get("tax_calculation_rounding_method") or "round_per_line"
            for c in (
                client.execute("res.company", "read", companies, fields=["tax_calculation_rounding_method"]) if companies else []
            )
        }
    finally:
        client.close()
    return [
        SaleTax(
            r["id"],
            r["name"],
            Decimal(repr(float(r["amount"]))),
            bool(r["price_include"]),
            r.get("amount_type") or "percent",
            methods.get(r["company_id"][0] if r.get("company_id") else 0, "round_per_line") != "round_globally",
        )
        for r in rows
    ]


@use_case
def save_tax_mapping(
    session: Session, membership: Membership | None, group: ProducerGroup, *, tax: str, taxes: list[SaleTax]
) -> ErpLink:
    """Keep the group's choice of tax for Loom's sales: "none", or the id of one of its Odoo's percent sale taxes.

    The tax becomes part of what buyers pay on orders accepted from now on (marketplace.billing):
    included in Loom's prices, or added on top of them — then quotes, orders and invoices show the
    subtotal, the tax and the total, and the buyer pays the total. Loom reproduces Odoo's percent taxes
    only, rounded as the company of the tax rounds (per line or globally); group, fixed and division
    taxes are refused. Raises DomainError (field `tax`), Forbidden for non-admins.
    """
    require_role(membership, Role.ADMIN)
    link = link_of(session, group.id)
    if link is None:
        raise DomainError(_("Connect your Odoo first."))
    if tax == "none":
        link.tax_id, link.tax_name, link.tax_rate, link.prices_include_tax = None, None, None, False
        set_sales_tax(session, group.id, None)
        return link
    chosen = next((t for t in taxes if str(t.id) == tax), None)
    if chosen is None:
        raise DomainError(_("Choose one of your Odoo's sale taxes from the list."), field="tax")
    if not chosen.usable:
        raise DomainError(
            _(
                "In your Odoo, “%(tax)s” is not a simple percentage (it is a group of taxes, a fixed amount or a "
                "division), and Loom can only charge a percentage the way Odoo does. Choose a percentage tax, "
                "or no tax.",
                tax=chosen.name,
            ),
            field="tax",
        )
    link.tax_id, link.tax_name, link.tax_rate, link.prices_include_tax = (
        chosen.id,
        chosen.name[:120],
        chosen.rate,
        chosen.included,
    )
    set_sales_tax(session, group.id, TaxRule(chosen.name[:120], chosen.rate, chosen.included, chosen.per_line))
    return link
