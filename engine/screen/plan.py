"""The screen's one query, built as a SQLGlot tree and rendered per engine.

Three relations go in, whatever the engine:

- `claims`: the claim lines as the file has them (a view over Parquet or CSV);
- `person_intervals`, `site_intervals`: the status intervals
  (`evaluation/intervals.py`), person-scoped and institution-scoped, each
  non-overlapping per key, with `until` = the last day (9999-12-31 if open)
  and `rank` = how harsh the status is.

The query reads only the claim columns the join and the rules need (never a
patient's identity: issue 22 §3), casts each to its type, and LEFT JOINs the
lines to both interval tables on person (and institution) with the date inside
the interval. Both joins are equality joins on the key with a range condition,
which the engines run as hash or range joins, never as a cross product; a line
meets at most one interval of each table, and the harsher status holds. Each
rule becomes two columns, `fires_i` and `undecided_i` (`dsl/sql.py`); only
lines where some rule fires or cannot be decided come out, which is what keeps
the result small however many lines go in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from engine.dsl.sql import to_sql
from engine.policy import scopes
from engine.policy.model import ClaimRule, Policy

if TYPE_CHECKING:
    from sqlglot import exp

# the SQL type each standard claim column is read as
COLUMN_TYPES = {
    "claim_id": "VARCHAR",
    "person": "VARCHAR",
    "institution": "VARCHAR",
    "date": "DATE",
    "amount": "DECIMAL(18, 2)",
    "visit": "VARCHAR",
    "days_supply": "DOUBLE",
    "condition": "VARCHAR",
    "mobility_limited": "BOOLEAN",
}

SANCTION_FIELDS = ("action", "start", "end", "cite", "source", "scope", "institution")
OPEN_END = "9999-12-31"

# names the query gives what the rules read
_EXTRA = "extra_"  # claim.NAME -> extra_NAME
_SANCTION = "sanction_"


@dataclass(frozen=True)
class Plan:
    """The query and what the caller needs to read its result."""

    rules: tuple[ClaimRule, ...]
    columns: tuple[str, ...]  # claim columns read from the file, standard ones by name
    extras: tuple[str, ...]  # further claim columns the rules read (claim.NAME)
    query: exp.Expression

    def sql(self, dialect: str) -> str:
        return self.query.sql(dialect=dialect)

    def casts(self) -> dict[str, str]:
        """The type each standard claim column is cast to (the others stay text)."""
        return {c: COLUMN_TYPES[c] for c in self.columns}


def needed_columns(policy: Policy) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(standard columns, other columns) of the claims file that the screen reads."""
    standard = list(scopes.CLAIM_KEYS)
    extras: list[str] = []
    for rule in policy.claims:
        for name in sorted(rule.when.names):
            if name in scopes.CLAIM_COLUMNS and name not in standard:
                standard.append(name)
        for obj, attr in sorted(rule.when.attrs):
            if obj != "claim":
                continue
            if attr in scopes.CLAIM_COLUMNS:
                if attr not in standard:
                    standard.append(attr)
            elif attr not in extras:
                extras.append(attr)
    return tuple(standard), tuple(extras)


