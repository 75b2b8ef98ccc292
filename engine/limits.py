"""The sizes policyctl reads at most, in one place (docs/ledger.md, "Limits").

Every input is untrusted: a policy, a code map, a regulation's source text or a
test file is read only up to `MAX_TEXT_BYTES` and `MAX_LINE_CHARS` per line,
and its numbers to `MAX_NUMBER_DIGITS` digits;
a ledger read whole (standard input, a pipe, JSON Lines, a workbook) only up
to `MAX_LEDGER_BYTES` (a workbook's sheet to `MAX_XLSX_ROWS` rows and
`MAX_XLSX_CELLS` cells, counted before it is loaded), and a CSV ledger
(streamed) one line of at most `MAX_LEDGER_LINE` characters at a time. Larger
input is refused with a message saying which limit it passed, never a MemoryError.
"""

from __future__ import annotations

from engine.i18n import _

MAX_TEXT_BYTES = 16 * 1024 * 1024  # a policy, code map, source text or test file
MAX_LINE_CHARS = 100_000  # one line of such a file
MAX_LEDGER_BYTES = 2 * 1024 * 1024 * 1024  # a ledger file read whole
MAX_LEDGER_LINE = 1024 * 1024  # characters in one line of a CSV ledger
# Digits of one number a policy, code map or test file writes (YAML or an expression),
# and of a ledger's `amount` or `points`. Python refuses to print an int past 4,300
# digits, so a longer one would pass `validate` and fail in the output; 30 digits
# (10^30 yuan or points) is far past any regulation's numbers.
MAX_NUMBER_DIGITS = 30
# An .xlsx sheet: calamine builds a sheet's whole used range in memory before the
# first row is read (a slot of about 32 bytes per cell, empty ones included), so the
# sheet's size is counted from its XML first (engine/ledger/workbook.py). Excel itself
# writes at most 1,048,576 rows a sheet; 20 million cells is about 640 MB in calamine.
# The cells are checked when a column past Z is seen: 26 columns are bounded by the rows.
MAX_XLSX_ROWS = 1_048_576
MAX_XLSX_CELLS = 20_000_000


def size_text(n: int) -> str:
    """A limit in bytes as a person reads it: `16 MiB`, `2 GiB`."""
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n:,} bytes"


class TooLarge(ValueError):
    """A file past MAX_TEXT_BYTES, or with a line past MAX_LINE_CHARS."""


def read_text_file(path) -> bytes:
    """A policy, code map, source text or test file's bytes, read at most to the limit
    (so `/dev/zero` or a 4 GB file costs one read, not the memory): raises OSError
    (unreadable: a folder, `/proc/self/mem`) or TooLarge."""
    with open(path, "rb") as f:
        raw = f.read(MAX_TEXT_BYTES + 1)
    if len(raw) > MAX_TEXT_BYTES:
        raise TooLarge(_("larger than {limit}").format(limit=size_text(MAX_TEXT_BYTES)))
    if len(raw) > MAX_LINE_CHARS and max(map(len, raw.split(b"\n"))) > MAX_LINE_CHARS * 4:
        raise TooLarge(_("a line longer than {limit:,} characters").format(limit=MAX_LINE_CHARS))
    return raw
