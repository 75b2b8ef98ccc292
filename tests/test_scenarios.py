"""`policyctl test`: the scenario runner itself (docs/testing.md).

Test files are written to a temporary directory, so none of them is collected
by the pytest plugin as a suite of its own. Expected values in the cases are
Jining's (五(一): 6 points suspend for 3 months; 2024-04-01 to 2024-06-30).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.testing.coverage import measure
from engine.testing.scenarios import ScenarioError, load_file, run_paths

ROOT = Path(__file__).resolve().parent.parent
JINING = ROOT / "policies" / "jining.yaml"


def city(folder: Path) -> Path:
    """Jining and its source text copied into `folder`: a test file names a policy in
    whose folder tree it lies (issue 13 §16), so each test's files sit beside a copy."""
    (folder / "sources").mkdir(parents=True, exist_ok=True)
    for src in (ROOT / "policies" / "sources").iterdir():
        (folder / "sources" / src.name).write_bytes(src.read_bytes())
    (folder / "jining.yaml").write_bytes(JINING.read_bytes())
    return folder / "jining.yaml"


SIX_POINTS = """\
  - name: six points
    cite: 五(一)
    events:
      - {person: P, date: 2024-04-01, items: C1}
    expect:
      people:
        P:
          status: suspended
          actions:
            - {action: suspend, start: 2024-04-01, end: 2024-06-30}
"""

WRONG_END = """\
  - name: wrong end
    cite: 五(一)
    events:
      - {person: P, date: 2024-04-01, items: C1}
    expect:
      people:
        P:
          actions:
            - {action: suspend, start: 2024-04-01, end: 2024-06-29}
"""


