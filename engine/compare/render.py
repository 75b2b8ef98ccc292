"""Formats for `policyctl diff`: a `PolicyDiff` (and an `Impact`) as text, JSON or Markdown.

- `text` groups changes by section and element, one line per changed field,
  with both citations on the element's line; colour comes from a `style`
  callable the CLI passes only when writing to a terminal (this module does
  not import click).
- `markdown` is a memo for the meeting about a revision: a summary, one table
  per section, the status and sanction matrices, one row per person whose
  outcome changes, and what could not be carried over. Cells escape `|`.
- `json` is `PolicyDiff.as_dict()` with the impact under `impact`.

Output is deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING, Any

from engine.compare.diff import SECTIONS, Change, PolicyDiff
from engine.i18n import N_, _, known, ngettext
from engine.numbers import number_text
from engine.vocabulary import Status

if TYPE_CHECKING:  # impact pulls in the evaluator; a plain diff does not need it
    from engine.compare.impact import Impact, Mover, Snapshot

Style = Callable[..., str]
STATUSES = tuple(Status)  # mildest first
SANCTIONS = ("none", "interview", "suspend", "terminate")
MARK = {"added": "+", "removed": "-", "changed": "~", "recoded": "~"}
COLOUR = {"added": "green", "removed": "red", "changed": "yellow", "recoded": "cyan"}
MAX_CAUSES = 5


def _plain(text: str, **_style: object) -> str:
    return text


# Words of the report that are data elsewhere (JSON keys and values, the policy's
# section names): told in the reader's language here.
WORDS = {
    **{s: s for s in SECTIONS},
    "metadata": N_("metadata"),
    "scale": N_("scale"),
    "cycle": N_("cycle"),
    "combine": N_("combine"),
    "scoring": N_("scoring"),
    "items": N_("items"),
    "credits": N_("credits"),
    "actions": N_("actions"),
    "tiers": N_("tiers"),
    "rules": N_("rules"),
    "sanctions": N_("sanctions"),
    "restoration": N_("restoration"),
    "reapplication": N_("reapplication"),
    "bans": N_("bans"),
    "institutions": N_("institutions"),
    "deadlines": N_("deadlines"),
    "facts": N_("facts"),
    "billing": N_("billing"),
    "claims": N_("claims"),
    "ledger": N_("ledger"),
    "provisions": N_("provisions"),
    "added": N_("added"),
    "removed": N_("removed"),
    "changed": N_("changed"),
    "recoded": N_("recoded"),
    "active": N_("active"),
    "suspended": N_("suspended"),
    "awaiting_reapplication": N_("awaiting_reapplication"),
    "terminated": N_("terminated"),
    "none": N_("none"),
    "interview": N_("interview"),
    "suspend": N_("suspend"),
    "terminate": N_("terminate"),
}


def _w(word: str) -> str:
    """A report word (section, kind, status, sanction) in the reader's language."""
    return _(WORDS[word]) if word in WORDS else word


def render(d: PolicyDiff, imp: Impact | None, fmt: str, style: Style | None = None) -> str:
    """The whole report in one format: text, json or markdown."""
    return "".join(render_chunks(d, imp, fmt, style))


def render_chunks(
    d: PolicyDiff, imp: Impact | None, fmt: str, style: Style | None = None
) -> Iterator[str]:
    """The report of `render`, in pieces to write as they come: a ledger's impact can
    list tens of thousands of people, and the whole text need never be held at once."""
    if fmt == "json":
        yield from _json_chunks(d, imp)
        return
    lines = _markdown(d, imp) if fmt == "markdown" else _text(d, imp, style or _plain)
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= CHUNK_LINES:
            yield "\n".join(batch) + "\n"
            batch = []
    if batch:
        yield "\n".join(batch) + "\n"


CHUNK_LINES = 4096


