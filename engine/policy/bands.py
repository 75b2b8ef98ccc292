"""Tiers read as bands: intervals of a cycle's `deducted` total.

A tier's condition such as `6 <= deducted <= 8` or `60 < score <= 70` is read
here as an interval of `deducted` (a score band becomes `initial - score`).
That lets `validate` prove the tiers neither overlap nor leave gaps over the
scale, and lets the evaluator find a total's band by lookup instead of calling
each tier's closure. A condition that is not such a band still works: it is
evaluated as an expression, and the static checks skip it with a warning.
"""

from __future__ import annotations

import bisect
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


def _simple(left: ast.Node, op: str, right: ast.Node, initial: Number | None) -> Band | None:
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


TABLE_STEPS = 65_536  # a list past this many totals would cost its size: intervals instead


def lookup_table(bands: list[Band], unit: Number, top: Number) -> Table:
    """For whole totals 0..top (in units): index of the band containing it, or -1.

    A list, one entry per step, when the scale is small (every shipped policy: a list
    index is the fold's cheapest look-up); past TABLE_STEPS an `IntervalTable`, which
    answers the same in time and memory independent of the scale's size (issue 13
    §11: `initial: 100000000` took 32 s and 814 MB, `cap: 0xffffffffff` never ended).
    """
    steps = int(Fraction(top) / Fraction(unit))
    if steps > TABLE_STEPS:
        return IntervalTable(bands, unit, steps)
    return [_index(bands, k * unit) for k in range(steps + 1)]


def _index(bands: list[Band], x: Number) -> int:
    idx = -1
    for i, b in enumerate(bands):
        if b.contains(x):
            idx = i
    return idx


class IntervalTable:
    """`lookup_table` as intervals: the totals (in units) where some band starts or
    ends, and the index that holds from each to the next. Indexed and sized as the
    list would be (`table[k]`, `len(table)`)."""

    __slots__ = ("starts", "values", "size")

    def __init__(self, bands: list[Band], unit: Number, steps: int):
        cuts = {0}
        for b in bands:
            lo, hi = first_step(b, unit), last_step(b, unit)
            if lo is not None:
                cuts.add(int(Fraction(lo) / Fraction(unit)))
            if hi is not None:
                cuts.add(int(Fraction(hi) / Fraction(unit)) + 1)
        self.starts = sorted(k for k in cuts if 0 <= k <= steps)
        self.values = [_index(bands, k * unit) for k in self.starts]
        self.size = steps + 1

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, k: int) -> int:
        if not 0 <= k < self.size:
            raise IndexError(k)
        return self.values[bisect.bisect_right(self.starts, k) - 1]


Table = list[int] | IntervalTable  # what lookup_table makes and on_table reads


def on_table(table: Table, unit: Number, total: Number) -> int | None:
    """The band of a total read off `lookup_table`'s table: its index (-1: in no band),
    or None when the table cannot say (a total that is not a whole number of units,
    or past the table's top), and the tiers' conditions must be asked instead."""
    if type(total) is int and unit == 1:
        return table[total] if 0 <= total < len(table) else None
    k = Fraction(total) / Fraction(unit)
    if k.denominator == 1 and 0 <= k < len(table):
        return table[int(k)]
    return None
