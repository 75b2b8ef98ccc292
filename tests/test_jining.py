"""Jining 2024 scenarios, worked by hand from the notice's articles.

Each test names the article it checks. Dates follow the design: a sanction of
N months from D ends on D + N months - 1 day; a ban of N from D allows a
re-application from D + N. Every finding is dated while the notice is in force
(from 2024-03-29, "本通知自印发之日起施行"): the `run` fixture below fails a test
with an event outside that period.
"""

from __future__ import annotations

import pytest
from conftest import Runner, actions, cycle, person
from conftest import violation as v

J = "jining"

# 四(一)-(四): 1, 3, 6 and 12 points per finding
ITEM_POINTS = {
    **{f"A{i}": 1 for i in range(1, 9)},
    **{f"B{i}": 3 for i in range(1, 6)},
    **{f"C{i}": 6 for i in range(1, 5)},
    **{f"D{i}": 12 for i in range(1, 7)},
}


@pytest.fixture
def run(tmp_path):
    """conftest's runner, refusing any event dated outside the policy's effective period."""
    runner = Runner(tmp_path)

    def in_force(*args, **kw):
        out = runner(*args, **kw)
        assert "events_outside_effective" not in out, "an event is dated outside 2024-03-29.."
        return out

    return in_force


@pytest.mark.parametrize("code,points", sorted(ITEM_POINTS.items()))
def test_every_item_deducts_its_points(run, code, points):
    """四(一)1-8 deduct 1, 四(二)1-5 deduct 3, 四(三)1-4 deduct 6, 四(四)1-6 deduct 12."""
    r = run(J, [v("P", "2024-04-01", code)])
    c = cycle(r, "P", "2024")
    assert c["deducted"] == points
    assert c["score"] == 12 - points


def test_below_five_no_action(run):
    """五(一): nothing happens below 5 points."""
    r = run(J, [v("P", "2024-04-01", "B1"), v("P", "2024-04-02", "A1")])
    assert cycle(r, "P", "2024")["deducted"] == 4
    assert actions(r, "P") == []
    assert person(r, "P")["status"] == "active"


def test_reaching_five_is_an_interview(run):
    """五(一): 累计扣分达到5分, 责令定点医药机构进行约谈."""
    r = run(J, [v("P", "2024-04-01", "B1"), v("P", "2024-04-02", "A1"), v("P", "2024-04-03", "A2")])
    acts = actions(r, "P")
    assert [(a["action"], a["start"]) for a in acts] == [("interview", "2024-04-03")]
    assert acts[0]["cite"] == "五(一)"
    assert cycle(r, "P", "2024")["tier"] == "interview"


def test_six_suspends_three_months(run):
    """五(一): 累计扣分6-8分, 中止服务协议3个月: 2024-04-01 .. 2024-06-30."""
    r = run(J, [v("P", "2024-04-01", "C1")], as_of="2024-05-01")
    (s,) = actions(r, "P", "suspend")
    assert (s["start"], s["end"]) == ("2024-04-01", "2024-06-30")
    assert person(r, "P")["status"] == "suspended"
    assert person(r, "P")["reapply_from"] is None  # 五(二): restores automatically


def test_eight_is_still_the_three_month_band(run):
    """五(一): 6-8 is one band; reaching 8 after 6 fires nothing more."""
    r = run(J, [v("P", "2024-04-01", "C1"), v("P", "2024-04-05", "A1"), v("P", "2024-04-06", "A2")])
    assert cycle(r, "P", "2024")["deducted"] == 8
    assert len(actions(r, "P", "suspend")) == 1


def test_nine_suspends_six_months(run):
    """五(一): 累计扣分9-11分, 中止服务协议6个月."""
    r = run(J, [v("P", "2024-04-01", "C1|A1"), v("P", "2024-05-01", "B1")])
    # C1|A1 is one act: 四 按最高分值扣分 -> 6, then +3 = 9: 05-01 + 6 months - 1 day
    s = actions(r, "P", "suspend")
    assert [(a["start"], a["end"]) for a in s] == [
        ("2024-04-01", "2024-04-30"),
        ("2024-05-01", "2024-10-31"),
    ]
    # the running 3-month suspension is cut the day before the harsher one starts
    assert s[0]["replaced_by"] == "tier:suspend-6m"


