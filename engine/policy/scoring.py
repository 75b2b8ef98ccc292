"""Loading `scoring:`, the points that depend on the case (issue 20).

Many 2025 provincial rules price a finding by more than its item: the item sits
in a band of points (情节轻微 1–3, 一般 4–6 ...), the circumstances move it a band
down or up (从轻/减轻一档, 从重/加重一档), the person's degree of responsibility
places the value in the band (一般/重要/主要责任), and some findings are not
scored at all (only after an administrative penalty or a heavier agreement
action). A policy says each of these once, here, with its article:

    scoring:
      bands: [{id, label, min, max, cite}, ...]        # from the lowest band up
      shift: {column, values: {VALUE: {by, label, cite}}, ends: stay|refuse, default, cite}
      grades: {column, values: {VALUE: {at: min|middle|max, label}}, default, cite}
      scored_when: [{when, items, reason, cite}, ...]

and an item takes its points from a band with `points: {band: ID}`. What an
event then counts is evaluation/scoring.py's; this module builds the model and
checks it (every problem at its YAML position), and polices `refuse(...)`, the
expression function that refuses a row by name.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from engine.dsl import ast
from engine.dsl.types import BOOL
from engine.errors import Diagnostic, Span, closest
from engine.i18n import _, ngettext
from engine.numbers import exact, number_text
from engine.policy import scopes
from engine.policy.model import (
    Expr,
    Grade,
    Grades,
    Item,
    Move,
    PointBand,
    Policy,
    Scale,
    ScoredWhen,
    Scoring,
    Shift,
)
from engine.vocabulary import EVENT_FIELDS

# columns the ledger reads for itself: a shift or grade column cannot be one of them
_FIELDS = frozenset(EVENT_FIELDS)


def calls_refuse(node: ast.Node) -> bool:
    """Whether an expression calls `refuse(...)` anywhere."""
    return any(isinstance(n, ast.Call) and n.func == "refuse" for n in ast.walk(node))


def refuse_problems(node: ast.Node, allowed: bool) -> list[tuple[int, str, str]]:
    """(position, message, hint) for each `refuse(...)` out of place: outside an item's
    points, or with a message that is not a quoted text (a refusal names its cause in
    words the analyst wrote, the same on every row)."""
    out = []
    for n in ast.walk(node):
        if not (isinstance(n, ast.Call) and n.func == "refuse"):
            continue
        if not allowed:
            out.append(
                (
                    n.pos,
                    _("`refuse(...)` is allowed only in an item's `points`"),
                    _("refuse a row where its points are decided; elsewhere test the value"),
                )
            )
        elif len(n.args) == 1 and not isinstance(n.args[0], ast.Str):
            out.append(
                (
                    n.args[0].pos,
                    _("`refuse` takes its message as quoted text"),
                    _('e.g. `refuse("circumstance must be mitigating, aggravating or none")`'),
                )
            )
        elif len(n.args) == 1 and not n.args[0].value.strip():
            out.append(
                (n.args[0].pos, _("`refuse` needs a message saying why"), _("name the cause"))
            )
    return out


def build_scoring(
    b: Any, scale: Scale, items: dict[str, Item], credits: dict[str, Item]
) -> Scoring | None:
    """The `scoring` block as a model (None when the policy has none), and the checks
    of the items that use it. `b` is the loader's builder (its err/expr/doc)."""
    d = b.d.get("scoring")
    banded = [i for i in items.values() if i.points_kind == "band"]
    for credit in credits.values():
        if credit.points_kind == "band":
            b.err(
                "points",
                _("credit `{code}`: a band's points are for findings").format(code=credit.code),
                ("credits", _index(b, "credits", credit.code), "points"),
                _("give the credit a number of points or an expression"),
            )
    if d is None:
        for item in banded:
            b.err(
                "points",
                _(
                    "item `{code}` takes its points from band `{band}`, but the policy "
                    "declares no `scoring.bands`"
                ).format(code=item.code, band=item.band),
                ("items", _index(b, "items", item.code), "points", "band"),
                _("declare the bands under `scoring: {bands: [...]}`"),
            )
        return None
    span = b.doc.span(("scoring",))
    bands, order = _bands(b, scale, d.get("bands") or [])
    for item in banded:
        if item.band not in bands:
            near = closest(item.band or "", bands)
            b.err(
                "points",
                _("item `{code}`: unknown band `{band}`").format(code=item.code, band=item.band),
                ("items", _index(b, "items", item.code), "points", "band"),
                _("did you mean `{near}`?").format(near=near)
                if near
                else _("bands are {bands}").format(bands=_(", ").join(order) or "-"),
            )
    shift = _shift(b, d["shift"]) if "shift" in d else None
    grades = _grades(b, d["grades"], [bands[k] for k in order], scale) if "grades" in d else None
    if shift is not None and grades is not None and shift.column == grades.column:
        b.err(
            "scoring",
            _("`shift` and `grades` read the same column `{column}`").format(column=shift.column),
            ("scoring", "grades", "column"),
            _("each reads a column of its own"),
        )
    if (shift is not None or grades is not None) and not banded:
        b.warn(
            "scoring",
            _("`scoring` moves and grades band items, but no item takes its points from a band"),
            ("scoring",),
            _("give items `points: {band: ID}`"),
        )
    conditions = []
    for i, c in enumerate(d.get("scored_when") or []):
        p = ("scoring", "scored_when", i)
        when = b.expr(p + ("when",), scopes.item_scope(), BOOL)
        codes = None
        if "items" in c:
            codes = frozenset(str(x) for x in c["items"])
            for j, code in enumerate(c["items"]):
                if str(code) not in items:
                    near = closest(str(code), items)
                    b.err(
                        "item",
                        _("unknown item `{code}`").format(code=code),
                        p + ("items", j),
                        _("did you mean `{near}`?").format(near=near) if near else None,
                    )
        if when is not None:
            conditions.append(ScoredWhen(when, codes, c["reason"], c["cite"], b.doc.span(p)))
    return Scoring(bands, tuple(order), shift, grades, tuple(conditions), d.get("cite"), span)


