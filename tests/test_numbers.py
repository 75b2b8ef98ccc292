"""numbers.py: one spelling of a number wherever one is shown."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from engine.numbers import decimal_text, exact, number_text, number_value


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


def test_a_decimal_is_exact_however_many_places_it_takes():
    assert number_text(Fraction(1445993, 100)) == "14459.93"  # a fund loss in yuan
    assert number_text(Fraction(1, 2048)) == "0.00048828125"  # 11 places
    assert number_text(Fraction(-1, 20)) == "-0.05"
    assert number_text(Fraction(10**20 + 1, 10)) == "10000000000000000000.1"


def test_json_and_csv_values():
    # JSON has no fractions: an exact fraction goes out as its int or nearest float
    assert number_value(Fraction(6, 2)) == 3 and type(number_value(Fraction(6, 2))) is int
    assert number_value(Fraction(3, 2)) == 1.5
    assert number_value(Fraction(2, 3)) == 2 / 3
    assert number_value(7) == 7 and number_value(None) is None and number_value("x") == "x"


def test_cells_read_again_are_decimals():
    assert decimal_text(None) == "" and decimal_text(3) == "3"
    assert decimal_text(Fraction(1445993, 100)) == "14459.93"
    assert decimal_text(Fraction(2, 3)) == "0.6666666666666666"  # the reader takes no 2/3


@given(st.fractions(max_denominator=10**6))
def test_a_cell_reads_back_as_the_same_number_where_a_decimal_can_say_it(x):
    # exactly where the denominator has only the factors 2 and 5, else the nearest float
    text = decimal_text(x)
    d = x.denominator
    while d % 2 == 0:
        d //= 2
    while d % 5 == 0:
        d //= 5
    if d == 1:
        assert Fraction(text) == x
    else:
        assert float(text) == float(x) and "/" not in text


def test_a_policys_number_is_loaded_exact():
    """YAML's `0.1` is a float; the policy means one tenth, and `2.0` means 2."""
    assert exact(0.1) == Fraction(1, 10)
    assert exact(14459.93) == Fraction(1445993, 100)
    two = exact(2.0)
    assert two == 2 and type(two) is int
    assert exact(3) == 3 and exact(None) is None and exact("x") == "x"
