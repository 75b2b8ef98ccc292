"""The claims rules by the closure interpreter, one line at a time.

The screen never runs this over a claims file: it runs the rules as SQL on an
engine. This is the reference the SQL is held to (a property test feeds random
lines to both and they must agree), and what scenario tests written from the
articles use to state, line by line, what each rule decides.

A rule on a line is `fires` (its condition is true), `undecided` (the
condition cannot be computed: a value it needs is missing) or None (false).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

from engine.errors import EVAL_ERRORS
from engine.policy import scopes
from engine.policy.model import ClaimRule, Policy

FIRES, UNDECIDED = "fires", "undecided"


class _Record:
    """A record the closures read by attribute; columns it does not declare are
    looked up in `attrs` (the compiler reads a ledger's free columns that way)."""

    def __init__(self, fields: Mapping[str, Any], declared, attrs: Mapping[str, Any]):
        for name in declared:
            setattr(self, name, fields.get(name))
        self.attrs = dict(attrs)


def _value(name: str, v: Any) -> Any:
    """A cell as the closures expect it: numbers exact, dates as dates."""
    if v is None:
        return None
    t = scopes.CLAIM_COLUMNS.get(name)
    if t is not None and str(t).startswith("number"):
        if isinstance(v, bool):
            return int(v)
        f = Fraction(v) if isinstance(v, (int, float, Decimal, Fraction)) else Fraction(str(v))
        return f.numerator if f.denominator == 1 else f
    if t is not None and str(t).startswith("date") and isinstance(v, str):
        return _dt.date.fromisoformat(v)
    return v


def environment(
    line: Mapping[str, Any], status: str = "active", sanction: Mapping[str, Any] | None = None
) -> scopes.ClaimEnv:
    """The environment a claims rule reads for one line."""
    env = scopes.ClaimEnv()
    typed = {k: _value(k, v) for k, v in line.items()}
    for name in scopes.CLAIM_COLUMNS:
        setattr(env, name, typed.get(name))
    extras = {k: (None if v is None else str(v)) for k, v in line.items()}
    env.claim = _Record(typed, scopes.CLAIM_COLUMNS, extras)
    env.status = status
    env.sanction = _Record(sanction or {}, scopes.SANCTION.fields, {})
    return env


def judge_rule(rule: ClaimRule, env: scopes.ClaimEnv) -> str | None:
    try:
        return FIRES if rule.when.fn(env) else None
    except EVAL_ERRORS:
        return UNDECIDED


def judge(
    policy: Policy,
    line: Mapping[str, Any],
    status: str = "active",
    sanction: Mapping[str, Any] | None = None,
) -> dict[str, str | None]:
    """rule id -> fires | undecided | None, for one claim line and the status on its date."""
    env = environment(line, status, sanction)
    out = {}
    for rule in policy.claims:
        verdict = judge_rule(rule, env)
        if rule.when.names & {"status", "sanction"} and (env.person is None or env.date is None):
            verdict = UNDECIDED  # as the screen: no status without person and date
        out[rule.id] = verdict
    return out
