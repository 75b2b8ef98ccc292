"""The function library: one registry, name -> signature checker + implementation.

Functions over lists take their condition as a function argument
(`count(members, m -> m.sanctioned)`); the compiler binds the argument to a
slot in the environment, so a call costs a Python loop, not a tree walk.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from engine import calendar
from engine.dsl.types import ANY, BOOL, DATE, NUM, STR, ListT, Type, strip
from engine.errors import Refusal

# Kinds of signature, understood by the checker and the compiler:
#   "reduce"   f(list, x -> body)         body's type given; count's body optional
#   "numeric"  f(a, b, ...) or f(list)    numbers or dates, all alike
#   "plain"    f(args...)                 fixed argument types


@dataclass(frozen=True)
class Builtin:
    name: str
    kind: str
    result: Type
    doc: str
    body: Type | None = None  # reduce: the body's type
    params: tuple[tuple[Type, ...], ...] = ()  # plain: allowed types per argument
    impl: Callable | None = None
    optional_body: bool = False


# The list functions skip the body for an element that is the very same object
# as the one before (the body is pure, so the answer is the same): institution
# rules see one shared record for every quiet member of staff. A list that holds
# such repeats may say so: given a `runs()` method yielding (element, how many
# times in a row), the functions loop over the runs, not over every repeat (a
# staff of 500 with 200 quiet members is 301 runs).


def _runs(xs):
    """(element, repeats) of a list, from its `runs()` when it has one."""
    runs = getattr(xs, "runs", None)
    return runs() if runs is not None else None


def _count(xs, body, env, loc, slot):
    if body is None:
        return len(xs)
    runs = _runs(xs)
    if runs is not None:
        n = 0
        for x, k in runs:
            loc[slot] = x
            if body(env):
                n += k
        return n
    n, prev, hit = 0, _NONE, False
    for x in xs:
        if x is not prev:
            loc[slot] = prev = x
            hit = bool(body(env))
        if hit:
            n += 1
    return n


def _sum(xs, body, env, loc, slot):
    runs = _runs(xs)
    if runs is not None:
        total = 0
        for x, k in runs:
            loc[slot] = x
            value = body(env)
            if type(value) is int or type(value) is Fraction:
                total += value * k  # exact: the same as k additions
            else:
                for _ in range(k):  # anything else is added as many times as it is there
                    total += value
        return total
    total, prev, value = 0, _NONE, 0
    for x in xs:
        if x is not prev:
            loc[slot] = prev = x
            value = body(env)
        total += value
    return total


def _any(xs, body, env, loc, slot):
    runs = _runs(xs)
    if runs is not None:
        for x, _ in runs:
            loc[slot] = x
            if body(env):
                return True
        return False
    prev = _NONE
    for x in xs:
        if x is not prev:
            loc[slot] = prev = x
            if body(env):
                return True
    return False


def _all(xs, body, env, loc, slot):
    runs = _runs(xs)
    if runs is not None:
        for x, _ in runs:
            loc[slot] = x
            if not body(env):
                return False
        return True
    prev = _NONE
    for x in xs:
        if x is not prev:
            loc[slot] = prev = x
            if not body(env):
                return False
    return True


def _consecutive(xs, body, env, loc, slot):
    n = 0
    for x in reversed(xs):
        loc[slot] = x
        if not body(env):
            break
        n += 1
    return n


_NONE = object()


def _to_date(v):
    if isinstance(v, _dt.date):
        return v
    if v is None:
        raise TypeError("a date is missing")
    return calendar.parse_date(str(v).strip())


def _age(birth, on):
    return calendar.age_on(_to_date(birth), _to_date(on))


def _number(v):
    if isinstance(v, (int, Fraction)):
        return v
    if v is None:
        raise TypeError("a number is missing")
    text = str(v).strip()
    if len(text) > 30:
        raise ValueError(f"`{text[:12]}...` is too long for a number")
    f = Fraction(text)
    return f.numerator if f.denominator == 1 else f


def _year(d):
    return _to_date(d).year


def _refuse(message):
    raise Refusal(str(message))


def _min(*args):
    return min(args[0]) if len(args) == 1 else min(args)


def _max(*args):
    return max(args[0]) if len(args) == 1 else max(args)


BUILTINS: dict[str, Builtin] = {
    b.name: b
    for b in [
        Builtin(
            "count",
            "reduce",
            NUM,
            "how many elements meet the condition; count(list) its length",
            body=BOOL,
            impl=_count,
            optional_body=True,
        ),
        Builtin("sum", "reduce", NUM, "the sum of the value over the list", body=NUM, impl=_sum),
        Builtin("any", "reduce", BOOL, "some element meets the condition", body=BOOL, impl=_any),
        Builtin("all", "reduce", BOOL, "every element meets the condition", body=BOOL, impl=_all),
        Builtin(
            "consecutive",
            "reduce",
            NUM,
            "how many elements at the end of the list meet the condition in a row",
            body=BOOL,
            impl=_consecutive,
        ),
        Builtin("min", "numeric", NUM, "the smallest of its arguments", impl=_min),
        Builtin("max", "numeric", NUM, "the largest of its arguments", impl=_max),
        Builtin(
            "age",
            "plain",
            NUM,
            "whole years of age on a date",
            params=((DATE, STR), (DATE, STR)),
            impl=_age,
        ),
        Builtin(
            "date",
            "plain",
            DATE,
            "a date from YYYY-MM-DD text",
            params=((DATE, STR),),
            impl=_to_date,
        ),
        Builtin("number", "plain", NUM, "a number from text", params=((NUM, STR),), impl=_number),
        Builtin("year", "plain", NUM, "the year of a date", params=((DATE, STR),), impl=_year),
        # any: it gives no value, so it fits either branch of an `if`
        Builtin(
            "refuse",
            "plain",
            ANY,
            "refuse the row, with a message (in an item's points only)",
            params=((STR,),),
            impl=_refuse,
        ),
    ]
}


def accepts(allowed: tuple[Type, ...], t: Type) -> bool:
    t = strip(t)
    return t == ANY or t in allowed or (isinstance(t, ListT) and ListT in allowed)
