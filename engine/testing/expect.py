"""Comparing a case's expectations with an outcome (for `policyctl test`).

An expectation is a part of the `evaluate` output, keyed so an analyst can
name what the article decides without restating the rest:

- people by code, a person's cycles by period (`"2024"`; `"2024#2"` for the
  record of a second registration in the same year), institutions by code and
  then period;
- a mapping matches as a subset: only the keys given are compared, and a key
  expected `null` also matches a key the outcome leaves out;
- a list matches element by element, in order, and must have the same length
  (so `actions: []` says "no action", and an unexpected termination cannot
  slip through); each element that is a mapping matches as a subset;
- numbers compare by value (7 equals 7.0), never equal to `true`/`false`.

`explain` expectations read the evaluator's trace: `bands` (entered, in
order), `rules` (history rules that held, in order), `cites` (the distinct
articles of the steps that decided: bands, rules, actions, bans, status
changes and re-applications, in order of first appearance) compare as exact
lists; `mentions` are phrases the explanation must contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from engine.evaluation.outcome import Outcome
from engine.i18n import _
from engine.vocabulary import SourceKind

DECIDING = frozenset({"band", "rule", "action", "ban", "status", "reapply"})
_MISSING = object()


@dataclass
class Mismatch:
    """One difference: where in the outcome, what the case expected, what came out."""

    path: str
    expected: Any
    actual: Any
    absent: bool = False  # nothing at all at `path` in the outcome


def keyed(outcome: Outcome) -> dict:
    """The outcome's JSON shape, with people, cycles and institutions keyed."""
    d = outcome.as_dict()
    people = {}
    for p in d["people"]:
        cycles: dict[str, dict] = {}
        for c in p["cycles"]:
            cycles.setdefault(c["period"], c)
            cycles[f"{c['period']}#{c['registration']}"] = c
        people[p["person"]] = {**p, "cycles": cycles}
    institutions: dict[str, dict] = {}
    for rec in d["institutions"]:
        institutions.setdefault(rec["institution"], {})[rec["period"]] = rec
    d["people"], d["institutions"] = people, institutions
    return d


def compare(expected: Any, actual: Any, path: str = "") -> list[Mismatch]:
    """Where `actual` differs from `expected` (subset for mappings, in order for lists)."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [Mismatch(path, expected, actual)]
        out = []
        for k, v in expected.items():
            sub = f"{path}.{k}" if path else str(k)
            got = actual.get(str(k), _MISSING)
            if got is _MISSING:
                if v is not None:
                    out.append(Mismatch(sub, v, None, absent=True))
                continue
            out += compare(v, got, sub)
        return out
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [Mismatch(path, expected, actual)]
        out = []
        for i, v in enumerate(expected):
            if i < len(actual):
                out += compare(v, actual[i], f"{path}[{i}]")
            else:
                out.append(Mismatch(f"{path}[{i}]", v, None, absent=True))
        for i in range(len(expected), len(actual)):
            out.append(Mismatch(f"{path}[{i}]", _MISSING, actual[i]))
        return out
    return [] if _same(expected, actual) else [Mismatch(path, expected, actual)]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    return type(a) is type(b) and a == b


def explained(outcome: Outcome, person: str) -> dict[str, list[str]]:
    """The explanation path of one person: bands, rules and deciding articles."""
    bands, rules, cites = [], [], []
    for s in outcome.traces.get(person, []):
        if s.ref is not None and s.ref.kind is SourceKind.TIER:
            bands.append(s.ref.id)
        elif s.ref is not None and s.ref.kind is SourceKind.RULE:
            rules.append(s.ref.id)
        if s.kind in DECIDING and s.cite and s.cite not in cites:
            cites.append(s.cite)
    return {"bands": bands, "rules": rules, "cites": cites}


def check(expect: dict, explain: dict[str, dict], outcome: Outcome) -> list[Mismatch]:
    """Every mismatch between a case's `expect` and `explain` and the outcome."""
    out = compare(expect, keyed(outcome))
    known = {p.person for p in outcome.people}
    for person, exp in explain.items():
        base = f"explain.{person}"
        if person not in known:
            out.append(Mismatch(base, exp, None, absent=True))
            continue
        path = explained(outcome, person)
        for key in ("bands", "rules", "cites"):
            if key in exp:
                out += compare(exp[key], path[key], f"{base}.{key}")
        if exp.get("mentions"):
            from engine.report.explain import explain as tell

            text = tell(outcome, person)
            for phrase in exp["mentions"]:
                if phrase not in text:
                    out.append(Mismatch(f"{base}.mentions", phrase, None, absent=True))
    return out


def render_value(v: Any) -> str:
    """A value as an analyst would write it in the test file (flow YAML)."""
    if v is _MISSING:
        return "nothing"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        plain = (
            v
            and v.strip() == v
            and not re.search(
                r"[,:{}\[\]#]|^(null|true|false|~)$|"
                r"^[-+]?[0-9]+(\.[0-9]+)?$",
                v,
            )
        )
        return v if plain else '"' + v.replace('"', '\\"') + '"'
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}: {render_value(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(render_value(x) for x in v) + "]"
    return str(v)


def unexpected(m: Mismatch) -> bool:
    """The outcome has a list element the case did not list."""
    return m.expected is _MISSING


def describe(m: Mismatch) -> str:
    """One line: where, expected, got."""
    if m.expected is _MISSING:
        return _("{path}: unexpected {value}").format(path=m.path, value=render_value(m.actual))
    got = _("nothing") if m.absent else render_value(m.actual)
    return _("{path}: expected {expected}, got {actual}").format(
        path=m.path, expected=render_value(m.expected), actual=got
    )


def people_in(mismatches: list[Mismatch]) -> list[str]:
    """The people a list of mismatches concerns, in order (for explanations)."""
    out: list[str] = []
    for m in mismatches:
        parts = m.path.split(".")
        if len(parts) > 1 and parts[0] in ("people", "explain"):
            code = parts[1].split("[")[0]
            if code not in out:
                out.append(code)
    return out
