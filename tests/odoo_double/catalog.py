"""The models a fresh Odoo 17/18/19 with sale_management, account, stock and contacts has, as far as the connector goes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.odoo_double import money
from tests.odoo_double.orm import (
    AccessError,
    Database,
    Field,
    Model,
    UserError,
    ValidationError,
    escape_plain,
)

# Country ids as a fresh Odoo numbers them (they come from data files, in the same order everywhere).
COUNTRIES = {
    80: ("GH", "Ghana"),
    114: ("KE", "Kenya"),
    233: ("US", "United States"),
    76: ("GB", "United Kingdom"),
    104: ("IN", "India"),
    91: ("GT", "Guatemala"),
    69: ("ET", "Ethiopia"),
    174: ("PE", "Peru"),
    19: ("BD", "Bangladesh"),
}
# res.groups of the rights the connector needs (id, xml id, name); the first is the recordings' Sales / User.
# Sales / User is res.groups 21 on 17/18 and 22 on 19, as recorded; the others' ids are the double's own.
BILLING, CONTACT_CREATION, PRODUCT_MANAGER, SALES_MANAGER = 61, 62, 63, 64
GROUPS = {
    "sales_team.group_sale_salesman": "User: Own Documents Only",
    "account.group_account_invoice": "Billing",
    "base.group_partner_manager": "Contact Creation",
    "product.group_product_manager": "Product Manager",
    "sales_team.group_sale_manager": "Administrator",
}


def group_ids(version: int) -> dict[str, int]:
    """res.groups id of each group the connector's rights come from, by xml id (17 has no Product Manager group: checked on real
    17)."""
    ids = dict(zip(GROUPS, (22 if version >= 19 else 21, BILLING, CONTACT_CREATION, PRODUCT_MANAGER, SALES_MANAGER), strict=True))
    if version < 18:
        del ids["product.group_product_manager"]
    return ids


MODULES = {"sale": 408, "sale_management": 415, "account": 1, "stock": 453, "mail": 294, "contacts": 120}
SALES_USER_GROUP_DATA = 11181  # ir.model.data id of sales_team.group_sale_salesman


def _line_amounts(db: Database, model: str, row: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    if model == "sale.order.line":
        order = db.models["sale.order"].records[row["order_id"]]
        taxes = row.get("tax_ids" if db.version >= 19 else "tax_id") or []
        return money.line_amounts(
            db, row["product_uom_qty"], row["price_unit"], row.get("discount"), taxes, _order_currency(db, order)
        )
    move = db.models["account.move"].records[row["move_id"]]
    return money.line_amounts(
        db,
        row["quantity"],
        row["price_unit"],
        row.get("discount"),
        row.get("tax_ids") or [],
        move.get("currency_id") or money.COMPANY_CURRENCY,
    )


def _line_subtotal(db: Database, model: str, row: dict[str, Any]) -> float:
    return float(_line_amounts(db, model, row)[0])


def _line_tax(db: Database, model: str, row: dict[str, Any]) -> float:
    return float(_line_amounts(db, model, row)[1])


def _line_total(db: Database, model: str, row: dict[str, Any]) -> float:
    return float(_line_amounts(db, model, row)[2])


def _order_currency(db: Database, order: dict[str, Any]) -> int:
    pricelist = db.models["product.pricelist"].records.get(order.get("pricelist_id") or 0)
    return pricelist["currency_id"] if pricelist else money.COMPANY_CURRENCY


def _order_currency_id(db: Database, model: str, row: dict[str, Any]) -> int:
    return _order_currency(db, row)


def _document_amounts(db: Database, model: str, row: dict[str, Any]) -> tuple[Decimal, Decimal, Decimal]:
    if model == "sale.order":
        lines = [
            (("sale.order.line"), line) for line in db.models["sale.order.line"].records.values() if line["order_id"] == row["id"]
        ]
    else:
        lines = [
            ("account.move.line", line)
            for line in db.models["account.move.line"].records.values()
            if line["move_id"] == row["id"] and line.get("display_type") != "payment_term"
        ]
    amounts = [_line_amounts(db, line_model, line) for line_model, line in lines]
    untaxed, tax, total = (sum((a[i] for a in amounts), Decimal(0)) for i in range(3))
    if money.rounds_globally(db) and lines:
        # round_globally: the document's tax is the unrounded line taxes added, rounded once; included taxes come out of the
        # lines' amounts.
        currency = _order_currency(db, row) if model == "sale.order" else (row.get("currency_id") or money.COMPANY_CURRENCY)
        quantity = "product_uom_qty" if model == "sale.order" else "quantity"
        tax_field = ("tax_ids" if db.version >= 19 else "tax_id") if model == "sale.order" else "tax_ids"
        tax = money.currency_round(
            sum(
                (
                    money.unrounded_tax(db, line[quantity], line["price_unit"], line.get("discount"), line.get(tax_field) or [])
                    for _, line in lines
                ),
                Decimal(0),
            ),
            money.rounding_of(db, currency),
        )
        if any(_excluded_taxes(db, line_model, line) for line_model, line in lines):
            total = untaxed + tax
        else:
            untaxed = total - tax
    elif db.version >= 19 and lines:
        # 19 rounds the document's untaxed amount once, from the lines' unrounded amounts (`_round_tax_details_base_lines`,
        # measured on real 19): round(Σ quantity × price) with no tax or price-included taxes; taxes stay rounded per line.
        currency = _order_currency(db, row) if model == "sale.order" else (row.get("currency_id") or money.COMPANY_CURRENCY)
        raw = sum(
            (
                money.to_decimal(line["product_uom_qty" if line_model == "sale.order.line" else "quantity"])
                * money.to_decimal(line["price_unit"])
                * (1 - money.to_decimal(line.get("discount")) / 100)
                for line_model, line in lines
            ),
            Decimal(0),
        )
        gross = money.currency_round(raw, money.rounding_of(db, currency))
        if any(_excluded_taxes(db, line_model, line) for line_model, line in lines):
            untaxed, total = gross, gross + tax
        else:
            untaxed, total = gross - tax, gross
    return untaxed, tax, total  # type: ignore[return-value]


def _excluded_taxes(db: Database, model: str, line: dict[str, Any]) -> bool:
    field = ("tax_ids" if db.version >= 19 else "tax_id") if model == "sale.order.line" else "tax_ids"
    return any(
        not money.tax_included(db, db.models["account.tax"].records[i])
        for i in (line.get(field) or [])
        if i in db.models["account.tax"].records
    )


def _amount_untaxed(db: Database, model: str, row: dict[str, Any]) -> float:
    return float(_document_amounts(db, model, row)[0])


def _amount_tax(db: Database, model: str, row: dict[str, Any]) -> float:
    return float(_document_amounts(db, model, row)[1])


def _amount_total(db: Database, model: str, row: dict[str, Any]) -> float:
    return float(_document_amounts(db, model, row)[2])


def _qty_invoiced(db: Database, model: str, row: dict[str, Any]) -> float:
    moves = db.models["account.move"].records.values()
    return float(sum(m.get("_invoiced", {}).get(row["id"], 0) for m in moves if m["state"] == "posted" or m["state"] == "draft"))


def _line_invoice_status(db: Database, model: str, row: dict[str, Any]) -> str:
    order = db.models["sale.order"].records[row["order_id"]]
    if order["state"] == "cancel":
        return "no"
    return (
        "invoiced"
        if _qty_invoiced(db, model, row) >= row["product_uom_qty"]
        else ("to invoice" if order["state"] == "sale" else "no")
    )


def _order_invoice_status(db: Database, model: str, row: dict[str, Any]) -> str:
    if row["state"] == "cancel" or row["state"] == "draft":
        return "no"
    lines = [line for line in db.models["sale.order.line"].records.values() if line["order_id"] == row["id"]]
    statuses = {_line_invoice_status(db, "sale.order.line", line) for line in lines}
    return "invoiced" if statuses == {"invoiced"} else "to invoice"


def _invoice_ids(db: Database, model: str, row: dict[str, Any]) -> list[int]:
    line_ids = {i for i, line in db.models["sale.order.line"].records.items() if line["order_id"] == row["id"]}
    return sorted(i for i, m in db.models["account.move"].records.items() if set(m.get("_invoiced", {})) & line_ids)


def residual(db: Database, move: dict[str, Any]) -> Decimal:
    """What is left to pay on an invoice: its total less the payments reconciled with it once it is posted."""
    total = _document_amounts(db, "account.move", move)[2]
    if move["state"] != "posted":
        return total if move["state"] == "draft" else Decimal(0)
    return max(total - sum((Decimal(p) for p in move.get("_paid", [])), Decimal(0)), Decimal(0))


def _move_residual(db: Database, model: str, row: dict[str, Any]) -> float:
    return float(residual(db, row))


def _payment_state(db: Database, model: str, row: dict[str, Any]) -> str:
    # Community never leaves an invoice `in_payment`: _get_invoice_in_payment_state() answers `paid` unless
    # Enterprise's accountant app overrides it.
    if row["state"] != "posted" or row.get("move_type") == "entry":
        return "not_paid"
    left = residual(db, row)
    if left == 0:
        # Matched with credit notes only (no payment), a vendor bill reads `reversed` (_compute_payment_state on 17-19).
        kinds = set(row.get("_matched_with", ()))
        return "reversed" if row.get("move_type") == "in_invoice" and kinds == {"in_refund"} else "paid"
    return "partial" if row.get("_paid") else "not_paid"


def _payment_difference(db: Database, model: str, row: dict[str, Any]) -> float:
    moves = [db.models["account.move"].records[i] for i in row.get("_moves", [])]
    owed = sum((money.convert(db, residual(db, m), m["currency_id"], row["currency_id"]) for m in moves), Decimal(0))
    return float(owed - money.to_decimal(row.get("amount")))


def build(name: str, version: int) -> Database:
    db = Database(name, version)
    uom_field = "product_uom_id" if version >= 19 else "product_uom"
    tax_field = "tax_ids" if version >= 19 else "tax_id"

    def add(model: Model) -> Model:
        db.models[model.name] = model
        return model

    add(
        Model(
            "res.country",
            "Country",
            {"name": Field("char"), "code": Field("char")},
            records={i: {"id": i, "name": n, "code": c} for i, (c, n) in COUNTRIES.items()},
            next_id=300,
        )
    )
    add(
        Model(
            "res.currency",
            "Currency",
            {
                "name": Field("char", required=True),
                "symbol": Field("char"),
                "rounding": Field("float"),
                "active": Field("boolean", default=True),
                "decimal_places": Field(
                    "integer",
                    readonly=True,
                    compute=lambda d, m, r: max(0, -Decimal(repr(r["rounding"])).normalize().as_tuple().exponent),
                ),
            },
            records={
                i: {"id": i, "name": code, "symbol": symbol, "rounding": rounding, "active": active}
                for i, code, symbol, rounding, active, _ in money.CURRENCIES
            },
            next_id=200,
        )
    )
    db.rates = {i: Decimal(rate) for i, *_, rate in money.CURRENCIES}
    add(
        Model(
            "res.company",
            "Companies",
            {
                "name": Field("char"),
                "currency_id": Field("many2one", "res.currency"),
                "account_sale_tax_id": Field("many2one", "account.tax"),
                "account_purchase_tax_id": Field("many2one", "account.tax"),
                "tax_calculation_rounding_method": Field(
                    "selection",
                    selection=[["round_per_line", "Round per Line"], ["round_globally", "Round Globally"]],
                    default="round_per_line",
                ),
                **({"account_price_include": Field("selection", default="tax_excluded")} if version >= 18 else {}),
            },
            records={
                1: {
                    "id": 1,
                    "name": "My Company",
                    "currency_id": money.COMPANY_CURRENCY,
                    "account_sale_tax_id": money.DEFAULT_SALE_TAX,
                    "account_purchase_tax_id": money.DEFAULT_PURCHASE_TAX,
                    "tax_calculation_rounding_method": "round_per_line",
                    **({"account_price_include": "tax_excluded"} if version >= 18 else {}),
                }
            },
            next_id=2,
        )
    )
    # The generic chart of accounts' taxes; 18 moved "included in price" to price_include_override (price_include computed).
    tax_fields = {
        "name": Field("char", required=True),
        "amount": Field("float"),
        "type_tax_use": Field("selection", default="sale"),
        "amount_type": Field("selection", default="percent"),
        "active": Field("boolean", default=True),
        "description": Field("char"),
        "company_id": Field("many2one", "res.company", default=1),
    }
    if version >= 18:
        tax_fields["price_include_override"] = Field(
            "selection", selection=[["tax_included", "Tax Included"], ["tax_excluded", "Tax Excluded"]]
        )
        tax_fields["price_include"] = Field("boolean", readonly=True, compute=lambda d, m, r: money.tax_included(d, r))
    else:
        tax_fields["price_include"] = Field("boolean", default=False)
    add(
        Model(
            "account.tax",
            "Tax",
            tax_fields,
            records={
                1: {
                    "id": 1,
                    "name": "15%",
                    "amount": 15.0,
                    "type_tax_use": "sale",
                    "amount_type": "percent",
                    "active": True,
                    "company_id": 1,
                    "description": False,
                    **({"price_include_override": False} if version >= 18 else {"price_include": False}),
                },
                2: {
                    "id": 2,
                    "name": "15%",
                    "amount": 15.0,
                    "type_tax_use": "purchase",
                    "amount_type": "percent",
                    "active": True,
                    "company_id": 1,
                    "description": False,
                    **({"price_include_override": False} if version >= 18 else {"price_include": False}),
                },
            },
            next_id=3,
        )
    )
    add(
        Model(
            "product.pricelist",
            "Pricelist",
            {
                "name": Field("char", required=True),
                "currency_id": Field("many2one", "res.currency", required=True),
                "active": Field("boolean", default=True),
            },
            records={1: {"id": 1, "name": "Default", "currency_id": money.COMPANY_CURRENCY, "active": True}},
            next_id=2,
        )
    )
    add(
        Model(
            "res.partner",
            "Contact",
            {
                "name": Field("char"),
                "ref": Field("char"),
                "email": Field("char"),
                "is_company": Field("boolean", default=False),
                "country_id": Field("many2one", "res.country"),
                "parent_id": Field("many2one", "res.partner"),
                "vat": Field("char"),
                "street": Field("char"),
                "city": Field("char"),
            },
            records={
                1: {"id": 1, "name": "My Company", "is_company": True},
                3: {"id": 3, "name": "Administrator", "email": "admin@yourcompany.example.com"},
            },
            next_id=7,
        )
    )
    add(
        Model(
            "product.product",
            "Product",
            {
                "name": Field("char", required=True),
                "default_code": Field("char"),
                "barcode": Field("char"),
                "list_price": Field("float", default=0.0),
                "type": Field(
                    "selection", selection=[["consu", "Goods"], ["service", "Service"], ["combo", "Combo"]], default="consu"
                ),
                "sale_ok": Field("boolean", default=True),
                # A product made without taxes gets the company's default sales tax (the generic chart's 15 %).
                "taxes_id": Field("many2many", "account.tax", default=lambda: [money.DEFAULT_SALE_TAX]),
            },
            next_id=1,
            display=lambda r: f"[{r['default_code']}] {r['name']}" if r.get("default_code") else r["name"],
        )
    )
    add(
        Model(
            "sale.order",
            "Sales Order",
            {
                "name": Field("char", readonly=True),
                "partner_id": Field("many2one", "res.partner", required=True),
                "client_order_ref": Field("char"),
                "commitment_date": Field("datetime"),
                "note": Field("html"),
                "state": Field(
                    "selection",
                    selection=[
                        ["draft", "Quotation"],
                        ["sent", "Quotation Sent"],
                        ["sale", "Sales Order"],
                        ["cancel", "Cancelled"],
                    ],
                    default="draft",
                ),
                # "Lock Confirmed Sales" sets this boolean on confirmation from 17 on (no `done` state any more: checked on real
                # 17).
                "locked": Field("boolean", default=False),
                "order_line": Field("one2many", "sale.order.line", inverse="order_id"),
                "pricelist_id": Field("many2one", "product.pricelist"),
                "currency_id": Field("many2one", "res.currency", readonly=True, compute=_order_currency_id),
                "amount_untaxed": Field("monetary", readonly=True, compute=_amount_untaxed),
                "amount_tax": Field("monetary", readonly=True, compute=_amount_tax),
                "amount_total": Field("monetary", readonly=True, compute=_amount_total),
                "invoice_status": Field("selection", readonly=True, compute=_order_invoice_status),
                "invoice_ids": Field("many2many", "account.move", readonly=True, compute=_invoice_ids),
                "date_order": Field("datetime"),
            },
        )
    )
    add(
        Model(
            "sale.order.line",
            "Sales Order Line",
            {
                "order_id": Field("many2one", "sale.order", required=True),
                "product_id": Field("many2one", "product.product"),
                "name": Field("text"),
                "product_uom_qty": Field("float", default=1.0),
                "price_unit": Field("float", default=0.0),
                "discount": Field("float", default=0.0),
                uom_field: Field("many2one", "uom.uom"),
                tax_field: Field("many2many", "account.tax"),
                "price_subtotal": Field("monetary", readonly=True, compute=_line_subtotal),
                "price_tax": Field("float", readonly=True, compute=_line_tax),
                "price_total": Field("monetary", readonly=True, compute=_line_total),
                "qty_invoiced": Field("float", readonly=True, compute=_qty_invoiced),
                "invoice_status": Field("selection", readonly=True, compute=_line_invoice_status),
            },
            display=lambda r: r.get("name") or "",
        )
    )
    add(
        Model(
            "account.move",
            "Journal Entry",
            {
                "name": Field("char"),
                "move_type": Field("selection", default="entry"),
                "partner_id": Field("many2one", "res.partner"),
                "state": Field("selection", default="draft"),
                "payment_state": Field("selection", readonly=True, compute=_payment_state),
                "ref": Field("char"),
                "invoice_date": Field("date"),
                "invoice_origin": Field("char"),
                "currency_id": Field("many2one", "res.currency", default=money.COMPANY_CURRENCY),
                "invoice_line_ids": Field("one2many", "account.move.line", inverse="move_id"),
                "amount_untaxed": Field("monetary", readonly=True, compute=_amount_untaxed),
                "amount_tax": Field("monetary", readonly=True, compute=_amount_tax),
                "amount_total": Field("monetary", readonly=True, compute=_amount_total),
                "amount_residual": Field("monetary", readonly=True, compute=_move_residual),
            },
            display=lambda r: r.get("name") or "/",
        )
    )
    add(
        Model(
            "account.move.line",
            "Journal Item",
            {
                "move_id": Field("many2one", "account.move"),
                "product_id": Field("many2one", "product.product"),
                "name": Field("char"),
                "quantity": Field("float", default=1.0),
                "price_unit": Field("float", default=0.0),
                "discount": Field("float", default=0.0),
                "sale_line_ids": Field("many2many", "sale.order.line"),
                "tax_ids": Field("many2many", "account.tax"),
                # `product` for an invoice line; `payment_term` for the receivable/payable line Odoo adds to every invoice.
                "display_type": Field("selection", default="product"),
                "price_subtotal": Field("monetary", readonly=True, compute=_line_subtotal),
                "price_total": Field("monetary", readonly=True, compute=_line_total),
            },
        )
    )
    add(
        Model(
            "mail.message",
            "Message",
            {
                "body": Field("html"),
                "model": Field("char"),
                "res_id": Field("integer"),
                "message_type": Field("selection"),
                "subtype_id": Field("many2one", "mail.message.subtype"),
                "date": Field("datetime"),
                "author_id": Field("many2one", "res.partner"),
            },
        )
    )
    add(
        Model(
            "mail.message.subtype",
            "Message subtypes",
            {"name": Field("char")},
            records={
                1: {"id": 1, "name": "Discussions"},
                2: {"id": 2, "name": "Note"},
                3: {"id": 3, "name": "Sales Order Confirmed"},
                4: {"id": 4, "name": "Invoice Paid"},
                INVOICE_CREATED: {"id": INVOICE_CREATED, "name": "Invoice Created"},
                INVOICE_VALIDATED: {"id": INVOICE_VALIDATED, "name": "Validated"},
                INVOICE_PAID: {"id": INVOICE_PAID, "name": "Paid"},
            },
            next_id=8,
        )
    )
    add(
        Model(
            "ir.model.fields",
            "Fields",
            {"name": Field("char"), "model": Field("char"), "field_description": Field("char")},
            records={i: {"id": i, **row} for i, row in TRACKED_FIELDS.items()},
            next_id=len(TRACKED_FIELDS) + 1,
            display=lambda r: f"{r['field_description']} (Journal Entry)",
        )
    )
    add(
        Model(
            "mail.tracking.value",
            "Mail Tracking Value",
            {
                "mail_message_id": Field("many2one", "mail.message"),
                "field_id": Field("many2one", "ir.model.fields"),
                "old_value_char": Field("char"),
                "new_value_char": Field("char"),
            },
        )
    )
    add(
        Model(
            "ir.attachment",
            "Attachment",
            {
                "name": Field("char"),
                "res_model": Field("char"),
                "res_id": Field("integer"),
                "datas": Field("binary"),
                "mimetype": Field("char"),
                "type": Field("selection", default="binary"),
            },
            next_id=450,
        )
    )
    add(
        Model(
            "ir.model.data",
            "Model Data",
            {
                "name": Field("char"),
                "module": Field("char"),
                "model": Field("char"),
                "res_id": Field("integer"),
            },
            records={
                SALES_USER_GROUP_DATA + n: {
                    "id": SALES_USER_GROUP_DATA + n,
                    "name": xmlid.split(".")[1],
                    "module": xmlid.split(".")[0],
                    "model": "res.groups",
                    "res_id": gid,
                }
                for n, (xmlid, gid) in enumerate(group_ids(version).items())
            },
            next_id=20940,
        )
    )
    add(
        Model(
            "ir.module.module",
            "Module",
            {"name": Field("char"), "state": Field("selection"), "latest_version": Field("char")},
            records={
                i: {"id": i, "name": n, "state": "installed", "latest_version": f"{version}.0.1.0"} for n, i in MODULES.items()
            },
            next_id=600,
        )
    )
    add(
        Model(
            "res.groups",
            "Access Groups",
            {"name": Field("char")},
            records={gid: {"id": gid, "name": GROUPS[xmlid]} for xmlid, gid in group_ids(version).items()},
            next_id=100,
        )
    )
    groups_field = "group_ids" if version >= 19 else "groups_id"
    add(
        Model(
            "res.users",
            "User",
            {
                "name": Field("char"),
                "login": Field("char"),
                "password": Field("char"),
                groups_field: Field("many2many", "res.groups"),
                "partner_id": Field("many2one", "res.partner"),
                "active": Field("boolean", default=True),
                "email": Field(
                    "char",
                    compute=lambda d, m, r: (
                        d.models["res.partner"].records.get(r.get("partner_id") or 0, {}).get("email") or False
                    ),
                ),
            },
            records={2: {"id": 2, "name": "Administrator", "login": "admin", "partner_id": 3, groups_field: []}},
            next_id=6,
        )
    )
    add(
        Model(
            "account.journal",
            "Journal",
            {"name": Field("char"), "type": Field("selection")},
            records={6: {"id": 6, "name": "Bank", "type": "bank"}},
            next_id=10,
        )
    )
    add(
        Model(
            "account.payment.method.line",
            "Payment Methods",
            {"name": Field("char")},
            records={1: {"id": 1, "name": "Manual" if version < 18 else "Manual Payment (Bank)"}},
            next_id=10,
        )
    )
    # Registering a customer payment (addons/account/wizard/account_payment_register.py): a wizard opened on
    # invoices through the context, then action_create_payments (a payment, reconciled with them).
    add(
        Model(
            "account.payment.register",
            "Register Payment",
            {
                "payment_date": Field("date"),
                "communication": Field("char"),
                "amount": Field("monetary"),
                "currency_id": Field("many2one", "res.currency"),
                "journal_id": Field("many2one", "account.journal"),
                "payment_method_line_id": Field("many2one", "account.payment.method.line"),
                "partner_id": Field("many2one", "res.partner"),
                "payment_difference": Field("monetary", readonly=True, compute=_payment_difference),
                "payment_difference_handling": Field("selection", default="open"),
                "line_ids": Field("many2many", "account.move.line", readonly=True),
            },
        )
    )
    add(
        Model(
            "account.payment",
            "Payments",
            {
                "name": Field("char"),
                "amount": Field("monetary"),
                "payment_type": Field("selection"),
                "partner_type": Field("selection"),
                "partner_id": Field("many2one", "res.partner"),
                "date": Field("date"),
                "state": Field("selection", default="draft"),
                "currency_id": Field("many2one", "res.currency"),
                "journal_id": Field("many2one", "account.journal"),
                ("memo" if version >= 18 else "ref"): Field("char"),
                "reconciled_invoice_ids": Field("many2many", "account.move", readonly=True),
                "is_reconciled": Field("boolean", readonly=True, compute=lambda d, m, r: bool(r.get("reconciled_invoice_ids"))),
                "is_matched": Field("boolean", readonly=True, compute=lambda d, m, r: False),
            },
        )
    )
    add(
        Model(
            "sale.advance.payment.inv",
            "Sales Advance Payment Invoice",
            {
                "advance_payment_method": Field("selection", default="delivered"),
                "sale_order_ids": Field("many2many", "sale.order"),
            },
        )
    )

    db.users = {2: {"login": "admin", "password": "admin", "create_forbidden": set()}}
    _methods(db, groups_field)
    return db


def _log(database: Database, order_id: int, body: str, subtype: int, model: str = "sale.order") -> int:
    """A message Odoo itself writes in a record's chatter (creation, tracked changes, invoice paid, payment created)."""
    [message] = database.create(
        SUPERUSER,
        "mail.message",
        [
            {
                "body": body,
                "model": model,
                "res_id": order_id,
                "message_type": "notification",
                "subtype_id": subtype,
                "date": database.clock().strftime("%Y-%m-%d %H:%M:%S"),
            }
        ],
    )
    return message


