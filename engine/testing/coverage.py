"""Rule coverage: which parts of a policy no scenario exercises.

Like `opa test --coverage`, but counted in the regulation's own units rather
than lines: every item code, credit, tier, history rule, ban entry,
restoration, reinstatement, re-application condition, institution rule,
cascade, deadline and item effect a policy defines is a target. A target is
exercised when some case's outcome shows it happened, read from what the
evaluator records anyway, so coverage needs no hooks in the fold:

- items and credits: an event (dated on or before the case's as-of date)
  lists the code;
- tiers, history rules, item effects: an action's `source` (`tier:ID`,
  `rule:ID`, `item:CODE`), including a sanction replaced on its first day
  (`replaces`) and a termination that coincided with another (`also`); an
  effect is told from the item's other effects by its article and action;
- bans: a `ban` action's article and reason (the entry's `when`);
- restoration: a `restore` action; reinstatement: a `reinstate` action;
- re-application conditions: a re-application rejected for that condition;
- cascades: a `cascade` action of that kind and article;
- institution rules: an institution action with source `rule:ID`;
- deadlines: any action that carries the deadline.

Every case that ran counts, whether it passed or not: coverage says what the
suite reaches; the pass count says whether it is right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from engine.evaluation.outcome import ActionRec, Outcome
from engine.policy.model import Policy
from engine.policy.versions import History
from engine.testing.scenarios import CaseResult
from engine.vocabulary import Kind, Source, SourceKind

KINDS = (
    "item",
    "credit",
    "tier",
    "rule",
    "ban",
    "restoration",
    "reinstatement",
    "condition",
    "institution-rule",
    "cascade",
    "deadline",
    "effect",
)


@dataclass(frozen=True)
class Target:
    kind: str
    key: str
    label: str
    cite: str | None

    def __str__(self) -> str:
        return f"{self.kind} {self.label}" + (f" [{self.cite}]" if self.cite else "")


@dataclass
class Coverage:
    """One policy's targets and which of them the cases exercised."""

    policy: str  # the policy file
    policy_id: str
    targets: list[Target]
    hit: set[tuple[str, str]] = field(default_factory=set)

    @property
    def covered(self) -> list[Target]:
        return [t for t in self.targets if (t.kind, t.key) in self.hit]

    @property
    def uncovered(self) -> list[Target]:
        return [t for t in self.targets if (t.kind, t.key) not in self.hit]

    @property
    def percent(self) -> float:
        return 100.0 * len(self.covered) / len(self.targets) if self.targets else 100.0

    def by_kind(self) -> dict[str, tuple[int, int]]:
        """kind -> (covered, total), for kinds the policy has."""
        out: dict[str, tuple[int, int]] = {}
        for t in self.targets:
            c, n = out.get(t.kind, (0, 0))
            out[t.kind] = (c + ((t.kind, t.key) in self.hit), n + 1)
        return out

    def as_dict(self) -> dict:
        return {
            "policy": self.policy,
            "id": self.policy_id,
            "covered": len(self.covered),
            "total": len(self.targets),
            "percent": round(self.percent, 1),
            "kinds": {k: {"covered": c, "total": n} for k, (c, n) in self.by_kind().items()},
            "uncovered": [
                {"kind": t.kind, "key": t.key, "label": t.label, "cite": t.cite}
                for t in self.uncovered
            ],
        }


def targets(policy: Policy) -> list[Target]:
    """Everything in a policy a case can exercise, in the policy's order."""
    out = [Target("item", c, f"`{c}`", i.cite) for c, i in policy.items.items()]
    out += [Target("credit", c, f"`{c}`", i.cite) for c, i in policy.credits.items()]
    out += [Target("tier", t.id, f"`{t.id}` ({t.when.text})", t.cite) for t in policy.tiers]
    out += [Target("rule", r.id, f"`{r.id}`", r.cite) for r in policy.rules]
    out += [
        Target("ban", str(i), f"#{i + 1} ({_when(b.when)}: {b.then.text})", b.cite)
        for i, b in enumerate(policy.bans)
    ]
    out.append(
        Target(
            "restoration", policy.restoration, f"by {policy.restoration}", policy.restoration_cite
        )
    )
    out.append(Target("reinstatement", "reinstate", "after a termination", None))
    out += [
        Target("condition", str(i), f"`{c.message}`", c.cite)
        for i, c in enumerate(policy.conditions)
    ]
    out += [Target("institution-rule", r.id, f"`{r.id}`", r.cite) for r in policy.institution_rules]
    out += [
        Target("cascade", on, f"on `{on}`: {c.then.text}", c.cite)
        for on, c in policy.cascades.items()
    ]
    out += [Target("deadline", d.id, f"`{d.id}`", d.cite) for d in policy.deadlines]
    for code, item in policy.items.items():
        for i, e in enumerate(item.effects):
            then = ", ".join(s.text for s in e.then)
            cond = f"when {e.when.text}: " if e.when is not None else ""
            out.append(Target("effect", f"{code}#{i}", f"of `{code}` ({cond}{then})", e.cite))
    return out


