"""`policyctl db init` and `db load`: the schema versioned, a ledger in, all or nothing.

Each case runs on SQLite and on a throwaway PostgreSQL (skipped, with the reason
in the summary, only where no server binary exists).
"""

from __future__ import annotations

import json
import time

import pytest
from click.testing import CliRunner
from conftest import write_csv
from hypothesis import given, settings
from hypothesis import strategies as st
from serve_fixtures import ROOT
from sqlalchemy import func, inspect, select

from engine.cli import cli
from engine.serve import database, schema

JINING = str(ROOT / "policies" / "jining.yaml")
EXAMPLE = ROOT / "examples" / "jining"


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def count(url: str, table) -> int:
    db = database.connect(url)
    try:
        with db.read() as c:
            return c.execute(select(func.count()).select_from(table)).scalar()
    finally:
        db.dispose()


def test_init_creates_then_reports_up_to_date(db_url):
    first = run("db", "init", "--db", db_url)
    assert first.exit_code == 0, first.output
    assert f"schema version {schema.VERSION} created" in first.output
    again = run("db", "init", "--db", db_url)
    assert again.exit_code == 0 and "up to date" in again.output


def test_load_is_idempotent_by_event_id(db_url):
    run("db", "init", "--db", db_url)
    args = ["db", "load", "--db", db_url, "--policy", JINING]
    args += ["--events", str(EXAMPLE / "events.csv"), "--roster", str(EXAMPLE / "roster.csv")]
    first = run(*args)
    assert first.exit_code == 0, first.output
    rows = len((EXAMPLE / "events.csv").read_text("utf-8").splitlines()) - 1
    assert f"{rows:,} events added, 0 already there" in first.output
    again = run(*args)
    assert again.exit_code == 0, again.output
    assert f"0 events added, {rows:,} already there" in again.output
    assert count(db_url, schema.events) == rows
    # the first load went into an empty table, its look-up indexes dropped and built
    # again at the end (schema.deferred_indexes): they are there
    db = database.connect(db_url)
    try:
        with db.read() as c:
            names = {ix["name"] for ix in inspect(c).get_indexes("events")}
    finally:
        db.dispose()
    assert {"events_person", "events_institution"} <= names


def test_a_bad_row_loads_nothing_and_is_reported_like_evaluate(db_url, tmp_path):
    run("db", "init", "--db", db_url)
    rows = [
        {"id": "E1", "person": "P1", "date": "2024-03-01", "items": "A1"},
        {"id": "E2", "person": "P1", "date": "2024-13-01", "items": "A1"},
        {"id": "E3", "person": "P2", "date": "2024-03-02", "items": "Z9"},
    ]
    events = write_csv(tmp_path / "events.csv", rows)
    res = run("db", "load", "--db", db_url, "--policy", JINING, "--events", str(events))
    assert res.exit_code == 1
    evaluate = run("evaluate", "--policy", JINING, "--events", str(events))
    assert res.stderr == evaluate.stderr  # the same readers, the same messages
    assert "events.csv:3: error[date]" in res.stderr
    assert "events.csv:4: error[item]" in res.stderr
    assert count(db_url, schema.events) == 0  # not even E1


def test_rows_need_ids_and_a_stored_id_cannot_change(db_url, tmp_path):
    run("db", "init", "--db", db_url)
    no_ids = write_csv(
        tmp_path / "a.csv",
        [{"person": "P1", "date": "2024-03-01", "items": "A1"}],
        ["person", "date", "items"],
    )
    res = run("db", "load", "--db", db_url, "--policy", JINING, "--events", str(no_ids))
    assert res.exit_code == 1 and "error[column]: missing column `id`" in res.stderr
    one = write_csv(tmp_path / "b.csv", [{"id": "E1", "person": "P1", "date": "2024-03-01"}])
    res = run("db", "load", "--db", db_url, "--policy", JINING, "--events", str(one))
    assert res.exit_code == 1 and "error[item]" in res.stderr  # a violation needs items
    ok = write_csv(
        tmp_path / "c.csv", [{"id": "E1", "person": "P1", "date": "2024-03-01", "items": "A1"}]
    )
    assert run("db", "load", "--db", db_url, "--policy", JINING, "--events", str(ok)).exit_code == 0
    other = write_csv(
        tmp_path / "d.csv", [{"id": "E1", "person": "P1", "date": "2024-03-01", "items": "B1"}]
    )
    res = run("db", "load", "--db", db_url, "--policy", JINING, "--events", str(other))
    assert res.exit_code == 1
    assert "d.csv:2: error[duplicate-id]: event id `E1` is already in the database" in res.stderr


