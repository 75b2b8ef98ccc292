"""The README's Quick start, as a new user runs it: it succeeds, and whatever it says
on standard error the README has already explained (issue 15 §6: no unexplained
warning on a first run), in English and in Chinese."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def _quick_start(readme: Path) -> list[str]:
    """The arguments of the `policyctl evaluate` command in a README's Quick start."""
    text = readme.read_text("utf-8")
    command = re.search(r"pip install \. && policyctl (evaluate [^\n]+)", text)
    assert command, f"{readme.name}: no `policyctl evaluate` in the Quick start"
    return shlex.split(command.group(1))


@pytest.mark.parametrize("readme,lang", [("README.md", "en"), ("README.zh-CN.md", "zh")])
def test_quick_start_says_nothing_the_readme_does_not_explain(readme, lang, monkeypatch):
    monkeypatch.chdir(ROOT)
    path = ROOT / readme
    res = CliRunner().invoke(cli, ["--lang", lang, *_quick_start(path)])
    assert res.exit_code == 0, res.output
    said = [line for line in res.stderr.splitlines() if line.strip()]
    assert said, "the example ledger has events before the notice: a warning is expected"
    text = path.read_text("utf-8")
    for line in said:
        # the README quotes the sentence up to its first parenthesis (the dates follow)
        sentence = re.sub(r"^(warning|警告)[:：]\s*", "", line).split("（")[0].split(" (")[0]
        assert sentence in text, f"{readme}: the Quick start prints {line!r}, unexplained"
