"""Stage "report", for one person: the story of their events, article by article.

Reads the `Step`s the evaluator recorded for a person named with `--explain`
and tells them in date order: each event and the items it matched, the points
counted and why others were not, the running total, the band entered, each
action with its dates and article, each status change, the ban and its reason.
"""

from __future__ import annotations

from engine.evaluation.outcome import Outcome, plain
from engine.i18n import N_, _
from engine.numbers import number_text
from engine.vocabulary import ACTIVE, AWAITING, SUSPENDED, TERMINATED

_MARK = {
    "event": "•",
    "points": " ",
    "band": "▲",
    "rule": "▲",
    "action": "→",
    "status": "◦",
    "ban": "⊘",
    "reapply": "↺",
    "note": " ",
    "deadline": " ",
}


def explain(outcome: Outcome, person: str) -> str:
    """The story of one person, as text."""
    found = next((p for p in outcome.people if p.person == person), None)
    if found is None:
        return _("{person}: no events and not on the roster").format(person=person) + "\n"
    steps = outcome.traces.get(person, [])
    if outcome.versions is None:
        head = _("{person} under {policy} {version}, as of {date}").format(
            person=person,
            policy=outcome.policy_id,
            version=outcome.policy_version,
            date=outcome.as_of,
        )
    else:  # a regulation's history: the versions that touched the person
        touched = (found.history or {}).get("versions") or [outcome.policy_version]
        head = _("{person} under {policy}, versions {versions}, as of {date}").format(
            person=person,
            policy=outcome.policy_id,
            versions=_(", ").join(touched),
            date=outcome.as_of,
        )
    lines = [head]
    if found.institutions:
        lines.append(
            _("practises at: {institutions}").format(institutions=_(", ").join(found.institutions))
        )
    last_date = None
    for s in steps:
        date = str(s.date) if s.date != last_date else " " * 10
        last_date = s.date
        cite = f"  [{s.cite}]" if s.cite else ""
        where = f"  ({s.where})" if s.where and s.kind == "event" else ""
        lines.append(f"{date}  {_MARK.get(s.kind, ' ')} {s.text}{cite}{where}")
    lines += corrections_told([t for t in outcome.corrections if t.person == person])
    lines += decisions_told(found.actions)
    lines.append("")
    rf = plain(found.reapply_from)
    lines.append(
        _("status on {date}: {status}").format(date=outcome.as_of, status=status_text(found.status))
        + (_("; may re-apply from {date}").format(date=rf) if rf and rf != "never" else "")
        + (_("; may never re-apply") if rf == "never" else "")
    )
    if found.proposed_status is not None:
        lines.append(
            "  "
            + _("computed: {status}, not in force until decided").format(
                status=status_text(found.proposed_status)
            )
        )
    for c in found.cycles:
        score = (
            _(", score {score}").format(score=number_text(c.score)) if c.score is not None else ""
        )
        lines.append(
            "  "
            + _("cycle {period}: deducted {deducted}").format(
                period=c.period, deducted=number_text(c.deducted)
            )
            + score
            + (_(", band {tier}").format(tier=c.tier) if c.tier else "")
        )
    return "\n".join(lines) + "\n"


def corrections_told(trails: list) -> list[str]:
    """The trail of each correction of the person (evaluation/trail.py): the finding as
    it stood, the correction, what it changed, the days served in error."""
    if not trails:
        return []
    lines = ["", _("corrections (the story above is the ledger as corrected):")]
    for t in trails:
        row, was = t.correction, t.original
        said = _("{kind} {id} of finding {finding} ({date}: {items})").format(
            kind=_(KIND[row.type]) if row.type in KIND else row.type,
            id=row.id,
            finding=was.id,
            date=was.date,
            items="|".join(was.items),
        )
        document = row.attrs.get("document")
        reason = row.attrs.get("reason")
        if document:
            said += ", " + document
        if reason:
            said += _(": {reason}").format(reason=reason)
        lines.append(f"{row.date}  ✎ {said}  ({row.file}:{row.line})")
        if t.corrected is not None:
            now = t.corrected
            lines.append(
                " " * 12
                + _("now counted as {items}").format(items="|".join(now.items))
                + (f", {number_text(now.points)}" if now.points is not None else "")
                + (_(", amount {amount}").format(amount=plain(now.amount)) if now.amount else "")
            )
        for c in t.changes:
            lines.append(" " * 12 + _change(c))
        if not t.changes:
            lines.append(" " * 12 + _("no action changed"))
        for s in t.served_in_error:
            lines.append(
                " " * 12
                + _("served in error: {start} to {end}, {days} days {status} [{cite}]").format(
                    start=s.start,
                    end=s.end,
                    days=s.days,
                    status=status_text(s.status),
                    cite=s.cite,
                )
            )
    return lines


def decisions_told(actions: list) -> list[str]:
    """Each sanction as computed, and whether an official has decided it (issue 22 §2):
    by which decision (its 文号, its date), from when in force; or proposed."""
    told = [a for a in actions if "decision" in a.extra or "proposed" in a.extra]
    if not told:
        return []
    lines = ["", _("computed and decided:")]
    for a in told:
        span = f"{a.start}" + (f"..{a.end}" if a.end else "")
        head = f"{a.action} {span} ({a.source})"
        d = a.extra.get("decision")
        if d is None:
            lines.append("  " + _("{sanction}: proposed, no decision yet").format(sanction=head))
            continue
        said = _("{sanction}: decided by {event} on {date}").format(
            sanction=head, event=d["event"], date=d["date"]
        )
        if d.get("document"):
            said += f" ({d['document']})"
        if "in_force_from" in a.extra:
            said += _(", in force from {date}").format(date=a.extra["in_force_from"])
        lines.append("  " + said)
    return lines


def _change(c) -> str:
    def span(a) -> str:
        return f"{a.start}" + (f"..{a.end}" if a.end else "") + f" ({a.source})"

    if c.old is None:
        return _("{action} {new}: added").format(action=c.action, new=span(c.new))
    if c.new is None:
        return _("{action} {old}: removed").format(action=c.action, old=span(c.old))
    return _("{action} {old} -> {new}").format(action=c.action, old=span(c.old), new=span(c.new))


KIND = {"revoke": N_("revoked"), "amend": N_("amended")}

# A person's status as the JSON gives it (data), told in the chosen language.
STATUS = {
    ACTIVE: N_("active"),
    SUSPENDED: N_("suspended"),
    AWAITING: N_("awaiting_reapplication"),
    TERMINATED: N_("terminated"),
}


def status_text(status: str) -> str:
    """`suspended` -> 中止 in Chinese; a status the table does not know, as it is."""
    return _(STATUS[status]) if status in STATUS else status
