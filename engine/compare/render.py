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
from typing import TYPE_CHECKING

from engine.compare.diff import SECTIONS, Change, PolicyDiff

if TYPE_CHECKING:  # impact pulls in the evaluator; a plain diff does not need it
    from engine.compare.impact import Impact, Mover, Snapshot

Style = Callable[..., str]
STATUSES = ("active", "suspended", "awaiting_reapplication", "terminated")
SANCTIONS = ("none", "interview", "suspend", "terminate")
MARK = {"added": "+", "removed": "-", "changed": "~", "recoded": "~"}
COLOUR = {"added": "green", "removed": "red", "changed": "yellow", "recoded": "cyan"}
MAX_CAUSES = 5


def _plain(text: str, **_: object) -> str:
    return text


def render(d: PolicyDiff, imp: Impact | None, fmt: str, style: Style | None = None) -> str:
    """The whole report in one format: text, json or markdown."""
    if fmt == "json":
        out = d.as_dict()
        out["impact"] = imp.as_dict() if imp is not None else None
        return json.dumps(out, ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        return "\n".join(_markdown(d, imp)) + "\n"
    return "\n".join(_text(d, imp, style or _plain)) + "\n"


# ---- shared ----------------------------------------------------------------------------------


def _title(p) -> str:
    return f"{p.id} {p.version}"


def _v(x: str | None) -> str:
    return "(none)" if x is None else x


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
    parts = [f"{s} {len(cs)}" for s, cs in d.by_section().items()]
    n = len(d.changes)
    return f"{n} change{'' if n == 1 else 's'}" + (f" ({', '.join(parts)})" if parts else "")


def _head(changes: list[Change]) -> tuple[str, str]:
    """The element's overall kind and a remark for its header line."""
    first = changes[0]
    if first.kind in ("added", "removed"):
        return first.kind, first.kind + (f", {first.note}" if first.note else "")
    if first.kind == "recoded":
        return "recoded", f"recoded{', ' + first.note if first.note else ''}"
    return "changed", "changed"


def _cycle_line(a: Snapshot, b: Snapshot) -> list[str]:
    ta, tb = dict(a.tiers), dict(b.tiers)
    da, db = dict(a.deducted), dict(b.deducted)
    out = []
    for label in sorted(set(ta) | set(tb)):
        x, y = ta.get(label), tb.get(label)
        if x == y:
            continue
        out.append(
            f"{label}: {x or 'no tier'} (deducted {da.get(label, '0')}) -> "
            f"{y or 'no tier'} (deducted {db.get(label, '0')})"
        )
    return out


def _acts(s: Snapshot) -> str:
    if not s.actions:
        return "none"
    parts = []
    for kind, start, end, site in s.actions:
        span = f"{start}..{end}" if end else start
        parts.append(f"{kind} {span}" + (f" at {site}" if site else ""))
    return ", ".join(parts)


def _status(s: Snapshot) -> str:
    if s.reapply_from == "never":
        return s.status + " (may never re-apply)"
    return s.status + (f" (re-apply from {s.reapply_from})" if s.reapply_from else "")


def _causes(m: Mover) -> list[str]:
    labels = [c.label for c in m.causes]
    if len(labels) > MAX_CAUSES:
        labels = labels[:MAX_CAUSES] + [f"and {len(labels) - MAX_CAUSES} more"]
    return labels


def _summary(d: PolicyDiff, imp: Impact | None) -> list[str]:
    out = [_counts(d) + "."] if d.changes else ["No changes."]
    if d.map_path is None and d.old.id != d.new.id and d.items.pairs:
        out.append(
            f"The policies have different ids (`{d.old.id}`, `{d.new.id}`) and no "
            "--map was given: items were paired by code and text only."
        )
    if imp is not None:
        out.append(
            f"Evaluated on {imp.events} as of {imp.as_of}: of {imp.people} people, "
            f"{len(imp.movers)} would have a different outcome and {imp.unaffected} "
            "would not."
        )
        if imp.notes:
            people = len({n.person for n in imp.notes})
            dropped = sum(n.dropped for n in imp.notes)
            out.append(
                f"{len(imp.notes)} item codes of findings of {people} people could not "
                f"be carried over ({dropped} findings left out whole)."
            )
    return out


# ---- text ------------------------------------------------------------------------------------


def _text(d: PolicyDiff, imp: Impact | None, style: Style) -> Iterator[str]:
    yield style(f"{_title(d.old)} ({d.old.path}) -> {_title(d.new)} ({d.new.path})", bold=True)
    if d.map_path:
        yield f"items paired by {d.map_path}"
    for section, elements in _groups(d):
        yield ""
        yield style(section, bold=True)
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
                        yield f"        ({c.note})"
    yield ""
    yield from _summary(d, imp)
    if imp is not None:
        yield from _impact_text(imp, style)


def _impact_text(imp: Impact, style: Style) -> Iterator[str]:
    yield ""
    yield style(
        f"impact on {imp.events}"
        + (f" (roster {imp.roster})" if imp.roster else "")
        + f", as of {imp.as_of}",
        bold=True,
    )
    yield f"  {imp.people} people: {len(imp.movers)} outcomes change, {imp.unaffected} unaffected"
    yield ""
    yield "  status on the as-of date (rows: OLD, columns: NEW)"
    yield from ("  " + line for line in _matrix_text(imp.status_moves, STATUSES))
    yield ""
    yield "  harshest own sanction (rows: OLD, columns: NEW)"
    yield from ("  " + line for line in _matrix_text(imp.sanction_moves, SANCTIONS))
    if imp.movers:
        yield ""
        yield style("people whose outcome changes", bold=True)
    for m in imp.movers:
        yield f"  {m.person}"
        for line in _cycle_line(m.before, m.after):
            yield f"    tier     {line}"
        if m.before.actions != m.after.actions:
            yield f"    actions  {_acts(m.before)} -> {_acts(m.after)}"
        if (m.before.status, m.before.reapply_from) != (m.after.status, m.after.reapply_from):
            yield f"    status   {_status(m.before)} -> {_status(m.after)}"
        yield f"    why      {'; '.join(_causes(m))}"
    if imp.notes:
        yield ""
        yield style(f"findings not carried over ({len(imp.notes)})", bold=True)
        for n in imp.notes:
            yield f"  {n.person} {n.event} ({n.where}): {n.text}" + (
                "; finding left out" if n.dropped else ""
            )
    if imp.institutions:
        yield ""
        yield style(f"institutions whose actions change ({len(imp.institutions)})", bold=True)
        for i in imp.institutions:
            yield (
                f"  {i.institution} {i.period}: {', '.join(i.before) or 'none'} -> "
                f"{', '.join(i.after) or 'none'}"
            )
    if imp.warnings:
        yield ""
        yield style("warnings", bold=True)
        for w in imp.warnings:
            yield f"  {w}"


def _axes(moves: dict[tuple[str, str], int], order: tuple[str, ...]) -> list[str]:
    seen = {x for pair in moves for x in pair}
    return [s for s in order if s in seen] + sorted(seen - set(order))


def _matrix_text(moves: dict[tuple[str, str], int], order: tuple[str, ...]) -> list[str]:
    axes = _axes(moves, order)
    if not axes:
        return ["(nobody)"]
    width = max(len(a) for a in axes) + 2
    lines = [" " * width + "".join(a.rjust(width) for a in axes)]
    for r in axes:
        lines.append(
            r.ljust(width) + "".join(str(moves.get((r, c), 0) or ".").rjust(width) for c in axes)
        )
    return lines


# ---- markdown --------------------------------------------------------------------------------


def _cell(x: str | None) -> str:
    return _v(x).replace("|", "\\|").replace("\n", " ")


def _markdown(d: PolicyDiff, imp: Impact | None) -> Iterator[str]:
    yield f"# Revision memo: {_title(d.old)} → {_title(d.new)}"
    yield ""
    yield f"- Old: {d.old.title} (`{d.old.path}`)"
    yield f"- New: {d.new.title} (`{d.new.path}`)"
    if d.map_path:
        yield f"- Item map: `{d.map_path}`"
    yield ""
    yield "## Summary"
    yield ""
    yield " ".join(_summary(d, imp))
    if d.changes:
        yield ""
        yield "## What changed"
    for section, elements in _groups(d):
        yield ""
        yield f"### {section.capitalize()}"
        yield ""
        yield "| element | change | field | old | new | cite (old → new) |"
        yield "| --- | --- | --- | --- | --- | --- |"
        for element, changes in elements:
            for c in changes:
                yield (
                    f"| {_cell(element.replace(' -> ', ' → ') or '-')} | {c.kind}"
                    f"{' (' + _cell(c.note) + ')' if c.note else ''} | {c.field or '-'} | "
                    f"{_cell(c.old) if c.old is not None else '-'} | "
                    f"{_cell(c.new) if c.new is not None else '-'} | "
                    f"{_cell(_cites(c).replace(' -> ', ' → ')) or '-'} |"
                )
    if imp is not None:
        yield from _impact_markdown(imp)


def _impact_markdown(imp: Impact) -> Iterator[str]:
    yield ""
    yield "## Whose outcome changes"
    yield ""
    yield (
        f"Ledger `{imp.events}`"
        + (f", roster `{imp.roster}`" if imp.roster else "")
        + f", as of {imp.as_of}: {imp.people} people, {len(imp.movers)} whose outcome "
        f"changes, {imp.unaffected} unaffected (not listed)."
    )
    yield ""
    yield f"### Status on {imp.as_of} (rows: old, columns: new)"
    yield ""
    yield from _matrix_md(imp.status_moves, STATUSES)
    yield ""
    yield "### Harshest own sanction (rows: old, columns: new)"
    yield ""
    yield from _matrix_md(imp.sanction_moves, SANCTIONS)
    if imp.movers:
        yield ""
        yield "### People"
        yield ""
        yield "| person | tier | actions (old → new) | status (old → new) | why |"
        yield "| --- | --- | --- | --- | --- |"
        for m in imp.movers:
            tiers = "; ".join(_cycle_line(m.before, m.after)) or "same"
            acts = (
                f"{_acts(m.before)} → {_acts(m.after)}"
                if m.before.actions != m.after.actions
                else "same"
            )
            status = (
                f"{_status(m.before)} → {_status(m.after)}"
                if (m.before.status, m.before.reapply_from)
                != (m.after.status, m.after.reapply_from)
                else _status(m.after)
            )
            yield (
                f"| {m.person} | {_cell(tiers.replace(' -> ', ' → '))} | {_cell(acts)} | "
                f"{_cell(status)} | {_cell('; '.join(_causes(m)))} |"
            )
    if imp.notes:
        yield ""
        yield "### Findings not carried over"
        yield ""
        yield "| person | finding | where | what |"
        yield "| --- | --- | --- | --- |"
        for n in imp.notes:
            yield (
                f"| {n.person} | {_cell(n.event)} | {_cell(n.where)} | {_cell(n.text)}"
                f"{'; finding left out' if n.dropped else ''} |"
            )
    if imp.institutions:
        yield ""
        yield "### Institutions"
        yield ""
        yield "| institution | period | old | new |"
        yield "| --- | --- | --- | --- |"
        for i in imp.institutions:
            yield (
                f"| {i.institution} | {i.period} | {_cell(', '.join(i.before) or 'none')} | "
                f"{_cell(', '.join(i.after) or 'none')} |"
            )
    if imp.warnings:
        yield ""
        yield "### Warnings"
        yield ""
        yield from (f"- {w}" for w in imp.warnings)


def _matrix_md(moves: dict[tuple[str, str], int], order: tuple[str, ...]) -> Iterator[str]:
    axes = _axes(moves, order)
    yield "| old \\ new | " + " | ".join(axes) + " | total |"
    yield "| --- |" + " ---: |" * (len(axes) + 1)
    for r in axes:
        row = [moves.get((r, c), 0) for c in axes]
        yield f"| {r} | " + " | ".join(str(n) for n in row) + f" | {sum(row)} |"
