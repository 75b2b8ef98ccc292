"""The columnar yardstick: Jining's points bands written by hand with pyarrow + NumPy.

Why this exists: issue 19 asks the engine's columnar path (`--engine columnar`) to
come within 2x the wall time and 1.5x the peak memory of what a hand-written
vectorised program takes on the same ledger. This is that program: it hard-codes
one regulation, as an analyst's one-off script would, and does only whole-column
work (Arrow to read and write, NumPy in between). `bench/handwritten_jining.py` is
its plain-Python sibling (the fold's yardstick).

What it computes (济宁 2024 notice, 四 and 五(一)), per person and natural year:

- an act's points are its highest item (四: 同一违规行为涉及不同扣分情形的,按最高
  分值扣分): one value per distinct item list, from the code letter A=1, B=3, C=6,
  D=12;
- a person's findings of one date are one step (the engine's same-day step): the
  year's running total after each step, capped at 12;
- bands: 5 interview; 6-8 suspend 3 months; 9-11 suspend 6 months; 12 terminate.
  A band fires at the step that first enters it, the harshest band of the step
  only, at most once a year; after a termination nothing fires again (no
  re-application); the band's action names the step's last finding by id;
- a cycle's `tier` is the harshest band fired in it.

Whom it covers: people with findings only, of items A-D. Left out (listed on
stderr as a count), as the engine routes them to its fold: anyone with another
event type or TEST-FAIL (an item with an effect of its own), and anyone for whom
五(一)'s three-years rule (deducted >= 9 in three consecutive years) holds.

Usage: python bench/columnar_jining.py EVENTS.csv OUT_DIR
writes OUT_DIR/cycles.csv (person, period, deducted, score, tier, violations) and
OUT_DIR/actions.csv (person, action, source, start, event), sorted by person (and
date). The input may be in any order. bench/columnar.py compares both with the
engine's JSON Lines for the people covered here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

INITIAL = CAP = 12
POINTS = {"A": 1, "B": 3, "C": 6, "D": 12}
# 五(一): (lowest total, tier, action)
BANDS = (
    (5, "interview", "interview"),
    (6, "suspend-3m", "suspend"),
    (9, "suspend-6m", "suspend"),
    (12, "terminate", "terminate"),
)
TERMINATE = len(BANDS) - 1
BAND_AT = np.array(
    [max((i for i, b in enumerate(BANDS) if t >= b[0]), default=-1) for t in range(CAP + 1)]
)
EPOCH_YEAR = 1970


def act_points(items: str) -> int:
    """An item list's points (its highest item); -1 for one this program does not cover."""
    best = -1
    for code in items.split("|"):
        value = POINTS.get(code[:1]) if code[1:].isdigit() else None
        if value is None:
            return -1
        best = max(best, value)
    return best


def segmented(values: np.ndarray, first: np.ndarray, op) -> np.ndarray:
    """A running `op` (np.add or np.maximum) of values restarted where `first` holds."""
    if op is np.add:
        c = np.cumsum(values)
        return c - np.maximum.accumulate(np.where(first, c - values, 0))
    seg = np.cumsum(first) - 1
    span = int(values.max()) + 2
    lifted = values + 1 + seg * span
    return np.maximum.accumulate(lifted) - seg * span - 1


