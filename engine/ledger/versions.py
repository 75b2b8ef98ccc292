"""A row's checks against a regulation's history: the versions that can apply to it.

A ledger evaluated across a history (policy/versions.py) is read against the
versions each row can be judged under, not against one catalogue:

- a finding can be judged under the version in force when its act occurred
  (the `occurred` column, else its `date`) and under the one in force at the
  decision (`date`): 从旧兼从轻 (evaluation/lenity.py). Each code it lists is
  read in the act's version's catalogue, else in the decision's (a bureau may
  record an old act in the codes in use when it decides). A code of the
  decision's version that stands for several items of the act's version (the
  revision merged them) is an error: the row cannot say which item the act
  was, and the engine does not guess;
- every other row (a credit, a re-application, an institution's event) is a
  decision of its date, read under the version in force then.

A date where no version is in force is read under the nearest version (the
one before it, else the first), as the fold judges it. The checks of each
version pair are `RowChecks` over the pair's catalogue, worked out once per
`(versions, type, items)`; every row takes them (`Profile.slow`), since its
versions are known only once its dates are read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.i18n import _
from engine.ledger.corrections import AMEND, Correction
from engine.ledger.profiles import Profile, RowChecks
from engine.ledger.tables import Problems
from engine.ledger.values import Values
from engine.policy.model import Item
from engine.policy.versions import History


@dataclass(frozen=True)
class Catalogue:
    """What `RowChecks` reads of a policy, for a row two versions can apply to: the
    act's version's items, with the decision's for codes the act's version lacks."""

    id: str
    items: dict[str, Item]
    credits: dict[str, Item]
    scale: Any
    optional_columns: frozenset[str] = field(default_factory=frozenset)


class HistoryChecks:
    """The checks of one file's rows against a history, reported to its `Problems`;
    what the reader asks of `RowChecks` (`profile`, `row`, `codes`)."""

    def __init__(self, history: History, problems: Problems, values: Values):
        self.h = history
        self.problems = problems
        self.values = values
        last = len(history) - 1
        self.pairs: dict[tuple[int, int], RowChecks] = {}
        self.latest = self.checks(last, last)
        # every version's item and credit codes: an institution cell holding one has slid
        self.codes = frozenset().union(
            *(frozenset(p.items) | frozenset(p.credits) for p in history.versions)
        )
        self.profiles: dict[tuple[int, int, str, str], Profile] = {}

    def checks(self, a: int, b: int) -> RowChecks:
        """The checks of a row under versions a (the act's) and b (the decision's); ANY:
        against the items of every version (the latest's where two define a code)."""
        found = self.pairs.get((a, b))
        if found is None and a == ANY:
            vs = self.h.versions
            items = {c: i for v in vs for c, i in v.items.items()}
            credits = {c: i for v in vs for c, i in v.credits.items()}
            union: Any = Catalogue(vs[-1].id, items, credits, vs[-1].scale)
            found = self.pairs[(a, b)] = RowChecks(union, self.problems, self.values)
        if found is None:
            va, vb = self.h.versions[a], self.h.versions[b]
            policy: Any = (
                va
                if a == b
                else Catalogue(va.id, {**vb.items, **va.items}, dict(vb.credits), va.scale)
            )
            found = self.pairs[(a, b)] = RowChecks(policy, self.problems, self.values)
        return found

    def profile(self, type_text: str, items_text: str) -> Profile:
        """The row's type and codes; its checks wait for its dates (`row`)."""
        base = self.latest.profile(type_text, items_text)
        if base.type is None:  # an unknown type: reported as under one policy
            return base
        prof = Profile(base.type, base.items, (), (), (), None, base.institution)
        prof.slow = True
        return prof

    def row(
        self,
        prof: Profile,
        person: str,
        institution,
        date,
        points_s: str,
        amount_s: str,
        end_s: str,
        line: int,
        items_s: str,
        occurred_s: str = "",
    ):
        """`RowChecks.row` under the versions the row's dates name."""
        if prof.type is None or date is None:  # reported as under one policy
            args = (points_s, amount_s, end_s, line, items_s, occurred_s)
            return self.latest.row(prof, person, institution, date, *args)
        before = len(self.problems.items)
        occurred = self.latest.act_date(prof.type, occurred_s, date, line)
        b = self.h.nearest(date)
        a = self.h.nearest(occurred) if occurred is not None else b
        if prof.type == AMEND:
            # an amendment restates its finding, read under the finding's versions: known
            # once the ledger is whole (`restate`); here, against every version's items
            a = b = ANY
        key = (a, b, prof.type, items_s)
        vp = self.profiles.get(key)
        if vp is None:
            vp = self.profiles[key] = self.version_profile(a, b, prof.type, items_s)
        ok, amount, points, end, _unused = self.checks(a, b).row(
            vp, person, institution, date, points_s, amount_s, end_s, line, items_s
        )
        return ok and len(self.problems.items) == before, amount, points, end, occurred

    def version_profile(self, a: int, b: int, etype: str, items_s: str) -> Profile:
        """The profile of a row under versions a and b, its problems naming them."""
        vp = self.checks(a, b).profile(etype, items_s)
        if a == ANY:
            where = _("read against every version of `{id}`").format(id=self.h.id)
        va, vb = self.h.versions[a], self.h.versions[b]
        if a == ANY:
            pass
        elif a == b:
            where = _("version {version} of `{id}`, in force {start} to {end}").format(
                version=va.version,
                id=va.id,
                start=va.effective_from,
                end=va.effective_to or _("open"),
            )
        else:
            where = _(
                "version {version} of `{id}`, in force when the act occurred, or version "
                "{version2}, in force at the decision"
            ).format(version=va.version, id=va.id, version2=vb.version)
        errors = [
            (code, f"{message} ({where})" if code == "item" else message, hint)
            for code, message, hint in vp.errors
        ]
        if a != b and a != ANY:
            for code in vp.items:
                if code in va.items or code not in vb.items:
                    continue
                earlier = self.h.carry_back(code, b, a)
                if len(earlier) > 1:
                    errors.append(
                        (
                            "item",
                            _(
                                "item `{code}` of version {version2} stands for several items "
                                "of version {version}, in force when the act occurred: {codes}"
                            ).format(
                                code=code,
                                version=va.version,
                                version2=vb.version,
                                codes=_(", ").join(earlier),
                            ),
                            _("give the act's own code, from version {version}").format(
                                version=va.version
                            ),
                        )
                    )
        if errors == list(vp.errors):
            return vp
        return Profile(
            vp.type,
            vp.items,
            tuple(errors),
            vp.points_items,
            vp.ranges,
            vp.amount_item,
            vp.institution,
        )

    def restate(self, correction: Correction) -> None:
        """An amendment's items read as its finding's are (module docstring): in the
        catalogue of the version in force when the finding's act occurred, else in that
        of its decision (the finding's `date`), else in the one in force when the
        amendment is made, carried back through the history to the finding's decision's
        version (a bureau names the item by the code in use when it amends). The
        amended finding is given the code it is read under; a code that is none of
        these, or that stands for several earlier items, is an error at the
        amendment's line."""
        finding, amended, row = correction.before, correction.after, correction.row
        if amended is None:
            return
        h = self.h
        b = h.nearest(finding.date)
        a = h.nearest(finding.occurred) if finding.occurred is not None else b
        c = h.nearest(row.date)
        va, vb, vc = h.versions[a], h.versions[b], h.versions[c]
        codes: list[str] = []
        for code in amended.items:
            if code in va.items or code in va.credits or code in vb.items or code in vb.credits:
                codes.append(code)
                continue
            earlier = h.carry_back(code, c, b) if c > b and code in vc.items else ()
            if len(earlier) == 1:
                codes.append(earlier[0])
                continue
            where = (
                _("version {version} of `{id}`, in force {start} to {end}").format(
                    version=vb.version,
                    id=vb.id,
                    start=vb.effective_from,
                    end=vb.effective_to or _("open"),
                )
                if a == b
                else _(
                    "version {version} of `{id}`, in force when the act occurred, or version "
                    "{version2}, in force at the decision"
                ).format(version=va.version, id=va.id, version2=vb.version)
            )
            if earlier:
                message = _(
                    "item `{code}` of version {version2} stands for several items of version "
                    "{version}, which the amended finding is read in: {codes}"
                ).format(
                    code=code, version=vb.version, version2=vc.version, codes=_(", ").join(earlier)
                )
            else:
                message = _(
                    "item `{code}` is not in the catalogue the amended finding is read in ({where})"
                ).format(code=code, where=where)
            self.problems.add(
                "item",
                message,
                row.line,
                _(
                    "an amendment restates its finding, read under the version of its own "
                    "dates: give that version's code"
                ),
            )
            return
        if tuple(codes) != amended.items:
            amended.items = tuple(codes)


ANY = -1  # `HistoryChecks.checks`: against every version's items
