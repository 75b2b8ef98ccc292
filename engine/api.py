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
                 encoding: str | None = None,
                 progress: Callable[[int], None] | None = None
                 ) -> tuple[Outcome, Iterator[str]]:
    """Evaluate and render a json, jsonl or csv report as it goes.

    People are folded and rendered in batches and let go, so memory holds the
    ledger and the institutions' tracker, not every outcome. The returned
    outcome carries the header and warnings at once; its institutions are filled
    in once the chunks have been consumed. Other formats need the whole outcome:
    use evaluate_files and report.render.
    """
    from . import report
    from .evaluate import Evaluator

    p = load_policy(policy)
    ledger = read_ledger(events, p, roster, encoding=encoding)
    ev = Evaluator(p, ledger, as_of, set(), progress)
    codes = ev.prepare()
    outcome = ev.outcome([], {}, institutions=[])

    def people_runs() -> Iterator[str]:
        for start in range(0, len(codes), BATCH):
            batch = [ev.person_of(code)[0] for code in codes[start:start + BATCH]]
            yield report.people_text(batch, fmt)
            if progress:
                progress(start + len(batch))
        outcome.institutions = ev.judge_institutions(None)

    return outcome, report.frame(outcome, fmt, people_runs())


BATCH = 2000  # people folded and rendered at a time


__all__ = ["check_policy", "evaluate", "evaluate_files", "load_policy", "read_ledger",
           "report_files"]
