"""The typed rows a ledger becomes: `Event`, `Person`, and the `Ledger` that holds them.

This is what the later stages import (the fold, institutions, the story, the
comparison of two policies): plain objects with a file and a line, so every
message about a row can point at it. `event` is the one place an `Event` is
made from a row's typed values; a new field goes into `Event` and there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from engine.vocabulary import EVENT_FIELDS

EVENT_TYPES = (
    "violation",
    "reapply",
    "credit",
    "institution_suspended",
    "institution_terminated",
    # rows that refer to a finding before them (corrections.py)
    "revoke",
    "amend",
    "decision",
)
INSTITUTION_TYPES = frozenset({"institution_suspended", "institution_terminated"})

NO_ATTRS: Mapping[str, str] = MappingProxyType({})  # shared by every row with no extra column


class Event:
    """One ledger row: a finding, a re-application, a credit or an institution event.

    A class with `__slots__` rather than a dataclass: a city-year is a million of
    them, and `event` below fills the slots without a call to `__init__`.
    """

    # `items` is a tuple: the fold keys its cache of what a list of codes counts on it
    # (evaluation/points.py). An Event made through `__init__` (by hand, through the
    # API) may be given any iterable of codes; `event` below is given a tuple.
    items: tuple[str, ...]

    __slots__ = (*EVENT_FIELDS, "attrs", "file", "line", "seq")

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
        occurred=None,
    ):
        self.id = id
        self.person = person
        self.date = date
        self.type = type
        self.items = tuple(items)
        self.institution = institution
        self.inspection = inspection
        self.amount = amount
        self.points = points
        self.end = end
        self.attrs = attrs
        self.file = file
        self.line = line
        self.seq = seq
        # the act's date (`occurred` column) when the ledger gives it, else None: the
        # act is then dated by its decision, `date`. Only a regulation's history reads
        # it (evaluation/lenity.py: the rule in force when the act occurred)
        self.occurred = occurred

    def __repr__(self) -> str:
        return (
            f"Event({self.id!r}, {self.type}, person={self.person!r}, date={self.date}, "
            f"items={self.items!r}, at={self.file}:{self.line})"
        )


_new = object.__new__


def event(
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
    occurred=None,
) -> Event:
    """An event from a row's typed values: the reader's one way of making one.

    Its slots are filled here without `Event.__init__`, measured at about 40 %
    less time per event (a million rows a run).
    """
    e = _new(Event)
    e.id = id
    e.person = person
    e.date = date
    e.type = type
    e.items = items
    e.institution = institution
    e.inspection = inspection
    e.amount = amount
    e.points = points
    e.end = end
    e.attrs = attrs
    e.file = file
    e.line = line
    e.seq = seq
    e.occurred = occurred
    return e


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
    """What the evaluator reads: the events in date order (as corrected), who works
    where, and the corrections and decisions read out of the events (corrections.py:
    `Correction`, `Decision`), for the trail and the decisions' effect."""

    events: list[Event]
    roster: dict[str, Person] | None
    staff: dict[str, list[str]]
    _codes: list[str] | None = field(default=None, repr=False, compare=False)
    corrections: list = field(default_factory=list)
    decisions: list = field(default_factory=list)

    def roster_codes(self) -> list[str]:
        """The roster's codes in order, sorted once (the roster is not changed after
        it is read)."""
        if self._codes is None:
            self._codes = sorted(self.roster or ())
        return self._codes
