"""Stage "diff" over histories: two folders of a regulation's versions, compared.

`policyctl diff OLD NEW` with two folders (versions.History each) pairs the
versions by their `version` and diffs each pair as two files are diffed
(`diff.diff_policies`, with the `--map` for every pair when one is given);
a version found on one side only is reported added or removed. The report is
each pair's report in version order, under a heading naming the version, then
the versions without a counterpart. Output is deterministic.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.compare.diff import PolicyDiff, diff_policies, load_both
from engine.policy.codemap import load_map
from engine.policy.model import Policy
from engine.policy.versions import History, load_history


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


def render_history(hd: HistoryDiff, fmt: str, style=None) -> str:
    """Each version's report under its heading, then the versions on one side only."""
    from engine.compare.render import render

    if fmt == "json":
        return json.dumps(hd.as_dict(), ensure_ascii=False, indent=2) + "\n"
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
    return "".join(out)
