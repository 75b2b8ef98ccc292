"""Stage "evaluate": the points of a finding when they depend on the case (issue 20).

`Points.of` hands an act here when its policy has a `scoring` block or an item
that may `refuse(...)` its row (`Policy.case_scoring`). In order:

1. Conditions on scoring (`scoring.scored_when`): an item whose condition fails
   is not scored; a finding none of whose items is scored counts in no total and
   no `violations`, needs no `points`, and is told as "not scored: REASON".
2. Each scored item is priced. A band item (`points: {band: ID}`) starts in its
   band; the shift column's value moves it (从轻 one band down, 从重 one up; at
   the ends it stays or the row is refused, as `shift.ends` says); the grade
   column places the value in the moved band, or else the row's `points` gives
   it and must lie in the moved band. Any other item is priced as `Points.item`.
3. A row that cannot be priced (an out-of-band value, an unknown circumstance,
   `refuse("...")`) is *refused*: a diagnostic at the row's file and line with
   the article, kept in `refused`; the act counts nothing, and the fold goes on,
   so that every such row is reported (up to `LIMIT`) when the fold ends
   (`raise_refused`), and nothing is written.

Each act carries `notes`, the sentences `--explain` adds after the item line:
which band, which move and its article, which grade.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from engine.errors import BadValue, Diagnostic, EvaluationError, Refusal, Span
from engine.i18n import _, ngettext
from engine.ledger.rows import Event, Person
from engine.numbers import number_text
from engine.policy.model import Grade, Item, Move, Number, PointBand, Policy, ScoredWhen
from engine.policy.scoring import band_text

if TYPE_CHECKING:
    from engine.evaluation.points import Act, Points

LIMIT = 50  # refused rows reported, as the ledger reader reports its problems (read.py)

_NOT_SCORED = "not-scored"
REFUSED = "refused"


class Refused(Exception):
    """One row the policy refuses: its diagnostic code, message and hint."""

    def __init__(self, code: str, message: str, hint: str | None = None):
        super().__init__(message)
        self.code, self.message, self.hint = code, message, hint


class CaseScoring:
    """The pricing of acts under a policy whose points depend on the case."""

    def __init__(self, policy: Policy, points: Points):
        self.p = policy
        self.points = points
        sc = policy.scoring
        self.conditions: tuple[ScoredWhen, ...] = sc.conditions if sc else ()
        self.bands = [sc.bands[k] for k in sc.order] if sc else []
        self.index = {k: i for i, k in enumerate(sc.order)} if sc else {}
        self.shift = sc.shift if sc else None
        self.grades = sc.grades if sc else None
        # the item codes some condition governs (all: every item)
        self.governed: frozenset[str] = frozenset(
            code for c in self.conditions for code in (policy.items if c.items is None else c.items)
        )
        self.refused: list[Diagnostic] = []
        self.seen: set[tuple] = set()  # (file, line, message) of the rows refused
        self.more = 0  # refused rows past LIMIT

    def governs(self, codes: tuple[str, ...]) -> bool:
        """Whether a condition on scoring may leave one of these items unscored (then
        no act of them is a shared, fixed one)."""
        return bool(self.governed) and not self.governed.isdisjoint(codes)

    # ---- an act ----------------------------------------------------------------------------
    def act(self, plan: Act, codes: tuple[str, ...], ev: Event, person: Person, tell: bool) -> Act:
        """What the finding counts; `tell`: with the sentences a story tells of it."""
        items = self.p.items
        notes: list[tuple[str, str | None]] | None = [] if tell else None
        unscored = self.unscored(codes, ev, person)
        scored = [c for c in codes if c not in unscored] if unscored else codes
        for code, cond in unscored.items() if tell else ():
            notes.append(  # type: ignore[union-attr]
                (
                    _("{code} 「{text}」: not scored: {reason}").format(
                        code=code, text=items[code].text, reason=cond.reason
                    ),
                    cond.cite,
                )
            )
        if not scored:
            first = unscored[codes[0]]
            return plan._replace(  # (points None: the fold counts it nowhere)
                points=None,
                violation=False,
                effects=False,
                unscored=first,
                notes=tuple(notes or ()),
            )
        per: list[tuple[str, Number]] = []
        try:
            for code in scored:
                item = items[code]
                per.append((code, self.price(item, ev, person, notes)))
        except Refused as r:
            return self.refuse(plan, ev, r)
        values = [v for _, v in per]
        total = max(values) if self.points.highest else sum(values)
        if unscored:
            nv = self.points.not_violations
            plan = plan._replace(
                violation=not (nv and nv.issuperset(scored)),
                effects=any(items[c].effects for c in scored),
            )
        return plan._replace(
            points=total, per_item=per if len(codes) > 1 else None, notes=tuple(notes or ())
        )

    def unscored(self, codes, ev: Event, person: Person) -> dict[str, ScoredWhen]:
        """The codes a failed condition leaves unscored, each with the condition."""
        out: dict[str, ScoredWhen] = {}
        if not self.conditions:
            return out
        env = self.points.env
        for cond in self.conditions:
            mine = [c for c in codes if c not in out and (cond.items is None or c in cond.items)]
            if not mine:
                continue
            env.amount, env.event, env.person = ev.amount, ev, person
            if not cond.when(env):
                for c in mine:
                    out[c] = cond
        return out

    def refuse(self, plan: Act, ev: Event, r: Refused) -> Act:
        """Note a refused row (up to LIMIT; once, however often it is priced); its act
        counts nothing."""
        key = (ev.file, ev.line, r.message)
        if key not in self.seen:
            self.seen.add(key)
            if len(self.refused) < LIMIT:
                self.refused.append(Diagnostic(r.code, r.message, Span(ev.file, ev.line), r.hint))
            else:
                self.more += 1
        return plan._replace(points=None, violation=False, effects=False, unscored=REFUSED)

    def raise_refused(self) -> None:
        """Every refused row at once, in file and line order, once the fold is over."""
        if not self.refused:
            return
        diags = sorted(
            self.refused, key=lambda d: (d.span.file, d.span.line) if d.span else ("", 0)
        )
        if self.more:
            last = diags[-1].span
            diags.append(
                Diagnostic(
                    "limit",
                    _("too many problems; stopping after {limit}").format(limit=LIMIT),
                    last,
                    _("{more} more rows refused; fix these and run again").format(more=self.more),
                )
            )
        self.refused, self.more, self.seen = [], 0, set()
        raise EvaluationError(diags)

    # ---- one item ----------------------------------------------------------------------------
    def price(self, item: Item, ev: Event, person: Person, notes: list | None) -> Number:
        """One scored item's points; raises Refused for a row the policy refuses."""
        if item.points_kind == "band":
            return self.band_points(item, ev, notes)
        try:
            return self.points.item(item, ev, person)
        except Refusal as r:
            raise Refused(
                "refused",
                f"{r.message} [{item.cite}]",
                _("see item `{code}`").format(code=item.code),
            ) from None
        except BadValue as exc:  # a negative or non-number result: still an error of the row
            raise Refused("evaluation", f"{exc} [{item.cite}]") from None

    def band_points(self, item: Item, ev: Event, notes: list | None) -> Number:
        start = self.index[item.band]  # type: ignore[index]
        idx, move = self.move(item, start, ev)
        band = self.bands[idx]
        value, grade = self.value(item, band, ev, start, idx, move)
        if notes is not None:  # (told only to a story: the text costs more than the value)
            where = band_text(band) if move is None else self.where(start, idx, move)
            how = (
                ""
                if grade is None
                else _(", {grade} [{cite}]").format(
                    grade=grade.label or grade.value,
                    cite=self.grades.cite,  # type: ignore[union-attr]
                )
            )
            cite = move.cite if move is not None else band.cite
            notes.append(
                (
                    _("{code}, {where}{how}: {points}").format(
                        code=item.code, where=where, how=how, points=_points(value)
                    ),
                    cite,
                )
            )
        return value

    def where(self, start: int, idx: int, move: Move | None) -> str:
        """The band as the row moved it, with the article that moved it: 情节严重 (7–9),
        moved down one band by 从轻 [第六条] to 情节一般 (4–6); or the band alone, with its
        own article, when nothing moved it."""
        band = self.bands[idx]
        if move is None:
            return f"{band_text(band)} [{band.cite}]"
        label = move.label or move.value
        target = start + move.by
        if 0 <= target < len(self.bands):
            n = abs(move.by)
            text = (
                ngettext(
                    "moved down one band by {label} [{cite}] to {band}",
                    "moved down {n} bands by {label} [{cite}] to {band}",
                    n,
                )
                if move.by < 0
                else ngettext(
                    "moved up one band by {label} [{cite}] to {band}",
                    "moved up {n} bands by {label} [{cite}] to {band}",
                    n,
                )
            ).format(n=n, label=label, cite=move.cite, band=band_text(band))
        else:
            text = (
                _("not moved by {label} [{cite}]: the lowest band already")
                if target < 0
                else _("not moved by {label} [{cite}]: the highest band already")
            ).format(label=label, cite=move.cite)
        return _("{band}, {moved}").format(band=band_text(self.bands[start]), moved=text)

    def move(self, item: Item, start: int, ev: Event) -> tuple[int, Move | None]:
        """The band a band item lands in, and the move that took it there (None: none)."""
        sh = self.shift
        if sh is None:
            return start, None
        raw = (ev.attrs or {}).get(sh.column)
        value = raw if raw else sh.default
        if value is None:
            raise Refused(
                "value",
                _("item `{code}` is moved by `{column}`, which is empty [{cite}]").format(
                    code=item.code, column=sh.column, cite=sh.cite
                ),
                _("give one of {values}").format(values=_(", ").join(sh.moves)),
            )
        move = sh.moves.get(value)
        if move is None:
            raise _unknown(sh.column, value, sh.moves, sh.cite)
        if move.by == 0:
            return start, None
        idx = start + move.by
        top = len(self.bands) - 1
        if 0 <= idx <= top:
            return idx, move
        if sh.ends == "refuse":
            raise Refused(
                "value",
                (
                    _(
                        "item `{code}` is in {band}, the lowest band: {label} [{cite}] cannot "
                        "move it"
                    )
                    if idx < 0
                    else _(
                        "item `{code}` is in {band}, the highest band: {label} [{cite}] cannot "
                        "move it"
                    )
                ).format(
                    code=item.code,
                    band=band_text(self.bands[start]),
                    label=move.label or move.value,
                    cite=move.cite,
                ),
                _("check `{column}`, or let `shift.ends: stay` keep the band").format(
                    column=sh.column
                ),
            )
        return (0 if idx < 0 else top), move

    def value(
        self, item: Item, band: PointBand, ev: Event, start: int, idx: int, move: Move | None
    ) -> tuple[Number, Grade | None]:
        """The value in the (moved) band: the grade's place (with the grade), or the
        decided points."""
        gr = self.grades
        if gr is not None:
            raw = (ev.attrs or {}).get(gr.column)
            key = raw if raw else gr.default
            if key is not None:
                grade = gr.grades.get(key)
                if grade is None:
                    raise _unknown(gr.column, key, gr.grades, gr.cite)
                at = grade.at
                placed = (
                    band.low
                    if at == "min"
                    else band.high
                    if at == "max"
                    else _whole(Fraction(band.low + band.high) / 2)
                )
                if ev.points is not None and ev.points != placed:
                    raise Refused(
                        "points",
                        _(
                            "points `{points}` given, but {grade} places item `{code}` at {value} "
                            "in {band} [{cite}]"
                        ).format(
                            points=number_text(ev.points),
                            grade=grade.label or grade.value,
                            code=item.code,
                            value=number_text(placed),
                            band=band_text(band),
                            cite=gr.cite,
                        ),
                        _("leave `points` empty, or give {value}").format(
                            value=number_text(placed)
                        ),
                    )
                return placed, grade
        pts = ev.points
        if pts is None:
            raise Refused(
                "points",
                _(
                    "item `{code}` takes {low} to {high} points ({where}): give the decided "
                    "value in `points`"
                ).format(
                    code=item.code,
                    low=number_text(band.low),
                    high=number_text(band.high),
                    where=self.where(start, idx, move),
                ),
            )
        if not band.low <= pts <= band.high:
            raise Refused(
                "points",
                _("points `{points}` is outside item `{code}`'s band: {where}").format(
                    points=number_text(pts), code=item.code, where=self.where(start, idx, move)
                ),
                _("give a value from {low} to {high}").format(
                    low=number_text(band.low), high=number_text(band.high)
                ),
            )
        return pts, None


