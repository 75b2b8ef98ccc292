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

import io
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


class Tally:
    """The engine's rows turned into lines batch by batch, and the summaries gathered
    as they go: what is kept between batches is per institution and practitioner (a
    few thousand rows however many lines are refused), so a caller that writes each
    batch's lines as they come holds one batch at a time.

    The rows come sorted by institution, person, date and claim (plan.py), and the
    lines keep that order: one row per (line, rule that fired), then the rules'."""

    def __init__(self, policy: Policy):
        self.rules = policy.claims
        self.schema = _hits_schema(len(self.rules))
        self.refuse = [f"fires_{i}" for i, r in enumerate(self.rules) if r.then == "refuse"]
        self.flag = [f"fires_{i}" for i, r in enumerate(self.rules) if r.then == "flag"]
        self.sites: list[pa.Table] = []  # per (institution, person): lines and amounts
        n = len(self.rules)
        self.fired = [0] * n
        self.amount = [Decimal(0)] * n
        self.people: list[set] = [set() for _ in range(n)]
        self.places: list[set] = [set() for _ in range(n)]
        self.undecided = [0] * n

    def add(self, batch: pa.RecordBatch | pa.Table) -> pa.Table:
        """The lines of one batch of the engine's rows (the summaries noted)."""
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        hits = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        hits = hits.select(self.schema.names).cast(self.schema)
        rules = self.rules
        fired = np.zeros((hits.num_rows, len(rules)), dtype=bool)
        for i in range(len(rules)):
            flags = pc.fill_null(hits[f"fires_{i}"], False)
            fired[:, i] = flags.to_numpy(zero_copy_only=False)
            self.undecided[i] += int(
                pc.sum(pc.fill_null(hits[f"undecided_{i}"], False).cast(pa.int64())).as_py() or 0
            )
            got = hits.filter(flags)
            if got.num_rows:
                self.fired[i] += got.num_rows
                self.amount[i] += pc.sum(got["amount"]).as_py() or Decimal(0)
                self.people[i].update(pc.unique(got["person"]).to_pylist())
                self.places[i].update(pc.unique(got["institution"]).to_pylist())
        self.sites.append(self._by_site(hits))
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
        return pa.table(columns)

    def empty(self) -> pa.Table:
        """The lines of no rows (their schema, for a result with none)."""
        return self.add(self.schema.empty_table())

    def _by_site(self, hits: pa.Table) -> pa.Table:
        import pyarrow as pa
        import pyarrow.compute as pc

        refused, flagged = _any(hits, self.refuse), _any(hits, self.flag)
        fired = pc.or_(refused, flagged)
        zero = pa.scalar(Decimal(0), hits["amount"].type)
        wide = pa.decimal128(38, 2)
        t = pa.table(
            {
                "institution": hits["institution"],
                "person": hits["person"],
                "line": fired.cast(pa.int64()),
                "refused": refused.cast(pa.int64()),
                "refused_amount": pc.if_else(refused, hits["amount"], zero).cast(wide),
                "flagged": flagged.cast(pa.int64()),
                "flagged_amount": pc.if_else(flagged, hits["amount"], zero).cast(wide),
            }
        ).filter(fired)
        return _sums(t, ["institution", "person"])

    def finish(self) -> tuple[pa.Table, pa.Table, dict[str, int]]:
        """(institutions, rules, undecided per rule) once every batch is in."""
        import pyarrow as pa

        undecided = {r.id: n for r, n in zip(self.rules, self.undecided, strict=True)}
        parts = self.sites or [self._by_site(self.schema.empty_table())]
        sites = _sums(pa.concat_tables(parts), ["institution", "person"])
        g = sites.group_by("institution", use_threads=False).aggregate(
            [(c, "sum") for c in _SUMMED] + [("person", "count")]
        )
        out = pa.table(
            {
                "institution": g["institution"],
                "lines": g["line_sum"],
                "refused_lines": g["refused_sum"],
                "refused_amount": g["refused_amount_sum"].cast(pa.decimal128(38, 2)),
                "flagged_lines": g["flagged_sum"],
                "flagged_amount": g["flagged_amount_sum"].cast(pa.decimal128(38, 2)),
                "practitioners": g["person_count"],
            }
        )
        institutions = out.sort_by([("refused_amount", "descending"), ("institution", "ascending")])
        rules = pa.Table.from_pydict(
            {
                "rule": [r.id for r in self.rules],
                "then": [r.then for r in self.rules],
                "cite": [r.cite for r in self.rules],
                "lines": self.fired,
                "amount": self.amount,
                "practitioners": [len(x) for x in self.people],
                "institutions": [len(x) for x in self.places],
                "undecided": self.undecided,
            },
            schema=_rules_schema(),
        )
        return institutions, rules, undecided


_SUMMED = ("line", "refused", "refused_amount", "flagged", "flagged_amount")


def _sums(t: pa.Table, keys: list[str]) -> pa.Table:
    """`t`'s counts and amounts summed per `keys` (the columns named as they were)."""
    import pyarrow as pa

    g = t.group_by(keys, use_threads=False).aggregate([(c, "sum") for c in _SUMMED])
    return pa.table({**{k: g[k] for k in keys}, **{c: g[f"{c}_sum"] for c in _SUMMED}})


