"""What `pip install .` puts on a machine: the wheel flit-core builds from this tree.

Built in-process (flit_core.wheel, the backend pyproject.toml names, about half a
second), then read as pip would unpack it: every file the engine opens at run time
must be inside, and nothing of the tree outside engine/ (tests, examples, bench).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

flit_wheel = pytest.importorskip(
    "flit_core.wheel", reason="flit-core (the build backend, in the test extra) is not installed"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    built = flit_wheel.make_wheel_in(ROOT / "pyproject.toml", tmp_path_factory.mktemp("wheel"))
    return zipfile.ZipFile(built.file)


def test_the_wheel_holds_every_file_read_at_run_time(wheel):
    names = set(wheel.namelist())
    # the files the engine opens beside its modules (importlib.resources / Path(__file__))
    needed = {
        "engine/dsl/grammar.lark",
        "engine/policy/policy.schema.json",
        "engine/i18n/locale/zh_CN/LC_MESSAGES/policyctl.mo",
        "engine/i18n/locale/en/LC_MESSAGES/policyctl.mo",
    }
    needed |= {
        p.relative_to(ROOT).as_posix() for p in (ROOT / "engine/report/templates").glob("*.html")
    }
    assert len(needed) > 4, "the report's templates were not found in the tree"
    assert needed <= names, sorted(needed - names)
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "engine").rglob("*.py")}
    assert modules <= names, sorted(modules - names)


def test_the_wheel_holds_the_engine_only(wheel):
    tops = {n.split("/")[0] for n in wheel.namelist()}
    assert tops == {"engine", "policyctl-0.1.0.dist-info"}
    assert not [n for n in wheel.namelist() if "__pycache__" in n or n.endswith(".pyc")]


def test_the_wheel_declares_the_console_script_and_the_pytest_plugin(wheel):
    entry = wheel.read("policyctl-0.1.0.dist-info/entry_points.txt").decode()
    assert "policyctl=engine.cli:main" in entry.replace(" ", "")
    assert "policyctl=engine.testing.pytest_plugin" in entry.replace(" ", "")
