"""Stage "serve", personal data removed: one person on request, everyone past retention.

PIPL art. 47 has a handler delete personal information when its purpose is served,
its retention period has passed, or the person withdraws consent, and art. 19
keeps retention to the shortest time the purpose needs. The database holds a
person's findings (events, corrections and decisions stored under their code), their
roster row and sites, their status spans, their `people` row, and the access log's
entries naming them (schema.py). Two ways out, each one transaction (all or
nothing), each reporting what it removed:

- `erase(db, code)`: everything about one person (`policyctl db erase`);
- `purge(db, today)`: under the operator's retention setting (`retention_days`
  in `meta`, set by `policyctl db init --retention-days N`), with `cutoff` the day N
  days before `today`:
  - access-log entries written before the cutoff;
  - the records of people off the roster whose record closed before the cutoff:
    they are on no roster row (the bureau's list, replaced by each `db load
    --roster`: they no longer practise under an agreement), every event of theirs
    is dated before the cutoff, and their status has been `active` since before it
    (their last span is active and began before it). Their events, their spans and
    their `people` row go. People on the roster keep their records whatever their
    age: the regulation looks back over cycles (Jining 五(一): three consecutive
    years), so removing a practising person's history would make a later answer
    silently lenient. A database holding no roster at all purges no record (it
    cannot tell who left).
  Institution events (no person) and load batches name no one and are kept.

docs/privacy.md says the same for operators.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.exc import SQLAlchemyError

from engine.errors import Diagnostic
from engine.i18n import N_, _
from engine.serve import schema as s
from engine.serve import store
from engine.serve.database import Database, DatabaseError, unreachable

RETENTION = "retention_days"  # the meta key of the operator's setting

MESSAGES = {
    "unknown": N_("the database holds nothing about this person"),
    "unknown_hint": N_("check the code: it is compared exactly, letter case included"),
    "no_retention": N_("the database {url} has no retention setting"),
    "no_retention_hint": N_(
        "set one with `policyctl db init --db {url} --retention-days N` (docs/privacy.md)"
    ),
}


@dataclass(frozen=True)
class Erased:
    """What was removed, by table."""

    events: int = 0
    roster: int = 0
    spans: int = 0
    access_log: int = 0
    people: int = 0  # (purge) people whose records went
    sites: int = 0  # (erase) the roster's rows of the institutions they work at

    def as_dict(self) -> dict[str, int]:
        return {
            "people": self.people,
            "events": self.events,
            "roster": self.roster,
            "spans": self.spans,
            "access_log": self.access_log,
            "sites": self.sites,
        }


def erase(db: Database, code: str) -> Erased:
    """Remove everything the database holds about one person; DatabaseError (code
    `person`) when it holds nothing."""
    s.require(db)
    try:
        with db.write() as conn, conn.begin():
            if db.dialect == "postgresql":  # a writer re-evaluating them finishes first
                query = select(s.people.c.person).where(s.people.c.person == code)
                conn.execute(query.with_for_update()).all()
            counts = {}
            for name, table in (
                ("events", s.events),
                ("spans", s.spans),
                ("access_log", s.access_log),
                ("sites", s.sites),
                ("roster", s.roster),
                ("people", s.people),
            ):
                counts[name] = conn.execute(delete(table).where(table.c.person == code)).rowcount
            if not any(counts.values()):
                raise DatabaseError(
                    Diagnostic("person", _(MESSAGES["unknown"]), None, _(MESSAGES["unknown_hint"]))
                )
    except SQLAlchemyError as exc:
        raise unreachable(db, exc) from None
    return Erased(
        counts["events"],
        counts["roster"],
        counts["spans"],
        counts["access_log"],
        people=1,
        sites=counts["sites"],
    )


def set_retention(db: Database, days: int | None) -> None:
    """The operator's retention setting, in days (None or 0: keep everything)."""
    try:
        with db.write() as conn, conn.begin():
            if days:
                store.set_meta(conn, db.dialect, RETENTION, str(days))
            else:
                conn.execute(delete(s.meta).where(s.meta.c.key == RETENTION))
    except SQLAlchemyError as exc:
        raise unreachable(db, exc) from None


def retention(db: Database) -> int | None:
    try:
        with db.read() as conn:
            found = store.get_meta(conn, RETENTION)
    except SQLAlchemyError as exc:
        raise unreachable(db, exc) from None
    return int(found) if found else None


def purge(db: Database, today: _dt.date, dry_run: bool = False) -> tuple[Erased, str]:
    """Apply the retention setting as of `today` (see the module docstring); what was
    removed (or, `dry_run`, would be) and the cutoff date."""
    s.require(db)
    days = retention(db)
    if days is None:
        raise DatabaseError(
            Diagnostic(
                "retention",
                _(MESSAGES["no_retention"]).format(url=db.shown),
                None,
                _(MESSAGES["no_retention_hint"]).format(url=db.shown),
            )
        )
    cutoff = (today - _dt.timedelta(days=days)).isoformat()
    try:
        with db.write() as conn, conn.begin():
            closed = _closed(conn, cutoff)
            if db.dialect == "postgresql" and closed:
                # a writer re-evaluating one of them finishes first (store.lock's order),
                # then they are looked at again as it left them
                for part in store.chunks(closed):
                    query = (
                        select(s.people.c.person)
                        .where(s.people.c.person.in_(list(part)))
                        .order_by(s.people.c.person)
                        .with_for_update()
                    )
                    conn.execute(query).all()
                closed = sorted(set(closed) & set(_closed(conn, cutoff)))
            events = spans = 0
            for part in store.chunks(closed):
                keys = list(part)
                events += conn.execute(delete(s.events).where(s.events.c.person.in_(keys))).rowcount
                spans += conn.execute(delete(s.spans).where(s.spans.c.person.in_(keys))).rowcount
                conn.execute(delete(s.people).where(s.people.c.person.in_(keys)))
            logged = conn.execute(delete(s.access_log).where(s.access_log.c.at < cutoff)).rowcount
            if dry_run:
                conn.rollback()
    except SQLAlchemyError as exc:
        raise unreachable(db, exc) from None
    return Erased(events, 0, spans, logged, people=len(closed)), cutoff


def _closed(conn, cutoff: str) -> list[str]:
    """People off the roster whose every event is dated before the cutoff and who have
    been active since before it (their last span: active, begun before the cutoff);
    no one when the database holds no roster."""
    if conn.execute(select(s.roster.c.person).limit(1)).first() is None:
        return []
    latest = (
        select(s.events.c.person, func.max(s.events.c.date))
        .where(s.events.c.person.is_not(None))
        .group_by(s.events.c.person)
    )
    quiet = [code for code, last in conn.execute(latest) if last < cutoff]
    on_roster = store.roster_of(conn, quiet)
    quiet = sorted(code for code in quiet if code not in on_roster)
    out = []
    for code, rows in sorted(store.spans_of(conn, quiet).items()):
        last = rows[-1]
        if last["status"] == "active" and last["start"] < cutoff:
            out.append(code)
    return out
