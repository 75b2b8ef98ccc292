"""Why the columnar steps are NumPy: its segmented running sums against DuckDB window
functions, on the same 1M rows (sorted by person and date, capped yearly totals).

Usage: python bench/columnar_engines.py  (prints CPU seconds, three rounds interleaved)
"""

import time

import duckdb
import numpy as np
import pyarrow as pa

rng = np.random.default_rng(1)
n = 1_000_000
pid = np.sort(rng.integers(0, 200_000, n)).astype(np.int32)
day = rng.integers(738000, 739095, n).astype(np.int32)
o = np.lexsort((day, pid))
pid, day = pid[o], day[o]
pts = rng.choice([1, 3, 6, 12], n, p=[0.8, 0.15, 0.038, 0.012]).astype(np.int64)
cyc = ((day - 738000) // 365).astype(np.int32)


def numpy_way():
    t = time.process_time()
    first = np.ones(n, bool)
    first[1:] = (pid[1:] != pid[:-1]) | (cyc[1:] != cyc[:-1])
    c = np.cumsum(pts)
    base = np.where(first, c - pts, 0)
    np.minimum(c - np.maximum.accumulate(base), 12)
    return time.process_time() - t


def duck_way():
    con = duckdb.connect()
    con.register("tb", pa.table({"pid": pid, "day": day, "cyc": cyc, "pts": pts}))
    t = time.process_time()
    con.sql(
        "select least(12, sum(pts) over (partition by pid, cyc order by day"
        " rows unbounded preceding)) from tb"
    ).to_arrow_table()
    return time.process_time() - t


for name, f in (("numpy", numpy_way), ("duckdb", duck_way)) * 3:
    print(name, round(f(), 3))
