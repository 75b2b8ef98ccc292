"""Checked syntax tree -> one SQL expression, through SQLGlot: a plan for DuckDB and Spark.

The claims rules (`claims:` in a policy) run over tens of millions of claim lines,
so they are not interpreted line by line in Python: each rule's tree is compiled
here into a SQLGlot expression, which SQLGlot renders in the DuckDB or Spark SQL
dialect. No SQL text is written by hand, and nothing here knows a city.

The SQL must decide exactly what the closure compiled by `compile.py` decides, on
every line (a property test runs random lines through both). Two things make
that more than a translation:

- **Errors.** A closure raises on what it cannot compute (`None > 3`, `1 / 0`);
  SQL gives NULL, and its three-valued logic then lets `NULL OR TRUE` be TRUE
  where Python never got that far. So each node compiles to a pair: its value
  and an `err` condition, true exactly when the closure would raise there
  (None when it never can). `and`, `or`, `if` and comparison chains
  short-circuit as Python does, so a branch's error counts only when Python
  would have run the branch. A rule fires when `NOT err AND value`; a line where
  `err` holds is *undecided* (the screen counts and reports those).
- **Missing values.** An empty cell is a legitimate None in Python: `==` and
  `!=` compare it without raising (null-safe `IS [NOT] DISTINCT FROM` here),
  and as a condition it is false (`COALESCE(x, FALSE)`).

`sql_problems` says, without importing SQLGlot (its import costs ~0.2 s and
`validate` runs on every load), what cannot compile, with the offset of the node
at fault; the loader reports those as `validate` errors. `to_sql` builds the
expression; a name or `record.attribute` becomes whatever the caller's
`column` function returns, so the same compiler serves any relation's naming.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from engine.dsl import ast
from engine.dsl.builtins import BUILTINS
from engine.dsl.checker import Checked, Problem
from engine.dsl.types import BOOL, DATE, NUM, STR, ListT, strip
from engine.i18n import N_, _
from engine.numbers import exact_decimal

if TYPE_CHECKING:
    from sqlglot import exp

# user-facing wording, in one place: marked here, translated where shown
MESSAGES = {
    "list-function": N_("`{name}` runs over a list, and a claim line has none"),
    "list-function-hint": N_("compare the line's own columns, e.g. `days_supply > 3`"),
    "function": N_("`{name}` has no SQL form"),
    "function-hint": N_("SQL knows min and max of values, year, date and number"),
    "min-list": N_("`{name}` of a list has no SQL form"),
    "min-list-hint": N_("give the values as arguments: `{name}(a, b)`"),
    "index": N_("indexing a list has no SQL form"),
    "list": N_("a list is allowed here only after `in` or `not in`"),
    "working-days": N_(
        "working days follow the Chinese public-holiday calendar, which the SQL engines do not have"
    ),
    "working-days-hint": N_("use calendar days, weeks, months or years"),
    "duration": N_("a duration is allowed here only added to or taken from a date"),
    "type": N_("a {type} has no SQL form"),
}

# Built-in functions the compiler renders, with how many arguments it accepts.
_SQL_FUNCTIONS = {"min", "max", "year", "date", "number"}


class SqlUnsupported(Exception):
    """A tree `sql_problems` should have refused (an internal error if raised)."""


def sql_problems(checked: Checked) -> list[Problem]:
    """What in a checked expression cannot compile to SQL, each at its node."""
    out: list[Problem] = []
    right_of_in: set[int] = set()
    in_date_arith: set[int] = set()
    for node in ast.walk(checked.node):
        match node:
            case ast.Compare(operands=operands, ops=ops):
                for op, right in zip(ops, operands[1:], strict=True):
                    if op in ("in", "not in") and isinstance(right, ast.ListLit):
                        right_of_in.add(id(right))
            case ast.Binary(op=("+" | "-"), left=left, right=right):
                for side in (left, right):
                    if isinstance(side, ast.Duration):
                        in_date_arith.add(id(side))
    for node in ast.walk(checked.node):
        match node:
            case ast.Call(func=name, args=args):
                b = BUILTINS.get(name)
                if b is not None and b.kind == "reduce":
                    out.append(
                        Problem(
                            "sql",
                            _(MESSAGES["list-function"]).format(name=name),
                            node.pos,
                            _(MESSAGES["list-function-hint"]),
                        )
                    )
                elif name not in _SQL_FUNCTIONS:
                    out.append(
                        Problem(
                            "sql",
                            _(MESSAGES["function"]).format(name=name),
                            node.pos,
                            _(MESSAGES["function-hint"]),
                        )
                    )
                elif name in ("min", "max") and len(args) == 1:
                    out.append(
                        Problem(
                            "sql",
                            _(MESSAGES["min-list"]).format(name=name),
                            node.pos,
                            _(MESSAGES["min-list-hint"]).format(name=name),
                        )
                    )
            case ast.Index():
                out.append(Problem("sql", _(MESSAGES["index"]), node.pos))
            case ast.ListLit():
                if id(node) not in right_of_in:
                    out.append(Problem("sql", _(MESSAGES["list"]), node.pos))
            case ast.Duration(unit=unit):
                if unit == "working day":
                    out.append(
                        Problem(
                            "sql",
                            _(MESSAGES["working-days"]),
                            node.pos,
                            _(MESSAGES["working-days-hint"]),
                        )
                    )
                elif id(node) not in in_date_arith:
                    out.append(Problem("sql", _(MESSAGES["duration"]), node.pos))
            case ast.Name() | ast.Attr():
                t = strip(checked.types.get(id(node)))
                if isinstance(t, ListT):
                    out.append(Problem("sql", _(MESSAGES["type"]).format(type=t), node.pos))
    return out


Column = Callable[[str, "str | None"], "exp.Expression"]


def to_sql(checked: Checked, column: Column) -> tuple[exp.Expression, exp.Expression | None]:
    """(fires, undecided) for a checked condition: `fires` is true exactly where the
    closure gives a true value; `undecided` (None when it cannot happen) is true
    exactly where the closure raises."""
    from sqlglot import exp

    lower = _Lower(checked, column)
    v, err = lower.build(checked.node, True)
    truthy = lower.truthy(v)
    if err is None:
        return truthy, None
    return exp.and_(exp.not_(err.copy()), truthy), err


Pair = tuple[Any, Any]  # (value, err): SQLGlot expressions, err None when it cannot raise


class _Lower:
    def __init__(self, checked: Checked, column: Column):
        from sqlglot import exp

        self.c = checked
        self.column = column
        self.exp = exp

    # ---- small builders ------------------------------------------------------------------
    def any_(self, *conds):
        """OR of the conditions that exist (None: none can hold)."""
        conds = [c for c in conds if c is not None]
        if not conds:
            return None
        return self.exp.or_(*conds) if len(conds) > 1 else conds[0]

    def truthy(self, v):
        """v as a condition: a missing value is false (Python's falsy None)."""
        if self.never_null(v):
            return v.copy()
        return self.exp.func("COALESCE", v.copy(), self.exp.false())

    def never_null(self, v) -> bool:
        exp = self.exp
        if isinstance(v, (exp.NullSafeEQ, exp.NullSafeNEQ, exp.Boolean)):
            return True
        if isinstance(v, exp.Coalesce):
            return isinstance(v.expressions[-1] if v.expressions else None, exp.Boolean)
        if isinstance(v, (exp.Not, exp.Paren)):
            return self.never_null(v.this)
        if isinstance(v, (exp.And, exp.Or)):
            return self.never_null(v.this) and self.never_null(v.expression)
        return False

    def guarded(self, cond, err):
        """`cond AND err` (err only counts where cond holds), or None."""
        return None if err is None else self.exp.and_(cond, err)

    def is_null(self, v):
        if isinstance(v, self.exp.Literal):
            return None
        return self.exp.Is(this=v.copy(), expression=self.exp.Null())

    def literal(self, value) -> Any:
        exp = self.exp
        if isinstance(value, bool):
            return exp.true() if value else exp.false()
        if isinstance(value, int):
            return exp.Literal.number(value)
        if isinstance(value, Fraction):
            text = _decimal_text(value)
            if text is not None:
                return exp.cast(exp.Literal.string(text), "DECIMAL(38, 10)")
            return exp.Div(
                this=exp.cast(exp.Literal.number(value.numerator), "DOUBLE"),
                expression=exp.Literal.number(value.denominator),
            )
        if isinstance(value, str):
            return exp.Literal.string(value)
        raise SqlUnsupported(f"literal {value!r}")

    # ---- the walk ------------------------------------------------------------------------
    def build(self, node: ast.Node, cond: bool = False) -> Pair:  # noqa: C901 - per node kind
        """(value, err) of a node. With `cond`, the caller reads only whether the value
        is truthy (a rule's condition, `not`, `and`, `or`, `if`), so a missing value
        may already read as false and `and`/`or` need not keep Python's operand value
        (`x and y` is x when x is falsy): the SQL stays linear in the tree."""
        exp = self.exp
        match node:
            case ast.Num(value=v) | ast.Str(value=v) | ast.Bool(value=v):
                return self.literal(v), None
            case ast.Null():
                return exp.Null(), None
            case ast.DateLit(value=v):
                return exp.cast(exp.Literal.string(v), "DATE"), None
            case ast.Name(id=name):
                if self.c.slots.get(id(node)) is not None:
                    raise SqlUnsupported("a function argument")
                return self.column(name, None), None
            case ast.Attr(obj=ast.Name(id=name) as obj, name=attr) if (
                self.c.slots.get(id(obj)) is None
            ):
                return self.column(name, attr), None
            case ast.Unary(op="-", operand=operand):
                v, err = self.build(operand)
                return exp.Neg(this=exp.Paren(this=v)), self.any_(err, self.is_null(v))
            case ast.Unary(op="not", operand=operand):
                v, err = self.build(operand, True)
                return exp.not_(self.truthy(v)), err
            case ast.Binary(op=("and" | "or") as op, left=left, right=right):
                (a, ea), (b, eb) = self.build(left, cond), self.build(right, cond)
                ta = self.truthy(a)
                # the right operand runs (and may raise) only where Python runs it
                runs = ta if op == "and" else exp.not_(ta)
                err = self.any_(ea, self.guarded(runs.copy(), eb))
                if cond:
                    tb = self.truthy(b)
                    return (exp.and_(ta, tb) if op == "and" else exp.or_(ta, tb)), err
                v = exp.case().when(runs, b).else_(a)
                return v, err
            case ast.Binary(op=op, left=left, right=right):
                return self.arith(node, op, left, right)
            case ast.Compare(operands=operands, ops=ops):
                return self.compare(operands, ops)
            case ast.Cond(test=test, then=then, else_=else_):
                (t, et) = self.build(test, True)
                (a, ea), (b, eb) = self.build(then, cond), self.build(else_, cond)
                tt = self.truthy(t)
                v = exp.case().when(tt, a).else_(b)
                err = self.any_(
                    et, self.guarded(tt.copy(), ea), self.guarded(exp.not_(tt.copy()), eb)
                )
                return v, err
            case ast.Call(func=func, args=args):
                return self.call(func, args)
        raise SqlUnsupported(type(node).__name__)

    def arith(self, node: ast.Binary, op: str, left: ast.Node, right: ast.Node) -> Pair:
        exp = self.exp
        if isinstance(right, ast.Duration) or isinstance(left, ast.Duration):
            dur, other = (right, left) if isinstance(right, ast.Duration) else (left, right)
            d, err = self.build(other)
            amount, unit = dur.amount, dur.unit
            if unit == "week":
                amount, unit = amount * 7, "day"
            elif unit == "year":
                amount, unit = amount * 12, "month"
            if unit not in ("day", "month"):
                raise SqlUnsupported(f"duration in {unit}")
            if op == "-":
                amount = -amount
            added = exp.DateAdd(
                this=d, expression=exp.Literal.number(amount), unit=exp.Var(this=unit.upper())
            )
            return exp.cast(added, "DATE"), self.any_(err, self.is_null(d))
        (a, ea), (b, eb) = self.build(left), self.build(right)
        err = self.any_(ea, eb, self.is_null(a), self.is_null(b))
        a, b = exp.Paren(this=a), exp.Paren(this=b)
        if op == "+":
            return exp.Add(this=a, expression=b), err
        if op == "-":
            return exp.Sub(this=a, expression=b), err
        if op == "*":
            return exp.Mul(this=a, expression=b), err
        # Python divides exactly and raises on zero; the engines would give NULL or fail
        zero = exp.EQ(this=b.copy(), expression=exp.Literal.number(0))
        divisor = exp.func("NULLIF", exp.cast(b.copy(), "DOUBLE"), exp.Literal.number(0))
        return exp.Div(this=a, expression=divisor), self.any_(err, zero)

    def compare(self, operands, ops) -> Pair:
        exp = self.exp
        built = [self.in_list(o) if isinstance(o, ast.ListLit) else self.build(o) for o in operands]
        # Python evaluates the first two operands, then each further one only while
        # the chain holds (chain3 and `_compare_plain` in compile.py)
        value = None
        err = self.any_(built[0][1], built[1][1])
        for i, op in enumerate(ops):
            (a, _), (b, eb) = built[i], built[i + 1]
            v, e = self.one_compare(op, a.copy() if i else a, b, operands[i + 1])
            if i >= 1 and eb is not None:
                e = self.any_(eb, e)
            if value is None:
                value, err = v, self.any_(err, e)
            else:
                held = value
                err = self.any_(err, self.guarded(held.copy(), e))
                value = exp.and_(held, v)
        return value, err

    def one_compare(self, op: str, a, b, right: ast.Node) -> Pair:
        exp = self.exp
        if op in ("==", "!="):
            cls = exp.NullSafeEQ if op == "==" else exp.NullSafeNEQ
            return cls(this=a, expression=b), None
        if op in ("in", "not in"):
            if isinstance(right, ast.ListLit):
                found = self.member(a, b)
                return (found if op == "in" else exp.not_(found)), None
            # text contains text: Python raises when either is missing
            pos = exp.StrPosition(this=b, substr=a)
            found = exp.GT(this=pos, expression=exp.Literal.number(0))
            err = self.any_(self.is_null(a.copy()), self.is_null(b.copy()))
            return (found if op == "in" else exp.not_(found)), err
        cls = {"<": exp.LT, "<=": exp.LTE, ">": exp.GT, ">=": exp.GTE}[op]
        return cls(this=a, expression=b), self.any_(self.is_null(a.copy()), self.is_null(b.copy()))

    def in_list(self, node: ast.ListLit) -> Pair:
        items = [self.build(i) for i in node.items]
        return [v for v, _ in items], self.any_(*[e for _, e in items])

    def member(self, a, items: list) -> Any:
        """`a in [x, y]` as Python decides it: by ==, so a missing value is in a list
        that holds null, and in no other."""
        exp = self.exp
        if not items:
            return exp.false()
        if all(isinstance(i, exp.Literal) for i in items):
            return self.truthy(exp.In(this=a, expressions=items))
        return exp.or_(*[exp.NullSafeEQ(this=a.copy(), expression=i) for i in items])

    def call(self, func: str, args) -> Pair:
        exp = self.exp
        built = [self.build(a) for a in args]
        err = self.any_(*[e for _, e in built])
        values = [v for v, _ in built]
        if func in ("min", "max"):
            nulls = self.any_(*[self.is_null(v.copy()) for v in values])
            cls = exp.Least if func == "min" else exp.Greatest
            return cls(this=values[0], expressions=values[1:]), self.any_(err, nulls)
        (value,) = values
        kind = strip(self.c.types.get(id(args[0])))
        if func == "number":
            if kind == NUM:
                return value, self.any_(err, self.is_null(value.copy()))
            cast = exp.TryCast(this=exp.Trim(this=value), to=exp.DataType.build("DECIMAL(38, 10)"))
            return cast, self.any_(err, self.is_null(cast.copy()))
        as_date = (
            value
            if kind == DATE
            else exp.TryCast(this=exp.Trim(this=value), to=exp.DataType.build("DATE"))
        )
        err = self.any_(err, self.is_null(as_date.copy()))
        if func == "date":
            return as_date, err
        if func == "year":
            return exp.Extract(this=exp.Var(this="YEAR"), expression=as_date), err
        raise SqlUnsupported(func)


def _decimal_text(value: Fraction) -> str | None:
    """A fraction's exact decimal digits, when it has a finite expansion that the
    DECIMAL(38, 10) columns hold (10 places at most)."""
    text = exact_decimal(value)
    if text is None or ("." in text and len(text) - text.index(".") - 1 > 10):
        return None
    return text


__all__ = ["MESSAGES", "SqlUnsupported", "sql_problems", "to_sql", "BOOL", "STR"]
