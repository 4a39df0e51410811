"""Confirmed orders reach each group's own Odoo exactly once, on every protocol and version, through
faults. Runs against the Odoo double, or against a real Odoo when LOOM_TEST_ODOO_URL is set — as often
as you like: every key Loom writes carries this run's tag, and only Loom's own notes are counted."""

from __future__ import annotations

import datetime as dt
import ipaddress
import itertools
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from erp_connector.client import OdooClient, connect
from erp_connector.connection import check_connection
from erp_connector.models import ErpBinding, ErpLink
from erp_connector.sync import keyed, sync_orders
from marketplace.accounts.models import Role
from marketplace.bootstrap import worker_for
from marketplace.orders.models import Order, OrderLine, OrderStatus
from marketplace.outbound import OutboundPolicy
from marketplace.outbox.models import OutboxMessage, OutboxStatus
from marketplace.secrets import SecretBox
from tests import factories
from tests.odoo_double import OdooDouble


@dataclass
class Odoo:
    url: str
    database: str
    login: str
    secret: str
    protocol: str
    double: OdooDouble | None
    tag: str = ""  # before every natural key this test writes (see RUN)

    def client(self, timeout: float = 10) -> OdooClient:
        return connect(
            self.url,
            self.database,
            self.login,
            self.secret,
            protocol=self.protocol,
            timeout=timeout,
            policy=self.policy,
            key_tag=self.tag,
        )

    @property
    def policy(self) -> OutboundPolicy:
        # The double listens on 127.0.0.1 over http: allowed explicitly, as an operator would for a private network.
        return OutboundPolicy(allow_http=True, allowed_networks=(ipaddress.ip_network("127.0.0.1/32"),))


# This run's tag, and each test's number in the run, before every natural key Loom writes (buyer refs, SKUs, order
# and invoice numbers, pricelists): a second run against the same real Odoo finds none of the first run's records,
# and one test none of another's (Loom's database starts afresh for each test, so its ids — and the buyer refs made
# of them — repeat from test to test, and from one protocol's run of a test to the next).
RUN = f"T{uuid.uuid4().hex[:6]}-"
_TESTS = itertools.count(1)
REAL = os.environ.get("LOOM_TEST_ODOO_URL")
# Against a real Odoo: the protocols named in LOOM_TEST_ODOO_PROTOCOLS (comma-separated: auto, jsonrpc, xmlrpc, json2).
TARGETS = (
    [("real", p.strip()) for p in os.environ.get("LOOM_TEST_ODOO_PROTOCOLS", "auto,xmlrpc").split(",") if p.strip()]
    if REAL
    else [(17, "jsonrpc"), (17, "xmlrpc"), (18, "jsonrpc"), (18, "xmlrpc"), (19, "json2"), (19, "jsonrpc"), (19, "xmlrpc")]
)


@pytest.fixture(params=TARGETS, ids=[f"{v}-{p}" for v, p in TARGETS])
def odoo(request: pytest.FixtureRequest) -> Iterator[Odoo]:
    version, protocol = request.param
    if version == "real":
        yield Odoo(
            REAL,
            os.environ["LOOM_TEST_ODOO_DB"],
            os.environ["LOOM_TEST_ODOO_LOGIN"],
            os.environ["LOOM_TEST_ODOO_PASSWORD"],
            protocol,
            None,
            f"{RUN}{next(_TESTS)}-",
        )
        return
    with OdooDouble(version=version) as double:
        secret = double.api_key if protocol == "json2" else "admin"
        yield Odoo(double.url, double.db.name, "admin", secret, protocol, double, f"{RUN}{next(_TESTS)}-")


