"""Stage "serve", its store: events, roster and status spans in the database.

Events go in as the text cells of their ledger rows and come out through the
ledger's own reader (`read_event_table`), so a stored event means exactly
what it meant in its file or request. A person's events read back are theirs
and their sites' institution events in (date, arrival) order: the rows of
one ledger made of every load and post in turn, which is what `evaluate` would
be given. Re-evaluating a person (`refresh`) folds those events into status
spans (evaluation/timeline.py) and replaces the stored ones; a writer first
locks the people it touches (`lock`), so two writers for one person take turns
and the second sees the first's events.

Every query is built by SQLAlchemy with bound parameters; long lists of codes
are sent in chunks, each well inside both databases' parameter limits.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from engine.evaluation.known import as_known
from engine.evaluation.timeline import Sanction, StatusSpan, Timeline
from engine.ledger.corrections import REFERRING, Decision
from engine.ledger.corrections import apply as apply_corrections
from engine.ledger.read import Event, Ledger, Person, read_event_table
from engine.ledger.tables import Problems, Stop, Table
from engine.policy.model import Policy
from engine.serve import schema as s

STORED = "<database>"  # the name stored rows are read under (never shown: see `_rows_table`)
CHUNK = 500  # codes or ids per IN (...) list
# What json.dumps(x, ensure_ascii=False[, sort_keys=True]) writes, from encoders made
# once: json.dumps makes a new encoder on every call given any option (a tenth of
# `db load`'s roster and span rows)
_json = json.JSONEncoder(ensure_ascii=False).encode
_json_sorted = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode


# The statements a write runs, made once: each `IN (...)` list is one expanding
# parameter (`keys`), so SQLAlchemy compiles each statement once, not per call (building
# and compiling them each time was a third of a one-event POST's time).
_KEYS = bindparam("keys", expanding=True)
_EVENTS_BY_ID = select(s.events).where(s.events.c.id.in_(_KEYS))
_EVENTS_OF = select(s.events).where(s.events.c.person.in_(_KEYS))
_SITE_EVENTS = select(s.events).where(
    s.events.c.person.is_(None), s.events.c.institution.in_(_KEYS)
)
_ROSTER_OF = select(s.roster).where(s.roster.c.person.in_(_KEYS))
_STAFF_OF = select(s.sites).where(s.sites.c.institution.in_(_KEYS)).order_by(s.sites.c.person)
_SPANS_OF = (
    select(s.spans).where(s.spans.c.person.in_(_KEYS)).order_by(s.spans.c.person, s.spans.c.start)
)
_DELETE_SPANS = delete(s.spans).where(s.spans.c.person.in_(_KEYS))


def chunks(values: Sequence, size: int = CHUNK) -> Iterator[Sequence]:
    for i in range(0, len(values), size):
        yield values[i : i + size]


def insert_rows(
    conn: Connection,
    table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_existing: Sequence[str] | None = None,
) -> None:
    """Insert many rows (tuples in `columns` order), the statement compiled once.

    Why not `conn.execute(table.insert(), list_of_dicts)`: SQLAlchemy then processes
    each row's parameters in Python, several times the database's own cost for a
    million events (measured: docs/performance.md). Here the statement SQLAlchemy
    compiles for the dialect goes to the driver's executemany with the rows as they
    are, still as bound parameters; on PostgreSQL plain inserts go through COPY.
    `ignore_existing`: the key whose duplicates are skipped (ON CONFLICT DO NOTHING).
    """
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect == "postgresql" and ignore_existing is None:
        quote = conn.dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in columns)
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {quote(table.name)} ({names}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        return
    sql, order = _insert_sql(conn.dialect, table, tuple(columns), ignore_existing)
    if order is None:
        params = [dict(zip(columns, row, strict=True)) for row in rows]
    elif order == list(range(len(columns))):
        params = rows if isinstance(rows, list) else list(rows)
    else:
        params = [tuple(row[i] for i in order) for row in rows]
    conn.exec_driver_sql(sql, params)


# (dialect, table, columns, conflict key) -> (SQL, where each bound parameter's value is
# in a row; None: named parameters). Compiling an insert costs about 3 ms, as much as
# the rest of a one-event POST's statements together: each is compiled once a process.
_INSERTS: dict[tuple, tuple[str, list[int] | None]] = {}


def _insert_sql(dialect, table, columns: tuple[str, ...], ignore_existing) -> tuple:
    key = (dialect.name, table.name, columns, tuple(ignore_existing or ()))
    found = _INSERTS.get(key)
    if found is not None:
        return found
    if ignore_existing is None:
        statement = table.insert()
    else:
        insert = pg_insert if dialect.name == "postgresql" else sqlite_insert
        statement = insert(table).on_conflict_do_nothing(index_elements=list(ignore_existing))
    compiled = statement.compile(dialect=dialect, column_keys=list(columns))
    order = [columns.index(name) for name in compiled.positiontup] if compiled.positional else None
    _INSERTS[key] = found = (compiled.string, order)
    return found


def now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds")


def fingerprint(policy: Policy) -> str:
    """What the stored spans depend on: the policy file's bytes and this engine's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        engine_version = version("policyctl")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree
        engine_version = "source"
    digest = hashlib.sha256(Path(policy.path).read_bytes()).hexdigest()
    return json.dumps(
        {"id": policy.id, "version": policy.version, "sha256": digest, "engine": engine_version},
        sort_keys=True,
    )


