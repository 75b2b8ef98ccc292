"""`policyctl screen`: claim lines against the sanctions, from the articles.

Each case writes a small ledger and a few claim lines, evaluates, and screens on
DuckDB; the expected verdicts are worked out from the articles (named in each
test), not copied from the program. Every case also runs each line through the
closure interpreter (`screen/judge.py`) with the status the intervals give on
its date, and the two must agree.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import cli
from engine.evaluation.intervals import RANK
from engine.policy import scopes
from engine.screen.judge import FIRES, judge
from tests.conftest import POLICIES, policy, write_csv

# the claims files' header: the standard columns, and one no rule may read
CLAIM_COLUMNS = [*scopes.CLAIM_COLUMNS, "patient_id"]


def status_on(intervals, person, institution, date):
    """The status on a date as the screen's join decides it (for the interpreter)."""
    if not person or not date:
        return "active", None
    d = dt.date.fromisoformat(date)
    own = [
        iv
        for iv in intervals
        if iv.person == person
        and iv.scope == "person"
        and iv.start <= d
        and (iv.end is None or d <= iv.end)
    ]
    site = [
        iv
        for iv in intervals
        if iv.person == person
        and iv.scope == "institution"
        and iv.institution == institution
        and iv.start <= d
        and (iv.end is None or d <= iv.end)
    ]
    assert len(own) <= 1 and len(site) <= 1, "intervals overlap"
    best = own[0] if own else None
    if site and (best is None or RANK[site[0].status] > RANK[best.status]):
        best = site[0]
    if best is None:
        return "active", None
    return best.status, {
        "action": best.action,
        "start": best.start,
        "end": best.end,
        "cite": best.cite,
        "source": best.source,
        "scope": best.scope,
        "institution": best.institution,
    }


def screen(tmp_path: Path, name: str, events, claims, roster=None, as_of="2026-12-31", **kw):
    """Screen on DuckDB; return {claim_id: sorted rule ids} and check the interpreter."""
    ev = write_csv(tmp_path / "events.csv", events)
    ro = None
    if roster is not None:
        ro = write_csv(tmp_path / "roster.csv", roster, ["person", "institution"])
    cl = write_csv(tmp_path / "claims.csv", claims, CLAIM_COLUMNS)
    pol = str(POLICIES / f"{name}.yaml")
    day = dt.date.fromisoformat(as_of)
    result = api.screen_files(pol, str(ev), str(cl), ro and str(ro), day, **kw)
    got: dict[str, list[str]] = {}
    for row in result.lines.to_pylist():
        got.setdefault(row["claim_id"], []).append(row["rule"])
    intervals = api.intervals_files(pol, str(ev), ro and str(ro), day)
    p = policy(name)
    for line in claims:
        cells = {k: (v if v != "" else None) for k, v in line.items()}
        if cells.get("mobility_limited") is not None:
            cells["mobility_limited"] = cells["mobility_limited"] == "true"
        status, sanction = status_on(
            intervals, cells.get("person"), cells.get("institution"), cells.get("date")
        )
        verdicts = judge(p, cells, status, sanction)
        fired = sorted(r for r, v in verdicts.items() if v == FIRES)
        assert fired == sorted(got.get(line["claim_id"], [])), line["claim_id"]
    return {k: sorted(v) for k, v in got.items()}, result


def claim(cid, person, date, visit="outpatient", institution="H1", amount="100.00", **kw):
    return {
        "claim_id": cid,
        "person": person,
        "institution": institution,
        "date": date,
        "amount": amount,
        "visit": visit,
        "patient_id": "110101199001011234",
        **kw,
    }


# a ledger cannot be empty: a 5-point finding of someone else's
def finding(eid, person, date, items):
    return {"id": eid, "person": person, "date": date, "type": "violation", "items": items}


QUIET = [finding("Q1", "P9", "2022-01-05", "D4")]

