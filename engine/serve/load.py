"""Stage "serve", `db load`: a ledger file into the database, all or nothing.

The events are read by the reader `evaluate` streams a file with
(`ledger.EventStream`), so every check `evaluate` makes is made here, with the
same messages; the roster by `read_roster`. While the rows are read, each
event's own text cells are kept (a tap on the table's rows, matched by line)
and inserted in file order inside one transaction: any problem, in the file or
against what the database already holds, rolls everything back.

A database keeps events across loads and posts, keyed on their ids: so every
row needs an `id` (a row without one would be `file:line`, a different event
under another path). An id already stored with the same cells is skipped (a
reload is idempotent); with other cells it is an error.

Then everyone the load touches is re-evaluated: the people of its events, the
staff of its institution events, and, when a roster comes with it (it replaces
the stored one), everyone. On an empty database their events are all in memory;
otherwise the stored ones are read back and merged in arrival order.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from engine.errors import Diagnostic, LedgerError, Span
from engine.evaluation.fold import paused_gc
from engine.i18n import N_, _
from engine.ledger.corrections import MESSAGES as CORRECTION
from engine.ledger.corrections import REFERRING
from engine.ledger.read import Event, EventStream, Person, policy_reads_of_person, read_roster
from engine.ledger.tables import display
from engine.policy.model import Policy
from engine.policy.versions import PolicyPaths, load_policies, one_version
from engine.serve import schema, store
from engine.serve.database import Database, unreachable

MESSAGES = {
    "no_id_column": N_("missing column `id`"),
    "no_id_column_hint": N_(
        "a database keeps events across loads by their ids: give every row one"
    ),
    "no_id": N_("the row has no `id`"),
    "no_id_hint": N_("a database keeps events across loads by their ids: give every row one"),
    "changed": N_("event id `{id}` is already in the database with other values"),
    "changed_hint": N_("an event is never changed in place: give a new finding a new id"),
}
BLOCK = 10_000  # rows inserted at a time


@dataclass
class LoadResult:
    events: int = 0  # rows in the file
    added: int = 0
    skipped: int = 0  # already stored, same cells
    people: int = 0  # re-evaluated
    roster: int | None = None  # people on the roster loaded, if any
    warnings: list[str] = field(default_factory=list)


def db_load(
    db: Database,
    policy_path: PolicyPaths,
    events_path: str,
    roster_path: str | None = None,
    encoding: str | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> LoadResult:
    """Load a ledger (and roster) into the database; raises PolicyctlError, changing
    nothing, on any problem."""
    policy = one_version(load_policies(policy_path), "`db load`")
    schema.require(db)
    try:
        # a million rows and their events live to the end: see paused_gc (fold.py)
        with paused_gc(), db.write() as conn, conn.begin():
            return _load(db, conn, policy, events_path, roster_path, encoding, progress)
    except SQLAlchemyError as exc:
        raise unreachable(db, exc) from None


def _load(db, conn, policy, events_path, roster_path, encoding, progress) -> LoadResult:
    result = LoadResult()
    people: dict[str, Person] | None = None
    problems: list[Diagnostic] = []
    if roster_path is not None:
        found: dict[str, list[str]] = {}
        try:
            people = read_roster(
                roster_path, encoding, read=policy_reads_of_person(policy), staff=found
            )
            staff = {place: sorted(codes) for place, codes in found.items()}
        except LedgerError as exc:
            problems += exc.diagnostics
            staff = None
    else:
        staff = _stored_staff(conn)
    stream = EventStream(events_path, policy, encoding, staff, roster_path or "the database")
    # corrections and decisions are stored as rows of their own (store.ledger_of)
    stream.reader.streaming = stream.reader.refer = False
    pending: list[Event] = []  # those that left `person` to their finding's
    file = display(events_path)
    if "id" not in stream.table.header:
        line = stream.table.header_line or 1
        raise LedgerError(
            [
                Diagnostic(
                    "column",
                    _(MESSAGES["no_id_column"]),
                    Span(file, line),
                    _(MESSAGES["no_id_column_hint"]),
                ),
                *problems,
            ]
        )
    keep = store.kept_columns(policy)
    store.note_kept(conn, db.dialect, keep)
    shape = store.RowShape(stream.table.header, keep)
    raw: dict[int, list[str]] = {}
    stream.table.rows = store.tap_rows(stream.table.rows, raw)
    fresh = not store.any_events(conn)
    batch = store.new_batch(conn, f"db load {file}", 0)
    kept: list[Event] = []
    block: list[tuple[Event, tuple]] = []
    at_id = stream.table.header.index("id")
    # into an empty table: the look-up indexes built once at the end (schema.py)
    with schema.deferred_indexes(conn) if fresh else contextlib.nullcontext():
        for ev in stream:
            cells = raw.pop(ev.line)
            if at_id >= len(cells) or not cells[at_id].strip():
                problems.append(
                    Diagnostic(
                        "id", _(MESSAGES["no_id"]), Span(file, ev.line), _(MESSAGES["no_id_hint"])
                    )
                )
                continue
            if ev.type in REFERRING and not ev.person:
                pending.append(ev)
            block.append((ev, shape.row(cells, ev, batch)))
            if len(block) >= BLOCK:
                _insert(conn, block, fresh, kept, problems, result)
                block = []
                if progress:
                    progress(result.events, "events")
        _insert(conn, block, fresh, kept, problems, result)
    raw.clear()
    _their_findings(conn, pending, problems)
    try:
        stream.close()
    except LedgerError as exc:
        problems = exc.diagnostics + problems
    if problems:
        raise LedgerError(problems[:50])
    conn.execute(
        schema.batches.update().where(schema.batches.c.id == batch).values(rows=result.added)
    )
    if people is not None:
        store.replace_roster(conn, people)
        result.roster = len(people)
    _reevaluate(db, conn, policy, kept, people, fresh, result, progress)
    return result


def _their_findings(conn, pending: list[Event], problems: list[Diagnostic]) -> None:
    """Each correction or decision that left `person` empty stored under its finding's
    person (loaded or stored before); one whose finding is nowhere is a problem."""
    if not pending:
        return
    targets = {ev.id: (ev.attrs.get("target") or "").strip() for ev in pending}
    found = store.stored_events(conn, sorted(set(targets.values()) - {""}))
    for ev in pending:
        person = (found.get(targets[ev.id]) or {}).get("person")
        if person:
            ev.person = person
            conn.execute(
                schema.events.update().where(schema.events.c.id == ev.id).values(person=person)
            )
        elif targets[ev.id]:
            problems.append(
                Diagnostic(
                    "correction",
                    _(CORRECTION["unknown_target"]),
                    Span(ev.file, ev.line),
                    _(CORRECTION["unknown_target_hint"]),
                )
            )
        else:
            problems.append(
                Diagnostic(
                    "correction",
                    _(CORRECTION["no_target"]).format(type=ev.type),
                    Span(ev.file, ev.line),
                    _(CORRECTION["no_target_hint"]),
                )
            )


def _insert(conn, block, fresh: bool, kept: list[Event], problems, result: LoadResult) -> None:
    result.events += len(block)
    if not block:
        return
    stored = {} if fresh else store.stored_events(conn, [row[0] for _, row in block])
    new = []
    for ev, row in block:
        old = stored.get(row[0])
        if old is None:
            new.append(row)
            kept.append(ev)
        elif store.same_event(old, row):
            result.skipped += 1
        else:
            problems.append(
                Diagnostic(
                    "duplicate-id",
                    _(MESSAGES["changed"]).format(id=row[0]),
                    Span(ev.file, ev.line),
                    _(MESSAGES["changed_hint"]),
                )
            )
    if not problems:
        store.insert_events(conn, new)
    result.added += len(new)


def _stored_staff(conn) -> dict[str, list[str]] | None:
    """Each institution's people in the stored roster (None: no roster stored)."""
    from sqlalchemy import select

    rows = conn.execute(select(schema.sites.c.institution, schema.sites.c.person)).all()
    if not rows:
        return None
    staff: dict[str, list[str]] = defaultdict(list)
    for place, person in rows:
        staff[place].append(person)
    return {place: sorted(codes) for place, codes in sorted(staff.items())}


