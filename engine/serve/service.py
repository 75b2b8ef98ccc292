"""Stage "serve", its answers: what each endpoint says, apart from HTTP.

- `status`: may P bill on D? The person's stored span on D (evaluation/
  timeline.py keeps one per change of status), with the sanction behind it and,
  when the fund refuses, the refusal and what it still pays for, both quoted
  from the policy's `billing` (its text and article), never from Python.
- `check`: the same answer for a batch of claim lines: payable, payable by the
  exception (an emergency), or refused, with the reason.
- `record`, `explain`: the person's `evaluate` record and story as of a date,
  folded from their stored events when asked (what `evaluate` would print).
- `post`: new events, read and checked exactly as a ledger file's rows
  (`read_event_table`), all or nothing: every problem is listed and nothing is
  stored; ids already stored with the same cells are skipped. Everyone the
  batch touches is locked, re-evaluated from all their events and their spans
  replaced, in one transaction; the answer names whose answers changed, from
  which date, and is a read of each of them: their access-log entries are
  written in that same transaction (access.py), or nothing is stored (503).

A person the database has never seen (no event, not on the roster) has no
sanction: `status` says so (`on_record: false`), `record` is not found.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from engine.calendar import parse_date
from engine.errors import Diagnostic, LedgerError, PolicyctlError, Span
from engine.evaluation.decisions import ON_DECISION
from engine.evaluation.fold import Evaluator
from engine.i18n import N_, _
from engine.ledger.corrections import REFERRING
from engine.ledger.corrections import apply as apply_corrections
from engine.ledger.read import Event, Ledger, read_event_table
from engine.ledger.tables import Problems, Stop, records_table
from engine.policy.model import Policy
from engine.serve import access, schema, store
from engine.serve.access import Recorder
from engine.serve.database import Database, DatabaseError, unreachable

log = logging.getLogger("policyctl.serve")

BODY = "<body>"  # the name a request's rows go by in messages (line N: the Nth row)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")

MESSAGES = {
    "not_kept": N_(
        "policy {policy} {version} reads event columns the database did not keep: "
        "{columns} (it stores only the columns the policy it was given reads)"
    ),
    "not_kept_hint": N_(
        "load the ledger into a new database under this policy (`policyctl db init`, "
        "`policyctl db load`)"
    ),
    "unknown_person": N_("`{code}` has no event and is not on the roster"),
    "unknown_person_hint": N_("check the practitioner's code"),
    "no_id": N_("the event has no `id`"),
    "no_id_hint": N_("the service keeps events by their ids: give every event one"),
    "changed": N_("event id `{id}` is already recorded with other values"),
    "changed_hint": N_("an event is never changed in place: give a new finding a new id"),
    "too_many": N_("{count:,} {what} in one request; at most {limit:,}"),
    "too_many_hint": N_("send them in batches"),
    "empty": N_("no {what} in the request"),
    "empty_hint": N_("send at least one"),
    "row": N_("an event"),
    "row_hint": N_("send each event as a JSON object of ledger columns"),
    "claim_id": N_("a claim line needs `claim_id`"),
    "person": N_("a claim line needs `person`"),
    "person_hint": N_("give the practitioner's code"),
    "date": N_("date `{text}` is not a date in YYYY-MM-DD form"),
    "date_hint": N_("write dates as YYYY-MM-DD, e.g. `2024-03-29`"),
    "not_object": N_("claim line {n} is not a JSON object"),
    "not_object_hint": N_('send each line as {"claim_id", "person", "date", "emergency"}'),
    "emergency": N_("`emergency` must be true or false"),
    "unrecorded": N_(
        "the answer's people could not be entered in the access log, so the events are not stored"
    ),
    "unrecorded_hint": N_("check that the database is reachable and writable, and retry"),
    "refreshing": N_(
        "the stored statuses were computed under other rules: re-evaluating "
        "{count:,} people under {policy} {version}"
    ),
}


class ServiceError(PolicyctlError):
    """A request the service cannot answer; `status` is the HTTP status it maps to."""

    def __init__(self, diagnostics, status: int):
        super().__init__(diagnostics)
        self.status = status


def problem(code: str, message: str, hint: str | None = None, status: int = 422) -> ServiceError:
    return ServiceError(Diagnostic(code, message, None, hint), status)


@dataclass(frozen=True)
class ClaimLine:
    claim_id: str
    person: str
    date: _dt.date
    emergency: bool


class Service:
    """The answers, over one database and one policy."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        *,
        max_batch: int = 10_000,
        today: Callable[[], _dt.date] = _dt.date.today,
    ):
        self.db = db
        self.policy = policy
        self.max_batch = max_batch
        self.today = today
        self.mark = store.fingerprint(policy)
        billing = policy.billing
        self.refusal = {"text": billing.text, "cite": billing.cite} if billing else None
        x = billing.exception if billing else None
        self.exception = (
            {"covers": list(x.covers), "text": x.text, "cite": x.cite} if x is not None else None
        )
        self.excepts_emergency = x is not None and bool(set(x.covers) & {"emergency", "rescue"})
        self.on_decision = policy.take_effect == ON_DECISION
        self.access = Recorder(db)  # the access log's writer (access.py)
        self.kept = store.kept_columns(policy)  # the event columns stored (store.RowShape)

    # ---- start -----------------------------------------------------------------------------
    def start(self, progress: Callable[[int, str], None] | None = None) -> int:
        """Check the schema; re-evaluate everyone if the stored statuses were made under
        another policy (or engine). Returns how many people were re-evaluated."""
        schema.require(self.db)
        with self._guard(), self.db.write() as conn, conn.begin():
            missing = store.columns_not_kept(conn, self.kept)
            if missing:
                p = self.policy
                raise DatabaseError(
                    Diagnostic(
                        "columns",
                        _(MESSAGES["not_kept"]).format(
                            policy=p.id, version=p.version, columns=", ".join(missing)
                        ),
                        None,
                        _(MESSAGES["not_kept_hint"]),
                    )
                )
            if store.get_meta(conn, "policy") in (None, self.mark):
                if store.get_meta(conn, "policy") is None:
                    store.set_meta(conn, self.db.dialect, "policy", self.mark)
                return 0
            codes = store.everyone(conn)
            p = self.policy
            log.warning(
                _(MESSAGES["refreshing"]).format(count=len(codes), policy=p.id, version=p.version)
            )
            store.lock(conn, self.db.dialect, codes)
            for n, part in enumerate(store.chunks(codes, 2_000)):
                store.refresh(conn, self.policy, part)
                if progress:
                    progress(n * 2_000 + len(part), "people")
            store.set_meta(conn, self.db.dialect, "policy", self.mark)
            return len(codes)

    # ---- reads -----------------------------------------------------------------------------
    def status(self, code: str, day: _dt.date | None) -> dict[str, Any]:
        day = day or self.today()
        with self._guard(), self.db.read() as conn:
            row = store.span_on(conn, code, day)
        return self.answer(code, day, row)

    def answer(self, code: str, day: _dt.date, row: dict[str, Any] | None) -> dict[str, Any]:
        status = row["status"] if row else "active"
        may_bill = self.may_bill(status)
        return {
            "person": code,
            "date": day.isoformat(),
            "may_bill": may_bill,
            "status": status,
            "sanction": _sanction(row),
            "reapply_from": row["reapply_from"] if row else None,
            "refusal": None if may_bill else self.refusal,
            "exception": None if may_bill else self.exception,
            "policy": {
                "id": row["policy"] if row else self.policy.id,
                "version": row["version"] if row else self.policy.version,
            },
            "on_record": row is not None,
            **self._proposed(row),
        }

    def _proposed(self, row: dict[str, Any] | None) -> dict[str, Any]:
        """Under `decisions.take_effect: on-decision` (issue 22 §2): the computed status
        while it is not in force, and the sanction behind it, proposed until decided
        (null when nothing is proposed); under on-computation, no such key."""
        if not self.on_decision:
            return {}
        if row is None or row["proposed_status"] is None:
            return {"proposed_status": None, "proposed_sanction": None}
        return {
            "proposed_status": row["proposed_status"],
            "proposed_sanction": json.loads(row["proposed"]) if row["proposed"] else None,
        }

    def may_bill(self, status: str) -> bool:
        billing = self.policy.billing
        return billing.may_bill(status) if billing is not None else status == "active"

    def check(self, lines: Sequence[ClaimLine]) -> list[dict[str, Any]]:
        """Each claim line's verdict, in the order given."""
        self.bounded(len(lines), "claim lines")
        codes = sorted({line.person for line in lines})
        with self._guard(), self.db.read() as conn:
            spans = store.spans_of(conn, codes)
        out = []
        for line in lines:
            rows = spans.get(line.person, [])
            d = line.date.isoformat()
            row = None
            for r in rows:  # few spans a person, by start
                if r["start"] <= d:
                    row = r
                else:
                    break
            status = row["status"] if row else "active"
            verdict: dict[str, Any] = {
                "claim_id": line.claim_id,
                "person": line.person,
                "date": d,
                "status": status,
            }
            if self.may_bill(status):
                verdict.update(result="payable", reason="may-bill", cite=None)
            elif line.emergency and self.excepts_emergency:
                assert self.exception is not None
                verdict.update(result="payable", reason="exception", cite=self.exception["cite"])
            else:
                cite = self.refusal["cite"] if self.refusal else None
                verdict.update(result="refused", reason=status, cite=cite)
            verdict["sanction"] = _sanction(row)
            out.append(verdict)
        return out

    def record(self, code: str, as_of: _dt.date | None) -> dict[str, Any]:
        outcome, _steps, trails = self._outcome(code, as_of, explain=False)
        record = outcome.as_dict()
        if trails:  # the corrections' trails (issue 22 §1), when the person has any
            record["corrections"] = [t.as_dict() for t in trails]
        return record

    def explain(self, code: str, as_of: _dt.date | None) -> dict[str, Any]:
        from engine.report.explain import explain

        person, steps, _trails = self._outcome(code, as_of, explain=True)
        p = self.policy
        as_of = as_of or self.today()
        evaluator = Evaluator(p, Ledger([], None, {}), as_of, set(), None)
        whole = evaluator.outcome([person], {code: steps or []}, institutions=[])
        return {
            "person": code,
            "as_of": as_of.isoformat(),
            "policy": {"id": p.id, "version": p.version},
            "text": explain(whole, code),
            "steps": [
                {
                    "date": s.date.isoformat(),
                    "kind": s.kind,
                    "text": s.text,
                    "cite": s.cite,
                    "event": s.event,
                    "ref": s.ref,
                }
                for s in steps or []
            ],
        }

    def _outcome(self, code: str, as_of: _dt.date | None, explain: bool):
        as_of = as_of or self.today()
        with self._guard(), self.db.read() as conn:
            events, roster = store.events_of(conn, self.policy, [code])
        mine = events.get(code, [])
        if not mine and code not in roster:
            raise problem(
                "person",
                _(MESSAGES["unknown_person"]).format(code=code),
                _(MESSAGES["unknown_person_hint"]),
                404,
            )
        listed = roster.get(code)
        staff = {site: [code] for site in listed.institutions} if listed else {}
        ledger = store.ledger_of(mine, roster or None, staff)
        evaluator = Evaluator(self.policy, ledger, as_of, {code} if explain else set(), None)
        evaluator.institutions = None  # only this person is reported
        evaluator.fold_events(evaluator.ledger.events)  # as corrected by the as-of date
        person, steps = evaluator.finish_person(code)
        trails = evaluator.trails.trails() if evaluator.trails is not None else []
        return person, steps, trails

    def health(self) -> dict[str, Any]:
        p = self.policy
        reachable, version, error = True, None, None
        try:
            with self.db.read() as conn:
                version = schema.current_version(conn)
        except SQLAlchemyError as exc:
            reachable, error = False, unreachable(self.db, exc).first.message
        ok = reachable and version == schema.VERSION
        return {
            "status": "ok" if ok else "unavailable",
            "database": {
                "reachable": reachable,
                "dialect": self.db.dialect,
                "schema": version,
                "schema_expected": schema.VERSION,
                "error": error,
            },
            "policies": [
                {
                    "id": p.id,
                    "version": p.version,
                    "title": p.title,
                    "effective": {"from": p.effective_from, "to": p.effective_to},
                }
            ],
        }

    # ---- writes ----------------------------------------------------------------------------
    def post(
        self, objects: Sequence[object], who: str | None = None, endpoint: str = "POST /v1/events"
    ) -> dict[str, Any]:
        """Append events (a request body's `events`), all or nothing. The answer's
        `changed` tells each person's status: with `who` (the writing token's name),
        each is entered in the access log in the events' own transaction."""
        if not objects:
            raise problem(
                "empty", _(MESSAGES["empty"]).format(what="events"), _(MESSAGES["empty_hint"])
            )
        self.bounded(len(objects), "events")
        problems = Problems(BODY, 50)
        table = records_table(
            objects, problems, _(MESSAGES["row"]), _(MESSAGES["row_hint"]), ("id", "person", "date")
        )
        raw: dict[int, list[str]] = {}
        table.rows = store.tap_rows(table.rows, raw)
        places = {
            str(v).strip()
            for o in objects
            if isinstance(o, dict)
            for k, v in o.items()
            if str(k).strip().lower() == "institution" and v is not None
        }
        shape = store.RowShape(table.header, self.kept)
        at_id = table.header.index("id")
        with self._guard(), self.db.write() as conn, conn.begin():
            staff = store.staff_of(conn, places)
            events = read_event_table(
                table, self.policy, problems, staff, check_institutions=True, refer=False
            )
            mistakes: list[Diagnostic] = []
            rows = []
            for ev in events:
                cells = raw.pop(ev.line)
                if at_id >= len(cells) or not cells[at_id].strip():
                    mistakes.append(
                        Diagnostic(
                            "id",
                            _(MESSAGES["no_id"]),
                            Span(BODY, ev.line),
                            _(MESSAGES["no_id_hint"]),
                        )
                    )
                    continue
                rows.append((ev, cells))
            if mistakes:
                raise LedgerError(mistakes)
            if any(ev.type in REFERRING for ev, _ in rows):
                self._corrections(conn, rows)
            affected = {ev.person for ev, _ in rows if ev.person}
            for ev, _raw in rows:
                if not ev.person:
                    affected.update(staff.get(ev.institution or "", ()))
            codes = sorted(affected)
            store.lock(conn, self.db.dialect, codes)
            store.note_kept(conn, self.db.dialect, self.kept)
            # arrival order is the request's (the reader sorted them by date)
            rows.sort(key=lambda pair: pair[0].line)
            batch = store.new_batch(conn, "POST /v1/events", 0)
            stored = store.stored_events(conn, [ev.id for ev, _ in rows])
            new, skipped, people_new = [], 0, set()
            for ev, cells in rows:
                row = store.with_person(shape.row(cells, ev, batch), ev.person)
                old = stored.get(ev.id)
                if old is None:
                    new.append(row)
                    if ev.person:
                        people_new.add(ev.person)
                    else:
                        people_new.update(staff.get(ev.institution or "", ()))
                elif store.same_event(old, row):
                    skipped += 1
                else:
                    mistakes.append(
                        Diagnostic(
                            "duplicate-id",
                            _(MESSAGES["changed"]).format(id=ev.id),
                            Span(BODY, ev.line),
                            _(MESSAGES["changed_hint"]),
                        )
                    )
            if mistakes:
                raise LedgerError(mistakes)
            store.insert_events(conn, new)
            conn.execute(
                schema.batches.update().where(schema.batches.c.id == batch).values(rows=len(new))
            )
            changed = []
            if new:
                refreshed = store.refresh(conn, self.policy, sorted(people_new))
                for code, (old_spans, new_spans) in refreshed.items():
                    since = store.first_change(old_spans, new_spans)
                    if since is not None:
                        changed.append(self._change(code, since, old_spans, new_spans))
            if who is not None and changed:
                self._enter(conn, who, endpoint, [c["person"] for c in changed])
        return {"added": len(new), "already_recorded": skipped, "changed": changed}

    def _enter(self, conn, who: str, endpoint: str, people: list[str]) -> None:
        """The write's readings entered with it; failing, the whole write is rolled
        back and refused (503, `access-log`): no answer without its entries."""
        try:
            access.write(conn, access.rows_for(who, endpoint, people))
        except SQLAlchemyError:
            raise problem(
                "access-log", _(MESSAGES["unrecorded"]), _(MESSAGES["unrecorded_hint"]), 503
            ) from None

    def _corrections(self, conn, rows: list) -> None:
        """A batch's corrections and decisions (issue 22 §1): each one's person is its
        finding's when left empty, and each is checked against the findings as stored
        and as posted (ledger/corrections.py), every problem at its line of the body."""
        posted = {ev.id: ev for ev, _ in rows}
        refs = [ev for ev, _ in rows if ev.type in REFERRING]
        targets = {(ev.attrs.get("target") or "").strip() for ev in refs} - {""}
        found = store.stored_events(conn, sorted(t for t in targets if t not in posted))
        stored = {e.id: e for e in store.read_rows(self.policy, list(found.values()))}
        for ev in refs:
            if not ev.person:
                key = (ev.attrs.get("target") or "").strip()
                target = posted.get(key) or stored.get(key)
                if target is not None and target.person:
                    ev.person = target.person
        people = sorted({ev.person for ev in refs if ev.person})
        history, _roster = store.events_of(conn, self.policy, people)
        mine: dict[str, Event] = {}
        for code in people:
            for e in history[code]:
                if e.person:
                    mine.setdefault(e.id, e)
        for e in stored.values():
            mine.setdefault(e.id, e)
        for ev, _cells in rows:  # a posted row stands for a stored one of its id (a resend)
            if ev.person in people or ev.type in REFERRING:
                mine[ev.id] = ev
        checks = Problems(BODY, 50)
        try:
            apply_corrections(sorted(mine.values(), key=_dated), checks)
        except Stop:
            raise checks.error() from None
        checks.raise_if_any()

    def _change(self, code: str, since: str, old: list, new: list) -> dict[str, Any]:
        def on(rows: list, d: str) -> dict[str, Any]:
            row = None
            for r in rows:
                if r["start"] <= d:
                    row = r
            status = row["status"] if row else "active"
            side = {"status": status, "may_bill": self.may_bill(status), "sanction": _sanction(row)}
            return {**side, **self._proposed(row)}

        today = self.today().isoformat()
        return {
            "person": code,
            "from": since,
            "before": on(old, since),
            "after": on(new, since),
            "today": on(new, today),
        }

    # ---- helpers ---------------------------------------------------------------------------
    def bounded(self, count: int, what: str) -> None:
        if count > self.max_batch:
            raise problem(
                "limit",
                _(MESSAGES["too_many"]).format(count=count, what=what, limit=self.max_batch),
                _(MESSAGES["too_many_hint"]),
                413,
            )

    def _guard(self):
        return _Guard(self.db)


