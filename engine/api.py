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

from engine.compare.diff import PolicyDiff, diff_policies
from engine.evaluation.fold import evaluate
from engine.evaluation.outcome import Outcome
from engine.ledger.read import read_ledger
from engine.policy.loader import check_policy, load_policy
from engine.policy.model import Policy
from engine.policy.versions import (
    History,
    PolicyPaths,
    check_history,
    load_history,
    load_policies,
)


def diff(old: Policy, new: Policy, item_map: dict[str, str | None] | None = None) -> PolicyDiff:
    """What changed from `old` to `new`, compared by meaning (`policyctl diff`).

    `item_map`: old item code -> new code (or None: dropped), for a renumbered catalogue.
    """
    return diff_policies(old, new, item_map)


def evaluate_files(
    policy: PolicyPaths,
    events: str,
    roster: str | None = None,
    as_of: _dt.date | None = None,
    *,
    explain: Iterable[str] = (),
    encoding: str | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> Outcome:
    """Load a policy and a ledger from files and evaluate; raises PolicyctlError.

    `policy`: a file, or the files or folder of a regulation's history (load_policies).

    `progress(count, what)`, when given, is told now and then how many "events"
    have been folded and "people" finished.
    """
    p = load_policies(policy)
    ledger = read_ledger(events, p, roster, encoding=encoding)
    return evaluate(p, ledger, as_of or _dt.date.today(), explain=explain, progress=progress)


def report_files(
    policy: PolicyPaths,
    events: str,
    roster: str | None,
    as_of: _dt.date,
    fmt: str,
    *,
    encoding: str | None = None,
    progress: Callable[[int, str], None] | None = None,
    keep: list | None = None,
) -> tuple[Outcome, Iterator[str]]:
    """Evaluate and render a json, jsonl or csv report as it goes.

    A ledger in date order (as ledgers are kept) is folded as its rows are
    read, never held; a ledger out of order is read whole, sorted, and folded
    from memory. Either way, people are then finished and rendered in batches
    and let go: memory holds each person's running state and the institutions'
    tracker, not the ledger and not every outcome. The fold is done before this
    returns (the outcome's warnings count what it saw); its institutions are
    filled in once the chunks have been consumed. Other formats need the whole
    outcome: use evaluate_files and render. `keep`: a list the evaluation's
    remains (the roster, the institutions' records) are put in once the last
    chunk is taken, for a caller about to end its process without freeing them
    (the console script: freed otherwise as the chunks end, they would hold up
    the report's last write by a tenth of a second or more on a province's
    ledger).
    """
    from engine.errors import EvaluationError
    from engine.evaluation.fold import Evaluator, Unsorted
    from engine.ledger.read import stream_ledger
    from engine.report import formats as report

    p = load_policies(policy)
    streamed = stream_ledger(events, p, roster, encoding)
    ev = None
    if streamed is not None:
        ledger, rows = streamed
        ev = Evaluator(p, ledger, as_of, set(), progress)
        try:
            ev.fold_events(rows)
        except (Unsorted, EvaluationError):
            # not in date order: read it whole below; an event the fold cannot take
            # is reported after the file's own problems, so read it whole as well
            ev = None
        else:
            rows.close()
    if ev is None:
        streamed = rows = None  # let the stream's text go before the file is read again
        ledger = read_ledger(events, p, roster, encoding=encoding)
        ev = Evaluator(p, ledger, as_of, set(), progress)
        ev.fold_events(ledger.events)
        ledger.events = []  # folded: let the rows go
    evaluator = ev
    codes = evaluator.codes()
    outcome = evaluator.outcome([], {}, institutions=[])

    def people_runs() -> Iterator[str]:
        yield from report.people_runs(evaluator, codes, fmt, progress)
        outcome.institutions = evaluator.judge_institutions(None)
        if keep is not None:
            keep.append(evaluator)

    return outcome, report.frame(outcome, fmt, people_runs())


def intervals_files(
    policy: PolicyPaths,
    events: str,
    roster: str | None = None,
    as_of: _dt.date | None = None,
    *,
    encoding: str | None = None,
) -> list:
    """Each person's status as date intervals (`evaluate --format intervals`)."""
    from engine.evaluation.intervals import intervals

    p = load_policies(policy)
    ledger = read_ledger(events, p, roster, encoding=encoding)
    outcome = evaluate(p, ledger, as_of or _dt.date.today())
    return list(intervals(outcome.people, p.restoration, p.restoration_cite))


def screen_files(
    policy: PolicyPaths,
    events: str,
    claims: str,
    roster: str | None = None,
    as_of: _dt.date | None = None,
    *,
    engine: str = "duckdb",
    encoding: str | None = None,
    **options,
):
    """Screen claim lines against the sanctions (`policyctl screen`); a ScreenResult.

    `options` go to the engine: memory_limit, temp_directory, threads (DuckDB);
    master, remote (Spark).
    """
    from engine.evaluation.intervals import intervals
    from engine.screen.run import screen

    p = load_policies(policy)
    ledger = read_ledger(events, p, roster, encoding=encoding)
    outcome = evaluate(p, ledger, as_of or _dt.date.today())
    found = intervals(outcome.people, p.restoration, p.restoration_cite)
    return screen(p, found, claims, engine, **options)


__all__ = [
    "History",
    "check_history",
    "check_policy",
    "diff",
    "evaluate",
    "evaluate_files",
    "load_history",
    "load_policies",
    "intervals_files",
    "screen_files",
    "load_policy",
    "read_ledger",
    "report_files",
]