def suite(
    tmp_path: Path, cases: str, name: str = "cases.yaml", head: str = "as_of: 2024-05-01\n"
) -> Path:
    city(tmp_path)
    path = tmp_path / name
    path.write_text(f"policy: jining.yaml\n{head}cases:\n{cases}", "utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(cli, ["test", *args])


def test_a_passing_file(tmp_path):
    path = suite(tmp_path, SIX_POINTS)
    r = run(str(path))
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[-1] == "1 passed, 0 failed"
    assert "FAIL" not in r.stdout


def test_a_failing_file_shows_the_difference_and_the_explanation(tmp_path):
    path = suite(tmp_path, SIX_POINTS + WRONG_END)
    r = run(str(path))
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines[0] == f"FAIL {path}:14: wrong end [五(一)]"
    assert lines[1] == "    people.P.actions[0].end: expected 2024-06-29, got 2024-06-30"
    assert "    explanation of P:" in lines
    assert any("enters band `suspend-3m`" in x for x in lines)
    assert lines[-1] == "1 passed, 1 failed"
    assert lines.count("1 passed, 1 failed") == 1


def test_unexpected_and_missing_list_elements(tmp_path):
    cases = """\
  - name: restore not listed
    cite: 五(二)
    as_of: 2024-07-01
    events:
      - {person: P, date: 2024-04-01, items: C1}
    expect:
      people:
        P:
          actions:
            - {action: suspend}
  - name: too many listed
    cite: 五(一)
    events:
      - {person: P, date: 2024-04-01, items: C1}
    expect:
      people:
        P:
          actions: [{action: suspend}, {action: restore}]
"""
    r = run(str(suite(tmp_path, cases)))
    assert "    people.P.actions[1]: unexpected {action: restore, start: 2024-07-01" in r.stdout
    assert "    people.P.actions[1]: expected {action: restore}, got nothing" in r.stdout
    assert r.stdout.splitlines()[-1] == "0 passed, 2 failed"


def test_explain_expectations(tmp_path):
    cases = """\
  - name: bands and articles
    cite: 五(一)
    as_of: 2024-06-01
    events:
      - {person: P, date: 2024-04-01, items: C1}
      - {person: P, date: 2024-05-06, items: B1}
    explain:
      P: {bands: [suspend-3m, suspend-6m], cites: [五(一)], rules: [],
          mentions: [crosses interview]}
    expect: {people: {P: {status: suspended}}}
  - name: wrong band
    cite: 五(一)
    events:
      - {person: P, date: 2024-04-01, items: C1}
    explain:
      P: {bands: [interview]}
    expect: {people: {P: {status: suspended}}}
"""
    r = run(str(suite(tmp_path, cases)))
    assert "    explain.P.bands[0]: expected interview, got suspend-3m" in r.stdout
    assert r.stdout.splitlines()[-1] == "1 passed, 1 failed"


def test_xfail(tmp_path):
    cases = WRONG_END + "    xfail: the engine is wrong here\n"
    r = run(str(suite(tmp_path, cases)))
    assert r.exit_code == 0, r.output
    assert "XFAIL" in r.stdout and "the engine is wrong here" in r.stdout
    assert r.stdout.splitlines()[-2:] == ["1 xfailed", "0 passed, 0 failed"]
    r = run(str(suite(tmp_path, SIX_POINTS + "    xfail: no longer\n")))
    assert r.exit_code == 1
    assert "XPASS" in r.stdout and "remove `xfail`" in r.stdout
    assert r.stdout.splitlines()[-1] == "0 passed, 1 failed"


def test_institution_expectations(tmp_path):
    cases = """\
  - name: thirty percent
    cite: 五(三)
    roster:
      - {person: S0, institution: H1}
      - {person: S1, institution: H1}
      - {person: S2, institution: H1}
    events:
      - {person: S0, date: 2024-04-01, items: C1}
    expect:
      institutions:
        H1: {"2024": {staff: 3, sanctioned: 1, actions: [{action: agreement-review}]}}
"""
    r = run(str(suite(tmp_path, cases)))
    assert r.exit_code == 0, r.output


# ---- malformed files: one line each, `file:line: error[code]: message`, exit 1 ----------

BAD = {
    "yaml": ("  - name: x\n    cite: [\n", 6),
    "duplicate-key": (
        SIX_POINTS.replace("    cite: 五(一)\n", "    cite: 五(一)\n    cite: 四\n"),
        6,
    ),
    "test-key": (SIX_POINTS.replace("    cite:", "    citation: x\n    cite:"), 5),
    "test-missing": (
        "  - name: no expect\n    cite: 五(一)\n"
        "    events: [{person: P, date: 2024-04-01, items: C1}]\n",
        4,
    ),
    "test-date": (
        SIX_POINTS.replace("    cite: 五(一)\n", "    cite: 五(一)\n    as_of: 2024-13-01\n"),
        6,
    ),
    "test-value": (SIX_POINTS.replace("status: suspended", "status: suspend"), 11),
    "test-duplicate": (SIX_POINTS + SIX_POINTS, 14),
    "test-empty": (
        SIX_POINTS.replace(
            "    events:\n      - {person: P, date: 2024-04-01, items: C1}\n", "    events: []\n"
        ),
        6,
    ),
    "test-type": (SIX_POINTS.replace("    events:\n", "    events:\n      - just text\n"), 7),
    "date": (SIX_POINTS.replace("date: 2024-04-01", "date: 01/04/2024"), 7),
    "item": (SIX_POINTS.replace("items: C1", "items: C9"), 7),
    "duplicate-id": (
        SIX_POINTS.replace(
            "      - {person: P, date: 2024-04-01, items: C1}\n",
            "      - {person: P, date: 2024-04-01, items: C1, id: E1}\n"
            "      - {person: P, date: 2024-04-02, items: A1, id: E1}\n",
        ),
        8,
    ),
}


def test_ledger_hints_name_lines_of_the_test_file(tmp_path):
    r = run(str(suite(tmp_path, BAD["duplicate-id"][0])))
    assert r.stderr.rstrip().endswith("(hint: first at line 7)")


@pytest.mark.parametrize("code", sorted(BAD))
def test_malformed_files_get_one_line_with_file_line_and_code(tmp_path, code):
    cases, line = BAD[code]
    path = suite(tmp_path, cases)
    r = run(str(path))
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    errors = r.stderr.splitlines()
    assert errors, r.output
    assert errors[0].startswith(f"{path}:{line}: error[{code}]: "), errors
    with pytest.raises(ScenarioError) as exc:
        load_file(str(path))
    assert exc.value.first.code == code


def test_policy_not_found(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("policy: nowhere.yaml\nas_of: 2024-05-01\ncases:\n" + SIX_POINTS, "utf-8")
    r = run(str(path))
    assert r.exit_code == 1
    assert r.stderr.startswith(f"{path}:1: error[test-policy]: policy `nowhere.yaml` not found")


def test_institution_events_without_roster_point_at_the_row(tmp_path):
    cases = """\
  - name: no roster
    cite: 三(四)
    events:
      - {date: 2024-06-01, type: institution_suspended, institution: H1, end: 2024-08-31}
    expect: {people: {}}
"""
    r = run(str(suite(tmp_path, cases)))
    assert r.exit_code == 1
    assert (
        f"{tmp_path / 'cases.yaml'}:7: error[roster]: institution events need a roster" in r.stderr
    )


def test_a_missing_path(tmp_path):
    r = run(str(tmp_path / "nothing"))
    assert r.exit_code == 1
    assert "error[io]: no such file or directory" in r.stderr


def test_a_bad_file_does_not_stop_the_others(tmp_path):
    suite(tmp_path, SIX_POINTS, "a.yaml")
    suite(tmp_path, "  - name: x\n", "b.yaml")
    r = run(str(tmp_path))
    assert r.exit_code == 1
    assert "b.yaml:4: error[test-missing]" in r.stderr
    assert r.stdout.splitlines()[-1] == "1 passed, 0 failed"


# ---- machine-readable reports --------------------------------------------------------------


def test_junit_output_parses(tmp_path):
    path = suite(
        tmp_path,
        SIX_POINTS + WRONG_END + WRONG_END.replace("wrong end", "known bug") + "    xfail: known\n",
    )
    out = tmp_path / "report.xml"
    r = run(str(path), "--junit", str(out))
    assert r.exit_code == 1
    root = ET.parse(out).getroot()
    assert root.tag == "testsuites"
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["six points", "wrong end", "known bug"]
    failure = cases[1].find("failure")
    assert "expected 2024-06-29, got 2024-06-30" in failure.text
    assert cases[2].find("skipped") is not None
    assert root.find("testsuite").get("failures") == "1"


def test_json_output(tmp_path):
    path = suite(tmp_path, SIX_POINTS + WRONG_END)
    r = run(str(path), "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["summary"] == {"passed": 1, "failed": 1, "xfailed": 0}
    failed = [c for c in data["cases"] if c["status"] == "failed"]
    assert failed[0]["mismatches"] == [
        {"path": "people.P.actions[0].end", "expected": "2024-06-29", "actual": "2024-06-30"}
    ]


# ---- coverage ------------------------------------------------------------------------------


def test_coverage_reports_what_no_case_exercises(tmp_path):
    path = suite(tmp_path, SIX_POINTS)
    r = run(str(path), "--coverage")
    assert r.exit_code == 0, r.output
    assert "not exercised: tier `suspend-6m` (9 <= deducted <= 11) [五(一)]" in r.stdout
    assert "not exercised: item `D6`" in r.stdout
    assert "not exercised: tier `suspend-3m`" not in r.stdout
    assert "not exercised: deadline" not in r.stdout  # the suspension carries `objection`
    r = run(str(path), "--coverage", "--fail-under", "90")
    assert r.exit_code == 1
    assert "coverage below 90%" in r.stderr


def test_shipped_suites_pass_with_full_coverage():
    """policies/tests through the runner (also collected by the plugin when installed)."""
    result = run_paths([str(ROOT / "policies" / "tests")])
    assert result.errors == []
    assert result.failed == 0, [r.case.name for r in result.results if not r.ok]
    assert result.passed >= 70
    covs = measure(result.results)
    assert {c.policy_id for c in covs} == {"jining", "zhanjiang"}
    for c in covs:
        assert c.uncovered == [], (c.policy_id, [str(t) for t in c.uncovered])


# ---- the pytest plugin ---------------------------------------------------------------------

pytest_plugins = ["pytester"]


def test_the_pytest_plugin_collects_cases(pytester, pytestconfig):
    city(pytester.path)
    pytester.makefile(
        ".yaml",
        **{
            "tests/jining/cases": (
                "policy: ../../jining.yaml\nas_of: 2024-05-01\ncases:\n"
                + SIX_POINTS
                + WRONG_END
                + WRONG_END.replace("wrong end", "known bug")
                + "    xfail: known\n"
            )
        },
    )
    pytester.makefile(".yaml", **{"tests/other": "cases:\n  - {expr: 1}\n"})  # no policy
    pytester.makefile(".yaml", **{"elsewhere/cases": "policy: ../jining.yaml\ncases: []\n"})
    args = (
        []
        if pytestconfig.pluginmanager.has_plugin("policyctl")
        else ["-p", "engine.testing.pytest_plugin"]
    )
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1, failed=1, xfailed=1)
    result.stdout.fnmatch_lines(
        ["*people.P.actions[[]0[]].end: expected 2024-06-29, got 2024-06-30*"]
    )
    assert "Traceback" not in result.stdout.str()
    pytester.makefile(".yaml", **{"tests/bad": "policy: ../jining.yaml\ncases:\n  - name: x\n"})
    result = pytester.runpytest(*args, "tests/bad.yaml")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["tests/bad.yaml:3: error[[]test-missing[]]: a case has no `cite`"])
    assert "Traceback" not in result.stdout.str()
