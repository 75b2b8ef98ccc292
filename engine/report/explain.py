"""Stage "report", for one person: the story of their events, article by article.

Reads the `Step`s the evaluator recorded for a person named with `--explain`
and tells them in date order: each event and the items it matched, the points
counted and why others were not, the running total, the band entered, each
action with its dates and article, each status change, the ban and its reason.
"""

from __future__ import annotations

from engine.evaluation.outcome import Outcome, plain

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
        return f"{person}: no events and not on the roster\n"
    steps = outcome.traces.get(person, [])
    lines = [f"{person} under {outcome.policy_id} {outcome.policy_version}, as of {outcome.as_of}"]
    if found.institutions:
        lines.append(f"practises at: {', '.join(found.institutions)}")
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
        f"status on {outcome.as_of}: {found.status}"
        + (f"; may re-apply from {rf}" if rf and rf != "never" else "")
        + ("; may never re-apply" if rf == "never" else "")
    )
    for c in found.cycles:
        score = f", score {plain(c.score)}" if c.score is not None else ""
        lines.append(
            f"  cycle {c.period}: deducted {plain(c.deducted)}{score}"
            + (f", band {c.tier}" if c.tier else "")
        )
    return "\n".join(lines) + "\n"
