"""Write a large synthetic Jining ledger for the benchmark.

Why this exists: the speed bar (a million events for two hundred thousand people
in seconds) can only be checked on a ledger of that size, and such a file is too
big to commit. This script makes one on demand, the same bytes for the same
arguments, fast enough (a few seconds for 1M events) that `bench/run.py` can
regenerate it every time.

Shape, chosen to look like a city's real findings rather than uniform noise:

- people are drawn with a skewed (log-normal) weight, so most have a few
  findings and a tail has many; institutions have skewed sizes too, and about
  2 % of people practise at a second site;
- items follow the notice's catalogue (四): mostly 1-point items (A1-A8), fewer
  3-point (B1-B5), few 6-point (C1-C4) and 12-point (D1-D6) ones;
- about 5 % of acts list two items (`A1|B2`), about 3 % carry an inspection id
  (one per institution and day), some carry a fund loss in `amount`;
- dates run over the last K natural years ending 2025-12-31; rows are sorted
  by date, ids (`E0000001`...) follow the row order, so date then id is sorted.

Only violations are written: re-applications and institution events need the
per-person story the examples tell, and the handwritten reference does not
read them. With `--revokes F`, a share F of the findings is revoked (issue 22
§1): a `revoke` row naming the finding (`target`), dated 7 to 90 days after it
(within the years), placed among the findings by its date; drawn from a random
generator of its own, so the findings are the same bytes as without.

Usage: python bench/generate.py --people N --events M --years K --seed S --out DIR
[--revokes F] writes DIR/events.csv and DIR/roster.csv.
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import itertools
import random
from pathlib import Path

LAST_DAY = dt.date(2025, 12, 31)

# (code letter, weight of the letter, item numbers in the catalogue)
ITEMS = (("A", 800, 8), ("B", 150, 5), ("C", 38, 4), ("D", 12, 6))
ROLES = (("doctor", 45), ("nurse", 32), ("pharmacist", 10), ("technician", 8), ("carer", 5))

MULTI_ITEM = 0.05
INSPECTION = 0.03
AMOUNT = 0.08
EVENT_HEADER = "id,person,date,type,items,institution,inspection,amount,points,end\n"
ROSTER_HEADER = "person,institution,role,birth_date\n"
CHUNK = 50_000


def item_codes() -> tuple[list[str], list[float]]:
    """Every item code with its cumulative weight (a letter's weight shared by its items)."""
    codes: list[str] = []
    weights: list[float] = []
    for letter, weight, count in ITEMS:
        for number in range(1, count + 1):
            codes.append(f"{letter}{number}")
            weights.append(weight / count)
    return codes, list(itertools.accumulate(weights))


def make_roster(
    rng: random.Random,
    people: int,
) -> tuple[list[str], list[tuple[str, ...]], list[str]]:
    """Person codes, their sites, and the roster's lines."""
    width = max(4, len(str(people)))
    codes = [f"JN{n:0{width}d}" for n in range(1, people + 1)]
    count = max(12, people // 400)
    site_width = max(2, len(str(count)))
    institutions = [f"JNH{n:0{site_width}d}" for n in range(1, count + 1)]
    sizes = list(itertools.accumulate(rng.lognormvariate(0, 0.8) for _ in institutions))
    main_sites = rng.choices(institutions, cum_weights=sizes, k=people)
    roles = rng.choices([r for r, _ in ROLES], weights=[w for _, w in ROLES], k=people)
    sites: list[tuple[str, ...]] = []
    lines: list[str] = []
    for code, main, role in zip(codes, main_sites, roles, strict=True):
        age = rng.randint(24, 64)
        born = dt.date(LAST_DAY.year - age, 1, 1) + dt.timedelta(days=rng.randrange(365))
        own: tuple[str, ...] = (main,)
        if rng.random() < 0.02:
            second = rng.choice(institutions)
            if second != main:
                own = tuple(sorted((main, second)))
        sites.append(own)
        lines.extend(f"{code},{site},{role},{born.isoformat()}\n" for site in own)
    return codes, sites, lines


def generate(
    people: int, events: int, years: int, seed: int, out: Path, revokes: float = 0.0
) -> None:
    rng = random.Random(seed)
    first = dt.date(LAST_DAY.year - years + 1, 1, 1)
    dates = [(first + dt.timedelta(days=n)).isoformat() for n in range((LAST_DAY - first).days + 1)]
    codes, sites, roster_lines = make_roster(rng, people)

    weights = itertools.accumulate(rng.lognormvariate(0, 1.0) for _ in range(people))
    who = rng.choices(range(people), cum_weights=list(weights), k=events)
    when = sorted(rng.choices(range(len(dates)), k=events))
    item_list, item_weights = item_codes()
    what = rng.choices(item_list, cum_weights=item_weights, k=events)

    out.mkdir(parents=True, exist_ok=True)
    with (out / "roster.csv").open("w", encoding="utf-8", newline="\n") as roster:
        roster.write(ROSTER_HEADER)
        roster.writelines(roster_lines)

    random_ = rng.random
    header = EVENT_HEADER if not revokes else EVENT_HEADER.rstrip("\n") + ",target\n"
    tail = "" if not revokes else ","
    undo = random.Random(seed + 1_000_003)  # the revocations' own draws
    pending: list[tuple[int, int]] = []  # (day, finding number) of revocations to come
    made = 0
    with (out / "events.csv").open("w", encoding="utf-8", newline="\n") as ledger:
        ledger.write(header)
        lines: list[str] = []
        for number in range(events):
            person = who[number]
            own = sites[person]
            site = own[0] if len(own) == 1 else own[number % len(own)]
            day = when[number]
            while pending and pending[0][0] <= day:
                at, target = heapq.heappop(pending)
                made += 1
                lines.append(
                    f"R{made:07d},{codes[who[target]]},{dates[at]},revoke,,,,,,,E{target + 1:07d}\n"
                )
            if revokes and undo.random() < revokes:
                later = day + undo.randint(7, 90)
                if later < len(dates):
                    heapq.heappush(pending, (later, number))
            items = what[number]
            inspection = amount = ""
            draw = random_()
            if draw < MULTI_ITEM:
                other = rng.choices(item_list, cum_weights=item_weights)[0]
                if other != items:
                    items = f"{items}|{other}"
            elif draw < MULTI_ITEM + INSPECTION:
                inspection = f"INS-{site}-{day:04d}"
            elif draw < MULTI_ITEM + INSPECTION + AMOUNT and items[0] != "A":
                amount = f"{random_() * 30000 + 200:.2f}"
            lines.append(
                f"E{number + 1:07d},{codes[person]},{dates[day]},violation,{items},"
                f"{site},{inspection},{amount},,{tail}\n"
            )
            if len(lines) == CHUNK:
                ledger.writelines(lines)
                lines.clear()
        while pending:
            at, target = heapq.heappop(pending)
            made += 1
            lines.append(
                f"R{made:07d},{codes[who[target]]},{dates[at]},revoke,,,,,,,E{target + 1:07d}\n"
            )
        ledger.writelines(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=200_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--revokes", type=float, default=0.0, help="share of findings revoked later (0-1)"
    )
    args = parser.parse_args(argv)
    if args.people < 1 or args.events < 0 or args.years < 1:
        parser.error("--people and --years must be at least 1, --events at least 0")
    if not 0 <= args.revokes <= 1:
        parser.error("--revokes is a share, from 0 to 1")
    generate(args.people, args.events, args.years, args.seed, args.out, args.revokes)


if __name__ == "__main__":
    main()
