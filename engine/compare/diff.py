"""Stage "diff": two loaded policies -> the list of what changed, in the regulation's terms.

Input: two `Policy` objects (and, optionally, a map of old item codes to new
ones); output: a `PolicyDiff` holding a flat list of `Change`s, one per
changed field of one element, each naming its section, the element (item
code, tier id, rule id, ban number, ...), the field, the old and new values as
text and the citation on each side. `render.py` formats it; `impact.py`
uses it (and the item pairing) to say whose outcome changes.

Choices that are not obvious:

- Meaning, not text. Expressions compare by syntax tree (`Expr.node`, whose
  positions are left out of equality), with the parameters of `x -> ...`
  renamed canonically, so `c -> c.deducted >= 9` equals `y -> y.deducted >= 9`.
  A tier whose condition is written differently but describes the same band
  of `deducted` (`deducted >= 12` and `12 <= deducted`) is unchanged; one whose
  text is the same but whose band moved (a `score` tier under a new
  `scale.initial`) is changed. Action phrases compare by their parsed form.
  Item texts compare after the provenance normalisation (spaces, full-width
  forms), so re-typing a quote is no change. Reformatting, key order,
  comments and quoting therefore give no changes.
- Order. Items, credits, tiers, rules, conditions, effects, deadlines, facts,
  provisions and institution rules are matched by their code, id or content,
  whatever their order. Bans are ordered (first match wins): they are aligned
  in order, and the same bans in a different order are one change (`order`).
- Renumbering. Items pair through, in turn: the `--map` file (old code -> new
  code, or null for "no counterpart"); the same code with the same text; the
  same normalised text under another code (reported `recoded`, when that text
  is unique on both sides); the same code (`codemap.pair_items`). What is
  left is removed or added. Tiers, rules, deadlines, facts and institution
  rules whose id changed but whose content did not are `recoded` too.
- Citations. Every entry carries the element's citation on both sides; a
  changed citation is an entry of its own only when nothing else of the
  element changed.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, TypeVar

from engine.dsl import ast
from engine.errors import Diagnostic, PolicyError
from engine.i18n import N_
from engine.numbers import number_text
from engine.policy import bands, provenance
from engine.policy.codemap import Pairing, load_map, pair_items
from engine.policy.model import ActionSpec, Ban, Billing, Expr, Item, Policy, Scoring, Tier

SECTIONS = (
    "metadata",
    "scale",
    "cycle",
    "combine",
    "scoring",
    "items",
    "credits",
    "actions",
    "tiers",
    "rules",
    "sanctions",
    "restoration",
    "reapplication",
    "bans",
    "institutions",
    "deadlines",
    "facts",
    "billing",
    "claims",
    "ledger",
    "provisions",
)
KINDS = ("added", "removed", "changed", "recoded")


@dataclass(frozen=True)
class Change:
    """One changed field of one element.

    `element`, `old` and `new` are display text (None: absent), for reading; a tool
    that looks a change up by what a ledger meets (impact.py) reads the structured
    fields instead, and never parses the display text: `entity`, what the element is,
    and `old_id` / `new_id`, its id in each policy (None where it is absent, or has no
    id: a block's field, a ban, a provision).
    """

    section: str
    kind: str  # added | removed | changed | recoded
    element: str  # "A1", "A1 -> B1", "suspend-3m", "#2 terminations == 1", "" for a block
    field: str  # "points", "bounds", "action", "duration", "cite", ... ("" for added/removed)
    old: str | None
    new: str | None
    old_cite: str | None = None
    new_cite: str | None = None
    note: str | None = None
    old_id: str | None = None
    new_id: str | None = None
    # item | credit | tier | rule | condition | institution rule | cascade | ban |
    # provision | "" (a block's field: scale, cycle, combine, ...)
    entity: str = ""

    @property
    def ids(self) -> tuple[str | None, str | None]:
        return (self.old_id, self.new_id)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of `policyctl diff --format json` (the display fields)."""
        return {
            k: v
            for k, v in dataclasses.asdict(self).items()
            if k not in _STRUCTURED and (v is not None or k in ("old", "new"))
        }


_STRUCTURED = frozenset({"old_id", "new_id", "entity"})  # for tools, not in the JSON


@dataclass
class PolicyDiff:
    old: Policy
    new: Policy
    changes: list[Change]
    items: Pairing
    credits: Pairing
    map_path: str | None = None

    def __bool__(self) -> bool:
        return bool(self.changes)

    def by_section(self) -> dict[str, list[Change]]:
        out: dict[str, list[Change]] = {}
        for c in self.changes:
            out.setdefault(c.section, []).append(c)
        return out

    def as_dict(self) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for c in self.changes:
            counts[c.section] = counts.get(c.section, 0) + 1
        return {
            "old": _ident(self.old),
            "new": _ident(self.new),
            "map": self.map_path,
            "changes": [c.as_dict() for c in self.changes],
            "counts": counts,
        }


def _ident(p: Policy) -> dict[str, str]:
    return {"id": p.id, "version": p.version, "path": p.path}


# ---- entry points ---------------------------------------------------------------------------


def diff_files(
    old_path: str | Path,
    new_path: str | Path,
    map_path: str | Path | None = None,
    *,
    allow_outside: bool = False,
) -> PolicyDiff:
    """Load both policies (and the map) and diff them; raises PolicyError.
    `allow_outside`: let a policy's `source.file` lie outside its folder tree."""
    from functools import partial

    from engine.policy.loader import load_policy

    old, new = load_both(partial(load_policy, allow_outside=allow_outside), old_path, new_path)
    code_map = load_map(map_path, old, new) if map_path is not None else None
    d = diff_policies(old, new, code_map)
    d.map_path = None if map_path is None else str(map_path)
    return d


_T = TypeVar("_T")


def load_both(load: Callable[[str | Path], _T], old_path: str | Path, new_path: str | Path):
    """OLD and NEW, each loaded with `load`; the problems of both files are raised
    together (one PolicyError), so that a user fixes both in one go."""
    errors: list[Diagnostic] = []
    loaded: list[_T] = []
    for path in (old_path, new_path):
        try:
            loaded.append(load(path))
        except PolicyError as exc:
            errors += exc.diagnostics
    if errors:
        raise PolicyError(errors)
    return loaded[0], loaded[1]


def diff_policies(
    old: Policy, new: Policy, code_map: dict[str, str | None] | None = None
) -> PolicyDiff:
    """Every semantic change from `old` to `new`, in section order."""
    code_map = code_map or {}
    items = pair_items(old.items, new.items, code_map)
    credits = pair_items(old.credits, new.credits, code_map)
    d = _Differ(old, new)
    d.metadata()
    d.blocks()
    scoring_changes(d, old.scoring, new.scoring)
    d.items("items", old.items, new.items, items)
    d.items("credits", old.credits, new.credits, credits)
    d.keyed(
        "actions",
        list(old.actions.values()),
        list(new.actions.values()),
        "name",
        [("label", lambda a: a.label)],
        lambda a: a.label,
        entity="action",
    )
    d.tiers()
    d.keyed(
        "rules",
        old.rules,
        new.rules,
        "id",
        [
            ("when", lambda r: _E(r.when)),
            ("action", lambda r: _A(r.then)),
            ("cause", lambda r: r.cause),
        ],
        lambda r: f"{r.when.text}: {_acts(r.then)}",
        entity="rule",
    )
    d.sanctions_restoration()
    d.conditions()
    d.bans()
    d.institutions()
    d.keyed(
        "deadlines",
        old.deadlines,
        new.deadlines,
        "id",
        [("after", lambda x: x.after), ("within", lambda x: x.within), ("on", lambda x: x.on)],
        lambda x: f"{x.within} after {x.after}" + (f" on {_show(x.on)}" if x.on else ""),
        entity="deadline",
    )
    d.keyed(
        "facts",
        old.facts,
        new.facts,
        "name",
        [("value", lambda f: _E(f.value))],
        lambda f: f.value.text,
        entity="fact",
    )
    d.keyed(
        "claims",
        old.claims,
        new.claims,
        "id",
        [
            ("when", lambda r: _E(r.when)),
            ("then", lambda r: r.then),
            ("text", lambda r: provenance.normalise(r.text)),
            ("reason", lambda r: r.reason),
        ],
        lambda r: f"{r.when.text}: {r.then}",
        entity="claims rule",
    )
    d.billing()
    d.ledger()
    d.provisions()
    return PolicyDiff(old, new, d.out, items, credits)


# ---- meaning-preserving normal forms --------------------------------------------------------


def canonical(node: ast.Node, bound: tuple[str, ...] = ()) -> ast.Node:
    """The node with lambda parameters renamed by depth, so bound names do not matter."""
    if isinstance(node, ast.Lambda):
        return ast.Lambda(f"%{len(bound)}", canonical(node.body, bound + (node.param,)))
    if isinstance(node, ast.Name) and node.id in bound:
        depth = len(bound) - 1 - bound[::-1].index(node.id)
        return ast.Name(f"%{depth}")
    if not ast.children(node):
        return node
    kwargs = {}
    for f in dataclasses.fields(node):
        if f.name == "pos":
            continue
        v = getattr(node, f.name)
        if isinstance(v, tuple):
            v = tuple(canonical(x, bound) if isinstance(x, ast.Node) else x for x in v)
        elif isinstance(v, ast.Node):
            v = canonical(v, bound)
        kwargs[f.name] = v
    return type(node)(**kwargs)


class _E:
    """An expression compared by meaning and shown by its text."""

    __slots__ = ("expr", "key")

    def __init__(self, expr: Expr | None):
        self.expr = expr
        self.key = None if expr is None else canonical(expr.node)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _E) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return "always" if self.expr is None else self.expr.text