# The subtypes account adds (account.mt_invoice_created, mt_invoice_validated, mt_invoice_paid); 2 is mail.mt_note.
NOTE, INVOICE_CREATED, INVOICE_VALIDATED, INVOICE_PAID = 2, 5, 6, 7
# account.move._creation_message (17-19): what the creation message says, per move type (an entry gets mail's own).
CREATION_MESSAGES = {
    "out_invoice": "Invoice Created",
    "out_refund": "Credit Note Created",
    "in_invoice": "Vendor Bill Created",
    "in_refund": "Refund Created",
}


def _log_move_created(database: Database, move: dict[str, Any]) -> None:
    """Write the creation message of an invoice, bill or credit note, as real Odoo's mail.thread does.

    A customer invoice's has the subtype "Invoice Created" (account's _creation_subtype) and, on 17, an empty body (the
    subtype's name is what the chatter shows); on 18 and 19 its body is the text in an `o_mail_notification` div. Every
    other move type's is a note with the text (measured on real 17, 18 and 19).
    """
    text = CREATION_MESSAGES.get(move.get("move_type"))
    if text is None:
        return
    if move["move_type"] == "out_invoice":
        body = "" if database.version < 18 else f'<div summary="o_mail_notification"><p>{text}</p></div>'
        _log(database, move["id"], body, INVOICE_CREATED, "account.move")
    else:
        _log(database, move["id"], f"<p>{text}</p>", NOTE, "account.move")