def _rules_schema() -> pa.Schema:
    import pyarrow as pa

    return pa.schema(
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


def summarise(policy: Policy, hits: pa.Table) -> tuple[pa.Table, pa.Table, pa.Table, dict]:
    """(lines, institutions, rules, undecided per rule) from the engine's rows at once."""
    tally = Tally(policy)
    lines = tally.add(hits)
    return (lines, *tally.finish())


def _any(hits: pa.Table, columns: list[str]) -> pa.Array:
    import pyarrow as pa
    import pyarrow.compute as pc

    out = pa.array([False] * hits.num_rows, pa.bool_())
    for c in columns:
        out = pc.or_(out, pc.fill_null(hits[c], False))
    return out


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
    """The result as `--format json` writes it, as one text."""
    text = io.StringIO()
    write(result, "json", None, text)
    return text.getvalue()


def sibling(output: str, part: str) -> str:
    """NAME.EXT -> NAME.PART.EXT, for the summaries beside a csv or parquet file."""
    p = Path(output)
    return str(p.with_name(f"{p.stem}.{part}{p.suffix}"))


def write(result, fmt: str, output: str | None, stdout) -> None:
    """Write a whole result (as `Writer` writes one that comes in batches)."""
    w = Writer(fmt, output, stdout)
    try:
        w.start(result.screened)
        w.lines(result.lines)
        w.close(result)
    except BaseException:
        w.abort()
        raise


def _dumps(value: Any, depth: int) -> str:
    """`value` as json.dumps(indent=1) writes it `depth` levels into a document."""
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * depth)


def _rows(table: pa.Table) -> list[dict]:
    return [{k: _plain(v) for k, v in r.items()} for r in table.to_pylist()]


class Writer:
    """A screen's result written as it comes: the lines batch by batch (`lines`), the
    summaries once every line is in (`close`), so a screen refusing millions of
    lines holds one batch of them, never all.

    json: one document, the lines streamed into its `lines` list (the same bytes as
    json.dumps(indent=1) of the whole); csv: the lines, their header once; parquet:
    a row group a batch; xlsx: three sheets, the lines' first. To a file, everything
    goes to a temporary name renamed when complete (the lines' file last of all
    written, before its two summaries beside it for csv and parquet), so an error
    leaves no partial output file; to standard output (json, csv), as it comes."""

    def __init__(self, fmt: str, output: str | None, stdout):
        self.fmt, self.output, self.stdout = fmt, output, stdout
        self.to_stdout = output in (None, "-")
        assert self.to_stdout is False or fmt in ("json", "csv"), "a binary format needs a file"
        self.count = 0
        self.tmp: str | None = None
        self.file: Any = None
        self.parquet: Any = None
        self.book: Any = None
        self.sheet: Any = None

    def _text(self, text: str) -> None:
        if self.to_stdout:
            self.stdout.write(text)
        else:
            self.file.write(text.encode("utf-8"))

    def start(self, screened: dict) -> None:
        """Open the output (once the screen has rows to write, or none at all)."""
        if not self.to_stdout:
            target = Path(str(self.output))
            fd, self.tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
            self.file = os.fdopen(fd, "wb")
        if self.fmt == "json":
            self._text('{\n "screened": ' + _dumps(screened, 1) + ',\n "lines": [')
        elif self.fmt == "xlsx":
            from openpyxl import Workbook

            self.book = Workbook(write_only=True)
            self.sheet = self.book.create_sheet(_(MESSAGES["sheet-lines"]))
            self.sheet.append(list(LINE_COLUMNS))

    def lines(self, table: pa.Table) -> None:
        """Write one batch of lines (Tally.add's)."""
        if self.fmt == "json":
            for row in _rows(table):
                self._text(("\n  " if self.count == 0 else ",\n  ") + _dumps(row, 2))
                self.count += 1
        elif self.fmt == "csv":
            self._text(_csv_bytes(table, header=self.count == 0).decode("utf-8"))
            self.count += 1
        elif self.fmt == "xlsx":
            for row in table.to_pylist():
                self.sheet.append([_plain(v) for v in row.values()])
        else:
            import pyarrow.parquet as pq

            if self.parquet is None:
                self.parquet = pq.ParquetWriter(self.file, table.schema)
            self.parquet.write_table(table)

    def close(self, result) -> None:
        """The summaries, and the files renamed into place."""
        if self.fmt == "json":
            self._text(
                ("\n ]" if self.count else "]")
                + ',\n "institutions": '
                + _dumps(_rows(result.institutions), 1)
                + ',\n "rules": '
                + _dumps(_rows(result.rules), 1)
                + "\n}\n"
            )
        elif self.fmt == "xlsx":
            for key, table in (
                ("sheet-institutions", result.institutions),
                ("sheet-rules", result.rules),
            ):
                ws = self.book.create_sheet(_(MESSAGES[key]))
                ws.append(table.column_names)
                for row in table.to_pylist():
                    ws.append([_plain(v) for v in row.values()])
            self.book.save(self.file)
        elif self.fmt == "parquet" and self.parquet is not None:
            self.parquet.close()
        if self.to_stdout:
            return
        self.file.close()
        assert self.tmp is not None and self.output is not None
        os.chmod(self.tmp, 0o666 & ~_umask())
        os.replace(self.tmp, self.output)
        self.tmp = None
        if self.fmt in ("csv", "parquet"):
            for part, table in (("institutions", result.institutions), ("rules", result.rules)):
                if self.fmt == "csv":
                    _atomic(sibling(self.output, part), lambda f, t=table: f.write(_csv_bytes(t)))
                else:
                    _atomic(sibling(self.output, part), lambda f, t=table: _parquet(t, f))

    def abort(self) -> None:
        """Leave nothing behind (the temporary file removed)."""
        if self.file is not None and not self.file.closed:
            self.file.close()
        if self.tmp is not None:
            Path(self.tmp).unlink(missing_ok=True)
            self.tmp = None


def _csv_bytes(table: pa.Table, header: bool = True) -> bytes:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, pacsv.WriteOptions(include_header=header))
    return sink.getvalue().to_pybytes()


def _parquet(table: pa.Table, f) -> None:
    import pyarrow.parquet as pq

    pq.write_table(table, f)


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