class _A:
    """A tuple of action phrases compared by their parsed form."""

    __slots__ = ("specs", "key")

    def __init__(self, specs: Sequence[ActionSpec] | ActionSpec):
        self.specs = (specs,) if isinstance(specs, ActionSpec) else tuple(specs)
        self.key = tuple(s.action for s in self.specs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _A) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __str__(self) -> str:
        return _acts(self.specs)


def _acts(specs: Iterable[ActionSpec]) -> str:
    return ", ".join(s.text for s in specs)


def _show(v: Any) -> str | None:
    """A value as the text a change shows."""
    if v is None:
        return None
    if isinstance(v, (frozenset, set)):
        return ", ".join(sorted(map(str, v)))
    if isinstance(v, (int, Fraction)) and not isinstance(v, bool):
        return number_text(v)
    return str(v)


def points_text(item: Item) -> str:
    """What an item is worth, as written: `3`, `1 to 3`, or its expression."""
    if item.points_kind == "fixed":
        return number_text(item.points)
    if item.points_kind == "range":
        return f"{number_text(item.low)} to {number_text(item.high)}"
    if item.points_kind == "band":
        return f"band {item.band}"
    return item.expr.text if item.expr else ""


def _points_key(item: Item) -> tuple:
    return (
        item.points_kind,
        item.points,
        item.low,
        item.high,
        item.band,
        None if item.expr is None else canonical(item.expr.node),
    )


