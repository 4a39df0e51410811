"""ERP benchmark: 1,000 orders of 3 lines into the Odoo double, Loom's batched sync against the naive way.

    python bench/erp.py [--orders 1000] [--batch 50]

Buyers and products are partly new (half already exist in Odoo). Prints orders/s and RPC round
trips per order, side by side, for: Loom in batches, Loom one order at a time (the outbox handler
today), and the naive way — odoo-client-lib with its defaults, one call per record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy.orm import Session

sys.path[0] = str(Path(__file__).resolve().parents[1])

import odoolib  # noqa: E402

from erp_connector.client import connect  # noqa: E402
from erp_connector.sync import buyer_ref, sync_orders  # noqa: E402
from marketplace.accounts.models import Organization, OrganizationKind  # noqa: E402
from marketplace.cli import upgrade_database  # noqa: E402
from marketplace.db import make_engine  # noqa: E402
from marketplace.models import load_all_models  # noqa: E402
from marketplace.orders.models import Order, OrderLine, OrderStatus  # noqa: E402
from marketplace.outbound import OutboundPolicy  # noqa: E402
from marketplace.producers.models import ProducerGroup  # noqa: E402
from tests.odoo_double import OdooDouble  # noqa: E402

BUYERS = 40
PRODUCTS = 120


# The double serves http on 127.0.0.1; an operator allows such a network explicitly in the same way.
LOCAL = OutboundPolicy(allow_http=True, allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))


def make_orders(session: Session, count: int, prefix: str) -> tuple[int, list[Order]]:
    group = ProducerGroup(
        organization=Organization(kind=OrganizationKind.PRODUCER, name=f"Bench group {prefix}", country="KE"),
        name=f"Bench group {prefix}",
        slug=f"bench-{prefix}",
        country="KE",
        listed=True,
    )
    buyers = [Organization(kind=OrganizationKind.BUYER, name=f"Buyer {prefix}-{n}", country="GB") for n in range(BUYERS)]
    session.add_all([group, *buyers])
    session.flush()
    orders = []
    for n in range(count):
        lines = [
            OrderLine(
                position=i,
                sku=f"{prefix}-SKU-{(n * 3 + i) % PRODUCTS:03d}",
                description=f"Sisal basket {(n * 3 + i) % PRODUCTS}",
                quantity=50 + i * 10,
                unit_price=Decimal("12.50") + i,
            )
            for i in range(1, 4)
        ]
        orders.append(
            Order(
                number=f"LM-{prefix}-{n:05d}",
                buyer_id=buyers[n % BUYERS].id,
                group_id=group.id,
                currency="USD",
                total=Decimal(1000),
                ship_by=dt.date(2027, 3, 1),
                destination_country="GB",
                status=OrderStatus.CONFIRMED,
                lines=lines,
            )
        )
    session.add_all(orders)
    session.flush()
    return group.id, orders


def seed_existing(odoo: OdooDouble, orders: list[Order]) -> None:
    """Half the buyers and half the products already exist in Odoo (made by hand before Loom)."""
    client = connect(odoo.url, odoo.db.name, "admin", "admin", policy=LOCAL)
    buyers = sorted({buyer_ref(o.buyer) for o in orders})[::2]
    client.create("res.partner", [{"name": ref, "ref": ref, "is_company": True} for ref in buyers])
    skus = sorted({line.sku for o in orders for line in o.lines})[::2]
    client.create("product.product", [{"name": sku, "default_code": sku} for sku in skus])


def loom(session: Session, odoo: OdooDouble, group_id: int, orders: list[Order], batch: int) -> tuple[float, int]:
    client = connect(odoo.url, odoo.db.name, "admin", "admin", protocol="jsonrpc", policy=LOCAL)
    started = time.perf_counter()
    with click.progressbar(length=len(orders), label=f"Loom, batches of {batch}") as bar:
        for i in range(0, len(orders), batch):
            sync_orders(session, client, group_id, orders[i : i + batch])
            bar.update(min(batch, len(orders) - i))
    return time.perf_counter() - started, client.calls


def naive(odoo: OdooDouble, orders: list[Order]) -> tuple[float, int]:
    """What a straightforward script does with odoo-client-lib: look each record up, create it, one by one."""
    port = int(odoo.url.rsplit(":", 1)[1])
    connection = odoolib.get_connection(
        hostname="127.0.0.1",
        port=port,  # the library's default protocol, XML-RPC
        database=odoo.db.name,
        login="admin",
        password="admin",
    )
    partners, products, orders_model = (connection.get_model(m) for m in ("res.partner", "product.product", "sale.order"))
    lines_model = connection.get_model("sale.order.line")
    before = len(odoo.calls)
    started = time.perf_counter()
    with click.progressbar(orders, label="Naive, one call per record") as bar:
        for order in bar:
            found = partners.search_read([("ref", "=", buyer_ref(order.buyer))], ["id"])  # odoolib: search, then read
            partner = (
                found[0]["id"]
                if found
                else partners.create({"name": order.buyer.name, "ref": buyer_ref(order.buyer), "is_company": True})
            )
            if orders_model.search_count([("client_order_ref", "=", order.number)]):
                continue
            order_id = orders_model.create({"partner_id": partner, "client_order_ref": order.number})
            for line in order.lines:
                hit = products.search_read([("default_code", "=", line.sku)], ["id"])
                product = hit[0]["id"] if hit else products.create({"name": line.description, "default_code": line.sku})
                lines_model.create(
                    {
                        "order_id": order_id,
                        "product_id": product,
                        "product_uom_qty": line.quantity,
                        "price_unit": float(line.unit_price),
                    }
                )
            orders_model.action_confirm([order_id])
    return time.perf_counter() - started, len(odoo.calls) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50)
    args = parser.parse_args()
    load_all_models()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/erp-bench.db"
        upgrade_database(url)
        engine = make_engine(url)
        results = {}
        with Session(engine) as session:
            for label, prefix in (
                ("Loom, batched", "A"),
                ("Loom, one order at a time", "B"),
                ("naive (odoo-client-lib, XML-RPC)", "C"),
            ):
                group_id, orders = make_orders(session, args.orders, prefix)
                with OdooDouble(version=17) as odoo:
                    seed_existing(odoo, orders)
                    if prefix == "C":
                        seconds, calls = naive(odoo, orders)
                    else:
                        seconds, calls = loom(session, odoo, group_id, orders, args.batch if prefix == "A" else 1)
                    created = len(odoo.db.models["sale.order"].records)
                    assert created == args.orders, f"{label}: {created} orders in Odoo"
                results[label] = (seconds, calls)
        engine.dispose()
    click.echo()
    click.echo(
        f"ERP benchmark: {args.orders:,} orders × 3 lines into the Odoo 17 double (Loom over JSON-RPC); half the buyers "
        "and products new"
    )
    click.echo(f"{'':34}{'orders/s':>10}{'calls/order':>13}{'× naive':>9}")
    naive_rate = args.orders / results["naive (odoo-client-lib, XML-RPC)"][0]
    for label, (seconds, calls) in results.items():
        rate = args.orders / seconds
        click.echo(f"{label:34}{rate:>10,.0f}{calls / args.orders:>13.2f}{rate / naive_rate:>9.1f}")


if __name__ == "__main__":
    main()
