"""The checks CI and pre-commit run on the engine's own code are configured as
docs/testing.md says ("The engine's own code"): a change that drops one fails here,
not silently."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_ci_runs_lint_format_types_then_tests():
    steps = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.startswith("python3 -m ")
    ]
    order = [s.split()[2] for s in steps]
    assert order.index("ruff") < order.index("mypy") < order.index("pytest")
    assert "python3 -m ruff format --check ." in steps
    assert "python3 -m mypy" in steps


def test_pre_commit_hooks_are_local_and_run_ruff_and_mypy():
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [r["repo"] for r in config["repos"]] == ["local"]  # nothing fetched on commit
    hooks = {h["id"]: h for h in config["repos"][0]["hooks"]}
    assert hooks["ruff-check"]["entry"].startswith("ruff check")
    assert hooks["ruff-format"]["entry"].startswith("ruff format")
    assert "--check" not in hooks["ruff-format"]["entry"]  # pre-commit formats, CI checks
    assert hooks["mypy"]["entry"] == "mypy" and hooks["mypy"]["pass_filenames"] is False


def test_mypy_checks_engine_and_the_strict_modules_exist():
    mypy = _pyproject()["tool"]["mypy"]
    assert mypy["files"] == ["engine"]
    strict = [o for o in mypy["overrides"] if o.get("disallow_untyped_defs")]
    assert len(strict) == 1
    modules = strict[0]["module"]
    assert "engine.vocabulary" in modules and "engine.evaluation.sanctions" in modules
    for name in modules:  # a renamed module would drop out of the strict set unseen
        assert (ROOT / (name.replace(".", "/") + ".py")).is_file(), name
    # the strict set is strict: the flags `mypy --strict` turns on, per module
    for flag in (
        "check_untyped_defs",
        "disallow_incomplete_defs",
        "disallow_untyped_calls",
        "disallow_any_generics",
        "warn_return_any",
        "no_implicit_reexport",
        "strict_equality",
    ):
        assert strict[0][flag] is True, flag
    # and no module's switched-off error codes reach into it
    for o in mypy["overrides"]:
        if "disable_error_code" in o:
            names = o["module"] if isinstance(o["module"], list) else [o["module"]]
            assert not set(names) & set(modules), names


def test_test_extra_installs_the_type_checker():
    extra = " ".join(_pyproject()["project"]["optional-dependencies"]["test"])
    assert "mypy" in extra and "types-PyYAML" in extra


def test_engine_type_checks():
    """mypy over engine/ as configured, here as well as in .ci/run: so that the test run
    before a landing catches a new type error, not only CI after it (mypy's cache,
    .mypy_cache, makes a repeat run a second or two)."""
    pytest.importorskip("mypy", reason="mypy is not installed (the `test` extra has it)")
    run = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
