"""Numbers as an analyst writes them, in messages, stories, tiers and diffs.

One spelling everywhere a number is shown: a whole number bare (`3`, not
`3.0`), a fraction that ends as a decimal as that decimal (`1.5`, `0.25`), any
other fraction as itself (`2/3`, not `0.6666666666666666`). Points are exact
fractions inside the engine; this is how they read back out. (A CSV cell that
the ledger reader must read again is written by carryover.py, as a decimal.)
"""

from __future__ import annotations

from fractions import Fraction


def number_text(x: object) -> str:
    """3, 1.5, 2/3; anything that is not a number as str() gives it."""
    if isinstance(x, bool) or not isinstance(x, Fraction):
        return str(x)
    if x.denominator == 1:
        return str(x.numerator)
    d = x.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:  # a terminating decimal: exact in at most as many places as the denominator
        text = f"{float(x):.10f}".rstrip("0").rstrip(".")
        if Fraction(text) == x:
            return text
    return f"{x.numerator}/{x.denominator}"