REFUSE_JN = "refuse-suspended-terminated"
REFUSE_ZJ = "refuse-not-qualified"


# ---- Jining 五(二): 被中止或解除服务协议的...医保基金不予支付 (急诊、抢救除外) --------
def test_jining_suspension_refuses_lines_inside_it_but_not_emergency_or_rescue(tmp_path):
    # 四(三)1 deducts 6 points (C1) on 2025-03-10: 五(一) 累计扣分６－８分, 中止服务协议３个月,
    # from 2025-03-10 to 2025-06-09 (docs/semantics.md: D + 3 months - 1 day)
    events = [finding("E1", "P1", "2025-03-10", "C1")]
    claims = [
        claim("before", "P1", "2025-03-09"),
        claim("first-day", "P1", "2025-03-10"),
        claim("last-day", "P1", "2025-06-09"),
        claim("after", "P1", "2025-06-10"),  # 期满后自动恢复
        claim("inpatient", "P1", "2025-04-01", visit="inpatient"),
        claim("emergency", "P1", "2025-04-01", visit="emergency"),  # 急诊除外
        claim("rescue", "P1", "2025-04-01", visit="rescue"),  # 抢救除外
        claim("no-visit", "P1", "2025-04-01", visit=""),  # no exception shown
        claim("other-doctor", "P2", "2025-04-01"),
    ]
    got, result = screen(tmp_path, "jining", events, claims)
    assert got == {
        "first-day": [REFUSE_JN],
        "last-day": [REFUSE_JN],
        "inpatient": [REFUSE_JN],
        "no-visit": [REFUSE_JN],
    }
    rows = {r["claim_id"]: r for r in result.lines.to_pylist()}
    assert rows["first-day"]["cite"] == "五(二)"
    assert rows["first-day"]["then"] == "refuse"
    assert rows["first-day"]["sanction_cite"] == "五(一)"
    assert rows["first-day"]["status"] == "suspended"
    assert str(rows["first-day"]["at_stake"]) == "100.00"


def test_jining_termination_refuses_every_later_line(tmp_path):
    # 四(四)1 deducts 12 points: 五(一) 累计扣分１２分 解除服务协议, open-ended
    events = [finding("E1", "P1", "2025-01-20", "D1")]
    claims = [
        claim("day-before", "P1", "2025-01-19"),
        claim("same-day", "P1", "2025-01-20"),
        claim("next-year", "P1", "2026-07-01", amount="2500.50"),
        claim("rescue", "P1", "2026-07-01", visit="rescue"),
    ]
    got, result = screen(tmp_path, "jining", events, claims)
    assert got == {"same-day": [REFUSE_JN], "next-year": [REFUSE_JN]}
    inst = result.institutions.to_pylist()
    assert inst == [
        {
            "institution": "H1",
            "lines": 2,
            "refused_lines": 2,
            "refused_amount": pytest.approx(inst[0]["refused_amount"]),
            "flagged_lines": 0,
            "flagged_amount": inst[0]["flagged_amount"],
            "practitioners": 1,
        }
    ]
    assert str(inst[0]["refused_amount"]) == "2600.50"  # 100.00 + 2500.50, 不得转嫁于参保人员


def test_jining_institution_suspension_refuses_claims_at_that_institution_only(tmp_path):
    # 三(四): 定点医药机构被中止...其医保支付资格相关人员服务协议同时中止 (at that institution)
    roster = [{"person": "P1", "institution": "H1"}, {"person": "P1", "institution": "H2"}]
    events = [
        {
            "id": "I1",
            "person": "",
            "date": "2025-02-01",
            "type": "institution_suspended",
            "institution": "H1",
            "end": "2025-04-30",
        }
    ]
    claims = [
        claim("at-h1", "P1", "2025-03-01", institution="H1"),
        claim("at-h2", "P1", "2025-03-01", institution="H2"),
        claim("h1-after", "P1", "2025-05-01", institution="H1"),
    ]
    got, _ = screen(tmp_path, "jining", events, claims, roster=roster)
    assert got == {"at-h1": [REFUSE_JN]}


