"""Memory the columnar run has let go of, handed back to the operating system.

Why: the vector work makes and drops arrays of a row per event (a few MB each on
a million events), and a process's peak memory counts what it holds, freed or
not. Two allocators keep freed memory:

- glibc's malloc (NumPy's arrays): a block over the mmap threshold gets a mapping
  of its own, unmapped when freed, but each such free raises the threshold to
  that block's size (up to 32 MB), so that the next arrays of that size come from
  the heap, whose freed pages stay with the process. `settle` fixes the threshold
  (1 MiB), which turns that off: an array of 1 MiB or more is always its own
  mapping, given back when freed.
- Arrow's pool (mimalloc): the CSV reader's and the checks' buffers, once freed,
  stay in the pool until `release`.

Measured on bench/columnar.py's 1M-event ledger (in-process, peak resident memory
per stage): reading and checking the CSV 473 MB, of which 200 MB was freed Arrow
memory that `release` gives back; the steps and the records 547 MB before `settle`,
461 MB after. Neither changes an answer: both only say when memory goes back.
"""

from __future__ import annotations

import ctypes
import sys

_M_MMAP_THRESHOLD = -3  # (glibc's malloc.h)
_settled = False


def settle() -> None:
    """Fix glibc's mmap threshold at 1 MiB (once a process; elsewhere nothing)."""
    global _settled
    if _settled or not sys.platform.startswith("linux"):
        return
    _settled = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 1 << 20)
    except (OSError, AttributeError):  # another C library (musl): its own ways
        pass


def release() -> None:
    """Give Arrow's pool's freed memory back."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
