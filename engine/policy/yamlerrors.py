"""YAML syntax errors told as an analyst can fix them (part of loading, stage 1).

PyYAML's own messages name the parser's state ("while scanning a simple key ...
could not find expected ':'") and often point at the line after the mistake.
The commonest mistakes of someone typing a policy beside a Chinese regulation
have a recognisable shape, and each gets its own message, position and hint:

- a full-width colon `：` typed with a Chinese input method (`title：测试`): the
  colon itself, on its line;
- a tab in the indentation: the tab;
- an unclosed quote: the opening quote (PyYAML reports the end of the file);
- bad indentation: the line, with the column its siblings start at.

Anything else keeps PyYAML's description, with the place it gives. The code is
always `yaml`: only the words and the position are better.
"""

from __future__ import annotations

import re

import yaml

from engine.errors import Diagnostic, Span
from engine.i18n import _

# A key followed by a full-width colon, outside quotes: `title：`, `- code：`, `{kind：`
_FULLWIDTH_KEY = re.compile(
    r"""^(?P<lead>\s*(?:-\s+)*[{,]?\s*)(?P<key>[^\s:：#'"{}\[\],]+?)\s*："""
)
_FLOW_FULLWIDTH_KEY = re.compile(r"""[{,]\s*(?P<key>[^\s:：#'"{}\[\],]+?)\s*：""")
_INDENT_PROBLEMS = (
    "mapping values are not allowed",
    "did not find expected key",
    "did not find expected '-' indicator",
    "expected <block end>",
)


def fullwidth_colon(file: str, line_no: int, line: str) -> Diagnostic | None:
    """The diagnostic for a key followed by `：` on this line (1-based), if there is one."""
    m = _FULLWIDTH_KEY.match(line) or _FLOW_FULLWIDTH_KEY.search(line)
    if not m:
        return None
    column = line.index("：", m.start("key")) + 1
    return Diagnostic(
        "yaml",
        _("full-width colon `：` after `{key}`: YAML needs an ASCII colon `:`").format(
            key=m.group("key")
        ),
        Span(file, line_no, column),
        _("a Chinese input method typed `：`; replace it with `:` followed by a space"),
    )


def describe(file: str, text: str, exc: yaml.MarkedYAMLError) -> Diagnostic:
    """One diagnostic for a YAML syntax error, at the place the mistake was made."""
    lines = text.splitlines()
    problem = (exc.problem or "").strip()
    context = (exc.context or "").strip()
    pm, cm = exc.problem_mark, exc.context_mark
    p_line = pm.line if pm else (cm.line if cm else 0)

    # a tab in the indentation of any line up to the problem
    first = cm.line if cm else p_line
    for i in range(min(first, p_line), min(p_line, len(lines) - 1) + 1):
        indent = re.match(r"[ \t]*", lines[i]).group(0)
        if "\t" in indent:
            return Diagnostic(
                "yaml",
                _("a tab in the indentation: YAML indents with spaces only"),
                Span(file, i + 1, indent.index("\t") + 1),
                _("replace the tab with spaces"),
            )

    # a full-width colon on the lines the parser was reading
    start = max(0, min(first, p_line) - 1)
    for i in range(start, min(p_line, len(lines) - 1) + 1):
        found = fullwidth_colon(file, i + 1, lines[i])
        if found:
            return found

    if "quoted scalar" in context and cm is not None:
        quote = lines[cm.line][cm.column] if cm.column < len(lines[cm.line]) else '"'
        return Diagnostic(
            "yaml",
            _("unclosed quote: the {quote} that opens this string is never closed").format(
                quote=quote
            ),
            Span(file, cm.line + 1, cm.column + 1),
            _("end the string with {quote} on the same line, or remove the opening quote").format(
                quote=quote
            ),
        )

    if pm is not None and any(problem.startswith(p) for p in _INDENT_PROBLEMS):
        found = _indentation(file, lines, pm.line)
        if found:
            return found

    span = Span(file, pm.line + 1, pm.column + 1) if pm else Span(file)
    hint = None
    if cm is not None and pm is not None and cm.line != pm.line:
        hint = _("the construct it was reading starts at line {line}").format(line=cm.line + 1)
    return Diagnostic(
        "yaml", _("invalid YAML: {problem}").format(problem=problem or context), span, hint
    )


def _column_of_content(line: str) -> int:
    """0-based column where a line's key or value starts, after any `- ` markers."""
    m = re.match(r"\s*(?:-\s+)*", line)
    return m.end() if m else 0


def _significant(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith("#")


def _indentation(file: str, lines: list[str], at: int) -> Diagnostic | None:
    """Bad indentation of line `at` (0-based): the column its siblings start at."""
    if at >= len(lines) or not _significant(lines[at]):
        return None
    line = lines[at]
    found = len(line) - len(line.lstrip(" "))
    # the columns open at this point: the previous line's content, then each enclosing level
    levels: list[tuple[int, int]] = []  # (column, line)
    lowest = None
    for i in range(at - 1, -1, -1):
        if not _significant(lines[i]):
            continue
        prev = lines[i]
        indent = len(prev) - len(prev.lstrip(" "))
        content = _column_of_content(prev)
        if lowest is None or content < lowest:
            levels.append((content, i))
            if indent != content:
                levels.append((indent, i))  # the `- ` of a list item
            lowest = min(indent, content)
        if lowest == 0:
            break
    if not levels:
        return None
    expected, where = min(levels, key=lambda lv: (abs(lv[0] - found), -lv[0]))
    if expected == found:
        return None
    key = lines[where].strip().lstrip("- ").split(":")[0].strip()
    return Diagnostic(
        "yaml",
        _("bad indentation: this line starts at column {found}, expected column {expected}").format(
            found=found + 1, expected=expected + 1
        ),
        Span(file, at + 1, found + 1),
        _(
            "align it with `{key}` on line {line}: "
            "the keys of one mapping start in the same column, indented with spaces"
        ).format(key=key, line=where + 1),
    )