def evaluate(path: Path) -> tuple[pa.Table, pa.Table, int]:
    columns = ["id", "person", "date", "type", "items"]
    table = pcsv.read_csv(
        path,
        convert_options=pcsv.ConvertOptions(
            include_columns=columns,
            column_types={"date": pa.date32(), **{c: pa.string() for c in columns if c != "date"}},
            strings_can_be_null=False,
        ),
    )
    # people: codes sorted, each row's index into them
    person = pc.dictionary_encode(table["person"]).combine_chunks()
    codes = person.dictionary
    rank = pc.rank(codes, sort_keys="ascending").to_numpy() - 1
    pid = rank[person.indices.to_numpy()]
    codes = codes.take(pa.array(np.argsort(rank)))
    day = table["date"].combine_chunks().cast(pa.int32()).to_numpy()
    # points: one value per distinct item list
    items = pc.dictionary_encode(table["items"]).combine_chunks()
    values = np.array([act_points(s) for s in items.dictionary.to_pylist()], np.int64)
    pts = values[items.indices.to_numpy()]
    kind = table["type"].combine_chunks()
    other = pc.invert(pc.or_(pc.equal(kind, "violation"), pc.equal(kind, ""))).to_numpy(
        zero_copy_only=False
    )
    out = np.zeros(len(codes), bool)  # people this program does not cover
    out[pid[other | (pts < 0)]] = True

    # steps: (person, date), the findings of each in id order
    id_rank = pc.rank(table["id"], sort_keys="ascending").to_numpy()
    order = np.lexsort((id_rank, day, pid))
    pid, day, pts = pid[order], day[order], pts[order]
    new = np.ones(len(pid), bool)
    new[1:] = (pid[1:] != pid[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new)
    last = np.append(starts[1:], len(pid)) - 1
    s_pid, s_day = pid[starts], day[starts]
    s_pts = np.add.reduceat(pts, starts)
    s_n = np.diff(np.append(starts, len(pid)))
    year = s_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + EPOCH_YEAR

    # the year's running total, the band it enters, the steps that fire one
    first = np.ones(len(starts), bool)
    first[1:] = (s_pid[1:] != s_pid[:-1]) | (year[1:] != year[:-1])
    total = np.minimum(segmented(s_pts, first, np.add), CAP)
    band = BAND_AT[total]
    earlier = np.roll(band, 1)
    earlier[first] = -1
    fire = band > segmented(earlier, first, np.maximum)
    # after a termination nothing fires again
    ended = np.full(len(codes), np.iinfo(np.int32).max, np.int64)
    term = fire & (band == TERMINATE)
    np.minimum.at(ended, s_pid[term], s_day[term])
    fire &= s_day <= ended[s_pid]

    # cycles: each (person, year)'s final total and harshest band fired
    ends = np.append(np.flatnonzero(first)[1:], len(first)) - 1
    heads = np.flatnonzero(first)
    fired_band = np.where(fire, band, -1)
    c_tier = np.maximum.reduceat(fired_band, heads) if len(heads) else fired_band
    c_pid, c_year, c_total = s_pid[ends], year[ends], total[ends]
    c_viol = np.add.reduceat(s_n, heads) if len(heads) else s_n

    # 五(一)'s three-years rule: three consecutive years at 9 or more -> not covered
    nine = c_total >= 9
    run = np.ones(len(c_pid), bool)
    run[1:] = (c_pid[1:] != c_pid[:-1]) | (c_year[1:] != c_year[:-1] + 1) | ~nine[:-1]
    streak = segmented(nine.astype(np.int64), run, np.add)
    out[c_pid[nine & (streak >= 3)]] = True

    keep = ~out[c_pid]
    tiers = pa.array([b[1] for b in BANDS] + [None])
    cycles = pa.table(
        {
            "person": codes.take(pa.array(c_pid[keep])),
            "period": pa.array(c_year[keep]).cast(pa.string()),
            "deducted": c_total[keep],
            "score": INITIAL - c_total[keep],
            "tier": tiers.take(pa.array(np.where(c_tier < 0, len(BANDS), c_tier)[keep])),
            "violations": c_viol[keep],
        }
    )
    f = np.flatnonzero(fire & ~out[s_pid])
    actions = pa.table(
        {
            "person": codes.take(pa.array(s_pid[f])),
            "action": pa.array([b[2] for b in BANDS]).take(pa.array(band[f])),
            "source": pa.array(["tier:" + b[1] for b in BANDS]).take(pa.array(band[f])),
            "start": pa.array(s_day[f].astype("datetime64[D]")),
            "event": table["id"].take(pa.array(order[last[f]])),
        }
    )
    return cycles, actions, int(np.count_nonzero(out))


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: columnar_jining.py EVENTS.csv OUT_DIR", file=sys.stderr)
        return 2
    cycles, actions, left = evaluate(Path(argv[1]))
    out = Path(argv[2])
    out.mkdir(parents=True, exist_ok=True)
    pcsv.write_csv(cycles, out / "cycles.csv")
    pcsv.write_csv(actions, out / "actions.csv")
    print(f"{left} people not covered", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
