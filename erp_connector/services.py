"""Connecting a group's Odoo, and the outbox handler that keeps it in step with Loom."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_connector.client import OdooCallError, OdooClient, connect
from erp_connector.models import ErpLink
from marketplace.accounts.models import Membership, Role
from marketplace.accounts.services import require_role
from marketplace.billing.models import Invoice
from marketplace.billing.services import set_sales_tax
from marketplace.billing.taxes import TaxRule
from marketplace.db import use_case, utcnow
from marketplace.errors import DomainError
from marketplace.orders.models import Order
from marketplace.outbound import OutboundPolicy
from marketplace.outbox import topics
from marketplace.outbox.services import enqueue
from marketplace.producers.models import ProducerGroup
from marketplace.secrets import SecretBox

log = logging.getLogger(__name__)

REQUIRED_MODULES = ("sale", "account")
PROTOCOLS = ("auto", "jsonrpc", "xmlrpc", "json2")


@dataclass
class ConnectionCheck:
    ok: bool
    message: str
    server_version: str | None = None
    protocol: str | None = None
    refused: bool = False  # the address itself is not allowed: nothing was called, nothing should be saved


# What the connector does in a group's Odoo, as (model, operation, what it is for, who Odoo lets do it).
RIGHTS = [
    ("res.partner", "create", "create contacts (your buyers)", "Contact Creation"),
    ("product.product", "create", "create products", "Sales: Administrator, or Inventory/Product Manager on Odoo 19"),
    ("product.pricelist", "create", "create a pricelist (what puts an order in its currency)", "Sales: Administrator"),
    ("sale.order", "create", "create sales orders", "Sales: User"),
    ("sale.order", "write", "confirm, update and cancel sales orders", "Sales: User"),
    ("account.move", "create", "create invoices", "Invoicing: Billing"),
    ("account.payment.register", "create", "register the buyers' payments", "Invoicing: Billing"),
    ("ir.attachment", "create", "attach the trace file to orders", "Sales: User"),
]


def missing_rights(client: OdooClient) -> list[str]:
    """Say, in plain words, which of the rights sync needs the connected user lacks (an empty list when none).

    Asks Odoo itself: `check_access_rights(operation, raise_exception=False)` on 17 (deprecated in 18,
    gone in 19), `has_access(operation)` on an empty recordset from 18 on. On 17 and 18 Odoo also
    refuses notes and payments from a user without an e-mail address.
    """
    missing = []
    for model, operation, purpose, group in RIGHTS:
        if client.server.major >= 18:
            allowed = client.execute(model, "has_access", [], operation=operation)
        else:
            allowed = client.execute(model, "check_access_rights", operation, raise_exception=False)
        if not allowed:
            missing.append(f"{purpose} (Odoo's {group} right)")
    if client.server.major < 19 and client.uid:
        [user] = client.execute("res.users", "read", [client.uid], fields=["email"])
        if not user.get("email"):
            missing.append(
                "post notes and register payments: on Odoo 17 and 18 the user needs an e-mail address (Odoo's user form, Email)"
            )
    return missing


def check_connection(
    url: str, database: str, login: str, api_key: str, protocol: str, *, policy: OutboundPolicy, timeout: float = 10
) -> ConnectionCheck:
    """Try the connection as a person would want it explained: unreachable, not Odoo, wrong database, bad key, missing modules.

    The messages are Loom's own words: nothing the remote server sent is repeated (it could be any
    service the address leads to).
    """
    try:
        client = connect(url, database, login, api_key, protocol=protocol, timeout=timeout, policy=policy)
    except OdooCallError as error:
        if error.name == "refused":
            return ConnectionCheck(False, str(error), refused=True)
        if error.name == "transport":
            return ConnectionCheck(
                False, "Loom could not connect to the server at that address: check the address and that the server is running."
            )
        if error.name == "not-odoo" or error.name.startswith("http."):
            return ConnectionCheck(
                False, "The server at that address is not an Odoo server. Check the address (the one you open Odoo at)."
            )
        if error.name == "protocol":
            return ConnectionCheck(False, f"{error} Choose another protocol.")
        if error.name == "psycopg2.OperationalError" or "database" in str(error).lower():
            return ConnectionCheck(
                False,
                f"Wrong database: the server has no database called {database!r}. Check the name on Odoo's database manager page.",
            )
        return ConnectionCheck(False, "Odoo refused the login or API key. Check the login and make a new API key if needed.")
    version, used = client.server.version, client.protocol
    try:
        installed = {
            row["name"]
            for row in client.search_read(
                "ir.module.module", [["name", "in", list(REQUIRED_MODULES)], ["state", "=", "installed"]], ["name"]
            )
        }
        missing = [m for m in REQUIRED_MODULES if m not in installed]
        if missing:
            return ConnectionCheck(
                False,
                f"Connected, but these Odoo apps are not installed: {', '.join(missing)}. Install them, then test again.",
                version,
                used,
            )
        client.search_read("sale.order", [], ["id"], limit=1)
        lacking = missing_rights(client)
    except OdooCallError:
        return ConnectionCheck(
            False,
            "Connected, but this user may not read sales orders. Give the user Sales / Administrator rights.",
            version,
            used,
        )
    finally:
        client.close()
    if lacking:
        return ConnectionCheck(False, f"Connected to Odoo {version}, but the user {login!r} cannot " + "; cannot ".join(lacking)
                               + ". Every order would fail to sync until it can: in Odoo, open Settings › Users, give this user those rights, then press Test again.",
                               version, used)  # fmt: skip
    return ConnectionCheck(True, f"Connected to Odoo {version} over {used}.", version, used)


@use_case
def save_link(
    session: Session, membership: Membership | None, group: ProducerGroup, *, url: str, database: str, login: str, api_key: str,
    protocol: str, check: ConnectionCheck, box: SecretBox,
) -> ErpLink:  # fmt: skip
    """Save the group's Odoo connection (the API key sealed with `box`) with the outcome of its `check`; return the link.

    An empty `api_key` keeps the one saved before. Raises Forbidden below admin, DomainError for a protocol not in PROTOCOLS.
    """
    require_role(membership, Role.ADMIN)
    if protocol not in PROTOCOLS:
        raise DomainError(_("Choose a protocol from the list."), field="protocol")
    link = session.scalar(select(ErpLink).where(ErpLink.group_id == group.id)) or ErpLink(group_id=group.id)
    link.url, link.database, link.login, link.protocol = url.rstrip("/"), database, login, protocol
    if api_key:
        link.api_key_encrypted = box.seal(api_key)
    link.status = "connected" if check.ok else "failing"
    link.server_version = check.server_version
    link.last_error = None if check.ok else check.message
    link.checked_at = utcnow()
    session.add(link)
    session.flush()
    return link


@dataclass(frozen=True)
class SaleTax:
    """One sale tax of the group's Odoo as read from it: rate in percent, included in price, Odoo's `amount_type`, its company's rounding."""

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
            return _("%(name)s — %(rate)s %%, included in prices", name=self.name, rate=f"{self.rate.normalize():f}")
        return _("%(name)s — %(rate)s %%, added on top of prices", name=self.name, rate=f"{self.rate.normalize():f}")


