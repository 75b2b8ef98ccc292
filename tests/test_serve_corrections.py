"""Corrections through the status service (issue 22 §1): `POST /v1/events` and `db load`
take `revoke` and `amend` rows, and `may_bill` follows the record as corrected.

Worked from Jining 五(一) (6 to 8 points: 中止 3 months) and 六(一) (复核): C1
(四(三), 6 points) on 2024-05-06 suspends P from 2024-05-06 to 2024-08-05. The
finding is revoked on review on 2024-06-17: as corrected P was never suspended,
and the 42 days from 2024-05-06 to 2024-06-16 were served in error.
"""

from __future__ import annotations

import pytest
from conftest import policy, write_csv
from serve_fixtures import ROOT, WRITE, client

from engine import i18n
from engine.errors import LedgerError
from engine.ledger.read import read_ledger
from engine.serve.load import db_load

JINING = ROOT / "policies" / "jining.yaml"
FINDING = {"id": "E1", "person": "P", "date": "2024-05-06", "items": "C1"}
REVOKE = {
    "id": "R1",
    "date": "2024-06-17",
    "type": "revoke",
    "target": "E1",
    "reason": "复核认定不属实",
    "document": "济医保复〔2024〕7号",
}


@pytest.fixture
def app(tmp_path):
    app, service = client(f"sqlite:///{tmp_path / 'db.sqlite'}", "jining")
    with app:
        yield app, service
    service.db.dispose()


def status(app, code: str, day: str) -> dict:
    res = app.get(f"/v1/people/{code}/status", params={"date": day})
    assert res.status_code == 200, res.text
    return res.json()


def test_a_posted_revocation_lifts_the_suspension_on_every_date(app):
    app, _ = app
    assert app.post("/v1/events", json={"events": [FINDING]}, headers=WRITE).status_code == 200
    before = status(app, "P", "2024-06-01")
    assert (before["status"], before["may_bill"]) == ("suspended", False)
    assert before["sanction"]["end"] == "2024-08-05"
    res = app.post("/v1/events", json={"events": [REVOKE]}, headers=WRITE)
    assert res.status_code == 200, res.text
    body = res.json()
    assert body["added"] == 1
    (change,) = body["changed"]  # the person left empty is the finding's
    assert change["person"] == "P" and change["from"] == "2024-05-06"
    assert change["before"]["status"] == "suspended" and change["after"]["status"] == "active"
    for day in ("2024-05-06", "2024-06-01", "2024-07-15"):
        now = status(app, "P", day)
        assert (now["status"], now["may_bill"]) == ("active", True), day
    # the record keeps the trail: the finding, the revocation, the days served in error
    record = app.get("/v1/people/P", params={"date": "2024-07-01"}).json()
    assert record["actions"] == []
    (trail,) = record["corrections"]
    assert (trail["correction"], trail["type"], trail["document"]) == (
        "R1",
        "revoke",
        "济医保复〔2024〕7号",
    )
    (served,) = trail["served_in_error"]
    assert (served["from"], served["to"], served["days"]) == ("2024-05-06", "2024-06-16", 42)
    # posting it again changes nothing
    again = app.post("/v1/events", json={"events": [REVOKE]}, headers=WRITE).json()
    assert again == {"added": 0, "already_recorded": 1, "changed": []}


def test_an_amendment_posted_with_its_finding_moves_the_band(app):
    """Jining 五(一): B1 (3) and B2 (3) make 6, suspended 3 months from 2024-05-13 to
    2024-08-12; B2 amended to C1 (6): 9, the 9-11 band, 6 months, to 2024-11-12."""
    app, _ = app
    rows = [
        {"id": "E1", "person": "Q", "date": "2024-04-08", "items": "B1"},
        {"id": "E2", "person": "Q", "date": "2024-05-13", "items": "B2"},
    ]
    app.post("/v1/events", json={"events": rows}, headers=WRITE)
    assert status(app, "Q", "2024-09-01")["may_bill"] is True  # restored 2024-08-13
    amend = {"id": "M1", "date": "2024-06-03", "type": "amend", "target": "E2", "items": "C1"}
    res = app.post("/v1/events", json={"events": [amend]}, headers=WRITE)
    assert res.status_code == 200, res.text
    now = status(app, "Q", "2024-09-01")
    assert (now["status"], now["may_bill"]) == ("suspended", False)
    assert now["sanction"]["end"] == "2024-11-12"
    assert status(app, "Q", "2024-11-13")["may_bill"] is True


def test_bad_corrections_are_refused_at_their_line_and_store_nothing(app):
    app, _ = app
    app.post("/v1/events", json={"events": [FINDING]}, headers=WRITE)
    rows = [
        {"id": "R9", "date": "2024-06-17", "type": "revoke", "target": "NOPE"},
        {"id": "R8", "person": "OTHER", "date": "2024-06-17", "type": "revoke", "target": "E1"},
    ]
    res = app.post("/v1/events", json={"events": rows}, headers=WRITE)
    assert res.status_code == 422
    found = [(e["code"], e["line"]) for e in res.json()["errors"]]
    assert found == [("correction", 1), ("correction", 2)]
    assert status(app, "P", "2024-06-01")["status"] == "suspended"  # nothing stored
    # revoked once, not twice
    assert app.post("/v1/events", json={"events": [REVOKE]}, headers=WRITE).status_code == 200
    twice = {**REVOKE, "id": "R2", "date": "2024-06-20"}
    res = app.post("/v1/events", json={"events": [twice]}, headers=WRITE)
    assert res.status_code == 422
    assert "revoked" in res.json()["errors"][0]["message"]


def test_db_load_takes_a_ledger_with_corrections(app, tmp_path):
    app, service = app
    events = write_csv(tmp_path / "events.csv", [FINDING, REVOKE])
    db_load(service.db, str(JINING), str(events))
    now = status(app, "P", "2024-06-01")
    assert (now["status"], now["may_bill"]) == ("active", True)
    bad = write_csv(tmp_path / "bad.csv", [{**REVOKE, "id": "R7", "target": "E404"}])
    with pytest.raises(LedgerError) as err:
        db_load(service.db, str(JINING), str(bad))
    assert err.value.diagnostics[0].code == "correction"


# what a row of type `amend` without `target` is told, the service's and the reader's alike
NO_TARGET = {
    "en": (
        "a row of type `amend` needs `target`: the id of the finding it concerns",
        "give the finding's id, as in its own row's `id`",
    ),
    "zh": (
        "类型为 `amend` 的行需要 `target`：所涉及违规记录的编号",
        "请填写违规记录的编号，即其所在行的 `id`",
    ),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_correction_without_target_is_told_so_in_english_and_chinese(app, tmp_path, lang):
    """`db load` of an amendment with neither `person` nor `target` (the service looks its
    finding up) says so at its line in the reader's language, in the words the ledger
    reader uses for one with `person` ("a row of type `amend`", not "a `amend` event")."""
    _, service = app
    amend = {"id": "M1", "date": "2024-06-04", "type": "amend", "items": "A1"}
    served = write_csv(tmp_path / "served.csv", [FINDING, amend])
    read = write_csv(tmp_path / "read.csv", [FINDING, {**amend, "person": "P"}])
    with i18n.using(lang):
        with pytest.raises(LedgerError) as err:
            db_load(service.db, str(JINING), str(served))
        with pytest.raises(LedgerError) as by_reader:
            read_ledger(str(read), policy("jining"))
    for d in (err.value.diagnostics[0], by_reader.value.diagnostics[0]):
        assert (d.code, d.span.line, d.message, d.hint) == ("correction", 3, *NO_TARGET[lang])
