"""Stage "evaluate", its records: what the fold carries for each person.

`PersonState` is everything the fold keeps for one person between events;
`CycleState` is one cycle of one registration, and also the record that tier,
rule and ban expressions see as `cycle` (and history rules as `cycles`);
`Violation` is a violation as `reapplication` conditions see it. The fold in
`fold.py` and the sanctions in `sanctions.py` read and change them; they
have no behaviour of their own beyond `CycleState.score`. They are slotted:
the fold reads and writes their attributes on every event.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

from engine.evaluation.outcome import ActionRec, Step
from engine.ledger.read import Person
from engine.policy.model import Number
from engine.vocabulary import ACTIVE

_NONE_FIRED: frozenset[str] = frozenset()


class CycleState:
    """One person's cycle (one registration within it): the record expressions see."""

    __slots__ = (
        "index",
        "period",
        "start",
        "end",
        "deducted",
        "credited",
        "violations",
        "max_item_points",
        "fired",
        "rules_fired",
        "clauses",
        "inspections",
        "initial",
        "registration",
        "tier",
        "touched",
        "suspended",
        "terminated",
        "tracked",
        "snap",
    )

    def __init__(
        self, index: int, period: str, start: _dt.date, end: _dt.date, initial, registration: int
    ):
        self.index, self.period, self.start, self.end = index, period, start, end
        self.deducted: Number = 0
        self.credited: Number = 0
        self.violations = 0
        self.max_item_points: Number = 0
        self.fired = -1  # rank of the harshest tier fired
        self.rules_fired: frozenset[str] = _NONE_FIRED  # replaced, never changed in place
        self.clauses: frozenset[str] = _NONE_FIRED  # clauses whose sanction was taken
        self.inspections: dict[str, Any] | None = None  # made at the first inspection
        self.initial = initial
        self.registration = registration
        # the institution tracker's: the change logs of this cycle's sites (None until the
        # first change), and the cycle's latest snapshot in them
        self.tracked: Any = None
        self.snap: Any = None
        self.tier: str | None = None
        self.touched = False
        self.suspended = False  # suspended or terminated in this cycle by own conduct
        self.terminated = False

    @property
    def score(self):
        return (self.initial - self.deducted) if self.initial is not None else -self.deducted


class Year:
    """One cycle of a person across their registrations, as history rules see it.

    A person reinstated after a termination is a new registration: its bands start
    from zero (`CycleState`). A rule over the person's history (Jining 五(一)
    连续三年违规扣分9分以上) speaks of the person, not of a registration: it reads
    the cycle's points whatever registration they fell in, so the 9 points found
    in a year before a reinstatement in that year still count in it.
    """

    __slots__ = ("parts",)

    def __init__(self, parts: tuple[CycleState, ...]):
        self.parts = parts

    @classmethod
    def join(cls, earlier: CycleState | Year, fresh: CycleState) -> Year:
        before = earlier.parts if isinstance(earlier, Year) else (earlier,)
        return cls((*before, fresh))

    def __getattr__(self, name: str) -> Any:  # period, start, end, index, initial...
        return getattr(self.parts[-1], name)

    @property
    def deducted(self):
        return sum(c.deducted for c in self.parts)

    @property
    def credited(self):
        return sum(c.credited for c in self.parts)

    @property
    def violations(self) -> int:
        return sum(c.violations for c in self.parts)

    @property
    def max_item_points(self):
        return max(c.max_item_points for c in self.parts)

    @property
    def score(self):
        initial = self.parts[-1].initial
        return (initial - self.deducted) if initial is not None else -self.deducted


class PersonState:
    """Everything the fold carries for one person between events."""

    __slots__ = (
        "code",
        "person",
        "cycle",
        "cycles",
        "records",
        "actions",
        "status",
        "suspension",
        "queue",
        "terminations",
        "suspensions",
        "reapply_from",
        "ban",
        "registration",
        "violations",
        "trace",
        "reapplications",
        "awaiting_from",
        "sites",
        "site_actions",
        "credited_total",
    )

    def __init__(self, code: str, person: Person, trace: list[Step] | None):
        self.code = code
        self.person = person
        # one per cycle, for history rules: a `Year` where a reinstatement split it
        self.cycles: list[CycleState | Year] = []
        # the last of `cycles`, read on every event without going through the list
        self.cycle: CycleState | None = None
        self.records: list[CycleState] = []  # every cycle of every registration, for output
        self.actions: list[ActionRec] = []
        self.status = ACTIVE
        self.suspension: ActionRec | None = None
        # Empty tuples until first used, then lists replaced as they grow: 200,000 people
        # are held at once, and few are queued, reapply, or have a cascade
        self.queue: tuple[ActionRec, ...] | list[ActionRec] = ()
        self.terminations = 0
        self.suspensions = 0
        self.reapply_from: _dt.date | str | None = None
        self.ban: ActionRec | None = None
        self.registration = 1
        self.violations: tuple | list[Any] = ()  # only when reapplication conditions read them
        self.trace = trace
        self.reapplications: tuple | list[dict] = ()
        self.awaiting_from: _dt.date | None = None
        self.sites: dict[str, ActionRec] | None = None  # institution -> running cascade
        self.site_actions: tuple | list[ActionRec] = ()
        self.credited_total: Number = 0  # over every cycle (cycle.credit_total_cap)


class Violation:
    """A violation as `reapplication` conditions see it."""

    __slots__ = ("date", "points", "items", "institution")

    def __init__(self, date, points, items, institution):
        self.date, self.points, self.items, self.institution = date, points, items, institution
