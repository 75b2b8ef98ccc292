"""Which columns of a ledger a policy reads: every other column is dropped as it is read.

Data minimisation (PIPL art. 6: no more personal information than the purpose
needs): a ledger exported from a bureau's system or a hospital's spreadsheet
often carries the practitioner's name, ID number (身份证号), telephone, the
patient involved. The engine needs none of them unless the policy's own
expressions read them (`event.NAME`, `person.NAME`), so the reader keeps, of
the columns beyond the engine's, only those: the others are never held,
never reach an outcome, a report, a temporary file (`diff --events`), the
story or an error message.

The columns are found from the policy itself, by walking every expression of
the model (tiers, rules, items, credits, bans, conditions, facts, institution
and claims rules, and any key added later): a walk over the dataclasses rather
than a list of keys, so that a new key's expressions are counted without
anyone remembering to add them here.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterator
from typing import Any

from engine.ledger.columns import ENGINE_EXTRAS
from engine.policy.model import Expr


def expressions(policy: Any) -> Iterator[Expr]:
    """Every compiled expression of a policy (or of each version of a history)."""
    versions = getattr(policy, "versions", None)
    for p in versions if versions is not None else (policy,):
        yield from _walk(p, set())


def _walk(obj: Any, seen: set[int]) -> Iterator[Expr]:
    if isinstance(obj, Expr):
        yield obj
        return
    if isinstance(obj, (str, bytes, int, float)) or obj is None or id(obj) in seen:
        return
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if not type(obj).__module__.startswith("engine.policy"):
            return  # a syntax tree (engine.dsl.ast): holds no compiled expression
        seen.add(id(obj))
        for f in dataclasses.fields(obj):
            yield from _walk(getattr(obj, f.name), seen)
    elif isinstance(obj, dict):
        seen.add(id(obj))
        for value in obj.values():
            yield from _walk(value, seen)
    elif isinstance(obj, (tuple, list, frozenset, set)):
        seen.add(id(obj))
        for value in obj:
            yield from _walk(value, seen)


# policy (by identity) -> (a weak reference to it, {name: attributes read}): the walk
# takes a millisecond or two, and a service reads each request's rows with a new reader
_MEMO: dict[int, tuple[weakref.ref, dict[str, frozenset[str]]]] = {}


def attributes_read(policy: Any, name: str) -> frozenset[str]:
    """The attributes of `name` (`event`, `person`) the policy's expressions read."""
    held = _MEMO.get(id(policy))
    if held is None or held[0]() is not policy:
        found: dict[str, set[str]] = {}
        for e in expressions(policy):
            for n, a in e.attrs:
                found.setdefault(n, set()).add(a)
        key = id(policy)
        held = (
            weakref.ref(policy, lambda _ref: _MEMO.pop(key, None)),
            {n: frozenset(a) for n, a in found.items()},
        )
        _MEMO[key] = held
    return held[1].get(name, frozenset())


def event_columns_kept(policy: Any) -> frozenset[str]:
    """The columns beyond the engine's own (columns.FIELDS) that an event keeps: those the
    policy reads as `event.NAME`, and those the engine reads itself (ENGINE_EXTRAS)."""
    return attributes_read(policy, "event") | ENGINE_EXTRAS | scoring_columns(policy)


def scoring_columns(policy: Any) -> frozenset[str]:
    """The event columns a policy reads by name rather than by expression: the column
    that moves a band item's band, the one that grades its value (`scoring`), and those
    no finding may leave empty (`ledger.required`)."""
    versions = getattr(policy, "versions", None)
    out: set[str] = set()
    for p in versions if versions is not None else (policy,):
        sc = getattr(p, "scoring", None)
        if sc is not None:
            out.update(part.column for part in (sc.shift, sc.grades) if part is not None)
        out.update(getattr(p, "required_columns", ()))  # `ledger.required` (issue 20 §5)
    return frozenset(out)
