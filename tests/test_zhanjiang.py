"""Zhanjiang 2021 scenarios, worked by hand from the articles (第十五条 to 第二十四条)."""

from __future__ import annotations

import pytest
from conftest import actions, cycle, person

Z = "zhanjiang"

ITEM_POINTS = {
    **{f"A{i}": 40 for i in (1, 2, 3, 4, 5, 6, 7, 9, 10)},  # 第十五条(一)
    **{f"B{i}": 20 for i in range(1, 8)},  # 第十五条(二)
    **{f"C{i}": 10 for i in range(1, 7)},  # 第十五条(三)
    **{f"D{i}": 5 for i in (1, 2, 3, 4, 5, 6, 7, 9, 10)},  # 第十五条(四)
}


def v(person_, date, items, **kw):
    return {"person": person_, "date": date, "items": items, **kw}


@pytest.mark.parametrize("code,points", sorted(ITEM_POINTS.items()))
def test_every_item_deducts_its_points(run, code, points):
    r = run(Z, [v("P", "2024-03-01", code)])
    c = cycle(r, "P", "2024")
    assert (c["deducted"], c["score"]) == (points, 100 - points)


@pytest.mark.parametrize(
    "amount,points",
    [
        ("30000", 40),
        ("30000.01", 40),
        ("29999.99", 20),  # (一)8: 30000元以上
        ("10000", 20),
        ("9999.99", 10),  # (二)8: 30000元以下、10000元以上
        ("2000", 10),
        ("1999.99", 5),
        ("0.01", 5),  # (三)7, (四)8: 2000元以下
    ],
)
def test_fund_loss_by_amount(run, amount, points):
    """第十五条(一)8 (二)8 (三)7 (四)8: 以上 and 以下 include the number."""
    r = run(Z, [v("P", "2024-03-01", "LOSS", amount=amount)])
    assert cycle(r, "P", "2024")["deducted"] == points


@pytest.mark.parametrize(
    "codes,score,action",
    [
        ("D1", 95, None),
        ("D1|D2", 95, None),  # one act, highest item (choice stated in the policy)
        ("C1", 90, "interview"),  # 80 < 分值 <= 90: 诫勉谈话
        ("B1", 80, "suspend"),  # 70 < 分值 <= 80: 暂停 3 个月
        ("A1", 60, "terminate"),  # 60 分及以下: 取消资格
    ],
)
def test_tiers_on_the_remaining_score(run, codes, score, action):
    """第十七条."""
    r = run(Z, [v("P", "2024-03-01", codes)])
    assert cycle(r, "P", "2024")["score"] == score
    kinds = [a["action"] for a in actions(r, "P") if a["action"] != "ban"]
    assert kinds == ([action] if action else [])


def test_band_edges(run):
    """第十七条: 85 interview; 75 three months; 70 six months; 65 six months; 60 terminate."""
    rows = [
        v("A", "2024-01-02", "C1"),
        v("A", "2024-01-03", "D1"),  # 85
        v("B", "2024-01-02", "B1"),
        v("B", "2024-01-03", "D1"),  # 75
        v("C", "2024-01-02", "B1"),
        v("C", "2024-01-03", "C1"),  # 70
        v("D", "2024-01-02", "B1"),
        v("D", "2024-01-03", "C1"),
        v("D", "2024-01-04", "D1"),  # 65
        v("E", "2024-01-02", "B1"),
        v("E", "2024-01-03", "B2"),
    ]  # 60
    r = run(Z, rows)
    assert [a["action"] for a in actions(r, "A")] == ["interview"]
    b = actions(r, "B", "suspend")
    assert [(a["start"], a["end"]) for a in b] == [("2024-01-02", "2024-04-01")]
    c = actions(r, "C", "suspend")
    assert [(a["start"], a["end"]) for a in c] == [
        ("2024-01-02", "2024-01-02"),
        ("2024-01-03", "2024-07-02"),
    ]
    assert len(actions(r, "D", "suspend")) == 2
    assert [a["action"] for a in actions(r, "E")][-2:] == ["terminate", "ban"]


def test_suspension_needs_reapplication(run):
    """第二十条: 待暂停期满后, 可重新申请医保医师登记备案."""
    rows = [v("P", "2024-03-01", "B1")]
    r = run(Z, rows, as_of="2024-07-01")
    p = person(r, "P")
    assert p["status"] == "awaiting_reapplication"
    assert p["reapply_from"] == "2024-06-01"
    r = run(
        Z, rows + [{"person": "P", "date": "2024-06-15", "type": "reapply"}], as_of="2024-07-01"
    )
    assert person(r, "P")["status"] == "active"
    assert actions(r, "P", "restore")[0]["start"] == "2024-06-15"


def test_reapplying_during_a_suspension_is_rejected(run):
    rows = [v("P", "2024-03-01", "B1"), {"person": "P", "date": "2024-05-15", "type": "reapply"}]
    r = run(Z, rows, as_of="2024-07-01")
    p = person(r, "P")
    assert p["reapplications"][0]["result"] == "rejected"
    assert p["status"] == "awaiting_reapplication"


