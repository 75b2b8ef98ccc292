"""Stage "read": events and roster files -> typed rows, each with its file and line.

A ledger is what an analyst has: a spreadsheet of inspection findings (one row
per act) and, optionally, a roster of practitioners (one row per practice
site). This module turns them into `Event` and `Person` objects the evaluator
can trust, or refuses with every problem it found (up to a limit), each as a
`Diagnostic` pointing at `file:line`. The parts, each its own module:

- tables.py: the file itself (formats, encodings, the header, line numbers)
  -> rows of text cells;
- columns.py: the names of the columns read, and each row as wide as the header;
- values.py: a cell -> its typed value (dates, points, amounts);
- profiles.py: a row's checks against the policy (item codes, ranges, what a
  type needs), worked out once per `(type, items)` pair;
- checks.py: what needs the whole file (ids given once, institutions' staff);
- rows.py: the typed rows themselves, `Event`, `Person`, `Ledger`, and the
  one way an `Event` is made (`rows.event`).

This module is the loop that ties them together. Cells of the columns the
engine reads are stripped; of the other columns, those the policy reads
(`event.NAME`, `person.NAME`) or the engine reads (a decided length) go to
`attrs`, empty values left out, and the rest are dropped as they are read
(reads.py: a name, an ID number, a patient's identity is never held);
blank rows are skipped.

`read_events`/`read_ledger` return the events sorted by date, stable by file
order within a date; `EventStream`/`stream_ledger` yield them in file order as
they are read, for a fold that does not hold the ledger.

Speed matters (a city-year is a million rows). The loop works on the table's
rows as lists of strings, maps the header to indexes once, and caches what
repeats: dates, institution and inspection codes (interned), and the checks
of each `(type, items)` pair, so a plain row costs a few small-dictionary
look-ups and one object; only rows with `points`, `amount`, `end`, a problem
or an item that needs a value take the checks of `profiles.RowChecks.row`.
The garbage collector is paused while rows are built (it would otherwise
walk the growing list again and again) and restored afterwards (see
`tables.bulk`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterator
from itertools import chain, islice
from operator import attrgetter, itemgetter

from engine.errors import Diagnostic, LedgerError
from engine.i18n import _
from engine.ledger.checks import Reread as Reread
from engine.ledger.checks import SeenIds as SeenIds
from engine.ledger.checks import Staffed, reread_ids
from engine.ledger.columns import DEFAULT_NAMES, Names, columns, fit, is_total
from engine.ledger.columns import FIELDS as FIELDS
from engine.ledger.columns import REQUIRED_EVENT_COLUMNS as REQUIRED_EVENT_COLUMNS
from engine.ledger.columns import REQUIRED_ROSTER_COLUMNS as REQUIRED_ROSTER_COLUMNS
from engine.ledger.corrections import REFERRING, Applied
from engine.ledger.corrections import TARGET as TARGET_COLUMN
from engine.ledger.corrections import apply as apply_corrections
from engine.ledger.profiles import Profile, RowChecks
from engine.ledger.reads import attributes_read, event_columns_kept
from engine.ledger.redact import redact_event, redact_ledger
from engine.ledger.rows import EVENT_TYPES as EVENT_TYPES
from engine.ledger.rows import INSTITUTION_TYPES as INSTITUTION_TYPES
from engine.ledger.rows import NO_ATTRS, event
from engine.ledger.rows import Event as Event
from engine.ledger.rows import Ledger as Ledger
from engine.ledger.rows import Person as Person
from engine.ledger.tables import MAX_CELL as MAX_CELL  # re-exported: callers read `ledger.MAX_CELL`
from engine.ledger.tables import Problems, Stop, Table, bulk, display, open_table, rereadable
from engine.ledger.values import CACHE_MAX, DATE_LIKE, Values
from engine.ledger.versions import HistoryChecks
from engine.policy.model import Expr, Policy
from engine.policy.scoring import header_columns, required_of
from engine.policy.versions import History
from engine.privacy.pseudonyms import Pseudonyms

MAX_ROWS = 10_000_000  # data rows in one file


class NeedsWhole(Exception):
    """A ledger read as a stream holds a row that refers to rows before it (a correction,
    a decision: corrections.py): read it whole instead."""


class _EventReader:
    """The rows of one events file, read into events: the loop, with the checks of
    each row (`RowChecks`), of ids (`SeenIds`) and of institutions (`Staffed`)."""

    def __init__(
        self,
        policy: Policy | History,
        problems: Problems,
        staff: dict[str, list[str]] | None,
        roster: str | None,
        reread: Reread | None,
        check_institutions: bool = True,
        names: Names = DEFAULT_NAMES,
        also_keep: frozenset[str] = frozenset(),
    ):
        self.problems = problems
        self.names = names
        self.reads = required_columns(policy, "event", FIELDS)  # event.NAME: must exist
        # columns no finding may leave empty (`ledger.required`, issue 20 §5)
        self.required = tuple(sorted(required_of(policy)))
        self.values = Values(problems)
        self.checks: RowChecks | HistoryChecks = (
            HistoryChecks(policy, problems, self.values)
            if isinstance(policy, History)  # each row against the versions that can apply
            else RowChecks(policy, problems, self.values)
        )
        # institution events name an institution with staff on the roster (checked
        # unless the roster itself could not be read)
        self.staffed = Staffed(staff, roster, check_institutions)
        self.count = 0  # rows read
        self.last_line = 0
        self.ids = SeenIds(reread)  # the ids the file gives, checked at the end
        # the columns beyond FIELDS an event keeps
        self.keep = event_columns_kept(policy) | also_keep
        self.streaming = False  # set by EventStream: a row that refers back ends the stream
        # set by EventStream when the corrections were read beforehand (read_corrections):
        # a row that refers back is checked, and not handed on
        self.skip_referring = False
        # read_corrections' second pass: only the rows that refer back and the rows whose
        # ids are in `pick` are read, each once counted (its order among the rows, `seq`,
        # stays the file's)
        self.pick: set[str] | None = None
        # False: corrections and decisions handed on as rows of their own, unchecked
        # against the findings (the status service checks them against its store)
        self.refer = True
        self.referring = False  # a correction or decision was read
        self.applied: Applied | None = None  # what they did, once the file is read

    def read(self, table: Table) -> list[Event]:
        """Every valid row as an event, sorted by (date, file order), as corrected
        (corrections.py: the corrections and decisions themselves in `applied`);
        raises on problems."""
        events = list(self.rows(table))
        events.sort(key=_BY_DATE)
        if self.referring and self.refer:  # checked before the file's problems: all listed
            self.applied = apply_corrections(events, self.problems)
            if isinstance(self.checks, HistoryChecks):  # amendments, in their findings' codes
                for c in self.applied.corrections:
                    self.checks.restate(c)
        self.close(table)
        return events if self.applied is None else self.applied.events

    def close(self, table: Table) -> None:
        """After `rows` is exhausted: the checks that need every row, then raise what was
        found."""
        problems = self.problems
        self.ids.check(problems, (table.header_line or 1) + 1, self.last_line)
        problems.raise_if_any()
        if not self.count:
            raise problems.fail(
                "empty", _("the file has a header but no rows"), table.header_line or 1
            )
        self.staffed.raise_if_any()

    def rows(self, table: Table) -> Iterator[Event]:
        """Each valid row as an event, in file order; problems are collected, not raised
        (`close` raises them)."""
        problems = self.problems
        file = table.file
        header = table.header
        index = columns(table, REQUIRED_EVENT_COLUMNS, problems, self.names)
        _lacking(index, self.reads, table, problems)
        header = table.header  # as found (below a title, say) and named by columns()
        width, cells = len(header), table.cells
        pad = any(f not in index for f in FIELDS)  # absent fields read the appended ""
        get = itemgetter(*(index.get(f, width) for f in FIELDS))
        keep = self.keep
        extra = tuple(
            (name, i) for i, name in enumerate(header) if name not in FIELDS and name in keep
        )
        max_rows = MAX_ROWS
        if table.count is not None and table.count > max_rows:
            raise problems.fail(
                "format",
                _("the file has more than {n:,} rows").format(n=max_rows),
                table.header_line or 1,
                _("split it by year"),
            )

        dates: dict[str, _dt.date] = {}
        profiles: dict[str, dict[str, Profile]] = {}
        places: dict[str, str | None] = {"": None}
        inspections: dict[str, str | None] = {}
        ids = self.ids
        ids.start(table)
        note_id = ids.note
        # for the fast path below: what SeenIds.note does for an increasing id
        given, key, given_at = ids.values.append, ids.key, ids.lines_append
        plain_ids, last_id = not ids.made, ids.last
        read_date, profile, check = self.values.date, self.checks.profile, self.checks.row
        item_codes = self.checks.codes
        last_type: str | None = None
        by_items: dict[str, Profile] = {}
        pick, skip = self.pick, self.skip_referring
        referring_texts: dict[str, bool] = {}
        count = 0
        line = 0
        for line, row in table.rows:
            if len(row) != width and (not row or not fit(row, width, cells, line, problems)):
                continue
            if pad:
                row.append("")
            (
                eid,
                person_s,
                date_s,
                type_s,
                items_s,
                place_s,
                insp_s,
                amount_s,
                points_s,
                end_s,
                occurred_s,
            ) = get(row)

            try:
                date = dates[date_s]
            except KeyError:
                if not any(c.strip() for c in row):
                    continue  # a blank row
                if is_total(row):
                    problems.add(
                        "total",
                        _("a total row (合计) is not a finding"),
                        line,
                        _("delete the total row and run again"),
                    )
                    continue
                date = read_date(date_s, line, "date", "date")
                if date is not None and len(dates) < CACHE_MAX:
                    dates[date_s] = date
            count += 1
            if count > max_rows:
                self.count = count
                problems.add(
                    "format",
                    _("the file has more than {n:,} rows").format(n=max_rows),
                    line,
                    _("split it by year"),
                )
                raise Stop
            if pick is not None:
                refers = referring_texts.get(type_s)
                if refers is None:
                    refers = referring_texts[type_s] = type_s.strip().lower() in REFERRING
                if not refers and eid.strip() not in pick:
                    continue
            if type_s != last_type:
                try:
                    by_items = profiles[type_s]
                except KeyError:
                    by_items = profiles[type_s] = {}
                last_type = type_s
            try:
                prof = by_items[items_s]
            except KeyError:
                prof = by_items[items_s] = profile(type_s, items_s)
                if prof.type in REFERRING:  # (once per kind of row: not on the hot path)
                    self.referring = True
                    if self.streaming:
                        raise NeedsWhole from None
            # Not interned through a dict: measured on a million rows, the look-up cost a
            # quarter of the read time and made grouping by person slower, not faster (a
            # row's own string sits next to its event in memory; a shared one does not).
            person = person_s.strip()
            try:
                place = places[place_s]
            except KeyError:
                place = place_s.strip() or None
                if place in item_codes:  # not cached: every such row is reported
                    self.wrong_column(place, "institution", "item code", line)
                    continue
                place = places[place_s] = places.setdefault(place, place) if place else None
            if insp_s:
                try:
                    inspection = inspections[insp_s]
                except KeyError:
                    inspection = inspections[insp_s] = insp_s.strip() or None
            else:
                inspection = None
            if eid and (eid := eid.strip()):
                if eid > last_id and plain_ids:
                    # Fast path: SeenIds.note inline, for the common case of an id greater
                    # than the one before (ledgers are numbered so) in a file where no id
                    # can look like `file:line`. Calling note for every row costs about
                    # 10 % of the read (measured, 300,000 rows of bench/generate.py).
                    last_id = eid
                    given(key(eid))
                    if given_at is not None:
                        given_at(line)
                else:
                    ids.last = last_id
                    note_id(eid, line)
                    last_id = ids.last
            else:
                eid = f"{file}:{line}"

            amount = points = end = occurred = None
            if (
                prof.slow
                or points_s
                or amount_s
                or end_s
                or occurred_s
                or not person
                or date is None
            ):
                if date is None and DATE_LIKE.match(person):  # cells slid left: say so
                    self.wrong_column(person, "person", "date", line)
                    continue
                ok, amount, points, end, occurred = check(
                    prof, person, place, date, points_s, amount_s, end_s, line, items_s, occurred_s
                )
                if not ok or date is None:
                    continue
            if skip and prof.type in REFERRING:
                continue  # (read beforehand: read_corrections)
            e = event(
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
                {name: v for name, i in extra if (v := row[i].strip())} if extra else NO_ATTRS,
                file,
                line,
                count - 1,
                occurred,
            )
            if self.required and prof.type == "violation" and not self.filled(e, line):
                continue
            if prof.institution:
                self.staffed.institution_event(e)
            yield e
        self.count = count
        self.last_line = line
        ids.last = last_id

    def filled(self, e: Event, line: int) -> bool:
        """Whether a finding gives every column the policy requires (`ledger.required`):
        an empty cell there is an error, never a value that equals no text."""
        attrs = e.attrs or {}
        empty = [c for c in self.required if not attrs.get(c)]
        for column in empty:
            self.problems.add(
                "value",
                _("`{column}` is empty, and the policy requires it on every finding").format(
                    column=column
                ),
                line,
                _("give the value the decision records"),
            )
        return not empty

    def wrong_column(self, value: str, column: str, looks: str, line: int) -> None:
        """A value that belongs in another column: the row's cells have slid."""
        self.problems.add(
            "format",
            _("{column} `{value}` is a {looks}: the row's cells have slid").format(
                column=column, value=value, looks=looks
            ),
            line,
            _("check the row for an unquoted comma or a missing cell"),
        )


