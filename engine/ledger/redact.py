"""A ledger with its personal codes replaced by pseudonyms, for `--redact`.

Applied to what the reader made, after every check of the file has run on the
codes as written (so a problem is still reported at its file and line), and
before the evaluation sees anything: the fold, the reports, the story and the
diff then only ever hold pseudonyms, and every output is redacted alike,
sorted by pseudonym (a report kept in the order of the real codes would let
anyone with the roster put the codes back by position).

What is replaced (engine/privacy/pseudonyms.py): each event's `person` and its
`id` when the file gave one (an id the reader made from the file and line,
`events.csv:12`, names no case and is kept); each roster entry's code; and,
when the pseudonyms cover institutions, every institution code. Roster
attributes are the ones the policy reads (read.py keeps no other), kept as
they are: the evaluation needs their values.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from engine.ledger.rows import Event, Ledger, Person
from engine.privacy.pseudonyms import Pseudonyms


def redact_event(e: Event, ps: Pseudonyms) -> Event:
    """The event with its codes replaced, in place (events are the reader's own).

    A correction's or decision's `target` is an event id and is replaced alike; its
    `reason`, free text an official wrote (which may well name the person), is
    dropped: the trail keeps the 文号, by which the decision can be found."""
    if e.person:
        e.person = ps.person(e.person)
    if e.id and e.id != f"{e.file}:{e.line}":
        e.id = ps.event(e.id)
    if ps.institutions and e.institution:
        e.institution = ps.institution(e.institution)
    attrs = e.attrs
    if attrs and ("target" in attrs or "reason" in attrs):
        attrs = {k: v for k, v in attrs.items() if k != "reason"}
        if attrs.get("target"):
            attrs["target"] = ps.event(attrs["target"])
        e.attrs = attrs
    return e


def redact_events(events: Iterable[Event], ps: Pseudonyms) -> Iterator[Event]:
    """Events as they come (a stream folded as it is read), each redacted."""
    for e in events:
        yield redact_event(e, ps)


def redact_roster(roster: dict[str, Person] | None, ps: Pseudonyms) -> dict[str, Person] | None:
    if roster is None:
        return None
    out: dict[str, Person] = {}
    for p in roster.values():
        code = ps.person(p.person)
        sites = [ps.institution(s) or s for s in p.institutions]
        out[code] = Person(code, sites, p.attrs, p.file, p.line)
    return out


def redact_staff(staff: dict[str, list[str]], ps: Pseudonyms) -> dict[str, list[str]]:
    """Each institution's staff, by (pseudonymous) code, sorted as read.py sorts them."""
    return {
        site: sorted(ps.person(code) for code in codes)
        for site, codes in sorted(
            ((ps.institution(site) or site, codes) for site, codes in staff.items())
        )
    }


def redact_ledger(ledger: Ledger, ps: Pseudonyms) -> Ledger:
    """The ledger with every personal code replaced (its events in place, in the same
    order: a date's events keep their file order), its corrections' and decisions'
    events too (each event once, though a correction and the ledger share some)."""
    for e in ledger.events:
        redact_event(e, ps)
    done: set[int] = (
        {id(e) for e in ledger.events} if ledger.corrections or ledger.decisions else set()
    )

    def once(e: Event | None) -> None:
        if e is not None and id(e) not in done:
            done.add(id(e))
            redact_event(e, ps)

    for c in ledger.corrections:
        once(c.row)
        once(c.before)
        once(c.after)
    for d in ledger.decisions:
        once(d.row)
        once(d.finding)
    out = Ledger(ledger.events, redact_roster(ledger.roster, ps), redact_staff(ledger.staff, ps))
    out.corrections, out.decisions = ledger.corrections, ledger.decisions
    return out
