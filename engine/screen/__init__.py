"""Stage "screen": a year of claim lines against the sanctions, on an analytical engine.

`policyctl screen` joins claim lines (Parquet or CSV, read by the engine, never
row by row in Python) with the status intervals the normal evaluation gives
(`evaluation/intervals.py`), and runs the policy's `claims:` rules over each
line as SQL compiled from their syntax trees (`dsl/sql.py`) through SQLGlot,
in the DuckDB or the Spark SQL dialect:

- `plan.py`     the one query: typed claim columns, the interval join, the rules
- `engines.py`  DuckDB (one machine) and Spark (local mode or a cluster)
- `judge.py`    the same rules by the closure interpreter, line by line (tests)
- `output.py`   refused and flagged lines, summaries, json|csv|parquet|xlsx
- `run.py`      evaluation -> intervals -> engine -> output
"""