# ---- events ----------------------------------------------------------------------------------


# An event's stored row, in this order (`RowShape.row`, `insert_rows`).
EVENT_COLUMNS = (*s.EVENT_CELLS, "extra", "file", "line", "batch")
_ID = 0  # the id's place in EVENT_COLUMNS
_SAID = len(s.EVENT_CELLS) + 1  # the columns that say what the event is: cells and extra


class RowShape:
    """Where a table's header puts each stored column: worked out once per table, so a
    row's cells become its stored tuple with no per-row look-up by name."""

    def __init__(self, header: Sequence[str], keep: frozenset[str]):
        at = {name: i for i, name in enumerate(header)}
        self.cells = [at.get(c) for c in s.EVENT_CELLS]
        # beyond the engine's columns, only those the policy reads (`kept_columns`): a
        # name or ID-number column is never stored, as the reader never keeps it
        self.extra = [
            (name, i) for i, name in enumerate(header) if name not in s.EVENT_CELLS and name in keep
        ]
        # the engine columns the header has, taken from a row in one call (a row at
        # least as wide as them, as a ledger's own rows are; a shorter one cell by cell)
        # and put in their places among those it lacks (`slots`; None: it has them all)
        present = [(k, i) for k, i in enumerate(self.cells) if i is not None]
        at_cells = [i for _k, i in present]
        self.take: Callable[[Sequence[str]], Sequence[str]]
        if len(at_cells) > 1:
            self.take = operator.itemgetter(*at_cells)
        else:  # (itemgetter of one index gives a cell, not a tuple; a ledger has id and date)
            self.take = lambda cells: [cells[i] for i in at_cells]
        self.slots = None if len(present) == len(self.cells) else [k for k, _i in present]
        self.width = max(at_cells, default=-1) + 1

    def row(self, cells: Sequence[str], event: Event, batch: int) -> tuple:
        """The stored row of one event: its stripped cells, empty ones as NULL, any
        other column's in `extra` (JSON); its id as the reader gave it."""
        width = len(cells)
        if width >= self.width:
            out: list[Any] = [c.strip() or None for c in self.take(cells)]
            if self.slots is not None:
                placed: list[Any] = [None] * len(self.cells)
                for k, v in zip(self.slots, out, strict=True):
                    placed[k] = v
                out = placed
        else:
            out = [
                (cells[i].strip() or None) if i is not None and i < width else None
                for i in self.cells
            ]
        out[_ID] = event.id
        extra = None
        if self.extra:
            found = {n: v for n, i in self.extra if i < width and (v := cells[i].strip())}
            if found:
                extra = _json_sorted(found)
        out += (extra, event.file, event.line, batch)
        return tuple(out)


_PERSON = EVENT_COLUMNS.index("person")


def with_person(row: tuple, person: str | None) -> tuple:
    """A stored row with the person it concerns: a correction or decision that left
    `person` empty is stored under its finding's (issue 22 §1), so that reading a
    person's events finds it."""
    if row[_PERSON] is not None or not person:
        return row
    return (*row[:_PERSON], person, *row[_PERSON + 1 :])


def ledger_of(
    events: list[Event], roster: dict[str, Person] | None, staff: dict[str, list[str]]
) -> Ledger:
    """A person's stored events as the evaluator takes a ledger: their corrections and
    decisions, stored as rows of their own, read out of them (ledger/corrections.py),
    so that each finding counts as corrected and the trail is kept."""
    if not any(e.type in REFERRING for e in events):
        return Ledger(events, roster, staff)
    problems = Problems(STORED, 50)
    try:
        applied = apply_corrections(list(events), problems)
    except Stop:
        raise problems.error() from None
    problems.raise_if_any()  # (checked when stored: only a store changed by hand)
    ledger = Ledger(applied.events, roster, staff)
    ledger.corrections, ledger.decisions = applied.corrections, applied.decisions
    return ledger


