"""Personal data in the status service (issue 22 §3; docs/privacy.md, "The service").

Reads need a token unless the service is started `--reads open`; every read of a
person is entered in the access log (who: the token's name; when; which person;
which endpoint; never the answer) before it is answered, and the operator exports
it with `policyctl db access-log`; `policyctl db erase` removes one person, all or
nothing; `policyctl db purge` applies the operator's retention setting. SQLite and
PostgreSQL both (`db_url`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_csv
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from serve_fixtures import ROOT, TOKEN, WRITE, client
from sqlalchemy import select
from test_serve_timeline import PEOPLE, SITES, ledger_rows, roster

from engine.cli import cli
from engine.serve import database, schema
from engine.serve.load import db_load
from engine.serve.run import Options, ServeError, build

JINING = str(ROOT / "policies" / "jining.yaml")
AS_OF = dt.date(2026, 6, 30)
READ = "read-token-for-the-claims-system"
CLAIMS = {"Authorization": f"Bearer {READ}"}
# Jining 五(一): C1 (6 points) suspends 3 months; 五(二) restores automatically
EVENTS = [
    {"id": "E1", "person": "P1", "date": "2022-03-01", "items": "C1"},  # 2022-03-01..05-31
    {"id": "E2", "person": "P2", "date": "2024-06-03", "items": "C1"},  # 2024-06-03..09-02
    {"id": "E3", "person": "P3", "date": "2022-03-01", "items": "A1"},
]
ROSTER = [{"person": "P3", "institution": "H1"}, {"person": "P2", "institution": "H1"}]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def app_for(url: str, tmp: Path, reads: str = "token") -> tuple[TestClient, object]:
    """The app with a write token and a named read token (`claims-system`)."""
    db = database.connect(url)
    schema.init(db)
    db.dispose()
    (tmp / "write").write_text(TOKEN + "\n")
    (tmp / "read").write_text(f"claims-system:{READ}\n\n")
    options = Options(
        url,
        (JINING,),
        token_file=str(tmp / "write"),
        read_token_file=str(tmp / "read"),
        reads=reads,
    )
    app, _about, service = build(options)
    return TestClient(app), service


@pytest.fixture
def loaded(db_url, tmp_path):
    app, service = app_for(db_url, tmp_path)
    db_load(
        service.db,
        JINING,
        str(write_csv(tmp_path / "events.csv", EVENTS)),
        str(write_csv(tmp_path / "roster.csv", ROSTER, ["person", "institution"])),
    )
    with app:
        yield app, service, db_url
    service.db.dispose()


def log_of(url: str, *extra: str) -> list[dict]:
    res = run("db", "access-log", "--db", url, "--format", "jsonl", *extra)
    assert res.exit_code == 0, res.output
    return [json.loads(line) for line in res.stdout.splitlines()]


def test_reads_need_a_token_by_default(loaded):
    app, _service, _url = loaded
    res = app.get("/v1/people/P2/status")
    assert res.status_code == 401 and res.json()["errors"][0]["code"] == "unauthorized"
    assert res.headers["www-authenticate"] == "Bearer"
    wrong = {"Authorization": "Bearer wrong"}
    assert app.get("/v1/people/P2/status", headers=wrong).status_code == 401
    assert app.get("/v1/people/P2/status", headers=CLAIMS).status_code == 200
    assert app.get("/v1/people/P2/status", headers=WRITE).status_code == 200  # the writer reads
    lines = [{"claim_id": "c", "person": "P2", "date": "2024-07-01"}]
    assert app.post("/v1/claims/check", json={"lines": lines}).status_code == 401
    assert app.get("/v1/people/P2").status_code == 401
    assert app.get("/v1/people/P2/explain").status_code == 401
    assert app.get("/v1/health").status_code == 200  # names no one


def test_serve_without_any_token_refuses_to_start_unless_reads_are_open(tmp_path, monkeypatch):
    monkeypatch.delenv("POLICYCTL_TOKEN", raising=False)
    monkeypatch.delenv("POLICYCTL_READ_TOKEN", raising=False)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run("db", "init", "--db", url).exit_code == 0
    with pytest.raises(ServeError) as err:
        build(Options(url, (JINING,)))
    assert "--reads open" in (err.value.diagnostics[0].hint or "")
    app, _about, service = build(Options(url, (JINING,), reads="open"))
    with TestClient(app) as c:
        assert c.get("/v1/people/P9/status").status_code == 200
    service.db.dispose()
    assert [e["who"] for e in log_of(url)] == ["-"]  # read, but by no one known


def test_read_token_files_name_their_holders(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    (tmp_path / "read").write_text(f"{READ}\nauditor@bureau:{'a' * 20}\n")
    run("db", "init", "--db", url)
    app, _about, service = build(Options(url, (JINING,), read_token_file=str(tmp_path / "read")))
    with TestClient(app) as c:
        c.get("/v1/people/P1/status", headers=CLAIMS)
        c.get("/v1/people/P1/status", headers={"Authorization": f"Bearer {'a' * 20}"})
    service.db.dispose()
    assert [e["who"] for e in log_of(url)] == ["reader", "auditor@bureau"]
    for bad in ("bad name:" + "b" * 20, f"x:{'c' * 20}\nx:{'d' * 20}", "short"):
        (tmp_path / "read").write_text(bad)
        with pytest.raises(ServeError) as err:
            build(Options(url, (JINING,), read_token_file=str(tmp_path / "read")))
        assert err.value.diagnostics[0].code == "usage"


def test_the_environment_s_read_token_is_one_token_taken_whole(tmp_path, monkeypatch):
    # docs/service.md: POLICYCTL_READ_TOKEN is one token, named `reader`; a `:` in it is
    # the token's own (it was split as NAME:TOKEN: the whole token refused, 401, and a
    # token whose part before the `:` was no name refused the start, quoting that part)
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    run("db", "init", "--db", url)
    monkeypatch.delenv("POLICYCTL_TOKEN", raising=False)
    for whole in ("abc+def:0123456789abcdefghij", "claims:0123456789abcdefghij"):
        monkeypatch.setenv("POLICYCTL_READ_TOKEN", whole)
        app, _about, service = build(Options(url, (JINING,)))
        with TestClient(app) as c:
            ok = c.get("/v1/people/P1/status", headers={"Authorization": f"Bearer {whole}"})
            part = c.get(
                "/v1/people/P1/status",
                headers={"Authorization": "Bearer " + whole.partition(":")[2]},
            )
        service.db.dispose()
        assert (ok.status_code, part.status_code) == (200, 401)
    assert [e["who"] for e in log_of(url)] == ["reader", "reader"]


def test_every_read_of_a_person_is_in_the_access_log(loaded):
    app, _service, url = loaded
    app.get("/v1/people/P2/status", params={"date": "2024-07-01"}, headers=CLAIMS)
    app.get("/v1/people/P2", headers=WRITE)
    app.get("/v1/people/P1/explain", headers=CLAIMS)
    app.get("/v1/people/NOBODY", headers=CLAIMS)  # 404, but asked for: entered
    lines = [
        {"claim_id": "c1", "person": "P2", "date": "2024-07-01"},
        {"claim_id": "c2", "person": "P3", "date": "2024-07-01"},
        {"claim_id": "c3", "person": "P2", "date": "2024-07-02"},
    ]
    assert app.post("/v1/claims/check", json={"lines": lines}, headers=CLAIMS).status_code == 200
    # not reads of a person: health, the API document, a write, a refused read
    app.get("/v1/health")
    app.get("/v1/openapi.json")
    post = {"id": "E9", "person": "P3", "date": "2024-07-01", "items": "A1"}
    app.post("/v1/events", json={"events": [post]}, headers=WRITE)
    app.get("/v1/people/P3/status")
    got = [(e["who"], e["person"], e["endpoint"]) for e in log_of(url)]
    assert got == [
        ("claims-system", "P2", "GET /v1/people/{code}/status"),
        ("writer", "P2", "GET /v1/people/{code}"),
        ("claims-system", "P1", "GET /v1/people/{code}/explain"),
        ("claims-system", "NOBODY", "GET /v1/people/{code}"),
        ("claims-system", "P2", "POST /v1/claims/check"),  # one entry a person a request
        ("claims-system", "P3", "POST /v1/claims/check"),
    ]
    entries = log_of(url)
    assert all(set(e) == {"at", "who", "person", "endpoint"} for e in entries)  # no payload
    assert entries[0]["at"][:2] == "20" and entries[0]["at"].endswith("+00:00")
    # CSV, filtered, to a file
    res = run("db", "access-log", "--db", url, "--person", "P2")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert [r["endpoint"] for r in rows] == [
        "GET /v1/people/{code}/status",
        "GET /v1/people/{code}",
        "POST /v1/claims/check",
    ]
    assert log_of(url, "--since", "2999-01-01") == []
    assert len(log_of(url, "--until", entries[0]["at"][:10])) == len(entries)


def test_access_log_export_to_a_file(loaded, tmp_path):
    app, _service, url = loaded
    app.get("/v1/people/P2/status", headers=CLAIMS)
    out = tmp_path / "access.csv"
    res = run("db", "access-log", "--db", url, "-o", str(out))
    assert res.exit_code == 0 and res.stdout == ""
    header, entry = out.read_text("utf-8").splitlines()
    assert header == "at,who,person,endpoint"
    assert entry.endswith(",claims-system,P2,GET /v1/people/{code}/status")


def test_a_read_that_cannot_be_entered_is_not_answered(loaded):
    app, service, _url = loaded
    with service.db.write() as conn, conn.begin():
        conn.exec_driver_sql("DROP TABLE access_log")
    res = app.get("/v1/people/P2/status", headers=CLAIMS)
    assert res.status_code == 503 and res.json()["errors"][0]["code"] == "access-log"
    assert "P2" not in res.text


def test_a_write_s_answer_is_entered_for_each_person_it_tells_of(loaded):
    # an institution's suspension (Jining 三(四)) changes the answers of all its staff,
    # and the answer's `changed` tells each one's status: a read of each, entered under
    # the write token's name with the POST's template
    app, _service, url = loaded
    row = {"id": "I1", "date": "2025-05-01", "type": "institution_suspended", "institution": "H1"}
    res = app.post("/v1/events", json={"events": [row]}, headers=WRITE)
    assert res.status_code == 200, res.text
    assert sorted(c["person"] for c in res.json()["changed"]) == ["P2", "P3"]
    got = sorted((e["who"], e["person"], e["endpoint"]) for e in log_of(url))
    assert got == [("writer", "P2", "POST /v1/events"), ("writer", "P3", "POST /v1/events")]
    # the same again changes no one's answer: nothing told, nothing entered
    again = app.post("/v1/events", json={"events": [row]}, headers=WRITE).json()
    assert again["changed"] == [] and len(log_of(url)) == 2


def test_a_write_whose_entries_cannot_be_written_stores_nothing(loaded):
    # the entries go in the events' own transaction: no log, no events, no answer
    app, service, _url = loaded
    with service.db.write() as conn, conn.begin():
        conn.exec_driver_sql("DROP TABLE access_log")
    row = {"id": "I1", "date": "2025-05-01", "type": "institution_suspended", "institution": "H1"}
    res = app.post("/v1/events", json={"events": [row]}, headers=WRITE)
    assert res.status_code == 503 and res.json()["errors"][0]["code"] == "access-log"
    assert "P2" not in res.text and "P3" not in res.text
    with service.db.read() as conn:
        ids = [r[0] for r in conn.execute(select(schema.events.c.id))]
        spans = [dict(r._mapping) for r in conn.execute(select(schema.spans))]
    assert sorted(ids) == ["E1", "E2", "E3"]
    assert not any(s["start"] >= "2025" for s in spans)  # no cascade stored


def test_db_erase_removes_one_person_all_of_them(loaded):
    app, _service, url = loaded
    app.get("/v1/people/P2/status", headers=CLAIMS)
    app.get("/v1/people/P3/status", headers=CLAIMS)
    before = app.get("/v1/people/P2/status", params={"date": "2024-07-01"}, headers=CLAIMS)
    assert before.json()["status"] == "suspended"
    res = run("db", "erase", "--db", url, "--person", "P2")
    assert res.exit_code == 0, res.output
    said = "1 events, 1 roster rows, 3 status spans, 2 access-log entries, 1 roster site rows"
    assert said in res.stdout  # P2's one site, H1, reported with the rest
    assert "P2" not in res.output
    now = app.get("/v1/people/P2/status", params={"date": "2024-07-01"}, headers=CLAIMS).json()
    assert (now["status"], now["on_record"]) == ("active", False)
    assert app.get("/v1/people/P2", headers=CLAIMS).status_code == 404
    # the reads just made are entered again; the erased ones are gone
    assert [e["person"] for e in log_of(url)] == ["P3", "P2", "P2"]
    assert app.get("/v1/people/P3", headers=CLAIMS).status_code == 200  # others untouched
    again = run("db", "erase", "--db", url, "--person", "NOT-THERE")
    assert again.exit_code == 1 and "error[person]" in again.output
    assert "NOT-THERE" not in again.output


def test_db_purge_applies_the_retention_setting(loaded):
    """Retention 365 days, as of 2024-12-31: the cutoff is 2024-01-01. P1 (off the roster)
    saw their record close on 2022-06-01 (3 months from 2022-03-01, 五(一)/(二)): purged.
    P2 suspended from 2024-06-03: kept. P3's one finding (A1, 1 point) is from 2022 and
    they were never sanctioned, but they are on the roster: a practising person's history
    is kept whatever its age (五(一) looks back three years)."""
    app, _service, url = loaded
    app.get("/v1/people/P1/status", headers=CLAIMS)
    db = database.connect(url)
    with db.write() as conn, conn.begin():  # an entry from long ago
        conn.execute(
            schema.access_log.insert().values(
                at="2023-05-01T09:00:00.000+00:00", who="old", person="P2", endpoint="GET x"
            )
        )
    db.dispose()
    res = run("db", "purge", "--db", url, "--as-of", "2024-12-31")
    assert res.exit_code == 1 and "error[retention]" in res.output
    res = run("db", "init", "--db", url, "--retention-days", "365")
    assert res.exit_code == 0 and "365 days" in res.stdout
    dry = run("db", "purge", "--db", url, "--as-of", "2024-12-31", "--dry-run")
    assert dry.exit_code == 0, dry.output
    said = "before 2024-01-01, would remove the records of 1 people (1 events, 3 status spans)"
    assert said in dry.stdout
    assert len(log_of(url)) == 2  # nothing removed
    res = run("db", "purge", "--db", url, "--as-of", "2024-12-31")
    assert res.exit_code == 0, res.output
    assert "removed the records of 1 people (1 events, 3 status spans)" in res.stdout
    assert "and 1 access-log entries" in res.stdout
    assert [e["who"] for e in log_of(url)] == ["claims-system"]  # today's stays
    p1 = app.get("/v1/people/P1/status", params={"date": "2022-04-01"}, headers=CLAIMS).json()
    assert (p1["status"], p1["on_record"]) == ("active", False)
    assert app.get("/v1/people/P1", headers=CLAIMS).status_code == 404
    p3 = app.get("/v1/people/P3", headers=CLAIMS).json()
    assert [c["deducted"] for c in p3["cycles"]] == [1]
    p2 = app.get("/v1/people/P2/status", params={"date": "2024-07-01"}, headers=CLAIMS).json()
    assert p2["status"] == "suspended"
    res = run("db", "purge", "--db", url, "--as-of", "2024-12-31")
    assert "removed the records of 0 people" in res.stdout


def test_db_purge_keeps_every_record_without_a_roster(tmp_path):
    """With no roster loaded it cannot tell who left: only the access log is purged."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    app, service = app_for(url, tmp_path)
    db_load(service.db, JINING, str(write_csv(tmp_path / "events.csv", EVENTS)))
    service.db.dispose()
    run("db", "init", "--db", url, "--retention-days", "30")
    res = run("db", "purge", "--db", url, "--as-of", "2026-01-01")
    assert res.exit_code == 0, res.output
    assert "removed the records of 0 people (0 events, 0 status spans)" in res.stdout


