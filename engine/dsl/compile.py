"""Checked syntax tree -> a Python closure, built once when the policy loads.

The per-event loop never walks a tree or a string: each node becomes a small
closure over its children's closures (no `eval`, no `exec`, no generated
source). A closure takes one argument, the environment: an object whose
attributes are the names of the place the expression sits in, plus `loc`, the
slots that function arguments (`c -> ...`) are bound to while a list function
runs. Constant sub-trees are folded here, so `30% * staff` multiplies once by a
ready Fraction.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from fractions import Fraction
from typing import Any

from engine import calendar
from engine.dsl import ast
from engine.dsl.builtins import BUILTINS
from engine.dsl.checker import Checked
from engine.dsl.types import ANY, DATE, DUR, RecordT, strip

Fn = Callable[[Any], Any]

_CMP = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda a, b: a in b,
    "not in": lambda a, b: a not in b,
}


def _div(a, b):
    if b == 0:
        raise ZeroDivisionError("division by zero")
    r = Fraction(a) / Fraction(b)
    return r.numerator if r.denominator == 1 else r


def _mul(a, b):
    r = a * b
    return r.numerator if isinstance(r, Fraction) and r.denominator == 1 else r


def _add(a, b):
    if isinstance(b, ast.Duration):
        return calendar.add(_date(a), b)
    if isinstance(a, ast.Duration):
        return calendar.add(_date(b), a)
    return a + b


def _sub(a, b):
    if isinstance(b, ast.Duration):
        return calendar.add(_date(a), b, -1)
    return a - b


def _date(d):
    """A missing date plus a duration fails like any missing value (an EVAL_ERRORS
    member), not with an AttributeError from deep in the calendar."""
    if d is None:
        raise TypeError("a date is missing")
    return d


_ARITH = {"+": _add, "-": _sub, "*": _mul, "/": _div}


def compile_expr(checked: Checked) -> Fn:
    """The closure for a checked expression."""
    return _Compiler(checked).build(checked.node)


class _Compiler:
    def __init__(self, checked: Checked):
        self.c = checked

    def build(self, node: ast.Node) -> Fn:
        const = self._const(node)
        if const is not _NOT_CONST:
            return lambda e, v=const: v
        return self._build(node)

    def _const(self, node: ast.Node) -> Any:
        """The value of a sub-tree that reads no name, or _NOT_CONST."""
        if any(isinstance(n, (ast.Name, ast.Lambda, ast.Call)) for n in ast.walk(node)):
            return _NOT_CONST
        return self._build(node)(None)

    def _build(self, node: ast.Node) -> Fn:  # noqa: C901 - one case per node kind
        b = self.build
        match node:
            case ast.Num(value=v) | ast.Str(value=v) | ast.Bool(value=v):
                return lambda e, v=v: v
            case ast.Null():
                return lambda e: None
            case ast.DateLit(value=v):
                d = calendar.parse_date(v)
                return lambda e, d=d: d
            case ast.Duration():
                return lambda e, d=node: d
            case ast.ListLit(items=items):
                fs = [b(i) for i in items]
                return lambda e: [f(e) for f in fs]
            case ast.Name(id=name):
                slot = self.c.slots.get(id(node))
                if slot is not None:
                    return lambda e, s=slot: e.loc[s]
                return operator.attrgetter(name)
            case ast.Attr(obj=obj, name=attr):
                t = strip(self.c.types.get(id(obj)))
                extra = isinstance(t, RecordT) and attr not in t.fields
                if isinstance(obj, ast.Name) and not extra:
                    slot = self.c.slots.get(id(obj))
                    if slot is None:  # a scope name: one C-level getter for `a.b`
                        return operator.attrgetter(f"{obj.id}.{attr}")
                    return lambda e: getattr(e.loc[slot], attr)
                f = b(obj)
                if extra:
                    return lambda e: f(e).attrs.get(attr)
                get = operator.attrgetter(attr)
                return lambda e: get(f(e))
            case ast.Index(obj=obj, index=index):
                fo, fi = b(obj), b(index)
                return lambda e: fo(e)[int(fi(e))]
            case ast.Call(func=func, args=args):
                return self._call(node, BUILTINS[func], args)
            case ast.Unary(op="-", operand=operand):
                f = b(operand)
                return lambda e: -f(e)
            case ast.Unary(op="not", operand=operand):
                f = b(operand)
                return lambda e: not f(e)
            case ast.Binary(op="and", left=left, right=right):
                fl, fr = b(left), b(right)
                return lambda e: fl(e) and fr(e)
            case ast.Binary(op="or", left=left, right=right):
                fl, fr = b(left), b(right)
                return lambda e: fl(e) or fr(e)
            case ast.Binary(op=op, left=left, right=right):
                fl, fr, fn = b(left), b(right), _ARITH[op]
                if op in "+-" and not _maybe_date(self.c, node):
                    fn = operator.add if op == "+" else operator.sub
                return lambda e: fn(fl(e), fr(e))
            case ast.Compare(operands=operands, ops=ops):
                return self._compare(
                    [b(o) for o in operands], [_CMP[o] for o in ops], operands, ops
                )
            case ast.Cond(test=test, then=then, else_=else_):
                ft, fa, fb = b(test), b(then), b(else_)
                return lambda e: fa(e) if ft(e) else fb(e)
        raise TypeError(f"cannot compile {type(node).__name__}")  # the checker prevents this

    def _compare(
        self,
        fs: list[Fn],
        ops: list[Callable],
        operands: tuple[ast.Node, ...],
        op_names: tuple[str, ...],
    ) -> Fn:
        full = self._compare_plain(fs, ops, operands, op_names)
        if len(fs) == 2 and op_names[0] in (">=", ">"):
            return self._length_guard(full, operands, op_names[0]) or full
        return full

    def _length_guard(self, full: Fn, operands: tuple[ast.Node, ...], op: str) -> Fn | None:
        """`count(xs, ...) >= K` or `consecutive(xs, ...) >= K` (or `>`): false
        without running the function while xs has fewer than K elements (at most K),
        since neither counts more elements than the list has. A rule like
        `consecutive(cycles, c -> c.deducted >= 9) >= 3` runs on every finding, and
        most people have fewer than three cycles."""
        call, right = operands[0], self._const(operands[1])
        if not (isinstance(call, ast.Call) and call.func in _AT_MOST_LEN and call.args):
            return None
        if isinstance(right, bool) or not isinstance(right, (int, Fraction)):
            return None
        xs = self.build(call.args[0])
        short = operator.lt if op == ">=" else operator.le  # too short to reach K

        def guarded(e):
            try:
                if short(len(xs(e)), right):
                    return False
            except TypeError:  # not a list: let the function say what is wrong
                pass
            return full(e)

        if isinstance(call.args[0], ast.Name):
            # (name, n): the comparison is false while the list has fewer than n
            # elements. The evaluator reads it off a rule's whole condition and does
            # not evaluate its rules at all below that (Evaluator.rules_need)
            least = math.floor(right) + 1 if op == ">" else math.ceil(right)
            guarded.needs = (call.args[0].id, least)  # type: ignore[attr-defined]
        return guarded

    def _compare_plain(
        self,
        fs: list[Fn],
        ops: list[Callable],
        operands: tuple[ast.Node, ...],
        op_names: tuple[str, ...],
    ) -> Fn:
        if len(fs) == 2:
            fa, fb = fs
            op = ops[0]
            right = self._const(operands[1])
            if right is not _NOT_CONST and op_names[0] in _CONST_RIGHT:
                get = self._local_attr(operands[0])
                if get is not None:
                    # `c.deducted >= 9` inside a list function: the element's attribute
                    # and the comparison in one closure, run once per element
                    slot, attr = get
                    return lambda e: op(attr(e.loc[slot]), right)
                return _CONST_RIGHT[op_names[0]](fa, right)
            return lambda e: op(fa(e), fb(e))
        if len(fs) == 3:
            fa, fb, fc = fs
            op1, op2 = ops

            def chain3(e):
                y = fb(e)
                return op1(fa(e), y) and op2(y, fc(e))

            return chain3

        def chain(e):
            left = fs[0](e)
            for op, f in zip(ops, fs[1:], strict=True):
                right = f(e)
                if not op(left, right):
                    return False
                left = right
            return True

        return chain

    def _local_attr(self, node: ast.Node) -> tuple[int, Callable] | None:
        """(slot, getter) when node is `x.name` on a list function's argument `x` and
        `name` is one of its record's own fields (not a ledger column)."""
        if not (isinstance(node, ast.Attr) and isinstance(node.obj, ast.Name)):
            return None
        slot = self.c.slots.get(id(node.obj))
        t = strip(self.c.types.get(id(node.obj)))
        if slot is None or (isinstance(t, RecordT) and node.name not in t.fields):
            return None
        return slot, operator.attrgetter(node.name)

    def _call(self, node: ast.Call, builtin, args) -> Fn:
        impl = builtin.impl
        if builtin.kind == "reduce":
            fl = self.build(args[0])
            if len(args) == 1:
                return lambda e: impl(fl(e), None, e, None, 0)
            lam = args[1]
            body, slot = self.build(lam.body), self.c.slots[id(lam)]
            return lambda e: impl(fl(e), body, e, e.loc, slot)
        fs = [self.build(a) for a in args]
        if len(fs) == 1:
            f0 = fs[0]
            return lambda e: impl(f0(e))
        if len(fs) == 2:
            f0, f1 = fs
            return lambda e: impl(f0(e), f1(e))
        return lambda e: impl(*[f(e) for f in fs])


def _maybe_date(c: Checked, node: ast.Binary) -> bool:
    kinds = {strip(c.types.get(id(node.left))), strip(c.types.get(id(node.right)))}
    return bool(kinds & {DATE, DUR, ANY})


_NOT_CONST = object()

# list functions whose value is never more than the list's length
_AT_MOST_LEN = frozenset({"count", "consecutive"})

# `x OP constant`, the commonest comparison, as one closure with the operator inline
_CONST_RIGHT: dict[str, Callable[[Fn, Any], Fn]] = {
    "<": lambda f, c: lambda e: f(e) < c,
    "<=": lambda f, c: lambda e: f(e) <= c,
    ">": lambda f, c: lambda e: f(e) > c,
    ">=": lambda f, c: lambda e: f(e) >= c,
    "==": lambda f, c: lambda e: f(e) == c,
    "!=": lambda f, c: lambda e: f(e) != c,
}