# The tracked fields of account.move the double tracks (ir.model.fields), and the labels of their values, as real 17-19
# store them in mail.tracking.value (old_value_char/new_value_char of a selection: the label).
TRACKED_FIELDS = {
    1: {"name": "state", "model": "account.move", "field_description": "Status"},
    2: {"name": "payment_state", "model": "account.move", "field_description": "Payment Status"},
}
LABELS = {
    "draft": "Draft",
    "posted": "Posted",
    "cancel": "Cancelled",
    "not_paid": "Not Paid",
    "partial": "Partially Paid",
    "paid": "Paid",
    "reversed": "Reversed",
    "in_payment": "In Payment",
}


def _track_move(database: Database, move: dict[str, Any], before: tuple[str, str]) -> None:
    """Write the tracking message of a change of the tracked `state` or `payment_state` of an invoice (17-19).

    One message (an empty body; its tracking values hold the changes) with account's _track_subtype: "Paid" when
    payment_state became paid, else "Validated" when a customer invoice or credit note was posted, else a note.
    """
    if move.get("move_type") not in CREATION_MESSAGES:
        return
    state, paid = move["state"], _payment_state(database, "account.move", move)
    if (state, paid) == before:
        return
    if paid != before[1] and paid == "paid":
        subtype = INVOICE_PAID
    elif state != before[0] and state == "posted" and move["move_type"] in ("out_invoice", "out_refund"):
        subtype = INVOICE_VALIDATED
    else:
        subtype = NOTE
    message = _log(database, move["id"], "", subtype, "account.move")
    for field_id, old, new in ((2, before[1], paid), (1, before[0], state)):
        if old != new:
            database.create(
                SUPERUSER,
                "mail.tracking.value",
                [
                    {
                        "mail_message_id": message,
                        "field_id": field_id,
                        "old_value_char": LABELS[old],
                        "new_value_char": LABELS[new],
                    }
                ],
            )


