"""The institution tracker's views: members made lazily, changes merged lazily.

institutions.Members stands in for a list of the staff's records in rules
(`members`); these tests hold it to what the plain list it replaced gave.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

from engine.evaluation.institutions import Member, Members

# (code, record) of the staff with a record; a record's `snap` is its latest snapshot:
# (deducted, score, violations, max_item_points, suspended, terminated)
ACTIVE = [
    ("A", SimpleNamespace(snap=(7, 5, 2, 6, True, False))),
    ("B", SimpleNamespace(snap=(3, 9, 1, 3, False, False))),
]


def _plain(quiet, default):
    return [Member(c, *record.snap) for c, record in ACTIVE] + [default] * quiet


def _fields(m: Member):
    return (
        m.person,
        m.deducted,
        m.score,
        m.violations,
        m.max_item_points,
        m.suspended,
        m.terminated,
        m.sanctioned,
    )


def test_members_read_like_the_list_they_replace():
    default = Member("", score=12)
    lazy = Members(ACTIVE, 3, default)
    plain = _plain(3, default)
    assert len(lazy) == len(plain) == 5
    assert [_fields(m) for m in lazy] == [_fields(m) for m in plain]
    assert [_fields(lazy[i]) for i in range(-5, 5)] == [_fields(plain[i]) for i in range(-5, 5)]
    assert [_fields(m) for m in reversed(lazy)] == [_fields(m) for m in reversed(plain)]
    assert [_fields(m) for m in lazy[1:3]] == [_fields(m) for m in plain[1:3]]
    assert lazy[0].sanctioned and not lazy[1].sanctioned  # A suspended, B not
    # the quiet staff share one record, so list functions evaluate it once
    assert lazy[2] is lazy[3] is lazy[4] is default
    try:
        lazy[5]
    except IndexError:
        pass
    else:
        raise AssertionError("index past the end must raise IndexError")


def test_sanctioned_counts_kept_while_folding_match_the_final_records():
    # InstitutionTracker.sanctioned is kept up to date as records change (a reinstatement
    # in the same cycle can clear a person's flags); it must equal a count over the final
    # records of each institution's staff
    from pathlib import Path

    from engine.evaluation.fold import Evaluator
    from engine.ledger.read import read_ledger
    from engine.policy.loader import load_policy

    root = Path(__file__).resolve().parent.parent
    for city, as_of in (("jining", dt.date(2025, 12, 31)), ("zhanjiang", dt.date(2023, 12, 31))):
        policy = load_policy(str(root / "policies" / f"{city}.yaml"))
        ex = root / "examples" / city
        ledger = read_ledger(str(ex / "events.csv"), policy, str(ex / "roster.csv"))
        ev = Evaluator(policy, ledger, as_of, set(), None)
        ev.fold_events(ledger.events)
        t = ev.institutions
        recount = {}
        for (inst, period), records in t.active_by_institution().items():
            n = sum(1 for _, r in records if r.snap[4] or r.snap[5])
            if n:
                recount[(inst, period)] = n
        assert {k: v for k, v in t.sanctioned.items() if v} == recount
        assert recount  # the examples do sanction people at institutions
