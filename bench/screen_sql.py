"""The screen's query against the hand-written one, in one process: CPU and EXPLAIN ANALYZE.

Why this exists: bench/screen.py times whole processes (the ledger's evaluation,
imports, writing the files); what the query itself costs, and where in it, is
seen only by running the SQL the engine generates (`screen/plan.py`) and
bench/handwritten_screen.py's query on the same DuckDB connection, over the same
claims view (`screen/values.py`'s reader, as the engine makes it) and intervals,
and reading DuckDB's own profile of each. The rows are fetched as record batches,
as the engine fetches them.

Usage: python bench/screen_sql.py --data bench/data-screen --lines 30000000
       [--rounds 3] [--explain] [--variants] [--empty-dates K]

(the ledger and claims bench/screen.py made under --data). Prints each query's
CPU seconds (user + system of this process while it ran) per round, and with
--explain DuckDB's EXPLAIN ANALYZE of each, once. --variants adds the screen's
query without its sort, and with the amounts as the file has them (not cast to
DECIMAL before the join): not correct queries, measures of what those two cost.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    import duckdb
    import handwritten_screen  # beside this file

    from engine import api
    from engine.evaluation.intervals import intervals
    from engine.screen import plan, run, values

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=ROOT / "bench/data-screen")
    ap.add_argument("--lines", type=int, default=30_000_000)
    ap.add_argument("--empty-dates", type=int, default=0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--explain", action="store_true")
    ap.add_argument("--variants", action="store_true")
    a = ap.parse_args()
    name = f"claims-{a.lines}" + (f"-undated{a.empty_dates}" if a.empty_dates else "")
    files = sorted(str(f) for f in (a.data / name).glob("*.parquet"))
    ledger = a.data / "ledger"
    policy = api.load_policies(str(ROOT / "policies/jining.yaml"))
    read = api.read_ledger(str(ledger / "events.csv"), policy, str(ledger / "roster.csv"))
    outcome = api.evaluate(policy, read, dt.date(2025, 12, 31))
    found = list(intervals(outcome.people, *api._restoration(policy)))

    con = duckdb.connect(config={"memory_limit": "2GB"})
    con.execute(f"CREATE VIEW claims AS SELECT * FROM {values.source('parquet', files)}")
    tables = run.interval_tables(found)
    for table_name, table in tables.items():
        con.register(table_name, table)
    # the hand-written query's intervals: the same rows, both scopes in one table
    con.execute("CREATE TABLE iv AS SELECT * FROM all_intervals")
    screen = plan.build(policy, null_counts=True).sql("duckdb")
    queries = {"screen": screen, "hand": handwritten_screen.SELECT.format(claims="claims")}
    if a.variants:  # what two of the screen's costs are: its sort, its amounts' type
        queries["screen unsorted"] = screen[: screen.rindex(" ORDER BY")]
        typed = 'CAST("amount" AS DECIMAL(18, 2)) AS "amount"'
        queries["screen, amounts as read"] = screen.replace(typed, '"amount"', 1)
    for r in range(a.rounds):
        for label, sql in queries.items():
            before = cpu()
            rows = sum(b.num_rows for b in values.batches(con.sql(sql), 131_072))
            print(f"round {r + 1} {label}: {rows:,} rows, {cpu() - before:.2f} s CPU")
    if a.explain:
        for label, sql in queries.items():
            print(f"---- {label}")
            for row in con.execute("EXPLAIN ANALYZE " + sql).fetchall():
                print(row[1])


if __name__ == "__main__":
    main()