def test_eleven_then_twelve_terminates(run):
    """五(一): 累计扣分12分, 解除服务协议; 五(二): ban 1-2 years, earliest reported."""
    r = run(
        J,
        [
            v("P", "2024-04-10", "C1"),
            v("P", "2024-05-10", "B1"),
            v("P", "2024-05-11", "A1"),
            v("P", "2024-05-12", "A2"),
            v("P", "2024-06-01", "A3"),
        ],
    )
    assert cycle(r, "P", "2024")["deducted"] == 12
    kinds = [a["action"] for a in actions(r, "P")]
    assert kinds == ["suspend", "suspend", "terminate", "ban"]
    term = actions(r, "P", "terminate")[0]
    assert term["start"] == "2024-06-01"
    ban = actions(r, "P", "ban")[0]
    assert ban["discretionary"] is True and ban["cite"] == "五(二)"
    assert person(r, "P")["status"] == "terminated"
    assert person(r, "P")["reapply_from"] == "2025-06-01"


def test_one_event_crossing_several_bands_fires_the_highest_only(run):
    """Design "Bands": from 4 to 10 in one event fires the 6-month band only."""
    r = run(
        J,
        [
            v("P", "2024-04-01", "A1"),
            v("P", "2024-04-02", "A2"),
            v("P", "2024-04-03", "A3"),
            v("P", "2024-04-08", "A4"),
            v("P", "2024-05-06", "C2"),
        ],
    )
    # 4 + 6 = 10: 05-06 + 6 months - 1 day = 11-05, restored on 11-06 (五(二))
    acts = actions(r, "P")
    assert [(a["action"], a["start"], a["end"]) for a in acts] == [
        ("suspend", "2024-05-06", "2024-11-05"),
        ("restore", "2024-11-06", None),
    ]


def test_single_twelve_point_item_terminates_at_once(run):
    """四(四)/五(一): one 12-point finding reaches 12."""
    r = run(J, [v("P", "2024-05-20", "D5")])
    assert [a["action"] for a in actions(r, "P")] == ["terminate", "ban"]
    assert person(r, "P")["reapply_from"] == "2025-05-20"


def test_cycle_total_capped_at_twelve(run):
    """四: 初始分值为12分 -> the year's total never exceeds 12."""
    r = run(J, [v("P", "2024-05-20", "D5"), v("P", "2024-06-20", "B1")])
    assert cycle(r, "P", "2024")["deducted"] == 12
    assert cycle(r, "P", "2024")["score"] == 0


def test_same_act_counts_highest_item(run):
    """四: 同一违规行为涉及不同扣分情形的, 按最高分值扣分."""
    r = run(J, [v("P", "2024-04-01", "A1|B2|A3")])
    assert cycle(r, "P", "2024")["deducted"] == 3


def test_same_inspection_different_acts_add_up(run):
    """四: 同一次检查发现不同违规行为的, 分别扣分."""
    r = run(
        J,
        [v("P", "2024-04-01", "A1", inspection="I1"), v("P", "2024-04-01", "B2", inspection="I1")],
    )
    assert cycle(r, "P", "2024")["deducted"] == 4


def test_deductions_add_up_across_sites(run):
    """四: 多点执业的医保支付资格相关人员, 扣分分值累加计算."""
    r = run(
        J,
        [
            v("P", "2024-04-01", "B1", institution="H1"),
            v("P", "2024-05-01", "B2", institution="H2"),
        ],
    )
    assert cycle(r, "P", "2024")["deducted"] == 6
    assert len(actions(r, "P", "suspend")) == 1


