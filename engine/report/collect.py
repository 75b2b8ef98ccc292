"""Stage "report", html: what the report shows, gathered as the ledger is evaluated.

The report summarises; it never holds everyone. Two things watch one ordinary
evaluation (the same `Evaluator` as `policyctl evaluate`, so the same engine
decides every number):

- `Tap` stands between the ledger and the fold. It hands each event on, and once
  the fold has taken it (when the fold asks for the next one) reads what the fold
  made of it: the person's running total in the cycle. It counts findings per
  month and per item, and keeps each person's findings as a few references
  (date, items, total after), which is all a timeline needs: a few dozen bytes a
  finding, against the hundreds the ledger's rows take.
- `Collector` finishes each person, one at a time as `evaluate` does, and adds
  them up: counts by status and band, the cycle's totals, sanctions per month,
  each institution's staff and bands, who is close to their next band. It keeps
  the outcomes of only the few people whose timelines are drawn.

Everything ends up in `ReportData.as_dict()`: plain numbers and words, the data
the charts and tables are drawn from, embedded in the HTML as JSON (and pinned by
tests/golden). Which people get a timeline: those named (`--person`), else the
people with the most points in the as-of cycle, the suspended or terminated first.
"""

from __future__ import annotations

import datetime as _dt
import heapq
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine import calendar
from engine.evaluation.outcome import PersonOutcome, next_band_dict, num, plain
from engine.evaluation.outlook import Outlook
from engine.ledger.read import Event
from engine.policy.model import Policy
from engine.vocabulary import BY_CASCADE, SourceKind, Status

SANCTIONS = ("interview", "suspend", "terminate")  # the kinds charted per month
STATUSES = tuple(Status)  # mildest first
NEAR_LISTED = 200  # people listed by name as close to their next band; the rest counted