def _lacking(index: dict[str, int], reads: dict[str, Expr], table: Table, problems: Problems):
    """A column an expression reads that the file lacks: an error naming both (it would
    otherwise read as null, silently), unless the policy marks it optional."""
    for name, expr in reads.items():
        if name not in index:
            problems.add(
                "column",
                _("missing column `{name}`, which `{expr}` reads ({at})").format(
                    name=name, expr=expr.text, at=expr.span
                ),
                table.header_line or 1,
                _(
                    "add the column, or mark it optional in the policy: "
                    "`ledger: {{optional: [{name}]}}`"
                ).format(name=name),
            )


_BY_DATE = attrgetter("date")


def read_events(
    path: str,
    policy: Policy | History,
    encoding: str | None = None,
    limit: int = 50,
    staff: dict[str, list[str]] | None = None,
    roster: str | None = None,
    check_institutions: bool = False,
    sheet: str | int | None = None,
    names: Names = DEFAULT_NAMES,
    also_keep: frozenset[str] = frozenset(),
    applied: list | None = None,
) -> list[Event]:
    """Read an events file and check every row against `policy` (and, when asked,
    institution events against the roster's `staff`); sorted by (date, seq), as
    corrected (corrections.py). `sheet`: a workbook's sheet; `names`: which header
    names which column; `also_keep`: columns to keep beside those the policy reads
    (reads.py); `applied`: a list the corrections and decisions read out of the file
    are appended to (as one `corrections.Applied`), when it has any."""
    problems = Problems(display(path), limit)
    try:
        with bulk():
            table = open_table(path, encoding, problems, sheet)
            reader = _EventReader(
                policy,
                problems,
                staff,
                roster,
                reread_ids(path, encoding, problems, names),
                check_institutions,
                names,
                also_keep,
            )
            events = reader.read(table)
            if applied is not None and reader.applied is not None:
                applied.append(reader.applied)
            return events
    except Stop:
        raise problems.error() from None


