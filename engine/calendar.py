"""Dates and durations: month arithmetic and working days.

The design's date rules live here and nowhere else:

- N months from D is the same day N months later, clamped to the month's end
  (2024-01-31 + 1 month = 2024-02-29);
- a sanction of N months from D ends on D + N months - 1 day (its last day),
  and the person may act again from D + N months;
- working days follow the Chinese public-holiday calendar, including the
  weekends that are worked in exchange for a holiday (调休), from the
  maintained `chinese_calendar` package. Outside the years that package covers,
  weekdays are counted and the result is marked approximate.
"""

from __future__ import annotations

import calendar as _cal
import datetime as _dt
import functools
from fractions import Fraction
from typing import Protocol

from engine.i18n import _


class Duration(Protocol):
    """A length of time as the policy language writes it (`3 months`, `10 working days`)."""

    # read-only, as the policy's frozen ast.Duration holds them (a whole amount: the
    # checker refuses a fractional length)
    @property
    def amount(self) -> int | Fraction: ...
    @property
    def unit(self) -> str: ...  # day | week | month | year | working day


ONE_DAY = _dt.timedelta(days=1)


def add_months(d: _dt.date, months: int) -> _dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    if not 1 <= year <= 9999:
        raise OverflowError("date out of range")
    return _dt.date(year, month, min(d.day, _cal.monthrange(year, month)[1]))


@functools.cache
def _workday_info(d: _dt.date) -> tuple[bool, bool]:
    """(is a working day, known from the holiday calendar)."""
    try:
        import chinese_calendar

        return bool(chinese_calendar.is_workday(d)), True
    except (NotImplementedError, ImportError):
        return d.weekday() < 5, False


@functools.cache
def _covered() -> tuple[_dt.date | None, _dt.date | None]:
    """The first and last day of the years the holiday calendar covers (None: none)."""
    try:
        from chinese_calendar import constants

        years = {d.year for d in (*constants.holidays, *constants.workdays)}
    except (ImportError, AttributeError):
        return None, None
    if not years:
        return None, None
    return _dt.date(min(years), 1, 1), _dt.date(max(years), 12, 31)


@functools.lru_cache(maxsize=65536)
def add_working_days(d: _dt.date, n: int) -> tuple[_dt.date, bool]:
    """The n-th working day after d (d itself not counted); and whether exact.

    Inside the years the holiday calendar covers, days are walked one by one (its
    holidays and adjusted weekends decide). Past them every week has exactly five
    working days, so the walk jumps by whole weeks and walks only the last few days:
    `2000000 working days` costs what `20 working days` does (issue 13 §12). A
    result past the calendar is not exact (the deadline is then marked approximate).
    """
    exact = True
    cur = d
    count, target = 0, abs(n)
    step = ONE_DAY if n >= 0 else -ONE_DAY
    while count < target:
        work, known = _workday_info(cur + step)
        if not known and target - count > 5:
            # weekdays only from here on: any 7 days hold 5 of them; leave 1 to 5 to walk,
            # so that the walk ends on a working day, and never jump into the calendar
            weeks = (target - count - 1) // 5
            first, last = _covered()
            if first is not None and step.days > 0 and cur < first:
                weeks = min(weeks, (first - cur).days // 7 - 1)
            elif last is not None and step.days < 0 and cur > last:
                weeks = min(weeks, (cur - last).days // 7 - 1)
            if weeks > 0:
                cur += step * (7 * weeks)
                count += 5 * weeks
                exact = False
                continue
        cur += step
        exact = exact and known
        if work:
            count += 1
    return cur, exact


def add(d: _dt.date, dur: Duration, sign: int = 1) -> _dt.date:
    """d moved by a duration (sign -1 subtracts). Working days: see add_working_days.

    Cached: a ledger's sanctions fall on few distinct (day, length) pairs.
    """
    key = (d, dur.amount, dur.unit, sign)
    day = _ADDED.get(key)
    if day is None:
        day = _add(d, dur, sign)
        if len(_ADDED) < 100_000:
            _ADDED[key] = day
    return day


_ADDED: dict[tuple[_dt.date, int | Fraction, str, int], _dt.date] = {}


def _add(d: _dt.date, dur: Duration, sign: int) -> _dt.date:
    n = int(dur.amount) * sign
    unit = dur.unit
    if unit == "day":
        return d + _dt.timedelta(days=n)
    if unit == "week":
        return d + _dt.timedelta(days=7 * n)
    if unit == "month":
        return add_months(d, n)
    if unit == "year":
        return add_months(d, 12 * n)
    if unit == "working day":
        return add_working_days(d, n)[0]
    raise ValueError(f"unknown unit {unit}")


def last_day(start: _dt.date, dur: Duration) -> _dt.date:
    """The last day of a period of `dur` starting on `start` (inclusive)."""
    return add(start, dur) - ONE_DAY


def age_on(birth: _dt.date, on: _dt.date) -> int:
    """Whole years of age on a date (周岁)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


_DATE_CACHE: dict[str, _dt.date] = {}


def parse_date(text: str) -> _dt.date:
    """Strict YYYY-MM-DD; raises ValueError. Cached: ledgers repeat few dates."""
    d = _DATE_CACHE.get(text)
    if d is None:
        if len(text) != 10 or text[4] != "-" or text[7] != "-":
            raise ValueError(_("`{text}` is not a date in YYYY-MM-DD form").format(text=text))
        try:
            d = _dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:
            raise ValueError(_("`{text}` is not a real date").format(text=text)) from None
        if len(_DATE_CACHE) < 100_000:
            _DATE_CACHE[text] = d
    return d


def cycle_year(start_month: int, start_day: int, d: _dt.date) -> int:
    """The year in which the yearly cycle starting each year on (start_month,
    start_day) that contains d begins: the cycle's index (the fold's, and `cycle_of`'s
    label for a natural year)."""
    return d.year if (d.month, d.day) >= (start_month, start_day) else d.year - 1


def cycle_of(start_month: int, start_day: int, d: _dt.date) -> tuple[str, _dt.date, _dt.date]:
    """The yearly cycle starting each year on (start_month, start_day) that contains d:
    its label (the year, or `first/last` when it does not start on 1 January), first
    and last day."""
    year = cycle_year(start_month, start_day, d)
    start = _dt.date(year, start_month, start_day)
    end = add_months(start, 12) - ONE_DAY
    label = (
        str(year)
        if (start_month, start_day) == (1, 1)
        else (f"{start.isoformat()}/{end.isoformat()}")
    )
    return label, start, end
