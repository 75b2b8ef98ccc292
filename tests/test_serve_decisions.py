"""Decisions through the status service (issue 22 §2): under `decisions.take_effect:
on-decision` a computed sanction is proposed until a `decision` row decides it, and
`may_bill` follows only the sanctions in force.

Worked from Jining 2024 (the fixture tests/fixtures/decisions/jining-decided.yaml is
Jining as shipped with `decisions: {take_effect: on-decision}`, 六(一): "医保经办机构
根据提供的佐证材料作出处理决定"): C1 (四(三), 6 points) on 2024-05-06 reaches 五(一)'s
6-8 band, 中止 3 months, computed 2024-05-06 to 2024-08-05; 五(二) restores the person
when it ends. Decided on 2024-05-20 it binds from 2024-05-20 to its computed end
(docs/semantics.md, "Decisions": a late decision does not move the end).
"""

from __future__ import annotations

import pytest
from serve_fixtures import ROOT, WRITE, client

DECIDED = str(ROOT / "tests" / "fixtures" / "decisions" / "jining-decided.yaml")
FINDING = {"id": "E1", "person": "P", "date": "2024-05-06", "items": "C1"}
DECISION = {
    "id": "D1",
    "date": "2024-05-20",
    "type": "decision",
    "target": "E1",
    "document": "济医保〔2024〕9号",
}
# the keys of a status answer under the shipped policies (unchanged by issue 22)
KEYS = {
    "person",
    "date",
    "may_bill",
    "status",
    "sanction",
    "reapply_from",
    "refusal",
    "exception",
    "policy",
    "on_record",
}

SANCTION_KEYS = {"action", "start", "end", "cite", "source", "events", "institution"}


@pytest.fixture
def decided(db_url):
    app, service = client(db_url, DECIDED)
    with app:
        yield app
    service.db.dispose()


def status(app, code: str, day: str) -> dict:
    res = app.get(f"/v1/people/{code}/status", params={"date": day})
    assert res.status_code == 200, res.text
    return res.json()


def post(app, rows: list[dict]) -> dict:
    res = app.post("/v1/events", json={"events": rows}, headers=WRITE)
    assert res.status_code == 200, res.text
    return res.json()


def test_a_computed_suspension_is_proposed_until_decided_then_binds_from_its_date(decided):
    app = decided
    body = post(app, [FINDING])
    # the computed answer changed (a proposal), the answer in force did not
    (change,) = body["changed"]
    assert change["from"] == "2024-05-06"
    assert change["after"]["may_bill"] is True and change["after"]["status"] == "active"
    assert change["after"]["proposed_status"] == "suspended"
    now = status(app, "P", "2024-06-01")
    assert (now["status"], now["may_bill"], now["sanction"]) == ("active", True, None)
    assert now["proposed_status"] == "suspended"
    proposed = now["proposed_sanction"]
    assert (proposed["action"], proposed["start"], proposed["end"]) == (
        "suspend",
        "2024-05-06",
        "2024-08-05",
    )
    assert proposed["cite"] == "五(一)" and "decision" not in proposed
    assert (now["refusal"], now["exception"]) == (None, None)

    body = post(app, [DECISION])  # the target's person is the decision's
    (change,) = body["changed"]
    assert (change["person"], change["from"]) == ("P", "2024-05-20")
    assert (change["before"]["may_bill"], change["after"]["may_bill"]) == (True, False)
    # before the decision: proposed still, the person may bill
    before = status(app, "P", "2024-05-19")
    assert (before["status"], before["may_bill"], before["proposed_status"]) == (
        "active",
        True,
        "suspended",
    )
    # from its date to the computed end: in force
    for day in ("2024-05-20", "2024-08-05"):
        now = status(app, "P", day)
        assert (now["status"], now["may_bill"]) == ("suspended", False), day
        assert (now["proposed_status"], now["proposed_sanction"]) == (None, None)
        s = now["sanction"]
        assert (s["start"], s["end"]) == ("2024-05-06", "2024-08-05")
        assert s["in_force_from"] == "2024-05-20"
        decided = {"event": "D1", "document": "济医保〔2024〕9号", "date": "2024-05-20"}
        assert s["decision"] == decided
        assert now["refusal"]["cite"] == "五(二)"
    # 五(二): restored when it ends
    after = status(app, "P", "2024-08-06")
    assert (after["status"], after["may_bill"], after["proposed_status"]) == ("active", True, None)