@pytest.fixture(autouse=True)
def _tagged(request: pytest.FixtureRequest, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    tag = request.getfixturevalue("odoo").tag if "odoo" in request.fixturenames else RUN
    monkeypatch.setitem(app.config, "ERP_INSTANCE_TAG", tag)  # the worker's clients tag their keys too


def loom_notes(client: OdooClient, order_odoo_id: int) -> list[str]:
    """The chatter notes Loom wrote on a sale order (Odoo writes its own beside them: creation, tracking, invoice paid)."""
    rows = client.search_read("mail.message", [["model", "=", "sale.order"], ["res_id", "=", order_odoo_id]], ["body"])
    return [
        r["body"]
        for r in rows
        if r["body"] and ("Loom trace" in r["body"] or "Loom payments" in r["body"] or "Loom order" in r["body"])
    ]


def make_order(session: Session, group, buyer, number: str, lines: list[tuple[str, int, str]]) -> Order:
    order = Order(
        number=number,
        buyer_id=buyer.organization_id,
        group_id=group.id,
        currency="USD",
        total=sum(Decimal(p) * q for _, q, p in lines),
        ship_by=dt.date.today() + dt.timedelta(weeks=10),
        destination_country="GB",
        status=OrderStatus.CONFIRMED,
        lines=[
            OrderLine(position=i, sku=sku, description=f"Basket {sku}", quantity=q, unit_price=Decimal(p))
            for i, (sku, q, p) in enumerate(lines, 1)
        ],
    )
    session.add(order)
    session.flush()
    return order


def remote_orders(client: OdooClient, number: str) -> list[dict]:
    return client.search_read(
        "sale.order",
        [["client_order_ref", "=", keyed(client, number)]],
        ["id", "state", "order_line", "amount_total", "partner_id"],
    )


def test_an_order_arrives_confirmed_with_its_lines_in_one_create(session: Session, odoo: Odoo) -> None:
    group = factories.producer_group(session)
    buyer = factories.buyer(session, name="Northwind Home")
    order = make_order(
        session, group, buyer, "LM-T-00001", [("SKU-A", 300, "18.50"), ("SKU-B", 120, "9.25"), ("SKU-C", 60, "31.00")]
    )
    client = odoo.client()

    report = sync_orders(session, client, group.id, [order])

    assert (report.orders_created, report.orders_confirmed, report.partners_created, report.products_created) == (1, 1, 1, 3)
    # All new: partner look-up, country, create; product look-up, create; the currency, Loom's pricelist in it (look-up,
    # create); the order look-up, one create with its lines, one read-back of its total, one confirm.
    assert report.calls <= 13
    [remote] = remote_orders(client, "LM-T-00001")
    assert remote["state"] == "sale" and len(remote["order_line"]) == 3
    assert remote["amount_total"] == pytest.approx(300 * 18.5 + 120 * 9.25 + 60 * 31.0)
    bound = {(b.local_model, b.local_key) for b in session.scalars(select(ErpBinding).where(ErpBinding.group_id == group.id))}
    assert {("order", str(order.id)), ("buyer", f"LOOM-BUYER-{buyer.organization_id}"), ("sku", "SKU-A")} <= bound


def test_syncing_again_changes_nothing_and_known_records_cost_few_calls(session: Session, odoo: Odoo) -> None:
    group = factories.producer_group(session)
    buyer = factories.buyer(session)
    first = make_order(session, group, buyer, "LM-T-00002", [("SKU-A", 10, "5.00")])
    client = odoo.client()
    sync_orders(session, client, group.id, [first])

    again = sync_orders(session, client, group.id, [first])
    second = make_order(session, group, buyer, "LM-T-00003", [("SKU-A", 20, "5.00")])
    known = sync_orders(session, client, group.id, [second])

    assert (again.orders_created, again.orders_confirmed, again.orders_found) == (0, 0, 1)
    assert len(remote_orders(client, "LM-T-00002")) == 1
    assert (
        known.calls <= 4 and known.orders_created == 1
    )  # buyer, product and pricelist bound: look up, create, read back, confirm


def test_a_batch_of_orders_shares_its_look_ups(session: Session, odoo: Odoo) -> None:
    group = factories.producer_group(session)
    buyers = [factories.buyer(session, name=f"Buyer {n}") for n in range(3)]
    orders = [make_order(session, group, buyers[n % 3], f"LM-T-1{n:04d}", [(f"SKU-{n % 4}", 10 + n, "7.50")]) for n in range(12)]
    report = sync_orders(session, odoo.client(), group.id, orders)
    assert report.orders_created == 12 and report.calls <= 13  # the same calls for 12 orders as for one


def test_odoo_down_then_back_loses_nothing(app: Flask, session: Session, odoo: Odoo) -> None:
    if odoo.double is None:
        pytest.skip("outages are injected into the double only")  # against a real Odoo the other tests run
    order, group = _linked_order(app, session, odoo, "LM-T-00004")
    odoo.double.inject("down", times=2)
    odoo.double.inject("bad_gateway", times=1)
    for hours in (1, 2, 3):  # each retry, once its backoff has passed
        assert _later_worker(app, hours=hours).drain().retried == 1
    message = _message(session)
    assert message.status == OutboxStatus.PENDING and message.attempts == 3  # still waiting, not lost
    assert "HTTP 502" in message.last_error
    assert _later_worker(app, hours=10).drain().done == 1
    assert len(remote_orders(odoo.client(), "LM-T-00004")) == 1


@pytest.mark.parametrize("fault", ["timeout_after_commit", "drop_after_commit"])
def test_a_lost_answer_after_odoo_committed_does_not_duplicate_the_order(
    app: Flask, session: Session, odoo: Odoo, fault: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if odoo.double is None:
        pytest.skip("faults are injected into the double only")
    monkeypatch.setitem(app.config, "ERP_TIMEOUT_SECONDS", 0.5)
    order, group = _linked_order(app, session, odoo, "LM-T-00005")
    odoo.double.inject(fault, seconds=1.2, match="order_line")  # the create of the order itself

    first = worker_for(app).drain()
    assert first.retried == 1
    _later_worker(app).drain()

    [remote] = remote_orders(odoo.client(), "LM-T-00005")  # exactly one, and confirmed
    assert remote["state"] == "sale" and _message(session).status == OutboxStatus.DONE


def test_a_permanent_refusal_is_a_dead_letter_with_a_readable_reason(app: Flask, session: Session, odoo: Odoo) -> None:
    if odoo.double is None:
        pytest.skip("the refusal is provoked in the double only")
    order, group = _linked_order(app, session, odoo, "LM-T-00006")
    odoo.double.db.users[2]["create_forbidden"] = {"sale.order"}  # the connected user lost the right to create orders

    worker_for(app).drain()

    message = _message(session)
    assert message.status == OutboxStatus.DEAD
    assert "Odoo refused it" in message.last_error and "not allowed to create" in message.last_error


def test_the_connection_check_explains_what_is_wrong(odoo: Odoo) -> None:
    ok = check_connection(odoo.url, odoo.database, odoo.login, odoo.secret, odoo.protocol, policy=odoo.policy)
    assert ok.ok and ok.message.startswith("Connected to Odoo")
    wrong_key = check_connection(odoo.url, odoo.database, odoo.login, "not-the-key", odoo.protocol, policy=odoo.policy)
    assert not wrong_key.ok and "refused the login or API key" in wrong_key.message
    unreachable = check_connection(
        "http://127.0.0.1:9", odoo.database, odoo.login, odoo.secret, odoo.protocol, policy=odoo.policy, timeout=2
    )
    assert not unreachable.ok and "could not connect" in unreachable.message


# ----- helpers ------------------------------------------------------------------------------------


def _linked_order(app: Flask, session: Session, odoo: Odoo, number: str):  # type: ignore[no-untyped-def]
    group = factories.producer_group(session)
    buyer = factories.buyer(session)
    session.add(
        ErpLink(
            group_id=group.id,
            url=odoo.url,
            database=odoo.database,
            login=odoo.login,
            protocol=odoo.protocol,
            api_key_encrypted=SecretBox(app.config["SECRETS_KEY"]).seal(odoo.secret),
            status="connected",
            checked_at=dt.datetime.now(dt.UTC),
        )
    )
    order = make_order(session, group, buyer, number, [("SKU-Z", 40, "12.00")])
    from erp_connector.subscribers import queue_order_sync

    queue_order_sync(session, order)
    session.commit()
    return order, group


def _message(session: Session) -> OutboxMessage:
    session.expire_all()
    return session.scalar(select(OutboxMessage).where(OutboxMessage.topic == "erp.sync_order"))


def _later_worker(app: Flask, hours: float = 2):  # type: ignore[no-untyped-def]
    worker = worker_for(app)
    worker.clock = lambda: dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    return worker


def test_the_trace_reaches_the_chatter_and_the_epcis_file_stays_current(session: Session, odoo: Odoo) -> None:
    import base64
    import json

    from erp_connector.sync import sync_trace
    from marketplace.trace.models import EventKind
    from marketplace.trace.services import record_event

    group = factories.producer_group(session)
    buyer = factories.buyer(session)
    order = make_order(session, group, buyer, "LM-T-00007", [("SKU-A", 100, "10.00")])

    def event(step: str, note: str) -> None:
        record_event(
            session,
            order_id=order.id,
            kind=EventKind.OBJECT,
            biz_step=f"urn:epcglobal:cbv:bizstep:{step}",
            event_time=dt.datetime.now(dt.UTC),
            read_point="Machakos, KE",
            what={"quantityList": []},
            why={"note": note},
        )

    event("commissioning", "Weaving <started> & on track")
    event("inspecting", "40 % done")
    client = odoo.client()
    assert sync_trace(session, client, group.id, order) == 2
    assert sync_trace(session, client, group.id, order) == 0  # nothing twice
    event("packing", "Packed in 12 cartons")
    assert sync_trace(session, client, group.id, order) == 1

    [remote] = remote_orders(client, "LM-T-00007")
    bodies = loom_notes(client, remote["id"])
    assert len(bodies) == 3 and any(
        "Weaving &lt;started&gt; &amp; on track" in b for b in bodies
    )  # our text escaped, our markup kept
    [attachment] = client.search_read(
        "ir.attachment", [["res_model", "=", "sale.order"], ["res_id", "=", remote["id"]]], ["name", "datas"]
    )
    document = json.loads(base64.b64decode(attachment["datas"]))
    assert attachment["name"] == "LM-T-00007-trace.epcis.json" and document["type"] == "EPCISDocument"
    assert [e["bizStep"].rsplit(":", 1)[-1] for e in document["epcisBody"]["eventList"]] == [
        "commissioning",
        "inspecting",
        "packing",
    ]


def test_later_changes_follow_a_new_ship_date_and_a_cancellation(session: Session, odoo: Odoo) -> None:
    group = factories.producer_group(session)
    buyer = factories.buyer(session)
    order = make_order(session, group, buyer, "LM-T-00008", [("SKU-A", 30, "10.00")])
    client = odoo.client()
    sync_orders(session, client, group.id, [order])

    order.ship_by = order.ship_by + dt.timedelta(days=14)
    sync_orders(session, client, group.id, [order])
    [remote] = client.search_read(
        "sale.order", [["client_order_ref", "=", keyed(client, "LM-T-00008")]], ["commitment_date", "state"]
    )
    assert remote["commitment_date"].startswith(order.ship_by.isoformat()) and remote["state"] == "sale"

    order.status = OrderStatus.CANCELLED
    report = sync_orders(session, client, group.id, [order])
    assert report.orders_cancelled == 1  # on 17 and 18 too: no wizard, the order is cancelled
    assert remote_orders(client, "LM-T-00008")[0]["state"] == "cancel"
    assert sync_orders(session, client, group.id, [order]).orders_cancelled == 0


def test_a_locked_sale_order_is_unlocked_cancelled_and_locked_again(session: Session, odoo: Odoo) -> None:
    """As "Lock Confirmed Sales" (or a person) left it: Odoo refuses to cancel a locked order until it is unlocked."""
    group = factories.producer_group(session)
    order = make_order(session, group, factories.buyer(session), "LM-T-00011", [("SKU-A", 30, "10.00")])
    client = odoo.client()
    odoo_id = sync_orders(session, client, group.id, [order]).odoo_ids[order.id]
    client.press("sale.order", "action_lock", [odoo_id])  # what the setting does on confirmation
    order.status = OrderStatus.CANCELLED

    report = sync_orders(session, client, group.id, [order])

    assert (report.orders_cancelled, report.problems) == (1, {})
    [remote] = client.execute("sale.order", "read", [odoo_id], fields=["state", "locked"])
    assert (remote["state"], remote["locked"]) == ("cancel", True)  # locked again, as the group's setting wants it
    assert sync_orders(session, client, group.id, [order]).orders_cancelled == 0


@pytest.mark.parametrize("locked", [True, False], ids=["locked", "unlocked"])
def test_a_cancellation_odoo_refuses_leaves_one_clear_note_and_the_order_as_it_was(
    session: Session, odoo: Odoo, locked: bool
) -> None:
    if odoo.double is None:
        pytest.skip("the refusal is provoked in the double only")
    group = factories.producer_group(session)
    order = make_order(session, group, factories.buyer(session), "LM-T-00012", [("SKU-A", 30, "10.00")])
    other = make_order(session, group, factories.buyer(session), "LM-T-00013", [("SKU-A", 5, "10.00")])
    client = odoo.client()
    ids = sync_orders(session, client, group.id, [order, other]).odoo_ids
    if locked:
        client.press("sale.order", "action_lock", [ids[order.id]])
    order.status = other.status = OrderStatus.CANCELLED

    for _ in range(2):  # the operator's retry, Odoo still refusing: still one note
        odoo.double.inject(
            "refuse", times=1, match="action_cancel"
        )  # the first cancellation asked: this order's (one by one, in order)
        report = sync_orders(session, client, group.id, [order, other])
        assert "Odoo refused to cancel its sales order" in report.problems[order.id] and other.id not in report.problems

    [remote] = client.execute("sale.order", "read", [ids[order.id]], fields=["state", "locked"])
    assert (remote["state"], remote["locked"]) == ("sale", locked)  # as it was: locked again when it was locked
    notes = [n for n in loom_notes(client, ids[order.id]) if "refused to cancel" in n]
    assert len(notes) == 1 and "was cancelled in Loom" in notes[0] and "refused" in notes[0]
    assert client.execute("sale.order", "read", [ids[other.id]], fields=["state"])[0]["state"] == "cancel"  # the other went


def test_a_cancellation_a_real_odoo_refuses_for_its_own_reason_leaves_one_clear_note(session: Session, odoo: Odoo) -> None:
    """Odoo's own refusal, not the lock: a record rule the group's admin made forbids changing one draft invoice, which
    Odoo's action_cancel cancels with its order, so Odoo refuses the whole cancellation (AccessError) — Loom notes it once.

    Needs a real Odoo and its admin (LOOM_TEST_ODOO_ADMIN_PASSWORD: a password or, for JSON-2, an admin's API key) to
    make the rule; the double's refusal is the test above.
    """
    admin_secret = os.environ.get("LOOM_TEST_ODOO_ADMIN_PASSWORD")
    if odoo.double is not None or not admin_secret:
        pytest.skip("a real Odoo's admin makes the record rule: set LOOM_TEST_ODOO_ADMIN_PASSWORD")
    group = factories.producer_group(session)
    order = make_order(session, group, factories.buyer(session), "LM-T-00014", [("SKU-A", 30, "10.00")])
    client = odoo.client()
    so = sync_orders(session, client, group.id, [order]).odoo_ids[order.id]
    admin = connect(odoo.url, odoo.database, "admin", admin_secret, protocol=odoo.protocol, policy=odoo.policy)
    [line] = admin.search_read("sale.order.line", [["order_id", "=", so]], ["id", "product_id"])
    [partner] = admin.execute("sale.order", "read", [so], fields=["partner_id"])
    ref = keyed(client, "REFUSE")
    admin.create(
        "account.move",
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner["partner_id"][0],
                "ref": ref,
                "invoice_line_ids": [
                    [
                        0,
                        0,
                        {
                            "product_id": line["product_id"][0],
                            "quantity": 1.0,
                            "price_unit": 10.0,
                            "sale_line_ids": [[6, 0, [line["id"]]]],
                        },
                    ]
                ],
            }
        ],
    )
    [model] = admin.search_read("ir.model", [["model", "=", "account.move"]], ["id"])
    [rule] = admin.create(
        "ir.rule",
        [
            {
                "name": f"{ref} keep",
                "model_id": model["id"],
                "perm_read": False,
                "perm_create": False,
                "perm_write": True,
                "perm_unlink": False,
                "domain_force": f"['|', ('ref', '=', False), ('ref', '!=', '{ref}')]",
            }
        ],
    )
    order.status = OrderStatus.CANCELLED
    try:
        for _ in range(2):  # the operator's retry, Odoo still refusing: still one note
            report = sync_orders(session, client, group.id, [order])
            assert "Odoo refused to cancel its sales order" in report.problems[order.id]
        [remote] = client.execute("sale.order", "read", [so], fields=["state"])
        assert remote["state"] == "sale"  # as it was
        notes = [n for n in loom_notes(client, so) if "refused to cancel" in n]
        assert len(notes) == 1 and "was cancelled in Loom" in notes[0]
    finally:
        admin.execute("ir.rule", "unlink", [rule])
    assert sync_orders(session, client, group.id, [order]).orders_cancelled == 1  # the rule gone, the retry cancels it