def _index(b: Any, key: str, code: str) -> int:
    for i, x in enumerate(b.d.get(key) or []):
        if isinstance(x, dict) and x.get("code") == code:
            return i
    return 0


def _bands(b: Any, scale: Scale, raw: list) -> tuple[dict[str, PointBand], list[str]]:
    """The declared bands, each checked (min <= max, whole units) and in order from the
    lowest up, without overlap: a move of one band must land on the next one."""
    bands: dict[str, PointBand] = {}
    order: list[str] = []
    unit = Fraction(scale.unit)
    prev: PointBand | None = None
    for i, x in enumerate(raw):
        p = ("scoring", "bands", i)
        band = PointBand(
            str(x["id"]), x.get("label"), exact(x["min"]), exact(x["max"]), x["cite"], b.doc.span(p)
        )
        if band.id in bands:
            b.err(
                "duplicate",
                _("band `{band}` is declared twice").format(band=band.id),
                p + ("id",),
            )
            continue
        if band.low > band.high:
            b.err(
                "scoring",
                _("band `{band}`: min {low} is above max {high}").format(
                    band=band.id, low=number_text(band.low), high=number_text(band.high)
                ),
                p,
            )
        for key, value in (("min", band.low), ("max", band.high)):
            if Fraction(value) % unit:
                b.err(
                    "scoring",
                    _("band `{band}`: {value} is not a multiple of the scale's unit {unit}").format(
                        band=band.id, value=number_text(value), unit=number_text(scale.unit)
                    ),
                    p + (key,),
                )
        if prev is not None and band.low <= prev.high:
            b.err(
                "scoring",
                _(
                    "band `{band}` ({low}–{high}) does not lie above band `{prev}` ({plow}–{phigh})"
                ).format(
                    band=band.id,
                    low=number_text(band.low),
                    high=number_text(band.high),
                    prev=prev.id,
                    plow=number_text(prev.low),
                    phigh=number_text(prev.high),
                ),
                p,
                _("list the bands from the lowest up, without overlap"),
            )
        bands[band.id] = band
        order.append(band.id)
        prev = band
    return bands, order


def _shift(b: Any, x: dict) -> Shift:
    p = ("scoring", "shift")
    column = str(x["column"])
    _column(b, column, p + ("column",))
    moves = {}
    for value, m in x["values"].items():
        moves[str(value)] = Move(
            str(value),
            int(m["by"]),
            m.get("label"),
            m.get("cite", x["cite"]),
            b.doc.span(p + ("values", value)),
        )
    default = x.get("default")
    _default(b, default, moves, p + ("default",))
    return Shift(column, moves, x["ends"], default, x["cite"], b.doc.span(p))


