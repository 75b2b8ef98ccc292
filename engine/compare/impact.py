"""Stage "impact": whose outcome a policy change moves, and which change is responsible.

Input: a `PolicyDiff` and a ledger (events, optional roster, as-of date);
output: an `Impact`. The ledger is read under the old policy, carried over
to the new one (`carryover.py`: codes restated through the item pairing,
findings the new policy cannot price noted), and evaluated under each.

A person's outcome is the tier entered in each cycle, their actions (kind,
start, end, and the site of a cascade; restorations and bans left out, as
`status` and `reapply_from` say the same), their status on the as-of date and
the date a re-application can succeed. A person is a mover when any of these differs.
Movers are listed; everyone else is counted.

Attribution is a heuristic that follows the chain points -> tier -> action ->
status, and names only changes the person could have met:

- points differ in some cycle: the changed or unmatched items among the
  person's own findings, and findings that could not be carried over;
  `combine` and `cycle` (start, resets) when they changed and could touch the
  person (several items in one act, an inspection, several sites); the cycle
  cap only when no item explains the move; `credits` if they had credits;
- the tier or the actions differ: tiers the person entered under either policy
  whose bounds, action or duration changed (or that exist on one side only);
  rules that fired for them; item effects; cascades they met; the overlap rule
  when they had more than one suspension; the scale, if nothing else explains
  a different tier;
- status or re-application date differ: bans if they were terminated under
  both (under one only, the termination itself is the change), restoration
  if they were suspended under either, re-application conditions if they
  re-applied.

When none of these applies the cause is "several": changes interact in a way
the heuristic does not untangle.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from typing import TYPE_CHECKING

from engine.compare.carryover import Note, _restate, carry_over
from engine.compare.diff import Change, PolicyDiff
from engine.errors import EvaluationError
from engine.evaluation.fold import paused_gc
from engine.evaluation.known import as_known
from engine.evaluation.outcome import Outcome, PersonOutcome
from engine.evaluation.run import evaluate
from engine.i18n import N_, _, known
from engine.ledger.read import Event, Ledger, read_ledger
from engine.ledger.reads import event_columns_kept
from engine.ledger.redact import redact_ledger
from engine.numbers import number_text
from engine.policy.model import Policy
from engine.policy.versions import History
from engine.privacy.pseudonyms import Pseudonyms
from engine.vocabulary import BY_CASCADE, Source, SourceKind

if TYPE_CHECKING:
    from engine.columnar.pairs import Counted

SEVERITY = ("none", "interview", "suspend", "terminate")
NO_SNAPSHOT_ACTIONS = frozenset({"restore", "ban"})
MOVERS_BLOCK = 4096  # movers whose events are read at once (`tally`)


@dataclass(frozen=True)
class Snapshot:
    """What the analyst compares for one person under one policy."""

    status: str
    reapply_from: str | None
    tiers: tuple[tuple[str, str | None], ...]  # (cycle label, tier id)
    actions: tuple[tuple[str, str, str | None, str | None], ...]  # kind, start, end, site
    deducted: tuple[tuple[str, int | Fraction], ...] = field(compare=False)  # exact
    sources: frozenset[Source] = field(compare=False, default=frozenset())

    @property
    def worst(self) -> str:
        kinds = {a[0] for a in self.actions if a[3] is None}
        return next((k for k in reversed(SEVERITY) if k in kinds), "none")

    def as_dict(self) -> dict:
        return {
            "status": self.status,
            "reapply_from": self.reapply_from,
            "tiers": [self.tier_dict(t) for t in self.tiers],
            "deducted": [self.deducted_dict(d) for d in self.deducted],
            "actions": [self.action_dict(a) for a in self.actions],
        }

    # one element of each list, as `as_dict` writes it (compare/render.py encodes
    # each distinct element once)
    @staticmethod
    def tier_dict(tier: tuple[str, str | None]) -> dict:
        return {"cycle": tier[0], "tier": tier[1]}

    @staticmethod
    def deducted_dict(deducted: tuple[str, int | Fraction]) -> dict:
        return {"cycle": deducted[0], "deducted": number_text(deducted[1])}

    @staticmethod
    def action_dict(action: tuple[str, str, str | None, str | None]) -> dict:
        k, s, e, i = action
        return {"action": k, "start": s, "end": e, **({"institution": i} if i else {})}


@dataclass(frozen=True)
class Cause:
    """One policy change (or carried-over finding) held responsible, as a short label."""

    label: str
    changes: tuple[Change, ...] = ()
    # the label in the reader's language, made when shown (`label`, which the JSON and
    # the API keep, is English); None: `label` is a catalogue message as it is
    said: Callable[[], str] | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict:
        return {"label": self.label, "changes": [c.as_dict() for c in self.changes]}

    def text(self) -> str:
        """The label as the reader reads it."""
        return self.said() if self.said is not None else known(self.label)


@dataclass
class Mover:
    person: str
    before: Snapshot
    after: Snapshot
    causes: list[Cause]
    notes: list[Note]

    def as_dict(self) -> dict:
        return {
            "person": self.person,
            "before": self.before.as_dict(),
            "after": self.after.as_dict(),
            "causes": [c.as_dict() for c in self.causes],
            "notes": [n.text for n in self.notes],
        }


@dataclass
class InstitutionMove:
    institution: str
    period: str
    before: tuple[str, ...]
    after: tuple[str, ...]

    def as_dict(self) -> dict:
        return {
            "institution": self.institution,
            "period": self.period,
            "before": list(self.before),
            "after": list(self.after),
        }


@dataclass
class Impact:
    events: str
    roster: str | None
    as_of: _dt.date
    people: int
    movers: list[Mover]
    status_moves: dict[tuple[str, str], int]
    sanction_moves: dict[tuple[str, str], int]
    notes: list[Note]
    institutions: list[InstitutionMove]
    warnings: list[str]

    @property
    def unaffected(self) -> int:
        return self.people - len(self.movers)

    def as_dict(self, movers: bool = True) -> dict:
        """The JSON shape (`movers=False`: `people_moved` left empty, for a writer that
        writes them one at a time: compare/render.py)."""
        return {
            "events": self.events,
            "roster": self.roster,
            "as_of": self.as_of.isoformat(),
            "people": self.people,
            "movers": len(self.movers),
            "unaffected": self.unaffected,
            "status_moves": [
                {"from": a, "to": b, "people": n} for (a, b), n in sorted(self.status_moves.items())
            ],
            "sanction_moves": [
                {"from": a, "to": b, "people": n}
                for (a, b), n in sorted(self.sanction_moves.items())
            ],
            "people_moved": [m.as_dict() for m in self.movers] if movers else [],
            "not_carried_over": [n.as_dict() for n in self.notes],
            "institutions": [i.as_dict() for i in self.institutions],
            "warnings": self.warnings,
        }


def impact(
    d: PolicyDiff,
    events: str,
    roster: str | None,
    as_of: _dt.date,
    encoding: str | None = None,
    redact: Pseudonyms | None = None,
    engine: str = "auto",
) -> Impact:
    """Evaluate the ledger under both policies of `d` and compare; raises PolicyctlError.

    `engine`: fold | columnar | auto, as for `evaluate` (engine/columnar/run.py): each
    side is evaluated through its own policy's columnar plan where it has one.

    `redact`: the ledger is carried over on its codes as written (its problems then
    point at the file's rows), and both sides, and the notes of what did not carry,
    are redacted before anything is evaluated."""
    code_map = {**d.items.code_map, **d.credits.code_map}
    fast = _on_columns(d, events, roster, as_of, encoding, redact, engine, code_map)
    if fast is not None:
        return fast
    # the columns either policy reads: the new one's are carried over (carryover.py)
    old_ledger = read_ledger(events, d.old, roster, encoding, also_keep=event_columns_kept(d.new))
    # corrected as known on the as-of date, under both policies alike (a correction's
    # trail is evaluate's to tell); the decisions go over with their findings' ids
    corrected = bool(old_ledger.corrections or old_ledger.decisions)
    old_ledger, _later = as_known(old_ledger, as_of)
    old_ledger.corrections = []
    from engine.columnar.run import takes

    # the new side as columns when its plan evaluates it (and nothing is redacted); a
    # corrected ledger is the fold's (columns would be read from the file as recorded)
    columns = redact is None and not corrected and takes(d.new, old_ledger, engine)
    new_ledger, notes = carry_over(
        old_ledger, d.new, code_map, events, roster, encoding, columns=columns
    )
    new_ledger.decisions = old_ledger.decisions
    if redact is not None:
        old_ledger = redact_ledger(old_ledger, redact)
        new_ledger = redact_ledger(new_ledger, redact)
        notes = [
            dataclasses.replace(
                n,
                person=redact.person(n.person),
                event=n.event if n.event == n.where else redact.event(n.event),
            )
            for n in notes
        ]
    before = evaluate_side(d.old, old_ledger, as_of, "OLD", engine)
    after = evaluate_side(d.new, new_ledger, as_of, "NEW", engine)
    return compare(d, before, after, old_ledger.events, notes, events, roster)


def _on_columns(
    d: PolicyDiff,
    events: str,
    roster: str | None,
    as_of: _dt.date,
    encoding: str | None,
    redact: Pseudonyms | None,
    engine: str,
    code_map: dict[str, str | None],
) -> Impact | None:
    """The impact with both sides as columns from one read of the file, carried over a
    column at a time (engine/columnar/carry.py), where the columnar plan takes both
    policies; None: read and carry over the row way (a roster, redaction, a policy
    the plan refuses, a ledger the columns cannot hold exactly)."""
    from engine.columnar.run import wanted

    if redact is not None or roster is not None:
        return None
    if not (wanted(engine, events, d.old, roster) and wanted(engine, events, d.new, roster)):
        return None
    from engine.columnar.evaluator import plan_for

    if plan_for(d.old).refused is not None or plan_for(d.new).refused is not None:
        return None
    from engine.columnar.carry import movers_events, read_both
    from engine.columnar.pairs import compared, paired, sanctioned
    from engine.columnar.run import ledger_evaluator

    def restate(e: Event, catalogue: dict) -> tuple[tuple[str, ...], bool, list]:
        items, keep, notes = _restate(e, catalogue, code_map)
        if not items:  # (as carry_over notes a finding left out)
            notes = [dataclasses.replace(n, dropped=True) for n in notes]
        return items, keep, notes

    with paused_gc():  # (as the fold pauses it: a million rows' objects, no cycles)
        both = read_both(events, d.old, d.new, restate, encoding)
        if both is None:
            return None
        old_cols, new_cols, notes = both
        with _under("OLD"):
            a = ledger_evaluator(d.old, _columns_ledger(old_cols), as_of, engine)
        with _under("NEW"):
            b = ledger_evaluator(d.new, _columns_ledger(new_cols), as_of, engine)
        assert a is not None and b is not None  # (columns are always the plan's)

        def old(code: str) -> Snapshot:
            with _under("OLD"):
                return snapshot(a.finish_person(code)[0])

        def new(code: str) -> Snapshot:
            with _under("NEW"):
                return snapshot(b.finish_person(code)[0])

        # the people both sides' rounds decide compared as columns, everyone else's
        # pair of snapshots as it comes (pairs.py); else quiet people's pairs shared
        with _under("OLD"):
            za = sanctioned(a)
        with _under("NEW"):
            zb = sanctioned(b) if za is not None else None
        if za is None or zb is None:
            counted, pairs = None, paired(a, b, old, new, snapshot(None))
        else:
            counted, pairs = compared(
                a, b, za, zb, old, new, Snapshot, snapshot(None), NO_SNAPSHOT_ACTIONS, SEVERITY[1:]
            )
        before, after = a.outcome([], {}), b.outcome([], {})
        return tally(
            d, pairs, before, after, movers_events(old_cols), notes, events, roster, counted
        )


def _columns_ledger(cols) -> Ledger:
    """A ledger whose events are columns (columnar/run.py's `ledger_evaluator` reads
    `columns`), with no roster."""
    ledger = Ledger([], None, {})
    ledger.columns = cols  # type: ignore[attr-defined]
    return ledger


def evaluate_side(
    policy: Policy | History, ledger: Ledger, as_of: _dt.date, side: str, engine: str = "auto"
) -> Outcome:
    """The outcome under one side of the comparison, its errors saying which side
    (through the side's columnar plan where it has one: engine/columnar/run.py)."""
    from engine.columnar.run import ledger_evaluator

    with _under(side):
        columnar = ledger_evaluator(policy, ledger, as_of, engine)
        if columnar is not None:
            return columnar.run()
        return evaluate(policy, ledger, as_of)


@contextmanager
def _under(side: str) -> Iterator[None]:
    """Evaluation errors say which side of the comparison they are under."""
    try:
        yield
    except EvaluationError as exc:
        raise EvaluationError(
            [
                # TRANSLATORS: {side} is OLD or NEW, the two policies compared
                dataclasses.replace(
                    d, message=_("{message} (under {side})").format(message=d.message, side=side)
                )
                for d in exc.diagnostics
            ]
        ) from None


def compare(
    d: PolicyDiff,
    before: Outcome,
    after: Outcome,
    events: Iterable[Event] | Callable[[list[str]], dict[str, list[Event]]],
    notes: list[Note],
    events_path: str,
    roster: str | None,
) -> Impact:
    """Movers, totals and attribution from two outcomes of one ledger (`events`: the
    old side's, or what gives the events of the people named, by person, in the
    ledger's order: only movers' events are read)."""
    old_people = {p.person: p for p in before.people}
    new_people = {p.person: p for p in after.people}
    pairs = (
        (code, snapshot(old_people.get(code)), snapshot(new_people.get(code)))
        for code in sorted(set(old_people) | set(new_people))
    )
    return tally(d, pairs, before, after, events, notes, events_path, roster)


def tally(
    d: PolicyDiff,
    pairs: Iterable[tuple[str, Snapshot, Snapshot]],
    before: Outcome,
    after: Outcome,
    events: Iterable[Event] | Callable[[list[str]], dict[str, list[Event]]],
    notes: list[Note],
    events_path: str,
    roster: str | None,
    counted: Counted | None = None,
) -> Impact:
    """`compare` from each person's pair of snapshots, in code order (`before` and
    `after` for their warnings and institutions); `counted`: people not among `pairs`,
    counted already (none of them moved: columnar/pairs.py's `compared`)."""
    notes_by: dict[str, list[Note]] = {}
    for n in notes:
        notes_by.setdefault(n.person, []).append(n)
    blame = _Blame(d)
    moved: list[tuple[str, Snapshot, Snapshot]] = []
    status_moves: Counter = Counter()
    sanction_moves: Counter = Counter()
    people = 0
    if counted is not None:
        people = counted.people
        status_moves.update(counted.status_moves)
        sanction_moves.update(counted.sanction_moves)
    for code, a, b in pairs:
        people += 1
        status_moves[(a.status, b.status)] += 1
        sanction_moves[(a.worst, b.worst)] += 1
        if a != b:
            moved.append((code, a, b))
    movers: list[Mover] = []
    # the movers' events a block of movers at a time where they are read by person (a
    # city's movers hold hundreds of thousands of findings: none need be held at once)
    if callable(events):
        read, step = events, MOVERS_BLOCK
    else:
        whole = _by_person(events)
        read, step = (lambda _people: whole), max(len(moved), 1)
    for lo in range(0, len(moved), step):
        block = moved[lo : lo + step]
        by_person = read([c for c, _, _ in block])
        for code, a, b in block:
            mine = notes_by.get(code, [])
            movers.append(Mover(code, a, b, blame(a, b, by_person.get(code, []), mine), mine))
    warnings = [f"OLD: {w}" for w in before.warnings()] + [f"NEW: {w}" for w in after.warnings()]
    return Impact(
        events_path,
        roster,
        before.as_of,
        people,
        movers,
        dict(status_moves),
        dict(sanction_moves),
        notes,
        _institutions(before, after),
        warnings,
    )


def _by_person(events: Iterable[Event]) -> dict[str, list[Event]]:
    by_person: dict[str, list[Event]] = {}
    for e in events:
        if e.person:
            by_person.setdefault(e.person, []).append(e)
    return by_person


def snapshot(p: PersonOutcome | None) -> Snapshot:
    """A person's outcome in comparable form (no outcome: active, nothing happened)."""
    if p is None:
        return Snapshot("active", None, (), (), ())
    tiers = tuple((_label(c), c.tier) for c in p.cycles)
    deducted = tuple((_label(c), c.deducted) for c in p.cycles)
    actions = tuple(
        (
            a.action,
            a.start.isoformat(),
            a.end.isoformat() if a.end else None,
            a.extra.get("institution"),
        )
        for a in p.actions
        if a.action not in NO_SNAPSHOT_ACTIONS
    )
    sources = frozenset(a.source for a in p.actions)
    reapply = p.reapply_from
    reapply = reapply.isoformat() if isinstance(reapply, _dt.date) else reapply
    return Snapshot(
        p.status, reapply, tuple(t for t in tiers if t[1] is not None), actions, deducted, sources
    )


def _label(c) -> str:
    return c.period if c.registration == 1 else f"{c.period}#{c.registration}"


def _institutions(before: Outcome, after: Outcome) -> list[InstitutionMove]:
    def acts(o: Outcome) -> dict[tuple[str, str], tuple[str, ...]]:
        return {
            (i.institution, i.period): tuple(f"{a.action} {a.start.isoformat()}" for a in i.actions)
            for i in o.institutions
        }

    a, b = acts(before), acts(after)
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key, ()), b.get(key, ())
        if x != y:
            out.append(InstitutionMove(key[0], key[1], x, y))
    return out


# ---- attribution ------------------------------------------------------------------------------


POINTS_FIELDS = {"points"}
ACTION_FIELDS = {"effects", "cause"}


class _Blame:
    """Indexes the diff's changes by what a person can meet: item code, tier id, rule id."""

    def __init__(self, d: PolicyDiff):
        self.caps = (d.old.cycle.cap, d.new.cycle.cap)
        # item codes whose points `scoring` decides in either policy (a band item, or
        # one a condition on scoring governs), for a change of `scoring` to be blamed
        self.case_columns = {
            "move": {
                p.scoring.shift.column for p in (d.old, d.new) if p.scoring and p.scoring.shift
            },
            "grade": {
                p.scoring.grades.column for p in (d.old, d.new) if p.scoring and p.scoring.grades
            },
        }
        self.case_codes = {
            code
            for p in (d.old, d.new)
            if p.scoring is not None
            for code, item in p.items.items()
            if item.points_kind == "band" or p.scoring.conditions
        }
        self.items: dict[str, list[Change]] = {}
        self.tiers: dict[str, list[Change]] = {}
        self.rules: dict[str, list[Change]] = {}
        self.sections: dict[str, list[Change]] = {}
        for c in d.changes:
            self.sections.setdefault(c.section, []).append(c)
            names = [n for n in dict.fromkeys((c.old_id, c.new_id)) if n is not None]
            if c.section in ("items", "credits"):
                for n in names[:1]:  # the old code (the ledger's), else the new one
                    self.items.setdefault(n, []).append(c)
            elif c.section in ("tiers", "rules"):
                index = self.tiers if c.section == "tiers" else self.rules
                for n in names:
                    index.setdefault(n, []).append(c)

    def block_changes(self, a: Snapshot, b: Snapshot, events: list[Event]) -> list[Change]:
        """Changes of `combine` and `cycle` that could touch this person's points."""
        out = []
        for c in [*self.sections.get("combine", []), *self.sections.get("cycle", [])]:
            f = c.field
            if f == "same_act" and not any(len(e.items) > 1 for e in events):
                continue
            if f == "same_inspection" and not any(e.inspection for e in events):
                continue
            if f == "sites" and len({e.institution for e in events if e.institution}) < 2:
                continue
            if f == "cap" and not (_reaches(a, self.caps[0]) or _reaches(b, self.caps[1])):
                continue
            if f == "credit_cap" and not any(e.type == "credit" for e in events):
                continue
            if f != "cite":
                out.append(c)
        return out

    def items_cause(
        self,
        codes: list[str],
        notes: list[Note],
        add: Callable[[str, Iterable[Change], Callable[[], str] | None], None],
    ) -> None:
        """One cause for the person's items whose points changed or that did not carry."""
        parts: list[str] = []
        said: list[Callable[[], str]] = []  # each part in the reader's language
        changes: list[Change] = []
        noted: dict[str, list[Note]] = {}
        for n in notes:
            noted.setdefault(n.code, []).append(n)
        for code in codes:
            for c in self.items.get(code, ()):
                if c.field in POINTS_FIELDS:
                    parts.append(f"{_as(c)} points {c.old} -> {c.new}")
                    said.append(_said(N_("{item} points {old} -> {new}"), c, item=_as_said(c)))
                    changes.append(c)
                elif c.field == "band":  # a band item moved to another band (scoring)
                    parts.append(f"{_as(c)} band {c.old} -> {c.new}")
                    said.append(_said(N_("{item} band {old} -> {new}"), c, item=_as_said(c)))
                    changes.append(c)
                elif c.kind == "removed" and code not in noted:
                    parts.append(f"{code} no counterpart")
                    said.append(_said(N_("{code} no counterpart"), None, code=partial(str, code)))
                    changes.append(c)
            for n in noted.get(code, ()):
                parts.append(n.short)
                said.append(partial(_note_short, n))
                changes += [c for c in self.items.get(code, ()) if c.kind == "removed"]
        if parts:
            add(
                "items: " + ", ".join(parts),
                changes or [_NOTE],
                lambda: _("items: {parts}").format(parts=_(", ").join(s() for s in said)),
            )

    def meets(self, c: Change, events: list[Event]) -> bool:
        """Whether a person's findings meet a change of `scoring`: a move or a grade only
        where a finding gives its value; the bands and conditions always."""
        columns = self.case_columns.get(c.entity)
        if columns is None:
            return True
        values = {c.old_id, c.new_id} - {None}
        return any((e.attrs or {}).get(col) in values for e in events for col in columns)

    def __call__(
        self, a: Snapshot, b: Snapshot, events: list[Event], notes: list[Note]
    ) -> list[Cause]:
        causes: list[Cause] = []
        seen: set[Change] = set()

        def add(
            label: str, changes: Iterable[Change], said: Callable[[], str] | None = None
        ) -> None:
            fresh = tuple(c for c in changes if c not in seen or c is _NOTE)
            if fresh:
                seen.update(fresh)
                causes.append(Cause(label, tuple(c for c in fresh if c is not _NOTE), said))

        codes = list(dict.fromkeys(c for e in events for c in e.items))
        dropped = {(n.event, n.code) for n in notes}
        carried = list(
            dict.fromkeys(c for e in events for c in e.items if (e.id, c) not in dropped)
        )
        points_moved = dict(a.deducted) != dict(b.deducted)
        if points_moved:
            self.items_cause(codes, notes, add)
            scoring = [
                c
                for c in self.sections.get("scoring", ())
                if c.field != "cite" and self.meets(c, events)
            ]
            if scoring and not self.case_codes.isdisjoint(codes):
                shown = ", ".join(
                    f"{c.element} {c.field} {_v(c.old)} -> {_v(c.new)}" if c.field else c.element
                    for c in scoring
                )
                add(
                    f"scoring: {shown}",
                    scoring,
                    partial(_scoring_said, tuple(scoring)),
                )
            explained = bool(causes)
            for c in self.block_changes(a, b, events):
                if c.field == "cap" and explained:
                    continue  # a cap matters only when no item's points explain the move
                add(
                    f"{c.section}.{c.field} {_v(c.old)} -> {_v(c.new)}",
                    [c],
                    partial(_block_said, c),
                )
            if any(e.type == "credit" for e in events):
                add(
                    N_("credits changed"),
                    [c for c in self.sections.get("credits", ()) if c.field != "cite"],
                )
        if a.tiers != b.tiers or a.actions != b.actions:
            entered = (
                {t for _, t in a.tiers}
                | {t for _, t in b.tiers}
                | {s.id for s in a.sources | b.sources if s.kind is SourceKind.TIER}
            )
            for tier in sorted(entered, key=str):
                for c in self.tiers.get(tier, ()):
                    if c.field != "cite":
                        add(_tier_label(c), [c], partial(_tier_said, c))
            fired = {s.id for s in a.sources | b.sources if s.kind is SourceKind.RULE}
            for rule in sorted(fired):
                changes = [c for c in self.rules.get(rule, ()) if c.field != "cite"]
                kind = changes[0].kind if len(changes) == 1 else "changed"
                add(
                    f"rule {rule} {kind}",
                    changes,
                    partial(_rule_said, rule, kind),
                )
            for code in carried:
                for c in self.items.get(code, ()):
                    if c.field in ACTION_FIELDS:
                        add(_item_label(c), [c], partial(_item_said, c))
            if BY_CASCADE in a.sources | b.sources:
                add(
                    N_("institution cascades changed"),
                    [
                        c
                        for c in self.sections.get("institutions", ())
                        if c.entity == "cascade" and c.field != "cite"
                    ],
                )
            suspensions = max(sum(x[0] == "suspend" for x in s.actions) for s in (a, b))
            if suspensions > 1:
                add(
                    N_("overlapping sanctions rule changed"),
                    [c for c in self.sections.get("sanctions", ()) if c.field != "cite"],
                )
            if a.tiers != b.tiers and not any(
                c.changes and c.changes[0].section == "tiers" for c in causes
            ):
                add(
                    N_("scale changed"),
                    [c for c in self.sections.get("scale", ()) if c.field != "cite"],
                )
        if (a.status, a.reapply_from) != (b.status, b.reapply_from):
            kinds = {x[0] for s in (a, b) for x in s.actions}
            if all("terminate" in {x[0] for x in s.actions} for s in (a, b)):
                add(
                    N_("bans changed"),
                    [c for c in self.sections.get("bans", ()) if c.field != "cite"],
                )
            if "suspend" in kinds:
                for c in self.sections.get("restoration", ()):
                    if c.field == "by":
                        add(
                            f"restoration {c.old} -> {c.new}",
                            [c],
                            _said(N_("restoration {old} -> {new}"), c),
                        )
            if any(e.type == "reapply" for e in events):
                add(
                    N_("re-application conditions changed"),
                    [c for c in self.sections.get("reapplication", ()) if c.field != "cite"],
                )
        if not causes:
            causes.append(Cause(N_("several (no single change explains it)")))
        return causes


_NOTE = Change("items", "removed", "", "", None, None)  # stands for a finding not carried over


def _v(x: str | None) -> str:
    return "none" if x is None else x


def _reaches(snap: Snapshot, cap: int | Fraction | None) -> bool:
    if cap is None:
        return False
    return any(d >= cap for _, d in snap.deducted)


def _as(c: Change) -> str:
    """The element by its ids: `A1`, or `A1 as B1` where it was recoded."""
    if c.old_id is not None and c.new_id is not None and c.old_id != c.new_id:
        return f"{c.old_id} as {c.new_id}"
    return c.old_id or c.new_id or c.element


def _v_said(x: str | None) -> str:
    return _("none") if x is None else x


def _as_said(c: Change) -> Callable[[], str]:
    """_as in the reader's language: `A1 as B1` is `A1 记为 B1`."""
    if c.old_id is not None and c.new_id is not None and c.old_id != c.new_id:
        return partial(_as_pair, c.old_id, c.new_id)
    return partial(str, c.old_id or c.new_id or c.element)


def _as_pair(old: str, new: str) -> str:
    return _("{old} as {new}").format(old=old, new=new)


def _said(template: str, c: Change | None, **parts: Callable[[], str]) -> Callable[[], str]:
    """A cause's words made when shown: `template` (a catalogue message) with the
    change's old and new values and `parts`, each made then too."""

    def say() -> str:
        values = {k: f() for k, f in parts.items()}
        if c is not None:
            values.update(old=_v_said(c.old), new=_v_said(c.new))
        return _(template).format(**values)

    return say


_REASONS = {
    "no counterpart": N_("no counterpart"),
    "needs amount": N_("needs amount"),
    "needs points": N_("needs points"),
    "points outside range": N_("points outside range"),
}


def _note_short(n: Note) -> str:
    """Note.short in the reader's language."""
    head = n.code if n.target is None else _as_pair(n.code, n.target)
    words = _("{item} {reason}").format(item=head, reason=_(_REASONS.get(n.reason, n.reason)))
    return words + (_(" ({event} left out)").format(event=n.event) if n.dropped else "")


def _scoring_said(changes: tuple[Change, ...]) -> str:
    return _("scoring: {changes}").format(
        changes=_(", ").join(
            f"{c.element} {c.field} {_v_said(c.old)} -> {_v_said(c.new)}" if c.field else c.element
            for c in changes
        )
    )


def _block_said(c: Change) -> str:
    return f"{c.section}.{c.field} {_v_said(c.old)} -> {_v_said(c.new)}"


def _rule_said(rule: str, kind: str) -> str:
    return _("rule {rule} {kind}").format(rule=rule, kind=_(kind))


def _item_said(c: Change) -> str:
    element = _as_said(c)()
    if c.kind == "removed":
        return _("item {item}: no counterpart").format(item=element)
    return _("item {item}: {field} {old} -> {new}").format(
        item=element, field=c.field, old=_v_said(c.old), new=_v_said(c.new)
    )


def _tier_said(c: Change) -> str:
    element = _as_said(c)()
    if c.kind in ("added", "removed", "recoded"):
        return _("tier {tier} {kind}").format(tier=element, kind=_(c.kind))
    return _("tier {tier}: {field} {old} -> {new}").format(
        tier=element, field=c.field, old=_v_said(c.old), new=_v_said(c.new)
    )


def _item_label(c: Change) -> str:
    element = _as(c)
    if c.kind == "removed":
        return f"item {element}: no counterpart"
    return f"item {element}: {c.field} {c.old} -> {c.new}"


def _tier_label(c: Change) -> str:
    element = _as(c)
    if c.kind in ("added", "removed", "recoded"):
        return f"tier {element} {c.kind}"
    return f"tier {element}: {c.field} {c.old} -> {c.new}"
