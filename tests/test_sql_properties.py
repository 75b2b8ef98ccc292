"""The claims rules compiled to SQL decide what the closure interpreter decides.

Random claim lines (empty cells included) and random conditions over them go
through both: the closure (`compile.py`, by `screen/judge.py`) and the SQL
(`dsl/sql.py`) run by DuckDB over the same lines. On every line and condition
the verdict must be the same: fires, undecided (the closure raises), or neither.
Also run: the shipped policies' rules, and a list of conditions chosen for
Python's corners (short-circuits, `None == None`, `not None`, division by zero).
"""

from __future__ import annotations

import datetime as dt
import functools

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from engine.dsl.checker import Checker
from engine.dsl.compile import compile_expr
from engine.dsl.parser import parse_expr
from engine.dsl.sql import sql_problems, to_sql
from engine.policy import scopes
from engine.screen.judge import FIRES, UNDECIDED, environment
from engine.screen.plan import COLUMN_TYPES, SANCTION_FIELDS, rule_column
from tests.conftest import policy

STATUSES = list(scopes.STATUSES)

lines_st = st.lists(
    st.fixed_dictionaries(
        {
            "claim_id": st.sampled_from(["C1", "C2", None]),
            "person": st.sampled_from(["P1", "P2", None]),
            "institution": st.sampled_from(["H1", "H2", None]),
            "date": st.one_of(st.none(), st.dates(dt.date(2023, 1, 1), dt.date(2025, 12, 31))),
            "amount": st.one_of(st.none(), st.integers(-3, 40)),
            "visit": st.sampled_from(["outpatient", "inpatient", "emergency", "rescue", "", None]),
            "days_supply": st.one_of(st.none(), st.integers(0, 20)),
            "condition": st.sampled_from(["acute", "chronic", None]),
            "mobility_limited": st.sampled_from([True, False, None]),
            "dept": st.sampled_from(["内科", "急诊科", "", None]),
            "status": st.sampled_from(STATUSES),
            "start": st.one_of(st.none(), st.dates(dt.date(2023, 1, 1), dt.date(2025, 12, 31))),
        }
    ),
    min_size=1,
    max_size=25,
)

# ---- random conditions ---------------------------------------------------------------------
NUM_ATOMS = ["days_supply", "amount", "0", "3", "7", "14", "-2"]
STR_ATOMS = ["visit", "condition", "status", "claim.dept", '"outpatient"', '"acute"', '""', "null"]
DATE_ATOMS = ["date", "sanction.start", "2024-01-31", "2024-02-29"]


def _num(depth):
    atom = st.sampled_from(NUM_ATOMS)
    if depth <= 0:
        return atom
    sub = _num(depth - 1)
    return st.one_of(
        atom,
        st.tuples(sub, st.sampled_from(["+", "-", "*"]), sub).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        st.tuples(st.sampled_from(["min", "max"]), sub, sub).map(
            lambda t: f"{t[0]}({t[1]}, {t[2]})"
        ),
        st.tuples(_bool(depth - 1), sub, sub).map(lambda t: f"(if {t[0]} then {t[1]} else {t[2]})"),
    )


def _date():
    return st.one_of(
        st.sampled_from(DATE_ATOMS),
        st.tuples(
            st.sampled_from(["date", "sanction.start"]),
            st.sampled_from(["+", "-"]),
            st.integers(0, 13),
            st.sampled_from(["days", "weeks", "months", "years"]),
        ).map(lambda t: f"({t[0]} {t[1]} {t[2]} {t[3]})"),
    )


