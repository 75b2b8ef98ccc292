"""A new city's first files (`policyctl init CITY`): a commented skeleton policy, a
placeholder for the regulation's text and a first scenario test.

The skeleton is a complete, valid policy of the simplest shape (a yearly cycle,
one item, two tiers, automatic restoration), every key commented with what to
put there and where in the regulation to find it, so an analyst replaces values
rather than invents structure. It validates as soon as the regulation's text is
pasted into the source file: the source hash starts `pending` (validate warns
and prints the hash to record) and the one item has no quoted `text` yet (a
warning until one is added; then provenance checks it against the source). The
test passes against the skeleton, and shows how a case is written.

The comments are in the chosen language; keys, codes and actions are the
policy language's own words.
"""

from __future__ import annotations

import re
from pathlib import Path

from engine.errors import Diagnostic, PolicyError, Span, os_reason
from engine.i18n import N_, _

CITY = re.compile(r"^[a-z0-9][a-z0-9-]*$")
MAX_CITY = 64  # characters of a city's id, which names its files


COMMENTS = {
    "c0": N_("the regulation's version, e.g. its year"),
    "c1": N_("(the regulation's title, as written)"),
    "c2": N_("(the issuing bureau)"),
    "c3": N_("the date the regulation was issued"),
    "c4": N_("the period it is in force; null: open-ended"),
    "c5": N_("validate prints the hash to record once the text is final"),
    "c6": N_("deductions (points add up from 0) or score (points fall from initial)"),
    "c7": N_("e.g. 每个自然年度初始分值为12分"),
    "c8": N_("the cycle starts each year on this day (a natural year: 01-01)"),
    "c9": N_("several items in one act, several findings in one inspection"),
    "c10": N_("one entry per violation in the regulation's catalogue"),
    "c11": N_("(quote the item's words from the source, so validate can find them)"),
    "c12": N_("the bands on the cycle's total, mildest first"),
    "c13": N_("automatic at the end of a suspension, or by: reapplication"),
    "c14": N_("one finding of A1 deducts its points and fires no tier"),
}


def _policy(city: str) -> str:
    c = {k: _(v) for k, v in COMMENTS.items()}
    head = "\n".join(
        "# " + line
        for line in (
            _(
                "{city}: a new policy. Replace each value with the regulation's, "
                "article by article;"
            ).format(city=city),
            _(
                "every number carries the article it comes from (`cite`). "
                "See docs/policy-language.md."
            ),
            _("Check it with: policyctl validate {path}").format(path="@PATH@"),
        )
    )
    return f"""\
# yaml-language-server: $schema=@SCHEMA@
#
{head}
id: {city}
version: "1"                      # {c["c0"]}
title: {c["c1"]}
issuer: {c["c2"]}
issued: 2024-01-01                # {c["c3"]}
effective: {{from: 2024-01-01, to: null}}   # {c["c4"]}
source:
  file: @SOURCE@
  sha256: pending                 # {c["c5"]}
scale:
  # {c["c6"]}
  kind: deductions
  initial: 12                     # {c["c7"]}
  cite: "一"
cycle:
  # {c["c8"]}
  start: "01-01"
  cite: "一"
# {c["c9"]}
combine:
  same_act: highest
  same_inspection: sum
  sites: sum
  cite: "一"
items:                            # {c["c10"]}
  - code: A1
    points: 1
    # text: {c["c11"]}
    cite: "二(一)1"
tiers:                            # {c["c12"]}
  - {{id: interview, when: 5 <= deducted < 12, then: interview, cite: "三"}}
  - {{id: terminate, when: deducted >= 12, then: terminate, cite: "三"}}
# {c["c13"]}
restoration: {{by: automatic, cite: "三"}}
"""


def _source(city: str) -> str:
    return _(
        "{city}: paste the regulation's full text here, as published (UTF-8).\n"
        "policyctl validate checks that every item's quoted text is found in it.\n"
    ).format(city=city)


