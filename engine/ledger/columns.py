"""The columns of a ledger: the names the engine reads, and rows made as wide as the header.

Only names live here, not meanings: which column holds what is fixed by the
header (lower-cased by tables.py), and a row is checked for its width before
any of its cells is read, so a cell that slid into its neighbour's column
(an unquoted comma) is an error rather than a wrong value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from engine.errors import Diagnostic, LedgerError, Span, closest, os_reason
from engine.i18n import _
from engine.ledger.tables import Problems, Table
from engine.vocabulary import EVENT_FIELDS

# The columns the engine reads of an event, in the order the reader unpacks them.
FIELDS = EVENT_FIELDS
# The columns beyond FIELDS the engine itself reads of an event, kept in its `attrs`:
# the decided length of a discretionary suspension or ban (evaluation/sanctions.py)
# and the date of the act (evaluation/lenity.py). Any other column is kept only when
# the policy reads it (reads.py).
# A correction's or decision's target, reason, 文号 and the action it decides
# (corrections.py) are the engine's too.
ENGINE_EXTRAS = frozenset(
    {"suspension", "ban", "occurred", "target", "reason", "document", "action"}
)
REQUIRED_EVENT_COLUMNS = ("date", "person")
REQUIRED_ROSTER_COLUMNS = ("person", "institution")


def columns(
    table: Table, required, problems: Problems, names: Names | None = None
) -> dict[str, int]:
    """Each column's position by standard name (the header found, `find_header`); a
    missing required column is a `column` error."""
    return find_header(table, tuple(required), names or DEFAULT_NAMES, problems)


def fit(row: list[str], width: int, cells: int | None, line: int, problems: Problems) -> bool:
    """Make a row as wide as the header (`width` named columns), or report it.

    CSV (`cells`: the header line's cell count): a row must have as many cells, since a
    comma inside an unquoted cell makes one more and slides every cell after it into
    its neighbour's column; only a blank row may have fewer. Other formats: a short row
    is padded and empty trailing cells trimmed; more filled cells than columns is an
    error."""
    n = len(row)
    if cells is not None:
        if n == cells:
            del row[width:]
            return True
        if not any(c.strip() for c in row):
            row[:] = [""] * width
            return True
        problems.add(
            "format",
            _("the row has {cells} cells but the header has {columns}").format(
                cells=n, columns=cells
            ),
            line,
            _("quote cells that contain a comma, and give every row all its cells"),
        )
        return False
    if n < width:
        row.extend([""] * (width - n))
        return True
    if any(c.strip() for c in row[width:]):
        problems.add(
            "format",
            _("the row has {cells} cells but the header has {columns}").format(
                cells=n, columns=width
            ),
            line,
            _("quote cells that contain a comma"),
        )
        return False
    del row[width:]
    return True


def missing_columns(
    missing: list[str],
    header: list[str],
    table: Table,
    problems: Problems,
    names: Names | None = None,
) -> None:
    """Report each missing column: the headers found, the nearest of them, and the
    headers (aliases) the column is also read from."""
    names = names or DEFAULT_NAMES
    line = table.header_line or 1
    for name in missing:
        aliases = names.aliases(name)
        near = closest(name, header) or next(
            (h for h in header if closest(h, aliases) is not None), None
        )
        hint = _("did you mean `{near}`? ").format(near=near) if near else ""
        hint += _("the header has: {headers}").format(headers=_(", ").join(header) or _("nothing"))
        if aliases:
            hint += _("; `{name}` is also read from {aliases}").format(
                name=name, aliases=_(", ").join(aliases[:4])
            )
        hint += _("; or map it with --columns FILE")
        if any("\t" in h or ";" in h for h in header):
            hint += _("; the file looks tab- or semicolon-separated: save it as CSV (commas)")
        problems.add("column", _("missing column `{name}`").format(name=name), line, hint)
    raise LedgerError(problems.items)


# ---- Chinese headers, and the analyst's own -------------------------------------------------

# The headers a bureau's or hospital's export uses for each standard column (matched
# after stripping, lower-casing and dropping a unit in brackets: `金额（元）` is `金额`).
# A header that is none of these keeps its own name (an attribute, `event.NAME`).
ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("记录编号", "事件编号", "编号"),
    "person": (
        "人员编码",
        "医保医师编码",
        "医师编码",
        "人员编号",
        "人员代码",
        "医保医师代码",
        "医保医师编号",
        "医师代码",
        "医保支付资格人员编码",
    ),
    "date": ("处理日期", "认定日期", "日期", "违规日期", "发生日期", "扣分日期"),
    "type": ("事件类型", "类型"),
    "items": ("违规项目", "扣分项目", "扣分项", "违规项目编码", "扣分项目编码", "扣分项编码"),
    "institution": (
        "定点医药机构",
        "机构编码",
        "定点医药机构编码",
        "定点机构编码",
        "医疗机构编码",
        "机构",
    ),
    "inspection": ("检查批次", "检查批次号", "检查编号"),
    "amount": ("金额", "违规金额", "涉及金额"),
    "points": ("扣分", "分值", "扣分分值"),
    "end": ("结束日期", "截止日期", "暂停截止日期"),
    # the act's date, beside the decision's: 发生日期 alone is read as `date` (a ledger
    # with one date column), so only headers that say "the act" are read as `occurred`
    "occurred": ("违规行为发生日期", "行为发生日期", "违规发生日期"),
    "role": ("岗位", "职务"),
    "birth_date": ("出生日期",),
    "target": ("更正对象", "原记录编号", "被更正记录编号"),
    "reason": ("理由", "原因", "更正理由"),
    "document": ("文号", "决定文号"),
}
_UNIT = re.compile(r"\s*[(（][^()（）]*[)）]\Z")  # `金额（元）`: the unit is no part of the name
_BUILT_IN = {alias: name for name, aliases in ALIASES.items() for alias in aliases}


def _bare(header: str) -> str:
    return _UNIT.sub("", header.replace("\u3000", " ").strip()).strip().lower()


class Names:
    """Which column each header names: the standard names, the built-in Chinese
    aliases, and an analyst's own mapping (`--columns FILE`), which wins."""

    def __init__(self, mapping: Mapping[str, str] | None = None):
        self.by_header = dict(_BUILT_IN)
        for header, name in (mapping or {}).items():
            self.by_header[_bare(header)] = name

    def name(self, header: str) -> str:
        bare = _bare(header)
        return self.by_header.get(bare, bare if bare in self.by_header.values() else header)

    def header(self, table: Table, line: int, problems: Problems) -> list[str]:
        """The table's header as standard names; two headers naming one column are a
        `column` error."""
        out: list[str] = []
        seen: dict[str, str] = {}
        for given in table.header:
            name = self.name(given)
            if name in seen:
                raise problems.fail(
                    "column",
                    _("columns `{a}` and `{b}` are both `{name}`").format(
                        a=seen[name], b=given, name=name
                    ),
                    line,
                    _("keep one of them"),
                )
            seen[name] = given
            out.append(name)
        return out

    def aliases(self, name: str) -> list[str]:
        return [h for h, n in self.by_header.items() if n == name]


DEFAULT_NAMES = Names()
HEADER_SEARCH = 20  # rows looked through for the header when the first has not the columns
TOTALS = frozenset({"合计", "总计", "小计", "total", "totals", "sum"})


def find_header(
    table: Table, required: tuple[str, ...], names: Names, problems: Problems
) -> dict[str, int]:
    """The header's columns by standard name, each at its position.

    A workbook kept by a bureau often has a title (merged cells, a date line) above
    the header: when the first row is not the header, the next rows are looked
    through for one that has every required column, and the table is read from
    there (its `header`, `header_line`, `cells` and `rows` replaced). A required
    column missing from all of them is a `column` error that lists the headers
    found and the nearest alias.
    """
    found = list(table.header)
    header = names.header(table, table.header_line or 1, problems)
    if all(c in header for c in required):
        table.header = header
        return {name: i for i, name in enumerate(header)}
    rows = iter(table.rows)
    looked: list[tuple[int, list[str]]] = []
    for line, row in rows:
        looked.append((line, row))
        cells = [c.strip() for c in row]
        if all(c in map(names.name, cells) for c in required):
            table.header = [c.lower() for c in cells]
            while table.header and not table.header[-1]:
                table.header.pop()
            table.header_line, table.cells = line, (len(row) if table.cells else None)
            if table.count:
                table.count = max(table.count - len(looked), 0)
            table.rows = rows
            header = names.header(table, line, problems)
            if "" in header:
                raise problems.fail(
                    "column",
                    _("column {n} of the header has no name").format(n=header.index("") + 1),
                    line,
                    _("name every column, or delete the empty one"),
                )
            table.header = header
            return {name: i for i, name in enumerate(header)}
        if len(looked) >= HEADER_SEARCH:
            break
    table.header = header
    missing_columns([c for c in required if c not in header], found, table, problems, names)
    raise AssertionError  # missing_columns raises


def is_total(row: list[str]) -> bool:
    """Whether a row is a spreadsheet's total line (合计), not a finding."""
    for cell in row:
        if cell.strip():
            return _bare(cell).replace(" ", "") in TOTALS
    return False


def load_names(path: str) -> Names:
    """`--columns FILE`: a small YAML mapping of each column to the header (or headers)
    that hold it in the analyst's files, e.g. `person: 工号` or `date: [稽核日期, 日期]`."""
    import yaml

    from engine.limits import MAX_TEXT_BYTES, size_text

    def fail(message: str, hint: str | None = None) -> LedgerError:
        return LedgerError([Diagnostic("columns", message, Span(path, 0), hint)])

    try:
        with open(path, "rb") as f:
            data = f.read(MAX_TEXT_BYTES + 1)
    except OSError as exc:
        raise fail(
            _("cannot read `{path}`: {reason}").format(path=path, reason=os_reason(exc))
        ) from None
    if len(data) > MAX_TEXT_BYTES:
        raise fail(
            _("`{path}` is larger than {limit}").format(path=path, limit=size_text(MAX_TEXT_BYTES))
        )
    example = _("write one line per column, e.g. `person: 工号`")
    try:
        text = data.decode("utf-8-sig")
        doc = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:  # one line with its line and column, as a policy's
        from engine.policy import yamlerrors

        raise LedgerError([yamlerrors.describe(path, text, exc)]) from None
    except (yaml.YAMLError, UnicodeDecodeError, RecursionError) as exc:
        raise fail(
            _("`{path}` is not a YAML mapping: {why}").format(path=path, why=exc), example
        ) from None
    if not isinstance(doc, dict):
        raise fail(_("`{path}` is not a YAML mapping").format(path=path), example)
    mapping: dict[str, str] = {}
    for name, headers in doc.items():
        if isinstance(headers, str):
            headers = [headers]
        if (
            not isinstance(name, str)
            or not isinstance(headers, list)
            or not all(isinstance(h, str) and h.strip() for h in headers)
        ):
            raise fail(
                _("`{name}` must map to a header or a list of headers").format(name=name), example
            )
        for header in headers:
            mapping[header] = name.strip().lower()
    return Names(mapping)
