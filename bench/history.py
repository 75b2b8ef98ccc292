"""Time evaluation across a regulation's history against the same regulation as one file.

Why this exists: a ledger read across versions (issue 14 §1) scores every finding
through lenity (evaluation/lenity.py: each act's version, its codes in both
catalogues, the lighter) instead of the fold's cached plans, and hands each date
to the view of the version in force. This measures what that costs where it
changes nothing: Jining given as two versions with the same text, the second in
force from `--split` (default 2025-01-01), against policies/jining.yaml, on one
generated ledger (bench/generate.py), a share of whose findings carry an act date
(`occurred`) before the split (`--occurred`, default 10 %), so that lenity
compares two versions for them. It also checks the two give the same answers
(the history's own keys aside) for everyone.

Times are CPU seconds of this process (`time.process_time`) for reading the ledger,
folding it, finishing every person and judging the institutions; rounds
interleave the two, and the figure is the median of the per-round ratios
(history / one file).

Usage: python bench/history.py [--people 20000 --events 100000 --years 3 --seed 1]
       [--rounds 5] [--split 2025-01-01] [--occurred 0.1]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO)]

from common import cpu_round, generate, ledger_options, ratio_lines  # noqa: E402

from engine.evaluation.run import evaluator  # noqa: E402
from engine.ledger.read import read_ledger  # noqa: E402
from engine.policy.loader import load_policy  # noqa: E402
from engine.policy.versions import load_policies  # noqa: E402

AS_OF = dt.date(2025, 12, 31)


def split_jining(folder: Path, split: dt.date) -> Path:
    """policies/jining.yaml as two versions with the same text, the second in force from
    `split`."""
    root = REPO / "policies"
    shutil.copytree(root / "sources", folder / "sources")
    text = (root / "jining.yaml").read_text("utf-8")
    before = (split - dt.timedelta(days=1)).isoformat()
    first = re.sub(r"(effective:\n  from: [^\n]*\n  to: )\S+", rf"\g<1>{before}", text)
    second = re.sub(r"(effective:\n  from: )\S+", rf"\g<1>{split.isoformat()}", text)
    second = second.replace('version: "', 'version: "b-', 1)
    assert first != text and second != text, "jining.yaml's effective period moved"
    (folder / "a.yaml").write_text(first, "utf-8")
    (folder / "b.yaml").write_text(second, "utf-8")
    return folder


def with_occurred(events: Path, out: Path, split: dt.date, share: float, seed: int) -> Path:
    """The ledger with an `occurred` column: for `share` of the findings decided on or
    after the split, an act date up to 180 days before it (inside the first version)."""
    rng = random.Random(seed)
    with (
        events.open(encoding="utf-8", newline="") as f,
        out.open("w", encoding="utf-8", newline="") as g,
    ):
        r = csv.DictReader(f)
        w = csv.DictWriter(g, [*r.fieldnames, "occurred"])
        w.writeheader()
        for row in r:
            d = dt.date.fromisoformat(row["date"])
            if d >= split and rng.random() < share:
                row["occurred"] = (split - dt.timedelta(days=rng.randint(1, 180))).isoformat()
            w.writerow(row)
    return out


def run(policy, events: Path, roster: Path) -> tuple[float, list]:
    """CPU seconds to read, fold, finish everyone and judge the institutions; and the rows."""
    with cpu_round() as clock:
        ledger = read_ledger(str(events), policy, str(roster))
        ev = evaluator(policy, ledger, AS_OF)
        ev.fold_events(ledger.events)
        rows = [ev.finish_row(code) for code in ev.codes()]
        ev.judge_institutions(None)
    return clock.seconds, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ledger_options(parser, people=20_000, events=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--split", type=dt.date.fromisoformat, default=dt.date(2025, 1, 1))
    parser.add_argument("--occurred", type=float, default=0.1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="policyctl-history-") as tmp:
        data = generate(Path(tmp), args.people, args.events, args.years, args.seed)
        roster = data / "roster.csv"
        events = with_occurred(
            data / "events.csv", data / "dated.csv", args.split, args.occurred, args.seed
        )
        one = load_policy(REPO / "policies" / "jining.yaml")
        history = load_policies(split_jining(data / "history", args.split))
        single, across = [], []
        for n in range(args.rounds):
            t1, rows1 = run(one, events, roster)
            t2, rows2 = run(history, events, roster)
            single.append(t1)
            across.append(t2)
            if n == 0:  # the same answers, the history's versions and findings aside
                assert [r[:9] for r in rows2] == [r[:9] for r in rows1], "answers differ"
    ratios = [h / s for h, s in zip(across, single, strict=True)]
    print(f"{args.events:,} events, {args.people:,} people, {args.rounds} rounds, CPU seconds")
    print(f"  one file (policies/jining.yaml): best {min(single):.3f}")
    print(f"  two versions split on {args.split}: best {min(across):.3f}")
    print("\n".join(ratio_lines(ratios, " (same answers for everyone)")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
