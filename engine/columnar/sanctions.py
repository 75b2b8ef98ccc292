"""The planned people's sanctions as columns: status, actions and `reapply_from`.

Input: the vector work's `Steps` (each person's fired steps: date, band entered,
largest act) and the evaluator (its policy, deadlines and sanctions, read once per
tier, ban and date); output: `Sanctioned`, every planned person's status and
`reapply_from` on the as-of date, and their actions as rows of columns (kind,
start, end, article, source, the step behind it, and the texts of what the record
adds), in the order the fold appends them.

What the fold does for a person whose history is findings only, one fired step
at a time (fold.Evaluator.fire_bands, sanctions.Sanctions), and how it is done
here: a round per step, the k-th fired step of every person at once.

- Before a step, a suspension that ended the day before its date or earlier ends:
  restored automatically (a `restore` action the day after) or awaiting a
  re-application (`restoration.by`).
- A terminated person fires nothing more.
- The band's actions, in the order the tier lists them: a suspension (its length
  from the tier, its end the last day of it), replacing a running one it outlasts
  (`overlap: replace`: the running one ends the day before, `replaced_by`); a
  termination, cutting a running suspension the same way, then the first ban rule
  that holds (on the termination's cause, the person's first termination, and
  whether one act reached the top), which dates `reapply_from`; any other action,
  with its label; each with the deadlines the policy counts from it.
- On the as-of date, a suspension that has ended is ended as before.

Lengths, bans, labels and deadlines are the fold's own: `Sanctions.length` once per
tier action and ban, `Deadlines` once per (action, date), `calendar.add` once per
(date, length). Whatever this does not take is left to the fold's own code
(`ColumnarEvaluator.assemble`), which gives the same answer one person at a time:
for a policy (`Program.refused`: clauses, lasting bands, open-ended suspensions,
ban rules that read more than the cause, decisions), and for a person (`ok`
False: a suspension that would queue behind a running one, a step whose finding
decides a length in its own column).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine import calendar
from engine.columnar.steps import Steps, _stub
from engine.evaluation.state import CycleState
from engine.ledger.rows import Person
from engine.vocabulary import (
    ACTIVE,
    AWAITING,
    BAN,
    BY_BAN,
    BY_RESTORATION,
    INTERVIEW,
    RESTORE,
    SUSPEND,
    SUSPENDED,
    TERMINATE,
    TERMINATED,
)

# a person's status as a small integer, and back
S_ACTIVE, S_SUSPENDED, S_AWAITING, S_TERMINATED = 0, 1, 2, 3
STATUS = (ACTIVE, SUSPENDED, AWAITING, TERMINATED)
NEVER = -2  # reapply_from "never"; -1: none
_BAN_NAMES = frozenset({"cause", "terminations", "reached_by"})


@dataclass
class Spec:
    """One action a tier takes, as the rounds apply it."""

    kind: str
    cite: str
    source: str  # the tier's Source, as text
    length: Any  # a suspension's Duration
    extra: dict  # what the record says before its deadlines (a label, a range)


@dataclass
class BanSpec:
    cite: str
    length: Any  # None: never
    extra: dict  # the length's record, then the rule's reason


@dataclass
class Program:
    """A policy's tiers, bans and restoration as the rounds read them."""

    refused: str | None
    tiers: list[list[Spec]]
    bans: dict[bool, BanSpec | None]  # by "one act reached the top": the ban that holds
    automatic: bool  # restoration by the end of a suspension
    restoration_cite: str | None
    overlap: str


