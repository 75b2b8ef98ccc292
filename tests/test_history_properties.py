"""Invariants of evaluation across a regulation's history (issue 14 §1), checked with
hypothesis: a history of one version is that version; lenity never scores an act
more heavily than the rule in force when it occurred; a ledger has no order within
a day across versions either.

The expected points of a finding under the test county's two texts are worked from
its tables (tests/test_history.py's docstring, fixtures/history/county) and
《行政处罚法》第三十七条, not read off the program.
"""

from __future__ import annotations

import datetime as dt
import json
import random

from conftest import policy, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_history import COUNTY
from test_properties import J_CODES, Z_CODES

from engine.evaluation.run import evaluate
from engine.ledger.read import read_ledger
from engine.policy.versions import History, load_policies
from engine.report.formats import CSV_COLUMNS, render

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
PEOPLE = ["P1", "P2", "P3"]


def _rows(codes, first: dt.date, days: int, max_size: int = 20):
    """Findings with an act date (`occurred`) up to 400 days before the decision, or
    none (then the act is of the decision's date)."""

    def row(d, back, items, person, amount):
        r = {"person": person, "date": str(d), "items": "|".join(items), "amount": amount}
        if back is not None:
            r["occurred"] = str(d - dt.timedelta(days=back))
        return r

    return st.lists(
        st.builds(
            row,
            st.integers(0, days - 1).map(lambda n: first + dt.timedelta(days=n)),
            st.one_of(st.none(), st.integers(0, 400)),
            st.lists(st.sampled_from(codes), min_size=1, max_size=2, unique=True),
            st.sampled_from(PEOPLE),
            st.sampled_from(["500", "2000", "15000", "40000"]),
        ),
        min_size=1,
        max_size=max_size,
    ).map(lambda rows: [{**r, "id": f"E{n}"} for n, r in enumerate(rows)])


def _outcome(tmp_path, pol, rows, as_of: dt.date):
    path = write_csv(tmp_path / "events.csv", rows)
    return evaluate(pol, read_ledger(str(path), pol), as_of)


def _text(outcome, fmt: str) -> str:
    return "".join(render(outcome, fmt))


# ---- a history of one version is that version ---------------------------------------------


@SETTINGS
@given(data=st.data())
def test_a_history_of_one_version_gives_the_policys_answer(tmp_path, data):
    """The same ledger under a shipped policy and under the history whose only version
    it is: the same report, byte for byte, once the keys only a history has are set
    aside (the header's `versions`, each person's `versions` and `findings`, the CSV's
    last two columns); and every finding is scored `in_force` by that version, with
    the points the policy gives it."""
    name, codes = data.draw(st.sampled_from([("jining", J_CODES), ("zhanjiang", Z_CODES)]))
    pol = policy(name)
    rows = data.draw(_rows(codes, dt.date(2023, 1, 1), 3 * 365), label="rows")
    as_of = dt.date(2025, 12, 31)
    one = _outcome(tmp_path, pol, rows, as_of)
    hist = _outcome(tmp_path, History((pol,)), rows, as_of)

    plain = json.loads(_text(one, "json"))
    seen = json.loads(_text(hist, "json"))
    assert seen["policy"].pop("versions") == [
        {"version": pol.version, "from": pol.effective_from, "to": pol.effective_to}
    ]
    for p in seen["people"]:
        findings = p.pop("findings")
        versions = p.pop("versions")
        assert versions == ([pol.version] if findings else versions)
        assert {(f["version"], f["basis"]) for f in findings} <= {(pol.version, "in_force")}
    assert seen == plain
    scored = json.loads(_text(hist, "json"))["people"]
    assert {f["event"] for p in scored for f in p["findings"]} == {r["id"] for r in rows}

    a = _text(one, "csv").splitlines()
    b = _text(hist, "csv").splitlines()
    assert len(a) == len(b)
    n = len(CSV_COLUMNS)
    assert [_cells(line)[:n] for line in b] == [_cells(line) for line in a]


def _cells(line: str) -> list[str]:
    import csv

    return next(csv.reader([line]))


# ---- 从旧兼从轻: never heavier than the old rule ---------------------------------------------

OLD = {"K1": 3, "K2": 6, "K3": 2}  # the 2023 text, 第二条 (in force to 2023-06-30)
NEW = {"K1": 1, "K2": 6, "K3": 4, "K4": 1}  # the 2023-07 text, 第二条 (from 2023-07-01)
CHANGE = dt.date(2023, 7, 1)


