"""What evaluation produces: per person, per institution, and the story behind it.

Plain dataclasses with no behaviour beyond turning themselves into the JSON
shape other tools depend on (`as_dict`). engine/report/formats.py formats them;
engine/report/explain.py tells a person's `Step`s as a story.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, TypedDict

from engine.i18n import _, known
from engine.numbers import number_value
from engine.vocabulary import Source, Status

_ISO: dict[_dt.date, str] = {}

# The one JSON encoder of every report (report/formats.py's `_dump`, and the columnar
# path's records written from columns, columnar/text.py): `json.dumps(obj,
# ensure_ascii=False, separators=(", ", ": "))`, made once (no cycle to look for: the
# records are trees the engine builds). Defined here, below both, so that the two
# write the same bytes.
json_text: Callable[[Any], str] = json.JSONEncoder(
    ensure_ascii=False, separators=(", ", ": "), check_circular=False
).encode


def iso(d: _dt.date | None) -> str | None:
    """A date as YYYY-MM-DD; cached, since an outcome repeats few dates many times."""
    if d is None:
        return None
    s = _ISO.get(d)
    if s is None:
        s = _ISO[d] = d.isoformat()
    return s


def plain(value: Any) -> Any:
    """A JSON-ready value: dates as text, exact fractions as numbers (numbers.py)."""
    if value is None or type(value) in _AS_IS:  # (Fraction's isinstance goes through an ABC)
        return value
    if isinstance(value, _dt.date):
        return iso(value)
    if isinstance(value, str):  # a Source, a vocabulary word: its text, a plain str
        return str(value)
    return number_value(value)


_AS_IS = frozenset({str, int, bool, float})


def num(value: Any) -> Any:
    """A number for JSON: ints stay, exact fractions become floats."""
    return value if type(value) is int else plain(value)


def next_band_dict(nb: tuple[str, Any] | None) -> dict | None:
    """`{"tier": "suspend-3m", "points_away": 2}`, or None."""
    return None if nb is None else {"tier": nb[0], "points_away": num(nb[1])}


class Also(TypedDict):
    """Another trigger of a termination already decided on the same finding."""

    source: Source
    cite: str


class ActionExtra(TypedDict, total=False):
    """An action's optional fields. Each goes into the action's JSON record, after the
    fixed ones, in the order it was set: a dict rather than attributes so that order
    (and the record's bytes) stay as they were when each was first written."""

    label: str  # a named action's label (the policy's `actions`)
    cause: str  # a termination's cause: points, rule, item, or an item's own (fraud)
    discretionary: bool  # the length is a range the decision-maker chooses within
    range: str  # that range, as written (`1 to 2 years`)
    decided: str  # the length an event's column decided
    undecided: bool  # a bound with no floor and no decision: dated by the bound
    never: bool  # a ban with no end
    reason: str  # the condition of the ban rule that matched (`always` for none)
    queued: bool  # a suspension that starts when the running one ends
    replaces: Source  # what a suspension decided the same day was replaced by this one
    replaced_by: Source  # what cut this suspension short
    superseded_by: Source  # what replaced this suspension before it took effect
    institution: str  # the site a cascade applies to
    automatic: bool  # a restoration by the end of a suspension, not a re-application
    deadlines: dict[str, _dt.date]  # each procedural deadline counted from the action
    deadlines_approximate: bool  # a deadline counted in weekdays past the holiday calendar
    also: list[Also]
    # issue 22 §2 (evaluation/decisions.py): the decision that decided it ({event,
    # document, date}), or `proposed` until one does; `in_force_from` a decision's date
    # later than the computed start, under decisions.take_effect: on-decision
    decision: dict[str, Any]
    proposed: bool
    in_force_from: _dt.date


@dataclass(slots=True)
class ActionRec:
    """One action taken against a person (or an institution)."""

    action: str  # a vocabulary.Kind, or an action the policy names
    start: _dt.date
    end: _dt.date | None
    cite: str
    source: Source
    events: list[str] = field(default_factory=list)
    extra: ActionExtra = field(default_factory=lambda: ActionExtra())
    length: Any = None  # a suspension's Duration, to date it again when queued (not output)

    @property
    def institution(self) -> str | None:
        """The site a cascade applies to (None for the person's own actions)."""
        return self.extra.get("institution")

    def as_dict(self) -> dict:
        """The JSON record, of plain JSON types (a vocabulary word as its str)."""
        d: dict[str, Any] = {
            "action": str(self.action),
            "start": iso(self.start),
            "end": iso(self.end),
            "cite": self.cite,
            "source": str(self.source),
            "events": list(self.events),
        }
        if self.extra:
            for k, v in self.extra.items():
                d[k] = {kk: plain(vv) for kk, vv in v.items()} if isinstance(v, dict) else plain(v)
        return d


class CycleOut(NamedTuple):
    """One cycle of one registration, as the outcome reports it. A tuple: a report
    written as it goes (report.PersonJson) keys its cache of encoded cycles on it."""

    period: str
    start: _dt.date
    end: _dt.date
    deducted: Any
    score: Any
    tier: str | None
    violations: int
    credited: Any
    registration: int

    def as_dict(self) -> dict:
        return {
            "period": self.period,
            "deducted": num(self.deducted),
            "score": num(self.score),
            "tier": self.tier,
            "violations": self.violations,
            "credited": num(self.credited),
            "registration": self.registration,
        }


@dataclass(slots=True)
class Step:
    """One line of a person's story, for `--explain`."""

    date: _dt.date
    kind: str  # event | points | band | action | status | ban | reapply | note
    text: str
    cite: str | None = None
    event: str | None = None
    where: str | None = None  # file:line of the event
    ref: Source | None = None  # what decided, for tools: a tier or a rule


class PersonRow(NamedTuple):
    """A finished person, as the fold hands it on (Evaluator.finish_row): what
    `PersonOutcome` holds, in its order, without a dataclass to make."""

    person: str
    status: Status
    cycles: list[CycleOut]
    actions: list[ActionRec]
    reapply_from: _dt.date | str | None
    reapplications: tuple[dict, ...] | list[dict]
    facts: dict[str, Any]
    institutions: list[str]
    next_band: tuple[str, Any] | None  # (tier id, points away): PersonOutcome.next_band
    proposed_status: str | None  # the computed status not in force: PersonOutcome's
    history: dict[str, Any] | None  # a history's versions and findings: PersonOutcome.history


@dataclass(slots=True)
class PersonOutcome:
    person: str
    status: Status
    cycles: list[CycleOut]
    actions: list[ActionRec]
    reapply_from: _dt.date | str | None
    reapplications: list[dict] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    institutions: list[str] = field(default_factory=list)
    # the band the next deductions would fire and how far it is, (tier id, points), or
    # None (terminated, or no harsher band left): evaluation/outlook.py
    next_band: tuple[str, Any] | None = None
    # under a regulation's history (evaluation/history.py): `versions`, those that
    # touched the person, and `findings`, each finding's version and basis; None under
    # one policy (the keys are then left out)
    history: dict[str, Any] | None = None
    # under `decisions.take_effect: on-decision`, the computed status when a sanction
    # behind it is not yet in force (`status` is then the status in force): decisions.py
    proposed_status: str | None = None

    def as_dict(self) -> dict:
        d: dict[str, Any] = {
            "person": self.person,
            "status": str(self.status),
            "cycles": [c.as_dict() for c in self.cycles],
            "actions": [a.as_dict() for a in self.actions],
            "reapply_from": plain(self.reapply_from),
            "next_band": next_band_dict(self.next_band),
        }
        if self.reapplications:
            d["reapplications"] = [{k: plain(v) for k, v in r.items()} for r in self.reapplications]
        if self.facts:
            d["facts"] = {k: plain(v) for k, v in self.facts.items()}
        if self.institutions:
            d["institutions"] = list(self.institutions)
        if self.proposed_status is not None:
            d["proposed_status"] = str(self.proposed_status)
        if self.history is not None:
            d.update(self.history)
        return d


@dataclass(slots=True)
class InstitutionOutcome:
    institution: str
    period: str
    staff: int
    sanctioned: int
    actions: list[ActionRec]

    def as_dict(self) -> dict:
        return {
            "institution": self.institution,
            "period": self.period,
            "staff": self.staff,
            "sanctioned": self.sanctioned,
            "actions": [a.as_dict() for a in self.actions],
        }


@dataclass
class Outcome:
    policy_id: str
    policy_version: str
    as_of: _dt.date
    people: list[PersonOutcome]
    institutions: list[InstitutionOutcome]
    traces: dict[str, list[Step]] = field(default_factory=dict)
    events_after_as_of: int = 0
    events_outside_effective: int = 0
    effective: tuple[str, str | None] = ("", None)
    notes: list[str] = field(default_factory=list)  # further warnings from the evaluation
    # a regulation's history: each version and its period, as the header lists them
    # (`{"version", "from", "to"}`); None for one policy
    versions: list[dict[str, Any]] | None = None
    # what each correction changed (evaluation/trail.py's Trail), in date order
    corrections: list = field(default_factory=list)

    def warnings(self) -> list[str]:
        """What a reader should know about the inputs, one sentence each."""
        out = []
        if self.events_outside_effective:
            lo, hi = self.effective
            out.append(
                _(
                    "{n} events fall outside the policy's effective period ({start} to {end}); "
                    "they were evaluated under it all the same (check their dates, or leave "
                    "them out of the ledger if other rules judge them)"
                ).format(n=self.events_outside_effective, start=lo, end=hi or _("open"))
            )
        if self.events_after_as_of:
            out.append(
                _("{n} events are dated after the as-of date {date} and were left out").format(
                    n=self.events_after_as_of, date=self.as_of
                )
            )
        return out + [known(n) for n in self.notes]

    def header(self) -> dict:
        policy: dict[str, Any] = {"id": self.policy_id, "version": self.policy_version}
        if self.versions is not None:  # `version` is then the one in force on the as-of date
            policy["versions"] = self.versions
        return {"policy": policy, "as_of": self.as_of.isoformat()}

    def as_dict(self) -> dict:
        d = self.header()
        d["people"] = [p.as_dict() for p in self.people]
        d["institutions"] = [i.as_dict() for i in self.institutions]
        if self.events_after_as_of:
            d["events_after_as_of"] = self.events_after_as_of
        if self.events_outside_effective:
            d["events_outside_effective"] = self.events_outside_effective
        if self.corrections:
            d["corrections"] = [t.as_dict() for t in self.corrections]
        return d
