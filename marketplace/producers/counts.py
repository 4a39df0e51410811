"""The home page's counts, kept in the transaction that changes them: O(categories) to read, O(changed groups) to keep.

`listing_count` holds one row for all listed groups (`category` "") and one per category: each top-level one (groups
with a capability in it or under it) and each code a capability holds; each in all (`country` "") and per country.
`listing_membership` holds what each listed group adds to them, with the group's place in the listing order (the
directory of a category walks it). As a transaction that wrote `producer_group` or `capability` commits
(`marketplace.pagecache.after_public_change`), the groups it touched are looked at again: their membership rows are
replaced and the counts move by the difference, so an edit costs the same at 100 or 100,000 groups. Only a bulk
statement over those tables (whose rows the session cannot name) rebuilds everything. This runs after the public
generation's row is replaced: that row lock orders the writers of public content on PostgreSQL, so each sees every
earlier one's rows (READ COMMITTED reads what committed before the statement), and SQLite has one writer at a time
anyway.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import (
    Connection,
    case,
    delete,
    event,
    func,
    insert,
    inspect,
    literal,
    select,
    true,
    tuple_,
    union,
    union_all,
    update,
)
from sqlalchemy.orm import ORMExecuteState, Session

from marketplace.db import use_case
from marketplace.producers.models import UNRATED, Capability, ListingCount, ListingMembership, ProducerGroup
from marketplace.producers.taxonomy import TOP_CATEGORIES

ALL = ""  # the row counting every listed group
ANYWHERE = ""  # the `country` of the rows counting groups in every country
# The kept counts the home page shows: every listed group, and by top-level category ("other": a code of none).
SHOWN_CATEGORIES = (ALL, *(c.code for c in TOP_CATEGORIES), "other")
COUNTED_TABLES = frozenset({"producer_group", "capability"})
_TOUCHED = "loom.listing_groups"  # session.info: ids of the groups this transaction touched
_EVERYTHING = "loom.listing_everything"  # session.info: a bulk statement touched rows the session cannot name
_CHUNK = 500  # groups per statement, well under SQLite's bound-parameter limit


MEMBERSHIP_COLUMNS = ("group_id", "category", "verified", "name", "country", "rating_rank")


def _membership(group_ids: list[int] | None = None) -> Any:
    """`MEMBERSHIP_COLUMNS` for every listed group ("") and every top-level category and category code it makes something
    in, of `group_ids` only when given."""
    top = case(
        *(
            (Capability.category.startswith(f"{c.code}.") | (Capability.category == c.code), literal(c.code))
            for c in TOP_CATEGORIES
        ),
        else_=literal("other"),
    )
    rating_rank = func.coalesce(ProducerGroup.rating, literal(UNRATED, ProducerGroup.rating.type))
    place = (ProducerGroup.verified, ProducerGroup.name, ProducerGroup.country, rating_rank)
    listed = select(ProducerGroup.id.label("group_id"), literal(ALL).label("category"), *place).where(
        ProducerGroup.listed == true()
    )
    makes = [
        select(Capability.group_id.label("group_id"), category.label("category"), *place)
        .join(ProducerGroup, ProducerGroup.id == Capability.group_id)
        .where(ProducerGroup.listed == true())
        for category in (top, Capability.category)
    ]
    if group_ids is not None:
        listed = listed.where(ProducerGroup.id.in_(group_ids))
        makes = [make.where(ProducerGroup.id.in_(group_ids)) for make in makes]
    return union(listed, *makes)


def recount(connection: Connection) -> None:
    """Rebuild `listing_membership` and `listing_count` from every group (a bulk change, or a repair); O(groups)."""
    members = ListingMembership.__table__
    connection.execute(delete(members))
    connection.execute(insert(members).from_select(list(MEMBERSHIP_COLUMNS), _membership()))
    counts = ListingCount.__table__
    connection.execute(delete(counts))
    every = select(members.c.category, literal(ANYWHERE).label("country"), func.count()).group_by(members.c.category)
    by_country = (
        select(members.c.category, members.c.country, func.count())
        .where(members.c.country != ANYWHERE)  # a group without a country (loaded by hand) counts in all only
        .group_by(members.c.category, members.c.country)
    )
    connection.execute(insert(counts).from_select(["category", "country", "groups"], union_all(every, by_country)))


@use_case
def recount_everything(session: Session) -> tuple[int, dict[str, int]]:
    """Rebuild the kept counts from every group, as one write transaction (`loom db recount`: a repair for a database
    written without the commit hook that keeps them); return `listing_counts` afterwards. O(groups)."""
    recount(session.connection())
    return listing_counts(session)


def recount_groups(connection: Connection, group_ids: set[int]) -> None:
    """Replace the membership of `group_ids` (deleted ones too) and move the counts by the difference; O(len(group_ids)).

    A row whose group changed its place in the listing order (renamed, verified), its country or its rating is replaced:
    the counts move by nothing for it."""
    members = ListingMembership.__table__
    counts = ListingCount.__table__
    ids = sorted(group_ids)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        now = {tuple(row) for row in connection.execute(_membership(chunk))}
        before = {
            tuple(row)
            for row in connection.execute(
                select(*(members.c[name] for name in MEMBERSHIP_COLUMNS)).where(members.c.group_id.in_(chunk))
            )
        }
        gone, came = before - now, now - before
        if gone:
            keys = sorted({(row[0], row[1]) for row in gone})
            connection.execute(delete(members).where(tuple_(members.c.group_id, members.c.category).in_(keys)))
        if came:
            connection.execute(insert(members), [dict(zip(MEMBERSHIP_COLUMNS, row, strict=True)) for row in sorted(came)])
        delta: Counter[tuple[str, str]] = Counter(key for row in came for key in _counted_in(row))
        delta.subtract(key for row in gone for key in _counted_in(row))
        for (category, country), change in sorted(delta.items()):
            if change == 0:
                continue
            moved = connection.execute(
                update(counts)
                .where(counts.c.category == category, counts.c.country == country)
                .values(groups=counts.c.groups + change)
            )
            if moved.rowcount == 0:
                connection.execute(insert(counts).values(category=category, country=country, groups=change))


def _counted_in(row: tuple[Any, ...]) -> tuple[tuple[str, str], ...]:
    """The `listing_count` rows (category, country) a membership row (`MEMBERSHIP_COLUMNS`) counts in: in all and in its
    group's country (a group without one, loaded by hand, in all only)."""
    category, country = row[1], row[4]
    return ((category, ANYWHERE),) if country == ANYWHERE else ((category, ANYWHERE), (category, country))