def _dumps(value: object, level: int) -> str:
    """`value` as `json.dumps(..., indent=2)` writes it nested `level` deep (a raw
    newline occurs only between tokens: strings escape theirs)."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return text.replace("\n", "\n" + "  " * level) if level else text


class _SnapshotJson:
    """`_dumps(s.as_dict(), level)` of a `Snapshot`, byte for byte, with each distinct
    value (a status, a cycle's band, a cycle's points, an action) encoded once.

    Why: `json.dumps(indent=2)` is the pure-Python encoder, and tens of thousands of
    movers' snapshots are made of a few thousand distinct elements (the same cycles,
    the same sanctions on the same dates)."""

    def __init__(self, level: int):
        self.level = level
        self.at, self.key, self.inner = ("\n" + "  " * (level + k) for k in range(3))
        self.values: dict[tuple, str] = {}  # (type, value): a status, a date or null
        self.tiers: dict[tuple, str] = {}
        self.deducted: dict[tuple, str] = {}  # (cycle, points, type of the points)
        self.actions: dict[tuple, str] = {}

    def value(self, v: str | None) -> str:
        key = (type(v), v)
        text = self.values.get(key)
        if text is None:
            text = self.values[key] = json.dumps(v, ensure_ascii=False)
        return text

    def run(
        self,
        values: tuple,
        seen: dict[tuple, str],
        key: Callable[[Any], tuple],
        as_dict: Callable[[Any], dict],
    ) -> str:
        """A list of the snapshot's elements, as json.dumps lays it out, each distinct
        element (by `key`) encoded once into `seen`."""
        if not values:
            return "[]"
        texts = []
        for v in values:
            k = key(v)
            text = seen.get(k)
            if text is None:
                text = seen[k] = _dumps(as_dict(v), self.level + 2)
            texts.append(self.inner + text)
        return "[" + ",".join(texts) + self.key + "]"

    def __call__(self, s: Snapshot) -> str:
        run = self.run
        t_texts = run(s.tiers, self.tiers, lambda t: t, s.tier_dict)
        # (3 and 3.0 are equal keys, and print apart)
        d_texts = run(s.deducted, self.deducted, lambda d: (*d, type(d[1])), s.deducted_dict)
        a_texts = run(s.actions, self.actions, lambda a: a, s.action_dict)
        key = self.key
        return "".join(
            [
                "{",
                key,
                '"status": ',
                self.value(s.status),
                ",",
                key,
                '"reapply_from": ',
                self.value(s.reapply_from),
                ",",
                key,
                '"tiers": ',
                t_texts,
                ",",
                key,
                '"deducted": ',
                d_texts,
                ",",
                key,
                '"actions": ',
                a_texts,
                self.at,
                "}",
            ]
        )


def _json_chunks(d: PolicyDiff, imp: Impact | None) -> Iterator[str]:
    """`json.dumps(d.as_dict() + impact, ensure_ascii=False, indent=2)`, byte for byte,
    with the people written one at a time: each mover's list of causes (the same few
    lists for thousands of people) is encoded once."""
    out = d.as_dict()
    if imp is None or not imp.movers:
        out["impact"] = imp.as_dict() if imp is not None else None
        yield json.dumps(out, ensure_ascii=False, indent=2) + "\n"
        return
    out["impact"] = imp.as_dict(movers=False)
    text = json.dumps(out, ensure_ascii=False, indent=2) + "\n"
    mark = '\n    "people_moved": []'  # impact (level 1)'s key, at level 2
    at = text.rfind(mark)
    assert at >= 0
    yield text[:at] + mark[:-1]
    causes: dict[tuple, str] = {}
    pad, inner = "\n" + "  " * 3, "\n" + "  " * 4
    snapshot = _SnapshotJson(4)
    for n, m in enumerate(imp.movers):
        why = causes.get(tuple(m.causes))
        if why is None:
            why = causes[tuple(m.causes)] = _dumps([c.as_dict() for c in m.causes], 4)
        fields = (
            ("person", json.dumps(m.person, ensure_ascii=False)),
            ("before", snapshot(m.before)),
            ("after", snapshot(m.after)),
            ("causes", why),
            ("notes", _dumps([x.text for x in m.notes], 4) if m.notes else "[]"),
        )
        body = ",".join(f'{inner}"{k}": {v}' for k, v in fields)
        yield ("," if n else "") + pad + "{" + body + pad + "}"
    yield "\n    ]" + text[at + len(mark) :]


# ---- shared ----------------------------------------------------------------------------------


def _title(p) -> str:
    return f"{p.id} {p.version}"


def _v(x: str | None) -> str:
    return _("(none)") if x is None else x


def _cites(c: Change) -> str:
    a, b = c.old_cite, c.new_cite
    if a is None and b is None:
        return ""
    if a == b or b is None:
        return a or ""
    if a is None:
        return b
    return f"{a} -> {b}"


def _groups(d: PolicyDiff) -> Iterator[tuple[str, list[tuple[str, list[Change]]]]]:
    """(section, [(element, changes)]) in section order, elements in first-seen order."""
    sections = d.by_section()
    for s in SECTIONS:
        if s not in sections:
            continue
        yield s, [(e, list(g)) for e, g in groupby(sections[s], key=lambda c: c.element)]


def _counts(d: PolicyDiff) -> str:
    parts = [f"{_w(s)} {len(cs)}" for s, cs in d.by_section().items()]
    n = len(d.changes)
    return ngettext("{n} change", "{n} changes", n).format(n=n) + (
        _(" ({sections})").format(sections=_(", ").join(parts)) if parts else ""
    )


def _head(changes: list[Change]) -> tuple[str, str]:
    """The element's overall kind and a remark for its header line."""
    first = changes[0]
    if first.kind in ("added", "removed"):
        return first.kind, _w(first.kind) + (f", {known(first.note)}" if first.note else "")
    if first.kind == "recoded":
        return "recoded", _w("recoded") + (f", {known(first.note)}" if first.note else "")
    return "changed", _w("changed")


