"""A progress bar on standard error while a large ledger is evaluated (rich).

One line per phase: the events folded as they are read (a count and a rate: a
streamed file's row count is known only at its end), then the people finished
and written (percent, rate and time left, their number being known by then).
Shown only on a terminal and never in CI (`CI` set), so a pipe or a log gets
nothing; warnings are printed by the caller after `stop()`, below the bar, not
onto it.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from engine.i18n import N_, _

PHASES = {"events": N_("events read and evaluated"), "people": N_("people finished and written")}


def wanted(stream: Any = None) -> bool:
    """A bar is drawn only for a person watching a terminal."""
    stream = stream or sys.stderr
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("CI")


class Bar:
    """`progress(count, what, total=None)` as the evaluator calls it, drawn with rich."""

    def __init__(self, stream: Any = None):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TaskProgressColumn(show_speed=True),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream or sys.stderr),
            transient=False,
        )
        self.tasks: dict[str, Any] = {}
        self.progress.start()

    def __call__(self, n: int, what: str, total: int | None = None) -> None:
        task = self.tasks.get(what)
        if task is None:
            for other in self.tasks.values():  # the phase before is done
                t = self.progress.tasks[other]
                self.progress.update(other, total=t.completed)
            label = _(PHASES[what]) if what in PHASES else what
            task = self.tasks[what] = self.progress.add_task(label, total=total)
        self.progress.update(task, completed=n, total=total)

    def stop(self) -> None:
        for task in self.tasks.values():
            t = self.progress.tasks[task]
            if t.total is None:
                self.progress.update(task, total=t.completed)
        self.progress.stop()
