"""`next_band` in evaluate's output: how far each person is from the band their next
deductions would fire. Every expected value is worked out by hand from the articles.

Jining 四: 12 points a natural year, deducted 1 (A items, 四(一)), 3 (B, 四(二)),
6 (C, 四(三)), 12 (D, 四(四)), cleared at the year's end; 五(一): 5 points interview,
6-8 suspend 3 months, 9-11 suspend 6 months, 12 terminate.
Zhanjiang 第十五条: 100 points a year, deducted 40 (A), 20 (B), 10 (C), 5 (D);
第十七条: 80 < score <= 90 interview, 70 < score <= 80 suspend 3 months,
60 < score <= 70 suspend 6 months, score <= 60 terminate.
"""

from __future__ import annotations

import csv
import io

from engine.evaluation.outlook import Outlook
from engine.report.formats import render
from tests.conftest import policy


def _f(i, person, date, items):
    return {"id": f"E{i}", "person": person, "date": date, "type": "violation", "items": items}


def _next(out: dict) -> dict:
    return {p["person"]: p["next_band"] for p in out["people"]}


def test_jining_next_band(run):
    rows = [
        _f(1, "P1", "2025-02-01", "A1"),  # 1
        _f(2, "P1", "2025-03-01", "B1"),  # 1 + 3 = 4: interview at 5, 1 away
        _f(3, "P2", "2025-03-10", "C1"),  # 6: suspend 3 months; 6 months at 9, 3 away
        _f(4, "P3", "2025-01-10", "B1"),  # 3
        _f(5, "P3", "2025-02-10", "A1"),  # 4
        _f(6, "P3", "2025-03-10", "A2"),  # 5: interview; suspend 3 months at 6, 1 away
        _f(7, "P4", "2025-04-01", "D1"),  # 12: terminated, no band can fire
        _f(8, "P5", "2024-06-01", "C1"),  # 6 in 2024; cleared: 2025 starts at 0, 5 away
        _f(9, "P6", "2025-01-05", "C1"),  # 6
        _f(10, "P6", "2025-02-05", "B2"),  # 9: suspend 6 months; terminate at 12, 3 away
        _f(11, "P8", "2025-01-05", "B1"),  # 3
        _f(12, "P8", "2025-02-05", "B2"),  # 6: suspend 3 months (5 crossed in one step)
    ]
    roster = [{"person": p, "institution": "H1"} for p in ("P1", "P7")]
    nb = _next(run("jining", rows, roster))
    assert nb["P1"] == {"tier": "interview", "points_away": 1}
    assert nb["P2"] == {"tier": "suspend-6m", "points_away": 3}
    assert nb["P3"] == {"tier": "suspend-3m", "points_away": 1}
    assert nb["P4"] is None
    assert nb["P5"] == {"tier": "interview", "points_away": 5}
    assert nb["P6"] == {"tier": "terminate", "points_away": 3}
    assert nb["P7"] == {"tier": "interview", "points_away": 5}  # on the roster, no finding
    # the interview band was passed over in one step and can no longer fire (五(一) as
    # the design reads it: a band fires only when entered, never after a harsher one)
    assert nb["P8"] == {"tier": "suspend-6m", "points_away": 3}


def test_jining_next_band_on_the_as_of_date(run):
    # the same 4 points, asked about in 2026: a new natural year, nothing deducted yet
    rows = [_f(1, "P1", "2025-02-01", "A1"), _f(2, "P1", "2025-03-01", "B1")]
    nb = _next(run("jining", rows, as_of="2026-01-01"))
    assert nb["P1"] == {"tier": "interview", "points_away": 5}


def test_zhanjiang_next_band(run):
    rows = [
        _f(1, "Z1", "2023-02-01", "D2"),  # 5: score 95; interview at 90, 5 away
        _f(2, "Z2", "2023-02-01", "C1"),  # 10: score 90, interview; 3 months at 80, 10 away
        _f(3, "Z3", "2023-02-01", "B1"),  # 20: score 80, suspend 3 months; 6 months at 70
        _f(4, "Z4", "2023-02-01", "A1"),  # 40: score 60, terminated
        _f(5, "Z5", "2023-02-01", "C1"),  # 10
        _f(6, "Z5", "2023-03-01", "D1"),  # 15: score 85; suspend 3 months at 80, 5 away
    ]
    nb = _next(run("zhanjiang", rows, as_of="2023-12-31"))
    assert nb["Z1"] == {"tier": "interview", "points_away": 5}
    assert nb["Z2"] == {"tier": "suspend-3m", "points_away": 10}
    assert nb["Z3"] == {"tier": "suspend-6m", "points_away": 10}
    assert nb["Z4"] is None
    assert nb["Z5"] == {"tier": "suspend-3m", "points_away": 5}


def test_the_same_in_every_format(run):
    rows = [_f(1, "P1", "2025-02-01", "A1"), _f(2, "P1", "2025-03-01", "B1")]
    out = run("jining", rows)
    assert out["people"][0]["next_band"] == {"tier": "interview", "points_away": 1}
    outcome = run.last
    table = list(csv.DictReader(io.StringIO("".join(render(outcome, "csv")))))
    assert [(r["next_band"], r["next_band_points_away"]) for r in table] == [("interview", "1")]
    line = "".join(render(outcome, "jsonl")).splitlines()[0]
    assert '"next_band": {"tier": "interview", "points_away": 1}' in line


def test_outlook_bands_read_from_the_tiers():
    """The least total inside each band, as 五(一) and 第十七条 state them."""
    import datetime as dt

    jn = Outlook(policy("jining"), dt.date(2025, 12, 31))
    assert [(t.id, s) for _, t, s in jn.steps] == [
        ("interview", 5),
        ("suspend-3m", 6),
        ("suspend-6m", 9),
        ("terminate", 12),
    ]
    zj = Outlook(policy("zhanjiang"), dt.date(2023, 12, 31))
    # score <= 90 is 10 deducted, <= 80 is 20, <= 70 is 30, <= 60 is 40
    assert [(t.id, s) for _, t, s in zj.steps] == [
        ("interview", 10),
        ("suspend-3m", 20),
        ("suspend-6m", 30),
        ("terminate", 40),
    ]
