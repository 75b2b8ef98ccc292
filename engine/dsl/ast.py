"""The expression language's syntax tree: frozen dataclasses.

Each node keeps `pos` (offset of its first character in the expression text)
for error messages, excluded from equality: two expressions that mean the same
thing compare equal however they were written or spaced, which is what a
semantic diff of two policies needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from engine.numbers import number_text

Number = int | Fraction


def _pos() -> int:
    return field(default=0, compare=False, repr=False)  # type: ignore[return-value]


@dataclass(frozen=True)
class Num:
    value: Number
    pos: int = _pos()


@dataclass(frozen=True)
class Str:
    value: str
    pos: int = _pos()


@dataclass(frozen=True)
class Bool:
    value: bool
    pos: int = _pos()


@dataclass(frozen=True)
class Null:
    pos: int = _pos()


@dataclass(frozen=True)
class DateLit:
    value: str  # YYYY-MM-DD, checked by the checker
    pos: int = _pos()


@dataclass(frozen=True)
class Duration:
    """A length of time: `3 months`, `10 working days`. unit is singular."""

    amount: Number
    unit: str  # day | week | month | year | working day
    pos: int = _pos()

    def __str__(self) -> str:
        n = self.amount
        return f"{number_text(n)} {self.unit}{'' if n == 1 else 's'}"


@dataclass(frozen=True)
class ListLit:
    items: tuple[Node, ...]
    pos: int = _pos()


@dataclass(frozen=True)
class Name:
    id: str
    pos: int = _pos()


@dataclass(frozen=True)
class Attr:
    obj: Node
    name: str
    pos: int = _pos()


@dataclass(frozen=True)
class Index:
    obj: Node
    index: Node
    pos: int = _pos()


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]
    pos: int = _pos()


@dataclass(frozen=True)
class Lambda:
    param: str
    body: Node
    pos: int = _pos()


@dataclass(frozen=True)
class Unary:
    op: str  # "-" | "not"
    operand: Node
    pos: int = _pos()


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / and or
    left: Node
    right: Node
    pos: int = _pos()


@dataclass(frozen=True)
class Compare:
    """A comparison chain: operands[0] ops[0] operands[1] ops[1] operands[2] ..."""

    operands: tuple[Node, ...]
    ops: tuple[str, ...]
    pos: int = _pos()


@dataclass(frozen=True)
class Cond:
    test: Node
    then: Node
    else_: Node
    pos: int = _pos()


Node = (
    Num
    | Str
    | Bool
    | Null
    | DateLit
    | Duration
    | ListLit
    | Name
    | Attr
    | Index
    | Call
    | Lambda
    | Unary
    | Binary
    | Compare
    | Cond
)


@dataclass(frozen=True)
class Action:
    """An action phrase: `suspend 3 months`, `ban 1 to 2 years`, `ban never`, `refer`.

    kind is interview | suspend | terminate | refer | ban | a policy-named action.
    For a range, `low` < `high`; for a fixed length `high` is None; `low` is None
    for an open-ended suspension, and for a bound with no floor (`suspend up to
    30 days`: `high` alone). `never` marks a permanent ban.
    """

    kind: str
    low: Duration | None = None
    high: Duration | None = None
    never: bool = False
    pos: int = _pos()

    @property
    def discretionary(self) -> bool:
        return self.high is not None

    def __str__(self) -> str:
        if self.never:
            return f"{self.kind} never"
        if self.low is None:
            return self.kind if self.high is None else f"{self.kind} up to {self.high}"
        if self.high is None:
            return f"{self.kind} {self.low}"
        return f"{self.kind} {self.low.amount} to {self.high}"


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node, for generic walks."""
    match node:
        case ListLit(items=items):
            return items
        case Attr(obj=obj):
            return (obj,)
        case Index(obj=obj, index=index):
            return (obj, index)
        case Call(args=args):
            return args
        case Lambda(body=body):
            return (body,)
        case Unary(operand=operand):
            return (operand,)
        case Binary(left=left, right=right):
            return (left, right)
        case Compare(operands=operands):
            return operands
        case Cond(test=test, then=then, else_=else_):
            return (test, then, else_)
    return ()


def walk(node: Node):
    """Every node of a tree, parents before children, without recursion."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(children(n)))
