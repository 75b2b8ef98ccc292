"""The columnar path against its yardstick and the fold, as whole processes, in one run.

Why this exists: issue 19's targets are ratios measured side by side on one
shuffled ledger (the machine's speed drifts; a ratio within a round does not):

- `policyctl evaluate --engine columnar --format jsonl` against
  `bench/columnar_jining.py` (the hand-written pyarrow + NumPy program): wall
  within 2x, peak memory within 1.5x;
- `policyctl evaluate --engine fold` (the fold's own figure: not made worse);
- with `--diff`: `policyctl diff OLD NEW --events` (a revised Jining: the interview
  band widened to 5-6, the first suspension from 7) against one `evaluate`: within 3x.

Each round runs every program once (interleaved), `--repeat` rounds; the table
gives the best wall time, its CPU seconds (user + system, children included) and
the largest peak resident memory (os.wait4 of each child: its own ru_maxrss, see
bench/run.py), then each round's ratios of wall and CPU time (on a busy machine the
CPU ratio is the steadier one) and the median ratio of peak memory. After the
first round it checks that the columnar and fold JSON Lines are byte-identical,
and that the yardstick's cycles and band actions agree with the engine's for every
person it covers (the bands fired, with their findings and dates; a suspension the engine queued
behind another starts later, so its date is not compared).

Data: bench/generate.py's Jining ledger (`--people`, `--events`, `--years`,
`--seed`), its rows shuffled (seeded) so that no program can rely on date order;
`--data DIR` takes DIR/events.csv as it is. Run it under `nice` on a shared
machine, and read the load average it prints.

Usage: python bench/columnar.py [--people 200000 --events 1000000] [--repeat 3]
       [--diff] [--no-fold] [--data DIR] [--keep DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import REPO, Run, policyctl, run_once  # noqa: E402  (bench/run.py)

BENCH = REPO / "bench"
AS_OF = "2026-01-01"
POLICY = REPO / "policies" / "jining.yaml"


def shuffled_ledger(args: argparse.Namespace, scratch: Path) -> Path:
    """A generated ledger with its rows in a seeded random order."""
    made = scratch / "made"
    subprocess.run(
        [sys.executable, str(BENCH / "generate.py"), "--people", str(args.people)]
        + ["--events", str(args.events), "--years", str(args.years), "--seed", str(args.seed)]
        + ["--out", str(made)],
        check=True,
    )
    with (made / "events.csv").open("rb") as f:
        header, *rows = f.readlines()
    random.Random(args.seed).shuffle(rows)
    out = scratch / "events.csv"
    with out.open("wb") as f:
        f.write(header)
        f.writelines(rows)
    del rows
    shutil.rmtree(made)
    return out


def revised_policy(scratch: Path) -> Path:
    """Jining with its interview band widened by a point (a revision to diff against)."""
    folder = scratch / "revised"
    shutil.copytree(REPO / "policies" / "sources", folder / "sources", dirs_exist_ok=True)
    text = POLICY.read_text(encoding="utf-8")
    for old, new in (
        ("when: 5 <= deducted < 6", "when: 5 <= deducted < 7"),
        ("when: 6 <= deducted <= 8", "when: 7 <= deducted <= 8"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "jining.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def agree(yard: Path, jsonl: Path) -> str:
    """Compare the yardstick's cycles and band actions with the engine's, person by person."""
    cycles: dict[str, list] = {}
    with (yard / "cycles.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            cycles.setdefault(r["person"], []).append(
                (r["period"], int(r["deducted"]), int(r["score"]), r["tier"] or None)
                + (int(r["violations"]),)
            )
    actions: dict[str, list] = {}
    with (yard / "actions.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            actions.setdefault(r["person"], []).append(
                (r["action"], r["source"], r["start"], r["event"])
            )
    seen = differ = 0
    first = ""
    with jsonl.open(encoding="utf-8") as f:
        for line in f:
            p = json.loads(line)
            code = p["person"]
            if code not in cycles:
                continue
            seen += 1
            mine = [
                (c["period"], c["deducted"], c["score"], c["tier"], c["violations"])
                for c in p["cycles"]
            ]
            # the bands fired (a queued suspension starts when the one before it ends)
            acts = sorted(
                (a["action"], a["source"], "" if a.get("queued") else a["start"], a["events"][-1])
                for a in p["actions"]
                if a["source"].startswith("tier:")
            )
            theirs = sorted(
                (k, src, "" if (k, src, "", e) in acts else start, e)
                for k, src, start, e in actions.get(code, [])
            )
            if mine != cycles[code] or acts != theirs:
                differ += 1
                first = first or code
    if seen != len(cycles):
        return f"MISMATCH: {len(cycles) - seen} covered people missing from the engine's output"
    if differ:
        return f"MISMATCH: {differ} of {seen} covered people differ (first {first})"
    return f"agree on all {seen:,} people the yardstick covers"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--people", type=int, default=200_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--data", type=Path, help="a folder holding events.csv (used as it is)")
    ap.add_argument("--keep", type=Path, help="keep the shuffled ledger and outputs here")
    ap.add_argument("--diff", action="store_true", help="time diff --events too")
    ap.add_argument("--no-fold", action="store_true", help="leave out --engine fold")
    args = ap.parse_args(argv)
    engine = policyctl()
    assert engine is not None
    scratch = Path(tempfile.mkdtemp(prefix="colbench-"))
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        scratch = args.keep
    try:
        if args.data:
            events = args.data / "events.csv"
        elif (scratch / "events.csv").exists():
            events = scratch / "events.csv"
        else:
            events = shuffled_ledger(args, scratch)
        print(f"ledger {events} ({events.stat().st_size / 1e6:.0f} MB)")
        evaluate = [*engine, "evaluate", "--policy", str(POLICY), "--events", str(events)]
        evaluate += ["--as-of", AS_OF, "--format", "jsonl", "--output"]
        jobs: dict[str, list[str]] = {
            "yardstick": [sys.executable, str(BENCH / "columnar_jining.py")]
            + [str(events), str(scratch / "yard")],
            "columnar": [*evaluate, str(scratch / "columnar.jsonl"), "--engine", "columnar"],
        }
        if not args.no_fold:
            jobs["fold"] = [*evaluate, str(scratch / "fold.jsonl"), "--engine", "fold"]
        if args.diff:
            new = revised_policy(scratch)
            jobs["diff --events"] = [*engine, "diff", str(POLICY), str(new), "--events"]
            jobs["diff --events"] += [str(events), "--as-of", AS_OF, "--format", "json"]
        runs: dict[str, list[Run]] = {name: [] for name in jobs}
        for r in range(args.repeat):
            print(f"round {r + 1}: load average {os.getloadavg()[0]:.1f}", flush=True)
            for name, command in jobs.items():
                run = run_once(command, REPO)
                if run.code not in (0, 1 if name.startswith("diff") else 0):
                    print(f"{name} failed ({run.code}):\n{run.stderr[-2000:]}", file=sys.stderr)
                    return 1
                runs[name].append(run)
                print(f"  {name}: {run.seconds:.2f} s, {run.peak_mb:.0f} MB", flush=True)
            if r == 0:
                print("  " + agree(scratch / "yard", scratch / "columnar.jsonl"))
                if "fold" in jobs:
                    same = (scratch / "columnar.jsonl").read_bytes() == (
                        scratch / "fold.jsonl"
                    ).read_bytes()
                    print(
                        "  columnar and fold JSON Lines " + ("byte-identical" if same else "DIFFER")
                    )
        print(f"\nload average after: {os.getloadavg()}")
        print("\n| program | wall s (best) | CPU s | peak MB |")
        print("| --- | --- | --- | --- |")
        for name, rs in runs.items():
            best = min(rs, key=lambda x: x.seconds)
            peak = max(x.peak_mb for x in rs)
            print(f"| {name} | {best.seconds:.2f} | {best.cpu:.2f} | {peak:.0f} |")
        print("\nratios per round (median):")
        ratio = [("columnar", "yardstick"), ("fold", "yardstick"), ("fold", "columnar")]
        ratio += [("diff --events", "columnar")]
        for a, b in ratio:
            if a in runs and b in runs:
                pairs = list(zip(runs[a], runs[b], strict=True))
                wall = [x.seconds / y.seconds for x, y in pairs]
                cpu = [x.cpu / y.cpu for x, y in pairs]
                mem = [x.peak_mb / y.peak_mb for x, y in pairs]
                print(
                    f"  {a} / {b}: wall "
                    + " ".join(f"{w:.2f}" for w in wall)
                    + f" ({statistics.median(wall):.2f}); CPU "
                    + " ".join(f"{c:.2f}" for c in cpu)
                    + f" ({statistics.median(cpu):.2f}); memory {statistics.median(mem):.2f}"
                )
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
