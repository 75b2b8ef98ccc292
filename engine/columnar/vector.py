"""Small whole-column helpers the reader, the steps and the records share.

- `distinct`: np.unique(x, return_inverse=True) for small non-negative integers,
  by a table of the values present (no sort: the reader's (type, items) pairs,
  the records' cycles and actions);
- `json_strings`: texts as JSON strings, byte for byte `json_text`'s, made by
  Arrow a column at a time (a code, an id: a million of them in a report);
- `different`: how many different texts a column holds (hashed by NumPy when long).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def distinct(x: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of x (0 <= x < size) in order, and each one's index among
    them: by a table of `size` flags while that is small beside x, else np.unique."""
    if size > 4 * len(x) + 4096:
        values, inverse = np.unique(x, return_inverse=True)
        return values, inverse.reshape(-1)
    seen = np.zeros(size, bool)
    seen[x] = True
    rank = np.cumsum(seen) - 1
    return np.flatnonzero(seen), rank[x]


def json_strings(texts: Any) -> Any:
    """An Arrow array of texts as JSON strings, as `json_text` (outcome.py) writes
    each: quoted, with `"`, `\\` and the control characters escaped (other
    characters as they are: `ensure_ascii=False`). Most texts need no escape and
    are quoted by Arrow; the few that do are written by `json_text` itself."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from engine.evaluation.outcome import json_text

    quoted = pc.binary_join_element_wise('"', texts, '"', "")
    escape = pc.match_substring_regex(texts, r'["\\\x00-\x1f]')
    if not pc.any(escape).as_py():
        return quoted
    rows = np.flatnonzero(escape.to_numpy(zero_copy_only=False))
    return replaced(quoted, rows, [json_text(t) for t in texts.take(pa.array(rows)).to_pylist()])


def replaced(texts: Any, rows: np.ndarray, values: list[str]) -> Any:
    """An Arrow array of texts with those at `rows` replaced by `values`."""
    import pyarrow as pa

    if not len(rows):
        return texts
    both = pa.concat_arrays([texts, pa.array(values, texts.type)])
    pick = np.arange(len(texts))
    pick[rows] = len(texts) + np.arange(len(rows))
    return both.take(pa.array(pick))


LONG = 50_000  # rows past which `different` sorts short texts as numbers


def different(c: Any) -> int:
    """How many different texts a column holds.

    Arrow's dictionary encoding, except in a long column (past LONG rows): there
    Arrow's hash table is slow when most texts differ (3.6 s of CPU for a 10M-row
    ledger's ids, 0.12 s for 1M), while a text of at most 8 bytes is a 64-bit
    number (0.86 s and 0.027 s). Texts are
    taken a width at a time (texts of two widths differ); those of a width up to 8
    are sorted as numbers by NumPy, equal neighbours being repeats; longer ones are
    left to Arrow."""
    import pyarrow as pa

    if isinstance(c, pa.ChunkedArray):
        c = c.combine_chunks()
    n = len(c)
    data = c.buffers()[2] if pa.types.is_string(c.type) and not c.null_count else None
    if n <= LONG or data is None:
        return len(c.dictionary_encode().dictionary)
    offsets = np.frombuffer(c.buffers()[1], np.int32, n + 1, c.offset * 4)
    size = np.diff(offsets)
    data = np.frombuffer(data, np.uint8)
    count = 0
    for width in range(int(size.min()), int(size.max()) + 1):
        rows = np.flatnonzero(size == width)
        if not len(rows):
            continue
        if width == 0:
            count += 1
        elif width > 8:
            count += len(c.take(pa.array(rows)).dictionary_encode().dictionary)
        else:
            # each text's bytes, a row of a sliding window over the column's bytes
            cells = np.lib.stride_tricks.sliding_window_view(data, width)[offsets[rows]]
            if width < 8:
                words = np.zeros((len(rows), 8), np.uint8)
                words[:, :width] = cells
                cells = words
            keys = cells.view(np.uint64).reshape(len(rows))
            keys.sort()
            count += len(rows) - int(np.count_nonzero(keys[1:] == keys[:-1]))
    return count
