"""Text -> syntax tree, for expressions and action phrases.

One LALR parser, built once from `grammar.lark` (package data) and cached by
Lark between runs; Lark's errors become `ExprSyntaxError` carrying the offset
inside the expression, which the loader maps to a file column. Any text either
parses or raises that error: never another exception (a property test holds us
to it).
"""

from __future__ import annotations

import functools
from fractions import Fraction

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from engine.dsl import ast
from engine.i18n import N_, _
from engine.limits import MAX_NUMBER_DIGITS

MAX_LENGTH = 2000
MAX_DEPTH = 60
MAX_DIGITS = MAX_NUMBER_DIGITS


class ExprSyntaxError(Exception):
    """An expression or action phrase that does not parse; `offset` is 0-based."""

    def __init__(self, message: str, offset: int, hint: str | None = None, code: str = "syntax"):
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint
        self.code = code


@functools.cache
def _parser() -> Lark:
    return Lark.open_from_package(
        "engine.dsl",
        "grammar.lark",
        parser="lalr",
        start=["expression", "phrase"],
        propagate_positions=True,
        maybe_placeholders=True,
        cache=True,
    )


_UNITS = {"day", "week", "month", "year"}


def _number(text: str, pos: int) -> ast.Number:
    if len(text) > MAX_DIGITS:
        raise ExprSyntaxError(_("number `{text}...` is too long").format(text=text[:12]), pos)
    if "." in text:
        value = Fraction(text)
        return value.numerator if value.denominator == 1 else value
    return int(text)


# The longest length a policy may write, in each unit: 100 years (`ban never` and
# `terminate` are for longer), so that no date computed from one passes 9999-12-31
_LONGEST = {"day": 36_525, "week": 5_218, "month": 1_200, "year": 100}


def _length(number: Token, unit: Token, pos: int | None = None) -> ast.Duration:
    """A length (`3 months`, `10 working days`), no longer than 100 years."""
    n, u = _number(number, number.start_pos), _unit(unit)
    if n > _LONGEST[u.split()[-1]]:
        raise ExprSyntaxError(
            _("`{length}` is longer than 100 years, the longest length a policy may give").format(
                length=f"{number} {unit}"
            ),
            number.start_pos,
            _("for a sanction without end, write `terminate` or `ban never`"),
            "duration",
        )
    return ast.Duration(n, u, number.start_pos if pos is None else pos)


def _unit(token: Token) -> str:
    words = token.split()
    base = words[-1].rstrip("s") if words[-1] != "days" else "day"
    assert base in _UNITS
    return ("working " + base) if len(words) == 2 else base


def _unquote(token: Token) -> str:
    body = token[1:-1]
    if "\\" not in body:
        return body
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append({"n": "\n", "t": "\t"}.get(nxt, nxt))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


@v_args(meta=True)
class _ToAst(Transformer):
    """Lark tree -> ast nodes. Raises nothing (errors inside arrive as VisitError)."""

    def expression(self, meta, c):
        return c[0]

    def phrase(self, meta, c):
        return c[0]

    def number(self, meta, c):
        return ast.Num(_number(c[0], c[0].start_pos), meta.start_pos)

    def percent(self, meta, c):
        value = Fraction(c[0][:-1]) / 100
        return ast.Num(value.numerator if value.denominator == 1 else value, meta.start_pos)

    def string(self, meta, c):
        return ast.Str(_unquote(c[0]), meta.start_pos)

    def date(self, meta, c):
        return ast.DateLit(str(c[0]), meta.start_pos)

    def duration(self, meta, c):
        return _length(c[0], c[1], meta.start_pos)

    def true(self, meta, c):
        return ast.Bool(True, meta.start_pos)

    def false(self, meta, c):
        return ast.Bool(False, meta.start_pos)

    def null(self, meta, c):
        return ast.Null(meta.start_pos)

    def name(self, meta, c):
        return ast.Name(str(c[0]), meta.start_pos)

    def call(self, meta, c):
        return ast.Call(str(c[0]), tuple(a for a in c[1:] if a is not None), meta.start_pos)

    def list_(self, meta, c):
        return ast.ListLit(tuple(a for a in c if a is not None), meta.start_pos)

    def lambda_(self, meta, c):
        return ast.Lambda(str(c[0]), c[1], meta.start_pos)

    def attr(self, meta, c):
        return ast.Attr(c[0], str(c[1]), meta.start_pos)

    def index(self, meta, c):
        return ast.Index(c[0], c[1], meta.start_pos)

    def neg(self, meta, c):
        return ast.Unary("-", c[0], meta.start_pos)

    def not_(self, meta, c):
        return ast.Unary("not", c[0], meta.start_pos)

    def _binary(op):  # noqa: N805 - a small factory used in the class body
        def method(self, meta, c):
            return ast.Binary(op, c[0], c[1], meta.start_pos)

        return method

    add, sub, mul, div = _binary("+"), _binary("-"), _binary("*"), _binary("/")
    and_, or_ = _binary("and"), _binary("or")

    def compop(self, meta, c):
        return " ".join(str(t) for t in c)

    def compare(self, meta, c):
        return ast.Compare(tuple(c[0::2]), tuple(c[1::2]), meta.start_pos)

    def cond(self, meta, c):
        return ast.Cond(c[0], c[1], c[2], meta.start_pos)

    # ---- actions
    def length(self, meta, c):
        low, high, unit = c
        lo = _length(low, unit)
        if high is None:
            return (lo, None)
        return (lo, _length(high, unit))

    def bound(self, meta, c):
        n, unit = c
        return (None, _length(n, unit))

    def interview(self, meta, c):
        return ast.Action("interview", pos=meta.start_pos)

    def terminate(self, meta, c):
        return ast.Action("terminate", pos=meta.start_pos)

    def refer(self, meta, c):
        return ast.Action("refer", pos=meta.start_pos)

    def suspend(self, meta, c):
        low, high = c[0] if c and c[0] is not None else (None, None)
        return ast.Action("suspend", low, high, pos=meta.start_pos)

    def ban(self, meta, c):
        low, high = c[0]
        return ast.Action("ban", low, high, pos=meta.start_pos)

    def ban_never(self, meta, c):
        return ast.Action("ban", never=True, pos=meta.start_pos)

    def named(self, meta, c):
        return ast.Action(str(c[0]), pos=meta.start_pos)