def _tracked(database: Database, move: dict[str, Any]) -> tuple[str, str]:
    return move["state"], _payment_state(database, "account.move", move)


SUPERUSER = 1
NO_EMAIL = "Unable to send message, please configure the sender's email address."


def _require_email(database: Database, uid: int) -> None:
    # On 17 and 18 mail needs an author address: a user without an e-mail cannot post a note or register a payment.
    if (
        database.version < 19
        and uid != SUPERUSER
        and not database.value(database.models["res.users"], database.models["res.users"].records[uid], "email")
    ):
        raise UserError(NO_EMAIL)


def rights_of(version: int, groups: set[int]) -> set[str]:
    """The models a user of these groups may not create (the rights the connector needs, as Odoo grants them)."""
    forbidden = {
        "account.move",
        "account.payment.register",
        "account.payment",
        "ir.model.data",
        "res.partner",
        "product.product",
        "account.tax",
        "product.pricelist",
        "res.users",
    }
    if BILLING in groups:  # Invoicing / Billing
        forbidden -= {"account.move", "account.payment.register", "account.payment"}
    if CONTACT_CREATION in groups:
        forbidden -= {"res.partner"}
    if PRODUCT_MANAGER in groups or (
        version < 19 and SALES_MANAGER in groups
    ):  # 19 wants Product Manager for products; 17/18 also a Sales Administrator
        forbidden -= {"product.product", "product.pricelist"}
    if SALES_MANAGER in groups:
        forbidden -= {"product.pricelist"}
    return forbidden


