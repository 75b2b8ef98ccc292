"""The service agrees with the batch engine (issue 17, "Correctness").

After any sequence of `POST /v1/events` batches (the first loaded by `db load`
with the roster), every person's record and status equal what `evaluate`
gives on the same rows as one ledger: the batches' rows in the order they
arrived. Re-applications, institution events, and findings that arrive after
later-dated ones (the person is re-evaluated from the start) included. Then two
writers posting for one person at once: they take turns, and the result is
the batch result.
"""

from __future__ import annotations

import datetime as dt
import threading
from itertools import count

import pytest
from conftest import policy, write_csv
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serve_fixtures import ROOT, WRITE, client, pg_database
from test_serve_timeline import SITES, ledger_rows, roster

from engine.evaluation.fold import evaluate
from engine.ledger.read import read_ledger
from engine.policy.loader import load_policy
from engine.serve.load import db_load

AS_OF = dt.date(2026, 6, 30)
PROBES = [
    dt.date(2023, 3, 1),
    dt.date(2023, 9, 1),
    dt.date(2024, 4, 1),
    dt.date(2025, 2, 1),
    dt.date(2025, 10, 1),
    AS_OF,
]
_n = count()


def batches(codes):
    """A ledger's rows cut into 1 to 4 batches, arriving in that order."""
    return ledger_rows(codes).flatmap(
        lambda rows: st.lists(st.integers(0, len(rows)), min_size=0, max_size=3).map(
            lambda cuts: _cut(rows, sorted(set(cuts)))
        )
    )