def _test(city: str) -> str:
    c = {k: _(v) for k, v in COMMENTS.items()}
    head = "\n".join(
        "# " + line
        for line in (
            _("Scenario tests for {city}: each case a few ledger rows and the outcome").format(
                city=city
            ),
            _("the article decides, worked out by hand from the text."),
            _("Run them with: policyctl test {path}").format(path="@PATH@"),
        )
    )
    return f"""\
# yaml-language-server: $schema=@SCHEMA@
#
{head}
policy: @POLICY@
as_of: 2024-12-31
cases:
  - name: {c["c14"]}
    cite: "二(一)1"
    events:
      - {{id: E1, person: P1, date: 2024-03-01, items: A1}}
    expect:
      people:
        P1:
          status: active
          cycles:
            "2024": {{deducted: 1}}
"""


def init(city: str, root: str | Path = ".") -> list[Path]:
    """Write the skeleton of `city` under `root`: policies/CITY.yaml,
    policies/sources/CITY.txt, policies/tests/CITY/first.yaml. Never overwrites."""
    if len(city) > MAX_CITY:  # a file name of 255 bytes at most (ENAMETOOLONG)
        raise PolicyError(
            Diagnostic(
                "init",
                _("`{city}...` is too long for a policy id ({n} characters)").format(
                    city=city[:20], n=len(city)
                ),
                hint=_("at most {n} characters, e.g. `jining`").format(n=MAX_CITY),
            )
        )
    if not CITY.match(city):
        raise PolicyError(
            Diagnostic(
                "init",
                _("`{city}` is not a policy id").format(city=city),
                hint=_("use lower-case letters, digits and dashes, e.g. `jining`"),
            )
        )
    base = Path(root) / "policies"
    policy = base / f"{city}.yaml"
    source = base / "sources" / f"{city}.txt"
    test = base / "tests" / city / "first.yaml"
    taken = [p for p in (policy, source, test) if p.exists()]
    if taken:
        raise PolicyError(
            [
                Diagnostic(
                    "init",
                    _("`{path}` exists already").format(path=p),
                    Span(str(p)),
                    _("init never overwrites: choose another city or move the file away"),
                )
                for p in taken
            ]
        )
    schema = Path(__file__).resolve().parent / "policy.schema.json"
    repo_schema = Path(root).resolve() / "schema"
    texts = {
        policy: _fill(
            _policy(city),
            SCHEMA=_rel(repo_schema / "policy.schema.json", policy.parent, schema),
            SOURCE=f"sources/{city}.txt",
            PATH=policy.as_posix(),
        ),
        source: _source(city),
        test: _fill(
            _test(city),
            SCHEMA=_rel(repo_schema / "test.schema.json", test.parent, None),
            POLICY=f"../../{city}.yaml",
            PATH=test.as_posix(),
        ),
    }
    written: list[Path] = []
    try:
        for path, text in texts.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as f:  # never over a file made meanwhile
                written.append(path)
                f.write(text)
    except OSError as exc:  # a file where a folder must go, a read-only folder, a full disk
        for done in written:  # all three files or none
            done.unlink(missing_ok=True)
        where = Path(exc.filename) if exc.filename else path
        raise PolicyError(
            Diagnostic(
                "init",
                _("cannot create `{path}`: {reason}").format(path=where, reason=os_reason(exc)),
                Span(str(where)),
                _("choose another --dir, or make room for policies/ in it"),
            )
        ) from None
    return list(texts)


def _fill(text: str, **values: str) -> str:
    for k, v in values.items():
        text = text.replace(f"@{k}@", v)
    return text


def _rel(target: Path, start: Path, fallback: Path | None) -> str:
    """The schema's path from the new file: the project's `schema/` when there is one,
    else the copy shipped in the package (policy schema only)."""
    import os

    if not target.exists() and fallback is not None:
        target = fallback
    return Path(os.path.relpath(target, start.resolve())).as_posix()
