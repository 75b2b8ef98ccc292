"""Which names each place in a policy may use, and their types.

The checker reads these scopes; the evaluator fills an `Env` with the same
names. Keeping both sides in one module is what makes "unknown name" a load
error rather than a crash in the middle of a ledger.
"""

from __future__ import annotations

from engine.dsl.types import BOOL, DATE, NUM, STR, ListT, Optional, RecordT, Type

EVENT = RecordT(
    "event",
    {
        "id": STR,
        "person": STR,
        "date": DATE,
        "type": STR,
        "items": ListT(STR),
        "institution": Optional(STR),
        "inspection": Optional(STR),
        "amount": Optional(NUM),
        "points": Optional(NUM),
        "end": Optional(DATE),
    },
    extra=Optional(STR),
)

PERSON = RecordT("person", {"person": STR, "institutions": ListT(STR)}, extra=Optional(STR))

CYCLE = RecordT(
    "cycle",
    {
        "period": STR,
        "start": DATE,
        "end": DATE,
        "deducted": NUM,
        "score": NUM,
        "credited": NUM,
        "violations": NUM,
        "max_item_points": NUM,
    },
)

ACTION = RecordT(
    "action",
    {
        "action": STR,
        "start": DATE,
        "end": Optional(DATE),
        "cite": STR,
        "source": STR,
        "institution": Optional(STR),
    },
)

VIOLATION = RecordT(
    "violation",
    {
        "date": DATE,
        "points": NUM,
        "items": ListT(STR),
        "institution": Optional(STR),
    },
)

MEMBER = RecordT(
    "member",
    {
        "person": STR,
        "deducted": NUM,
        "score": NUM,
        "violations": NUM,
        "max_item_points": NUM,
        "suspended": BOOL,
        "terminated": BOOL,
        "sanctioned": BOOL,
    },
)


# The values a text can take where the engine alone decides them (Checker's `closed`):
# an event's type (the ledger's EVENT_TYPES: tests/test_validate.py holds them equal),
# the actions an `actions` record can name besides the policy's own, and how a
# terminating total was reached.
EVENT_TYPES = frozenset(
    {"violation", "reapply", "credit", "institution_suspended", "institution_terminated"}
)
ACTION_KINDS = frozenset(
    {"interview", "suspend", "terminate", "refer", "ban", "restore", "reinstate"}
)
REACHED_BY = frozenset({"single", "accumulation"})
# `cause` when the terminating item or rule names none (sanctions.py)
ENGINE_CAUSES = frozenset({"points", "rule", "item"})


def closed_values(named_actions, causes) -> dict:
    """The closed sets of texts for a policy with these named actions and item/rule
    causes, as the checker takes them."""
    return {
        ("event", "type"): EVENT_TYPES,
        ("action", "action"): ACTION_KINDS | frozenset(named_actions),
        "reached_by": REACHED_BY,
        "cause": ENGINE_CAUSES | frozenset(causes),
    }


def _totals(has_score: bool) -> dict[str, Type]:
    names: dict[str, Type] = {"deducted": NUM}
    if has_score:
        names["score"] = NUM
    return names


def item_scope() -> dict[str, Type]:
    return {"amount": Optional(NUM), "event": EVENT, "person": PERSON}


def tier_scope(has_score: bool) -> dict[str, Type]:
    return {**_totals(has_score), "cycle": CYCLE, "event": EVENT, "person": PERSON}


def rule_scope(has_score: bool) -> dict[str, Type]:
    return {
        **tier_scope(has_score),
        "cycles": ListT(CYCLE),
        "actions": ListT(ACTION),
        "suspensions": NUM,
        "terminations": NUM,
    }


def ban_scope(has_score: bool) -> dict[str, Type]:
    return {**tier_scope(has_score), "cause": STR, "terminations": NUM, "reached_by": STR}


def reapply_scope() -> dict[str, Type]:
    return {
        "date": DATE,
        "violations": ListT(VIOLATION),
        "terminations": NUM,
        "event": EVENT,
        "person": PERSON,
    }


def institution_scope() -> dict[str, Type]:
    return {"staff": NUM, "sanctioned": NUM, "members": ListT(MEMBER), "period": STR}


def fact_scope() -> dict[str, Type]:
    return {"person": PERSON, "as_of": DATE}


class Env:
    """The environment compiled expressions read: one attribute per scope name.

    One instance is reused and refilled by the evaluator (no dict per event);
    `loc` holds the values bound to function arguments while a list function runs.
    """

    __slots__ = (
        "amount",
        "event",
        "person",
        "deducted",
        "score",
        "cycle",
        "cycles",
        "actions",
        "suspensions",
        "terminations",
        "cause",
        "reached_by",
        "date",
        "violations",
        "staff",
        "sanctioned",
        "members",
        "period",
        "as_of",
        "loc",
    )

    def __init__(self) -> None:
        self.loc: list = [None] * 8