# ---- Zhanjiang 第四条 and 第二十条 -------------------------------------------------------
def test_zhanjiang_suspended_and_awaiting_reapplication_refused_until_reinstated(tmp_path):
    # 第十五条(二)1 deducts 20 points: score 80, 第十七条 70 < 分值 <= 80 暂停 3 个月,
    # 2022-05-10 .. 2022-08-09; 第二十条 待暂停期满后可重新申请: not qualified until the
    # re-application of 2022-09-01 is accepted (第四条 拒付不具备医保医师资格...)
    events = [
        {"id": "E1", "person": "P1", "date": "2022-05-10", "type": "violation", "items": "B1"},
        {"id": "R1", "person": "P1", "date": "2022-09-01", "type": "reapply"},
    ]
    claims = [
        claim("suspended", "P1", "2022-06-01"),
        claim("awaiting", "P1", "2022-08-10"),
        claim("awaiting-last", "P1", "2022-08-31"),
        claim("back", "P1", "2022-09-01"),
        claim("emergency", "P1", "2022-06-01", visit="emergency"),  # 除急诊
        claim("rescue", "P1", "2022-06-01", visit="rescue"),  # 除急救
    ]
    got, result = screen(tmp_path, "zhanjiang", events, claims, as_of="2023-12-31")
    assert got == {
        "suspended": [REFUSE_ZJ],
        "awaiting": [REFUSE_ZJ],
        "awaiting-last": [REFUSE_ZJ],
    }
    rows = {r["claim_id"]: r for r in result.lines.to_pylist()}
    assert rows["awaiting"]["status"] == "awaiting_reapplication"
    assert rows["awaiting"]["sanction_cite"] == "第二十条"
    assert rows["suspended"]["cite"] == "第四条"


# ---- Zhanjiang 第六条(六): day supply, 不超过 includes the number ------------------------
@pytest.mark.parametrize(
    ("condition", "mobility", "days", "rule"),
    [
        ("acute", "false", "3", None),  # 1. 急性疾病不超过 3 天量
        ("acute", "false", "3.5", "acute-over-3-days"),
        ("acute", "false", "4", "acute-over-3-days"),
        ("chronic", "false", "7", None),  # 2. 慢性疾病不超过 7 天量
        ("chronic", "", "8", "chronic-over-7-days"),  # empty mobility: not limited
        ("chronic", "true", "14", None),  # 3. 行动不便者不超过两周量
        ("chronic", "true", "15", "mobility-over-14-days"),
        ("acute", "true", "10", None),  # 行动不便者: its own category, two weeks
        ("", "true", "15", "mobility-over-14-days"),
        ("", "false", "30", None),  # no condition given: neither 1 nor 2 applies
    ],
)
def test_zhanjiang_outpatient_day_supply_limits(tmp_path, condition, mobility, days, rule):
    line = claim(
        "L", "P1", "2022-03-01", days_supply=days, condition=condition, mobility_limited=mobility
    )
    got, result = screen(tmp_path, "zhanjiang", QUIET, [line], as_of="2023-12-31")
    assert got == ({"L": [rule]} if rule else {})
    if rule:
        (row,) = result.lines.to_pylist()
        assert row["then"] == "flag"
        assert row["cite"].startswith("第六条(六)")


def test_zhanjiang_day_supply_is_for_outpatient_prescriptions_only(tmp_path):
    lines = [
        claim("in", "P1", "2022-03-01", visit="inpatient", days_supply="30", condition="acute"),
        claim("em", "P1", "2022-03-01", visit="emergency", days_supply="5", condition="acute"),
    ]
    got, _ = screen(tmp_path, "zhanjiang", QUIET, lines, as_of="2023-12-31")
    assert got == {}


