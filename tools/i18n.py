"""Keep the message catalogues in step with the code (a developer's tool; needs Babel).

    python tools/i18n.py           extract, update every .po, compile every .mo
    python tools/i18n.py --check   say what is stale and exit 1, changing nothing

Extraction reads `_()`, `N_()` and `ngettext()` calls in engine/**.py (babel.cfg says
the same for `pybabel`). The files are written without source locations, sorted by
message and with fixed header dates, so that two lanes adding messages rarely touch
the same lines (and .gitattributes merges .po files by union). Messages the code no
longer uses are dropped. A new message arrives in zh_CN/policyctl.po with an empty
msgstr: fill it in and run this again (tests/test_i18n.py fails until you do).
"""

from __future__ import annotations

import datetime as dt
import gettext
import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "engine" / "i18n"
TEMPLATE = PACKAGE / "policyctl.pot"
LOCALES = {"zh_CN": "zh_CN", "en": "en"}
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# fixed, so that regenerating a catalogue changes only its messages
EPOCH = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


HEADER = """\
# Messages of policyctl, {language}. Maintained with tools/i18n.py (docs/i18n.md).
# This file is distributed under the same license as the policyctl project (MIT).
#"""


def _catalogue_bytes(catalog: Catalog) -> bytes:
    buf = io.BytesIO()
    write_po(buf, catalog, omit_header=False, no_location=True, sort_output=True, width=100)
    # Babel names its own version in the header: not a fact about the catalogue
    lines = buf.getvalue().split(b"\n")
    return b"\n".join(line for line in lines if not line.startswith(b'"Generated-By:'))


def _mo_bytes(po: bytes, locale: str) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, read_po(io.BytesIO(po), locale=locale), use_fuzzy=False)
    return buf.getvalue()


def _messages(mo: bytes) -> dict:
    """What a compiled catalogue says (compared, not its bytes, which may vary with Babel)."""
    return dict(gettext.GNUTranslations(io.BytesIO(mo))._catalog)  # noqa: SLF001


def _read(path: Path, locale: str) -> Catalog:
    """A .po file, mended first where a union merge (.gitattributes) joined two entries
    without the blank line between them."""
    lines = path.read_text("utf-8").split("\n")
    mended: list[str] = []
    for line in lines:
        starts_entry = line.startswith(("#", "msgid ")) and not line.startswith("#~")
        if starts_entry and mended and mended[-1].startswith(("msgstr", '"')):
            mended.append("")
        mended.append(line)
    return read_po(io.BytesIO("\n".join(mended).encode("utf-8")), locale=locale)


def template() -> Catalog:
    """Every message the code marks, from engine/**.py."""
    cat = Catalog(
        project="policyctl",
        header_comment=HEADER.format(language="template"),
        version="",
        creation_date=EPOCH,
        revision_date=EPOCH,
        msgid_bugs_address="",
        fuzzy=False,
    )
    method_map = [("engine/**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        cat.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return cat


def expected() -> dict[Path, bytes]:
    """Each catalogue file as it should be, given the code and the translations so far."""
    tmpl = template()
    out: dict[Path, bytes] = {TEMPLATE: _catalogue_bytes(tmpl)}
    for locale in LOCALES.values():
        po = PACKAGE / "locale" / locale / "LC_MESSAGES" / "policyctl.po"
        if po.exists():
            cat = _read(po, locale)
        else:
            cat = Catalog(locale=locale, project="policyctl", fuzzy=False)
        cat.update(tmpl, no_fuzzy_matching=True)
        cat.obsolete.clear()
        cat.creation_date = EPOCH
        cat.revision_date = EPOCH
        cat.fuzzy = False
        cat.project = "policyctl"
        cat.version = ""
        cat.msgid_bugs_address = ""
        cat.last_translator = "policyctl developers"
        cat.language_team = "policyctl developers"
        cat.header_comment = HEADER.format(language=locale)
        out[po] = _catalogue_bytes(cat)
        # compile what the updated .po will hold (not the stale one on disk)
        out[po.with_suffix(".mo")] = _mo_bytes(out[po], locale)
    return out


def _current(path: Path, data: bytes) -> bool:
    if not path.exists():
        return False
    if path.suffix == ".mo":
        return _messages(path.read_bytes()) == _messages(data)
    return path.read_bytes() == data


def stale() -> list[Path]:
    """Catalogue files that differ from what the code and translations make."""
    return [p for p, data in expected().items() if not _current(p, data)]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for p in bad:
            print(f"{p.relative_to(ROOT)}: stale (run python tools/i18n.py)", file=sys.stderr)
        return 1 if bad else 0
    for path, data in expected().items():
        if not _current(path, data):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