def sale_taxes(link: ErpLink, box: SecretBox, *, policy: OutboundPolicy, timeout: float = 10) -> list[SaleTax]:
    """Read the sale taxes of the group's Odoo, with each one's company rounding method, for the admin to choose from. Raises OdooCallError."""
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
        SaleTax(r["id"], r["name"], Decimal(repr(float(r["amount"]))), bool(r["price_include"]), r.get("amount_type") or "percent",
                methods.get(r["company_id"][0] if r.get("company_id") else 0, "round_per_line") != "round_globally")
        for r in rows
    ]  # fmt: skip


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
        raise DomainError(_("In your Odoo, “%(tax)s” is not a simple percentage (it is a group of taxes, a fixed amount or a "
                            "division), and Loom can only charge a percentage the way Odoo does. Choose a percentage tax, "
                            "or no tax.", tax=chosen.name), field="tax")  # fmt: skip
    link.tax_id, link.tax_name, link.tax_rate, link.prices_include_tax = (
        chosen.id,
        chosen.name[:120],
        chosen.rate,
        chosen.included,
    )
    set_sales_tax(session, group.id, TaxRule(chosen.name[:120], chosen.rate, chosen.included, chosen.per_line))
    return link


@use_case
def record_check(session: Session, membership: Membership | None, group: ProducerGroup, check: ConnectionCheck) -> ErpLink:
    """Keep the result of testing the saved connection again."""
    require_role(membership, Role.ADMIN)
    link = link_of(session, group.id)
    if link is None:
        raise DomainError(_("Connect your Odoo first."))
    link.status = "connected" if check.ok else "failing"
    link.server_version = check.server_version or link.server_version
    link.last_error = None if check.ok else check.message
    link.checked_at = utcnow()
    return link


def link_of(session: Session, group_id: int) -> ErpLink | None:
    """Return the group's Odoo link, or None when it connected none."""
    return session.scalar(select(ErpLink).where(ErpLink.group_id == group_id))


def queue_order_sync(session: Session, order: Order) -> None:
    """Queue the order for the group's Odoo, if the group connected one."""
    if link_of(session, order.group_id) is not None:
        enqueue(session, topics.SYNC_ORDER, order.id, {"group": order.group_id}, coalesce=True)


def queue_invoice_sync(session: Session, invoice: Invoice) -> None:
    """Queue the invoice for the group's Odoo, if the group connected one."""
    if link_of(session, invoice.group_id) is not None:
        enqueue(session, topics.SYNC_INVOICE, invoice.id, {"group": invoice.group_id})


def queue_payment_sync(session: Session, invoice: Invoice) -> None:
    """Queue an invoice's money news (paid, refunded, paid out, void) for the group's Odoo, if it has one."""
    if link_of(session, invoice.group_id) is not None:
        enqueue(session, topics.SYNC_PAYMENT, invoice.id, {"group": invoice.group_id}, coalesce=True)


def queue_trace_sync(session: Session, order: Order) -> None:
    """Queue the order's new trace events for the group's Odoo, if the group connected one."""
    if link_of(session, order.group_id) is not None:
        enqueue(session, topics.SYNC_TRACE, order.id, {"group": order.group_id}, coalesce=True)