class _Guard:
    """Database failures reported as the CLI reports them (`db`), not as tracebacks."""

    def __init__(self, db: Database):
        self.db = db

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if exc is not None and isinstance(exc, SQLAlchemyError):
            raise ServiceError(unreachable(self.db, exc).diagnostics, 503) from None
        return False


def _sanction(row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None or row["action"] is None:
        return None
    out = {
        "action": row["action"],
        "start": row["action_start"],
        "end": row["action_end"],
        "cite": row["cite"],
        "source": row["source"],
        "events": json.loads(row["events"]) if row["events"] else [],
    }
    if row["institution"]:
        out["institution"] = row["institution"]
    if row.get("decision"):  # issue 22 §2: the decision behind it (store.sanction_dict)
        out["decision"] = json.loads(row["decision"])
    if row.get("in_force_from"):
        out["in_force_from"] = row["in_force_from"]
    return out


def claim_lines(objects: Sequence[object]) -> list[ClaimLine]:
    """A request's claim lines checked: every problem listed, with the line's number."""
    problems: list[Diagnostic] = []
    out = []
    for n, obj in enumerate(objects, 1):
        at = Span(BODY, n)
        if not isinstance(obj, dict):
            problems.append(
                Diagnostic(
                    "format",
                    _(MESSAGES["not_object"]).format(n=n),
                    at,
                    _(MESSAGES["not_object_hint"]),
                )
            )
            continue
        claim = obj.get("claim_id")
        person = obj.get("person")
        text = obj.get("date")
        emergency = obj.get("emergency", False)
        ok = True
        if claim is None or isinstance(claim, (bool, dict, list)) or str(claim).strip() == "":
            problems.append(Diagnostic("claim_id", _(MESSAGES["claim_id"]), at))
            ok = False
        if not isinstance(person, str) or not person.strip():
            problems.append(
                Diagnostic("person", _(MESSAGES["person"]), at, _(MESSAGES["person_hint"]))
            )
            ok = False
        day = None
        if isinstance(text, str) and _DATE.match(text):
            try:
                day = parse_date(text)
            except ValueError:
                day = None
        if day is None:
            problems.append(
                Diagnostic(
                    "date", _(MESSAGES["date"]).format(text=text), at, _(MESSAGES["date_hint"])
                )
            )
            ok = False
        if not isinstance(emergency, bool):
            problems.append(Diagnostic("format", _(MESSAGES["emergency"]), at))
            ok = False
        if ok:
            out.append(ClaimLine(str(claim).strip(), person.strip(), day, emergency))
        if len(problems) >= 50:
            break
    if problems:
        raise ServiceError(problems, 422)
    return out


def _dated(ev: Event):
    return ev.date