def program(ev: Any) -> Program:
    """The program of the evaluator's policy (`refused`: why there is none)."""
    p = ev.p
    empty = Program(None, [], {}, True, None, p.overlap)
    why = _refusal(ev)
    if why is not None:
        empty.refused = why
        return empty
    stub = _stub((), None, None)
    tiers: list[list[Spec]] = []
    for i, t in enumerate(ev.tiers):
        specs = []
        for spec in t.then:
            kind = spec.kind
            length, extra = None, {}
            if kind == SUSPEND:
                length, extra = ev.sanctions.length(spec, stub, "suspension")
                if length is None:
                    empty.refused = "an open-ended suspension"
                    return empty
            elif kind == TERMINATE:
                extra = {"cause": "points"}
            elif kind in p.actions:
                extra = {"label": p.actions[kind].label}
            specs.append(Spec(kind, t.cite, str(ev.tier_source[i]), length, dict(extra)))
        tiers.append(specs)
    bans: dict[bool, BanSpec | None] = {}
    probe = CycleState(0, "", None, None, ev.initial, 1)  # type: ignore[arg-type]
    person = Person("", [], {}, "", 0)
    for single in (False, True):
        env = ev.env.bind_ban(
            probe, stub, person, "points", 1, "single" if single else "accumulation"
        )
        bans[single] = None
        for b in p.bans:
            if b.when is not None and not b.when(env):
                continue
            act = b.then.action
            if act.never:
                length, extra = None, {"never": True}
            else:
                length, extra = ev.sanctions.length(b.then, stub, "ban")
            extra = dict(extra)
            extra["reason"] = b.when.text if b.when is not None else "always"
            bans[single] = BanSpec(b.cite, length, extra)
            break
    by, cite = ev.restoration_on(_dt.date(2000, 1, 1))
    return Program(None, tiers, bans, by == "automatic", cite, p.overlap)


def _refusal(ev: Any) -> str | None:
    """Why the rounds cannot take this evaluator's policy (None: they can)."""
    p = ev.p
    if ev.decided is not None:
        return "sanctions that bind once decided"
    if ev.institutions is not None or ev.trails is not None:
        return "a roster or corrections"
    if ev.lasting or any(t.clause is not None for t in ev.tiers):
        return "lasting bands or clauses"
    if p.overlap not in ("replace", "queue") or p.restoration not in (
        "automatic",
        "reapplication",
    ):
        return "an overlap or restoration the rounds do not know"
    for b in p.bans:
        if b.when is not None and (not b.when.names <= _BAN_NAMES or b.when.attrs):
            return "a ban rule reading more than the termination's cause"
    for t in ev.tiers:
        kinds = [s.kind for s in t.then]
        if kinds.count(SUSPEND) + kinds.count(TERMINATE) > 1:
            return "a tier with two suspensions or terminations"
    return None


@dataclass
class Sanctioned:
    """The rounds' result: per person, and per action row (sorted by person, then as
    the fold appends them: `at[p]:at[p+1]` are p's)."""

    ok: np.ndarray  # bool per person: decided here (else the fold's code decides)
    status: np.ndarray  # int8 per person (STATUS)
    reapply: np.ndarray  # int64 ordinal per person; -1 none, NEVER
    cycle_tier: np.ndarray  # per cycle row of Steps: the band fired last (-1: none)
    at: np.ndarray
    specs: list[tuple]  # what an action row is: (kind, cite, source, extra, deadlines)
    what: np.ndarray  # per action row: its index into specs
    start: np.ndarray
    end: np.ndarray  # -1: none
    fire: np.ndarray  # the fired step behind it (-1: none)
    last_only: np.ndarray  # bool: its events are the step's last finding only (a ban)
    replaced: np.ndarray  # index into `sources` of what cut it short, -1: nothing
    sources: list[str]


class _Rows:
    """Action rows as they are appended (columns grown in blocks)."""

    def __init__(self) -> None:
        self.pid: list[np.ndarray] = []
        self.start: list[np.ndarray] = []
        self.fire: list[np.ndarray] = []
        self.last_only: list[np.ndarray] = []
        self.what: list[np.ndarray] = []  # index into `specs`
        self.specs: list[tuple] = []  # (kind, cite, source, extra, deadlines)
        self.n = 0
        self.ends: list[np.ndarray] = []

    def spec(self, kind, cite, source, extra, deadlines) -> int:
        self.specs.append((kind, cite, source, extra, deadlines))
        return len(self.specs) - 1

    def add(self, pid, start, end, fire, what: int, last_only=False) -> np.ndarray:
        k = len(pid)
        rows = np.arange(self.n, self.n + k)
        self.n += k
        self.pid.append(pid)
        self.start.append(start)
        self.ends.append(end)
        self.fire.append(fire)
        self.last_only.append(np.full(k, last_only))
        self.what.append(np.full(k, what, np.int32))
        return rows