def test_an_order_cancelled_before_it_reached_odoo_is_not_created(session: Session, odoo: Odoo) -> None:
    group = factories.producer_group(session)
    order = make_order(session, group, factories.buyer(session), "LM-T-00009", [("SKU-A", 30, "10.00")])
    order.status = OrderStatus.CANCELLED
    report = sync_orders(session, odoo.client(), group.id, [order])
    assert report.orders_created == 0 and remote_orders(odoo.client(), "LM-T-00009") == []


def test_deposit_and_balance_invoices_post_once_and_invoice_the_whole_order(session: Session, odoo: Odoo) -> None:
    from erp_connector.invoicing import sync_invoice
    from marketplace.billing.models import InvoiceKind
    from marketplace.billing.services import issue_invoice

    group = factories.producer_group(session)
    order = make_order(session, group, factories.buyer(session), "LM-T-00010", [("SKU-A", 100, "10.00"), ("SKU-B", 40, "25.00")])
    client = odoo.client()
    deposit = issue_invoice(session, order, kind=InvoiceKind.DEPOSIT, amount=order.total / 2)

    first = sync_invoice(session, client, group.id, deposit)
    assert sync_invoice(session, client, group.id, deposit) == first  # found by its reference, not made twice
    balance = issue_invoice(session, order, kind=InvoiceKind.BALANCE, amount=order.total / 2)
    sync_invoice(session, client, group.id, balance)

    moves = client.search_read(
        "account.move", [["invoice_origin", "=", keyed(client, "LM-T-00010")]], ["state", "amount_total", "ref"]
    )
    assert sorted(m["ref"] for m in moves) == sorted(keyed(client, i.number) for i in (deposit, balance)) and {
        m["state"] for m in moves
    } == {"posted"}
    assert sum(m["amount_total"] for m in moves) == pytest.approx(float(order.total))
    [remote] = remote_orders(client, "LM-T-00010")
    lines = client.search_read("sale.order.line", [["order_id", "=", remote["id"]]], ["qty_invoiced", "product_uom_qty"])
    assert all(line["qty_invoiced"] == pytest.approx(line["product_uom_qty"]) for line in lines)


