"""A cell's text -> its typed value: dates, decided points and amounts.

Each reader keeps one `Values`, which reports what it cannot read to the file's
`Problems` (and returns None) and remembers what it has read: a ledger repeats
the same dates and numbers a million times.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import re
from fractions import Fraction

from engine.calendar import parse_date
from engine.i18n import _
from engine.ledger.tables import Problems
from engine.limits import MAX_NUMBER_DIGITS

DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
DECIMAL = re.compile(r"[0-9]+(?:\.([0-9]+))?\Z")
# Dates as Excel and Chinese systems write them, year first: 2024/3/15, 2024-3-5,
# 2024.03.15, 2024年3月15日, each perhaps with a time after it (a datetime cell).
_LOOSE_DATE = re.compile(
    r"([0-9]{4})\s*([/.年-])\s*([0-9]{1,2})\s*[/.月-]\s*([0-9]{1,2})\s*日?"
    r"(?:(?:\s+|T)[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?\Z"
)
# A date written day or month first (15/3/2024, 03/04/2024) or with a two-digit year
# (24/3/15): it can be read more than one way, so it is an error, never a guess.
_OTHER_ORDER = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{2}|[0-9]{4})\Z")
# An Excel serial day number (a date cell saved as a number): 1954-10-03 to 2119-01-10.
_SERIAL = re.compile(r"([0-9]{5})(?:\.[0-9]+)?\Z")
_SERIAL_LOW, _SERIAL_HIGH = 20_000, 80_000
_EXCEL_EPOCH = _dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 (Excel's 1900 leap day aside)
DATE_LIKE = re.compile(r"[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}")  # a cell that is a date
CACHE_MAX = 200_000  # entries in each cache of values read
_BIGGEST = 10**MAX_NUMBER_DIGITS  # the first amount or points refused


def decimal(text: str):
    """Decimal text -> int or Fraction (whole values as int); None if not a plain decimal."""
    if text.isdigit() and text.isascii():
        return int(text)
    if DECIMAL.match(text) is None:
        return None
    value = Fraction(text)
    return value.numerator if value.denominator == 1 else value


def loose_date(text: str) -> _dt.date | str:
    """A date written as Excel or a Chinese system writes it, or why it is not one
    (a message). Only forms that can be read one way are read."""
    m = _LOOSE_DATE.match(text)
    if m:
        try:
            return _dt.date(int(m[1]), int(m[3]), int(m[4]))
        except ValueError:
            return _("`{text}` is not a real date").format(text=text)
    m = _SERIAL.match(text)
    if m and _SERIAL_LOW <= int(m[1]) <= _SERIAL_HIGH:
        return _EXCEL_EPOCH + _dt.timedelta(days=int(m[1]))
    m = _OTHER_ORDER.match(text)
    if m:
        return _("`{text}` can be read more than one way (day, month and year order)").format(
            text=text
        )
    return _("`{text}` is not a date").format(text=text)


def _hint_date(text: str) -> str:
    m = _OTHER_ORDER.match(text)
    if m and len(m[3]) == 4:
        a, b = int(m[1]), int(m[2])
        readings = []
        for month, day in ((a, b), (b, a)):
            with contextlib.suppress(ValueError):
                readings.append(_dt.date(int(m[3]), month, day).isoformat())
        if readings:
            return _("write it year first: {readings}").format(
                readings=_(" or ").join(f"`{r}`" for r in dict.fromkeys(readings))
            )
    return _("write dates as YYYY-MM-DD, e.g. `2024-03-29`")


class Values:
    """The typed values of one file's cells, each problem reported at its line."""

    __slots__ = ("problems", "numbers")

    def __init__(self, problems: Problems):
        self.problems = problems
        self.numbers: dict[str, object] = {}

    def date(self, text: str, line: int, code: str, name: str):
        """A date cell; None after reporting a problem (`code`) about column `name`."""
        problems = self.problems
        s = text.strip()
        if not s:
            problems.add(
                code,
                _("`{name}` is empty").format(name=name),
                line,
                _("write dates as YYYY-MM-DD"),
            )
            return None
        if DATE_FORM.match(s) is None:
            found = loose_date(s)
            if isinstance(found, _dt.date):
                return found
            problems.add(
                code, _("{name} {problem}").format(name=name, problem=found), line, _hint_date(s)
            )
            return None
        try:
            return parse_date(s)
        except ValueError:
            problems.add(
                code,
                _("{name} `{value}` is not a real date").format(name=name, value=s),
                line,
                _("check the month and the day"),
            )
            return None

    def number(self, text: str, line: int, name: str):
        """A decided `points` or an `amount`; None after reporting a problem."""
        value = self.numbers.get(name + text)
        if value is not None:
            return value
        s = text.strip()
        value = decimal(s)
        problems = self.problems
        if value is None:
            bare = s.replace(",", "").replace("，", "")
            if s.startswith("-") and decimal(s[1:]) is not None:
                problems.add(
                    name,
                    _("{name} `{value}` must not be negative").format(name=name, value=s),
                    line,
                )
            elif bare != s and decimal(bare) is not None:
                problems.add(
                    name,
                    _("{name} `{value}` has a thousands separator").format(name=name, value=s),
                    line,
                    _("write it as `{value}`").format(value=bare),
                )
            else:
                example = _("`12500` or `12500.50`") if name == "amount" else _("`2` or `1.5`")
                problems.add(
                    name,
                    _("{name} `{value}` is not a number").format(name=name, value=s),
                    line,
                    _("write a plain decimal such as {example}").format(example=example),
                )
            return None
        if abs(value) >= _BIGGEST:  # printed, an int past 4,300 digits fails
            problems.add(
                name,
                _("{name} `{value}...` is too large: more than {digits} digits").format(
                    name=name, value=s[:12], digits=MAX_NUMBER_DIGITS
                ),
                line,
            )
            return None
        if name == "amount":
            m = DECIMAL.match(s)
            if m and m.group(1) and len(m.group(1)) > 2:
                problems.add(
                    "amount",
                    _("amount `{value}` has more than 2 decimal places").format(value=s),
                    line,
                    _("amounts are in yuan, to the fen (0.01)"),
                )
                return None
        if len(self.numbers) < CACHE_MAX:
            self.numbers[name + text] = value
        return value
