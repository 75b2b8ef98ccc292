"""`policyctl validate`: one bad fixture per kind of problem, position asserted.

Positions were counted by hand in each fixture (tests/fixtures/policies): the
column is that of the offending character inside the YAML line, for an
expression the character inside the expression.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.policy.loader import check_policy

FIX = Path(__file__).parent / "fixtures" / "policies"
ROOT = Path(__file__).resolve().parent.parent

BAD = [
    ("unknown-name", "name", 17, 27),  # `deductd` inside `when:`
    ("bad-syntax", "syntax", 16, 40),  # the end of `6 <= deducted <`
    ("type-error", "type", 17, 27),  # `deducted + 1` is no condition
    ("unknown-function", "function", 17, 27),
    ("overlap", "overlap", 17, 27),  # 12 is in both tiers
    ("gap", "gap", 17, 27),  # 11 is in no tier
    ("unreachable", "unreachable", 17, 27),  # 13 is above the cap of 12
    ("duplicate-code", "duplicate", 14, 12),
    ("missing-cite", "schema", 13, 5),
    ("unknown-key", "schema", 9, 51),
    ("points-outside", "points", 14, 5),
    ("duplicate-key", "duplicate-key", 4, 1),
    ("provenance", "provenance", 14, 33),
    ("hash", "source-hash", 8, 36),
    ("bad-action", "action", 16, 59),  # `three` in `suspend three months`
    ("unknown-action", "action", 16, 51),
    ("yaml-syntax", "yaml", 13, 3),
    ("wrong-type", "schema", 9, 36),
    ("constant-fails", "evaluation", 17, 27),  # `12 / 0` folds at load: never computable
    ("zero-length", "action", 16, 51),  # `suspend 0 months`
]


def test_good_fixture_is_valid():
    policy, diags = check_policy(FIX / "good.yaml")
    assert policy is not None and diags == []


@pytest.mark.parametrize("name,code,line,col", BAD, ids=[b[0] for b in BAD])
def test_bad_fixture(name, code, line, col):
    _, diags = check_policy(FIX / f"{name}.yaml")
    errors = [d for d in diags if d.severity == "error"]
    assert errors, "expected at least one error"
    first = errors[0]
    assert (first.code, first.span.line, first.span.column) == (code, line, col)
    assert str(first.span.file).endswith(f"{name}.yaml")


@pytest.mark.parametrize("name", ["jining", "zhanjiang"])
def test_shipped_policies_have_no_diagnostics(name):
    policy, diags = check_policy(ROOT / "policies" / f"{name}.yaml")
    assert policy is not None
    assert [d.render() for d in diags] == []


def test_all_problems_are_reported(tmp_path):
    text = (FIX / "good.yaml").read_text("utf-8")
    text = text.replace("when: deducted >= 12", "when: deductd >= 12").replace(
        "then: suspend 3 months", "then: scold"
    )
    p = tmp_path / "two.yaml"
    p.write_text(text, "utf-8")
    (tmp_path / "source.txt").write_bytes((FIX / "source.txt").read_bytes())
    _, diags = check_policy(p)
    assert sorted(d.code for d in diags) == ["action", "name"]


def test_cli_validate_ok_and_exit_codes():
    runner = CliRunner()
    ok = runner.invoke(
        cli, ["validate", str(ROOT / "policies/jining.yaml"), str(ROOT / "policies/zhanjiang.yaml")]
    )
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.output
    bad = runner.invoke(cli, ["validate", str(FIX / "unknown-name.yaml")])
    assert bad.exit_code == 1
    line = bad.stderr.strip().splitlines()[0]
    assert line.endswith(
        "unknown-name.yaml:17:27: error[name]: unknown name `deductd` "
        "(hint: did you mean `deducted`?)"
    )


def test_cli_validate_json():
    runner = CliRunner()
    res = runner.invoke(cli, ["validate", "--format", "json", str(FIX / "gap.yaml")])
    assert res.exit_code == 1
    (d,) = json.loads(res.stdout)
    assert (d["code"], d["line"], d["column"], d["severity"]) == ("gap", 17, 27, "error")


def test_cli_missing_file():
    res = CliRunner().invoke(cli, ["validate", "nope.yaml"])
    assert res.exit_code == 1
    assert "error[io]" in res.stderr and "Traceback" not in res.output


def test_alias_bomb_is_bounded(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    p = tmp_path / "bomb.yaml"
    p.write_text("\n".join(lines) + "\n", "utf-8")
    _, diags = check_policy(p)
    assert diags[0].code == "yaml-size"


def test_init_writes_a_skeleton_that_validates_once_the_source_is_pasted(tmp_path):
    """Issue 15 §5: `policyctl init CITY` writes a commented skeleton policy, a source
    placeholder and a first test file; with the regulation's text pasted in, the policy
    validates (warnings only: the hash to record, the item text to quote) and the test
    passes."""
    from click.testing import CliRunner

    from engine.cli import cli

    r = CliRunner().invoke(cli, ["init", "tai-an", "--dir", str(tmp_path)])
    assert r.exit_code == 0, r.output
    policy = tmp_path / "policies" / "tai-an.yaml"
    source = tmp_path / "policies" / "sources" / "tai-an.txt"
    test = tmp_path / "policies" / "tests" / "tai-an" / "first.yaml"
    assert policy.exists() and source.exists() and test.exists()
    text = policy.read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=") and "# " in text.split("\n")[2]
    source.write_text(
        "泰安市医疗保障定点医药机构医保支付资格相关人员管理办法\n第一条 ……\n", "utf-8"
    )
    v = CliRunner().invoke(cli, ["validate", str(policy)])
    assert v.exit_code == 0, v.output
    assert "warning[source-hash]" in v.output and "sha256: " in v.output
    t = CliRunner().invoke(cli, ["test", str(test.parent)])
    assert t.exit_code == 0 and "1 passed, 0 failed" in t.output
    again = CliRunner().invoke(cli, ["init", "tai-an", "--dir", str(tmp_path)])
    assert again.exit_code == 1 and "error[init]" in again.output  # never overwrites
    bad = CliRunner().invoke(cli, ["init", "Tai An", "--dir", str(tmp_path)])
    assert bad.exit_code == 1 and "error[init]" in bad.output
    zh = CliRunner().invoke(cli, ["--lang", "zh", "init", "jinan", "--dir", str(tmp_path)])
    assert zh.exit_code == 0
    assert "逐条按规章" in (tmp_path / "policies" / "jinan.yaml").read_text("utf-8")


def test_a_provenance_mismatch_shows_the_closest_passage_and_what_differs(tmp_path):
    """Issue 15 §5. source.txt line 2: 第二条 迟到的，扣1分。早退的，扣3分。 The fixture quotes
    A2 as 早走的: the passage is 早退的 on line 2, and 走 stands where the source has 退."""
    from engine import i18n
    from engine.policy.loader import check_policy

    path = str(FIX / "provenance.yaml")
    for lang, words in (
        (
            "en",
            "closest passage, source.txt line 2: 「早退的」; "
            "differs: `走` where the source has `退`",
        ),
        ("zh", "最接近的原文：source.txt 第 2 行「早退的」；不同之处：引文为 `走`，原文为 `退`"),
    ):
        with i18n.using(lang):
            _policy, diags = check_policy(path)
        (d,) = [d for d in diags if d.code == "provenance"]
        assert words in d.hint, d.hint


def test_closest_passage_in_a_real_source():
    from engine.policy.provenance import closest

    src = (ROOT / "policies" / "sources" / "jining-2024.txt").read_text("utf-8")
    # 四(一)4 串换药品、耗材、诊疗项目和服务设施的 — quoted with 设备 for 设施
    line, passage, diffs = closest("串换药品、耗材、诊疗项目和服务设备的", src)
    assert passage == "串换药品、耗材、诊疗项目和服务设施的" and diffs == [("备", "施")]
    assert "串换药品" in src.split("\n")[line - 1]
    # a words left out: the source's words are shown
    _line, _p, diffs = closest("诱导、协助参保人员倒卖药品,接受返还现金或者获得其他非法利益的", src)
    assert diffs == [("", "、实物")]
    assert closest("完全无关的句子", src) is None
