"""Stage "evaluate": the ledger as known on the as-of date, its corrections and decisions made.

A ledger keeps each finding as it was recorded and each correction and decision
as a row of its own (ledger/corrections.py). Evaluated as of a date, it says
what was known then: the corrections and decisions dated on or before it are
made, those after it are not (and are counted with the other events after the
as-of date). A corrected finding counts as corrected from the start: a revoked
one is left out, an amended one stands in its place (its own id, date, person
and place among the day's findings); a decided length (`suspension`, `ban`) is
given to the finding it decides, as the finding's own column would give it. A
decision on a finding revoked by then lapses with it.
"""

from __future__ import annotations

import datetime as _dt

from engine.ledger.corrections import DECIDED
from engine.ledger.rows import Event, Ledger, event


def as_known(ledger: Ledger, as_of: _dt.date) -> tuple[Ledger, int]:
    """The ledger as known on `as_of`, and how many corrections and decisions are dated
    after it (and so not made)."""
    corrections = [c for c in ledger.corrections if c.row.date <= as_of]
    decisions = [d for d in ledger.decisions if d.row.date <= as_of]
    later = len(ledger.corrections) + len(ledger.decisions) - len(corrections) - len(decisions)
    version: dict[str, Event | None] = {}
    for c in corrections:  # in date order: the last one made stands
        version[c.target] = c.after
    decisions = [d for d in decisions if version.get(d.finding.id, d.finding) is not None]
    lengths: dict[str, dict[str, str]] = {}
    for d in decisions:
        decided = {c: v for c in DECIDED if (v := d.row.attrs.get(c))}
        if decided:
            lengths.setdefault(d.finding.id, {}).update(decided)
    events: list[Event] = []
    for e in ledger.events:
        if e.type == "violation":
            if e.id in version:
                now = version[e.id]
                if now is None:
                    continue  # revoked
                e = now
            if e.id in lengths:
                e = _copy(e, attrs={**e.attrs, **lengths[e.id]})
        events.append(e)
    out = Ledger(events, ledger.roster, ledger.staff)
    out.corrections, out.decisions = corrections, decisions
    return out, later


def _copy(e: Event, **changes) -> Event:
    values = {name: getattr(e, name) for name in Event.__slots__}
    values.update(changes)
    return event(**values)