def read_corrections(
    path: str,
    policy: Policy | History,
    encoding: str | None = None,
    staff: dict[str, list[str]] | None = None,
    roster: str | None = None,
    sheet: str | int | None = None,
    names: Names = DEFAULT_NAMES,
) -> Applied | None:
    """The corrections and decisions of an events file, checked against the findings
    they name, without holding the file's other rows: so that a ledger holding some is
    still folded as a stream (api._fold; the stream then leaves them out: EventStream).

    Two passes over the file, neither building an event of the rows it leaves out: the
    ids the corrections and decisions name (`target`), then those rows and the findings
    with those ids, read and checked as `read_events` reads them (each in its place in
    the file's order). None when either pass finds a problem, the file's or theirs:
    the whole ledger is then read, and every problem reported as it reports them."""
    try:
        with bulk():
            targets = _targets(path, encoding, sheet, names)
            if targets is None:
                return None
            problems = Problems(display(path), 1)
            reader = _EventReader(
                policy,
                problems,
                staff,
                roster,
                reread_ids(path, encoding, problems, names),
                names=names,
            )
            reader.pick = targets
            reader.read(open_table(path, encoding, problems, sheet))
            return reader.applied
    except (Stop, LedgerError):
        return None


def _targets(path: str, encoding: str | None, sheet, names: Names) -> set[str] | None:
    """The `target` cells of the rows that refer back (read_corrections' first pass: the
    type and target cells alone, nothing checked); None when the file cannot say."""
    problems = Problems(display(path), 1)
    table = open_table(path, encoding, problems, sheet)
    index = columns(table, REQUIRED_EVENT_COLUMNS, problems, names)
    header = table.header
    at = index.get("type")
    to = next((i for i, n in enumerate(header) if n == TARGET_COLUMN), None)
    if problems.items or at is None or to is None:
        return None
    targets: set[str] = set()
    refers: dict[str, bool] = {}
    for _line, row in table.rows:
        if len(row) <= max(at, to):
            continue  # (a short row: the second pass reads and reports it)
        t = row[at]
        r = refers.get(t)
        if r is None:
            r = refers[t] = t.strip().lower() in REFERRING
        if r:
            targets.add(row[to].strip())
    return targets


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
        policy: Policy | History,
        encoding: str | None,
        staff: dict[str, list[str]] | None,
        roster: str | None,
        limit: int = 50,
        sheet: str | int | None = None,
        names: Names = DEFAULT_NAMES,
        redact: Pseudonyms | None = None,
        corrected: bool = False,
    ):
        """`corrected`: the file's corrections and decisions were read beforehand
        (read_corrections): they are checked as rows and left out. Else one met raises
        NeedsWhole."""
        self.problems = Problems(display(path), limit)
        self.redact = redact  # each event's codes replaced once its row is checked
        self.reader = _EventReader(
            policy,
            self.problems,
            staff,
            roster,
            reread_ids(path, encoding, self.problems, names),
            names=names,
        )
        self.reader.streaming = not corrected  # a correction or decision met: NeedsWhole
        self.reader.skip_referring = corrected
        self._running: Iterator[list[Event]] | None = None  # the rows being read (__iter__)
        try:
            self.table = open_table(path, encoding, self.problems, sheet)
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
        self._running = self._blocks()
        return chain.from_iterable(self._running)

    def _blocks(self) -> Iterator[list[Event]]:
        rows = self.reader.rows(self.table)
        redact = self.redact
        try:
            while block := list(islice(rows, 4096)):
                if redact is not None:
                    for e in block:
                        redact_event(e, redact)
                yield block
        except Stop:
            raise self.problems.error() from None

    def discard(self) -> None:
        """The stream left before its end (the fold falls back to reading the file
        whole, or failed): its file closed now, not whenever the last reference to its
        rows goes (a fold's locals, a traceback), and its problems not raised. Again,
        or after the rows were exhausted, it does nothing."""
        running, self._running = self._running, None
        rows, self.table.rows = self.table.rows, iter(())
        for it in (running, rows):  # (the table's rows may be a chain: no close of its own)
            close = getattr(it, "close", None)
            if close is not None:
                close()
        del running, rows  # the last references: the readers below them end, the file closed

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
    only_read: bool = True,
    staff: dict[str, list[str]] | None = None,
    sheet: str | int | None = None,
    names: Names = DEFAULT_NAMES,
    needs: dict[str, Expr] | None = None,
) -> dict[str, Person]:
    """People on the roster (one row per person and practice site), one per code with
    their sites in order.

    `read`: the person attributes a policy's expressions read (`person.birth_date`);
    a person whose rows disagree on one of them is an error, since the first row
    would otherwise win silently. Other columns may differ by site (a role), and
    are not kept at all when `only_read` (the default: an evaluation reads
    nothing else, and a name or an ID number in the roster is then never held).
    `staff`, when given, is filled with each institution's people, in roster order.
    """
    problems = Problems(display(path), limit)
    try:
        with bulk():
            table = open_table(path, encoding, problems, sheet)
            staff = {} if staff is None else staff
            return _read_roster(table, problems, read, only_read, staff, names, needs)
    except Stop:
        raise problems.error() from None


