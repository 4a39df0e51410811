"""The home page's counts, kept in the transaction that changes them: O(categories) to read, not O(groups).

`listing_count` holds one row for all listed groups (`category` "") and one per top-level category
(groups with a capability in it or under it). Any transaction that writes `producer_group` or
`capability` recounts them just before it commits (`marketplace.pagecache.after_public_change`), after
it has replaced the public generation: that row lock orders the writers of public content on
PostgreSQL, so each recount sees every earlier one's rows (READ COMMITTED reads what committed before
the statement), and SQLite has one writer at a time anyway. A recount costs one grouped scan of the
listed groups' capabilities, once per such write; reading costs one statement of a dozen rows.
"""

from __future__ import annotations

from sqlalchemy import Connection, case, delete, distinct, func, insert, literal, select, true, union_all
from sqlalchemy.orm import Session

from marketplace.producers.models import Capability, ListingCount, ProducerGroup
from marketplace.producers.taxonomy import TOP_CATEGORIES

ALL = ""  # the row counting every listed group
COUNTED_TABLES = frozenset({"producer_group", "capability"})


def recount(connection: Connection) -> None:
    """Replace `listing_count` with the counts of listed groups now (all, and per top-level category), in two statements."""
    top = case(
        *(
            (Capability.category.startswith(f"{c.code}.") | (Capability.category == c.code), literal(c.code))
            for c in TOP_CATEGORIES
        ),
        else_=literal("other"),
    )
    per_category = (
        select(top.label("category"), func.count(distinct(Capability.group_id)).label("groups"))
        .join(ProducerGroup, ProducerGroup.id == Capability.group_id)
        .where(ProducerGroup.listed == true())
        .group_by(top)
    )
    everything = select(literal(ALL).label("category"), func.count().label("groups")).where(ProducerGroup.listed == true())
    table = ListingCount.__table__
    connection.execute(delete(table))
    connection.execute(insert(table).from_select(["category", "groups"], union_all(everything, per_category)))


def recount_when_changed(connection: Connection, tables: frozenset[str]) -> None:
    """Recount if the committing transaction wrote groups or capabilities (`marketplace.pagecache` calls this with its connection)."""
    if tables & COUNTED_TABLES:
        recount(connection)


def listing_counts(session: Session) -> tuple[int, dict[str, int]]:
    """Return the number of listed groups and, by top-level category code, how many make something in it; one statement."""
    rows = {category: groups for category, groups in session.execute(select(ListingCount.category, ListingCount.groups))}
    return rows.pop(ALL, 0), rows
