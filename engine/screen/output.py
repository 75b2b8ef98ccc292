"""What a screen found, as tables a reader can use, and the files they go to.

Input: the engine's rows (one per claim line some rule fires on or cannot
decide, with `fires_i` / `undecided_i` per rule). Output:

- **lines**: one row per claim line and rule that fired, with the rule, its
  action (`refuse` | `flag`), article, reason, the amount at stake (the line's
  amount: refused, or under review), and the status and sanction on the date;
- **institutions**: per institution, the lines refused or flagged, the amounts,
  and the practitioners involved; a line refused by two rules counts once;
- **rules**: per rule, its lines, amount, practitioners, institutions, and the
  lines it could not decide.

Everything is computed from the engine's rows with Arrow, the same way
whichever engine ran, and sorted, so the same inputs give the same bytes.
Formats: json (one document), csv and parquet (the lines; the summaries beside
them as NAME.institutions.EXT and NAME.rules.EXT), xlsx (three sheets).
"""

from __future__ import annotations

import json
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.i18n import N_, _
from engine.policy.model import Policy

if TYPE_CHECKING:
    import pyarrow as pa

FORMATS = ("json", "csv", "parquet", "xlsx")

LINE_COLUMNS = (
    "claim_id",
    "person",
    "institution",
    "date",
    "amount",
    "rule",
    "then",
    "cite",
    "reason",
    "at_stake",
    "status",
    "sanction_action",
    "sanction_start",
    "sanction_end",
    "sanction_cite",
    "sanction_source",
    "sanction_scope",
)

MESSAGES = {
    "summary": N_(
        "{lines} claim lines refused or flagged: {refused} refused ({amount} at stake) "
        "at {institutions} institutions, {flagged} flagged"
    ),
    "undecided": N_("claims rule `{rule}` could not decide {n} lines: a value it reads is empty"),
    "sheet-lines": N_("lines"),
    "sheet-institutions": N_("institutions"),
    "sheet-rules": N_("rules"),
}


def _hits_schema(n_rules: int) -> pa.Schema:
    import pyarrow as pa

    fields = [
        ("claim_id", pa.string()),
        ("person", pa.string()),
        ("institution", pa.string()),
        ("date", pa.date32()),
        ("amount", pa.decimal128(18, 2)),
        ("status", pa.string()),
        ("sanction_action", pa.string()),
        ("sanction_start", pa.date32()),
        ("sanction_end", pa.date32()),
        ("sanction_cite", pa.string()),
        ("sanction_source", pa.string()),
        ("sanction_scope", pa.string()),
        ("sanction_institution", pa.string()),
    ]
    for i in range(n_rules):
        fields += [(f"fires_{i}", pa.bool_()), (f"undecided_{i}", pa.bool_())]
    return pa.schema(fields)


