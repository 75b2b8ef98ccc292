"""Tiers read as bands: intervals of a cycle's `deducted` total.

A tier's condition such as `6 <= deducted <= 8` or `60 < score <= 70` is read
here as an interval of `deducted` (a score band becomes `initial - score`).
That lets `validate` prove the tiers neither overlap nor leave gaps over the
scale, and lets the evaluator find a total's band by lookup instead of calling
each tier's closure. A condition that is not such a band still works: it is
evaluated as an expression, and the static checks skip it with a warning.
"""

from __future__ import annotations

import math
from fractions import Fraction

from engine.dsl import ast
from engine.policy.model import Band, Number

_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def band_of(node: ast.Node, initial: Number | None) -> Band | None:
    """The interval of `deducted` a tier condition describes, or None."""
    if isinstance(node, ast.Binary) and node.op == "and":
        a, b = band_of(node.left, initial), band_of(node.right, initial)
        return _intersect(a, b) if a and b else None
    if not isinstance(node, ast.Compare):
        return None
    band = Band(None, False, None, False)
    for i, op in enumerate(node.ops):
        left, right = node.operands[i], node.operands[i + 1]
        part = _simple(left, op, right, initial)
        if part is None:
            return None
        band = _intersect(band, part)
    return band


def _simple(left, op, right, initial) -> Band | None:
    if isinstance(right, ast.Name) and isinstance(left, ast.Num):
        left, right, op = right, left, _FLIP.get(op, op)
    if not (isinstance(left, ast.Name) and isinstance(right, ast.Num)):
        return None
    name, value = left.id, right.value
    if name == "score":
        if initial is None:
            return None
        value = initial - value
        op = _FLIP.get(op, op)
    elif name != "deducted":
        return None
    match op:
        case "<":
            return Band(None, False, value, False)
        case "<=":
            return Band(None, False, value, True)
        case ">":
            return Band(value, False, None, False)
        case ">=":
            return Band(value, True, None, False)
        case "==":
            return Band(value, True, value, True)
    return None


def _intersect(a: Band, b: Band) -> Band:
    lo, lo_incl = a.lo, a.lo_incl
    if b.lo is not None and (lo is None or b.lo > lo or (b.lo == lo and not b.lo_incl)):
        lo, lo_incl = b.lo, b.lo_incl
    hi, hi_incl = a.hi, a.hi_incl
    if b.hi is not None and (hi is None or b.hi < hi or (b.hi == hi and not b.hi_incl)):
        hi, hi_incl = b.hi, b.hi_incl
    return Band(lo, lo_incl, hi, hi_incl)


def first_step(band: Band, unit: Number) -> Number | None:
    """The smallest reachable total (a non-negative multiple of unit) inside the band."""
    lo = band.lo if band.lo is not None else 0
    k = max(0, math.ceil(Fraction(lo) / Fraction(unit)))
    x = k * unit
    if x == lo and band.lo is not None and not band.lo_incl:
        x += unit
    x = max(x, 0)
    return x if band.contains(x) else None


def last_step(band: Band, unit: Number) -> Number | None:
    """The largest multiple of unit inside the band (None: unbounded or empty)."""
    if band.hi is None:
        return None
    k = math.floor(Fraction(band.hi) / Fraction(unit))
    x = k * unit
    if x == band.hi and not band.hi_incl:
        x -= unit
    return x if x >= 0 and band.contains(x) else None


def lookup_table(bands: list[Band], unit: Number, top: Number) -> list[int]:
    """For whole totals 0..top (in units): index of the band containing it, or -1."""
    table = []
    steps = int(Fraction(top) / Fraction(unit))
    for k in range(steps + 1):
        x = k * unit
        idx = -1
        for i, b in enumerate(bands):
            if b.contains(x):
                idx = i
        table.append(idx)
    return table


def on_table(table: list[int], unit: Number, total: Number) -> int | None:
    """The band of a total read off `lookup_table`'s table: its index (-1: in no band),
    or None when the table cannot say (a total that is not a whole number of units,
    or past the table's top), and the tiers' conditions must be asked instead."""
    if type(total) is int and unit == 1:
        return table[total] if 0 <= total < len(table) else None
    k = Fraction(total) / Fraction(unit)
    if k.denominator == 1 and 0 <= k < len(table):
        return table[int(k)]
    return None