def _read_roster(
    table: Table,
    problems: Problems,
    read: frozenset[str],
    only_read: bool,
    staff: dict[str, list[str]],
    names: Names = DEFAULT_NAMES,
    needs: dict[str, Expr] | None = None,
) -> dict[str, Person]:
    index = columns(table, REQUIRED_ROSTER_COLUMNS, problems, names)
    _lacking(index, needs or {}, table, problems)
    header = table.header
    width, cells = len(header), table.cells
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
    many: dict[str, set[str]] = {}  # the sites of people with many, as sets
    count = 0
    for line, row in table.rows:
        if len(row) != width and not fit(row, width, cells, line, problems):
            continue
        person = row[ip].strip()
        place = places.get(row[ii])
        if place is None:
            place = row[ii].strip()
            if len(places) < CACHE_MAX:
                place = places[row[ii]] = places.get(place, place)
        if not person or not place:
            if not any(c.strip() for c in row):
                continue  # a blank row
            if is_total(row):
                problems.add(
                    "total",
                    _("a total row (合计) is not a person"),
                    line,
                    _("delete the total row and run again"),
                )
                continue
            if not person:
                problems.add(
                    "roster",
                    _("a roster row needs `person`"),
                    line,
                    _("one row per person and practice site"),
                )
            if not place:
                problems.add(
                    "roster",
                    _("a roster row needs `institution`"),
                    line,
                    _("one row per person and practice site"),
                )
            continue
        count += 1
        if count > MAX_ROWS:
            problems.add("format", _("the file has more than {n:,} rows").format(n=MAX_ROWS), line)
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
        known = entry.institutions
        if len(known) < 16:  # a list is searched faster than a set is made
            new_site = place not in known
        else:  # a person with many sites: a set, or the roster costs their square
            seen = many.get(person)
            if seen is None:
                seen = many[person] = set(known)
            new_site = place not in seen
            if new_site:
                seen.add(place)
        if new_site:
            known.append(place)
            staff.setdefault(place, []).append(person)
        for name, i in extra:  # what the policy reads of a person must agree across sites
            v = row[i].strip()
            if v and name in read and name in entry.attrs and entry.attrs[name] != v:
                # the values and the code are not quoted: no personal data in a message
                problems.add(
                    "roster",
                    _("`{name}` differs from this person's row at line {line}").format(
                        name=name, line=entry.line
                    ),
                    line,
                    _("one value per person; leave the cell empty on other rows"),
                )
            elif v:
                entry.attrs.setdefault(name, v)
    problems.raise_if_any()
    if not out:
        raise problems.fail(
            "empty", _("the roster has a header but no rows"), table.header_line or 1
        )
    return out


