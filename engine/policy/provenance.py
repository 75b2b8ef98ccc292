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

# whitespace, the private-use planes and area, Markdown emphasis; page-number lines
_DROP = re.compile(r"[\s\ue000-\uf8ff\U000f0000-\U0010ffff*#]+|—\s*\d+\s*—")


def normalise_source(text: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFKC", text))


def normalise(text: str) -> str:
    """A quote as compared with the normalised source: also without its final punctuation."""
    return normalise_source(text).rstrip("。.;；,，")


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