def sanction(s: Steps, prog: Program, ev: Any, deciding: np.ndarray) -> Sanctioned:
    """Run the rounds over every planned person's fired steps."""
    n_people = len(s.fire_at) - 1
    nf = len(s.fire_pid)
    ok = np.ones(n_people, bool)
    status = np.zeros(n_people, np.int8)
    susp = np.full(n_people, -1, np.int64)  # the running suspension's row
    susp_end = np.zeros(n_people, np.int64)
    awaiting = np.full(n_people, -1, np.int64)
    reapply = np.full(n_people, -1, np.int64)
    rows = _Rows()
    cut_rows: list[np.ndarray] = []
    cut_ends: list[np.ndarray] = []
    cut_by: list[tuple[np.ndarray, str]] = []
    restore = rows.spec(RESTORE, prog.restoration_cite, str(BY_RESTORATION), {"automatic": True}, 0)
    tier_spec = [
        [rows.spec(sp.kind, sp.cite, sp.source, sp.extra, 1) for sp in specs]
        for specs in prog.tiers
    ]
    ban_spec = {
        single: None if b is None else rows.spec(BAN, b.cite, str(BY_BAN), b.extra, 0)
        for single, b in prog.bans.items()
    }
    top = ev.sanctions.top
    dated = _Dates()

    def advance(p: np.ndarray, d: np.ndarray) -> None:
        """End the suspensions of `p` that end before `d`."""
        run = susp[p] >= 0
        over = run & (susp_end[p] < d)
        q = p[over]
        if not len(q):
            return
        back = susp_end[q] + 1
        susp[q] = -1
        was = status[q] == S_SUSPENDED
        q, back = q[was], back[was]
        if prog.automatic:
            status[q] = S_ACTIVE
            rows.add(q, back, np.full(len(q), -1), np.full(len(q), -1), restore)
        else:
            status[q] = S_AWAITING
            awaiting[q] = back

    # a person's step whose finding decides a length in its own column: the fold's
    ok[s.fire_pid[deciding[s.fire_row]]] = False
    processed = np.zeros(nf, bool)
    if nf:
        rank = np.arange(nf) - s.fire_at[s.fire_pid]
        rounds = int(rank.max()) + 1
    else:
        rank, rounds = np.zeros(0, np.int64), 0
    for k in range(rounds):
        f = np.flatnonzero(rank == k)
        p, d = s.fire_pid[f], s.fire_day[f].astype(np.int64)
        advance(p, d)
        live = status[p] != S_TERMINATED
        f, p, d = f[live], p[live], d[live]
        processed[f] = True
        bands = s.fire_band[f]
        for t in np.unique(bands).tolist():
            sel = bands == t
            for sp, what in zip(prog.tiers[t], tier_spec[t], strict=True):
                g, pg, dg = f[sel], p[sel], d[sel]
                if sp.kind in (INTERVIEW, SUSPEND, TERMINATE):  # not while terminated
                    alive = status[pg] != S_TERMINATED
                    g, pg, dg = g[alive], pg[alive], dg[alive]
                if not len(g):
                    continue
                if sp.kind == SUSPEND:
                    end = dated.map(dg, lambda day, n=sp.length: calendar.last_day(day, n))
                    running = susp[pg] >= 0
                    harsher = end > susp_end[pg]
                    if prog.overlap == "replace":
                        ok[pg[running & ~harsher]] = False  # queued: the fold's
                        c = running & harsher
                    else:
                        ok[pg[running]] = False
                        c = np.zeros(len(pg), bool)
                    if c.any():
                        cut_rows.append(susp[pg[c]])
                        cut_ends.append(dg[c] - 1)
                        cut_by.append((susp[pg[c]], sp.source))
                    new = rows.add(pg, dg, end, g, what)
                    susp[pg], susp_end[pg] = new, end
                    status[pg] = S_SUSPENDED
                    awaiting[pg] = -1
                elif sp.kind == TERMINATE:
                    c = susp[pg] >= 0
                    if c.any():
                        cut_rows.append(susp[pg[c]])
                        cut_ends.append(dg[c] - 1)
                        cut_by.append((susp[pg[c]], sp.source))
                    susp[pg] = -1
                    status[pg] = S_TERMINATED
                    awaiting[pg] = -1
                    rows.add(pg, dg, np.full(len(pg), -1), g, what)
                    single = s.fire_largest[g] >= top if top is not None else np.zeros(len(g), bool)
                    for one in (False, True):
                        m = single == one
                        if not m.any():
                            continue
                        b = prog.bans[one]
                        pm, dm = pg[m], dg[m]
                        if b is None:
                            reapply[pm] = dm
                        elif b.length is None:
                            reapply[pm] = NEVER
                            rows.add(pm, dm, np.full(len(pm), -1), g[m], ban_spec[one], True)  # type: ignore[arg-type]
                        else:
                            until = dated.map(dm, lambda day, n=b.length: calendar.add(day, n))
                            reapply[pm] = until
                            rows.add(pm, dm, until - 1, g[m], ban_spec[one], True)  # type: ignore[arg-type]
                else:
                    rows.add(pg, dg, np.full(len(pg), -1), g, what)
    everyone = np.flatnonzero(susp >= 0)
    advance(everyone, np.full(len(everyone), ev.as_of.toordinal()))

    # the actions, by person then as appended
    cat = np.concatenate
    n = rows.n
    pid = cat(rows.pid) if n else np.zeros(0, np.int64)
    start = cat(rows.start) if n else np.zeros(0, np.int64)
    ends = cat(rows.ends).astype(np.int64) if n else np.zeros(0, np.int64)
    replaced = np.full(n, -1, np.int64)
    sources: list[str] = []
    for (r, e), (_, by) in zip(zip(cut_rows, cut_ends, strict=True), cut_by, strict=True):
        ends[r] = e
        sources.append(by)
        replaced[r] = len(sources) - 1
    fire = cat(rows.fire) if n else np.zeros(0, np.int64)
    last_only = cat(rows.last_only) if n else np.zeros(0, bool)
    what = cat(rows.what) if n else np.zeros(0, np.int32)
    order = np.lexsort((np.arange(n), pid))
    pid, start, ends, fire, last_only, what, replaced = (
        a[order] for a in (pid, start, ends, fire, last_only, what, replaced)
    )
    # each cycle's band: the last fired step of it the person was not terminated for
    cycle_tier = np.full(len(s.cyc_pid), -1, np.int64)
    if nf and len(s.cyc_pid):
        base = int(s.cyc_index.min())
        span = int(s.cyc_index.max()) - base + 1
        known = s.cyc_pid.astype(np.int64) * span + (s.cyc_index - base)
        wanted = s.fire_pid.astype(np.int64) * span + (s.fire_cycle - base)
        pos = np.searchsorted(known, wanted[processed])
        np.maximum.at(cycle_tier, pos, s.fire_band[processed])

    # status and reapply_from on the as-of date
    out = np.where(status == S_TERMINATED, reapply, -1)
    if not prog.automatic:
        out = np.where(status == S_SUSPENDED, susp_end + 1, out)
    out = np.where(status == S_AWAITING, awaiting, out)
    return Sanctioned(
        ok,
        status,
        out,
        cycle_tier,
        np.searchsorted(pid, np.arange(n_people + 1)),
        rows.specs,
        what,
        start,
        ends,
        fire,
        last_only,
        replaced,
        sources,
    )


class _Dates:
    """A function of a date applied once per distinct date (ordinals in, out)."""

    def map(self, days: np.ndarray, fn) -> np.ndarray:
        values, inverse = np.unique(days, return_inverse=True)
        out = [fn(_dt.date.fromordinal(v)).toordinal() for v in values.tolist()]
        return np.asarray(out, np.int64)[inverse]
