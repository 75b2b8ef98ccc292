"""The vector work: steps, totals per cycle, bands, and who goes to the fold.

Input: a ledger's `EventColumns`, the policy's `Plan` and the evaluator (whose
points, bands and cycles this reads, so there is one definition of each);
output: `Steps`, which says who is routed to the fold, and for everyone else
their cycles' totals and the steps that fire a band. All of it is whole-column
NumPy over the ledger; Python runs once per distinct value (an item list, a
total, a cycle), never per event.

What the fold does for a person with findings only (docs/semantics.md), and how
it is computed here:

- A finding counts its act's points: the highest item (or the sum, `combine`),
  the same for every finding listing the same codes, so one value per item list
  (`Points.of`, the fold's own), or per item list and amount for an item whose
  points are an expression of the amount.
- A person's findings of one date are one step (fold.Evaluator.step): the
  step's points add up, its largest act is the one a ban reads, and its last
  finding (by id, one deciding a length last) is the one the band's action
  names; a row per (person, date), sorted.
- A cycle's total after each step is the running sum of its steps' points,
  capped (`cycle.cap`): with points never negative, capping each sum as the
  fold does equals capping the running sum.
- A band fires at a step when the total's band is harsher than every band of
  the cycle's earlier steps (a band fires at most once, never after a harsher
  one), and only while the person is not terminated: the evaluator decides the
  fired steps through the fold's own `fire_bands`, in order.

Routed to the fold (`routed`), by what the data holds: any event other than a
finding (re-applications, credits; institution events are the caller's), an
item with effects of its own, an inspection counting its highest finding only,
points that are not whole or that the item's expression cannot give from the
amount alone (or gives an error for: the fold reports it), and a history rule
that holds at the end of one of the person's cycles (or, for a rule that is not
compiled, a person with cycles enough for it).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.columnar.columns import VIOLATION, EventColumns
from engine.columnar.plan import Plan
from engine.ledger.rows import Event, Person
from engine.policy.model import Item

EPOCH = _dt.date(1970, 1, 1).toordinal()
_NOBODY = Person("", [], {}, "", 0)


@dataclass
class Steps:
    """What the vector work found."""

    after: int  # events dated after the as-of date (left out)
    outside: int  # events outside the policy's effective period
    present: np.ndarray  # bool per person: has an event the fold would fold
    routed: np.ndarray  # bool per person: goes to the fold
    # the columnar people's cycles: person, cycle index, final total, violations,
    # largest act, sorted by person then cycle; `cyc_at[p]:cyc_at[p+1]` are p's
    cyc_pid: np.ndarray
    cyc_index: np.ndarray
    cyc_total: np.ndarray
    cyc_viol: np.ndarray
    cyc_max: np.ndarray
    cyc_at: np.ndarray
    # the steps that may fire a band, sorted by person then date: `fire_at[p]:...`
    fire_pid: np.ndarray
    fire_day: np.ndarray
    fire_cycle: np.ndarray
    fire_total: np.ndarray  # the cycle's total after the step
    fire_before: np.ndarray  # ... before it
    fire_largest: np.ndarray  # the step's largest act
    fire_viol: np.ndarray  # the cycle's violations after the step
    fire_max: np.ndarray  # the cycle's largest act after the step
    fire_row: np.ndarray  # the step's last finding (its row)
    fire_at: np.ndarray
    step_ids: dict[int, list[str]]  # a fired step of several findings: its ids in order
    fire_band: np.ndarray  # the band the step enters (an index into the policy's tiers)


def compute(cols: EventColumns, plan: Plan, ev: Any) -> Steps:
    """The vector work for a whole ledger (`ev`: the fold.Evaluator that will finish
    everyone)."""
    p = plan.policy
    n_people = len(cols.codes)
    day, pid, kind = cols.day, cols.pid, cols.kind
    as_of = ev.as_of.toordinal()
    lo = _dt.date.fromisoformat(p.effective_from).toordinal()
    hi = _dt.date.fromisoformat(p.effective_to).toordinal() if p.effective_to else None
    live = day <= as_of
    after = int(len(day) - np.count_nonzero(live))
    out = (day < lo) if hi is None else ((day < lo) | (day > hi))
    outside = int(np.count_nonzero(live & out))
    person = live & (pid >= 0)
    present = np.bincount(pid[person], minlength=n_people) > 0

    route = np.zeros(n_people, bool)
    _mark(route, pid[person & (kind != VIOLATION)])
    finding = person & (kind == VIOLATION)
    if p.combine.same_inspection == "highest":
        _mark(route, pid[finding & cols.inspection])

    # ---- points of each act: one value per item list (or per list and amount) ----
    rows = np.flatnonzero(finding)
    keys = cols.key[rows]
    n_keys = len(cols.keys)
    used = np.zeros(n_keys, bool)
    used[keys] = True
    key_pts = np.zeros(n_keys, np.int64)
    key_viol = np.zeros(n_keys, np.int64)
    key_route = np.zeros(n_keys, bool)  # an item with effects, points not whole
    per_value = []  # item lists whose points read the amount or the decided points
    for k in np.flatnonzero(used).tolist():
        codes = cols.keys[k]
        act = ev.points.plan(codes)
        key_viol[k] = int(act.violation)
        if act.effects:
            key_route[k] = True
            continue
        items = [p.items[c] for c in codes]
        if all(i.points_kind == "fixed" for i in items):
            value = ev.points.of(_stub(codes, None, None), _NOBODY).points
            if type(value) is not int:
                key_route[k] = True
            else:
                key_pts[k] = value
            continue
        if not all(_amount_only(i) for i in items):
            key_route[k] = True
            continue
        per_value.append(k)
    _mark(route, pid[rows[key_route[keys]]])
    pts = key_pts[cols.key]  # (read at findings only)
    viol = key_viol[cols.key]
    for k in per_value:
        _per_value(cols, ev, cols.keys[k], rows[keys == k], pts, route)
    del keys

    # ---- steps: one row per (person, date) of the people not routed ----
    keep = finding & ~route[np.maximum(pid, 0)]
    rows = np.flatnonzero(keep)
    order = _by_person_and_date(pid[rows], day[rows])
    rows = rows[order]
    s_pid, s_day = pid[rows], day[rows]
    new = np.ones(len(rows), bool)
    new[1:] = (s_pid[1:] != s_pid[:-1]) | (s_day[1:] != s_day[:-1])
    starts = np.flatnonzero(new)
    if len(rows):
        step_sum = np.add.reduceat(pts[rows], starts)
        step_viol = np.add.reduceat(viol[rows], starts)
        step_max = np.maximum.reduceat(pts[rows], starts)
    else:
        step_sum = step_viol = step_max = np.zeros(0, np.int64)
    st_pid, st_day = s_pid[starts], s_day[starts]
    sizes = np.diff(np.append(starts, len(rows)))
    last = rows[starts + sizes - 1]  # one finding: itself; several: decided below
    st_cycle = cycle_index(st_day, p.cycle.start_month, p.cycle.start_day)

    # ---- totals per cycle, bands, fires ----
    first = np.ones(len(starts), bool)
    first[1:] = (st_pid[1:] != st_pid[:-1]) | (st_cycle[1:] != st_cycle[:-1])
    total = _segmented_cumsum(step_sum, first)
    if plan.cap is not None:
        np.minimum(total, plan.cap, out=total)
    before = np.where(first, 0, np.roll(total, 1))
    cum_viol = _segmented_cumsum(step_viol, first)
    cum_max = _segmented_cummax(step_max, first)
    band = _bands(total, ev)
    shift = np.roll(band, 1)
    shift[first] = -1
    earlier = _segmented_cummax(shift, first) if len(shift) else shift
    fire = band > earlier

    # ---- cycles (final per person and cycle) ----
    ends = np.flatnonzero(np.append(first[1:], True)) if len(first) else np.zeros(0, np.int64)
    c_pid, c_index = st_pid[ends], st_cycle[ends]
    c_total, c_viol, c_max = total[ends], cum_viol[ends], cum_max[ends]

    # ---- history rules: route whoever a rule can hold for ----
    if p.rules:
        # (unless a band terminates them before: nothing fires after a termination)
        ends_it = [
            t.clause is None and any(a.kind == "terminate" for a in t.then) for t in ev.tiers
        ]
        kills = fire & np.append(np.asarray(ends_it, bool), False)[band]
        ended = np.full(n_people, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(ended, st_pid[kills], st_day[kills].astype(np.int64))
        starts_of = (
            {
                i: _dt.date(i, p.cycle.start_month, p.cycle.start_day).toordinal()
                for i in range(int(st_cycle.min()), int(st_cycle.max()) + 2)
            }
            if len(st_cycle)
            else {}
        )
        _route_rules(plan, c_pid, c_index, c_total, c_viol, c_max, route, ended, starts_of)

    # ---- what the columnar people keep ----
    mine = ~route[c_pid]
    c_pid, c_index, c_total, c_viol, c_max = (
        a[mine] for a in (c_pid, c_index, c_total, c_viol, c_max)
    )
    f = fire & ~route[st_pid]
    fired = np.flatnonzero(f)
    step_ids: dict[int, list[str]] = {}
    for s in fired[sizes[fired] > 1].tolist():
        ids, rows_of = _step_order(cols, rows[starts[s] : starts[s] + sizes[s]])
        step_ids[s] = ids
        last[s] = rows_of[-1]
    fire_pid = st_pid[fired]
    return Steps(
        after,
        outside,
        present,
        route & present,
        c_pid,
        c_index,
        c_total,
        c_viol,
        c_max,
        np.searchsorted(c_pid, np.arange(n_people + 1)),
        fire_pid,
        st_day[fired],
        st_cycle[fired],
        total[fired],
        before[fired],
        step_max[fired],
        cum_viol[fired],
        cum_max[fired],
        last[fired],
        np.searchsorted(fire_pid, np.arange(n_people + 1)),
        {int(np.searchsorted(fired, s)): ids for s, ids in step_ids.items()},
        band[fired],
    )


# ---- pieces -------------------------------------------------------------------------------


def _mark(route: np.ndarray, pids: np.ndarray) -> None:
    route[pids[pids >= 0]] = True


def _stub(codes: tuple[str, ...], amount, points) -> Event:
    """An event with only what an act's points read (codes, amount, decided points)."""
    return Event("", "", None, "violation", codes, None, None, amount, points, None, {}, "", 0, 0)


