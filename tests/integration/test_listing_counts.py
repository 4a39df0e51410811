"""The home page's counts (listed groups, and groups per top-level category) are kept in `listing_count` by
the transactions that change groups and capabilities, so the home page reads a dozen rows instead of
counting every group; they always equal a count made from scratch."""

from __future__ import annotations

from collections import Counter

from flask.testing import FlaskClient
from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.orm import Session

from marketplace.producers.counts import listing_counts
from marketplace.producers.models import Capability, ProducerGroup
from marketplace.producers.taxonomy import CATEGORIES
from tests import factories
from tests.integration.test_query_counts import counted


def from_scratch(session: Session) -> tuple[int, dict[str, int]]:
    """The counts made the slow way: every listed group and its capabilities, in Python."""
    listed = session.scalars(select(ProducerGroup.id).where(ProducerGroup.listed)).all()
    tops: Counter[str] = Counter()
    for group_id in listed:
        categories = session.scalars(select(Capability.category).where(Capability.group_id == group_id)).all()
        tops.update({(CATEGORIES[c].parent or c) if c in CATEGORIES else "other" for c in categories})
    return len(listed), dict(tops)


def test_the_kept_counts_follow_every_change_to_groups_and_capabilities(session: Session) -> None:
    assert listing_counts(session) == from_scratch(session)
    weavers = factories.producer_group(session, name="Counted Weavers")
    factories.capability(session, weavers, category="baskets.storage")
    factories.capability(session, weavers, category="baskets.market")
    potters = factories.producer_group(session, name="Counted Potters")
    factories.capability(session, potters, category="home.decor")
    session.commit()
    total, tops = listing_counts(session)
    assert (total, tops) == from_scratch(session)
    before = total, tops.get("baskets", 0), tops.get("home", 0)

    weavers.listed = False  # unlisted: out of every count
    session.commit()
    assert listing_counts(session) == from_scratch(session)
    assert listing_counts(session)[0] == before[0] - 1 and listing_counts(session)[1].get("baskets", 0) == before[1] - 1

    session.execute(update(Capability).where(Capability.group_id == potters.id).values(category="jewelry.necklaces"))
    session.commit()  # a bulk change of category
    assert listing_counts(session) == from_scratch(session)
    assert listing_counts(session)[1].get("home", 0) == before[2] - 1

    session.execute(delete(ProducerGroup).where(ProducerGroup.id == potters.id))
    session.commit()
    assert listing_counts(session) == from_scratch(session)
    assert listing_counts(session)[0] == before[0] - 2


def test_the_home_page_reads_the_kept_counts_and_counts_no_groups(
    client: FlaskClient, session: Session, connection: Connection
) -> None:
    for i in range(3):
        factories.capability(session, factories.producer_group(session, name=f"Home Count {i}"), category="toys.toys")
    session.commit()
    total, tops = listing_counts(session)
    with counted(connection) as seen:
        page = client.get("/")
    assert page.status_code == 200
    assert [s for s in seen if "count(" in s.lower()] == []  # nothing is counted while the page is served
    assert [s for s in seen if "FROM listing_count" in s] != []
    text = page.get_data(as_text=True)
    assert f"{total} cooperatives" in text
    assert f'<span class="count">{tops["toys"]}</span>' in text


def test_a_change_to_one_group_recounts_only_that_group(session: Session, connection: Connection) -> None:
    """Keeping the counts costs the same at 100 or 100,000 groups: the commit reads the touched group's rows only."""
    groups = [factories.producer_group(session, name=f"Many {i}") for i in range(5)]
    for group in groups:
        factories.capability(session, group, category="bags.totes")
    session.commit()
    [capability] = groups[2].capabilities  # loaded before: only the commit is counted

    with counted(connection) as seen:
        capability.category = "home.decor"
        session.commit()

    assert listing_counts(session) == from_scratch(session)
    on_capabilities = [s for s in seen if "FROM capability" in s and "listing_membership" not in s.split("FROM")[0]]
    assert on_capabilities != []
    assert all(" IN " in s for s in on_capabilities), on_capabilities  # never a scan of every group's capabilities
    assert not [s for s in seen if s.startswith("DELETE FROM listing_membership") and "WHERE" not in s]


def test_the_counts_survive_moves_deletes_and_relisting(session: Session) -> None:
    """A capability moved to another group, a group deleted through the ORM, unlisted and listed again."""
    a = factories.producer_group(session, name="Mover A")
    b = factories.producer_group(session, name="Mover B")
    cap = factories.capability(session, a, category="baskets.market")
    factories.capability(session, b, category="jewelry.necklaces")
    session.commit()
    assert listing_counts(session) == from_scratch(session)

    cap.group_id = b.id  # moved: A no longer makes baskets, B does
    session.commit()
    session.expire_all()
    assert listing_counts(session) == from_scratch(session)

    b.listed = False
    session.commit()
    assert listing_counts(session) == from_scratch(session)
    b.listed = True
    session.commit()
    assert listing_counts(session) == from_scratch(session)

    session.delete(b)
    session.commit()
    assert listing_counts(session) == from_scratch(session)

    a.listed = False  # a rolled-back change leaves the counts alone
    session.flush()
    session.rollback()
    assert listing_counts(session) == from_scratch(session)


