"""Time `policyctl screen --engine duckdb` against a hand-written DuckDB query and pandas.

Why this exists: the screen is for a year of settlement data, tens of millions of
lines and more; its cost per line, and that memory stays bounded as lines grow,
can only be seen on files of that size. Every program is timed as the command a
user runs (a whole process: start, imports, reading, writing), in the same run,
on the same files, so the ratios are the figures to watch.

Programs, for each --lines size (claims from bench/claims.py, ledger from
bench/generate.py, both seeded; kept under --data for the next run):

- `intervals`: `policyctl evaluate --format intervals --output iv.parquet`, the
  status intervals the two reference programs start from;
- `screen`: `policyctl screen --engine duckdb --format parquet`, which evaluates
  the ledger itself, then joins and judges (so it is compared with
  intervals + handwritten, the same work);
- `handwritten`: bench/handwritten_screen.py, the Jining refusal in DuckDB SQL;
- `pandas`: bench/pandas_screen.py, merge_asof (skipped above --pandas-max lines:
  it holds every line in memory).

Each program's wall time (best of --repeat rounds), lines per second, and peak
resident memory (os.wait4 on the child) are printed as a Markdown table, and the
programs' refused lines and amounts are checked to agree.

Usage: python bench/screen.py --lines 10000000,30000000 [--repeat 1]
       [--memory-limit 2GB] [--data bench/data-screen] [--ledger-events 40000]
       [--empty-dates 0]

--ledger-events sets the ledger's findings for its 50,000 practitioners: the
default 40,000 suspends or terminates 4 % of them (1.5 % of lines refused);
300,000 refuse about 19 % of lines, for what the screen holds as refused lines
grow. --empty-dates K leaves K of the claim lines without a date (bench/claims.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LEDGER = {"people": 50_000, "events": 40_000, "years": 2, "seed": 1}


def reap_run(cmd: list[str], cwd: Path, stdout_path: Path) -> tuple[float, float, int]:
    """Like run(), reaping the child with os.wait4 for its own peak memory."""
    t = time.perf_counter()
    with stdout_path.open("w") as out:
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {stdout_path.read_text()[-800:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024


def prepare(data: Path, lines: int, events: int, empty_dates: int = 0) -> tuple[Path, Path]:
    wanted = {**LEDGER, "events": events}
    ledger = data / ("ledger" if events == LEDGER["events"] else f"ledger-{events}")
    params = ledger / "params.json"
    if not params.exists() or json.loads(params.read_text()) != wanted:
        subprocess.run(
            [PY, str(ROOT / "bench/generate.py"), "--out", str(ledger)]
            + [f"--{k}={v}" for k, v in wanted.items()],
            check=True,
        )
        params.write_text(json.dumps(wanted))
    # the claims are drawn from the ledger's roster
    name = f"claims-{lines}" if events == LEDGER["events"] else f"claims-{lines}-{events}"
    name += f"-undated{empty_dates}" if empty_dates else ""
    claims = data / name
    done = data / f"{name}.done"
    if not done.exists():
        subprocess.run(
            [PY, str(ROOT / "bench/claims.py"), "--roster", str(ledger / "roster.csv")]
            + ["--lines", str(lines), "--out", str(claims), "--empty-dates", str(empty_dates)],
            check=True,
        )
        done.write_text("")
    return ledger, claims


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", default="10000000")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--memory-limit", default=None)
    ap.add_argument("--pandas-max", type=int, default=30_000_000)
    ap.add_argument("--data", type=Path, default=ROOT / "bench/data-screen")
    ap.add_argument("--ledger-events", type=int, default=LEDGER["events"])
    ap.add_argument("--empty-dates", type=int, default=0)
    a = ap.parse_args()
    a.data.mkdir(parents=True, exist_ok=True)
    policy = str(ROOT / "policies/jining.yaml")
    cli = [PY, "-c", "from engine.cli import main; main()"]
    rows = []
    for lines in [int(x) for x in a.lines.split(",")]:
        ledger, claims = prepare(a.data, lines, a.ledger_events, a.empty_dates)
        work = Path(tempfile.mkdtemp(prefix="screen-bench-", dir=a.data))
        ev = ["--events", str(ledger / "events.csv"), "--roster", str(ledger / "roster.csv")]
        limit = ["--memory-limit", a.memory_limit, "--temp-directory", str(work)]
        limit = limit if a.memory_limit else []
        progs = {
            "intervals": cli
            + ["evaluate", "--policy", policy, *ev, "--as-of", "2025-12-31"]
            + ["--format", "intervals", "--output", str(work / "iv.parquet")],
            "screen": cli
            + ["screen", "--policy", policy, *ev, "--claims", str(claims)]
            + ["--as-of", "2025-12-31", "--format", "parquet", "--output", str(work / "s.parquet")]
            + limit,
            "handwritten": [PY, str(ROOT / "bench/handwritten_screen.py")]
            + ["--intervals", str(work / "iv.parquet"), "--claims", str(claims)]
            + ["--out", str(work / "h.parquet"), *limit],
            "pandas": [PY, str(ROOT / "bench/pandas_screen.py")]
            + ["--intervals", str(work / "iv.parquet"), "--claims", str(claims)]
            + ["--out", str(work / "p.parquet")],
        }
        if lines > a.pandas_max:
            del progs["pandas"]
        best: dict[str, tuple[float, float, int]] = {}
        for _ in range(a.repeat):
            for name, cmd in progs.items():
                r = reap_run(cmd, ROOT, work / f"{name}.log")
                if name not in best or r[0] < best[name][0]:
                    best[name] = r
        check = {}
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        for name, f in (("screen", "s"), ("handwritten", "h"), ("pandas", "p")):
            if name in progs:
                t = pq.read_table(work / f"{f}.parquet", columns=["claim_id", "amount"])
                check[name] = (t.num_rows, str(pc.sum(t["amount"]).as_py()))
        agree = len(set(check.values())) == 1
        ref = best["intervals"][0] + best["handwritten"][0]
        for name, (wall, cpu, rss) in best.items():
            ratio = ""
            if name == "screen":
                ratio = f"{wall / ref:.2f} x intervals + handwritten"
            rows.append(
                f"| {lines:,} | {name} | {wall:.1f} | {cpu:.1f} | "
                f"{lines / wall / 1e6:.2f} | {rss:,} | {ratio} |"
            )
        rows.append(f"| {lines:,} | (check) | refused lines, amount: {check} | agree: {agree} |||")
        shutil.rmtree(work, ignore_errors=True)
    print("| lines | program | wall s | cpu s | M lines/s | peak MB | ratio |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
