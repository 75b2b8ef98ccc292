"""Issue 2: every capability the format must state, each shown by a small policy of its own.

The policies live in tests/fixtures/format/, each beside its own tiny source text (with
the right SHA-256, so they load with every provenance check on). Expected values were
worked out by hand from each policy's rules; the arithmetic is in each docstring.
Dates follow docs/semantics.md: a sanction of N months from D runs to D + N months - 1
day; a ban of N months from D allows a re-application from D + N months.
"""

from __future__ import annotations

import hashlib
import shutil

import pytest
from conftest import FORMAT as FMT
from conftest import actions, credit, cycle, edited, person, reapply
from conftest import format_policy as pol
from conftest import violation as v

from engine.errors import EvaluationError, LedgerError, PolicyError
from engine.policy.loader import check_policy, load_policy


def kinds(result: dict, who: str) -> list[tuple[str, str]]:
    """(action, start) of a person's actions, in date order."""
    return [(a["action"], a["start"]) for a in actions(result, who)]


@pytest.mark.parametrize("path", sorted(FMT.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_format_policy_is_valid(path):
    """Each small policy validates with no error or warning: hash, quotes, bands."""
    policy, diags = check_policy(path)
    assert policy is not None
    assert [d.render() for d in diags] == []


# ---- scale ---------------------------------------------------------------------------------


def test_scale_counted_up_from_zero(run):
    """scale-deductions: no `initial`, tiers on `deducted` (4-7 interview, 8-11 suspend
    3 months, 12 terminate).

    02-01 A2: 0 + 2 = 2, no band.  03-01 A2: 2 + 2 = 4, interview.
    04-01 A5: 4 + 5 = 9, suspend 04-01 .. 04-01 + 3 months - 1 day = 06-30 (restored 07-01).
    09-01 A5: 9 + 5 = 14, capped at 12: terminate. No score is reported (no initial).
    """
    r = run(
        pol("scale-deductions"),
        [
            v("P", "2024-02-01", "A2"),
            v("P", "2024-03-01", "A2"),
            v("P", "2024-04-01", "A5"),
            v("P", "2024-09-01", "A5"),
        ],
    )
    c = cycle(r, "P", "2024")
    assert (c["deducted"], c["score"], c["violations"], c["tier"]) == (12, None, 4, "terminate")
    assert kinds(r, "P") == [
        ("interview", "2024-03-01"),
        ("suspend", "2024-04-01"),
        ("restore", "2024-07-01"),
        ("terminate", "2024-09-01"),
    ]
    assert actions(r, "P", "suspend")[0]["end"] == "2024-06-30"
    assert person(r, "P")["status"] == "terminated"


def test_scale_counted_down_from_an_initial_score_of_20(run):
    """scale-score: initial 20; 10 <= score < 16 interview, score < 10 terminate.

    P: 02-01 B4: 20 - 4 = 16, not < 16: nothing.  03-01 B4: 16 - 4 = 12, interview.
       04-01 B4: 12 - 4 = 8 < 10: terminate.
    Q: 2024-05-01 B10: 20 - 10 = 10 (10 <= 10 < 16): interview.
       2025-05-01 B4: a new year starts again from 20: 20 - 4 = 16, nothing.
    """
    r = run(
        pol("scale-score"),
        [
            v("P", "2024-02-01", "B4"),
            v("P", "2024-03-01", "B4"),
            v("P", "2024-04-01", "B4"),
            v("Q", "2024-05-01", "B10"),
            v("Q", "2025-05-01", "B4"),
        ],
    )
    c = cycle(r, "P", "2024")
    assert (c["deducted"], c["score"]) == (12, 8)
    assert kinds(r, "P") == [("interview", "2024-03-01"), ("terminate", "2024-04-01")]
    assert cycle(r, "Q", "2024")["score"] == 10
    assert cycle(r, "Q", "2025")["score"] == 16
    assert kinds(r, "Q") == [("interview", "2024-05-01")]


def test_scale_counted_down_from_100(run):
    """tiers-score: initial 100; 80 < score <= 90 interview, 70 < score <= 80 suspend
    3 months, score <= 70 terminate.

    02-01 F10: 100 - 10 = 90, interview.  03-01 F10: 80, suspend 03-01 .. 05-31.
    07-01 F10: 70, terminate.
    """
    r = run(
        pol("tiers-score"),
        [v("P", "2024-02-01", "F10"), v("P", "2024-03-01", "F10"), v("P", "2024-07-01", "F10")],
    )
    c = cycle(r, "P", "2024")
    assert (c["deducted"], c["score"], c["tier"]) == (30, 70, "terminate")
    assert [k for k in kinds(r, "P") if k[0] != "restore"] == [
        ("interview", "2024-02-01"),
        ("suspend", "2024-03-01"),
        ("terminate", "2024-07-01"),
    ]
    assert actions(r, "P", "suspend")[0]["end"] == "2024-05-31"


# ---- items ---------------------------------------------------------------------------------


def test_item_with_fixed_points(run):
    """items: FIX is worth 5: 100 - 5 = 95, above every band."""
    r = run(pol("items"), [v("P", "2024-03-01", "FIX")])
    c = cycle(r, "P", "2024")
    assert (c["deducted"], c["score"]) == (5, 95)
    assert actions(r, "P") == []


@pytest.mark.parametrize("decided", ["1", "2", "3"])
def test_item_with_a_range_the_event_decides(run, decided):
    """items: RANGE is `{min: 1, max: 3}`; the event's `points` column is the value."""
    r = run(pol("items"), [v("P", "2024-03-01", "RANGE", points=decided)])
    assert cycle(r, "P", "2024")["deducted"] == int(decided)


@pytest.mark.parametrize("decided", ["", "4", "0"])
def test_range_item_without_a_value_in_range_is_refused(run, decided):
    """A range item needs its decided `points`, inside 1..3."""
    with pytest.raises(LedgerError) as exc:
        run(pol("items"), [v("P", "2024-03-01", "RANGE", points=decided)])
    assert exc.value.diagnostics[0].code == "points"


@pytest.mark.parametrize(
    "amount,points",
    [
        ("30000", 40),
        ("29999.99", 20),  # 3万元以上: 40
        ("10000", 20),
        ("9999.99", 10),  # 1万元以上不满3万元: 20
        ("2000", 10),
        ("1999.99", 5),  # 2000元以上不满1万元: 10; 不满2000元: 5
    ],
)
def test_item_with_points_computed_from_the_fund_loss(run, amount, points):
    """items: LOSS = if amount >= 30000 then 40 else if >= 10000 then 20 else if >= 2000
    then 10 else 5 (以上 includes the number, 不满 excludes it)."""
    r = run(pol("items"), [v("P", "2024-03-01", "LOSS", amount=amount)])
    assert cycle(r, "P", "2024")["deducted"] == points


def test_points_termination_gets_the_points_ban(run):
    """items: LOSS 30000 = 40 points: 100 - 40 = 60 <= 60, terminate (crossing the interview
    band: only the harshest fires). cause "points" -> ban 1 year: from 2025-03-01."""
    r = run(pol("items"), [v("P", "2024-03-01", "LOSS", amount="30000")])
    assert [a["action"] for a in actions(r, "P")] == ["terminate", "ban"]
    assert actions(r, "P", "terminate")[0]["cause"] == "points"
    assert person(r, "P")["reapply_from"] == "2025-03-01"


def test_item_effect_terminates_and_its_cause_bans_for_ever(run):
    """items: FRAUD is worth 0 points but terminates directly (cause fraud); the first ban
    `cause == "fraud"` -> ban never. 1000 < 5000: no referral."""
    r = run(pol("items"), [v("P", "2024-04-01", "FRAUD", amount="1000")])
    assert cycle(r, "P", "2024")["deducted"] == 0
    (t,) = actions(r, "P", "terminate")
    assert (t["start"], t["source"], t["cause"], t["cite"]) == (
        "2024-04-01",
        "item:FRAUD",
        "fraud",
        "第五条",
    )
    assert actions(r, "P", "refer") == []
    assert actions(r, "P", "ban")[0]["never"] is True
    assert person(r, "P")["reapply_from"] == "never"


def test_item_effect_with_a_condition_refers(run):
    """items: FRAUD with amount 5000 (>= 5000): terminate and refer, both on the day."""
    r = run(pol("items"), [v("P", "2024-04-01", "FRAUD", amount="5000")])
    assert [
        (a["action"], a["start"], a["source"]) for a in actions(r, "P") if a["action"] != "ban"
    ] == [("terminate", "2024-04-01", "item:FRAUD"), ("refer", "2024-04-01", "item:FRAUD")]


def test_fraud_found_after_a_points_termination_still_bans_for_ever(run):
    """items: 03-01 LOSS 30000: 40 points, score 60, terminate (cause points, ban 1 year).
    06-01 FRAUD 6000: its effects still apply: refer, and the termination for fraud makes
    the ban `ban never` (终身不得再次申请). Today the refer is kept but reapply_from stays
    2025-03-01."""
    r = run(
        pol("items"),
        [
            v("P", "2024-03-01", "LOSS", amount="30000"),
            v("P", "2024-06-01", "FRAUD", amount="6000"),
        ],
    )
    assert [a["start"] for a in actions(r, "P", "refer")] == ["2024-06-01"]
    assert person(r, "P")["reapply_from"] == "never"


# ---- combining points ----------------------------------------------------------------------

COMBINE = [
    # (rows as (date, items, inspection, institution), highest-policy, sum-policy)
    pytest.param([("2024-03-01", "C1|C3", "", "")], 3, 4, id="one-act-two-items"),
    pytest.param(
        [("2024-03-01", "C3", "I1", ""), ("2024-03-01", "C1", "I1", "")],
        4,
        3,
        id="inspection-highest-first",
    ),
    pytest.param(
        [("2024-03-01", "C1", "I1", ""), ("2024-03-01", "C3", "I1", "")],
        4,
        3,
        id="inspection-lowest-first",
    ),
    pytest.param(
        [
            ("2024-03-01", "C3", "I1", ""),
            ("2024-03-01", "C1", "I1", ""),
            ("2024-05-01", "C2", "I2", ""),
        ],
        6,
        5,
        id="two-inspections",
    ),
    pytest.param(
        [("2024-03-01", "C1|C3", "I1", ""), ("2024-03-01", "C2", "I1", "")],
        5,
        4,
        id="act-inside-inspection",
    ),
    pytest.param(
        [("2024-03-01", "C3", "", "H1"), ("2024-04-01", "C2", "", "H2")], 5, 5, id="two-sites"
    ),
]


@pytest.mark.parametrize("rows,highest,summed", COMBINE)
def test_how_points_combine(run, rows, highest, summed):
    """combine-highest: same_act highest, same_inspection sum; combine-sum: same_act sum,
    same_inspection highest; both sites: sum. C1 = 1, C2 = 2, C3 = 3.

    one act C1|C3: highest 3, sum 1 + 3 = 4.
    inspection I1 with C3 and C1 (either order): sum 3 + 1 = 4; highest max(3, 1) = 3.
    plus C2 in another inspection I2: 4 + 2 = 6; 3 + 2 = 5.
    act C1|C3 and act C2 in I1: (highest act 3) + 2 = 5; max(act 1 + 3 = 4, 2) = 4.
    C3 at site H1 and C2 at site H2: 3 + 2 = 5 under both.
    """
    events = [v("P", d, items, inspection=insp, institution=inst) for d, items, insp, inst in rows]
    for name, expected in (("combine-highest", highest), ("combine-sum", summed)):
        r = run(pol(name), events)
        assert cycle(r, "P", "2024")["deducted"] == expected, name


# ---- cycles --------------------------------------------------------------------------------


def test_natural_year_cycles(run):
    """cycle-reset: a natural year, labelled by its year: 12-31 and 01-01 fall in two."""
    r = run(pol("cycle-reset"), [v("P", "2024-12-31", "D3"), v("P", "2025-01-01", "D3")])
    assert [(c["period"], c["deducted"]) for c in person(r, "P")["cycles"]] == [
        ("2024", 3),
        ("2025", 3),
    ]


def test_cycle_starting_on_1_april(run):
    """cycle-april: start "04-01". 2024-03-31 is the last day of the 2023 cycle, 2024-04-01
    the first of the 2024 one; each holds one D3 (3 points)."""
    r = run(pol("cycle-april"), [v("P", "2024-03-31", "D3"), v("P", "2024-04-01", "D3")])
    assert [(c["period"], c["deducted"]) for c in person(r, "P")["cycles"]] == [
        ("2023-04-01/2024-03-31", 3),
        ("2024-04-01/2025-03-31", 3),
    ]


def test_cycle_resets_points_and_tiers_by_default(run):
    """cycle-reset: 3-5 interview, 6-11 suspend 1 month.
    2024-06-01 D3: 3, interview.  2025-02-01 D3: a new cycle from 0: 3, interview again."""
    r = run(pol("cycle-reset"), [v("P", "2024-06-01", "D3"), v("P", "2025-02-01", "D3")])
    assert cycle(r, "P", "2025")["deducted"] == 3
    assert kinds(r, "P") == [("interview", "2024-06-01"), ("interview", "2025-02-01")]


def test_cycle_resets_only_tiers_points_carry_over(run):
    """cycle-carry: `resets: [tiers]`. 2024-06-01 D3: 3, interview.
    2025-02-01 D3: 3 carried + 3 = 6, suspend 02-01 .. 02-01 + 1 month - 1 day = 02-28."""
    r = run(pol("cycle-carry"), [v("P", "2024-06-01", "D3"), v("P", "2025-02-01", "D3")])
    assert cycle(r, "P", "2024")["deducted"] == 3
    assert cycle(r, "P", "2025")["deducted"] == 6
    assert kinds(r, "P") == [
        ("interview", "2024-06-01"),
        ("suspend", "2025-02-01"),
        ("restore", "2025-03-01"),
    ]
    assert actions(r, "P", "suspend")[0]["end"] == "2025-02-28"


def test_credit_cap_is_per_cycle_when_points_carry_over(run):
    """cycle-carry: credit T2 = 2, `credit_cap: 2` a cycle, points carry over.
    2024: D3 (3), T2: 3 - 2 = 1, credited 2.  2025: 1 carried + D3 = 4; T2: a fresh cap of
    2 in this cycle: 4 - 2 = 2, credited 2. Today 2025 starts with credited 2 (2024's), so
    the credit is refused and 4 remains."""
    r = run(
        pol("cycle-carry"),
        [
            v("P", "2024-02-01", "D3"),
            credit("P", "2024-03-01", "T2"),
            v("P", "2025-02-01", "D3"),
            credit("P", "2025-03-01", "T2"),
        ],
    )
    assert cycle(r, "P", "2024")["deducted"] == 1
    c = cycle(r, "P", "2025")
    assert (c["deducted"], c["credited"]) == (2, 2)


def test_cycle_cap(run):
    """scale-deductions: `cap: 12`. A5 three times: 5 + 5 + 5 = 15, capped at 12."""
    r = run(pol("scale-deductions"), [v("P", f"2024-0{m}-01", "A5") for m in (3, 4, 5)])
    assert cycle(r, "P", "2024")["deducted"] == 12


# ---- tiers and their actions ---------------------------------------------------------------


def test_tier_with_a_policy_named_action(run):
    """tiers-deducted: 1-2 -> key-monitoring, declared under `actions:` with its label."""
    r = run(pol("tiers-deducted"), [v("P", "2024-03-01", "E1")])
    (a,) = actions(r, "P")
    assert (a["action"], a["start"], a["label"], a["source"], a["cite"]) == (
        "key-monitoring",
        "2024-03-01",
        "列入重点监控名单",
        "tier:watch",
        "第三条",
    )


def test_tier_interview_crossing_a_milder_band(run):
    """tiers-deducted: E3 takes 0 to 3, crossing watch (1-2) into interview (3-4): only
    the harshest band crossed fires."""
    r = run(pol("tiers-deducted"), [v("P", "2024-03-01", "E3")])
    assert kinds(r, "P") == [("interview", "2024-03-01")]


def test_tier_suspend_for_a_fixed_time(run):
    """tiers-deducted: 5-6 -> suspend 2 months: 03-01 .. 05-01 - 1 day = 04-30."""
    r = run(pol("tiers-deducted"), [v("P", "2024-03-01", "E5")])
    (s,) = actions(r, "P", "suspend")
    assert (s["start"], s["end"]) == ("2024-03-01", "2024-04-30")
    assert "discretionary" not in s


def test_tier_suspend_for_a_discretionary_range(run):
    """tiers-deducted: 7-9 -> suspend 1 to 6 months. Without a decided length the earliest
    end is reported: 03-01 + 1 month - 1 day = 03-31, marked discretionary."""
    r = run(pol("tiers-deducted"), [v("P", "2024-03-01", "E7")])
    (s,) = actions(r, "P", "suspend")
    assert (s["start"], s["end"], s["discretionary"], s["range"]) == (
        "2024-03-01",
        "2024-03-31",
        True,
        "1 to 6 months",
    )
    assert "decided" not in s


def test_tier_suspend_with_the_decided_length(run):
    """The event's `suspension: 4 months` decides: 03-01 + 4 months - 1 day = 06-30."""
    r = run(pol("tiers-deducted"), [v("P", "2024-03-01", "E7", suspension="4 months")])
    (s,) = actions(r, "P", "suspend")
    assert (s["end"], s["decided"]) == ("2024-06-30", "4 months")


def test_decided_suspension_outside_the_range_is_an_error(run):
    with pytest.raises(EvaluationError):
        run(pol("tiers-deducted"), [v("P", "2024-03-01", "E7", suspension="7 months")])


def test_tier_terminate_and_refer(run):
    """tiers-deducted: 10 and above -> [terminate, refer], both on the event's date."""
    r = run(pol("tiers-deducted"), [v("P", "2024-03-01", "E10")])
    assert kinds(r, "P") == [("terminate", "2024-03-01"), ("refer", "2024-03-01")]


# ---- rules over history --------------------------------------------------------------------


def test_consecutive_cycles_rule(run):
    """rules-consecutive: consecutive(cycles, c -> c.deducted >= 6) >= 3 -> terminate.

    P: 2022: 6, 2023: 6, 2024-05-01 G3: 3 (run broken at the end: 0), 2024-08-01 G3: 6,
       the run is 2022, 2023, 2024 = 3: terminate on 2024-08-01.
    Q: 2021: 6, 2022: none (0 deducted), 2023: 6, 2024: 6 -> runs of 1 then 2: nothing.
       2025: 6 -> 2023, 2024, 2025 = 3: terminate on 2025-05-01.
    """
    r = run(
        pol("rules-consecutive"),
        [
            v("P", "2022-05-01", "G6"),
            v("P", "2023-05-01", "G6"),
            v("P", "2024-05-01", "G3"),
            v("P", "2024-08-01", "G3"),
            v("Q", "2021-05-01", "G6"),
            v("Q", "2023-05-01", "G6"),
            v("Q", "2024-05-01", "G6"),
            v("Q", "2025-05-01", "G6"),
        ],
    )
    (t,) = actions(r, "P", "terminate")
    assert (t["start"], t["source"], t["cite"]) == ("2024-08-01", "rule:three-years", "第四条")
    assert [a["start"] for a in actions(r, "Q", "terminate")] == ["2025-05-01"]


def test_consecutive_counts_years_not_registrations(run):
    """rules-consecutive: 12 and above terminates; no bans.
    2023-05-01 G6: 2023 = 6.  2024-02-01 G6, 02-02 G6: 2024 = 12, terminate (tier); the rule
    sees 2023, 2024: a run of 2.  03-01 re-application: accepted, registration 2.
    05-01 G6: registration 2 of 2024 = 6. Still two years in a row (2023, 2024), not three:
    no rule termination. Today `cycles` is [2023, 2024 (reg 1), 2024 (reg 2)] and the rule
    terminates on 2024-05-01."""
    r = run(
        pol("rules-consecutive"),
        [
            v("P", "2023-05-01", "G6"),
            v("P", "2024-02-01", "G6"),
            v("P", "2024-02-02", "G6"),
            reapply("P", "2024-03-01"),
            v("P", "2024-05-01", "G6"),
        ],
    )
    assert person(r, "P")["reapplications"][0]["result"] == "accepted"
    assert [a["source"] for a in actions(r, "P", "terminate")] == ["tier:terminate"]


@pytest.mark.parametrize("name", ["rules-suspensions", "rules-actions"])
def test_count_of_earlier_sanctions_rule(run, name):
    """rules-suspensions `suspensions >= 2`, rules-actions
    `count(actions, a -> a.action == "suspend") >= 2`; both -> terminate.

    2023-03-01 H6: 6, suspend 03-01 .. 03-31 (1 suspension: the rule does not hold).
    2024-03-01 H6: a new cycle, 6, suspend again: 2 suspensions, terminate the same day.
    """
    rows = [v("P", "2023-03-01", "H6"), v("P", "2024-03-01", "H6")]
    first = run(pol(name), rows, as_of="2023-12-31")
    assert actions(first, "P", "terminate") == []
    r = run(pol(name), rows)
    assert actions(r, "P", "suspend")[0]["start"] == "2023-03-01"
    (t,) = actions(r, "P", "terminate")
    assert (t["start"], t["source"]) == ("2024-03-01", "rule:second-suspension")
    assert person(r, "P")["status"] == "terminated"


@pytest.mark.parametrize(
    "name",
    [
        "rules-suspensions",
        "rules-actions",
    ],
)
def test_an_institution_cascade_is_not_an_earlier_suspension(run, name):
    """Both policies also cascade an institution's suspension to its staff (第五条).
    2023-03-01 H1 suspended to 04-30: P suspended at H1 (cascade, not P's conduct).
    2024-03-01 H6: P's own first suspension. One suspension of P's own: no termination."""
    rows = [
        {
            "date": "2023-03-01",
            "type": "institution_suspended",
            "institution": "H1",
            "end": "2023-04-30",
        },
        v("P", "2024-03-01", "H6"),
    ]
    r = run(pol(name), rows, roster=[{"person": "P", "institution": "H1"}])
    assert actions(r, "P", "terminate") == []
    assert [a["source"] for a in actions(r, "P", "suspend")] == ["cascade", "tier:suspend"]


# ---- restoration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of,status",
    [
        ("2025-01-10", "suspended"),  # past the cycle's end (2024-12-31), still suspended
        ("2025-02-14", "suspended"),  # the last day
        ("2025-02-15", "active"),  # restored automatically the day after
    ],
)
def test_automatic_restoration_past_the_cycle_end(run, as_of, status):
    """restore-automatic: K6 on 2024-11-15 -> suspend 3 months: 2024-11-15 .. 2025-02-14."""
    r = run(pol("restore-automatic"), [v("P", "2024-11-15", "K6")], as_of=as_of)
    p = person(r, "P")
    assert (p["status"], p["reapply_from"]) == (status, None)
    assert actions(r, "P", "suspend")[0]["end"] == "2025-02-14"
    if status == "active":
        (back,) = actions(r, "P", "restore")
        assert (back["start"], back["automatic"]) == ("2025-02-15", True)


def test_points_keep_adding_after_restoration(run):
    """restore-automatic: 03-01 K6: 6, suspend 03-01 .. 05-31, restored 06-01.
    07-01 K1: 6 + 1 = 7 in the same cycle; the suspend band has fired: nothing new."""
    r = run(pol("restore-automatic"), [v("P", "2024-03-01", "K6"), v("P", "2024-07-01", "K1")])
    assert cycle(r, "P", "2024")["deducted"] == 7
    assert kinds(r, "P") == [("suspend", "2024-03-01"), ("restore", "2024-06-01")]


def test_restoration_only_by_reapplication(run):
    """restore-reapply: K6 on 2024-11-15 -> suspend to 2025-02-14.
    as of 2025-01-10: suspended, may re-apply from 2025-02-15 (past the cycle's end);
    as of 2025-03-01 with no application: awaiting re-application from 2025-02-15;
    re-applying 2025-02-10 (during the suspension): rejected; 2025-02-20: restored."""
    rows = [v("P", "2024-11-15", "K6")]
    p = person(run(pol("restore-reapply"), rows, as_of="2025-01-10"), "P")
    assert (p["status"], p["reapply_from"]) == ("suspended", "2025-02-15")
    p = person(run(pol("restore-reapply"), rows, as_of="2025-03-01"), "P")
    assert (p["status"], p["reapply_from"]) == ("awaiting_reapplication", "2025-02-15")
    r = run(
        pol("restore-reapply"),
        rows + [reapply("P", "2025-02-10"), reapply("P", "2025-02-20")],
        as_of="2025-03-01",
    )
    p = person(r, "P")
    assert [x["result"] for x in p["reapplications"]] == ["rejected", "accepted"]
    assert "2025-02-14" in p["reapplications"][0]["reason"]
    assert (p["status"], p["reapply_from"]) == ("active", None)
    (back,) = actions(r, "P", "restore")
    assert (back["start"], back["source"]) == ("2025-02-20", "reapplication")


# ---- re-application bans -------------------------------------------------------------------


def test_ban_by_count_of_terminations_fixed_then_discretionary(run):
    """bans-count: first termination -> ban 6 months; second -> ban 1 to 2 years.

    2024-01-10 L12: 12, terminate #1, ban 6 months: re-apply from 2024-07-10.
    2024-07-09 re-application: rejected; 2024-07-10: accepted, a new registration (2).
    2024-08-01 L12: the new registration's total 0 + 12 = 12: terminate #2,
    ban 1 to 2 years, no decided length: the earliest, 2024-08-01 + 1 year = 2025-08-01.
    """
    r = run(
        pol("bans-count"),
        [
            v("P", "2024-01-10", "L12"),
            reapply("P", "2024-07-09"),
            reapply("P", "2024-07-10"),
            v("P", "2024-08-01", "L12"),
        ],
    )
    p = person(r, "P")
    assert [x["result"] for x in p["reapplications"]] == ["rejected", "accepted"]
    assert [(c["period"], c["registration"], c["deducted"]) for c in p["cycles"]] == [
        ("2024", 1, 12),
        ("2024", 2, 12),
    ]
    first, second = actions(r, "P", "ban")
    assert (first["start"], first["end"]) == ("2024-01-10", "2024-07-09")
    assert (second["discretionary"], second["range"], second["end"]) == (
        True,
        "1 to 2 years",
        "2025-07-31",
    )
    assert (p["status"], p["reapply_from"]) == ("terminated", "2025-08-01")


def test_ban_decided_length_then_permanent_on_the_third(run):
    """bans-count: as above, but the second termination's event decides `ban: 18 months`:
    2024-08-01 + 18 months = 2026-02-01. Accepted then (registration 3); 2026-03-01 L12:
    terminate #3 -> ban never; a re-application in 2027 is rejected."""
    r = run(
        pol("bans-count"),
        [
            v("Q", "2024-01-10", "L12"),
            reapply("Q", "2024-07-10"),
            v("Q", "2024-08-01", "L12", ban="18 months"),
            reapply("Q", "2026-01-31"),
            reapply("Q", "2026-02-01"),
            v("Q", "2026-03-01", "L12"),
            reapply("Q", "2027-01-01"),
        ],
        as_of="2027-12-31",
    )
    p = person(r, "Q")
    assert [x["result"] for x in p["reapplications"]] == [
        "accepted",
        "rejected",
        "accepted",
        "rejected",
    ]
    assert "permanent" in p["reapplications"][-1]["reason"]
    bans = actions(r, "Q", "ban")
    assert bans[1]["decided"] == "18 months" and bans[1]["end"] == "2026-01-31"
    assert bans[2]["never"] is True
    assert (p["status"], p["reapply_from"]) == ("terminated", "never")


def test_decided_ban_outside_the_range_is_an_error(run):
    with pytest.raises(EvaluationError):
        run(
            pol("bans-count"),
            [
                v("Q", "2024-01-10", "L12"),
                reapply("Q", "2024-07-10"),
                v("Q", "2024-08-01", "L12", ban="3 years"),
            ],
        )


def test_ban_by_cause_fraud_never_even_the_first_time(run):
    """bans-count: FR terminates with cause fraud; `cause == "fraud"` is the first ban and
    wins over `terminations == 1`: ban never."""
    r = run(pol("bans-count"), [v("R", "2024-02-01", "FR"), reapply("R", "2025-06-01")])
    p = person(r, "R")
    assert actions(r, "R", "terminate")[0]["cause"] == "fraud"
    assert (p["status"], p["reapply_from"]) == ("terminated", "never")
    assert p["reapplications"][0]["result"] == "rejected"


def test_ban_by_how_the_total_was_reached(run):
    """bans-reached: `reached_by == "single"` -> ban 3 years, "accumulation" -> ban 1 year.

    P: 2024-05-10 M12: one item worth the whole scale (12): single,
       re-apply from 2024-05-10 + 3 years = 2027-05-10.
    Q: 03-01 M6: 6 (interview); 05-10 M6: 12, reached by accumulation,
       re-apply from 2024-05-10 + 1 year = 2025-05-10.
    """
    r = run(
        pol("bans-reached"),
        [v("P", "2024-05-10", "M12"), v("Q", "2024-03-01", "M6"), v("Q", "2024-05-10", "M6")],
    )
    assert person(r, "P")["reapply_from"] == "2027-05-10"
    assert person(r, "Q")["reapply_from"] == "2025-05-10"
    assert actions(r, "P", "ban")[0]["reason"] == 'reached_by == "single"'
    assert actions(r, "Q", "ban")[0]["reason"] == 'reached_by == "accumulation"'


# ---- conditions on a re-application --------------------------------------------------------


def test_reapplication_condition_no_violation_in_two_years(run):
    """reapply-conditions: count(violations, v -> v.date > date - 2 years) == 0; no bans.

    2024-01-10 N12: terminate.
    2024-08-01: 2024-08-01 - 2 years = 2022-08-01 < 2024-01-10: one violation: rejected.
    2026-01-09: 2024-01-09 < 2024-01-10: still one: rejected.
    2026-01-10: 2024-01-10 is not after 2024-01-10: none: accepted, registration 2.
    """
    r = run(
        pol("reapply-conditions"),
        [
            v("P", "2024-01-10", "N12"),
            reapply("P", "2024-08-01"),
            reapply("P", "2026-01-09"),
            reapply("P", "2026-01-10"),
        ],
        as_of="2026-06-30",
    )
    p = person(r, "P")
    assert [x["result"] for x in p["reapplications"]] == ["rejected", "rejected", "accepted"]
    assert p["reapplications"][0]["reason"] == (
        "a violation in the two years before the application (第四条)"
    )
    assert p["status"] == "active"
    assert cycle(r, "P", "2026")["registration"] == 2


def test_reapply_conditions_see_a_violation_s_items_as_a_list(run, tmp_path):
    """reapplication conditions compare `v.items` with a list literal: the items of a
    kept violation are a list, as the language's lists are (a tuple would never
    equal `["N12"]`)."""
    for name in ("reapply-conditions.yaml", "reapply-conditions.txt"):
        shutil.copy(FMT / name, tmp_path / name)
    path = tmp_path / "reapply-conditions.yaml"
    path.write_text(
        edited(
            path.read_text("utf-8"),
            "count(violations, v -> v.date > date - 2 years) == 0",
            'all(violations, v -> v.items != ["N12"])',
        ),
        "utf-8",
    )
    r = run(
        load_policy(path),
        [v("P", "2024-01-10", "N12"), reapply("P", "2026-06-01")],
        as_of="2026-06-30",
    )
    assert [x["result"] for x in person(r, "P")["reapplications"]] == ["rejected"]


# ---- credits -------------------------------------------------------------------------------


def test_credits_lower_the_total_up_to_the_cap(run):
    """credits: T1 = 1, T2 = 2, `credit_cap: 2` a cycle; 3-5 interview, 6-11 suspend.

    02-01 A3: 3, interview.  03-01 A3: 6, suspend 03-01 .. 03-31 (restored 04-01).
    05-01 T1: 6 - 1 = 5 (credited 1).  06-01 T2: room 2 - 1 = 1: 5 - 1 = 4 (credited 2).
    07-01 T1: no room left: 4.  08-01 A1: 4 + 1 = 5: in the interview band, but a harsher
    band fired this cycle, so nothing fires again.
    """
    r = run(
        pol("credits"),
        [
            v("P", "2024-02-01", "A3"),
            v("P", "2024-03-01", "A3"),
            credit("P", "2024-05-01", "T1"),
            credit("P", "2024-06-01", "T2"),
            credit("P", "2024-07-01", "T1"),
            v("P", "2024-08-01", "A1"),
        ],
    )
    c = cycle(r, "P", "2024")
    assert (c["deducted"], c["credited"], c["violations"]) == (5, 2, 3)
    assert kinds(r, "P") == [
        ("interview", "2024-02-01"),
        ("suspend", "2024-03-01"),
        ("restore", "2024-04-01"),
    ]


def test_credits_never_go_below_zero_and_the_cap_is_per_cycle(run):
    """credits: Q: T2 on 0 deducted: stays 0, nothing credited; then A3: 3, interview.
    R: 2024: A3 then T2: 3 - 2 = 1 (credited 2). 2025: the cap is fresh: A3 then T2: 1."""
    r = run(
        pol("credits"),
        [
            credit("Q", "2024-02-01", "T2"),
            v("Q", "2024-03-01", "A3"),
            v("R", "2024-02-01", "A3"),
            credit("R", "2024-03-01", "T2"),
            v("R", "2025-02-01", "A3"),
            credit("R", "2025-03-01", "T2"),
        ],
    )
    c = cycle(r, "Q", "2024")
    assert (c["deducted"], c["credited"]) == (3, 0)
    assert kinds(r, "Q") == [("interview", "2024-03-01")]
    for year in ("2024", "2025"):
        c = cycle(r, "R", year)
        assert (c["deducted"], c["credited"]) == (1, 2), year


# ---- institutions --------------------------------------------------------------------------


def _roster() -> list[dict]:
    rows = [{"person": f"P{i:02d}", "institution": "H1"} for i in range(1, 11)]
    rows += [{"person": f"Q{i}", "institution": "H2"} for i in range(1, 5)]
    rows += [
        {"person": "R1", "institution": "H3"},
        {"person": "R2", "institution": "H3"},
        {"person": "R2", "institution": "H4"},
        {"person": "S1", "institution": "H5"},
    ]
    return rows


def _inst(result: dict, code: str, period: str = "2024") -> dict:
    return next(
        i for i in result["institutions"] if i["institution"] == code and i["period"] == period
    )


def test_institution_rule_on_a_share_of_staff_sanctioned(run):
    """institutions: `sanctioned >= 30% * staff` -> agreement-review. H1 has 10 staff.

    P01 03-01, P02 04-01, P03 05-01: I6 each: 6 points, suspend 1 month each.
    Two sanctioned: 2 < 3, nothing. Three: 3 >= 0.3 * 10 = 3 (达到或超过): the rule holds
    from 2024-05-01, the day the third was suspended.
    """
    two = [v("P01", "2024-03-01", "I6"), v("P02", "2024-04-01", "I6")]
    r = run(pol("institutions"), two, roster=_roster(), as_of="2024-12-31")
    h1 = _inst(r, "H1")
    assert (h1["staff"], h1["sanctioned"], h1["actions"]) == (10, 2, [])
    r = run(
        pol("institutions"),
        two + [v("P03", "2024-05-01", "I6")],
        roster=_roster(),
        as_of="2024-12-31",
    )
    h1 = _inst(r, "H1")
    assert h1["sanctioned"] == 3
    assert [(a["action"], a["start"], a["source"], a["label"]) for a in h1["actions"]] == [
        (
            "agreement-review",
            "2024-05-01",
            "rule:thirty-percent",
            "约谈医疗机构负责人并审查其服务协议",
        )
    ]


def test_institution_rule_on_any_member(run):
    """institutions: `any(members, m -> m.max_item_points >= 12)` -> notice. H2 has 4 staff;
    Q1's I12 on 06-01 is worth 12: the rule holds from that day. 1 sanctioned
    < 0.3 * 4 = 1.2: no agreement review."""
    r = run(
        pol("institutions"), [v("Q1", "2024-06-01", "I12")], roster=_roster(), as_of="2024-12-31"
    )
    h2 = _inst(r, "H2")
    assert (h2["staff"], h2["sanctioned"]) == (4, 1)
    assert [(a["action"], a["start"], a["source"]) for a in h2["actions"]] == [
        ("notice", "2024-06-01", "rule:single-twelve")
    ]


def test_cascade_from_an_institution_suspension(run):
    """institutions: H3 suspended 07-01 .. 09-30 -> its staff suspended there (`suspend`,
    as long as the institution's). R1 works only at H3: suspended as of 08-01, active as
    of 10-01. R2 also works at H4: still active. A cascade sanctions nobody by conduct."""
    rows = [
        {
            "date": "2024-07-01",
            "type": "institution_suspended",
            "institution": "H3",
            "end": "2024-09-30",
        }
    ]
    r = run(pol("institutions"), rows, roster=_roster(), as_of="2024-08-01")
    assert person(r, "R1")["status"] == "suspended"
    assert person(r, "R2")["status"] == "active"
    (s,) = actions(r, "R2", "suspend")
    assert (s["start"], s["end"], s["institution"], s["source"]) == (
        "2024-07-01",
        "2024-09-30",
        "H3",
        "cascade",
    )
    assert _inst(r, "H3")["sanctioned"] == 0
    r = run(pol("institutions"), rows, roster=_roster(), as_of="2024-10-01")
    assert person(r, "R1")["status"] == "active"


def test_cascade_from_an_institution_termination(run):
    """institutions: H5 terminated on 08-15 -> S1 (only at H5) terminated there; a cascade
    carries no ban, so a new registration elsewhere can succeed from 08-15."""
    rows = [{"date": "2024-08-15", "type": "institution_terminated", "institution": "H5"}]
    r = run(pol("institutions"), rows, roster=_roster(), as_of="2024-12-31")
    p = person(r, "S1")
    assert (p["status"], p["reapply_from"]) == ("terminated", "2024-08-15")
    (t,) = actions(r, "S1", "terminate")
    assert (t["institution"], t["source"], t["cite"]) == ("H5", "cascade", "第五条")
    assert actions(r, "S1", "ban") == []


def test_deadline_on_an_institution_action(run):
    """institutions: rectify = 10 working days after agreement-review. Three of H1's ten
    staff suspended by 2024-05-01 (Wed): 05-06 (Mon) 1 .. 05-10 5, 05-11 (Sat, worked for
    Labour Day) 6, 05-13 7, 14 8, 15 9, 16 10 -> 2024-05-16. (05-01..05-05 is the holiday.)"""
    rows = [
        v("P01", "2024-03-01", "I6"),
        v("P02", "2024-04-01", "I6"),
        v("P03", "2024-05-01", "I6"),
    ]
    r = run(pol("institutions"), rows, roster=_roster(), as_of="2024-12-31")
    (review,) = _inst(r, "H1")["actions"]
    assert review["deadlines"] == {"rectify": "2024-05-16"}


def test_institution_rule_that_held_before_a_credit(run):
    """institutions-credits: `any(members, m -> m.deducted >= 6)` -> notice.
    A: 03-01 I6: 6 (the rule holds from 03-01); 05-01 credit T4: 6 - 4 = 2.
    The rule held on 03-01: notice dated 2024-03-01."""
    r = run(
        pol("institutions-credits"),
        [v("A", "2024-03-01", "I6"), credit("A", "2024-05-01", "T4")],
        roster=[{"person": "A", "institution": "H9"}, {"person": "B", "institution": "H9"}],
        as_of="2024-12-31",
    )
    assert cycle(r, "A", "2024")["deducted"] == 2
    assert [(a["action"], a["start"]) for a in _inst(r, "H9")["actions"]] == [
        ("notice", "2024-03-01")
    ]


# ---- suspensions that meet (overlap: queue) ------------------------------------------------


def test_queued_suspension_runs_past_the_cycle_end(run):
    """sanctions-queue: 2024-12-01 Q6: suspend 3 months, 12-01 .. 2025-02-28 (past the
    cycle's end). 2025-01-10 Q6: a new cycle, 6 again: suspend 3 months, queued after the
    running one: from 2025-03-01."""
    r = run(pol("sanctions-queue"), [v("P", "2024-12-01", "Q6"), v("P", "2025-01-10", "Q6")])
    first, second = actions(r, "P", "suspend")
    assert (first["start"], first["end"]) == ("2024-12-01", "2025-02-28")
    assert (second["start"], second["queued"]) == ("2025-03-01", True)


def test_queued_suspension_lasts_its_months_from_its_own_start(run):
    """sanctions-queue: the queued 3 months start 2025-03-01 and end 2025-05-31
    (03-01 + 3 months - 1 day); not 2025-05-29, which carrying over the length the
    suspension had from 01-10 (04-09 - 01-10 = 89 days) would give."""
    r = run(pol("sanctions-queue"), [v("P", "2024-12-01", "Q6"), v("P", "2025-01-10", "Q6")])
    assert actions(r, "P", "suspend")[1]["end"] == "2025-05-31"


def test_queued_suspension_counts_as_sanctioned_in_its_cycle(run):
    """sanctions-queue: `sanctioned >= 50% * staff`; H1 has P and R.
    2024: P suspended 12-01: 1 >= 1, institution-interview dated 2024-12-01.
    2025: P suspended again on 01-10 (queued): 1 >= 1, institution-interview 2025-01-10."""
    r = run(
        pol("sanctions-queue"),
        [v("P", "2024-12-01", "Q6"), v("P", "2025-01-10", "Q6")],
        roster=[{"person": "P", "institution": "H1"}, {"person": "R", "institution": "H1"}],
    )
    for period, day in (("2024", "2024-12-01"), ("2025", "2025-01-10")):
        h1 = _inst(r, "H1", period)
        assert h1["sanctioned"] == 1, period
        assert [(a["action"], a["start"]) for a in h1["actions"]] == [
            ("institution-interview", day)
        ]


# ---- procedural deadlines ------------------------------------------------------------------


def test_deadlines_in_working_days_chained(run):
    """deadlines: objection 10 working days after the action, review 5 working days after
    the objection, enforce 1 month after the review (on suspend and terminate only).

    2024-09-27 (Fri) J6: suspend. Working days after it: 09-29 (Sun, worked) 1, 09-30 2,
    10-01..10-07 National Day, 10-08 3, 09 4, 10 5, 11 6, 10-12 (Sat, worked) 7, 14 8,
    15 9, 16 10 -> objection 2024-10-16; then 17, 18, 21, 22, 23 -> review 2024-10-23;
    + 1 month -> enforce 2024-11-23.
    """
    r = run(pol("deadlines"), [v("P", "2024-09-27", "J6")])
    (s,) = actions(r, "P", "suspend")
    assert s["deadlines"] == {
        "objection": "2024-10-16",
        "review": "2024-10-23",
        "enforce": "2024-11-23",
    }
    assert "deadlines_approximate" not in s


def test_deadlines_only_on_the_listed_actions(run):
    """deadlines: J3 -> interview, not in `on: [suspend, terminate]`: no deadlines."""
    r = run(pol("deadlines"), [v("P", "2024-09-27", "J3")])
    (i,) = actions(r, "P", "interview")
    assert "deadlines" not in i


def test_deadlines_outside_the_holiday_calendar_are_approximate(run):
    """deadlines: 2099-01-05 (Mon) is beyond the holiday calendar: weekdays are counted.
    10 weekdays: 01-06..09 (4), 12..16 (9), 19 (10); 5 more: 20, 21, 22, 23, 26."""
    r = run(pol("deadlines"), [v("P", "2099-01-05", "J6")], as_of="2099-12-31")
    (s,) = actions(r, "P", "suspend")
    assert s["deadlines"] == {
        "objection": "2099-01-19",
        "review": "2099-01-26",
        "enforce": "2099-02-26",
    }
    assert s["deadlines_approximate"] is True


# ---- person attributes ---------------------------------------------------------------------


def test_age_from_the_roster_on_the_as_of_date(run):
    """facts: age(person.birth_date, as_of); 年满50周岁 -> "open book".
    As of 2024-06-30: born 1974-06-30 -> 50 exactly (birthday today); born 1974-07-01 -> 49."""
    roster = [
        {"person": "P50", "institution": "H1", "birth_date": "1974-06-30"},
        {"person": "P49", "institution": "H1", "birth_date": "1974-07-01"},
    ]
    r = run(pol("facts"), [v("P50", "2024-01-05", "X3")], roster=roster, as_of="2024-06-30")
    assert person(r, "P50")["facts"] == {"age": 50, "test_form": "open book"}
    assert person(r, "P49")["facts"] == {"age": 49, "test_form": "closed book"}


def test_facts_computed_once_per_distinct_attributes_stay_per_person(run):
    """The evaluator computes a fact that reads only person attributes and as_of once per
    distinct attribute values (evaluate.person_reads): people alike share the value,
    people who differ do not, and a person without the attribute gets none."""
    roster = [
        {"person": p, "institution": "H1", "birth_date": b}
        for p, b in [("A", "1974-06-30"), ("B", "1974-07-01"), ("C", "1974-06-30"), ("D", "")]
    ]
    r = run(pol("facts"), [v("A", "2024-01-05", "X3")], roster=roster, as_of="2024-06-30")
    assert [person(r, p)["facts"] for p in "ABCD"] == [
        {"age": 50, "test_form": "open book"},
        {"age": 49, "test_form": "closed book"},
        {"age": 50, "test_form": "open book"},
        {"age": None, "test_form": None},
    ]


def test_which_facts_depend_on_person_attributes_only():
    from engine.evaluation.fold import person_reads

    def reads(text):
        from engine.dsl.checker import Checker
        from engine.dsl.parser import parse_expr
        from engine.dsl.types import ANY
        from engine.policy.model import Expr
        from engine.policy.scopes import fact_scope

        node = parse_expr(text)
        out = Checker(fact_scope()).run(node, ANY)
        return person_reads(
            Expr(text, node, None, None, frozenset(out.names), frozenset(out.attrs))
        )

    assert reads("age(person.birth_date, as_of) >= 50") == ("birth_date",)
    assert reads("count(person.institutions) > 1") == ("institutions",)
    assert reads('person.role == "doctor" and as_of > date("2024-01-01")') == ("role",)
    assert reads('count(person.institutions, i -> i == "H1")') is None  # a function body


# ---- metadata ------------------------------------------------------------------------------


def test_metadata():
    """meta: id, version, title, issuer, document number, issue date, effective period,
    source file and its SHA-256."""
    p = pol("meta")
    assert (p.id, p.version, p.title, p.issuer, p.document, p.issued) == (
        "fmt-meta",
        "2024",
        "测试市医保医师记分管理办法",
        "测试市医疗保障局",
        "测医保发〔2024〕7号",
        "2024-03-15",
    )
    assert (p.effective_from, p.effective_to) == ("2024-04-01", "2026-03-31")
    assert p.source_file == "meta.txt"
    assert p.source_sha256 == hashlib.sha256((FMT / "meta.txt").read_bytes()).hexdigest()


def test_metadata_in_the_outcome_and_effective_period(run):
    """meta is in force 2024-04-01 .. 2026-03-31: events on 2024-03-01 and 2026-04-01 are
    outside it (evaluated all the same, and counted); 2024-05-01 is inside."""
    r = run(
        pol("meta"),
        [v("P", "2024-03-01", "Y3"), v("P", "2024-05-01", "Y3"), v("P", "2026-04-01", "Y3")],
        as_of="2026-12-31",
    )
    assert r["policy"] == {"id": "fmt-meta", "version": "2024"}
    assert r["events_outside_effective"] == 2


def test_a_changed_source_byte_fails_the_hash(tmp_path):
    """meta: one byte of meta.txt changed (扣3分 -> 扣4分): error `source-hash`, and only
    that; the policy still loads with provenance checks off."""
    shutil.copy(FMT / "meta.yaml", tmp_path / "meta.yaml")
    text = (FMT / "meta.txt").read_bytes()
    changed = text.replace("扣3分".encode(), "扣4分".encode())
    assert (
        len(changed) == len(text) and sum(a != b for a, b in zip(text, changed, strict=True)) == 1
    )
    (tmp_path / "meta.txt").write_bytes(changed)
    _, diags = check_policy(tmp_path / "meta.yaml")
    assert [d.code for d in diags] == ["source-hash"]
    with pytest.raises(PolicyError):
        load_policy(tmp_path / "meta.yaml")
    assert load_policy(tmp_path / "meta.yaml", provenance_checks=False).id == "fmt-meta"


@pytest.mark.parametrize(
    "old,new",
    [
        ("from: 2024-04-01", "from: 2024-02-30"),  # no such day
        ("to: 2026-03-31", "to: 2023-03-31"),  # ends before it starts
    ],
    ids=["impossible-date", "period-backwards"],
)
def test_bad_metadata_dates_are_errors(tmp_path, old, new):
    text = (FMT / "meta.yaml").read_text("utf-8")
    (tmp_path / "meta.yaml").write_text(edited(text, old, new), "utf-8")
    shutil.copy(FMT / "meta.txt", tmp_path / "meta.txt")
    _, diags = check_policy(tmp_path / "meta.yaml")
    assert any(d.severity == "error" for d in diags)
