"""Stage "report": an `Outcome` as json | jsonl | csv | table.

JSON keeps one person (or institution) per line inside the document: the
shape other tools depend on, readable with `grep`. A person's line is assembled
from pieces encoded once and reused (`PersonJson`), byte for byte what the
standard `json` module gives for `PersonOutcome.as_dict()`. All formats are
deterministic: the same outcome gives the same bytes.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from engine.evaluation.outcome import (
    ActionRec,
    CycleOut,
    Outcome,
    PersonOutcome,
    PersonRow,
    json_text,
    next_band_dict,
    plain,
)

FORMATS = ("json", "jsonl", "csv", "table")


# The one JSON encoder of every report: `json.dumps(obj, ensure_ascii=False,
# separators=(", ", ": "))`, made once. json.dumps makes an encoder object on every
# call; a report makes few calls (its records are assembled from cached pieces, see
# PersonJson), so the public `JSONEncoder.encode` of one instance is fast enough: the
# C encoder that CPython's json builds inside it per call costs a few microseconds
# per dict or list, under 0.1 s on a million-event report (docs/performance.md).
# A str goes straight to the C string encoder inside `encode`.
_dump: Callable[[Any], str] = json_text  # (evaluation/outcome.py: the columnar path's too)


def render(outcome: Outcome, fmt: str) -> Iterator[str]:
    """The report as chunks of text, in order."""
    if fmt == "table":
        from engine.report.table import table

        yield table(outcome)
        return
    if fmt not in FORMATS:  # the CLI only offers FORMATS
        raise ValueError(f"unknown format {fmt}")
    yield from frame(outcome, fmt, [people_text(outcome.people, fmt)])


def people_text(people: list[PersonOutcome], fmt: str) -> str:
    """The people's part of a json, jsonl or csv report, for a run of people.

    Several runs make one report through `frame`.
    """
    if fmt == "json":
        return ",\n  ".join(map(_PERSON_JSON.person, people))
    if fmt == "jsonl":
        return "".join([_PERSON_JSON.person(p) + "\n" for p in people])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for p in people:
        base = [p.person, p.status, plain(p.reapply_from) or ""]
        nb = p.next_band
        # the person's next band, on each of their rows (as status is): at the end, so
        # that the columns before keep their places
        tail = ["", ""] if nb is None else [nb[0], plain(nb[1])]
        found = None if p.history is None else p.history["findings"]
        if found is not None:  # a history's: the person's versions on each row (as status)
            versions = "; ".join(p.history["versions"])
        if not p.cycles:
            row = base + ["", "", "", "", "", "", "", ""] + tail
            w.writerow(row if found is None else row + [versions, _findings(found)])
        # registration r began on the (r-1)-th reinstatement: a year's actions go to the
        # registration that was running on their day
        began = [a.start for a in p.actions if a.action == "reinstate"]
        for c in p.cycles:
            lo = max(c.start, began[c.registration - 2]) if c.registration > 1 else c.start
            hi = c.end
            if c.registration - 1 < len(began) and began[c.registration - 1] <= c.end:
                hi = min(hi, began[c.registration - 1] - _dt.timedelta(days=1))
            mine = [a for a in p.actions if a.start and lo <= a.start <= hi]
            acts = "; ".join(
                f"{a.action} {plain(a.start)}"
                + (f"..{plain(a.end)}" if a.end else "")
                + (" superseded" if "superseded_by" in a.extra else "")
                for a in mine
            )
            cites = "; ".join(a.cite or "" for a in mine)
            row = (
                base
                + [
                    c.period,
                    c.registration,
                    plain(c.deducted),
                    "" if c.score is None else plain(c.score),
                    c.tier or "",
                    c.violations,
                    acts,
                    cites,
                ]
                + tail
            )
            if found is not None:  # the findings decided in this cycle and registration
                lo_, hi_ = lo.isoformat(), hi.isoformat()
                row += [versions, _findings(f for f in found if lo_ <= f["date"] <= hi_)]
            w.writerow(row)
    return buf.getvalue()


def _findings(found: Iterable[dict]) -> str:
    """A history's findings in a CSV cell: `event version points basis` each (points `-`
    when not scored), `; ` between, as `actions` lists the actions."""
    return "; ".join(
        f"{f['event']} {f['version']} {'-' if f['points'] is None else plain(f['points'])} "
        f"{f['basis']}"
        for f in found
    )


INSTITUTION_CSV_COLUMNS = ["institution", "period", "staff", "sanctioned", "actions", "articles"]


def institutions_csv(outcome: Outcome) -> str:
    """The institutions of a CSV report, as a CSV of their own (one row per institution
    and period): what the staff's sanctions bring on each, with the article of each."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(INSTITUTION_CSV_COLUMNS)
    for i in outcome.institutions:
        acts = "; ".join(
            f"{a.action} {plain(a.start)}" + (f"..{plain(a.end)}" if a.end else "")
            for a in i.actions
        )
        w.writerow(
            [
                i.institution,
                i.period,
                i.staff,
                i.sanctioned,
                acts,
                "; ".join(a.cite or "" for a in i.actions),
            ]
        )
    return buf.getvalue()


