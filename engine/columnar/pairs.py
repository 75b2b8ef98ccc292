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
from engine.evaluation.outcome import ActionRec, CycleOut, PersonOutcome
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
    snap: Callable[[PersonOutcome], Any],
    nobody: Any,
    hidden: frozenset[str],
    severity: tuple[str, ...],
) -> tuple[Counted, Iterator[tuple[str, Any, Any]]]:
    """Both sides compared from the rounds' columns (columnar/sanctions.py), as
    compare/impact.py's `Snapshot` compares them: status, `reapply_from`, the band of
    each cycle and the actions (kind, start, end) but those of `hidden` kinds.

    A person both sides' rounds decide (`Sanctioned.ok`) is compared a column at a
    time, with no outcome made: counted (`Counted`) when nothing differs, else made
    from the columns on each side (`bare`) and given to `snap`. Everyone else
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
    sa, sb = action_specs(za), action_specs(zb)

    def pairs() -> Iterator[tuple[str, Any, Any]]:
        for code, k in zip(codes, at, strict=True):
            if k < 0:
                x = old(code) if has_a is None or code in has_a else nobody
                y = new(code) if has_b is None or code in has_b else nobody
                yield code, x, y
            elif not same_of[k]:
                yield code, snap(bare(a, za, sa, pi[k], code)), snap(bare(b, zb, sb, pj[k], code))

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


def bare(ev: ColumnarEvaluator, z: Sanctioned, specs: list, i: int, code: str) -> PersonOutcome:
    """A planned person's outcome from the columns, with what a comparison reads of it:
    status, `reapply_from`, cycles (label, band, total, violations) and actions
    (kind, dates, article, source: `action_specs`); no events, deadlines, facts or
    next band."""
    L = ev.lists
    cycles = []
    for r in range(L["cyc_at"][i], L["cyc_at"][i + 1]):
        index = L["cyc_index"][r]
        _label(ev, index)
        period, first, last = ev.cycle_cache[index]
        band = int(z.cycle_tier[r])
        cycles.append(
            CycleOut(
                period,
                first,
                last,
                L["cyc_total"][r],
                None,
                ev.tiers[band].id if band >= 0 else None,
                L["cyc_viol"][r],
                0,
                1,
            )
        )
    actions = []
    for r in range(int(z.at[i]), int(z.at[i + 1])):
        kind, cite, source = specs[int(z.what[r])]
        end = int(z.end[r])
        actions.append(
            ActionRec(
                kind,
                _dt.date.fromordinal(int(z.start[r])),
                None if end < 0 else _dt.date.fromordinal(end),
                cite,
                source,
            )
        )
    back = int(z.reapply[i])
    reapply = None if back == -1 else "never" if back == NEVER else _dt.date.fromordinal(back)
    return PersonOutcome(code, STATUS[int(z.status[i])], cycles, actions, reapply)


def action_specs(z: Sanctioned) -> list[tuple[str, str, Source]]:
    """The rounds' action specs as (kind, article, source), each source parsed once."""
    return [(k, c, Source.parse(s)) for k, c, s, *_ in z.specs]