_TRANSFORMER = _ToAst()

_READABLE = {
    "NAME": N_("a name"),
    "NUMBER": N_("a number"),
    "STRING": N_("a string"),
    "DATE": N_("a date"),
    "PERCENT": N_("a percentage"),
    "UNIT": N_("a unit (days, months, years)"),
    "ACTION_NAME": N_("an action name"),
    "$END": N_("the end"),
}


def _expected(exc: UnexpectedInput) -> str:
    names = sorted(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())
    words = []
    for n in names:
        if n in _READABLE:
            words.append(_(_READABLE[n]))
        else:
            try:
                words.append(f"`{_parser().get_terminal(n).pattern.value}`")
            except (KeyError, AttributeError):
                words.append(n.lower())
    if not words:
        return ""
    shown = ", ".join(words[:8]) + (", ..." if len(words) > 8 else "")
    return _("expected {words}").format(words=shown)


def _check_depth(node) -> None:
    stack = [(node, 1)]
    while stack:
        n, d = stack.pop()
        if d > MAX_DEPTH:
            raise ExprSyntaxError(
                _("expression is nested too deeply"),
                getattr(n, "pos", 0),
                _("at most {MAX_DEPTH} levels").format(MAX_DEPTH=MAX_DEPTH),
                code="too-complex",
            )
        stack.extend((c, d + 1) for c in ast.children(n))


def _parse(text: str, start: str):
    if not isinstance(text, str):
        raise ExprSyntaxError(_("expected text"), 0)
    if len(text) > MAX_LENGTH:
        raise ExprSyntaxError(
            _("expression is too long ({n_text} characters)").format(n_text=len(text)),
            MAX_LENGTH,
            _("at most {MAX_LENGTH} characters").format(MAX_LENGTH=MAX_LENGTH),
            code="too-complex",
        )
    if not text.strip():
        raise ExprSyntaxError(_("empty expression"), 0, code="syntax")
    parser = _parser()
    try:
        tree: Tree = parser.parse(text, start=start)
        result = _TRANSFORMER.transform(tree)
    except UnexpectedCharacters as exc:
        ch = text[exc.pos_in_stream] if exc.pos_in_stream < len(text) else ""
        raise ExprSyntaxError(
            _("unexpected character `{ch}`").format(ch=ch),
            exc.pos_in_stream,
            _expected(exc) or None,
        ) from None
    except UnexpectedToken as exc:
        tok = exc.token
        if tok.type == "$END":
            raise ExprSyntaxError(
                _("unexpected end of expression"), len(text.rstrip()), _expected(exc) or None
            ) from None
        raise ExprSyntaxError(
            _("unexpected `{tok}`").format(tok=tok), tok.start_pos or 0, _expected(exc) or None
        ) from None
    except UnexpectedInput as exc:
        raise ExprSyntaxError(
            _("unexpected end of expression"), len(text.rstrip()), _expected(exc) or None
        ) from None
    except LarkError as exc:  # VisitError wrapping one of ours, or a Lark internal
        inner = getattr(exc, "orig_exc", None)
        if isinstance(inner, ExprSyntaxError):
            raise inner from None
        raise ExprSyntaxError(_("cannot parse: {exc}").format(exc=exc), 0) from None
    except RecursionError:
        raise ExprSyntaxError(_("expression is nested too deeply"), 0, code="too-complex") from None
    _check_depth(result)
    return result


def parse_expr(text: str) -> ast.Node:
    """Parse an expression such as `80 < score <= 90`."""
    return _parse(text, "expression")


def parse_action(text: str) -> ast.Action:
    """Parse an action phrase such as `suspend 3 months` or `ban never`."""
    return _parse(text, "phrase")
