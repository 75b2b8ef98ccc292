"""The progress bar (issue 15 §3): on a terminal only, never in CI or into a pipe; one
line per phase with the count, and for the people (whose number is known) the percent
and time left; warnings printed after it."""

from __future__ import annotations

import io

from click.testing import CliRunner

from engine.cli import cli
from engine.report import progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_only_on_a_terminal_and_never_in_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert progress.wanted(_Tty())
    assert not progress.wanted(io.StringIO())
    monkeypatch.setenv("CI", "true")
    assert not progress.wanted(_Tty())


def test_one_line_per_phase_with_totals():
    out = _Tty()
    bar = progress.Bar(out)
    for n in (100_000, 200_000, 250_000):
        bar(n, "events")
    for n in (2000, 4000, 5000):
        bar(n, "people", 5000)
    bar.stop()
    text = out.getvalue()
    assert "events read and evaluated" in text and "250000/250000" in text
    assert "people finished and written" in text and "5000/5000" in text and "100%" in text


def test_nothing_on_stderr_when_piped():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    fix = root / "tests" / "fixtures" / "cli"
    args = ["evaluate", "--policy", str(root / "policies" / "jining.yaml"), "--events"]
    args += [str(fix / "events.csv"), "--as-of", "2025-12-31"]
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0
    # only the warnings, each on its own line: no bar, no carriage returns
    assert "\r" not in r.stderr
    assert all(line.startswith("warning: ") for line in r.stderr.splitlines())
