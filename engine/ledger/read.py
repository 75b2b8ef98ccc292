"""Stage "read": events and roster files -> typed rows, each with its file and line.

A ledger is what an analyst has: a spreadsheet of inspection findings (one row
per act) and, optionally, a roster of practitioners (one row per practice
site). This module turns them into `Event` and `Person` objects the evaluator
can trust, or refuses with every problem it found (up to a limit), each as a
`Diagnostic` pointing at `file:line`. Reading the file itself (formats,
encodings, the header, line numbers) is `tables.py`'s; this module gives the
cells their meaning:

- cells of the columns the engine reads are stripped; every other column goes
  to `attrs`, empty values left out; blank rows are skipped;
- every event is checked against the policy it will be evaluated under:
  item codes exist (with a "did you mean" hint), range items have their decided
  `points` inside the range, items computed from the fund loss have `amount`,
  institution events name an institution and no person, ids are unique.

`read_events`/`read_ledger` return the events sorted by date, stable by file
order within a date; `EventStream`/`stream_ledger` yield them in file order as
they are read, for a fold that does not hold the ledger.

Speed matters (a city-year is a million rows). The hot loop works on the
table's rows as lists of strings, maps the header to indexes once, and caches
what repeats: dates, institution and inspection codes (interned), and the
checks of each `(type, items)` pair, so a plain row costs a few
small-dictionary look-ups and one object; only rows with `points`, `amount`,
`end`, a problem or an item that needs a value take the slower, fully checked
path. Event ids are checked for duplicates once, by a set, at the end (not
even that when every id is greater than the one before it). The
garbage collector is paused while rows are built (it would otherwise walk the
growing list again and again) and restored afterwards (see `tables.bulk`).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import chain, islice
from operator import attrgetter, itemgetter
from types import MappingProxyType
from typing import Any

from engine.calendar import parse_date
from engine.errors import Diagnostic, LedgerError, Span, closest
from engine.ledger.tables import MAX_CELL as MAX_CELL  # re-exported: callers read `ledger.MAX_CELL`
from engine.ledger.tables import Problems, Stop, Table, bulk, display, open_table, rereadable
from engine.numbers import number_text as _n  # 3, 1.5, 2/3 in messages
from engine.policy.model import Item, Policy

EVENT_TYPES = ("violation", "reapply", "credit", "institution_suspended", "institution_terminated")
INSTITUTION_TYPES = frozenset({"institution_suspended", "institution_terminated"})

# The columns the engine reads, in the order the hot loop unpacks them.
FIELDS = (
    "id",
    "person",
    "date",
    "type",
    "items",
    "institution",
    "inspection",
    "amount",
    "points",
    "end",
)
REQUIRED_EVENT_COLUMNS = ("date", "person")
REQUIRED_ROSTER_COLUMNS = ("person", "institution")

MAX_ROWS = 10_000_000  # data rows in one file

_DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_DECIMAL = re.compile(r"[0-9]+(?:\.([0-9]+))?\Z")
_LOOSE_DATE = re.compile(r"([0-9]{4})\s*[/.年-]\s*([0-9]{1,2})\s*[/.月-]\s*([0-9]{1,2})\s*日?\Z")
_CACHE_MAX = 200_000


class Event:
    """One ledger row: a finding, a re-application, a credit or an institution event."""

    __slots__ = (
        "id",
        "person",
        "date",
        "type",
        "items",
        "institution",
        "inspection",
        "amount",
        "points",
        "end",
        "attrs",
        "file",
        "line",
        "seq",
    )

    def __init__(
        self,
        id,
        person,
        date,
        type,
        items,
        institution,
        inspection,
        amount,
        points,
        end,
        attrs,
        file,
        line,
        seq,
    ):
        self.id = id
        self.person = person
        self.date = date
        self.type = type
        self.items = items
        self.institution = institution
        self.inspection = inspection
        self.amount = amount
        self.points = points
        self.end = end
        self.attrs = attrs
        self.file = file
        self.line = line
        self.seq = seq

    def __repr__(self) -> str:
        return (
            f"Event({self.id!r}, {self.type}, person={self.person!r}, date={self.date}, "
            f"items={self.items!r}, at={self.file}:{self.line})"
        )


@dataclass(slots=True)
class Person:
    """One practitioner on the roster, with every site they practise at."""

    person: str
    institutions: list[str]
    attrs: dict[str, str]
    file: str
    line: int


@dataclass
class Ledger:
    """What the evaluator reads: the events in date order, and who works where."""

    events: list[Event]
    roster: dict[str, Person] | None
    staff: dict[str, list[str]]
    _codes: list[str] | None = field(default=None, repr=False, compare=False)

    def roster_codes(self) -> list[str]:
        """The roster's codes in order, sorted once (the roster is not changed after
        it is read)."""
        if self._codes is None:
            self._codes = sorted(self.roster or ())
        return self._codes


# ---- values --------------------------------------------------------------------------------


def _decimal(text: str):
    """Decimal text -> int or Fraction (whole values as int); None if not a plain decimal."""
    if text.isdigit() and text.isascii():
        return int(text)
    if _DECIMAL.match(text) is None:
        return None
    value = Fraction(text)
    return value.numerator if value.denominator == 1 else value


def _hint_date(text: str) -> str:
    m = _LOOSE_DATE.match(text)
    if m:
        with contextlib.suppress(ValueError):
            d = _dt.date(int(m[1]), int(m[2]), int(m[3]))
            return f"write it as `{d.isoformat()}`"
    return "write dates as YYYY-MM-DD, e.g. `2024-03-29`"


def _listing(codes) -> str:
    codes = sorted(codes)
    if len(codes) > 12:
        return ", ".join(codes[:12]) + f", ... ({len(codes)} in all)"
    return ", ".join(codes)


# ---- events --------------------------------------------------------------------------------


class _Profile:
    """What a `(type, items)` pair means under the policy, worked out once."""

    __slots__ = (
        "type",
        "items",
        "errors",
        "points_items",
        "ranges",
        "amount_item",
        "institution",
        "slow",
    )

    def __init__(self, type_, items, errors, points_items, ranges, amount_item, institution):
        self.type = type_
        self.items = items
        self.errors = errors
        self.points_items = points_items
        self.ranges = ranges
        self.amount_item = amount_item
        self.institution = institution
        self.slow = bool(errors or points_items or amount_item or institution)


class _EventReader:
    def __init__(
        self,
        policy: Policy,
        problems: Problems,
        staff: dict[str, list[str]] | None,
        roster: str | None,
        reread: Reread | None,
        check_institutions: bool = True,
    ):
        self.policy = policy
        self.problems = problems
        # institution events name an institution with staff on the roster (checked
        # unless the roster itself could not be read)
        self.staff, self.roster = staff, roster
        self.check_institutions = check_institutions
        self.institution_problems: list[Diagnostic] = []
        # (pivot, low): read only the rows of people whose code is below the pivot (low)
        # or not below it, and of no person (an institution's); see engine/workers.py
        self.part: tuple[str, bool] | None = None
        self.unit = policy.scale.unit
        self.numbers: dict[str, object] = {}
        self.count = 0  # rows read
        self.last_line = 0
        self.ids = SeenIds(reread)  # the ids the file gives, checked at the end

    # -- (type, items) ---------------------------------------------------------------------
    def profile(self, type_text: str, items_text: str) -> _Profile:
        policy = self.policy
        errors: list[tuple[str, str, str | None]] = []
        raw_type = type_text.strip()
        etype = raw_type.lower() or "violation"
        parts = [c.strip() for c in items_text.split("|")] if items_text.strip() else []
        codes = tuple(dict.fromkeys(c for c in parts if c))
        if etype not in EVENT_TYPES:
            near = closest(etype, EVENT_TYPES)
            hint = (
                (f"did you mean `{near}`? " if near else "")
                + "types are "
                + ", ".join(EVENT_TYPES)
                + " (empty means violation)"
            )
            errors.append(("type", f"unknown event type `{raw_type}`", hint))
            return _Profile(None, codes, tuple(errors), (), (), None, False)
        if "" in parts:
            errors.append(
                (
                    "item",
                    f"`items` has an empty code: `{items_text.strip()}`",
                    "separate codes with a single `|`, e.g. `A1|B2`",
                )
            )
        repeated = sorted({c for c in parts if c and parts.count(c) > 1})
        for code in repeated:
            errors.append(
                (
                    "item",
                    f"item `{code}` is listed twice in one event",
                    "list each code once; several acts are several rows",
                )
            )
        resolved: list[Item] = []
        if etype in ("violation", "credit"):
            own, other = (
                (policy.items, policy.credits)
                if etype == "violation"
                else (policy.credits, policy.items)
            )
            what = "item" if etype == "violation" else "credit"
            if not codes:
                errors.append(
                    (
                        "item",
                        f"a `{etype}` event needs at least one {what} code in `items`",
                        f"e.g. `{_listing(own).split(',')[0]}`" if own else None,
                    )
                )
            for code in codes:
                item = own.get(code)
                if item is not None:
                    resolved.append(item)
                elif code in other:
                    if etype == "violation":
                        errors.append(
                            (
                                "item",
                                f"`{code}` is a credit, not a violation item",
                                "use type `credit`",
                            )
                        )
                    else:
                        errors.append(
                            (
                                "item",
                                f"`{code}` is a violation item, not a credit",
                                "use type `violation`, or a code from the policy's `credits`",
                            )
                        )
                elif etype == "credit" and not own:
                    errors.append(
                        (
                            "item",
                            f"unknown credit code `{code}`",
                            f"policy `{policy.id}` defines no credits",
                        )
                    )
                else:
                    near = closest(code, own)
                    hint = (
                        f"did you mean `{near}`?"
                        if near
                        else f"policy `{policy.id}` has {what}s {_listing(own)}"
                    )
                    errors.append(("item", f"unknown {what} code `{code}`", hint))
        elif codes:
            errors.append(("item", f"a `{etype}` event lists no items", "leave `items` empty"))
        points_items = tuple(it for it in resolved if "points" in it.needs)
        ranges = tuple(it for it in resolved if it.points_kind == "range")
        amount_item = next((it for it in resolved if "amount" in it.needs), None)
        return _Profile(
            etype,
            codes,
            tuple(errors),
            points_items,
            ranges,
            amount_item,
            etype in INSTITUTION_TYPES,
        )

    # -- cells -----------------------------------------------------------------------------
    def date(self, text: str, line: int, code: str, name: str):
        problems = self.problems
        s = text.strip()
        if not s:
            problems.add(code, f"`{name}` is empty", line, "write dates as YYYY-MM-DD")
            return None
        if _DATE_FORM.match(s) is None:
            problems.add(
                code, f"{name} `{s}` is not a date in YYYY-MM-DD form", line, _hint_date(s)
            )
            return None
        try:
            return parse_date(s)
        except ValueError:
            problems.add(
                code, f"{name} `{s}` is not a real date", line, "check the month and the day"
            )
            return None

    def number(self, text: str, line: int, name: str):
        """A decided `points` or an `amount`; None after reporting a problem."""
        value = self.numbers.get(name + text)
        if value is not None:
            return value
        s = text.strip()
        value = _decimal(s)
        problems = self.problems
        if value is None:
            bare = s.replace(",", "").replace("，", "")
            if s.startswith("-") and _decimal(s[1:]) is not None:
                problems.add(name, f"{name} `{s}` must not be negative", line)
            elif bare != s and _decimal(bare) is not None:
                problems.add(
                    name, f"{name} `{s}` has a thousands separator", line, f"write it as `{bare}`"
                )
            else:
                example = "`12500` or `12500.50`" if name == "amount" else "`2` or `1.5`"
                problems.add(
                    name,
                    f"{name} `{s}` is not a number",
                    line,
                    f"write a plain decimal such as {example}",
                )
            return None
        if name == "amount":
            m = _DECIMAL.match(s)
            if m and m.group(1) and len(m.group(1)) > 2:
                problems.add(
                    "amount",
                    f"amount `{s}` has more than 2 decimal places",
                    line,
                    "amounts are in yuan, to the fen (0.01)",
                )
                return None
        if len(self.numbers) < _CACHE_MAX:
            self.numbers[name + text] = value
        return value

    # -- the checks a plain row does not need ------------------------------------------------
    def slow(
        self,
        prof: _Profile,
        person: str,
        institution,
        date,
        points_s: str,
        amount_s: str,
        end_s: str,
        line: int,
        items_s: str,
    ):
        """Check what depends on the row beyond its (type, items); returns
        (ok, amount, points, end)."""
        problems = self.problems
        before = len(problems.items)
        points_s, amount_s, end_s = points_s.strip(), amount_s.strip(), end_s.strip()
        for code, message, hint in prof.errors:
            problems.add(code, message, line, hint)
        etype = prof.type
        amount = points = end = None
        if etype is None:  # unknown type: nothing else can be judged
            return False, None, None, None
        if points_s:
            points = self.number(points_s, line, "points")
            if points is not None:
                if not prof.points_items:
                    where = (
                        f"no item in `{items_s.strip()}` takes a decided value"
                        if prof.items
                        else f"a `{etype}` event takes no points"
                    )
                    problems.add(
                        "points",
                        f"points `{points_s}` given, but {where}",
                        line,
                        "only range items (`points: {min, max}`) read `points`; leave it empty",
                    )
                else:
                    for it in prof.ranges:
                        if not it.low <= points <= it.high:
                            problems.add(
                                "points",
                                f"points `{_n(points)}` is outside item "
                                f"`{it.code}`'s range: {_n(it.low)} to {_n(it.high)} "
                                f"points per {it.cite}",
                                line,
                                f"give a value from {_n(it.low)} to {_n(it.high)}",
                            )
                    if self.unit and points % self.unit:
                        problems.add(
                            "points",
                            f"points `{_n(points)}` is not a whole "
                            f"multiple of the policy's unit {_n(self.unit)}",
                            line,
                        )
        elif prof.points_items:
            it = prof.points_items[0]
            if it.points_kind == "range":
                message = (
                    f"item `{it.code}` takes {_n(it.low)} to {_n(it.high)} points: "
                    "give the decided value in `points`"
                )
            else:
                message = f"item `{it.code}` computes its points from `points`: give it"
            problems.add("points", message, line, f"see {it.cite}")
        if amount_s:
            amount = self.number(amount_s, line, "amount")
        elif prof.amount_item is not None:
            it = prof.amount_item
            computes = it.expr is not None and (
                "amount" in it.expr.names or ("event", "amount") in it.expr.attrs
            )
            verb = "computes its points" if computes else "decides an effect"
            problems.add(
                "amount",
                f"item `{it.code}` {verb} from `amount`",
                line,
                "give the fund loss in yuan in `amount`",
            )
        if end_s:
            if etype != "institution_suspended":
                problems.add(
                    "end",
                    f"`end` is only used by `institution_suspended` events, not `{etype}`",
                    line,
                    "leave it empty",
                )
            else:
                end = self.date(end_s, line, "end", "end")
                if end is not None and date is not None and end < date:
                    problems.add("end", f"end `{end}` is before the event's date `{date}`", line)
        if prof.institution:
            if person:
                problems.add(
                    "person",
                    f"an `{etype}` event concerns an institution: leave "
                    f"`person` empty, not `{person}`",
                    line,
                    "its staff come from the roster",
                )
            if not institution:
                problems.add(
                    "institution",
                    f"an `{etype}` event needs `institution`",
                    line,
                    "give the institution's code as on the roster",
                )
        elif not person:
            problems.add(
                "person", f"a `{etype}` event needs `person`", line, "give the practitioner's code"
            )
        return len(problems.items) == before, amount, points, end

    # -- the loop --------------------------------------------------------------------------
    def read(self, table: Table) -> list[Event]:
        """Every valid row as an event, sorted by (date, file order); raises on problems."""
        events = list(self.rows(table))
        self.close(table)
        events.sort(key=_BY_DATE)
        return events

    def close(self, table: Table) -> None:
        """After `rows` is exhausted: the checks that need every row, then raise what was
        found."""
        problems = self.problems
        twice = self.ids.duplicates()
        if twice:
            _duplicate_ids(twice, problems)
        if self.ids.made_like:
            first = (table.header_line or 1) + 1
            given = self.ids.given_at(
                {
                    int(n)
                    for _, eid in self.ids.made_like
                    if (n := eid[len(problems.file) + 1 :]).isdigit()
                }
            )
            for line, eid in self.ids.made_like:
                n = eid[len(problems.file) + 1 :]
                if n.isdigit() and first <= int(n) <= self.last_line and int(n) not in given:
                    problems.add(
                        "duplicate-id",
                        f"event id `{eid}` is the id line {n} gets, which gives none",
                        line,
                        "give every row an id, or choose ids of another form",
                    )
        problems.raise_if_any()
        if not self.count:
            raise problems.fail(
                "empty", "the file has a header but no rows", table.header_line or 1
            )
        if self.institution_problems:
            raise LedgerError(self.institution_problems)

    def institution_event(self, ev: Event) -> None:
        """An institution's own event applies to its staff: there must be a roster that
        lists them."""
        found = self.institution_problems
        if not self.check_institutions or len(found) >= 50:
            return
        if self.staff is None:
            if not found:
                found.append(
                    Diagnostic(
                        "roster",
                        "institution events need a roster",
                        Span(ev.file, ev.line),
                        f"`{ev.type}` of `{ev.institution}` applies to its staff: give the "
                        "roster (person, institution) that lists them",
                    )
                )
        elif ev.institution not in self.staff:
            near = closest(ev.institution, self.staff)
            found.append(
                Diagnostic(
                    "roster",
                    f"institution `{ev.institution}` has nobody on the roster",
                    Span(ev.file, ev.line),
                    f"did you mean `{near}`?"
                    if near
                    else f"the roster `{display(self.roster or '')}` lists its staff by "
                    "`institution`",
                )
            )

    def rows(self, table: Table) -> Iterator[Event]:
        """Each valid row as an event, in file order; problems are collected, not raised
        (`close` raises them)."""
        problems = self.problems
        file = table.file
        header = table.header
        index = _columns(table, REQUIRED_EVENT_COLUMNS, problems)
        width = len(header)
        pad = any(f not in index for f in FIELDS)  # absent fields read the appended ""
        get = itemgetter(*(index.get(f, width) for f in FIELDS))
        extra = tuple((name, i) for i, name in enumerate(header) if name not in FIELDS)
        has_id = "id" in index
        max_rows = MAX_ROWS
        if table.count is not None and table.count > max_rows:
            raise problems.fail(
                "format",
                f"the file has more than {max_rows:,} rows",
                table.header_line or 1,
                "split it by year",
            )

        new = object.__new__
        dates: dict[str, _dt.date] = {}
        profiles: dict[str, dict[str, _Profile]] = {}
        places: dict[str, str | None] = {"": None}
        inspections: dict[str, str | None] = {}
        # ids given in the file, checked for duplicates at the end: a set is far
        # cheaper than a million dict look-ups in the loop
        given, key = self.ids.values.append, self.ids.key
        given_at = self.ids.lines.append if self.ids.lines is not None else None
        last_type: str | None = None
        by_items: dict[str, _Profile] = {}
        count = 0
        made_prefix = f"{file}:"
        made = table.colons  # whether an id may look like `file:line` at all
        line = 0
        part = self.part
        pivot, low = part if part is not None else ("", True)
        at_person = index["person"]
        at_id = index.get("id", width)
        increasing, last_id = True, ""  # SeenIds.increasing
        for line, row in table.rows:
            if len(row) != width and (not row or not _fit(row, width, line, problems)):
                continue
            if pad:
                row.append("")
            eid = row[at_id].strip() if has_id else ""
            if eid and increasing:  # every row's, both parts' of a split fold alike
                if eid > last_id:
                    last_id = eid
                else:
                    increasing = False
            if (
                part is not None and (who := row[at_person].strip()) and (who < pivot) is not low
            ):  # not in_part(who, part), without the call
                # another process's person (EventStream.part): only counted. Its id is
                # that process's to note; the two parts' ids are compared after
                # (workers.py, SeenIds.meets), unless every id is greater than the last
                count += 1
                continue
            (_, person_s, date_s, type_s, items_s, place_s, insp_s, amount_s, points_s, end_s) = (
                get(row)
            )

            try:
                date = dates[date_s]
            except KeyError:
                if not any(c.strip() for c in row):
                    continue  # a blank row
                date = self.date(date_s, line, "date", "date")
                if date is not None and len(dates) < _CACHE_MAX:
                    dates[date_s] = date
            count += 1
            if count > max_rows:
                self.count = count
                problems.add(
                    "format", f"the file has more than {max_rows:,} rows", line, "split it by year"
                )
                raise Stop
            if type_s != last_type:
                try:
                    by_items = profiles[type_s]
                except KeyError:
                    by_items = profiles[type_s] = {}
                last_type = type_s
            try:
                prof = by_items[items_s]
            except KeyError:
                prof = by_items[items_s] = self.profile(type_s, items_s)
            # Not interned through a dict: measured on a million rows, the look-up cost a
            # quarter of the read time and made grouping by person slower, not faster (a
            # row's own string sits next to its event in memory; a shared one does not).
            person = person_s.strip()
            try:
                place = places[place_s]
            except KeyError:
                place = place_s.strip() or None
                place = places[place_s] = places.setdefault(place, place) if place else None
            if insp_s:
                try:
                    inspection = inspections[insp_s]
                except KeyError:
                    inspection = inspections[insp_s] = insp_s.strip() or None
            else:
                inspection = None

            if eid:
                if person or low:  # a row both parts read (no person): the low part's id
                    given(key(eid))
                    if given_at is not None:
                        given_at(line)
                if made and eid.startswith(made_prefix):  # `events.csv:12`: a made id
                    self.ids.made_like.append((line, eid))
            else:
                eid = f"{file}:{line}"

            if prof.slow or points_s or amount_s or end_s or not person or date is None:
                ok, amount, points, end = self.slow(
                    prof, person, place, date, points_s, amount_s, end_s, line, items_s
                )
                if not ok or date is None:
                    continue
                e = Event(
                    eid,
                    person,
                    date,
                    prof.type,
                    prof.items,
                    place,
                    inspection,
                    amount,
                    points,
                    end,
                    {name: v for name, i in extra if (v := row[i].strip())},
                    file,
                    line,
                    count - 1,
                )
                if prof.type in INSTITUTION_TYPES:
                    self.institution_event(e)
                yield e
            elif extra:
                yield (
                    Event(
                        eid,
                        person,
                        date,
                        prof.type,
                        prof.items,
                        place,
                        inspection,
                        None,
                        None,
                        None,
                        {name: v for name, i in extra if (v := row[i].strip())},
                        file,
                        line,
                        count - 1,
                    )
                )
            else:
                # The common row, built without a call to __init__ (about 40 % faster).
                e = new(Event)
                e.id = eid
                e.person = person
                e.date = date
                e.type = prof.type
                e.items = prof.items
                e.institution = place
                e.inspection = inspection
                e.amount = e.points = e.end = None
                e.attrs = _NO_ATTRS
                e.file = file
                e.line = line
                e.seq = count - 1
                yield e
        self.count = count
        self.last_line = line
        self.ids.increasing = increasing


_BY_DATE = attrgetter("date")
_NO_ATTRS: Mapping[str, str] = MappingProxyType({})  # shared by every row with no extra column


class SeenIds:
    """The event ids a file gives, for the duplicate check at the end.

    Given a way to read the file again (`reread`), only each id's 64-bit hash is
    kept, 8 bytes a row, rather than a million strings held for the whole run:
    when hashes meet, the file is read again for the rows whose ids have those
    hashes, and their ids are compared as text, so unequal ids never count as
    duplicates. Without one (standard input cannot be read twice) the ids
    themselves are kept, with their lines.
    """

    def __init__(self, reread: Reread | None):
        self.reread = reread
        self.key: Callable[[str], Any] = hash if reread is not None else str
        self.values: array | list = array("q") if reread is not None else []
        self.lines = array("q") if reread is None else None  # each id's line (stdin only)
        self.made_like: list[tuple[int, str]] = []  # (line, id) of ids like `file:line`
        # Whether every id the file gives is greater than the one given before it, in
        # file order, as text: then none is given twice, and neither check below needs
        # its set (a quarter of a second and 70 MB for a million ids). Ledgers are
        # commonly numbered so (E0000001, E0000002, ...). A split fold's parts each see
        # every row's id (EventStream.part), so both reach the same answer. Set by the
        # reader once it has read every row.
        self.increasing = False

    def meets(self, other: array) -> bool:
        """Whether any of another part's ids (their hashes, `values`) is one of these."""
        if self.increasing:
            return False
        return not set(self.values).isdisjoint(other)

    def duplicates(self) -> list[tuple[int, str]]:
        """(line, id) of the rows whose ids may be given twice, in file order: exactly
        those rows without `reread`; with it, every row whose id's hash is given twice
        (the caller compares the ids themselves)."""
        values = self.values
        if self.increasing or len(set(values)) == len(values):
            return []
        seen: set = set()
        twice = set()
        for v in values:
            if v in seen:
                twice.add(v)
            seen.add(v)
        if self.reread is not None:
            return self.reread.hashed(twice)
        assert self.lines is not None
        return [(self.lines[i], v) for i, v in enumerate(values) if v in twice]

    def given_at(self, lines: set[int]) -> set[int]:
        """Which of these lines give an id."""
        if self.reread is not None:
            return set(self.reread.at_lines(lines))
        return lines.intersection(self.lines or ())