def test_the_whole_flow_lands_in_odoo_through_the_outbox(app: Flask, session: Session, odoo: Odoo) -> None:
    """Accept a quote, make, ship and deliver: Odoo ends with a confirmed order, its trace and two posted invoices."""
    from marketplace.orders.services import accept_quote, move, post_progress
    from marketplace.sourcing.models import Quote, QuoteStatus, Rfq, RfqRecipient, RfqStatus

    group = factories.producer_group(session, name="Kitui Basket Collective")
    factories.capability(session, group, category="baskets.storage", weekly_capacity=500, lead_time_days=0, moq=1)
    admin = factories.member_of(session, group, role=Role.ADMIN)
    buyer = factories.buyer(session, name="Northwind Home")
    session.add(
        ErpLink(
            group_id=group.id,
            url=odoo.url,
            database=odoo.database,
            login=odoo.login,
            protocol=odoo.protocol,
            api_key_encrypted=SecretBox(app.config["SECRETS_KEY"]).seal(odoo.secret),
            status="connected",
            checked_at=dt.datetime.now(dt.UTC),
        )
    )
    today = dt.date.today()
    rfq = Rfq(
        buyer_id=buyer.organization_id,
        title="Baskets",
        category="baskets.storage",
        quantity=300,
        currency="USD",
        needed_by=today + dt.timedelta(weeks=8),
        destination_country="GB",
        status=RfqStatus.OPEN,
        recipients=[RfqRecipient(group_id=group.id)],
    )
    quote = Quote(
        rfq=rfq,
        group_id=group.id,
        unit_price=Decimal("9.50"),
        currency="USD",
        quantity=300,
        lead_time_days=20,
        valid_until=today + dt.timedelta(days=10),
        status=QuoteStatus.SUBMITTED,
    )
    session.add_all([rfq, quote])
    session.commit()

    order = accept_quote(session, buyer, quote.id, today=today, deposit_percent=50, base_url="https://loom.test")
    session.commit()
    post_progress(session, admin, order.id, percent=50, note="Half woven", photo_path=None)
    for step in (OrderStatus.IN_PRODUCTION, OrderStatus.READY, OrderStatus.SHIPPED):
        move(session, admin, order.id, step, note="", today=today, base_url="https://loom.test", carrier="Kenya Airways Cargo")
    move(session, buyer, order.id, OrderStatus.DELIVERED, note="", today=today, base_url="https://loom.test")
    session.commit()

    summary = worker_for(app).drain()

    assert summary.dead == 0 and summary.retried == 0
    remote_client = odoo.client()
    [remote] = remote_orders(remote_client, order.number)
    assert remote["state"] == "sale" and remote["amount_total"] == pytest.approx(2850.0)
    moves = remote_client.search_read(
        "account.move", [["invoice_origin", "=", keyed(remote_client, order.number)]], ["state", "amount_total"]
    )
    assert len(moves) == 2 and {m["state"] for m in moves} == {"posted"}
    assert len(loom_notes(remote_client, remote["id"])) == 6  # confirmed, progress, in production, ready, shipped, delivered


