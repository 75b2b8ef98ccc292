"""The yardstick: Jining's points bands written by hand in plain Python.

Why this exists: policyctl interprets a YAML policy; this program hard-codes one
regulation instead, the way an analyst's one-off script would. Timing the two on
the same ledger says what the generality costs. It is deliberately plain: the
csv module, a dict of per-person state, one pass over the events in date order.

What it computes (济宁 2024 notice, 四 and 五(一)), per person and natural year:

- an act's points are its highest item (四: 同一违规行为涉及不同扣分情形的,按最高
  分值扣分), an item's points come from its code letter: A=1, B=3, C=6, D=12;
- the year's total adds up across sites and inspections and is capped at 12;
- bands: 5 interview; 6-8 suspend 3 months; 9-11 suspend 6 months; 12 terminate.
  A band fires when the total first enters it; an event that crosses several
  bands fires only the highest; a band fires at most once a year;
- a suspension of N months from D ends on D + N months - 1 day;
- TEST-FAIL (三(三), failed annual test) is recorded as a termination, 0 points.

What it leaves out, unlike the engine: the three-consecutive-years rule,
overlapping sanctions, re-applications and bans, institution rules and
cascades. Event types other than violations are skipped.

Usage: python bench/handwritten_jining.py EVENTS.csv OUT.json

Output: {"people": [{"person", "cycles": [{"period", "deducted", "score",
"tier"}], "actions": [{"action", "start", "end"}]}]}, sorted by person; "tier"
is the harshest band entered in the cycle (null when none), "end" the last day
of a suspension (null otherwise). The input must be sorted by date, as the
ledgers policyctl reads are.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from pathlib import Path

INITIAL = 12
CAP = 12

# 四: the catalogue, item code -> points. TEST-FAIL (三(三)) is worth no points.
ITEM_POINTS = {"TEST-FAIL": 0}
for _letter, _points, _count in (("A", 1, 8), ("B", 3, 5), ("C", 6, 4), ("D", 12, 6)):
    ITEM_POINTS.update({f"{_letter}{n}": _points for n in range(1, _count + 1)})

# 五(一): (lowest total of the band, tier name, action, months of suspension)
BANDS = (
    (5, "interview", "interview", 0),
    (6, "suspend-3m", "suspend", 3),
    (9, "suspend-6m", "suspend", 6),
    (12, "terminate", "terminate", 0),
)
HARSHEST = len(BANDS) - 1
# The band a year's total falls in, by total (0..CAP); -1 below the mildest.
BAND_AT = tuple(
    max((i for i, band in enumerate(BANDS) if total >= band[0]), default=-1)
    for total in range(CAP + 1)
)


def add_months(start: dt.date, months: int) -> dt.date:
    """start + N months; a day past the month's end becomes its last day."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def suspension_end(start: str, months: int) -> str:
    first = dt.date.fromisoformat(start)
    return (add_months(first, months) - dt.timedelta(days=1)).isoformat()


def act_points(items: str) -> int:
    """The points of one act: its highest item."""
    try:
        if "|" not in items:  # the common case: one item
            return ITEM_POINTS[items]
        return max(ITEM_POINTS[code] for code in items.split("|"))
    except KeyError as error:
        raise ValueError(f"unknown item code {error.args[0]!r}") from None


class Person:
    """One practitioner's running state and what has happened to them so far."""

    __slots__ = ("code", "cycles", "actions", "year", "deducted", "fired")

    def __init__(self, code: str) -> None:
        self.code = code
        self.cycles: list[dict[str, object]] = []
        self.actions: list[dict[str, object]] = []
        self.year = ""
        self.deducted = 0
        self.fired = -1  # index into BANDS of the harshest band fired this year

    def close_year(self) -> None:
        if self.year:
            self.cycles.append(
                {
                    "period": self.year,
                    "deducted": self.deducted,
                    "score": INITIAL - self.deducted,
                    "tier": BANDS[self.fired][1] if self.fired >= 0 else None,
                }
            )

    def record(self, date: str, items: str) -> None:
        year = date[:4]
        if year != self.year:
            self.close_year()
            self.year, self.deducted, self.fired = year, 0, -1
        points = act_points(items)
        if "TEST-FAIL" in items:
            self.actions.append({"action": "terminate", "start": date, "end": None})
        if self.fired == HARSHEST:
            return  # the cap is reached and nothing more can fire this year
        self.deducted = min(CAP, self.deducted + points)
        entered = BAND_AT[self.deducted]
        if entered > self.fired:
            self.fired = entered
            _low, _tier, action, months = BANDS[entered]
            end = suspension_end(date, months) if months else None
            self.actions.append({"action": action, "start": date, "end": end})

    def to_json(self) -> dict[str, object]:
        return {"person": self.code, "cycles": self.cycles, "actions": self.actions}


def evaluate(events_path: Path) -> list[Person]:
    people: dict[str, Person] = {}
    last_date = ""
    with events_path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle)
        header = next(rows, [])
        try:
            at_person, at_date = header.index("person"), header.index("date")
            at_type, at_items = header.index("type"), header.index("items")
        except ValueError:
            raise ValueError(f"{events_path}:1: needs columns person, date, type, items") from None
        for line, row in enumerate(rows, start=2):
            if row[at_type] not in ("", "violation"):
                continue
            date = row[at_date]
            if date < last_date:
                raise ValueError(f"{events_path}:{line}: events must be sorted by date")
            last_date = date
            code = row[at_person]
            person = people.get(code)
            if person is None:
                person = people[code] = Person(code)
            try:
                person.record(date, row[at_items])
            except ValueError as error:
                raise ValueError(f"{events_path}:{line}: {error}") from None
    for person in people.values():
        person.close_year()
    return [people[code] for code in sorted(people)]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: handwritten_jining.py EVENTS.csv OUT.json", file=sys.stderr)
        return 2
    try:
        people = evaluate(Path(argv[1]))
    except (OSError, ValueError, IndexError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    # json.dumps, not json.dump: only dumps uses the C encoder (dump streams
    # through the pure-Python one, several times slower on a large document).
    text = json.dumps({"people": [p.to_json() for p in people]}, ensure_ascii=False)
    with open(argv[2], "w", encoding="utf-8") as out:
        out.write(text)
        out.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