def month_key(d: _dt.date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


class Tap:
    """Watches one fold (see the module's docstring): `events()` wraps its input."""

    def __init__(self, policy: Policy, evaluator: Any, as_of: _dt.date, scope: set[str] | None):
        self.p = policy
        self.ev = evaluator
        self.as_of = as_of
        self.scope = scope
        c = policy.cycle
        self.period = calendar.cycle_of(c.start_month, c.start_day, as_of)[0]
        self.months: Counter[str] = Counter()  # findings per month
        self.item_count: Counter[str] = Counter()  # findings listing the item
        self.item_cycle: Counter[str] = Counter()  # the same, in the as-of cycle
        self.item_points: dict[str, list] = {}  # item -> [sum, low, high] of points carried
        self.trail: dict[str, list] = defaultdict(list)  # person -> [date, items, total, ...]
        self.first: _dt.date | None = None
        # under a regulation's history: each finding's items as the version that scored
        # it lists them (HistoryEvaluator.scored_act), and each code's item per version
        self.scored_act = getattr(evaluator, "scored_act", None)
        self.item_of: dict[str, dict[tuple[int, str], Any]] = {}  # code -> (index, version)

    def events(self, events: Iterable[Event]) -> Iterable[Event]:
        """The events, handed on unchanged; each is read back once its date is folded
        (the fold applies a date's events together: Evaluator.on_day)."""
        self.ev.on_day = self.day
        return events

    def day(self, day: list[Event]) -> None:
        """A date's events, just folded: each finding and credit read back."""
        scope = self.scope
        for e in day:
            if e.type in ("violation", "credit") and (scope is None or e.person in scope):
                self.seen(e)

    def seen(self, e: Event) -> None:
        st = self.ev.states.get(e.person)
        if st is None or st.cycle is None:  # (not folded: nothing to read)
            return
        cyc = st.cycle
        self.trail[e.person] += (e.date, e.items, cyc.deducted)
        if e.type != "violation":
            return
        priced = version = None
        if self.scored_act is not None:  # a history: the finding as its version scored it
            found = self.scored_act(e)
            if found is None:  # not scored at all
                return
            version, priced = found
        if self.first is None:
            self.first = e.date
        self.months[month_key(e.date)] += 1
        this_cycle = cyc.period == self.period
        items = self.p.items
        for code, item, pts in priced or self.priced(st, e, items):
            self.item_count[code] += 1
            if this_cycle:
                self.item_cycle[code] += 1
            acc = self.item_points.get(code)
            if acc is None:
                self.item_points[code] = [pts, pts, pts]
            else:
                acc[0] += pts
                acc[1] = min(acc[1], pts)
                acc[2] = max(acc[2], pts)
            if version is not None:
                self.item_of.setdefault(code, {})[version] = item

    def priced(self, st, e: Event, items) -> Iterable[tuple[str, Any, Any]]:
        """Each item of a finding with its points, under the one policy."""
        points = self.ev.points
        if points.case is not None:  # points that depend on the case, as scoring.py prices
            act = points.of(e, st.person)  # them: the scored items only
            if act.points is not None:
                for code, pts in act.per_item or [(e.items[0], act.points)]:
                    yield code, items[code], pts
            return
        for code in e.items:
            item = items[code]
            pts = item.points if item.points_kind == "fixed" else self.ev.item_points(st, e, item)
            yield code, item, pts


@dataclass
class Selection:
    """Whose timelines are drawn: everyone named, then the top `top` by points."""

    named: list[str]
    top: int
    kept: dict[str, PersonOutcome] = field(default_factory=dict)
    heap: list = field(default_factory=list)
    n: int = 0

    def offer(self, p: PersonOutcome, sanctioned: bool, total: Any) -> None:
        if p.person in self.named:
            self.kept[p.person] = p
            return
        if not total and not sanctioned:
            return
        self.n += 1
        key = (sanctioned, total, -self.n, p.person)  # (earlier codes first on a tie)
        if len(self.heap) < self.top:
            heapq.heappush(self.heap, (key, p))
        elif key > self.heap[0][0]:
            heapq.heapreplace(self.heap, (key, p))

    def people(self) -> list[PersonOutcome]:
        ranked = [p for _, p in sorted(self.heap, key=lambda kp: kp[0], reverse=True)]
        return [self.kept[c] for c in self.named if c in self.kept] + ranked


class Collector:
    """Adds up finished people (see the module's docstring)."""

    def __init__(
        self,
        policy: Policy,
        as_of: _dt.date,
        staff: dict[str, list[str]],
        institutions: list[str] | None,
        named: list[str],
        top: int,
        near: Any,
    ):
        self.p = policy
        self.as_of = as_of
        self.outlook = Outlook(policy, as_of)
        self.period = self.outlook.period
        self.staff = staff
        self.institutions = institutions
        self.near = near
        self.rank = {t.id: i for i, t in enumerate(policy.tiers)}
        self.people = 0
        self.status: Counter[str] = Counter()
        self.bands: Counter[tuple[str, str]] = Counter()  # (period, tier or "") -> people
        self.totals: Counter[Any] = Counter()  # as-of cycle total -> people
        self.sanctions: Counter[tuple[str, str]] = Counter()  # (month, kind) -> actions
        self.inst_bands: dict[str, Counter[str]] = defaultdict(Counter)
        self.inst_people: Counter[str] = Counter()  # people with a finding this cycle
        self.near_count: Counter[tuple[str, Any]] = Counter()
        self.near_people: list[tuple] = []
        self.selection = Selection(named, top)

    def add(self, p: PersonOutcome) -> None:
        self.people += 1
        self.status[p.status] += 1
        harshest: dict[str, str] = {}
        for c in p.cycles:
            t = c.tier or ""
            h = harshest.get(c.period)
            if h is None or (t and (not h or self.rank[t] > self.rank[h])):
                harshest[c.period] = t
        for period, t in harshest.items():
            self.bands[(period, t)] += 1
        now = [c for c in p.cycles if c.period == self.period]
        total = now[-1].deducted if now else 0
        tier = harshest.get(self.period, "")
        if now:
            self.totals[total] += 1
        sanctioned = False
        for a in p.actions:
            # (a superseded sanction never took effect: docs/semantics.md, Sanctions)
            if a.action in SANCTIONS and a.source != BY_CASCADE and "superseded_by" not in a.extra:
                self.sanctions[(month_key(a.start), a.action)] += 1
                if a.action != "interview" and self.in_period(a.start):
                    sanctioned = True
        for inst in p.institutions:
            if tier:
                self.inst_bands[inst][tier] += 1
            if now:
                self.inst_people[inst] += 1
        nb = self.outlook.next_band(p.status, _last(p))
        if nb is not None and total and nb.points_away <= self.near:
            self.near_count[(nb.tier.id, nb.points_away)] += 1
            self.near_people.append(
                (
                    nb.points_away,
                    -self.rank[nb.tier.id],
                    p.person,
                    total,
                    nb.tier.id,
                    p.institutions,
                    p.status,
                )
            )
            if len(self.near_people) > 4 * NEAR_LISTED:  # keep the list bounded
                self.near_people.sort(key=_near_key)
                del self.near_people[NEAR_LISTED:]
        self.selection.offer(p, sanctioned, total)

    def in_period(self, d: _dt.date) -> bool:
        c = self.p.cycle
        return calendar.cycle_of(c.start_month, c.start_day, d)[0] == self.period

    def data(
        self, tap: Tap, institutions: list, trails: dict[str, list], warnings: list[str]
    ) -> ReportData:
        """Everything the report shows, once every person has been added."""
        return ReportData(self, tap, institutions, trails, warnings)


def _last(p: PersonOutcome) -> tuple[str, Any, str | None] | None:
    c = p.cycles[-1] if p.cycles else None
    return None if c is None else (c.period, c.deducted, c.tier)


def _near_key(row: tuple) -> tuple:
    return row[:3]


class ReportData:
    """The report's numbers as plain JSON values (`as_dict`), built by `Collector.data`."""

    def __init__(
        self,
        col: Collector,
        tap: Tap,
        institutions: list,
        trails: dict[str, list],
        warnings: list[str],
    ):
        p = col.p
        self.policy = p
        self.d: dict[str, Any] = {
            "policy": {
                "id": p.id,
                "version": p.version,
                "title": p.title,
                "issuer": p.issuer,
                "effective": [p.effective_from, p.effective_to],
                "scale": p.scale.kind,
                "initial": num(p.scale.initial),
                "cap": num(p.cycle.cap),
            },
            "as_of": col.as_of.isoformat(),
            "period": col.period,
            "scope": {"institutions": col.institutions},
            "people": col.people,
            "status": {s: col.status.get(s, 0) for s in STATUSES},
            "tiers": [_tier(p, t, col.outlook) for t in p.tiers],
            "bands": _bands(col),
            "months": _months(col, tap),
            "institutions": _institutions(col, institutions),
            "items": _items(p, tap),
            "distribution": {
                "period": col.period,
                "without_findings": col.people - sum(col.totals.values()),
                "totals": [[num(v), n] for v, n in sorted(col.totals.items())],
            },
            "near": _near(col),
            "timelines": [
                _timeline(col, o, trails.get(o.person, [])) for o in col.selection.people()
            ],
            "warnings": list(warnings),
        }

    def as_dict(self) -> dict[str, Any]:
        return self.d


def _tier(policy: Policy, t, outlook: Outlook) -> dict:
    step = next((s for i, tt, s in outlook.steps if tt is t), None)
    spec = t.then[0] if t.then else None
    return {
        "id": t.id,
        "cite": t.cite,
        "when": t.when.text,
        "action": spec.kind if spec else None,
        "length": str(spec.action.low) if spec and spec.action.low else None,
        "from": num(step),  # the least total inside the band (deductions)
    }


def _bands(col: Collector) -> list[dict]:
    periods = sorted({period for period, _ in col.bands})
    out = []
    for period in periods:
        row = {"period": period, "none": col.bands.get((period, ""), 0)}
        row["tiers"] = {t.id: col.bands.get((period, t.id), 0) for t in col.p.tiers}
        out.append(row)
    return out


def _months(col: Collector, tap: Tap) -> list[dict]:
    """One row per month from the first finding (or sanction) to the as-of month."""
    keys = set(tap.months) | {m for m, _ in col.sanctions}
    last = month_key(col.as_of)
    keys = {k for k in keys if k <= last}
    if not keys:
        return []
    y, m = map(int, min(keys).split("-"))
    out = []
    while True:
        key = f"{y:04d}-{m:02d}"
        out.append(
            {
                "month": key,
                "findings": tap.months.get(key, 0),
                **{k: col.sanctions.get((key, k), 0) for k in SANCTIONS},
            }
        )
        if key >= last:
            break
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _institutions(col: Collector, outcomes: list) -> list[dict]:
    """Each institution in scope, in the as-of cycle: staff, bands, sanctioned, rules."""
    judged = {i.institution: i for i in outcomes if i.period == col.period}
    codes = col.institutions if col.institutions is not None else sorted(col.staff)
    out = []
    for code in codes:
        staff = len(col.staff.get(code, ()))
        o = judged.get(code)
        rules = []
        own = []
        if o is not None:
            for a in o.actions:
                if a.source.kind is SourceKind.RULE:
                    rules.append(
                        {
                            "rule": a.source.id,
                            "action": a.action,
                            "start": plain(a.start),
                            "cite": a.cite,
                        }
                    )
                elif a.source.kind is SourceKind.EVENT:
                    own.append({"action": a.action, "start": plain(a.start), "cite": a.cite})
        bands = col.inst_bands.get(code, Counter())
        out.append(
            {
                "institution": code,
                "staff": staff,
                "with_findings": col.inst_people.get(code, 0),
                "bands": {t.id: bands.get(t.id, 0) for t in col.p.tiers},
                "sanctioned": o.sanctioned if o is not None else 0,
                "rules": rules,
                "own": own,
            }
        )
    return out


def _items(p: Policy, tap: Tap) -> list[dict]:
    out = []
    for code, n in sorted(tap.item_count.items(), key=lambda kv: (-kv[1], kv[0])):
        total, low, high = tap.item_points[code]
        versions = tap.item_of.get(code)
        if versions:  # a history: the code's item in each version that scored it, the
            item = versions[max(versions)]  # latest's words
            fixed = {i.points if i.points_kind == "fixed" else None for i in versions.values()}
            points = fixed.pop() if len(fixed) == 1 else None
        else:
            item = p.items[code]
            points = item.points if item.points_kind == "fixed" else None
        out.append(
            {
                "item": code,
                "text": item.text,
                "cite": item.cite,
                "findings": n,
                "this_cycle": tap.item_cycle.get(code, 0),
                "points": num(points),
                "carried": [num(low), num(high)],
                "points_total": num(total),
            }
        )
        if versions:
            out[-1]["versions"] = [v for _i, v in sorted(versions)]
    return out


def _near(col: Collector) -> dict:
    col.near_people.sort(key=_near_key)
    listed = col.near_people[:NEAR_LISTED]
    return {
        "within": num(col.near),
        "counts": [
            {"tier": t, "points_away": num(a), "people": n}
            for (t, a), n in sorted(
                col.near_count.items(), key=lambda kv: (kv[0][1], -col.rank[kv[0][0]])
            )
        ],
        "total": sum(col.near_count.values()),
        "people": [
            {
                "person": code,
                "institutions": list(sites),
                "status": status,
                "deducted": num(total),
                "tier": tier,
                "points_away": num(away),
            }
            for away, _, code, total, tier, sites, status in listed
        ],
    }


def _timeline(col: Collector, o: PersonOutcome, trail: list) -> dict:
    nb = o.next_band
    findings = [
        [plain(trail[i]), list(trail[i + 1]), num(trail[i + 2])] for i in range(0, len(trail), 3)
    ]
    return {
        "person": o.person,
        "institutions": list(o.institutions),
        "status": o.status,
        "reapply_from": plain(o.reapply_from),
        "cycles": [
            {
                "period": c.period,
                "start": plain(c.start),
                "end": plain(c.end),
                "deducted": num(c.deducted),
                "tier": c.tier,
                "registration": c.registration,
            }
            for c in o.cycles
        ],
        "findings": findings,
        "actions": [
            {
                "action": a.action,
                "start": plain(a.start),
                "end": plain(a.end),
                "cite": a.cite,
                "source": a.source,
                # how an official left it (issue 22 §2): only where a decision was asked
                **({"proposed": True} if "proposed" in a.extra else {}),
                **(
                    {"decision": {k: plain(v) for k, v in a.extra["decision"].items()}}
                    if "decision" in a.extra
                    else {}
                ),
            }
            for a in o.actions
            if a.action not in ("restore",)
        ],
        "next_band": next_band_dict(nb),
    }
