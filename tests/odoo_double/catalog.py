"""The models a fresh Odoo 17/18/19 with sale_management, account, stock and contacts has, as far as the connector goes."""
from __future__ import annotations

from typing import Any

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
COUNTRIES = {80: ("GH", "Ghana"), 114: ("KE", "Kenya"), 233: ("US", "United States"), 76: ("GB", "United Kingdom"),
             104: ("IN", "India"), 91: ("GT", "Guatemala"), 69: ("ET", "Ethiopia"), 174: ("PE", "Peru"), 19: ("BD", "Bangladesh")}  # fmt: skip
MODULES = {"sale": 408, "sale_management": 415, "account": 1, "stock": 453, "mail": 294, "contacts": 120}
SALES_USER_GROUP = (11181, 21)  # ir.model.data id, res.groups id of sales_team.group_sale_salesman


def _order_total(db: Database, model: str, row: dict[str, Any]) -> float:
    lines = db.models["sale.order.line"].records.values()
    return round(sum(line["product_uom_qty"] * line["price_unit"] for line in lines if line["order_id"] == row["id"]), 2)


def _subtotal(db: Database, model: str, row: dict[str, Any]) -> float:
    return round(row["product_uom_qty"] * row["price_unit"], 2)


def _qty_invoiced(db: Database, model: str, row: dict[str, Any]) -> float:
    moves = db.models["account.move"].records.values()
    return float(sum(m.get("_invoiced", {}).get(row["id"], 0) for m in moves if m["state"] == "posted" or m["state"] == "draft"))


def _line_invoice_status(db: Database, model: str, row: dict[str, Any]) -> str:
    order = db.models["sale.order"].records[row["order_id"]]
    if order["state"] == "cancel":
        return "no"
    return "invoiced" if _qty_invoiced(db, model, row) >= row["product_uom_qty"] else ("to invoice" if order["state"] == "sale" else "no")


def _order_invoice_status(db: Database, model: str, row: dict[str, Any]) -> str:
    if row["state"] == "cancel" or row["state"] == "draft":
        return "no"
    lines = [line for line in db.models["sale.order.line"].records.values() if line["order_id"] == row["id"]]
    statuses = {_line_invoice_status(db, "sale.order.line", line) for line in lines}
    return "invoiced" if statuses == {"invoiced"} else "to invoice"


def _invoice_ids(db: Database, model: str, row: dict[str, Any]) -> list[int]:
    line_ids = {i for i, line in db.models["sale.order.line"].records.items() if line["order_id"] == row["id"]}
    return sorted(i for i, m in db.models["account.move"].records.items() if set(m.get("_invoiced", {})) & line_ids)


def _move_total(db: Database, model: str, row: dict[str, Any]) -> float:
    lines = db.models["sale.order.line"].records
    return round(sum(lines[i]["price_unit"] * qty for i, qty in row.get("_invoiced", {}).items() if i in lines), 2)


def _move_residual(db: Database, model: str, row: dict[str, Any]) -> float:
    return 0.0 if row.get("payment_state") in ("paid", "in_payment") else _move_total(db, model, row)