def _cut(rows, cuts):
    for n, r in enumerate(rows):
        r["id"] = f"E{n:03d}"
    edges = [0, *cuts, len(rows)]
    parts = [rows[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    return [p for p in parts if p] or [rows]


def decided_batches(codes):
    """A ledger with decisions (issue 22 §2) on some of its findings, each dated on or
    up to 200 days after its finding (before or after a probe date), deciding every
    sanction the finding fired or one kind; cut into batches as `batches` cuts."""
    decisions = st.lists(
        st.tuples(
            st.integers(0, 40), st.integers(0, 200), st.sampled_from(["", "suspend", "terminate"])
        ),
        max_size=4,
    )
    cuts = st.lists(st.integers(0, 24), max_size=3)
    return st.tuples(ledger_rows(codes), decisions, cuts).map(lambda x: _decided(*x))


def _decided(rows, decisions, cuts):
    for n, r in enumerate(rows):
        r["id"] = f"E{n:03d}"
    findings = [r for r in rows if r.get("items")]
    out = list(rows)
    for n, (which, later, action) in enumerate(decisions):
        if not findings:
            break
        finding = findings[which % len(findings)]
        day = dt.date.fromisoformat(finding["date"]) + dt.timedelta(days=later)
        decision = {"id": f"D{n}", "date": str(day), "type": "decision", "target": finding["id"]}
        out.append({**decision, "action": action, "document": f"济医保〔2024〕{n}号"})
    edges = [0, *sorted({c for c in cuts if c < len(out)}), len(out)]
    parts = [out[a:b] for a, b in zip(edges, edges[1:], strict=False)]
    return [p for p in parts if p]


def agree(tmp_path, url: str, name: str, parts: list[list[dict]], path: str | None = None):
    """`path`: a policy file other than the shipped policy `name`."""
    pol = load_policy(path) if path else policy(name)
    first = write_csv(tmp_path / f"first{next(_n)}.csv", parts[0])
    app, service = client(url, path or name)
    source = path or str(ROOT / "policies" / f"{name}.yaml")
    db_load(service.db, source, str(first), str(roster(tmp_path)))
    with app:
        for part in parts[1:]:
            res = app.post("/v1/events", json={"events": part}, headers=WRITE)
            assert res.status_code == 200, res.text
        whole = [r for part in parts for r in part]
        ledger = read_ledger(
            str(write_csv(tmp_path / f"all{next(_n)}.csv", whole)), pol, str(roster(tmp_path))
        )
        want = evaluate(pol, ledger, AS_OF).as_dict()["people"]
        for person in want:
            got = app.get(f"/v1/people/{person['person']}", params={"date": str(AS_OF)})
            assert got.status_code == 200, got.text
            assert got.json() == person
        for d in PROBES:
            for p in evaluate(pol, ledger, d).people:
                got = app.get(f"/v1/people/{p.person}/status", params={"date": str(d)}).json()
                rf = p.reapply_from
                assert got["status"] == p.status, (p.person, d)
                assert got["reapply_from"] == (rf.isoformat() if hasattr(rf, "isoformat") else rf)
                assert got["may_bill"] == (p.status == "active"), (p.person, d)
                if pol.take_effect == "on-decision":  # the computed status not in force
                    assert got["proposed_status"] == p.proposed_status, (p.person, d)
    service.db.dispose()


SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
CODES = {
    "zhanjiang": ["A1", "B1", "B2", "C1", "C3", "D1", "D5", "LOSS"],
    "jining": ["A1", "B1", "B3", "C1", "C2", "D1", "TEST-FAIL"],
}


@SETTINGS
@given(parts=batches(CODES["zhanjiang"]))
def test_zhanjiang_posts_agree_with_evaluate_on_sqlite(tmp_path_factory, parts):
    tmp = tmp_path_factory.mktemp("z")
    agree(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "zhanjiang", parts)


@SETTINGS
@given(parts=batches(CODES["jining"]))
def test_jining_posts_agree_with_evaluate_on_sqlite(tmp_path_factory, parts):
    tmp = tmp_path_factory.mktemp("j")
    agree(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "jining", parts)


DECIDED = str(ROOT / "tests" / "fixtures" / "decisions" / "jining-decided.yaml")


@SETTINGS
@given(parts=decided_batches(CODES["jining"]))
def test_decided_sanctions_agree_with_evaluate_on_sqlite(tmp_path_factory, parts):
    """Under `decisions.take_effect: on-decision` (the fixture policy): as of each probe,
    the status in force, `may_bill` and the proposed status are evaluate's, decisions
    dated after the probe not yet made."""
    tmp = tmp_path_factory.mktemp("d")
    agree(tmp, f"sqlite:///{tmp / 'db.sqlite'}", "jining", parts, DECIDED)


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(parts=decided_batches(CODES["jining"]))
def test_decided_sanctions_agree_with_evaluate_on_postgresql(tmp_path_factory, pg_server, parts):
    with pg_database(pg_server) as url:
        agree(tmp_path_factory.mktemp("q"), url, "jining", parts, DECIDED)


@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
@given(parts=batches(CODES["zhanjiang"]))
def test_posts_agree_with_evaluate_on_postgresql(tmp_path_factory, pg_server, parts):
    with pg_database(pg_server) as url:
        agree(tmp_path_factory.mktemp("p"), url, "zhanjiang", parts)


def test_a_late_finding_re_evaluates_the_person_from_the_start(tmp_path):
    """Zhanjiang 第十七条 (B1 is 20 points, 第十五条(二)1): one B1 leaves a score of 80,
    70 < 80 <= 80, a 3-month suspension. A second B1 dated earlier in the same year
    arrives later: from its date the person is suspended, and on the first one's date
    the score is 60, 60分及以下: the registration is cancelled."""
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    app, service = client(url, "zhanjiang")
    with app:
        first = [{"id": "E1", "person": "P1", "date": "2024-06-01", "items": "B1"}]
        res = app.post("/v1/events", json={"events": first}, headers=WRITE)
        change = res.json()["changed"][0]
        assert (change["from"], change["after"]["status"]) == ("2024-06-01", "suspended")
        assert change["after"]["sanction"]["end"] == "2024-08-31"
        late = [{"id": "E0", "person": "P1", "date": "2024-02-01", "items": "B1"}]
        res = app.post("/v1/events", json={"events": late}, headers=WRITE)
        change = res.json()["changed"][0]
        assert change["from"] == "2024-02-01"
        assert (change["before"]["status"], change["after"]["status"]) == ("active", "suspended")
        status = app.get("/v1/people/P1/status", params={"date": "2024-07-01"}).json()
        assert status["status"] == "terminated" and status["may_bill"] is False
        assert status["sanction"]["action"] == "terminate"
        assert status["sanction"]["cite"] == "第十七条"
        assert status["refusal"]["cite"] == "第四条" and status["exception"]["cite"] == "第四条"
    service.db.dispose()


@pytest.mark.parametrize("rounds", [6])
def test_two_writers_for_one_person_take_turns(db_url, tmp_path, rounds):
    """Each writer posts its own findings for P1 at once; the result is the batch's."""
    app, service = client(db_url, "zhanjiang")
    rows = {
        w: [
            {
                "id": f"W{w}-{i}",
                "person": "P1",
                "date": f"202{3 + i % 3}-0{1 + w}-1{i}",
                "items": "B1" if i % 2 else "C1",
            }
            for i in range(rounds)
        ]
        for w in (0, 1)
    }
    errors = []
    with app:
        start = threading.Barrier(2)

        def writer(w):
            start.wait()
            for row in rows[w]:
                res = app.post("/v1/events", json={"events": [row]}, headers=WRITE)
                if res.status_code != 200:
                    errors.append(res.text)

        threads = [threading.Thread(target=writer, args=(w,)) for w in (0, 1)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        whole = rows[0] + rows[1]
        pol = policy("zhanjiang")
        ledger = read_ledger(str(write_csv(tmp_path / "all.csv", whole)), pol)
        want = evaluate(pol, ledger, AS_OF).as_dict()["people"][0]
        got = app.get("/v1/people/P1", params={"date": str(AS_OF)}).json()
        # the two writers' rows interleave in whatever order they were serialised;
        # same-day rows never meet (each writer has its own dates), so order within a
        # date cannot matter, and the record must be the batch record
        assert got == want
        for d in PROBES:
            p = evaluate(pol, ledger, d).people[0]
            got = app.get("/v1/people/P1/status", params={"date": str(d)}).json()
            assert got["status"] == p.status, d
    service.db.dispose()


assert SITES  # the roster the generated ledgers use (test_serve_timeline.SITES)
