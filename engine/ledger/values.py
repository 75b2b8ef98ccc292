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
from engine.ledger.tables import Problems

DATE_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
DECIMAL = re.compile(r"[0-9]+(?:\.([0-9]+))?\Z")
_LOOSE_DATE = re.compile(r"([0-9]{4})\s*[/.年-]\s*([0-9]{1,2})\s*[/.月-]\s*([0-9]{1,2})\s*日?\Z")
CACHE_MAX = 200_000  # entries in each cache of values read


def decimal(text: str):
    """Decimal text -> int or Fraction (whole values as int); None if not a plain decimal."""
    if text.isdigit() and text.isascii():
        return int(text)
    if DECIMAL.match(text) is None:
        return None
    value = Fraction(text)
    return value.numerator if value.denominator == 1 else value


def _hint_date(text: str) -> str:
    m = _LOOSE_DATE.match(text)
    if m:
        with contextlib.suppress(ValueError):
            d = _dt.date(int(m[1]), int(m[2]), int(m[3]))
            return f"write it as `{d.isoformat()}`"
    return "write dates as YYYY-MM-DD, e.g. `2024-03-29`"


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
            problems.add(code, f"`{name}` is empty", line, "write dates as YYYY-MM-DD")
            return None
        if DATE_FORM.match(s) is None:
            problems.add(
                code, f"{name} `{s}` is not a date in YYYY-MM-DD form", line, _hint_date(s)
            )
            return None
        try:
            return parse_date(s)
        except ValueError:
            problems.add(
                code, f"{name} `{s}` is not a real date", line, "check the month and the day"
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
                problems.add(name, f"{name} `{s}` must not be negative", line)
            elif bare != s and decimal(bare) is not None:
                problems.add(
                    name, f"{name} `{s}` has a thousands separator", line, f"write it as `{bare}`"
                )
            else:
                example = "`12500` or `12500.50`" if name == "amount" else "`2` or `1.5`"
                problems.add(
                    name,
                    f"{name} `{s}` is not a number",
                    line,
                    f"write a plain decimal such as {example}",
                )
            return None
        if name == "amount":
            m = DECIMAL.match(s)
            if m and m.group(1) and len(m.group(1)) > 2:
                problems.add(
                    "amount",
                    f"amount `{s}` has more than 2 decimal places",
                    line,
                    "amounts are in yuan, to the fen (0.01)",
                )
                return None
        if len(self.numbers) < CACHE_MAX:
            self.numbers[name + text] = value
        return value
