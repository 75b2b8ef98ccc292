"""Stage "evaluate": computed sanctions and the decisions that make them binding (issue 22 §2).

The engine computes what a rule requires; the regulations have the agency decide
(中止、解除服务协议 is the 经办机构's act), and PIPL art. 24 gives a person facing
a decision made solely by automated means the right to an explanation and to
refuse it. A `decision` row (ledger/corrections.py) records an official's
decision on a finding's sanction: its 文号, its date, and, within the rule's
range, the length decided (copied onto the finding before the fold, so the
sanction is computed with it).

What a decision does depends on the policy's `decisions.take_effect`:

- `on-computation` (the default, and every shipped policy): a sanction is in
  force as computed, as before. A decision only records itself on the
  sanctions it decides (`decision`: its event, 文号 and date).
- `on-decision`: a sanction is *proposed* (`proposed: true`) until a decision
  decides it, and *in force* from the decision's date (`in_force_from`, when
  later than the computed start) to its computed end. The end is not moved: the
  rule dates a sanction from its finding, and a late decision does not lengthen
  it (docs/semantics.md, "Decisions"). `status` is then the status in force on
  the as-of date, and `proposed_status` the computed one when they differ;
  status intervals (`evaluate --format intervals`, `screen`, the service's
  `may_bill`) follow the sanctions in force only.

Which sanctions a decision decides: those its finding fired (the finding's id
among the action's `events`), of the kind named in its `action` column, or all
of them when it names none. The engine's own acts (a restoration, a
reinstatement) and an institution's cascade (decided by the institution's own
event) need no decision.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any, cast

from engine.evaluation.intervals import person_intervals
from engine.evaluation.outcome import ActionRec, PersonOutcome, iso
from engine.ledger.rows import Ledger
from engine.policy.model import Policy

ON_DECISION = "on-decision"
# the engine's own acts and the consequences of an institution's, decided elsewhere
UNDECIDED_KINDS = frozenset({"restore", "reinstate"})
NOT_BILLING = ("suspended", "terminated", "awaiting_reapplication")


class Decisions:
    """The ledger's decisions by finding, and what they make of a person's actions."""

    def __init__(self, policy: Policy, ledger: Ledger, restoration: tuple | None = None):
        """`policy`: the one whose `take_effect` holds (across a history, the version
        in force on the as-of date); `restoration`: how people come back, as status
        intervals read it (trail.restoration_of), when not `policy`'s own."""
        self.policy = policy
        self.on_decision = policy.take_effect == ON_DECISION
        self.restoration = restoration or (policy.restoration, policy.restoration_cite)
        self.by_finding: dict[str, list] = {}
        for d in ledger.decisions:
            self.by_finding.setdefault(d.finding.id, []).append(d)

    def settle(
        self,
        code: str,
        status: str,
        reapply_from: Any,
        actions: list[ActionRec],
        as_of: _dt.date,
    ) -> tuple[str, Any, str | None]:
        """Mark each sanction decided (or proposed); return the status in force, the
        re-application date that goes with it, and the computed status when the two
        differ (None otherwise)."""
        for a in actions:
            if a.action in UNDECIDED_KINDS or a.source == "cascade":
                continue
            decision = self.decision_for(a)
            if decision is not None:
                row = decision.row
                a.extra["decision"] = {
                    "event": row.id,
                    "document": row.attrs.get("document"),
                    "date": iso(row.date),
                }
                if self.on_decision and row.date > a.start:
                    a.extra["in_force_from"] = row.date
            elif self.on_decision:
                a.extra["proposed"] = True
        if not self.on_decision or status not in NOT_BILLING:
            return status, reapply_from, None
        found = PersonOutcome(code, cast(Any, status), [], actions, reapply_from)
        by, cite = self.restoration

        def on_as_of(in_force: bool) -> list:
            ivs = person_intervals(found, by, cite, in_force)
            return [
                iv
                for iv in ivs
                if iv.scope == "person"
                and iv.start <= as_of
                and (iv.end is None or iv.end >= as_of)
            ]

        if not on_as_of(False):
            return status, reapply_from, None  # not the person's own: a site's cascade
        own = on_as_of(True)
        in_force = own[0].status if own else "active"
        if in_force == status:
            return status, reapply_from, None
        return in_force, (None if in_force == "active" else reapply_from), status

    def decision_for(self, a: ActionRec):
        """The latest decision on one of the action's findings that names its kind (or
        none), or None."""
        found = None
        for event_id in a.events:
            for d in self.by_finding.get(event_id, ()):
                kind = d.action
                later = found is None or (d.row.date, d.row.seq) > (found.row.date, found.row.seq)
                if (kind is None or kind == a.action) and later:
                    found = d
        return found
