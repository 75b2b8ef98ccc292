"""The typed policy model: what a loaded, checked policy is.

Frozen dataclasses built by `loader.py` from the YAML; every expression in them
is already parsed, checked and compiled (`Expr.fn`), and every element keeps
the `Span` of its YAML so later stages (evaluate, explain, diff) can point back
at the source. Nothing here knows about any particular city.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from engine.dsl import ast
from engine.dsl.compile import Fn
from engine.errors import EVAL_ERRORS, BadValue, Span
from engine.i18n import N_, _
from engine.numbers import number_text

Number = int | Fraction


@dataclass(frozen=True)
class Expr:
    """A compiled expression with its text and where it came from."""

    text: str
    node: ast.Node = field(repr=False)
    fn: Fn = field(repr=False, compare=False)
    span: Span = field(compare=False)
    names: frozenset[str] = field(default=frozenset(), compare=False)
    attrs: frozenset[tuple[str, str]] = field(default=frozenset(), compare=False)
    # the checker's annotations, kept where another compiler needs them (claims -> SQL)
    checked: Any = field(default=None, compare=False, repr=False)

    def __call__(self, env: Any) -> Any:
        """The expression's value in `env`. A value it cannot take (a missing amount
        compared, a division by zero, an index past a list's end) raises BadValue
        naming the expression, so the fold reports it against the event rather than
        take it for a bug of its own."""
        try:
            return self.fn(env)
        except EVAL_ERRORS as exc:
            raise BadValue(
                _("`{expression}`: {reason}").format(
                    expression=self.text, reason=failure_reason(exc)
                )
            ) from None


# what the compiled expressions and their functions raise, in their own words
# (engine/dsl/compile.py, builtins.py), told in the reader's language
_REASONS = {
    "a date is missing": N_("a date is missing"),
    "a number is missing": N_("a number is missing"),
    "division by zero": N_("division by zero"),
}


def failure_reason(exc: Exception) -> str:
    """Why an expression failed on a value, in the reader's language (Python's own
    words, `unsupported operand type(s) for -: 'NoneType' and 'int'`, are English)."""
    known = _REASONS.get(str(exc))
    if known is not None:
        return _(known)
    if isinstance(exc, ZeroDivisionError):
        return _("division by zero")
    if isinstance(exc, OverflowError):
        return _("a date or a number out of range")
    if isinstance(exc, IndexError):
        return _("an index past the end of a list")
    if isinstance(exc, TypeError):
        return _("a value is missing, or is not of the kind the expression needs")
    return _("a value the expression cannot take")


@dataclass(frozen=True)
class ActionSpec:
    """One action phrase (`suspend 3 months`) as written and as parsed."""

    text: str
    action: ast.Action
    span: Span = field(compare=False)

    @property
    def kind(self) -> str:
        return self.action.kind


@dataclass(frozen=True)
class Effect:
    when: Expr | None
    then: tuple[ActionSpec, ...]
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Item:
    code: str
    points_kind: str  # fixed | range | computed | band
    points: Number | None  # fixed
    low: Number | None  # range
    high: Number | None
    expr: Expr | None  # computed
    text: str
    cite: str
    cause: str | None
    effects: tuple[Effect, ...]
    span: Span = field(compare=False)
    credit: bool = False
    needs: frozenset[str] = frozenset()  # event fields the item cannot do without
    violation: bool = True  # counts in `violations` (false: e.g. a failed policy test)
    band: str | None = None  # points_kind "band": the id of its band in `scoring.bands`
    refuses: bool = False  # its points expression may refuse the row (`refuse(...)`)


@dataclass(frozen=True)
class PointBand:
    """One declared band of points (档次): 情节轻微 1–3, 情节一般 4–6 ..."""

    id: str
    label: str | None
    low: Number
    high: Number
    cite: str
    span: Span = field(compare=False)

    def __str__(self) -> str:
        name = self.label or self.id
        return f"{name} ({number_text(self.low)}–{number_text(self.high)})"


@dataclass(frozen=True)
class Move:
    """What one value of the shift column does to a band item's band (从轻 -1, 从重 +1)."""

    value: str
    by: int
    label: str | None
    cite: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Shift:
    """How an event column moves a band item's band, declared once for every band item.

    `ends` says what a move past the lowest or highest band does: `stay` (the band
    stays where it is, as 最低/最高档不再调整 says) or `refuse` (the row is refused)."""

    column: str
    moves: dict[str, Move]
    ends: str  # stay | refuse
    default: str | None  # the value an empty cell stands for (None: an empty cell is refused)
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Grade:
    """One degree of responsibility and where it places the points in the band."""

    value: str
    at: str  # min | middle | max
    label: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Grades:
    """Responsibility grades (一般/重要/主要责任): an event column that places a band
    item's points within its (moved) band, declared once for every band item."""

    column: str
    grades: dict[str, Grade]
    default: str | None
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ScoredWhen:
    """A condition on whether a finding is scored at all: where it does not hold, the
    finding of the items it governs counts in no total and no `violations`."""

    when: Expr
    items: frozenset[str] | None  # the item codes it governs (None: every item)
    reason: str
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Scoring:
    """Scoring that depends on the case (`scoring:` in the YAML)."""

    bands: dict[str, PointBand]
    order: tuple[str, ...]  # band ids from the lowest band up
    shift: Shift | None
    grades: Grades | None
    conditions: tuple[ScoredWhen, ...]
    cite: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Band:
    """A tier's condition read as an interval of `deducted` (for checks and lookup)."""

    lo: Number | None
    lo_incl: bool
    hi: Number | None
    hi_incl: bool

    def contains(self, x: Number) -> bool:
        if self.lo is not None and (x < self.lo or (x == self.lo and not self.lo_incl)):
            return False
        return not (self.hi is not None and (x > self.hi or (x == self.hi and not self.hi_incl)))

    def __str__(self) -> str:
        lo = "" if self.lo is None else f"{number_text(self.lo)} {'<=' if self.lo_incl else '<'} "
        hi = "" if self.hi is None else f" {'<=' if self.hi_incl else '<'} {number_text(self.hi)}"
        return f"{lo}deducted{hi}"


