"""`policyctl evaluate` end to end: formats (golden files), errors, atomic output.

The golden files were checked by hand against the notice (tests/fixtures/cli):
P1: C1 6 points on 2024-03-01 -> 3 months (五(一)) to 2024-05-31; B2|A1 on
2024-04-15 counts 3 (按最高分值扣分) -> 9 -> 6 months from 2024-04-15 to
2024-10-14, replacing the first from its own start (it ends 2024-04-14).
P2: D5 12 points on 2024-05-20 -> terminated, ban 1-2 years (五(二)) -> may
re-apply from 2025-05-20; re-applies that day -> reinstated.
P3: 1 + 1 = 2 points, no action. P4: on the roster, no events.
Regenerate with UPDATE_GOLDEN=1 (the run fails for each file it rewrites), then read
the diff before committing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import golden

from engine.cli import cli

ROOT = Path(__file__).resolve().parent.parent
FIX = Path(__file__).parent / "fixtures" / "cli"
GOLDEN = Path(__file__).parent / "golden"
POLICY = str(ROOT / "policies" / "jining.yaml")


def _evaluate(*extra: str, events: str | None = None):
    args = [
        "evaluate",
        "--policy",
        POLICY,
        "--events",
        events or str(FIX / "events.csv"),
        "--roster",
        str(FIX / "roster.csv"),
        "--as-of",
        "2025-12-31",
        *extra,
    ]
    return CliRunner().invoke(cli, args)


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    golden(path, text.replace(str(FIX) + os.sep, ""))


@pytest.mark.parametrize(
    "fmt,ext", [("json", "json"), ("jsonl", "jsonl"), ("csv", "csv"), ("table", "txt")]
)
def test_formats_match_golden(fmt, ext):
    res = _evaluate("--format", fmt)
    assert res.exit_code == 0, res.output
    _golden(f"evaluate.{ext}", res.stdout)


def test_explain_matches_golden():
    res = _evaluate("--explain", "P1")
    assert res.exit_code == 0, res.output
    _golden("explain-P1.txt", res.stdout)


def test_explain_spells_an_amount_as_a_decimal(monkeypatch):
    # examples/zhanjiang/events.csv:133 records a fund loss of 14459.93 yuan; the story
    # says so as the analyst wrote it, not as the exact fraction inside (1445993/100)
    monkeypatch.chdir(ROOT)
    res = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--policy",
            "policies/zhanjiang.yaml",
            "--events",
            "examples/zhanjiang/events.csv",
            "--roster",
            "examples/zhanjiang/roster.csv",
            "--as-of",
            "2023-12-31",
            "--explain",
            "ZJ0030",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "5 points (amount 14459.93)  [第十五条(四)10]" in res.stdout
    assert "(amount 8462.65)" in res.stdout and "/100" not in res.stdout
    _golden("explain-ZJ0030.txt", res.stdout)


def test_json_shape_and_values():
    data = json.loads(_evaluate().stdout)
    assert data["policy"] == {"id": "jining", "version": "2024"}
    assert [p["person"] for p in data["people"]] == ["P1", "P2", "P3", "P4"]
    p1 = data["people"][0]
    assert p1["cycles"][0]["deducted"] == 9
    sus = [a for a in p1["actions"] if a["action"] == "suspend"]
    assert [(a["start"], a["end"]) for a in sus] == [
        ("2024-03-01", "2024-04-14"),
        ("2024-04-15", "2024-10-14"),
    ]
    p2 = data["people"][1]
    assert (p2["status"], p2["reapply_from"]) == ("active", None)
    assert p2["reapplications"][0]["result"] == "accepted"
    assert data["people"][3]["cycles"] == []


def test_output_file_written_atomically(tmp_path):
    out = tmp_path / "out.json"
    res = _evaluate("--output", str(out))
    assert res.exit_code == 0 and res.stdout == ""
    assert json.loads(out.read_text("utf-8"))["as_of"] == "2025-12-31"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_bad_input_leaves_no_output(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("person,date,items\nP1,2024-02-30,A1\nP1,2024-03-01,ZZ9\n", "utf-8")
    out = tmp_path / "out.json"
    res = _evaluate("--output", str(out), events=str(bad))
    assert res.exit_code == 1
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{bad}:2: error[date]")
    assert lines[1].startswith(f"{bad}:3: error[item]")
    assert list(tmp_path.iterdir()) == [bad]
    assert "Traceback" not in res.output


def test_bad_policy_is_one_line_per_problem(tmp_path):
    res = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--policy",
            str(ROOT / "tests/fixtures/policies/unknown-name.yaml"),
            "--events",
            str(FIX / "events.csv"),
        ],
    )
    assert res.exit_code == 1
    assert "error[name]" in res.stderr


def test_bad_as_of_is_a_usage_error():
    res = _evaluate("--as-of", "2025-13-01")
    assert res.exit_code == 2


def test_warns_about_events_outside_the_effective_period(tmp_path):
    early = tmp_path / "early.csv"
    early.write_text("person,date,items\nP1,2023-06-01,A1\n", "utf-8")
    res = _evaluate(events=str(early))
    assert res.exit_code == 0
    assert "warning: 1 events fall outside the policy's effective period" in res.stderr


def test_python_api_returns_the_same_data():

    from engine import evaluate_files

    out = evaluate_files(
        POLICY, str(FIX / "events.csv"), str(FIX / "roster.csv"), dt.date(2025, 12, 31)
    )
    assert out.as_dict() == json.loads(_evaluate().stdout)


def test_csv_rows_split_a_year_at_a_reinstatement(tmp_path):
    """Zhanjiang: A1 (40) on 2022-01-10 leaves 60 -> cancelled (第十七条), first ban
    half a year (第十九条) to 2022-07-09; re-applies 2022-07-10 -> a new registration;
    B1 (20) on 2022-08-01 leaves 80 -> 3 months, 08-01 to 10-31, then awaiting a
    re-application (第二十条) from 11-01. Each registration's row lists its own actions."""
    ev = tmp_path / "e.csv"
    ev.write_text(
        "person,date,type,items\nP,2022-01-10,,A1\nP,2022-07-10,reapply,\nP,2022-08-01,,B1\n",
        "utf-8",
    )
    res = CliRunner().invoke(
        cli,
        [
            "evaluate",
            "--policy",
            str(ROOT / "policies/zhanjiang.yaml"),
            "--events",
            str(ev),
            "--as-of",
            "2022-12-31",
            "--format",
            "csv",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = res.stdout.strip().splitlines()[1:]
    assert rows == [
        "P,awaiting_reapplication,2022-11-01,2022,1,40,60,terminate,1,"
        "terminate 2022-01-10; ban 2022-01-10..2022-07-09,第十七条; 第十九条,suspend-6m,10",
        "P,awaiting_reapplication,2022-11-01,2022,2,20,80,suspend-3m,1,"
        "reinstate 2022-07-10; suspend 2022-08-01..2022-10-31,第十九条; 第十七条,suspend-6m,10",
    ]  # the next band on each of the person's rows: 6 months at 30 deducted, 10 away


def _no_whole_read(monkeypatch):
    """Make reading a ledger whole fail: what passes then was folded as a stream."""
    from engine import api

    def whole(*args, **kwargs):
        raise AssertionError("the ledger was read whole")

    monkeypatch.setattr(api, "read_ledger", whole)


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_a_sorted_ledger_is_streamed_to_the_same_report(tmp_path, monkeypatch, fmt):
    # the fixture is out of date order (E5 is dated before E3): read whole and sorted;
    # the same rows in date order are folded as they are read, with the same result
    lines = (FIX / "events.csv").read_text("utf-8").splitlines()
    rows = sorted(lines[1:], key=lambda r: r.split(",")[2])
    ordered = tmp_path / "ordered.csv"
    ordered.write_text("\n".join([lines[0], *rows]) + "\n", "utf-8")
    whole = _evaluate("--format", fmt)
    _no_whole_read(monkeypatch)
    streamed = _evaluate("--format", fmt, events=str(ordered))
    assert streamed.exit_code == 0, streamed.output
    assert streamed.stdout == whole.stdout


def test_a_streamed_ledger_reports_every_problem_and_writes_nothing(tmp_path, monkeypatch):
    _no_whole_read(monkeypatch)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,person,date,items\nE1,P1,2024-02-01,A1\nE2,P1,2024-02-30,A1\n"
        "E1,P2,2024-03-01,ZZ9\nE4,P2,2024-03-02,A1\n",
        "utf-8",
    )
    out = tmp_path / "out.json"
    res = _evaluate("--output", str(out), events=str(bad))
    assert res.exit_code == 1
    lines = res.stderr.strip().splitlines()
    assert [ln.split(": error")[0] for ln in lines] == [f"{bad}:3", f"{bad}:4", f"{bad}:4"]
    assert "error[date]" in lines[0] and "error[item]" in lines[1]
    assert "error[duplicate-id]" in lines[2] and "first at line 2" in lines[2]
    assert list(tmp_path.iterdir()) == [bad]


def test_an_unsorted_stream_falls_back_to_reading_whole(tmp_path):
    # in date order until the last row: folded as a stream, then read whole and sorted
    late = tmp_path / "late.csv"
    late.write_text(
        "person,date,items\nP1,2024-03-01,C1\nP1,2024-04-01,A1\nP1,2024-02-01,C2\n", "utf-8"
    )
    data = json.loads(_evaluate(events=str(late)).stdout)
    (p1,) = [p for p in data["people"] if p["person"] == "P1"]
    # 五(一): 6 (2024-02-01) -> suspend 3 months; 12 on 2024-03-01 -> terminate
    assert [(a["action"], a["start"]) for a in p1["actions"]][:2] == [
        ("suspend", "2024-02-01"),
        ("terminate", "2024-03-01"),
    ]


def test_jobs_is_still_accepted_and_says_it_is_not_used():
    # --jobs served the two-process fold, removed (docs/performance.md): scripts that
    # pass it still run, to the same report, and are told once that it does nothing
    one = _evaluate()
    two = _evaluate("--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert two.stdout == one.stdout
    assert two.stderr == (
        "warning: --jobs is no longer used: evaluation runs on one process "
        "(see docs/performance.md)\n" + one.stderr
    )
    assert _evaluate("--jobs", "1").stderr == one.stderr


@pytest.mark.parametrize("across", [True, False, "in-order-either-side"])
def test_an_id_used_twice_is_found_in_a_streamed_ledger(tmp_path, across):
    # the example's ids increase down the file, which spares the check
    # (SeenIds.increasing) until one is given twice: an id given again far from its
    # first row, near it, and to a row whose neighbours' ids still increase
    ex = ROOT / "examples" / "jining"
    codes = sorted(
        {line.split(",")[0] for line in (ex / "roster.csv").read_text("utf-8").splitlines()[1:]}
    )
    pivot = codes[len(codes) // 2]
    lines = (ex / "events.csv").read_text("utf-8").splitlines(keepends=True)
    rows = [line.split(",") for line in lines]
    low = [n for n, r in enumerate(rows[1:], 1) if r[1] and r[1] < pivot]
    high = [n for n, r in enumerate(rows[1:], 1) if r[1] and r[1] >= pivot]
    if across == "in-order-either-side":
        second = next(n for n in high if n > low[0])
        first = max(n for n in low if n < second)
    else:
        first, second = (low[0], high[-1]) if across else (low[0], low[-1])
    rows[second][0] = rows[first][0]
    events = tmp_path / "events.csv"
    events.write_text("".join(",".join(r) for r in rows), "utf-8")
    args = [
        "evaluate",
        "--policy",
        POLICY,
        "--events",
        str(events),
        "--roster",
        str(ex / "roster.csv"),
        "--as-of",
        "2025-12-31",
    ]
    one = CliRunner().invoke(cli, args)
    assert one.exit_code == 1 and not one.stdout
    assert f"{events}:{second + 1}: error[duplicate-id]" in one.stderr
    assert f"first at line {first + 1}" in one.stderr


def _at_h1(tmp_path: Path, policy: str, as_of: str, events: str) -> list[str]:
    """`evaluate` of a small ledger under a tests/fixtures/format policy, with a roster
    of A, B and C at H1."""
    (tmp_path / "events.csv").write_text(events, "utf-8")
    (tmp_path / "roster.csv").write_text("person,institution\nA,H1\nB,H1\nC,H1\n", "utf-8")
    return [
        "evaluate",
        "--policy",
        str(ROOT / "tests" / "fixtures" / "format" / policy),
        "--events",
        str(tmp_path / "events.csv"),
        "--roster",
        str(tmp_path / "roster.csv"),
        "--as-of",
        as_of,
    ]


def test_a_rule_reading_the_order_of_members_is_dated_by_that_order(tmp_path):
    # tests/fixtures/format/institutions-order.yaml: `last` holds when the last member
    # of the list has 2 or more points. Members are the staff with a record, in code
    # order, then the quiet ones. 2024-03-01: A 6, B 1, C 1 (C last: no); 2024-03-02:
    # C 2 (yes). The rows of 03-01 are not in code order.
    args = _at_h1(
        tmp_path,
        "institutions-order.yaml",
        "2024-12-31",
        "id,person,date,items,institution\n"
        "e1,B,2024-03-01,I1,H1\ne2,A,2024-03-01,I6,H1\n"
        "e3,C,2024-03-01,I1,H1\ne4,C,2024-03-02,I1,H1\n",
    )
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    (h1,) = json.loads(res.stdout)["institutions"]
    assert [(a["action"], a["start"]) for a in h1["actions"]] == [("notice", "2024-03-02")]


def test_an_institution_event_with_a_blank_person_reaches_all_its_staff(tmp_path):
    # a `person` cell of spaces is empty: the institution's own suspension reaches all
    # its staff (三(四))
    args = _at_h1(
        tmp_path,
        "institutions.yaml",
        "2024-03-05",
        "id,person,date,type,items,institution,end\n"
        "s1, ,2024-03-01,institution_suspended,,H1,2024-03-10\n"
        "v1,C,2024-03-02,violation,I6,H1,\n",
    )
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    people = {p["person"]: p for p in json.loads(res.stdout)["people"]}
    assert {c: people[c]["status"] for c in "ABC"} == dict.fromkeys("ABC", "suspended")


def test_the_command_runs_with_standard_output_closed(tmp_path):
    # a job started with `>&-`: sys.stdout is None; the command still does its work and
    # exits as it would (cli._leave), without a traceback
    out = tmp_path / "report.json"
    script = "import sys; from engine.cli import main; sys.argv[0] = 'policyctl'; main()"
    res = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "evaluate",
            "--policy",
            POLICY,
            "--events",
            str(ROOT / "examples/jining/events.csv"),
            "--roster",
            str(ROOT / "examples/jining/roster.csv"),
            "--as-of",
            "2025-12-31",
            "--output",
            str(out),
        ],
        stdout=None,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        preexec_fn=lambda: os.close(1) if hasattr(os, "fork") else None,
    )
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr
    assert json.loads(out.read_text("utf-8"))["people"]


def _console(*args: str, before: str = "", stdin: str | None = None) -> subprocess.CompletedProcess:
    """The console script (`main`, as `policyctl` runs it), in a process of its own."""
    script = "import sys; import engine.cli as c; " + before + "sys.argv[0] = 'policyctl'; c.main()"
    return subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, cwd=ROOT, input=stdin
    )