def _reevaluate(db, conn, policy: Policy, kept, people, fresh, result, progress) -> None:
    """Re-evaluate everyone the load touched, and record what the spans were made with."""
    if people is not None:
        affected = set(store.everyone(conn)) | {e.person for e in kept if e.person}
    else:
        affected = {e.person for e in kept if e.person}
        places = {e.institution for e in kept if not e.person and e.institution}
        for codes in store.staff_of(conn, places).values():
            affected.update(codes)
    previous = store.get_meta(conn, "policy")
    mark = store.fingerprint(policy)
    if previous is not None and previous != mark:
        affected.update(store.everyone(conn))  # other rules: every stored span is stale
    codes = sorted(affected)
    store.lock(conn, db.dialect, codes)
    if fresh:
        roster = people if people is not None else store.roster_of(conn, codes)
        events = _in_memory(kept, roster, codes)
        store.refresh(conn, policy, codes, (events, roster), fresh=True)
    else:
        for part in store.chunks(codes, 2_000):
            store.refresh(conn, policy, part)
            if progress:
                progress(len(part), "people")
    store.set_meta(conn, db.dialect, "policy", mark)
    result.people = len(codes)


def _in_memory(
    kept: list[Event], roster: dict[str, Person], codes: list[str]
) -> dict[str, list[Event]]:
    """Each person's events, from the rows just read (the database held none before):
    their own and their sites' institution events, in date then file order."""
    staff: dict[str, list[str]] = defaultdict(list)
    for code, person in roster.items():
        for site in person.institutions:
            staff[site].append(code)
    by: dict[str, list[Event]] = {code: [] for code in codes}
    for ev in sorted(kept, key=_BY_DATE):  # stable: file order within a date
        if ev.person:
            by[ev.person].append(ev)
        else:
            for code in staff.get(ev.institution or "", ()):
                by[code].append(ev)
    return by


def _BY_DATE(ev: Event):
    return ev.date
