"""The HTTP API (docs/service.md): answers, errors with the CLI's codes, guards, log.

Runs the app in-process on SQLite over the Jining example ledger; the
PostgreSQL paths are exercised by test_serve_db, test_serve_agrees and
test_serve_durability.
"""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from click.testing import CliRunner
from serve_fixtures import ROOT, TOKEN, WRITE, client

from engine.cli import cli
from engine.serve.load import db_load

JINING = ROOT / "policies" / "jining.yaml"
EXAMPLE = ROOT / "examples" / "jining"


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'db.sqlite'}"
    app, service = client(url, "jining")
    db_load(service.db, str(JINING), str(EXAMPLE / "events.csv"), str(EXAMPLE / "roster.csv"))
    with app:
        yield app, url
    service.db.dispose()


def evaluate_cli(*extra: str) -> CliRunner:
    args = ["evaluate", "--policy", str(JINING), "--events", str(EXAMPLE / "events.csv")]
    return CliRunner().invoke(cli, [*args, "--roster", str(EXAMPLE / "roster.csv"), *extra])


def test_status_of_a_terminated_person_quotes_the_policy(loaded):
    app, _ = loaded
    # JN0199 (examples/jining/scenarios.md): terminated on 2025-11-25 by 五(一)'s three years
    res = app.get("/v1/people/JN0199/status", params={"date": "2025-12-31"})
    assert res.status_code == 200
    body = res.json()
    assert body["may_bill"] is False and body["status"] == "terminated"
    assert body["sanction"]["action"] == "terminate" and body["sanction"]["cite"] == "五(一)"
    assert body["sanction"]["start"] == "2025-11-25"
    assert body["reapply_from"] == "2026-11-25"
    assert body["refusal"]["cite"] == "五(二)" and "不予支付" in body["refusal"]["text"]
    assert body["exception"] == {
        "covers": ["emergency", "rescue"],
        "text": "医保基金不予支付 (急诊、抢救除外)",
        "cite": "五(二)",
    }
    assert body["policy"] == {"id": "jining", "version": "2024"}
    before = app.get("/v1/people/JN0199/status", params={"date": "2023-06-19"}).json()
    assert before["may_bill"] is True and before["exception"] is None


def test_unknown_person_has_no_sanction_but_says_so(loaded):
    app, _ = loaded
    body = app.get("/v1/people/NOBODY/status", params={"date": "2025-01-01"}).json()
    assert body["may_bill"] is True and body["on_record"] is False
    res = app.get("/v1/people/NOBODY")
    assert res.status_code == 404 and res.json()["errors"][0]["code"] == "person"


def test_record_is_evaluates_record(loaded):
    app, _ = loaded
    res = evaluate_cli("--as-of", "2025-12-31")
    import json

    want = {p["person"]: p for p in json.loads(res.stdout)["people"]}
    for code in ("JN0199", "JN0226", "JN0001"):
        got = app.get(f"/v1/people/{code}", params={"date": "2025-12-31"}).json()
        assert got == want[code]


def test_explain_is_the_cli_story(loaded):
    app, _ = loaded
    res = evaluate_cli("--as-of", "2025-12-31", "--explain", "JN0199")
    got = app.get("/v1/people/JN0199/explain", params={"date": "2025-12-31"}).json()
    assert got["text"] + "\n" == res.stdout  # (the CLI ends the story with a blank line)
    assert any(s["kind"] == "band" and s["cite"] == "五(一)" for s in got["steps"])


def test_claims_check_is_the_status_in_bulk(loaded):
    app, _ = loaded
    lines = [
        {"claim_id": "C1", "person": "JN0199", "date": "2025-12-01"},
        {"claim_id": "C2", "person": "JN0199", "date": "2025-12-01", "emergency": True},
        {"claim_id": 3, "person": "JN0199", "date": "2023-01-01"},
    ]
    res = app.post("/v1/claims/check", json={"lines": lines})
    assert res.status_code == 200, res.text
    got = res.json()["lines"]
    assert [(v["claim_id"], v["result"], v["reason"]) for v in got] == [
        ("C1", "refused", "terminated"),
        ("C2", "payable", "exception"),
        ("3", "payable", "may-bill"),
    ]
    assert got[0]["cite"] == "五(二)" and got[0]["sanction"]["cite"] == "五(一)"
    for line, verdict in zip(lines, got, strict=True):
        status = app.get(f"/v1/people/{line['person']}/status", params={"date": line["date"]})
        assert status.json()["status"] == verdict["status"]


def test_claim_lines_with_problems_are_all_listed(loaded):
    app, _ = loaded
    lines = [
        {"claim_id": "C1", "person": "JN0199", "date": "2025-02-30"},
        {"claim_id": "C2", "person": "", "date": "2025-01-01"},
        {"person": "JN0199", "date": "2025-01-01"},
    ]
    res = app.post("/v1/claims/check", json={"lines": lines})
    assert res.status_code in (400, 422)
    found = {(e["code"], e["line"]) for e in res.json()["errors"]}
    assert found == {("date", 1), ("person", 2), ("claim_id", 3)}


def test_writes_need_the_token(loaded):
    app, _ = loaded
    row = {"id": "X1", "person": "JN0001", "date": "2025-01-02", "items": "A1"}
    res = app.post("/v1/events", json={"events": [row]})
    assert res.status_code == 401 and res.json()["errors"][0]["code"] == "unauthorized"
    assert res.headers["www-authenticate"] == "Bearer"
    res = app.post("/v1/events", json={"events": [row]}, headers={"Authorization": "Bearer no"})
    assert res.status_code == 401


