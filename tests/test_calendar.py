"""The design's date rules (engine/calendar.py), each value worked out by hand from
the rule or from the State Council's holiday notice, not read off the program."""

from __future__ import annotations

import datetime as dt

import pytest

from engine import calendar
from engine.dsl.ast import Duration

D = dt.date


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # clamped to the month's end, leap year
        (D(2023, 1, 31), 1, D(2023, 2, 28)),
        (D(2024, 3, 31), -1, D(2024, 2, 29)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),  # across a year
        (D(2025, 1, 15), -1, D(2024, 12, 15)),
        (D(2024, 5, 31), 12, D(2025, 5, 31)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
    ],
)
def test_add_months(start, months, expected):
    assert calendar.add_months(start, months) == expected


def test_add_months_out_of_range_is_an_overflow():
    with pytest.raises(OverflowError, match="date out of range"):
        calendar.add_months(D(9999, 12, 1), 1)
    with pytest.raises(OverflowError, match="date out of range"):
        calendar.add_months(D(1, 1, 1), -1)
    # the first and last years themselves are in range
    assert calendar.add_months(D(1, 2, 1), -1) == D(1, 1, 1)
    assert calendar.add_months(D(9999, 1, 31), 11) == D(9999, 12, 31)


@pytest.mark.parametrize(
    ("start", "amount", "unit", "sign", "expected"),
    [
        (D(2024, 3, 1), 10, "day", 1, D(2024, 3, 11)),
        (D(2024, 3, 1), 2, "week", 1, D(2024, 3, 15)),
        (D(2024, 1, 31), 1, "month", 1, D(2024, 2, 29)),
        (D(2024, 2, 29), 1, "year", 1, D(2025, 2, 28)),
        (D(2024, 5, 31), 3, "month", -1, D(2024, 2, 29)),
        (D(2024, 3, 11), 10, "day", -1, D(2024, 3, 1)),
        (D(2025, 2, 28), 1, "year", -1, D(2024, 2, 28)),
        # 2024 National Day: 1-7 October off, Sunday 29 September worked (调休)
        (D(2024, 9, 27), 1, "working day", 1, D(2024, 9, 29)),
    ],
)
def test_add(start, amount, unit, sign, expected):
    assert calendar.add(start, Duration(amount, unit), sign) == expected
    assert calendar.add(start, Duration(amount, unit), sign) == expected  # cached


def test_add_an_unknown_unit_is_refused():
    with pytest.raises(ValueError, match="fortnight"):
        calendar.add(D(2024, 1, 1), Duration(1, "fortnight"))


def test_a_period_ends_the_day_before_the_same_day_n_months_later():
    # a 3-month suspension from 1 March is served through 31 May
    assert calendar.last_day(D(2024, 3, 1), Duration(3, "month")) == D(2024, 5, 31)
    # 6 months from 31 August: 28 February (clamped) is the day they may act again
    assert calendar.last_day(D(2024, 8, 31), Duration(6, "month")) == D(2025, 2, 27)
    assert calendar.last_day(D(2024, 3, 1), Duration(1, "day")) == D(2024, 3, 1)


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (D(2024, 9, 27), 1, D(2024, 9, 29)),  # Friday -> the worked Sunday
        (D(2024, 9, 30), 1, D(2024, 10, 8)),  # over the seven days off
        (D(2024, 10, 11), 1, D(2024, 10, 12)),  # Friday -> the worked Saturday
        (D(2024, 10, 8), -1, D(2024, 9, 30)),  # backwards over the holiday
        (D(2024, 9, 30), 0, D(2024, 9, 30)),
    ],
)
def test_working_days_follow_the_holiday_calendar(start, n, expected):
    assert calendar.add_working_days(start, n) == (expected, True)


def test_working_days_past_the_calendar_are_weekdays_and_approximate():
    monday = D(2200, 1, 6)
    assert monday.weekday() == 0
    assert calendar.add_working_days(monday, 3) == (D(2200, 1, 9), False)  # Thursday
    assert calendar.add_working_days(monday, 5) == (D(2200, 1, 13), False)  # next Monday
    assert calendar.add_working_days(D(2200, 1, 13), -5) == (monday, False)
    assert calendar.add_working_days(D(2200, 1, 10), 1) == (D(2200, 1, 13), False)  # Fri
    # whole weeks jumped: 5 working days a week from a Monday, 7 calendar days each
    n = 1_000_000
    assert calendar.add_working_days(monday, n) == (monday + dt.timedelta(days=7 * n // 5), False)
    assert calendar.add_working_days(monday, 12) == (D(2200, 1, 22), False)  # Wed, 2 wks on


def test_a_walk_from_before_the_calendar_does_not_jump_into_it():
    # from Monday 1 December 2003 (before the calendar's first year, 2004), 30 working
    # days: 22 in December (weekdays 2-31), 1 January 2004 off (元旦), Friday 2 January,
    # 5-9 January, then 12 and 13 January
    assert calendar.add_working_days(D(2003, 12, 1), 30) == (D(2004, 1, 13), False)


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (D(2000, 2, 29), D(2024, 2, 28), 23),
        (D(2000, 2, 29), D(2024, 2, 29), 24),
        (D(2000, 2, 29), D(2025, 2, 28), 24),
        (D(2000, 2, 29), D(2025, 3, 1), 25),
        (D(1970, 6, 15), D(2025, 6, 14), 54),
        (D(1970, 6, 15), D(2025, 6, 15), 55),
    ],
)
def test_age_on_is_whole_years(birth, on, age):
    assert calendar.age_on(birth, on) == age


def test_parse_date_is_strict():
    assert calendar.parse_date("2024-02-29") == D(2024, 2, 29)
    assert calendar.parse_date("2024-02-29") == D(2024, 2, 29)  # cached
    with pytest.raises(ValueError, match="not a real date"):
        calendar.parse_date("2023-02-29")
    for text in ("2024/02/29", "2024-2-29", "20240229", "2024-02-29 ", "2024-02x29"):
        with pytest.raises(ValueError, match="is not a date in YYYY-MM-DD form"):
            calendar.parse_date(text)
    with pytest.raises(ValueError, match="not a real date"):
        calendar.parse_date("2024-02-2x")


def test_cycles():
    assert calendar.cycle_of(1, 1, D(2024, 6, 1)) == ("2024", D(2024, 1, 1), D(2024, 12, 31))
    assert calendar.cycle_of(1, 1, D(2024, 1, 1))[0] == "2024"
    assert calendar.cycle_of(1, 1, D(2024, 12, 31))[0] == "2024"
    # a cycle from 1 July: labelled by its first and last day
    assert calendar.cycle_of(7, 1, D(2024, 6, 30)) == (
        "2023-07-01/2024-06-30",
        D(2023, 7, 1),
        D(2024, 6, 30),
    )
    assert calendar.cycle_of(7, 1, D(2024, 7, 1))[1:] == (D(2024, 7, 1), D(2025, 6, 30))
    assert calendar.cycle_year(7, 1, D(2024, 6, 30)) == 2023
    assert calendar.cycle_year(7, 1, D(2024, 7, 1)) == 2024
    assert calendar.cycle_year(3, 29, D(2025, 3, 28)) == 2024
