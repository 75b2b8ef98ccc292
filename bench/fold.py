"""Time the fold alone, in one process, against the hand-written reference.

Why this exists: `bench/run.py` times whole commands, as an analyst waits for
them; a change to the per-event code (evaluation/fold.py, sanctions.py,
institutions.py) is a few per cent of that, lost in process start, reading and
writing, and in the load other work puts on a shared machine. This times only
what such a change touches: `Evaluator.fold_events` over a ledger already read,
then finishing every person (`finish_row`, as a report written as it goes does)
and judging the institutions. The reference is bench/handwritten_jining.py's
`evaluate` (its own CSV reading included), timed in the same rounds.

Times are CPU seconds of this process (`time.process_time`), not wall clock,
so that other processes on the machine weigh less; rounds interleave the two
programs, and the figure to compare across versions is the median of the
per-round ratios (engine / reference), with the best engine time beside it.

Usage: python bench/fold.py [--people 20000 --events 100000 --years 3 --seed 1]
       [--rounds 5] [--policy policies/jining.yaml] [--data DIR] [--once read|fold]

`--data DIR` uses DIR/events.csv and DIR/roster.csv as they are; otherwise the
ledger is generated with bench/generate.py into a temporary directory.

Instructions, for a change of a few per cent: CPU time on a shared machine moves
by more than that from one round to the next, but the count of instructions a
run executes does not. `--once fold` reads the ledger and folds it once, with no
reference and no timing; `--once read` only reads it; both end as the console
script does, without freeing what they made. The difference of their counts
under valgrind is the fold's (the figures in the fold's comments and in
docs/performance.md were made so, on `bench/generate.py --people 6000 --events
30000 --years 3 --seed 1`, both trees' bytecode compiled first):

    python -m compileall -q engine
    for once in read fold; do valgrind --tool=cachegrind --cache-sim=no \
        --cachegrind-out-file=/dev/null python bench/fold.py --data DIR --once $once \
        2>&1 | grep 'I *refs'; done
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO), str(BENCH)]

import handwritten_jining  # noqa: E402
from common import cpu_round, generate, ledger_options, ratio_lines  # noqa: E402

from engine.evaluation.fold import Evaluator, paused_gc  # noqa: E402
from engine.ledger.read import read_ledger  # noqa: E402
from engine.policy.loader import load_policy  # noqa: E402

AS_OF = dt.date(2025, 12, 31)


def engine_round(policy, ledger) -> float:
    """CPU seconds to fold the ledger, finish every person and judge the institutions."""
    with cpu_round() as clock:
        ev = Evaluator(policy, ledger, AS_OF, set(), None)
        ev.fold_events(ledger.events)
        for code in ev.codes():
            ev.finish_row(code)
        ev.judge_institutions(None)
    return clock.seconds


def reference_round(events: Path) -> float:
    with cpu_round() as clock:
        handwritten_jining.evaluate(events)
    return clock.seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ledger_options(parser, people=20_000, events=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--policy", default=str(REPO / "policies" / "jining.yaml"))
    parser.add_argument("--data", type=Path, default=None, help="a folder with events.csv")
    parser.add_argument("--once", choices=["read", "fold"], help="for counting instructions")
    args = parser.parse_args(argv)
    if args.once:
        if args.data is None:
            parser.error("--once needs --data")
        policy = load_policy(args.policy)
        roster = args.data / "roster.csv"
        with paused_gc():
            ledger = read_ledger(
                str(args.data / "events.csv"), policy, str(roster) if roster.exists() else None
            )
        if args.once == "fold":
            engine_round(policy, ledger)
        # as the console script ends (cli._leave): nothing freed, no final collection,
        # so the count is what a user's run executes
        sys.stdout.flush()
        os._exit(0)
    with tempfile.TemporaryDirectory(prefix="policyctl-fold-") as tmp:
        data = args.data
        if data is None:
            data = generate(Path(tmp), args.people, args.events, args.years, args.seed)
        events, roster = data / "events.csv", data / "roster.csv"
        policy = load_policy(args.policy)
        ledger = read_ledger(str(events), policy, str(roster) if roster.exists() else None)
        engine, reference = [], []
        for _ in range(args.rounds):
            reference.append(reference_round(events))
            engine.append(engine_round(policy, ledger))
    ratios = [e / r for e, r in zip(engine, reference, strict=True)]
    n = len(ledger.events)
    print(f"{n:,} events, {args.rounds} rounds, CPU seconds (python {sys.version.split()[0]})")
    print(f"  reference (handwritten_jining.evaluate): best {min(reference):.3f}")
    print(f"  engine fold + finish_row + institutions: best {min(engine):.3f}")
    print("\n".join(ratio_lines(ratios)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
