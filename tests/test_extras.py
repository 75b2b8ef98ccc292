"""The core install and the extras (engine/extras.py, pyproject.toml).

A plain `pip install policyctl` has none of the extras' modules. Simulated here by
setting them to None in `sys.modules` (what `import` then refuses, as on a machine
without them): in-process for the commands that need an extra, which must stop
before any work with one line naming the command and the install, exit 69, in
both languages; in a fresh interpreter for the main job (validate, evaluate,
explain, diff, test), which must give the same answers as with everything
installed, and must not even import an extra's module.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.extras import EXIT_MISSING, MODULES

ROOT = Path(__file__).resolve().parent.parent
JINING = str(ROOT / "policies/jining.yaml")
ZHANJIANG = str(ROOT / "policies/zhanjiang.yaml")
EVENTS = str(ROOT / "examples/jining/events.csv")
ROSTER = str(ROOT / "examples/jining/roster.csv")
EVERY_EXTRA_MODULE = sorted({m for modules in MODULES.values() for m in modules})


def _without(monkeypatch, *modules: str) -> None:
    for m in modules:
        monkeypatch.setitem(sys.modules, m, None)


def _parquet_ledger(tmp_path: Path) -> str:
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pacsv.read_csv(EVENTS, convert_options=pacsv.ConvertOptions(column_types={}))
    table = table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))
    path = tmp_path / "events.parquet"
    pq.write_table(table, path)
    return str(path)


# (modules taken away, arguments, the command named, the extra to install)
CASES = [
    (
        ["duckdb"],
        ["screen", "--policy", JINING, "--events", EVENTS, "--claims", "claims.csv"],
        "policyctl screen",
        "screen",
    ),
    (
        ["sqlglot"],
        ["screen", "--policy", JINING, "--events", EVENTS, "--claims", "claims.csv"],
        "policyctl screen",
        "screen",
    ),
    (
        ["matplotlib"],
        ["report", "--policy", JINING, "--events", EVENTS, "-o", "{tmp}/report.html"],
        "policyctl report",
        "report",
    ),
    (
        ["duckdb"],
        [
            "report",
            "--policy",
            JINING,
            "--events",
            EVENTS,
            "--claims",
            EVENTS,
            "-o",
            "{tmp}/r.html",
        ],
        "policyctl report --claims",
        "screen",
    ),
    (["sqlalchemy"], ["db", "init", "--db", "sqlite:///{tmp}/p.db"], "policyctl db init", "serve"),
    (
        ["sqlalchemy"],
        ["db", "load", "--db", "sqlite:///{tmp}/p.db", "--policy", JINING, "--events", EVENTS],
        "policyctl db load",
        "serve",
    ),
    (
        ["fastapi"],
        ["serve", "--db", "sqlite:///{tmp}/p.db", "--policy", JINING],
        "policyctl serve",
        "serve",
    ),
    (
        ["numpy"],
        ["evaluate", "--policy", JINING, "--events", EVENTS, "--engine", "columnar"],
        "policyctl evaluate --engine columnar",
        "columnar",
    ),
    (
        ["pyarrow"],
        ["diff", JINING, ZHANJIANG, "--events", EVENTS, "--engine", "columnar"],
        "policyctl diff --engine columnar",
        "columnar",
    ),
    (
        ["pyarrow"],
        ["evaluate", "--policy", JINING, "--events", EVENTS, "--format", "intervals"]
        + ["-o", "{tmp}/iv.parquet"],
        "policyctl evaluate --format intervals -o FILE.parquet",
        "columnar",
    ),
]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(
    "modules,args,command,extra", CASES, ids=[f"{c[2]}-{c[0][0]}" for c in CASES]
)
def test_a_command_whose_extra_is_missing_says_what_to_install(
    modules, args, command, extra, lang, monkeypatch, tmp_path
):
    _without(monkeypatch, *modules)
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    r = CliRunner().invoke(cli, ["--lang", lang, *args])
    assert r.exit_code == EXIT_MISSING, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith("error[missing-extra]: ")
    assert f"`{command}`" in line
    assert f"pip install 'policyctl[{extra}]'" in line
    assert f"pip install '.[{extra}]'" in line
    assert ("需要" in line) == (lang == "zh")
    assert list(tmp_path.iterdir()) == [], "nothing is written"


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_parquet_ledger_without_arrow_is_one_line_at_the_file(lang, monkeypatch, tmp_path):
    ledger = _parquet_ledger(tmp_path)
    _without(monkeypatch, "pyarrow")
    r = CliRunner().invoke(
        cli,
        ["--lang", lang, "evaluate", "--policy", JINING, "--events", ledger, "--roster", ROSTER],
    )
    assert r.exit_code == EXIT_MISSING, r.output
    assert r.stdout == ""
    [line] = r.stderr.splitlines()
    assert line.startswith(f"{ledger}: error[missing-extra]: ")
    assert "pip install 'policyctl[columnar]'" in line
    assert ("Parquet 格式的台账" in line) == (lang == "zh")


def test_the_parquet_ledger_reads_with_arrow(tmp_path):
    """(the case above fails for the missing component, not for the file)"""
    ledger = _parquet_ledger(tmp_path)
    args = [
        "evaluate",
        "--policy",
        JINING,
        "--events",
        "{}",
        "--roster",
        ROSTER,
        "--format",
        "json",
    ]
    parquet = CliRunner().invoke(cli, [a.format(ledger) for a in args])
    csv = CliRunner().invoke(cli, [a.format(EVENTS) for a in args])
    assert parquet.exit_code == 0, parquet.output
    assert json.loads(parquet.stdout)["people"] == json.loads(csv.stdout)["people"]


@pytest.fixture
def findings(tmp_path) -> str:
    """The example ledger without its institution events (which need a roster, and so
    the fold): a ledger the columnar engine takes."""
    lines = Path(EVENTS).read_text("utf-8").splitlines(keepends=True)
    events = tmp_path / "events.csv"
    events.write_text("".join(x for x in lines if ",institution_" not in x), "utf-8")
    return str(events)


def test_auto_folds_when_the_columnar_engine_is_not_installed(monkeypatch, findings):
    """`--engine auto` on a ledger large enough for the columnar engine (the threshold
    lowered to take the example) folds on a core install, with the same answers."""
    import engine.columnar.run as run

    monkeypatch.setattr(run, "AUTO_BYTES", 0)
    taken = []
    columnar_evaluator = run.columnar_evaluator

    def spy(*a, **k):
        taken.append(a)
        return columnar_evaluator(*a, **k)

    monkeypatch.setattr(run, "columnar_evaluator", spy)
    args = ["evaluate", "--policy", JINING, "--events", findings, "--as-of", "2025-12-31"]
    args += ["--format", "json"]
    columnar = CliRunner().invoke(cli, [*args, "--engine", "auto"])
    assert len(taken) == 1, "with everything installed, auto takes the columnar engine"
    fold = CliRunner().invoke(cli, [*args, "--engine", "fold"])
    _without(monkeypatch, "numpy")
    core = CliRunner().invoke(cli, [*args, "--engine", "auto"])
    assert len(taken) == 1, "without NumPy, auto folds"
    assert core.exit_code == fold.exit_code == columnar.exit_code == 0, core.output
    assert core.stdout == fold.stdout == columnar.stdout
    assert json.loads(core.stdout)["people"]


def test_diff_auto_folds_both_sides_when_the_columnar_engine_is_not_installed(
    monkeypatch, findings
):
    import engine.columnar.run as run

    monkeypatch.setattr(run, "AUTO_EVENTS", 0)
    taken = []
    ledger_evaluator = run.ledger_evaluator

    def spy(*a, **k):
        ev = ledger_evaluator(*a, **k)
        taken.append(ev is not None)
        return ev

    monkeypatch.setattr(run, "ledger_evaluator", spy)
    args = ["diff", JINING, ZHANJIANG, "--events", findings, "--as-of", "2025-12-31"]
    args += ["--map", str(ROOT / "policies/maps/jining-to-zhanjiang.yaml"), "--format", "json"]
    columnar = CliRunner().invoke(cli, [*args, "--engine", "auto"])
    assert any(taken), "with everything installed, auto takes the columnar engine"
    fold = CliRunner().invoke(cli, [*args, "--engine", "fold"])
    taken.clear()
    _without(monkeypatch, "pyarrow")
    core = CliRunner().invoke(cli, [*args, "--engine", "auto"])
    assert taken and not any(taken), "without Arrow, auto folds both sides"
    assert core.exit_code == fold.exit_code == columnar.exit_code == 1, core.output
    assert core.stdout == fold.stdout == columnar.stdout


# -- the core commands, in an interpreter where no extra's module can be imported ----

_LEDGER = ["--events", EVENTS, "--roster", ROSTER, "--as-of", "2025-12-31"]
_CORE = [
    ["--lang", "en", "validate", str(ROOT / "policies")],
    ["evaluate", "--policy", JINING, *_LEDGER, "--format", "table"],  # the README's
    ["evaluate", "--policy", JINING, *_LEDGER, "--format", "csv"],
    ["--lang", "zh", "evaluate", "--policy", JINING, *_LEDGER, "--explain", "JN0199"],
    ["evaluate", "--policy", JINING, *_LEDGER, "--format", "intervals"],
    ["evaluate", "--policy", JINING, *_LEDGER, "--format", "json", "--redact"],
    ["diff", JINING, ZHANJIANG, *_LEDGER],
    ["diff", JINING, ZHANJIANG],
    ["test", str(ROOT / "policies/tests/jining")],
    ["pseudonym", "JN0199", "JN0226"],
]
# the key --redact and pseudonym read (a test's, not a secret)
_KEY = "00" * 32

_BLOCKED_RUN = """
import json, sys
sys.modules.update(dict.fromkeys(json.loads(sys.argv[1])))
from click.testing import CliRunner
from engine.cli import cli
out = []
for args in json.loads(sys.argv[2]):
    r = CliRunner().invoke(cli, args)
    out.append([r.exit_code, r.stdout, repr(r.exception) if r.exit_code not in (0, 1) else ""])
print(json.dumps(out))
"""


def test_the_main_job_runs_the_same_without_any_extra(monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("POLICYCTL_REDACT_KEY", _KEY)
    blocked = EVERY_EXTRA_MODULE + ["matplotlib", "PIL", "pyspark", "starlette", "pydantic"]
    done = subprocess.run(
        [sys.executable, "-c", _BLOCKED_RUN, json.dumps(blocked), json.dumps(_CORE)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    for args, (code, stdout, exception) in zip(_CORE, results, strict=True):
        full = CliRunner().invoke(cli, args)
        assert (code, exception) == (full.exit_code, ""), (args, exception)
        assert stdout == full.stdout, args
        assert stdout.strip(), args


def test_importing_the_cli_and_the_api_imports_no_extra():
    code = (
        "import sys, engine, engine.cli, engine.api, engine.columnar.run\n"
        "print(sorted({m.split('.')[0] for m in sys.modules}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert "engine" in loaded and "click" in loaded  # (the check sees what is imported)
    assert loaded.isdisjoint(EVERY_EXTRA_MODULE + ["matplotlib", "pyspark"])
