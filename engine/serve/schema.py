"""Stage "serve", its schema: the tables, and the versions `db init` migrates through.

What is kept:

- `events`: every ledger row as its stripped text cells (the engine's columns as
  columns, any other column in `extra` as JSON), its id unique (loads and posts
  are idempotent on it), its file and line, and `seq`, the order rows arrived in:
  a person's events read back in (date, seq) order are the rows of one ledger
  made of every load and post in turn, and are read through the same reader
  as a file's (store.py), so they mean what they meant when they came in;
- `batches`: each load or post (what, when, how many rows);
- `roster`, `sites`: the roster's people (sites, attributes) and, by
  institution, who works there (for institution events);
- `people`: one row per person known from an event or the roster: the row a
  writer locks to re-evaluate that person;
- `spans`: each person's status from each date on (evaluation/timeline.py),
  what `GET /v1/people/{code}/status` and `POST /v1/claims/check` read;
- `meta`: what the spans were computed with (the policy's fingerprint), and the
  operator's retention setting (`retention_days`, docs/privacy.md);
- `access_log` (version 3): every read of a person's record through the service:
  when, by whom (the name of the token used), which person, which endpoint;
  never what was answered (docs/privacy.md).

Dates are `YYYY-MM-DD` text: they sort as dates on both databases and come
back as the ledger wrote them.

Versions: `policyctl_schema` holds the schema version; `MIGRATIONS` lists, in
order, what takes a database from one version to the next. `db init` applies
the missing ones in one transaction (both databases have transactional DDL),
so a failed migration leaves the database as it was. A small table of our own
rather than Alembic: a handful of tables, forward-only steps, no configuration
files to ship in the wheel; should a step ever need SQLite's table rebuilds,
Alembic's batch mode is the tool to bring in then.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Callable, Iterator

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    inspect,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import Diagnostic
from engine.i18n import N_, _
from engine.serve.database import Database, DatabaseError, unreachable
from engine.vocabulary import LEDGER_COLUMNS

MESSAGES = {
    "uninitialised": N_("the database {url} has no policyctl schema"),
    "uninitialised_hint": N_("run `policyctl db init --db {url}` first"),
    "older": N_("the database {url} has schema version {found}; this policyctl needs {want}"),
    "older_hint": N_("run `policyctl db init --db {url}` to migrate it"),
    "newer": N_(
        "the database {url} has schema version {found}, newer than this policyctl knows ({want})"
    ),
    "newer_hint": N_("upgrade policyctl"),
}

metadata = MetaData()

# SQLite's rowid is a 64-bit integer already; PostgreSQL's BIGINT is the same width.
_SEQ = BigInteger().with_variant(Integer, "sqlite")

version_table = Table(
    "policyctl_schema",
    metadata,
    Column("version", Integer, nullable=False),
    Column("applied", String(32), nullable=False),
)

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

batches = Table(
    "batches",
    metadata,
    Column("id", _SEQ, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("received", String(32), nullable=False),
    Column("rows", Integer, nullable=False),
)

# The ledger columns stored as columns (a ledger's header: vocabulary.py, not spelled
# again here); any other the policy reads goes to `extra`.
EVENT_CELLS = LEDGER_COLUMNS

events = Table(
    "events",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("id", Text, nullable=False, unique=True),
    Column("person", Text),
    Column("date", String(10), nullable=False),
    Column("type", Text),
    Column("items", Text),
    Column("institution", Text),
    Column("inspection", Text),
    Column("amount", Text),
    Column("points", Text),
    Column("end", Text),
    Column("extra", Text),  # JSON object of the other columns' non-empty cells
    Column("file", Text, nullable=False),
    Column("line", Integer, nullable=False),
    Column("batch", _SEQ, ForeignKey("batches.id"), nullable=False),
)
# The look-ups a person's events are read by. A load into an empty table drops them
# and builds them once at the end (`deferred_indexes`): one sort rather than a B-tree
# insert per row, in random person order.
EVENT_INDEXES = (
    Index("events_person", events.c.person),
    Index(
        "events_institution",
        events.c.institution,
        sqlite_where=events.c.person.is_(None),
        postgresql_where=events.c.person.is_(None),
    ),
)

roster = Table(
    "roster",
    metadata,
    Column("person", Text, primary_key=True),
    Column("institutions", Text, nullable=False),  # JSON list, in roster order
    Column("attrs", Text, nullable=False),  # JSON object
    Column("file", Text, nullable=False),
    Column("line", Integer, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("institution", Text, nullable=False),
    Column("person", Text, nullable=False),
    PrimaryKeyConstraint("institution", "person"),
)

people = Table(
    "people",
    metadata,
    Column("person", Text, primary_key=True),
    Column("updated", String(32), nullable=False),
)

spans = Table(
    "spans",
    metadata,
    Column("person", Text, nullable=False),
    Column("start", String(10), nullable=False),
    Column("status", String(32), nullable=False),
    Column("reapply_from", String(10)),  # a date, "never", or NULL
    Column("action", String(32)),
    Column("action_start", String(10)),
    Column("action_end", String(10)),
    Column("cite", Text),
    Column("source", Text),
    Column("events", Text),  # JSON list of event ids
    Column("institution", Text),  # a cascade's site
    # (schema version 2, issue 22 §2) the decision behind the sanction, as JSON
    # {event, document, date}, and under on-decision the date it binds from when later
    # than its start
    Column("decision", Text),
    Column("in_force_from", String(10)),
    Column("policy", Text, nullable=False),
    Column("version", Text, nullable=False),
    # (version 2) under on-decision, while the computed status is not in force: that
    # status, and the sanction behind it as JSON (service._sanction's keys)
    Column("proposed_status", String(32)),
    Column("proposed", Text),
    PrimaryKeyConstraint("person", "start"),
)


access_log = Table(
    "access_log",
    metadata,
    Column("seq", _SEQ, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),  # UTC, ISO 8601 to the millisecond
    Column("who", Text, nullable=False),  # the token's name (docs/privacy.md)
    Column("person", Text, nullable=False),
    Column("endpoint", Text, nullable=False),  # method and route template
)
ACCESS_INDEXES = (
    Index("access_log_at", access_log.c.at),
    Index("access_log_person", access_log.c.person),
)


@contextlib.contextmanager
def deferred_indexes(conn: Connection) -> Iterator[None]:
    """Inside a write transaction: the events' look-up indexes dropped while the body
    inserts, built again after it (in the same transaction, so a failed load rolls the
    drop back too). For bulk loads into an empty table: a million rows inserted in file
    order then indexed once take a fraction of the time of maintaining the indexes row
    by row (docs/performance.md)."""
    for index in EVENT_INDEXES:
        index.drop(conn)
    yield
    for index in EVENT_INDEXES:
        index.create(conn)


def _v1(conn: Connection) -> None:
    # (version 1's tables; those later versions add are made by their own steps)
    metadata.create_all(conn, tables=[meta, batches, events, roster, sites, people, spans])


def _add_columns(conn: Connection, table: Table, names: tuple[str, ...]) -> None:
    """Add these columns (as `metadata` has them) where the table lacks them: a
    database made by an earlier step's `create_all`, from this release's metadata,
    has them already."""
    have = {c["name"] for c in inspect(conn).get_columns(table.name)}
    for name in names:
        if name in have:
            continue
        column = table.c[name]
        kind = column.type.compile(dialect=conn.dialect)
        quote = conn.dialect.identifier_preparer.quote
        conn.exec_driver_sql(f"ALTER TABLE {quote(table.name)} ADD COLUMN {quote(name)} {kind}")


def _v2(conn: Connection) -> None:
    """Decisions (issue 22 §2): what a span says of them. The stored spans were computed
    without: the policy mark is cleared, so `serve` re-evaluates everyone at start."""
    _add_columns(conn, spans, ("decision", "in_force_from", "proposed_status", "proposed"))
    conn.execute(meta.update().where(meta.c.key == "policy").values(value=""))


def _v3(conn: Connection) -> None:
    """The access log (issue 22 §3)."""
    if not inspect(conn).has_table(access_log.name):
        access_log.create(conn)  # (with its indexes)


# MIGRATIONS[i] takes a database from version i to version i + 1.
MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1, _v2, _v3)
VERSION = len(MIGRATIONS)


def current_version(conn: Connection) -> int:
    """The schema version of the database (0: no policyctl schema)."""
    if not inspect(conn).has_table(version_table.name):
        return 0
    found = conn.execute(select(version_table.c.version)).scalar()
    return int(found or 0)


def init(db: Database) -> tuple[int, int]:
    """Create the schema, or migrate it to this release's version; (before, after)."""
    try:
        with db.write() as conn, conn.begin():
            found = current_version(conn)
            if found > VERSION:
                raise _newer(db, found)
            if found == 0:
                version_table.create(conn)
                conn.execute(version_table.insert().values(version=0, applied=_now()))
            for step in MIGRATIONS[found:]:
                step(conn)
            if found < VERSION:
                conn.execute(version_table.update().values(version=VERSION, applied=_now()))
            return found, VERSION
    except SQLAlchemyError as exc:
        raise unreachable(db, exc) from None


def require(db: Database) -> None:
    """Raise unless the database has this release's schema."""
    try:
        with db.read() as conn:
            found = current_version(conn)
    except SQLAlchemyError as exc:
        raise unreachable(db, exc) from None
    if found == VERSION:
        return
    if found > VERSION:
        raise _newer(db, found)
    key = "uninitialised" if found == 0 else "older"
    raise DatabaseError(
        Diagnostic(
            "db",
            _(MESSAGES[key]).format(url=db.shown, found=found, want=VERSION),
            None,
            _(MESSAGES[key + "_hint"]).format(url=db.shown),
        )
    )


def _newer(db: Database, found: int) -> DatabaseError:
    return DatabaseError(
        Diagnostic(
            "db",
            _(MESSAGES["newer"]).format(url=db.shown, found=found, want=VERSION),
            None,
            _(MESSAGES["newer_hint"]),
        )
    )


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")