def test_undecided_line_is_counted_not_refused(tmp_path):
    # an outpatient acute line with no days_supply: the rule cannot be decided
    lines = [claim("L", "P1", "2022-03-01", condition="acute", mobility_limited="false")]
    got, result = screen(tmp_path, "zhanjiang", QUIET, lines, as_of="2023-12-31")
    assert got == {}
    assert result.undecided["acute-over-3-days"] == 1
    assert result.undecided["chronic-over-7-days"] == 0


# ---- the command -------------------------------------------------------------------------
def _files(tmp_path):
    events = [finding("E1", "P1", "2025-03-10", "C1")]
    ev = write_csv(tmp_path / "events.csv", events)
    cl = write_csv(
        tmp_path / "claims.csv",
        [claim("A", "P1", "2025-04-01"), claim("B", "P1", "2025-07-01")],
        CLAIM_COLUMNS,
    )
    return str(ev), str(cl)


def _screen_cli(ev: str, claims: str, *options: str):
    """`policyctl screen` under Jining's policy, with further options."""
    jining = str(POLICIES / "jining.yaml")
    args = ["screen", "--policy", jining, "--events", ev, "--claims", str(claims), *options]
    return CliRunner().invoke(cli, args)


def test_cli_screen_json_and_summary(tmp_path):
    ev, cl = _files(tmp_path)
    r = _screen_cli(ev, cl, "--as-of", "2025-12-31")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert [x["claim_id"] for x in doc["lines"]] == ["A"]
    assert doc["rules"][0]["lines"] == 1
    assert "1 refused" in r.stderr
    assert "110101199001011234" not in r.stdout  # no patient identity in the output


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
def test_cli_screen_files(tmp_path, fmt):
    ev, cl = _files(tmp_path)
    out = tmp_path / f"out.{fmt}"
    r = _screen_cli(ev, cl, "--as-of", "2025-12-31", "--format", fmt, "--output", str(out))
    assert r.exit_code == 0, r.output
    assert out.is_file()
    if fmt == "parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(out)["claim_id"].to_pylist() == ["A"]
        assert pq.read_table(tmp_path / "out.institutions.parquet").num_rows == 1
    if fmt == "csv":
        assert (tmp_path / "out.rules.csv").is_file()
        assert '"A"' in out.read_text("utf-8")


def test_cli_screen_missing_column_is_one_line_error(tmp_path):
    ev, _ = _files(tmp_path)
    cl = write_csv(
        tmp_path / "bad.csv",
        [{"claim_id": "A", "person": "P1", "date": "2025-04-01", "amount": "1"}],
        ["claim_id", "person", "date", "amount"],
    )
    r = _screen_cli(ev, cl)
    assert r.exit_code == 1
    assert "no column `institution`" in r.stderr
    assert "no column `visit`" in r.stderr
    assert "Traceback" not in r.output


def test_cli_screen_bad_date_is_an_error_not_a_wrong_answer(tmp_path):
    """The engine's own conversion error named one value in English, without its
    column (a Parquet file: without its row): each value that does not fit is named
    at its line and column, in the ledger's codes."""
    ev, _ = _files(tmp_path)
    cl = write_csv(
        tmp_path / "bad.csv",
        [
            claim("A", "P1", "2025-04-01"),
            claim("B", "P1", "01/04/2025"),
            claim("C", "P1", "2025-04-02", amount="12,000.00"),
            claim("D", "P1", "2025-04-02", days_supply="three"),
        ],
        CLAIM_COLUMNS,
    )
    r = _screen_cli(ev, str(cl))
    assert r.exit_code == 1
    assert r.stderr.splitlines()[:2] == [
        f"{cl}:3: error[date]: column `date`: `01/04/2025` is not a date "
        "(hint: write dates as YYYY-MM-DD, e.g. 2025-04-01)",
        f"{cl}:4: error[amount]: column `amount`: `12,000.00` is not an amount (hint: an "
        "amount in yuan, below 10^16, without thousands separators, e.g. 1234.50)",
    ]
    # days_supply is not read by Jining's rules: not cast, not reported
    assert len(r.stderr.splitlines()) == 2
    assert r.stdout == ""


