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
            versions=", ".join(touched),
            date=outcome.as_of,
        )
    lines = [head]
    if found.institutions:
        lines.append(
            _("practises at: {institutions}").format(institutions=", ".join(found.institutions))
        )
    last_date = None
    for s in steps:
        date = str(s.date) if s.date != last_date else " " * 10
        last_date = s.date
        cite = f"  [{s.cite}]" if s.cite else ""
        where = f"  ({s.where})" if s.where and s.kind == "event" else ""
        lines.append(f"{date}  {_MARK.get(s.kind, ' ')} {s.text}{cite}{where}")
    lines.append("")
    rf = plain(found.reapply_from)
    lines.append(
        _("status on {date}: {status}").format(date=outcome.as_of, status=status_text(found.status))
        + (_("; may re-apply from {date}").format(date=rf) if rf and rf != "never" else "")
        + (_("; may never re-apply") if rf == "never" else "")
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
