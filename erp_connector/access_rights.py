"""The access rights sync needs in a group's Odoo, and which of them the connected user lacks, asked of Odoo itself."""

from __future__ import annotations

from erp_connector.client import OdooClient

# What the connector does in a group's Odoo, as (model, operation, what it is for, who Odoo lets do it).
RIGHTS = [
    ("res.partner", "create", "create contacts (your buyers)", "Contact Creation"),
    ("product.product", "create", "create products", "Sales: Administrator, or Inventory/Product Manager on Odoo 19"),
    ("product.pricelist", "create", "create a pricelist (what puts an order in its currency)", "Sales: Administrator"),
    ("sale.order", "create", "create sales orders", "Sales: User"),
    ("sale.order", "write", "confirm, update and cancel sales orders", "Sales: User"),
    ("account.move", "create", "create invoices, and vendor bills from Loom for its fee", "Invoicing: Billing"),
    (
        "account.payment.register",
        "create",
        "register the buyers' payments, and what you paid of Loom's fee",
        "Invoicing: Billing",
    ),
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