def test_cli_screen_bad_values_in_parquet_named_by_row_and_listed_up_to_50(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    ev, _ = _files(tmp_path)
    n = 70
    cl = tmp_path / "claims.parquet"
    pq.write_table(
        pa.table(
            {
                "claim_id": [f"C{i}" for i in range(n)],
                "person": ["P1"] * n,
                "institution": ["H1"] * n,
                "date": ["2025-04-01"] * 10 + ["2025-02-30"] * (n - 10),
                "amount": ["1.00"] * n,
                "visit": ["outpatient"] * n,
            }
        ),
        cl,
    )
    r = _screen_cli(ev, str(cl))
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert lines[0].startswith(f"{cl}: error[date]: row 11: column `date`: `2025-02-30` is not")
    assert len(lines) == 51 and "error[limit]" in lines[-1]


@pytest.mark.parametrize("content", [b"", b"\n  \r\n", b"\xef\xbb\xbf"])
def test_cli_screen_empty_claims_is_one_error(tmp_path, content):
    """An empty file gave one error per column the screen reads (six for Jining)."""
    ev, _ = _files(tmp_path)
    cl = tmp_path / "empty.csv"
    cl.write_bytes(content)
    r = _screen_cli(ev, str(cl))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        f"{cl}: error[empty]: claims `{cl}` is empty: no header and no lines (hint: export "
        "the claim lines with a header row: claim_id, person, institution, date, amount, "
        "and the columns the rules read)"
    ]


def test_cli_screen_empty_parquet_in_a_folder_is_named(tmp_path):
    ev, cl = _files(tmp_path)
    folder = tmp_path / "claims"
    folder.mkdir()
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    pq.write_table(pacsv.read_csv(cl), folder / "a.parquet")
    (folder / "b.parquet").write_bytes(b"")
    r = _screen_cli(ev, str(folder))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        line for line in r.stderr.splitlines() if f"{folder / 'b.parquet'}: error[empty]" in line
    ]
    assert len(r.stderr.splitlines()) == 1


def test_cli_screen_parquet_needs_output(tmp_path):
    ev, cl = _files(tmp_path)
    r = _screen_cli(ev, cl, "--format", "parquet")
    assert r.exit_code == 2


def test_evaluate_format_intervals_csv_and_parquet(tmp_path):
    ev, _ = _files(tmp_path)
    args = ["evaluate", "--policy", str(POLICIES / "jining.yaml"), "--events", ev]
    r = CliRunner().invoke(cli, [*args, "--as-of", "2025-12-31", "--format", "intervals"])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines() == [
        "person,scope,institution,status,action,start,end,cite,source",
        "P1,person,,suspended,suspend,2025-03-10,2025-06-09,五(一),tier:suspend-3m",
    ]
    out = tmp_path / "iv.parquet"
    r = CliRunner().invoke(
        cli, [*args, "--as-of", "2025-12-31", "--format", "intervals", "--output", str(out)]
    )
    assert r.exit_code == 0, r.output
    import pyarrow.parquet as pq

    t = pq.read_table(out)
    assert t["end"].to_pylist() == [dt.date(2025, 6, 9)]


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_line_without_date_or_person_cannot_be_decided_by_a_status_rule(tmp_path, kind):
    # the status on "no date" is unknown: the line is counted as undecided, not paid
    # or refused in silence (the gated plan keeps such lines apart from the join).
    # In Parquet they are looked for one column at a time (plan._unknown), so that the
    # reader skips the row groups without an empty cell (the first two here): the
    # lines of the last group are still found, and a line with neither counted once
    import pyarrow as pa
    import pyarrow.parquet as pq

    ev = write_csv(tmp_path / "events.csv", [finding("E1", "P1", "2025-03-10", "C1")])
    lines = [
        claim("in", "P1", "2025-04-01"),  # inside the 3-month suspension: refused
        claim("after", "P1", "2025-07-01"),
        claim("ok", "P2", "2025-04-01"),
        claim("emergency", "P1", "2025-04-02", visit="emergency"),
        claim("no-date", "P1", ""),
        claim("no-person", "", "2025-04-01"),
        claim("neither", "", ""),
    ]
    if kind == "csv":
        cl = write_csv(tmp_path / "claims.csv", lines, CLAIM_COLUMNS)
    else:
        cl = tmp_path / "claims.parquet"
        cols = {k: [line[k] or None for line in lines] for k in lines[0]}
        table = pa.table({**cols, "date": pa.array(cols["date"]).cast(pa.date32())})
        pq.write_table(table, cl, row_group_size=2)
    result = api.screen_files(
        str(POLICIES / "jining.yaml"), str(ev), str(cl), None, dt.date(2025, 12, 31)
    )
    assert result.lines["claim_id"].to_pylist() == ["in"]
    assert result.undecided == {REFUSE_JN: 3}


