"""`diff --events` person by person over both sides' columnar evaluations at once.

Evaluated one side at a time, a diff makes every person's whole outcome twice
and holds both lists until it compares them. Most people of a city's ledger are
*quiet* on both sides: the columnar plan decides them (evaluator.py) and no
band fires for them, so their outcome is their cycles' totals and nothing else
(the premise of `ColumnarEvaluator.finish_row`'s cache of quiet rows). For them
the pair of snapshots is a function of the pair of their cycles, worked out by
the fold's own code for the first person with that pair and reused for the
others. Everyone else (a band fired on either side, routed to the fold on
either side, present on one side only) is finished by the fold's code on each
side, as before. Nothing is held but the pairs met so far.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from engine.columnar.evaluator import ColumnarEvaluator

MEMO_LIMIT = 65_536  # pairs of quiet histories kept (a city has a few thousand)


def paired(
    a: ColumnarEvaluator,
    b: ColumnarEvaluator,
    old: Callable[[str], Any],
    new: Callable[[str], Any],
    nobody: Any,
) -> Iterator[tuple[str, Any, Any]]:
    """(code, what `old` gives under `a`, what `new` gives under `b`) for everyone either
    side reports, in code order; `nobody` for a person one side does not report.
    `old` and `new` finish the person on their side (the fold's code) and must give
    a value that depends on the outcome only, not on the person's code."""
    in_a, in_b = a.codes(), b.codes()
    if in_a == in_b:
        codes, has_a, has_b = in_a, None, None
    else:
        has_a, has_b = set(in_a), set(in_b)
        codes = sorted(has_a | has_b)
    memo: dict[tuple, tuple[Any, Any]] = {}
    mine_a, mine_b = a.mine, b.mine
    for code in codes:
        key = None
        i, j = mine_a.get(code), mine_b.get(code)
        if i is not None and j is not None:
            ka = _quiet(a, i)
            kb = _quiet(b, j) if ka is not None else None
            if kb is not None:
                key = (ka, kb)
                got = memo.get(key)
                if got is not None:
                    del mine_a[code], mine_b[code]  # (let go, as `take` would)
                    yield code, got[0], got[1]
                    continue
        x = old(code) if has_a is None or code in has_a else nobody
        y = new(code) if has_b is None or code in has_b else nobody
        if key is not None and len(memo) < MEMO_LIMIT:
            memo[key] = (x, y)
        yield code, x, y


def _quiet(ev: ColumnarEvaluator, i: int) -> tuple | None:
    """A columnar person's cycles (index, total, violations, largest act), or None
    where a band fires for them (as `finish_row` keys its quiet rows)."""
    L = ev.lists
    if L["fire_at"][i] != L["fire_at"][i + 1]:
        return None
    lo, hi = L["cyc_at"][i], L["cyc_at"][i + 1]
    return (
        *L["cyc_index"][lo:hi],
        *L["cyc_total"][lo:hi],
        *L["cyc_viol"][lo:hi],
        *L["cyc_max"][lo:hi],
    )
