"""Tiers read as bands (engine/policy/bands.py): which conditions are intervals of
`deducted`, and the look-up table the fold reads a total's band from. The intervals
are worked out by hand from each condition."""

from __future__ import annotations

from fractions import Fraction

import pytest

from engine.dsl.parser import parse_expr
from engine.policy.bands import (
    TABLE_STEPS,
    IntervalTable,
    band_of,
    first_step,
    last_step,
    lookup_table,
    on_table,
)
from engine.policy.model import Band

HALF = Fraction(1, 2)


@pytest.mark.parametrize(
    ("text", "initial", "band"),
    [
        ("6 <= deducted <= 8", None, Band(6, True, 8, True)),
        ("deducted > 12", None, Band(12, False, None, False)),
        ("12 < deducted", None, Band(12, False, None, False)),  # flipped
        ("12 >= deducted", None, Band(None, False, 12, True)),
        ("deducted == 5", None, Band(5, True, 5, True)),
        ("5 == deducted", None, Band(5, True, 5, True)),  # == reads the same both ways
        ("deducted < 3", None, Band(None, False, 3, False)),
        ("deducted >= 6 and deducted < 9", None, Band(6, True, 9, False)),
        # a score band read as deducted: 100 - score; 60 < score <= 70 is 30 <= d < 40
        ("60 < score <= 70", 100, Band(30, True, 40, False)),
        ("score >= 90", 100, Band(None, False, 10, True)),
        ("score == 88", 100, Band(12, True, 12, True)),
        ("score > 60 and score <= 70", 100, Band(30, True, 40, False)),  # each side read
        # the tighter bound of each side wins; on the same number, the exclusive one
        ("deducted >= 6 and deducted >= 8", None, Band(8, True, None, False)),
        ("deducted >= 6 and deducted > 6", None, Band(6, False, None, False)),
        ("deducted > 6 and deducted >= 6", None, Band(6, False, None, False)),
        ("deducted <= 9 and deducted <= 7", None, Band(None, False, 7, True)),
        ("deducted <= 9 and deducted < 9", None, Band(None, False, 9, False)),
        ("deducted < 9 and deducted <= 9", None, Band(None, False, 9, False)),
    ],
)
def test_band_of(text, initial, band):
    assert band_of(parse_expr(text), initial) == band


@pytest.mark.parametrize(
    ("text", "initial"),
    [
        ("score < 60", None),  # a score band with no initial score to read it against
        ("points > 3", None),  # another name
        ("deducted + 1 > 3", None),  # not a bare name against a number
        ("deducted > 3 or deducted < 1", None),  # two intervals
        ("deducted > 3 and points > 1", None),
        ("deducted != 3", None),
        ("3 < 4", None),
        ("true", None),
    ],
)
def test_conditions_that_are_no_band(text, initial):
    assert band_of(parse_expr(text), initial) is None


@pytest.mark.parametrize(
    ("band", "unit", "first", "last"),
    [
        (Band(6, False, None, False), 1, 7, None),
        (Band(6, False, None, False), HALF, Fraction(13, 2), None),
        (Band(6, True, 9, False), HALF, 6, Fraction(17, 2)),
        (Band(6, True, 9, False), 1, 6, 8),
        (Band(6, True, 9, True), 1, 6, 9),
        (Band(None, False, 3, True), 1, 0, 3),
        (Band(-5, True, 2, True), 1, 0, 2),  # no negative total
        (Band(Fraction(5, 2), True, None, False), 1, 3, None),
        (Band(2, True, 2, False), 1, None, None),  # empty
        (Band(0, True, HALF, False), 1, 0, 0),
        (Band(-3, True, -1, True), 1, None, None),  # below zero altogether
        (Band(Fraction(1, 3), True, Fraction(2, 3), True), 1, None, None),  # no whole unit
    ],
)
def test_first_and_last_reachable_totals(band, unit, first, last):
    assert first_step(band, unit) == first
    assert last_step(band, unit) == last


BANDS = [Band(3, True, 5, True), Band(6, True, None, False)]


def test_lookup_table_lists_each_whole_total_s_band():
    assert lookup_table(BANDS, 1, 8) == [-1, -1, -1, 0, 0, 0, 1, 1, 1]
    # in half points: 0, 0.5, ..., 4
    assert lookup_table(BANDS, HALF, 4) == [-1] * 6 + [0] * 3
    # overlapping bands: the later (harsher) one
    assert lookup_table([Band(0, True, None, False), Band(5, True, None, False)], 1, 6) == [
        0,
        0,
        0,
        0,
        0,
        1,
        1,
    ]


def test_a_large_scale_is_read_as_intervals_with_the_same_answers():
    top = TABLE_STEPS + 10
    table = lookup_table(BANDS, 1, top)
    assert isinstance(table, IntervalTable)
    assert len(table) == top + 1
    assert [table[k] for k in range(9)] == [-1, -1, -1, 0, 0, 0, 1, 1, 1]
    assert table[top] == 1
    for k in (-1, top + 1):
        with pytest.raises(IndexError, match=str(k)):
            table[k]
    # in half points: 0, 0.5, ... (k / 2): 3 to 5 is band 0, 5.5 none, 6 on band 1
    halves = lookup_table(BANDS, HALF, top)
    assert isinstance(halves, IntervalTable)
    assert [halves[k] for k in range(14)] == [-1] * 6 + [0] * 5 + [-1] + [1] * 2
    # a band starting on the top itself
    last = lookup_table([Band(0, True, top - 1, True), Band(top, True, None, False)], 1, top)
    assert (last[top - 1], last[top]) == (0, 1)
    small = lookup_table(BANDS, 1, TABLE_STEPS)
    assert isinstance(small, list) and len(small) == TABLE_STEPS + 1
    # a band that ends: the interval after it is in none
    ends = lookup_table([Band(3, True, 5, True)], 1, top)
    assert [ends[k] for k in (2, 3, 5, 6, top)] == [-1, 0, 0, -1, -1]


def test_on_table_answers_only_what_the_table_holds():
    table = lookup_table(BANDS, 1, 8)
    assert on_table(table, 1, 4) == 0
    assert on_table(table, 1, 0) == -1
    assert on_table(table, 1, 8) == 1
    assert on_table(table, 1, 9) is None  # past the top: ask the tiers
    assert on_table(table, 1, -1) is None
    assert on_table(table, 1, Fraction(7, 2)) is None  # not a whole point
    assert on_table(table, 1, Fraction(4)) == 0
    assert on_table(table, 1, Fraction(0)) == -1
    assert on_table(table, 1, Fraction(9)) is None
    halves = lookup_table(BANDS, HALF, 4)
    assert on_table(halves, HALF, 3) == 0
    assert on_table(halves, HALF, Fraction(5, 2)) == -1
    assert on_table(halves, HALF, Fraction(1, 4)) is None
    assert on_table(halves, HALF, 5) is None
