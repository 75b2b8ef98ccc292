"""The optional components (pip extras): which are installed, and the error when one is not.

A plain `pip install policyctl` brings what the main job needs — `validate`,
`evaluate`, `explain`, `diff`, `test`, `init` — and nothing more, so that it installs
in a fraction of the time the whole set takes (docs/performance.md, "Installing"):
NumPy, Arrow, DuckDB, matplotlib and the service's stack are most of the bytes and
most of the install's time, and a policy analyst evaluating a year of findings
needs none of them. The commands that do need one ask for it here, before any work,
and a missing component is one line naming the command and the install to run
(exit 69, as sysexits' EX_UNAVAILABLE: a component of the program is not there;
README "Exit codes"), never an ImportError's traceback.

Whether a component is installed is asked of the import system (`find_spec`), not
by importing it: Arrow alone takes a few tenths of a second to import, which a
command that then falls back to the fold (`evaluate --engine auto`) would pay for
nothing. A module set to None in `sys.modules` counts as missing, as `import`
treats it (how the tests simulate a machine without it).
"""

from __future__ import annotations

import importlib.util
import sys

from engine.errors import Diagnostic, PolicyctlError, Span
from engine.i18n import N_, _

# The exit status of a command whose component is not installed (sysexits.h EX_UNAVAILABLE).
EXIT_MISSING = 69

# The modules each extra brings (pyproject.toml's [project.optional-dependencies]),
# as imported: present together means the extra is installed.
MODULES: dict[str, tuple[str, ...]] = {
    # the columnar engine (`evaluate --engine columnar`, and `auto` on a large
    # ledger), Parquet ledgers, `evaluate --format intervals` written as Parquet
    "columnar": ("numpy", "pyarrow"),
    # `screen`: claims rules compiled to SQL, joined by DuckDB, results as Arrow
    "screen": ("duckdb", "sqlglot", "pyarrow", "numpy"),
    # `report`: the charts and the inlined Chinese font
    "report": ("matplotlib", "fontTools"),
    # `db` and `serve`: the database layer, PostgreSQL's driver, the HTTP API and its server
    "serve": ("sqlalchemy", "psycopg", "fastapi", "uvicorn"),
}

# What each extra is, as the error names it
WHAT = {
    "columnar": N_("the columnar engine's components (NumPy, Arrow)"),
    "parquet": N_("Arrow, which reads and writes Parquet"),
    "screen": N_("the claims screen's components (DuckDB, SQLGlot, Arrow)"),
    "report": N_("the charts' components (matplotlib)"),
    "serve": N_("the service's components (SQLAlchemy, FastAPI, uvicorn)"),
}

MESSAGES = {
    # TRANSLATORS: {who} is a command in backquotes (`policyctl serve`) or a thing
    # ("a Parquet ledger"); {what} one of the components' descriptions
    "missing": N_("{who} needs {what}: pip install 'policyctl[{extra}]'"),
    "hint": N_("from a checkout of the source: pip install '.[{extra}]'"),
    "parquet-ledger": N_("a Parquet ledger"),
}


class MissingExtra(PolicyctlError):
    """A command needs an optional component that is not installed (exit 69)."""

    exit_code = EXIT_MISSING


def _present(module: str) -> bool:
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(extra: str) -> list[str]:
    """The modules of `extra` that are not installed (empty: it is installed)."""
    return [m for m in MODULES[extra] if not _present(m)]


def installed(extra: str) -> bool:
    """Whether every module of `extra` can be imported."""
    return not missing(extra)


def require(
    extra: str,
    command: str | None = None,
    *,
    thing: str | None = None,
    what: str | None = None,
    span: Span | None = None,
) -> None:
    """Raise MissingExtra unless `extra` is installed.

    Who needs it: `command` (`policyctl serve`, shown in backquotes) or `thing`,
    already translated by the caller ("a Parquet ledger"). `what`: the key in WHAT
    describing the need, when it is not the extra's own (a Parquet file needs
    Arrow, not the columnar engine)."""
    if installed(extra):
        return
    who = f"`{command}`" if command is not None else thing
    message = _(MESSAGES["missing"]).format(who=who, what=_(WHAT[what or extra]), extra=extra)
    raise MissingExtra(
        Diagnostic("missing-extra", message, span, _(MESSAGES["hint"]).format(extra=extra))
    )