def _effects_key(item: Item) -> tuple:
    keys = [
        (
            repr(None if e.when is None else canonical(e.when.node)),
            repr(tuple(s.action for s in e.then)),
            e.cite,
        )
        for e in item.effects
    ]
    return tuple(sorted(keys))


def effects_text(item: Item) -> str:
    parts = []
    for e in item.effects:
        head = f"when {e.when.text}: " if e.when is not None else ""
        parts.append(f"{head}{_acts(e.then)} ({e.cite})")
    return "; ".join(parts) or "none"


def item_summary(item: Item) -> str:
    """An added or removed item in one line: what it is worth, does, and says."""
    worth = (
        f"points = {points_text(item)}"
        if item.points_kind == "computed"
        else f"{points_text(item)} points"
    )
    if item.effects:
        worth += f", {effects_text(item)}"
    return f"{worth}: {item.text}"


def scoring_changes(d: _Differ, a: Scoring | None, b: Scoring | None) -> None:
    """`scoring` entry by entry: bands by id (their bounds and labels), the moves by
    the shift column's value, the grades by value, and the conditions on scoring in
    order; a block added or removed whole is one change."""
    if a is None and b is None:
        return
    if a is None or b is None:
        kind = "added" if a is None else "removed"
        x = a or b
        text = ", ".join(str(x.bands[k]) for k in x.order)  # type: ignore[union-attr]
        d.add("scoring", kind, "bands", "", text if a else None, None if a else text)
        return
    d.keyed(
        "scoring",
        [a.bands[k] for k in a.order],
        [b.bands[k] for k in b.order],
        "id",
        [("min", lambda x: x.low), ("max", lambda x: x.high), ("label", lambda x: x.label)],
        str,
        label="band ",
        entity="band",
    )
    for name, x, y in (("shift", a.shift, b.shift), ("grades", a.grades, b.grades)):
        if x is None or y is None:
            if x is not y:
                was = None if x is None else f"column {x.column}"
                now = None if y is None else f"column {y.column}"
                d.add("scoring", "added" if x is None else "removed", name, "", was, now)
            continue
        d.fields(
            "scoring",
            name,
            x,
            y,
            [("column", lambda z: z.column), ("default", lambda z: z.default)]
            + ([("ends", lambda z: z.ends)] if name == "shift" else []),
        )
    if a.shift is not None and b.shift is not None:
        d.keyed(
            "scoring",
            list(a.shift.moves.values()),
            list(b.shift.moves.values()),
            "value",
            [("by", lambda m: m.by), ("label", lambda m: m.label)],
            lambda m: f"by {m.by}" + (f" ({m.label})" if m.label else ""),
            label="shift ",
            renames=False,
            entity="move",
        )
    if a.grades is not None and b.grades is not None:
        ga, gb = a.grades, b.grades
        d.keyed(
            "scoring",
            [_Cited(g, ga.cite) for g in ga.grades.values()],
            [_Cited(g, gb.cite) for g in gb.grades.values()],
            "value",
            [("at", lambda g: g.at), ("label", lambda g: g.label)],
            lambda g: f"at {g.at}" + (f" ({g.label})" if g.label else ""),
            label="grade ",
            renames=False,
            entity="grade",
        )
    d.keyed(
        "scoring",
        [_Nth(i, c) for i, c in enumerate(a.conditions)],
        [_Nth(i, c) for i, c in enumerate(b.conditions)],
        "n",
        [
            ("when", lambda c: _E(c.when)),
            ("items", lambda c: c.items),
            ("reason", lambda c: c.reason),
        ],
        lambda c: f"{c.when.text}: {c.reason}",
        label="scored_when #",
        renames=False,
        entity="scoring condition",
    )