class Reread:
    """A file's ids read again, for the checks at the end (not standard input): only
    from the rows the reader read (a row with more cells than the header has
    columns is reported, not read)."""

    def __init__(self, path: str, encoding: str | None, problems: Problems):
        self.path, self.encoding = path, encoding
        self.problems = problems  # the reader's

    def _ids(self) -> Iterator[tuple[int, str]]:
        # The rows' own problems (a cell too long) were reported by the first reading:
        # this one's are kept apart. It can only fail where the first did not if the
        # file changed since, which is then the reader's problem.
        again = Problems(self.problems.file, self.problems.limit)
        try:
            table = open_table(self.path, self.encoding, again)
            at, width = table.header.index("id"), len(table.header)
            for line, row in table.rows:
                if len(row) > width and any(c.strip() for c in row[width:]):
                    continue
                if at < len(row) and (eid := row[at].strip()):
                    yield line, eid
        except (Stop, LedgerError, ValueError):  # (ValueError: no `id` column any more)
            why = next((d for d in again.items if d.code in ("io", "encoding")), None)
            if why is not None:
                self.problems.fail(why.code, why.message, hint=why.hint)
            else:
                self.problems.fail(
                    "io",
                    f"`{self.path}` changed while it was being read",
                    hint="run again once nothing is writing to it",
                )
            raise Stop from None

    def at_lines(self, lines: set[int]) -> dict[int, str]:
        """The ids given at these lines (a line that gives none is left out)."""
        return {line: eid for line, eid in self._ids() if line in lines}

    def hashed(self, hashes: set[int]) -> list[tuple[int, str]]:
        """(line, id) of every row whose id has one of these hashes, in file order."""
        return [(line, eid) for line, eid in self._ids() if hash(eid) in hashes]