def _grades(b: Any, x: dict, bands: list[PointBand], scale: Scale) -> Grades:
    p = ("scoring", "grades")
    column = str(x["column"])
    _column(b, column, p + ("column",))
    grades = {}
    for value, g in x["values"].items():
        grade = Grade(str(value), g["at"], g.get("label"), b.doc.span(p + ("values", value)))
        grades[grade.value] = grade
        if grade.at == "middle":
            for band in bands:
                mid = Fraction(band.low + band.high) / 2
                if mid % Fraction(scale.unit):
                    b.err(
                        "scoring",
                        _(
                            "grade `{grade}` takes the middle of band `{band}` ({low}–{high}), "
                            "{mid}, not a multiple of the scale's unit {unit}"
                        ).format(
                            grade=grade.value,
                            band=band.id,
                            low=number_text(band.low),
                            high=number_text(band.high),
                            mid=number_text(mid),
                            unit=number_text(scale.unit),
                        ),
                        p + ("values", value, "at"),
                        _("bands whose middle is a value of the scale, or `min` / `max`"),
                    )
                    break
    default = x.get("default")
    _default(b, default, grades, p + ("default",))
    return Grades(column, grades, default, x["cite"], b.doc.span(p))


def _column(b: Any, column: str, path: tuple) -> None:
    if column in _FIELDS:
        b.err(
            "scoring",
            _("`{column}` is a column the ledger reads for itself").format(column=column),
            path,
            _("name a column of its own, such as `circumstance` or `responsibility`"),
        )


def _default(b: Any, default: Any, values: dict, path: tuple) -> None:
    if default is not None and str(default) not in values:
        b.err(
            "scoring",
            _("default `{value}` is not one of the values: {values}").format(
                value=default, values=_(", ").join(values)
            ),
            path,
        )


def band_text(band) -> str:
    """A band as a reader is told it: 情节一般（4–6） / 情节一般 (4–6), its label (the
    regulation's word) or id, then its range."""
    return _("{name} ({low}–{high})").format(
        name=band.label or band.id, low=number_text(band.low), high=number_text(band.high)
    )


def describe(sc: Scoring) -> str:
    """`validate`'s line on a policy's scoring, in its own terms: the bands, what moves
    them, what grades the value, and the conditions on scoring, each with its article."""
    parts = [
        _("{count} ({bands})").format(
            count=ngettext("{n} band of points", "{n} bands of points", len(sc.order)).format(
                n=len(sc.order)
            ),
            bands=_(", ").join(band_text(sc.bands[k]) for k in sc.order),
        )
    ]
    if sc.shift is not None:
        moves = _(", ").join(
            f"{m.label or m.value} {m.by:+d}" for m in sc.shift.moves.values() if m.by
        )
        parts.append(
            _("moved by `{column}` ({moves}) [{cite}]").format(
                column=sc.shift.column, moves=moves, cite=sc.shift.cite
            )
        )
    if sc.grades is not None:
        parts.append(
            _("placed by `{column}` [{cite}]").format(column=sc.grades.column, cite=sc.grades.cite)
        )
    if sc.conditions:
        parts.append(
            ngettext(
                "{n} condition on scoring [{cites}]",
                "{n} conditions on scoring [{cites}]",
                len(sc.conditions),
            ).format(
                n=len(sc.conditions),
                cites=_(", ").join(dict.fromkeys(c.cite for c in sc.conditions)),
            )
        )
    return _("scoring: {parts}").format(parts=_("; ").join(parts))


# ---- §5: empty and missing values in comparisons ----------------------------------------------


def _event_column(node: ast.Node) -> str | None:
    if isinstance(node, ast.Attr) and isinstance(node.obj, ast.Name) and node.obj.id == "event":
        return node.name
    return None


def _texts(node: ast.Node) -> list[ast.Node] | None:
    """The literals a comparison's other side holds: a text, or a list of them."""
    if isinstance(node, (ast.Str, ast.Null)):
        return [node]
    if isinstance(node, ast.ListLit) and all(
        isinstance(i, (ast.Str, ast.Null)) for i in node.items
    ):
        return list(node.items)
    return None


def compared_columns(node: ast.Node) -> tuple[dict[str, int], set[str]]:
    """The event columns an expression compares with texts (`==`, `!=`, `in`), each with
    the position of its first such comparison, and those it also tests for the empty
    value (`== ""`, `== null`, `in [..., ""]`)."""
    compared: dict[str, int] = {}
    empty: set[str] = set()
    for n in ast.walk(node):
        if not isinstance(n, ast.Compare):
            continue
        for i, op in enumerate(n.ops):
            if op not in ("==", "!=", "in", "not in"):
                continue
            left, right = n.operands[i], n.operands[i + 1]
            for col_node, other in ((left, right), (right, left)):
                column = _event_column(col_node)
                lits = _texts(other)
                if column is None or lits is None:
                    continue
                compared.setdefault(column, col_node.pos)
                if any(isinstance(x, ast.Null) or x.value.strip() == "" for x in lits):
                    empty.add(column)
    return compared, empty


