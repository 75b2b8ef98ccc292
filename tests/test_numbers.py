"""numbers.number_text: one spelling of a number wherever one is shown."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from engine.numbers import number_text


def test_spellings():
    assert number_text(3) == "3"
    assert number_text(Fraction(6, 2)) == "3"  # not 3.0
    assert number_text(Fraction(3, 2)) == "1.5"
    assert number_text(Fraction(1, 8)) == "0.125"
    assert number_text(Fraction(2, 3)) == "2/3"  # not 0.6666666666666666
    assert number_text(Fraction(-7, 4)) == "-1.75"
    assert number_text(True) == "True" and number_text("x") == "x"


@given(st.fractions(max_denominator=10**6))
def test_the_text_reads_back_as_the_same_number(x):
    assert Fraction(number_text(x)) == x