def _reread_ids(path: str, encoding: str | None, problems: Problems) -> Reread | None:
    """How to read the ids of a file again (None for standard input, a pipe, a FIFO)."""
    return Reread(path, encoding, problems) if rereadable(path) else None


def _duplicate_ids(given: list[tuple[int, str]], problems: Problems) -> None:
    """Report every id used more than once, at each later use, pointing at the first
    (`given`: (line, id) of each id the file gives, in file order)."""
    first: dict[str, int] = {}
    for line, eid in given:
        at = first.setdefault(eid, line)
        if at != line:
            problems.add(
                "duplicate-id", f"event id `{eid}` is used twice", line, f"first at line {at}"
            )


def _columns(table: Table, required, problems: Problems) -> dict[str, int]:
    """Each header name's position; a missing required column is a `column` error."""
    index = {name: i for i, name in enumerate(table.header)}
    missing = [c for c in required if c not in index]
    if missing:
        _missing_columns(missing, table.header, table, problems)
    return index


def _fit(row: list[str], width: int, line: int, problems: Problems) -> bool:
    """Make a row as wide as the header: pad a short one, trim empty trailing cells;
    False (and a `format` error) when it has more filled cells than columns."""
    if len(row) < width:
        row.extend([""] * (width - len(row)))
        return True
    if any(c.strip() for c in row[width:]):
        problems.add(
            "format",
            f"the row has {len(row)} cells but the header has {width} columns",
            line,
            "quote cells that contain a comma",
        )
        return False
    del row[width:]
    return True