# ---- both ----------------------------------------------------------------------------------


def policy_reads_of_person(policy: Policy | History) -> frozenset[str]:
    """The roster columns a policy's expressions read as `person.NAME` (any expression
    of the policy, or of each version of a history: reads.py)."""
    return attributes_read(policy, "person")


def policy_reads(policy: Policy | History, scope: str) -> dict[str, Expr]:
    """The columns a policy's expressions read as `SCOPE.NAME` (`event`, `person`),
    each with the first expression that reads it."""
    out: dict[str, Expr] = {}
    for e in _expressions(policy):
        for name, attr in sorted(e.attrs):
            if name == scope:
                out.setdefault(attr, e)
    if scope == "event":  # the columns `scoring` reads, and those `ledger.required` names
        for column, reader in header_columns(policy).items():
            out.setdefault(column, reader)
    return out


def required_columns(policy: Policy | History, scope: str, standard=()) -> dict[str, Expr]:
    """The columns the policy reads as `SCOPE.NAME` that a ledger must have: not a
    standard column (`standard`), nor marked optional (`ledger.optional`); for a
    history, those of every version."""
    if isinstance(policy, History):
        out: dict[str, Expr] = {}
        for version in policy.versions:
            for n, e in required_columns(version, scope, standard).items():
                out.setdefault(n, e)
        return out
    optional = getattr(policy, "optional_columns", frozenset())
    return {
        n: e
        for n, e in policy_reads(policy, scope).items()
        if n not in standard and n not in optional
    }


