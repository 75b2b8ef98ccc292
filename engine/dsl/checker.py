"""Names, functions, arity and types, checked per YAML place before anything runs.

The loader gives each place in the policy (an item's points, a tier's
condition, a ban's condition...) its own scope: the names it may use and their
types. The checker walks the tree once, reports every problem with the offset
of the node at fault, and leaves behind what the compiler needs: the type of
each node and the slot each function argument (`c -> ...`) is bound to.
"""

from __future__ import annotations

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
    Prim,
    RecordT,
    Type,
    compatible,
    strip,
)
from engine.errors import closest
from engine.i18n import N_, _, ngettext

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
    close = closest(word, options)
    if close:
        return _("did you mean `{near}`?").format(near=close)
    if options:
        shown = _(", ").join(f"`{o}`" for o in options[:12])
        return _("available here: {names}").format(
            names=shown + (", ..." if len(options) > 12 else "")
        )
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
            self._err("type", _("expected {a}, found {a2}").format(a=_a(expected), a2=_a(t)), node)
        if isinstance(node, ast.Null) and expected not in (None, ANY):
            self._err("type", _("expected {a}, found null").format(a=_a(expected)), node)
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
                        _("durations are whole numbers"),
                        node,
                        _("write `6 months` rather than `0.5 years`"),
                    )
                return DUR
            case ast.ListLit(items=items):
                types = [self.check(i) for i in items]
                elem = next((t for t in types if strip(t) not in (ANY, NULL)), ANY)
                for i, t in zip(items, types, strict=True):
                    if not compatible(t, elem):
                        self._err(
                            "type", _("a list mixes {a} and {a2}").format(a=_a(elem), a2=_a(t)), i
                        )
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
                        "name",
                        _("`{name}` is a function").format(name=name),
                        node,
                        _("call it: `{name}(...)`").format(name=name),
                    )
                return self._err(
                    "name",
                    _("unknown name `{name}`").format(name=name),
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
                    return self._err(
                        "attribute",
                        _("{a} has no attribute `{attr}`").format(a=_a(t), attr=attr),
                        node,
                    )
                if attr in t.fields:
                    return t.fields[attr]
                if t.extra is not None:
                    return t.extra
                return self._err(
                    "attribute",
                    _("{name} has no attribute `{attr}`").format(name=t.name, attr=attr),
                    node,
                    _suggest(attr, t.fields),
                )
            case ast.Index(obj=obj, index=index):
                t, i = strip(self.check(obj)), strip(self.check(index))
                if i not in (NUM, ANY):
                    self._err(
                        "type", _("a list index must be a number, found {a}").format(a=_a(i)), index
                    )
                if isinstance(t, ListT):
                    return t.elem
                if t != ANY:
                    self._err("type", _("cannot index {a}").format(a=_a(t)), node)
                return ANY
            case ast.Lambda():
                return self._err(
                    "lambda",
                    _(
                        "a function argument (`x -> ...`) is allowed only inside count, sum, "
                        "any, all or consecutive"
                    ),
                    node,
                )
            case ast.Call():
                return self._call(node)
            case ast.Unary(op="-", operand=operand):
                t = strip(self.check(operand))
                if t not in (NUM, ANY):
                    self._err("type", _("cannot negate {a}").format(a=_a(t)), node)
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
                    self._err(
                        "type",
                        _("`then` gives {a} but `else` gives {a2}").format(a=_a(a), a2=_a(b)),
                        else_,
                    )
                return b if strip(a) in (NULL, ANY) else a
        return self._err(
            "internal", _("unsupported expression {name}").format(name=type(node).__name__), node
        )

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
            shown = _(", ").join(f'"{v}"' for v in sorted(values))
            close = closest(lit.value, values, cutoff=0.5)
            self._err(
                "value",
                _('`{name}` is never "{value}": its values are {shown}').format(
                    name=name, value=lit.value, shown=shown
                ),
                lit,
                _('did you mean "{close}"?').format(close=close)
                if close
                else _("compare with one of its values"),
            )

    def _expect_bool(self, node, where: str) -> None:
        t = strip(self.check(node))
        if t not in (BOOL, ANY):
            self._err(
                "type",
                _("{where} needs a condition (true or false), found {a}").format(
                    where=where, a=_a(t)
                ),
                node,
            )

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
            _("cannot apply `{op}` to {a} and {a2}").format(op=op, a=_a(a), a2=_a(b)),
            node,
            _("arithmetic works on numbers, and a date plus or minus a duration"),
        )

    def _compare(self, node, op: str, a: Type, b: Type) -> None:
        if op in ("in", "not in"):
            if b == STR and a in (STR, ANY):
                return
            if isinstance(b, ListT):
                if not compatible(a, b.elem):
                    self._err(
                        "type",
                        _("`{op}` looks for {a} in {a2}").format(op=op, a=_a(a), a2=_a(b)),
                        node,
                    )
                return
            if b != ANY:
                self._err(
                    "type",
                    _("`{op}` needs a list or text on its right, found {a}").format(op=op, a=_a(b)),
                    node,
                )
            return
        if op in ("==", "!="):
            if not compatible(a, b):
                self._err(
                    "type",
                    _("comparing {a} with {a2} is always {value}").format(
                        a=_a(a), a2=_a(b), value="`false`" if op == "==" else "`true`"
                    ),
                    node,
                )
            return
        ordered = (NUM, DATE, STR, ANY)
        if a not in ordered or b not in ordered or not compatible(a, b):
            self._err(
                "type",
                _("cannot compare {a} with {a2} using `{op}`").format(a=_a(a), a2=_a(b), op=op),
                node,
            )

    def _call(self, node: ast.Call) -> Type:
        b = BUILTINS.get(node.func)
        if b is None:
            for a in node.args:
                if not isinstance(a, ast.Lambda):
                    self.check(a)
            return self._err(
                "function",
                _("unknown function `{func}`").format(func=node.func),
                node,
                _suggest(node.func, BUILTINS),
            )
        args = node.args
        if b.kind == "reduce":
            want = "1 or 2" if b.optional_body else "2"
            if not (len(args) == 2 or (b.optional_body and len(args) == 1)):
                return self._err(
                    "arity",
                    _("`{name}` takes {want} arguments, got {n_args}").format(
                        name=b.name, want=want, n_args=len(args)
                    ),
                    node,
                    _("`{name}(list, x -> condition)`").format(name=b.name),
                )
            lt = strip(self.check(args[0]))
            if isinstance(lt, ListT):
                elem = lt.elem
            else:
                if lt != ANY:
                    self._err(
                        "type",
                        _("`{name}` needs a list first, found {a}").format(name=b.name, a=_a(lt)),
                        args[0],
                    )
                elem = ANY
            if len(args) == 2:
                fn = args[1]
                if not isinstance(fn, ast.Lambda):
                    return self._err(
                        "type",
                        _("`{name}` needs a function argument second").format(name=b.name),
                        fn,
                        _("`{name}(list, x -> condition)`").format(name=b.name),
                    )
                slot = len(self._locals)
                if slot >= MAX_SLOTS:
                    return self._err(
                        "too-complex", _("function arguments are nested too deeply"), fn
                    )
                self.out.slots[id(fn)] = slot
                self._locals.append((fn.param, elem, slot))
                try:
                    bt = strip(self.check(fn.body))
                finally:
                    self._locals.pop()
                if b.body is not None and bt not in (b.body, ANY):
                    self._err(
                        "type",
                        _("`{name}` needs the function to give {a}, found {a2}").format(
                            name=b.name, a=_a(b.body), a2=_a(bt)
                        ),
                        fn.body,
                    )
            return b.result
        types = []
        for a in args:
            if isinstance(a, ast.Lambda):
                self._err("lambda", _("`{name}` takes no function argument").format(name=b.name), a)
                types.append(ANY)
            else:
                types.append(strip(self.check(a)))
        if b.kind == "numeric":
            if not args:
                return self._err(
                    "arity", _("`{name}` needs at least one argument").format(name=b.name), node
                )
            if len(args) == 1:
                t = types[0]
                if isinstance(t, ListT) and t.elem in (NUM, DATE, ANY):
                    return t.elem if t.elem != ANY else NUM
                if t != ANY:
                    self._err(
                        "type",
                        _(
                            "`{name}` of one argument needs a list of numbers or dates, found {a}"
                        ).format(name=b.name, a=_a(t)),
                        args[0],
                    )
                return NUM
            kinds = {t for t in types if t != ANY}
            if not kinds <= {NUM} and not kinds <= {DATE}:
                self._err(
                    "type",
                    _("`{name}` needs numbers, or dates, all alike").format(name=b.name),
                    node,
                )
            return DATE if kinds == {DATE} else NUM
        if len(args) != len(b.params):
            return self._err(
                "arity",
                ngettext(
                    "`{name}` takes {n_params} argument, got {n_args}",
                    "`{name}` takes {n_params} arguments, got {n_args}",
                    len(b.params),
                ).format(name=b.name, n_params=len(b.params), n_args=len(args)),
                node,
            )
        for a, t, allowed in zip(args, types, b.params, strict=True):
            if not accepts(allowed, t):
                names = _either([_a(x) for x in allowed])
                self._err(
                    "type",
                    _("`{name}` needs {names}, found {a}").format(
                        name=b.name, names=names, a=_a(t)
                    ),
                    a,
                )
        return b.result


