"""Stage 1 of loading: YAML text -> plain data + a map from path to source position.

Policy files are untrusted, so only PyYAML's safe composer is used (the C one,
libyaml, when the wheel has it: about six times faster, same positions), and the
plain data is built here from the node graph rather than by PyYAML's
constructors. That lets us

- keep every node's line and column, so the schema and the checker can point at
  `file:line:col` long after the YAML is gone;
- keep dates as strings until the model decides what they are (PyYAML would
  turn `2024-03-29` into a `date`, which JSON Schema cannot check);
- reject duplicate keys, which PyYAML silently lets the last one win;
- bound the work an alias bomb ("billion laughs") can cause.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine.errors import Diagnostic, PolicyError, Span, os_reason
from engine.i18n import _
from engine.limits import MAX_NUMBER_DIGITS, TooLarge, read_text_file
from engine.policy import yamlerrors

try:  # libyaml is in the PyYAML wheels; fall back quietly where it is not
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_NODES = 200_000
MAX_DEPTH = 64
_BIGGEST = 10**MAX_NUMBER_DIGITS  # the first number a policy may not write

PathT = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Scalar:
    """Where a scalar's text starts, so an expression inside it maps to columns."""

    span: Span
    inline: bool  # the text sits on one line, so column = start + offset


@dataclass
class Document:
    """A loaded YAML file: its data and where each part of it came from."""

    path: str
    text: str
    data: Any
    spans: dict[PathT, Span]
    key_spans: dict[PathT, Span]
    scalars: dict[PathT, Scalar]

    def span(self, path: PathT) -> Span:
        """The nearest known position for `path` (walking up to a parent)."""
        p = tuple(path)
        while p:
            if p in self.spans:
                return self.spans[p]
            p = p[:-1]
        return self.spans.get((), Span(self.path, 1, 1))

    def key_span(self, path: PathT) -> Span:
        return self.key_spans.get(tuple(path)) or self.span(path)

    def expr_origin(self, path: PathT) -> tuple[Span, bool]:
        """Span of an expression string's first character, and whether columns map."""
        s = self.scalars.get(tuple(path))
        if s is None:
            return self.span(path), False
        return s.span, s.inline


def _mark_span(file: str, mark: Any) -> Span:
    return Span(file, mark.line + 1, mark.column + 1)


def load_document(path: str | Path, text: str | None = None) -> Document:
    """Read and compose a YAML file; raise PolicyError with a position on failure."""
    name = str(path)
    if text is None:
        try:
            raw = read_text_file(path)  # bounded: docs/ledger.md, "Limits"
        except TooLarge as exc:
            raise PolicyError(
                Diagnostic(
                    "limit",
                    _("cannot read file: {reason}").format(reason=exc),
                    Span(name),
                    _("a policy is a small YAML file: is this the right path?"),
                )
            ) from None
        except FileNotFoundError:  # the OS's own words are English whatever --lang says
            raise PolicyError(
                Diagnostic(
                    "io",
                    _("cannot read file: {reason}").format(reason=_("no such file")),
                    Span(name),
                    _("check the path"),
                )
            ) from None
        except OSError as exc:
            raise PolicyError(
                Diagnostic(
                    "io",
                    _("cannot read file: {reason}").format(reason=os_reason(exc)),
                    Span(name),
                )
            ) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PolicyError(not_utf8(name, raw)) from None
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        raise PolicyError(yamlerrors.describe(name, text, exc)) from None
    except yaml.YAMLError as exc:  # the reader's: a control character
        raise PolicyError(yamlerrors.reader_error(name, text, exc)) from None
    builder = _Builder(name, text)
    data = None if node is None else builder.build(node, (), 0)
    if builder.errors:
        raise PolicyError(builder.errors)
    return Document(name, text, data, builder.spans, builder.key_spans, builder.scalars)


def not_utf8(name: str, raw: bytes) -> Diagnostic:
    """A YAML file (policy, test file, code map) that is not UTF-8, at the line and
    column of its first byte that is not, saying what it is where that is plain:
    UTF-16 (Windows Notepad's "Unicode") by its byte-order mark, GB18030 (GBK, what
    Chinese Windows saves as "ANSI") when it reads as that."""
    hint = _("save it as UTF-8 (in Notepad: Save As, Encoding UTF-8)")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:4096]:  # NULs: UTF-16's
        return Diagnostic("encoding", _("the file is UTF-16, not UTF-8"), Span(name, 1, 1), hint)
    try:
        raw.decode("utf-8")
        start = len(raw)  # (not reached: the caller's utf-8-sig failed)
    except UnicodeDecodeError as exc:
        start = exc.start
    begin = raw.rfind(b"\n", 0, start) + 1
    line = raw.count(b"\n", 0, start) + 1
    column = len(raw[begin:start].decode("utf-8", "replace").lstrip("\ufeff")) + 1
    try:
        raw.decode("gb18030")
        message = _(
            "the file is not UTF-8: it reads as GB18030 (GBK), as Chinese Windows saves text"
        )
    except UnicodeDecodeError:
        message = _("the file is not UTF-8")
    return Diagnostic("encoding", message, Span(name, line, column), hint)


