"""Stage "serve", its access log: who read whose record, when, through which endpoint.

PIPL art. 51 asks a handler to guard personal information against unauthorised
access, and an auditor, a court or the person concerned may ask who looked at a
practitioner's record. Every read of a person through the service (status, record,
story, a claim line naming them) is written to the `access_log` table before it is
answered: when (UTC), who (the name of the token used: docs/privacy.md), which
person, which endpoint (method and route template). Never what was answered, nor
the query, nor any header.

Written by group commit: a request puts its rows on a queue and waits; one thread
writes everything queued in one transaction and wakes the requests it covered. So
a read is answered only once its entry is on disk (an entry cannot be lost to a
crash after the answer went out), and thirty-two readers at once cost one commit,
not thirty-two in a row behind SQLite's single writer. If the entry cannot be
written, the read is refused (503): no answer without its entry.

A write's answer reads people too: `POST /v1/events` answers the before, after
and today of everyone whose answer it changed (all the staff of a site, for an
institution's event). Those entries are written by the write itself (`write`),
in the transaction that stores the events, so that the events and their entries
are committed together or not at all.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from engine.serve import schema as s
from engine.serve import store
from engine.serve.database import Database

COLUMNS = ("at", "who", "person", "endpoint")
ANONYMOUS = "-"  # who, when reads need no token and none was sent (`--reads open`)
WAIT = 30.0  # seconds a read waits for its entry before it is refused


@dataclass
class _Pending:
    rows: list[tuple[str, str, str, str]]
    done: threading.Event = field(default_factory=threading.Event)
    failed: bool = False


class Recorder:
    """The access log's writer (group commit, see the module docstring)."""

    def __init__(self, db: Database):
        self.db = db
        self.cond = threading.Condition()
        self.queue: list[_Pending] = []
        self.thread: threading.Thread | None = None
        self.closed = False

    def record(self, who: str, endpoint: str, people: Sequence[str]) -> bool:
        """Write one entry per person; True once they are committed, False if they
        could not be (the caller refuses the read)."""
        if not people:
            return True
        item = _Pending(rows_for(who, endpoint, people))
        with self.cond:
            if self.closed:
                return False
            if self.thread is None:
                self.thread = threading.Thread(
                    target=self._run, name="policyctl-access-log", daemon=True
                )
                self.thread.start()
            self.queue.append(item)
            self.cond.notify()
        return item.done.wait(WAIT) and not item.failed

    def _run(self) -> None:
        while True:
            with self.cond:
                while not self.queue and not self.closed:
                    self.cond.wait()
                batch, self.queue = self.queue, []
                if not batch and self.closed:
                    return
            rows = [row for item in batch for row in item.rows]
            failed = False
            try:
                with self.db.write() as conn, conn.begin():
                    store.insert_rows(conn, s.access_log, COLUMNS, rows)
            except Exception:  # noqa: BLE001 - any failure refuses the reads (the driver's own too)
                failed = True
            for item in batch:
                item.failed = failed
                item.done.set()

    def close(self) -> None:
        """Write what is queued, then stop."""
        with self.cond:
            self.closed = True
            self.cond.notify()
        if self.thread is not None:
            self.thread.join(timeout=WAIT)


def rows_for(who: str, endpoint: str, people: Sequence[str]) -> list[tuple[str, str, str, str]]:
    """One entry per person (each once, in the order first named), stamped now."""
    at = store.now()
    return [(at, who, code, endpoint) for code in dict.fromkeys(people)]


def write(conn: Connection, rows: Sequence[tuple[str, str, str, str]]) -> None:
    """The entries inserted in the caller's transaction (committed with it). A plain
    insert, not store.insert_rows' COPY: a write's entries are few (its staff), and a
    failure is then SQLAlchemy's error on every database, which the caller refuses."""
    conn.execute(s.access_log.insert(), [dict(zip(COLUMNS, row, strict=True)) for row in rows])


def entries(
    db: Database, since: str | None = None, until: str | None = None, person: str | None = None
) -> Iterator[dict[str, str]]:
    """The log's entries in the order they were written: from `since` (a date, its
    first moment, UTC), up to and including `until` (a date), of one person."""
    query = select(*(s.access_log.c[c] for c in COLUMNS)).order_by(s.access_log.c.seq)
    if since is not None:
        query = query.where(s.access_log.c.at >= since)
    if until is not None:
        query = query.where(s.access_log.c.at < until + "T99")  # (any time on that day)
    if person is not None:
        query = query.where(s.access_log.c.person == person)
    with db.read() as conn:
        for row in conn.execute(query):
            yield dict(zip(COLUMNS, row, strict=True))


def render(rows: Iterator[dict[str, str]], fmt: str) -> Iterator[str]:
    """The entries as CSV (with a header) or JSON Lines, for `policyctl db access-log`."""
    import csv
    import io
    import json

    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(row, ensure_ascii=False) + "\n"
        return
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(COLUMNS)
    for n, row in enumerate(rows, 1):
        out.writerow([row[c] for c in COLUMNS])
        if n % 1000 == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()
