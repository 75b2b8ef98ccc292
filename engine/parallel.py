"""Evaluate and render a large ledger on several processes.

People are independent until the institution rules look at them together, so
the fold over each person's events splits cleanly: the ledger is read once,
the process forks, each worker folds a contiguous run of people (in code
order) and renders them in the requested format, and sends back the text and
the institution tracker's snapshots. The parent joins the runs in order, judges
the institutions and frames the report. The output is byte-identical to the
one-process path (tests hold us to it).

Only text crosses between processes (pickling a person's outcome costs more
than folding it), so this path serves the json, jsonl and csv formats; the
table, explanations and the Python API use the one-process path. It relies on
`fork`, so it is used only where the platform forks.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from typing import Any

from .report import people_text

_STATE: dict[str, Any] = {}

MIN_PEOPLE = 20_000  # below this, starting workers costs more than it saves


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def usable(jobs: int, people: int) -> bool:
    return jobs > 1 and people >= MIN_PEOPLE and "fork" in mp.get_all_start_methods()


def _work(span: tuple[int, int]) -> tuple[int, str, dict, dict]:
    ev = _STATE["evaluator"]
    tracker = ev.institutions
    if tracker is not None:  # this part's snapshots only
        tracker.history, tracker.periods = {}, {}
    codes = _STATE["codes"][span[0]:span[1]]
    people = [ev.person_of(code)[0] for code in codes]
    text = people_text(people, _STATE["fmt"])
    if tracker is None:
        return span[0], text, {}, {}
    return span[0], text, tracker.history, tracker.periods


def fold_and_render(evaluator, codes: list[str], fmt: str, jobs: int) -> list[str]:
    """Rendered runs of people in code order; merges the workers' tracker snapshots."""
    n = len(codes)
    parts = jobs * 2  # a few more parts than workers evens out uneven people
    bounds = [(n * i // parts, n * (i + 1) // parts) for i in range(parts)]
    _STATE.update(evaluator=evaluator, codes=codes, fmt=fmt)
    try:
        with mp.get_context("fork").Pool(jobs) as pool:
            results = pool.map(_work, bounds, chunksize=1)
    finally:
        _STATE.clear()
    results.sort(key=lambda r: r[0])
    tracker = evaluator.institutions
    if tracker is not None:
        for _, _, history, periods in results:
            tracker.history.update(history)
            for period, days in periods.items():
                tracker.periods.setdefault(period, days)
    return [text for _, text, _, _ in results]
