"""Numbers as every output writes them: the one place a number is spelled.

Points, amounts and totals are exact (`int`, or `Fraction` where not whole) inside
the engine, so that 1/3 + 2/3 is 1 and a band's bound is never missed by a rounding.
Only on the way out does a number become text, and it does so here, in one of three
ways, each for one kind of reader:

- `number_text`: for a person (the story of `--explain`, the terminal table, the
  diff, messages): a whole number bare (`3`, not `3.0`), a fraction that ends as a
  decimal as that decimal (`1.5`, `14459.93`, not `1445993/100`), any other fraction
  as itself (`2/3`, not `0.6666666666666666`). It reads back as the same number.
- `number_value`: for JSON and CSV, whose consumers read numbers as numbers: an int
  as it is, a fraction as the int it equals or else the nearest float (JSON has no
  fractions; the report's shape is a contract other tools read).
- `decimal_text`: for a cell that the ledger reader reads again (compare/carryover
  writes a ledger under the new policy's codes): the exact decimal where there is
  one, else the nearest float's shortest spelling (the reader takes no `2/3`).

And one way in, `exact`: a number a policy writes, made exact as it is loaded.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any


def number_text(x: object) -> str:
    """3, 1.5, 2/3; anything that is not a number as str() gives it."""
    if isinstance(x, bool) or not isinstance(x, Fraction):
        return str(x)
    if x.denominator == 1:
        return str(x.numerator)
    text = exact_decimal(x)
    return text if text is not None else f"{x.numerator}/{x.denominator}"


def number_value(x: Any) -> Any:
    """An int as it is, a fraction as its int or nearest float, anything else as it is."""
    if isinstance(x, Fraction):
        return x.numerator if x.denominator == 1 else float(x)
    return x


def exact(x: Any) -> Any:
    """A number as a policy's YAML writes it, exact: PyYAML reads `1.5` as a float, which
    becomes the fraction its shortest spelling says (`0.1` is 1/10, not the binary
    double nearest it), or an int where whole; anything else as it is."""
    if isinstance(x, float):
        f = Fraction(repr(x))
        return f.numerator if f.denominator == 1 else f
    return x


def decimal_text(x: int | Fraction | None) -> str:
    """'' for None, `3`, `1.5`, and for a fraction with no exact decimal the nearest
    float (`0.6666666666666666`)."""
    if x is None:
        return ""
    if isinstance(x, Fraction) and x.denominator != 1:
        text = exact_decimal(x)
        return text if text is not None else repr(float(x))
    return str(int(x))


def exact_decimal(x: Fraction) -> str | None:
    """The exact decimal spelling of a fraction that has one (its denominator's only
    prime factors are 2 and 5), in as many places as that takes; else None."""
    d = x.denominator
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    if d != 1:
        return None
    places = max(twos, fives)
    digits = str(abs(x.numerator) * 10**places // x.denominator).rjust(places + 1, "0")
    sign = "-" if x < 0 else ""
    return f"{sign}{digits[:-places]}.{digits[-places:]}" if places else f"{sign}{digits}"