class Finisher(Protocol):
    """What `people_runs` finishes people with: an evaluator after its fold
    (engine/evaluation/fold.py's Evaluator)."""

    def finish_person(self, code: str) -> tuple[PersonOutcome, Any]: ...

    def finish_row(self, code: str) -> PersonRow: ...


def people_runs(
    ev: Finisher, codes: list[str], fmt: str, progress: Callable[[int, str], None] | None = None
) -> Iterator[str]:
    """The people of `codes`, finished and rendered a batch at a time: each batch is
    let go once its text is made. JSON is written from `finish_row`'s plain tuples,
    byte for byte as from the outcomes (`PersonJson.row`)."""
    json_rows = fmt in ("json", "jsonl")
    row, finish, text = ev.finish_row, ev.finish_person, _PERSON_JSON.row
    # a run's text written by the evaluator itself, `text(row(code))` for the people it
    # does not write (the columnar path's planned people, engine/columnar/text.py: the
    # same bytes, from columns)
    direct = getattr(ev, "json_run", None)
    for start in range(0, len(codes), BATCH):
        chunk = codes[start : start + BATCH]
        if json_rows and direct is not None:
            if fmt == "json":
                yield direct(chunk, ",\n  ", lambda c: text(row(c)))
            else:
                yield direct(chunk, "\n", lambda c: text(row(c)), "\n")
        elif json_rows:
            texts = [text(row(code)) for code in chunk]
            yield ",\n  ".join(texts) if fmt == "json" else "\n".join(texts) + "\n"
        else:
            yield people_text([finish(code)[0] for code in chunk], fmt)
        if progress:
            progress(start + len(chunk), "people", len(codes))


BATCH = 2000  # people finished and rendered at a time


class PersonJson:
    """A person's record as JSON text, byte for byte `_dump(person.as_dict())`.

    Why not simply that: building a dict per person, cycle and fact and encoding
    it was about half the time of a large report, yet a province's records repeat
    the same few cycles (period, points, tier), facts and site lists over and over.
    Those parts are encoded once and reused; the parts that differ (the code,
    actions, re-applications) go through the encoder as before. The caches are
    bounded: past `LIMIT` entries a part is encoded without being kept.
    """

    LIMIT = 100_000

    def __init__(self) -> None:
        self.cycles: dict[CycleOut, str] = {}
        self.facts: dict[tuple, str] = {}
        self.sites: dict[tuple, str] = {}
        self.words: dict[str, str] = {}
        self.dates: dict[object, str] = {}
        self.values: dict[tuple, str] = {}
        self.heads: dict[tuple, str] = {}
        self.bands: dict[tuple, str] = {}  # next_band (tier, points) -> its JSON

    def person(self, p: PersonOutcome) -> str:
        return self.row(
            PersonRow(
                p.person,
                p.status,
                p.cycles,
                p.actions,
                p.reapply_from,
                p.reapplications,
                p.facts,
                p.institutions,
                p.next_band,
                p.proposed_status,
                p.history,
            )
        )

    def row(self, r: PersonRow) -> str:
        """A person's record from `Evaluator.finish_row`'s tuple (with, under a history,
        the person's versions and findings: HistoryEvaluator.finish_row)."""
        code, status, cycles, actions, reapply_from, reapplications, facts, sites, nb, pr, hist = r
        parts = ['{"person": ', _string(code), ', "status": ', self.word(status), ', "cycles": [']
        if cycles:
            parts.append(", ".join(map(self.cycle, cycles)))
        parts.append('], "actions": [')
        if actions:
            parts.append(", ".join(map(self.action, actions)))
        parts.append('], "reapply_from": ')
        parts.append("null" if reapply_from is None else _dump(plain(reapply_from)))
        parts.append(', "next_band": ')
        parts.append("null" if nb is None else self.next_band(nb))
        if reapplications:
            parts.append(', "reapplications": ')
            parts.append(_dump([{k: plain(v) for k, v in r.items()} for r in reapplications]))
        if facts:
            parts.append(', "facts": ')
            # keyed with each value's type: 1 == True, yet they print as 1 and true
            values = facts.values()
            key = (*facts, *map(type, values), *values)
            parts.append(self.cached(self.facts, key, _plain_dict, facts))
        if sites:
            parts.append(', "institutions": ')
            parts.append(self.cached(self.sites, tuple(sites), list, sites))
        if pr is not None:  # a computed status not in force (decisions.py)
            parts.append(', "proposed_status": ')
            parts.append(self.word(pr))
        if hist is not None:  # a history's `versions` and `findings`
            for k, v in hist.items():
                parts += (", ", self.word(k), ": ", _dump(v))
        parts.append("}")
        return "".join(parts)

    def action(self, a: ActionRec) -> str:
        """`_dump(a.as_dict())`, from cached words, dates and extra values."""
        word = self.word
        key = (a.action, a.start, a.end, a.cite, a.source)
        head = self.heads.get(key)
        if head is None:  # what many actions share: the same sanction on the same day
            head = "".join(
                [
                    '{"action": ',
                    word(a.action),
                    ', "start": ',
                    self.when(a.start),
                    ', "end": ',
                    self.when(a.end),
                    ', "cite": ',
                    word(a.cite),
                    ', "source": ',
                    word(a.source),
                    ', "events": [',
                ]
            )
            if len(self.heads) < self.LIMIT:
                self.heads[key] = head
        parts = [head, ", ".join(map(_string, a.events)), "]"]
        values = self.values
        for k, v in a.extra.items():  # inline, not through cached(): a few per action
            if isinstance(v, dict):  # keyed with its values' types, as facts are
                vv = v.values()
                key: tuple = (dict, *v, *map(type, vv), *vv)
            else:
                key = (type(v), v)
            try:
                text = values.get(key)
            except TypeError:  # an unhashable value (a list): encoded as it is
                text = key = None
            if text is None:
                text = _dump(_plain_dict(v) if isinstance(v, dict) else plain(v))
                if key is not None and len(values) < self.LIMIT:
                    values[key] = text
            parts += (", ", word(k), ": ", text)
        parts.append("}")
        return "".join(parts)

    def next_band(self, nb: tuple[str, Any]) -> str:
        text = self.bands.get(nb)
        if text is None:
            text = _dump(next_band_dict(nb))
            if len(self.bands) < self.LIMIT:
                self.bands[nb] = text
        return text

    def word(self, s: str) -> str:
        text = self.words.get(s)
        if text is None:
            text = _string(s)
            if len(self.words) < self.LIMIT:
                self.words[s] = text
        return text

    def when(self, d) -> str:
        if d is None:
            return "null"
        text = self.dates.get(d)
        if text is None:
            text = _dump(plain(d))
            if len(self.dates) < self.LIMIT:
                self.dates[d] = text
        return text

    def cycle(self, c: CycleOut) -> str:
        """`c.as_dict()` as JSON text, kept per distinct cycle."""
        text = self.cycles.get(c)
        if text is None:
            text = _dump(c.as_dict())
            if len(self.cycles) < self.LIMIT:
                self.cycles[c] = text
        return text

    def cached(self, cache: dict, key: tuple, make: Callable[[Any], Any], arg) -> str:
        """The text of `make(arg)`, kept under `key`."""
        try:
            text = cache.get(key)
        except TypeError:  # an unhashable fact value: encode it as it is
            return _dump(make(arg))
        if text is None:
            text = _dump(make(arg))
            if len(cache) < self.LIMIT:
                cache[key] = text
        return text