def _bool(depth):
    cmp = st.sampled_from(["<", "<=", ">", ">=", "==", "!="])
    atoms = st.one_of(
        st.sampled_from(["mobility_limited", "true", "false", "mobility_limited == null"]),
        st.tuples(st.sampled_from(NUM_ATOMS), cmp, st.sampled_from(NUM_ATOMS)).map(" ".join),
        st.tuples(
            st.sampled_from(STR_ATOMS), st.sampled_from(["==", "!="]), st.sampled_from(STR_ATOMS)
        ).map(" ".join),
        st.tuples(
            st.sampled_from(STR_ATOMS),
            st.sampled_from(["in", "not in"]),
            st.sampled_from(
                ['["outpatient", "acute"]', '["suspended", null]', "[]", '"急诊科内科"']
            ),
        ).map(" ".join),
        st.tuples(st.sampled_from(DATE_ATOMS), cmp, _date()).map(" ".join),
        st.tuples(
            st.sampled_from(NUM_ATOMS),
            st.sampled_from(["<", "<="]),
            st.sampled_from(NUM_ATOMS),
            st.sampled_from(["<", "<="]),
            st.sampled_from(NUM_ATOMS),
        ).map(" ".join),
    )
    if depth <= 0:
        return atoms
    sub = _bool(depth - 1)
    return st.one_of(
        atoms,
        sub.map(lambda b: f"not ({b})"),
        st.tuples(sub, st.sampled_from(["and", "or"]), sub).map(
            lambda t: f"({t[0]}) {t[1]} ({t[2]})"
        ),
        st.tuples(_num(depth - 1), cmp, _num(depth - 1)).map(" ".join),
        st.tuples(sub, sub, sub).map(lambda t: f"if {t[0]} then {t[1]} else {t[2]}"),
    )


@functools.lru_cache(maxsize=4096)
def _compile(text: str):
    """(closure, (fires, undecided) SQL) for a condition, or None if it is not one."""
    from engine.dsl.types import BOOL

    checker = Checker(scopes.claim_scope())
    checked = checker.run(parse_expr(text), BOOL)
    if checker.problems or sql_problems(checked):
        return None
    try:
        fn = compile_expr(checked)
    except (TypeError, ValueError, ArithmeticError, LookupError):
        return None  # a constant part that cannot be computed: the loader refuses it
    return fn, to_sql(checked, rule_column)


# ---- running both ---------------------------------------------------------------------------
def _table(lines) -> pa.Table:
    cols = {
        "claim_id": pa.string(),
        "person": pa.string(),
        "institution": pa.string(),
        "date": pa.date32(),
        "amount": pa.int64(),
        "visit": pa.string(),
        "days_supply": pa.int64(),
        "condition": pa.string(),
        "mobility_limited": pa.bool_(),
        "extra_dept": pa.string(),
        "status": pa.string(),
        "sanction_start": pa.date32(),
    }
    data = {k: [] for k in cols}
    for ln in lines:
        for k in cols:
            src = {"extra_dept": "dept", "sanction_start": "start"}.get(k, k)
            data[k].append(ln[src])
    return pa.Table.from_pydict(data, schema=pa.schema(list(cols.items())))


_CON = duckdb.connect()


def _sql_verdicts(lines, texts) -> list[list[str | None]]:
    _CON.register("lines", _table(lines))
    rows = _CON.execute(_query(texts)).fetchall()
    out = []
    for row in rows:
        verdicts = []
        for i in range(len(texts)):
            f, u = row[2 * i], row[2 * i + 1]
            assert not (f and u), "a line both fires and is undecided"
            verdicts.append(FIRES if f else UNDECIDED if u else None)
        out.append(verdicts)
    return out


@functools.lru_cache(maxsize=256)
def _query(texts: tuple[str, ...]) -> str:
    """The SELECT that judges the lines table under each condition, in DuckDB's SQL."""
    from sqlglot import exp

    compiled = [_compile(t)[1] for t in texts]
    typed = (
        [
            exp.alias_(exp.cast(exp.column(c, quoted=True), t), c, quoted=True)
            for c, t in COLUMN_TYPES.items()
        ]
        + [
            exp.column("extra_dept", quoted=True),
            exp.column("status", quoted=True),
            exp.column("sanction_start", quoted=True),
        ]
        + [
            exp.alias_(exp.Null(), f"sanction_{f}", quoted=True)
            for f in SANCTION_FIELDS
            if f != "start"
        ]
    )
    inner = exp.select(*typed).from_("lines")
    outs = []
    for i, (fires, undecided) in enumerate(compiled):
        outs.append(exp.alias_(fires, f"f{i}"))
        outs.append(exp.alias_(undecided if undecided is not None else exp.false(), f"u{i}"))
    query = exp.select(*outs).from_(exp.alias_(exp.Subquery(this=inner), "j"))
    return query.sql("duckdb")


