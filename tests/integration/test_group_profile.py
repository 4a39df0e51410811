"""A group's profile read as plain rows in one statement (`marketplace.producers.profiles.group_profile`) renders exactly
what the profile rendered from the `ProducerGroup` entity `public_group` loads with its collections (issue 19).

The oracle is the profile view as it was, frozen here: `public_group`, the capacity calendars, the cover and the
record. Both render in every locale for groups with every kind of thing a profile shows and without any of it:
capabilities with and without weeks of their own (weeks added out of order), with and without a title, materials or
techniques; each kind of certification (checked, not yet checked with a date, a claim with and without its own
name, a claim an operator marked verified); products with tiers added out of order, without tiers, with several
photos or none; more gallery photos than the page shows, with and without captions, all added at the same moment.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from flask import Flask, render_template
from flask_babel import force_locale
from sqlalchemy import Connection
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.orm import Session

from marketplace.accounts import context as acting
from marketplace.db import db
from marketplace.discovery.profile import profile_page
from marketplace.errors import NotFound
from marketplace.i18n import LOCALES
from marketplace.producers import services as producers
from marketplace.producers.capacity import week_start
from marketplace.producers.covers import loaded_cover
from marketplace.producers.models import CapacityWindow, Certification, Photo, PriceTier, ProducerGroup, Product
from marketplace.producers.profiles import PROFILE, group_profile
from marketplace.producers.taxonomy import OTHER_CLAIM
from marketplace.reputation.signals import profile_record
from tests import factories
from tests.integration.test_query_counts import counted


def _old_profile(slug: str) -> str:
    """The profile view before `group_profile`, for an anonymous visitor: the oracle."""
    group = producers.public_group(db.session, slug)
    today = acting.today()
    calendars = {c.id: producers.capacity_calendar(c, today, 8) for c in group.capabilities}
    record, reviews = profile_record(db.session, group.id)
    return render_template(
        "producers/profile.html",
        group=group,
        calendars=calendars,
        drafts=[],
        picture=loaded_cover(group),
        reputation=record,
        reviews=reviews,
    )


def _photo(group: ProducerGroup, name: str, product: Product | None = None, caption: str = "") -> Photo:
    return Photo(
        group_id=group.id,
        product_id=product.id if product else None,
        path=f"photos/{group.id}/{name}.jpg",
        content_type="image/jpeg",
        width=640,
        height=480,
        caption=caption,
    )


def _full(session: Session) -> ProducerGroup:
    """A group with every kind of thing its profile shows, several of each, children added out of their shown order."""
    group = factories.producer_group(
        session,
        name="Bolga <Baskets> & Co",
        city="Bolgatanga",
        region="Upper East",
        country="GH",
        verified=True,
        story="We began in 1998.\n\nNow we are 300.",
        languages=["Frafra", "English"],
        response_time_hours=36,
        artisan_count=1200,
        women_share=80,
        youth_share=25,
    )
    monday = week_start(dt.date.today()) + dt.timedelta(weeks=1)
    busy = factories.capability(session, group, category="baskets.market", title="Market baskets", weekly_capacity=300)
    factories.capability(session, group, category="home.decor", materials=[], techniques=[])
    rugs = factories.capability(session, group, category="textiles.rugs", techniques=["weaving", "dyeing"])
    session.add_all(
        [
            CapacityWindow(capability=busy, week_start=monday + dt.timedelta(weeks=3), units_available=120, units_committed=30),
            CapacityWindow(capability=busy, week_start=monday, units_available=50, units_committed=80),
            CapacityWindow(capability=busy, week_start=monday + dt.timedelta(weeks=20), units_available=9),
            CapacityWindow(capability=rugs, week_start=monday + dt.timedelta(weeks=7), units_available=1500),
        ]
    )
    session.add_all(
        [
            Certification(group=group, scheme="wfto", verified=True),
            Certification(group=group, scheme="fairtrade", valid_until=dt.date(2031, 3, 31)),
            Certification(group=group, scheme=OTHER_CLAIM, name="Ghana <Craft> Mark", verified=True),
            Certification(group=group, scheme=OTHER_CLAIM, name="", valid_until=dt.date(2030, 1, 1)),
        ]
    )
    priced = Product(
        group=group, sku="B-1", title="Bolga tote", category="baskets.market", moq=10, lead_time_days=30, currency="USD"
    )
    priced.price_tiers = [
        PriceTier(min_quantity=500, unit_price=Decimal("7.5000")),
        PriceTier(min_quantity=10, unit_price=Decimal("12.25")),
        PriceTier(min_quantity=100, unit_price=Decimal("9")),
    ]
    bare = Product(group=group, sku="B-2", title="Plain mat", category="textiles.rugs", moq=1, lead_time_days=5, currency="GHS")
    euro = Product(group=group, sku="B-3", title="Wall hanging", category="home.decor", moq=3, lead_time_days=12, currency="EUR")
    euro.price_tiers = [PriceTier(min_quantity=3, unit_price=Decimal("40.10"))]
    session.add_all([priced, bare, euro])
    session.flush()
    session.add_all(
        [_photo(group, f"gallery-{i}", caption="" if i % 3 == 0 else f"Weavers at work {i}") for i in range(8)]
        + [
            _photo(group, "tote-side", priced),
            _photo(group, "tote-front", priced, caption="The tote"),
            _photo(group, "hanging", euro),
        ]
    )
    session.flush()
    return group


def _groups(session: Session) -> list[ProducerGroup]:
    full = _full(session)
    bare = factories.producer_group(session, name="Amara", city="", region="", languages=[], story="")
    products_only = factories.producer_group(session, name="Cusco Knitters", country="PE", city="Cusco", region="Cusco")
    shawl = Product(
        group=products_only, sku="C-1", title="Alpaca shawl", category="textiles.rugs", moq=5, lead_time_days=40, currency="PEN"
    )
    session.add(shawl)
    session.flush()
    session.add_all([_photo(products_only, "shawl-2", shawl), _photo(products_only, "shawl-1", shawl, caption="Shawl")])
    placeholder = factories.producer_group(session, name="ñandutí tejedoras", country="PY")
    factories.capability(session, placeholder, category="textiles.rugs")
    factories.capability(session, placeholder, category="baskets.storage")
    session.add(Certification(group=placeholder, scheme="gots"))
    session.flush()
    return [full, bare, products_only, placeholder]


@pytest.mark.parametrize("locale", list(LOCALES))
def test_the_profile_read_as_rows_renders_as_the_entities_did(app: Flask, session: Session, locale: str) -> None:
    groups = _groups(session)
    slugs = [group.slug for group in groups]
    session.commit()
    for slug in slugs:
        path = f"/groups/{slug}"
        with app.test_request_context(path), force_locale(locale):
            expected = _old_profile(slug)
            db.session.expunge_all()  # read afresh, as a request of its own does
            page = app.view_functions["discovery.profile"](slug=slug)
        assert page == expected, slug
    with app.test_request_context(f"/groups/{slugs[0]}"):
        full = _old_profile(slugs[0])
    assert full.count("<img ") == 6 + 2 and "Ghana &lt;Craft&gt; Mark" in full and "Plain mat" in full  # the oracle saw it all


def test_a_profile_is_one_statement_and_only_the_groups_own(app: Flask, session: Session, connection: Connection) -> None:
    full, bare, *_rest = _groups(session)
    session.commit()
    session.expunge_all()
    with counted(connection) as seen:
        profile = group_profile(session, full.slug)
    assert len(seen) == 1, seen
    assert [c.category for c in profile.capabilities] == ["baskets.market", "home.decor", "textiles.rugs"]
    assert [w.units_available for w in profile.capabilities[0].windows] == [50, 120, 9]  # by week
    assert [t.min_quantity for t in profile.products[0].price_tiers] == [10, 100, 500]
    assert [t.unit_price for t in profile.products[0].price_tiers] == [Decimal("12.2500"), Decimal("9.0000"), Decimal("7.5000")]
    assert [p.path.rsplit("/", 1)[1] for p in profile.products[0].photos] == ["tote-side.jpg", "tote-front.jpg"]
    assert len(profile.photos) == 8 and profile.products[1].photos == [] and profile.products[1].price_tiers == []
    assert [(c.title, c.checked, c.self_declared) for c in profile.certifications][2] == ("Ghana <Craft> Mark", False, True)

    empty = group_profile(session, bare.slug)
    assert (empty.capabilities, empty.certifications, empty.products, empty.photos) == ([], [], [], [])
    assert (empty.languages, empty.response_time_hours, empty.verified) == ([], None, False)


def test_the_profile_statement_stays_within_what_psycopg_keeps_converted() -> None:
    # psycopg 3 remembers how it converted a statement of at most 4,096 bytes (psycopg._queries.MAX_CACHED_STATEMENT_LENGTH)
    # and converts a longer one anew on every execution. The page's statement, the profile side by side with the record
    # (marketplace.discovery.profile), is longer, and pays that (about 10 µs) instead of a second round trip (about 80 µs
    # on PostgreSQL); the profile read alone, `group_profile`, stays within it.
    statement = str(PROFILE.compile(dialect=psycopg_dialect()))
    assert len(statement.encode()) <= 4096, len(statement.encode())


def test_an_unlisted_group_or_an_unknown_address_has_no_profile(session: Session) -> None:
    hidden = factories.producer_group(session, name="Unlisted Group", listed=False)
    factories.capability(session, hidden)
    session.flush()
    for slug in (hidden.slug, "no-such-group"):
        with pytest.raises(NotFound):
            group_profile(session, slug)
        with pytest.raises(NotFound):
            profile_page(session, slug)
