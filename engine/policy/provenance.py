"""Provenance: the policy quotes its source, and the source is the one recorded.

A policy names its regulation's text (`source.file`) and that file's SHA-256.
`validate` checks the hash, so a silently edited source is caught, and checks
that every quoted `text` occurs in the source, so a paraphrase is caught. The
comparison ignores what PDF extraction scrambles: line breaks and spaces,
full-width vs ASCII forms (NFKC), private-use characters (PDF fonts map glyphs
such as a list number's full stop there: U+1001B0 in one shipped text), page-number
lines (`—７—`) and Markdown emphasis.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path

from engine.limits import read_text_file

# whitespace, the private-use planes and area, Markdown emphasis; page-number lines
_DROP = re.compile(r"[\s\ue000-\uf8ff\U000f0000-\U0010ffff*#]+|—\s*\d+\s*—")


def normalise_source(text: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFKC", text))


def normalise(text: str) -> str:
    """A quote as compared with the normalised source: also without its final punctuation."""
    return normalise_source(text).rstrip("。.;；,，")


def sha256_of(path: Path) -> str:
    """The source text's hash, read within the limits (raises OSError or TooLarge)."""
    return hashlib.sha256(read_text_file(path)).hexdigest()


def closest(quote: str, source: str) -> tuple[int, str, list[tuple[str, str]]] | None:
    """The passage of `source` closest to a quote that is not found in it: its line
    (1-based, in the source file), the passage (normalised, as long as the quote) and
    the differences, each (what the quote has, what the source has), either possibly
    empty. None when nothing of the quote is in the source.

    Found by letting every character the two share vote for an alignment, so a
    quote with a wrong character (a 已 for 以) finds its passage however long the
    source; a missing or extra character shifts the tail, which the differences
    then show."""
    import difflib

    q = normalise(quote)
    starts: list[int] = []  # normalised offset at which each source line begins
    parts: list[str] = []
    at = 0
    for line in source.split("\n"):
        starts.append(at)
        piece = normalise_source(line)
        parts.append(piece)
        at += len(piece)
    s = "".join(parts)
    if not q or not s:
        return None
    # each character the two share votes for the alignment it implies (source offset
    # minus quote offset); the alignment with most votes is the passage
    where: dict[str, list[int]] = {}
    for i, ch in enumerate(s):
        where.setdefault(ch, []).append(i)
    votes: dict[int, int] = {}
    for j, ch in enumerate(q):
        for i in where.get(ch, ()):
            votes[i - j] = votes.get(i - j, 0) + 1
    if not votes:
        return None
    best = max(votes.values())
    if best * 2 < len(q):  # less than half of it anywhere: no passage to point at
        return None
    begin = max(0, min(k for k, v in votes.items() if v == best))
    passage = s[begin : begin + len(q) + 8]
    ops = difflib.SequenceMatcher(None, q, passage, autojunk=False).get_opcodes()
    # the passage may run on past the quote's end: trim a trailing insertion
    if ops and ops[-1][0] == "insert" and ops[-1][1] == len(q):
        passage = passage[: ops[-1][3]]
        ops = ops[:-1]
    diffs = [(q[i1:i2], passage[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]
    import bisect

    line = bisect.bisect_right(starts, begin)
    return line, passage, diffs
