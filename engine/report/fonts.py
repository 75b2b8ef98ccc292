"""Stage "report", html: a Chinese font inlined in the report, cut to the text it shows.

A report must read the same on any machine it is opened on, offline: so the font
travels inside it. A whole CJK font is 16 MB or more; the report uses a few
hundred characters (the item texts, the headings, digits), so the font is subset
to exactly those with fontTools (which matplotlib already depends on) and inlined
as base64 in an `@font-face` rule: about 100 KB for a city's report.

The font is whichever Chinese sans-serif the machine making the report has
(`CANDIDATES`, found through matplotlib's font list). Where it has none, nothing
is inlined: the page names the usual Chinese system fonts, which every Chinese
Windows, macOS and Linux desktop has, and the CLI says so on standard error.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

FAMILY = "policyctl-cjk"  # the @font-face name the page and the charts use

# Simplified Chinese sans-serif fonts, best first (a family name as fontconfig and
# matplotlib list it)
CANDIDATES = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Noto Sans SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Droid Sans Fallback",
)
ASCII = "".join(chr(c) for c in range(0x20, 0x7F))


@dataclass(frozen=True)
class Font:
    family: str  # the name the font had on the machine
    data: bytes  # the subset, as an OpenType/TrueType file
    mime: str

    def css(self) -> str:
        b64 = base64.b64encode(self.data).decode("ascii")
        return (
            f"@font-face {{font-family: '{FAMILY}'; src: url(data:{self.mime};base64,{b64}); "
            "font-weight: normal; font-style: normal;}"
        )


def find() -> tuple[str, str, int] | None:
    """(family, file, index in a collection) of the first Chinese font found, or None."""
    from matplotlib import font_manager

    by_name = {}
    for entry in font_manager.fontManager.ttflist:
        if entry.style == "normal" and entry.weight in (400, "normal", "regular"):
            by_name.setdefault(entry.name, entry)
    for name in CANDIDATES:
        entry = by_name.get(name)
        if entry is not None:
            return name, entry.fname, _index_in(entry.fname, name)
    return None


def _index_in(path: str, family: str) -> int:
    """Which font of a collection (.ttc) is `family` (0 for a single font)."""
    if not path.lower().endswith((".ttc", ".otc")):
        return 0
    from fontTools.ttLib import TTCollection

    with TTCollection(path, lazy=True) as collection:
        for i, font in enumerate(collection.fonts):
            if font["name"].getDebugName(1) == family:
                return i
    return 0


def subset(text: str) -> Font | None:
    """The machine's Chinese font cut to the characters of `text` (and ASCII), or None."""
    found = find()
    if found is None:
        return None
    family, path, index = found
    from fontTools import subset as ftsubset
    from fontTools.ttLib import TTFont

    options = ftsubset.Options()
    options.layout_features = ["kern", "liga", "vert"]
    options.hinting = False
    options.notdef_outline = True
    options.name_IDs = [1, 2]  # the family and style names, no more
    font = TTFont(path, fontNumber=index, lazy=True)
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(text="".join(sorted(set(text) | set(ASCII))))
    subsetter.subset(font)
    cff = "CFF " in font or "CFF2" in font
    out = io.BytesIO()
    font.save(out)
    font.close()
    return Font(family, out.getvalue(), "font/otf" if cff else "font/ttf")
