"""policyctl: regulation-as-code for medical-insurance practitioner points regimes.

The pipeline runs one way — load → check → evaluate → report:

    policy  = load_policy(path)                  # loader.py: YAML -> checked, compiled Policy
    history = load_history(folder)               # versions.py: one regulation's versions
    ledger  = read_ledger(events, policy, roster) # ledger.py: files -> typed rows
    outcome = evaluate(policy, ledger, as_of)     # evaluate.py: the fold
    outcome.as_dict()                             # outcome.py / report.py
"""

from __future__ import annotations

from engine.errors import (
    Diagnostic,
    EvaluationError,
    ExprError,
    LedgerError,
    PolicyctlError,
    PolicyError,
    Span,
)

__all__ = [
    "Diagnostic",
    "EvaluationError",
    "ExprError",
    "LedgerError",
    "PolicyError",
    "PolicyctlError",
    "Span",
    "check_history",
    "check_policy",
    "diff",
    "evaluate",
    "evaluate_files",
    "load_history",
    "load_policies",
    "load_policy",
    "read_ledger",
]

_API = frozenset(
    {
        "check_history",
        "check_policy",
        "diff",
        "evaluate",
        "evaluate_files",
        "load_history",
        "load_policies",
        "load_policy",
        "read_ledger",
    }
)


def __getattr__(name: str):
    # Imported lazily so that `import engine` stays cheap for the CLI's --help.
    if name in _API:
        from engine import api

        return getattr(api, name)
    raise AttributeError(name)
