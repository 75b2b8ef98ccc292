"""Write a large synthetic year of claim lines as Parquet, for `screen` benchmarks.

Why this exists: `policyctl screen` is for a city's or a province's settlement
data (tens of millions to billions of lines); its speed and memory can only be
measured on files of that size, too big to commit. This script makes them on
demand, the same bytes for the same arguments, with NumPy and Arrow (no Python
object per line): about 5 s per 10 million lines here.

Shape, chosen to look like a settlement extract rather than uniform noise:

- practitioners are the roster's (bench/generate.py writes one, with the
  ledger whose sanctions the screen joins against), drawn with a skewed
  (log-normal) weight: a few see many patients; each line is at one of the
  practitioner's institutions;
- dates uniform over the year (default 2025);
- visit: 80 % outpatient, 12 % inpatient, 6 % emergency, 2 % rescue;
- outpatient lines carry a prescription: condition 55 % acute, 45 % chronic,
  5 % of patients with limited mobility, days' supply mostly within the limits
  (acute 1-3, chronic 3-7, mobility 7-14) with about 4 % over them;
- amount (the fund's share, yuan, 2 decimals): log-normal, median about 120
  outpatient and 6,000 inpatient;
- columns the screen must not read ride along: patient_id (a fake 18-digit
  ID number) and diagnosis (an ICD-10-like code);
- `--empty-dates K`: K lines, spread evenly, have no date, as a real extract may
  (the screen looks for such lines apart: docs/performance.md); the other values
  are the same as without it.

Files: DIR/part-00000.parquet ... of --per-file lines each (default 10M),
row groups of 1M, zstd. Memory stays near one file's worth whatever --lines is.

Usage: python bench/claims.py --roster ROSTER.csv --lines N [--year 2025]
       [--seed 1] [--per-file 10000000] [--empty-dates K] --out DIR
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

VISITS = np.array(["outpatient", "inpatient", "emergency", "rescue"])
VISIT_P = [0.80, 0.12, 0.06, 0.02]
BATCH = 1_000_000


def read_roster(path: Path) -> tuple[list[str], list[str]]:
    """(person, institution) pairs: one per roster row (a second site is a second row)."""
    people, sites = [], []
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            people.append(row["person"])
            sites.append(row["institution"])
    return people, sites


def batch(
    rng: np.random.Generator,
    n: int,
    first: int,
    people,
    sites,
    weights,
    year: int,
    undated: np.ndarray | None = None,
):
    k = rng.choice(len(people), size=n, p=weights)
    start = (dt.date(year, 1, 1) - dt.date(1970, 1, 1)).days
    days = 366 if year % 4 == 0 else 365
    date = (start + rng.integers(0, days, size=n)).astype(np.int32)
    visit_i = rng.choice(4, size=n, p=VISIT_P)
    outpatient = visit_i == 0
    inpatient = visit_i == 1
    amount = np.where(
        inpatient, rng.lognormal(np.log(6000), 0.8, n), rng.lognormal(np.log(120), 0.9, n)
    )
    amount = np.round(np.minimum(amount, 2_000_000), 2)
    acute = rng.random(n) < 0.55
    mobility = rng.random(n) < 0.05
    over = rng.random(n) < 0.04
    supply = np.where(
        mobility,
        rng.integers(7, 15, n),
        np.where(acute, rng.integers(1, 4, n), rng.integers(3, 8, n)),
    )
    supply = np.where(over, supply + rng.integers(1, 20, n), supply)
    ids = np.arange(first, first + n, dtype=np.int64)
    claim_id = pc.binary_join_element_wise(
        "CL", pc.utf8_lpad(pa.array(ids).cast(pa.string()), 11, "0"), ""
    )
    patient = pc.binary_join_element_wise(
        "3708", pa.array(rng.integers(10**13, 10**14, n)).cast(pa.string()), ""
    )
    diag = pc.binary_join_element_wise(
        pa.array(np.array(list("ABCEIJKMN"))[rng.integers(0, 9, n)]),
        pa.array(rng.integers(10, 99, n)).cast(pa.string()),
        "",
    )
    return pa.table(
        {
            "claim_id": claim_id,
            "person": pa.DictionaryArray.from_arrays(pa.array(k, pa.int32()), people),
            "institution": pa.DictionaryArray.from_arrays(pa.array(k, pa.int32()), sites),
            "date": pa.array(
                date, pa.date32(), mask=None if undated is None else np.isin(ids, undated)
            ),
            "amount": pa.array(amount, pa.float64()),
            "visit": pa.DictionaryArray.from_arrays(pa.array(visit_i, pa.int8()), VISITS),
            "days_supply": pa.array(supply, pa.int16(), mask=~outpatient),
            "condition": pa.DictionaryArray.from_arrays(
                pa.array(np.where(acute, 0, 1), pa.int8(), mask=~outpatient),
                pa.array(["acute", "chronic"]),
            ),
            "mobility_limited": pa.array(mobility, pa.bool_(), mask=~outpatient),
            "patient_id": patient,
            "diagnosis": diag,
        }
    )


def generate(
    roster: Path, lines: int, year: int, seed: int, per_file: int, out: Path, empty_dates: int = 0
) -> None:
    people, sites = read_roster(roster)
    undated = None
    if empty_dates:
        undated = (lines * (np.arange(empty_dates) + 0.5) / empty_dates).astype(np.int64)
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0, 1.0, len(people))
    weights /= weights.sum()
    people_a, sites_a = pa.array(people), pa.array(sites)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    done, part = 0, 0
    while done < lines:
        n_file = min(per_file, lines - done)
        path = out / f"part-{part:05d}.parquet"
        writer = None
        written = 0
        while written < n_file:
            n = min(BATCH, n_file - written)
            t = batch(rng, n, done + written, people_a, sites_a, weights, year, undated)
            if writer is None:
                writer = pq.ParquetWriter(path, t.schema, compression="zstd")
            writer.write_table(t, row_group_size=BATCH)
            written += n
        writer.close()
        done += n_file
        part += 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--roster", type=Path, required=True)
    parser.add_argument("--lines", type=int, required=True)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-file", type=int, default=10_000_000)
    parser.add_argument("--empty-dates", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    a = parser.parse_args(argv)
    generate(a.roster, a.lines, a.year, a.seed, a.per_file, a.out, a.empty_dates)


if __name__ == "__main__":
    main()