def _cycle_line(a: Snapshot, b: Snapshot) -> list[str]:
    ta, tb = dict(a.tiers), dict(b.tiers)
    da, db = dict(a.deducted), dict(b.deducted)
    out = []
    for label in sorted(set(ta) | set(tb)):
        x, y = ta.get(label), tb.get(label)
        if x == y:
            continue
        out.append(
            _("{cycle}: {old} (deducted {old_deducted}) -> {new} (deducted {new_deducted})").format(
                cycle=label,
                old=x or _("no tier"),
                old_deducted=number_text(da.get(label, 0)),
                new=y or _("no tier"),
                new_deducted=number_text(db.get(label, 0)),
            )
        )
    return out


def _acts(s: Snapshot) -> str:
    if not s.actions:
        return _w("none")
    parts = []
    for kind, start, end, site in s.actions:
        span = f"{start}..{end}" if end else start
        parts.append(
            f"{_w(kind)} {span}" + (_(" at {institution}").format(institution=site) if site else "")
        )
    return ", ".join(parts)


def _status(s: Snapshot) -> str:
    if s.reapply_from == "never":
        return _w(s.status) + _(" (may never re-apply)")
    return _w(s.status) + (
        _(" (re-apply from {date})").format(date=s.reapply_from) if s.reapply_from else ""
    )


def _causes(m: Mover) -> list[str]:
    labels = [c.text() for c in m.causes]
    if len(labels) > MAX_CAUSES:
        labels = labels[:MAX_CAUSES] + [_("and {n} more").format(n=len(labels) - MAX_CAUSES)]
    return labels


def _summary(d: PolicyDiff, imp: Impact | None) -> list[str]:
    out = [_counts(d) + _(".")] if d.changes else [_("No changes.")]
    if d.map_path is None and d.old.id != d.new.id and d.items.pairs:
        out.append(
            _(
                "The policies have different ids (`{old}`, `{new}`) and no "
                "--map was given: items were paired by code and text only."
            ).format(old=d.old.id, new=d.new.id)
        )
    if imp is not None:
        out.append(
            _(
                "Evaluated on {events} as of {date}: of {people} people, "
                "{movers} would have a different outcome and {unaffected} would not."
            ).format(
                events=imp.events,
                date=imp.as_of,
                people=imp.people,
                movers=len(imp.movers),
                unaffected=imp.unaffected,
            )
        )
        if imp.notes:
            people = len({n.person for n in imp.notes})
            dropped = sum(n.dropped for n in imp.notes)
            out.append(
                _(
                    "{codes} item codes of findings of {people} people could not "
                    "be carried over ({dropped} findings left out whole)."
                ).format(codes=len(imp.notes), people=people, dropped=dropped)
            )
    return out


# ---- text ------------------------------------------------------------------------------------


def _text(d: PolicyDiff, imp: Impact | None, style: Style) -> Iterator[str]:
    yield style(f"{_title(d.old)} ({d.old.path}) -> {_title(d.new)} ({d.new.path})", bold=True)
    if d.map_path:
        yield _("items paired by {map}").format(map=d.map_path)
    for section, elements in _groups(d):
        yield ""
        yield style(_w(section), bold=True)
        for element, changes in elements:
            kind, remark = _head(changes)
            if not element:
                for c in changes:
                    cite = _cites(c)
                    yield style(f"  ~ {c.field}: {_v(c.old)} -> {_v(c.new)}", fg=COLOUR[c.kind]) + (
                        f"  [{cite}]" if cite else ""
                    )
                continue
            cite = _cites(changes[-1])
            yield style(f"  {MARK[kind]} {element}  {remark}", fg=COLOUR[kind]) + (
                f"  [{cite}]" if cite else ""
            )
            for c in changes:
                if c.kind == "added":
                    yield f"      {c.new}"
                elif c.kind == "removed":
                    yield f"      {c.old}"
                elif c.kind == "changed":
                    yield f"      {c.field}: {_v(c.old)} -> {_v(c.new)}"
                    if c.note:
                        yield f"        ({known(c.note)})"
    yield ""
    yield from _summary(d, imp)
    if imp is not None:
        yield from _impact_text(imp, style)


