"""Messages in the reader's language: gettext catalogues under this package.

The first stage: everything a person reads (errors and their hints, stories,
table headings, diff memos, `--help`) is written in the code in English and
passed through `_()` (or `ngettext()` where a count decides the wording); the
catalogue of the chosen language gives it back translated. Catalogues are the
standard GNU gettext ones, maintained with Babel (docs/i18n.md):

    engine/i18n/policyctl.pot                          extracted template
    engine/i18n/locale/zh_CN/LC_MESSAGES/policyctl.po  Chinese, edited by hand
    engine/i18n/locale/en/LC_MESSAGES/policyctl.po     English (the msgids themselves)
    .../policyctl.mo                                   compiled, shipped as package data

Only the standard library's `gettext` reads them at run time, so a plain
`pip install .` needs nothing more; Babel is a developer's and the tests' tool.

What is never translated: diagnostic codes (`error[points]`), JSON keys, CSV
column names that other programs read, and the regulation's own words (item
texts, articles, labels), which are data in the policy, not messages.

Which language: `set_language()` with an explicit choice (`--lang zh|en`),
else `POLICYCTL_LANG`, else Chinese when the locale is Chinese, else English.
The choice is process-wide (the CLI makes it once); a server answering each
request in its caller's language can scope one with `using(lang)`, which holds
in the current thread or task only.

Placeholders are named and filled with `str.format` after translation, so a
translation may move them: `_("unknown item `{code}`").format(code=code)`.
"""

from __future__ import annotations

import contextlib
import contextvars
import gettext
import locale
import os
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

DOMAIN = "policyctl"
LOCALEDIR = Path(__file__).resolve().parent / "locale"

# The languages policyctl speaks, by the name a user gives, and their catalogue.
LANGUAGES = {"zh": "zh_CN", "en": "en"}


class UnknownLanguage(ValueError):
    """A language policyctl has no catalogue for (the CLI turns it into a usage error)."""


def normalize(name: str) -> str:
    """`zh`, `zh_CN`, `zh-CN.UTF-8`, `Chinese (Simplified)_China` -> `zh`; `en_US` -> `en`."""
    n = name.strip().lower().replace("-", "_")
    if n.startswith(("zh", "chinese")):
        return "zh"
    if n.startswith(("en", "english")) or n in ("c", "posix") or n.startswith(("c.", "posix.")):
        return "en"
    raise UnknownLanguage(name)


def language_from_environment(environ: Mapping[str, str] | None = None) -> str:
    """`POLICYCTL_LANG`, else the locale (as gettext reads it: LANGUAGE, LC_ALL,
    LC_MESSAGES, LANG, the first one set), else the system's locale (Windows keeps
    it outside the environment), else English."""
    env = os.environ if environ is None else environ
    chosen = env.get("POLICYCTL_LANG", "").strip()
    if chosen:
        return normalize(chosen)
    for var in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "").strip()
        if value:
            first = value.split(":")[0]
            try:
                return normalize(first)
            except UnknownLanguage:
                return "en"
    if environ is None:
        try:
            system = locale.getlocale()[0]
        except ValueError:
            system = None
        if system:
            with contextlib.suppress(UnknownLanguage):
                return normalize(system)
    return "en"


class _Untranslated(gettext.NullTranslations):
    """The last fallback of a catalogue: gives the English back and, for a language
    other than English, notes the message as missing (tests fail on any)."""

    def __init__(self, lang: str):
        super().__init__()
        self.lang = lang

    def gettext(self, message: str) -> str:
        if self.lang != "en":
            _MISSING.add(message)
        return message

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        if self.lang != "en":
            _MISSING.add(msgid1)
        return msgid1 if n == 1 else msgid2


_MISSING: set[str] = set()


@cache
def catalogue(lang: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (`zh`, `en`), read once."""
    if lang not in LANGUAGES:
        raise UnknownLanguage(lang)
    fallback = _Untranslated(lang)
    try:
        t = gettext.translation(DOMAIN, LOCALEDIR, languages=[LANGUAGES[lang]])
    except OSError:  # no compiled catalogue: English throughout, every message noted
        return fallback
    t.add_fallback(fallback)
    return t


_chosen: str | None = None
_scoped: contextvars.ContextVar[str | None] = contextvars.ContextVar("policyctl_lang", default=None)


def set_language(lang: str | None = None) -> str:
    """Choose the language for the process (None: from the environment); returns it."""
    global _chosen
    _chosen = normalize(lang) if lang else language_from_environment()
    return _chosen


def language() -> str:
    """The language messages are given in now: `zh` or `en`."""
    scoped = _scoped.get()
    if scoped:
        return scoped
    if _chosen is None:
        try:
            return set_language()
        except UnknownLanguage:  # a bad POLICYCTL_LANG: the CLI says so; a library speaks English
            return "en"
    return _chosen


@contextlib.contextmanager
def using(lang: str) -> Iterator[str]:
    """Messages in `lang` inside the block (this thread or task only)."""
    token = _scoped.set(normalize(lang))
    try:
        yield _scoped.get() or lang
    finally:
        _scoped.reset(token)


def _(message: str) -> str:
    """`message` in the chosen language."""
    return catalogue(language()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for `n` of a message in the chosen language (Chinese has one form)."""
    return catalogue(language()).ngettext(singular, plural, n)


def known(text: str) -> str:
    """`text` translated if the catalogue has it, else as it is, noting nothing: for
    data that is sometimes one of our messages (a record's reason, a diff's note) and
    sometimes the policy's own words, which stay as written."""
    lang = language()
    if lang == "en":
        return text
    # the catalogue's own table (GNUTranslations keeps it as `_catalog`), so that a
    # miss falls to no fallback and is not noted as missing
    table = getattr(catalogue(lang), "_catalog", {})
    return table.get(text, text)


def known_n(singular: str, plural: str, n: int) -> str:
    """`known()` for a message with a plural form: translated if the catalogue has
    it, else the English form for `n`, noting nothing."""
    lang = language()
    if lang != "en":
        table = getattr(catalogue(lang), "_catalog", {})
        if (singular, 0) in table:
            return catalogue(lang).ngettext(singular, plural, n)
    return singular if n == 1 else plural


def N_(message: str) -> str:
    """Marks `message` for the catalogue without translating it yet: for text defined
    at import time (option help, table headings) and translated with `_()` when shown."""
    return message


def missing() -> set[str]:
    """Messages asked for in a language whose catalogue lacks them, since the last `forget()`."""
    return set(_MISSING)


def forget() -> None:
    _MISSING.clear()


__all__ = [
    "LANGUAGES",
    "N_",
    "UnknownLanguage",
    "_",
    "catalogue",
    "known",
    "known_n",
    "forget",
    "language",
    "language_from_environment",
    "missing",
    "ngettext",
    "normalize",
    "set_language",
    "using",
]
