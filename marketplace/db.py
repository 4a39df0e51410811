"""The database: one declarative base, shared column types, a session per app context."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
import logging
import operator
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any, Concatenate, ParamSpec, Protocol, TypeVar

import psycopg
from flask import Flask, current_app, g, has_request_context
from flask_babel import gettext as _
from psycopg.pq import ExecStatus
from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    CompoundSelect,
    Connection,
    DateTime,
    Engine,
    Enum,
    Integer,
    MetaData,
    Numeric,
    Select,
    String,
    any_,
    bindparam,
    cast,
    create_engine,
    event,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransactionOrigin, mapped_column, sessionmaker
from sqlalchemy.orm.interfaces import ORMOption
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import NullType, TypeDecorator

from marketplace.errors import NotFound, Unavailable

log = logging.getLogger(__name__)
T = TypeVar("T")
P = ParamSpec("P")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Return the present moment as an aware UTC datetime (the only kind Loom stores)."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every engine (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Convert an aware datetime to UTC for the database (naive on SQLite); raise ValueError for a naive one."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware UTC time")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        """Return the stored time as an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Amount(TypeDecorator[Decimal]):
    """A Decimal amount with four places; on SQLite stored as scaled integer so it sorts and compares."""

    impl = Numeric(18, 4)
    cache_ok = True
    SCALE = Decimal("10000")

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        """Use a BIGINT of ten-thousandths on SQLite, NUMERIC(18, 4) elsewhere."""
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(18, 4, asdecimal=True))

    def process_bind_param(self, value: Decimal | int | str | None, dialect: Dialect) -> Any:
        """Quantize the amount to four places; on SQLite store it as an integer of ten-thousandths."""
        if value is None:
            return None
        amount = Decimal(value).quantize(Decimal("0.0001"))
        return int(amount * self.SCALE) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        """Return the stored amount as a Decimal with four places."""
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(value) / self.SCALE).quantize(Decimal("0.0001"))
        return Decimal(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dt.datetime: UTCDateTime(),
        Decimal: Amount(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(default=utcnow)]
currency_code = Annotated[str, mapped_column(String(3))]
country_code = Annotated[str, mapped_column(String(2))]


def str_enum(cls: type[enum.Enum], name: str) -> Enum:
    """Store a StrEnum as its value in a VARCHAR with a CHECK, portable across engines."""
    return Enum(
        cls, name=name, native_enum=False, create_constraint=True, length=20, values_callable=lambda e: [m.value for m in e]
    )


# An execution option on a session's connection: on SQLite its transaction begins with BEGIN IMMEDIATE.
WRITE = "loom_write"
# An execution option on a request session's PostgreSQL connection: its reads run outside a transaction.
READS = "loom_reads"
SQLITE_BUSY_TIMEOUT_SECONDS = 15.0
# PostgreSQL's run-time parameters Loom sets on each connection it opens, unless the server's configuration, the database,
# the role or the URL (`?options=-c%20plan_cache_mode%3Dauto`) sets them: one statement per new connection, not libpq's
# `options`, which connection poolers such as PgBouncer refuse.
# `plan_cache_mode`: a prepared statement (psycopg prepares one run 5 times on a connection) is planned once, not again on
# each run. Under the default, `auto`, PostgreSQL kept re-planning statements whose custom plans it judged cheaper, on every
# run: the home page's card details (`marketplace.producers.cards`) cost the server 0.30 ms a run of which planning was
# 0.24 ms, and a `LIMIT :n` list 0.06 ms against 0.016 (issue 19). Loom's statements are short lookups by key or walks of an
# index in its order, whose plan does not depend on the values (it has no partial indexes a generic plan could miss;
# tests/integration/test_listing_plans.py checks the lists' generic plans).
# `random_page_cost`: 1.1, PostgreSQL's own advice for solid-state storage and data that fits in memory (its manual, 19.7.2
# "Planner Cost Constants"), where a page read at random costs about what a page read in order does. At the default, 4.0,
# the planner scanned whole small tables rather than look a group's rows up in their indexes: the profile's statement
# (12 branches) cost the server 0.23 ms a run at 72 groups, 0.18 with the indexes (issue 19).
POSTGRES_SETTINGS = {"plan_cache_mode": "force_generic_plan", "random_page_cost": "1.1"}
_SET_UNLESS_SET = (  # psycopg's SQL, `settings` a JSON object of name: value
    "SELECT set_config(name, CAST(%(settings)s AS json) ->> name, false) FROM pg_settings "
    "WHERE name IN (SELECT json_object_keys(CAST(%(settings)s AS json))) AND source = 'default'"
)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the pragmas Loom relies on (foreign keys, WAL, a busy wait on SQLite), or on PostgreSQL with
    `POSTGRES_SETTINGS` on every connection (those nobody else set).

    On SQLite a transaction begun for writing (see `begin_write`) takes the write lock at BEGIN,
    waiting up to the busy timeout for it: a deferred transaction that read first and then wrote
    would fail at once with "database is locked" when another writer committed in between.
    """
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, begin transactions, so SAVEPOINTs work (SQLAlchemy's recipe).
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if connection.get_execution_options().get(WRITE) else "BEGIN")

    elif engine.dialect.name == "postgresql":

        @event.listens_for(engine, "connect")
        def _postgres_settings(dbapi_connection: Any, _record: Any) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(_SET_UNLESS_SET, {"settings": json.dumps(POSTGRES_SETTINGS)})
            dbapi_connection.commit()  # a setting made in a transaction rolled back would be undone
            dbapi_connection.cursor_factory = DescribedOnRead

    return engine


class DescribedOnRead(psycopg.Cursor):
    """A psycopg cursor whose `description` describes a result's columns when it is read, not each time it is asked for.

    SQLAlchemy asks for `cursor.description` after every statement, but reads it only to build a result's column map the
    first time a compiled statement runs (then kept with the statement: `CursorResultMetaData`). psycopg 3 builds a
    `psycopg.Column` for every column each time it is asked (psycopg/psycopg#446, a known cost): about 1 µs of CPU a column
    a statement, 35 µs for the profile page's 32 columns (issue 19). The description asked for here is a sequence of the
    same `psycopg.Column`s, built when first indexed or iterated; None for a result without rows, as psycopg's.
    """

    @property
    def description(self) -> Sequence[psycopg.Column] | None:
        """The current result's columns (`psycopg.Column`s, built when first read), or None for a result without rows."""
        result = self.pgresult
        if result and (result.nfields or result.status in _RESULTS_WITH_ROWS):
            return _Description(self, result, result.nfields)
        return None


_RESULTS_WITH_ROWS = (ExecStatus.TUPLES_OK, ExecStatus.SINGLE_TUPLE, ExecStatus.TUPLES_CHUNK)  # psycopg's own test


class _Description(Sequence[Any]):
    """A result's `psycopg.Column`s, built from the cursor when first read (while the cursor still holds that result)."""

    __slots__ = ("_columns", "_count", "_cursor", "_result")

    def __init__(self, cursor: psycopg.Cursor, result: Any, count: int) -> None:
        self._cursor, self._result, self._count = cursor, result, count
        self._columns: list[psycopg.Column] | None = None

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, index: Any) -> Any:
        if self._columns is None:
            if self._cursor.pgresult is not self._result:
                raise RuntimeError("a cursor's description was read after the cursor moved on to another result")
            self._columns = psycopg.Cursor.description.fget(self._cursor)
        return self._columns[index]


class Database:
    """Flask extension: an engine per app and one session per app context."""

    def init_app(self, app: Flask) -> None:
        """Create the app's engine (`DATABASE_URL`) and session factory, and close each app context's session at its end."""
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["loom.db"] = {
            "engine": engine,
            "sessionmaker": sessionmaker(engine, expire_on_commit=False),
        }
        app.teardown_appcontext(self._close_session)
        watch_writes()

    @property
    def engine(self) -> Engine:
        """Return the current app's engine."""
        return current_app.extensions["loom.db"]["engine"]

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        """Return the current app's session factory (sessions keep loaded objects after a commit)."""
        return current_app.extensions["loom.db"]["sessionmaker"]

    @property
    def session(self) -> Session:
        """Return the app context's session, made on first use; entry points (views, the CLI) pass it to services.

        A request's session reads outside a transaction on PostgreSQL (`read_outside_transaction`).
        """
        if "loom_session" not in g:
            session = g.loom_session = self.sessionmaker()
            if has_request_context():
                read_outside_transaction(session)
        return g.loom_session

    def _close_session(self, _exc: BaseException | None) -> None:
        session = g.pop("loom_session", None)
        if session is not None:
            discard_staged(session)  # files of a use case that never reached its commit
            session.close()


db = Database()


def read_outside_transaction(session: Session) -> None:
    """Let `session`'s reads run outside a transaction until it first writes: no BEGIN and ROLLBACK round trips (PostgreSQL).

    A page that only reads pays, besides its statements, a BEGIN before the first and a ROLLBACK as its
    connection goes back to the pool: two of a profile's round trips to the server (issue 19). At
    PostgreSQL's READ COMMITTED level each statement reads its own snapshot inside a transaction as
    well, so reads without one see the same. The connection is taken now, in autocommit mode; the
    first write ends that (`end_reads`: a use case's `begin_write`, any flush, any statement through the
    session but a plain SELECT — an INSERT, UPDATE or DELETE, a SELECT … FOR UPDATE, a textual statement —,
    a `lock`), so from there on everything runs in one transaction as
    before: committed by the use case, rolled back otherwise. SQLAlchemy resets the mode when the
    connection returns to the pool. No effect on SQLite (its BEGIN costs no round trip) or on a
    session bound to a connection (the tests' outer transaction).
    """
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT", READS: True})


def end_reads(session: Session) -> None:
    """End `session`'s reads outside a transaction (`read_outside_transaction`): its next statement begins one."""
    if not session.in_transaction() or session.in_nested_transaction():
        return
    connection = session.connection()
    if connection.get_execution_options().get(READS):
        dbapi_connection = connection.connection.dbapi_connection
        if dbapi_connection is not None and dbapi_connection.autocommit:
            dbapi_connection.autocommit = False  # psycopg: the next statement is preceded by BEGIN


def _end_reads_before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    end_reads(session)


def _end_reads_before_writing(state: Any) -> None:
    # Only a plain SELECT may run outside a transaction: a row lock (FOR UPDATE) or an advisory lock would be
    # released with its statement, and a textual statement may write; each begins the transaction first.
    if not state.is_select or getattr(state.statement, "_for_update_arg", None) is not None:
        end_reads(state.session)


def watch_writes() -> None:
    """Listen to every session of the process, so a write ends reads outside a transaction (`end_reads`)."""
    if not event.contains(Session, "before_flush", _end_reads_before_flush):
        event.listen(Session, "before_flush", _end_reads_before_flush)
        event.listen(Session, "do_orm_execute", _end_reads_before_writing)


def is_busy(error: BaseException) -> bool:
    """Tell whether a database error means "busy, try again": SQLite's lock, PostgreSQL's deadlock or serialization failure."""
    if not isinstance(error, DBAPIError):
        return False
    code = getattr(error.orig, "sqlstate", None)
    if code in ("40001", "40P01", "55P03"):
        return True
    text = str(error.orig).lower()
    return "database is locked" in text or "database is busy" in text or "database table is locked" in text


def is_unique_violation(error: IntegrityError) -> bool:
    """Tell whether an IntegrityError is a unique key that another transaction (or click) took first."""
    if getattr(error.orig, "sqlstate", None) == "23505":
        return True
    return "unique constraint failed" in str(error.orig).lower()


# How often a use case that met a busy database (a PostgreSQL deadlock or serialization failure, a
# SQLite write lock held past the busy timeout) is run again, whole, before the person gets a 503.
BUSY_ATTEMPTS = 4
BUSY_FIRST_PAUSE_SECONDS = 0.05
BUSY_RETRY_AFTER_SECONDS = 1
_COMMITTED = "loom.committed"  # session.info: a write transaction of this session has committed
_STAGED = "loom.staged"  # session.info: work outside the database that stands or falls with the next write transaction
_OPEN = "loom.open"  # session.info: a write transaction (a use case) is open on this session; nested ones join it


class DatabaseBusy(Unavailable):
    """The database stayed busy (deadlocks, serialization failures, a held write lock) through every attempt."""

    def __init__(self) -> None:
        super().__init__(
            _("The database is busy right now; nothing was saved. Send it again in a moment."),
            retry_after=BUSY_RETRY_AFTER_SECONDS,
        )


def busy_pause(attempt: int, rng: random.Random) -> float:
    """Seconds to wait after busy attempt number `attempt` (1-based): 50 ms doubling, jittered over its upper half.

    The jitter matters: two transactions that deadlocked each other and retried after the same pause
    would meet again.
    """
    ceiling = BUSY_FIRST_PAUSE_SECONDS * 2 ** (attempt - 1)
    return rng.uniform(ceiling / 2, ceiling)


def retry_when_busy(
    use_case: Callable[[], T],
    *,
    attempts: int = BUSY_ATTEMPTS,
    rng: random.Random | None = None,
    may_retry: Callable[[], bool] = lambda: True,
    before_retry: Callable[[], None] = lambda: None,
) -> T:
    """Run `use_case()`; when the database answers busy (see `is_busy`), run it again, whole, up to `attempts` times.

    The use case must roll back its own transaction when it fails (`write_transaction` does), so each
    attempt starts afresh. `may_retry()` is asked before each retry (a request that committed an
    earlier transaction is not run again); `before_retry()` resets whatever the attempt left behind.
    Returns what the use case returned. Raises `DatabaseBusy` (503, "send it again") when every
    attempt met a busy database; any other error at once.
    """
    for attempt in range(1, attempts + 1):
        try:
            return use_case()
        except DBAPIError as error:
            if not is_busy(error):
                raise
            if attempt == attempts or not may_retry():
                raise DatabaseBusy() from error
            # Seeded from the system only when a pause is due: seeding on every request cost ~10 µs (issue 19).
            rng = rng or random.Random()
            pause = busy_pause(attempt, rng)
            log.info(
                "database busy (%s); running the use case again in %.0f ms (attempt %s of %s)",
                type(error.orig).__name__,
                pause * 1000,
                attempt + 1,
                attempts,
            )
            before_retry()
            time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover


def begin_write(session: Session, *, attempts: int = 3, rng: random.Random | None = None) -> None:
    """Begin the session's transaction for writing.

    On SQLite: end any read-only transaction the request began (objects already loaded stay loaded;
    `expire_on_commit` is off), then BEGIN IMMEDIATE, so the write lock is held from the first
    statement and no later write can fail on a stale snapshot. A busy database (another writer held
    the lock past the busy timeout) is tried again `attempts` times with a short random pause; then
    `DatabaseBusy` (503) is raised: nothing was done, sending again is safe.
    On PostgreSQL the reads outside a transaction end (`end_reads`): the use case's statements run in
    one; row locks (`lock`) serialize writers where it matters.
    """
    if session.get_bind().dialect.name != "sqlite":
        end_reads(session)
        return
    if session.in_transaction():
        connection = session.connection()
        if connection.get_execution_options().get(WRITE) or connection.in_nested_transaction():
            return  # already writing, or inside an outer transaction (the tests' rolled-back one)
        session.commit()
    for attempt in range(1, attempts + 1):
        try:
            session.connection(execution_options={WRITE: True})
            return
        except DBAPIError as error:
            session.rollback()
            if not is_busy(error) or attempt == attempts:
                if is_busy(error):
                    raise DatabaseBusy() from error
                raise
            log.info("database busy at BEGIN IMMEDIATE (attempt %s of %s); trying again", attempt, attempts)
            rng = rng or random.Random()  # seeded from the system only when a pause is due, as in retry_when_busy
            time.sleep(rng.uniform(0.05, 0.25) * attempt)


def stage(session: Session, *, keep: Callable[[], None], drop: Callable[[], None]) -> None:
    """Tie work done outside the database (a file written) to the session's next write transaction.

    `keep()` runs just before that transaction commits (if it raises, the transaction rolls back);
    `drop()` runs if it rolls back, if `discard_staged` is called (a repeated post needs nothing it
    stored), or when the session closes with the work still staged (the use case never got to its
    transaction). Either way no file outlives a use case that did not commit it.
    """
    session.info.setdefault(_STAGED, []).append((keep, drop))


def discard_staged(session: Session) -> None:
    """Undo the work staged on `session` (see `stage`): the use case will not use it."""
    for _keep, drop in session.info.pop(_STAGED, []):
        try:
            drop()
        except OSError:
            log.exception("staged work could not be undone")


def _keep_staged(session: Session) -> None:
    staged = session.info.get(_STAGED, [])
    for keep, _drop in staged:
        keep()


def _begun_by_caller(session: Session) -> bool:
    """Tell whether the caller began the session's transaction itself (`session.begin()`, a SAVEPOINT), not a read."""
    transaction = session.get_transaction()
    return session.in_nested_transaction() or (
        transaction is not None and transaction.origin is not SessionTransactionOrigin.AUTOBEGIN
    )


@contextmanager
def write_transaction(session: Session) -> Iterator[Session]:
    """Run one use case on `session` as one write transaction: commit on success, roll back on any error.

    Work staged on the session (`stage`: an uploaded file) is kept with the commit and undone with a
    rollback. A unique key that a concurrent transaction took first still raises IntegrityError here
    (callers such as the webhook tell a duplicate from a fault by it); the web layer answers it 409
    Conflict. A busy or deadlocked database raises the driver's error after the rollback: the web layer
    runs the whole request again (see `retry_when_busy`), and the worker its short transaction (`run_write`).
    Opened while another write transaction of `session` is open (a use case calling another), or inside a
    transaction the caller began itself (`with session.begin():`, `session.begin_nested()`), it joins that
    one: the outermost commits or rolls back the whole. A transaction the session began on its own for
    earlier reads is not a unit of anyone's: this one takes it over (see `begin_write`).
    """
    if session.info.get(_OPEN) or _begun_by_caller(session):
        yield session  # the caller's unit (a use case, `session.begin()`, a SAVEPOINT) commits or rolls back the whole
        return
    if isinstance(session.bind, Connection) and session.in_transaction():
        # A session joined to an outer transaction (a test's, rolled back at its end) keeps what it did
        # before this use case: a use case that fails rolls back its own work, not the test's setting up.
        session.commit()
    begin_write(session)
    session.info[_OPEN] = True
    try:
        yield session
        _keep_staged(session)
        session.commit()
    except BaseException:
        session.rollback()
        discard_staged(session)
        raise
    finally:
        session.info.pop(_OPEN, None)
    session.info.pop(_STAGED, None)
    session.info[_COMMITTED] = True


def is_writing(session: Session) -> bool:
    """Tell whether `session` is inside a write transaction (`write_transaction`) right now.

    Slow work (a password hash, a call to a partner, an image resized) belongs before or after one:
    while it is open SQLite's one write lock, and PostgreSQL's row locks, make everyone else wait.
    """
    return bool(session.info.get(_OPEN))


class OneTime(Protocol):
    """A creating form's one-time token, claimed in the use case's own transaction (see `marketplace.submissions`)."""

    def claim(self, session: Session) -> Any | None:
        """Take the token on `session`; return the earlier post's answer when it was taken already, else None."""

    def done(self, result: Any) -> None:
        """Record, for a repeat of this first post, where `result` (what the use case returned) is shown."""


def use_case(function: Callable[Concatenate[Session, P], T]) -> Callable[Concatenate[Session, P], T]:
    """Make a service function one use case: it runs as one write transaction on the session it is given.

    The decorated function takes the session first (a request's `db.session`, a test's, the worker's)
    and runs inside `write_transaction(session)`: committed when it returns, rolled back when it raises,
    with staged files kept or removed alike. Called from another use case it joins that transaction.
    It also takes a keyword-only `submission` (a `OneTime`, e.g. `marketplace.forms.one_time(form, url)`):
    the token is claimed in the same transaction; when an earlier post already used it, the function is
    not run and the earlier post's answer (a `marketplace.submissions.Claim`) is returned instead —
    views tell it with `marketplace.forms.repeated`. Errors are the function's own, plus what
    `write_transaction` raises (IntegrityError → 409, a busy database → the request runs again).
    """

    @functools.wraps(function)
    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> T:
        submission: OneTime | None = kwargs.pop("submission", None)  # type: ignore[assignment]
        with write_transaction(session):
            if submission is not None and (earlier := submission.claim(session)) is not None:
                return earlier  # type: ignore[no-any-return]
            result = function(session, *args, **kwargs)
            if submission is not None:
                submission.done(result)
            return result

    run.__loom_use_case__ = True  # type: ignore[attr-defined]
    return run


def has_committed(session: Session) -> bool:
    """Tell whether a write transaction (`write_transaction`) of `session` has committed."""
    return bool(session.info.get(_COMMITTED))


def run_write(sessions: Callable[[], Session] | Session, use_case: Callable[[Session], T], *, attempts: int = BUSY_ATTEMPTS) -> T:
    """Run `use_case(session)` as one write transaction, run whole again when the database is busy.

    For work outside a request: the outbox worker's lease and record steps (`sessions` a sessionmaker:
    each attempt gets a new session), and a handler recording what an outside call answered (`sessions`
    the handler's own session, holding no uncommitted writes: a busy attempt rolls them back, and
    only `use_case` is run again). Only the database work is repeated, never the outside call whose
    answer it records. Returns what the use case returned; raises `DatabaseBusy` when every attempt
    met a busy database.
    """

    if isinstance(sessions, Session) and (sessions.info.get(_OPEN) or _begun_by_caller(sessions)):
        with write_transaction(sessions):  # it joins the caller's unit, which is run again whole when busy
            return use_case(sessions)

    def once() -> T:
        if isinstance(sessions, Session):
            with write_transaction(sessions):
                return use_case(sessions)
        with sessions() as session, write_transaction(session):
            return use_case(session)

    return retry_when_busy(once, attempts=attempts)


Root = TypeVar("Root", bound=Base)


def lock(session: Session, model: type[Root], ident: Any, *options: ORMOption, missing: str = "That no longer exists.") -> Root:
    """Load the aggregate root `model` with primary key `ident` and hold it until the transaction ends.

    PostgreSQL: SELECT … FOR UPDATE, so a concurrent use case on the same root waits here and then
    reads what the first one committed. SQLite: the write lock taken at BEGIN IMMEDIATE already
    serializes writers. Either way the row (and any relationships named in `options`) is read anew,
    replacing what the session loaded before the lock. Raises `NotFound` with `missing` if it is gone.
    """
    end_reads(session)  # a lock outlives its statement only in a transaction
    pk = model.__mapper__.primary_key[0]
    row = session.scalar(
        select(model).where(pk == ident).options(*options).with_for_update(of=model).execution_options(populate_existing=True)
    )
    if row is None:
        raise NotFound(missing)
    return row


class InList(ColumnElement[bool]):
    """`column IN (…)` of a list bound by name at execution: on PostgreSQL `column = ANY(:name)`, one array parameter.

    An expanding IN (`bindparam(…, expanding=True)`) is rendered again on every execution, one placeholder per value,
    and on PostgreSQL each with its type cast: about a tenth of a millisecond of the client's CPU time for a page of
    cards (issue 19), and a different statement text, so a different prepared statement, for each number of values.
    As one array parameter the text stays the same. Elsewhere (SQLite) it is the expanding IN. `values_type` is the
    type of one value (an Integer for ids); execute with `{name: [values]}` (a list or tuple, empty for none).
    """

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a comparison: no "= 1" after it where booleans are integers (SQLite)
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], name: str, values_type: Any = None) -> None:
        self.column = column
        self.values = bindparam(name, type_=ARRAY(values_type if values_type is not None else column.type))

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(InList)
def _in_list(element: InList, compiler: Any, **kw: Any) -> str:
    values = bindparam(element.values.key, expanding=True, type_=element.values.type.item_type)
    return compiler.process(element.column.in_(values), **kw)