def _impact_text(imp: Impact, style: Style) -> Iterator[str]:
    yield ""
    yield style(
        (
            _("impact on {events} (roster {roster}), as of {date}")
            if imp.roster
            else _("impact on {events}, as of {date}")
        ).format(events=imp.events, roster=imp.roster, date=imp.as_of),
        bold=True,
    )
    yield "  " + _("{people} people: {movers} outcomes change, {unaffected} unaffected").format(
        people=imp.people, movers=len(imp.movers), unaffected=imp.unaffected
    )
    yield ""
    yield "  " + _("status on the as-of date (rows: OLD, columns: NEW)")
    yield from ("  " + line for line in _matrix_text(imp.status_moves, STATUSES))
    yield ""
    yield "  " + _("harshest own sanction (rows: OLD, columns: NEW)")
    yield from ("  " + line for line in _matrix_text(imp.sanction_moves, SANCTIONS))
    if imp.movers:
        yield ""
        yield style(_("people whose outcome changes"), bold=True)
    labels = [_("tier"), _("actions"), _("status"), _("why")]
    width = max(_width(x) for x in labels) + 2
    tier_l, acts_l, status_l, why_l = (_pad(x, width) for x in labels)
    for m in imp.movers:
        yield f"  {m.person}"
        for line in _cycle_line(m.before, m.after):
            yield f"    {tier_l}{line}"
        if m.before.actions != m.after.actions:
            yield f"    {acts_l}{_acts(m.before)} -> {_acts(m.after)}"
        if (m.before.status, m.before.reapply_from) != (m.after.status, m.after.reapply_from):
            yield f"    {status_l}{_status(m.before)} -> {_status(m.after)}"
        yield f"    {why_l}{_('; ').join(_causes(m))}"
    if imp.notes:
        yield ""
        yield style(_("findings not carried over ({n})").format(n=len(imp.notes)), bold=True)
        for n in imp.notes:
            yield f"  {n.person} {n.event} ({n.where}): {n.said}" + (
                _("; finding left out") if n.dropped else ""
            )
    if imp.institutions:
        yield ""
        yield style(
            _("institutions whose actions change ({n})").format(n=len(imp.institutions)),
            bold=True,
        )
        for i in imp.institutions:
            yield (
                f"  {i.institution} {i.period}: {', '.join(i.before) or _w('none')} -> "
                f"{', '.join(i.after) or _w('none')}"
            )
    if imp.warnings:
        yield ""
        yield style(_("warnings"), bold=True)
        for w in imp.warnings:
            yield f"  {w}"


def _axes(moves: dict[tuple[str, str], int], order: tuple[str, ...]) -> list[str]:
    seen = {x for pair in moves for x in pair}
    return [s for s in order if s in seen] + sorted(seen - set(order))


def _matrix_text(moves: dict[tuple[str, str], int], order: tuple[str, ...]) -> list[str]:
    axes = _axes(moves, order)
    if not axes:
        return [_("(nobody)")]
    names = {a: _w(a) for a in axes}
    width = max(_width(n) for n in names.values()) + 2
    lines = [" " * width + "".join(_pad(names[a], width, right=True) for a in axes)]
    for r in axes:
        lines.append(
            _pad(names[r], width)
            + "".join(str(moves.get((r, c), 0) or ".").rjust(width) for c in axes)
        )
    return lines


def _sentences(parts: list[str]) -> str:
    """Sentences one after another: a space between them in English, none in Chinese."""
    text = parts[0] if parts else ""
    for part in parts[1:]:
        text = _("{sentence} {next}").format(sentence=text, next=part)
    return text


