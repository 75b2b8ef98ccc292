"""Stage "evaluate", which version of a regulation scores a finding: 从旧兼从轻.

The Administrative Penalty Law (2021), art. 37: the rule in force when the act
occurred applies; if the rule in force when the decision is made is lighter, or
no longer counts the act as a violation, the new rule applies. Input: a
regulation's history (policy.versions.History) and a finding; output: a
`Scored`: the version that scores it, its codes in that version's catalogue, the
points, and the basis of the choice (`Basis`), which the outcome reports per
finding and the story tells against the article.

- The act's date is the event's `occurred` (the ledger column), else its `date`
  (the decision). An act dated after its decision is bad input (the ledger
  reader refuses it; a hand-made event raises `BadValue`).
- Each code the finding lists is read in the catalogue of the version in force
  when the act occurred (the rule it broke), else in the decision's (the ledger
  reader checked it is in one of them), and carried to the other version through
  the history's code maps (`supersedes.map`, else diff's pairing). A code with
  no counterpart in the decision's version is an act the new rule no longer
  counts; one with no counterpart in the act's version was no violation when it
  was done, and a later rule does not reach back to it (法不溯及既往).
- Both versions score the act, each with its own items and `combine.same_act`;
  the lighter wins: the one whose items terminate on their own (an effect such
  as fraud's) is the heavier, else the one with more points. Equal: the old rule
  (从旧). A range item's decided `points` counts as decided under the version
  whose catalogue the code was read in, and is brought into the other version's
  range (the nearest value in it): the new rule is lighter when even that is.
- An act or a decision dated where no version is in force (before the first,
  in a gap) is read under the nearest version (policy.versions.History.nearest)
  and marked `outside` (the outcome's warning).

Cycle-level consequences (bands, rules, bans, restoration) are not chosen here:
they follow the version in force on the date each is decided (history.py).
"""

from __future__ import annotations

import datetime as _dt
from enum import StrEnum
from typing import NamedTuple

from engine.errors import BadValue
from engine.evaluation.points import Points
from engine.i18n import _
from engine.ledger.read import Event, Person
from engine.numbers import number_text
from engine.policy.model import Number, Policy
from engine.policy.scopes import Env
from engine.policy.versions import History

ART_37 = "《行政处罚法》第三十七条"  # 从旧兼从轻


class Basis(StrEnum):
    """Why a version scores a finding: the values of the output's `basis`."""

    IN_FORCE = "in_force"  # one version was in force at the act and at the decision
    OLD_RULE = "old_rule"  # 从旧: the act's version; the decision's is not lighter
    LIGHTER = "lighter"  # 从轻: the decision's version is lighter
    NO_LONGER_COUNTED = "no_longer_counted"  # 从轻: the decision's version does not count it
    NOT_COUNTED_THEN = "not_counted_then"  # the act's version did not count it (不溯及既往)


class Scored(NamedTuple):
    """A finding as the chosen version scores it."""

    version: int  # index in the history of the version that scores (or declines) it
    codes: tuple[str, ...]  # in that version's catalogue (empty when not counted)
    points: Number | None  # None: not scored at all
    basis: Basis
    act: _dt.date  # the act's date
    compared: tuple[int, int, Number | None, Number | None] | None = None
    # (act's version, decision's version, points under each (None: not counted))
    # when the two differ and both were asked
    outside: bool = False  # no version was in force on the act's date
    per_item: list[tuple[str, Number]] | None = None  # each item's points, when several

    @property
    def counted(self) -> bool:
        return self.points is not None

    def reason(self, h: History) -> str:
        """The choice in words, in the reader's language (the article, ART_37, is the
        story's citation)."""
        v = h.versions[self.version]
        if self.basis is Basis.IN_FORCE:
            text = _("under version {version}, in force on {date}").format(
                version=v.version, date=self.act
            )
            if self.outside:
                text = _(
                    "version {version}, the nearest: no version was in force when the act "
                    "occurred ({date})"
                ).format(version=v.version, date=self.act)
            return text
        assert self.compared is not None
        a, b, p_old, p_new = self.compared
        old, new = h.versions[a].version, h.versions[b].version
        if self.basis is Basis.NOT_COUNTED_THEN:
            return _(
                "not scored: version {old}, in force when the act occurred ({date}), did not "
                "count it as a violation, and version {new} does not reach back to it (从旧)"
            ).format(old=old, date=self.act, new=new)
        if self.basis is Basis.NO_LONGER_COUNTED:
            return _(
                "not scored: version {new}, in force at the decision, no longer counts the "
                "act of {date} (under version {old}: {points}): 从轻"
            ).format(new=new, date=self.act, old=old, points=_n(p_old))
        if self.basis is Basis.LIGHTER:
            return _(
                "version {new}, in force at the decision, is lighter than version {old}, in "
                "force when the act occurred ({date}): {points} against {points2} points: 从轻"
            ).format(new=new, old=old, date=self.act, points=_n(p_new), points2=_n(p_old))
        return _(
            "version {old}, in force when the act occurred ({date}); version {new}, in force "
            "at the decision, is not lighter ({points} against {points2} points): 从旧"
        ).format(old=old, date=self.act, new=new, points=_n(p_new), points2=_n(p_old))