@pytest.mark.parametrize(
    ("when", "code", "column"),
    [
        ('status in ["suspended"] and date + 2 working days > date', "sql", 46),
        ('count([1], x -> x > 0) > 0 and visit == "outpatient"', "sql", 11),
        ('statu == "suspended"', "name", 11),
    ],
)
def test_validate_names_a_claims_rule_that_cannot_compile(tmp_path, when, code, column):
    import shutil

    shutil.copytree(POLICIES / "sources", tmp_path / "sources")
    text = (POLICIES / "jining.yaml").read_text("utf-8")
    old = 'when: status in ["suspended", "terminated"] and visit not in ["emergency", "rescue"]'
    assert old in text
    bad = tmp_path / "jining.yaml"
    bad.write_text(text.replace(old, f"when: {when}"), "utf-8")
    line = text[: text.index(old)].count("\n") + 1
    r = CliRunner().invoke(cli, ["validate", str(bad)])
    assert r.exit_code == 1
    assert f"jining.yaml:{line}:{column}: error[{code}]" in r.stderr, r.stderr


def test_validate_checks_a_claims_rule_quote_against_the_source(tmp_path):
    import shutil

    shutil.copytree(POLICIES / "sources", tmp_path / "sources")
    text = (POLICIES / "zhanjiang.yaml").read_text("utf-8")
    bad = tmp_path / "zhanjiang.yaml"
    misquoted = text.replace("text: 慢性疾病不超过 7 天量", "text: 慢性疾病不超过 8 天量")
    bad.write_text(misquoted, "utf-8")
    r = CliRunner().invoke(cli, ["validate", str(bad)])
    assert r.exit_code == 1
    assert "error[provenance]: the text of claims rule `chronic-over-7-days`" in r.stderr


def test_diff_reports_a_changed_claims_rule(tmp_path):
    # a claims rule edited (3 days -> 4 days) is a change `diff` shows, not "no changes"
    import shutil

    shutil.copytree(POLICIES / "sources", tmp_path / "sources")
    text = (POLICIES / "zhanjiang.yaml").read_text("utf-8")
    new = tmp_path / "zhanjiang.yaml"
    changed = text.replace("days_supply > 3", "days_supply > 4")
    assert changed != text
    new.write_text(changed, "utf-8")
    r = CliRunner().invoke(
        cli, ["diff", str(POLICIES / "zhanjiang.yaml"), str(new), "--format", "json"]
    )
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    changes = [c for c in doc["changes"] if c["section"] == "claims"]
    assert [(c["element"], c["field"]) for c in changes] == [("acute-over-3-days", "when")]