def _width(text: str) -> int:
    """Columns a text takes on a terminal: East Asian wide characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(0, width - _width(text))
    return gap + text if right else text + gap


# ---- markdown --------------------------------------------------------------------------------


def _cell(x: str | None) -> str:
    return _v(x).replace("|", "\\|").replace("\n", " ")


def _markdown(d: PolicyDiff, imp: Impact | None) -> Iterator[str]:
    yield _("# Revision memo: {old} → {new}").format(old=_title(d.old), new=_title(d.new))
    yield ""
    yield _("- Old: {title} (`{path}`)").format(title=d.old.title, path=d.old.path)
    yield _("- New: {title} (`{path}`)").format(title=d.new.title, path=d.new.path)
    if d.map_path:
        yield _("- Item map: `{path}`").format(path=d.map_path)
    yield ""
    yield _("## Summary")
    yield ""
    yield _sentences(_summary(d, imp))
    if d.changes:
        yield ""
        yield _("## What changed")
    for section, elements in _groups(d):
        yield ""
        yield "### " + (
            _(WORDS[section])
            if section in WORDS and _w(section) != section
            else section.capitalize()
        )
        yield ""
        yield _("| element | change | field | old | new | cite (old → new) |")
        yield "| --- | --- | --- | --- | --- | --- |"
        for element, changes in elements:
            for c in changes:
                yield (
                    f"| {_cell(element.replace(' -> ', ' → ') or '-')} | {_w(c.kind)}"
                    f"{' (' + _cell(known(c.note)) + ')' if c.note else ''} | {c.field or '-'} | "
                    f"{_cell(c.old) if c.old is not None else '-'} | "
                    f"{_cell(c.new) if c.new is not None else '-'} | "
                    f"{_cell(_cites(c).replace(' -> ', ' → ')) or '-'} |"
                )
    if imp is not None:
        yield from _impact_markdown(imp)


def _impact_markdown(imp: Impact) -> Iterator[str]:
    yield ""
    yield _("## Whose outcome changes")
    yield ""
    yield (
        _(
            "Ledger `{events}`, roster `{roster}`, as of {date}: {people} people, "
            "{movers} whose outcome changes, {unaffected} unaffected (not listed)."
        )
        if imp.roster
        else _(
            "Ledger `{events}`, as of {date}: {people} people, "
            "{movers} whose outcome changes, {unaffected} unaffected (not listed)."
        )
    ).format(
        events=imp.events,
        roster=imp.roster,
        date=imp.as_of,
        people=imp.people,
        movers=len(imp.movers),
        unaffected=imp.unaffected,
    )
    yield ""
    yield _("### Status on {date} (rows: old, columns: new)").format(date=imp.as_of)
    yield ""
    yield from _matrix_md(imp.status_moves, STATUSES)
    yield ""
    yield _("### Harshest own sanction (rows: old, columns: new)")
    yield ""
    yield from _matrix_md(imp.sanction_moves, SANCTIONS)
    if imp.movers:
        yield ""
        yield _("### People")
        yield ""
        yield _("| person | tier | actions (old → new) | status (old → new) | why |")
        yield "| --- | --- | --- | --- | --- |"
        for m in imp.movers:
            tiers = _("; ").join(_cycle_line(m.before, m.after)) or _("same")
            acts = (
                f"{_acts(m.before)} → {_acts(m.after)}"
                if m.before.actions != m.after.actions
                else _("same")
            )
            status = (
                f"{_status(m.before)} → {_status(m.after)}"
                if (m.before.status, m.before.reapply_from)
                != (m.after.status, m.after.reapply_from)
                else _status(m.after)
            )
            yield (
                f"| {m.person} | {_cell(tiers.replace(' -> ', ' → '))} | {_cell(acts)} | "
                f"{_cell(status)} | {_cell(_('; ').join(_causes(m)))} |"
            )
    if imp.notes:
        yield ""
        yield _("### Findings not carried over")
        yield ""
        yield _("| person | finding | where | what |")
        yield "| --- | --- | --- | --- |"
        for n in imp.notes:
            yield (
                f"| {n.person} | {_cell(n.event)} | {_cell(n.where)} | {_cell(n.said)}"
                f"{_('; finding left out') if n.dropped else ''} |"
            )
    if imp.institutions:
        yield ""
        yield _("### Institutions")
        yield ""
        yield _("| institution | period | old | new |")
        yield "| --- | --- | --- | --- |"
        for i in imp.institutions:
            yield (
                f"| {i.institution} | {i.period} | {_cell(', '.join(i.before) or _w('none'))} | "
                f"{_cell(', '.join(i.after) or _w('none'))} |"
            )
    if imp.warnings:
        yield ""
        yield _("### Warnings")
        yield ""
        yield from (f"- {w}" for w in imp.warnings)


def _matrix_md(moves: dict[tuple[str, str], int], order: tuple[str, ...]) -> Iterator[str]:
    axes = _axes(moves, order)
    yield (
        "| " + _("old \\ new") + " | " + " | ".join(_w(a) for a in axes) + " | " + _("total") + " |"
    )
    yield "| --- |" + " ---: |" * (len(axes) + 1)
    for r in axes:
        row = [moves.get((r, c), 0) for c in axes]
        yield f"| {_w(r)} | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |"
