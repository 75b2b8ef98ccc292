"""The merge: an `Evaluator` whose people are folded or assembled from columns.

`ColumnarEvaluator.fold_columns` does the vector work (steps.py) and folds only
the people routed to the fold, with the fold's own `fold_events`. Everyone
else's state is assembled from the columns when the report asks for the person
(`take`): their cycles' totals, then each step that may fire a band, in date
order, through the fold's own `advance` and `fire_bands` (and so its sanctions,
bans, deadlines and restoration), with the cycle record holding the values the
fold would hold at that step. Finishing a person (status, `reapply_from`, facts,
the next band) is the fold's `finish` and `finish_row`, unchanged: the two paths
differ only in how a state comes to be, and `codes` merges them in person order.
"""

from __future__ import annotations

import bisect
import datetime as _dt
from collections.abc import Callable

import numpy as np

from engine.columnar.columns import EventColumns
from engine.columnar.plan import Plan, compile_plan
from engine.columnar.sanctions import program, sanction
from engine.columnar.steps import Steps, compute
from engine.columnar.text import Records
from engine.errors import BadValue
from engine.evaluation.fold import Evaluator, PastLastDate, _needs_cycles, blame, person_reads
from engine.evaluation.state import CycleState, PersonState
from engine.ledger.rows import Ledger, Person
from engine.policy.model import Policy

QUIET_LIMIT = 4096  # rows kept for quiet people (finish_row): the common histories come first


def plan_for(policy: Policy) -> Plan:
    """The columnar plan of a policy (`Plan.refused` says why it has none)."""
    need = min((_needs_cycles(r.when.fn) for r in policy.rules), default=0)
    return compile_plan(policy, need)