@compiles(InList, "postgresql")
def _in_list_postgresql(element: InList, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column == any_(element.values), **kw)


class InSelect(ColumnElement[bool]):
    """`column IN (select)` for a few values a subquery gives (the ids of a page): on PostgreSQL
    `column = ANY(ARRAY(select))`.

    PostgreSQL plans a prepared statement once, for any values (`POSTGRES_SETTINGS`), and its generic plan cannot know
    how many rows a `LIMIT :n` subquery gives: it guessed a tenth of the table, and joined the page's details by hashing
    every capability of every group, 1.4 ms of the server's time at 10,000 groups against 0.1 (issue 19). As an array
    the subquery runs once, first, and the rows are looked up in `column`'s index, whatever the plan's guess.
    Elsewhere (SQLite, which looks up each value of an IN subquery in the index) it is the IN.
    """

    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("values", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], values: Select[Any]) -> None:
        self.column = column
        self.values = values.scalar_subquery()

    @property
    def _from_objects(self) -> list[Any]:
        return self.column._from_objects


@compiles(InSelect)
def _in_select(element: InSelect, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(element.values.element), **kw)


@compiles(InSelect, "postgresql")
def _in_select_postgresql(element: InSelect, compiler: Any, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY (ARRAY{compiler.process(element.values, **kw)})"


def side_by_side(*statements: Select[Any] | CompoundSelect) -> tuple[CompoundSelect, list[tuple[int, ...]]]:
    """Put statements with different columns in one `UNION ALL`, each with a first column of its own: one round trip for all.

    Returns the statement and, for each of `statements` in turn, the positions in a result row of its columns
    (`rows_of` takes its rows back). A row of one statement has NULL in every other statement's first column, so each
    statement's first column must never be NULL (a kind, an id). Its other columns share the positions of an earlier
    statement's columns of the same type where they can (`_read_alike`; one position per column of each statement; the
    first statement's own first branch gives the types): PostgreSQL starts every branch's projection for each of the
    statement's columns, so fewer columns cost each branch less (issue 19). Result types come from a UNION's first
    branch: that branch gives the others' own columns as NULLs cast to their types (the types of each statement's first
    branch), so each of those columns needs one (`literal_column("1", Integer)`, not `literal_column("1")`). An ORDER BY
    of a statement is dropped with it: order its rows after reading them. Raises `ValueError` without statements or for
    a column without a type.
    """
    if not statements:
        raise ValueError("side_by_side needs at least one statement")
    branches = [list(statement.selects) if isinstance(statement, CompoundSelect) else [statement] for statement in statements]
    columns = [list(parts[0].selected_columns) for parts in branches]
    slots: list[ColumnElement[Any]] = []  # each position's column, as the first statement that holds it types it
    places: list[tuple[int, ...]] = []
    for own in columns:
        taken: set[int] = set()
        place = [len(slots)]
        slots.append(own[0])  # a statement's first column is its own: it tells its rows from the others'
        shared = {at for part in places for at in part[1:]}
        for column in own[1:]:
            at = next((at for at in sorted(shared - taken) if _read_alike(slots[at].type, column.type)), None)
            if at is None:
                at = len(slots)
                slots.append(column)
                shared.add(at)
            taken.add(at)
            place.append(at)
        places.append(tuple(place))
    selects = []
    for at, parts in enumerate(branches):
        for number, branch in enumerate(parts):
            first = at == 0 and number == 0
            padded: list[Any] = [None] * len(slots)
            for position, column in zip(places[at], branch.selected_columns, strict=True):
                padded[position] = column
            for position, column in enumerate(padded):
                if column is None:
                    padded[position] = _typed_null(slots[position]).label(f"s{position}") if first else null()
            selects.append(branch.with_only_columns(*padded, maintain_column_froms=True))
    return union_all(*selects), places


# Types whose values are read alike whatever their arguments (a string's length): no result conversion takes them.
_READ_ALIKE_ANY_ARGUMENTS = (String, Integer, BigInteger)


def _read_alike(held: Any, given: Any) -> bool:
    """Whether a value of type `given` read as type `held` comes back as it would read as `given`: the same class, and
    the same arguments unless the class takes none in reading. Not two enums of other values (each reads its own), nor
    numerics of other scales (SQLite's decimals are read to their column's scale)."""
    if type(held) is not type(given):
        return False
    return type(held) in _READ_ALIKE_ANY_ARGUMENTS or repr(held) == repr(given)


def _typed_null(column: ColumnElement[Any]) -> ColumnElement[Any]:
    if isinstance(column.type, NullType):  # PostgreSQL would take two branches' NULLs for text, then fail on the next
        raise ValueError(f"side_by_side needs a type for each column of a statement's first branch, not of {column}")
    return cast(null(), column.type)


def rows_of(rows: Sequence[Any], part: tuple[int, ...]) -> list[tuple[Any, ...]]:
    """The rows of one statement of `side_by_side` (those with its first column set), cut to its columns, in order."""
    first = part[0]
    if len(part) == 1:
        return [(row[first],) for row in rows if row[first] is not None]
    cut = operator.itemgetter(*part)  # of two or more positions: a tuple
    return [cut(row) for row in rows if row[first] is not None]
