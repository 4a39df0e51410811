"""Money means the same in Loom and in the group's Odoo: the order's currency, the group's tax mapping
on every line, the payment the buyer really made — and any difference reported with both numbers.

Runs on every version and protocol of the Odoo double, and against a real Odoo when LOOM_TEST_ODOO_URL
is set (each run's keys carry its own tag, see test_erp_sync).
"""
from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from erp_connector.amounts import TaxMapping, round_money, show
from erp_connector.client import OdooClient
from erp_connector.invoicing import invoice_expected, invoice_lines, sync_invoice, sync_payment
from erp_connector.models import ErpLink
from erp_connector.sync import SyncMismatch, keyed, order_expected, sync_orders
from marketplace.billing.models import Invoice, InvoiceKind, Payment, PaymentStatus
from marketplace.billing.services import issue_invoice
from marketplace.orders.models import Order
from marketplace.secrets import SecretBox
from tests import factories
from tests.integration.test_erp_sync import RUN, Odoo, _tagged, make_order, odoo  # noqa: F401 - the same Odoo targets and run tag

# (currency, order lines) chosen so that per-line rounding matters; UGX has no minor unit.
CURRENCIES = {
    "USD": [("SKU-A", 3, "19.99"), ("SKU-B", 7, "4.05")],
    "EUR": [("SKU-A", 11, "0.95"), ("SKU-B", 1, "899.99")],
    "KES": [("SKU-A", 120, "149.50"), ("SKU-B", 3, "1025.25")],
    "INR": [("SKU-A", 13, "333.33"), ("SKU-B", 1, "0.99")],
    "UGX": [("SKU-A", 1, "250001"), ("SKU-B", 2, "12345")],  # 274,691: half of it is not a whole shilling
}
TAX_CASES = ["no tax", "15 % excluded", "15 % included"]
TABLE: list[tuple] = []  # what the report shows: currency × tax case -> Loom's totals, Odoo's, equal?


def activate(client: OdooClient, code: str) -> int:
    """What the group's accountant does once in Odoo: activate the currency (Accounting › Configuration › Currencies)."""
    [row] = client.search_read("res.currency", [["name", "=", code]], ["id", "active"], context={"active_test": False})
    if not row["active"]:
        client.execute("res.currency", "write", [row["id"]], {"active": True})
    return row["id"]


def sale_tax(client: OdooClient, included: bool) -> tuple[int, Decimal]:
    """A 15 % sale tax of this Odoo: the generic chart's (added on top), or a tax-included one made as an accountant would."""
    if not included:
        rows = client.search_read("account.tax", [["type_tax_use", "=", "sale"], ["amount", "=", 15.0], ["price_include", "=", False]], ["id"])
        return rows[0]["id"], Decimal(15)
    name = f"{RUN}15% incl."
    rows = client.search_read("account.tax", [["name", "=", name]], ["id"])
    if rows:
        return rows[0]["id"], Decimal(15)
    flag = {"price_include_override": "tax_included"} if client.server.major >= 18 else {"price_include": True}
    [made] = client.create("account.tax", [{"name": name, "amount": 15.0, "amount_type": "percent", "type_tax_use": "sale", **flag}])
    return made, Decimal(15)


def link(app: Flask, session: Session, odoo: Odoo, group, mapping: TaxMapping) -> ErpLink:  # type: ignore[no-untyped-def]
    erp = ErpLink(group_id=group.id, url=odoo.url, database=odoo.database, login=odoo.login, protocol=odoo.protocol,
                  api_key_encrypted=SecretBox(app.config["SECRETS_KEY"]).seal(odoo.secret), status="connected", checked_at=dt.datetime.now(dt.UTC),
                  tax_id=mapping.tax_id, tax_name=mapping.name or None, tax_rate=mapping.rate if mapping.tax_id else None,
                  prices_include_tax=mapping.included)  # fmt: skip
    session.add(erp)
    session.flush()
    return erp


def mapping_of(client: OdooClient, case: str) -> TaxMapping:
    if case == "no tax":
        return TaxMapping()
    included = case == "15 % included"
    tax_id, rate = sale_tax(client, included)
    return TaxMapping(tax_id, rate, included, "15%")


def pay(session: Session, invoice: Invoice, amount: Decimal) -> Payment:
    """The buyer's payment as Stripe settled it (what the webhook records)."""
    payment = Payment(invoice_id=invoice.id, amount=amount, currency=invoice.currency, status=PaymentStatus.SUCCEEDED, provider_ref=f"pi_{RUN}{invoice.id}",
                      idempotency_key=f"{RUN}{invoice.id}", settled_at=dt.datetime(2027, 3, 2, 10, 30, tzinfo=dt.UTC))  # fmt: skip
    session.add(payment)
    session.flush()
    session.refresh(invoice)
    return payment