def summarise(policy: Policy, hits: pa.Table) -> tuple[pa.Table, pa.Table, pa.Table, dict]:
    """(lines, institutions, rules, undecided per rule) from the engine's rows, which
    come sorted by institution, person, date and claim (plan.py)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rules = policy.claims
    schema = _hits_schema(len(rules))
    hits = hits.select(schema.names).cast(schema)
    n_rules = len(rules)
    fired = np.zeros((hits.num_rows, n_rules), dtype=bool)
    for i in range(n_rules):
        fired[:, i] = pc.fill_null(hits[f"fires_{i}"], False).to_numpy(zero_copy_only=False)
    # one output row per (line, rule that fired), in the lines' order then the rules'
    rows, which = np.nonzero(fired)
    picked = hits.take(pa.array(rows))

    indices = pa.array(which, pa.int32())

    def per_rule(values: list[str]) -> pa.Array:
        # dictionary-encoded: one copy of a rule's reason, however many lines it refuses
        return pa.DictionaryArray.from_arrays(indices, pa.array(values, pa.string()))

    columns = {
        "claim_id": picked["claim_id"],
        "person": picked["person"],
        "institution": picked["institution"],
        "date": picked["date"],
        "amount": picked["amount"],
        "rule": per_rule([r.id for r in rules]),
        "then": per_rule([r.then for r in rules]),
        "cite": per_rule([r.cite for r in rules]),
        "reason": per_rule([r.reason or r.text for r in rules]),
        "at_stake": picked["amount"],
    }
    for c in LINE_COLUMNS[len(columns) :]:
        columns[c] = picked[c]
    lines = pa.table(columns)
    undecided = {
        r.id: int(pc.sum(pc.fill_null(hits[f"undecided_{i}"], False).cast(pa.int64())).as_py() or 0)
        for i, r in enumerate(rules)
    }
    return lines, _by_institution(policy, hits), _by_rule(policy, hits, undecided), undecided


def _any(hits: pa.Table, columns: list[str]) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    out = pa.array([False] * hits.num_rows, pa.bool_())
    for c in columns:
        out = pc.or_(out, pc.fill_null(hits[c], False))
    return out


def _by_institution(policy: Policy, hits: pa.Table) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    refuse = [f"fires_{i}" for i, r in enumerate(policy.claims) if r.then == "refuse"]
    flag = [f"fires_{i}" for i, r in enumerate(policy.claims) if r.then == "flag"]
    refused, flagged = _any(hits, refuse), _any(hits, flag)
    fired = pc.or_(refused, flagged)
    zero = pa.scalar(Decimal(0), hits["amount"].type)
    t = pa.table(
        {
            "institution": hits["institution"],
            "person": hits["person"],
            "line": fired.cast(pa.int64()),
            "refused": refused.cast(pa.int64()),
            "refused_amount": pc.if_else(refused, hits["amount"], zero),
            "flagged": flagged.cast(pa.int64()),
            "flagged_amount": pc.if_else(flagged, hits["amount"], zero),
        }
    ).filter(fired)
    g = t.group_by("institution").aggregate(
        [
            ("line", "sum"),
            ("refused", "sum"),
            ("refused_amount", "sum"),
            ("flagged", "sum"),
            ("flagged_amount", "sum"),
            ("person", "count_distinct"),
        ]
    )
    out = pa.table(
        {
            "institution": g["institution"],
            "lines": g["line_sum"],
            "refused_lines": g["refused_sum"],
            "refused_amount": g["refused_amount_sum"].cast(pa.decimal128(38, 2)),
            "flagged_lines": g["flagged_sum"],
            "flagged_amount": g["flagged_amount_sum"].cast(pa.decimal128(38, 2)),
            "practitioners": g["person_count_distinct"],
        }
    )
    return out.sort_by([("refused_amount", "descending"), ("institution", "ascending")])


def _by_rule(policy: Policy, hits: pa.Table, undecided: dict[str, int]) -> pa.Table:
    import pyarrow as pa
    import pyarrow.compute as pc

    rows: dict[str, list] = {
        k: []
        for k in (
            "rule",
            "then",
            "cite",
            "lines",
            "amount",
            "practitioners",
            "institutions",
            "undecided",
        )
    }
    for i, r in enumerate(policy.claims):
        fired = hits.filter(pc.fill_null(hits[f"fires_{i}"], False))
        total = pc.sum(fired["amount"]).as_py() if fired.num_rows else Decimal(0)
        rows["rule"].append(r.id)
        rows["then"].append(r.then)
        rows["cite"].append(r.cite)
        rows["lines"].append(fired.num_rows)
        rows["amount"].append(total or Decimal(0))
        rows["practitioners"].append(len(pc.unique(fired["person"])) if fired.num_rows else 0)
        rows["institutions"].append(len(pc.unique(fired["institution"])) if fired.num_rows else 0)
        rows["undecided"].append(undecided[r.id])
    schema = pa.schema(
        [
            ("rule", pa.string()),
            ("then", pa.string()),
            ("cite", pa.string()),
            ("lines", pa.int64()),
            ("amount", pa.decimal128(38, 2)),
            ("practitioners", pa.int64()),
            ("institutions", pa.int64()),
            ("undecided", pa.int64()),
        ]
    )
    return pa.Table.from_pydict(rows, schema=schema)


def redact_result(result, ps):
    """The result with each practitioner code (and institution code, when the
    pseudonyms cover institutions) replaced by its pseudonym, and sorted again as
    before, by the pseudonyms: the same lines, the same counts.

    The screen itself joins on the codes as written (the claims carry the real ones);
    only what it hands on is redacted. Claim ids are the settlement system's line
    numbers and are kept: they name no person without that system."""
    import dataclasses

    import pyarrow as pa

    def mapped(column: pa.ChunkedArray, fn) -> pa.Array:
        values = column.to_pylist()
        seen: dict = {}
        return pa.array(
            [None if v is None else seen.get(v) or seen.setdefault(v, fn(v)) for v in values],
            pa.string(),
        )

    lines = result.lines
    lines = lines.set_column(
        lines.schema.get_field_index("person"), "person", mapped(lines["person"], ps.person)
    )
    institutions = result.institutions
    if ps.institutions:
        lines = lines.set_column(
            lines.schema.get_field_index("institution"),
            "institution",
            mapped(lines["institution"], ps.institution),
        )
        institutions = institutions.set_column(
            institutions.schema.get_field_index("institution"),
            "institution",
            mapped(institutions["institution"], ps.institution),
        ).sort_by([("refused_amount", "descending"), ("institution", "ascending")])
    # (a stable sort: a line's rules stay in the policy's order)
    lines = lines.sort_by([(c, "ascending") for c in ("institution", "person", "date", "claim_id")])
    return dataclasses.replace(result, lines=lines, institutions=institutions)


# ---- writing -----------------------------------------------------------------------------
def summary_text(result) -> list[str]:
    """A few lines for the terminal."""
    import pyarrow.compute as pc

    inst = result.institutions
    refused = int(pc.sum(inst["refused_lines"]).as_py() or 0) if inst.num_rows else 0
    flagged = int(pc.sum(inst["flagged_lines"]).as_py() or 0) if inst.num_rows else 0
    amount = pc.sum(inst["refused_amount"]).as_py() if inst.num_rows else Decimal(0)
    lines = int(pc.sum(inst["lines"]).as_py() or 0) if inst.num_rows else 0
    out = [
        _(MESSAGES["summary"]).format(
            lines=lines,
            refused=refused,
            amount=f"{amount or 0:,.2f}",
            institutions=inst.num_rows,
            flagged=flagged,
        )
    ]
    for rule, n in result.undecided.items():
        if n:
            out.append(_(MESSAGES["undecided"]).format(rule=rule, n=n))
    return out


def report_summary(result, top: int = 30) -> dict:
    """What `policyctl report --claims` shows of a screen, as plain JSON values: the
    totals, every rule, and the `top` institutions by amount refused (the result's
    own order). The lines themselves stay with `policyctl screen`."""
    import pyarrow.compute as pc

    inst = result.institutions

    def total(column: str) -> Any:
        return _plain(pc.sum(inst[column]).as_py() or 0) if inst.num_rows else 0

    return {
        "claims": os.path.basename(str(result.screened.get("claims") or "")),
        "engine": result.screened.get("engine"),
        "lines": total("lines"),
        "refused_lines": total("refused_lines"),
        "refused_amount": total("refused_amount"),
        "flagged_lines": total("flagged_lines"),
        "flagged_amount": total("flagged_amount"),
        "institutions_total": inst.num_rows,
        "rules": [{k: _plain(v) for k, v in r.items()} for r in result.rules.to_pylist()],
        "institutions": [
            {k: _plain(v) for k, v in r.items()} for r in inst.slice(0, top).to_pylist()
        ],
    }


def _plain(v: Any) -> Any:
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and v.as_tuple().exponent >= 0 else float(v)
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return v


def as_json(result) -> str:
    doc = {
        "screened": result.screened,
        "lines": [{k: _plain(v) for k, v in r.items()} for r in result.lines.to_pylist()],
        "institutions": [
            {k: _plain(v) for k, v in r.items()} for r in result.institutions.to_pylist()
        ],
        "rules": [{k: _plain(v) for k, v in r.items()} for r in result.rules.to_pylist()],
    }
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n"


def sibling(output: str, part: str) -> str:
    """NAME.EXT -> NAME.PART.EXT, for the summaries beside a csv or parquet file."""
    p = Path(output)
    return str(p.with_name(f"{p.stem}.{part}{p.suffix}"))


def write(result, fmt: str, output: str | None, stdout) -> None:
    """Write the result; to a file through a temporary name renamed when complete."""
    if fmt == "json":
        text = as_json(result)
        if output in (None, "-"):
            stdout.write(text)
        else:
            _atomic(output, lambda f: f.write(text.encode("utf-8")))
        return
    if fmt == "csv" and output in (None, "-"):
        stdout.write(_csv_bytes(result.lines).decode("utf-8"))
        return
    assert output not in (None, "-"), "parquet and xlsx need a file (the CLI checks)"
    if fmt == "xlsx":
        _atomic(output, lambda f: _xlsx(result, f))
        return
    targets = [
        (output, result.lines),
        (sibling(output, "institutions"), result.institutions),
        (sibling(output, "rules"), result.rules),
    ]
    for path, table in targets:
        if fmt == "csv":
            _atomic(path, lambda f, t=table: f.write(_csv_bytes(t)))
        else:
            _atomic(path, lambda f, t=table: _parquet(t, f))


def _csv_bytes(table: pa.Table) -> bytes:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink)
    return sink.getvalue().to_pybytes()


def _parquet(table: pa.Table, f) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, f)


def _xlsx(result, f) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for key, table in (
        ("sheet-lines", result.lines),
        ("sheet-institutions", result.institutions),
        ("sheet-rules", result.rules),
    ):
        ws = wb.create_sheet(_(MESSAGES[key]))
        ws.append(table.column_names)
        for row in table.to_pylist():
            ws.append([_plain(v) for v in row.values()])
    wb.save(f)


def _atomic(path: str, write_to) -> None:
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            write_to(f)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