def test_loom_db_recount_restores_counts_a_database_written_around_loom_lacks(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A bulk load without Loom's hooks (bench/search.py's import, a restore of some tables) leaves no kept counts, and
    the home page and the API list say 0: `loom db recount` rebuilds them from the groups."""
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from marketplace.cli import main
    from marketplace.db import db
    from marketplace.producers.models import ListingCount, ListingMembership
    from tests.integration.test_first_run import _own_app

    app = _own_app(tmp_path)
    info = ScriptInfo(create_app=lambda: app)
    assert CliRunner().invoke(main, ["db", "upgrade"], obj=info).exit_code == 0
    assert CliRunner().invoke(main, ["seed-demo", "--groups", "12", "--no-logins"], obj=info).exit_code == 0
    with app.app_context():
        kept = listing_counts(db.session)
        assert kept == from_scratch(db.session) and kept[0] == 12
        db.session.execute(delete(ListingCount))
        db.session.execute(delete(ListingMembership))
        db.session.commit()
        assert listing_counts(db.session) == (0, {})

    recounted = CliRunner().invoke(main, ["db", "recount"], obj=info)

    assert recounted.exit_code == 0, recounted.output
    assert recounted.output.startswith(f"Counted 12 listed producer groups in {len(kept[1])} categories.")
    with app.app_context():
        assert listing_counts(db.session) == kept
    app.extensions["loom.db"]["engine"].dispose()


def _category_page(session: Session, category: str, country: str | None = None) -> list[str]:
    from marketplace.producers.services import list_groups

    cards, total = list_groups(session, category=category, country=country, per_page=50)
    assert total == len(cards)
    return [card.name for card in cards]


def _from_scratch_page(session: Session, category: str, country: str | None = None) -> list[str]:
    """The category's listed groups in listing order (verified first, then by name), the slow way."""
    groups = session.scalars(select(ProducerGroup).where(ProducerGroup.listed)).all()
    making = [
        g
        for g in groups
        if any(c.category == category or c.category.startswith(f"{category}.") for c in g.capabilities)
        and (country is None or g.country == country)
    ]
    return [g.name for g in sorted(making, key=lambda g: (not g.verified, g.name, g.id))]


def test_the_directory_of_a_category_follows_every_change_to_its_groups(session: Session) -> None:
    """A category's page walks `listing_membership`, which carries each group's place in the order: renaming, verifying,
    moving or unlisting a group moves it there too, and every category, subcategory and country shows what a listing
    made from scratch shows."""
    ana = factories.producer_group(session, name="Ana Weavers", country="KE")
    factories.capability(session, ana, category="baskets.storage")
    bo = factories.producer_group(session, name="Bo Baskets", country="GH")
    factories.capability(session, bo, category="baskets.market")
    cy = factories.producer_group(session, name="Cy Crafts", country="KE")
    cap = factories.capability(session, cy, category="baskets.storage")
    session.commit()
    assert _category_page(session, "baskets.storage") == ["Ana Weavers", "Cy Crafts"]

    cy.verified = True  # verified groups come first
    ana.name = "Zuri Weavers"  # renamed: its place by name moves
    session.commit()
    assert _category_page(session, "baskets.storage") == ["Cy Crafts", "Zuri Weavers"]
    assert _category_page(session, "baskets") == ["Cy Crafts", "Bo Baskets", "Zuri Weavers"]

    cap.category = "home.decor"  # no longer makes storage baskets
    bo.country = "KE"
    session.commit()
    assert _category_page(session, "baskets.storage") == ["Zuri Weavers"]
    assert _category_page(session, "home") == ["Cy Crafts"]
    assert _category_page(session, "baskets", "KE") == ["Bo Baskets", "Zuri Weavers"]

    ana.listed = False
    session.commit()
    for category, country in [("baskets", None), ("baskets.storage", None), ("baskets.market", "KE"), ("home.decor", "KE")]:
        assert _category_page(session, category, country) == _from_scratch_page(session, category, country), category
    from marketplace.producers.services import list_groups

    for country in ("KE", "GH", "PE"):  # a country's total is kept as well
        cards, total = list_groups(session, country=country, per_page=50)
        assert (
            total
            == len(cards)
            == session.scalar(select(func.count()).where(ProducerGroup.listed, ProducerGroup.country == country))
        ), country


def test_a_group_without_a_country_counts_in_all_countries_only(session: Session) -> None:
    """A group loaded by hand without a country: `country` "" names the counts of every country, so it counts there once."""
    from marketplace.producers.counts import recount_everything
    from marketplace.producers.services import list_groups

    factories.capability(session, factories.producer_group(session, name="Nowhere Weavers", country=""), category="bags.totes")
    factories.capability(session, factories.producer_group(session, name="Somewhere Weavers"), category="bags.totes")
    session.commit()
    kept = listing_counts(session), list_groups(session, category="bags.totes")[1]

    assert kept == (from_scratch(session), 2)
    assert recount_everything(session) == kept[0]  # the repair builds the same counts, without a clash on ""
    session.commit()
    assert list_groups(session, category="bags.totes")[1] == 2
    assert list_groups(session, category="bags.totes", country="KE")[1] == 1