def _ends_in_refuse(node: ast.Node) -> bool:
    while isinstance(node, ast.Cond):
        node = node.else_
    return isinstance(node, ast.Call) and node.func == "refuse"


def empty_value_warnings(policy: Policy) -> list[Diagnostic]:
    """`validate`'s warning where an item's points or effects, or a condition on scoring,
    compare an event column with texts and nothing says what an empty cell means: an
    empty or missing value equals no text, so an `if ... else` takes its last `else`
    and a condition is false, in silence. Not for a column the policy requires
    (`ledger.required`: an empty cell is then a ledger error), nor where the
    expression tests the empty value itself or ends in `refuse(...)`."""
    required = policy.required_columns
    exprs = []
    for item in policy.items.values():
        if item.expr is not None:
            exprs.append(item.expr)
        exprs += [e.when for e in item.effects if e.when is not None]
    if policy.scoring is not None:
        exprs += [c.when for c in policy.scoring.conditions]
    out = []
    for expr in exprs:
        compared, empty = compared_columns(expr.node)
        if _ends_in_refuse(expr.node):
            continue
        for column in compared:
            if column in required or column in empty:
                continue
            message = (
                _(
                    "`event.{column}` is compared with texts in `{expr}`, but an empty cell "
                    "equals none of them: it takes the last `else` without a word"
                )
                if isinstance(expr.node, ast.Cond)
                else _(
                    "`event.{column}` is compared with texts in `{expr}`, but an empty cell "
                    "equals none of them: the condition is false without a word"
                )
            )
            out.append(
                Diagnostic(
                    "empty-value",
                    message.format(column=column, expr=expr.text),
                    expr.span,
                    _(
                        "list it under `ledger: {{required: [{column}]}}` (an empty cell is "
                        "then a ledger error), test `event.{column} == null`, or end with "
                        '`refuse("...")`'
                    ).format(column=column),
                    "warning",
                )
            )
    return out


def band_checks(policy: Policy) -> list[Diagnostic]:
    """A band item's highest value against the top of the scale (the smaller of
    `scale.initial` and `cycle.cap`), as a fixed or range item's points are checked."""
    sc = policy.scoring
    if sc is None:
        return []
    initial, cap = policy.scale.initial, policy.cycle.cap
    tops = [x for x in (initial, cap) if x is not None]
    if not tops:
        return []
    top = min(tops)
    return [
        Diagnostic(
            "scoring",
            _("band `{band}` goes up to {high}, more than the scale's {top}").format(
                band=b.id, high=number_text(b.high), top=number_text(top)
            ),
            b.span,
        )
        for b in sc.bands.values()
        if b.high > top
    ]


def required_of(policy: Any) -> frozenset[str]:
    """The columns `ledger.required` names, of a policy or of every version of a history."""
    versions = getattr(policy, "versions", None)
    return frozenset().union(
        *(p.required_columns for p in (versions if versions is not None else (policy,)))
    )


def header_columns(policy: Any) -> dict[str, Expr]:
    """The event columns a ledger's header must have besides those expressions read:
    the one `scoring.shift` reads, and those `ledger.required` names, each with a
    stand-in expression naming what reads it (for the reader's message on a file
    without it: the column would read as empty on every row, and the shift's default
    would stand for it in silence)."""
    versions = getattr(policy, "versions", None)
    if versions is not None:  # a history: those of every version
        found: dict[str, Expr] = {}
        for version in versions:
            for column, reader in header_columns(version).items():
                found.setdefault(column, reader)
        return found
    out: dict[str, Expr] = {}
    sc = policy.scoring
    # (not the grades' column: without it every row gives its `points`, and a row
    # without them is an error already)
    if sc is not None and sc.shift is not None:
        column = sc.shift.column
        out[column] = _stand_in(f"scoring.shift.column: {column}", sc.shift.span)
    for column in sorted(policy.required_columns):
        out.setdefault(column, _stand_in(f"ledger.required: {column}", Span(policy.path)))
    return out


def _stand_in(text: str, span: Span) -> Expr:
    return Expr(text, ast.Name(text), lambda env: None, span, frozenset(), frozenset())
