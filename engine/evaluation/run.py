"""Stage "evaluate", its entry: one policy, or a regulation's history.

`--policy` names one version (a `Policy`) or several (a `History`,
policy/versions.py); `evaluate` and `evaluator` take either and hand it to the
fold that evaluates it: `fold.Evaluator` under one policy, `history.
HistoryEvaluator` across versions. What callers import (api.py, the
comparison's replay, scenario tests), so none of them asks which it has.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable

from engine.evaluation.fold import Evaluator
from engine.evaluation.history import HistoryEvaluator
from engine.evaluation.outcome import Outcome
from engine.ledger.read import Ledger
from engine.policy.model import Policy
from engine.policy.versions import History


def evaluate(
    policy: Policy | History,
    ledger: Ledger,
    as_of: _dt.date,
    explain: Iterable[str] = (),
    progress: Callable[[int, str], None] | None = None,
) -> Outcome:
    """Evaluate a ledger under a policy, or across a regulation's history, as of a
    date. Pure: same inputs, same outcome."""
    return evaluator(policy, ledger, as_of, explain, progress).run()


def evaluator(
    policy: Policy | History,
    ledger: Ledger,
    as_of: _dt.date,
    explain: Iterable[str] = (),
    progress: Callable[[int, str], None] | None = None,
) -> Evaluator:
    """The evaluation of a ledger, before its fold."""
    if isinstance(policy, History):
        return HistoryEvaluator(policy, ledger, as_of, set(explain), progress)
    return Evaluator(policy, ledger, as_of, set(explain), progress)
