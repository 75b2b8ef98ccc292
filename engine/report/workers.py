"""Folding a large ledger on two processes, split by person.

Why: a person's fold never reads another person's state, and the machines this
runs on have more than one core. So the people are split at a pivot code: a
child process folds and renders those below it, this process those from it.
Each reads the whole file (from its own handle, opened after the fork: see
tables._file_text) but builds events only for its own people, and for
institutions' own events, which reach staff on both sides, and notes only
those rows' ids. The child hands back its people's
report text, its part of the institution tracker and its ids; this process
checks that no id is in both parts and judges the institutions over both.

Only the ordinary case is split: a date-ordered file with a roster (the pivot
is the roster's code at CHILD_SHARE of the way). Anything else — a problem in
the file, an id in both parts, rows out of date order, an event the fold cannot
take, a child that fails or is killed — returns None, and the caller evaluates
on one process, which reports exactly as it always does. The report is the same
bytes either way (tests/test_cli.py).

Where `os.fork` is missing (Windows), nothing is split.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import pickle
import signal
import tempfile
from collections.abc import Callable

from engine.errors import PolicyctlError
from engine.evaluation.fold import Evaluator, Unsorted
from engine.ledger.read import EventStream, Ledger
from engine.policy.model import Policy
from engine.report.formats import Spooled, people_runs

MIN_ROWS = 50_000  # a smaller ledger is evaluated on one process: a fork is not worth it
# The child's share of the roster: a little more than half, since this process also
# judges the institutions once both halves are folded. Measured on bench/ (1M events,
# 200,000 people, 500 institutions) as where the child's end and this process's end
# of judging meet, over repeated runs (the balance moves from run to run by a few
# tenths of a second).
CHILD_SHARE = 0.51


def can_split(rows: EventStream, ledger: Ledger, jobs: int | None) -> bool:
    """Whether to split: asked for (jobs > 1), or left to us (None) and worth it."""
    if not hasattr(os, "fork") or not ledger.roster or len(ledger.roster) < 2:
        return False
    if jobs is not None:
        return jobs > 1
    return (os.cpu_count() or 1) > 1 and rows.rows_known() >= MIN_ROWS


def split_fold(
    policy: Policy,
    ledger: Ledger,
    rows: EventStream,
    as_of: _dt.date,
    fmt: str,
    progress: Callable[[int, str], None] | None,
) -> tuple[Evaluator, list[Spooled], list, Child] | None:
    """Fold the ledger on two processes.

    Returns this process's evaluator (every person finished), every person
    rendered in `fmt` as two runs in code order (in temporary files), the
    institutions' outcomes and the child, to reap once the runs have been taken;
    or None when the ledger must be evaluated on one process instead.
    `rows` must not have been read from: each process reads its own copy of it.

    The timeline: both fold their people; the child writes its part of the
    institution tracker, says so on a pipe, and renders its people; this
    process renders its own, then takes the child's tracker and judges the
    institutions while the child may still be rendering. The files are opened
    before the fork and shared: the child writes them, this process reads them
    only after the child has said so on the pipe (b"1": its tracker, b"2": its
    people, flushed; the last thing it does before it exits).
    """
    codes = ledger.roster_codes()
    pivot = codes[int(len(codes) * CHILD_SHARE)]
    low, high = Spooled(fmt), Spooled(fmt)
    with tempfile.TemporaryFile() as out:
        try:
            ready, said = os.pipe()
        except OSError:  # out of file descriptors: one process will do
            return None
        try:
            pid = os.fork()
        except OSError:  # out of memory or processes
            os.close(ready)
            os.close(said)
            return None
        if pid == 0:  # the child: people below the pivot
            status = 1
            try:
                os.close(ready)
                ev = _fold(policy, ledger, rows, as_of, (pivot, True), None)
                if ev is not None:
                    t = ev.institutions
                    part = (
                        (t.logs, t.went_down, t.periods, t.portable(), t.sanctioned) if t else None
                    )
                    pickle.dump(
                        (ev.after, ev.outside, part, rows.reader.ids.values),
                        out,
                        protocol=pickle.HIGHEST_PROTOCOL,
                    )
                    out.flush()
                    os.write(said, b"1")
                    _finish(ev, low, None)
                    low.file.flush()
                    os.write(said, b"2")  # its people are written: nothing else is awaited
                    status = 0
            finally:
                os._exit(status)  # no cleanup: the parent's files and buffers are its own
        os.close(said)
        ev: Evaluator | None = None
        institutions: list | None = None
        written = False  # the child said its people are written
        try:
            ev = _fold(policy, ledger, rows, as_of, (pivot, False), progress)
            if ev is None:  # one process will do it all: the child's work is wasted
                os.kill(pid, signal.SIGKILL)
            else:
                _finish(ev, high, progress)
                # b"" when the child failed before its fold was done (the pipe closed)
                if os.read(ready, 1) == b"1":
                    out.seek(0)
                    after, outside, part, ids = pickle.load(out)
                    _merge(ev, after, outside, part)
                    if rows.reader.ids.meets(ids):
                        # an id in both parts: reported by one process, as it always is
                        os.kill(pid, signal.SIGKILL)
                    else:
                        try:
                            institutions = ev.judge_institutions(None)
                        except PolicyctlError:
                            # reported by one process, after the warnings, as it always is;
                            # the child's people are of no use then
                            institutions = None
                            os.kill(pid, signal.SIGKILL)
                    # b"" when the child failed while rendering (the pipe closed)
                    written = institutions is not None and os.read(ready, 1) == b"2"
        except BaseException:  # an interrupt, a bug: the child's work is of no use now
            os.kill(pid, signal.SIGKILL)
            raise
        finally:
            os.close(ready)
            if not written:
                os.waitpid(pid, 0)
        if not written:
            return None
    low.empty = low.file.seek(0, os.SEEK_END) == 0
    return ev, [low, high], institutions, Child(pid)


class Child:
    """The child of a split fold, once it has said its people are written: waited for
    (`reap`) once its runs have been taken, not before (into a report file: once
    copied; to standard output, which is read whole before it is written: before).

    Why not at once: what is left of the child is its exit, the freeing of a few
    hundred megabytes, which would otherwise hold up the writing of the report by a
    tenth of a second. Reaped once only, whoever asks first: its pid may be another
    process's afterwards."""

    def __init__(self, pid: int):
        self.pid = pid
        self.reaped = False

    def reap(self) -> None:
        if self.reaped:
            return
        # marked only once waited for: a wait cut short (an interrupt) is tried again by
        # the next caller, and a pid not yet waited for is no other process's
        with contextlib.suppress(ChildProcessError):  # reaped by someone else
            os.waitpid(self.pid, 0)
        self.reaped = True


def _merge(ev: Evaluator, after: int, outside: int, part: tuple | None) -> None:
    """Add the child's counts and institution records to this process's."""
    ev.after += after
    ev.outside += outside
    t = ev.institutions
    if t is not None and part is not None:
        logs, went_down, periods, by_site, sanctioned = part
        for key, log in logs.items():  # each date-ordered: merged as they are read
            (t.more_logs if key in t.logs else t.logs)[key] = log
        t.went_down |= went_down
        for period, span in periods.items():
            t.periods.setdefault(period, span)
        for key, records in by_site.items():
            t.by_site.setdefault(key, []).extend(records)
        for key, n in sanctioned.items():
            t.sanctioned[key] = t.sanctioned.get(key, 0) + n


def _finish(ev: Evaluator, out: Spooled, progress: Callable[[int, str], None] | None) -> None:
    """Finish and render every person of a part, in code order, into `out`."""
    for run in people_runs(ev, ev.codes(), out.fmt, progress):
        out.add(run)


def _fold(
    policy: Policy,
    ledger: Ledger,
    rows: EventStream,
    as_of: _dt.date,
    part: tuple[str, bool],
    progress: Callable[[int, str], None] | None,
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
