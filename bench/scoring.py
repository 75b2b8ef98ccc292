"""Time the fold on points that depend on the case (issue 20) against the same ledger
priced the plain way.

Why this exists: a policy with `scoring` prices every finding through
engine/evaluation/scoring.py (a condition on scoring, a band moved by the row's
circumstance, a value placed by its grade) and is sent to the fold whole by the
columnar path. This measures what that costs per finding, against a yardstick
measured in the same rounds: the same findings under the same policy with its
`scoring` block taken out and each item a range (`{min: 1, max: 12}`), every row
carrying the value the scoring would give in its `points` column. Both folds must
give every person the same totals (checked), so the ratio is the price of working
the value out rather than reading it.

Times are CPU seconds of this process, rounds interleaved; the figure to read is the
median of the per-round ratios (scoring / plain).

Usage: python bench/scoring.py [--people 5000 --events 50000 --rounds 5 --seed 1]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import re
import statistics
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path[:0] = [str(REPO)]

from common import cpu_round  # noqa: E402

from engine.evaluation.fold import Evaluator  # noqa: E402
from engine.ledger.read import read_ledger  # noqa: E402
from engine.policy.loader import load_policy  # noqa: E402

FIXTURE = REPO / "tests" / "fixtures" / "format" / "scoring.yaml"
AS_OF = dt.date(2025, 12, 31)
BANDS = [(1, 3), (4, 6), (7, 9), (10, 12)]
START = {"H1": 0, "H2": 1, "H3": 2, "H4": 3}
BY = {"": 0, "none": 0, "mitigating": -1, "aggravating": 1}
AT = {"general": 0, "important": 1, "main": 2}


def generate(path: Path, people: int, events: int, seed: int) -> None:
    """Findings over 2025, each with the value its band, circumstance and grade give
    (in `points`, for the plain policy; the scoring policy checks none is given)."""
    rng = random.Random(seed)
    rows = []
    for _ in range(events):
        code = rng.choice(["H1", "H1", "H2", "H2", "H3", "H4"])
        circ = rng.choice(["", "none", "mitigating", "aggravating"])
        grade = rng.choice(list(AT))
        action = "penalty" if rng.random() < 0.8 else "interview"
        lo, hi = BANDS[min(3, max(0, START[code] + BY[circ]))]
        value = lo + AT[grade] * (hi - lo) // 2 if action == "penalty" else 0
        day = dt.date(2025, 1, 1) + dt.timedelta(days=rng.randrange(365))
        rows.append(
            (day.isoformat(), f"P{rng.randrange(people):06d}", code, circ, grade, action, value)
        )
    rows.sort()
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "id",
                "person",
                "date",
                "items",
                "circumstance",
                "responsibility",
                "agreement_action",
                "value",
            ]
        )
        for n, (day, who, code, circ, grade, action, value) in enumerate(rows):
            w.writerow([f"E{n:07d}", who, day, code, circ, grade, action, value])


def plain(tmp: Path) -> tuple[Path, Path]:
    """The fixture without `scoring` (items as ranges) and a ledger whose `points` are the
    values scoring would give, the unscored findings left out."""
    text = FIXTURE.read_text("utf-8")
    text = text[: text.index("scoring:\n")] + text[text.index("# 第三条 scores by") :]
    text = text.replace("ledger: {required: [agreement_action]}\n", "")
    text = re.sub(r"points: \{band: \w+\}", "points: {min: 1, max: 12}", text)
    (tmp / "scoring.txt").write_bytes((FIXTURE.parent / "scoring.txt").read_bytes())
    policy = tmp / "plain.yaml"
    policy.write_text(text, "utf-8")
    return policy, tmp / "plain.csv"


def fold(policy, ledger) -> tuple[float, dict]:
    with cpu_round() as clock:
        ev = Evaluator(policy, ledger, AS_OF, set(), None)
        ev.fold_events(ledger.events)
        rows = [ev.finish_row(code) for code in ev.codes()]
    return clock.seconds, {r[0]: [c[1] for c in r[2]] for r in rows}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5_000)
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="policyctl-scoring-") as name:
        tmp = Path(name)
        generate(tmp / "all.csv", args.people, args.events, args.seed)
        with (tmp / "all.csv").open(encoding="utf-8") as f:
            rows = list(csv.DictReader(f))
        case = tmp / "case.csv"
        with case.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(
                [
                    "id",
                    "person",
                    "date",
                    "items",
                    "circumstance",
                    "responsibility",
                    "agreement_action",
                ]
            )
            for r in rows:
                w.writerow(
                    [
                        r["id"],
                        r["person"],
                        r["date"],
                        r["items"],
                        r["circumstance"],
                        r["responsibility"],
                        r["agreement_action"],
                    ]
                )
        plain_policy, plain_events = plain(tmp)
        with plain_events.open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f)
            w.writerow(["id", "person", "date", "items", "points"])
            for r in rows:
                if r["agreement_action"] == "penalty":
                    w.writerow([r["id"], r["person"], r["date"], r["items"], r["value"]])
        sp, pp = load_policy(FIXTURE), load_policy(plain_policy)
        sl, pl = read_ledger(str(case), sp), read_ledger(str(plain_events), pp)
        spent_s, spent_p = [], []
        for _ in range(args.rounds):
            t, totals_p = fold(pp, pl)
            spent_p.append(t)
            t, totals_s = fold(sp, sl)
            spent_s.append(t)
        scored = {k: v for k, v in totals_s.items() if v}
        if scored != totals_p:
            print("the two folds disagree", file=sys.stderr)
            return 1
    ratios = [s / p for s, p in zip(spent_s, spent_p, strict=True)]
    print(
        f"{len(sl.events):,} findings ({len(pl.events):,} scored), {args.rounds} rounds, "
        f"CPU seconds (python {sys.version.split()[0]}); totals agree for {len(scored):,} people"
    )
    print(f"  plain (range items, value in `points`): best {min(spent_p):.3f}")
    print(f"  scoring (condition, band, move, grade): best {min(spent_s):.3f}")
    print("  ratio per round: " + " ".join(f"{r:.2f}" for r in ratios))
    print(f"  median ratio {statistics.median(ratios):.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
