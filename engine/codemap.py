"""The item map of `policyctl diff --map FILE`: which new item continues which old one.

A revision may renumber its catalogue, and two cities number theirs
differently; the map says, per old item code, the new code for the same
conduct, or null where the new policy has none:

    A1: B1      # 分解住院、挂床住院 ~ 分解住院、挂床住院...
    C3: null    # 被媒体公开曝光负面新闻: no counterpart

Several old codes may map to one new code (the new catalogue merges them);
one old code maps to one new code at most. Every code is checked against the
two policies it pairs, and each problem points at the map's file and line.
Codes left out of the map pair as `diff` pairs them without one.
"""

from __future__ import annotations

from pathlib import Path

from .errors import Diagnostic, PolicyError
from .model import Policy
from .source import load_document


def load_map(path: str | Path, old: Policy, new: Policy) -> dict[str, str | None]:
    """Old code -> new code (or None), checked against both policies; raises PolicyError."""
    doc = load_document(path)
    data = doc.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError(Diagnostic("map", "a map is a YAML mapping of old code to new code",
                                     doc.span(()), "e.g. `A1: B1`, or `C3: null`"))
    problems: list[Diagnostic] = []
    out: dict[str, str | None] = {}
    old_codes = set(old.items) | set(old.credits)
    new_codes = set(new.items) | set(new.credits)
    for key, value in data.items():
        code = str(key)
        if code not in old_codes:
            problems.append(Diagnostic(
                "map", f"`{code}` is not an item of `{old.id}` ({old.path})",
                doc.key_span((key,)), _near(code, old_codes)))
        if value is None:
            out[code] = None
            continue
        if isinstance(value, (dict, list, bool)):
            problems.append(Diagnostic(
                "map", f"`{code}` maps to {type(value).__name__}, not one item code",
                doc.span((key,)), "map an old code to one new code, or to null"))
            continue
        target = str(value)
        if target not in new_codes:
            problems.append(Diagnostic(
                "map", f"`{target}` is not an item of `{new.id}` ({new.path})",
                doc.span((key,)), _near(target, new_codes)))
            continue
        if (code in old.items) != (target in new.items):
            problems.append(Diagnostic(
                "map", f"`{code}` and `{target}` are not both items or both credits",
                doc.span((key,))))
            continue
        out[code] = target
    if problems:
        raise PolicyError(problems)
    return out


def _near(code: str, codes: set[str]) -> str:
    import difflib

    close = difflib.get_close_matches(code, sorted(codes), n=1)
    return f"did you mean `{close[0]}`?" if close else "codes are " + ", ".join(sorted(codes))
