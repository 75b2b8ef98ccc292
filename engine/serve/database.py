"""Stage "serve", its connection: a database URL -> a SQLAlchemy engine set up for it.

Two URLs, one layer (SQLAlchemy Core):

- `sqlite:///path.db` (the embedded default, nothing to install): WAL journal,
  so readers never wait for the writer and a crash loses no committed write;
  `synchronous=FULL`, so an acknowledged write survives a power cut too;
  writes open with `BEGIN IMMEDIATE`, so two writers queue at the start of their
  transactions rather than failing half-way with "database is locked";
- `postgresql://user@host/db` (a bureau's server), through psycopg 3; writers to
  one person are serialised by row locks (store.py).

Every statement is built by SQLAlchemy with bound parameters: no value from a
request or a file is ever spliced into SQL text.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from engine.errors import Diagnostic, PolicyctlError
from engine.i18n import N_, _

MESSAGES = {
    "scheme": N_("`{url}` is not a database URL policyctl can use"),
    "scheme_hint": N_("use sqlite:///path.db or postgresql://user@host/dbname"),
    "malformed": N_("`{url}` is not a database URL: {reason}"),
    "unreachable": N_("cannot reach the database {url}: {reason}"),
    "unreachable_hint": N_("check the URL, that the server runs, and the credentials"),
}

# A write transaction takes SQLite's write lock at once (see the module docstring).
WRITE = {"policyctl_write": True}


class DatabaseError(PolicyctlError):
    """The database cannot be reached, or is not one policyctl can use."""


@dataclass(frozen=True)
class Database:
    """An engine and what kind of database is behind it."""

    engine: Engine
    dialect: str  # sqlite | postgresql
    shown: str  # the URL without its password, for messages

    def write(self) -> Connection:
        """A connection whose transaction (`with db.write() as c, c.begin():`) is a write."""
        return self.engine.connect().execution_options(**WRITE)

    def read(self) -> Connection:
        return self.engine.connect()

    def dispose(self) -> None:
        self.engine.dispose()


def connect(url: str, *, pool_size: int = 8) -> Database:
    """The database at `url`; raises DatabaseError (code `db`) for a URL policyctl cannot
    use. Nothing is opened until the first connection."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise _fail(_(MESSAGES["malformed"]).format(url=url, reason=exc), None) from None
    backend = parsed.get_backend_name()
    shown = parsed.render_as_string(hide_password=True)
    if backend == "sqlite" and parsed.get_driver_name() in ("pysqlite", ""):
        if not parsed.database or parsed.database == ":memory:":
            raise _fail(_(MESSAGES["scheme"]).format(url=shown), _(MESSAGES["scheme_hint"]))
        engine = create_engine(
            parsed.set(drivername="sqlite+pysqlite"),
            pool_size=pool_size,
            max_overflow=32,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        _sqlite_setup(engine)
        return Database(engine, "sqlite", shown)
    if backend == "postgresql" and parsed.get_driver_name() in ("psycopg", "", "psycopg2"):
        engine = create_engine(
            parsed.set(drivername="postgresql+psycopg"),
            pool_size=pool_size,
            max_overflow=32,
            pool_pre_ping=True,
        )
        return Database(engine, "postgresql", shown)
    raise _fail(_(MESSAGES["scheme"]).format(url=shown), _(MESSAGES["scheme_hint"]))


def _sqlite_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # the driver's own transaction handling off: BEGIN is ours (below)
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("policyctl_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Checkpoints:
    """SQLite, in the server: the write-ahead log copied into the database file by a
    thread of its own every `every` seconds (a PASSIVE checkpoint: it waits for no
    reader and no writer), rather than by whichever commit crosses SQLite's threshold of
    1,000 pages, which then waits for the copy and the database file's fsync before it
    returns. A one-event POST writes about 50 KB of log, so that was one write in 80,
    and it was the p99 of writes (docs/performance.md). Durability is unchanged: a
    commit is on disk once its log frames are (`synchronous=FULL`)."""

    def __init__(self, db: Database, every: float = 1.0):
        self.db = db
        self.every = every
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> Checkpoints:
        if self.db.dialect != "sqlite":
            return self
        if not event.contains(self.db.engine, "connect", _no_autocheckpoint):
            event.listen(self.db.engine, "connect", _no_autocheckpoint)
        self.db.engine.dispose()  # connections already pooled reopen without it
        self.thread = threading.Thread(target=self._run, name="policyctl-wal", daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            try:
                raw = self.db.engine.raw_connection()
                try:
                    raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").close()
                finally:
                    raw.close()
            except (SQLAlchemyError, sqlite3.Error):
                continue  # the next round tries again (a failed checkpoint loses nothing)

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=10)


def _no_autocheckpoint(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA wal_autocheckpoint=0")
    cur.close()


def unreachable(db: Database, exc: SQLAlchemyError) -> DatabaseError:
    """The error a failed connection or statement is reported as (one line, no traceback)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return _fail(
        _(MESSAGES["unreachable"]).format(url=db.shown, reason=reason),
        _(MESSAGES["unreachable_hint"]),
    )


def _fail(message: str, hint: str | None) -> DatabaseError:
    return DatabaseError(Diagnostic("db", message, None, hint))
