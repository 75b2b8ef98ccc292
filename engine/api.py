"""The Python API: what the CLI calls, importable by anyone.

    from engine import load_policy, read_ledger, evaluate
    policy = load_policy("policies/jining.yaml")
    ledger = read_ledger("examples/jining/events.csv", policy, "examples/jining/roster.csv")
    outcome = evaluate(policy, ledger, datetime.date(2025, 12, 31))
    outcome.as_dict()   # the JSON shape of `policyctl evaluate`
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Iterator

from .evaluate import evaluate
from .ledger import read_ledger
from .loader import check_policy, load_policy
from .outcome import Outcome


def evaluate_files(policy: str, events: str, roster: str | None = None,
                   as_of: _dt.date | None = None, *, explain: Iterable[str] = (),
                   encoding: str | None = None,
                   progress: Callable[[int], None] | None = None) -> Outcome:
    """Load a policy and a ledger from files and evaluate; raises PolicyctlError."""
    p = load_policy(policy)
    ledger = read_ledger(events, p, roster, encoding=encoding)
    return evaluate(p, ledger, as_of or _dt.date.today(), explain=explain, progress=progress)


def report_files(policy: str, events: str, roster: str | None, as_of: _dt.date, fmt: str, *,
                 jobs: int = 1, encoding: str | None = None,
                 progress: Callable[[int], None] | None = None
                 ) -> tuple[Outcome, Iterator[str]]:
    """Evaluate and render a report; json, jsonl and csv may use `jobs` processes.

    Returns the outcome (its `people` empty when workers rendered them) and the
    report's text in chunks.
    """
    from . import parallel, report
    from .evaluate import Evaluator

    p = load_policy(policy)
    ledger = read_ledger(events, p, roster, encoding=encoding)
    ev = Evaluator(p, ledger, as_of, set(), progress)
    codes = ev.prepare()
    if fmt in ("json", "jsonl", "csv") and parallel.usable(jobs, len(codes)):
        runs = parallel.fold_and_render(ev, codes, fmt, jobs)
        outcome = ev.outcome([], {})
        return outcome, report.frame(outcome, fmt, runs)
    outcome = ev.fold(codes)
    return outcome, report.render(outcome, fmt)


__all__ = ["check_policy", "evaluate", "evaluate_files", "load_policy", "read_ledger",
           "report_files"]