def corrected(events: list[Event]) -> tuple[list[Event], list[Decision]]:
    """A person's events with every stored correction and decision made, and the
    decisions: the service answers for any date as the record now stands
    (evaluation/known.py), a decision binding from its own date (timeline.py)."""
    if not any(e.type in REFERRING for e in events):
        return events, []
    known = as_known(ledger_of(events, None, {}), _dt.date.max)[0]
    return known.events, known.decisions


def same_event(stored: dict[str, Any], new: tuple) -> bool:
    """Whether a stored row and a new one say the same thing (ids match; file, line and
    batch are where they came from, not what they say)."""
    return all(stored[c] == new[i] for i, c in enumerate(EVENT_COLUMNS[:_SAID]))


def stored_events(conn: Connection, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The stored rows of these ids (those that exist), by id."""
    out: dict[str, dict[str, Any]] = {}
    for part in chunks(ids):
        for r in conn.execute(_EVENTS_BY_ID, {"keys": list(part)}).mappings():
            out[r["id"]] = dict(r)
    return out


def any_events(conn: Connection) -> bool:
    return conn.execute(select(s.events.c.seq).limit(1)).first() is not None


def new_batch(conn: Connection, source: str, rows: int) -> int:
    result = conn.execute(s.batches.insert().values(source=source, received=now(), rows=rows))
    return int(result.inserted_primary_key[0])


def insert_events(conn: Connection, rows: Sequence[tuple]) -> None:
    insert_rows(conn, s.events, EVENT_COLUMNS, rows)


def events_of(
    conn: Connection, policy: Policy, codes: Sequence[str]
) -> tuple[dict[str, list[Event]], dict[str, Person]]:
    """Each person's events (their own and their sites' institution events, in date then
    arrival order) and their roster records (for those on the roster)."""
    roster = roster_of(conn, codes)
    wanted = set(codes)
    staff: dict[str, list[str]] = defaultdict(list)
    for code, person in roster.items():
        for site in person.institutions:
            staff[site].append(code)
    rows = []
    for part in chunks(list(codes)):
        rows += conn.execute(_EVENTS_OF, {"keys": list(part)}).mappings().all()
    places = sorted(staff)
    for part in chunks(places):
        rows += conn.execute(_SITE_EVENTS, {"keys": list(part)}).mappings().all()
    rows.sort(key=lambda r: r["seq"])
    by: dict[str, list[Event]] = {code: [] for code in codes}
    for ev in read_rows(policy, rows):
        if ev.person:
            if ev.person in wanted:
                by[ev.person].append(ev)
        else:
            for code in staff.get(ev.institution or "", ()):
                by[code].append(ev)
    return by, roster


def read_rows(policy: Policy, rows: Sequence[Any]) -> list[Event]:
    """Stored rows (in arrival order) read back into events, sorted by (date, arrival),
    with the file and line each came from."""
    if not rows:
        return []
    names: dict[str, None] = dict.fromkeys(s.EVENT_CELLS)
    extras = []
    for r in rows:
        extra = json.loads(r["extra"]) if r["extra"] else {}
        extras.append(extra)
        names.update(dict.fromkeys(extra))
    header = list(names)
    cells = [
        [r[c] or "" for c in s.EVENT_CELLS] + [extra.get(n, "") for n in header[10:]]
        for r, extra in zip(rows, extras, strict=True)
    ]
    table = Table(STORED, header, 0, enumerate(cells, 1), len(cells), colons=False)
    # corrections and decisions come back as the rows they were stored as (ledger_of)
    events = read_event_table(table, policy, Problems(STORED, 50), refer=False)
    for ev in events:  # the row's own file and line, for stories and messages
        r = rows[ev.line - 1]
        ev.file, ev.line = r["file"], r["line"]
    return events


# ---- roster ----------------------------------------------------------------------------------


def roster_of(conn: Connection, codes: Iterable[str]) -> dict[str, Person]:
    out: dict[str, Person] = {}
    for part in chunks(list(codes)):
        for r in conn.execute(_ROSTER_OF, {"keys": list(part)}):
            out[r.person] = Person(
                r.person, json.loads(r.institutions), json.loads(r.attrs), r.file, r.line
            )
    return out


def staff_of(conn: Connection, institutions: Iterable[str]) -> dict[str, list[str]]:
    """Each institution's people on the roster (institutions with none left out)."""
    out: dict[str, list[str]] = defaultdict(list)
    for part in chunks(sorted(set(institutions))):
        for r in conn.execute(_STAFF_OF, {"keys": list(part)}):
            out[r.institution].append(r.person)
    return dict(out)