class Lenity:
    """Chooses, per finding, the version of a history that scores it."""

    def __init__(self, history: History):
        self.h = history
        # each version's arithmetic of a finding (points.Points), with its own cache of
        # what a list of codes counts
        self.points = [Points(p, Env()) for p in history.versions]
        # each version's range items: a finding with none of them is priced off the
        # version's cached plans (points_under), without looking at its items one by one
        self.ranged = [
            frozenset(c for c, item in p.items.items() if item.points_kind == "range")
            for p in history.versions
        ]
        self.at: dict[_dt.date, tuple[int, bool]] = {}  # date -> version.. (`version`)

    def occurred(self, ev: Event) -> _dt.date:
        """The act's date: `occurred`, else the decision's date."""
        d = ev.occurred
        if d is None:
            return ev.date
        if d > ev.date:
            raise BadValue(
                _("the act `occurred` on {occurred}, after its decision `date` {date}").format(
                    occurred=d, date=ev.date
                )
            )
        return d

    def version(self, d: _dt.date) -> tuple[int, bool]:
        """The version a date is read under (in force then, else the nearest), and
        whether one was in force."""
        found = self.at.get(d)
        if found is None:
            found = self.at[d] = (self.h.nearest(d), self.h.index_at(d) is not None)
        return found

    def score(self, ev: Event, person: Person) -> Scored:
        act = self.occurred(ev)
        b = self.version(ev.date)[0]
        a, inside = self.version(act)
        outside = not inside
        if a == b:
            pts, per = self.points_under(a, ev, person, ev.items)
            return Scored(a, ev.items, pts, Basis.IN_FORCE, act, None, outside, per)
        old_codes, new_codes = self.codes(ev.items, a, b)
        if not old_codes:
            p_new = self.points_under(b, ev, person, new_codes)[0] if new_codes else None
            return Scored(a, (), None, Basis.NOT_COUNTED_THEN, act, (a, b, None, p_new), outside)
        p_old, per_old = self.points_under(a, ev, person, old_codes)
        if p_old is None:  # the act's version declines to score it (its `scoring` refuses)
            p_new = self.points_under(b, ev, person, new_codes)[0] if new_codes else None
            return Scored(a, (), None, Basis.NOT_COUNTED_THEN, act, (a, b, None, p_new), outside)
        p_new, per_new = self.points_under(b, ev, person, new_codes) if new_codes else (None, None)
        if p_new is None:  # the decision's version does not count it (从轻)
            return Scored(b, (), None, Basis.NO_LONGER_COUNTED, act, (a, b, p_old, None), outside)
        compared = (a, b, p_old, p_new)
        heavy_old = self.terminates(a, ev, person, old_codes)
        heavy_new = self.terminates(b, ev, person, new_codes)
        if (heavy_new, p_new) < (heavy_old, p_old):
            return Scored(b, new_codes, p_new, Basis.LIGHTER, act, compared, outside, per_new)
        return Scored(a, old_codes, p_old, Basis.OLD_RULE, act, compared, outside, per_old)

    def codes(
        self, codes: tuple[str, ...], a: int, b: int
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """A finding's codes in the act's version (a) and in the decision's (b): each read
        in a's catalogue, else in b's, and carried to the other; codes without a
        counterpart left out, two that become one counted once."""
        h = self.h
        old: list[str] = []
        new: list[str] = []
        catalogue = h.versions[a].items
        for code in codes:
            if code in catalogue:
                old.append(code)
                carried = h.carry(code, a, b)
                if carried is not None:
                    new.append(carried)
            else:  # read in the decision's catalogue (ledger/versions.py)
                new.append(code)
                back = h.carry_back(code, b, a)
                if len(back) == 1:
                    old.append(back[0])
                elif back:  # the reader refuses this; an event made by hand may not be read
                    raise BadValue(
                        _(
                            "item `{code}` of version {version2} stands for several items of "
                            "version {version}, in force when the act occurred: {codes}"
                        ).format(
                            code=code,
                            version=h.versions[a].version,
                            version2=h.versions[b].version,
                            codes=_(", ").join(back),
                        )
                    )
        return tuple(dict.fromkeys(old)), tuple(dict.fromkeys(new))

    # -- one version's view of the act ---------------------------------------------------
    def points_under(
        self, i: int, ev: Event, person: Person, codes: tuple[str, ...]
    ) -> tuple[Number, list[tuple[str, Number]] | None]:
        """The act's points under version i: its items, as its `same_act` counts them;
        each item's points too when there are several."""
        pts = self.points[i]
        if codes == ev.items and (
            self.ranged[i].isdisjoint(codes) or not _ranges(pts.policy, codes, ev)
        ):
            act = pts.of(ev, person)  # (cached per list of codes)
            return act.points, act.per_item
        items = pts.policy.items
        per = [(c, self.item_points(pts, items[c], ev, person)) for c in codes]
        values = [v for _c, v in per]
        total = max(values) if pts.highest else sum(values)
        return total, (per if len(per) > 1 else None)

    @staticmethod
    def item_points(pts: Points, item, ev: Event, person: Person) -> Number:
        if item.points_kind == "range":  # the decided value, brought into this range
            value = ev.points if ev.points is not None else item.low
            return min(max(value, item.low), item.high)
        return pts.item(item, ev, person)

    def terminates(self, i: int, ev: Event, person: Person, codes: tuple[str, ...]) -> bool:
        """Whether the act's items terminate on their own under version i (an effect
        such as fraud's), whatever the total."""
        pts = self.points[i]
        env = pts.env
        for code in codes:
            for eff in pts.policy.items[code].effects:
                if any(s.kind == "terminate" for s in eff.then):
                    if eff.when is None:
                        return True
                    env.amount, env.event, env.person = ev.amount, ev, person
                    if eff.when(env):
                        return True
        return False


def _ranges(policy: Policy, codes: tuple[str, ...], ev: Event) -> bool:
    """Whether a range item among the codes must have its decided value brought into
    its range (a value decided under another version's range)."""
    if ev.points is None:
        return any(policy.items[c].points_kind == "range" for c in codes)
    for c in codes:
        item = policy.items[c]
        if item.points_kind == "range" and not item.low <= ev.points <= item.high:
            return True
    return False


def _n(x) -> str:
    return "-" if x is None else number_text(x)