class _Cited:
    """An element shown with the cite of the block that declares it."""

    def __init__(self, inner: Any, cite: str):
        self._inner, self.cite = inner, cite

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class _Nth(_Cited):
    """A list element keyed by its position (1-based, as the change shows it)."""

    def __init__(self, i: int, inner: Any):
        super().__init__(inner, inner.cite)
        self.n = i + 1


# ---- the differ -----------------------------------------------------------------------------


class _Differ:
    def __init__(self, old: Policy, new: Policy):
        self.a = old
        self.b = new
        self.out: list[Change] = []
        self.ids: tuple[str | None, str | None] = (None, None)  # of the element at hand
        self.entity = ""  # what the elements at hand are (Change.entity)

    def add(
        self,
        section: str,
        kind: str,
        element: str,
        field: str,
        old: Any,
        new: Any,
        old_cite: str | None = None,
        new_cite: str | None = None,
        note: str | None = None,
        ids: tuple[str | None, str | None] | None = None,
    ) -> None:
        self.out.append(
            Change(
                section,
                kind,
                element,
                field,
                _show(old),
                _show(new),
                old_cite,
                new_cite,
                note,
                *(ids or self.ids),
                self.entity,
            )
        )

    def fields(
        self,
        section: str,
        element: str,
        x: Any,
        y: Any,
        getters: Sequence[tuple[str, Callable[[Any], Any]]],
        cite: bool = True,
    ) -> None:
        """A `changed` entry per differing field (and the citation), both cites attached."""
        xc, yc = getattr(x, "cite", None), getattr(y, "cite", None)
        before = len(self.out)
        for name, get in getters:
            u, v = get(x), get(y)
            if u != v:
                self.add(section, "changed", element, name, u, v, xc, yc)
        if cite and xc != yc and len(self.out) == before:
            self.add(section, "changed", element, "cite", xc, yc, xc, yc)

    # -- blocks of scalars ---------------------------------------------------------------
    def metadata(self) -> None:
        a, b = self.a, self.b
        for name, u, v in (
            ("id", a.id, b.id),
            ("version", a.version, b.version),
            ("title", a.title, b.title),
            ("issuer", a.issuer, b.issuer),
            ("document", a.document, b.document),
            ("issued", a.issued, b.issued),
            ("effective.from", a.effective_from, b.effective_from),
            ("effective.to", a.effective_to, b.effective_to),
            ("supersedes", a.supersedes, b.supersedes),
            ("source.file", a.source_file, b.source_file),
            ("source.sha256", a.source_sha256, b.source_sha256),
        ):
            if u != v:
                self.add("metadata", "changed", "", name, u, v)

    def blocks(self) -> None:
        a, b = self.a, self.b
        self.fields(
            "scale",
            "",
            a.scale,
            b.scale,
            [
                ("kind", lambda s: s.kind),
                ("initial", lambda s: s.initial),
                ("unit", lambda s: s.unit),
            ],
        )
        self.fields(
            "cycle",
            "",
            a.cycle,
            b.cycle,
            [
                ("start", lambda c: f"{c.start_month:02d}-{c.start_day:02d}"),
                ("cap", lambda c: c.cap),
                ("credit_cap", lambda c: c.credit_cap),
                ("credit_total_cap", lambda c: c.credit_total_cap),
                (
                    "credits_after_termination",
                    lambda c: "true" if c.credits_after_termination else "false",
                ),
                ("resets", lambda c: c.resets),
                ("reset_when", lambda c: _E(c.reset_when)),
            ],
        )
        self.fields(
            "combine",
            "",
            a.combine,
            b.combine,
            [
                ("same_act", lambda c: c.same_act),
                ("same_inspection", lambda c: c.same_inspection),
                ("sites", lambda c: c.sites),
            ],
        )

    def billing(self) -> None:
        """What the service answers (`billing`): the statuses refused, the quoted text,
        and what the fund still pays for. A policy without it pays only active people:
        its fields read as none."""
        self.entity = ""

        def ex(b: Billing | None) -> Any:
            return b and b.exception

        self.fields(
            "billing",
            "",
            self.a.billing,
            self.b.billing,
            [
                ("refused_while", lambda b: b and (b.refused_while or None)),
                ("text", lambda b: b and provenance.normalise(b.text)),
                ("exception.covers", lambda b: ex(b) and frozenset(ex(b).covers)),
                ("exception.text", lambda b: ex(b) and provenance.normalise(ex(b).text)),
                ("exception.cite", lambda b: ex(b) and ex(b).cite),
            ],
        )

    def ledger(self) -> None:
        """The columns a ledger may lack (`ledger.optional`) or no finding may leave
        empty (`ledger.required`): which ledgers the policy accepts."""
        self.entity = ""
        a, b = self.a, self.b
        for name, u, v in (
            ("optional", a.optional_columns or None, b.optional_columns or None),
            ("required", a.required_columns or None, b.required_columns or None),
        ):
            if u != v:
                self.add("ledger", "changed", "", name, u, v)

    def sanctions_restoration(self) -> None:
        a, b = self.a, self.b
        if a.overlap != b.overlap:
            self.add(
                "sanctions",
                "changed",
                "",
                "overlap",
                a.overlap,
                b.overlap,
                a.overlap_cite,
                b.overlap_cite,
            )
        if a.overlap_cite != b.overlap_cite and a.overlap == b.overlap:
            self.add(
                "sanctions",
                "changed",
                "",
                "cite",
                a.overlap_cite,
                b.overlap_cite,
                a.overlap_cite,
                b.overlap_cite,
            )
        if (a.take_effect, a.take_effect_cite) != (b.take_effect, b.take_effect_cite):
            # when a sanction binds: on computation, or on an official's decision
            self.add(
                "sanctions",
                "changed",
                "",
                "take_effect",
                a.take_effect,
                b.take_effect,
                a.take_effect_cite,
                b.take_effect_cite,
            )
        if a.restoration != b.restoration:
            self.add(
                "restoration",
                "changed",
                "",
                "by",
                a.restoration,
                b.restoration,
                a.restoration_cite,
                b.restoration_cite,
            )
        if a.restoration_cite != b.restoration_cite and a.restoration == b.restoration:
            self.add(
                "restoration",
                "changed",
                "",
                "cite",
                a.restoration_cite,
                b.restoration_cite,
                a.restoration_cite,
                b.restoration_cite,
            )

    # -- items -----------------------------------------------------------------------------
    def items(
        self, section: str, old: dict[str, Item], new: dict[str, Item], pairing: Pairing
    ) -> None:
        self.entity = "item" if section == "items" else "credit"
        removed = dict(pairing.unmatched_old)
        paired = {o: (n, how) for o, n, how in pairing.pairs}
        for code, item in old.items():
            if code in removed:
                note = N_("mapped to no counterpart") if removed[code] else None
                self.add(
                    section,
                    "removed",
                    code,
                    "",
                    item_summary(item),
                    None,
                    item.cite,
                    None,
                    note,
                    (code, None),
                )
                continue
            target, how = paired[code]
            other = new[target]
            element = code if code == target else f"{code} -> {target}"
            self.ids = (code, target)
            if code != target:
                note = N_("paired by the map") if how == "map" else N_("same text")
                self.add(
                    section, "recoded", element, "code", code, target, item.cite, other.cite, note
                )
            self.item_fields(section, element, item, other)
            self.ids = (None, None)
        for code in pairing.unmatched_new:
            item = new[code]
            self.add(
                section,
                "added",
                code,
                "",
                None,
                item_summary(item),
                None,
                item.cite,
                ids=(None, code),
            )
        self.entity = ""

    def item_fields(self, section: str, element: str, x: Item, y: Item) -> None:
        before = len(self.out)
        if x.points_kind == y.points_kind == "band":  # a band change, not the whole points
            if x.band != y.band:
                self.add(section, "changed", element, "band", x.band, y.band, x.cite, y.cite)
        elif _points_key(x) != _points_key(y):
            self.add(
                section,
                "changed",
                element,
                "points",
                points_text(x),
                points_text(y),
                x.cite,
                y.cite,
            )
        if provenance.normalise(x.text) != provenance.normalise(y.text):
            self.add(section, "changed", element, "text", x.text, y.text, x.cite, y.cite)
        if x.cause != y.cause:
            self.add(section, "changed", element, "cause", x.cause, y.cause, x.cite, y.cite)
        if _effects_key(x) != _effects_key(y):
            self.add(
                section,
                "changed",
                element,
                "effects",
                effects_text(x),
                effects_text(y),
                x.cite,
                y.cite,
            )
        if x.cite != y.cite and len(self.out) == before:
            self.add(section, "changed", element, "cite", x.cite, y.cite, x.cite, y.cite)

    # -- elements with ids -------------------------------------------------------------------
    def keyed(
        self,
        section: str,
        old: Sequence[Any],
        new: Sequence[Any],
        key: str,
        getters: Sequence[tuple[str, Callable[[Any], Any]]],
        summary: Callable[[Any], str],
        label: str = "",
        ident: Callable[[Any], Any] | None = None,
        name: Callable[[Any], str] | None = None,
        renames: bool = True,
        entity: str = "",
    ) -> None:
        """Match elements by id (`key`), or by content when only the id changed; diff the
        fields. `ident` overrides the matching key, `name` the element's id (shown after
        `label`); `entity` says what the elements are (Change.entity)."""
        self.entity = entity
        ident = ident or (lambda x: getattr(x, key))
        name = name or (lambda x: str(getattr(x, key)))

        def content(x: Any) -> tuple:
            return tuple(get(x) for _, get in getters)

        by_new = {ident(y): y for y in new}
        matched = {ident(x) for x in old} & set(by_new)
        lone_old = [x for x in old if ident(x) not in matched]
        lone_new = [y for y in new if ident(y) not in matched]
        renamed: dict[Any, Any] = {}
        for x in lone_old if renames else ():
            hits = [y for y in lone_new if content(y) == content(x)]
            if len(hits) == 1:
                renamed[ident(x)] = hits[0]
                lone_new.remove(hits[0])
        for x in old:
            element = label + name(x)
            y = by_new.get(ident(x)) if ident(x) in matched else renamed.get(ident(x))
            if y is None:
                self.add(
                    section, "removed", element, "", summary(x), None, x.cite, ids=(name(x), None)
                )
                continue
            self.ids = (name(x), name(y))
            if ident(y) != ident(x):
                element = f"{element} -> {label}{name(y)}"
                self.add(section, "recoded", element, key, name(x), name(y), x.cite, y.cite)
            self.fields(section, element, x, y, getters)
            self.ids = (None, None)
        for y in lone_new:
            self.add(
                section,
                "added",
                label + name(y),
                "",
                None,
                summary(y),
                None,
                y.cite,
                ids=(None, name(y)),
            )
        self.entity = ""

    def tiers(self) -> None:
        a, b = self.a, self.b
        # each tier's scale unit: a band is the set of totals its policy can reach
        units = {id(t): p.scale.unit for p in (a, b) for t in p.tiers}
        self.keyed(
            "tiers",
            a.tiers,
            b.tiers,
            "id",
            [("bounds", lambda t: _Bounds(t, units[id(t)])), ("then", lambda t: _A(t.then))],
            lambda t: f"{_Bounds(t, units[id(t)])}: {_acts(t.then)}",
            entity="tier",
        )
        # Split `then` into `action` (another kind) and `duration` (same kinds, other lengths).
        out = []
        for c in self.out:
            if c.section == "tiers" and c.field == "then":
                kinds_old = _kinds(a.tiers, c, old=True)
                kinds_new = _kinds(b.tiers, c, old=False)
                field = "duration" if kinds_old == kinds_new else "action"
                c = dataclasses.replace(c, field=field)
            out.append(c)
        self.out = out

    def conditions(self) -> None:
        self.keyed(
            "reapplication",
            self.a.conditions,
            self.b.conditions,
            "when",
            [("message", lambda c: c.message), ("after", lambda c: c.after)],
            lambda c: c.message,
            label="condition ",
            ident=lambda c: _E(c.when),
            name=lambda c: c.when.text,
            renames=False,
            entity="condition",
        )

    def institutions(self) -> None:
        a, b = self.a, self.b
        self.keyed(
            "institutions",
            a.institution_rules,
            b.institution_rules,
            "id",
            [("when", lambda r: _E(r.when)), ("action", lambda r: _A(r.then))],
            lambda r: f"{r.when.text}: {_acts(r.then)}",
            label="rule ",
            entity="institution rule",
        )
        self.keyed(
            "institutions",
            list(a.cascades.values()),
            list(b.cascades.values()),
            "on",
            [("action", lambda c: _A(c.then))],
            lambda c: c.then.text,
            label="cascade on ",
            entity="cascade",
        )

    # -- bans: ordered -----------------------------------------------------------------------
    def bans(self) -> None:
        self.entity = "ban"
        try:
            self._bans()
        finally:
            self.entity = ""

    def _bans(self) -> None:
        old, new = self.a.bans, self.b.bans
        ko = [_ban_key(x) for x in old]
        kn = [_ban_key(y) for y in new]
        if ko != kn and sorted(map(repr, ko)) == sorted(map(repr, kn)):
            self.add(
                "bans",
                "changed",
                "",
                "order",
                "; ".join(_ban_text(x) for x in old),
                "; ".join(_ban_text(y) for y in new),
                old[0].cite,
                new[0].cite,
                "first match wins: the order decides which ban applies",
            )
            return
        sm = difflib.SequenceMatcher(None, ko, kn, autojunk=False)
        for op, i1, i2, j1, j2 in sm.get_opcodes():
            if op in ("equal", "replace"):
                for i, j in zip(range(i1, i2), range(j1, j2), strict=False):
                    self.ban_fields(i, old[i], j, new[j])
                if op == "equal":
                    continue
                i1, j1 = i1 + min(i2 - i1, j2 - j1), j1 + min(i2 - i1, j2 - j1)
            for i in range(i1, i2):
                self.add(
                    "bans",
                    "removed",
                    _ban_element(i, old[i]),
                    "",
                    _ban_text(old[i]),
                    None,
                    old[i].cite,
                )
            for j in range(j1, j2):
                self.add(
                    "bans",
                    "added",
                    _ban_element(j, new[j]),
                    "",
                    None,
                    _ban_text(new[j]),
                    None,
                    new[j].cite,
                )

    def ban_fields(self, i: int, x: Ban, j: int, y: Ban) -> None:
        element = _ban_element(i, x) if i == j else f"{_ban_element(i, x)} -> #{j + 1}"
        self.fields(
            "bans", element, x, y, [("when", lambda b: _E(b.when)), ("then", lambda b: _A(b.then))]
        )

    # -- provisions: no id -------------------------------------------------------------------
    def provisions(self) -> None:
        self.entity = "provision"
        try:
            self._provisions()
        finally:
            self.entity = ""

    def _provisions(self) -> None:
        old, new = list(self.a.provisions), list(self.b.provisions)

        def key(p) -> tuple:
            return (p.cite, provenance.normalise(p.text or ""))

        lone_new = list(new)
        pending = []
        for x in old:
            hit = next((y for y in lone_new if key(y) == key(x)), None)
            if hit is None:
                pending.append(x)
                continue
            lone_new.remove(hit)
            if (x.note or "") != (hit.note or ""):
                self.add(
                    "provisions", "changed", x.cite, "note", x.note, hit.note, x.cite, hit.cite
                )
        for x in pending:
            same_cite = [y for y in lone_new if y.cite == x.cite]
            if len(same_cite) == 1 and sum(p.cite == x.cite for p in pending) == 1:
                y = same_cite[0]
                lone_new.remove(y)
                self.add("provisions", "changed", x.cite, "text", x.text, y.text, x.cite, y.cite)
                if (x.note or "") != (y.note or ""):
                    self.add(
                        "provisions", "changed", x.cite, "note", x.note, y.note, x.cite, y.cite
                    )
            else:
                self.add("provisions", "removed", x.cite, "", x.text or x.note, None, x.cite)
        for y in lone_new:
            self.add("provisions", "added", y.cite, "", None, y.text or y.note, None, y.cite)


