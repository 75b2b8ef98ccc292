"""The words an outcome is written in: statuses, action kinds, what decided an action.

A foundation module: the policy language compares with these words (`status ==
"suspended"` in a claims rule), the evaluation sets them, the reports, the diff
and the scenario tests read them. Each is a `StrEnum`, so a member *is* the
string the JSON, CSV and tables print (`Status.AWAITING == "awaiting_reapplication"`),
and the output does not change with the type; the code names a member rather
than spell a string that a typo could miss.
"""

from __future__ import annotations

from enum import StrEnum

# The columns of an event the ledger reader reads for itself, by these names in every
# policy, in the order it unpacks them (engine/ledger/columns.py); the policy's own
# columns (a `scoring:` shift or grade, `event.NAME`) are any others. LEDGER_COLUMNS:
# the header a ledger is written with (the examples' and the tests' files), all but
# `occurred`, the act's date where it differs from the decision's `date`, which only a
# ledger read across a regulation's history needs (issue 14).
LEDGER_COLUMNS = (
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
EVENT_FIELDS = (*LEDGER_COLUMNS, "occurred")


class Word(StrEnum):
    """A word of the vocabulary: it is its string, and shows as one (`'active'`, as
    in the API's documented examples), not as `<Status.ACTIVE: 'active'>`."""

    __repr__ = str.__repr__


class Status(Word):
    """A person's standing on a date, mildest first (the order the reports count in)."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    # a suspension is over, and the policy restores only on a re-application
    AWAITING = "awaiting_reapplication"
    TERMINATED = "terminated"


# Every member under a module name too, for the code that runs per finding or per
# person: in Python 3.11 reading a member off its class (`Status.TERMINATED`) costs
# about half a microsecond, since EnumType's __getattr__ sends every attribute of an
# Enum class down CPython's slow path; a module global costs a few nanoseconds.
ACTIVE, SUSPENDED, AWAITING, TERMINATED = Status


class Kind(Word):
    """The actions the engine itself knows what to do with. A policy may name others
    (`actions:`, such as Jining's agreement-review); an action's kind is then that
    name, a plain string."""

    INTERVIEW = "interview"
    SUSPEND = "suspend"
    TERMINATE = "terminate"
    REFER = "refer"
    BAN = "ban"  # the wait before a re-application can succeed
    RESTORE = "restore"  # back from a suspension
    REINSTATE = "reinstate"  # back from a termination, as a new registration


INTERVIEW, SUSPEND, TERMINATE, REFER, BAN, RESTORE, REINSTATE = Kind


class SourceKind(Word):
    """What decided an action."""

    TIER = "tier"  # a band of the cycle's total (its id)
    RULE = "rule"  # a history or institution rule (its id)
    ITEM = "item"  # an item's own effect (its code)
    CASCADE = "cascade"  # the institution's own suspension or termination
    BAN = "ban"  # the ban rule that dated the wait
    REAPPLICATION = "reapplication"  # a re-application that was accepted
    RESTORATION = "restoration"  # the end of a suspension, where restoration is automatic
    EVENT = "event"  # an institution event itself, in the institution's outcome


class Source(str):
    """What decided an action: a kind and, for a tier, rule or item, its id.

    It is the text the JSON's `source` holds (`tier:suspend-3m`, `rule:three-years-
    nine`, `cascade`), so it prints, compares and hashes as that text; code reads
    `.kind` and `.id` rather than parse the text. The fold makes one per tier, rule
    and item, shared by every action it decides.
    """

    kind: SourceKind
    id: str

    def __new__(cls, kind: SourceKind | str, id: str = "") -> Source:
        kind = SourceKind(kind)
        self = super().__new__(cls, f"{kind}:{id}" if id else kind.value)
        self.kind = kind
        self.id = id
        return self

    def __getnewargs__(self) -> tuple[str, str]:  # type: ignore[override]
        return (self.kind.value, self.id)

    def __repr__(self) -> str:
        args = f"{self.kind.value!r}, {self.id!r}" if self.id else repr(self.kind.value)
        return f"Source({args})"

    @staticmethod
    def parse(text: str) -> Source:
        """A source from its text, as a JSON record or a scenario file writes it."""
        kind, _, id = text.partition(":")
        return Source(kind, id)


# the sources with no id, made once
BY_CASCADE = Source(SourceKind.CASCADE)
BY_BAN = Source(SourceKind.BAN)
BY_REAPPLICATION = Source(SourceKind.REAPPLICATION)
BY_RESTORATION = Source(SourceKind.RESTORATION)
BY_EVENT = Source(SourceKind.EVENT)
