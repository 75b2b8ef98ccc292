"""Stage "columnar": the fold's answers for most people, computed a column at a time.

The fold (engine/evaluation/fold.py) walks each person's events one by one in
Python. Most people's histories need nothing of that walk: findings only, points
that add up within a cycle, bands entered as the total grows. For them the
totals with `combine`, the band each step enters and whether it fires are whole
column operations over the ledger (NumPy, over columns read by Arrow); only the
steps that fire a band go through the fold's own sanction code, one call each.

Everyone whose history this plan cannot decide exactly goes to the fold itself
(re-applications, credits, institution events and their staff, items with effects
of their own, rules that can hold, points that are not whole numbers, ...). The
split is decided by the data, in columns (`steps.compute`'s `route` mask; a policy the
plan cannot take at all is `plan._refusal`'s: docs/architecture.md says where a new
reason goes), and the two are merged
back in person order: `ColumnarEvaluator` is an `Evaluator` whose people are
either folded or assembled from the columns, and everything after the fold
(finishing a person, facts, the next band, the reports) is the fold's own code.

Modules:

- plan.py: what a policy compiles to (points per item list, the bands' table,
  the rules' vector form), or why the whole policy goes to the fold;
- columns.py: a ledger's events as columns (from the row reader's events, or
  read straight from CSV and Parquet by read.py);
- read.py: CSV and Parquet read into columns with Arrow, checked by vector
  operations; a file with any problem is handed to the row reader, which names
  each problem as it always has;
- steps.py: the vector work: one row per person and date (the same-day step),
  totals per cycle, bands and the steps that fire, and who must be routed;
- sanctions.py: the planned people's sanctions as columns, a round per fired step
  (suspensions, their replacement, terminations, bans, restorations, status and
  `reapply_from` on the as-of date), for the policies and people it takes;
- text.py: a planned person's JSON record written from those columns;
- evaluator.py: `ColumnarEvaluator`, the merge of both paths (a JSON report's
  runs of people written by `json_run`: the planned people's records from text.py,
  everyone else's by the fold's code, joined in code order by Arrow);
- vector.py: small whole-column helpers (distinct small integers without a sort,
  JSON strings of a column of texts, how many different texts a column holds);
- memory.py: freed memory handed back to the system as the run goes (glibc's mmap
  threshold, Arrow's pool), so that the peak is what the run holds.
"""

from __future__ import annotations

ENGINES = ("auto", "columnar", "fold")
