"""`diff --events` person by person over both sides' columnar evaluations at once.

Evaluated one side at a time, a diff makes every person's whole outcome twice
and holds both lists until it compares them. Most people of a city's ledger are
*quiet* on both sides: the columnar plan decides them (evaluator.py) and no
band fires for them, so their outcome is their cycles' totals and nothing else
(the premise of `ColumnarEvaluator.finish_row`'s cache of quiet rows). For them
the pair of snapshots is a function of the pair of their cycles, worked out by
the fold's own code for the first person with that pair and reused for the
others. Everyone else (a band fired on either side, routed to the fold on
either side, present on one side only) is finished by the fold's code on each
side, as before. Nothing is held but the pairs met so far.
"""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.columnar.evaluator import ColumnarEvaluator
from engine.columnar.sanctions import NEVER, STATUS, Sanctioned, program, sanction
from engine.evaluation.fold import cycle_label
from engine.vocabulary import Source

MEMO_LIMIT = 65_536  # pairs of quiet histories kept (a city has a few thousand)


def paired(
    a: ColumnarEvaluator,
    b: ColumnarEvaluator,
    old: Callable[[str], Any],
    new: Callable[[str], Any],
    nobody: Any,
) -> Iterator[tuple[str, Any, Any]]:
    """(code, what `old` gives under `a`, what `new` gives under `b`) for everyone either
    side reports, in code order; `nobody` for a person one side does not report.
    `old` and `new` finish the person on their side (the fold's code) and must give
    a value that depends on the outcome only, not on the person's code."""
    codes, has_a, has_b = _everyone(a, b)
    memo: dict[tuple, tuple[Any, Any]] = {}
    mine_a, mine_b = a.mine, b.mine
    for code in codes:
        key = None
        i, j = mine_a.get(code), mine_b.get(code)
        if i is not None and j is not None:
            ka = _quiet(a, i)
            kb = _quiet(b, j) if ka is not None else None
            if kb is not None:
                key = (ka, kb)
                got = memo.get(key)
                if got is not None:
                    del mine_a[code], mine_b[code]  # (let go, as `take` would)
                    yield code, got[0], got[1]
                    continue
        x = old(code) if has_a is None or code in has_a else nobody
        y = new(code) if has_b is None or code in has_b else nobody
        if key is not None and len(memo) < MEMO_LIMIT:
            memo[key] = (x, y)
        yield code, x, y


def _everyone(a: ColumnarEvaluator, b: ColumnarEvaluator) -> tuple[list[str], Any, Any]:
    """Everyone either side reports, in code order, and who each side reports (None:
    the same people)."""
    in_a, in_b = a.codes(), b.codes()
    if in_a == in_b:
        return in_a, None, None
    has_a, has_b = set(in_a), set(in_b)
    return sorted(has_a | has_b), has_a, has_b


def _quiet(ev: ColumnarEvaluator, i: int) -> tuple | None:
    """A columnar person's cycles (index, total, violations, largest act), or None
    where a band fires for them (as `finish_row` keys its quiet rows)."""
    L = ev.lists
    if L["fire_at"][i] != L["fire_at"][i + 1]:
        return None
    lo, hi = L["cyc_at"][i], L["cyc_at"][i + 1]
    return (
        *L["cyc_index"][lo:hi],
        *L["cyc_total"][lo:hi],
        *L["cyc_viol"][lo:hi],
        *L["cyc_max"][lo:hi],
    )


@dataclass
class Counted:
    """What `compared` counted without making snapshots: the people both sides' rounds
    decided alike, by (status, status) and (worst sanction, worst sanction)."""

    people: int
    status_moves: Counter
    sanction_moves: Counter