def _expected(row: dict) -> tuple[str, int | None, str]:
    """A finding's (version, points, basis) worked from the two tables and art. 37, with
    `combine.same_act: highest` (第二条: one act with several items counts its heaviest)."""
    decided = dt.date.fromisoformat(row["date"])
    act = dt.date.fromisoformat(row.get("occurred") or row["date"])
    items = row["items"].split("|")
    if (act < CHANGE) == (decided < CHANGE):  # one text in force at the act and the decision
        table, version = (OLD, "2023") if act < CHANGE else (NEW, "2023-07")
        return version, max(table[c] for c in items), "in_force"
    old = [OLD[c] for c in items if c in OLD]
    if not old:  # 虚记、多记 (K4) alone, done before the 2023-07 text counted it
        return "2023", None, "not_counted_then"
    new = max(NEW[c] for c in items)
    if new < max(old):
        return "2023-07", new, "lighter"
    return "2023", max(old), "old_rule"


def _county_rows(max_size: int = 20):
    """Findings decided from 2023-01-01 to 2024-06-30 whose act lies in 2023 or later;
    K4 only where the decision's text has it (the reader refuses it otherwise)."""

    def fix(r: dict) -> dict:
        d = dt.date.fromisoformat(r["date"])
        items = [c for c in r["items"].split("|") if c != "K4" or d >= CHANGE] or ["K1"]
        r = {**r, "items": "|".join(items)}
        if "occurred" in r and r["occurred"] < "2023-01-01":
            r["occurred"] = "2023-01-01"
        return r

    return _rows(["K1", "K2", "K3", "K4"], dt.date(2023, 1, 1), 547, max_size).map(
        lambda rows: [fix(r) for r in rows]
    )


@SETTINGS
@given(rows=_county_rows())
def test_lenity_never_scores_more_than_the_old_rule(tmp_path, rows):
    """Each finding is scored as art. 37 says (worked from the tables): by the version in
    force when the act occurred unless the decision's is lighter; so never more points
    than the act's own rule gives it. And no cycle's total exceeds what the old rules
    alone would have counted (each finding at its act's version's points, capped at
    the 12 of 第一条)."""
    h = load_policies(COUNTY)
    out = json.loads(_text(_outcome(tmp_path, h, rows, dt.date(2024, 12, 31)), "json"))
    by_id = {r["id"]: r for r in rows}
    old_total: dict[tuple[str, str], int] = {}
    for p in out["people"]:
        for f in p["findings"]:
            row = by_id[f["event"]]
            version, points, basis = _expected(row)
            assert (f["version"], f["points"], f["basis"]) == (version, points, basis), row
            act = dt.date.fromisoformat(row.get("occurred") or row["date"])
            table = OLD if act < CHANGE else NEW
            under_act = [table[c] for c in row["items"].split("|") if c in table]
            if under_act:
                assert f["points"] is not None and f["points"] <= max(under_act)
            key = (p["person"], row["date"][:4])
            old_total[key] = old_total.get(key, 0) + (max(under_act) if under_act else 0)
        for c in p["cycles"]:
            assert c["deducted"] <= min(12, old_total.get((p["person"], c["period"]), 0))


# ---- a ledger has no order within a day, across versions too ------------------------------

AROUND = [dt.date(2023, 6, 30), CHANGE, dt.date(2023, 8, 1), dt.date(2024, 1, 1)]


@SETTINGS
@given(data=st.data(), seed=st.integers(0, 10**6))
def test_any_permutation_of_a_historys_rows_gives_the_same_output(tmp_path, data, seed):
    """Shuffling the rows of a ledger read across the county's two texts, same-day
    findings on either side of the change included, gives byte-identical JSON and CSV."""
    h = load_policies(COUNTY)

    def on(r: dict) -> dict:
        d = data.draw(st.sampled_from(AROUND))
        r = {**r, "date": str(d)}
        if "occurred" in r:
            r["occurred"] = str(max(d - dt.timedelta(days=40), dt.date(2023, 1, 1)))
        items = [c for c in r["items"].split("|") if c != "K4" or d >= CHANGE] or ["K2"]
        return {**r, "items": "|".join(items)}

    rows = [on(r) for r in data.draw(_county_rows(25), label="rows")]
    shuffled = list(rows)
    random.Random(seed).shuffle(shuffled)
    as_of = dt.date(2024, 6, 30)
    for fmt in ("json", "csv"):
        a = _text(_outcome(tmp_path, h, rows, as_of), fmt)
        b = _text(_outcome(tmp_path, h, shuffled, as_of), fmt)
        assert a == b, fmt
