"""Stage "evaluate", its story: the steps the fold writes for a person it is asked about.

For a person named with `--explain` the fold keeps a trace (`PersonState.trace`,
None for everyone else); `say` appends one `Step` to it (date, kind, text, the
article cited and the event's id and `file:line`), `say_event` the steps that
tell which items an event matched and what each counts. `explain.py` tells the
steps as a story. The fold and the sanctions both call them, so the story is
written the same way wherever a step happens. Callers on the per-event path test
`st.trace` before building a step's text, so a person nobody asked about pays
nothing for it.
"""

from __future__ import annotations

import datetime as _dt

from engine.evaluation.outcome import Step
from engine.evaluation.state import PersonState
from engine.i18n import _, ngettext
from engine.ledger.read import Event
from engine.numbers import number_text
from engine.policy.model import Number, Policy
from engine.vocabulary import Source


def say(
    st: PersonState,
    d: _dt.date,
    kind: str,
    text: str,
    cite: str | None,
    ev: Event | None = None,
    ref: Source | None = None,
) -> None:
    """One step of a person's story: nothing for a person nobody asked about."""
    if st.trace is not None:
        st.trace.append(
            Step(
                d,
                kind,
                text,
                cite,
                ev.id if ev else None,
                f"{ev.file}:{ev.line}" if ev else None,
                ref,
            )
        )


def say_event(
    policy: Policy, st: PersonState, ev: Event, pts: Number, per: list[tuple[str, Number]] | None
) -> None:
    """The steps telling which items a finding matched, what each counts, and what
    the act counts when it lists several (the policy's `combine.same_act`)."""
    if per is None:
        item = policy.items[ev.items[0]]
        say(
            st,
            ev.date,
            "event",
            _("{code} 「{text}」: {points}").format(
                code=item.code, text=item.text, points=_points(pts)
            )
            + (
                _(" (amount {amount})").format(amount=number_text(ev.amount))
                if ev.amount is not None
                else ""
            ),
            item.cite,
            ev,
        )
        return
    rule = policy.combine.same_act
    for code, v in per:
        item = policy.items[code]
        note = ""
        if rule == "highest" and v < pts:
            note = _(" — not counted: one act counts its highest item only")
        said = _("{code} 「{text}」: {points}").format(code=code, text=item.text, points=_points(v))
        say(st, ev.date, "event", said + note, item.cite, ev)
    say(
        st,
        ev.date,
        "points",
        (
            _("one act, several items: counts the highest, {points}")
            if rule == "highest"
            else _("one act, several items: counts the sum, {points}")
        ).format(points=number_text(pts)),
        policy.combine.cite,
        ev,
    )


def _points(n: Number) -> str:
    return ngettext("{n} point", "{n} points", 1 if n == 1 else 2).format(n=number_text(n))
