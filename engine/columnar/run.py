"""Which engine evaluates a ledger: `--engine fold|columnar|auto`.

- `fold`: the per-person fold, every person (the reference).
- `columnar`: the columnar plan for everyone it can decide exactly, the fold for
  the rest (evaluator.py); a policy the plan cannot take at all (`Plan.refused`)
  is folded whole, with the same answers.
- `auto` (the default): `columnar` for a ledger large enough for the vector work
  to pay for its imports (`AUTO_BYTES`), the fold otherwise; the fold too where
  the columnar engine's components (NumPy, Arrow: the `columnar` extra) are not
  installed, with the same answers. `columnar` asked for without them is an
  error naming the install (engine/extras.py).

Either way the fold is what runs where a person's story is asked for
(`--explain`), where the policy is a history of versions (从旧兼从轻 is scored per
finding, evaluation/lenity.py), and where a roster is given (the institutions'
running records are the fold's; docs/architecture.md).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Callable

from engine.columnar import ENGINES
from engine.extras import installed, require

# below this many bytes of events the fold is quicker than importing NumPy and Arrow
AUTO_BYTES = 2_000_000
# ... and below this many events of a ledger already read (about AUTO_BYTES of CSV)
AUTO_EVENTS = 40_000


def wanted(engine: str, events: str, policy, roster: str | None, explain=()) -> bool:
    """Whether to take the columnar path for these inputs."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine}")
    if engine == "fold" or explain or roster is not None:
        return False
    if not hasattr(policy, "tiers"):  # a History: versions chosen per finding
        return False
    if engine == "columnar":
        require("columnar", "--engine columnar")
        return True
    if not installed("columnar"):  # a core install: the fold, the same answers
        return False
    try:
        return os.stat(events).st_size >= AUTO_BYTES
    except (OSError, ValueError):
        return False


def ledger_evaluator(policy, ledger, as_of: _dt.date, engine: str = "auto"):
    """A ColumnarEvaluator over a ledger the row reader has read, with its events
    folded (the fold's people) and planned (the rest); None: fold it instead.

    For `diff --events`, whose two sides are ledgers read (and carried over to the
    new policy's codes) by the row reader: each side runs the plan of its own
    policy, so a person the plan decides on one side may be folded on the other."""
    cols = getattr(ledger, "columns", None)  # compare/carryover.py's, read as columns
    if cols is None and not takes(policy, ledger, engine):
        return None
    from engine.columnar.columns import from_events
    from engine.columnar.evaluator import ColumnarEvaluator, plan_for
    from engine.ledger.rows import Ledger

    ev = ColumnarEvaluator(policy, Ledger([], None, ledger.staff), as_of, plan_for(policy))
    ev.fold_columns(cols if cols is not None else from_events(ledger.events))
    return ev


def takes(policy, ledger, engine: str = "auto") -> bool:
    """Whether `ledger_evaluator` takes this ledger (read by the row reader) under
    this policy: not with a roster, a history, or a policy the plan refuses."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine}")
    if engine == "fold" or ledger.roster is not None or not hasattr(policy, "tiers"):
        return False
    if getattr(ledger, "decisions", None):  # decided sanctions: the fold's (decisions.py)
        return False
    if engine == "auto" and (len(ledger.events) < AUTO_EVENTS or not installed("columnar")):
        return False
    if engine == "columnar":
        require("columnar", "--engine columnar")
    from engine.columnar.evaluator import plan_for

    return plan_for(policy).refused is None


def columnar_evaluator(
    policy,
    events: str,
    roster: str | None,
    as_of: _dt.date,
    encoding: str | None,
    progress: Callable | None = None,
):
    """A ColumnarEvaluator with the ledger folded (the fold's people) and planned (the
    rest), or None when the plan refuses the policy (then fold it whole)."""
    from engine.columnar.evaluator import ColumnarEvaluator, plan_for

    plan = plan_for(policy)
    if plan.refused is not None:
        return None
    from engine.columnar.memory import release, settle
    from engine.columnar.read import read_columns

    settle()
    ledger, cols = read_columns(events, policy, roster, encoding)
    release()  # (the reader's freed buffers: columnar/memory.py)
    if cols is None:  # corrections or decisions: the fold's, every person (read.py)
        from engine.evaluation.fold import Evaluator

        fold = Evaluator(policy, ledger, as_of, set(), progress)
        fold.fold_events(fold.ledger.events)  # as known on the as-of date (known.py)
        ledger.events = fold.ledger.events = []  # folded: `run` folds nothing again
        return fold
    ev = ColumnarEvaluator(policy, ledger, as_of, plan, progress)
    ev.fold_columns(cols)
    return ev
