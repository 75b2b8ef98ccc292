"""Where a report goes: the rules for `-o PATH` (docs/ledger.md, "Output files").

A report file must never be left half-written nor replace what the user did not
mean to replace. So a regular file (or a new one) is written to a temporary
name in its folder and renamed over it only when complete; a symlink is followed
to its target (its folder gets the temporary); and anything that is not a
regular file — a character device such as /dev/full or a terminal, a FIFO, a
`/proc/self/fd/N`, every path under /dev and /proc — is written through, never
replaced by a file. Targets that cannot be written are refused before anything
is: a folder, a file without write permission (even for root), a missing or
read-only folder, an empty path.

Temporaries are named `.NAME.XXXXXXXX.policyctl-tmp`. They are removed when the
write fails, on Ctrl-C, and on SIGTERM and SIGHUP where the platform has them;
a run killed outright (kill -9, a power cut) leaves one, which the next write
to the same target removes once it has not changed for `STALE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import io
import os
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import Diagnostic, PolicyctlError, os_reason
from engine.i18n import _

TEMP_SUFFIX = ".policyctl-tmp"
STALE_SECONDS = 600  # a temporary not written to for this long belongs to a dead run
_THROUGH_PREFIXES = ("/dev/", "/proc/")


class OutputError(PolicyctlError):
    """A report cannot be written where it was asked to go."""


def output_error(path: str, reason: str, hint: str | None = None) -> OutputError:
    message = (
        _("cannot write standard output: {reason}").format(reason=reason)
        if path == "-"
        else _("cannot write {where}: {reason}").format(where=f"`{path}`", reason=reason)
    )
    return OutputError(Diagnostic("output", message, hint=hint))


def reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and (exc.strerror or exc.errno):
        return os_reason(exc)
    if isinstance(exc, UnicodeEncodeError):  # a ValueError, but no closed file
        return _("`{char}` cannot be written in {encoding}").format(
            char=exc.object[exc.start : exc.start + 1], encoding=exc.encoding
        )
    if isinstance(exc, ValueError):  # "I/O operation on closed file"
        return _("it is closed")
    return str(exc).lower() or type(exc).__name__


@dataclass(frozen=True)
class Plan:
    target: Path  # the file to replace (a symlink's target), when not `through`
    through: bool  # write straight into it: not a regular file


def failure(path: str, exc: BaseException) -> OutputError:
    """The OutputError for `exc` raised while writing `path`; a character the chosen
    --output-encoding lacks says which encodings have it."""
    hint = None
    if isinstance(exc, UnicodeEncodeError):
        hint = _("choose an --output-encoding that has it, such as utf-8 or gb18030")
    return output_error(path, reason(exc), hint)


def output_plan(output: str) -> Plan:
    """How to write to `output`, or the OutputError that says why not."""
    if not output.strip():
        raise output_error(output, _("the path is empty"), _("give a file name, or - for stdout"))
    if output.startswith(_THROUGH_PREFIXES) and not output.startswith("/dev/shm/"):
        return Plan(Path(output), True)
    try:
        st = os.stat(output)  # follows a symlink
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise output_error(output, reason(exc)) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise output_error(output, _("it is a folder"), _("give a file name inside it"))
        if not stat.S_ISREG(st.st_mode):
            return Plan(Path(output), True)  # a device, a FIFO, a socket: written through
        if not st.st_mode & 0o222:
            raise output_error(
                output,
                _("it is read-only"),
                _("make it writable (chmod u+w), or write elsewhere"),
            )
    target = Path(os.path.realpath(output))
    folder = target.parent
    if not folder.is_dir():
        raise output_error(
            output,
            _("folder `{folder}` does not exist").format(folder=folder),
            _("create it first"),
        )
    if not os.access(folder, os.W_OK):
        raise output_error(output, _("folder `{folder}` is read-only").format(folder=folder))
    return Plan(target, False)


def remove_stale_temporaries(target: Path) -> None:
    """Remove temporaries of earlier runs writing `target` that died (kill -9): those
    not written to for STALE_SECONDS."""
    now = time.time()
    with contextlib.suppress(OSError):
        for old in target.parent.glob(f".{_glob_escape(target.name)}.*{TEMP_SUFFIX}"):
            with contextlib.suppress(OSError):
                if now - old.stat().st_mtime > STALE_SECONDS:
                    old.unlink()


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[]" else c for c in name)


@contextlib.contextmanager
def removed_on_signal(tmp: str):
    """While writing `tmp`: SIGTERM and SIGHUP (where the platform has them) end the
    run as Ctrl-C does, so the writer's cleanup removes the temporary. Only the main
    thread can set handlers; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kinds = [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {}

    def stop(signum, frame):
        raise KeyboardInterrupt

    for kind in kinds:
        with contextlib.suppress(OSError, ValueError):
            previous[kind] = signal.signal(kind, stop)
    try:
        yield
    finally:
        for kind, handler in previous.items():
            with contextlib.suppress(OSError, ValueError, TypeError):
                signal.signal(kind, handler)


def mode_of(target: Path) -> int:
    """The permissions a report written to `target` should have: those of the file
    it replaces, else what the umask leaves of rw-rw-rw-."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


class _Unfailing(io.RawIOBase):
    """The bytes of standard error, dropped once it cannot take them (closed, full)."""

    def __init__(self, stream):
        self._stream = stream
        self.failed = False

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        try:
            return self._stream.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return self._stream.fileno()

    def write(self, b) -> int:
        if not self.failed:
            try:
                self._stream.write(b)
                self._stream.flush()
            except (OSError, ValueError):
                self.failed = True
        return len(b)


def steady_stderr() -> None:
    """Make standard error a stream whose writes cannot fail (console script only).

    Why: messages are the only thing written there, and a reader that went away
    (`2>` a closed pipe, `/dev/full`) must not turn a finished run, or a clean
    error, into a crash: the messages are then lost, and the exit status still
    says what happened (0, 1, 2 or 70). A descriptor closed at start (`2>&-`)
    leaves `sys.stderr` None, which click already treats as nowhere to write.
    """
    err = sys.stderr
    buffer = getattr(err, "buffer", None)
    if err is None or buffer is None or isinstance(getattr(buffer, "raw", None), _Unfailing):
        return
    sys.stderr = io.TextIOWrapper(
        io.BufferedWriter(_Unfailing(buffer)),
        encoding=err.encoding,
        errors=err.errors or "backslashreplace",
        line_buffering=True,
    )


def write_files(outputs: Iterable[tuple[Iterable[str], str]], encoding: str | None = None) -> None:
    """Each `(chunks, path)` of `outputs` written as the module's docstring says, all
    or none: every regular file goes to its temporary first, and only when the last
    is complete are they renamed over their targets. A report and the files beside it
    (`people.csv`, `people.institutions.csv`) so never disagree: a failure on the
    second leaves the first as it was. `outputs` is read lazily, one pair after the
    previous pair's chunks are written, so a pair may depend on what the chunks
    before it computed. Anything written through (a device, a FIFO) cannot be taken
    back. Problems raise OutputError; a broken pipe passes (cli.py says why)."""
    staged: list[tuple[str, Path]] = []  # (temporary, target)
    with removed_on_signal(""):
        try:
            for chunks, output in outputs:
                _stage(chunks, output, encoding, staged)
            for tmp, target in staged:
                try:
                    os.replace(tmp, target)
                except OSError as exc:  # (on Windows: the target open in another program)
                    raise failure(str(target), exc) from None
            staged.clear()
        finally:
            for tmp, _target in staged:
                with contextlib.suppress(OSError):
                    Path(tmp).unlink()


def _stage(chunks: Iterable[str], output: str, encoding: str | None, staged: list) -> None:
    plan = output_plan(output)
    if plan.through:
        try:
            with open(output, "w", encoding=encoding or "utf-8", newline="") as f:
                _put(chunks, f)
        except BrokenPipeError:  # `-o /dev/stdout | head`, a FIFO whose reader left
            raise
        except (OSError, UnicodeEncodeError) as exc:
            raise failure(output, exc) from None
        return
    target = plan.target
    remove_stale_temporaries(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise output_error(output, reason(exc)) from None
    staged.append((tmp, target))  # (removed by write_files unless renamed)
    try:
        f = os.fdopen(fd, "w", encoding=encoding or "utf-8", newline="")
    except BaseException:
        os.close(fd)
        raise
    try:
        with f:  # the descriptor closed whatever fails below (a refused chmod too)
            # mkstemp makes the file readable by its owner only; the report gets the
            # mode any new file would (or keeps the one it replaces)
            os.chmod(tmp, mode_of(target))
            _put(chunks, f)
    except (OSError, UnicodeEncodeError) as exc:
        raise failure(output, exc) from None


def _put(chunks: Iterable[str], f) -> None:
    for c in chunks:
        f.write(c)
    f.flush()