def _expressions(policy: Policy | History) -> list[Expr]:
    if isinstance(policy, History):
        return [e for version in policy.versions for e in _expressions(version)]
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
        + [c.when for c in (policy.scoring.conditions if policy.scoring else ())]
    )
    return exprs


def read_ledger(
    events: str,
    policy: Policy | History,
    roster: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    names: Names = DEFAULT_NAMES,
    redact: Pseudonyms | None = None,
    also_keep: frozenset[str] = frozenset(),
) -> Ledger:
    """Events (checked against `policy`) and, optionally, the roster; problems of both
    files are raised together. `sheet`: the events workbook's sheet; `names`: which
    header names which column (`--columns`). `redact`: every personal code replaced by
    its pseudonym once both files are checked (redact.py). `also_keep`: event columns
    to keep beside those the policy reads (another policy's, for `diff --events`)."""
    people, staff, diagnostics = _roster_and_staff(roster, policy, encoding, names=names)
    rows: list[Event] = []
    applied: list[Applied] = []
    try:
        rows = read_events(
            events,
            policy,
            encoding,
            staff=staff,
            roster=roster,
            check_institutions=not diagnostics,
            sheet=sheet,
            names=names,
            also_keep=also_keep,
            applied=applied,
        )
    except LedgerError as exc:
        diagnostics = exc.diagnostics + diagnostics
    if diagnostics:
        raise LedgerError(diagnostics)
    ledger = Ledger(rows, people, staff or {})
    if applied:
        ledger.corrections, ledger.decisions = applied[0].corrections, applied[0].decisions
    return ledger if redact is None else redact_ledger(ledger, redact)


