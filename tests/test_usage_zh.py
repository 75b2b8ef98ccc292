"""Click's own usage errors in the chosen language (issue 15 §1: every message a
person reads exists in Chinese): a missing option, a bad choice, an unknown option
or command, a missing value, chosen by --lang, POLICYCTL_LANG or the locale. In
English they stay exactly as click words them."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from engine.cli import cli

CASES = [
    (["evaluate", "--policy", "p.yaml"], "缺少选项 '--events'", "Missing option '--events'"),
    (
        ["evaluate", "--policy", "p.yaml", "--events", "e.csv", "--format", "nope"],
        "'--format' 的值无效：'nope' 不是可选值之一",
        "Invalid value for '--format': 'nope' is not one of",
    ),
    (["evaluate", "--bogus"], "没有选项 '--bogus'", "No such option '--bogus'"),
    (
        ["evaluate", "--policy"],
        "选项 '--policy' 需要 1 个值",
        "Option '--policy' requires an argument",
    ),
    (["nocommand"], "没有命令 'nocommand'", "No such command 'nocommand'"),
]


@pytest.mark.parametrize("args,zh,en", CASES)
def test_usage_errors_in_chinese_with_lang(args, zh, en):
    chinese = CliRunner().invoke(cli, ["--lang", "zh", *args])
    assert chinese.exit_code == 2
    assert zh in chinese.stderr and "错误：" in chinese.stderr
    assert en not in chinese.stderr and "Try '" not in chinese.stderr

    english = CliRunner().invoke(cli, ["--lang", "en", *args])
    assert english.exit_code == 2
    assert en in english.stderr and "Error: " in english.stderr
    # the pointer to --help, where click gives one, in the same language
    assert ("Try '" in english.stderr) == ("查看帮助" in chinese.stderr)


def test_usage_error_in_chinese_from_the_locale():
    """The console script as a user starts it, under a Chinese locale."""
    env = {"LANG": "zh_CN.UTF-8", "PATH": "", "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "-c", "from engine.cli import main; main()", "evaluate", "--format", "x"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert "错误：'--format' 的值无效：'x' 不是可选值之一" in done.stderr, done.stderr