def build(policy: Policy, null_counts: bool = False) -> Plan:
    """The query that screens claim lines under the policy's `claims:` rules.

    `null_counts`: the claims count their empty cells per column and chunk (Parquet's
    row groups), so the lines without a person or a date are looked for in a way the
    reader answers from those counts (`_unknown`)."""
    from sqlglot import exp

    columns, extras = needed_columns(policy)
    typed = [
        exp.alias_(exp.cast(exp.column(c, quoted=True), COLUMN_TYPES[c]), c, quoted=True)
        for c in columns
    ] + [
        exp.alias_(exp.cast(exp.column(x, quoted=True), "VARCHAR"), _EXTRA + x, quoted=True)
        for x in extras
    ]
    lines = exp.select(*typed).from_("claims")
    c, p, s = "c", "p", "s"
    if all(_gated(r) for r in policy.claims):
        # no rule can fire on a line whose practitioner is active that day: only the
        # lines inside some interval go on (a semi join, as selective as the
        # sanctions are rare), and those without a person or date, which cannot be
        # decided
        t, a = "t", "a"
        inside = exp.and_(
            exp.EQ(this=exp.column("person", table=a), expression=exp.column("person", table=t)),
            exp.GTE(this=exp.column("date", table=t), expression=exp.column("start", table=a)),
            exp.LTE(this=exp.column("date", table=t), expression=exp.column("until", table=a)),
            exp.or_(
                exp.Is(this=exp.column("institution", table=a), expression=exp.Null()),
                exp.EQ(
                    this=exp.column("institution", table=a),
                    expression=exp.column("institution", table=t),
                ),
            ),
        )
        matched = (
            exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(t)))
            .from_(exp.alias_(exp.Subquery(this=lines), t))
            .join(_table("all_intervals", a), on=inside, join_type="semi")
        )
        lines = exp.union(matched, _unknown(lines, null_counts), distinct=False)

    def col(table: str, name: str) -> exp.Column:
        return exp.column(name, table=table, quoted=True)

    def within(t: str, site: bool) -> exp.Expression:
        cond = exp.and_(
            exp.EQ(this=col(c, "person"), expression=col(t, "person")),
            exp.GTE(this=col(c, "date"), expression=col(t, "start")),
            exp.LTE(this=col(c, "date"), expression=col(t, "until")),
        )
        if site:
            cond = exp.and_(
                cond, exp.EQ(this=col(c, "institution"), expression=col(t, "institution"))
            )
        return cond

    # the site's interval holds where it is harsher than the person's own
    site_wins = exp.and_(
        exp.not_(exp.Is(this=col(s, "rank"), expression=exp.Null())),
        exp.GT(
            this=col(s, "rank"),
            expression=exp.func("COALESCE", col(p, "rank"), exp.Literal.number(0)),
        ),
    )

    def chosen(name: str) -> exp.Expression:
        return exp.case().when(site_wins.copy(), col(s, name)).else_(col(p, name))

    status = exp.func("COALESCE", chosen("status"), exp.Literal.string("active"))
    joined = (
        exp.select(
            exp.Star(),
            exp.alias_(status, "status", quoted=True),
            *[exp.alias_(chosen(f), _SANCTION + f, quoted=True) for f in SANCTION_FIELDS],
        )
        .from_(exp.alias_(exp.Subquery(this=lines), c))
        .join(_table("person_intervals", p), on=within(p, False), join_type="left")
        .join(_table("site_intervals", s), on=within(s, True), join_type="left")
    )
    # the star above would also bring the intervals' columns: name the lines' own
    joined.set(
        "expressions",
        [exp.Column(this=exp.Star(), table=exp.to_identifier(c))] + joined.expressions[1:],
    )

    keys = [exp.column(x, quoted=True) for x in scopes.CLAIM_KEYS]
    outputs = [*keys, exp.column("status", quoted=True)] + [
        exp.column(_SANCTION + f, quoted=True) for f in SANCTION_FIELDS
    ]
    flags: list[exp.Expression] = []
    keep: list[exp.Expression] = []
    unknown = exp.or_(
        exp.Is(this=exp.column("person", quoted=True), expression=exp.Null()),
        exp.Is(this=exp.column("date", quoted=True), expression=exp.Null()),
    )
    for i, rule in enumerate(policy.claims):
        fires, undecided = to_sql(rule.when.checked, rule_column)
        if rule.when.names & {"status", "sanction"}:
            # no status can be known for a line without its person or date
            fires = exp.and_(exp.not_(unknown.copy()), fires)
            undecided = unknown.copy() if undecided is None else exp.or_(unknown.copy(), undecided)
        undecided = (
            exp.false() if undecided is None else exp.func("COALESCE", undecided, exp.false())
        )
        flags += [
            exp.alias_(fires, f"fires_{i}", quoted=True),
            exp.alias_(undecided, f"undecided_{i}", quoted=True),
        ]
        keep += [exp.column(f"fires_{i}", quoted=True), exp.column(f"undecided_{i}", quoted=True)]
    judged = exp.select(*outputs, *flags).from_(exp.alias_(exp.Subquery(this=joined), "j"))
    # sorted by the engine (which spills where it must), so that what comes back is in
    # the output's order: ties broken by every column, so both engines agree
    order = [
        exp.Ordered(this=exp.column(x, quoted=True), nulls_first=False)
        for x in ("institution", "person", "date", "claim_id", "amount")
    ]
    query = (
        exp.select(exp.Star())
        .from_(exp.alias_(exp.Subquery(this=judged), "r"))
        .where(exp.or_(*keep) if keep else exp.false())
        .order_by(*order)
    )
    return Plan(tuple(policy.claims), columns, extras, query)


def _unknown(lines: exp.Select, null_counts: bool) -> exp.Expression:
    """The lines without a person or a date (no status can be known for them), each
    once. The test is on the file's own columns, under the casts: a cast keeps a
    value empty or not (or stops the query), and a test of one bare column is one
    the engine hands to its reader, which skips every chunk whose count of empty
    cells is 0. Two columns joined by `or` are not handed down (a reader filters
    column by column): DuckDB drops that scan only when no file has an empty
    person or date at all, and one empty date among 30 M Parquet lines had it read
    every line a second time, 5.4 s of CPU against 3.5 s (docs/performance.md). So
    with counts, two tests: `person` empty, then `date` empty and `person` not.
    Without counts (CSV) each test would be a read of the whole file: one `or`."""
    from sqlglot import exp

    def empty(name: str) -> exp.Expression:
        return exp.Is(this=exp.column(name, quoted=True), expression=exp.Null())

    if not null_counts:
        return lines.copy().where(exp.or_(empty("person"), empty("date")))
    return exp.union(
        lines.copy().where(empty("person")),
        lines.copy().where(exp.and_(empty("date"), exp.not_(empty("person")))),
        distinct=False,
    )


def _gated(rule: ClaimRule) -> bool:
    """Whether the rule's leftmost condition is a status test that is false for an
    active practitioner (`status in ["suspended", ...] and ...`): Python then stops
    there, so the rule neither fires nor is undecided on an active line."""
    from engine.dsl import ast

    node = rule.when.node
    while isinstance(node, ast.Binary) and node.op == "and":
        node = node.left
    if not (isinstance(node, ast.Compare) and len(node.ops) == 1):
        return False
    left, right = node.operands
    if not (isinstance(left, ast.Name) and left.id == "status"):
        return False
    op = node.ops[0]
    if op == "in" and isinstance(right, ast.ListLit):
        values = [i.value for i in right.items if isinstance(i, ast.Str)]
        return len(values) == len(right.items) and "active" not in values
    if isinstance(right, ast.Str):
        return (op == "==" and right.value != "active") or (op == "!=" and right.value == "active")
    return False


def rule_column(name: str, attr: str | None) -> exp.Expression:
    """The column of the judged relation a rule's name (or `record.attr`) reads."""
    from sqlglot import exp

    if attr is None:
        return exp.column(name, quoted=True)
    if name == "claim":
        return exp.column(attr if attr in COLUMN_TYPES else _EXTRA + attr, quoted=True)
    if name == "sanction":
        return exp.column(_SANCTION + attr, quoted=True)
    raise KeyError(name)


def _table(name: str, alias: str):
    from sqlglot import exp

    return exp.alias_(exp.to_table(name), alias)
