"""Stage "diff" over histories: two folders of a regulation's versions, compared.

`policyctl diff OLD NEW` with two folders (versions.History each) pairs the
versions by their `version` and diffs each pair as two files are diffed
(`diff.diff_policies`, with the `--map` for every pair when one is given);
a version found on one side only is reported added or removed. The report is
each pair's report in version order, under a heading naming the version, then
the versions without a counterpart. Output is deterministic.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.compare.diff import PolicyDiff, diff_policies, load_both
from engine.errors import LedgerError
from engine.policy.codemap import Pairing, load_map
from engine.policy.model import Policy
from engine.policy.versions import History, load_history

if TYPE_CHECKING:
    from engine.compare.impact import Impact


@dataclass
class HistoryDiff:
    old: History
    new: History
    pairs: list[tuple[str, PolicyDiff]]  # (version, its diff), in the new history's order
    removed: list[Policy]  # versions only in the old history
    added: list[Policy]  # versions only in the new one

    @property
    def changes(self) -> bool:
        return bool(self.removed or self.added or any(d.changes for _, d in self.pairs))

    def as_dict(self) -> dict[str, Any]:
        return {
            "old": {"id": self.old.id, "versions": [_ident(p) for p in self.old.versions]},
            "new": {"id": self.new.id, "versions": [_ident(p) for p in self.new.versions]},
            "versions": [{"version": v, **d.as_dict()} for v, d in self.pairs],
            "removed": [_ident(p) for p in self.removed],
            "added": [_ident(p) for p in self.added],
        }


def _ident(p: Policy) -> dict[str, Any]:
    return {
        "version": p.version,
        "path": p.path,
        "effective": {"from": p.effective_from, "to": p.effective_to},
    }


def diff_histories(
    old_path: str | Path,
    new_path: str | Path,
    map_path: str | Path | None = None,
    *,
    allow_outside: bool = False,
) -> HistoryDiff:
    """Load both histories and diff them version by version; raises PolicyError."""
    from functools import partial

    old, new = load_both(partial(load_history, allow_outside=allow_outside), old_path, new_path)
    olds = {p.version: p for p in old.versions}
    news = {p.version: p for p in new.versions}
    pairs = []
    for p in new.versions:
        if p.version in olds:
            a = olds[p.version]
            code_map = load_map(map_path, a, p) if map_path is not None else None
            d = diff_policies(a, p, code_map)
            d.map_path = None if map_path is None else str(map_path)
            pairs.append((p.version, d))
    removed = [p for p in old.versions if p.version not in news]
    added = [p for p in new.versions if p.version not in olds]
    return HistoryDiff(old, new, pairs, removed, added)


def impact_histories(
    hd: HistoryDiff,
    events: str,
    roster: str | None,
    as_of: _dt.date,
    encoding: str | None = None,
) -> Impact:
    """Whose outcome the change from one history to the other moves on a ledger
    (`policyctl diff OLD/ NEW/ --events`): the ledger read and evaluated across each
    history (evaluation/history.py), the outcomes compared as two files' are
    (impact.compare), each mover's causes drawn from every version pair's changes
    and, where none explains it, the versions added or removed.

    The ledger is read under each history as it is: a finding's codes must be in the
    catalogue of a version that can apply to it on each side (no carry-over between
    the two histories, whose versions may not pair one to one)."""
    from engine.compare.impact import Cause, compare, evaluate_side
    from engine.ledger.read import read_ledger

    old_ledger = read_ledger(events, hd.old, roster, encoding)
    try:
        new_ledger = read_ledger(events, hd.new, roster, encoding)
    except LedgerError as exc:
        raise LedgerError(
            [dataclasses.replace(d, message=f"{d.message} (under NEW)") for d in exc.diagnostics]
        ) from None
    before = evaluate_side(hd.old, old_ledger, as_of, "OLD")
    after = evaluate_side(hd.new, new_ledger, as_of, "NEW")
    merged = PolicyDiff(
        hd.old.latest,
        hd.new.latest,
        [c for _v, d in hd.pairs for c in d.changes],
        Pairing((), (), ()),
        Pairing((), (), ()),
    )
    imp = compare(merged, before, after, old_ledger.events, [], events, roster)
    versions = [f"version {p.version} removed" for p in hd.removed] + [
        f"version {p.version} added" for p in hd.added
    ]
    if versions:
        for m in imp.movers:
            if not any(c.changes for c in m.causes):
                m.causes = [Cause("; ".join(versions))]
    return imp


def render_history(hd: HistoryDiff, fmt: str, style=None, imp: Impact | None = None) -> str:
    """Each version's report under its heading, then the versions on one side only, then
    (with a ledger) whose outcome moves."""
    from engine.compare.render import _impact_markdown, _impact_text, _plain, render

    if fmt == "json":
        out = hd.as_dict()
        if imp is not None:
            out["impact"] = imp.as_dict()
        return json.dumps(out, ensure_ascii=False, indent=2) + "\n"
    md = fmt == "markdown"
    out = [
        f"# {hd.old.id} -> {hd.new.id}: {len(hd.old)} and {len(hd.new)} versions\n"
        if md
        else f"history {hd.old.id} -> {hd.new.id}: {len(hd.old)} and {len(hd.new)} versions\n"
    ]
    for version, d in hd.pairs:
        out.append(f"\n## version {version}\n\n" if md else f"\n=== version {version} ===\n")
        out.append(render(d, None, fmt, style))
    for label, ps in (("removed", hd.removed), ("added", hd.added)):
        for p in ps:
            line = (
                f"version {p.version} ({p.effective_from} to {p.effective_to or 'open'}, "
                f"{p.path}): {label}"
            )
            out.append(f"\n- {line}\n" if md else f"\n{line}\n")
    if imp is not None:
        lines = _impact_markdown(imp) if md else _impact_text(imp, style or _plain)
        out.append("\n" + "\n".join(lines) + "\n")
    return "".join(out)
