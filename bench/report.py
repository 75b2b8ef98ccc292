"""Time `policyctl report` against `policyctl evaluate` on the same ledger, in one run.

    python bench/report.py                 # 200,000 people, 1,000,000 events, 3 years
    python bench/report.py --quick         # 20,000 people, 100,000 events
    python bench/report.py --repeat 3

Why: issue 16 asks that the 200,000-person ledger give a report under 5 MB, in a
time stated as a ratio to `evaluate` on the same ledger. Both are timed as the
commands a user types (interpreter start to file written), interleaved round by
round as bench/run.py does, so the ratio compares runs made in the same minute on
this shared machine. `evaluate` writes JSON to a file, as users run it (two
processes for a ledger this size); `report` folds on one process, watched by its
tap, then draws and inlines the charts and the font.

Prints, per program, the best wall-clock seconds, CPU seconds and peak memory, the
report's size, and the ratio report / evaluate (best against best, and per round).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ledger_options  # noqa: E402
from run import AS_OF, REPO, Job, Row, measure, policyctl, prepare_data, round_ratios  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ledger_options(parser, people=200_000, events=1_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="rounds; the best run counts")
    parser.add_argument("--quick", action="store_true", help="20,000 people, 100,000 events")
    parser.add_argument("--keep", action="store_true", help="write the ledger to bench/data/")
    args = parser.parse_args(argv)
    if args.quick:
        args.people, args.events = 20_000, 100_000
    engine = policyctl()
    if engine is None:
        sys.exit("no policyctl")
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        data, events = prepare_data(args, scratch)
        common = [
            "--policy",
            str(REPO / "policies" / "jining.yaml"),
            "--events",
            str(data / "events.csv"),
            "--roster",
            str(data / "roster.csv"),
            "--as-of",
            AS_OF,
        ]
        json_out, html_out = scratch / "out.json", scratch / "report.html"
        evaluate = Job(
            Row("policyctl evaluate --format json", events=events),
            [*engine, "evaluate", *common, "--format", "json", "--output", str(json_out)],
            json_out,
        )
        report = Job(
            Row("policyctl report", events=events, reference="policyctl evaluate --format json"),
            [*engine, "report", "--lang", "zh", *common, "--output", str(html_out)],
            html_out,
        )
        measure([evaluate, report], args.repeat)
        print()
        print("| program | seconds | CPU s | peak MB | output |")
        print("| --- | --- | --- | --- | --- |")
        for job in (evaluate, report):
            r = job.row
            size = job.output.stat().st_size if job.output and job.output.exists() else 0
            if r.seconds is None:
                print(f"| `{r.program}` | {r.note} | | | |")
                continue
            print(
                f"| `{r.program}` | {r.seconds:.2f} | {r.cpu:.2f} | {r.peak_mb:.0f} | "
                f"{size / 1e6:.2f} MB |"
            )
        if evaluate.row.seconds and report.row.seconds:
            print(f"\nreport / evaluate: {report.row.seconds / evaluate.row.seconds:.2f} x (best)")
            print("\n".join(round_ratios([evaluate, report])))
        size = html_out.stat().st_size if html_out.exists() else 0
        print(f"report size: {size:,} bytes ({'under' if size < 5_000_000 else 'OVER'} 5 MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
