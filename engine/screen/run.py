"""Evaluation -> status intervals -> the plan on an engine -> refused and flagged lines.

The evaluation is the normal one (`evaluation/fold.py`); its people become the
interval tables (`evaluation/intervals.py`) handed to the engine as Arrow. The
engine returns one row per claim line that some rule fires on or cannot decide,
with a `fires_i` and an `undecided_i` column per rule; `output.py` turns that
into the lines and summaries a user reads, the same way for every engine, so
DuckDB and Spark give identical output.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from engine.errors import Diagnostic
from engine.evaluation.intervals import RANK, Interval
from engine.i18n import N_, _
from engine.policy.model import Policy
from engine.screen import output, plan
from engine.screen.engines import ScreenError, engine

if TYPE_CHECKING:
    import pyarrow as pa

MESSAGES = {
    "missing": N_("claims `{path}` has no column `{column}`, which {who} reads"),
    "missing-hint": N_(
        "the claims need claim_id, person, institution, date and amount, "
        "and every column a claims rule reads"
    ),
    "the-screen": N_("the screen"),
    "rule": N_("claims rule `{rule}` ({where})"),
    "no-rules": N_("policy `{policy}` has no `claims:` rules to screen with"),
    "no-rules-hint": N_("add rules under `claims:` (docs/screen.md)"),
}


@dataclass
class ScreenResult:
    """What a screen found: the lines, the summaries, and what it could not decide."""

    lines: pa.Table | None  # None when they went to a sink as they came
    institutions: pa.Table
    rules: pa.Table
    screened: dict = field(default_factory=dict)  # engine, claims, policy
    undecided: dict[str, int] = field(default_factory=dict)  # rule id -> lines


def interval_tables(intervals: Iterable[Interval]) -> dict[str, pa.Table]:
    """The intervals as the two Arrow tables the plan joins, `until` filled for open ends."""
    import datetime as _dt

    import pyarrow as pa

    open_end = _dt.date.fromisoformat(plan.OPEN_END)
    rows: dict[str, dict[str, list]] = {"person_intervals": {}, "site_intervals": {}}
    names = ("person", "scope", "institution", "status", "action", "start", "end", "cite", "source")
    for t in rows.values():
        for n in (*names, "until", "rank"):
            t[n] = []
    for iv in intervals:
        t = rows["person_intervals" if iv.scope == "person" else "site_intervals"]
        for n in names:
            t[n].append(getattr(iv, n))
        t["until"].append(iv.end or open_end)
        t["rank"].append(RANK[iv.status])
    schema = pa.schema(
        [(n, pa.date32() if n in ("start", "end") else pa.string()) for n in names]
        + [("until", pa.date32()), ("rank", pa.int32())]
    )
    out = {name: pa.Table.from_pydict(cols, schema=schema) for name, cols in rows.items()}
    out["all_intervals"] = pa.concat_tables([out["person_intervals"], out["site_intervals"]])
    return out


def screen(
    policy: Policy,
    intervals: Iterable[Interval],
    claims: str,
    engine_name: str = "duckdb",
    sink: output.Writer | None = None,
    **options,
) -> ScreenResult:
    """Screen the claims file(s) under the policy's `claims:` rules.

    With a `sink`, the lines go to it batch by batch as the engine makes them (and
    the result's `lines` is None): what is held is one batch and the summaries."""
    import pyarrow as pa

    if not policy.claims:
        raise ScreenError(
            Diagnostic(
                "claims",
                _(MESSAGES["no-rules"]).format(policy=policy.id),
                None,
                _(MESSAGES["no-rules-hint"]),
            )
        )
    eng = engine(engine_name, **options)
    tally = output.Tally(policy)
    screened = {"engine": eng.name, "claims": claims, "policy": policy.id}
    parts: list[pa.Table] = []
    try:
        present = {c.lower(): c for c in eng.load_claims(claims)}
        p = plan.build(policy, null_counts=eng.kind == "parquet")
        _check_columns(policy, p, present, claims)
        for batch in eng.batches(p.sql(eng.dialect), interval_tables(intervals), p.casts()):
            if not batch.num_rows:
                continue
            lines = tally.add(batch)
            if sink is None:
                parts.append(lines)
                continue
            if not parts:
                sink.start(screened)
                parts.append(lines.slice(0, 0))
            sink.lines(lines)
    finally:
        eng.close()
    if not parts:
        parts.append(tally.empty())
        if sink is not None:
            sink.start(screened)
            sink.lines(parts[0])
    institutions, rules, undecided = tally.finish()
    lines_all = None if sink is not None else pa.concat_tables(parts)
    return ScreenResult(lines_all, institutions, rules, screened, undecided)


def _check_columns(policy: Policy, p: plan.Plan, present: dict[str, str], claims: str) -> None:
    """Every column the plan reads is in the claims (names compared case-blind is not
    enough for SQL: the column must be there as the plan spells it)."""
    problems = []
    readers: dict[str, str] = {}
    for rule in policy.claims:
        who = _(MESSAGES["rule"]).format(rule=rule.id, where=f"{rule.span}")
        for name in rule.when.names:
            readers.setdefault(name, who)
        for obj, attr in rule.when.attrs:
            if obj == "claim":
                readers.setdefault(attr, who)
    for column in (*p.columns, *p.extras):
        if column not in present.values():
            who = readers.get(column, _(MESSAGES["the-screen"]))
            problems.append(
                Diagnostic(
                    "claims",
                    _(MESSAGES["missing"]).format(path=claims, column=column, who=who),
                    None,
                    _(MESSAGES["missing-hint"]),
                )
            )
    if problems:
        raise ScreenError(problems)