def test_restored_automatically_and_points_keep_adding(run):
    """五(二): 中止服务协议期满后自动恢复, 同一记分周期内的积分仍然累计."""
    rows = [
        v("P", "2024-04-01", "C1"),
        v("P", "2024-07-05", "A1"),
        v("P", "2024-08-01", "A2"),
        v("P", "2024-08-02", "A3"),
    ]
    r = run(J, rows, as_of="2024-12-31")
    acts = actions(r, "P")
    # C1: 04-01 to 06-30, restored 07-01; then 6 + 1 + 1 = 8 stays in the fired band;
    # + 1 = 9 on 08-02 enters the 6-month band: 08-02 + 6 months - 1 day = 2025-02-01
    assert [(a["action"], a["start"]) for a in acts] == [
        ("suspend", "2024-04-01"),
        ("restore", "2024-07-01"),
        ("suspend", "2024-08-02"),
    ]
    assert actions(r, "P", "suspend")[1]["end"] == "2025-02-01"
    assert person(r, "P")["status"] == "suspended"


def test_status_on_as_of_during_and_after_suspension(run):
    """五(一)/五(二): 3 months from 04-01 include 06-30, the last day; back on 07-01."""
    rows = [v("P", "2024-04-01", "C1")]
    assert person(run(J, rows, as_of="2024-06-30"), "P")["status"] == "suspended"
    assert person(run(J, rows, as_of="2024-07-01"), "P")["status"] == "active"


def test_points_clear_at_year_end(run):
    """四: 每年度末扣分清零; 五(二): 非同一记分周期的不再累计."""
    r = run(J, [v("P", "2024-04-01", "B1"), v("P", "2024-12-31", "A1"), v("P", "2025-01-01", "A2")])
    assert cycle(r, "P", "2024")["deducted"] == 4
    assert cycle(r, "P", "2025")["deducted"] == 1
    assert actions(r, "P") == []


def test_suspension_runs_past_year_end(run):
    r = run(J, [v("P", "2024-11-01", "C1|A1"), v("P", "2024-11-02", "B1")], as_of="2025-02-01")
    s = actions(r, "P", "suspend")[-1]
    assert (s["start"], s["end"]) == ("2024-11-02", "2025-05-01")
    assert person(r, "P")["status"] == "suspended"


def test_three_consecutive_years_of_nine_terminate(run):
    """五(一): 连续三年违规扣分9分以上, 解除服务协议."""
    # C1 and B1 make 9 in each of 2024, 2025 and 2026 (the first in force from 04-01):
    # the third year's ninth point, 2026-09-01, terminates; ban 1-2 years (五(二)):
    # re-apply from 2027-09-01 at the earliest
    rows = []
    for y in (2024, 2025, 2026):
        rows += [v("P", f"{y}-04-01", "C1"), v("P", f"{y}-09-01", "B1")]
    r = run(J, rows, as_of="2026-12-31")
    term = actions(r, "P", "terminate")
    assert [(a["start"], a["source"]) for a in term] == [("2026-09-01", "rule:three-years-nine")]
    assert person(r, "P")["reapply_from"] == "2027-09-01"


def test_a_quiet_year_breaks_the_run(run):
    rows = []
    for y in (2024, 2025, 2027):  # 2026 quiet
        rows += [v("P", f"{y}-04-01", "C1"), v("P", f"{y}-09-01", "B1")]
    r = run(J, rows, as_of="2027-12-31")
    assert actions(r, "P", "terminate") == []


def test_failed_policy_test_ends_the_agreement_for_a_year(run):
    """三(三): 测试未合格者, 将被解除服务协议, 1年内不再与其签订服务协议."""
    r = run(J, [v("P", "2024-05-10", "TEST-FAIL")])
    assert cycle(r, "P", "2024")["deducted"] == 0
    term = actions(r, "P", "terminate")[0]
    assert term["cite"] == "三(三)"
    ban = actions(r, "P", "ban")[0]
    assert ban["cite"] == "三(三)" and "discretionary" not in ban
    assert person(r, "P")["reapply_from"] == "2025-05-10"


def test_reapplication_before_the_ban_ends_is_rejected(run):
    """五(二): 1-2年内不再与其重新签订服务协议: from 1 year at the earliest."""
    # D1 on 2024-04-01: from 2025-04-01 at the earliest; 2025-03-31 is a day early
    rows = [v("P", "2024-04-01", "D1"), {"person": "P", "date": "2025-03-31", "type": "reapply"}]
    r = run(J, rows)
    p = person(r, "P")
    assert p["status"] == "terminated"
    assert p["reapplications"][0]["result"] == "rejected"


