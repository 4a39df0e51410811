"""Migration 0013 keeps chains recorded before CBV 2.0 verifiable: their events keep Loom's first hash and are marked so."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.cli import upgrade_database
from marketplace.db import make_engine
from marketplace.trace.chain import GENESIS, event_hash, verify_document
from marketplace.trace.epcis import epcis_document
from marketplace.trace.services import chain_of, verify_chain
from tests.epcis_schema import epcis_errors


def test_events_hashed_before_0013_still_verify_after_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade_database(url, "0009")
    engine = make_engine(url)
    now = "2026-03-03 09:30:00.000000"
    with engine.begin() as db:
        db.execute(
            sa.text(
                "INSERT INTO organization (id, kind, name, country, created_at) VALUES "
                "(1, 'buyer', 'Northwind Home', 'GB', :t), (2, 'producer', 'Machakos Sisal Weavers', 'KE', :t)"
            ),
            {"t": now},
        )
        db.execute(
            sa.text(
                "INSERT INTO producer_group (id, organization_id, name, slug, story, country, region, city, "
                "artisan_count, women_share,"
                " youth_share, languages, verified, rating_count, created_at, updated_at, version) VALUES "
                "(1, 2, 'Machakos Sisal Weavers', 'machakos', '', 'KE', '', 'Machakos', 0, 0, 0, '[]', 0, 0, :t, :t, 1)"
            ),
            {"t": now},
        )
        db.execute(
            sa.text(
                "INSERT INTO purchase_order (id, number, buyer_id, group_id, status, currency, total, deposit_percent, "
                "incoterm, ship_by,"
                " destination_country, created_at) VALUES (1, 'LM-2026-00001', 1, 1, 'in_production', 'USD', 100, 50, 'FCA',"
                " '2026-06-01', 'GB', :t)"
            ),
            {"t": now},
        )
        prev = GENESIS
        for sequence, (kind, action, step) in enumerate(
            (("TransactionEvent", "ADD", "accepting"), ("TransformationEvent", None, "commissioning")), 1
        ):
            moment = dt.datetime(2026, 3, sequence, 9, 30, tzinfo=dt.UTC)
            what = {"quantityList": [{"epcClass": "urn:loom:class:RFQ-1", "quantity": 10, "uom": "EA"}]}
            why = {
                "note": "Order confirmed.",
                "bizTransactionList": [{"type": "po", "bizTransaction": "urn:loom:order:LM-2026-00001"}],
            }
            body = {
                "order": 1,
                "sequence": sequence,
                "type": kind,
                "action": action,
                "bizStep": f"urn:epcglobal:cbv:bizstep:{step}",
                "disposition": None,
                "eventTime": moment.isoformat(),
                "readPoint": "Machakos, KE",
                "what": what,
                "why": why,
            }
            digest = event_hash(prev, body)
            db.execute(
                sa.text(
                    "INSERT INTO trace_event (order_id, sequence, kind, action, biz_step, event_time, read_point, what, why,"
                    " recorded_at, prev_hash, hash) VALUES (1, :s, :k, :a, :b, :e, 'Machakos, KE', :w, :y, :t, :p, :h)"
                ),
                {
                    "s": sequence,
                    "k": kind,
                    "a": action,
                    "b": body["bizStep"],
                    "e": moment.strftime("%Y-%m-%d %H:%M:%S.%f"),
                    "w": json.dumps(what),
                    "y": json.dumps(why),
                    "t": now,
                    "p": prev,
                    "h": digest,
                },
            )
            prev = digest
    engine.dispose()

    upgrade_database(url)
    engine = make_engine(url)
    with Session(engine) as session:
        events = chain_of(session, 1)
        assert [e.hash_scheme for e in events] == ["loom1", "loom1"]
        assert verify_chain(session, 1) is None
        document = epcis_document(events, with_notes=True)
        assert epcis_errors(document) == [] and verify_document(document) == []
        events[1].read_point = "Kitui, KE"
        assert verify_chain(session, 1) == 2
    engine.dispose()