def replace_roster(conn: Connection, people: dict[str, Person]) -> None:
    conn.execute(delete(s.sites))
    conn.execute(delete(s.roster))
    rows = [
        (
            p.person,
            _json(p.institutions),
            _json_sorted(p.attrs),
            p.file,
            p.line,
        )
        for p in people.values()
    ]
    insert_rows(conn, s.roster, ("person", "institutions", "attrs", "file", "line"), rows)
    places = [(i, p.person) for p in people.values() for i in p.institutions]
    insert_rows(conn, s.sites, ("institution", "person"), places)


def everyone(conn: Connection) -> list[str]:
    """Every person with an event or on the roster, by code."""
    found = set(conn.execute(select(s.people.c.person)).scalars())
    found.update(conn.execute(select(s.roster.c.person)).scalars())
    return sorted(found)


# ---- people and their spans ------------------------------------------------------------------


def lock(conn: Connection, dialect: str, codes: Iterable[str]) -> None:
    """Make sure each person has a row, and lock those rows until the transaction ends,
    in code order (two writers never wait on each other in a circle). On SQLite the
    write transaction's own lock already serialises writers."""
    codes = sorted(set(codes))
    if not codes:
        return
    stamp = now()
    insert_rows(
        conn,
        s.people,
        ("person", "updated"),
        [(c, stamp) for c in codes],
        ignore_existing=("person",),
    )
    if dialect == "postgresql":
        for part in chunks(codes):
            query = (
                select(s.people.c.person)
                .where(s.people.c.person.in_(part))
                .order_by(s.people.c.person)
                .with_for_update()
            )
            conn.execute(query).all()


def span_row(code: str, span: StatusSpan, policy: Policy) -> tuple:
    """A span as its stored row, in SPAN_COLUMNS order."""
    sanction = span.sanction
    reapply = span.reapply_from
    if isinstance(reapply, _dt.date):
        reapply = reapply.isoformat()
    head = (code, span.start.isoformat(), span.status, reapply)
    # on-decision: the computed status, not in force, and the sanction behind it
    proposed = span.proposed_status
    tail: tuple = (
        policy.id,
        policy.version,
        proposed,
        None if proposed is None else _json(sanction_dict(span.proposed_sanction)),
    )
    if sanction is None:
        return (*head, *_NO_SANCTION, *tail)
    return (
        *head,
        sanction.action,
        sanction.start.isoformat(),
        sanction.end.isoformat() if sanction.end else None,
        sanction.cite,
        sanction.source,
        _json(list(sanction.events)),
        sanction.institution,
        None if sanction.decision is None else _json(sanction.decision),
        None if sanction.in_force_from is None else sanction.in_force_from.isoformat(),
        *tail,
    )


def sanction_dict(sanction: Sanction | None) -> dict[str, Any] | None:
    """A sanction as the service answers with it (service._sanction reads a span row's
    columns into the same keys)."""
    if sanction is None:
        return None
    out: dict[str, Any] = {
        "action": sanction.action,
        "start": sanction.start.isoformat(),
        "end": sanction.end.isoformat() if sanction.end else None,
        "cite": sanction.cite,
        "source": sanction.source,
        "events": list(sanction.events),
    }
    if sanction.institution:
        out["institution"] = sanction.institution
    if sanction.decision is not None:
        out["decision"] = sanction.decision
    if sanction.in_force_from is not None:
        out["in_force_from"] = sanction.in_force_from.isoformat()
    return out


# action, its start and end, cite, source, events, institution, decision, in_force_from
_NO_SANCTION = (None,) * 9
SPAN_COLUMNS = tuple(c.name for c in s.spans.columns)
SPAN_ANSWER = (
    "status",
    "reapply_from",
    "action",
    "action_start",
    "action_end",
    "cite",
    "source",
    "decision",
    "in_force_from",
    "proposed_status",
    "proposed",
)
NEVER_SEEN = ("active",) + (None,) * (len(SPAN_ANSWER) - 1)