def _when(expr) -> str:
    return expr.text if expr is not None else "always"


def exercised(policy: Policy, result: CaseResult) -> set[tuple[str, str]]:
    """The targets one case's outcome shows happened."""
    hit: set[tuple[str, str]] = set()
    outcome: Outcome | None = result.outcome
    if outcome is None:
        return hit
    case = result.case
    for ev in case.ledger.events:
        if ev.date > case.as_of:
            continue
        kind = {"violation": "item", "credit": "credit"}.get(ev.type)
        if kind:
            hit.update((kind, c) for c in ev.items)
    bans = {(b.cite, _when(b.when)): i for i, b in enumerate(policy.bans)}
    for p in outcome.people:
        for a in p.actions:
            _action(policy, a, hit, bans)
        for r in p.reapplications:
            if r.get("result") == "rejected" and "condition" in r:
                hit.add(("condition", str(r["condition"])))
    for inst in outcome.institutions:
        for a in inst.actions:
            if a.source.kind is SourceKind.RULE:
                hit.add(("institution-rule", a.source.id))
            _deadlines(a, hit)
    return hit


def _action(policy: Policy, a: ActionRec, hit: set, bans: dict) -> None:
    sources: list[tuple[Source, str, str]] = [(a.source, a.action, a.cite)]
    if "replaces" in a.extra:
        sources.append((a.extra["replaces"], a.action, a.cite))
    sources += [(x["source"], Kind.TERMINATE, x["cite"]) for x in a.extra.get("also", ())]
    for source, action, cite in sources:
        kind, key = source.kind, source.id
        if kind is SourceKind.TIER:
            hit.add(("tier", key))
        elif kind is SourceKind.RULE:
            hit.add(("rule", key))
        elif kind is SourceKind.ITEM:
            item = policy.items.get(key)
            for i, e in enumerate(item.effects if item else ()):
                if e.cite == cite and action in {s.kind for s in e.then}:
                    hit.add(("effect", f"{key}#{i}"))
    if a.action == "ban" and (a.cite, a.extra.get("reason")) in bans:
        hit.add(("ban", str(bans[(a.cite, a.extra["reason"])])))
    elif a.action == "restore":
        hit.add(("restoration", policy.restoration))
    elif a.action == "reinstate":
        hit.add(("reinstatement", "reinstate"))
    elif a.source.kind is SourceKind.CASCADE:
        for on, c in policy.cascades.items():
            if c.cite == a.cite and c.then.kind == a.action:
                hit.add(("cascade", on))
    _deadlines(a, hit)


def _deadlines(a: ActionRec, hit: set) -> None:
    for k in a.extra.get("deadlines") or {}:
        hit.add(("deadline", k))


def measure(results: Iterable[CaseResult]) -> list[Coverage]:
    """Coverage per policy (by file), over every case that ran under it; a case run
    under a regulation's history counts for each of its versions (`by_version`)."""
    out: dict[str, Coverage] = {}
    for r in results:
        for policy, hit in by_version(r):
            cov = out.get(policy.path)
            if cov is None:
                cov = out[policy.path] = Coverage(policy.path, policy.id, targets(policy))
            cov.hit |= hit
    return sorted(out.values(), key=lambda c: c.policy)


def by_version(result: CaseResult) -> list[tuple[Policy, set[tuple[str, str]]]]:
    """The targets a case exercised, per version of the policy it ran under: under a
    history, a finding's items count for the version that scored it (the outcome's
    `findings`), an action for the version in force on its start date."""
    policy = result.policy
    if not isinstance(policy, History):
        return [(policy, exercised(policy, result))]
    out = []
    for i, version in enumerate(policy.versions):
        hit: set[tuple[str, str]] = set()
        if result.outcome is not None:
            mine = _in_force(policy, i, result)
            hit = exercised(version, mine)
            hit = {h for h in hit if h[0] not in ("item", "credit")}
            for p in result.outcome.people:
                for f in (p.history or {}).get("findings", ()):
                    if f["version"] == version.version:
                        hit.update(("item", c) for c in f["items"])
            for ev in result.case.ledger.events:
                if ev.type == "credit" and policy.nearest(ev.date) == i:
                    hit.update(("credit", c) for c in ev.items)
        out.append((version, hit))
    return out


def _in_force(h: History, i: int, result: CaseResult) -> CaseResult:
    """The case's result with only the actions of version i: those starting while it is
    in force."""
    outcome = result.outcome
    assert outcome is not None

    def mine(actions: list[ActionRec]) -> list[ActionRec]:
        return [a for a in actions if h.nearest(a.start) == i]

    people = [replace(p, actions=mine(p.actions)) for p in outcome.people]
    institutions = [replace(x, actions=mine(x.actions)) for x in outcome.institutions]
    return replace(result, outcome=replace(outcome, people=people, institutions=institutions))
