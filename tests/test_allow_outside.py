"""Issue 13 §16: files a policy or a test file names stay in their folder tree.

A policy's `source.file` must lie in the policy's folder tree, and a test file's
`policy:` must be a YAML file (or a folder of versions) in whose folder tree the
test file lies: otherwise an untrusted file could make policyctl read, and quote in
its messages, any file (`policy: /etc/passwd`). `--allow-outside` lifts the rule on
every command that takes a policy; before it only `validate` had it, so a policy
with its regulation's text kept elsewhere could be validated but not evaluated.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import api
from engine.cli import cli
from engine.errors import PolicyError
from engine.testing.scenarios import ScenarioError, load_file

ROOT = Path(__file__).resolve().parent.parent
JINING = ROOT / "policies" / "jining.yaml"
EVENTS = str(ROOT / "examples" / "jining" / "events.csv")
ROSTER = str(ROOT / "examples" / "jining" / "roster.csv")

CASE = """\
as_of: 2024-12-31
cases:
  - name: six points suspend for 3 months
    cite: 五(一)
    events:
      - {person: P, date: 2024-04-01, items: C1}
    expect:
      people:
        P: {status: active}
"""


def _source_elsewhere(tmp_path: Path) -> str:
    """Jining in tmp/city/ with its regulation's text in tmp/texts/ (the right text,
    so only the place is wrong)."""
    (tmp_path / "texts").mkdir()
    (tmp_path / "texts" / "jining-2024.txt").write_bytes(
        (ROOT / "policies" / "sources" / "jining-2024.txt").read_bytes()
    )
    text = JINING.read_text("utf-8")
    old = "file: sources/jining-2024.txt"
    assert text.count(old) == 1
    (tmp_path / "city").mkdir()
    path = tmp_path / "city" / "jining.yaml"
    path.write_text(text.replace(old, "file: ../texts/jining-2024.txt"), "utf-8")
    return str(path)


def _city(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sources").mkdir(exist_ok=True)
    (folder / "sources" / "jining-2024.txt").write_bytes(
        (ROOT / "policies" / "sources" / "jining-2024.txt").read_bytes()
    )
    (folder / "jining.yaml").write_bytes(JINING.read_bytes())
    return folder / "jining.yaml"


def _invoke(*args: str):
    return CliRunner().invoke(cli, ["--lang", "en", *args])


# ---- --allow-outside on every command that takes a policy -----------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["evaluate", "--events", EVENTS, "--roster", ROSTER, "--as-of", "2025-12-31"],
        ["evaluate", "--events", EVENTS, "--roster", ROSTER, "--format", "intervals"],
        ["evaluate", "--events", EVENTS, "--roster", ROSTER, "--format", "table"],
        ["report", "--as-of", "2024-12-31", "--top", "1"],
    ],
    ids=["evaluate", "intervals", "table", "report"],
)
def test_commands_refuse_a_source_outside_unless_allowed(tmp_path, monkeypatch, command):
    from engine.report import fonts

    monkeypatch.setattr(fonts, "subset", lambda text: None)  # the font's seconds test nothing here
    policy = _source_elsewhere(tmp_path)
    args = [*command, "--policy", policy]
    if command[0] == "report":  # a small ledger: the check is the policy's, not the charts'
        small = tmp_path / "events.csv"
        small.write_text("person,date,items\nP,2024-04-01,C1\n", "utf-8")
        args += ["--events", str(small), "-o", str(tmp_path / "r.html")]
    done = _invoke(*args)
    assert done.exit_code == 1
    assert "error[source]" in done.stderr and "lies outside the policy's folder" in done.stderr
    assert "--allow-outside" in done.stderr
    done = _invoke(*args, "--allow-outside")
    assert done.exit_code == 0, done.stderr
    assert "error[" not in done.stderr


def test_diff_refuses_a_source_outside_unless_allowed(tmp_path):
    policy = _source_elsewhere(tmp_path)
    done = _invoke("diff", policy, str(JINING))
    assert done.exit_code == 2 and "lies outside" in done.stderr
    done = _invoke("diff", policy, str(JINING), "--allow-outside")
    assert done.exit_code in (0, 1), done.stderr  # compared: the source's path differs
    assert "error[" not in done.stderr


def test_diff_of_two_folders_takes_the_flag_too(tmp_path):
    policy = Path(_source_elsewhere(tmp_path))
    other = _city(tmp_path / "other")
    done = _invoke("diff", str(policy.parent), str(other.parent))
    assert done.exit_code == 2 and "lies outside" in done.stderr
    done = _invoke("diff", str(policy.parent), str(other.parent), "--allow-outside")
    assert done.exit_code in (0, 1) and "error[" not in done.stderr


def test_screen_refuses_a_source_outside_unless_allowed(tmp_path):
    policy = _source_elsewhere(tmp_path)
    claims = tmp_path / "claims.csv"
    claims.write_text(
        "claim_id,person,institution,date,amount,visit\nC1,JN0001,JNH01,2025-03-01,10,outpatient\n",
        "utf-8",
    )
    args = ["screen", "--policy", policy, "--events", EVENTS, "--roster", ROSTER]
    args += ["--claims", str(claims), "--as-of", "2025-12-31"]
    done = _invoke(*args)
    assert done.exit_code == 1 and "lies outside" in done.stderr
    done = _invoke(*args, "--allow-outside")
    assert "lies outside" not in done.stderr
    assert done.exit_code == 0, done.stderr


def test_the_api_takes_allow_outside(tmp_path):
    policy = _source_elsewhere(tmp_path)
    with pytest.raises(PolicyError):
        api.evaluate_files(policy, EVENTS, ROSTER)
    outcome = api.evaluate_files(policy, EVENTS, ROSTER, allow_outside=True)
    assert outcome.people


# ---- a test file's policy -------------------------------------------------------------


def test_the_shipped_layout_is_inside(tmp_path):
    """policies/tests/CITY/x.yaml naming ../../CITY.yaml: the test file lies in the
    policy's folder tree."""
    _city(tmp_path)
    test = tmp_path / "tests" / "jining" / "t.yaml"
    test.parent.mkdir(parents=True)
    test.write_text("policy: ../../jining.yaml\n" + CASE, "utf-8")
    assert len(load_file(str(test)).cases) == 1