def test_reinstatement_is_a_new_registration(run):
    """Design "Reinstatement": the total restarts at zero, no band has fired. C2 on
    2025-02-10, while terminated, is recorded (6 in 2025); back on 2025-04-01; C1 on
    05-01 makes 6 in the new registration, not 12 in the year: 3 months."""
    rows = [
        v("P", "2024-04-01", "D1"),
        v("P", "2025-02-10", "C2"),
        {"person": "P", "date": "2025-04-01", "type": "reapply"},
        v("P", "2025-05-01", "C1"),
    ]
    r = run(J, rows, as_of="2025-06-01")
    p = person(r, "P")
    assert p["reapplications"][0]["result"] == "accepted"
    c2025 = [(c["registration"], c["deducted"]) for c in p["cycles"] if c["period"] == "2025"]
    assert c2025 == [(1, 6), (2, 6)]
    assert actions(r, "P", "suspend")[0]["start"] == "2025-05-01"
    assert p["status"] == "suspended"


def test_decided_ban_length_within_the_range(run):
    """五(二) 视情节严重程度: the event gives the decided length."""
    r = run(J, [v("P", "2024-04-01", "D2", ban="18 months")])
    assert person(r, "P")["reapply_from"] == "2025-10-01"
    assert actions(r, "P", "ban")[0]["decided"] == "18 months"


def test_thirty_percent_of_staff_sanctioned(run):
    """五(三): 被中止或解除服务协议的人数达到或超过总数的30%."""
    roster = [{"person": f"S{i}", "institution": "H1"} for i in range(10)]
    rows = [
        v("S0", "2024-04-01", "C1"),
        v("S1", "2024-05-01", "C2"),
        v("S2", "2024-06-01", "C3"),
        v("S3", "2024-07-01", "A1"),
    ]
    r = run(J, rows, roster=roster)
    (h,) = [i for i in r["institutions"] if i["institution"] == "H1" and i["period"] == "2024"]
    assert (h["staff"], h["sanctioned"]) == (10, 3)
    assert [(a["action"], a["start"]) for a in h["actions"]] == [("agreement-review", "2024-06-01")]


def test_twenty_percent_is_not_enough(run):
    roster = [{"person": f"S{i}", "institution": "H1"} for i in range(10)]
    rows = [v("S0", "2024-04-01", "C1"), v("S1", "2024-05-01", "C2")]
    r = run(J, rows, roster=roster)
    (h,) = [i for i in r["institutions"] if i["institution"] == "H1"]
    assert h["sanctioned"] == 2 and h["actions"] == []


@pytest.mark.parametrize("sanctioned,review", [(29, False), (30, True)])
def test_thirty_percent_is_thirty_of_a_hundred(run, sanctioned, review):
    """五(三) 达到或超过总数的30%: of 100 staff, 29 suspended is 29 %, below; the 30th
    reaches 30 % and the agreement is open to review from that day. Staff S00-S28 are
    suspended on 2024-05-06 (C1: 3 months), S29 on 2024-06-03."""
    roster = [{"person": f"S{i:02}", "institution": "H1"} for i in range(100)]
    rows = [v(f"S{i:02}", "2024-05-06", "C1") for i in range(29)]
    rows += [v("S29", "2024-06-03", "C1")] if sanctioned == 30 else []
    r = run(J, rows, roster=roster)
    (h,) = [i for i in r["institutions"] if i["institution"] == "H1"]
    assert (h["staff"], h["sanctioned"]) == (100, sanctioned)
    want = [("agreement-review", "2024-06-03")] if review else []
    assert [(a["action"], a["start"]) for a in h["actions"]] == want