def compared(
    a: ColumnarEvaluator,
    b: ColumnarEvaluator,
    za: Sanctioned,
    zb: Sanctioned,
    old: Callable[[str], Any],
    new: Callable[[str], Any],
    make: Callable[..., Any],
    nobody: Any,
    hidden: frozenset[str],
    severity: tuple[str, ...],
) -> tuple[Counted, Iterator[tuple[str, Any, Any]]]:
    """Both sides compared from the rounds' columns (columnar/sanctions.py), as
    compare/impact.py's `Snapshot` compares them: status, `reapply_from`, the band of
    each cycle and the actions (kind, start, end) but those of `hidden` kinds.

    A person both sides' rounds decide (`Sanctioned.ok`) is compared a column at a
    time, with no outcome made: counted (`Counted`) when nothing differs, else its
    snapshots are made from the columns (`Snapshots`: `make(status, reapply_from,
    tiers, actions, deducted, sources)`, compare/impact.py's `Snapshot`). Everyone else
    (routed to the fold, left to the fold's code by the rounds, or on one side
    only) is finished by `old` and `new` as `paired` does. The iterator gives
    (code, old snapshot, new snapshot) for those and the movers, in code order;
    `severity` orders the kinds whose worst is counted (an index: higher is
    harsher, absent: none); `za`, `zb`: the rounds of each side (`sanctioned`)."""
    codes, has_a, has_b = _everyone(a, b)
    mine_a, mine_b = a.mine, b.mine
    ok_a, ok_b = za.ok.tolist(), zb.ok.tolist()
    at: list[int] = []  # per code: its place among the columnar pairs, -1: the fold's
    pi: list[int] = []
    pj: list[int] = []
    for code in codes:
        i, j = mine_a.get(code), mine_b.get(code)
        if i is not None and j is not None and ok_a[i] and ok_b[j]:
            at.append(len(pi))
            pi.append(i)
            pj.append(j)
        else:
            at.append(-1)
    ia, jb = np.asarray(pi, np.int64), np.asarray(pj, np.int64)
    same = (za.status[ia] == zb.status[jb]) & (za.reapply[ia] == zb.reapply[jb])
    words: dict[Any, int] = {}  # a tier's (cycle label, id), an action's kind: as one int
    ta, tb = (_tier_rows(ev, z, words) for ev, z in ((a, za), (b, zb)))
    same &= _same_runs(ta, tb, ia, jb)
    xa, xb = (_action_rows(z, words, hidden) for z in (za, zb))
    same &= _same_runs(xa, xb, ia, jb)
    wa, wb = (_worst(z, severity) for z in (za, zb))
    quiet = np.flatnonzero(same)
    counted = Counted(
        len(quiet),
        _pairs_counted(za.status[ia[quiet]], zb.status[jb[quiet]], STATUS),
        _pairs_counted(wa[ia[quiet]], wb[jb[quiet]], ("none", *severity)),
    )
    same_of = same.tolist()
    sa, sb = Snapshots(a, za, make, hidden), Snapshots(b, zb, make, hidden)

    def pairs() -> Iterator[tuple[str, Any, Any]]:
        for code, k in zip(codes, at, strict=True):
            if k < 0:
                x = old(code) if has_a is None or code in has_a else nobody
                y = new(code) if has_b is None or code in has_b else nobody
                yield code, x, y
            elif not same_of[k]:
                yield code, sa(pi[k]), sb(pj[k])

    return counted, pairs()


def sanctioned(ev: ColumnarEvaluator) -> Sanctioned | None:
    """The rounds over a side's planned people (None: its policy is refused them)."""
    s, cols = ev.steps, ev.cols
    if s is None or cols is None:
        return None
    prog = program(ev)
    if prog.refused is not None:
        return None
    return sanction(s, prog, ev, cols.deciding)


# a run of rows per person: (offsets by person, the rows' columns to compare)
_Runs = tuple[np.ndarray, list[np.ndarray]]


