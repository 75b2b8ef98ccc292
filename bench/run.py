"""Time policyctl against a hand-written reference, as whole processes, in one run.

Why this exists: the speed bar is about what an analyst waits for, so every
program is timed as the command they would type (interpreter start, imports,
reading the policy, reading the ledger, writing the output), not as a function
call inside a warm process. Timing the reference and the engine in the same
run, on the same data and machine, makes the ratio the figure to watch: the
absolute seconds move with the machine and its load.

What it runs (wall clock, best of --repeat rounds, default 3, each round
running every program once; CPU seconds, user and system, of that run with the
processes it forked; peak resident memory of the largest process):

- `python -c pass`: what starting an interpreter costs here;
- `bench/handwritten_jining.py`: the Jining bands written by hand (the yardstick);
- `policyctl evaluate --policy policies/jining.yaml ... --format json`, as a user
  runs it (on one process, as the hand-written program runs);
- `policyctl validate` on policies/jining.yaml, policies/zhanjiang.yaml and on a
  generated 500-item policy (bench/make_big_policy.py).

Evaluation rows are compared with the reference, validation rows with
`python -c pass`. `policyctl` is the command on PATH if there is one, else the
repository's `engine.cli:main` run the way the console script runs it. An engine
or policy that is missing is reported as "not available"; a run that fails is
reported with its exit code and the end of its stderr, and the others go on.

Peak memory: each child is reaped with os.wait4, which returns that child's own
resource usage (a `resource.struct_rusage`). Deltas of
getrusage(RUSAGE_CHILDREN).ru_maxrss do not work for this: that field is the
largest peak of any child reaped so far, so a small run after a large one would
report the large one's peak.

Data: generated with bench/generate.py into a temporary directory, unless
bench/data/ holds a ledger made with the same arguments (its params.json says
so) or holds events.csv and roster.csv with no params.json (used as they are).
--keep writes the generated ledger to bench/data/ for the next run (bench/data/
is in .gitignore).

Usage: python bench/run.py [--people 200000 --events 1000000 --years 3] [--quick]
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import generate, ledger_options

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DATA = BENCH / "data"
AS_OF = "2025-12-31"


@dataclass
class Row:
    """One line of the result table."""

    program: str
    seconds: float | None = None
    cpu: float | None = None  # user + system seconds of the best run, its children included
    peak_mb: float | None = None
    events: int | None = None
    reference: str | None = None  # the program this one is compared with
    note: str = ""


@dataclass
class Run:
    seconds: float
    cpu: float
    peak_mb: float
    code: int
    stderr: str


def run_once(command: list[str], cwd: Path) -> Run:
    """Run a command to completion; wall-clock time and the child's own peak RSS."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        stderr = err.read().decode("utf-8", errors="replace")
    # ru_maxrss is in kilobytes on Linux, in bytes on macOS.
    peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    cpu = usage.ru_utime + usage.ru_stime  # with the children it waited for (a fork)
    return Run(seconds, cpu, peak, child.returncode, stderr)


@dataclass
class Job:
    """A program to time: its row, its command, and the file it must write (if any)."""

    row: Row
    command: list[str]
    output: Path | None = None
    runs: list[Run | None] = field(default_factory=list)  # one per round; None: not run


def measure(jobs: list[Job], repeat: int) -> None:
    """Run every job once per round, `repeat` rounds, and fill in each row.

    Rounds, not each program `repeat` times in a row: on a shared machine the
    speed drifts over minutes, and a program timed in a fast minute against a
    reference timed in a slow one gives a ratio that says more about the minute
    than the program. Interleaved, each round sees every program under about
    the same conditions (see `round_ratios`). A failing run is reported and its
    job is not run again.
    """
    for _ in range(repeat):
        for job in jobs:
            if job.row.note:
                job.runs.append(None)
                continue
            job.runs.append(_run_job(job))
    for job in jobs:
        done = [r for r in job.runs if r is not None]
        if not done or job.row.note:
            continue
        best = min(done, key=lambda r: r.seconds)
        job.row.seconds, job.row.cpu = best.seconds, best.cpu
        job.row.peak_mb = max(r.peak_mb for r in done)


def _run_job(job: Job) -> Run | None:
    program, command, output = job.row.program, job.command, job.output
    if output is not None:
        output.unlink(missing_ok=True)
    run = run_once(command, REPO)
    if run.code != 0:
        job.row.note = f"failed (exit {run.code})"
        print(f"\n--- {program} failed (exit {run.code}): {' '.join(command)}", file=sys.stderr)
        tail = run.stderr.strip().splitlines()[-20:]
        print("\n".join(tail) or "(no stderr)", file=sys.stderr)
        return None
    if output is not None and (not output.exists() or output.stat().st_size == 0):
        job.row.note = "no output written"
        return None
    return run


def round_ratios(jobs: list[Job]) -> list[str]:
    """For each job with a reference: its time over the reference's in each round."""
    by_name = {job.row.program: job for job in jobs}
    lines = []
    for job in jobs:
        ref = by_name.get(job.row.reference or "")
        if ref is None or job.row.seconds is None or ref.row.seconds is None:
            continue
        ratios = [
            a.seconds / b.seconds
            for a, b in zip(job.runs, ref.runs, strict=True)
            if a is not None and b is not None
        ]
        if ratios:
            mid = statistics.median(ratios)
            lines.append(
                f"  {job.row.program}: "
                + " ".join(f"{r:.2f}" for r in ratios)
                + f" (median {mid:.2f})"
            )
    return lines


