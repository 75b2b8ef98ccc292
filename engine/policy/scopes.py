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


def reset_scope(has_score: bool) -> dict[str, Type]:
    """`cycle.reset_when`: the ending cycle's totals."""
    return {**_totals(has_score), "cycle": CYCLE}


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


# ---- claims (`claims:` rules, screened by `policyctl screen`) ---------------------------
# A rule reads one claim line and the practitioner's status on its date of service.
# The standard columns are names of their own (`visit`, `days_supply`); any other
# column of the claims file is `claim.NAME`, read as text. Every column may be
# empty in a real settlement extract, so each is optional: `days_supply > 3` on an
# empty cell cannot be decided (the screen counts such lines and reports them).

CLAIM_COLUMNS: dict[str, Type] = {
    "claim_id": Optional(STR),
    "person": Optional(STR),
    "institution": Optional(STR),
    "date": Optional(DATE),
    "amount": Optional(NUM),
    "visit": Optional(STR),  # outpatient | inpatient | emergency | rescue
    "days_supply": Optional(NUM),
    "condition": Optional(STR),  # acute | chronic
    "mobility_limited": Optional(BOOL),
}

# The columns the join and the output need whatever the rules read.
CLAIM_KEYS = ("claim_id", "person", "institution", "date", "amount")

CLAIM = RecordT("claim", CLAIM_COLUMNS, extra=Optional(STR))

# The sanction behind the status on the claim's date (all empty while active).
SANCTION = RecordT(
    "sanction",
    {
        "action": Optional(STR),  # suspend | terminate | awaiting_reapplication
        "start": Optional(DATE),
        "end": Optional(DATE),
        "cite": Optional(STR),
        "source": Optional(STR),
        "scope": Optional(STR),  # person | institution
        "institution": Optional(STR),
    },
)

STATUSES = ("active", "suspended", "terminated", "awaiting_reapplication")


def claim_scope() -> dict[str, Type]:
    return {**CLAIM_COLUMNS, "claim": CLAIM, "status": STR, "sanction": SANCTION}


class ClaimEnv:
    """What a claims rule's closure reads, for one line (the interpreter's side of
    the screen; the engine's side is the same rule compiled to SQL)."""

    __slots__ = (*CLAIM_COLUMNS, "claim", "status", "sanction", "loc")

    def __init__(self) -> None:
        self.loc: list = [None] * 8


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
