"""Stage "evaluate", its story: the steps the fold writes for a person it is asked about.

For a person named with `--explain` the fold keeps a trace (`PersonState.trace`,
None for everyone else); `say` appends one `Step` to it (date, kind, text, the
article cited and the event's id and `file:line`), `say_event` the steps that
tell which items an event matched and what each counts. `explain.py` tells the
steps as a story. Both are methods on the evaluator (through `Sanctions`) so the
fold and the sanctions write the story the same way; `say_event` reads the
policy at `self.p`. Callers on the per-event path test `st.trace` before
building a step's text, so a person nobody asked about pays nothing for it.
"""

from __future__ import annotations

import datetime as _dt

from engine.evaluation.outcome import Step
from engine.evaluation.state import PersonState
from engine.i18n import _, ngettext
from engine.ledger.read import Event
from engine.numbers import number_text
from engine.policy.model import Policy


class Story:
    """The evaluator's story-telling methods (a mixin)."""

    p: Policy  # set by the Evaluator

    def say(
        self,
        st: PersonState,
        d: _dt.date,
        kind: str,
        text: str,
        cite: str | None,
        ev: Event | None = None,
        ref: str | None = None,
    ) -> None:
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

    def say_event(self, st: PersonState, ev: Event, pts, per) -> None:
        if per is None:
            item = self.p.items[ev.items[0]]
            self.say(
                st,
                ev.date,
                "event",
                f"{item.code} 「{item.text}」: {_points(pts)}"
                + (
                    _(" (amount {amount})").format(amount=number_text(ev.amount))
                    if ev.amount is not None
                    else ""
                ),
                item.cite,
                ev,
            )
            return
        rule = self.p.combine.same_act
        for code, v in per:
            item = self.p.items[code]
            note = ""
            if rule == "highest" and v < pts:
                note = _(" — not counted: one act counts its highest item only")
            self.say(
                st, ev.date, "event", f"{code} 「{item.text}」: {_points(v)}{note}", item.cite, ev
            )
        self.say(
            st,
            ev.date,
            "points",
            (
                _("one act, several items: counts the highest, {points}")
                if rule == "highest"
                else _("one act, several items: counts the sum, {points}")
            ).format(points=number_text(pts)),
            self.p.combine.cite,
            ev,
        )


def _points(n) -> str:
    return ngettext("{n} point", "{n} points", 1 if n == 1 else 2).format(n=number_text(n))