@dataclass(frozen=True)
class Tier:
    id: str
    when: Expr
    then: tuple[ActionSpec, ...]
    cite: str
    rank: int  # 0 = mildest
    band: Band | None
    span: Span = field(compare=False)
    # actions (kinds or names) that still follow when an event passes over the band
    lasting: frozenset[str] = frozenset()
    clause: str | None = None  # the one sanction it shares with other triggers


@dataclass(frozen=True)
class Rule:
    id: str
    when: Expr
    then: tuple[ActionSpec, ...]
    cite: str
    cause: str | None
    span: Span = field(compare=False)
    clause: str | None = None  # the one sanction it shares with other triggers


@dataclass(frozen=True)
class Ban:
    when: Expr | None
    then: ActionSpec
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Condition:
    when: Expr
    message: str
    cite: str
    span: Span = field(compare=False)
    after: str = "termination"  # termination | suspension | any


@dataclass(frozen=True)
class InstitutionRule:
    id: str
    when: Expr
    then: tuple[ActionSpec, ...]
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Cascade:
    on: str  # institution_suspended | institution_terminated
    then: ActionSpec
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Deadline:
    id: str
    after: str  # "action" or another deadline's id
    within: ast.Duration
    on: frozenset[str] | None
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Fact:
    name: str
    value: Expr
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class NamedAction:
    name: str
    label: str
    cite: str
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Provision:
    cite: str
    text: str | None
    note: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class ClaimRule:
    """A rule over one claim line and the practitioner's status on its date.

    `then` is refuse (the fund does not pay the line) or flag (the line is
    reported for review). `text` quotes the article; `reason`, when given, is
    the short sentence an output line carries (else the quote).
    """

    id: str
    when: Expr
    then: str  # refuse | flag
    cite: str
    text: str
    reason: str | None
    span: Span = field(compare=False)


@dataclass(frozen=True)
class Exception_:
    """What the fund still pays for while it refuses the rest (emergency, rescue)."""

    covers: tuple[str, ...]
    text: str
    cite: str


@dataclass(frozen=True)
class Billing:
    """Whether the fund pays for a practitioner's services on a date (`policyctl serve`):
    refused while the person's status is one of `refused_while`, except what the
    exception covers. Both texts are quoted from the source and provenance-checked."""

    refused_while: frozenset[str]
    text: str
    cite: str
    exception: Exception_ | None = None

    def may_bill(self, status: str) -> bool:
        return status not in self.refused_while


@dataclass(frozen=True)
class Scale:
    kind: str  # deductions | score
    initial: Number | None
    unit: Number
    cite: str


@dataclass(frozen=True)
class Cycle:
    start_month: int
    start_day: int
    cap: Number | None
    credit_cap: Number | None
    resets: frozenset[str]
    cite: str
    credit_total_cap: Number | None = None  # over all of a person's cycles
    credits_after_termination: bool = False
    reset_when: Expr | None = None  # on the ending cycle: resets apply only when it holds


@dataclass(frozen=True)
class Combine:
    same_act: str  # highest | sum
    same_inspection: str  # sum | highest
    sites: str  # sum
    cite: str


@dataclass(frozen=True)
class Policy:
    id: str
    version: str
    title: str
    issuer: str
    document: str | None
    issued: str | None
    effective_from: str
    effective_to: str | None
    source_file: str
    source_sha256: str
    scale: Scale
    cycle: Cycle
    combine: Combine
    items: dict[str, Item]
    credits: dict[str, Item]
    actions: dict[str, NamedAction]
    tiers: tuple[Tier, ...]
    rules: tuple[Rule, ...]
    overlap: str
    overlap_cite: str | None
    restoration: str  # automatic | reapplication
    restoration_cite: str
    conditions: tuple[Condition, ...]
    bans: tuple[Ban, ...]
    institution_rules: tuple[InstitutionRule, ...]
    cascades: dict[str, Cascade]
    deadlines: tuple[Deadline, ...]
    facts: tuple[Fact, ...]
    provisions: tuple[Provision, ...]
    path: str = field(compare=False)
    # the version this one follows in its history, and the path (relative to this
    # file) of the map from that version's item codes to this one's (versions.py)
    supersedes: str | None = None
    supersedes_map: str | None = None
    claims: tuple[ClaimRule, ...] = ()
    # ledger columns the expressions read that a ledger may lack (`ledger.optional`)
    optional_columns: frozenset[str] = frozenset()
    # event columns no finding may leave empty (`ledger.required`, issue 20 §5)
    required_columns: frozenset[str] = frozenset()
    billing: Billing | None = None
    # when a computed sanction binds (`decisions.take_effect`): on-computation | on-decision
    take_effect: str = "on-computation"
    take_effect_cite: str | None = None
    scoring: Scoring | None = None

    @property
    def case_scoring(self) -> bool:
        """Whether an act's points depend on the case beyond its item codes, amount and
        decided points: declared bands, moves, grades, conditions on scoring, or an
        item that may refuse its row (evaluation/scoring.py prices such acts)."""
        return self.scoring is not None or any(i.refuses for i in self.items.values())

    @property
    def band_lookup(self) -> bool:
        """Every tier is a plain band, so the evaluator can look totals up directly."""
        return all(t.band is not None for t in self.tiers)