def policyctl() -> list[str] | None:
    """How to start policyctl as a user would, or None when there is no engine yet."""
    found = shutil.which("policyctl")
    if found:
        return [found]
    if (REPO / "engine" / "cli.py").exists():
        # What the console script does (pyproject: policyctl = "engine.cli:main").
        return [sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())"]
    return None


# ---------------------------------------------------------------------- data


def count_events(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(0, lines - 1)


def prepare_data(args: argparse.Namespace, scratch: Path) -> tuple[Path, int]:
    """The ledger to time on: reused from bench/data/ when it fits, else generated."""
    params = {"people": args.people, "events": args.events, "years": args.years, "seed": args.seed}
    marker = DATA / "params.json"
    if (DATA / "events.csv").exists() and (DATA / "roster.csv").exists():
        if not marker.exists():
            print(f"using {DATA} as it is (no params.json)")
            return DATA, count_events(DATA / "events.csv")
        if json.loads(marker.read_text()) == params:
            print(f"reusing {DATA} ({args.events:,} events)")
            return DATA, args.events
    target = DATA if args.keep else scratch / "data"
    start = time.perf_counter()
    generate(target, args.people, args.events, args.years, args.seed, quiet=False)
    print(
        f"generated {args.events:,} events for {args.people:,} people over {args.years} "
        f"years in {time.perf_counter() - start:.1f} s -> {target}"
    )
    if args.keep:
        marker.write_text(json.dumps(params) + "\n")
    return target, args.events


# -------------------------------------------------------------------- report


def table(rows: list[Row]) -> str:
    seconds = {row.program: row.seconds for row in rows}
    header = ("program", "seconds", "cpu s", "events/s", "peak MB", "ratio", "ratio to")
    lines = [header]
    for row in rows:
        if row.seconds is None:
            lines.append((row.program, row.note or "not available", "", "", "", "", ""))
            continue
        rate = f"{row.events / row.seconds:,.0f}" if row.events else "-"
        base = seconds.get(row.reference) if row.reference else None
        ratio = f"{row.seconds / base:.2f}" if base else "-"
        lines.append(
            (
                row.program,
                f"{row.seconds:.3f}",
                f"{row.cpu:.2f}" if row.cpu is not None else "-",
                rate,
                f"{row.peak_mb:.0f}" if row.peak_mb is not None else "-",
                ratio,
                row.reference if base else "",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        cells = [line[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(line[1:6], widths[1:6], strict=True)]
        cells.append(line[6])
        out.append("  ".join(cells).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths).rstrip())
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ledger_options(parser, people=200_000, events=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs per program; the best counts")
    parser.add_argument("--quick", action="store_true", help="20,000 people, 100,000 events")
    parser.add_argument("--keep", action="store_true", help="write the ledger to bench/data/")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.events = 20_000, 100_000
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    # Compile the package's bytecode first: where PYTHONDONTWRITEBYTECODE is set (as on
    # this machine) an editable install would otherwise recompile every module in every
    # run, which an installed policyctl never does.
    compileall.compile_dir(str(REPO / "engine"), quiet=1)

    with tempfile.TemporaryDirectory(prefix="policyctl-bench-") as tmp:
        scratch = Path(tmp)
        data, events = prepare_data(args, scratch)
        engine = policyctl()
        start_ref = "python -c pass"
        reference = "handwritten_jining.py"
        jobs = [Job(Row(start_ref), [sys.executable, "-c", "pass"])]
        jobs.append(
            Job(
                Row(reference, events=events),
                [
                    sys.executable,
                    str(BENCH / "handwritten_jining.py"),
                    str(data / "events.csv"),
                    str(scratch / "reference.json"),
                ],
                scratch / "reference.json",
            )
        )

        jining = REPO / "policies" / "jining.yaml"
        evaluate = "policyctl evaluate jining"
        if engine is None or not jining.exists():
            jobs.append(Job(Row(evaluate, note="not available"), []))
        else:
            out = scratch / "engine.json"
            command = engine + [
                "evaluate",
                "--policy",
                str(jining),
                "--events",
                str(data / "events.csv"),
                "--roster",
                str(data / "roster.csv"),
                "--as-of",
                AS_OF,
                "--format",
                "json",
                "--output",
                str(out),
            ]
            jobs.append(Job(Row(evaluate, events=events, reference=reference), command, out))

        big = scratch / "big" / "jining-500.yaml"
        if jining.exists():
            made = subprocess.run(
                [
                    sys.executable,
                    str(BENCH / "make_big_policy.py"),
                    "--base",
                    str(jining),
                    "--items",
                    "500",
                    "--out",
                    str(big),
                ],
                capture_output=True,
                text=True,
            )
            if made.returncode != 0:
                print(f"make_big_policy failed: {made.stderr.strip()}", file=sys.stderr)
        for label, path in (
            ("jining.yaml", jining),
            ("zhanjiang.yaml", REPO / "policies" / "zhanjiang.yaml"),
            ("500 items", big),
        ):
            program = f"policyctl validate {label}"
            if engine is None or not path.exists():
                jobs.append(Job(Row(program, note="not available"), []))
            else:
                jobs.append(
                    Job(Row(program, reference=start_ref), engine + ["validate", str(path)])
                )
        measure(jobs, args.repeat)
        rows = [job.row for job in jobs]

    print()
    print(
        f"{events:,} events, {args.people:,} people, {args.years} years; "
        f"best of {args.repeat}; python {sys.version.split()[0]}, {os.cpu_count()} cpu"
    )
    print(table(rows))
    per_round = round_ratios(jobs)
    if per_round:
        print("\nratio in each round (each run against the reference's run of the same round):")
        print("\n".join(per_round))
    failed = [row for row in rows if row.seconds is None and row.note != "not available"]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
