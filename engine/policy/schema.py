"""Stage 2 of loading: the policy's structure, checked against its JSON Schema.

The schema (`schema/policy.schema.json`, shipped inside the package too) is the
one description of the YAML's structure: editors use it for completion, and
this module turns its errors into diagnostics at the YAML's line and column.
jsonschema is imported here and only here: it is the slowest import we have.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from importlib import resources
from typing import Any

from engine.errors import Diagnostic, closest
from engine.i18n import N_, _, known, language
from engine.policy.source import Document


@functools.cache
def policy_schema() -> dict:
    text = resources.files("engine.policy").joinpath("policy.schema.json").read_text("utf-8")
    return json.loads(text)


_NUMBERISH = re.compile(r"[+-]?(\.?inf|\.?nan|[0-9][0-9,_]*\.?[0-9]*(e[+-]?[0-9]+)?)$", re.I)


def _where(path) -> str:
    """Where in the policy, as a message names it: `cycle.cap`, or the top level."""
    if not path:
        return _("the top level of the policy")
    return "`" + ".".join(str(p) for p in path) + "`"


def _joined(message: str) -> str:
    """The top level's name, which is not quoted, joined to the Chinese word after it
    (the catalogue's messages put a space after a quoted `{where}`)."""
    top = _("the top level of the policy")
    return message.replace(top + " ", top) if language() == "zh" else message


def _allowed_keys(schema: dict) -> list[str]:
    return sorted((schema or {}).get("properties", {}))


def schema_diagnostics(doc: Document) -> list[Diagnostic]:
    """Every structural problem in the document, in file order."""
    import jsonschema

    validator = jsonschema.Draft7Validator(policy_schema())
    out: list[tuple[tuple[int, int], Diagnostic]] = []
    seen: set[tuple] = set()
    for error in validator.iter_errors(doc.data):
        err = error
        if err.context:
            # of a oneOf's branches, one whose type the value has, and that got furthest
            # into it, says what is wrong (points: -5 is below a number's minimum, not
            # "not a string"; {min: -1, max: 3} has a min below 0, not "no key min")
            typed = [e for e in err.context if e.path or e.validator != "type"]
            deepest = max((len(e.path) for e in typed), default=0)
            typed = [e for e in typed if len(e.path) == deepest]
            err = jsonschema.exceptions.best_match(typed or err.context) or err
        path = tuple(err.absolute_path)
        diag = _diagnostic(doc, err, path)
        if not path:  # 政策顶层 缺少键: no space between Chinese words
            diag = dataclasses.replace(diag, message=_joined(diag.message))
        key = (
            diag.span.line if diag.span else 0,
            diag.span.column if diag.span else 0,
            diag.message,
        )
        if key in seen:
            continue
        seen.add(key)
        out.append(((key[0], key[1]), diag))
    out.sort(key=lambda p: p[0])
    return [d for _, d in out]


def _diagnostic(doc: Document, err: Any, path: tuple) -> Diagnostic:
    v = err.validator
    if v == "required":
        missing = err.message.split("'")[1] if "'" in err.message else err.message
        return Diagnostic(
            "schema",
            _("{where} is missing the key `{missing}`").format(where=_where(path), missing=missing),
            doc.span(path),
            _("add `{missing}:`").format(missing=missing),
        )
    if v == "additionalProperties":
        allowed = _allowed_keys(err.schema)
        extra = [k for k in (err.instance or {}) if k not in allowed]
        key = extra[0] if extra else "?"
        close = closest(key, allowed)
        hint = (
            _("did you mean `{near}`?").format(near=close)
            if close
            else (_("allowed keys: {keys}").format(keys=_(", ").join(allowed)) if allowed else None)
        )
        return Diagnostic(
            "schema",
            _("unknown key `{key}` in {where}").format(key=key, where=_where(path)),
            doc.key_span(path + (key,)),
            hint,
        )
    if v == "enum":
        options = _(", ").join(f"`{o}`" for o in err.validator_value)
        return Diagnostic(
            "schema",
            _("{where} is `{instance}`; expected one of {options}").format(
                where=_where(path), instance=err.instance, options=options
            ),
            doc.span(path),
        )
    if v == "type":
        want = err.validator_value
        wants = want if isinstance(want, list) else [want]
        article = _article(wants[0])
        for other in wants[1:]:
            article = _("{first} or {second}").format(first=article, second=_article(other))
        return Diagnostic(
            "schema",
            _("{where} should be {article}, found {kind}").format(
                where=_where(path), article=article, kind=_kind(err.instance)
            ),
            doc.span(path),
            # YAML reads 1e20, 1,000, .inf as text: say so, with the value
            _(
                "`{value}` is read as text: write the number in plain digits, e.g. `12` or `0.5`"
            ).format(value=err.instance)
            if {"number", "integer"} & set(wants)
            and isinstance(err.instance, str)
            and _NUMBERISH.match(err.instance.strip())
            else None,
        )
    if v == "pattern":
        desc = err.schema.get("description", "")
        return Diagnostic(
            "schema",
            _("{where} is `{instance}`, which is not of the expected form").format(
                where=_where(path), instance=err.instance
            ),
            doc.span(path),
            _pattern_hint(err.validator_value, desc.split(".")[0]),
        )
    bounded = _bound(v, err.validator_value, err.instance, _where(path))
    if bounded is not None:
        return Diagnostic("schema", bounded, doc.span(path))
    # the rest (oneOf, not, if/then, dependencies) in jsonschema's words, which are
    # English: quoted as its own, after a sentence in the reader's language
    message = err.message.replace("\n", " ")
    if len(message) > 160:
        message = message[:157] + "..."
    return Diagnostic(
        "schema",
        _("{where} does not have the form the schema asks for (`{message}`)").format(
            where=_where(path), message=message
        ),
        doc.span(path),
    )


# the forms a value must take, said in the reader's language (the schema's descriptions,
# which editors show, are English)
_PATTERN_HINTS = {
    "date": N_("write dates as YYYY-MM-DD, e.g. `2024-03-29`"),
    "id": N_("use lower-case letters, digits and dashes, e.g. `jining`"),
    "month-day": N_('write MM-DD in quotes: "01-01" is a natural year, "04-01" April to March'),
    "sha256": N_("64 lower-case hexadecimal digits, or `pending` until the text is final"),
    "ban": N_("e.g. `ban 6 months`, `ban 1 to 2 years`, `ban never`"),
    "duration": N_("e.g. `3 months`, `10 working days`"),
    "code": N_("letters, digits and . _ -, e.g. `A1`, `LOSS`, `TEST-FAIL`"),
    "name": N_("lower-case letters, digits and underscores, e.g. `circumstance`"),
    "label": N_("lower-case letters, digits, dashes and underscores, e.g. `fraud`"),
}
_PATTERN_KINDS = {
    "^[a-z0-9-]+$": "id",
    "^[a-z][a-z0-9-]*$": "id",
    "^[A-Za-z0-9][A-Za-z0-9._-]*$": "code",
    "^[a-z_][a-z0-9_]*$": "name",
    "^[a-z][a-z0-9_]*$": "name",
    "^[a-z0-9][a-z0-9_-]*$": "label",
}


def _pattern_hint(pattern: str, description: str) -> str | None:
    """How to write a value that does not match the schema's `pattern`."""
    kind = (
        "date"
        if pattern.startswith("^[0-9]{4}-")
        else "month-day"
        if pattern.startswith("^(0[1-9]|1[0-2])-")
        else "sha256"
        if "{64}" in pattern
        else "ban"
        if "ban" in pattern
        else "duration"
        if "working" in pattern
        else _PATTERN_KINDS.get(pattern)
    )
    if kind is not None:
        return _(_PATTERN_HINTS[kind])
    if not description:
        return None
    told = known(description)  # the schema's own words: where the catalogue has them
    return told if language() == "en" or told != description else None


def _bound(validator: str, limit: Any, value: Any, where: str) -> str | None:
    """A size or range the schema sets, broken: said in the reader's language
    (jsonschema's own `'' should be non-empty` is English)."""
    if validator in ("minLength", "minItems", "minProperties"):
        if limit == 1:
            return _("{where} must not be empty").format(where=where)
        return _("{where} needs at least {n} entries").format(where=where, n=limit)
    if validator == "minimum":
        return _("{where} is {value}; the least it may be is {limit}").format(
            where=where, value=value, limit=limit
        )
    if validator == "maximum":
        return _("{where} is {value}; the most it may be is {limit}").format(
            where=where, value=value, limit=limit
        )
    if validator == "exclusiveMinimum":
        return _("{where} is {value}; it must be more than {limit}").format(
            where=where, value=value, limit=limit
        )
    if validator == "uniqueItems":
        return _("{where} lists the same value twice").format(where=where)
    if validator == "const":
        return _("{where} must be `{limit}`").format(where=where, limit=limit)
    return None


_ARTICLED = {
    "integer": N_("an integer"),
    "number": N_("a number"),
    "string": N_("a string"),
    "boolean": N_("a boolean"),
    "array": N_("an array"),
    "object": N_("an object"),
    "null": N_("a null"),
}


def _article(word: str) -> str:
    if word in _ARTICLED:
        return _(_ARTICLED[word])
    return ("an " if word[:1] in "aeiou" else "a ") + word


def _kind(value: Any) -> str:
    if value is None:
        return _("nothing (null)")
    if isinstance(value, bool):
        return _("a boolean")
    if isinstance(value, (int, float)):
        return _("a number")
    if isinstance(value, str):
        return _("text")
    if isinstance(value, list):
        return _("a list")
    return _("a mapping")
