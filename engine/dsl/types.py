"""The checker's types: enough to catch `score + "a"` and `cycle.deductd` before anything runs.

Records describe the objects the evaluator hands to expressions (an event, a
person, a cycle): `fields` maps each known attribute to its type; `extra` is
the type of any other attribute (a ledger's free columns are text), or None
when the record is closed and an unknown attribute is an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Prim:
    name: str

    def __str__(self) -> str:
        return self.name


NUM = Prim("number")
STR = Prim("text")
BOOL = Prim("boolean")
DATE = Prim("date")
DUR = Prim("duration")
NULL = Prim("null")
ANY = Prim("any")


@dataclass(frozen=True, slots=True)
class ListT:
    elem: Type

    def __str__(self) -> str:
        return f"list of {self.elem}"


@dataclass(frozen=True, slots=True)
class RecordT:
    name: str
    fields: Mapping[str, Type] = field(hash=False, compare=False)
    extra: Type | None = None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Optional:
    """A value that may be missing (null): `event.amount` when the column is empty."""

    inner: Type

    def __str__(self) -> str:
        return f"{self.inner} or null"


Type = Prim | ListT | RecordT | Optional


def strip(t: Type) -> Type:
    return t.inner if isinstance(t, Optional) else t


def compatible(a: Type, b: Type) -> bool:
    """Could a value of type a and one of type b meet in a comparison?"""
    a, b = strip(a), strip(b)
    if ANY in (a, b) or NULL in (a, b):
        return True
    if isinstance(a, ListT) and isinstance(b, ListT):
        return compatible(a.elem, b.elem)
    return a == b
