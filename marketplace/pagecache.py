"""A shared cache of the public pages anonymous visitors read, invalidated in the transaction that changes them.

Home, the directory, a group's profile and the group API cost a dozen statements and a template of
many cards; most of their readers are signed out, and they all read the same few pages. Such a GET
(no session cookie, no remember cookie, no `Authorization` header) is answered from a Flask-Caching
cache (`CACHE_TYPE`: one per process by default, `RedisCache` with `CACHE_REDIS_URL` to share it
between processes), keyed by:

- the **public generation**: an opaque random number in the one-row `public_generation` table. Every
  transaction that writes to a table public pages may show (any table but `PRIVATE_TABLES`) replaces it
  as it commits, in the same transaction (`_bump_on_commit`, for every session of the process: views,
  the outbox worker, the CLI). A listing, unlisting or edit therefore takes effect on the very next
  request in every worker: its key no longer matches anything cached. A random value, not a counter,
  so a rolled-back or restored database never reuses a generation;
- the locale the page is written in, the UTC day (the profile's calendar starts this week), and the
  path with its query.

Only a 200 whose rendering set no cookie and left the session untouched is stored (no CSRF token,
flash or language choice can be in it), and cached bodies expire after `PAGE_CACHE_SECONDS` anyway.
Signed-in people, and anyone holding a session, always get a freshly rendered page.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_caching import Cache
from sqlalchemy import BigInteger, Connection, Insert, Integer, event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from marketplace import i18n
from marketplace.db import Base, db, utcnow

cache = Cache()

# Endpoints whose anonymous GETs are cached: pages and answers that show only public, listed content.
CACHED_ENDPOINTS = frozenset({"producers.home", "producers.directory", "discovery.profile", "api.groups", "api.group"})

# Tables no public page shows: writes to them leave the cached pages valid. Any other table (one added
# later too) counts as public, so a forgotten table costs a cache miss, never a stale page.
PRIVATE_TABLES = frozenset(
    {
        "public_generation",
        "listing_count",  # derived from groups and capabilities, rewritten in the transaction that changes them
        "listing_membership",  # the same
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
    }
)  # not `message`, `quote` or `rfq_recipient`: a group's response times (marketplace.reputation.signals) come from them


_CHANGED = "loom.public_changed"
_KEY = "loom_page_key"
HIT_HEADER = "X-Loom-Cache"


class PublicGeneration(Base):
    """The one row whose `token` names the current state of everything public pages show (see the module)."""

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
    """After a flush: note the public tables it wrote; if it is the commit's own flush, replace the generation now."""
    for instance in (*session.new, *session.dirty, *session.deleted):
        _note(session, getattr(getattr(type(instance), "__table__", None), "name", None))
    if session.info.pop(_COMMITTING, False):
        _replace_generation(session)


def _mark_statement(state: ORMExecuteState) -> None:
    """Note the public table an INSERT, UPDATE or DELETE statement run through the session writes (bulk writes)."""
    if state.is_insert or state.is_update or state.is_delete:
        _note(state.session, getattr(getattr(state.statement, "table", None), "name", None))


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
    if tables:
        connection = session.connection()
        connection.execute(_bump(connection.dialect.name))
        for callback in _AFTER_CHANGE:
            callback(session, connection, tables)


def _bump(dialect: str) -> Insert:
    """Replace the generation; write its row if it is missing (a database emptied or restored without it)."""
    table = PublicGeneration.__table__
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(table).values(id=1, token=new_token())
    return statement.on_conflict_do_update(index_elements=[table.c.id], set_={"token": statement.excluded.token})


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_CHANGED, None)
    session.info.pop(_COMMITTING, None)


def watch_sessions() -> None:
    """Listen to every SQLAlchemy session of the process, so any transaction that changes public content bumps the generation."""
    if not event.contains(Session, "before_commit", _bump_on_commit):
        event.listen(Session, "after_flush", _mark_flushed)
        event.listen(Session, "do_orm_execute", _mark_statement)
        event.listen(Session, "before_commit", _bump_on_commit)
        event.listen(Session, "after_rollback", _forget)


def generation(session: Session) -> int | None:
    """Return the current public generation as `session` sees it, or None when the table holds no row.

    Plain SQL on the session's connection: every anonymous request of a cached page runs it, and the ORM's
    statement handling was a third of such a request's time.
    """
    return session.connection().exec_driver_sql(_GENERATION_SQL).scalar()


_GENERATION_SQL = f"SELECT token FROM {PublicGeneration.__tablename__} WHERE id = 1"  # noqa: S608 - no outside input


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
    token = generation(db.session)
    if token is None:
        return None
    key = f"page:{token}:{i18n.current_locale()}:{utcnow().date().isoformat()}:{request.full_path}"
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
