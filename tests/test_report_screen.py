"""`policyctl report --claims`: the screen's summary as a section of the HTML report
(issue 18: "a summary per institution ... and per rule, also in policyctl report").

Worked from Jining's notice: C1 (四(三)1, 6 points) on 2025-03-10 enters 五(一)'s
6-8 band, a 3-month suspension from 2025-03-10 to 2025-06-09; 五(二): the fund
does not pay for a suspended practitioner's services, emergency and rescue
excepted. So of P1's lines at H1, 2025-04-01 (outpatient, 100.00) is refused,
2025-04-02 (emergency, 50.00) and 2025-07-01 (after the suspension) are paid, and
P2's line is paid (P2 has no sanction).
"""

from __future__ import annotations

import datetime as dt
import json
import re

from click.testing import CliRunner

from engine import api
from engine.cli import cli
from tests.conftest import POLICIES, write_csv
from tests.test_screen import CLAIM_COLUMNS, REFUSE_JN, claim, finding


def _inputs(tmp_path):
    events = write_csv(tmp_path / "events.csv", [finding("E1", "P1", "2025-03-10", "C1")])
    claims = write_csv(
        tmp_path / "claims.csv",
        [
            claim("A", "P1", "2025-04-01"),
            claim("B", "P1", "2025-04-02", visit="emergency", amount="50.00"),
            claim("C", "P1", "2025-07-01"),
            claim("D", "P2", "2025-04-01", institution="H2"),
        ],
        CLAIM_COLUMNS,
    )
    return str(POLICIES / "jining.yaml"), str(events), str(claims)


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="policyctl-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


def test_the_report_carries_the_screens_totals_rules_and_institutions(tmp_path):
    policy, events, claims = _inputs(tmp_path)
    _, page, data, _ = api.html_report_files(
        policy, events, None, dt.date(2025, 12, 31), lang="en", claims=claims, embed_font=False
    )
    s = data["screen"]
    assert (s["lines"], s["refused_lines"], s["refused_amount"]) == (1, 1, 100)
    assert (s["flagged_lines"], s["institutions_total"], s["engine"]) == (0, 1, "duckdb")
    assert s["institutions"] == [
        {
            "institution": "H1",
            "lines": 1,
            "refused_lines": 1,
            "refused_amount": 100,
            "flagged_lines": 0,
            "flagged_amount": 0,
            "practitioners": 1,
        }
    ]
    (rule,) = [r for r in s["rules"] if r["rule"] == REFUSE_JN]
    assert (rule["then"], rule["lines"], rule["amount"], rule["cite"]) == (
        "refuse",
        1,
        100,
        "五(二)",
    )
    assert _data(page)["screen"] == s  # embedded as drawn
    section = page[page.index('<section id="screen">') :]
    section = section[: section.index("</section>")]
    assert "Claims screened against the sanctions" in section and "claims.csv" in section
    assert "100.00" in section and "H1" in section and REFUSE_JN in section
    assert str(tmp_path) not in page  # the claims file by its name, not the path


def test_the_section_is_in_chinese_and_absent_without_claims(tmp_path):
    policy, events, claims = _inputs(tmp_path)
    out = tmp_path / "r.html"
    args = ["report", "--policy", policy, "--events", events, "--as-of", "2025-12-31"]
    res = CliRunner().invoke(cli, ["--lang", "zh", *args, "--claims", claims, "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text("utf-8")
    assert '<section id="screen"><h2>医保结算明细核查</h2>' in page and "拒付" in page

    res = CliRunner().invoke(cli, ["--lang", "zh", *args, "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text("utf-8")
    assert 'id="screen"' not in page and "screen" not in _data(page)