def build(name: str, version: int) -> Database:
    db = Database(name, version)
    uom_field = "product_uom_id" if version >= 19 else "product_uom"
    tax_field = "tax_ids" if version >= 19 else "tax_id"

    def add(model: Model) -> Model:
        db.models[model.name] = model
        return model

    add(Model("res.country", "Country", {"name": Field("char"), "code": Field("char")},
              records={i: {"id": i, "name": n, "code": c} for i, (c, n) in COUNTRIES.items()}, next_id=300))  # fmt: skip
    add(Model("res.partner", "Contact", {
        "name": Field("char"), "ref": Field("char"), "email": Field("char"), "is_company": Field("boolean", default=False),
        "country_id": Field("many2one", "res.country"), "parent_id": Field("many2one", "res.partner"),
        "vat": Field("char"), "street": Field("char"), "city": Field("char"),
    }, records={1: {"id": 1, "name": "My Company", "is_company": True}, 3: {"id": 3, "name": "Administrator"}}, next_id=7))  # fmt: skip
    add(Model("product.product", "Product", {
        "name": Field("char", required=True), "default_code": Field("char"), "barcode": Field("char"),
        "list_price": Field("float", default=0.0), "type": Field("selection", selection=[["consu", "Goods"], ["service", "Service"], ["combo", "Combo"]], default="consu"),
        "sale_ok": Field("boolean", default=True),
    }, next_id=1, display=lambda r: f"[{r['default_code']}] {r['name']}" if r.get("default_code") else r["name"]))  # fmt: skip
    add(Model("sale.order", "Sales Order", {
        "name": Field("char", readonly=True), "partner_id": Field("many2one", "res.partner", required=True),
        "client_order_ref": Field("char"), "commitment_date": Field("datetime"), "note": Field("html"),
        "state": Field("selection", selection=[["draft", "Quotation"], ["sent", "Quotation Sent"], ["sale", "Sales Order"], ["cancel", "Cancelled"]], default="draft"),
        "order_line": Field("one2many", "sale.order.line", inverse="order_id"),
        "amount_total": Field("monetary", readonly=True, compute=_order_total),
        "invoice_status": Field("selection", readonly=True, compute=_order_invoice_status),
        "invoice_ids": Field("many2many", "account.move", readonly=True, compute=_invoice_ids),
        "date_order": Field("datetime"),
    }))  # fmt: skip
    add(Model("sale.order.line", "Sales Order Line", {
        "order_id": Field("many2one", "sale.order", required=True), "product_id": Field("many2one", "product.product"),
        "name": Field("text"), "product_uom_qty": Field("float", default=1.0), "price_unit": Field("float", default=0.0),
        uom_field: Field("many2one", "uom.uom"), tax_field: Field("many2many", "account.tax"),
        "price_subtotal": Field("monetary", readonly=True, compute=_subtotal),
        "qty_invoiced": Field("float", readonly=True, compute=_qty_invoiced),
        "invoice_status": Field("selection", readonly=True, compute=_line_invoice_status),
    }, display=lambda r: r.get("name") or ""))  # fmt: skip
    add(Model("account.move", "Journal Entry", {
        "name": Field("char"), "move_type": Field("selection", default="entry"), "partner_id": Field("many2one", "res.partner"),
        "state": Field("selection", default="draft"), "payment_state": Field("selection", default="not_paid"),
        "ref": Field("char"), "invoice_date": Field("date"), "invoice_origin": Field("char"),
        "invoice_line_ids": Field("one2many", "account.move.line", inverse="move_id"),
        "amount_total": Field("monetary", readonly=True, compute=_move_total),
        "amount_residual": Field("monetary", readonly=True, compute=_move_residual),
    }, display=lambda r: r.get("name") or "/"))  # fmt: skip
    add(Model("account.move.line", "Journal Item", {
        "move_id": Field("many2one", "account.move"), "product_id": Field("many2one", "product.product"), "name": Field("char"),
        "quantity": Field("float", default=1.0), "price_unit": Field("float", default=0.0), "sale_line_ids": Field("many2many", "sale.order.line"),
    }))  # fmt: skip
    add(Model("mail.message", "Message", {
        "body": Field("html"), "model": Field("char"), "res_id": Field("integer"), "message_type": Field("selection"),
        "subtype_id": Field("many2one", "mail.message.subtype"), "date": Field("datetime"),
    }))  # fmt: skip
    add(Model("mail.message.subtype", "Message subtypes", {"name": Field("char")}, records={1: {"id": 1, "name": "Discussions"}, 2: {"id": 2, "name": "Note"}}, next_id=3))
    add(Model("ir.attachment", "Attachment", {
        "name": Field("char"), "res_model": Field("char"), "res_id": Field("integer"), "datas": Field("binary"),
        "mimetype": Field("char"), "type": Field("selection", default="binary"),
    }, next_id=450))  # fmt: skip
    add(Model("ir.model.data", "Model Data", {
        "name": Field("char"), "module": Field("char"), "model": Field("char"), "res_id": Field("integer"),
    }, records={SALES_USER_GROUP[0]: {"id": SALES_USER_GROUP[0], "name": "group_sale_salesman", "module": "sales_team", "model": "res.groups", "res_id": SALES_USER_GROUP[1]}},
        next_id=20940))  # fmt: skip
    add(Model("ir.module.module", "Module", {"name": Field("char"), "state": Field("selection"), "latest_version": Field("char")},
              records={i: {"id": i, "name": n, "state": "installed", "latest_version": f"{version}.0.1.0"} for n, i in MODULES.items()}, next_id=600))  # fmt: skip
    add(Model("res.groups", "Access Groups", {"name": Field("char")}, records={SALES_USER_GROUP[1]: {"id": SALES_USER_GROUP[1], "name": "User: Own Documents Only"}}, next_id=100))
    groups_field = "group_ids" if version >= 19 else "groups_id"
    add(Model("res.users", "User", {
        "name": Field("char"), "login": Field("char"), "password": Field("char"), groups_field: Field("many2many", "res.groups"),
        "partner_id": Field("many2one", "res.partner"),
    }, records={2: {"id": 2, "name": "Administrator", "login": "admin", "partner_id": 3, groups_field: []}}, next_id=6))  # fmt: skip
    # Registering a customer payment (addons/account/wizard/account_payment_register.py): a wizard opened on
    # posted invoices through the context, then action_create_payments (a posted payment, reconciled).
    add(Model("account.payment.register", "Register Payment", {
        "payment_date": Field("date"), "communication": Field("char"), "amount": Field("monetary"),
        "line_ids": Field("many2many", "account.move.line", readonly=True),
    }))  # fmt: skip
    add(Model("account.payment", "Payments", {
        "name": Field("char"), "amount": Field("monetary"), "payment_type": Field("selection"), "partner_type": Field("selection"),
        "partner_id": Field("many2one", "res.partner"), "date": Field("date"), "state": Field("selection", default="draft"),
        ("memo" if version >= 18 else "ref"): Field("char"), "reconciled_invoice_ids": Field("many2many", "account.move", readonly=True),
    }))  # fmt: skip
    add(Model("sale.advance.payment.inv", "Sales Advance Payment Invoice", {
        "advance_payment_method": Field("selection", default="delivered"), "sale_order_ids": Field("many2many", "sale.order"),
    }))  # fmt: skip

    db.users = {2: {"login": "admin", "password": "admin", "create_forbidden": set()}}
    _methods(db, groups_field)
    return db