def test_orders_waiting_together_go_to_odoo_in_one_batch(app: Flask, session: Session, odoo: Odoo) -> None:
    from erp_connector.subscribers import queue_order_sync

    if odoo.double is None:
        pytest.skip("round trips are counted by the double")
    order, group = _linked_order(app, session, odoo, "LM-T-20000")
    buyer = factories.buyer(session)
    for n in range(1, 10):
        queue_order_sync(session, make_order(session, group, buyer, f"LM-T-2{n:04d}", [(f"SKU-{n % 3}", 10, "5.00")]))
    session.commit()
    before = len(odoo.double.calls)

    summary = worker_for(app).drain()

    assert summary.done == 1  # one message handled, nine done alongside it
    session.expire_all()
    statuses = {m.status for m in session.scalars(select(OutboxMessage).where(OutboxMessage.topic == "erp.sync_order"))}
    assert statuses == {OutboxStatus.DONE}
    # Ten orders: a login, then one batch of look-ups (partner, product, currency, pricelist, orders), creates,
    # one read-back of the totals and one confirm.
    assert len(odoo.double.calls) - before <= 14
    assert len(odoo.double.db.models["sale.order"].records) == 10


def _paid_invoice(app: Flask, session: Session, odoo: Odoo, number_hint: str):  # type: ignore[no-untyped-def]
    """A linked group's order whose deposit the buyer paid (as Stripe's webhook reports it)."""
    from marketplace.billing.models import Invoice
    from payments.checkout import begin_payment
    from payments.settings import Settings
    from payments.settlement import apply_checkout

    group = factories.producer_group(session, name=f"Kitui Basket Collective {number_hint}")
    buyer = factories.buyer(session, name="Northwind Home")
    session.add(
        ErpLink(
            group_id=group.id,
            url=odoo.url,
            database=odoo.database,
            login=odoo.login,
            protocol=odoo.protocol,
            api_key_encrypted=SecretBox(app.config["SECRETS_KEY"]).seal(odoo.secret),
            status="connected",
            checked_at=dt.datetime.now(dt.UTC),
        )
    )
    order = factories.accepted_order(session, group, buyer, quantity=300, unit_price="9.50")
    invoice = session.scalar(select(Invoice).where(Invoice.order_id == order.id))
    payment = begin_payment(session, buyer, invoice.id, now=dt.datetime.now(dt.UTC))
    checkout = {
        "id": f"cs_test_{order.number}",
        "object": "checkout.session",
        "status": "complete",
        "payment_status": "paid",
        "payment_intent": f"pi_test_{order.number}",
    }
    apply_checkout(session, payment, checkout, seen_at=dt.datetime.now(dt.UTC), settings=Settings.from_config(app.config))
    session.commit()
    return order, invoice, payment, checkout