def test_events_from_a_pipe_named_as_a_file():
    # `--events /dev/stdin` (or `<(...)`) is a pipe: read whole, once, like `-`
    if not Path("/dev/stdin").exists():
        pytest.skip("no /dev/stdin on this platform")
    ex = ROOT / "examples" / "jining"
    args = (
        "evaluate",
        "--policy",
        POLICY,
        "--roster",
        str(ex / "roster.csv"),
        "--as-of",
        "2025-12-31",
        "--format",
        "csv",
    )
    piped = _console(*args, "--events", "/dev/stdin", stdin=(ex / "events.csv").read_text("utf-8"))
    direct = _console(*args, "--events", str(ex / "events.csv"))
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == direct.stdout and piped.stdout.count("\n") > 300


def test_a_credit_reads_the_roster_column_it_names(tmp_path):
    # tests/fixtures/format/credits.yaml with T2 worth 2 for a doctor, 1 otherwise:
    # A3 (3 points) on 03-01, then T2 on 04-01. The doctor P1 is credited 2 (3 - 2 = 1
    # deducted), the nurse P2 1 (3 - 1 = 2), however the report is made
    fixtures = ROOT / "tests" / "fixtures" / "format"
    policy = (
        (fixtures / "credits.yaml")
        .read_text("utf-8")
        .replace(
            "{code: T2, points: 2,",
            "{code: T2, points: \"if person.role == 'doctor' then 2 else 1\",",
        )
    )
    assert "person.role" in policy
    (tmp_path / "credits.yaml").write_text(policy, "utf-8")
    (tmp_path / "credits.txt").write_bytes((fixtures / "credits.txt").read_bytes())
    (tmp_path / "events.csv").write_text(
        "person,date,type,items\nP1,2024-03-01,,A3\nP2,2024-03-01,,A3\n"
        "P1,2024-04-01,credit,T2\nP2,2024-04-01,credit,T2\n",
        "utf-8",
    )  # in date order: read
    # as a stream, with only the roster columns the policy reads
    (tmp_path / "roster.csv").write_text(
        "person,institution,role\nP1,H1,doctor\nP2,H1,nurse\n", "utf-8"
    )
    args = [
        "evaluate",
        "--policy",
        str(tmp_path / "credits.yaml"),
        "--events",
        str(tmp_path / "events.csv"),
        "--roster",
        str(tmp_path / "roster.csv"),
        "--as-of",
        "2024-12-31",
    ]
    res = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert res.exit_code == 0, res.output
    got = {
        p["person"]: (p["cycles"][0]["credited"], p["cycles"][0]["deducted"])
        for p in json.loads(res.stdout)["people"]
    }
    assert got == {"P1": (2, 1), "P2": (1, 2)}
    res = CliRunner().invoke(cli, [*args, "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert {r["person"]: r["deducted"] for r in csv.DictReader(io.StringIO(res.stdout))} == {
        "P1": "1",
        "P2": "2",
    }


def test_an_interrupted_run_exits_130_and_says_so():
    # Ctrl-C while a command runs: status 130, as shells expect, one line, no traceback
    stop = (
        "from engine import api; "
        "api.report_files = lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()); "
    )
    res = _console(
        "evaluate",
        "--policy",
        POLICY,
        "--events",
        str(ROOT / "examples/jining/events.csv"),
        "--as-of",
        "2025-12-31",
        before=stop,
    )
    assert res.returncode == 130, res.stderr
    # click ends the line the terminal's "^C" is on before giving the interrupt back
    assert res.stderr == "\ninterrupted\n"


def test_the_console_script_reports_usage_errors_and_help_as_click_does():
    res = _console("evaluate", "--policy", POLICY)
    assert res.returncode == 2 and "Missing option '--events'" in res.stderr
    res = _console("--help")
    assert res.returncode == 0 and "evaluate" in res.stdout and not res.stderr


def _example_args(policy: Path, *extra: str) -> list[str]:
    ex = ROOT / "examples" / "jining"
    return [
        "evaluate",
        "--policy",
        str(policy),
        "--events",
        str(ex / "events.csv"),
        "--roster",
        str(ex / "roster.csv"),
        "--as-of",
        "2025-12-31",
        *extra,
    ]


def test_standard_output_is_written_in_its_own_encoding():
    runner = CliRunner(charset="gb18030")
    res = runner.invoke(cli, _example_args(Path(POLICY)))
    assert res.exit_code == 0
    assert "五(一)".encode("gb18030") in res.stdout_bytes
    assert json.loads(res.stdout_bytes.decode("gb18030"))["people"]


def test_an_institution_rule_that_fails_is_reported_after_the_warnings(tmp_path):
    shutil.copytree(ROOT / "policies" / "sources", tmp_path / "sources")
    bad = tmp_path / "jining.yaml"
    bad.write_text(
        (ROOT / "policies" / "jining.yaml")
        .read_text("utf-8")
        .replace(
            "when: staff > 0 and sanctioned >= 30% * staff",
            "when: staff > 0 and members[100000].deducted >= 0",
        ),
        "utf-8",
    )
    one = CliRunner().invoke(cli, _example_args(bad))
    assert one.exit_code == 1 and not one.stdout
    assert one.stderr.startswith("warning:") and "error[evaluation]" in one.stderr


def test_a_report_file_has_the_mode_any_new_file_would(tmp_path):
    # written to a temporary name (mkstemp: owner only) and renamed: the report gets
    # what the umask leaves of rw-rw-rw-, or keeps the mode of the file it replaces
    out = tmp_path / "report.json"
    args = _example_args(Path(POLICY), "--output", str(out))
    old = os.umask(0o022)
    try:
        assert CliRunner().invoke(cli, args).exit_code == 0
        assert out.stat().st_mode & 0o777 == 0o644
        out.chmod(0o640)
        assert CliRunner().invoke(cli, args).exit_code == 0
        assert out.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_csv_file_has_a_bom_for_excel_a_pipe_none_and_institutions_beside(tmp_path):
    """Issue 15 §3: Excel on Chinese Windows reads a CSV without a BOM as GBK."""
    out = tmp_path / "report.csv"
    res = _evaluate("--format", "csv", "-o", str(out))
    assert res.exit_code == 0, res.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    p1 = next(r for r in rows if r["person"] == "P1")
    assert p1["articles"] == "五(一); 五(一); 五(二)"  # one article per action, in order
    inst = tmp_path / "report.institutions.csv"
    irows = list(csv.DictReader(io.StringIO(inst.read_bytes().decode("utf-8-sig"))))
    assert [r["institution"] for r in irows][:1] == ["H1"]
    assert irows[0]["staff"] == "2" and irows[0]["articles"]
    piped = _evaluate("--format", "csv")
    assert not piped.stdout_bytes.startswith(b"\xef\xbb\xbf")
    gb = tmp_path / "gb.csv"
    res = _evaluate("--format", "csv", "-o", str(gb), "--output-encoding", "gb18030")
    assert res.exit_code == 0
    assert "五(一)" in gb.read_bytes().decode("gb18030")
    bad = _evaluate("--format", "csv", "--output-encoding", "klingon")
    assert bad.exit_code == 2 and "klingon" in bad.output


def test_help_says_which_policies_and_ledgers_a_command_takes():
    # evaluate reads a Parquet ledger (docs/ledger.md) and its help did not say so;
    # db load and serve refuse a regulation's several versions (error[history]) while
    # their help said "as for evaluate: a file, or a regulation's versions"
    def help_of(*command: str) -> str:  # (as one line: click wraps it)
        return " ".join(CliRunner().invoke(cli, [*command, "--help"]).output.split())

    evaluate = help_of("evaluate")
    assert ".parquet" in evaluate and "a regulation's versions" in evaluate
    for command in (["serve"], ["db", "load"]):
        text = help_of(*command)
        assert "one version's file" in text and "a regulation's versions" not in text
