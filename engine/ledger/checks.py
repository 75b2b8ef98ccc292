"""Checks across rows: event ids (each given once), and institutions' staff.

A row's own checks need only that row (profiles.py); these need the file:

- an id given twice is an error at each later use, pointing at the first;
- a row without an id is known as `file:line`, so an id of that shape that
  names a row which gives none is an error too;
- an institution's event applies to its staff, so the roster must list them.

`SeenIds` is the reader's id bookkeeping. It notes each id as the row is read
(`note`) and judges them once every row has been (`check`): a set is far
cheaper than a million look-ups in the loop, and when every id is greater
than the one before it (ledgers are commonly numbered so) no set is needed.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator
from typing import Any

from engine.errors import Diagnostic, LedgerError, Span, closest
from engine.i18n import _
from engine.ledger.columns import DEFAULT_NAMES, REQUIRED_EVENT_COLUMNS, Names, columns
from engine.ledger.rows import Event
from engine.ledger.tables import Problems, Stop, Table, display, open_table, rereadable


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
        self.made = False  # whether an id may look like `file:line` at all (Table.colons)
        self.made_prefix = ""
        self.key: Callable[[str], Any] = hash if reread is not None else str
        self.values: array | list = array("q") if reread is not None else []
        self.lines = array("q") if reread is None else None  # each id's line (stdin only)
        self.lines_append = self.lines.append if self.lines is not None else None
        self.made_like: list[tuple[int, str]] = []  # (line, id) of ids like `file:line`
        # Whether every id the file gives is greater than the one given before it, in
        # file order, as text: then none is given twice, and neither check below needs
        # its set (a quarter of a second and 70 MB for a million ids). Ledgers are
        # commonly numbered so (E0000001, E0000002, ...). Set by the reader once it has
        # read every row.
        self.increasing = False
        self.last = ""  # the greatest id so far, while `increasing`

    def start(self, table: Table) -> None:
        """Before the rows of `table` are read."""
        self.made, self.made_prefix = table.colons, f"{table.file}:"
        self.increasing, self.last = True, ""

    def note(self, eid: str, line: int) -> None:
        """Note the id a row gives."""
        if self.increasing:
            if eid > self.last:
                self.last = eid
            else:
                self.increasing = False
        self.values.append(self.key(eid))
        if self.lines is not None:
            self.lines.append(line)
        if self.made and eid.startswith(self.made_prefix):  # `events.csv:12`: a made id
            self.made_like.append((line, eid))

    def check(self, problems: Problems, first: int, last: int) -> None:
        """Once every row is read: report ids given twice, and made-like ids naming a
        row from `first` to `last` that gives none."""
        twice = self.duplicates()
        if twice:
            duplicate_ids(twice, problems)
        if not self.made_like:
            return
        size = len(problems.file) + 1
        named = {int(n) for _, eid in self.made_like if (n := eid[size:]).isdigit()}
        given = self.given_at(named)
        for line, eid in self.made_like:
            n = eid[size:]
            if n.isdigit() and first <= int(n) <= last and int(n) not in given:
                problems.add(
                    "duplicate-id",
                    _("event id `{eid}` is the id line {n} gets, which gives none").format(
                        eid=eid, n=n
                    ),
                    line,
                    _("give every row an id, or choose ids of another form"),
                )

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

    def __init__(
        self, path: str, encoding: str | None, problems: Problems, names: Names = DEFAULT_NAMES
    ):
        self.path, self.encoding = path, encoding
        self.problems = problems  # the reader's
        self.names = names

    def _ids(self) -> Iterator[tuple[int, str]]:
        # The rows' own problems (a cell too long) were reported by the first reading:
        # this one's are kept apart. It can only fail where the first did not if the
        # file changed since, which is then the reader's problem.
        again = Problems(self.problems.file, self.problems.limit)
        try:
            table = open_table(self.path, self.encoding, again)
            index = columns(table, REQUIRED_EVENT_COLUMNS, again, self.names)
            at, width, cells = index["id"], len(table.header), table.cells
            for line, row in table.rows:
                if cells is not None and len(row) != cells:
                    continue  # (reported by the first reading)
                if len(row) > width and any(c.strip() for c in row[width:]):
                    continue
                if at < len(row) and (eid := row[at].strip()):
                    yield line, eid
        except (Stop, LedgerError, KeyError):  # (KeyError: no `id` column any more)
            why = next((d for d in again.items if d.code in ("io", "encoding")), None)
            if why is not None:
                self.problems.fail(why.code, why.message, hint=why.hint)
            else:
                self.problems.fail(
                    "io",
                    _("`{path}` changed while it was being read").format(path=self.path),
                    hint=_("run again once nothing is writing to it"),
                )
            raise Stop from None

    def at_lines(self, lines: set[int]) -> dict[int, str]:
        """The ids given at these lines (a line that gives none is left out)."""
        return {line: eid for line, eid in self._ids() if line in lines}

    def hashed(self, hashes: set[int]) -> list[tuple[int, str]]:
        """(line, id) of every row whose id has one of these hashes, in file order."""
        return [(line, eid) for line, eid in self._ids() if hash(eid) in hashes]


def reread_ids(
    path: str, encoding: str | None, problems: Problems, names: Names = DEFAULT_NAMES
) -> Reread | None:
    """How to read the ids of a file again (None for standard input, a pipe, a FIFO)."""
    return Reread(path, encoding, problems, names) if rereadable(path) else None


def duplicate_ids(given: list[tuple[int, str]], problems: Problems) -> None:
    """Report every id used more than once, at each later use, pointing at the first
    (`given`: (line, id) of each id the file gives, in file order)."""
    first: dict[str, int] = {}
    for line, eid in given:
        at = first.setdefault(eid, line)
        if at != line:
            # (the id itself is not quoted: a case number can name a person)
            problems.add(
                "duplicate-id",
                _("this event id is used twice"),
                line,
                _("first at line {line}").format(line=at),
            )


class Staffed:
    """Institution events checked against the roster's staff: the institution must
    have people on it. Kept apart from the file's other problems: they are reported
    only if the file has no others, and only when the roster itself could be read."""

    def __init__(self, staff: dict[str, list[str]] | None, roster: str | None, check: bool = True):
        self.staff, self.roster = staff, roster
        self.check_institutions = check
        self.institution_problems: list[Diagnostic] = []

    def raise_if_any(self) -> None:
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
                        _("institution events need a roster"),
                        Span(ev.file, ev.line),
                        _(
                            "`{type}` of `{institution}` applies to its staff: give the "
                            "roster (person, institution) that lists them"
                        ).format(type=ev.type, institution=ev.institution),
                    )
                )
        elif ev.institution not in self.staff:
            near = closest(ev.institution, self.staff)
            found.append(
                Diagnostic(
                    "roster",
                    _("institution `{institution}` has nobody on the roster").format(
                        institution=ev.institution
                    ),
                    Span(ev.file, ev.line),
                    _("did you mean `{near}`?").format(near=near)
                    if near
                    else _("the roster `{roster}` lists its staff by `institution`").format(
                        roster=display(self.roster or "")
                    ),
                )
            )