def _missing_columns(
    missing: list[str], header: list[str], table: Table, problems: Problems
) -> None:
    line = table.header_line or 1
    for name in missing:
        near = closest(name, header)
        hint = f"did you mean `{near}`? " if near else ""
        hint += "the header has: " + (", ".join(header) or "nothing")
        if any("\t" in h or ";" in h for h in header):
            hint += "; the file looks tab- or semicolon-separated: save it as CSV (commas)"
        problems.add("column", f"missing column `{name}`", line, hint)
    raise LedgerError(problems.items)


def read_events(
    path: str,
    policy: Policy,
    encoding: str | None = None,
    limit: int = 50,
    staff: dict[str, list[str]] | None = None,
    roster: str | None = None,
    check_institutions: bool = False,
) -> list[Event]:
    """Read an events file and check every row against `policy` (and, when asked,
    institution events against the roster's `staff`); sorted by (date, seq)."""
    problems = Problems(display(path), limit)
    try:
        with bulk():
            table = open_table(path, encoding, problems)
            return _EventReader(
                policy,
                problems,
                staff,
                roster,
                _reread_ids(path, encoding, problems),
                check_institutions,
            ).read(table)
    except Stop:
        raise problems.error() from None


def in_part(code: str, part: tuple[str, bool] | None) -> bool:
    """Whether a person belongs to a part of a split fold (workers.py): `part` is
    (pivot, low), the people below the pivot code when low, the others when not;
    None is everyone. (The reader's loop tests the same inline.)"""
    return part is None or (code < part[0]) is part[1]


