"""A bad value in the input is the user's to fix; a failure of the engine's own is ours.

The fold reports an event whose values the policy cannot take (a decided length out
of its range, an expression failing on the event's columns) as an error at the
event's line, exit 1. Any other exception raised while folding (a TypeError or
LookupError in the engine's own code) is a bug: it is never disguised as a ledger
problem, and the command exits 70 asking for a report.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import edited, write_csv

from engine.cli import cli
from engine.evaluation.fold import Evaluator, evaluate
from engine.ledger.read import read_ledger
from engine.policy.loader import load_policy

ROOT = Path(__file__).resolve().parent.parent
JINING = str(ROOT / "policies" / "jining.yaml")


def _events(tmp_path: Path, rows: list[dict]) -> str:
    return str(write_csv(tmp_path / "events.csv", rows))


def test_a_decided_length_out_of_its_range_is_the_event_s_problem(tmp_path):
    """五(二): 1-2 years; a decided ban of 3 years is refused at the event's line."""
    events = _events(
        tmp_path,
        [{"id": "E1", "person": "P", "date": "2024-04-01", "items": "D1", "ban": "3 years"}],
    )
    res = CliRunner().invoke(
        cli, ["evaluate", "--policy", JINING, "--events", events, "--as-of", "2024-12-31"]
    )
    assert res.exit_code == 1 and not res.stdout
    assert res.stderr.startswith(f"{events}:2: error[evaluation]: the event cannot be evaluated:")
    assert "decided ban `3 years` is outside ban 1 to 2 years" in res.stderr
    # the line names the row: standard error names no practitioner nor event id
    # (docs/privacy.md, "The command line's logs"; it once said "event `E1` of `P`")
    assert "E1" not in res.stderr and "`P`" not in res.stderr
    # and it is said in Chinese to a Chinese analyst (it was English in both)
    zh = CliRunner().invoke(
        cli,
        [
            "--lang",
            "zh",
            "evaluate",
            "--policy",
            JINING,
            "--events",
            events,
            "--as-of",
            "2024-12-31",
        ],
    )
    assert zh.exit_code == 1 and not zh.stdout
    assert zh.stderr == (
        f"{events}:2: error[evaluation]: 该记录无法评估：决定的 ban `3 years` 超出 "
        "ban 1 to 2 years 的范围（提示：请对照该记录所列的项目核对其各列）\n"
    )


def test_an_expression_failing_on_the_event_names_the_expression(tmp_path):
    """A failed test's effect made to read `event.level >= "3"`: a row with the column
    empty compares nothing with "3", which the policy cannot take for that event."""
    shutil.copytree(ROOT / "policies" / "sources", tmp_path / "sources")
    text = (ROOT / "policies" / "jining.yaml").read_text("utf-8")
    old = "      - then: terminate\n        cite: 三(三)\n"
    new = '      - when: event.level >= "3"\n        then: terminate\n        cite: 三(三)\n'
    (tmp_path / "jining.yaml").write_text(edited(text, old, new), "utf-8")
    rows = [
        {"id": "E1", "person": "P", "date": "2024-04-01", "items": "TEST-FAIL", "level": "4"},
        {"id": "E2", "person": "Q", "date": "2024-04-02", "items": "TEST-FAIL", "level": ""},
    ]
    events = _events(tmp_path, rows)
    res = CliRunner().invoke(
        cli,
        ["evaluate", "--policy", str(tmp_path / "jining.yaml"), "--events", events],
    )
    assert res.exit_code == 1 and not res.stdout
    assert res.stderr.startswith(f"{events}:3: error[evaluation]: the event cannot be evaluated:")
    assert '`event.level >= "3"`' in res.stderr
    assert "E2" not in res.stderr and "`Q`" not in res.stderr


def test_an_engine_failure_in_the_fold_is_not_a_ledger_problem(tmp_path, monkeypatch):
    rows = [{"id": "E1", "person": "P", "date": "2024-04-01", "items": "C1"}]
    policy = load_policy(JINING)
    ledger = read_ledger(_events(tmp_path, rows), policy)

    def broken(self, *args):
        return [][0]  # an IndexError (a LookupError) of the engine's own

    monkeypatch.setattr(Evaluator, "fire_bands", broken)
    with pytest.raises(IndexError):
        evaluate(policy, ledger, dt.date(2024, 12, 31))


def test_the_command_exits_70_and_asks_for_a_report(tmp_path):
    events = _events(tmp_path, [{"id": "E1", "person": "P", "date": "2024-04-01", "items": "C1"}])
    script = (
        "import sys; import engine.evaluation.fold as f; "
        "f.Evaluator.fire_bands = lambda *a: [][0]; "
        "import engine.cli as c; sys.argv[0] = 'policyctl'; c.main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "evaluate", "--policy", JINING, "--events", events],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "POLICYCTL_LANG": "en"},
    )
    assert done.returncode == 70, done.stderr
    assert not done.stdout
    assert "internal error: IndexError" in done.stderr and "please report it" in done.stderr
    assert "error[evaluation]" not in done.stderr


# ---- issue 13 §10: standard error closed or full -------------------------------------

_BROKEN = (
    "import sys; import engine.evaluation.fold as f; f.Evaluator.fire_bands = lambda *a: [][0]; "
)


def _stderr_gone(how: str, args: list[str], prelude: str = "") -> subprocess.CompletedProcess:
    """The console script with standard error closed at start (`2>&-`), a pipe whose
    reader has gone, or a full device: messages are lost, the exit status is not."""
    script = prelude + "import sys, engine.cli as c; sys.argv[0] = 'policyctl'; c.main()"
    argv = [sys.executable, "-c", script, *args]
    env = {"PATH": "/usr/bin:/bin", "POLICYCTL_LANG": "en"}
    if how == "closed":
        import os

        return subprocess.run(
            argv, stdout=subprocess.PIPE, cwd=ROOT, env=env, preexec_fn=lambda: os.close(2)
        )
    if how == "pipe":
        import os

        read, write = os.pipe()
        os.close(read)
        try:
            return subprocess.run(argv, stdout=subprocess.PIPE, stderr=write, cwd=ROOT, env=env)
        finally:
            os.close(write)
    with open("/dev/full", "w") as full:
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=full, cwd=ROOT, env=env)


@pytest.mark.skipif(
    sys.platform == "win32" or not Path("/dev/full").exists(),
    reason="closes descriptors and writes to /dev/full (POSIX)",
)
@pytest.mark.parametrize("how", ["closed", "pipe", "full"])
def test_standard_error_closed_keeps_the_exit_status(tmp_path, how):
    events = _events(tmp_path, [{"id": "E1", "person": "P", "date": "2023-04-01", "items": "C1"}])
    run = ["evaluate", "--policy", JINING, "--events", events, "--as-of", "2024-12-31"]
    done = _stderr_gone(how, run)  # a warning (2023 is before the policy) goes nowhere
    assert done.returncode == 0 and b'"people"' in done.stdout
    done = _stderr_gone(how, ["evaluate", "--policy", JINING, "--events", str(tmp_path / "no")])
    assert (done.returncode, done.stdout) == (1, b"")
    assert _stderr_gone(how, ["evaluate", "--bogus"]).returncode == 2
    assert _stderr_gone(how, run, prelude=_BROKEN).returncode == 70