def test_load_needs_an_initialised_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    res = run(
        "db", "load", "--db", url, "--policy", JINING, "--events", str(EXAMPLE / "events.csv")
    )
    assert res.exit_code == 1
    assert "error[db]: the database" in res.stderr and "db init" in res.stderr


@pytest.mark.parametrize(
    "url",
    ["mysql://localhost/x", "sqlite://", "not a url"],
)
def test_only_sqlite_and_postgresql_urls(url):
    res = run("db", "init", "--db", url)
    assert res.exit_code == 1 and "error[db]" in res.stderr


def test_unreachable_postgresql_is_one_line(tmp_path):
    res = run("db", "init", "--db", "postgresql://nobody@127.0.0.1:9/none")
    assert res.exit_code == 1
    assert res.stderr.startswith("error[db]: cannot reach the database")
    assert len(res.stderr.strip().splitlines()) == 1


def test_spans_are_stored_for_everyone_loaded(db_url):
    run("db", "init", "--db", db_url)
    args = ["db", "load", "--db", db_url, "--policy", JINING]
    args += ["--events", str(EXAMPLE / "events.csv"), "--roster", str(EXAMPLE / "roster.csv")]
    assert run(*args).exit_code == 0
    db = database.connect(db_url)
    with db.read() as c:
        people = c.execute(select(func.count(func.distinct(schema.spans.c.person)))).scalar()
        meta = dict(c.execute(select(schema.meta.c.key, schema.meta.c.value)).all())
    policy = json.loads(meta["policy"])
    db.dispose()
    # beyond the engine's columns: the corrections' and decisions' (ledger/reads.py)
    kept = ["action", "ban", "document", "occurred", "reason", "suspension", "target"]
    assert json.loads(meta["event_columns"]) == kept
    lines = (EXAMPLE / "roster.csv").read_text("utf-8").splitlines()
    roster = {line.split(",")[0] for line in lines}
    assert people == len(roster) - 1  # the header
    assert policy["id"] == "jining"


def test_the_servers_checkpoints_run_beside_the_writes_not_inside_them(tmp_path):
    """With Checkpoints started, no commit copies the log into the database file
    (each connection's automatic checkpoint is off: a commit past SQLite's 1,000
    pages would otherwise do it, and wait for it), and the thread does."""
    path = tmp_path / "c.db"
    assert run("db", "init", "--db", f"sqlite:///{path}").exit_code == 0
    db = database.connect(f"sqlite:///{path}")
    idle = database.Checkpoints(db, every=3600).start()  # its first round an hour away
    try:
        with db.read() as c:
            assert c.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        size = path.stat().st_size
        with db.write() as c, c.begin():  # about 2,500 pages of log
            c.exec_driver_sql("CREATE TABLE filler (x TEXT)")
            c.exec_driver_sql(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)"
                " INSERT INTO filler SELECT hex(randomblob(2000)) FROM n"
            )
        assert path.stat().st_size == size  # the commit left it all in the log
    finally:
        idle.close()
    running = database.Checkpoints(db, every=0.05).start()
    try:
        deadline = time.monotonic() + 30
        while path.stat().st_size < size + 2_500 * 4_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= size + 2_500 * 4_000
    finally:
        running.close()
        db.dispose()


_CELL = st.text(alphabet=" aZ1-中", max_size=4)


@settings(max_examples=200, deadline=None)
@given(
    header=st.lists(
        st.sampled_from([*schema.EVENT_CELLS, "note", "ward", "name"]),
        min_size=1,
        max_size=13,
        unique=True,
    ).filter(lambda h: "id" in h),
    cells=st.lists(_CELL, max_size=14),
)
def test_a_stored_row_is_its_stripped_cells_by_name(header, cells):
    """RowShape.row (one itemgetter call for a row as wide as its columns) against its
    definition: each engine column's stripped cell or NULL, the others the policy reads
    (here `note`, `ward`) as JSON, any other (`name`) not at all."""
    from types import SimpleNamespace

    from engine.serve.store import RowShape

    ev = SimpleNamespace(id="E1", file="f.csv", line=7)
    cell = {name: cells[i].strip() for i, name in enumerate(header) if i < len(cells)}
    keep = frozenset({"note", "ward"})
    extra = {n: v for n, v in cell.items() if n in keep and v}
    want = [cell.get(c) or None for c in schema.EVENT_CELLS]
    want[0] = "E1"
    want += [json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None]
    want += ["f.csv", 7, 3]
    assert RowShape(header, keep).row(cells, ev, 3) == tuple(want)