def _tier_rows(ev: ColumnarEvaluator, z: Sanctioned, words: dict) -> _Runs:
    """Each person's cycles that entered a band, as (cycle label, tier id) numbered in
    `words` (shared by both sides: the same label and id are the same number)."""
    s = ev.steps
    assert s is not None
    band = z.cycle_tier
    held = band >= 0
    width = len(ev.tiers) + 1
    pair = s.cyc_index.astype(np.int64)[held] * width + band[held]
    distinct, inverse = np.unique(pair, return_inverse=True)
    numbers = [
        words.setdefault((_label(ev, int(x // width)), ev.tiers[int(x % width)].id), len(words))
        for x in distinct.tolist()
    ]
    key = np.asarray(numbers, np.int64)[inverse.reshape(-1)]
    return _kept_at(s.cyc_at, held), [key]


def _action_rows(z: Sanctioned, words: dict, hidden: frozenset[str]) -> _Runs:
    """Each person's actions but the `hidden` kinds, as (kind, start, end)."""
    kinds = [str(spec[0]) for spec in z.specs]
    shown = np.array([k not in hidden for k in kinds] + [False], bool)[z.what]
    kind = np.array([words.setdefault(("kind", k), len(words)) for k in kinds] + [-1])
    return _kept_at(z.at, shown), [kind[z.what][shown], z.start[shown], z.end[shown]]


def _kept_at(at: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Offsets by person of the rows `kept` leaves, from the offsets of all of them."""
    running = np.concatenate(([0], np.cumsum(kept, dtype=np.int64)))
    return running[at]


def _same_runs(x: _Runs, y: _Runs, ia: np.ndarray, jb: np.ndarray) -> np.ndarray:
    """Per pair (ia[k] under x, jb[k] under y): whether their runs of rows are equal."""
    (xa, xcols), (ya, ycols) = x, y
    n = xa[ia + 1] - xa[ia]
    same = n == (ya[jb + 1] - ya[jb])
    some = np.flatnonzero(same & (n > 0))
    if not len(some):
        return same
    m = n[some]
    within = np.arange(int(m.sum())) - np.repeat(np.cumsum(m) - m, m)
    at_x = np.repeat(xa[ia[some]], m) + within
    at_y = np.repeat(ya[jb[some]], m) + within
    differs = np.zeros(len(within), bool)
    for cx, cy in zip(xcols, ycols, strict=True):
        differs |= cx[at_x] != cy[at_y]
    same[np.repeat(some, m)[differs]] = False
    return same


def _worst(z: Sanctioned, severity: tuple[str, ...]) -> np.ndarray:
    """Per person: 1 + the index in `severity` of their harshest action's kind (0: none)."""
    rank = {k: i + 1 for i, k in enumerate(severity)}
    of_spec = np.array([rank.get(str(spec[0]), 0) for spec in z.specs] + [0], np.int64)
    people = len(z.at) - 1
    worst = np.zeros(people, np.int64)
    if len(z.what):
        owner = np.repeat(np.arange(people), np.diff(z.at))
        np.maximum.at(worst, owner, of_spec[z.what])
    return worst


def _pairs_counted(x: np.ndarray, y: np.ndarray, names: tuple) -> Counter:
    """(names[x[k]], names[y[k]]) counted."""
    width = len(names)
    values, counts = np.unique(x.astype(np.int64) * width + y, return_counts=True)
    return Counter(
        {
            (names[v // width], names[v % width]): c
            for v, c in zip(values.tolist(), counts.tolist(), strict=True)
        }
    )


def _label(ev: ColumnarEvaluator, index: int) -> str:
    """A cycle's label (registration 1: a planned person's only)."""
    known = ev.cycle_cache.get(index)
    if known is None:
        c = ev.p.cycle
        day = _dt.date(index, c.start_month, c.start_day)
        known = ev.cycle_cache[index] = cycle_label(ev.p, day)
    return known[0]


class Snapshots:
    """A planned person's snapshot made from the columns, as compare/impact.py's
    `snapshot` makes it from the person's outcome (the differential tests hold the
    two equal): status; `reapply_from` (a date, "never" or None); each cycle's band
    (cycles that entered one) and total, by the cycle's label (registration 1: a
    planned person's only); the actions but `hidden` kinds, as (kind, start, end,
    site: none, the rounds take no roster); the sources of all of them."""

    def __init__(self, ev: ColumnarEvaluator, z: Sanctioned, make: Callable[..., Any], hidden):
        self.make = make
        s = ev.steps
        assert s is not None
        self.cyc_at, self.cyc_total = s.cyc_at.tolist(), s.cyc_total.tolist()
        self.cyc_index = s.cyc_index.tolist()
        self.band = z.cycle_tier.tolist()
        self.act_at, self.what = z.at.tolist(), z.what.tolist()
        self.start, self.end = z.start.tolist(), z.end.tolist()
        self.status, self.reapply = z.status.tolist(), z.reapply.tolist()
        self.ev = ev
        self.tier_ids = [t.id for t in ev.tiers]
        # per action spec: (kind, source, shown)
        self.specs = [(k, Source.parse(src), str(k) not in hidden) for k, _cite, src, *_ in z.specs]
        self.days: dict[int, str] = {}

    def day(self, o: int) -> str:
        text = self.days.get(o)
        if text is None:
            text = self.days[o] = _dt.date.fromordinal(o).isoformat()
        return text

    def __call__(self, i: int) -> Any:
        ev, band, total, index = self.ev, self.band, self.cyc_total, self.cyc_index
        tiers, deducted = [], []
        for r in range(self.cyc_at[i], self.cyc_at[i + 1]):
            label = _label(ev, index[r])
            if band[r] >= 0:
                tiers.append((label, self.tier_ids[band[r]]))
            deducted.append((label, total[r]))
        actions, sources = [], set()
        day, specs, what, start, end = self.day, self.specs, self.what, self.start, self.end
        for r in range(self.act_at[i], self.act_at[i + 1]):
            kind, source, shown = specs[what[r]]
            sources.add(source)
            if shown:
                actions.append((kind, day(start[r]), day(end[r]) if end[r] >= 0 else None, None))
        back = self.reapply[i]
        reapply = None if back == -1 else "never" if back == NEVER else self.day(back)
        return self.make(
            STATUS[self.status[i]],
            reapply,
            tuple(tiers),
            tuple(actions),
            tuple(deducted),
            frozenset(sources),
        )
