"""Zhanjiang 2021 scenarios, worked by hand from the articles (第十五条 to 第二十四条).

Every finding is dated while the rules are in force: 第二十九条 "本办法自 2021 年 1 月 1 日
起施行，有效期 3 年", so 2021-01-01 to 2023-12-31. The `run` fixture below fails a test
with an event outside that period.
"""

from __future__ import annotations

import pytest
from conftest import Runner, actions, cycle, person
from conftest import violation as v

Z = "zhanjiang"
AS_OF = "2023-12-31"  # the last day in force

ITEM_POINTS = {
    **{f"A{i}": 40 for i in (1, 2, 3, 4, 5, 6, 7, 9, 10)},  # 第十五条(一)
    **{f"B{i}": 20 for i in range(1, 8)},  # 第十五条(二)
    **{f"C{i}": 10 for i in range(1, 7)},  # 第十五条(三)
    **{f"D{i}": 5 for i in (1, 2, 3, 4, 5, 6, 7, 9, 10)},  # 第十五条(四)
}


@pytest.fixture
def run(tmp_path):
    """conftest's runner, as of 2023-12-31 unless told, refusing any event dated outside
    the policy's effective period."""
    runner = Runner(tmp_path)

    def in_force(pol, rows, roster=None, as_of=AS_OF, explain=()):
        out = runner(pol, rows, roster=roster, as_of=as_of, explain=explain)
        assert "events_outside_effective" not in out, "an event is dated outside 2021-2023"
        return out

    return in_force


@pytest.mark.parametrize("code,points", sorted(ITEM_POINTS.items()))
def test_every_item_deducts_its_points(run, code, points):
    r = run(Z, [v("P", "2022-03-01", code)])
    c = cycle(r, "P", "2022")
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
    r = run(Z, [v("P", "2022-03-01", "LOSS", amount=amount)])
    assert cycle(r, "P", "2022")["deducted"] == points


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
    r = run(Z, [v("P", "2022-03-01", codes)])
    assert cycle(r, "P", "2022")["score"] == score
    kinds = [a["action"] for a in actions(r, "P") if a["action"] != "ban"]
    assert kinds == ([action] if action else [])


def test_band_edges(run):
    """第十七条: 85 interview; 75 three months; 70 six months; 65 six months; 60 terminate."""
    rows = [
        v("A", "2022-01-02", "C1"),
        v("A", "2022-01-03", "D1"),  # 85
        v("B", "2022-01-02", "B1"),
        v("B", "2022-01-03", "D1"),  # 75
        v("C", "2022-01-02", "B1"),
        v("C", "2022-01-03", "C1"),  # 70
        v("D", "2022-01-02", "B1"),
        v("D", "2022-01-03", "C1"),
        v("D", "2022-01-04", "D1"),  # 65
        v("E", "2022-01-02", "B1"),
        v("E", "2022-01-03", "B2"),
    ]  # 60
    r = run(Z, rows)
    assert [a["action"] for a in actions(r, "A")] == ["interview"]
    # B: 80 on 01-02, 3 months to 04-01; 75 on 01-03 stays in that band
    b = actions(r, "B", "suspend")
    assert [(a["start"], a["end"]) for a in b] == [("2022-01-02", "2022-04-01")]
    # C: 80 on 01-02, then 70 on 01-03: 6 months to 07-02, the first cut to 01-02
    c = actions(r, "C", "suspend")
    assert [(a["start"], a["end"]) for a in c] == [
        ("2022-01-02", "2022-01-02"),
        ("2022-01-03", "2022-07-02"),
    ]
    assert len(actions(r, "D", "suspend")) == 2
    assert [a["action"] for a in actions(r, "E")][-2:] == ["terminate", "ban"]


def test_suspension_needs_reapplication(run):
    """第二十条: 待暂停期满后, 可重新申请医保医师登记备案."""
    rows = [v("P", "2022-03-01", "B1")]  # 3 months: 03-01 to 05-31
    r = run(Z, rows, as_of="2022-07-01")
    p = person(r, "P")
    assert p["status"] == "awaiting_reapplication"
    assert p["reapply_from"] == "2022-06-01"
    r = run(
        Z, rows + [{"person": "P", "date": "2022-06-15", "type": "reapply"}], as_of="2022-07-01"
    )
    assert person(r, "P")["status"] == "active"
    assert actions(r, "P", "restore")[0]["start"] == "2022-06-15"


def test_reapplying_during_a_suspension_is_rejected(run):
    rows = [v("P", "2022-03-01", "B1"), {"person": "P", "date": "2022-05-15", "type": "reapply"}]
    r = run(Z, rows, as_of="2022-07-01")
    p = person(r, "P")
    assert p["reapplications"][0]["result"] == "rejected"
    assert p["status"] == "awaiting_reapplication"


def test_reapply_from_shown_while_suspended(run):
    r = run(Z, [v("P", "2022-03-01", "B1")], as_of="2022-04-01")
    p = person(r, "P")
    assert (p["status"], p["reapply_from"]) == ("suspended", "2022-06-01")


