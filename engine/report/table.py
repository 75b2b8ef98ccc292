"""Stage "report", for the terminal: `--format table`, drawn with rich.

What an analyst reads first: counts of people by status on the as-of date and
by cycle and tier, then the people with a sanction (suspension or termination)
and the institutions' actions. `--all` lists every person instead of only the
sanctioned.

Why rich: Chinese text (names, tiers, headings) takes two columns a character on
a terminal, and hand-padded columns (`f"{x:<12}"`) count characters, not columns,
so they drift; rich measures East Asian widths.

Memory: people are added a batch at a time (`TableSummary.add`) as the
evaluator finishes them (api.report_files), and only counts and the sanctioned
people's rows are kept, so a province's ledger is never held whole for a
summary. `--all` keeps one short row per person (a table's columns need every
row's width before the first is drawn).

Output is deterministic: off a terminal the width is fixed (`WIDTH`), and rich
writes no colour or style codes.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Iterable

from engine.evaluation.outcome import InstitutionOutcome, Outcome, PersonOutcome, plain
from engine.i18n import N_, _, ngettext

WIDTH = 120  # columns when not drawn on a terminal
STATUSES = ("active", "suspended", "awaiting_reapplication", "terminated")
SANCTIONS = ("suspend", "terminate")
SHOWN = ("interview", "suspend", "terminate", "refer")
LIMIT = 50  # sanctioned people listed without --all

WORDS = {
    "active": N_("active"),
    "suspended": N_("suspended"),
    "awaiting_reapplication": N_("awaiting_reapplication"),
    "awaiting": N_("awaiting"),
    "terminated": N_("terminated"),
    "interview": N_("interview"),
    "suspend": N_("suspend"),
    "terminate": N_("terminate"),
    "refer": N_("refer"),
    "restore": N_("restore"),
    "reinstate": N_("reinstate"),
    "ban": N_("ban"),
}


def word(w: str) -> str:
    """A status or action in the reader's language; the policy's own names as written."""
    return _(WORDS[w]) if w in WORDS else w


class TableSummary:
    """Counts and rows of a table report, added a batch of people at a time."""

    def __init__(self, everyone: bool = False):
        self.everyone = everyone
        self.people = 0
        self.status: Counter = Counter()
        self.tiers: Counter = Counter()
        self.rows: list[tuple[str, str, str, str]] = []  # sanctioned (or, with --all, all)
        self.sanctioned = 0

    def add(self, people: Iterable[PersonOutcome]) -> None:
        for p in people:
            self.people += 1
            self.status[p.status] += 1
            for c in p.cycles:
                self.tiers[(c.period, c.tier or "-")] += 1
            hit = any(a.action in SANCTIONS and a.source != "cascade" for a in p.actions)
            self.sanctioned += hit
            if self.everyone or (hit and len(self.rows) < LIMIT):
                self.rows.append(_row(p))

    def render(self, outcome: Outcome, width: int | None = None) -> str:
        from rich import box
        from rich.console import Console
        from rich.table import Table

        buf = io.StringIO()
        console = Console(
            file=buf,
            width=width or WIDTH,
            color_system=None,
            force_terminal=False,
            highlight=False,
            markup=False,
            emoji=False,
            legacy_windows=False,
        )
        version = outcome.policy_version
        if outcome.versions is not None:  # a history: every version, not only the as-of one's
            version = ", ".join(v["version"] for v in outcome.versions)
        console.print(
            _("policy {policy} {version}, as of {date}").format(
                policy=outcome.policy_id, version=version, date=outcome.as_of
            )
        )
        console.print(ngettext("{n} person", "{n} people", self.people).format(n=self.people))

        console.print()
        t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
        t.add_column(_("status"))
        t.add_column(_("people"), justify="right")
        for s in (*STATUSES, *sorted(set(self.status) - set(STATUSES))):
            t.add_row(word(s), str(self.status.get(s, 0)))
        console.print(t)

        if self.tiers:
            console.print()
            t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            t.add_column(_("cycle"))
            t.add_column(_("tier"))
            t.add_column(_("people"), justify="right")
            for (period, tier), n in sorted(self.tiers.items()):
                t.add_row(period, tier, str(n))
            console.print(t)

        if self.rows:
            title = (
                _("everyone ({n})").format(n=self.people)
                if self.everyone
                else _("sanctioned ({n})").format(n=self.sanctioned)
            )
            console.print()
            console.print(title)
            t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            t.add_column(_("person"), no_wrap=True)
            t.add_column(_("status"), no_wrap=True)
            t.add_column(_("re-apply from"), no_wrap=True)
            t.add_column(_("actions"))
            for r in self.rows:
                t.add_row(*r)
            console.print(t)
            if not self.everyone and self.sanctioned > len(self.rows):
                console.print(
                    _("... and {n} more (use --all, or --format csv)").format(
                        n=self.sanctioned - len(self.rows)
                    )
                )

        inst = [i for i in outcome.institutions if i.actions]
        if inst:
            console.print()
            console.print(_("institutions"))
            t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            t.add_column(_("institution"), no_wrap=True)
            t.add_column(_("cycle"), no_wrap=True)
            t.add_column(_("sanctioned / staff"), justify="right", no_wrap=True)
            t.add_column(_("actions"))
            for i in inst:
                t.add_row(i.institution, i.period, f"{i.sanctioned}/{i.staff}", _acts(i))
            console.print(t)

        if outcome.corrections:
            from engine.report.corrections import rows
            from engine.report.explain import KIND

            console.print()
            console.print(_("corrections"))
            t = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            t.add_column(_("date"), no_wrap=True)
            t.add_column(_("correction"), no_wrap=True)
            t.add_column(_("person"), no_wrap=True)
            t.add_column(_("finding"))
            t.add_column(_("changes"))
            t.add_column(_("days served in error"), justify="right")
            for c in rows(outcome.corrections):
                kind = _(KIND[c[1]]) if c[1] in KIND else c[1]
                finding = f"{c[6]} {c[8]}" + (f" -> {c[9]}" if c[9] else "")
                t.add_row(str(c[2]), f"{kind} {c[0]}", c[5], finding, c[10] or "-", str(c[11]))
            console.print(t)
        return "\n".join(line.rstrip() for line in buf.getvalue().split("\n"))


def _row(p: PersonOutcome) -> tuple[str, str, str, str]:
    acts = ", ".join(
        (
            f"{word(a.action)} {plain(a.start)} [{a.cite}]"
            if a.cite
            else f"{word(a.action)} {plain(a.start)}"
        )
        + _decided(a)
        for a in p.actions
        if a.action in SHOWN
    )
    rf = plain(p.reapply_from)
    shown_rf = _("never") if rf == "never" else str(rf or "-")
    status = word(p.status)
    if p.proposed_status is not None:  # computed, not in force until decided (§2)
        status += " " + _("({status} proposed)").format(status=word(p.proposed_status))
    return p.person, status, shown_rf, acts


def _decided(a) -> str:
    """` (proposed)`, ` (decided D1)`, or nothing: a sanction as an official left it."""
    if "proposed" in a.extra:
        return " " + _("(proposed)")
    d = a.extra.get("decision")
    return " " + _("(decided {event})").format(event=d["event"]) if d else ""


def _acts(i: InstitutionOutcome) -> str:
    return ", ".join(
        f"{word(a.action)} {plain(a.start)}" + (f" [{a.cite}]" if a.cite else "") for a in i.actions
    )


def table(outcome: Outcome, everyone: bool = False, width: int | None = None) -> str:
    """The table report of an outcome held whole (tests, `--explain` runs)."""
    s = TableSummary(everyone)
    s.add(outcome.people)
    return s.render(outcome, width)
