"""A planned person's JSON record, written from the columns.

Input: the vector work's `Steps`, the rounds' `Sanctioned` and the evaluator (its
cycles' labels, next bands and facts); output: each person's record as the text
report/formats.py's `PersonJson.row` writes for the fold's finished person, byte
for byte (the differential test, tests/test_columnar.py, holds them equal in
every format).

Why: finishing a person into a tuple of records and encoding it piece by piece
was half of a planned run. Here nothing is made per person but the line itself:
the pieces are texts made once per distinct value (a cycle's totals and band, a
date, an action's head, its deadlines, a next band) and joined.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

import numpy as np

from engine.columnar.sanctions import NEVER, S_TERMINATED, STATUS, Sanctioned
from engine.columnar.steps import Steps
from engine.evaluation.fold import cycle_label
from engine.evaluation.outcome import ActionRec, CycleOut, json_text, next_band_dict, plain
from engine.evaluation.state import PersonState
from engine.ledger.rows import Person


class Records:
    """The planned people's records, one text each (`text(person index)`)."""

    def __init__(self, ev: Any, s: Steps, z: Sanctioned, codes: list[str], ids) -> None:
        self.ev, self.s, self.z, self.codes = ev, s, z, codes
        p = ev.p
        self.dates: dict[int, str] = {}
        # each cycle row's text, made once per distinct (cycle, total, violations, band)
        key = np.stack([s.cyc_index, s.cyc_total, s.cyc_viol, z.cycle_tier], axis=1)
        if len(key):
            distinct, inverse = np.unique(key, axis=0, return_inverse=True)
        else:
            distinct, inverse = np.zeros((0, 4), np.int64), np.zeros(0, np.int64)
        initial = ev.initial
        tiers = ev.tiers
        texts, self.last = [], []
        for index, total, viol, band in distinct.tolist():
            period, start, end = self.label(index)
            tier = tiers[band].id if band >= 0 else None
            score = None if initial is None else initial - total
            c = CycleOut(period, start, end, total, score, tier, viol, 0, 1)
            texts.append(json_text(c.as_dict()))
            self.last.append((period, total, tier))
        self.cycle_text = [texts[i] for i in inverse.reshape(-1).tolist()]
        self.cycle_key = inverse.reshape(-1).tolist()
        self.cyc_at = s.cyc_at.tolist()
        # the fired steps' events, as the actions name them
        rows = s.fire_row
        fired = ids.take(rows) if hasattr(ids, "take") else [ids[r] for r in rows.tolist()]
        self.fire_last = [json_text(x) for x in fired]
        self.fire_step = {k: ", ".join(map(json_text, v)) for k, v in s.step_ids.items()}
        # per action row
        self.at = z.at.tolist()
        self.start, self.end = z.start.tolist(), z.end.tolist()
        self.fire, self.last_only = z.fire.tolist(), z.last_only.tolist()
        self.deadlines = z.deadlines.tolist()
        self.extra_text: dict[int, str] = {}
        self.heads: dict[tuple, str] = {}
        self.dl: dict[tuple, str] = {}
        self.status = z.status.tolist()
        self.reapply = z.reapply.tolist()
        self.ok = z.ok
        self.bands: dict[tuple, str] = {}
        # the facts: the same for every planned person (evaluator.quiet says so)
        facts = ev.settle(PersonState("", Person("", [], {}, "", 0), None))[3]
        self.facts = (
            ', "facts": ' + json_text({k: plain(v) for k, v in facts.items()}) if p.facts else ""
        )

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

    def text(self, i: int) -> str:
        """Person i's record."""
        code = self.codes[i]
        status = self.status[i]
        lo, hi = self.cyc_at[i], self.cyc_at[i + 1]
        parts = [
            '{"person": ',
            json_text(code),
            ', "status": "',
            STATUS[status],
            '", "cycles": [',
            ", ".join(self.cycle_text[lo:hi]),
            '], "actions": [',
        ]
        a, b = self.at[i], self.at[i + 1]
        if a < b:
            parts.append(", ".join([self.action(r) for r in range(a, b)]))
        r = self.reapply[i]
        parts.append('], "reapply_from": ')
        parts.append("null" if r == -1 else '"never"' if r == NEVER else self.date(r))
        parts.append(', "next_band": ')
        if status == S_TERMINATED or hi == lo:
            nb = "null" if status == S_TERMINATED else self.next_band(STATUS[status], None)
        else:
            nb = self.next_band(STATUS[status], self.last[self.cycle_key[hi - 1]])
        parts.append(nb)
        parts.append(self.facts)
        parts.append("}")
        return "".join(parts)

    def next_band(self, status: str, last: tuple | None) -> str:
        key = (status, last)
        t = self.bands.get(key)
        if t is None:
            nb = self.ev.outlook.next_band(status, last)
            t = self.bands[key] = "null" if nb is None else json_text(next_band_dict(nb.pair))
        return t

    def action(self, r: int) -> str:
        z = self.z
        kind, cite, source = z.kind[r], z.cite[r], z.source[r]
        start, end = self.start[r], self.end[r]
        key = (kind, start, end, cite, source)
        head = self.heads.get(key)
        if head is None:
            head = self.heads[key] = "".join(
                [
                    '{"action": ',
                    json_text(kind),
                    ', "start": ',
                    self.date(start),
                    ', "end": ',
                    "null" if end < 0 else self.date(end),
                    ', "cite": ',
                    json_text(cite),
                    ', "source": ',
                    json_text(source),
                    ', "events": [',
                ]
            )
        f = self.fire[r]
        if f < 0:
            events = ""
        elif self.last_only[r]:
            events = self.fire_last[f]
        else:
            events = self.fire_step.get(f) or self.fire_last[f]
        extra = z.extra[r]
        et = self.extra_text.get(id(extra))
        if et is None:
            et = self.extra_text[id(extra)] = "".join(
                f", {json_text(k)}: {json_text(plain(v))}" for k, v in extra.items()
            )
        parts = [head, events, "]", et]
        if self.deadlines[r]:
            parts.append(self.deadline(kind, start))
        by = z.replaced_by[r]
        if by is not None:
            parts.append(', "replaced_by": ' + json_text(by))
        parts.append("}")
        return "".join(parts)

    def deadline(self, kind: str, start: int) -> str:
        key = (kind, start)
        t = self.dl.get(key)
        if t is None:
            rec = ActionRec(kind, _dt.date.fromordinal(start), None, "", "")  # type: ignore[arg-type]
            found, exact = self.ev.deadlines.attach(rec, rec.start)
            t = ""
            if found:
                t = ', "deadlines": ' + json_text({k: plain(v) for k, v in found.items()})
                if not exact:
                    t += ', "deadlines_approximate": true'
            self.dl[key] = t
        return t
