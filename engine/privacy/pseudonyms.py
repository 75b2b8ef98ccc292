"""Stable pseudonyms for the codes that identify a person: a keyed hash, never a lookup.

`--redact` replaces, in every output format, each practitioner code by
`P-` and twelve base32 characters of HMAC-SHA256(key, "person" + code); each
event id (a case number, which a published decision can tie to a name) by
`E-...`; and, when the operator also asks (`--redact-institutions`: a
one-doctor clinic identifies its doctor), each institution code by `H-...`.

Why a keyed hash: the same code gives the same pseudonym in every run and
every format made with the same key, so two redacted reports can be joined
and a person followed from year to year; without the key a pseudonym cannot
be recomputed from a guessed code (a plain hash of a six-digit code is undone
by trying the million codes). The key is the "additional information" of PIPL
art. 73(3): with it the operator can link a pseudonym back to the person
(`policyctl pseudonym`), so a redacted file is de-identified, not anonymous,
and is still personal information under the law.

Why the kinds are hashed apart ("person", "event", "institution" go into the
hash): a string that is both a person's code and an institution's gets two
pseudonyms, so one cannot be matched with the other.

Sixty bits a pseudonym: two codes of a province's ten million would share one
with a chance of about 4 in 100,000; should it happen, the run stops with an
error (`redact-collision`) rather than merging two people.

The key comes from a file (`--redact-key-file`) or the environment
(`POLICYCTL_REDACT_KEY`), never from the command line, where other users of
the machine and the shell's history would see it. It must be at least 16
bytes; it is never written, logged or echoed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path

from engine.errors import Diagnostic, PolicyctlError, os_reason
from engine.i18n import _

KEY_ENV = "POLICYCTL_REDACT_KEY"
MIN_KEY_BYTES = 16
LENGTH = 12  # base32 characters: 60 bits

# kind -> the pseudonym's prefix
PREFIXES = {"person": "P-", "event": "E-", "institution": "H-"}


class KeyProblem(PolicyctlError):
    """No key, or one that cannot be used (the CLI reports it as a usage error)."""


def _problem(message: str, hint: str) -> KeyProblem:
    return KeyProblem(Diagnostic("redact-key", message, None, hint))


def _key_hint() -> str:
    return _(
        'make one with `python -c "import secrets; print(secrets.token_hex(32))" > key.txt`, '
        "keep it apart from the reports, and give it with --redact-key-file key.txt or {env}"
    ).format(env=KEY_ENV)


def load_key(path: str | None = None, environ: dict | None = None) -> bytes:
    """The redaction key: the file's bytes (surrounding white space removed), else
    POLICYCTL_REDACT_KEY's; raises KeyProblem when neither gives 16 bytes or more."""
    env = os.environ if environ is None else environ
    if path is not None:
        try:
            key = Path(path).read_bytes().strip()
        except OSError as exc:
            raise _problem(
                _("cannot read the redaction key file {path}: {reason}").format(
                    path=path, reason=os_reason(exc)
                ),
                _key_hint(),
            ) from None
        where = path
    else:
        text = env.get(KEY_ENV)
        if not text:
            raise _problem(
                _("--redact needs a key: --redact-key-file FILE, or {env} set").format(env=KEY_ENV),
                _key_hint(),
            )
        key = text.strip().encode("utf-8")
        where = KEY_ENV
    if len(key) < MIN_KEY_BYTES:
        raise _problem(
            _("the redaction key in {where} is {n} bytes; it needs at least {min}").format(
                where=where, n=len(key), min=MIN_KEY_BYTES
            ),
            _key_hint(),
        )
    return key


class Pseudonyms:
    """The pseudonym of each code, computed once and remembered.

    `institutions`: whether institution codes are replaced too (else they are
    given back as they are). Every pseudonym handed out is checked against the
    ones before it, so two codes can never silently become one person.
    """

    def __init__(self, key: bytes, institutions: bool = False):
        if len(key) < MIN_KEY_BYTES:
            raise _problem(
                _("the redaction key is {n} bytes; it needs at least {min}").format(
                    n=len(key), min=MIN_KEY_BYTES
                ),
                _key_hint(),
            )
        self._mac = hmac.new(key, digestmod=hashlib.sha256)
        self.institutions = institutions
        self._seen: dict[str, dict[str, str]] = {kind: {} for kind in PREFIXES}
        self._owner: dict[str, str] = {}  # pseudonym -> the code it was made from

    def _make(self, kind: str, code: str) -> str:
        seen = self._seen[kind]
        made = seen.get(code)
        if made is not None:
            return made
        mac = self._mac.copy()
        mac.update(kind.encode("ascii") + b"\x1f" + code.encode("utf-8"))
        text = base64.b32encode(mac.digest()).decode("ascii")[:LENGTH]
        made = PREFIXES[kind] + text
        owner = self._owner.setdefault(made, code)
        if owner != code:
            raise PolicyctlError(
                Diagnostic(
                    "redact-collision",
                    _("two different codes have the same pseudonym {pseudonym}").format(
                        pseudonym=made
                    ),
                    None,
                    _("redact with another key"),
                )
            )
        seen[code] = made
        return made

    def person(self, code: str) -> str:
        """A practitioner code's pseudonym (an empty code stays empty)."""
        return self._make("person", code) if code else code

    def event(self, event_id: str) -> str:
        """An event id's pseudonym."""
        return self._make("event", event_id) if event_id else event_id

    def institution(self, code: str | None) -> str | None:
        """An institution code's pseudonym, when institutions are redacted; else the code."""
        if not code or not self.institutions:
            return code
        return self._make("institution", code)


def pseudonyms(
    key_file: str | None = None, institutions: bool = False, environ: dict | None = None
) -> Pseudonyms:
    """The pseudonyms made with the operator's key (a file, else POLICYCTL_REDACT_KEY)."""
    return Pseudonyms(load_key(key_file, environ), institutions)
