"""Diagnostics and the error hierarchy.

Every problem a user can cause — a YAML structure error, an expression that does
not parse or type-check, a ledger row with a bad date — becomes a `Diagnostic`
with a stable code, a message and a `Span` pointing into the file. Loading and
checking collect every diagnostic they find and raise them together, so a user
fixes a file in one pass; the CLI renders each as one line
`file:line:col: error[code]: message` and exits non-zero. No raw Python
exception is meant to reach a user.
"""

from __future__ import annotations

import difflib
import errno
from collections.abc import Iterable
from dataclasses import dataclass

from engine.i18n import N_, _, language


@dataclass(frozen=True, slots=True)
class Span:
    """A place in a file: 1-based line and column (column 0 = whole line)."""

    file: str
    line: int = 0
    column: int = 0

    def shifted(self, columns: int) -> Span:
        """The span `columns` characters further along the same line."""
        return Span(self.file, self.line, self.column + columns if self.column else 0)

    def __str__(self) -> str:
        if not self.line:
            return self.file
        if not self.column:
            return f"{self.file}:{self.line}"
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem: a stable `code`, a lowercase message, where, and a hint.

    The message and hint are in the language chosen when the diagnostic was made
    (engine.i18n); the code and the `error[code]` shape are the same in every
    language, for scripts that read them."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: str = "error"

    def render(self) -> str:
        where = f"{self.span}: " if self.span else ""
        text = f"{where}{self.severity}[{self.code}]: {self.message}"
        if self.hint:
            text += _(" (hint: {hint})").format(hint=self.hint)
        return text

    def as_dict(self) -> dict:
        d: dict = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.span:
            d.update(file=self.span.file, line=self.span.line, column=self.span.column)
        if self.hint:
            d["hint"] = self.hint
        return d


class PolicyctlError(Exception):
    """Base of every error policyctl raises on purpose; carries diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic] | Diagnostic):
        if isinstance(diagnostics, Diagnostic):
            diagnostics = [diagnostics]
        self.diagnostics: list[Diagnostic] = list(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))

    @property
    def first(self) -> Diagnostic:
        return self.diagnostics[0]


class PolicyError(PolicyctlError):
    """The policy file is invalid (structure, expressions, model, provenance)."""


class ExprError(PolicyError):
    """An expression does not parse or does not check."""


class LedgerError(PolicyctlError):
    """An events or roster file is invalid."""


class EvaluationError(PolicyctlError):
    """A well-formed input still cannot be evaluated (e.g. a value out of range)."""


class UsageError(PolicyctlError, ValueError):
    """An API call or command line asks for something that does not exist (a report
    format, say): what the CLI reports as a usage error, exit 2."""


# What a compiled expression can raise on a bad value (a missing amount compared, a
# division by zero, an index past a list's end, a date out of range): every place that
# runs one turns these into an EvaluationError or a diagnostic with a position.
EVAL_ERRORS = (TypeError, ValueError, ArithmeticError, LookupError)


class BadValue(Exception):
    """A value met while folding one event that the policy cannot take: an expression
    that fails on the event's values (`Expr.__call__`), an item whose computed points
    are off the scale, a decided length outside its range.

    Raised where the value is met, with a message saying what is wrong with it; the
    fold turns it into an EvaluationError at the event's file and line. It is the only
    exception the fold reports as a problem of the input: a TypeError or LookupError
    from the engine's own code is a bug and surfaces as one (the CLI exits 70 and asks
    for a report), never as a ledger line.
    """


class Refusal(Exception):
    """Raised by the expression function `refuse("...")`: the policy refuses the row,
    with a message of its own. Not among EVAL_ERRORS, so no expression wrapper turns it
    into a BadValue: evaluation/scoring.py catches it where the item is priced and
    reports it with the item's article, for every such row (`error[refused]`)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def closest(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The choice a user most likely meant by `word`, for every "did you mean" hint:
    the closest by difflib's ratio (at least `cutoff`), else one that differs only in
    case."""
    choices = sorted(choices)
    found = difflib.get_close_matches(word, choices, n=1, cutoff=cutoff)
    if not found:
        found = [c for c in choices if c.upper() == word.upper()][:1]
    return found[0] if found else None


# The operating system's reasons, by errno name, in the reader's language. The msgids
# are the C library's own words (lower case), so English reads as before; the OS's
# `strerror` itself is English (or the system's language) whatever --lang says.
_OS_REASONS = {
    "EACCES": N_("permission denied"),
    "EPERM": N_("operation not permitted"),
    "ENOENT": N_("no such file or directory"),
    "ENOSPC": N_("no space left on device"),
    "EDQUOT": N_("disk quota exceeded"),
    "EROFS": N_("read-only file system"),
    "EISDIR": N_("is a directory"),
    "ENOTDIR": N_("not a directory"),
    "EIO": N_("input/output error"),
    "EPIPE": N_("broken pipe"),
    "ENAMETOOLONG": N_("file name too long"),
    "ELOOP": N_("too many levels of symbolic links"),
    "EMFILE": N_("too many open files"),
    "ENFILE": N_("too many open files in system"),
    "EFBIG": N_("file too large"),
    "EBUSY": N_("device or resource busy"),
    "ETXTBSY": N_("text file busy"),
    "EEXIST": N_("file exists"),
    "EINVAL": N_("invalid argument"),
    "ENXIO": N_("no such device or address"),
    "ENODEV": N_("no such device"),
    "EAGAIN": N_("resource temporarily unavailable"),
    "ENOMEM": N_("cannot allocate memory"),
    "ESTALE": N_("stale file handle"),
    "EBADF": N_("bad file descriptor"),
    "ETIMEDOUT": N_("connection timed out"),
    "ECONNRESET": N_("connection reset by peer"),
    "ECONNREFUSED": N_("connection refused"),
}


def os_reason(exc: BaseException) -> str:
    """Why an operating-system call failed, in the reader's language: `permission
    denied` / `权限不足`. An errno not in the table is said by its name (`ENOLINK`)
    outside English, whose reader gets the system's own words."""
    number = getattr(exc, "errno", None)
    name = errno.errorcode.get(number, "") if isinstance(number, int) else ""
    if name in _OS_REASONS:
        return _(_OS_REASONS[name])
    strerror = getattr(exc, "strerror", None)
    if language() == "en" and strerror:
        return str(strerror).lower()
    if name:
        return _("system error `{code}`").format(code=name)
    return _("system error `{code}`").format(code=type(exc).__name__)
