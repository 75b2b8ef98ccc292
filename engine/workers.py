"""Folding a large ledger on two processes, split by person.

Why: a person's fold never reads another person's state, and the machines this
runs on have more than one core. So the people are split at a pivot code: a
child process folds and renders those below it, this process those from it.
Each reads the whole text (decoded once, before the fork) but builds events
only for its own people, and for institutions' own events, which reach staff
on both sides. The child hands back its people's report text and its part of the
institution tracker; this process judges the institutions over both parts.

Only the ordinary case is split: a date-ordered file with a roster (the pivot
is the roster's middle code). Anything else — a problem in the file, rows out of
date order, an event the fold cannot take, a child that fails or is killed —
returns None, and the caller evaluates on one process, which reports exactly
as it always does. The report is the same bytes either way (tests/test_cli.py).

Where `os.fork` is missing (Windows), nothing is split.
"""

from __future__ import annotations

import datetime as _dt
import os
import pickle
import tempfile
from collections.abc import Callable

from .errors import PolicyctlError
from .evaluate import Evaluator, Unsorted
from .ledger import EventStream, Ledger
from .model import Policy
from .report import Spooled

MIN_ROWS = 50_000  # a smaller ledger is evaluated on one process: a fork is not worth it
BATCH = 2000  # people finished and rendered at a time


def can_split(rows: EventStream, ledger: Ledger, jobs: int | None) -> bool:
    """Whether to split: asked for (jobs > 1), or left to us (None) and worth it."""
    if not hasattr(os, "fork") or not ledger.roster or len(ledger.roster) < 2:
        return False
    if jobs is not None:
        return jobs > 1
    return (os.cpu_count() or 1) > 1 and rows.rows_known() >= MIN_ROWS


def split_fold(policy: Policy, ledger: Ledger, rows: EventStream, as_of: _dt.date, fmt: str,
               progress: Callable[[int, str], None] | None,
               render: Callable[[list, str], str]) -> tuple[Evaluator, list[Spooled]] | None:
    """Fold the ledger on two processes.

    Returns this process's evaluator (every person finished; the child's
    institution records merged in, for judging the institutions) and every
    person rendered in `fmt`, as two runs (in temporary files) in code order;
    or None when the ledger must be evaluated on one process instead. This
    process renders its people while the child renders its own.

    The child's file is opened before the fork, so this process reads what the
    child wrote through its own handle (they share the file, not the offset's
    use: the child writes, then exits, and only then is the file read). `rows` must not have been
    read from: each process reads its own copy of it.
    """
    codes = sorted(ledger.roster or ())
    pivot = codes[len(codes) // 2]
    low, high = Spooled(fmt), Spooled(fmt)
    with tempfile.TemporaryFile() as out:
        pid = os.fork()
        if pid == 0:  # the child: people below the pivot
            status = 1
            try:
                ev = _fold(policy, ledger, rows, as_of, (pivot, True), None)
                if ev is not None:
                    _finish(ev, low, render, None)
                    low.file.flush()
                    t = ev.institutions
                    part = (t.history, t.went_down, t.periods) if t is not None else None
                    pickle.dump((low.empty, ev.after, ev.outside, part), out,
                                protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()
                    status = 0
            finally:
                os._exit(status)  # no cleanup: the parent's files and buffers are its own
        try:
            ev = _fold(policy, ledger, rows, as_of, (pivot, False), progress)
            if ev is not None:
                _finish(ev, high, render, progress)
        finally:
            _, wait = os.waitpid(pid, 0)
        if ev is None or os.waitstatus_to_exitcode(wait) != 0:
            return None
        out.seek(0)
        low.empty, after, outside, part = pickle.load(out)
    ev.after += after
    ev.outside += outside
    t = ev.institutions
    if t is not None and part is not None:
        history, went_down, periods = part
        t.history.update(history)
        t.went_down |= went_down
        for period, span in periods.items():
            t.periods.setdefault(period, span)
    return ev, [low, high]


def _finish(ev: Evaluator, out: Spooled, render: Callable[[list, str], str],
            progress: Callable[[int, str], None] | None) -> None:
    """Finish and render every person of a part, a batch at a time, in code order."""
    codes = ev.codes()
    for start in range(0, len(codes), BATCH):
        out.add(render([ev.finish_person(c)[0] for c in codes[start:start + BATCH]], out.fmt))
        if progress:
            progress(min(start + BATCH, len(codes)), "people")


def _fold(policy: Policy, ledger: Ledger, rows: EventStream, as_of: _dt.date,
          part: tuple[str, bool], progress: Callable[[int, str], None] | None
          ) -> Evaluator | None:
    """One part's fold, or None when anything is out of the ordinary."""
    try:
        rows.reader.part = part
        ev = Evaluator(policy, ledger, as_of, set(), progress)
        ev.part = part
        ev.count_shared = part[1]  # the low part counts institutions' events
        ev.fold_events(rows)
        rows.close()
    except (Unsorted, PolicyctlError):
        return None
    return ev