def _unknown(column: str, value: str, values: dict, cite: str) -> Refused:
    """A row whose circumstance or grade is none of the policy's values."""
    return Refused(
        "value",
        _("`{column}` is `{value}`, not one of {values} [{cite}]").format(
            column=column, value=value, values=_(", ").join(values), cite=cite
        ),
        _("give one of {values}").format(values=_(", ").join(values)),
    )


def refuse_case_scoring(history: Any) -> None:
    """A history of several versions where one prices findings by the case (`scoring`,
    `refuse`) is refused, with where and why: the lenity across versions (从旧兼从轻)
    compares an act's points under each version, and a band moved by the row's
    circumstance has no counterpart under a version without bands. Evaluate each
    version's period under its own file until the language says how they compare."""
    if len(history.versions) < 2:
        return
    for p in history.versions:
        if p.case_scoring:
            raise EvaluationError(
                Diagnostic(
                    "scoring",
                    _(
                        "version {version} prices findings by the case (`scoring` or "
                        "`refuse`), which a history of several versions cannot compare yet"
                    ).format(version=p.version),
                    Span(p.path),
                    _("evaluate each version's period with its own policy file"),
                )
            )


def _whole(x: Any) -> Number:
    return x.numerator if getattr(x, "denominator", 1) == 1 else x


def _points(value: Number) -> str:
    return ngettext("{n} point", "{n} points", 1 if value == 1 else 2).format(n=number_text(value))