def recount_when_changed(session: Session, connection: Connection, tables: frozenset[str]) -> None:
    """As a transaction that wrote groups or capabilities commits: keep the counts (`marketplace.pagecache` calls this)."""
    touched = session.info.pop(_TOUCHED, set())
    everything = session.info.pop(_EVERYTHING, False)
    if not tables & COUNTED_TABLES:
        return
    if everything:
        recount(connection)
    elif touched:
        recount_groups(connection, touched)


def listing_counts(session: Session) -> tuple[int, dict[str, int]]:
    """Return the number of listed groups and, by top-level category code, how many make something in it; one statement."""
    kept = session.execute(
        select(ListingCount.category, ListingCount.groups).where(
            ListingCount.category.in_(SHOWN_CATEGORIES), ListingCount.country == ANYWHERE
        )
    )
    return shown_counts({category: groups for category, groups in kept})


def shown_counts(kept: dict[str, int]) -> tuple[int, dict[str, int]]:
    """Return the number of listed groups and the categories' nonzero counts, from the kept rows (`listing_count`: by
    category code, "" for every listed group)."""
    rows = dict(kept)
    return rows.pop(ALL, 0), {category: groups for category, groups in rows.items() if groups}


def _note_flushed(session: Session, _flush_context: Any) -> None:
    """After a flush: note the groups whose rows or capabilities it wrote (a capability moved between groups: both)."""
    touched: set[int] = session.info.setdefault(_TOUCHED, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, ProducerGroup):
            touched.add(instance.id)
        elif isinstance(instance, Capability):
            history = inspect(instance).attrs.group_id.history
            touched.update(g for g in (instance.group_id, *history.deleted) if g is not None)


def _note_statement(state: ORMExecuteState) -> None:
    """A bulk INSERT, UPDATE or DELETE on groups or capabilities: the commit rebuilds the counts."""
    written = getattr(getattr(state.statement, "table", None), "name", None)
    if (state.is_insert or state.is_update or state.is_delete) and written in COUNTED_TABLES:
        state.session.info[_EVERYTHING] = True


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_TOUCHED, None)
    session.info.pop(_EVERYTHING, None)


def watch_sessions() -> None:
    """Listen to every SQLAlchemy session of the process, noting which groups each transaction touches."""
    if not event.contains(Session, "after_flush", _note_flushed):
        event.listen(Session, "after_flush", _note_flushed, insert=True)  # before the page cache's commit hook reads it
        event.listen(Session, "do_orm_execute", _note_statement)
        event.listen(Session, "after_rollback", _forget)
        event.listen(Session, "after_commit", _forget)