def test_payment_facts_reach_the_sale_order_once_each(app: Flask, session: Session, odoo: Odoo) -> None:
    from erp_connector.subscribers import queue_payment_sync
    from marketplace.billing.models import Payout
    from payments import payouts
    from payments.models import PayoutAccount
    from payments.settings import Settings
    from payments.settlement import apply_checkout

    order, invoice, payment, checkout = _paid_invoice(app, session, odoo, "A")
    operator = factories.user(session, operator=True)
    assert worker_for(app).drain().dead == 0
    payout = session.scalar(select(Payout).where(Payout.invoice_id == invoice.id))
    session.add(
        PayoutAccount(
            group_id=payout.group_id,
            method=payout.method,
            details_hint="M-Pesa ···5678",
            details_secret=SecretBox(app.config["SECRETS_KEY"]).seal("M-Pesa\nThe group\n+254 712 345 678"),
        )
    )
    payouts.record_payout(
        session, operator, payout.id, method=payout.method, reference="SGH7K2L9QX", note="", base_url="https://loom.test"
    )
    session.commit()
    assert worker_for(app).drain().dead == 0
    apply_checkout(session, payment, checkout, seen_at=dt.datetime.now(dt.UTC), settings=Settings.from_config(app.config))
    queue_payment_sync(session, invoice)  # the same news again
    session.commit()
    assert worker_for(app).drain().dead == 0

    remote_client = odoo.client()
    [remote] = remote_orders(remote_client, order.number)
    facts = [b for b in loom_notes(remote_client, remote["id"]) if "Loom payments" in b]
    assert len(facts) == 2
    assert any("Paid by the buyer" in b and "$1,425.00" in b for b in facts)
    assert any("Payout sent to the group" in b and "SGH7K2L9QX" in b for b in facts)
    moves = remote_client.search_read(
        "account.move", [["ref", "=", keyed(remote_client, invoice.number)]], ["state", "payment_state", "amount_residual"]
    )
    assert [m["state"] for m in moves] == ["posted"]
    # Registered once through Odoo's wizard; Community never leaves an invoice in_payment.
    assert moves[0]["payment_state"] == "paid" and moves[0]["amount_residual"] == 0.0
    if odoo.double is not None:
        assert len(odoo.double.db.models["account.payment"].records) == 1