def _methods(db: Database, groups_field: str) -> None:
    version = db.version
    order = db.models["sale.order"]
    product = db.models["product.product"]
    tax_field = "tax_ids" if version >= 19 else "tax_id"

    def name_order(database: Database, uid: int, record_id: int) -> None:
        order.records[record_id]["name"] = f"S{record_id:05d}"
        order.records[record_id]["date_order"] = database.clock().strftime("%Y-%m-%d %H:%M:%S")
        _log(database, record_id, "<p>Sales Order created</p>", 2)

    def line_taxes(database: Database, uid: int, record_id: int) -> None:
        # A line made without taxes takes its product's (the company default unless the product says otherwise).
        line = database.models["sale.order.line"].records[record_id]
        if tax_field not in line.get("_given", ()) and line.get("product_id"):
            partner = database.models["res.partner"].records.get(order.records[line["order_id"]]["partner_id"], {})
            line[tax_field] = foreign_trade(partner, list(product.records[line["product_id"]].get("taxes_id") or []))

    def foreign_trade(partner: dict[str, Any], taxes: list[int]) -> list[int]:
        # 19's generic chart has an auto-applied "Foreign Trade" fiscal position (15 % -> 0 %) for partners in another
        # country than the company's (the US); a partner without a country keeps the tax. Only computed taxes are mapped.
        if version >= 19 and partner.get("country_id") and partner["country_id"] != 233:
            return [t for t in taxes if t != money.DEFAULT_SALE_TAX]
        return taxes

    def move_line_taxes(database: Database, uid: int, record_id: int) -> None:
        line = database.models["account.move.line"].records[record_id]
        if "tax_ids" in line.get("_given", ()):
            return
        sale_lines = line.get("sale_line_ids") or []
        if sale_lines:
            line["tax_ids"] = list(database.models["sale.order.line"].records[sale_lines[0]].get(tax_field) or [])
        elif line.get("product_id"):
            partner = database.models["res.partner"].records.get(
                database.models["account.move"].records[line["move_id"]].get("partner_id") or 0, {}
            )
            line["tax_ids"] = foreign_trade(partner, list(product.records[line["product_id"]].get("taxes_id") or []))
        elif line.get("display_type") == "payment_term":
            return
        elif database.models["account.move"].records[line["move_id"]].get("move_type") in ("in_invoice", "in_refund"):
            # no product on a vendor bill line: no tax (the expense account has none; measured on real 17, 18 and 19)
            line["tax_ids"] = []
        elif database.models["account.move"].records[line["move_id"]].get("move_type") == "out_invoice":
            line["tax_ids"] = [
                database.models["res.company"].records[1]["account_sale_tax_id"]
            ]  # no product: the company's default sales tax

    def check_barcode(database: Database, uid: int, record_id: int) -> None:
        barcode = product.records[record_id].get("barcode")
        if not barcode:
            return
        same = [r for r in product.records.values() if r.get("barcode") == barcode]
        if len(same) > 1:
            names = ", ".join(r["name"] for r in same)
            raise ValidationError(
                f'Barcode(s) already assigned:\n\n- Barcode "{barcode}" already assigned to product(s): {names}\n\n'
                "Note: products that you don't have access to will not be shown above."
            )

    def locked(row: dict[str, Any]) -> bool:
        return bool(row.get("locked"))

    def action_confirm(database: Database, uid: int, ids: list[int], **kwargs: Any) -> bool:
        rows = [order.records[i] for i in ids]
        not_draft = [r for r in rows if r["state"] not in ("draft", "sent")]
        if not_draft:
            if version >= 19:
                raise UserError("Some orders are not in a state requiring confirmation.")
            raise UserError(
                "The following orders are not in a state requiring confirmation: " + ", ".join(r["name"] for r in not_draft)
            )
        for row in rows:
            row["state"] = "sale"
            if database.settings.get(
                "lock_confirmed_sales"
            ):  # Settings › Sales › Lock Confirmed Sales (sale.group_auto_done_setting)
                row["locked"] = True
            _log(database, row["id"], "", 3)  # state tracking: an empty body with tracking values
        return True

    def action_cancel(database: Database, uid: int, ids: list[int], context: dict | None = None, **kwargs: Any) -> Any:
        if any(locked(order.records[i]) for i in ids):
            raise UserError("You cannot cancel a locked order. Please unlock it first.")
        # 17 and 18 show the cancel wizard for any order that is not a draft (`_show_cancel_wizard`); 19 has none.
        confirmed = any(order.records[i]["state"] != "draft" for i in ids)
        if version < 19 and confirmed and not (context or {}).get("disable_cancel_warning"):
            return {
                "name": "Cancel Sales Order",
                "view_mode": "form",
                "res_model": "sale.order.cancel",
                "view_id": 1065,
                "type": "ir.actions.act_window",
                "context": {"default_order_id": ids[0]},
                "target": "new",
            }
        for i in ids:
            order.records[i]["state"] = "cancel"
            _log(database, i, "", 1)
            for move in database.models["account.move"].records.values():
                if move["state"] == "draft" and set(move.get("_invoiced", {})) & set(
                    database.search("sale.order.line", [["order_id", "=", i]])
                ):
                    before = _tracked(database, move)
                    move["state"] = "cancel"
                    _track_move(database, move, before)
        return True

    # Both return None, as real Odoo's do: over XML-RPC the call commits, then fails with "cannot marshal None".
    def action_unlock(database: Database, uid: int, ids: list[int], **kwargs: Any) -> None:
        for i in ids:
            order.records[i]["locked"] = False

    def action_lock(database: Database, uid: int, ids: list[int], **kwargs: Any) -> None:
        for i in ids:
            order.records[i]["locked"] = True

    def message_post(
        database: Database,
        uid: int,
        ids: list[int],
        body: str = "",
        body_is_html: bool = False,
        message_type: str = "notification",
        subtype_xmlid: str | None = None,
        **kwargs: Any,
    ) -> Any:
        _require_email(database, uid)
        stored = body if body_is_html else escape_plain(body)
        subtype = 1 if subtype_xmlid == "mail.mt_comment" else 2
        author = (
            database.models["res.users"].records[uid].get("partner_id") if uid in database.models["res.users"].records else False
        )
        [message_id] = database.create(
            uid,
            "mail.message",
            [
                {
                    "body": stored,
                    "model": "sale.order",
                    "res_id": ids[0],
                    "message_type": message_type,
                    "subtype_id": subtype,
                    "author_id": author,
                    "date": database.clock().strftime("%Y-%m-%d %H:%M:%S"),
                }
            ],
        )
        return [message_id] if version >= 19 else message_id

    def create_invoices(database: Database, uid: int, ids: list[int], context: dict | None = None, **kwargs: Any) -> Any:
        wizard = database.models["sale.advance.payment.inv"].records[ids[0]]
        for order_id in wizard["sale_order_ids"] or (context or {}).get("active_ids", []):
            lines = database.search("sale.order.line", [["order_id", "=", order_id]])
            row = order.records[order_id]
            sale_lines = database.models["sale.order.line"].records
            invoice_lines = [
                [
                    0,
                    0,
                    {
                        "product_id": sale_lines[i]["product_id"],
                        "name": sale_lines[i]["name"],
                        "quantity": sale_lines[i]["product_uom_qty"],
                        "price_unit": sale_lines[i]["price_unit"],
                        "discount": sale_lines[i].get("discount") or 0.0,
                        "tax_ids": [[6, 0, list(sale_lines[i].get(tax_field) or [])]],
                        "sale_line_ids": [[6, 0, [i]]],
                    },
                ]
                for i in lines
            ]
            database.create(
                uid,
                "account.move",
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": row["partner_id"],
                        "invoice_origin": row["name"],
                        "name": "/" if version < 18 else False,
                        "currency_id": _order_currency(database, row),
                        "invoice_line_ids": invoice_lines,
                    }
                ],
            )
        action = {
            "id": 255,
            "name": "Invoices",
            "type": "ir.actions.act_window",
            "xml_id": "account.action_move_out_invoice_type",
            "res_model": "account.move",
            "view_mode": "list,form",
            "help": None,
            "context": {"default_move_type": "out_invoice"},
        }
        if version >= 19:
            action = {"id": 262, "display_name": "Invoices", **action}
        return action

    def move_created(database: Database, uid: int, record_id: int) -> None:
        move = database.models["account.move"].records[record_id]
        if move.get("move_type") in ("in_invoice", "in_refund"):
            # The payable line every vendor bill and credit note has (the double makes it for these only).
            database.create(uid, "account.move.line", [{"move_id": record_id, "display_type": "payment_term", "name": False}])
        move.setdefault("_invoiced", {})
        _log_move_created(database, move)
        for line in database.models["account.move.line"].records.values():
            if line["move_id"] == record_id:
                for sale_line in line.get("sale_line_ids") or []:
                    move["_invoiced"][sale_line] = move["_invoiced"].get(sale_line, 0) + line["quantity"]

    def action_post(database: Database, uid: int, ids: list[int], **kwargs: Any) -> bool:
        moves = database.models["account.move"]
        for i in ids:
            move_type = moves.records[i].get("move_type")
            if move_type in ("in_invoice", "in_refund") and not moves.records[i].get("invoice_date"):
                raise UserError("The Bill/Refund date is required to validate this document.")
            prefix = {"in_invoice": "BILL", "in_refund": "RBILL"}.get(move_type, "INV")
            sequence = sum(1 for m in moves.records.values() if m["state"] == "posted" and m.get("move_type") == move_type) + 1
            day = moves.records[i].get("invoice_date") or database.clock().strftime("%Y-%m-%d")
            name = f"{prefix}/{day[:4]}/{sequence:05d}" if prefix == "INV" else f"{prefix}/{day[:4]}/{day[5:7]}/{sequence:04d}"
            before = _tracked(database, moves.records[i])
            moves.records[i].update(state="posted", name=name)
            _track_move(database, moves.records[i], before)
            paid_hook(database, moves.records[i], uid)
        return False

    def paid_hook(database: Database, move: dict[str, Any], uid: int) -> None:
        # sale's _invoice_paid_hook: message_post "Invoice … paid" on each order the invoice bills, as the paying user
        # (so on 17/18 a user without an e-mail cannot pay an order's invoice; an invoice of no order it can — real 17).
        if _payment_state(database, "account.move", move) == "paid":
            for order_id in {
                database.models["sale.order.line"].records[i]["order_id"]
                for i in move.get("_invoiced", {})
                if i in database.models["sale.order.line"].records
            }:
                _require_email(database, uid)
                _log(database, order_id, "<p>Invoice paid</p>", 4)

    def context_get(database: Database, uid: int, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {"lang": "en_US", "tz": False, "uid": uid}

    def user_created(database: Database, uid: int, record_id: int) -> None:
        row = database.models["res.users"].records[record_id]
        [partner] = database.create(
            SUPERUSER, "res.partner", [{"name": row.get("name") or row["login"], "email": dict.get(row, "email") or False}]
        )
        row["partner_id"] = partner
        database.users[record_id] = {
            "login": row["login"],
            "password": row.get("password"),
            "create_forbidden": rights_of(version, set(row.get(groups_field) or [])),
        }

    def open_payment_register(database: Database, uid: int, record_id: int) -> None:
        """default_get of the wizard: the invoices of the context with something left to pay."""
        wizard = database.models["account.payment.register"].records[record_id]
        context = database.context
        if context.get("active_model") not in ("account.move", "account.move.line"):
            raise UserError("The register payment wizard should only be called on account.move or account.move.line records.")
        moves = database.models["account.move"].records
        chosen = [moves[i] for i in context.get("active_ids", []) if i in moves]
        # 18 added is_register_payment_on_draft: a draft invoice may be paid before it is posted.
        if version < 18 and any(m["state"] != "posted" for m in chosen):
            raise UserError("You can only register payment for posted journal entries.")
        open_moves = [m for m in chosen if residual(database, m)]
        if not open_moves:
            if version >= 19:
                raise UserError(
                    "There's nothing left to pay for the selected journal items, so no payment registration is necessary. "
                    "You've got your finances under control like a pro!"
                )
            raise UserError("You can't register a payment because there is nothing left to pay on the selected journal items.")
        given = wizard.get("_given", ())
        wizard["_moves"] = [m["id"] for m in open_moves]
        if "currency_id" not in given or not wizard.get("currency_id"):
            wizard["currency_id"] = open_moves[0]["currency_id"]
        if "amount" not in given:
            wizard["amount"] = float(
                sum(
                    (money.convert(database, residual(database, m), m["currency_id"], wizard["currency_id"]) for m in open_moves),
                    Decimal(0),
                )
            )
        wizard["payment_date"] = wizard.get("payment_date") or database.clock().strftime("%Y-%m-%d")
        wizard.update(journal_id=6, payment_method_line_id=1, partner_id=open_moves[0]["partner_id"])

    def action_create_payments(database: Database, uid: int, ids: list[int], context: dict | None = None, **kwargs: Any) -> Any:
        payments = []
        for wizard_id in ids:
            wizard = database.models["account.payment.register"].records[wizard_id]
            moves = [database.models["account.move"].records[i] for i in wizard["_moves"]]
            [payment_id] = database.create(
                uid,
                "account.payment",
                [
                    {
                        "amount": wizard["amount"],
                        "currency_id": wizard["currency_id"],
                        "payment_type": "outbound" if moves[0].get("move_type") == "in_invoice" else "inbound",
                        "partner_type": "supplier" if moves[0].get("move_type") in ("in_invoice", "in_refund") else "customer",
                        "partner_id": moves[0]["partner_id"],
                        "journal_id": 6,
                        "date": wizard["payment_date"],
                        ("memo" if version >= 18 else "ref"): wizard.get("communication")
                        or " ".join(m["name"] or "" for m in moves),
                    }
                ],
            )
            # mail's own creation message: "<_description> created" (account.payment's is "Payments"; 17-19).
            _log(database, payment_id, "<p>Payments created</p>", NOTE, "account.payment")
            payment = database.models["account.payment"].records[payment_id]
            payment["name"] = f"PBNK1/{database.clock():%Y}/{payment_id:05d}"
            payment["_applied"] = {}
            # The amount, in the payment's currency, is reconciled with each invoice in turn up to what it still owes.
            left = money.to_decimal(wizard["amount"])
            for move in moves:
                owed = money.convert(database, residual(database, move), move["currency_id"], wizard["currency_id"])
                applied = min(owed, left)
                left -= applied
                before = _tracked(database, move)
                move["_paid"] = [
                    *move.get("_paid", []),
                    str(money.convert(database, applied, wizard["currency_id"], move["currency_id"])),
                ]
                move["_matched_with"] = [*move.get("_matched_with", []), "entry"]
                payment["_applied"] = {**payment["_applied"], move["id"]: move["_paid"][-1]}
                _track_move(database, move, before)
                paid_hook(database, move, uid)
            payment["reconciled_invoice_ids"] = [m["id"] for m in moves if m["state"] == "posted"]
            # The payment's state: 17 has draft/posted/cancel; 18 draft/in_process/paid/canceled/rejected.
            # On 19 a payment to a vendor stays in_process (measured on real 19: its bill reads paid all the same).
            payment["state"] = (
                "posted"
                if version < 18
                else (
                    "paid"
                    if payment["reconciled_invoice_ids"] and (version < 19 or payment["payment_type"] == "inbound")
                    else "in_process"
                )
            )
            payments.append(payment_id)
        if (context or {}).get("dont_redirect_to_payments"):
            return True
        action = {
            "name": "Payments",
            "type": "ir.actions.act_window",
            "res_model": "account.payment",
            "context": {"create": False},
        }
        return (
            {**action, "view_mode": "form", "res_id": payments[0]}
            if len(payments) == 1
            else {**action, "view_mode": "tree,form" if version < 18 else "list,form", "domain": [["id", "in", payments]]}
        )

    def js_assign_outstanding_line(database: Database, uid: int, ids: list[int], line_id: int = 0, **kwargs: Any) -> None:
        """The bill's "outstanding credits" widget: match a credit note's payable line with the invoice, up to what both owe.

        Returns None, as real Odoo's does (XML-RPC: the call commits, then "cannot marshal None").
        """
        moves = database.models["account.move"].records
        [bill] = [moves[i] for i in ids]
        line = database.models["account.move.line"].records[line_id]
        other = moves[line["move_id"]]
        if bill["state"] != "posted" or other["state"] != "posted":
            raise UserError("You can only reconcile posted entries.")
        applied = min(
            residual(database, bill),
            money.convert(database, residual(database, other), other["currency_id"], bill["currency_id"]),
        )
        if applied <= 0:
            return None
        before = _tracked(database, bill), _tracked(database, other)
        bill["_paid"] = [*bill.get("_paid", []), str(applied)]
        bill["_matched_with"] = [*bill.get("_matched_with", []), other["move_type"]]
        other["_paid"] = [
            *other.get("_paid", []),
            str(money.convert(database, applied, bill["currency_id"], other["currency_id"])),
        ]
        other["_matched_with"] = [*other.get("_matched_with", []), bill["move_type"]]
        _track_move(database, bill, before[0])
        _track_move(database, other, before[1])
        return None

    def payment_draft(database: Database, uid: int, ids: list[int], **kwargs: Any) -> None:
        """Reset payments to draft: their journal entry back to draft, so what they paid is unmatched (returns None)."""
        moves = database.models["account.move"].records
        for i in ids:
            payment = database.models["account.payment"].records[i]
            for move_id, amount in (payment.get("_applied") or {}).items():
                move = moves[move_id]
                before = _tracked(database, move)
                paid, kinds = list(move.get("_paid", [])), list(move.get("_matched_with", []))
                paid.remove(amount)
                kinds.remove("entry")
                move["_paid"], move["_matched_with"] = paid, kinds
                _track_move(database, move, before)
            if payment["state"] != "draft":
                _log(database, i, "", NOTE, "account.payment")  # its tracked state (17: through its journal entry)
            payment.update(state="draft", _applied={}, reconciled_invoice_ids=[])
        return None

    def payment_cancel(database: Database, uid: int, ids: list[int], **kwargs: Any) -> None:
        """Cancel draft payments: `cancel` on 17, `canceled` from 18 (returns None)."""
        for i in ids:
            payment = database.models["account.payment"].records[i]
            if payment["state"] not in ("cancel", "canceled"):
                _log(database, i, "", NOTE, "account.payment")  # its tracked state (17: through its journal entry)
            payment["state"] = "cancel" if version < 18 else "canceled"
        return None

    db.models["account.payment"].methods.update(action_draft=payment_draft, action_cancel=payment_cancel)
    db.models["account.payment.register"].methods.update(
        _after_create=open_payment_register, action_create_payments=action_create_payments
    )
    order.methods.update(
        _after_create=name_order,
        action_confirm=action_confirm,
        action_cancel=action_cancel,
        message_post=message_post,
        action_unlock=action_unlock,
        action_lock=action_lock,
    )
    db.models["sale.order.line"].methods["_after_create"] = line_taxes
    db.models["account.move.line"].methods["_after_create"] = move_line_taxes
    product.methods["_after_create"] = check_barcode
    db.models["sale.advance.payment.inv"].methods["create_invoices"] = create_invoices
    db.models["account.move"].methods.update(
        _after_create=move_created, action_post=action_post, js_assign_outstanding_line=js_assign_outstanding_line
    )
    db.models["res.users"].methods.update(context_get=context_get, _after_create=user_created)
    _ = AccessError
