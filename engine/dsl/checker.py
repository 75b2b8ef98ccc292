"""Names, functions, arity and types, checked per YAML place before anything runs.

The loader gives each place in the policy (an item's points, a tier's
condition, a ban's condition...) its own scope: the names it may use and their
types. The checker walks the tree once, reports every problem with the offset
of the node at fault, and leaves behind what the compiler needs: the type of
each node and the slot each function argument (`c -> ...`) is bound to.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine import calendar
from engine.dsl import ast
from engine.dsl.builtins import BUILTINS, accepts
from engine.dsl.types import (
    ANY,
    BOOL,
    DATE,
    DUR,
    NULL,
    NUM,
    STR,
    ListT,
    Optional,
    RecordT,
    Type,
    compatible,
    strip,
)

MAX_SLOTS = 8


@dataclass
class Problem:
    code: str
    message: str
    pos: int
    hint: str | None = None


@dataclass
class Checked:
    """A checked expression: its tree, type, and annotations for the compiler."""

    node: ast.Node
    type: Type
    types: dict[int, Type] = field(default_factory=dict)
    slots: dict[int, int] = field(default_factory=dict)  # id(Lambda or local Name) -> slot
    names: set[str] = field(default_factory=set)  # scope names used (for dependencies)
    attrs: set[tuple[str, str]] = field(default_factory=set)  # (name, attr) pairs used


def _suggest(word: str, options) -> str | None:
    options = sorted(options)
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if close:
        return f"did you mean `{close[0]}`?"
    if options:
        shown = ", ".join(f"`{o}`" for o in options[:12])
        return f"available here: {shown}" + (", ..." if len(options) > 12 else "")
    return None


class Checker:
    """`closed`: the values a text can take where they form a closed set, keyed by a
    scope name (`reached_by`) or by (record name, attribute) (`("event", "type")`), so
    that `reached_by == "one-shot"`, which can never hold, is an error at load."""

    def __init__(
        self,
        scope: Mapping[str, Type],
        closed: Mapping[str | tuple[str, str], frozenset[str]] | None = None,
    ):
        self.scope = scope
        self.closed = closed or {}
        self.problems: list[Problem] = []
        self.out: Checked | None = None
        self._locals: list[tuple[str, Type, int]] = []

    def _err(self, code: str, message: str, node, hint: str | None = None) -> Type:
        self.problems.append(Problem(code, message, getattr(node, "pos", 0), hint))
        return ANY

    def run(self, node: ast.Node, expected: Type | None = None) -> Checked:
        self.out = Checked(node, ANY)
        t = self.check(node)
        self.out.type = t
        if expected is not None and not self.problems and not compatible(t, expected):
            self._err("type", f"expected {_a(expected)}, found {_a(t)}", node)
        if isinstance(node, ast.Null) and expected not in (None, ANY):
            self._err("type", f"expected {_a(expected)}, found null", node)
        return self.out

    def check(self, node: ast.Node) -> Type:
        t = self._check(node)
        assert self.out is not None
        self.out.types[id(node)] = t
        return t

    def _check(self, node: ast.Node) -> Type:  # noqa: C901 - one case per node kind
        match node:
            case ast.Num():
                return NUM
            case ast.Str():
                return STR
            case ast.Bool():
                return BOOL
            case ast.Null():
                return NULL
            case ast.DateLit(value=v):
                try:
                    calendar.parse_date(v)
                except ValueError as exc:
                    return self._err("date", str(exc), node)
                return DATE
            case ast.Duration(amount=n):
                if not isinstance(n, int):
                    return self._err(
                        "duration",
                        "durations are whole numbers",
                        node,
                        "write `6 months` rather than `0.5 years`",
                    )
                return DUR
            case ast.ListLit(items=items):
                types = [self.check(i) for i in items]
                elem = next((t for t in types if strip(t) not in (ANY, NULL)), ANY)
                for i, t in zip(items, types, strict=True):
                    if not compatible(t, elem):
                        self._err("type", f"a list mixes {_a(elem)} and {_a(t)}", i)
                return ListT(strip(elem))
            case ast.Name(id=name):
                for lname, ltype, slot in reversed(self._locals):
                    if lname == name:
                        self.out.slots[id(node)] = slot
                        return ltype
                if name in self.scope:
                    self.out.names.add(name)
                    return self.scope[name]
                if name in BUILTINS:
                    return self._err(
                        "name", f"`{name}` is a function", node, f"call it: `{name}(...)`"
                    )
                return self._err(
                    "name",
                    f"unknown name `{name}`",
                    node,
                    _suggest(name, list(self.scope) + [n for n, _, _ in self._locals]),
                )
            case ast.Attr(obj=obj, name=attr):
                t = strip(self.check(obj))
                if isinstance(obj, ast.Name) and obj.id in self.scope:
                    self.out.attrs.add((obj.id, attr))
                if t == ANY:
                    return ANY
                if not isinstance(t, RecordT):
                    return self._err("attribute", f"{_a(t)} has no attribute `{attr}`", node)
                if attr in t.fields:
                    return t.fields[attr]
                if t.extra is not None:
                    return t.extra
                return self._err(
                    "attribute",
                    f"{t.name} has no attribute `{attr}`",
                    node,
                    _suggest(attr, t.fields),
                )
            case ast.Index(obj=obj, index=index):
                t, i = strip(self.check(obj)), strip(self.check(index))
                if i not in (NUM, ANY):
                    self._err("type", f"a list index must be a number, found {_a(i)}", index)
                if isinstance(t, ListT):
                    return t.elem
                if t != ANY:
                    self._err("type", f"cannot index {_a(t)}", node)
                return ANY
            case ast.Lambda():
                return self._err(
                    "lambda",
                    "a function argument (`x -> ...`) is allowed only "
                    "inside count, sum, any, all or consecutive",
                    node,
                )
            case ast.Call():
                return self._call(node)
            case ast.Unary(op="-", operand=operand):
                t = strip(self.check(operand))
                if t not in (NUM, ANY):
                    self._err("type", f"cannot negate {_a(t)}", node)
                return NUM
            case ast.Unary(op="not", operand=operand):
                self._expect_bool(operand, "`not`")
                return BOOL
            case ast.Binary(op=("and" | "or") as op, left=left, right=right):
                self._expect_bool(left, f"`{op}`")
                self._expect_bool(right, f"`{op}`")
                return BOOL
            case ast.Binary(op=op, left=left, right=right):
                return self._arith(node, op, strip(self.check(left)), strip(self.check(right)))
            case ast.Compare(operands=operands, ops=ops):
                types = [strip(self.check(o)) for o in operands]
                for i, op in enumerate(ops):
                    self._compare(operands[i + 1], op, types[i], types[i + 1])
                    if self.closed and op in ("==", "!=", "in", "not in"):
                        self._closed(operands[i], op, operands[i + 1])
                return BOOL
            case ast.Cond(test=test, then=then, else_=else_):
                self._expect_bool(test, "`if`")
                a, b = self.check(then), self.check(else_)
                if not compatible(a, b):
                    self._err("type", f"`then` gives {_a(a)} but `else` gives {_a(b)}", else_)
                return b if strip(a) in (NULL, ANY) else a
        return self._err("internal", f"unsupported expression {type(node).__name__}", node)

    def _values(self, node) -> tuple[str, frozenset[str]] | None:
        """The closed set of texts a node can take, with its name; None if open."""
        assert self.out is not None
        if isinstance(node, ast.Name) and id(node) not in self.out.slots:
            values = self.closed.get(node.id)
            return None if values is None else (node.id, values)
        if isinstance(node, ast.Attr):
            t = strip(self.out.types.get(id(node.obj), ANY))
            if isinstance(t, RecordT):
                values = self.closed.get((t.name, node.name))
                return None if values is None else (f"{t.name}.{node.name}", values)
        return None

    def _closed(self, left, op: str, right) -> None:
        """A text compared with a closed set of values must be one of them."""
        pairs = []
        if op in ("==", "!="):
            pairs = [(left, right), (right, left)]
        elif isinstance(right, ast.ListLit):  # name in ["a", "b"]
            pairs = [(left, x) for x in right.items]
        for side, lit in pairs:
            found = self._values(side)
            if found is None or not isinstance(lit, ast.Str) or lit.value in found[1]:
                continue
            name, values = found
            shown = ", ".join(f'"{v}"' for v in sorted(values))
            close = difflib.get_close_matches(lit.value, sorted(values), n=1, cutoff=0.5)
            self._err(
                "value",
                f'`{name}` is never "{lit.value}": its values are {shown}',
                lit,
                f'did you mean "{close[0]}"?' if close else "compare with one of its values",
            )

    def _expect_bool(self, node, where: str) -> None:
        t = strip(self.check(node))
        if t not in (BOOL, ANY):
            self._err("type", f"{where} needs a condition (true or false), found {_a(t)}", node)

    def _arith(self, node, op: str, a: Type, b: Type) -> Type:
        if ANY in (a, b):
            return DATE if DATE in (a, b) else (ANY if op in "+-" else NUM)
        if a == NUM and b == NUM:
            return NUM
        if op in "+-" and a == DATE and b == DUR:
            return DATE
        if op == "+" and a == DUR and b == DATE:
            return DATE
        return self._err(
            "type",
            f"cannot apply `{op}` to {_a(a)} and {_a(b)}",
            node,
            "arithmetic works on numbers, and a date plus or minus a duration",
        )

    def _compare(self, node, op: str, a: Type, b: Type) -> None:
        if op in ("in", "not in"):
            if b == STR and a in (STR, ANY):
                return
            if isinstance(b, ListT):
                if not compatible(a, b.elem):
                    self._err("type", f"`{op}` looks for {_a(a)} in {_a(b)}", node)
                return
            if b != ANY:
                self._err("type", f"`{op}` needs a list or text on its right, found {_a(b)}", node)
            return
        if op in ("==", "!="):
            if not compatible(a, b):
                self._err(
                    "type",
                    f"comparing {_a(a)} with {_a(b)} is always {'false' if op == '==' else 'true'}",
                    node,
                )
            return
        ordered = (NUM, DATE, STR, ANY)
        if a not in ordered or b not in ordered or not compatible(a, b):
            self._err("type", f"cannot compare {_a(a)} with {_a(b)} using `{op}`", node)

    def _call(self, node: ast.Call) -> Type:
        b = BUILTINS.get(node.func)
        if b is None:
            for a in node.args:
                if not isinstance(a, ast.Lambda):
                    self.check(a)
            return self._err(
                "function", f"unknown function `{node.func}`", node, _suggest(node.func, BUILTINS)
            )
        args = node.args
        if b.kind == "reduce":
            want = "1 or 2" if b.optional_body else "2"
            if not (len(args) == 2 or (b.optional_body and len(args) == 1)):
                return self._err(
                    "arity",
                    f"`{b.name}` takes {want} arguments, got {len(args)}",
                    node,
                    f"`{b.name}(list, x -> condition)`",
                )
            lt = strip(self.check(args[0]))
            if isinstance(lt, ListT):
                elem = lt.elem
            else:
                if lt != ANY:
                    self._err("type", f"`{b.name}` needs a list first, found {_a(lt)}", args[0])
                elem = ANY
            if len(args) == 2:
                fn = args[1]
                if not isinstance(fn, ast.Lambda):
                    return self._err(
                        "type",
                        f"`{b.name}` needs a function argument second",
                        fn,
                        f"`{b.name}(list, x -> condition)`",
                    )
                slot = len(self._locals)
                if slot >= MAX_SLOTS:
                    return self._err("too-complex", "function arguments are nested too deeply", fn)
                self.out.slots[id(fn)] = slot
                self._locals.append((fn.param, elem, slot))
                try:
                    bt = strip(self.check(fn.body))
                finally:
                    self._locals.pop()
                if b.body is not None and bt not in (b.body, ANY):
                    self._err(
                        "type",
                        f"`{b.name}` needs the function to give {_a(b.body)}, found {_a(bt)}",
                        fn.body,
                    )
            return b.result
        types = []
        for a in args:
            if isinstance(a, ast.Lambda):
                self._err("lambda", f"`{b.name}` takes no function argument", a)
                types.append(ANY)
            else:
                types.append(strip(self.check(a)))
        if b.kind == "numeric":
            if not args:
                return self._err("arity", f"`{b.name}` needs at least one argument", node)
            if len(args) == 1:
                t = types[0]
                if isinstance(t, ListT) and t.elem in (NUM, DATE, ANY):
                    return t.elem if t.elem != ANY else NUM
                if t != ANY:
                    self._err(
                        "type",
                        f"`{b.name}` of one argument needs a list of numbers "
                        f"or dates, found {_a(t)}",
                        args[0],
                    )
                return NUM
            kinds = {t for t in types if t != ANY}
            if not kinds <= {NUM} and not kinds <= {DATE}:
                self._err("type", f"`{b.name}` needs numbers, or dates, all alike", node)
            return DATE if kinds == {DATE} else NUM
        if len(args) != len(b.params):
            return self._err(
                "arity",
                f"`{b.name}` takes {len(b.params)} argument"
                f"{'s' if len(b.params) != 1 else ''}, got {len(args)}",
                node,
            )
        for a, t, allowed in zip(args, types, b.params, strict=True):
            if not accepts(allowed, t):
                names = " or ".join(_a(x) for x in allowed)
                self._err("type", f"`{b.name}` needs {names}, found {_a(t)}", a)
        return b.result


def _a(t: Type) -> str:
    s = str(t)
    if isinstance(t, RecordT):
        return f"a record ({s})"
    return ("an " if s[0] in "aeiou" else "a ") + s


__all__ = [
    "Checker",
    "Checked",
    "Problem",
    "ANY",
    "BOOL",
    "DATE",
    "DUR",
    "NUM",
    "STR",
    "NULL",
    "ListT",
    "RecordT",
    "Optional",
]
