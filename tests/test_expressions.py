"""The expression language: compliance cases (tests/compliance/*.yaml) and properties."""

from __future__ import annotations

import datetime as dt
import operator
from fractions import Fraction
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.dsl import ast
from engine.dsl.checker import Checker
from engine.dsl.compile import compile_expr
from engine.dsl.parser import ExprSyntaxError, parse_action, parse_expr
from engine.dsl.types import DATE, NUM, STR, ListT, Optional, RecordT
from engine.evaluation.fold import _needs_cycles

CASES = yaml.safe_load(
    (Path(__file__).parent / "compliance" / "expressions.yaml").read_text("utf-8")
)["cases"]

CYCLE = RecordT("cycle", {"deducted": NUM})
SCOPE = {
    "deducted": NUM,
    "score": NUM,
    "amount": Optional(NUM),
    "date": DATE,
    "as_of": DATE,
    "cause": STR,
    "cycles": ListT(CYCLE),
    "items": ListT(STR),
}


class Rec:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class _Env:
    """A bare environment: compiled closures read attributes and `loc`."""

    def __init__(self):
        self.loc = [None] * 8


def _env(given: dict) -> _Env:
    env = _Env()
    for k, v in (given or {}).items():
        if SCOPE[k] == DATE:
            v = dt.date.fromisoformat(v)
        elif k == "cycles":
            v = [Rec(**c) for c in v]
        elif isinstance(v, float):
            v = Fraction(str(v))
        setattr(env, k, v)
    return env


def _compile(text: str):
    checker = Checker(SCOPE)
    try:
        checked = checker.run(parse_expr(text))
    except ExprSyntaxError as exc:
        return None, exc.code
    if checker.problems:
        return None, checker.problems[0].code
    return compile_expr(checked), None


@pytest.mark.parametrize("case", CASES, ids=[c["expr"] for c in CASES])
def test_compliance(case):
    fn, error = _compile(case["expr"])
    if "error" in case:
        assert error == case["error"]
        return
    assert error is None
    value = fn(_env(case.get("given")))
    if isinstance(value, dt.date):
        value = value.isoformat()
    expected = case["result"]
    if isinstance(expected, float):
        expected = Fraction(str(expected))
    assert value == expected
    assert type(value) is not bool or isinstance(expected, bool)


def test_syntax_error_positions():
    with pytest.raises(ExprSyntaxError) as e:
        parse_expr("deducted >= ")
    assert e.value.offset == len("deducted >=")
    with pytest.raises(ExprSyntaxError) as e:
        parse_expr("score $ 3")
    assert e.value.offset == 6


def test_equality_ignores_spacing_and_positions():
    assert parse_expr("80<score<=90") == parse_expr("80 <  score <= 90")
    assert parse_expr("a and b") != parse_expr("b and a")


def test_actions():
    a = parse_action("suspend 1 to 6 months")
    assert a.kind == "suspend" and a.discretionary
    assert (a.low.amount, a.high.amount, a.high.unit) == (1, 6, "month")
    assert parse_action("ban never").never
    assert parse_action("suspend").low is None
    assert parse_action("key-monitoring").kind == "key-monitoring"
    with pytest.raises(ExprSyntaxError):
        parse_action("terminate 3 months")


def test_deep_nesting_is_refused():
    with pytest.raises(ExprSyntaxError) as e:
        parse_expr("not " * 100 + "x")
    assert e.value.code == "too-complex"
    assert parse_expr("(" * 500 + "1" + ")" * 500) == ast.Num(1)  # brackets add no depth
    with pytest.raises(ExprSyntaxError):
        parse_expr("-" * 1500 + "1")
    with pytest.raises(ExprSyntaxError):
        parse_expr("1" + " + 1" * 1000)


@settings(max_examples=400, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("()[]<>=!+-*/%.,'\"- 0123456789abcdn_ifthelsoru年扣分>")),
        max_size=40,
    )
    | st.text(max_size=30)
)
def test_any_text_parses_or_raises_our_error(text):
    """Any text either parses or raises ExprSyntaxError with a position inside it."""
    for parse in (parse_expr, parse_action):
        try:
            parse(text)
        except ExprSyntaxError as exc:
            assert 0 <= exc.offset <= len(text)


_LEAF = st.integers(0, 1000) | st.sampled_from(["deducted", "score", "amount"])
_TREE = st.recursive(
    _LEAF,
    lambda inner: st.tuples(inner, st.sampled_from(["+", "-", "*", "<", ">=", "=="]), inner),
    max_leaves=12,
)
_GIVEN = {"deducted": 3, "score": 9, "amount": 10}
_ORDER = {"<": operator.lt, ">=": operator.ge, "==": operator.eq}
_ARITH = {"+": operator.add, "-": operator.sub, "*": operator.mul}


def _text(tree) -> str:
    if isinstance(tree, tuple):
        left, op, right = tree
        return f"({_text(left)} {op} {_text(right)})"
    return str(tree)


def _reference(tree):
    """The value of a generated expression, worked out without the engine: a number, a
    bool, or None when the expression mixes a truth value into arithmetic or an order
    comparison (or compares a truth value with a number), which the checker refuses."""
    if not isinstance(tree, tuple):
        return _GIVEN.get(tree, tree) if isinstance(tree, str) else tree
    left, op, right = tree
    a, b = _reference(left), _reference(right)
    if a is None or b is None:
        return None
    if op == "==":
        return a == b if isinstance(a, bool) == isinstance(b, bool) else None
    if isinstance(a, bool) or isinstance(b, bool):
        return None
    return (_ARITH.get(op) or _ORDER[op])(a, b)


