"""The Python API: what the CLI calls, importable by anyone.

    from engine import load_policy, read_ledger, evaluate
    policy = load_policy("policies/jining.yaml")
    ledger = read_ledger("examples/jining/events.csv", policy, "examples/jining/roster.csv")
    outcome = evaluate(policy, ledger, datetime.date(2025, 12, 31))
    outcome.as_dict()   # the JSON shape of `policyctl evaluate`
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable

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


__all__ = ["check_policy", "evaluate", "evaluate_files", "load_policy", "read_ledger"]
