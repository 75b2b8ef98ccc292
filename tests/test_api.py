"""The Python API: `engine` gives the functions of engine/api.py, and docs/api.md's
example runs as written (a doctest: every answer on that page is checked here)."""

from __future__ import annotations

import doctest
import inspect
from pathlib import Path

import engine
from engine import api
from engine.i18n import using

ROOT = Path(__file__).resolve().parent.parent


def test_engine_gives_the_api_functions_not_modules():
    assert set(engine._API) == set(api.__all__) - {"History"}
    for name in engine._API:
        value = getattr(engine, name)
        assert inspect.isfunction(value), name
        assert value is getattr(api, name)
        assert value.__doc__, f"{name} has no docstring"
    assert set(engine._API) <= set(engine.__all__)


def test_the_api_page_runs_as_written(monkeypatch):
    monkeypatch.chdir(ROOT)  # the page's paths are the repository's
    with using("en"):
        result = doctest.testfile(
            str(ROOT / "docs" / "api.md"),
            module_relative=False,
            optionflags=doctest.ELLIPSIS,
            verbose=False,
            report=True,
        )
    assert result.attempted >= 30
    assert result.failed == 0, f"{result.failed} of docs/api.md's examples failed (see above)"


def test_the_api_page_names_every_function():
    # the page's table is where a reader looks for what the API can do: a function
    # missing from it (the db_* and screen functions were) is one nobody finds
    page = (ROOT / "docs" / "api.md").read_text("utf-8")
    table = page.split("## A notebook's worth", 1)[0]
    missing = sorted(n for n in engine._API if f"`{n}(" not in table)
    assert not missing, f"docs/api.md's table does not name {missing}"