class ColumnarEvaluator(Evaluator):
    """An evaluation of a ledger given as columns."""

    def __init__(
        self,
        policy: Policy,
        ledger: Ledger,
        as_of: _dt.date,
        plan: Plan,
        progress=None,
    ):
        super().__init__(policy, ledger, as_of, set(), progress)
        self.plan = plan
        self.steps: Steps | None = None
        self.cols: EventColumns | None = None
        self.mine: dict[str, int] = {}  # code -> person index, for the columnar people
        self.routed = 0  # how many people went to the fold
        # a quiet person's finished row, by their cycles (`finish_row`); None: not kept,
        # as a fact reads a person's code (or the person as a whole)
        self.quiet: dict[tuple, tuple] | None = {}
        for f in policy.facts:
            reads = person_reads(f.value)
            if reads is None or "code" in reads:
                self.quiet = None

    def fold_columns(self, cols: EventColumns) -> None:
        """The vector work, then the fold of the people routed to it."""
        self.cols = cols
        s = self.steps = compute(cols, self.plan, self)
        self.after, self.outside = s.after, s.outside
        routed = s.routed
        self.routed = int(np.count_nonzero(routed))
        if self.routed:
            live = cols.day <= self.as_of.toordinal()
            rows = np.flatnonzero(live & (cols.pid >= 0) & routed[np.maximum(cols.pid, 0)])
            rows = rows[np.argsort(cols.day[rows], kind="stable")]
            after, outside = self.after, self.outside
            self.fold_events(cols.events(rows))
            self.after, self.outside = after, outside  # counted once, over the whole ledger
        # what `assemble` and `finish_row` read, as Python ints (_Ints)
        self.lists = {
            name: _Ints(getattr(s, name))
            for name in (
                "cyc_index",
                "cyc_total",
                "cyc_viol",
                "cyc_max",
                "cyc_at",
                "fire_at",
                "fire_cycle",
                "fire_total",
                "fire_before",
                "fire_largest",
                "fire_viol",
                "fire_max",
            )
        }
        self.fire_events = _FireEvents(cols, s.fire_row)
        codes = cols.codes
        self.mine = {codes[i]: i for i in np.flatnonzero(s.present & ~routed).tolist()}
        self.records: Records | None | bool = False  # made when a record is first asked
        self.written: np.ndarray | None = None  # per person: a record from the columns

    def json_run(
        self, codes: list[str], sep: str, other: Callable[[str], str], end: str = ""
    ) -> str:
        """A run of a JSON report (`codes`, in code order) as its text, the records
        joined by `sep` and followed by `end`: the planned people's written from the
        columns (columnar/text.py), anyone else's by `other` (the fold's `finish_row`
        and writer), put in code order and joined by Arrow.

        Their sanctions are the rounds' (columnar/sanctions.py), run on the first call:
        a JSON report asks for every record, other reports and `diff --events` none."""
        import pyarrow as pa
        import pyarrow.compute as pc

        records = self.records
        if records is False:
            records = self.records = self.make_records()
        if records is None or records is True:
            return sep.join(map(other, codes)) + end
        at, mask = self._run_of(codes, records)
        taken = at[mask]
        if not len(taken):
            return sep.join(map(other, codes)) + end
        lo, hi = int(taken[0]), int(taken[-1]) + 1
        rest = np.flatnonzero(~mask)
        texts = [other(codes[k]) for k in rest.tolist()]
        lines = records.lines(lo, hi)
        if len(rest) or hi - lo != len(codes):  # (someone else's record among them)
            pick = np.empty(len(codes), np.int64)
            pick[mask] = taken - lo
            pick[rest] = (hi - lo) + np.arange(len(rest))
            lines = pa.concat_arrays([lines, pa.array(texts, pa.string())]).take(pa.array(pick))
        if end:  # (a last, empty record: `sep` after the last record)
            lines = pa.concat_arrays([lines, pa.array([""], pa.string())])
        one = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
        text = pc.binary_join(one, sep)[0].as_py()
        return text if not end or end == sep else text[: -len(sep)] + end

    def _run_of(self, codes: list[str], records: Records) -> tuple[np.ndarray, np.ndarray]:
        """Each code's index among the ledger's people, and whether its record is written
        from the columns: by position where the run is a stretch of the ledger's codes
        (without a roster, always), else code by code."""
        everyone = self.cols.codes if self.cols is not None else []
        if self.written is None:
            s = self.steps
            assert s is not None  # (records are made from the steps)
            self.written = s.present & ~s.routed & records.ok_array
        k = bisect.bisect_left(everyone, codes[0]) if codes else 0
        if everyone[k : k + len(codes)] == codes:
            return np.arange(k, k + len(codes)), self.written[k : k + len(codes)]
        mine, ok = self.mine, records.ok
        at = np.fromiter((mine.get(c, -1) for c in codes), np.int64, len(codes))
        return at, np.fromiter((i >= 0 and ok[i] for i in at.tolist()), bool, len(codes))

    def make_records(self) -> Records | None:
        s, cols = self.steps, self.cols
        if s is None or cols is None or self.quiet is None:  # (facts read the code)
            return None
        prog = program(self)
        if prog.refused is not None:
            return None
        try:
            z = sanction(s, prog, self, cols.deciding)
        except OverflowError:  # a date past 9999-12-31: each person's own fold names its event
            return None
        return Records(self, s, z, cols.codes, cols.ids)

    def codes(self) -> list[str]:
        """Everyone to report: the fold's, and the columnar people, in code order."""
        folded = super().codes()
        if not self.mine:
            return folded
        roster = self.ledger.roster or {}
        extra = [c for c in self.mine if c not in roster]
        return sorted(folded + extra) if extra else folded

    def finish_row(self, code: str) -> tuple:
        """As the fold's, and for a quiet person (planned, no band fired: their state
        is their cycles' totals and nothing else, off any roster) the row of the
        first person with the same cycles, under this person's code: half of a
        city's people are quiet, and most of them share a few dozen histories."""
        i = self.mine.get(code)
        quiet = self.quiet
        if i is None or quiet is None:
            return super().finish_row(code)
        L = self.lists
        if L["fire_at"][i] != L["fire_at"][i + 1]:
            return super().finish_row(code)
        lo, hi = L["cyc_at"][i], L["cyc_at"][i + 1]
        key = (
            *L["cyc_index"][lo:hi],
            *L["cyc_total"][lo:hi],
            *L["cyc_viol"][lo:hi],
            *L["cyc_max"][lo:hi],
        )
        row = quiet.get(key)
        if row is None:
            row = super().finish_row(code)
            if len(quiet) < QUIET_LIMIT:
                quiet[key] = row
            return row
        del self.mine[code]
        return (code, *row[1:])

    def take(self, code: str) -> PersonState:
        i = self.mine.pop(code, None)
        if i is None:
            return super().take(code)
        st = self.assemble(code, i)
        self.advance(st, self.as_of)
        return st

    def assemble(self, code: str, i: int) -> PersonState:
        """A columnar person's state as the fold would hold it after their last event."""
        s = self.steps
        assert s is not None
        person = (self.ledger.roster or {}).get(code) or Person(code, [], {}, "", 0)
        st = PersonState(code, person, None)
        L = self.lists
        lo, hi = L["cyc_at"][i], L["cyc_at"][i + 1]
        known, cycle_state, initial = self.cycle_cache, CycleState, self.initial
        records = st.records
        for index, total, viol, most in zip(
            L["cyc_index"][lo:hi],
            L["cyc_total"][lo:hi],
            L["cyc_viol"][lo:hi],
            L["cyc_max"][lo:hi],
            strict=True,
        ):
            label = known.get(index)
            if label is None:
                self.new_cycle(st, index, None)  # (fills the cycle cache)
                label = known[index]
            cyc = cycle_state(index, *label, initial, 1)
            cyc.deducted, cyc.violations, cyc.max_item_points = total, viol, most
            cyc.touched = True
            records.append(cyc)
        st.cycles = list(records)
        st.cycle = records[-1] if records else None
        lo, hi = L["fire_at"][i], L["fire_at"][i + 1]
        if lo == hi:
            return st
        by_index = {c.index: c for c in records}
        finals = [(c, c.deducted, c.violations, c.max_item_points) for c in records]
        events = self.fire_events.span(lo, hi)
        for k in range(lo, hi):
            cyc = by_index[L["fire_cycle"][k]]
            ev = events[k - lo]
            if st.suspension is not None:
                self.advance(st, ev.date)
            if st.status == "terminated":
                break  # nothing fires after a termination (no re-application here)
            cyc.deducted = L["fire_total"][k]
            cyc.violations, cyc.max_item_points = L["fire_viol"][k], L["fire_max"][k]
            st.cycle = cyc
            before = len(st.actions)
            try:  # as the fold's own loop (fold.py, `one`): a value of the input is its line
                self.fire_bands(st, cyc, ev, L["fire_before"][k], L["fire_largest"][k])
            except BadValue as exc:
                raise blame(ev, exc) from None
            except OverflowError:  # a date past 9999-12-31
                raise blame(ev, PastLastDate()) from None
            ids = s.step_ids.get(k)
            if ids is not None:  # a step of several findings (fold.Evaluator.step)
                for a in st.actions[before:]:
                    if a.source.startswith(("tier:", "rule:")) and a.events == [ev.id]:
                        a.events = list(ids)
        for c, total, viol, most in finals:
            c.deducted, c.violations, c.max_item_points = total, viol, most
        st.cycle = records[-1]
        return st


