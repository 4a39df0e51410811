"""A shared cache of the public pages anonymous visitors read, invalidated in the transaction that changes them.

Home, the directory, a group's profile and the group API cost a dozen statements and a template of
many cards; most of their readers are signed out, and they all read the same few pages. Such a GET
(no session cookie, no remember cookie, no `Authorization` header) is answered from a Flask-Caching
cache (`CACHE_TYPE`: one per process by default, `RedisCache` with `CACHE_REDIS_URL` to share it
between processes), keyed by:

- the **public generation**: an opaque random number in row `PAGES` of the `public_generation` table.
  Every transaction that changes what a cached page shows replaces it as it commits, in the same
  transaction (`_bump_on_commit`, for every session of the process: views, the outbox worker, the CLI):
  any write to a table those pages show (any table but `PRIVATE_TABLES`), and a write to the tables they
  show only through a group's measured record (orders, requests, quotes, messages, shipping events) when
  that record *as shown* changed (`shown_through`, `marketplace.reputation.shown`): a message in a thread
  already answered keeps the cached pages. A listing, unlisting or edit therefore takes effect on the very
  next request in every worker: its key no longer matches anything cached. A random value, not a
  counter, so a rolled-back or restored database never reuses a generation. The anonymous **search**
  pages (`SEARCH_ENDPOINTS`, HTML and API) read only the search index: they are keyed by row `SEARCH`,
  which the outbox handler that indexes a group, and every rebuild, replace once the index answers with
  the change (`replace_search_generation`);
- the locale the page is written in, the UTC day (the profile's calendar starts this week), and the
  path with its query.

Only a 200 whose rendering set no cookie and left the session untouched is stored (no CSRF token,
flash or language choice can be in it), and cached bodies expire after `PAGE_CACHE_SECONDS` anyway.
Signed-in people, and anyone holding a session, always get a freshly rendered page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_caching import Cache
from sqlalchemy import BigInteger, Connection, Insert, Integer, event, inspect
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from marketplace import i18n
from marketplace.db import Base, db, utcnow

cache = Cache()

# Endpoints whose anonymous GETs are cached: pages and answers that show only public, listed content, read from the
# database (keyed by the public generation) or from the search index alone (keyed by the search index's generation).
PAGE_ENDPOINTS = frozenset({"producers.home", "producers.directory", "discovery.profile", "api.groups", "api.group"})
SEARCH_ENDPOINTS = frozenset({"discovery.search", "api.search"})
CACHED_ENDPOINTS = PAGE_ENDPOINTS | SEARCH_ENDPOINTS

# The rows of `public_generation`: one per cache key space.
PAGES = 1  # what the database-backed public pages show; replaced as such a transaction commits
SEARCH = 2  # what the search index answers; replaced once an index change is visible (`replace_search_generation`)

# Tables no cached page shows: writes to them leave the cached pages valid. Any other table (one added
# later too) counts as public, so a forgotten table costs a cache miss, never a stale page.
PRIVATE_TABLES = frozenset(
    {
        "public_generation",
        "listing_count",  # derived from groups and capabilities, rewritten in the transaction that changes them
        "listing_membership",  # the same
        "shown_record",  # derived from the record's tables, rewritten as they change (`shown_through`)
        # sign-in, one-time forms, API tokens, invitations
        "submission",
        "login_attempt",
        "api_token",
        "invitation",
        # background work and partners' bookkeeping
        "outbox_message",
        "stripe_event",
        "import_job",
        "erp_link",
        "erp_binding",
        # money between a buyer, a group and Loom
        "invoice",
        "payment",
        "refund",
        "payout",
        "payout_account",
        "fee_ledger",
        "fee_entry",
        "fee_statement",
        "collecting_account",
        "rfq_attachment",
        # an order's lines, progress and product story: on its own pages and the story page, none of them cached
        "order_line",
        "progress_update",
        "product_story",
    }
)  # orders, requests, quotes, messages and trace events reach a cached page through a group's measured record only: see
# `shown_through` (marketplace.reputation.shown)


# Columns of public tables no cached page shows: an UPDATE that changes nothing else leaves the pages as they are.
# A group's version and change time are the search index's bookkeeping: every quote, message or order moved
# raises them (`marketplace.producers.changes.publish_record_changed`), to have the group indexed again.
UNSHOWN_COLUMNS: dict[str, frozenset[str]] = {"producer_group": frozenset({"version", "updated_at"})}


@dataclass(frozen=True, eq=False)
class ShownThrough:
    """Tables a cached page shows only through a per-group summary: a write to them counts when the summary changes.

    `groups_of(session, row)` names the groups a flushed ORM row's write may change (an empty set: none;
    None: unknown, and the write counts as public). `refresh(session, connection, group_ids)` rewrites
    those groups' summaries as the transaction commits and returns whether any changed as shown.
    """

    tables: frozenset[str]
    groups_of: Callable[[Session, Any], set[int] | None]
    refresh: Callable[[Session, Connection, set[int]], bool]


_SHOWN_THROUGH: dict[str, ShownThrough] = {}


def shown_through(summary: ShownThrough) -> None:
    """Let writes to `summary.tables` replace the generation only when `summary` changes as shown (not when any row does).

    A bulk statement over such a table (whose rows the session cannot name) still replaces it.
    """
    for table in summary.tables:
        _SHOWN_THROUGH[table] = summary


_CHANGED = "loom.public_changed"
_SUMMARIES = "loom.public_summaries"  # session.info: {ShownThrough: ids of the groups whose summary to refresh}
_KEY = "loom_page_key"
HIT_HEADER = "X-Loom-Cache"


class PublicGeneration(Base):
    """A row whose `token` names the current state of what one kind of cached page shows: `PAGES` or `SEARCH` (see the module)."""

    __tablename__ = "public_generation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)


def new_token() -> int:
    """Return a fresh generation: a random positive 62-bit integer (fits PostgreSQL's BIGINT and SQLite's INTEGER)."""
    return secrets.randbits(62)


def _is_public(table_name: str | None) -> bool:
    return table_name is not None and table_name not in PRIVATE_TABLES


# Called with the session, its connection and the public tables written, after the generation is replaced.
_AFTER_CHANGE: list[Callable[[Session, Connection, frozenset[str]], None]] = []
_COMMITTING = "loom.public_committing"


def after_public_change(callback: Callable[[Session, Connection, frozenset[str]], None]) -> None:
    """Run `callback(session, connection, tables)` in every transaction that writes public tables, as it commits.

    It runs after the generation row is replaced, so on PostgreSQL it holds that row's lock: callbacks of
    concurrent transactions run one after the other (`marketplace.producers.counts` recounts there). It
    gets the transaction's connection: what it writes is derived data, not a change to watch.
    """
    if callback not in _AFTER_CHANGE:
        _AFTER_CHANGE.append(callback)


def _note(session: Session, table_name: str | None) -> None:
    if _is_public(table_name):
        session.info.setdefault(_CHANGED, set()).add(table_name)


def _mark_flushed(session: Session, _flush_context: Any) -> None:
    """After a flush: note the public tables it wrote; if it is the commit's own flush, replace the generation now.

    Linear in the rows flushed, with little work per row: a bulk insert (the demo seed, an import) flushes
    thousands. `session.dirty` is built once (each access walks the identity map's modified states), a table
    already noted is not looked at again, and only the attributes a dirty row recorded as changed are compared.
    """
    noted: set[str] = session.info.setdefault(_CHANGED, set())
    summaries: dict[ShownThrough, set[int]] = session.info.setdefault(_SUMMARIES, {})
    for instances, dirty in ((session.new, False), (session.dirty, True), (session.deleted, False)):
        for instance in instances:
            table_name = _table_name(type(instance))
            summary = _SHOWN_THROUGH.get(table_name or "")
            if summary is None:
                if table_name in noted or not _is_public(table_name):
                    continue
                if dirty and table_name in UNSHOWN_COLUMNS and _only_unshown(instance, table_name):
                    continue
                noted.add(table_name)  # type: ignore[arg-type]  # _is_public: not None
                continue
            groups = summary.groups_of(session, instance)
            if groups is None:
                noted.add(table_name)  # type: ignore[arg-type]  # in _SHOWN_THROUGH: not None
            else:
                summaries.setdefault(summary, set()).update(groups)
    if session.info.pop(_COMMITTING, False):
        _replace_generation(session)


_TABLE_NAMES: dict[type, str | None] = {}


def _table_name(cls: type) -> str | None:
    """Return the name of the table `cls` (a mapped class) is stored in; None for one without a table of its own."""
    try:
        return _TABLE_NAMES[cls]
    except KeyError:
        name = _TABLE_NAMES[cls] = getattr(getattr(cls, "__table__", None), "name", None)
        return name


def _only_unshown(instance: Any, table_name: str) -> bool:
    """Tell whether the flush changes only columns of `instance` no cached page shows (`UNSHOWN_COLUMNS`).

    Only the attributes the row recorded as modified (`committed_state`) are compared: any other has no change.
    """
    state = inspect(instance)
    unshown = UNSHOWN_COLUMNS[table_name]
    return all(key in unshown or not state.attrs[key].history.has_changes() for key in state.committed_state)


def _mark_statement(state: ORMExecuteState) -> None:
    """Note the public table an INSERT, UPDATE or DELETE statement run through the session writes (bulk writes)."""
    if state.is_insert or state.is_update or state.is_delete:
        table_name = getattr(getattr(state.statement, "table", None), "name", None)
        if state.is_update and table_name in UNSHOWN_COLUMNS:
            values = getattr(state.statement, "_values", None)  # .values(...) of one row; None for any other form
            if values and {getattr(column, "key", column) for column in values} <= UNSHOWN_COLUMNS[table_name]:
                return
        _note(state.session, table_name)


def _bump_on_commit(session: Session) -> None:
    """As a commit begins: replace the generation if the transaction wrote public content.

    With changes still to flush, the commit's own flush does it (`_mark_flushed`): flushing here would
    change what later `before_commit` listeners see.
    """
    if session.new or session.dirty or session.deleted:
        session.info[_COMMITTING] = True
    else:
        _replace_generation(session)


def _replace_generation(session: Session) -> None:
    tables = frozenset(session.info.pop(_CHANGED, ()))
    summaries: dict[ShownThrough, set[int]] = session.info.pop(_SUMMARIES, {})
    changed = bool(tables)
    for summary, groups in summaries.items():  # first: their row locks come before the generation's, in every writer
        if groups:
            changed = summary.refresh(session, session.connection(), groups) or changed
    if changed:
        connection = session.connection()
        connection.execute(_bump(connection.dialect.name))
        for callback in _AFTER_CHANGE:
            callback(session, connection, tables)


def replace_search_generation(session: Session) -> None:
    """Replace the search index's generation in `session`'s transaction: call it once an index change is visible.

    The search pages cached before then are never served again once that transaction commits. Called
    after the change, never before: a search answered between the two is cached under the old generation.
    An ORM write, flushed here, so the outbox worker sees that its handler wrote something to commit.
    """
    row = session.get(PublicGeneration, SEARCH)
    if row is None:  # a database emptied or restored without it
        session.add(PublicGeneration(id=SEARCH, token=new_token()))
    else:
        row.token = new_token()
    session.flush()


def _bump(dialect: str, row: int = PAGES) -> Insert:
    """Replace a generation; write its row if it is missing (a database emptied or restored without it)."""
    table = PublicGeneration.__table__
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(id=row, token=new_token())
    return statement.on_conflict_do_update(index_elements=[table.c.id], set_={"token": statement.excluded.token})


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_SUMMARIES, None)
    session.info.pop(_COMMITTING, None)


def watch_sessions() -> None:
    """Listen to every SQLAlchemy session of the process, so any transaction that changes public content bumps the generation."""
    if not event.contains(Session, "before_commit", _bump_on_commit):
        event.listen(Session, "after_flush", _mark_flushed)
        event.listen(Session, "do_orm_execute", _mark_statement)
        event.listen(Session, "before_commit", _bump_on_commit)
        event.listen(Session, "after_rollback", _forget)


def generation(session: Session, row: int = PAGES) -> int | None:
    """Return the current generation `row` (`PAGES` or `SEARCH`) as `session` sees it, or None when its row is missing.

    Plain SQL on the session's connection: every anonymous request of a cached page runs it, and the ORM's
    statement handling was a third of such a request's time.
    """
    return session.connection().exec_driver_sql(_GENERATION_SQL[row]).scalar()


_GENERATION_SQL = {
    row: f"SELECT token FROM {PublicGeneration.__tablename__} WHERE id = {row}"  # noqa: S608 - no outside input
    for row in (PAGES, SEARCH)
}


def _anonymous() -> bool:
    config = current_app.config
    return not (
        request.cookies.get(config["SESSION_COOKIE_NAME"])
        or request.cookies.get(config.get("REMEMBER_COOKIE_NAME", "remember_token"))
        or "Authorization" in request.headers
    )


def _serve_cached() -> Response | None:
    """Before a request: answer an anonymous GET of a cached page from the cache, or note its key for `_store`."""
    if (
        not current_app.config.get("PAGE_CACHE")
        or request.method != "GET"
        or request.endpoint not in CACHED_ENDPOINTS
        or not _anonymous()
    ):
        return None
    row = SEARCH if request.endpoint in SEARCH_ENDPOINTS else PAGES
    token = generation(db.session, row)
    if token is None:
        return None
    kind = "search" if row == SEARCH else "page"
    key = f"{kind}:{token}:{i18n.current_locale()}:{utcnow().date().isoformat()}:{request.full_path}"
    hit = cache.get(key)
    if hit is not None:
        body, content_type = hit
        response = Response(body, 200, content_type=content_type)
        response.headers[HIT_HEADER] = "hit"
        return response
    g.setdefault(_KEY, key)
    return None


def _store(response: Response) -> Response:
    """After a request: keep a cacheable page (200, no cookie set, session untouched) under the key `_serve_cached` noted."""
    key = g.pop(_KEY, None)
    if key is None or response.status_code != 200 or response.direct_passthrough or response.is_streamed:
        return response
    if "Set-Cookie" in response.headers or session.modified:
        return response  # something personal (a CSRF token, a flash, a language choice) went into it
    cache.set(key, (response.get_data(), response.content_type), timeout=current_app.config["PAGE_CACHE_SECONDS"])
    response.headers[HIT_HEADER] = "miss"
    return response


def init_app(app: Flask) -> None:
    """Attach the page cache to `app`: Flask-Caching (`CACHE_*` settings), the session listeners and the request hooks."""
    app.config.setdefault("CACHE_TYPE", "SimpleCache")
    cache.init_app(app)
    watch_sessions()
    app.before_request(_serve_cached)
    app.after_request(_store)