def _amount_only(item: Item) -> bool:
    """An item whose points the event's amount (or decided points) alone decide."""
    if item.points_kind != "computed":
        return True
    e = item.expr
    return e is not None and e.names <= {"amount"} and not e.attrs


def _per_value(cols: EventColumns, ev: Any, codes, at: np.ndarray, pts, route) -> None:
    """Points of the acts listing `codes` that read their amount or decided points:
    computed once per distinct (amount, points); a value that is not a whole number,
    or an error (the fold reports it at its line), routes the person."""
    amounts = cols.amount
    decided = cols.points
    memo: dict[tuple, int | None] = {}
    bad = []
    for r in at.tolist():
        a = amounts[r] if amounts is not None else None
        d = decided[r] if decided is not None else None
        k = (type(a), a, type(d), d)
        v = memo.get(k, memo)
        if v is memo:
            try:
                v = ev.points.of(_stub(codes, a, d), _NOBODY).points
            except Exception:  # noqa: BLE001 - the fold says what is wrong, at the line
                v = None
            if type(v) is not int:
                v = None
            memo[k] = v
        if v is None:
            bad.append(r)
        else:
            pts[r] = v
    if bad:
        _mark(route, cols.pid[np.array(bad, np.int64)])


def _step_order(cols: EventColumns, rows: np.ndarray) -> tuple[list[str], list[int]]:
    """A step's findings in the fold's order (fold._STEP_ORDER): by id, one deciding
    a length last."""
    rs = sorted(rows.tolist(), key=lambda r: (bool(cols.deciding[r]), cols.ids[r]))
    return [cols.ids[r] for r in rs], rs


