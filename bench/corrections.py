"""Time and memory of `policyctl evaluate` on a ledger with corrections, against the same
ledger without them.

Why this exists: a ledger holding a correction (`revoke`, `amend`) or a decision
refers back to rows before it (issue 22 §1), and was once read whole and sorted
instead of folded as a stream; with 1 % of its findings revoked, a ledger of 100,000
findings took 1.9 times the memory of the same ledger without them (1.25 times once
streamed: docs/performance.md, "A ledger with corrections"). This measures the ratio
on one generated ledger (bench/generate.py, `--revokes`) against the ledger of the
same findings without its revocations, measured in the same run: wall seconds, CPU
seconds (user + system: steadier than wall time on a shared machine) and peak
resident memory (the child's `ru_maxrss`) of one `policyctl evaluate ... -o FILE`
process each (the engine of the current directory's checkout: `python -m
engine.cli`), rounds interleaved, medians reported with their ratio. It also checks
that the corrected ledger's report is the report of the ledger without the revoked
findings' rows (the trails aside), so the speed is not bought with a wrong answer.

Usage: python bench/corrections.py [--people 20000 --events 100000 --years 3
       --seed 1 --revokes 0.01 --rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

import run  # noqa: E402  (bench/run.py)


def run_once(args: list[str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB) of one process (bench/run.py's)."""
    r = run.run_once(args, Path.cwd())
    if r.code != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{r.stderr}")
    return r.seconds, r.cpu, r.peak_mb


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--revokes", type=float, default=0.01)
    parser.add_argument("--rounds", type=int, default=3)
    a = parser.parse_args(argv)
    policyctl = [sys.executable, "-m", "engine.cli"]
    with tempfile.TemporaryDirectory(prefix="bench-corrections-") as tmp:
        d = Path(tmp)
        common = ["--people", a.people, "--events", a.events, "--years", a.years, "--seed", a.seed]
        gen = [sys.executable, str(BENCH / "generate.py"), *map(str, common)]
        subprocess.run(
            [*gen, "--out", str(d / "corrected"), "--revokes", str(a.revokes)], check=True
        )
        # the reference: the same findings, the revoked ones' rows left out, no revocation
        rows = (d / "corrected" / "events.csv").read_text("utf-8").splitlines()
        revoked = {r.rsplit(",", 1)[1] for r in rows if ",revoke," in r}
        kept = [r.rsplit(",", 1)[0] for r in rows if ",revoke," not in r]
        (d / "without").mkdir()
        (d / "without" / "events.csv").write_text(
            "\n".join(r for r in kept if r.split(",", 1)[0] not in revoked) + "\n", "utf-8"
        )
        plain = d / "plain"
        subprocess.run([*gen, "--out", str(plain)], check=True)
        roster = str(plain / "roster.csv")

        def evaluate(events: Path, out: Path) -> list[str]:
            return [
                *policyctl,
                "evaluate",
                "--policy",
                str(REPO / "policies" / "jining.yaml"),
                "--events",
                str(events),
                "--roster",
                roster,
                "--as-of",
                "2025-12-31",
                "-o",
                str(out),
            ]

        cases = {
            "plain": evaluate(plain / "events.csv", d / "plain.json"),
            "corrected": evaluate(d / "corrected" / "events.csv", d / "corrected.json"),
        }
        got: dict[str, list[tuple[float, float, float]]] = {k: [] for k in cases}
        for _ in range(a.rounds):
            for name, args in cases.items():
                got[name].append(run_once(args))
        subprocess.run(
            evaluate(d / "without" / "events.csv", d / "without.json"),
            check=True,
            stderr=subprocess.DEVNULL,
        )
        corrected = json.loads((d / "corrected.json").read_text("utf-8"))
        without = json.loads((d / "without.json").read_text("utf-8"))
        same = corrected["people"] == without["people"]
        trails = len(corrected.get("corrections", []))
    wall = {k: statistics.median(w for w, _, _ in v) for k, v in got.items()}
    cpu = {k: statistics.median(c for _, c, _ in v) for k, v in got.items()}
    rss = {k: statistics.median(m for _, _, m in v) for k, v in got.items()}
    print(f"{a.events:,} findings, {len(revoked):,} revoked ({a.revokes:.0%}), {a.rounds} rounds")
    for k in cases:
        print(f"  {k:9} {wall[k]:6.2f} s wall  {cpu[k]:6.2f} s CPU  {rss[k]:7.1f} MB")
    print(
        f"  corrected / plain: {wall['corrected'] / wall['plain']:.2f}x wall, "
        f"{cpu['corrected'] / cpu['plain']:.2f}x CPU, {rss['corrected'] / rss['plain']:.2f}x memory"
    )
    print(f"  {trails:,} trails; people as the ledger without the revoked rows: {same}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
