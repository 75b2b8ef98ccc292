"""Issue 13 §10: a number of thousands of digits passed `validate` and then failed.

Python refuses to print an int past 4,300 digits, so a hex `initial: 0xfff...` (which
`int(text, 0)` reads at any length) made `validate` say "valid" and `evaluate` exit 70
with "Exceeds the limit (4300 digits)"; a decimal one became text and the schema said
"should be a number". Every number a policy, code map, test file or ledger writes is
now bounded by `engine.limits.MAX_NUMBER_DIGITS`, refused at its position.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.limits import MAX_NUMBER_DIGITS

ROOT = Path(__file__).resolve().parent.parent
JINING = ROOT / "policies" / "jining.yaml"
EVENTS = ROOT / "examples" / "jining" / "events.csv"
ROSTER = ROOT / "examples" / "jining" / "roster.csv"


def _policy(tmp_path: Path, old: str, new: str) -> tuple[str, int, int]:
    """Jining with `old` replaced by `new` (once), beside a copy of its source text;
    returns the path and the line and column where `new` starts."""
    text = JINING.read_text("utf-8")
    start = text.index(old)
    patched = text[:start] + new + text[start + len(old) :]
    (tmp_path / "sources").mkdir(exist_ok=True)
    for src in (ROOT / "policies" / "sources").iterdir():
        (tmp_path / "sources" / src.name).write_bytes(src.read_bytes())
    path = tmp_path / "p.yaml"
    path.write_text(patched, "utf-8")
    line = patched.count("\n", 0, start) + 1
    column = start - patched.rfind("\n", 0, start)
    return str(path), line, column


def _validate(path: str):
    return CliRunner().invoke(cli, ["--lang", "en", "validate", path])


@pytest.mark.parametrize(
    "number",
    ["0x" + "f" * 5000, "9" * 5000, "-0x" + "f" * 30, "1" + "0" * MAX_NUMBER_DIGITS, "1.0e+300"],
    ids=["hex-5000", "decimal-5000", "negative-hex", "10^30", "float-1e300"],
)
def test_a_huge_initial_is_a_validate_error_at_its_position(tmp_path, number):
    path, line, column = _policy(tmp_path, "initial: 12", "initial: " + number)
    done = _validate(path)
    assert done.exit_code == 1, done.output
    where = f"{path}:{line}:{column + len('initial: ')}: error[limit]: number `"
    assert done.stderr.startswith(where), done.stderr
    assert f"more than {MAX_NUMBER_DIGITS} digits" in done.stderr
    assert "valid (" not in done.stdout


def test_a_huge_item_points_is_a_validate_error(tmp_path):
    text = JINING.read_text("utf-8")
    old = re.search(r"points: 1\b", text)[0]
    path, line, column = _policy(tmp_path, old, "points: 0x" + "7" * 4000)
    done = _validate(path)
    assert done.exit_code == 1
    assert f"{path}:{line}:{column + len('points: ')}: error[limit]" in done.stderr


def test_evaluate_reports_the_huge_number_cleanly_not_as_an_internal_error(tmp_path):
    path, line, _col = _policy(tmp_path, "initial: 12", "initial: 0x" + "f" * 5000)
    done = CliRunner().invoke(
        cli,
        ["--lang", "en", "evaluate", "--policy", path, "--events", str(EVENTS)]
        + ["--roster", str(ROSTER), "--as-of", "2025-12-31"],
    )
    assert done.exit_code == 1
    assert not done.stdout
    assert f"{path}:{line}:" in done.stderr and "error[limit]" in done.stderr
    assert "4300" not in done.stderr and "internal error" not in done.stderr


def test_the_largest_number_allowed_still_validates(tmp_path):
    """30 nines is one below the bound: a scale that large is intervals (issue 13 §11)."""
    path, *_ = _policy(tmp_path, "initial: 12", "initial: " + "9" * MAX_NUMBER_DIGITS)
    done = _validate(path)
    assert "error[limit]" not in done.stderr, done.stderr


def test_a_huge_number_in_a_test_file_is_refused_at_its_line(tmp_path):
    from engine.errors import PolicyctlError
    from engine.testing.scenarios import load_file

    path, *_ = _policy(tmp_path, "initial: 12", "initial: 12")
    test = tmp_path / "t.yaml"
    test.write_text(
        "policy: p.yaml\ncases:\n  - name: n\n    cite: 四\n"
        "    events: [{person: P, date: 2024-05-01, items: A1}]\n"
        "    expect: {people: {P: {cycles: {'2024': {deducted: 0x" + "f" * 4000 + "}}}}}\n",
        "utf-8",
    )
    with pytest.raises(PolicyctlError) as info:
        load_file(str(test))
    (diag,) = [d for d in info.value.diagnostics if d.code == "limit"]
    assert diag.span.line == 6


def test_an_expression_number_past_the_bound_is_refused():
    from engine.dsl.parser import ExprSyntaxError, parse_expr

    parse_expr("deducted >= " + "9" * MAX_NUMBER_DIGITS)
    with pytest.raises(ExprSyntaxError):
        parse_expr("deducted >= " + "9" * (MAX_NUMBER_DIGITS + 1))


@pytest.mark.parametrize("column", ["amount", "points"])
def test_a_ledger_number_past_the_bound_is_an_error_at_its_line(tmp_path, column):
    from engine.errors import LedgerError
    from engine.ledger.read import read_ledger
    from engine.policy.loader import load_policy

    policy = load_policy(JINING)
    huge = "1" + "0" * MAX_NUMBER_DIGITS
    cells = {"amount": huge if column == "amount" else "", "points": ""}
    if column == "points":
        cells["points"] = huge
    events = tmp_path / "e.csv"
    events.write_text(
        "id,person,date,type,items,institution,amount,points\n"
        f"E1,P,2024-05-01,violation,B1,H1,{cells['amount']},{cells['points']}\n",
        "utf-8",
    )
    with pytest.raises(LedgerError) as info:
        read_ledger(str(events), policy)
    diag = info.value.first
    assert (diag.code, diag.span.line) == (column, 2)
    assert "too large" in diag.message