class EventStream:
    """An events file read row by row as it is evaluated, not held.

    Iterating yields each valid row's event in file order; `close()`, once the
    rows are exhausted, raises every problem found (a `LedgerError`), as
    `read_events` would have. Used by api.report_files when the ledger is in
    date order: see Evaluator.fold_events.
    """

    def __init__(
        self,
        path: str,
        policy: Policy,
        encoding: str | None,
        staff: dict[str, list[str]] | None,
        roster: str | None,
        limit: int = 50,
    ):
        self.problems = Problems(display(path), limit)
        self.reader = _EventReader(
            policy, self.problems, staff, roster, _reread_ids(path, encoding, self.problems)
        )
        try:
            self.table = open_table(path, encoding, self.problems)
        except Stop:
            raise self.problems.error() from None

    def rows_known(self) -> int:
        """How many rows the file has, when known before reading them (else 0)."""
        return self.table.count or 0

    def __iter__(self) -> Iterator[Event]:
        # A block of rows read, then a block folded: each loop runs thousands of times
        # in a row rather than taking turns at every row (about 5 % faster, measured on
        # bench/: 1M rows), for a few thousand events held at a time. The events of a
        # block are chained by C, not yielded one by one from this frame.
        return chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[list[Event]]:
        rows = self.reader.rows(self.table)
        try:
            while block := list(islice(rows, 4096)):
                yield block
        except Stop:
            raise self.problems.error() from None

    def close(self) -> None:
        try:
            self.reader.close(self.table)
        except Stop:
            raise self.problems.error() from None


