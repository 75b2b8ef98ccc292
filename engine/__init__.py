"""policyctl: regulation-as-code for medical-insurance practitioner points regimes.

The pipeline runs one way — load → read → evaluate → report (→ compare):

    policy  = load_policy(path)                   # engine/policy/: YAML -> checked, compiled Policy
    history = load_history(folder)                # engine/policy/versions.py: all versions
    ledger  = read_ledger(events, policy, roster) # engine/ledger/: files -> typed events and roster
    outcome = evaluate(policy, ledger, as_of)     # engine/evaluation/: the fold -> Outcome
    text    = render(outcome, "json")             # engine/report/: json | jsonl | csv | table
    changes = diff(old_policy, new_policy)        # engine/compare/: PolicyDiff

Each name is a function of engine/api.py (the documented API, docs/api.md),
resolved when first used so that `import engine` stays cheap.
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

# the API's functions: engine/api.py's __all__ (tests/test_api.py holds them equal; read
# here without importing api.py, which would make `import engine` load every stage)
_API = frozenset(
    {
        "check_history",
        "check_policy",
        "db_access_log",
        "db_erase",
        "db_init",
        "db_load",
        "db_purge",
        "db_retention",
        "diff",
        "diff_files",
        "diff_histories",
        "evaluate",
        "evaluate_files",
        "explain",
        "explain_files",
        "html_report_files",
        "impact",
        "impact_histories",
        "intervals_files",
        "load_history",
        "load_policies",
        "load_policy",
        "pseudonyms",
        "read_ledger",
        "render",
        "render_diff",
        "render_diff_chunks",
        "render_history_diff",
        "report_files",
        "screen_files",
    }
)

__all__ = [
    "Diagnostic",
    "EvaluationError",
    "ExprError",
    "LedgerError",
    "PolicyError",
    "PolicyctlError",
    "Span",
    *sorted(_API),
]


def __getattr__(name: str):
    # Imported lazily so that `import engine` stays cheap for the CLI's --help.
    if name in _API:
        from engine import api

        return getattr(api, name)
    raise AttributeError(name)