def split(order: Order) -> tuple[Decimal, Decimal]:
    deposit = round_money(order.total / 2, order.currency)
    return deposit, order.total - deposit


@pytest.mark.parametrize("case", TAX_CASES)
@pytest.mark.parametrize("currency", list(CURRENCIES))
def test_loom_and_odoo_agree_on_every_total_in_every_currency_and_tax_case(app: Flask, session: Session, odoo: Odoo, currency: str, case: str) -> None:
    client = odoo.client()
    activate(client, currency)
    mapping = mapping_of(client, case)
    group = factories.producer_group(session)
    link(app, session, odoo, group, mapping)
    lines = [(f"{sku}-{currency}", q, p) for sku, q, p in CURRENCIES[currency]]
    order = make_order(session, group, factories.buyer(session), f"LM-M-{currency}-{TAX_CASES.index(case)}", lines)
    order.currency = currency
    deposit_amount, balance_amount = split(order)

    report = sync_orders(session, client, group.id, [order])
    assert report.problems == {}
    [remote] = client.execute("sale.order", "read", [report.odoo_ids[order.id]], fields=["amount_total", "currency_id", "state"])
    loom_total = order_expected(order, mapping)
    assert (remote["currency_id"][1], remote["state"]) == (currency, "sale")
    assert Decimal(repr(remote["amount_total"])) == loom_total

    invoices = []
    for kind, amount in ((InvoiceKind.DEPOSIT, deposit_amount), (InvoiceKind.BALANCE, balance_amount)):
        invoice = issue_invoice(session, order, kind=kind, amount=amount, today=dt.date(2027, 3, 1))
        invoice.currency = currency
        move_id = sync_invoice(session, client, group.id, invoice)
        [move] = client.execute("account.move", "read", [move_id], fields=["amount_total", "currency_id", "state"])
        expected = invoice_expected(invoice_lines(session, invoice), mapping, currency)
        assert (move["currency_id"][1], move["state"]) == (currency, "posted")
        assert Decimal(repr(move["amount_total"])) == expected
        invoices.append((invoice, move_id, expected, Decimal(repr(move["amount_total"]))))
    # The two invoices are the whole order in Odoo as in Loom: what the buyer pays (total), or before the tax Odoo adds
    # (each invoice rounds its own tax per line, so their taxes may differ from the order's by a minor unit).
    measure = "amount_untaxed" if case == "15 % excluded" else "amount_total"
    invoiced = sum(Decimal(repr(client.execute("account.move", "read", [m], fields=[measure])[0][measure])) for _, m, _, _ in invoices)
    assert invoiced == order.total

    residuals = []
    for invoice, move_id, expected, _ in invoices:
        pay(session, invoice, invoice.amount)  # what the buyer paid through Loom: Loom's invoice amount
        if case == "15 % excluded":
            # Odoo adds 15 % that Loom did not charge: Odoo keeps the tax open, and Loom says so with both numbers.
            with pytest.raises(SyncMismatch, match=r"still to pay") as refused:
                sync_payment(session, client, group.id, invoice)
            assert f"shows {show(expected - invoice.amount, currency)} still to pay" in str(refused.value)  # both numbers, for a person
        else:
            sync_payment(session, client, group.id, invoice)
        [after] = client.execute("account.move", "read", [move_id], fields=["amount_residual", "payment_state"])
        residual = Decimal(repr(after["amount_residual"]))
        assert residual == expected - invoice.amount
        assert after["payment_state"] == ("partial" if residual else "paid")
        residuals.append(residual)
    TABLE.append((f"{odoo.double.version if odoo.double else 'real'}-{odoo.protocol}", currency, case, loom_total, Decimal(repr(remote["amount_total"])),
                  [i[2] for i in invoices], [i[3] for i in invoices], residuals))  # fmt: skip


@pytest.fixture(scope="module", autouse=True)
def _print_table() -> object:
    yield
    if TABLE:
        rows = ["| Odoo | currency | taxes | order: Loom | order: Odoo | invoices: Loom | invoices: Odoo | equal | residuals after the buyer paid Loom's amounts |",
                "|---|---|---|---|---|---|---|---|---|"]
        for target, code, case, loom, odoo_total, loom_invoices, odoo_invoices, residuals in TABLE:
            equal = loom == odoo_total and loom_invoices == odoo_invoices
            rows.append(f"| {target} | {code} | {case} | {show(loom, code)} | {show(odoo_total, code)} | {' / '.join(show(x, code) for x in loom_invoices)} | "
                        f"{' / '.join(show(x, code) for x in odoo_invoices)} | {'yes' if equal else 'NO'} | {' / '.join(show(x, code) for x in residuals)} |")
        text = "\n".join(rows)
        print("\n" + text)
        if os.environ.get("LOOM_MONEY_TABLE"):
            with open(os.environ["LOOM_MONEY_TABLE"], "a", encoding="utf-8") as out:
                out.write(text + "\n")
