"""The example reports, made once per test session through the CLI as a user makes
them, for the tests that read them (test_report_html, test_report_browser)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from click.testing import CliRunner

from engine.cli import cli

ROOT = Path(__file__).resolve().parent.parent
# the examples' findings run to the end of each policy's own years
AS_OF = {"jining": "2025-12-31", "zhanjiang": "2023-12-31"}
_FOLDER = tempfile.TemporaryDirectory(prefix="policyctl-reports-")


def example(city: str) -> tuple[str, str, str, str]:
    """(policy, events, roster, as-of) of a shipped example."""
    return (
        str(ROOT / "policies" / f"{city}.yaml"),
        str(ROOT / "examples" / city / "events.csv"),
        str(ROOT / "examples" / city / "roster.csv"),
        AS_OF[city],
    )


@functools.cache
def report(city: str, lang: str) -> Path:
    """`policyctl report` on a shipped example, in a language: the file."""
    policy, events, roster, as_of = example(city)
    path = Path(_FOLDER.name) / f"{city}-{lang}.html"
    args = ["report", "--policy", policy, "--events", events, "--roster", roster]
    args += ["--as-of", as_of, "--lang", lang, "--output", str(path)]
    res = CliRunner().invoke(cli, args)
    assert res.exit_code == 0, res.output
    return path