def test_reapply_from_shown_while_suspended(run):
    r = run(Z, [v("P", "2024-03-01", "B1")], as_of="2024-04-01")
    p = person(r, "P")
    assert (p["status"], p["reapply_from"]) == ("suspended", "2024-06-01")


def test_suspension_runs_across_the_year_end(run):
    """第十七条: 暂停服务期限可跨年度执行; 第十五条: 积分和扣分不跨年度累积."""
    rows = [v("P", "2024-11-15", "B1"), v("P", "2025-01-05", "D1")]
    r = run(Z, rows, as_of="2025-01-10")
    s = actions(r, "P", "suspend")[0]
    assert (s["start"], s["end"]) == ("2024-11-15", "2025-02-14")
    assert person(r, "P")["status"] == "suspended"
    assert cycle(r, "P", "2025")["score"] == 95


def test_bans_grow_with_each_cancellation(run):
    """第十九条: first 半年, second 一年, third never."""
    rows = [
        v("P", "2024-01-10", "A1"),
        {"person": "P", "date": "2024-07-10", "type": "reapply"},
        v("P", "2024-08-01", "A2"),
        {"person": "P", "date": "2025-08-01", "type": "reapply"},
        v("P", "2025-09-01", "A3"),
    ]
    r = run(Z, rows)
    bans = actions(r, "P", "ban")
    assert [(b["start"], b["end"]) for b in bans[:2]] == [
        ("2024-01-10", "2024-07-09"),
        ("2024-08-01", "2025-07-31"),
    ]
    assert bans[2]["never"] is True
    p = person(r, "P")
    assert [x["result"] for x in p["reapplications"]] == ["accepted", "accepted"]
    assert (p["status"], p["reapply_from"]) == ("terminated", "never")


def test_first_cancellation_waits_half_a_year(run):
    rows = [v("P", "2024-01-10", "A1"), {"person": "P", "date": "2024-07-09", "type": "reapply"}]
    r = run(Z, rows)
    p = person(r, "P")
    assert p["reapplications"][0]["result"] == "rejected"
    assert p["reapply_from"] == "2024-07-10"


def test_fraud_below_five_thousand(run):
    """第十八条: 不满5000元 -> 注销, 终止; 第十九条: 因诈骗 -> never."""
    r = run(Z, [v("P", "2024-04-01", "FRAUD", amount="4999.99")])
    kinds = [a["action"] for a in actions(r, "P")]
    assert kinds == ["terminate", "ban"]
    assert person(r, "P")["reapply_from"] == "never"


def test_fraud_of_five_thousand_is_referred(run):
    """第十八条: 5000元以上 ... 移送公安部门."""
    r = run(Z, [v("P", "2024-04-01", "FRAUD", amount="5000")])
    kinds = sorted(a["action"] for a in actions(r, "P"))
    assert kinds == ["ban", "refer", "terminate"]


def test_notice_and_review_deadlines(run):
    """第二十二条: 3 working days to the institution, 3 more to the doctor;
    第二十三条: 15 working days to apply for review. From Mon 2024-03-04:
    03-07, then 03-12, then 15 working days later 2024-04-02."""
    r = run(Z, [v("P", "2024-03-04", "C1")])
    d = actions(r, "P", "interview")[0]["deadlines"]
    assert list(d.values()) == ["2024-03-07", "2024-03-12", "2024-04-02"]


def test_institution_sanction_reaches_its_doctors(run):
    """第二十四条."""
    roster = [{"person": "S1", "institution": "H1"}]
    rows = [{"date": "2024-06-01", "type": "institution_terminated", "institution": "H1"}]
    r = run(Z, rows, roster=roster)
    assert person(r, "S1")["status"] == "terminated"
    assert actions(r, "S1", "terminate")[0]["cite"] == "第二十四条"


def test_a_person_reinstated_in_the_year_still_counts_as_sanctioned_in_it(run):
    """docs/semantics.md, Institutions: `sanctioned` counts staff suspended or terminated
    in the cycle by their own conduct. P is cancelled on 2024-01-10 (A1: 60 分, 第十七条),
    may apply again after half a year (第十九条), is reinstated on 2024-07-10 and has a
    new finding on 2024-09-01: P was still cancelled in 2024, so H1 has 1 sanctioned of 2
    staff for 2024. The new registration's total restarts: 5 (D1) in its own record."""
    rows = [
        v("P", "2024-01-10", "A1"),
        {"person": "P", "date": "2024-07-10", "type": "reapply"},
        v("P", "2024-09-01", "D1"),
        v("Q", "2024-03-01", "D1"),
    ]
    roster = [{"person": "P", "institution": "H1"}, {"person": "Q", "institution": "H1"}]
    r = run(Z, rows, roster=roster)
    assert person(r, "P")["reapplications"][0]["result"] == "accepted"
    assert [(c["registration"], c["deducted"]) for c in person(r, "P")["cycles"]] == [
        (1, 40),
        (2, 5),
    ]
    (h1,) = [i for i in r["institutions"] if (i["institution"], i["period"]) == ("H1", "2024")]
    assert (h1["staff"], h1["sanctioned"]) == (2, 1)