def spans_of(conn: Connection, codes: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Each person's stored spans, by start (people with none left out)."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for part in chunks(list(codes)):
        for r in conn.execute(_SPANS_OF, {"keys": list(part)}).mappings():
            out[r["person"]].append(dict(r))
    return dict(out)


def span_on(conn: Connection, code: str, day: _dt.date) -> dict[str, Any] | None:
    """The person's span in force on `day`, or None for a person never seen."""
    query = (
        select(s.spans)
        .where(s.spans.c.person == code, s.spans.c.start <= day.isoformat())
        .order_by(s.spans.c.start.desc())
        .limit(1)
    )
    found = conn.execute(query).mappings().first()
    return dict(found) if found is not None else None


def write_spans(conn: Connection, rows_by: dict[str, list[tuple]], fresh: bool = False) -> None:
    """Replace these people's spans with these rows (span_row's); `fresh`: they have none."""
    codes = list(rows_by)
    if not fresh:
        for part in chunks(codes):
            conn.execute(_DELETE_SPANS, {"keys": list(part)})
    insert_rows(conn, s.spans, SPAN_COLUMNS, [r for code in codes for r in rows_by[code]])


def first_change(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> str | None:
    """The first date on which two span lists give different answers (None: same)."""
    starts = sorted({r["start"] for r in old} | {r["start"] for r in new})

    def on(rows, d):
        found = None
        for r in rows:
            if r["start"] <= d:
                found = r
        # a person never seen is active, with nothing behind it, as a first span says
        return tuple(found[k] for k in SPAN_ANSWER) if found else NEVER_SEEN

    for d in starts:
        if on(old, d) != on(new, d):
            return d
    return None


def refresh(
    conn: Connection,
    policy: Policy,
    codes: Sequence[str],
    known: tuple | None = None,
    fresh: bool = False,
) -> dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """Re-evaluate these people from their stored events and replace their spans;
    returns each person's (old spans, new spans), as rows by column name. `known`: their
    events and roster records already at hand (`events_of`'s result), read from the
    database otherwise; `fresh`: none of them has spans yet (nothing to read, delete or
    return: a bulk load's people)."""
    events, roster = known if known is not None else events_of(conn, policy, codes)
    timeline = Timeline(policy, roster)
    spans = timeline.spans
    no_events: list[Event] = []
    new = {
        code: [span_row(code, sp, policy) for sp in spans(code, *corrected(events[code]))]
        if code in events
        else [span_row(code, sp, policy) for sp in spans(code, no_events)]
        for code in codes
    }
    old = {} if fresh else spans_of(conn, codes)
    write_spans(conn, new, fresh)
    if fresh:
        return {}
    return {
        code: (old.get(code, []), [dict(zip(SPAN_COLUMNS, r, strict=True)) for r in new[code]])
        for code in codes
    }


def set_meta(conn: Connection, dialect: str, key: str, value: str) -> None:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    conn.execute(
        insert(s.meta)
        .values(key=key, value=value)
        .on_conflict_do_update(index_elements=["key"], set_={"value": value})
    )


def get_meta(conn: Connection, key: str) -> str | None:
    return conn.execute(select(s.meta.c.value).where(s.meta.c.key == key)).scalar()


KEPT = "event_columns"  # meta: the columns beyond the engine's every stored event has kept


def kept_columns(policy: Any) -> frozenset[str]:
    """The columns beyond the engine's that an event is stored with: those the reader
    keeps for the policy (ledger/reads.py), nothing else (docs/privacy.md)."""
    from engine.ledger.reads import event_columns_kept

    return event_columns_kept(policy)


def note_kept(conn: Connection, dialect: str, keep: frozenset[str]) -> None:
    """Before events are stored with `keep`: the meta key says what every stored event
    kept (what it said, narrowed to `keep`; `keep` itself on a database that had none)."""
    said = get_meta(conn, KEPT)
    now = keep if said is None else frozenset(json.loads(said)) & keep
    if said is None or now != frozenset(json.loads(said)):
        set_meta(conn, dialect, KEPT, json.dumps(sorted(now)))


def columns_not_kept(conn: Connection, needed: frozenset[str]) -> list[str]:
    """The columns of `needed` that some stored event may lack because it was stored
    under a policy that did not read them (none on a database without events)."""
    said = get_meta(conn, KEPT)
    if said is None or not any_events(conn):
        return []
    return sorted(needed - frozenset(json.loads(said)))


def tap_rows(rows: Iterator[tuple[int, list[str]]], raw: dict[int, list[str]]):
    """A table's rows as they are, each one's cells also kept by line until its event
    takes them (`raw.pop(event.line)`): how a load or a post keeps the text of the rows
    the reader turns into events (a row that makes no event, a blank one, leaves its
    cells behind: few)."""
    for line, cells in rows:
        raw[line] = cells
        yield line, cells
