"""What a policy compiles to on the columnar path, or why it cannot.

A `Plan` is made once per policy. It says whether the columnar path can take the
policy at all (`refused`: why every person goes to the fold), and holds what the
vector work reads: the bands as a table over whole totals, and each history rule
compiled from its syntax tree into a test over a person's cycles as columns
(`RuleVector`).

The rules are the subtle part. The fold asks them after every finding; the
columnar path never fires one: it only has to know, for each person, that no
rule can hold at any finding, and route the others to the fold. That is decided
on each cycle's *final* totals, which is exact only for a rule that can only
become true as a cycle's points grow (a rule is "upward": `deducted >= 9`,
`score <= 60`, `count(...) >= 3`, `consecutive(...) >= 3` over such tests, and
`and`/`or` of them). Then a rule false on the final totals of every prefix of a
person's cycles was false at every finding before. A rule of another shape is
not compiled, and everyone whose cycles could be enough for it goes to the fold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.dsl import ast
from engine.policy.model import Policy

# the cycle fields a rule may read that only grow within a cycle, and those that shrink
_UP = {"deducted", "violations", "max_item_points"}
_DOWN = {"score"}
_FLIP = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}

Grid = dict[str, np.ndarray]  # per (person, cycle) columns, plus "_run_start" marks


@dataclass
class Plan:
    """A policy as the columnar path reads it."""

    policy: Policy
    refused: str | None  # why the policy goes to the fold whole; None: it does not
    initial: int | None
    cap: int | None
    top: int | None
    rules: list[Callable[[Grid], np.ndarray] | None]  # None: a rule not compiled
    rules_need: int  # the fewest cycles any rule needs to hold (fold.Evaluator's)

    @property
    def uncompiled_rules(self) -> bool:
        return any(r is None for r in self.rules)


def compile_plan(policy: Policy, rules_need: int) -> Plan:
    """The plan of a policy (`rules_need`: the fold's own reading of its rules)."""
    refused = _refusal(policy)
    cap = policy.cycle.cap
    initial = policy.scale.initial
    top = cap if cap is not None else initial
    rules = [_rule_vector(r.when.node) for r in policy.rules] if refused is None else []
    return Plan(policy, refused, initial, cap, top, rules, rules_need)


def _refusal(policy: Policy) -> str | None:
    """Why a policy as a whole cannot take the columnar path (None: it can)."""
    whole = (int, type(None))
    if type(policy.scale.unit) is not int:
        return "points that are not whole numbers"
    if not isinstance(policy.scale.initial, whole) or not isinstance(policy.cycle.cap, whole):
        return "a scale that is not whole numbers"
    if not all(t.band is not None for t in policy.tiers):
        return "a tier that is not a plain band on the total"
    if set(policy.cycle.resets) != {"points", "tiers"}:
        return "a cycle that carries points or bands over"
    if getattr(policy.cycle, "reset_when", None) is not None:
        return "a reset that depends on the cycle's end"
    if policy.case_scoring:  # bands moved by a column, grades, conditions, refusals
        return "points that depend on the case (issue 20's scoring)"
    return None


# ---- history rules as vectors ----------------------------------------------------------------


def _rule_vector(node: ast.Node) -> Callable[[Grid], np.ndarray] | None:
    """A rule's condition over the grid of a person's cycles (True where it holds at
    that cycle's end, its cycles up to it read as the list), if it is upward."""
    return _upward(node)


def _upward(node: ast.Node) -> Callable[[Grid], np.ndarray] | None:
    match node:
        case ast.Binary(op=("and" | "or") as op, left=left, right=right):
            a, b = _upward(left), _upward(right)
            if a is None or b is None:
                return None
            both = np.logical_and if op == "and" else np.logical_or
            return lambda g: both(a(g), b(g))
        case ast.Compare(operands=(left, right), ops=(op,)):
            if isinstance(left, ast.Num) and not isinstance(right, ast.Num):
                left, right, op = right, left, _FLIP.get(op, op)
            if not isinstance(right, ast.Num) or op not in (">=", ">"):
                return None
            k = right.value
            if isinstance(left, ast.Call) and len(left.args) == 2:
                lst, lam = left.args
                if not (isinstance(lst, ast.Name) and lst.id == "cycles"):
                    return None
                if not isinstance(lam, ast.Lambda):
                    return None
                pred = _cycle_test(lam.body, lam.param)
                if pred is None:
                    return None
                cmp = np.greater_equal if op == ">=" else np.greater
                if left.func == "consecutive":
                    return lambda g: cmp(_trailing(pred(g), g["_run_start"]), k)
                if left.func == "count":
                    return lambda g: cmp(_running_count(pred(g), g["_run_start"]), k)
            return None
    return None


def _cycle_test(node: ast.Node, param: str) -> Callable[[Grid], np.ndarray] | None:
    """A test of one cycle `param` that can only turn true as its points grow."""
    match node:
        case ast.Binary(op=("and" | "or") as op, left=left, right=right):
            a, b = _cycle_test(left, param), _cycle_test(right, param)
            if a is None or b is None:
                return None
            both = np.logical_and if op == "and" else np.logical_or
            return lambda g: both(a(g), b(g))
        case ast.Compare(operands=(left, right), ops=(op,)):
            if isinstance(left, ast.Num):
                left, right, op = right, left, _FLIP.get(op, op)
            if not (
                isinstance(right, ast.Num)
                and isinstance(left, ast.Attr)
                and isinstance(left.obj, ast.Name)
                and left.obj.id == param
            ):
                return None
            field, k = left.name, right.value
            ops = {">=": np.greater_equal, ">": np.greater, "<=": np.less_equal, "<": np.less}
            if (field in _UP and op in (">=", ">")) or (field in _DOWN and op in ("<=", "<")):
                f = ops[op]
                return lambda g: f(g[field], k)
    return None


def _trailing(pred: np.ndarray, start: np.ndarray) -> np.ndarray:
    """How many cycles in a row, ending at each, the test holds (per person: `start`
    marks each person's first cycle)."""
    n = len(pred)
    at = np.arange(n)
    mark = np.where(pred, -1, at)
    mark = np.maximum(mark, np.where(start, at - 1, -1))
    return at - np.maximum.accumulate(mark) if n else at


def _running_count(pred: np.ndarray, start: np.ndarray) -> np.ndarray:
    """How many of a person's cycles up to each the test holds on."""
    c = np.cumsum(pred)
    base = np.where(start, c - pred, 0)
    return c - np.maximum.accumulate(base) if len(c) else c