def _by_person_and_date(pid: np.ndarray, day: np.ndarray, room: int = 63) -> np.ndarray:
    """The order of rows by person, then date, then place (file order within a day).

    One number a row, (person, date) above the row's place, sorted by NumPy's
    unstable sort (its vectorised one: twice a stable argsort's speed on 10M rows)
    and the places read back from the low bits: every number differs, so the order
    is the stable one. Where the three do not fit in `room` bits, a stable argsort."""
    n = len(pid)
    if not n:
        return np.zeros(0, np.int64)
    d0 = int(day.min())
    span = int(day.max()) - d0 + 1
    key = pid.astype(np.int64) * span + (day - d0)
    bits = max(n - 1, 1).bit_length()
    if (int(key.max()) + 1).bit_length() + bits > room:
        return np.argsort(key, kind="stable")
    key <<= bits
    key |= np.arange(n, dtype=np.int64)
    key.sort()
    key &= (1 << bits) - 1
    return key


def cycle_index(day: np.ndarray, month: int, first: int) -> np.ndarray:
    """The cycle (the year it starts in) of each date, for cycles from (month, day):
    worked out once per day of the ledger's span, then looked up."""
    if not len(day):
        return np.zeros(0, np.int64)
    lo, hi = int(day.min()), int(day.max())
    if hi - lo > len(day):
        return _cycle_index(day, month, first)
    return _cycle_index(np.arange(lo, hi + 1), month, first)[day - lo]


def _cycle_index(day: np.ndarray, month: int, first: int) -> np.ndarray:
    d = (day.astype(np.int64) - EPOCH).astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    if (month, first) == (1, 1):
        return year
    m = d.astype("datetime64[M]")
    mon = m.astype(np.int64) % 12 + 1
    dom = (d - m.astype("datetime64[D]")).astype(np.int64) + 1
    early = (mon < month) | ((mon == month) & (dom < first))
    return year - early