def test_suspension_runs_across_the_year_end(run):
    """第十七条: 暂停服务期限可跨年度执行; 第十五条: 积分和扣分不跨年度累积."""
    rows = [v("P", "2022-11-15", "B1"), v("P", "2023-01-05", "D1")]
    r = run(Z, rows, as_of="2023-01-10")
    s = actions(r, "P", "suspend")[0]
    assert (s["start"], s["end"]) == ("2022-11-15", "2023-02-14")
    assert person(r, "P")["status"] == "suspended"
    assert cycle(r, "P", "2023")["score"] == 95


def test_bans_grow_with_each_cancellation(run):
    """第十九条: first 半年, second 一年, third never."""
    rows = [
        v("P", "2021-01-10", "A1"),
        {"person": "P", "date": "2021-07-10", "type": "reapply"},
        v("P", "2021-08-01", "A2"),
        {"person": "P", "date": "2022-08-01", "type": "reapply"},
        v("P", "2022-09-01", "A3"),
    ]
    r = run(Z, rows)
    # the first ban to 07-09 (back on 07-10); the second, a year, to 2022-07-31
    bans = actions(r, "P", "ban")
    assert [(b["start"], b["end"]) for b in bans[:2]] == [
        ("2021-01-10", "2021-07-09"),
        ("2021-08-01", "2022-07-31"),
    ]
    assert bans[2]["never"] is True
    p = person(r, "P")
    assert [x["result"] for x in p["reapplications"]] == ["accepted", "accepted"]
    assert (p["status"], p["reapply_from"]) == ("terminated", "never")


def test_first_cancellation_waits_half_a_year(run):
    rows = [v("P", "2022-01-10", "A1"), {"person": "P", "date": "2022-07-09", "type": "reapply"}]
    r = run(Z, rows)
    p = person(r, "P")
    assert p["reapplications"][0]["result"] == "rejected"
    assert p["reapply_from"] == "2022-07-10"


def test_fraud_below_five_thousand(run):
    """第十八条: 不满5000元 -> 注销, 终止; 第十九条: 因诈骗 -> never."""
    r = run(Z, [v("P", "2022-04-01", "FRAUD", amount="4999.99")])
    kinds = [a["action"] for a in actions(r, "P")]
    assert kinds == ["terminate", "ban"]
    assert person(r, "P")["reapply_from"] == "never"


def test_fraud_of_five_thousand_is_referred(run):
    """第十八条: 5000元以上 ... 移送公安部门."""
    r = run(Z, [v("P", "2022-04-01", "FRAUD", amount="5000")])
    kinds = sorted(a["action"] for a in actions(r, "P"))
    assert kinds == ["ban", "refer", "terminate"]


def test_notice_and_review_deadlines(run):
    """第二十二条: 3 working days to the institution, 3 more to the doctor;
    第二十三条: 15 working days to apply for review. From Mon 2023-03-13: Tue 14,
    Wed 15, Thu 16 -> 03-16; Fri 17, Mon 20, Tue 21 -> 03-21; then Wed 22 .. Fri 24
    (3), 27-31 (8), Mon 04-03, Tue 04-04 (10), Wed 04-05 is 清明节 (a holiday, 2023's
    only day off for it), Thu 04-06, Fri 04-07, Mon 04-10, Tue 04-11, Wed 04-12 (15)."""
    r = run(Z, [v("P", "2023-03-13", "C1")])
    d = actions(r, "P", "interview")[0]["deadlines"]
    assert list(d.values()) == ["2023-03-16", "2023-03-21", "2023-04-12"]


def test_institution_sanction_reaches_its_doctors(run):
    """第二十四条."""
    roster = [{"person": "S1", "institution": "H1"}]
    rows = [{"date": "2022-06-01", "type": "institution_terminated", "institution": "H1"}]
    r = run(Z, rows, roster=roster)
    assert person(r, "S1")["status"] == "terminated"
    assert actions(r, "S1", "terminate")[0]["cite"] == "第二十四条"


def test_a_person_reinstated_in_the_year_still_counts_as_sanctioned_in_it(run):
    """docs/semantics.md, Institutions: `sanctioned` counts staff suspended or terminated
    in the cycle by their own conduct. P is cancelled on 2022-01-10 (A1: 60 分, 第十七条),
    may apply again after half a year (第十九条), is reinstated on 2022-07-10 and has a
    new finding on 2022-09-01: P was still cancelled in 2022, so H1 has 1 sanctioned of 2
    staff for 2022. The new registration's total restarts: 5 (D1) in its own record."""
    rows = [
        v("P", "2022-01-10", "A1"),
        {"person": "P", "date": "2022-07-10", "type": "reapply"},
        v("P", "2022-09-01", "D1"),
        v("Q", "2022-03-01", "D1"),
    ]
    roster = [{"person": "P", "institution": "H1"}, {"person": "Q", "institution": "H1"}]
    r = run(Z, rows, roster=roster)
    assert person(r, "P")["reapplications"][0]["result"] == "accepted"
    assert [(c["registration"], c["deducted"]) for c in person(r, "P")["cycles"]] == [
        (1, 40),
        (2, 5),
    ]
    (h1,) = [i for i in r["institutions"] if (i["institution"], i["period"]) == ("H1", "2022")]
    assert (h1["staff"], h1["sanctioned"]) == (2, 1)