def _plain_dict(d: dict) -> dict:
    return {k: plain(v) for k, v in d.items()}


_PERSON_JSON = PersonJson()
_string = _dump  # a str as a JSON string


def frame(outcome: Outcome, fmt: str, people_runs: Iterable[str]) -> Iterator[str]:
    """A json, jsonl or csv report around runs of rendered people, taken lazily.

    The institutions are read only after the last run: a producer may fill them
    in as it finishes (api.report_files).
    """
    runs = (r for r in people_runs if r)
    if fmt == "jsonl":
        yield from runs
        for i in outcome.institutions:
            yield _dump(i.as_dict()) + "\n"
        for t in outcome.corrections:  # a correction's trail: its first key `correction`
            yield _dump(t.as_dict()) + "\n"
        return
    if fmt == "csv":
        # a history's two columns after the others: a single policy's CSV is unchanged
        extra = HISTORY_CSV_COLUMNS if outcome.versions is not None else []
        yield ",".join(CSV_COLUMNS + extra) + "\n"
        yield from runs
        return
    head = outcome.header()
    yield "{" + ", ".join(f"{_dump(k)}: {_dump(v)}" for k, v in head.items())
    if outcome.events_after_as_of:
        yield f', "events_after_as_of": {outcome.events_after_as_of}'
    if outcome.events_outside_effective:
        yield f', "events_outside_effective": {outcome.events_outside_effective}'
    yield ',\n "people": ['
    first = True
    for run in runs:
        yield "\n  " if first else ",\n  "
        yield run
        first = False
    yield ("]" if first else "\n ]") + ',\n "institutions": ['
    for n, i in enumerate(outcome.institutions):
        yield ("\n  " if n == 0 else ",\n  ") + _dump(i.as_dict())
    yield "\n ]" if outcome.institutions else "]"
    if outcome.corrections:  # only when the ledger has corrections: other reports unchanged
        yield ',\n "corrections": ['
        for n, t in enumerate(outcome.corrections):
            yield ("\n  " if n == 0 else ",\n  ") + _dump(t.as_dict())
        yield "\n ]"
    yield "}\n"


CSV_COLUMNS = [
    "person",
    "status",
    "reapply_from",
    "period",
    "registration",
    "deducted",
    "score",
    "tier",
    "violations",
    "actions",
    "articles",  # the article of each action, in the same order, `; ` between
    "next_band",  # the person's next band and how far it is, on each of their rows
    "next_band_points_away",
]
# under a regulation's history only: the versions that touched the person (on each of
# their rows) and the cycle's findings, each with the version that scored it and why
HISTORY_CSV_COLUMNS = ["versions", "findings"]
