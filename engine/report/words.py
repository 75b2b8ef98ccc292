"""Stage "report", html: every word the HTML report shows, through the catalogues.

The words are written here in English, marked with `N_()` for the message
catalogues (engine/i18n, docs/i18n.md), and translated in the report's language
when the page is made (`i18n.using(lang)`: the report's language is an argument,
so a program can make both languages in one process). The regulation's own words
(item texts, articles, the policy's title and its named actions' labels) are data
in the policy and are shown as written, in either language. Chinese terms follow
the regulations' usage: 扣分, 记分周期, 约谈, 中止, 解除, 重新申请.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from engine import i18n
from engine.i18n import N_, _, ngettext

LANGS = ("zh", "en")

WORDS: dict[str, str] = {
    "title": N_("Practitioner points report"),
    "generated": N_("Made by policyctl"),
    "contents": N_("Contents"),
    "summary": N_("Summary"),
    "over_time": N_("Over time"),
    "by_institution": N_("By institution"),
    "by_item": N_("By item"),
    "distribution": N_("Distribution of the cycle's deductions"),
    "distribution_score": N_("Distribution of the cycle's scores"),
    "near": N_("Close to the next band"),
    "timelines": N_("Per person"),
    "corrections": N_("Corrections"),
    "corrections_intro": N_(
        "Findings revoked or amended on review or appeal: everything above counts them as "
        "corrected from the start. Each row gives the finding as it stood, what changed "
        "(− removed, + added, → moved) and the days already served under a sanction the "
        "corrected finding does not support."
    ),
    "correction": N_("Correction"),
    "date": N_("Date"),
    "finding": N_("Finding"),
    "changes": N_("Changes"),
    "served_in_error_days": N_("Days served in error"),
    "revoke": N_("Revoked"),
    "proposed": N_("proposed, not yet decided"),
    "decided": N_("decided by"),
    "amend": N_("Amended"),
    "policy": N_("Policy"),
    "version": N_("Version"),
    "issuer": N_("Issued by"),
    "effective": N_("In force"),
    "open_end": N_("no end date"),
    "as_of": N_("As of"),
    "cycle": N_("Cycle"),
    "scope": N_("Scope"),
    "all_institutions": N_("every institution"),
    "people": N_("People"),
    "people_total": N_("People in the report"),
    "status": N_("Status"),
    "no_band": N_("no band"),
    "findings": N_("Findings"),
    "sanctions_month": N_("Sanctions per month"),
    "findings_month": N_("Findings per month"),
    "actions_n": N_("Sanctions"),
    "institution": N_("Institution"),
    "staff": N_("Staff"),
    "with_findings": N_("With findings this cycle"),
    "sanctioned": N_("Suspended or terminated this cycle"),
    "share": N_("Share of staff"),
    "rules_met": N_("Institution rules met"),
    "own_sanction": N_("The institution's own sanction"),
    "top_institutions": N_("Institutions with the most sanctions"),
    "item": N_("Item"),
    "text": N_("Text"),
    "article": N_("Article"),
    "points": N_("Points"),
    "points_carried": N_("Points carried"),
    "times": N_("Findings"),
    "this_cycle": N_("This cycle"),
    "deducted": N_("Deducted"),
    "score": N_("Score"),
    "person": N_("Person"),
    "next_band": N_("Next band"),
    "points_away": N_("Points away"),
    "near_intro": N_(
        "People with deductions this cycle who are {n} points or fewer from their next "
        "band: a few more points and its sanction follows."
    ),
    "near_none": N_("Nobody is that close to a band."),
    "near_more": N_("{n} more not listed (see next_band in evaluate's output)."),
    "without_findings": N_("{n} people without deductions this cycle are not drawn."),
    "timelines_intro": N_(
        "Each line is the running total within a cycle; dots are findings (labelled with "
        "their items), shaded spans are sanctions (with their article), dashed lines are "
        "where each band begins."
    ),
    "reapply_from": N_("May re-apply from"),
    "never": N_("never"),
    "institutions_of": N_("Practises at"),
    "warnings": N_("Notes"),
    "nothing": N_("none"),
    "sort_hint": N_("click a heading to sort"),
    "screen": N_("Claims screened against the sanctions"),
    "screen_intro": N_(
        "The claim lines of {claims} checked against each practitioner's status on the "
        "date of service and the policy's claims rules ({engine}): what the fund refuses "
        "or flags, by rule and by institution. policyctl screen lists each line."
    ),
    "screen_rule": N_("Rule"),
    "screen_then": N_("Outcome"),
    "screen_refuse": N_("refused"),
    "screen_flag": N_("flagged"),
    "screen_lines": N_("Lines"),
    "screen_amount": N_("Amount"),
    "screen_practitioners": N_("Practitioners"),
    "screen_institutions": N_("Institutions"),
    "screen_undecided": N_("Undecided"),
    "screen_refused_lines": N_("Lines refused"),
    "screen_refused_amount": N_("Amount refused"),
    "screen_flagged_lines": N_("Lines flagged"),
    "screen_flagged_amount": N_("Amount flagged"),
    "screen_more": N_("{n} more institutions not listed (policyctl screen gives them all)."),
    "screen_undecided_note": N_(
        "Undecided: lines a rule could not judge for want of a value it reads (see "
        "policyctl screen's summary)."
    ),
}

# the statuses as evaluate names them, and the sanctions by kind
STATUS = {
    "active": N_("active"),
    "suspended": N_("suspended"),
    "awaiting_reapplication": N_("awaiting_reapplication"),
    "terminated": N_("terminated"),
}
ACTIONS = {
    "interview": N_("interview"),
    "suspend": N_("suspension"),
    "terminate": N_("termination"),
    "refer": N_("referral"),
    "ban": N_("ban"),
    "reinstate": N_("reinstatement"),
    "restore": N_("restoration"),
}
# a band that suspends, by the unit of its length: (the label, and with its article)
SUSPENSIONS = {
    "day": (N_("{n}-day suspension"), N_("a {n}-day suspension")),
    "week": (N_("{n}-week suspension"), N_("a {n}-week suspension")),
    "month": (N_("{n}-month suspension"), N_("a {n}-month suspension")),
    "year": (N_("{n}-year suspension"), N_("a {n}-year suspension")),
    "working day": (N_("{n}-working-day suspension"), N_("a {n}-working-day suspension")),
}
PHRASES = {"interview": N_("an interview"), "terminate": N_("termination")}


def word(key: str, lang: str, **values: Any) -> str:
    """A word of the report in `lang`, its placeholders filled."""
    with i18n.using(lang):
        text = _(WORDS[key])
    return text.format(**values) if values else text


def status(name: str, lang: str) -> str:
    if name not in STATUS:
        return name
    with i18n.using(lang):
        return _(STATUS[name])


def action(name: str, lang: str, labels: dict[str, str] | None = None) -> str:
    """A sanction's name; a policy-named action (`key-monitoring`) by its label."""
    if name in ACTIONS:
        with i18n.using(lang):
            return _(ACTIONS[name])
    return (labels or {}).get(name, name)


def tier_label(tier: dict, lang: str, phrase: bool = False) -> str:
    """A band by what it does: 约谈, 中止 3 个月, 解除; interview, 3-month suspension,
    termination (`phrase`: as it reads after "2 points from": "a 3-month suspension")."""
    kind, length = tier.get("action"), tier.get("length")
    with i18n.using(lang):
        if kind == "suspend" and length:
            amount, _sep, unit = length.partition(" ")
            if unit not in SUSPENSIONS and unit.endswith("s"):
                unit = unit[:-1]
            if unit in SUSPENSIONS:
                return _(SUSPENSIONS[unit][1 if phrase else 0]).format(n=amount)
        if phrase and kind in PHRASES:
            return _(PHRASES[kind])
    return action(kind or tier["id"], lang)


def distance(points: Any, tier_text: str, lang: str) -> str:
    """ "2 points from a 3-month suspension" (`tier_text` from tier_label(phrase=True))."""
    n = points if isinstance(points, int) else Fraction(points)
    count = int(n) if n == int(n) else 2  # a fraction of a point reads as plural
    with i18n.using(lang):
        text = ngettext("{n} point from {tier}", "{n} points from {tier}", count)
    return text.format(n=_number(points), tier=tier_text)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