def test_a_test_file_s_policy_elsewhere_is_refused_unless_allowed(tmp_path):
    _city(tmp_path / "elsewhere")
    test = tmp_path / "tests" / "t.yaml"
    test.parent.mkdir()
    test.write_text("policy: ../elsewhere/jining.yaml\n" + CASE, "utf-8")
    with pytest.raises(ScenarioError) as info:
        load_file(str(test))
    diag = info.value.first
    assert (diag.code, diag.span.line) == ("test-policy", 1)
    assert "lies outside the folder tree the test file is in" in diag.message
    assert len(load_file(str(test), allow_outside=True).cases) == 1
    done = _invoke("test", str(test))
    assert done.exit_code == 1 and f"{test}:1: error[test-policy]" in done.stderr
    done = _invoke("test", str(test), "--allow-outside")
    assert done.exit_code == 0, done.output


def test_an_absolute_path_to_a_system_file_is_refused_before_it_is_read(tmp_path):
    secret = tmp_path / "etc" / "passwd"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    test = tmp_path / "tests" / "t.yaml"
    test.parent.mkdir()
    test.write_text(f"policy: {secret}\n" + CASE, "utf-8")
    done = _invoke("test", str(test))
    assert done.exit_code == 1
    assert "is not a YAML file" in done.stderr
    assert "root:x" not in done.output  # nothing of the file is quoted


def test_a_yaml_file_above_the_test_file_s_tree_is_refused(tmp_path):
    """A YAML file outside: its parse errors would quote its lines."""
    (tmp_path / "private").mkdir()
    (tmp_path / "private" / "keys.yaml").write_text("token: s3cret\n", "utf-8")
    test = tmp_path / "work" / "t.yaml"
    test.parent.mkdir()
    test.write_text("policy: ../private/keys.yaml\n" + CASE, "utf-8")
    done = _invoke("test", str(test))
    assert done.exit_code == 1 and "lies outside" in done.stderr
    assert "s3cret" not in done.output and "token" not in done.output


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero on this platform")
def test_a_device_as_a_test_file_s_policy_is_not_a_regular_file(tmp_path):
    test = tmp_path / "t.yaml"
    test.write_text("policy: /dev/zero\n" + CASE, "utf-8")
    with pytest.raises(ScenarioError) as info:
        load_file(str(test), allow_outside=True)
    assert "is not a regular file" in info.value.first.message


def test_rows_are_inline_a_test_file_names_no_ledger_file(tmp_path):
    """A test file has no ledger paths to escape by: `events: /etc/passwd` is not rows."""
    _city(tmp_path)
    test = tmp_path / "t.yaml"
    test.write_text(
        "policy: jining.yaml\n"
        + CASE.replace(
            "    events:\n      - {person: P, date: 2024-04-01, items: C1}\n",
            "    events: /etc/passwd\n    roster: /etc/group\n",
        ),
        "utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_file(str(test))
    codes = {(d.code, d.span.line) for d in info.value.diagnostics}
    assert ("test-type", 6) in codes and ("test-type", 7) in codes