@settings(max_examples=300, deadline=None)
@given(_TREE)
def test_checked_expressions_compile_and_run_to_the_right_value(tree):
    """Whatever checks compiles and runs to the value worked out independently; what
    mixes truth values with numbers is refused by the checker, never left to fail at
    run time."""
    text = _text(tree)
    fn, error = _compile(text)
    want = _reference(tree)
    if want is None:
        assert error == "type", text
        return
    assert error is None, text
    got = fn(_env(dict(_GIVEN)))
    assert got == want and type(got) is type(want), text


def test_ast_walk_visits_every_node():
    node = parse_expr("if a > 1 then f(b, c -> c.x) else [1, 2]")
    kinds = [type(n).__name__ for n in ast.walk(node)]
    assert kinds.count("Name") == 3 and "Lambda" in kinds and "ListLit" in kinds


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 12), max_size=6),
    st.sampled_from(["count", "consecutive"]),
    st.sampled_from([">=", ">"]),
    st.sampled_from(["0", "1", "2", "3", "5", "2.5", "0.5"]),
)
def test_a_length_guard_never_changes_a_count_comparison(deducted, fn, op, k):
    # compile.py skips `count(xs, ...) >= K` / `consecutive(...) > K` while xs is too
    # short to reach K; the answer must be the one the function itself gives
    fast, code = _compile(f"{fn}(cycles, c -> c.deducted >= 9) {op} {k}")
    assert code is None
    env = _env({"cycles": [{"deducted": d} for d in deducted]})
    flags = [d >= 9 for d in deducted]
    n = (
        sum(flags)
        if fn == "count"
        else len(flags) - (max((i for i, f in enumerate(flags) if not f), default=-1) + 1)
    )
    want = n >= Fraction(k) if op == ">=" else n > Fraction(k)
    assert fast(env) is want or fast(env) == want
    # what the guard tells the evaluator (Evaluator.rules_need): never true with fewer
    # cycles than it says the comparison needs, and it needs some whenever K > 0
    need = _needs_cycles(fast)
    assert not (len(deducted) < need and want)
    assert (need > 0) is (Fraction(k) > 0 or op == ">")


@pytest.mark.parametrize(
    "text,need",
    [
        ("consecutive(cycles, c -> c.deducted >= 9) >= 3", 3),
        ("count(cycles, c -> c.deducted > 0) > 1", 2),
        ("count(cycles) >= 2.5", 3),
        ("count(cycles, c -> c.deducted > 0) >= 0", 0),
        ("consecutive(cycles, c -> c.deducted >= 9) >= 3 or deducted >= 20", 0),
        ("not (count(cycles) >= 3)", 0),
        ("count(items) >= 3", 0),
    ],
)
def test_only_a_whole_condition_on_cycles_says_how_many_it_needs(text, need):
    # a rule is skipped below what its whole condition needs: a guard on a part of it
    # (or on another list) must say nothing
    fn, code = _compile(text)
    assert code is None
    assert _needs_cycles(fn) == need


class _Runs(list):
    """A list that also says how its elements repeat, as institutions' `members` do."""

    def __init__(self, runs):
        super().__init__(x for x, k in runs for _ in range(k))
        self._runs = runs

    def runs(self):
        return iter(self._runs)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 12), st.integers(1, 5)), max_size=6),
    st.sampled_from(
        [
            "count(cycles, c -> c.deducted >= 9)",
            "sum(cycles, c -> c.deducted)",
            "sum(cycles, c -> c.deducted / 4)",
            "any(cycles, c -> c.deducted > 6)",
            "all(cycles, c -> c.deducted > 2)",
            "count(cycles)",
        ]
    ),
)
def test_list_functions_read_runs_as_the_elements_they_stand_for(runs, text):
    # dsl/builtins.py: a list with runs() is read a run at a time; the answer must be
    # the one the same elements give as a plain list
    fn, code = _compile(text)
    assert code is None
    env = _env({"cycles": []})
    runs = [(Rec(deducted=d), k) for d, k in runs]
    env.cycles = _Runs(runs)
    given_runs = fn(env)
    env.cycles = list(env.cycles)
    assert given_runs == fn(env)


@pytest.mark.parametrize(
    "bind,scope,args",
    [
        ("bind_item", "item_scope", ("event", "person")),
        ("bind_tier", "tier_scope", ("cycle", "event", "person")),
        ("bind_reset", "reset_scope", ("cycle",)),
        ("bind_rule", "rule_scope", ("cycle", "event", "person", [], [], 0, 0)),
        ("bind_ban", "ban_scope", ("cycle", "event", "person", "points", 1, "single")),
        ("bind_reapply", "reapply_scope", (dt.date(2024, 1, 1), [], 0, "event", "person")),
        ("bind_institution", "institution_scope", (10, 3, [], "2024")),
        ("bind_fact", "fact_scope", ("person", dt.date(2024, 1, 1))),
    ],
)
def test_each_binding_sets_every_name_its_scope_may_read(bind, scope, args):
    """policy/scopes.py: an Env is filled only through its bind_* methods, one per
    scope; each sets exactly the names its scope lets an expression read, so no name
    an expression reads can keep a value from another event or scope."""
    from types import SimpleNamespace

    from engine.policy import scopes

    records = {
        "cycle": SimpleNamespace(deducted=4, score=8),
        "event": SimpleNamespace(amount=500),
        "person": SimpleNamespace(),
    }
    env = scopes.Env()
    getattr(env, bind)(*[records.get(a, a) if isinstance(a, str) else a for a in args])
    set_names = {n for n in scopes.Env.__slots__ if n != "loc" and hasattr(env, n)}
    fn = getattr(scopes, scope)
    names = fn(True) if fn.__code__.co_argcount else fn()
    assert set_names == set(names)