def _py_verdicts(lines, fns) -> list[list[str | None]]:
    out = []
    for ln in lines:
        env = environment(
            {k: v for k, v in ln.items() if k not in ("status", "start")},
            ln["status"],
            {"start": ln["start"]},
        )
        row = []
        for fn in fns:
            try:
                row.append(FIRES if fn(env) else None)
            except (TypeError, ValueError, ArithmeticError, LookupError):
                row.append(UNDECIDED)
        out.append(row)
    return out


def _agree(lines, texts):
    compiled = [(t, c) for t in texts if (c := _compile(t)) is not None]
    if not compiled:
        return
    sql = _sql_verdicts(lines, tuple(t for t, _ in compiled))
    py = _py_verdicts(lines, [c[0] for _, c in compiled])
    for ln, s, p in zip(lines, sql, py, strict=True):
        for (text, _), a, b in zip(compiled, s, p, strict=True):
            assert a == b, f"`{text}` on {ln}: SQL {a}, closure {b}"


# no shrinking: each example runs a query, and the failure message names the condition
# and the line already
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate]

CORNERS = [
    "not mobility_limited",
    "mobility_limited == null",
    "visit == null or days_supply > 3",
    "days_supply > 3 or visit == null",
    "visit != null and days_supply > 3",
    "not (days_supply > 3)",
    "if days_supply > 3 then true else false",
    "if mobility_limited then days_supply > 1 else amount < 2",
    "1 < days_supply < 5 < amount",
    "amount / days_supply > 2",
    "amount / (days_supply - days_supply) > 0",
    'visit in [null, "rescue"]',
    'visit not in ["emergency", "rescue"]',
    'visit in "outpatient emergency"',
    'claim.dept in "急诊科"',
    "min(days_supply, amount) >= 0",
    "date + 1 months > 2024-02-28",
    "date - 1 years <= sanction.start",
    "year(date) == 2024",
    "number(claim.dept) > 1",
    'status == "active" and (amount > 30 or days_supply == null)',
    '(visit == "outpatient" and condition == "acute") == false',
    "-amount < -3",
]


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=_PHASES
)
@given(lines=lines_st)
def test_corner_conditions_agree(lines):
    _agree(lines, CORNERS)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=_PHASES
)
@given(lines=lines_st)
def test_shipped_rules_agree(lines):
    texts = [r.when.text for name in ("jining", "zhanjiang") for r in policy(name).claims]
    _agree(lines, texts)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], phases=_PHASES
)
@given(lines=lines_st, texts=st.lists(_bool(2), min_size=1, max_size=6))
def test_random_conditions_agree(lines, texts):
    _agree(lines, texts)


def test_every_corner_compiles():
    """The corner list is not silently skipped: each condition checks and compiles."""
    for text in CORNERS:
        assert _compile(text) is not None, text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("count([1, 2], x -> x > 1) > 0", "runs over a list"),
        ("date + 3 working days > date", "working days"),
        ("age(date, date) > 3", "has no SQL form"),
        ("[1, 2][0] > 0", "indexing"),
        ("min([1, 2]) > 0", "of a list"),
    ],
)
def test_what_cannot_compile_is_named(text, message):
    from engine.dsl.types import BOOL

    checker = Checker(scopes.claim_scope())
    checked = checker.run(parse_expr(text), BOOL)
    problems = sql_problems(checked)
    assert problems and message in problems[0].message