def _methods(db: Database, groups_field: str) -> None:
    version = db.version
    order = db.models["sale.order"]
    product = db.models["product.product"]

    def name_order(database: Database, uid: int, record_id: int) -> None:
        order.records[record_id]["name"] = f"S{record_id:05d}"
        order.records[record_id]["date_order"] = database.clock().strftime("%Y-%m-%d %H:%M:%S")

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

    def action_confirm(database: Database, uid: int, ids: list[int], **kwargs: Any) -> bool:
        rows = [order.records[i] for i in ids]
        not_draft = [r for r in rows if r["state"] not in ("draft", "sent")]
        if not_draft:
            if version >= 19:
                raise UserError("Some orders are not in a state requiring confirmation.")
            raise UserError("The following orders are not in a state requiring confirmation: " + ", ".join(r["name"] for r in not_draft))
        for row in rows:
            row["state"] = "sale"
        return True

    def action_cancel(database: Database, uid: int, ids: list[int], context: dict | None = None, **kwargs: Any) -> Any:
        invoiced = any(_invoice_ids(database, "sale.order", order.records[i]) for i in ids)
        if version < 19 and invoiced and not (context or {}).get("disable_cancel_warning"):
            return {"name": "Cancel Sales Order", "view_mode": "form", "res_model": "sale.order.cancel", "view_id": 1065,
                    "type": "ir.actions.act_window", "context": {"default_order_id": ids[0]}, "target": "new"}  # fmt: skip
        for i in ids:
            order.records[i]["state"] = "cancel"
            for move in database.models["account.move"].records.values():
                if move["state"] == "draft" and set(move.get("_invoiced", {})) & set(database.search("sale.order.line", [["order_id", "=", i]])):
                    move["state"] = "cancel"
        return True

    def message_post(database: Database, uid: int, ids: list[int], body: str = "", body_is_html: bool = False, message_type: str = "notification",
                     subtype_xmlid: str | None = None, **kwargs: Any) -> Any:  # fmt: skip
        stored = body if body_is_html else escape_plain(body)
        [message_id] = database.create(uid, "mail.message", [{"body": stored, "model": "sale.order", "res_id": ids[0], "message_type": "notification",
                                                              "subtype_id": 2, "date": database.clock().strftime("%Y-%m-%d %H:%M:%S")}])  # fmt: skip
        return [message_id] if version >= 19 else message_id

    def create_invoices(database: Database, uid: int, ids: list[int], context: dict | None = None, **kwargs: Any) -> Any:
        wizard = database.models["sale.advance.payment.inv"].records[ids[0]]
        for order_id in wizard["sale_order_ids"] or (context or {}).get("active_ids", []):
            lines = database.search("sale.order.line", [["order_id", "=", order_id]])
            row = order.records[order_id]
            [move_id] = database.create(uid, "account.move", [{"move_type": "out_invoice", "partner_id": row["partner_id"], "invoice_origin": row["name"],
                                                               "name": "/" if version < 18 else False}])  # fmt: skip
            database.models["account.move"].records[move_id]["_invoiced"] = {
                i: database.models["sale.order.line"].records[i]["product_uom_qty"] for i in lines
            }
        action = {"id": 255, "name": "Invoices", "type": "ir.actions.act_window", "xml_id": "account.action_move_out_invoice_type",
                  "res_model": "account.move", "view_mode": "list,form", "help": None, "context": {"default_move_type": "out_invoice"}}  # fmt: skip
        if version >= 19:
            action = {"id": 262, "display_name": "Invoices", **action}
        return action

    def move_created(database: Database, uid: int, record_id: int) -> None:
        move = database.models["account.move"].records[record_id]
        move.setdefault("_invoiced", {})
        for line in database.models["account.move.line"].records.values():
            if line["move_id"] == record_id:
                for sale_line in line.get("sale_line_ids") or []:
                    move["_invoiced"][sale_line] = move["_invoiced"].get(sale_line, 0) + line["quantity"]

    def action_post(database: Database, uid: int, ids: list[int], **kwargs: Any) -> bool:
        moves = database.models["account.move"]
        for i in ids:
            sequence = sum(1 for m in moves.records.values() if m["state"] == "posted") + 1
            year = (moves.records[i].get("invoice_date") or database.clock().strftime("%Y-%m-%d"))[:4]
            moves.records[i].update(state="posted", name=f"INV/{year}/{sequence:05d}")
        return False

    def context_get(database: Database, uid: int, *args: Any, **kwargs: Any) -> dict[str, Any]:
        return {"lang": "en_US", "tz": False, "uid": uid}

    def user_created(database: Database, uid: int, record_id: int) -> None:
        row = database.models["res.users"].records[record_id]
        database.users[record_id] = {"login": row["login"], "password": row.get("password"),
                                     "create_forbidden": {"account.move", "account.payment.register", "ir.model.data"}}  # fmt: skip

    def open_payment_register(database: Database, uid: int, record_id: int) -> None:
        """default_get of the wizard: the posted invoices of the context with something left to pay."""
        wizard = database.models["account.payment.register"].records[record_id]
        context = database.context
        if context.get("active_model") not in ("account.move", "account.move.line"):
            raise UserError("The register payment wizard should only be called on account.move or account.move.line records.")
        moves = database.models["account.move"].records
        chosen = [moves[i] for i in context.get("active_ids", []) if i in moves]
        if any(m["state"] != "posted" for m in chosen):
            raise UserError("You can only register payment for posted journal entries.")
        open_moves = [m for m in chosen if _move_residual(database, "account.move", m)]
        if not open_moves:
            raise UserError("You can't register a payment because there is nothing left to pay on the selected journal items.")
        wizard["_moves"] = [m["id"] for m in open_moves]
        wizard["amount"] = wizard.get("amount") or sum(_move_residual(database, "account.move", m) for m in open_moves)
        wizard["payment_date"] = wizard.get("payment_date") or database.clock().strftime("%Y-%m-%d")

    def action_create_payments(database: Database, uid: int, ids: list[int], context: dict | None = None, **kwargs: Any) -> Any:
        payments = []
        for wizard_id in ids:
            wizard = database.models["account.payment.register"].records[wizard_id]
            moves = [database.models["account.move"].records[i] for i in wizard["_moves"]]
            [payment_id] = database.create(uid, "account.payment", [{
                "amount": wizard["amount"], "payment_type": "inbound", "partner_type": "customer", "partner_id": moves[0]["partner_id"],
                "date": wizard["payment_date"], ("memo" if version >= 18 else "ref"): wizard.get("communication") or " ".join(m["name"] for m in moves),
                "state": "posted" if version < 18 else "in_process",
            }])  # fmt: skip
            payment = database.models["account.payment"].records[payment_id]
            payment["name"] = f"PBNK1/{database.clock():%Y}/{payment_id:05d}"
            payment["reconciled_invoice_ids"] = [m["id"] for m in moves]
            for move in moves:
                move["payment_state"] = "in_payment"  # paid through the bank's outstanding account, not yet matched to a statement
            payments.append(payment_id)
        if (context or {}).get("dont_redirect_to_payments"):
            return True
        action = {"name": "Payments", "type": "ir.actions.act_window", "res_model": "account.payment", "context": {"create": False}}
        return {**action, "view_mode": "form", "res_id": payments[0]} if len(payments) == 1 else {
            **action, "view_mode": "tree,form" if version < 18 else "list,form", "domain": [["id", "in", payments]]}  # fmt: skip

    db.models["account.payment.register"].methods.update(_after_create=open_payment_register, action_create_payments=action_create_payments)
    order.methods.update(_after_create=name_order, action_confirm=action_confirm, action_cancel=action_cancel, message_post=message_post)
    product.methods["_after_create"] = check_barcode
    db.models["sale.advance.payment.inv"].methods["create_invoices"] = create_invoices
    db.models["account.move"].methods.update(_after_create=move_created, action_post=action_post)
    db.models["res.users"].methods.update(context_get=context_get, _after_create=user_created)
    _ = AccessError, groups_field