def test_an_undecided_termination_never_stops_billing(decided):
    """D1 (12 points, 四(四)) on 2024-09-02: 五(一) terminates, 五(二) bans; without a
    decision neither binds, and the claim check pays."""
    app = decided
    post(app, [{"id": "E2", "person": "Q", "date": "2024-09-02", "items": "D1"}])
    for day in ("2024-09-02", "2025-06-01"):
        now = status(app, "Q", day)
        assert (now["status"], now["may_bill"], now["proposed_status"]) == (
            "active",
            True,
            "terminated",
        )
    lines = [{"claim_id": "c1", "person": "Q", "date": "2024-10-01"}]
    (verdict,) = app.post("/v1/claims/check", json={"lines": lines}).json()["lines"]
    assert (verdict["result"], verdict["status"]) == ("payable", "active")
    # decided on 2024-09-16: terminated from that day
    decision = {"id": "D2", "date": "2024-09-16", "type": "decision", "target": "E2"}
    post(app, [decision])
    assert status(app, "Q", "2024-09-15")["may_bill"] is True
    now = status(app, "Q", "2024-10-01")
    assert (now["status"], now["may_bill"]) == ("terminated", False)
    (verdict,) = app.post("/v1/claims/check", json={"lines": lines}).json()["lines"]
    assert (verdict["result"], verdict["reason"]) == ("refused", "terminated")


def test_a_decision_after_the_computed_end_never_binds(decided):
    app = decided
    late = {**DECISION, "date": "2024-08-06"}
    post(app, [FINDING, late])
    for day in ("2024-05-06", "2024-07-01", "2024-08-06"):
        assert status(app, "P", day)["may_bill"] is True, day


def test_the_record_is_evaluate_s(decided):
    app = decided
    post(app, [FINDING, DECISION])
    record = app.get("/v1/people/P", params={"date": "2024-06-01"}).json()
    assert record["status"] == "suspended" and "proposed_status" not in record
    (s,) = record["actions"]
    assert s["in_force_from"] == "2024-05-20" and s["decision"]["event"] == "D1"
    early = app.get("/v1/people/P", params={"date": "2024-05-19"}).json()
    assert (early["status"], early["proposed_status"]) == ("active", "suspended")


def test_the_shipped_policies_answer_as_before(db_url):
    """Jining as shipped (on computation): the same keys as before issue 22; a decision
    row only records itself on the sanction it decides."""
    app, service = client(db_url, "jining")
    with app:
        post(app, [FINDING])
        now = status(app, "P", "2024-05-10")
        assert set(now) == KEYS and (now["status"], now["may_bill"]) == ("suspended", False)
        assert set(now["sanction"]) == SANCTION_KEYS
        body = post(app, [DECISION])
        (change,) = body["changed"]  # the answer now names the decision, from its date
        assert change["from"] == "2024-05-20" and "proposed_status" not in change["after"]
        now = status(app, "P", "2024-05-10")  # in force as computed, before the decision too
        assert (now["status"], now["may_bill"]) == ("suspended", False)
        assert "decision" not in now["sanction"]
        later = status(app, "P", "2024-06-01")
        assert set(later) == KEYS
        assert later["sanction"]["decision"]["event"] == "D1"
        assert "in_force_from" not in later["sanction"]
    service.db.dispose()


def test_a_version_1_database_migrates_and_is_re_evaluated_at_start(db_url):
    """Schema version 2 adds what a span says of decisions; the spans a version-1
    database holds were computed without it, so `serve` re-evaluates everyone."""
    from engine.serve import database, schema, store

    app, service = client(db_url, DECIDED)
    with app:
        post(app, [FINDING, DECISION])
    db = service.db
    with db.write() as conn, conn.begin():  # as version 1 left it
        for column in ("decision", "in_force_from", "proposed_status", "proposed"):
            conn.exec_driver_sql(f"ALTER TABLE spans DROP COLUMN {column}")
        conn.execute(schema.version_table.update().values(version=1))
    db.dispose()
    fresh = database.connect(db_url)
    assert schema.init(fresh) == (1, schema.VERSION)
    with fresh.read() as conn:
        assert store.get_meta(conn, "policy") == ""
    fresh.dispose()
    app, service = client(db_url, DECIDED)
    with app:
        now = status(app, "P", "2024-06-01")
        assert now["sanction"]["in_force_from"] == "2024-05-20"
    service.db.dispose()
