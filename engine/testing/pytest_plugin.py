"""A pytest plugin: scenario test files (docs/testing.md) as pytest items.

Registered through the `pytest11` entry point in pyproject.toml, so any
`pytest` run in an environment where policyctl is installed collects the
YAML cases with everything else, no conftest.py needed. Only YAML files that
live under a directory named `tests` and have top-level `cases:` and
`policy:` keys are collected: policies (no `cases`) and other YAML case files
(no `policy`) are left alone.

A case is one item; a malformed file is one collection error showing the
same `file:line: error[code]: message` lines as `policyctl test`. A failing
case is reported like the CLI does: expected against actual, then the
explanation of each person concerned, not a Python traceback. `xfail` cases
carry a strict xfail marker: a case that starts to pass fails, to say the
marker can go.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.policy.model import Policy
from engine.policy.versions import History
from engine.testing.scenarios import (
    Case,
    CaseResult,
    ScenarioError,
    Suite,
    is_test_file,
    load_file,
    run_case,
)

_POLICIES: dict[Path, Policy | History] = {}  # one load per policy file per session


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix.lower() not in (".yaml", ".yml"):
        return None
    try:
        inside = file_path.relative_to(parent.config.rootpath).parts[:-1]
    except ValueError:
        inside = file_path.parts[:-1]
    if "tests" not in inside or not is_test_file(file_path):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFileError(Exception):
    """A test file that does not load; carries its one-line problems."""


class CaseFailed(Exception):
    """A case whose outcome differs from its expectation."""

    def __init__(self, result: CaseResult):
        super().__init__(result.case.name)
        self.result = result


def _shown(path: Path) -> str:
    """The path as a user would type it: relative to the working directory if inside it."""
    rel = os.path.relpath(path)
    return str(path) if rel.startswith("..") else rel


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        try:
            suite = load_file(_shown(self.path), _POLICIES)
        except ScenarioError as exc:
            raise ScenarioFileError("\n".join(d.render() for d in exc.diagnostics)) from None
        for case in suite.cases:
            item = ScenarioItem.from_parent(self, name=case.name, suite=suite, case=case)
            if case.xfail:
                item.add_marker(pytest.mark.xfail(reason=case.xfail, strict=True))
            yield item

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, ScenarioFileError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)


class ScenarioItem(pytest.Item):
    def __init__(self, *, suite: Suite, case: Case, **kw):
        super().__init__(**kw)
        self.suite = suite
        self.case = case

    def runtest(self) -> None:
        result = run_case(self.suite, self.case)
        if result.status in ("failed", "error", "xfailed"):
            raise CaseFailed(result)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            from engine.testing.report import failure_text, heading

            r = excinfo.value.result
            return f"{heading(r)}\n" + failure_text(r)
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, self.case.line - 1, f"{self.case.name} [{self.case.cite}]"