def stream_ledger(
    events: str,
    policy: Policy | History,
    roster: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    names: Names = DEFAULT_NAMES,
    redact: Pseudonyms | None = None,
    corrections: bool = False,
) -> tuple[Ledger, EventStream] | None:
    """The roster, and the events as a stream to fold as they are read; None when the
    events come from standard input (they cannot be read twice, should they not be in
    date order) or the roster has problems (read_ledger reports both files').

    `corrections`: the file holds corrections or decisions (a stream without it raised
    NeedsWhole at one): they are read first (read_corrections) and given with the
    ledger, the stream leaving them out; None when they have problems (read_ledger
    reports them)."""
    if not rereadable(events):  # standard input, a pipe: read whole (a missing file too,
        return None  # which read_ledger reports)
    people, staff, diagnostics = _roster_and_staff(roster, policy, encoding, names=names)
    if diagnostics:
        return None
    applied = None
    if corrections:
        applied = read_corrections(events, policy, encoding, staff, roster, sheet, names)
        if applied is None:
            return None
    stream = EventStream(
        events,
        policy,
        encoding,
        staff,
        roster,
        sheet=sheet,
        names=names,
        redact=redact,
        corrected=applied is not None,
    )
    ledger = Ledger([], people, staff or {})
    if applied is not None:
        ledger.corrections, ledger.decisions = applied.corrections, applied.decisions
    return (ledger if redact is None else redact_ledger(ledger, redact)), stream


def _roster_and_staff(
    roster: str | None,
    policy: Policy | History,
    encoding: str | None,
    names: Names = DEFAULT_NAMES,
) -> tuple[dict[str, Person] | None, dict[str, list[str]] | None, list[Diagnostic]]:
    """The roster's people (with only the attributes the policy reads), each
    institution's staff (by code), and the roster's problems."""
    if roster is None:
        return None, None, []
    staff: dict[str, list[str]] = {}
    try:
        people = read_roster(
            roster,
            encoding,
            read=policy_reads_of_person(policy),
            staff=staff,
            names=names,
            needs=required_columns(policy, "person", REQUIRED_ROSTER_COLUMNS),
        )
    except LedgerError as exc:
        return None, None, exc.diagnostics
    return people, {place: sorted(codes) for place, codes in sorted(staff.items())}, []


# ---- rows already in memory ----------------------------------------------------------------


def read_event_table(
    table: Table,
    policy: Policy,
    problems: Problems,
    staff: dict[str, list[str]] | None = None,
    check_institutions: bool = False,
    refer: bool = True,
) -> list[Event]:
    """Rows already split into cells (a request's JSON body as `tables.records_table`
    gives it, a database's rows) read and checked exactly as `read_events` reads a
    file's; sorted by (date, row order). `problems` names the rows' source in messages.
    With `check_institutions`, an institution event must name an institution with
    people in `staff`. `refer=False`: corrections and decisions (ledger/corrections.py)
    are among the events, as rows, not made (the service's store keeps them so)."""
    # (not under `bulk`: a request's rows are few, and a server's other threads run on)
    try:
        reader = _EventReader(policy, problems, staff, None, None, check_institutions)
        reader.refer = refer
        return reader.read(table)
    except Stop:
        raise problems.error() from None