# The language's types as a reader is told them: `str(t)` is the English name the
# language itself uses; a message says it in the reader's language (a record keeps its
# name, `event`, `person`, which is a word of the language that a policy writes).
_TYPE_NAMES = {
    "number": N_("number"),
    "text": N_("text"),
    "boolean": N_("boolean"),
    "date": N_("date"),
    "duration": N_("duration"),
    "null": N_("null"),
    "any": N_("any"),
}


def type_name(t: Type) -> str:
    """The name of a type in the reader's language, without an article: `number`,
    `list of date`, `text or null` (数值, 日期列表, 文本或空值)."""
    if isinstance(t, ListT):
        return _("list of {elem}").format(elem=type_name(t.elem))
    if isinstance(t, Optional):
        return _("{type} or null").format(type=type_name(t.inner))
    if isinstance(t, Prim) and t.name in _TYPE_NAMES:
        return _(_TYPE_NAMES[t.name])
    return str(t)


def _a(t: Type) -> str:
    s = str(t)
    if isinstance(t, RecordT):
        return _("a record ({fields})").format(fields=s)
    if s[0] in "aeiou":
        return _("an {type}").format(type=type_name(t))
    return _("a {type}").format(type=type_name(t))


def _either(kinds: list[str]) -> str:
    """`a number or a date`: alternatives joined as the reader's language joins them."""
    out = kinds[0]
    for k in kinds[1:]:
        out = _("{first} or {second}").format(first=out, second=k)
    return out


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
