"""Migration 0025 keeps each old review's one overall rating and invents no dimension ratings for it."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.cli import upgrade_database
from marketplace.db import make_engine
from marketplace.reputation.signals import reputation


def test_reviews_written_before_0025_keep_their_overall_rating_and_no_dimensions(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'before.db'}"
    upgrade_database(url, "0017")
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
        for n, stars in enumerate((4, 5, 3), 1):
            db.execute(
                sa.text(
                    "INSERT INTO purchase_order (id, number, buyer_id, group_id, status, currency, total, "
                    "deposit_percent, incoterm,"
                    " ship_by, destination_country, created_at) VALUES (:n, :number, 1, 1, 'delivered', 'USD', 100, 50, 'FCA',"
                    " '2026-06-01', 'GB', :t)"
                ),
                {"n": n, "number": f"LM-2026-0000{n}", "t": now},
            )
            db.execute(
                sa.text(
                    "INSERT INTO review (order_id, group_id, buyer_id, rating, text, created_at) VALUES (:n, 1, 1, "
                    ":stars, '', :t)"
                ),
                {"n": n, "stars": stars, "t": now},
            )

    upgrade_database(url, "0025")

    with engine.connect() as db:
        rows = db.execute(
            sa.text("SELECT rating, quality_rating, communication_rating, on_time_rating FROM review ORDER BY order_id")
        ).all()
    assert [tuple(r) for r in rows] == [(4, None, None, None), (5, None, None, None), (3, None, None, None)]
    with Session(engine) as session:
        measured = reputation(session, 1)
    assert (measured.review_count, measured.review_average, measured.review_score) == (3, 4.0, 4.0)
    assert (measured.quality_count, measured.quality_average, measured.communication_average) == (0, None, None)
    assert not measured.has_dimensions
