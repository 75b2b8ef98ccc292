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
from collections.abc import Iterable, Iterator

from engine.ledger.corrections import DECIDED, copied
from engine.ledger.rows import Event, Ledger


class Known:
    """What the ledger's corrections and decisions make of its rows as of a date: each
    finding as known then (or None: revoked), one row at a time, so that a ledger folded
    as a stream is corrected as it goes (api._fold)."""

    def __init__(self, ledger: Ledger, as_of: _dt.date):
        corrections = [c for c in ledger.corrections if c.row.date <= as_of]
        decisions = [d for d in ledger.decisions if d.row.date <= as_of]
        # how many corrections and decisions are dated after it (and so not made)
        self.later = (
            len(ledger.corrections) + len(ledger.decisions) - len(corrections) - len(decisions)
        )
        version: dict[str, Event | None] = {}
        for c in corrections:  # in date order: the last one made stands
            version[c.target] = c.after
        decisions = [d for d in decisions if version.get(d.finding.id, d.finding) is not None]
        lengths: dict[str, dict[str, str]] = {}
        for d in decisions:
            decided = {c: v for c in DECIDED if (v := d.row.attrs.get(c))}
            if decided:
                lengths.setdefault(d.finding.id, {}).update(decided)
        self.corrections, self.decisions = corrections, decisions
        self.version, self.lengths = version, lengths

    def event(self, e: Event) -> Event | None:
        """The row as known: a finding as corrected (None: revoked), with the length a
        decision gave it; any other row as it is."""
        if e.type == "violation":
            if e.id in self.version:
                now = self.version[e.id]
                if now is None:
                    return None  # revoked
                e = now
            if e.id in self.lengths:
                e = copied(e, attrs={**e.attrs, **self.lengths[e.id]})
        return e

    def events(self, events: Iterable[Event]) -> Iterator[Event]:
        """The rows as known, the revoked findings left out."""
        if not self.version and not self.lengths:
            yield from events
            return
        at = self.event
        for e in events:
            if (k := at(e)) is not None:
                yield k

    def ledger(self, ledger: Ledger) -> Ledger:
        """The ledger as known, with the corrections and decisions made by then."""
        out = Ledger(list(self.events(ledger.events)), ledger.roster, ledger.staff)
        out.corrections, out.decisions = self.corrections, self.decisions
        return out


def as_known(ledger: Ledger, as_of: _dt.date) -> tuple[Ledger, int]:
    """The ledger as known on `as_of`, and how many corrections and decisions are dated
    after it (and so not made)."""
    known = Known(ledger, as_of)
    return known.ledger(ledger), known.later
