"""What several benchmarks do the same way: make a ledger, time a round, report ratios.

Why this exists: bench/fold.py, bench/history.py, bench/scoring.py, bench/serve.py
and bench/run.py each generated their ledger with the same bench/generate.py
command, timed rounds with the same CPU clock around the same collector pause,
and printed per-round ratios the same way; one copy here keeps their figures
comparable (a change to how a round is timed changes every benchmark at once).

Import it as `import common` (a benchmark runs with bench/ first on sys.path).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent


def ledger_options(
    parser: argparse.ArgumentParser, people: int, events: int, years: int | None = 3
) -> None:
    """--people, --events, --years (unless None) and --seed: the ledger bench/generate.py
    makes for a benchmark."""
    parser.add_argument("--people", type=int, default=people)
    parser.add_argument("--events", type=int, default=events)
    if years is not None:
        parser.add_argument("--years", type=int, default=years)
    parser.add_argument("--seed", type=int, default=1)


def generate(
    out: Path, people: int, events: int, years: int = 3, seed: int = 1, quiet: bool = True
) -> Path:
    """A seeded ledger (events.csv, roster.csv) from bench/generate.py, in `out`."""
    command = [sys.executable, str(BENCH / "generate.py"), "--out", str(out)]
    for name, value in (("people", people), ("events", events), ("years", years), ("seed", seed)):
        command += [f"--{name}", str(value)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL if quiet else None)
    return out


class Clock:
    """CPU seconds of one timed round (`cpu_round`), read once it is over."""

    seconds: float = 0.0


@contextlib.contextmanager
def cpu_round() -> Iterator[Clock]:
    """Time a round in CPU seconds of this process, as the CLI runs it: a collection
    first (so one round's garbage is not the next's cost), the collector paused inside
    (engine.evaluation.fold.paused_gc, as `policyctl evaluate` pauses it)."""
    sys.path[:0] = [str(REPO)] if str(REPO) not in sys.path else []
    from engine.evaluation.fold import paused_gc

    clock = Clock()
    gc.collect()
    start = time.process_time()
    with paused_gc():
        yield clock
    clock.seconds = time.process_time() - start


def ratio_lines(ratios: list[float], note: str = "") -> list[str]:
    """The per-round ratios and their median, as the benchmarks print them."""
    return [
        "  ratio per round: " + " ".join(f"{r:.3f}" for r in ratios),
        f"  median ratio {statistics.median(ratios):.3f}{note}",
    ]
