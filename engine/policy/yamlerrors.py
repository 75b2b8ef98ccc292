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
from engine.i18n import N_, _

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

    unclosed = "end of stream" in problem or "document indicator" in problem
    if "quoted scalar" in context and cm is not None and unclosed:
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
    char = ""
    if pm is not None and pm.line < len(lines) and pm.column < len(lines[pm.line]):
        char = lines[pm.line][pm.column]
    message, hint = problem_text(problem, context, char)
    if hint is None and cm is not None and pm is not None and cm.line != pm.line:
        hint = _("the construct it was reading starts at line {line}").format(line=cm.line + 1)
    return Diagnostic("yaml", message, span, hint)


# PyYAML's problems (its own Python parser's words and libyaml's), each a fragment of
# the text it gives, with the message and hint a reader is told instead: the parser's
# English never reaches a reader of another language. First match wins.
_PROBLEMS: list[tuple[tuple[str, ...], str, str | None]] = [
    (
        ("mapping values are not allowed",),
        N_("a `: ` where no key can start: a value that holds `: ` must be quoted"),
        N_('put the value in quotes ("..."), or start the key on a line of its own'),
    ),
    (
        ("mapping keys are not allowed",),
        N_("a `? ` key marker where no key can start"),
        N_('put a value that starts with `?` in quotes ("...")'),
    ),
    (
        ("sequence entries are not allowed",),
        N_("a list item `- ` where no list can start"),
        N_("start the list on the line after its key, or quote a value starting with `- `"),
    ),
    (
        ("could not find expected ':'",),
        N_("a key without its colon `:`"),
        N_("write `key: value`; a text over several lines goes in quotes or after `|`"),
    ),
    (
        ("did not find expected key", "expected <block end>"),
        N_("this line is not a key of the mapping it is in"),
        N_("check its indentation and its colon, and quote a value with `#` or `: `"),
    ),
    (
        ("did not find expected '-' indicator",),
        N_("this line is not an item of the list it is in (`- `)"),
        N_("indent it as the list's other items, or start it with `- `"),
    ),
    (
        ("cannot start any token",),
        N_("a value cannot start with this character"),
        N_('put the value in quotes ("...")'),
    ),
    (
        ("tab character",),
        N_("a tab in the indentation: YAML indents with spaces only"),
        N_("replace the tab with spaces"),
    ),
    (
        ("undefined alias",),
        N_("an alias `*` names an anchor `&` that is not defined"),
        N_("define the anchor first, or quote a value that starts with `*`"),
    ),
    (
        ("duplicate anchor", "second occurrence"),
        N_("an anchor `&` is defined twice"),
        N_("give each anchor its own name"),
    ),
    (
        ("unknown escape",),
        N_("an unknown escape `\\` in a double-quoted text"),
        N_("write `\\\\` for a backslash, or put the text in single quotes"),
    ),
    (
        ("hexdecimal", "hexadecimal", "unicode character escape"),
        N_("a bad `\\x`, `\\u` or `\\U` escape in a double-quoted text"),
        N_("put the text in single quotes"),
    ),
    (
        ("end of stream",),
        N_("the file ends inside a quoted text or an open `[` or `{`"),
        N_("close it"),
    ),
    (
        ("',' or '}'",),
        N_("a `{` mapping is not closed by `}`, or two of its entries lack a `,`"),
        None,
    ),
    (
        ("',' or ']'",),
        N_("a `[` list is not closed by `]`, or two of its items lack a `,`"),
        None,
    ),
    (
        ("another document", "single document"),
        N_("a second YAML document (`---`): a policy or test file holds one"),
        N_("remove the `---` line, or split the file"),
    ),
    (
        ("document indicator", "document separator", "document start"),
        N_("a `---` or `...` line where it cannot be"),
        N_("remove it, or quote a value that starts with it"),
    ),
    (
        ("directive", "incompatible yaml"),
        N_("a `%` directive policyctl does not read"),
        N_("remove the `%` line"),
    ),
    (
        ("while scanning a tag", "while parsing a tag", "tag handle", "tag uri", "'!'"),
        N_("a tag `!` that policyctl does not read"),
        N_("quote a value that starts with `!`"),
    ),
    (
        ("an anchor", "an alias"),
        N_("an anchor `&` or alias `*` without a name"),
        N_("quote a value that starts with `&` or `*`"),
    ),
    (
        ("block scalar", "indentation indicator", "chomping"),
        N_("a bad `|` or `>` block header"),
        N_("write `|` or `>` at the end of the key's line, the text indented below"),
    ),
    (
        ("comment or line break", "comment or a line break"),
        N_("more text after a value on its line"),
        N_("quote the whole value, or start a comment with ` #`"),
    ),
    (
        ("node content",),
        N_("a value is missing here"),
        N_("quote a value that starts with a sign YAML reads (`,`, `]`, `}`)"),
    ),
    (
        ("control character", "special character", "utf-8 octet", "unacceptable character"),
        N_("a control character, which YAML does not allow"),
        N_("remove it: a policy is plain text"),
    ),
]


def problem_text(problem: str, context: str = "", char: str = "") -> tuple[str, str | None]:
    """The message and hint for one of PyYAML's problems, in the reader's language; a
    problem not in the table keeps the parser's words, quoted as its own."""
    said = f"{problem} | {context}".lower()
    for fragments, message, hint in _PROBLEMS:
        if any(f.lower() in said for f in fragments):
            text = _(message)
            if fragments[0] == "cannot start any token" and char.strip():
                text = _("a value cannot start with `{char}`").format(char=char)
            return text, _(hint) if hint else None
    return _("invalid YAML (the parser says `{problem}`)").format(problem=problem or context), None


def reader_error(file: str, text: str, exc: yaml.YAMLError) -> Diagnostic:
    """PyYAML's reader refusing a character (a control character, `\\x07`): at the
    character's line and column, with its code."""
    position = getattr(exc, "position", None)
    span = Span(file)
    if isinstance(position, int) and 0 <= position <= len(text):
        line = text.count("\n", 0, position)
        column = position - (text.rfind("\n", 0, position) + 1)
        span = Span(file, line + 1, column + 1)
    code = getattr(exc, "character", None)
    shown = f"U+{code:04X}" if isinstance(code, int) else "?"
    return Diagnostic(
        "yaml",
        _("a control character ({code}), which YAML does not allow").format(code=shown),
        span,
        _("remove it: a policy is plain text"),
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