def _segmented_cumsum(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    c = np.cumsum(values)
    base = np.where(first, c - values, 0)
    return c - np.maximum.accumulate(base) if len(c) else c


def _segmented_cummax(values: np.ndarray, first: np.ndarray) -> np.ndarray:
    """Running max within each segment (`first` marks starts); values >= -1."""
    if not len(values):
        return values.copy()
    seg = np.cumsum(first) - 1
    span = int(values.max()) + 2
    lifted = values.astype(np.int64) + 1 + seg * span
    return np.maximum.accumulate(lifted) - seg * span - 1


def _bands(total: np.ndarray, ev: Any) -> np.ndarray:
    """The band index (-1: none) of each total, asked of the evaluator once per
    distinct total."""
    if not len(total):
        return np.zeros(0, np.int64)
    lo, hi = int(total.min()), int(total.max())
    if hi - lo <= 4096:  # (a cap keeps totals small: a table, no sort)
        seen = np.zeros(hi - lo + 1, bool)
        seen[total - lo] = True
        table = np.full(hi - lo + 1, -1, np.int64)
        for v in np.flatnonzero(seen).tolist():
            table[v] = _band_of(ev, v + lo)
        return table[total - lo]
    values, inverse = np.unique(total, return_inverse=True)
    found = [_band_of(ev, int(v)) for v in values.tolist()]
    return np.array(found, np.int64)[inverse.reshape(-1)]


def _band_of(ev: Any, total: int) -> int:
    from engine.evaluation.state import CycleState

    cyc = CycleState(0, "", None, None, ev.initial, 1)  # type: ignore[arg-type]
    cyc.deducted = total
    return ev.band_index(cyc, None, _PROBE)


class _Probe:
    person = _NOBODY


_PROBE = _Probe()


def _route_rules(
    plan: Plan, c_pid, c_index, c_total, c_viol, c_max, route, ended, starts_of
) -> None:
    """Route each person a history rule may hold for: on the grid of their cycles
    from the first to each (a year without findings a cycle of 0), the compiled
    rules at each cycle's end; a rule not compiled routes whoever has cycles
    enough for it.

    Not routed: a person a band terminates (`ended`: the day, per person) before the
    first cycle at whose end a compiled rule holds (`starts_of`: each cycle's first
    day). A rule that can only become true as a cycle's points grow is false at
    every finding before that cycle, and after a termination no rule is asked."""
    if not len(c_pid):
        return
    first = np.ones(len(c_pid), bool)
    first[1:] = c_pid[1:] != c_pid[:-1]
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(c_pid)) - 1
    lo = c_index[starts]
    span = c_index[ends] - lo + 1
    owners = c_pid[starts]
    need = plan.rules_need
    if plan.uncompiled_rules:
        _mark(route, owners[span >= max(need, 1)])
        if all(r is None for r in plan.rules):
            return
    cand = span >= max(need, 1)
    if not cand.any():
        return
    # the grid: every cycle of each candidate from their first to their last
    o, l0, sp = owners[cand], lo[cand], span[cand]
    g_owner = np.repeat(o, sp)
    offs = np.repeat(np.cumsum(sp) - sp, sp)
    g_index = np.repeat(l0, sp) + (np.arange(len(g_owner)) - offs)
    g_start = np.zeros(len(g_owner), bool)
    g_start[np.cumsum(sp) - sp] = True
    # each candidate cycle's values, 0 in a year without findings
    base = int(c_index.min())
    known = c_pid.astype(np.int64) * 100_000 + (c_index - base)
    wanted = g_owner.astype(np.int64) * 100_000 + (g_index - base)
    pos = np.minimum(np.searchsorted(known, wanted), len(known) - 1)
    has = known[pos] == wanted
    pos = np.where(has, pos, -1)
    deducted = np.where(has, c_total[np.maximum(pos, 0)], 0)
    initial = plan.initial
    grid = {
        "deducted": deducted,
        "score": (initial - deducted) if initial is not None else -deducted,
        "violations": np.where(has, c_viol[np.maximum(pos, 0)], 0),
        "max_item_points": np.where(has, c_max[np.maximum(pos, 0)], 0),
        "_run_start": g_start,
    }
    nth = np.arange(len(g_owner)) - offs + 1  # how many cycles the list holds there
    holds = np.zeros(len(g_owner), bool)
    for rule in plan.rules:
        if rule is not None:
            holds |= rule(grid) & (nth >= need)
    at = np.flatnonzero(holds)  # (by owner, then cycle: each owner's first is first)
    owner, first = np.unique(g_owner[at], return_index=True)
    begins = np.array([starts_of[i] for i in g_index[at[first]].tolist()], np.int64)
    _mark(route, owner[ended[owner] >= begins])
