"""The planned people's JSON records, written from the columns.

Input: the vector work's `Steps`, the rounds' `Sanctioned` and the evaluator (its
cycles' labels, next bands, deadlines and facts); output: each person's record as
the text report/formats.py's `PersonJson.row` writes for the fold's finished
person, byte for byte (the differential test, tests/test_columnar.py, holds them
equal).

Why: finishing a person into a tuple of records and encoding it piece by piece
was half of a planned run. Here Python makes only the texts of distinct values
(a cycle's totals and band, an action's head, what follows its events, a status
with its `reapply_from` and next band), once each; Arrow joins them into each
person's line a block of people at a time (`lines`): an action's text from its
pieces, a person's actions and cycles each into one list, the line from those.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from engine.columnar import vector
from engine.columnar.sanctions import NEVER, S_TERMINATED, STATUS, Sanctioned
from engine.columnar.steps import Steps
from engine.evaluation.fold import cycle_label
from engine.evaluation.outcome import ActionRec, CycleOut, json_text, next_band_dict, plain
from engine.evaluation.state import PersonState
from engine.ledger.rows import Person


class Records:
    """The planned people's records: `lines(lo, hi)`, those of people lo..hi-1."""

    def __init__(self, ev: Any, s: Steps, z: Sanctioned, codes: list[str], ids) -> None:
        import pyarrow as pa

        self.codes = codes
        self.ok_array = z.ok
        self.ok = z.ok.tolist()
        self.dates: dict[int, str] = {}
        self.deadlines: dict[tuple[str, int], str] = {}
        self.ev = ev
        n = len(codes)

        # cycles: a text per distinct (cycle, total, violations, band)
        key = np.stack([s.cyc_index, s.cyc_total, s.cyc_viol, z.cycle_tier], axis=1)
        distinct, inverse = _unique_rows(key, 4)
        initial, tiers = ev.initial, ev.tiers
        texts, last = [], []
        for index, total, viol, band in distinct.tolist():
            period, start, end = self.label(index)
            tier = tiers[band].id if band >= 0 else None
            score = None if initial is None else initial - total
            texts.append(
                json_text(CycleOut(period, start, end, total, score, tier, viol, 0, 1).as_dict())
            )
            last.append((period, total, tier))
        self.cycle_texts = pa.array(texts, pa.string())
        self.cycle_of = inverse
        self.cyc_at = s.cyc_at

        # actions: head (kind, start, end, article, source) + events + what follows
        specs = z.specs
        key = np.stack([z.what, z.start, z.end], axis=1)
        distinct, self.head_of = _unique_rows(key, 3)
        first = ['{"action": ' + json_text(sp[0]) + ', "start": ' for sp in specs]
        then = [', "cite": ' + json_text(sp[1]) + ', "source": ' + json_text(sp[2]) for sp in specs]
        date = self.date
        heads = [
            first[what]
            + date(start)
            + ', "end": '
            + ("null" if end < 0 else date(end))
            + then[what]
            + ', "events": ['
            for what, start, end in distinct.tolist()
        ]
        self.heads = pa.array(heads, pa.string())
        counted = np.array([bool(sp[4]) for sp in specs] + [False], bool)[z.what]
        key = np.stack([z.what, np.where(counted, z.start, -1), z.replaced], axis=1)
        distinct, self.tail_of = _unique_rows(key, 3)
        extras: dict[int, str] = {}
        tails = []
        for what, start, replaced in distinct.tolist():
            kind, _cite, _source, extra, deadlines = specs[what]
            et = extras.get(what)
            if et is None:
                et = extras[what] = "".join(
                    f", {json_text(k)}: {json_text(plain(v))}" for k, v in extra.items()
                )
            t = "]" + et
            if deadlines:
                t += self.deadline(kind, start)
            if replaced >= 0:
                t += ', "replaced_by": ' + json_text(z.sources[replaced])
            tails.append(t + "}")
        self.tails = pa.array(tails, pa.string())
        # the events: the fired step's findings (a ban: its last), none (a restoration)
        rows = s.fire_row
        if hasattr(ids, "texts"):  # (read.py's ids: taken by Arrow)
            fired = ids.texts(rows)
        else:
            fired = pa.array([ids[r] for r in rows.tolist()], pa.string())
        last_text = vector.json_strings(fired)
        several = np.fromiter(s.step_ids, np.int64, len(s.step_ids))
        step_text = vector.replaced(
            last_text, several, [", ".join(map(json_text, v)) for v in s.step_ids.values()]
        )
        nf = len(last_text)
        self.events = pa.concat_arrays([step_text, last_text, pa.array([""], pa.string())])
        self.event_of = np.where(z.fire < 0, 2 * nf, np.where(z.last_only, nf + z.fire, z.fire))
        self.act_at = z.at

        # what follows the actions: reapply_from, the next band, the facts
        facts = ev.settle(PersonState("", Person("", [], {}, "", 0), None))[3]
        facts_text = (
            ', "facts": ' + json_text({k: plain(v) for k, v in facts.items()}) if ev.p.facts else ""
        )
        ends = s.cyc_at[1:]
        has = ends > s.cyc_at[:-1]
        last_of = np.where(has, inverse[np.maximum(ends - 1, 0)] if len(inverse) else -1, -1)
        key = np.stack([z.status.astype(np.int64), z.reapply, last_of], axis=1)
        distinct, self.end_of = _unique_rows(key, 3)
        pieces: list[tuple[str, str, str]] = []
        for status, reapply, lastc in distinct.tolist():
            word = STATUS[status]
            r = "null" if reapply == -1 else '"never"' if reapply == NEVER else self.date(reapply)
            if status == S_TERMINATED:
                nb = "null"
            else:
                found = ev.outlook.next_band(word, last[lastc] if lastc >= 0 else None)
                nb = "null" if found is None else json_text(next_band_dict(found.pair))
            pieces.append(
                (
                    f'"{word}", "cycles": [',
                    '], "actions": [',
                    f'], "reapply_from": {r}, "next_band": {nb}{facts_text}}}',
                )
            )
        # a person's line: '{"person": ', the code, then these three around the cycles
        # and the actions
        self.around = [pa.array([t[k] for t in pieces], pa.string()) for k in range(3)]
        self.code_texts = vector.json_strings(pa.array(codes, pa.string()))
        assert len(self.end_of) == n

    def label(self, index: int) -> tuple[str, _dt.date, _dt.date]:
        known = self.ev.cycle_cache.get(index)
        if known is None:
            c = self.ev.p.cycle
            known = cycle_label(self.ev.p, _dt.date(index, c.start_month, c.start_day))
            self.ev.cycle_cache[index] = known
        return known

    def date(self, o: int) -> str:
        t = self.dates.get(o)
        if t is None:
            t = self.dates[o] = '"' + _dt.date.fromordinal(o).isoformat() + '"'
        return t

    def deadline(self, kind: str, start: int) -> str:
        """The deadlines an action of `kind` starting on `start` carries, as text (once
        per kind and date: several tiers' actions, and what replaced them, share it)."""
        t = self.deadlines.get((kind, start))
        if t is not None:
            return t
        rec = ActionRec(kind, _dt.date.fromordinal(start), None, "", "")  # type: ignore[arg-type]
        found, exact = self.ev.deadlines.attach(rec, rec.start)
        t = ""
        if found:
            t = ', "deadlines": ' + json_text({k: plain(v) for k, v in found.items()})
            t += ', "deadlines_approximate": true' if not exact else ""
        self.deadlines[(kind, start)] = t
        return t

    def lines(self, lo: int, hi: int) -> Any:
        """The records of people lo..hi-1, an Arrow array of texts (a person the rounds
        did not take: garbage)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        join = pc.binary_join_element_wise
        c0, c1 = int(self.cyc_at[lo]), int(self.cyc_at[hi])
        cycles = pc.binary_join(
            pa.ListArray.from_arrays(
                pa.array(self.cyc_at[lo : hi + 1] - c0, pa.int32()),
                self.cycle_texts.take(pa.array(self.cycle_of[c0:c1])),
            ),
            ", ",
        )
        a0, a1 = int(self.act_at[lo]), int(self.act_at[hi])
        rows = join(
            self.heads.take(pa.array(self.head_of[a0:a1])),
            self.events.take(pa.array(self.event_of[a0:a1])),
            self.tails.take(pa.array(self.tail_of[a0:a1])),
            "",
        )
        actions = pc.binary_join(
            pa.ListArray.from_arrays(pa.array(self.act_at[lo : hi + 1] - a0, pa.int32()), rows),
            ", ",
        )
        pick = pa.array(self.end_of[lo:hi])
        before, between, after = (a.take(pick) for a in self.around)
        codes = self.code_texts.slice(lo, hi - lo)
        return join(
            '{"person": ', codes, ', "status": ', before, cycles, between, actions, after, ""
        )


def _unique_rows(key: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of an integer table, and each row's index among them: each
    column ranked, the ranks made one number (np.unique over rows sorts them as
    bytes, ten times slower)."""
    if not len(key):
        return np.zeros((0, width), np.int64), np.zeros(0, np.int64)
    code = np.zeros(len(key), np.int64)
    values, size = [], 1
    for k in range(width):
        column = key[:, k]
        low = int(column.min())
        v, rank = vector.distinct(column - low, int(column.max()) - low + 1)
        v += low
        size *= len(v)
        if size >= 2**62:  # (not for any ledger's dates and totals)
            rows, inverse = np.unique(key, axis=0, return_inverse=True)
            return rows, inverse.reshape(-1)
        code = code * len(v) + rank
        values.append(v)
    codes, inverse = vector.distinct(code, size)
    columns = []
    for v in reversed(values):
        codes, rank = np.divmod(codes, len(v))
        columns.append(v[rank])
    return np.stack(columns[::-1], axis=1), inverse.reshape(-1)
