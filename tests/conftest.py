"""Shared helpers: evaluate inline rows under a shipped or ad-hoc policy."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Golden files and messages asserted in tests are English, whatever the developer's
# locale; tests of the Chinese output choose it explicitly (tests/test_i18n.py).
os.environ["POLICYCTL_LANG"] = "en"

# the service's databases (SQLite, a throwaway PostgreSQL), for tests/test_serve_*.py
from serve_fixtures import db_url, pg_server, pg_url  # noqa: E402, F401

from engine import i18n  # noqa: E402
from engine.evaluation.fold import evaluate  # noqa: E402
from engine.ledger.read import read_ledger  # noqa: E402
from engine.policy.loader import load_policy  # noqa: E402
from engine.vocabulary import LEDGER_COLUMNS  # noqa: E402

# The machines that run the suite are shared (several developers' and CI's runs on two
# cores): a slow spell there is no failure. Generating inputs slowly, or one example
# taking long, says nothing about the engine; what the properties assert still holds.
settings.register_profile(
    "shared-machine", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("shared-machine")

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
FORMAT = ROOT / "tests" / "fixtures" / "format"  # issue 2's small policies, one a capability

COLUMNS = list(LEDGER_COLUMNS)


def write_csv(path: Path, rows: list[dict], columns: list[str] | None = None) -> Path:
    cols = list(columns or COLUMNS)
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in cols})
    return path


def golden(path: Path, text: str) -> None:
    """Compare output with its golden file.

    With UPDATE_GOLDEN=1 a golden file that differs is rewritten and the test fails,
    asking for its diff to be read: a run that rewrites a file never passes, so the
    variable cannot make a suite green. Run again without it once the diff is read.
    """
    stale = not path.exists() or path.read_text("utf-8") != text
    if os.environ.get("UPDATE_GOLDEN") and stale:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, "utf-8")
        pytest.fail(f"{path.name} rewritten: read its diff, then run without UPDATE_GOLDEN")
    assert text == path.read_text("utf-8")


def edited(text: str, old: str, new: str) -> str:
    """`text` with `old` replaced by `new`, which must occur exactly once: a fixture
    built by replacement that silently stays the original tests nothing."""
    assert text.count(old) == 1, f"expected `{old}` once, found it {text.count(old)} times"
    return text.replace(old, new)


_CACHE: dict[str, object] = {}


def policy(name: str):
    """A shipped policy, loaded once per test session."""
    if name not in _CACHE:
        _CACHE[name] = load_policy(POLICIES / f"{name}.yaml")
    return _CACHE[name]


@functools.cache
def format_policy(name: str):
    """A format fixture (tests/fixtures/format/NAME.yaml), loaded once with every check
    (schema, model, provenance)."""
    return load_policy(FORMAT / f"{name}.yaml")


# the ledger rows the scenario tests write, by type
def violation(who: str, date: str, items: str, **kw) -> dict:
    return {"person": who, "date": date, "items": items, **kw}


def reapply(who: str, date: str) -> dict:
    return {"person": who, "date": date, "type": "reapply"}


def credit(who: str, date: str, items: str) -> dict:
    return {"person": who, "date": date, "type": "credit", "items": items}


class Runner:
    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.n = 0

    def __call__(self, pol, rows, roster=None, as_of="2025-12-31", explain=()):
        """Evaluate rows under a policy (a name or a Policy); return the JSON-shaped dict."""
        if isinstance(pol, str):
            pol = policy(pol)
        self.n += 1
        ev = write_csv(self.tmp / f"events{self.n}.csv", rows)
        ro = None
        if roster is not None:
            ro = write_csv(self.tmp / f"roster{self.n}.csv", roster, ["person", "institution"])
        ledger = read_ledger(str(ev), pol, str(ro) if ro else None)
        out = evaluate(pol, ledger, dt.date.fromisoformat(as_of), explain=explain)
        self.last = out
        return out.as_dict()


@pytest.fixture
def run(tmp_path):
    return Runner(tmp_path)


def person(result: dict, code: str) -> dict:
    return next(p for p in result["people"] if p["person"] == code)


def actions(result: dict, code: str, kind: str | None = None) -> list[dict]:
    return [a for a in person(result, code)["actions"] if kind is None or a["action"] == kind]


def cycle(result: dict, code: str, period: str) -> dict:
    return next(c for c in person(result, code)["cycles"] if c["period"] == period)


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A test that ran the CLI with `--lang zh` leaves the process in English."""
    yield
    i18n.set_language("en")