def test_an_unexpected_error_is_logged_without_its_message(tmp_path, caplog):
    app, service = client(f"sqlite:///{tmp_path / 'db.sqlite'}", "jining")

    def broken(code, day):
        raise ValueError(f"no such person {code} 张三 370102199001011234")

    service.status = broken  # type: ignore[method-assign]
    caplog.set_level(logging.DEBUG)
    with app:
        res = app.get("/v1/people/JN0199/status")
    service.db.dispose()
    assert res.status_code == 500 and res.json()["errors"][0]["code"] == "internal"
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "ValueError" in text and "tests/test_serve_privacy.py" not in text
    for secret in ("JN0199", "张三", "370102199001011234"):
        assert secret not in text and secret not in res.text


# ---- the service's own output --------------------------------------------------------------

NAMES = ["张三丰", "李四光", "王五"]
IDS = ["370102198001011234", "37010219751231567X", "370103199002028888"]
CODES = ["JNQ731", "JNQ842", "JNQ953"]


def test_the_running_service_prints_no_name_code_or_id_number(tmp_path):
    """A real `policyctl serve` on a ledger whose rows carry names and ID numbers: reads
    of every kind, posts good and bad, unknown people and routes, wrong tokens, bad dates
    and bodies quoting a name. Nothing it prints names anyone."""
    import os
    import signal
    import subprocess
    import sys
    import time

    import httpx
    from serve_fixtures import free_port

    roster = [
        {"person": c, "institution": "H1", "name": n, "id_number": i}
        for c, n, i in zip(CODES, NAMES, IDS, strict=True)
    ]
    events = [
        {"id": "Q1", "person": CODES[0], "date": "2025-03-01", "items": "C1", "name": NAMES[0]},
        {"id": "Q2", "person": CODES[1], "date": "2025-04-01", "items": "A1", "name": NAMES[1]},
    ]
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run("db", "init", "--db", url).exit_code == 0
    res = run(
        "db",
        "load",
        "--db",
        url,
        "--policy",
        JINING,
        "--events",
        str(write_csv(tmp_path / "events.csv", events, ["id", "person", "date", "items", "name"])),
        "--roster",
        str(write_csv(tmp_path / "roster.csv", roster, list(roster[0]))),
    )
    assert res.exit_code == 0, res.output
    (tmp_path / "read").write_text(f"claims-system:{READ}\n")
    port = free_port()
    env = {**os.environ, "POLICYCTL_TOKEN": TOKEN}
    env.pop("POLICYCTL_READ_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", "from engine.cli import main; main()", "serve", "--db", url]
        + ["--policy", JINING, "--port", str(port), "--read-token-file", str(tmp_path / "read")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            try:
                if httpx.get(base + "/v1/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        with httpx.Client(base_url=base, headers=CLAIMS, timeout=30) as http:
            seen = []
            for who in [*CODES, *NAMES, *IDS]:
                for path in ("/status", "", "/explain"):
                    seen.append(http.get(f"/v1/people/{who}{path}").status_code)
                    seen.append(http.get(f"/v1/people/{who}{path}?date={who}").status_code)
            lines = [
                {"claim_id": i, "person": c, "date": "2025-05-01"}
                for i, c in zip(IDS, CODES, strict=True)
            ]
            seen.append(http.post("/v1/claims/check", json={"lines": lines}).status_code)
            bad = [{"claim_id": "x", "person": NAMES[0], "date": IDS[0]}]
            seen.append(http.post("/v1/claims/check", json={"lines": bad}).status_code)
            broken = f'{{"lines": [{NAMES[1]}'.encode()
            kind = {"Content-Type": "application/json"}
            seen.append(http.post("/v1/claims/check", content=broken, headers=kind).status_code)
            seen.append(http.get(f"/v1/{CODES[2]}/{NAMES[2]}").status_code)  # no such route
            wrong = {"Authorization": f"Bearer {IDS[2]}"}
            seen.append(http.get(f"/v1/people/{CODES[0]}/status", headers=wrong).status_code)
            write = {"Authorization": f"Bearer {TOKEN}"}
            good = {"id": "Q3", "person": CODES[2], "date": "2025-06-01", "items": "C1"}
            bad_row = {"id": IDS[1], "person": NAMES[2], "date": "2025-06-01", "items": "NOPE"}
            for body in (
                {"events": [good]},
                {"events": [bad_row]},
                {"events": [good | {"date": "x"}]},
            ):
                seen.append(http.post("/v1/events", json=body, headers=write).status_code)
        assert {200, 400, 401, 404, 422} <= set(seen), seen  # every path was taken
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    printed = (out + err).decode("utf-8", "replace")
    import re

    logged = re.findall(r" (GET|POST) (\S+) (\d{3}) [\d.]+ms$", printed, re.M)
    asked = [x for x in logged if x[1] != "/v1/health"]
    assert len(asked) == len(seen), printed  # one line a request, and each read
    assert ("POST", "/v1/events", "422") in asked and ("POST", "/v1/events", "200") in asked
    assert ("GET", "/v1/people/{code}/explain", "404") in asked
    for secret in [*NAMES, *IDS, *CODES, READ, TOKEN]:
        assert secret not in printed, secret
    # the database keeps no name nor ID number either, the reader's columns only (the
    # access log holds what callers asked for: here names and ID numbers as codes)
    db = database.connect(url)
    with db.read() as conn:
        stored = " ".join(
            str(row)
            for table in schema.metadata.sorted_tables
            if table is not schema.access_log
            for row in conn.execute(table.select())
        )
    db.dispose()
    assert CODES[0] in stored  # (the dump holds the rows)
    for secret in [*NAMES, *IDS]:
        assert secret not in stored, secret


def test_a_policy_reading_columns_the_database_did_not_keep_is_refused(tmp_path):
    """Events are stored with the columns their policy reads only; a service started on
    them under a policy that reads more would read those columns as empty in silence,
    so it does not start. On an empty database it does."""
    from engine.serve.database import DatabaseError

    scoring = str(ROOT / "tests" / "fixtures" / "format" / "scoring.yaml")
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert run("db", "init", "--db", url).exit_code == 0
    app, _about, service = build(Options(url, (scoring,), reads="open"))
    service.db.dispose()
    res = run(
        "db",
        "load",
        "--db",
        url,
        "--policy",
        JINING,
        "--events",
        str(write_csv(tmp_path / "e.csv", EVENTS)),
    )
    assert res.exit_code == 0, res.output
    with pytest.raises(DatabaseError) as err:
        build(Options(url, (scoring,), reads="open"))
    (found,) = err.value.diagnostics
    assert found.code == "columns"
    assert "agreement_action, circumstance, responsibility" in found.message
    res = run("serve", "--db", url, "--policy", scoring, "--reads", "open")
    assert res.exit_code == 1 and res.stderr.startswith("error[columns]: policy fmt-scoring")


# ---- erasure, as a property --------------------------------------------------------------------


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=ledger_rows(["A1", "B1", "B3", "C1", "C2", "D1"]), gone=st.sampled_from(PEOPLE))
def test_after_erase_the_service_is_evaluate_without_the_person(tmp_path_factory, rows, gone):
    """`db erase` of one person leaves a database that answers as if they had never been
    given: everyone else's record and status equal `evaluate` on the ledger and roster
    without their rows, and they answer as someone never seen."""
    from engine.evaluation.fold import evaluate
    from engine.ledger.read import read_ledger
    from engine.policy.loader import load_policy

    tmp = tmp_path_factory.mktemp("erase")
    for n, r in enumerate(rows):
        r["id"] = f"E{n:03d}"
    kept = [r for r in rows if r.get("person") != gone]
    assume(kept)
    url = f"sqlite:///{tmp / 'db.sqlite'}"
    app, service = app_for(url, tmp)
    db_load(service.db, JINING, str(write_csv(tmp / "all.csv", rows)), str(roster(tmp)))
    res = run("db", "erase", "--db", url, "--person", gone)
    assert res.exit_code == 0, res.output
    others = [
        {"person": p, "institution": s} for p, sites in SITES.items() if p != gone for s in sites
    ]
    pol = load_policy(JINING)
    ledger = read_ledger(
        str(write_csv(tmp / "kept.csv", kept)),
        pol,
        str(write_csv(tmp / "others.csv", others, ["person", "institution"])),
    )
    with app:
        for day in (dt.date(2023, 9, 1), dt.date(2024, 6, 1), dt.date(2025, 3, 1), AS_OF):
            for p in evaluate(pol, ledger, day).people:
                got = app.get(
                    f"/v1/people/{p.person}/status", params={"date": str(day)}, headers=CLAIMS
                ).json()
                assert got["status"] == p.status, (p.person, day)
            none = app.get(f"/v1/people/{gone}/status", params={"date": str(day)}, headers=CLAIMS)
            assert (none.json()["status"], none.json()["on_record"]) == ("active", False)
        for person in evaluate(pol, ledger, AS_OF).as_dict()["people"]:
            got = app.get(
                f"/v1/people/{person['person']}", params={"date": str(AS_OF)}, headers=CLAIMS
            )
            assert got.json() == person
        assert app.get(f"/v1/people/{gone}", headers=CLAIMS).status_code == 404
    service.db.dispose()
