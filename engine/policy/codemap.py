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

`pair_items` makes the pairing itself: first the map; then, among the codes
left, the same code with the same text; the same normalised text under
another code (a renumbering, when the text is unique on both sides); the same
code (the text was edited). What is left was removed or added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import Diagnostic, PolicyError, closest
from engine.i18n import _
from engine.policy import provenance
from engine.policy.model import Item, Policy
from engine.policy.source import load_document


@dataclass(frozen=True)
class Pairing:
    """How the old policy's item codes correspond to the new one's."""

    pairs: tuple[tuple[str, str, str], ...]  # (old code, new code, how: same | map | text)
    unmatched_old: tuple[tuple[str, bool], ...]  # (old code, mapped to null on purpose)
    unmatched_new: tuple[str, ...]

    @property
    def code_map(self) -> dict[str, str | None]:
        """Old code -> new code, or None where the new policy has no counterpart."""
        out: dict[str, str | None] = {o: n for o, n, _ in self.pairs}
        out.update((o, None) for o, _ in self.unmatched_old)
        return out


def load_map(path: str | Path, old: Policy, new: Policy) -> dict[str, str | None]:
    """Old code -> new code (or None), checked against both policies; raises PolicyError."""
    doc = load_document(path)
    data = doc.data
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise PolicyError(
            Diagnostic(
                "map",
                _("a map is a YAML mapping of old code to new code"),
                doc.span(()),
                _("e.g. `A1: B1`, or `C3: null`"),
            )
        )
    problems: list[Diagnostic] = []
    out: dict[str, str | None] = {}
    old_codes = set(old.items) | set(old.credits)
    new_codes = set(new.items) | set(new.credits)
    for key, value in data.items():
        code = str(key)
        if code not in old_codes:
            problems.append(
                Diagnostic(
                    "map",
                    _("`{code}` is not an item of `{id}` ({path})").format(
                        code=code, id=old.id, path=old.path
                    ),
                    doc.key_span((key,)),
                    _near(code, old_codes),
                )
            )
        if value is None:
            out[code] = None
            continue
        if isinstance(value, (dict, list, bool)):
            problems.append(
                Diagnostic(
                    "map",
                    _("`{code}` maps to {name}, not one item code").format(
                        code=code, name=type(value).__name__
                    ),
                    doc.span((key,)),
                    _("map an old code to one new code, or to null"),
                )
            )
            continue
        target = str(value)
        if target not in new_codes:
            problems.append(
                Diagnostic(
                    "map",
                    _("`{target}` is not an item of `{id}` ({path})").format(
                        target=target, id=new.id, path=new.path
                    ),
                    doc.span((key,)),
                    _near(target, new_codes),
                )
            )
            continue
        if code in old_codes and (code in old.items) != (target in new.items):
            problems.append(
                Diagnostic(
                    "map",
                    _("`{code}` and `{target}` are not both items or both credits").format(
                        code=code, target=target
                    ),
                    doc.span((key,)),
                )
            )
            continue
        out[code] = target
    if problems:
        raise PolicyError(problems)
    return out


def _near(code: str, codes: set[str]) -> str:
    close = closest(code, codes)
    if close:
        return _("did you mean `{near}`?").format(near=close)
    return _("codes are {codes}").format(codes=_(", ").join(sorted(codes)))


def pair_items(
    old: dict[str, Item], new: dict[str, Item], code_map: dict[str, str | None]
) -> Pairing:
    """Pair old items with new ones: map, same code and text, same text, same code."""
    pairs: list[tuple[str, str, str]] = []
    nulled: set[str] = set()
    left = [c for c in old]
    for code in list(left):
        if code in code_map:
            target = code_map[code]
            left.remove(code)
            if target is None or target not in new:
                nulled.add(code)
            else:
                pairs.append((code, target, "map"))
    taken = {n for _, n, _ in pairs}
    free = [c for c in new if c not in taken]

    def match(test: Callable[[str, str], bool], how: str) -> None:
        for code in list(left):
            hits = [n for n in free if test(code, n)]
            if len(hits) == 1:
                pairs.append((code, hits[0], how))
                left.remove(code)
                free.remove(hits[0])

    match(lambda o, n: o == n and _text_key(old[o].text) == _text_key(new[n].text), "same")
    old_texts = [_text_key(old[c].text) for c in left]
    new_texts = [_text_key(new[c].text) for c in free]
    match(
        lambda o, n: (
            _text_key(old[o].text) == _text_key(new[n].text)
            and old_texts.count(_text_key(old[o].text)) == 1
            and new_texts.count(_text_key(new[n].text)) == 1
        ),
        "text",
    )
    match(lambda o, n: o == n, "same")
    order = {c: i for i, c in enumerate(old)}
    pairs.sort(key=lambda p: order[p[0]])
    unmatched_old = tuple((c, c in nulled) for c in old if c in nulled or c in left)
    return Pairing(tuple(pairs), unmatched_old, tuple(free))


def _text_key(text: str) -> str:
    return provenance.normalise(text)