# ---- roster --------------------------------------------------------------------------------


def read_roster(
    path: str,
    encoding: str | None = None,
    limit: int = 50,
    read: frozenset[str] = frozenset(),
    only_read: bool = False,
    staff: dict[str, list[str]] | None = None,
) -> dict[str, Person]:
    """People on the roster (one row per person and practice site), one per code with
    their sites in order.

    `read`: the person attributes a policy's expressions read (`person.birth_date`);
    a person whose rows disagree on one of them is an error, since the first row
    would otherwise win silently. Other columns may differ by site (a role), and
    are not kept at all when `only_read` (an evaluation reads nothing else).
    `staff`, when given, is filled with each institution's people, in roster order.
    """
    problems = Problems(display(path), limit)
    try:
        with bulk():
            table = open_table(path, encoding, problems)
            return _read_roster(table, problems, read, only_read, {} if staff is None else staff)
    except Stop:
        raise problems.error() from None


def _read_roster(
    table: Table,
    problems: Problems,
    read: frozenset[str],
    only_read: bool,
    staff: dict[str, list[str]],
) -> dict[str, Person]:
    header = table.header
    index = _columns(table, REQUIRED_ROSTER_COLUMNS, problems)
    width = len(header)
    ip, ii = index["person"], index["institution"]
    extra = tuple(
        (name, i)
        for i, name in enumerate(header)
        if name not in REQUIRED_ROSTER_COLUMNS and (name in read or not only_read)
    )
    out: dict[str, Person] = {}
    # each institution's code as one string, however many rows name it: the fold and
    # the report hash a person's sites again and again (the institution tracker's
    # keys, a report's cached site lists), and a string read from every row would be
    # one more object per person out of the cache
    places: dict[str, str] = {}
    count = 0
    for line, row in table.rows:
        if len(row) != width and not _fit(row, width, line, problems):
            continue
        person = row[ip].strip()
        place = places.get(row[ii])
        if place is None:
            place = row[ii].strip()
            if len(places) < _CACHE_MAX:
                place = places[row[ii]] = places.get(place, place)
        if not person or not place:
            if not any(c.strip() for c in row):
                continue  # a blank row
            if not person:
                problems.add(
                    "roster",
                    "a roster row needs `person`",
                    line,
                    "one row per person and practice site",
                )
            if not place:
                problems.add(
                    "roster",
                    "a roster row needs `institution`",
                    line,
                    "one row per person and practice site",
                )
            continue
        count += 1
        if count > MAX_ROWS:
            problems.add("format", f"the file has more than {MAX_ROWS:,} rows", line)
            raise Stop
        entry = out.get(person)
        if entry is None:
            attrs = {}
            for name, i in extra:  # a loop, not a comprehension: no call a row
                if v := row[i].strip():
                    attrs[name] = v
            out[person] = Person(person, [place], attrs, table.file, line)
            at = staff.get(place)
            if at is None:
                staff[place] = [person]
            else:
                at.append(person)
            continue
        if place not in entry.institutions:
            entry.institutions.append(place)
            staff.setdefault(place, []).append(person)
        for name, i in extra:  # what the policy reads of a person must agree across sites
            v = row[i].strip()
            if v and name in read and name in entry.attrs and entry.attrs[name] != v:
                problems.add(
                    "roster",
                    f"`{person}` has {name} `{v}` here but "
                    f"`{entry.attrs[name]}` at line {entry.line}",
                    line,
                    "one value per person; leave the cell empty on other rows",
                )
            elif v:
                entry.attrs.setdefault(name, v)
    problems.raise_if_any()
    if not out:
        raise problems.fail("empty", "the roster has a header but no rows", table.header_line or 1)
    return out