def test_key_monitoring_list(run):
    """六(三): 一次性扣12分的 or 其他违规3项以上 puts the institution on the list."""
    # four staff each, so that one termination (25%) stays below 五(三)'s 30%
    roster = [
        {"person": f"{s}{i}", "institution": h}
        for s, h in (("S1", "H1"), ("S2", "H2"), ("S3", "H3"))
        for i in ("", "b", "c", "d")
    ]
    rows = [
        v("S1", "2024-04-01", "D3"),
        v("S2", "2024-04-01", "A1"),
        v("S2", "2024-05-01", "A2"),
        v("S2", "2024-06-01", "A3"),
        v("S3", "2024-04-01", "A1"),
        v("S3", "2024-05-01", "A2"),
    ]
    r = run(J, rows, roster=roster)
    lists = {
        i["institution"]: [(a["action"], a["start"]) for a in i["actions"]]
        for i in r["institutions"]
    }
    assert lists["H1"] == [("key-monitoring", "2024-04-01")]
    assert lists["H2"] == [("key-monitoring", "2024-06-01")]
    assert lists["H3"] == []


def test_institution_suspension_reaches_its_staff(run):
    """三(四): 定点医药机构被中止...其医保支付资格相关人员服务协议同时中止."""
    roster = [
        {"person": "S1", "institution": "H1"},
        {"person": "S2", "institution": "H1"},
        {"person": "S2", "institution": "H2"},
    ]
    rows = [
        {
            "date": "2024-06-01",
            "type": "institution_suspended",
            "institution": "H1",
            "end": "2024-08-31",
        }
    ]
    r = run(J, rows, roster=roster, as_of="2024-07-01")
    s = actions(r, "S1", "suspend")[0]
    assert (s["start"], s["end"], s["institution"]) == ("2024-06-01", "2024-08-31", "H1")
    assert person(r, "S1")["status"] == "suspended"
    assert person(r, "S2")["status"] == "active"  # still practises at H2
    r2 = run(J, rows, roster=roster, as_of="2024-09-01")
    assert person(r2, "S1")["status"] == "active"


def test_institution_termination_reaches_its_staff(run):
    roster = [{"person": "S1", "institution": "H1"}]
    rows = [{"date": "2024-06-01", "type": "institution_terminated", "institution": "H1"}]
    r = run(J, rows, roster=roster)
    assert actions(r, "S1", "terminate")[0]["cite"] == "三(四)"
    assert person(r, "S1")["status"] == "terminated"


def test_objection_deadline_in_working_days(run):
    """六(一): 接到书面通知后10个工作日内. From Fri 2024-09-27: 9-29 (Sunday, worked
    for National Day), 9-30, 10-8 .. 10-11, 10-12 (Saturday, worked), 10-14, 10-15,
    10-16: the tenth working day is 2024-10-16."""
    r = run(J, [v("P", "2024-09-27", "C1")])
    s = actions(r, "P", "suspend")[0]
    assert s["deadlines"] == {"objection": "2024-10-16"}


def test_open_or_closed_book_by_age(run):
    """三(三): 50周岁以上(含50周岁) open book, under 50 closed book."""
    roster = [
        {"person": "OLD", "institution": "H1", "birth_date": "1975-12-31"},
        {"person": "YOUNG", "institution": "H1", "birth_date": "1976-01-01"},
    ]
    r = run(J, [v("OLD", "2025-03-01", "A1")], roster=roster, as_of="2025-12-31")
    assert person(r, "OLD")["facts"]["test_form"] == "open book"
    assert person(r, "YOUNG")["facts"]["test_form"] == "closed book"


def test_failed_test_after_a_termination_lengthens_the_wait(run):
    """三(三) after 五(一): D1 on 2024-04-01 terminates, ban 1-2 years (earliest
    2025-04-01); a failed test on 2024-06-01 bans for 1 year, to 2025-06-01: the
    later date stands. No second termination is counted."""
    r = run(J, [v("P", "2024-04-01", "D1"), v("P", "2024-06-01", "TEST-FAIL")])
    assert person(r, "P")["reapply_from"] == "2025-06-01"
    assert len(actions(r, "P", "terminate")) == 1


def test_a_shorter_ban_after_a_termination_changes_nothing(run):
    """D1 on 2024-04-01 with a decided ban of 2 years (五(二)): 2026-04-01. A failed
    test on 2024-06-01 would allow 2025-06-01 (三(三)), which is earlier: 2026-04-01
    stands."""
    r = run(J, [v("P", "2024-04-01", "D1", ban="2 years"), v("P", "2024-06-01", "TEST-FAIL")])
    assert person(r, "P")["reapply_from"] == "2026-04-01"