class _Bounds:
    """A tier's condition: equal when it holds the same reachable totals of `deducted`,
    or is the same tree.

    A band is compared as the set of totals it holds on its scale (the multiples of the
    unit from 0 up): on a whole-point scale `deducted > 9` and `deducted >= 10` hold the
    same totals and are the same band. Under two different units the sets are taken
    as written (the band itself), since the totals themselves differ.
    """

    __slots__ = ("tier", "unit", "steps")

    def __init__(self, tier: Tier, unit: Any = 1):
        self.tier = tier
        self.unit = unit
        band = tier.band
        # (first reachable total, last or None when unbounded, unbounded), None if empty
        self.steps: Any = None
        if band is not None and bands.first_step(band, unit) is not None:
            last = None if band.hi is None else bands.last_step(band, unit)
            self.steps = (bands.first_step(band, unit), last, band.hi is None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Bounds):
            return False
        x, y = self.tier, other.tier
        if self.steps is not None and other.steps is not None and self.unit == other.unit:
            return self.steps == other.steps
        if x.band is not None and y.band is not None:
            return x.band == y.band
        return canonical(x.when.node) == canonical(y.when.node)

    def __hash__(self) -> int:
        return hash(self.tier.band is None)

    def __str__(self) -> str:
        t = self.tier
        if t.band is not None and "deducted" not in t.when.names:
            return f"{t.when.text} ({t.band})"
        return t.when.text


def _kinds(tiers: Sequence[Tier], c: Change, old: bool) -> tuple[str, ...]:
    element = c.old_id if old else c.new_id
    tier = next((t for t in tiers if t.id == element), None)
    return () if tier is None else tuple(s.kind for s in tier.then)


def _ban_key(b: Ban) -> tuple:
    return (None if b.when is None else canonical(b.when.node), b.then.action)


def _ban_text(b: Ban) -> str:
    return f"{b.when.text if b.when else 'always'}: {b.then.text}"


def _ban_element(i: int, b: Ban) -> str:
    return f"#{i + 1} {b.when.text if b.when else 'always'}"