class _Builder:
    """Turns a composed node graph into plain Python data, recording positions."""

    def __init__(self, file: str, text: str = ""):
        self.file = file
        self.text = text
        self._split: list[str] | None = None
        self.spans: dict[PathT, Span] = {}
        self.key_spans: dict[PathT, Span] = {}
        self.scalars: dict[PathT, Scalar] = {}
        self.errors: list[Diagnostic] = []
        self.count = 0

    def _lines(self) -> list[str]:
        if self._split is None:
            self._split = self.text.splitlines()
        return self._split

    def build(self, node: yaml.Node, path: PathT, depth: int) -> Any:
        self.count += 1
        span = _mark_span(self.file, node.start_mark)
        if self.count > MAX_NODES or depth > MAX_DEPTH:
            if not self.errors or self.errors[-1].code != "yaml-size":
                self.errors.append(
                    Diagnostic(
                        "yaml-size",
                        _("document is too large or too deeply nested"),
                        span,
                        _(
                            "at most {nodes} nodes and {depth} levels (aliases count each use)"
                        ).format(nodes=MAX_NODES, depth=MAX_DEPTH),
                    )
                )
            return None
        self.spans[path] = span
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self.errors.append(
                        Diagnostic(
                            "yaml-key",
                            _("mapping keys must be plain text"),
                            _mark_span(self.file, key_node.start_mark),
                        )
                    )
                    continue
                key = key_node.value
                kspan = _mark_span(self.file, key_node.start_mark)
                if "：" in key and not key_node.style:  # `{kind： deductions}` parses
                    line = key_node.start_mark.line
                    found = yamlerrors.fullwidth_colon(
                        self.file,
                        line + 1,
                        self._lines()[line] if line < len(self._lines()) else "",
                    )
                    if found:
                        self.errors.append(found)
                        continue
                if key in out:
                    self.errors.append(
                        Diagnostic(
                            "duplicate-key",
                            _("duplicate key `{key}`").format(key=key),
                            kspan,
                            _("`{key}` is already set at line {line}").format(
                                key=key, line=self.key_spans[path + (key,)].line
                            ),
                        )
                    )
                    continue
                self.key_spans[path + (key,)] = kspan
                out[key] = self.build(value_node, path + (key,), depth + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.build(v, path + (i,), depth + 1) for i, v in enumerate(node.value)]
        return self._scalar(node, path, span)

    def _scalar(self, node: yaml.ScalarNode, path: PathT, span: Span) -> Any:
        value: str = node.value
        inline = node.start_mark.line == node.end_mark.line
        if node.style in ("'", '"'):
            self.scalars[path] = Scalar(span.shifted(1), inline)
            return value
        if node.style in ("|", ">"):
            self.scalars[path] = Scalar(Span(self.file, span.line + 1, 0), False)
            return value
        self.scalars[path] = Scalar(span, inline)
        tag = node.tag
        if tag == "tag:yaml.org,2002:int":
            bare = value.replace("_", "").lstrip("+-")
            if bare.isdigit() and len(bare.lstrip("0")) > MAX_NUMBER_DIGITS:
                return self._too_long(value, span)  # before int(): past 4,300 digits it fails
            try:
                number = int(value.replace("_", ""), 0) if not value.isdigit() else int(value)
            except ValueError:
                return value
            return number if abs(number) < _BIGGEST else self._too_long(value, span)
        if tag == "tag:yaml.org,2002:float":
            try:
                f = float(value.replace("_", ""))
            except ValueError:
                return value
            if f != f or f in (float("inf"), float("-inf")):
                return value
            return f if abs(f) < _BIGGEST else self._too_long(value, span)
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() in ("true", "yes", "on", "y")
        if tag == "tag:yaml.org,2002:null":
            return None
        return value  # strings, and timestamps kept as text

    def _too_long(self, value: str, span: Span) -> None:
        """A number past MAX_NUMBER_DIGITS (a hex `0xfff...` of thousands of digits, say):
        refused here, at its position, rather than passing `validate` and failing when
        the output prints it."""
        self.errors.append(
            Diagnostic(
                "limit",
                _("number `{number}` is too large: more than {digits} digits").format(
                    number=value if len(value) <= 16 else value[:12] + "...",
                    digits=MAX_NUMBER_DIGITS,
                ),
                span,
                _("a number in a policy has at most {digits} digits").format(
                    digits=MAX_NUMBER_DIGITS
                ),
            )
        )
        return None