def test_a_batch_with_problems_stores_nothing_and_lists_them_all(loaded):
    app, _ = loaded
    rows = [
        {"id": "Y1", "person": "JN0002", "date": "2025-03-01", "items": "A1"},
        {"id": "Y2", "person": "JN0002", "date": "03/01/2025", "items": "A1"},
        {"id": "Y3", "person": "JN0002", "date": "2025-03-02", "items": "Q7"},
        {"person": "JN0002", "date": "2025-03-02", "items": "A1"},
    ]
    res = app.post("/v1/events", json={"events": rows}, headers=WRITE)
    assert res.status_code == 422
    found = [(e["code"], e["file"], e["line"]) for e in res.json()["errors"]]
    assert ("date", "<body>", 2) in found and ("item", "<body>", 3) in found
    hint = next(e["hint"] for e in res.json()["errors"] if e["code"] == "date")
    assert hint == "write it year first: `2025-03-01` or `2025-01-03`"  # the ledger's own
    again = app.post("/v1/events", json={"events": rows[:1] + rows[3:]}, headers=WRITE)
    assert again.status_code == 422
    assert again.json()["errors"] == [
        {
            "severity": "error",
            "code": "id",
            "message": "the event has no `id`",
            "file": "<body>",
            "line": 2,
            "column": 0,
            "hint": "the service keeps events by their ids: give every event one",
        }
    ]
    record = app.get("/v1/people/JN0002", params={"date": "2025-12-31"}).json()
    assert all("Y1" not in a["events"] for a in record["actions"])


def test_posting_twice_is_idempotent_and_a_changed_id_is_refused(loaded):
    app, _ = loaded
    row = {"id": "Z1", "person": "JN0003", "date": "2025-04-01", "items": "B1"}
    first = app.post("/v1/events", json={"events": [row]}, headers=WRITE).json()
    assert first["added"] == 1
    again = app.post("/v1/events", json={"events": [row]}, headers=WRITE).json()
    assert again == {"added": 0, "already_recorded": 1, "changed": []}
    changed = app.post("/v1/events", json={"events": [{**row, "items": "B2"}]}, headers=WRITE)
    assert changed.status_code == 422
    assert changed.json()["errors"][0]["code"] == "duplicate-id"


def test_institution_events_need_the_institution_on_the_roster(loaded):
    app, _ = loaded
    row = {"id": "I1", "date": "2025-05-01", "type": "institution_suspended", "institution": "NOPE"}
    res = app.post("/v1/events", json={"events": [row]}, headers=WRITE)
    assert res.status_code == 422 and res.json()["errors"][0]["code"] == "roster"


def test_limits_on_body_and_batch(tmp_path):
    app, service = client(f"sqlite:///{tmp_path / 'db.sqlite'}", "jining", max_batch=3)
    with app:
        lines = [{"claim_id": i, "person": "P", "date": "2025-01-01"} for i in range(4)]
        res = app.post("/v1/claims/check", json={"lines": lines})
        assert res.status_code == 413 and res.json()["errors"][0]["code"] == "limit"
        res = app.post(
            "/v1/events",
            content=b"{" + b" " * (17 << 20) + b"}",
            headers={**WRITE, "Content-Type": "application/json"},
        )
        assert res.status_code == 413
        res = app.post(
            "/v1/events",
            content=b"{not json",
            headers={**WRITE, "Content-Type": "application/json"},
        )
        assert res.status_code == 400 and res.json()["errors"][0]["code"] == "format"
        res = app.get("/v1/people/P/status", params={"date": "01/02/2025"})
        assert res.status_code == 422 and res.json()["errors"][0]["code"] == "date"
    service.db.dispose()


def test_reads_can_need_a_token(tmp_path):
    app, service = client(f"sqlite:///{tmp_path / 'db.sqlite'}", "jining", reads="token")
    with app:
        assert app.get("/v1/people/P/status").status_code == 401
        assert app.get("/v1/people/P/status", headers=WRITE).status_code == 200
        assert app.get("/v1/health").status_code == 200
    service.db.dispose()


def test_health_and_openapi(loaded):
    app, _ = loaded
    health = app.get("/v1/health").json()
    assert health["status"] == "ok" and health["database"]["reachable"] is True
    assert health["policies"][0]["id"] == "jining"
    doc = app.get("/v1/openapi.json").json()
    assert {
        "/v1/people/{code}/status",
        "/v1/claims/check",
        "/v1/people/{code}",
        "/v1/people/{code}/explain",
        "/v1/events",
        "/v1/health",
    } <= set(doc["paths"])


def test_the_log_names_no_person_and_no_token(tmp_path, caplog):
    """Issue 22's rule already: no personal data and no secret in any log line."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    app, service = client(url, "jining")
    caplog.set_level(logging.DEBUG)
    with app:
        db_load(service.db, str(JINING), str(EXAMPLE / "events.csv"), str(EXAMPLE / "roster.csv"))
        app.get("/v1/people/JN0199/status")
        app.get("/v1/people/JN0199", params={"date": "2025-12-31"})
        app.get("/v1/people/JN0199/explain")
        app.post(
            "/v1/claims/check",
            json={"lines": [{"claim_id": "C9", "person": "JN0226", "date": "2025-01-01"}]},
        )
        row = {"id": "L1", "person": "JN0150", "date": str(dt.date(2025, 6, 1)), "items": "A1"}
        app.post("/v1/events", json={"events": [row]}, headers=WRITE)
    service.db.dispose()
    # the server's lines (the test client's own, httpx's, name the URLs it asked for)
    text = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("httpx"))
    assert "/v1/people/{code}/status" in text  # the template is logged, not the path
    codes = {line.split(",")[0] for line in (EXAMPLE / "roster.csv").read_text("utf-8").split()}
    for secret in [TOKEN, "JN0150", "C9", *codes - {"person"}]:
        assert secret not in text
