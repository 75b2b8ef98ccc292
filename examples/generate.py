"""Write the example ledgers: a synthetic but realistic year-and-a-half of findings per city.

Why this exists: the shipped policies need a ledger an analyst can run, read and
check against the regulation by hand, and the tests and docs need people whose
outcome is known in advance. Each city's ledger has two parts:

- a background population (about 300 practitioners, a dozen institutions, some
  people at two sites) with a seeded random scatter of findings: most people
  have none or one, a tail has several. It gives the ledger a realistic shape
  and volume; nobody in it is meant to be read one by one.
- scenario people, written out event by event below, each exercising one
  reading of the text (every band in turn, one event skipping bands, the cap,
  three consecutive years, re-application too early and on the first allowed
  day, fraud and fund-loss boundaries, institution events, the 30 % rule).
  Their expected outcome, worked by hand from the article, is in `expect` and
  is written to `examples/<city>/scenarios.md` next to the CSV files.

The background is kept clear of the scenarios' questions: a background person
who would be terminated has no later findings, a suspended Zhanjiang person
re-applies after the suspension (or, for a few, never), and only the scenario
institution JNH12 reaches the 30 % rule of Jining 五(三). The script checks the
last point and stops if a change to the background breaks it.

Determinism: one `random.Random` per city with a fixed seed, no set or dict
iteration that depends on hashing, rows sorted by date then id, "\\n" line
ends. `python examples/generate.py` rewrites the committed files byte for byte.
Only the standard library is used, so the examples can be rebuilt anywhere.

Dates: Jining's notice took effect on 2024-03-29 (本通知自印发之日起施行), so its
background starts in April 2024; the only earlier events are the 2023 findings
of the two "three consecutive years" scenarios. Zhanjiang's regulation was in
force from 2021-01-01 for three years (第二十九条), so to 2023-12-31; its ledger
covers 2022-2023, the last two years in force (see ZHANJIANG_YEARS), and its
expected outcomes are stated as of 2023-12-31. A few consequences the scenarios
spell out (the end of a suspension, the first day of a re-application) fall in
2024, after the period: they are what the text would give, had it still applied.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent

EVENT_COLUMNS = (
    "id",
    "person",
    "date",
    "type",
    "items",
    "institution",
    "inspection",
    "amount",
    "points",
    "end",
)
ROSTER_COLUMNS = ("person", "institution", "role", "birth_date")

JINING_YEARS = (2024, 2025)
# 第二十九条: in force 2021-01-01 for three years, so to 2023-12-31. The ledger
# is dated 2022-2023, the last two years in force; the scenario dates below are
# written for these two years (the as-of date is the last day of the second).
ZHANJIANG_YEARS = (2022, 2023)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Event:
    """One ledger row before its id is assigned."""

    date: dt.date
    person: str = ""
    type: str = "violation"
    items: str = ""
    institution: str = ""
    inspection: str = ""
    amount: str = ""
    points: str = ""
    end: str = ""

    def sort_key(self) -> tuple[str, ...]:
        return (
            self.date.isoformat(),
            self.person or "~",
            self.type,
            self.items,
            self.institution,
            self.inspection,
            self.amount,
        )


@dataclass(frozen=True)
class Practitioner:
    code: str
    sites: tuple[str, ...]
    role: str
    birth_date: dt.date


@dataclass(frozen=True)
class Scenario:
    """A person written out by hand, with what the regulation says should happen."""

    code: str
    sites: tuple[str, ...]
    role: str
    birth_date: str
    title: str
    events: tuple[Event, ...]
    expect: str


@dataclass(frozen=True)
class InstitutionScenario:
    event: Event
    title: str
    expect: str


@dataclass(frozen=True)
class Band:
    """A band on the cycle's deductions, as the background simulation needs it."""

    low: int  # the band covers low <= deducted < next band's low
    action: str
    months: int = 0


@dataclass
class City:
    """Everything that differs between the two ledgers."""

    name: str
    person_prefix: str
    seed: int
    years: tuple[int, int]
    first_day: dt.date  # the earliest background finding
    institutions: tuple[tuple[str, int, str], ...]  # code, people whose main site it is, kind
    roles: dict[str, tuple[tuple[str, int], ...]]  # institution kind -> (role, weight)
    letters: tuple[tuple[str, int], ...]  # item letter -> weight, for the background
    codes: dict[str, tuple[str, ...]]  # item letter -> item codes
    letter_points: dict[str, int]
    bands: tuple[Band, ...]
    cap: int | None
    scenarios: tuple[Scenario, ...]
    institution_events: tuple[InstitutionScenario, ...]
    # sites whose background staff get at most one 1-point finding
    quiet_sites: tuple[str, ...] = ()
    inspections: int = 5
    loss_share: float = 0.0  # share of background findings that are LOSS items
    reapply_share: float = 0.0  # share of suspended background people who re-apply
    dual_sites: int = 10


# ------------------------------------------------------------------------ helpers


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)