def test_a_payment_registration_whose_answer_was_lost_is_not_registered_twice(
    app: Flask, session: Session, odoo: Odoo, monkeypatch: pytest.MonkeyPatch
) -> None:
    if odoo.double is None:
        pytest.skip("faults are injected into the double only")
    monkeypatch.setitem(app.config, "ERP_TIMEOUT_SECONDS", 0.5)
    order, invoice, payment, checkout = _paid_invoice(app, session, odoo, "B")
    odoo.double.inject("timeout_after_commit", seconds=1.2, match="dont_redirect_to_payments")  # the call that registers it

    assert worker_for(app).drain().retried >= 1
    _later_worker(app).drain()

    client = odoo.client()
    [move] = client.search_read("account.move", [["ref", "=", keyed(client, invoice.number)]], ["payment_state"])
    assert move["payment_state"] == "paid"
    assert len(odoo.double.db.models["account.payment"].records) == 1


def test_the_payment_wizard_refuses_what_odoo_refuses(odoo: Odoo) -> None:
    if odoo.double is None:
        pytest.skip("provoked in the double; on a real Odoo these would register payments on real invoices")
    from erp_connector.client import OdooCallError

    client = odoo.client()
    [partner] = client.create("res.partner", [{"name": "Northwind Home", "is_company": True}])
    [draft] = client.create(
        "account.move",
        [
            {
                "move_type": "out_invoice",
                "partner_id": partner,
                "ref": "T-1",
                "invoice_line_ids": [[0, 0, {"name": "Baskets", "quantity": 2, "price_unit": 50.0}]],
            }
        ],
    )
    with pytest.raises(OdooCallError, match="should only be called on account.move"):
        client.create(
            "account.payment.register", [{"communication": "x"}], context={"active_model": "sale.order", "active_ids": [draft]}
        )
    on_draft = {"active_model": "account.move", "active_ids": [draft]}
    if client.server.major < 18:
        with pytest.raises(OdooCallError, match="only register payment for posted journal entries"):
            client.create("account.payment.register", [{"communication": "x"}], context=on_draft)
    else:  # 18 allows it (is_register_payment_on_draft): the wizard proposes the draft's whole total, taxes included
        [wizard] = client.create("account.payment.register", [{"communication": "x"}], context=on_draft)
        [read] = client.execute("account.payment.register", "read", [wizard], fields=["amount", "currency_id"])
        assert read["amount"] == 115.0 and read["currency_id"][1] == "USD"