# ---- both ----------------------------------------------------------------------------------


def policy_reads_of_person(policy: Policy) -> frozenset[str]:
    """The roster columns a policy's expressions read as `person.NAME`."""
    items = [*policy.items.values(), *policy.credits.values()]
    exprs = (
        [f.value for f in policy.facts]
        + [t.when for t in policy.tiers]
        + [r.when for r in policy.rules]
        + [b.when for b in policy.bans if b.when]
        + [c.when for c in policy.conditions]
        + [r.when for r in policy.institution_rules]
        + [i.expr for i in items if i.expr]
        + [e.when for i in items for e in i.effects if e.when]
    )
    return frozenset(attr for e in exprs for (name, attr) in e.attrs if name == "person")


def read_ledger(
    events: str, policy: Policy, roster: str | None = None, encoding: str | None = None
) -> Ledger:
    """Events (checked against `policy`) and, optionally, the roster; problems of both
    files are raised together."""
    people, staff, diagnostics = _roster_and_staff(roster, policy, encoding)
    rows: list[Event] = []
    try:
        rows = read_events(
            events, policy, encoding, staff=staff, roster=roster, check_institutions=not diagnostics
        )
    except LedgerError as exc:
        diagnostics = exc.diagnostics + diagnostics
    if diagnostics:
        raise LedgerError(diagnostics)
    return Ledger(rows, people, staff or {})