def add_months(start: dt.date, months: int) -> dt.date:
    """start + N months, the day clamped to the month's end (2024-08-31 + 6 months = 2025-02-28)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(start.day, last))


def v(
    date: str,
    items: str,
    site: str,
    *,
    amount: str = "",
    inspection: str = "",
) -> Event:
    """A violation finding of a scenario person (the person is filled in later)."""
    return Event(
        date=day(date), items=items, institution=site, amount=amount, inspection=inspection
    )


def reapply(date: str, site: str) -> Event:
    return Event(date=day(date), type="reapply", institution=site)


def with_person(event: Event, person: str) -> Event:
    return Event(
        date=event.date,
        person=person,
        type=event.type,
        items=event.items,
        institution=event.institution,
        inspection=event.inspection,
        amount=event.amount,
        points=event.points,
        end=event.end,
    )


def random_date(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=rng.randrange((last - first).days + 1))


def weighted(rng: random.Random, pairs: Sequence[tuple[str, int]]) -> str:
    return rng.choices([name for name, _ in pairs], weights=[w for _, w in pairs])[0]


# ------------------------------------------------------------------ Jining scenarios

# Jining: 四 items A=1 B=3 C=6 D=12; 五(一) bands 5 interview, 6-8 suspend 3
# months, 9-11 suspend 6 months, 12 terminate, or 9+ in three consecutive years;
# 五(二) automatic restoration, ban 1-2 years (discretionary); 三(三) a failed
# test terminates with a 1-year ban. The last day of an N-month suspension from
# D is D + N months - 1 day.

JINING_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "JN0017",
        ("JNH03",),
        "doctor",
        "1979-04-02",
        "every band in turn, 2024",
        (
            v("2024-04-15", "A2", "JNH03"),
            v("2024-05-20", "A3", "JNH03"),
            v("2024-06-18", "B2", "JNH03"),
            v("2024-07-09", "A8", "JNH03"),
            v("2024-11-12", "B3", "JNH03", amount="8600.00"),
            v("2024-12-10", "B5", "JNH03"),
        ),
        "Totals 1, 2, 5, 6, 9, 12. 2024-06-18 interview (五(一) 达到5分); 2024-07-09 suspend "
        "3 months to 2024-10-08; 2024-11-12 suspend 6 months to 2025-05-11; 2024-12-10 "
        "terminate, replacing the running suspension; ban 1-2 years (五(二), discretionary): "
        "earliest re-application 2025-12-10. As of 2025-12-31 terminated. JNH03 goes on the "
        "key-monitoring list for 2024 (六(三): 3 or more violations).",
    ),
    Scenario(
        "JN0052",
        ("JNH02",),
        "nurse",
        "1988-09-23",
        "every band in turn, 2025, through multi-item acts",
        (
            v("2025-02-11", "A1|A4", "JNH02"),
            v("2025-03-05", "A2|B2", "JNH02"),
            v("2025-04-22", "A6", "JNH02"),
            v("2025-06-03", "A2|A5", "JNH02"),
            v("2025-09-16", "B1|A7", "JNH02"),
            v("2025-11-20", "B4", "JNH02"),
        ),
        "One act with several items counts its highest item (四: 同一违规行为涉及不同扣分情形的,"
        "按最高分值扣分): totals 1, 4, 5, 6, 9, 12. 2025-04-22 interview; 2025-06-03 suspend "
        "3 months to 2025-09-02; 2025-09-16 suspend 6 months to 2026-03-15; 2025-11-20 "
        "terminate (earliest re-application 2026-11-20, discretionary). Summing the items "
        "instead would give 2, 5 (interview on 03-05), 6, 8, 12 (terminate on 09-16).",
    ),
    Scenario(
        "JN0088",
        ("JNH01",),
        "doctor",
        "1983-01-30",
        "one event skips the interview band",
        (
            v("2024-06-12", "A7", "JNH01"),
            v("2024-07-02", "A1", "JNH01"),
            v("2024-08-21", "C1", "JNH01"),
        ),
        "Totals 1, 2, 8. The 6-point finding crosses 5 and enters 6-8: suspend 3 months "
        "2024-08-21 to 2024-11-20 only, no interview (an event that crosses several bands "
        "fires the highest only).",
    ),
    Scenario(
        "JN0103",
        ("JNH04",),
        "technician",
        "1991-06-05",
        "from 4 to 10 in one event",
        (
            v("2025-01-14", "A2", "JNH04"),
            v("2025-02-25", "A3", "JNH04"),
            v("2025-03-18", "A8", "JNH04"),
            v("2025-04-08", "A5", "JNH04"),
            v("2025-05-27", "C4", "JNH04"),
        ),
        "Totals 1, 2, 3, 4, 10. 2025-05-27 suspend 6 months to 2025-11-26, nothing else. "
        "JNH04 on the key-monitoring list for 2025 (5 violations).",
    ),
    Scenario(
        "JN0121",
        ("JNH05",),
        "doctor",
        "1972-11-11",
        "one 12-point finding",
        (v("2025-03-14", "D3", "JNH05"),),
        "Total 12 at once: terminate 2025-03-14; earliest re-application 2026-03-14 "
        "(discretionary, 1-2 years). JNH05 on the key-monitoring list for 2025 (六(三): "
        "一次性扣12分).",
    ),
    Scenario(
        "JN0137",
        ("JNH09",),
        "pharmacist",
        "1986-03-17",
        "12-point item in a multi-item act; re-application too early, then after the wait",
        (
            v("2024-05-06", "A4", "JNH09"),
            v("2024-09-17", "C2|D2", "JNH09"),
            reapply("2025-03-10", "JNH09"),
            reapply("2025-10-09", "JNH09"),
            v("2025-11-25", "A2", "JNH09"),
        ),
        "Totals 1, then 1 + 12 = 13 capped at 12: terminate 2024-09-17 (one-time 12 points, "
        "JNH09 on the key-monitoring list for 2024). Ban 1-2 years: the 2025-03-10 "
        "application is refused (before 2025-09-17); the 2025-10-09 one is on or after the "
        "earliest date (accepted, marked discretionary: the agency may hold out to "
        "2026-09-17). 2025 total after it: 1, no band.",
    ),
    Scenario(
        "JN0142",
        ("JNH06",),
        "doctor",
        "1980-08-08",
        "the 12-point cap reached by accumulation",
        (
            v("2024-04-23", "B1", "JNH06"),
            v("2024-06-04", "C3", "JNH06"),
            v("2024-08-13", "C2", "JNH06"),
        ),
        "Totals 3, 9, 15 capped at 12 (四: 初始分值为12分). 2024-06-04 suspend 6 months (to "
        "2024-12-03, skipping 6-8); 2024-08-13 terminate, replacing it. Earliest "
        "re-application 2025-08-13 (discretionary).",
    ),
    Scenario(
        "JN0156",
        ("JNH02",),
        "doctor",
        "1977-02-27",
        "9 or more in 2024 and in 2025, but not three years",
        (
            v("2024-04-09", "B2", "JNH02"),
            v("2024-07-16", "B3", "JNH02", amount="5200.00"),
            v("2024-10-29", "B1", "JNH02"),
            v("2025-05-20", "C1", "JNH02"),
            v("2025-09-09", "A2", "JNH02"),
            v("2025-10-14", "A3", "JNH02"),
            v("2025-11-18", "A1|A8", "JNH02"),
        ),
        "2024: 3, 6 (suspend 3 months 2024-07-16 to 2024-10-15), 9 (suspend 6 months "
        "2024-10-29 to 2025-04-28). 2025 starts from 0 (年度末扣分清零): 6 (suspend 3 months "
        "2025-05-20 to 2025-08-19), 7, 8, 9 (suspend 6 months 2025-11-18 to 2026-05-17). No "
        "termination: only two consecutive years of 9+ (2023 has none). Suspended as of "
        "2025-12-31.",
    ),
    Scenario(
        "JN0199",
        ("JNH01",),
        "doctor",
        "1969-05-19",
        "9 or more in 2023, 2024 and 2025 (连续三年违规扣分9分以上)",
        (
            v("2023-03-15", "B1", "JNH01"),
            v("2023-06-20", "B5", "JNH01"),
            v("2023-10-11", "B2", "JNH01"),
            v("2024-05-14", "C1", "JNH01"),
            v("2024-09-03", "B3", "JNH01", amount="12400.00"),
            v("2025-04-15", "B4", "JNH01"),
            v("2025-06-10", "A1", "JNH01"),
            v("2025-07-22", "A5", "JNH01"),
            v("2025-09-30", "B1|A2", "JNH01"),
            v("2025-11-25", "A6", "JNH01"),
        ),
        "2023: 3, 6, 9. 2024: 6 (suspend 3 months 2024-05-14 to 2024-08-13), 9 (suspend 6 "
        "months 2024-09-03 to 2025-03-02). 2025: 3, 4, 5 (interview 2025-07-22), 8 (suspend 3 "
        "months 2025-09-30 to 2025-12-29), 9 on 2025-11-25: third consecutive year of 9+ -> "
        "terminate 2025-11-25 (五(一) rule; it is harsher than the suspend-6-months band the "
        "same event enters). Earliest re-application 2026-11-25 (discretionary). Caveat: the "
        "2023 findings predate the notice (effective 2024-03-29); the regulation cannot "
        "sanction them in 2023, and whether 2023 counts as a year of the three is the "
        "policy's call. If it does not, 2025-11-25 is a 6-month suspension instead.",
    ),
    Scenario(
        "JN0226",
        ("JNH03",),
        "nurse",
        "1974-12-01",
        "three years, but the first is 8",
        (
            v("2023-04-18", "B1", "JNH03"),
            v("2023-09-12", "B2", "JNH03"),
            v("2023-12-05", "A4|A7", "JNH03"),
            v("2023-12-20", "A1", "JNH03"),
            v("2024-06-25", "C4", "JNH03"),
            v("2024-10-15", "B4", "JNH03"),
            v("2025-05-06", "C3", "JNH03"),
            v("2025-09-23", "B5", "JNH03"),
        ),
        "2023 total 8 (pre-notice). 2024: 6 (suspend 3 months 2024-06-25 to 2024-09-24), 9 "
        "(suspend 6 months 2024-10-15 to 2025-04-14). 2025: 6 (suspend 3 months 2025-05-06 to "
        "2025-08-05), 9 (suspend 6 months 2025-09-23 to 2026-03-22). No termination: 2023 "
        "is below 9.",
    ),
    Scenario(
        "JN0064",
        ("JNH04",),
        "nurse",
        "1993-07-14",
        "exactly 5: interview only",
        (
            v("2024-05-29", "B4", "JNH04"),
            v("2024-08-06", "A6", "JNH04"),
            v("2024-11-19", "A3", "JNH04"),
            v("2025-03-11", "A2", "JNH04"),
        ),
        "2024 totals 3, 4, 5: interview 2024-11-19 (达到5分). 2025 starts again: 1. JNH04 on "
        "the key-monitoring list for 2024 (3 violations).",
    ),
    Scenario(
        "JN0077",
        ("JNH07",),
        "doctor",
        "1985-10-10",
        "4 points: no action",
        (
            v("2025-04-01", "A1", "JNH07"),
            v("2025-06-24", "B5", "JNH07"),
        ),
        "2025 totals 1, 4: no band. Two violations: no key monitoring.",
    ),
    Scenario(
        "JN0031",
        ("JNH08",),
        "doctor",
        "1990-02-02",
        "three 1-point violations: key monitoring, no band",
        (
            v("2024-05-07", "A1", "JNH08"),
            v("2024-08-20", "A8", "JNH08"),
            v("2024-11-05", "A2", "JNH08"),
        ),
        "2024 total 3: no band. Three violations in the cycle: JNH08 on the key-monitoring "
        "list for 2024 (六(三): 其他违规3项以上).",
    ),
    Scenario(
        "JN0171",
        ("JNH01", "JNH05"),
        "doctor",
        "1976-04-28",
        "two sites, deductions added up",
        (
            v("2024-06-11", "B2", "JNH01"),
            v("2024-09-24", "B1", "JNH05"),
        ),
        "3 at JNH01 + 3 at JNH05 = 6 (四: 多点执业的...扣分分值累加计算): suspend 3 months "
        "2024-09-24 to 2024-12-23, at both sites. Counts as sanctioned at JNH01 and JNH05.",
    ),
    Scenario(
        "JN0184",
        ("JNH02",),
        "doctor",
        "1982-12-24",
        "a 3-month suspension replaced by a 6-month one",
        (
            v("2025-04-01", "C1", "JNH02"),
            v("2025-05-15", "B2", "JNH02"),
        ),
        "6: suspend 3 months 2025-04-01 to 2025-06-30; 9 on 2025-05-15: suspend 6 months "
        "2025-05-15 to 2025-11-14, replacing the first from its own start (policy's overlap: "
        "replace).",
    ),
    Scenario(
        "JN0244",
        ("JNH02",),
        "nurse",
        "1987-05-09",
        "two findings in one inspection",
        (
            v("2024-07-23", "A2", "JNH02", inspection="JN-INS-2024-01"),
            v("2024-07-23", "B3", "JNH02", amount="3150.00", inspection="JN-INS-2024-01"),
        ),
        "Inspection JN-INS-2024-01 found two different acts: each is deducted (四: 同一次检查发现"
        "不同违规行为的,分别扣分): total 4, no band. (Counting only the highest would give 3.)",
    ),
    Scenario(
        "JN0251",
        ("JNH04",),
        "doctor",
        "1970-09-30",
        "three findings in one inspection reach the interview band",
        (
            v("2025-06-17", "A1", "JNH04", inspection="JN-INS-2025-01"),
            v("2025-06-17", "A7", "JNH04", inspection="JN-INS-2025-01"),
            v("2025-06-17", "B2", "JNH04", inspection="JN-INS-2025-01"),
        ),
        "1 + 1 + 3 = 5 on 2025-06-17: interview (the three events share a date; the band is "
        "entered by the last in file order). Three violations: JNH04 on the key-monitoring "
        "list for 2025.",
    ),
    Scenario(
        "JN0263",
        ("JNH06",),
        "doctor",
        "1968-02-14",
        "failed annual test; re-application one day early, then on the day",
        (
            v("2024-11-20", "TEST-FAIL", "JNH06"),
            reapply("2025-11-19", "JNH06"),
            reapply("2025-11-20", "JNH06"),
        ),
        "三(三): terminate 2024-11-20 with a 1-year ban (not the 1-2 years of 五(二)); 0 points. "
        "The 2025-11-19 application is refused; 2025-11-20 (= termination + 1 year) is "
        "accepted. Aged 50 or over: open-book test form. TEST-FAIL is not a 违规 and does "
        "not count toward key monitoring.",
    ),
    Scenario(
        "JN0270",
        ("JNH12",),
        "doctor",
        "1981-03-03",
        "JNH12 30 % rule (1 of 3)",
        (v("2025-03-10", "C1", "JNH12"),),
        "6: suspend 3 months 2025-03-10 to 2025-06-09.",
    ),
    Scenario(
        "JN0286",
        ("JNH12",),
        "nurse",
        "1995-01-21",
        "JNH12 30 % rule (2 of 3)",
        (
            v("2025-04-15", "B1", "JNH12"),
            v("2025-05-27", "B3|A3", "JNH12", amount="2480.00"),
        ),
        "3, 6: suspend 3 months 2025-05-27 to 2025-08-26.",
    ),
    Scenario(
        "JN0293",
        ("JNH12",),
        "doctor",
        "1965-07-07",
        "JNH12 30 % rule (3 of 3)",
        (v("2025-08-12", "D4", "JNH12"),),
        "12: terminate 2025-08-12 (earliest re-application 2026-08-12, discretionary). JNH12 "
        "has 10 staff on the roster; with JN0270 and JN0286 that is 3 of 10 = 30 % sanctioned "
        "in 2025 (达到或超过30%): JNH12's agreement is open to review from 2025-08-12 (五(三), "
        "可以: discretionary). JNH12 also goes on the key-monitoring list for 2025 (一次性扣12分).",
    ),
    Scenario(
        "JN0205",
        ("JNH09", "JNH10"),
        "pharmacist",
        "1975-07-15",
        "two sites, one of them suspended as an institution",
        (),
        "No findings. JNH10's agreement is suspended 2025-02-01 to 2025-04-30 (三(四)): "
        "suspended with it at JNH10, restored 2025-05-01. Each site has its own agreement "
        "(三(二)), so JNH09 is not affected and the person's status stays active "
        "(docs/semantics.md: a cascade is site-scoped). Turns 50 on 2025-07-15: open-book "
        "test form as of 2025-12-31 (三(三) 含50周岁).",
    ),
    Scenario(
        "JN0217",
        ("JNH02", "JNH11"),
        "nurse",
        "1984-04-04",
        "two sites, one of them terminated as an institution",
        (v("2024-10-08", "A5", "JNH02"),),
        "2024 total 1. JNH11's agreement ends 2025-10-01 (三(四)): terminated at JNH11; "
        "JNH02 goes on, so the status stays active (a cascade is site-scoped). Open "
        "question: whether the 1-2 year ban of 五(二) follows a cascade (the letter of "
        "被解除服务协议的 says yes; docs/semantics.md says a cascade counts for no ban).",
    ),
)

JINING_INSTITUTION_EVENTS: tuple[InstitutionScenario, ...] = (
    InstitutionScenario(
        Event(
            date=day("2025-02-01"),
            type="institution_suspended",
            institution="JNH10",
            end="2025-04-30",
        ),
        "JNH10 (a pharmacy) suspended 2025-02-01 to 2025-04-30",
        "Every JNH10 staff member is suspended 2025-02-01 to 2025-04-30 and restored "
        "automatically 2025-05-01 (三(四), 五(二)). These cascaded suspensions do not count "
        "as 被中止 for the 30 % rule of 五(三) (they would put JNH10 at 100 %): the rule is "
        "about the staff's own sanctions; JNH10 has none of its own in 2025.",
    ),
    InstitutionScenario(
        Event(date=day("2025-10-01"), type="institution_terminated", institution="JNH11"),
        "JNH11 (a care home) terminated 2025-10-01",
        "Every JNH11 staff member is terminated 2025-10-01 (三(四)) at JNH11 (the one also at "
        "JNH02, JN0217, stays active there); background findings of JNH11 staff stop before "
        "that date. Whether 五(二)'s 1-2 year ban follows: see JN0217.",
    ),
)


# --------------------------------------------------------------- Zhanjiang scenarios

# Zhanjiang: 第十五条 items A=40 B=20 C=10 D=5, LOSS by amount; 第十七条 bands on
# the score (100 - deducted): 80 < score <= 90 interview, 70 < score <= 80
# suspend 3 months, 60 < score <= 70 suspend 6 months, score <= 60 terminate;
# 第十八条 fraud terminates, 5000 or more is also referred; 第十九条 bans 6
# months, 1 year, never, and never after fraud; 第二十条 a suspended person is
# restored only by re-applying after the suspension.

ZHANJIANG_SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "ZJ0012",
        ("ZJH02",),
        "doctor",
        "1976-06-30",
        "every band in turn, with re-applications",
        (
            v("2022-03-12", "C1", "ZJH02"),
            v("2022-05-07", "C3", "ZJH02"),
            reapply("2022-08-07", "ZJH02"),
            v("2022-09-24", "C2", "ZJH02"),
            v("2022-12-03", "C6", "ZJH02"),
            reapply("2023-06-10", "ZJH02"),
        ),
        "Scores 90 (interview 2022-03-12), 80 (suspend 3 months 2022-05-07 to 2022-08-06), "
        "re-application 2022-08-07 accepted (first allowed day, 第二十条), 70 (suspend 6 months "
        "2022-09-24 to 2023-03-23, 可跨年度执行), 60 on 2022-12-03: terminate (60分及以下), "
        "ending the suspension on 2022-12-02; first cancellation, ban 6 months: may re-apply "
        "from 2023-06-03 (第十九条). The "
        "2023-06-10 application is accepted: active as of 2023-12-31.",
    ),
    Scenario(
        "ZJ0047",
        ("ZJH05",),
        "doctor",
        "1981-11-02",
        "every band in turn by 5-point items, 2023",
        (
            v("2023-01-21", "D2", "ZJH05"),
            v("2023-02-18", "D3", "ZJH05"),
            v("2023-03-25", "D1", "ZJH05"),
            v("2023-04-29", "D4", "ZJH05"),
            reapply("2023-06-16", "ZJH05"),
            reapply("2023-07-29", "ZJH05"),
            v("2023-08-19", "D5", "ZJH05"),
            v("2023-09-09", "D7", "ZJH05"),
            v("2023-10-21", "D9", "ZJH05"),
            v("2023-12-02", "D10", "ZJH05"),
        ),
        "Scores 95, 90 (interview 2023-02-18), 85, 80 (suspend 3 months 2023-04-29 to "
        "2023-07-28); 2023-06-16 application refused (too early), 2023-07-29 accepted; 75, "
        "70 (suspend 6 months 2023-09-09 to 2024-03-08), 65, 60 on 2023-12-02: terminate, "
        "ending the suspension on 2023-12-01; first cancellation, may re-apply from "
        "2024-06-02 (after the regulation's last day, 2023-12-31).",
    ),
    Scenario(
        "ZJ0033",
        ("ZJH01",),
        "doctor",
        "1970-08-19",
        "one 20-point item; re-application too early, then on the first allowed day",
        (
            v("2022-04-16", "B3", "ZJH01"),
            reapply("2022-06-20", "ZJH01"),
            reapply("2022-07-16", "ZJH01"),
        ),
        "Score 80 at once: suspend 3 months 2022-04-16 to 2022-07-15, no interview (highest "
        "band only). 2022-06-20 refused (suspension running); 2022-07-16 accepted.",
    ),
    Scenario(
        "ZJ0058",
        ("ZJH03",),
        "doctor",
        "1987-01-09",
        "suspended and never re-applies",
        (v("2023-05-06", "B6", "ZJH03"),),
        "Score 80: suspend 3 months 2023-05-06 to 2023-08-05. No application: as of "
        "2023-12-31 awaiting re-application (第二十条: restored only by re-applying), not "
        "active.",
    ),
    Scenario(
        "ZJ0071",
        ("ZJH04",),
        "doctor",
        "1966-03-21",
        "a 6-month suspension across the year end, replacing a 3-month one",
        (
            v("2022-08-01", "B1|C2", "ZJH04"),
            v("2022-10-15", "C4", "ZJH04"),
            reapply("2023-04-15", "ZJH04"),
            v("2023-07-08", "D2", "ZJH04"),
        ),
        "B1|C2 is one act: 20 if the highest item counts (the Zhanjiang text does not say; "
        "the policy must choose), score 80: suspend 3 months 2022-08-01 to 2022-10-31. "
        "2022-10-15 score 70: suspend 6 months 2022-10-15 to 2023-04-14, replacing it, running "
        "into 2023 (第十七条 暂停服务期限可跨年度执行). 2023-04-15 application accepted. 2023 "
        "starts at 100: 95 after 2023-07-08, no band. (Summing B1|C2 gives 70 on 2022-08-01: "
        "suspend 6 months to 2023-01-31, and 60 on 2022-10-15: terminate.)",
    ),
    Scenario(
        "ZJ0086",
        ("ZJH06",),
        "doctor",
        "1973-12-12",
        "three cancellations: 6 months, 1 year, never",
        (
            v("2022-01-16", "A5", "ZJH06"),
            reapply("2022-07-16", "ZJH06"),
            v("2022-08-20", "A7", "ZJH06"),
            reapply("2023-05-01", "ZJH06"),
            reapply("2023-08-20", "ZJH06"),
            v("2023-10-28", "A10", "ZJH06"),
            reapply("2023-12-15", "ZJH06"),
        ),
        "2022-01-16 score 60: terminate (first), may re-apply from 2022-07-16; accepted that "
        "day, a new registration (the 2022 total starts again). 2022-08-20 score 60 again: "
        "terminate (second), ban 1 year, from 2023-08-20. 2023-05-01 refused; 2023-08-20 "
        "accepted. 2023-10-28: terminate (third): never again (第十九条). 2023-12-15 refused.",
    ),
    Scenario(
        "ZJ0094",
        ("ZJH07",),
        "doctor",
        "1978-05-25",
        "re-registration after a cancellation starts the year's total again",
        (
            v("2022-02-06", "A9", "ZJH07"),
            reapply("2022-08-06", "ZJH07"),
            v("2022-10-09", "B2", "ZJH07"),
            reapply("2023-01-09", "ZJH07"),
        ),
        "2022-02-06 terminate (first), ban 6 months; 2022-08-06 accepted, new registration. "
        "2022-10-09: score 80 (not 40): suspend 3 months 2022-10-09 to 2023-01-08; 2023-01-09 "
        "application accepted. Active as of 2023-12-31. (Keeping the earlier 40 would make "
        "2022-10-09 a second termination.)",
    ),
    Scenario(
        "ZJ0105",
        ("ZJH08",),
        "doctor",
        "1977-09-14",
        "fraud under 5000 yuan",
        (
            v("2022-06-25", "FRAUD", "ZJH08", amount="3200.00"),
            reapply("2023-01-06", "ZJH08"),
        ),
        "第十八条: 不满5000元: terminate (注销) 2022-06-25, no referral. 第十九条: 因诈骗 "
        "... 不再获得资格: ban never; the 2023-01-06 application is refused.",
    ),
    Scenario(
        "ZJ0119",
        ("ZJH02",),
        "doctor",
        "1969-02-08",
        "fraud of exactly 5000 yuan",
        (v("2023-03-19", "FRAUD", "ZJH02", amount="5000.00"),),
        "5000元以上 includes 5000: terminate and refer to the police 2023-03-19; ban never. "
        "(第十八条 also requires 情节恶劣、影响严重 for the referral: a judgement the ledger "
        "does not record.)",
    ),
    Scenario(
        "ZJ0127",
        ("ZJH10",),
        "doctor",
        "1984-07-29",
        "fraud above 5000 yuan",
        (v("2023-07-08", "FRAUD", "ZJH10", amount="18650.00"),),
        "Terminate and refer 2023-07-08; ban never.",
    ),
    Scenario(
        "ZJ0133",
        ("ZJH03",),
        "doctor",
        "1988-10-17",
        "fund loss 1500 yuan",
        (v("2022-05-14", "LOSS", "ZJH03", amount="1500.00"),),
        "Under 2000: 5 points (第十五条(四)8), score 95, no band.",
    ),
    Scenario(
        "ZJ0148",
        ("ZJH04",),
        "doctor",
        "1975-04-13",
        "fund loss exactly 2000 yuan",
        (v("2022-06-18", "LOSS", "ZJH04", amount="2000.00"),),
        "2000 is both 2000元以上 (三)7 and 2000元以下 (四)8 in the text; the policy takes the "
        "harsher: 10 points, score 90, interview 2022-06-18.",
    ),
    Scenario(
        "ZJ0152",
        ("ZJH05",),
        "doctor",
        "1982-12-30",
        "fund loss 9999.99 yuan",
        (v("2023-02-11", "LOSS", "ZJH05", amount="9999.99"),),
        "10 points (第十五条(三)7), score 90: interview 2023-02-11.",
    ),
    Scenario(
        "ZJ0164",
        ("ZJH06",),
        "doctor",
        "1971-01-01",
        "fund loss exactly 10000 yuan",
        (v("2022-09-03", "LOSS", "ZJH06", amount="10000.00"),),
        "10000 is in both (二)8 and (三)7; harsher: 20 points, score 80: suspend 3 months "
        "2022-09-03 to 2022-12-02 (no re-application follows: awaiting re-application as "
        "of 2023-12-31).",
    ),
    Scenario(
        "ZJ0176",
        ("ZJH07",),
        "doctor",
        "1979-08-16",
        "fund loss 29999 yuan",
        (
            v("2023-04-22", "LOSS", "ZJH07", amount="29999.00"),
            reapply("2023-07-22", "ZJH07"),
        ),
        "20 points (第十五条(二)8), score 80: suspend 3 months 2023-04-22 to 2023-07-21; "
        "re-application 2023-07-22 accepted.",
    ),
    Scenario(
        "ZJ0181",
        ("ZJH08",),
        "doctor",
        "1964-05-05",
        "fund loss exactly 30000 yuan",
        (v("2023-06-24", "LOSS", "ZJH08", amount="30000.00"),),
        "30000 is in both (一)8 and (二)8; harsher: 40 points, score 60: terminate 2023-06-24, "
        "first cancellation, may re-apply from 2023-12-24 (none filed).",
    ),
    Scenario(
        "ZJ0195",
        ("ZJH10",),
        "doctor",
        "1985-03-08",
        "fund loss 45200 yuan",
        (v("2022-11-05", "LOSS", "ZJH10", amount="45200.00"),),
        "40 points, score 60: terminate 2022-11-05, may re-apply from 2023-05-05 (none filed).",
    ),
    Scenario(
        "ZJ0203",
        ("ZJH01", "ZJH04"),
        "doctor",
        "1972-09-09",
        "two sites, deductions added up",
        (
            v("2023-03-04", "D2", "ZJH01"),
            v("2023-05-13", "C3", "ZJH04"),
            v("2023-08-26", "D4", "ZJH01"),
            reapply("2023-11-26", "ZJH01"),
        ),
        "5 + 10 + 5 across sites (第十五条: 多点执业...扣分分值累计计算): scores 95, 85 "
        "(interview 2023-05-13), 80 (suspend 3 months 2023-08-26 to 2023-11-25); "
        "re-application 2023-11-26 accepted.",
    ),
    Scenario(
        "ZJ0214",
        ("ZJH05",),
        "doctor",
        "1990-06-21",
        "two 5-point findings: interview",
        (
            v("2022-04-09", "D2", "ZJH05"),
            v("2022-10-22", "D3", "ZJH05"),
        ),
        "Scores 95, 90: interview 2022-10-22.",
    ),
    Scenario(
        "ZJ0228",
        ("ZJH02",),
        "doctor",
        "1977-11-27",
        "two findings in one inspection",
        (
            v("2023-05-20", "C1", "ZJH02", inspection="ZJ-INS-2023-01"),
            v("2023-05-20", "C3", "ZJH02", inspection="ZJ-INS-2023-01"),
            reapply("2023-08-25", "ZJH02"),
        ),
        "Each finding is deducted (扣10分/次; the policy's same_inspection: sum). In file "
        "order: score 90 (interview 2023-05-20), then 80 (suspend 3 months 2023-05-20 to "
        "2023-08-19). Re-application 2023-08-25 accepted. (Counting only the highest "
        "finding of the inspection: 90, interview only.)",
    ),
    Scenario(
        "ZJ0249",
        ("ZJH03", "ZJH12"),
        "doctor",
        "1968-01-31",
        "two sites, one of them terminated as an institution",
        (v("2022-07-30", "D6", "ZJH03"),),
        "2022 score 95. ZJH12's agreement ends 2023-11-03 (第二十四条): terminated at ZJH12, "
        "active at ZJH03 (a cascade is site-scoped). Open question: whether a cascade "
        "counts as a 取消资格 for 第十九条 (it would be the first cancellation: 6-month ban).",
    ),
)

ZHANJIANG_INSTITUTION_EVENTS: tuple[InstitutionScenario, ...] = (
    InstitutionScenario(
        Event(
            date=day("2023-04-01"),
            type="institution_suspended",
            institution="ZJH09",
            end="2023-06-30",
        ),
        "ZJH09 suspended 2023-04-01 to 2023-06-30",
        "Every ZJH09 doctor is suspended 2023-04-01 to 2023-06-30 (第二十四条). Open "
        "question: restored with the institution on 2023-07-01 (docs/semantics.md: a "
        "cascade lasts as long as the institution's), or, by 第二十条, only on re-applying; "
        "the ledger has no re-applications for them.",
    ),
    InstitutionScenario(
        Event(date=day("2023-11-03"), type="institution_terminated", institution="ZJH12"),
        "ZJH12 terminated 2023-11-03",
        "Every ZJH12 doctor is terminated 2023-11-03 (第二十四条); background findings of "
        "ZJH12 doctors stop before that date.",
    ),
)


# --------------------------------------------------------------------------- cities

JINING_ROLES = {
    "hospital": (("doctor", 48), ("nurse", 34), ("technician", 10), ("pharmacist", 8)),
    "clinic": (("doctor", 55), ("nurse", 35), ("pharmacist", 10)),
    "pharmacy": (("pharmacist", 100),),
    "care": (("carer", 60), ("nurse", 30), ("doctor", 10)),
}

JINING = City(
    name="jining",
    person_prefix="JN",
    seed=20240329,
    years=JINING_YEARS,
    first_day=dt.date(2024, 4, 1),
    institutions=(
        ("JNH01", 60, "hospital"),
        ("JNH02", 45, "hospital"),
        ("JNH03", 40, "hospital"),
        ("JNH04", 30, "hospital"),
        ("JNH05", 25, "hospital"),
        ("JNH06", 20, "hospital"),
        ("JNH07", 18, "clinic"),
        ("JNH08", 15, "clinic"),
        ("JNH09", 12, "pharmacy"),
        ("JNH10", 10, "pharmacy"),
        ("JNH11", 15, "care"),
        ("JNH12", 10, "clinic"),
    ),
    roles=JINING_ROLES,
    letters=(("A", 72), ("B", 21), ("C", 5), ("D", 2)),
    codes={
        "A": tuple(f"A{n}" for n in range(1, 9)),
        "B": tuple(f"B{n}" for n in range(1, 6)),
        "C": tuple(f"C{n}" for n in range(1, 5)),
        "D": tuple(f"D{n}" for n in range(1, 7)),
    },
    letter_points={"A": 1, "B": 3, "C": 6, "D": 12},
    bands=(
        Band(5, "interview"),
        Band(6, "suspend", 3),
        Band(9, "suspend", 6),
        Band(12, "terminate"),
    ),
    cap=12,
    scenarios=JINING_SCENARIOS,
    institution_events=JINING_INSTITUTION_EVENTS,
    quiet_sites=("JNH12",),
)

ZHANJIANG = City(
    name="zhanjiang",
    person_prefix="ZJ",
    seed=20210101,
    years=ZHANJIANG_YEARS,
    first_day=dt.date(ZHANJIANG_YEARS[0], 1, 2),
    institutions=(
        ("ZJH01", 55, "hospital"),
        ("ZJH02", 45, "hospital"),
        ("ZJH03", 38, "hospital"),
        ("ZJH04", 30, "hospital"),
        ("ZJH05", 26, "hospital"),
        ("ZJH06", 22, "hospital"),
        ("ZJH07", 20, "hospital"),
        ("ZJH08", 16, "clinic"),
        ("ZJH09", 14, "clinic"),
        ("ZJH10", 14, "clinic"),
        ("ZJH11", 10, "clinic"),
        ("ZJH12", 10, "clinic"),
    ),
    roles={"hospital": (("doctor", 1),), "clinic": (("doctor", 1),)},
    letters=(("A", 2), ("B", 12), ("C", 30), ("D", 56)),
    codes={
        "A": ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A9", "A10"),
        "B": tuple(f"B{n}" for n in range(1, 8)),
        "C": tuple(f"C{n}" for n in range(1, 7)),
        "D": ("D1", "D2", "D3", "D4", "D5", "D6", "D7", "D9", "D10"),
    },
    letter_points={"A": 40, "B": 20, "C": 10, "D": 5},
    bands=(
        Band(10, "interview"),
        Band(20, "suspend", 3),
        Band(30, "suspend", 6),
        Band(40, "terminate"),
    ),
    cap=None,
    scenarios=ZHANJIANG_SCENARIOS,
    institution_events=ZHANJIANG_INSTITUTION_EVENTS,
    loss_share=0.04,
    reapply_share=0.85,
)


# ------------------------------------------------------------------ simulation


def loss_points(amount: float) -> int:
    """Zhanjiang 第十五条: fund loss in yuan -> points (the harsher band at each boundary)."""
    if amount >= 30000:
        return 40
    if amount >= 10000:
        return 20
    if amount >= 2000:
        return 10
    return 5


def event_points(city: City, event: Event) -> int:
    """Points of one act: its highest item."""
    best = 0
    for code in event.items.split("|"):
        if code == "LOSS":
            best = max(best, loss_points(float(event.amount)))
        elif code in ("FRAUD", "TEST-FAIL"):
            continue
        else:
            best = max(best, city.letter_points[code[0]])
    return best


@dataclass(frozen=True)
class Sanction:
    action: str
    start: dt.date
    end: dt.date | None  # last day of a suspension


def sanctions(city: City, events: Iterable[Event]) -> list[Sanction]:
    """The person's band sanctions, by a plain reading; enough to shape the background.

    Not the engine: no history rules, no reinstatement, no institution cascades.
    """
    result: list[Sanction] = []
    year, deducted, fired = 0, 0, -1
    for event in events:
        if event.type != "violation":
            continue
        if event.date.year != year:
            year, deducted, fired = event.date.year, 0, -1
        codes = event.items.split("|")
        if "FRAUD" in codes or "TEST-FAIL" in codes:
            result.append(Sanction("terminate", event.date, None))
            continue
        deducted += event_points(city, event)
        if city.cap is not None:
            deducted = min(deducted, city.cap)
        band = max((i for i, b in enumerate(city.bands) if deducted >= b.low), default=-1)
        if band > fired:
            fired = band
            chosen = city.bands[band]
            end = None
            if chosen.months:
                end = add_months(event.date, chosen.months) - dt.timedelta(days=1)
            result.append(Sanction(chosen.action, event.date, end))
    return result


# ------------------------------------------------------------------ background


def make_roster(city: City, rng: random.Random) -> list[Practitioner]:
    """~300 people: scenario people at their own sites, the rest filling each institution."""
    scenario_codes = {s.code for s in city.scenarios}
    free_codes = [
        f"{city.person_prefix}{n:04d}"
        for n in range(1, sum(size for _, size, _ in city.institutions) + 1)
        if f"{city.person_prefix}{n:04d}" not in scenario_codes
    ]
    rng.shuffle(free_codes)
    kinds = {code: kind for code, _, kind in city.institutions}
    people: list[Practitioner] = [
        Practitioner(s.code, s.sites, s.role, day(s.birth_date)) for s in city.scenarios
    ]
    main_site_count = {code: 0 for code, _, _ in city.institutions}
    for s in city.scenarios:
        main_site_count[s.sites[0]] += 1
    last_year = city.years[1]
    for code, size, kind in city.institutions:
        for _ in range(size - main_site_count[code]):
            person = free_codes.pop()
            role = weighted(rng, city.roles[kind])
            age = rng.choices(range(24, 65), weights=[3 if a < 50 else 1 for a in range(24, 65)])[0]
            birth = random_date(
                rng, dt.date(last_year - age - 1, 1, 1), dt.date(last_year - age - 1, 12, 31)
            )
            people.append(Practitioner(person, (code,), role, birth))
    # A few background people practise at a second site of the same kind of work
    # (never at the quiet sites, whose staff count the 30 % scenario depends on).
    candidates = sorted(
        (
            p
            for p in people
            if p.code not in scenario_codes
            and kinds[p.sites[0]] != "pharmacy"
            and p.role in ("doctor", "nurse")
            and p.sites[0] not in city.quiet_sites
        ),
        key=lambda p: p.code,
    )
    hospitals = [
        code
        for code, _, kind in city.institutions
        if kind in ("hospital", "clinic") and code not in city.quiet_sites
    ]
    doubled: dict[str, Practitioner] = {}
    for person in rng.sample(candidates, city.dual_sites):
        second = rng.choice([h for h in hospitals if h != person.sites[0]])
        doubled[person.code] = Practitioner(
            person.code,
            tuple(sorted((person.sites[0], second))),
            person.role,
            person.birth_date,
        )
    return sorted((doubled.get(p.code, p) for p in people), key=lambda p: p.code)


def random_finding(
    city: City,
    rng: random.Random,
    person: Practitioner,
    date: dt.date,
    *,
    quiet: bool = False,
    inspection: str = "",
    site: str | None = None,
) -> Event:
    site = site or rng.choice(person.sites)
    if city.loss_share and not quiet and rng.random() < city.loss_share:
        amount = rng.choice(
            (rng.uniform(300, 1999), rng.uniform(2000, 9999), rng.uniform(10000, 16000))
        )
        return Event(
            date=date,
            person=person.code,
            items="LOSS",
            institution=site,
            inspection=inspection,
            amount=f"{amount:.2f}",
        )
    letter = "A" if quiet else weighted(rng, city.letters)
    codes = [rng.choice(city.codes[letter])]
    if not quiet and rng.random() < 0.07:  # one act, two items: the second never higher
        lower = (
            [name for name, _ in city.letters if name <= letter]
            if city.name == "jining"
            else [name for name, _ in city.letters if name >= letter]
        )
        extra = rng.choice(city.codes[rng.choice(lower)])
        if extra not in codes:
            codes.append(extra)
    amount = ""
    if letter in ("B", "C", "D") and rng.random() < 0.35:
        amount = f"{rng.uniform(500, 20000):.2f}"
    return Event(
        date=date,
        person=person.code,
        items="|".join(codes),
        institution=site,
        inspection=inspection,
        amount=amount,
    )


def background_events(
    city: City,
    rng: random.Random,
    people: list[Practitioner],
    cutoffs: dict[str, dt.date],
) -> list[Event]:
    """Findings for everyone who is not a scenario person, plus a few inspections."""
    scenario_codes = {s.code for s in city.scenarios}
    last = dt.date(city.years[1], 12, 31)
    counts = (0, 1, 2, 3, 4, 5, 6)
    weights = (54, 27, 10, 5, 2, 1, 1)
    by_person: dict[str, list[Event]] = {}
    background = [p for p in people if p.code not in scenario_codes]
    for person in background:
        quiet = any(site in city.quiet_sites for site in person.sites)
        n = min(rng.choices(counts, weights)[0], 1) if quiet else rng.choices(counts, weights)[0]
        stop = min(
            [last] + [cutoffs[s] - dt.timedelta(days=1) for s in person.sites if s in cutoffs]
        )
        by_person[person.code] = [
            random_finding(city, rng, person, random_date(rng, city.first_day, stop), quiet=quiet)
            for _ in range(n)
        ]
    # Inspections: one visit to an institution finds several staff at fault on one day.
    loud = [
        code
        for code, _, _ in city.institutions
        if code not in city.quiet_sites and code not in cutoffs
    ]
    for number in range(1, city.inspections + 1):
        site = rng.choice(loud)
        year = city.years[number % 2]
        first = max(city.first_day, dt.date(year, 1, 1))
        date = random_date(rng, first, dt.date(year, 12, 31))
        staff = [
            p
            for p in background
            if site in p.sites and all(date < cutoffs.get(s, dt.date.max) for s in p.sites)
        ]
        label = f"{city.person_prefix}-INS-{year}-{number + 1:02d}"
        for person in rng.sample(staff, min(len(staff), rng.randint(3, 5))):
            by_person[person.code].append(
                random_finding(city, rng, person, date, inspection=label, site=site)
            )
    events: list[Event] = []
    for person in background:
        own = sorted(by_person[person.code], key=Event.sort_key)
        kept: list[Event] = []
        for event in own:
            kept.append(event)
            found = sanctions(city, kept)
            if found and found[-1].action == "terminate":
                break  # a terminated background person has no later findings
        events.extend(kept)
        if city.reapply_share:
            events.extend(reapplications(city, rng, person, kept, last))
    return events


def reapplications(
    city: City,
    rng: random.Random,
    person: Practitioner,
    own: list[Event],
    last: dt.date,
) -> list[Event]:
    """Zhanjiang 第二十条: most suspended people re-apply some days after the suspension."""
    result: list[Event] = []
    suspensions = [s for s in sanctions(city, own) if s.action == "suspend"]
    for i, suspension in enumerate(suspensions):
        assert suspension.end is not None
        nxt = suspensions[i + 1].start if i + 1 < len(suspensions) else None
        if nxt is not None and nxt <= suspension.end:
            continue  # replaced by a harsher one before it ended
        if rng.random() >= city.reapply_share:
            continue
        date = suspension.end + dt.timedelta(days=rng.randint(1, 40))
        if date <= last and (nxt is None or date < nxt):
            result.append(
                Event(date=date, person=person.code, type="reapply", institution=person.sites[0])
            )
    return result


# --------------------------------------------------------------------------- checks


def check_thirty_percent(city: City, people: list[Practitioner], events: list[Event]) -> None:
    """Jining 五(三): only JNH12 in the last year may reach 30 % of staff sanctioned."""
    if city.name != "jining":
        return
    staff: dict[str, set[str]] = {}
    for person in people:
        for site in person.sites:
            staff.setdefault(site, set()).add(person.code)
    by_person: dict[str, list[Event]] = {}
    for event in sorted(events, key=Event.sort_key):
        if event.person:
            by_person.setdefault(event.person, []).append(event)
    sanctioned: dict[tuple[str, int], set[str]] = {}
    for person in people:
        for sanction in sanctions(city, by_person.get(person.code, [])):
            if sanction.action in ("suspend", "terminate"):
                for site in person.sites:
                    sanctioned.setdefault((site, sanction.start.year), set()).add(person.code)
    for (site, year), members in sorted(sanctioned.items()):
        share = len(members) / len(staff[site])
        expected = (site, year) == ("JNH12", city.years[1])
        if expected and share != 0.3:
            raise SystemExit(f"JNH12 {year}: {len(members)} of {len(staff[site])}, wanted 30 %")
        if not expected and share >= 0.3:
            raise SystemExit(f"{site} {year}: {len(members)} of {len(staff[site])} reach 30 %")


# --------------------------------------------------------------------------- output


def build(city: City) -> tuple[list[Practitioner], list[Event]]:
    rng = random.Random(city.seed)
    people = make_roster(city, rng)
    cutoffs = {
        e.event.institution: e.event.date
        for e in city.institution_events
        if e.event.type == "institution_terminated"
    }
    events = background_events(city, rng, people, cutoffs)
    for scenario in city.scenarios:
        events.extend(with_person(e, scenario.code) for e in scenario.events)
    events.extend(e.event for e in city.institution_events)
    events.sort(key=Event.sort_key)
    check_thirty_percent(city, people, events)
    return people, events


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def event_rows(city: City, events: list[Event]) -> list[list[str]]:
    rows = []
    for number, e in enumerate(events, start=1):
        rows.append(
            [
                f"{city.person_prefix}-E{number:04d}",
                e.person,
                e.date.isoformat(),
                e.type,
                e.items,
                e.institution,
                e.inspection,
                e.amount,
                e.points,
                e.end,
            ]
        )
    return rows


def roster_rows(people: list[Practitioner]) -> list[list[str]]:
    return [[p.code, site, p.role, p.birth_date.isoformat()] for p in people for site in p.sites]


def scenarios_markdown(city: City, events: list[Event], people: list[Practitioner]) -> str:
    """The scenario table: who, what they did, what the regulation says follows."""
    types: dict[str, int] = {}
    for e in events:
        types[e.type] = types.get(e.type, 0) + 1
    with_findings = len({e.person for e in events if e.type == "violation"})
    lines = [
        f"# {city.name}: example ledger scenarios",
        "",
        "Written by `examples/generate.py`; do not edit by hand. Expected outcomes are",
        f"worked by hand from the regulation's text, as of {city.years[1]}-12-31; dates are "
        "inclusive",
        "(an N-month suspension from D ends on D + N months - 1 day).",
        "",
        f"- {len(people)} practitioners ({sum(len(p.sites) for p in people)} roster rows, "
        f"{sum(1 for p in people if len(p.sites) > 1)} at two sites), "
        f"{len(city.institutions)} institutions; {with_findings} people with findings",
        "- events: " + ", ".join(f"{t} {n}" for t, n in sorted(types.items())),
        "",
        "## People",
        "",
        "| person | site | scenario | events | expected |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in city.scenarios:
        listed = (
            "; ".join(
                f"{e.date.isoformat()} {e.items or e.type}"
                + (f" {e.amount}" if e.amount else "")
                + (f" @{e.institution}" if len(s.sites) > 1 and e.institution else "")
                + (f" [{e.inspection}]" if e.inspection else "")
                for e in s.events
            )
            or "-"
        )
        cells = (s.code, " + ".join(s.sites), s.title, listed, s.expect)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    lines += ["", "## Institutions", "", "| event | expected |", "| --- | --- |"]
    for i in city.institution_events:
        lines.append(f"| {i.title} | {i.expect} |")
    lines.append("")
    return "\n".join(lines)


def main() -> None:
    for city in (JINING, ZHANJIANG):
        people, events = build(city)
        out = HERE / city.name
        write_csv(out / "events.csv", EVENT_COLUMNS, event_rows(city, events))
        write_csv(out / "roster.csv", ROSTER_COLUMNS, roster_rows(people))
        (out / "scenarios.md").write_text(
            scenarios_markdown(city, events, people), encoding="utf-8", newline="\n"
        )
        print(f"{out.relative_to(HERE.parent)}: {len(people)} people, {len(events)} events")


if __name__ == "__main__":
    main()