class _Ints:
    """A column of the steps read as Python ints, by index or slice: converted a
    piece at a time while few people are assembled (a JSON report assembles only
    those the rounds leave to the fold's code), whole once many are (other
    formats assemble everyone: one conversion, not one a person)."""

    LIMIT = 20_000  # reads before the whole column is converted

    def __init__(self, a: np.ndarray):
        self.a = a
        self.list: list | None = None
        self.reads = 0

    def __getitem__(self, k):
        if self.list is not None:
            return self.list[k]
        self.reads += 1
        if self.reads > self.LIMIT:
            self.list = self.a.tolist()
            return self.list[k]
        return self.a[k].tolist()


class _FireEvents:
    """The fired steps' events (their last findings), made as the people are
    assembled (in code order, so in the steps' order). Only those people need them:
    under a JSON report the few the rounds leave to the fold's code, each read
    alone; under other formats everyone, read a block at a time."""

    BLOCK = 4096  # steps read at once while the people come one after another

    def __init__(self, cols: EventColumns, rows: np.ndarray):
        self.cols, self.rows = cols, rows
        self.lo, self.hi = 0, 0
        self.block: list = []

    def span(self, lo: int, hi: int) -> list:
        """The events of the fired steps lo..hi-1."""
        if not (self.lo <= lo and hi <= self.hi):
            end = max(hi, lo + self.BLOCK) if lo == self.hi else hi
            self.lo, self.hi = lo, end
            self.block = self.cols.events(self.rows[lo:end])
        return self.block[lo - self.lo : hi - self.lo]