def stream_ledger(
    events: str, policy: Policy, roster: str | None = None, encoding: str | None = None
) -> tuple[Ledger, EventStream] | None:
    """The roster, and the events as a stream to fold as they are read; None when the
    events come from standard input (they cannot be read twice, should they not be in
    date order) or the roster has problems (read_ledger reports both files')."""
    if not rereadable(events):  # standard input, a pipe: read whole (a missing file too,
        return None  # which read_ledger reports)
    # only what the policy reads of a person: the ledger is the evaluation's own
    people, staff, diagnostics = _roster_and_staff(roster, policy, encoding, only_read=True)
    if diagnostics:
        return None
    stream = EventStream(events, policy, encoding, staff, roster)
    return Ledger([], people, staff or {}), stream


def _roster_and_staff(
    roster: str | None, policy: Policy, encoding: str | None, only_read: bool = False
) -> tuple[dict[str, Person] | None, dict[str, list[str]] | None, list[Diagnostic]]:
    """The roster's people, each institution's staff (by code), and the roster's problems
    (`only_read`: keep only the person attributes the policy reads)."""
    if roster is None:
        return None, None, []
    staff: dict[str, list[str]] = {}
    try:
        people = read_roster(
            roster, encoding, read=policy_reads_of_person(policy), only_read=only_read, staff=staff
        )
    except LedgerError as exc:
        return None, None, exc.diagnostics
    return people, {place: sorted(codes) for place, codes in sorted(staff.items())}, []
