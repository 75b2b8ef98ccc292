"""Scenario tests: YAML files of cases an analyst writes beside a policy.

A test file names its policy and lists cases; a case is a handful of ledger
rows, an as-of date and the part of the outcome the regulation's article
decides (docs/testing.md is the reference). This module loads such files and
runs them; `expect.py` compares, `coverage.py` measures, `report.py`
formats, and the CLI (`policyctl test`) and the pytest plugin only call in.

Choices that are not obvious:

- The file is read with `source.load_document`, so every problem points at
  `file:line`; structure is checked here, key by key, against small tables
  (a typo in `expect` must be an error, not a silently passing case).
- Inline rows go through exactly the validation a ledger file gets: they are
  written to a temporary JSON Lines file (one row a line, so line N is row N)
  and read with `engine.ledger.read.read_ledger`; its diagnostics are then moved back onto
  the row's line in the test file. Rows are validated when the file loads, so
  a bad row makes the file malformed rather than a case failing.
- A row without `id` is named `#N`, its place in the case's `events`, so an
  expected action can list `events: ["#2"]` whatever path the runner is given.
- Spans are reported as `file:line` (no column), the form ledger problems take.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine import i18n
from engine.errors import Diagnostic, PolicyctlError, Span, closest
from engine.evaluation.outcome import Outcome
from engine.i18n import _
from engine.ledger.read import Ledger, read_ledger
from engine.policy.model import Policy
from engine.policy.source import Document, PathT, load_document
from engine.policy.versions import History, load_policies
from engine.testing.expect import Mismatch, check
from engine.vocabulary import Status

DEFAULT_PATH = "policies/tests"
STATUSES = tuple(Status)

# What each level of a test file may hold: key -> required?
FILE_KEYS = {"policy": True, "cases": True, "description": False, "as_of": False, "roster": False}
CASE_KEYS = {
    "name": True,
    "cite": True,
    "events": True,
    "expect": True,
    "as_of": False,
    "roster": False,
    "explain": False,
    "xfail": False,
    "note": False,
}
EXPECT_KEYS = (
    "people",
    "institutions",
    "events_after_as_of",
    "events_outside_effective",
    "corrections",  # the trails of the ledger's corrections, in order (issue 22 §1)
)
PERSON_KEYS = (
    "status",
    "proposed_status",  # a computed status not in force (decisions.take_effect: on-decision)
    "reapply_from",
    "cycles",
    "actions",
    "reapplications",
    "facts",
    "institutions",
    "versions",  # under a regulation's history (evaluation/history.py)
    "findings",
)
CYCLE_KEYS = ("period", "deducted", "score", "tier", "violations", "credited", "registration")
INSTITUTION_KEYS = ("institution", "period", "staff", "sanctioned", "actions")
EXPLAIN_KEYS = ("bands", "rules", "cites", "mentions")
DATE_KEYS = frozenset({"start", "end", "reapply_from", "date", "occurred"})

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")
_CASES = re.compile(r"^cases[ \t]*:", re.MULTILINE)
_POLICY = re.compile(r"^policy[ \t]*:", re.MULTILINE)


class ScenarioError(PolicyctlError):
    """A test file is malformed: bad YAML, an unknown key, a bad row or date."""


@dataclass
class Case:
    """One scenario: rows, an as-of date and what the article says must follow."""

    file: str
    name: str
    cite: str
    line: int
    as_of: _dt.date
    expect: dict
    explain: dict[str, dict]
    xfail: str | None
    ledger: Ledger
    people: list[str]  # everyone in the rows or on the roster, for explanations

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass
class Suite:
    """A loaded test file: its policy and its cases."""

    path: str
    policy: Policy | History
    cases: list[Case]


@dataclass
class CaseResult:
    case: Case
    policy: Policy | History
    status: str  # passed | failed | xfailed | xpassed | error
    mismatches: list[Mismatch] = field(default_factory=list)
    outcome: Outcome | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "xfailed")


@dataclass
class Run:
    """Every file found, every case's result and every malformed file's problems."""

    files: list[str]
    results: list[CaseResult]
    errors: list[Diagnostic]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.results if not r.ok)

    @property
    def passed(self) -> int:
        return self.count("passed")


# ---- finding files -----------------------------------------------------------------------


def is_test_file(path: Path) -> bool:
    """A YAML file with top-level `cases:` and `policy:` keys.

    Policies have no `cases`; other case files (the expression language's
    compliance suite in tests/compliance) have no `policy`.
    """
    if path.suffix.lower() not in (".yaml", ".yml"):
        return False
    try:
        text = path.read_text("utf-8", errors="replace")
    except OSError:
        return False
    return _CASES.search(text) is not None and _POLICY.search(text) is not None


def discover(paths: Iterable[str]) -> tuple[list[str], list[Diagnostic]]:
    """Test files named, or found under directories named (sorted); unreadable paths."""
    files: list[str] = []
    problems: list[Diagnostic] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found = sorted(f for f in path.rglob("*") if f.is_file() and is_test_file(f))
            files += [str(f) for f in found]
        elif path.is_file():
            files.append(p)
        else:
            problems.append(
                Diagnostic(
                    "io",
                    _("no such file or directory: `{p}`").format(p=p),
                    Span(p),
                    _("test files live in `{path}`").format(path=DEFAULT_PATH),
                )
            )
    return list(dict.fromkeys(files)), problems


# ---- loading -----------------------------------------------------------------------------


class _Checker:
    """Checks a test file's structure against the key tables, collecting problems."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.problems: list[Diagnostic] = []

    def at(self, path: PathT, key: bool = False) -> Span:
        s = self.doc.key_span(path) if key else self.doc.span(path)
        return Span(s.file, s.line)

    def add(
        self, code: str, message: str, path: PathT, hint: str | None = None, key: bool = False
    ) -> None:
        self.problems.append(Diagnostic(code, message, self.at(path, key), hint))

    def mapping(self, value: Any, path: PathT, what: str) -> bool:
        if isinstance(value, dict):
            return True
        self.add(
            "test-type",
            _("{what} must be a mapping, not {kind}").format(what=what, kind=_kind(value)),
            path,
        )
        return False

    def listing(self, value: Any, path: PathT, what: str, empty: bool = True) -> bool:
        if not isinstance(value, list):
            self.add(
                "test-type",
                _("{what} must be a list, not {kind}").format(what=what, kind=_kind(value)),
                path,
            )
            return False
        if not value and not empty:
            self.add("test-empty", _("{what} is empty").format(what=what), path)
            return False
        return True

    def keys(
        self, value: dict, path: PathT, allowed, what: str, required: Iterable[str] = ()
    ) -> None:
        for k in value:
            if k not in allowed:
                near = closest(k, allowed)
                hint = (
                    _("did you mean `{near}`?").format(near=near)
                    if near
                    else _("allowed: {keys}").format(keys=_(", ").join(allowed))
                )
                self.add(
                    "test-key",
                    _("unknown key `{k}` in {what}").format(k=k, what=what),
                    path + (k,),
                    hint,
                    key=True,
                )
        for k in required:
            if k not in value:
                self.add("test-missing", _("{what} has no `{k}`").format(what=what, k=k), path)

    def text(self, value: Any, path: PathT, what: str) -> bool:
        if isinstance(value, str) and value.strip():
            return True
        self.add(
            "test-type",
            _("`{what}` must be non-empty text, not {kind}").format(what=what, kind=_kind(value)),
            path,
        )
        return False

    def date(self, value: Any, path: PathT, what: str) -> _dt.date | None:
        text = value if isinstance(value, str) else str(value)
        if isinstance(value, str) and _DATE.match(value):
            try:
                return _dt.date.fromisoformat(value)
            except ValueError:
                pass
        self.add(
            "test-date",
            _("{what} `{text}` is not a date").format(what=what, text=text),
            path,
            _("write dates as YYYY-MM-DD, e.g. `2024-03-29`"),
        )
        return None

    def rows(self, value: Any, path: PathT, what: str) -> bool:
        if not self.listing(value, path, what, empty=False):
            return False
        ok = True
        for i, row in enumerate(value):
            ok = self.mapping(row, path + (i,), _("each of `{what}`").format(what=what)) and ok
        return ok

    def sorted(self) -> list[Diagnostic]:
        """The problems in line order (the ledger's come after the structure's)."""
        return sorted(self.problems, key=lambda d: d.span.line if d.span else 0)

    # -- a case ----------------------------------------------------------------------------
    def case(
        self,
        c: dict,
        p: PathT,
        names: dict[str, int],
        default_as_of: _dt.date | None,
        file_as_of: bool,
    ) -> tuple[int, _dt.date | None, bool]:
        """Check one case's keys; its line, as-of date, and whether its rows are rows."""
        self.keys(c, p, CASE_KEYS, _("a case"), [k for k, r in CASE_KEYS.items() if r])
        line = self.at(p).line
        name = c.get("name")
        if name is not None and self.text(name, p + ("name",), "name"):
            if name in names:
                self.add(
                    "test-duplicate",
                    _("two cases are named `{name}`").format(name=name),
                    p + ("name",),
                    _("the first is at line {line}").format(line=names[name]),
                )
            names.setdefault(name, line)
        for key in ("cite", "xfail"):
            if key in c:
                self.text(c[key], p + (key,), key)
        if "as_of" in c:
            as_of = self.date(c["as_of"], p + ("as_of",), "as_of")
        else:
            as_of = default_as_of
            if not file_as_of:
                self.add(
                    "test-missing",
                    _("a case has no `as_of`"),
                    p,
                    _("give the date to judge the outcome on, here or at the top of the file"),
                )
        rows_ok = "events" in c and self.rows(c["events"], p + ("events",), "events")
        if "roster" in c:
            rows_ok = self.rows(c["roster"], p + ("roster",), "roster") and rows_ok
        if "expect" in c:
            self.expect(c["expect"], p + ("expect",))
        if "explain" in c:
            self.explanation(c["explain"], p + ("explain",))
        return line, as_of, rows_ok

    # -- expectations ----------------------------------------------------------------------
    def expect(self, value: Any, path: PathT) -> None:
        if not self.mapping(value, path, "`expect`"):
            return
        if not value:
            self.add("test-empty", _("`expect` is empty: say what the article decides"), path)
            return
        self.keys(value, path, EXPECT_KEYS, "`expect`")
        people = value.get("people")
        if people is not None and self.mapping(people, path + ("people",), "`expect.people`"):
            for code, exp in people.items():
                self.person(exp, path + ("people", code), code)
        insts = value.get("institutions")
        if insts is not None and self.mapping(
            insts, path + ("institutions",), "`expect.institutions`"
        ):
            for inst, periods in insts.items():
                p = path + ("institutions", inst)
                if not self.mapping(
                    periods, p, _("institution `{institution}`").format(institution=inst)
                ):
                    continue
                for period, exp in periods.items():
                    if self.mapping(
                        exp,
                        p + (period,),
                        _("institution `{institution}` {period}").format(
                            institution=inst, period=period
                        ),
                    ):
                        self.keys(
                            exp,
                            p + (period,),
                            INSTITUTION_KEYS,
                            _("institution `{institution}` {period}").format(
                                institution=inst, period=period
                            ),
                        )
                        self.actions(exp.get("actions"), p + (period, "actions"))

    def person(self, exp: Any, path: PathT, code: str) -> None:
        what = _("person `{person}`").format(person=code)
        if not self.mapping(exp, path, what):
            return
        self.keys(exp, path, PERSON_KEYS, what)
        status = exp.get("status")
        if status is not None and status not in STATUSES:
            near = closest(str(status), STATUSES)
            self.add(
                "test-value",
                _("status `{status}` is not a status").format(status=status),
                path + ("status",),
                _("did you mean `{near}`?").format(near=near)
                if near
                else _("one of {values}").format(values=_(", ").join(STATUSES)),
            )
        rf = exp.get("reapply_from")
        if rf is not None and rf != "never":
            self.date(rf, path + ("reapply_from",), "reapply_from")
        cycles = exp.get("cycles")
        if cycles is not None and self.mapping(cycles, path + ("cycles",), f"{what} cycles"):
            for period, c in cycles.items():
                if self.mapping(c, path + ("cycles", period), f"cycle {period}"):
                    self.keys(c, path + ("cycles", period), CYCLE_KEYS, f"cycle {period}")
        self.actions(exp.get("actions"), path + ("actions",))

    def actions(self, value: Any, path: PathT) -> None:
        if value is None or not self.listing(value, path, "`actions`"):
            return
        for i, a in enumerate(value):
            if not self.mapping(a, path + (i,), "an action"):
                continue
            for k, v in a.items():
                if k in DATE_KEYS and v is not None and v != "never":
                    self.date(v, path + (i, k), k)

    def explanation(self, value: Any, path: PathT) -> None:
        if not self.mapping(value, path, "`explain`"):
            return
        for code, exp in value.items():
            p = path + (code,)
            if not self.mapping(exp, p, _("`explain` of `{person}`").format(person=code)):
                continue
            self.keys(exp, p, EXPLAIN_KEYS, _("`explain` of `{person}`").format(person=code))
            for k, v in exp.items():
                if k in EXPLAIN_KEYS and self.listing(v, p + (k,), f"`{k}`"):
                    for i, x in enumerate(v):
                        if not isinstance(x, str):
                            self.add(
                                "test-type",
                                _("`{k}` lists text, not {kind}").format(k=k, kind=_kind(x)),
                                p + (k, i),
                            )


# Keys every policy has or most policies have (schema/policy.schema.json); a test file has none.
_POLICY_KEYS = frozenset({"id", "version", "title", "effective", "items", "tiers", "scale"})


def _looks_like_a_policy(data: dict) -> bool:
    """A file given to `test` that is a policy (`policyctl test policies/jining.yaml`):
    said in one line rather than as a score of unknown keys."""
    return not ({"cases", "policy"} & data.keys()) and len(_POLICY_KEYS & data.keys()) >= 2


def load_file(
    path: str, policies: dict[Path, Policy | History] | None = None, *, allow_outside: bool = False
) -> Suite:
    """Load and check a test file, its policy and every case's rows; ScenarioError if not.

    A test file is untrusted like a policy: its `policy:` must be a YAML file (or a
    folder of versions) in whose folder tree the test file lies, so that a test file
    cannot make policyctl read, and quote in its messages, a file elsewhere
    (`policy: /etc/passwd`, issue 13 §16). `allow_outside` (`test --allow-outside`)
    lifts that, and the policy's own `source.file` rule with it. Rows are always
    inline: a test file names no ledger file."""
    try:
        doc = load_document(path)
    except PolicyctlError as exc:
        raise ScenarioError([_no_column(d) for d in exc.diagnostics]) from None
    chk = _Checker(doc)
    data = doc.data
    if data is None:  # nothing but comments and blank lines, or nothing at all
        chk.add(
            "test-type",
            _("the test file is empty"),
            (),
            _("a test file has `policy:` and `cases:` (docs/testing.md)"),
        )
        raise ScenarioError(chk.problems)
    if not isinstance(data, dict):
        chk.add(
            "test-type", _("a test file must be a mapping, not {kind}").format(kind=_kind(data)), ()
        )
        raise ScenarioError(chk.problems)
    if _looks_like_a_policy(data):
        chk.add(
            "test-file",
            _("`{path}` is a policy, not a test file (which has `policy:` and `cases:`)").format(
                path=path
            ),
            (),
            _(
                "give the test files, e.g. `policyctl test {tests}`; "
                "to check a policy, `policyctl validate {path}`"
            ).format(tests=DEFAULT_PATH, path=path),
        )
        raise ScenarioError(chk.problems)
    chk.keys(data, (), FILE_KEYS, _("the test file"), [k for k, r in FILE_KEYS.items() if r])
    default_as_of = chk.date(data["as_of"], ("as_of",), "as_of") if "as_of" in data else None
    default_roster = data.get("roster")
    if default_roster is not None:
        chk.rows(default_roster, ("roster",), "roster")
    policy = None
    if "policy" in data and chk.text(data["policy"], ("policy",), "policy"):
        target = Path(os.path.normpath(Path(path).parent / data["policy"]))
        policy = _policy(target, data["policy"], chk, policies, path, allow_outside)
    cases = data.get("cases")
    if cases is None or not chk.listing(cases, ("cases",), "`cases`", empty=False):
        raise ScenarioError(chk.problems)
    names: dict[str, int] = {}
    raw_cases = []
    for i, c in enumerate(cases):
        if chk.mapping(c, ("cases", i), _("a case")):
            line, as_of, rows_ok = chk.case(c, ("cases", i), names, default_as_of, "as_of" in data)
            raw_cases.append((i, c, line, as_of, rows_ok))
    if policy is None:
        raise ScenarioError(chk.sorted())
    # Rows are read even when other parts of the file are wrong, so every problem
    # shows in one run; cases are built only from a file without any.
    out: list[Case] = []
    with tempfile.TemporaryDirectory(prefix="policyctl-test-") as tmp:
        for i, c, line, as_of, rows_ok in raw_cases:
            if not rows_ok or (
                default_roster is not None
                and "roster" not in c
                and not _all_mappings(default_roster)
            ):
                continue
            roster_path: PathT | None = (
                ("cases", i, "roster")
                if "roster" in c
                else (("roster",) if default_roster is not None else None)
            )
            ledger = _ledger(doc, chk, policy, ("cases", i, "events"), roster_path, Path(tmp), i)
            if ledger is None or chk.problems:
                continue
            people = sorted(
                {e.person for e in ledger.events if e.person} | set(ledger.roster or ())
            )
            out.append(
                Case(
                    path,
                    c["name"],
                    c["cite"],
                    line,
                    as_of,
                    c["expect"],
                    c.get("explain") or {},
                    c.get("xfail"),
                    ledger,
                    people,
                )
            )
    if chk.problems:
        raise ScenarioError(chk.sorted())
    return Suite(path, policy, out)


def _policy(
    target: Path,
    written: str,
    chk: _Checker,
    cache: dict[Path, Policy | History] | None,
    test_file: str,
    allow_outside: bool,
) -> Policy | History | None:
    key = target.resolve()
    refused = None if allow_outside else _refused(key, Path(test_file).resolve())
    if refused:
        chk.add(
            "test-policy",
            refused.format(written=written),
            ("policy",),
            _(
                "a test file lies in its policy's folder or below it, and names a YAML file "
                "or a folder of them (--allow-outside to accept another)"
            ),
        )
        return None
    if cache is not None and key in cache:
        return cache[key]
    if target.exists() and not target.is_file() and not target.is_dir():
        chk.add(
            "test-policy",
            _("policy `{written}` is not a regular file").format(written=written),
            ("policy",),
            _("point `policy` at the policy's YAML file"),
        )
        return None
    if not target.is_file() and not target.is_dir():
        chk.add(
            "test-policy",
            _("policy `{written}` not found").format(written=written),
            ("policy",),
            _("the path is relative to the test file: looked for `{target}`").format(target=target),
        )
        return None
    try:  # a file, or a folder of a regulation's versions
        policy = load_policies(target, allow_outside=allow_outside)
    except PolicyctlError as exc:
        d = exc.diagnostics[0] if exc.diagnostics else None
        first = f"{d.span}: error[{d.code}]: {d.message}" if d else "invalid"
        more = len(exc.diagnostics) - 1
        chk.add(
            "test-policy",
            _("policy `{written}` does not load: {first}").format(written=written, first=first)
            + (_(" (and {more} more)").format(more=more) if more > 0 else ""),
            ("policy",),
            _("run `policyctl validate {target}`").format(target=target),
        )
        return None
    if cache is not None:
        cache[key] = policy
    return policy


def _refused(policy: Path, test_file: Path) -> str | None:
    """Why a test file may not name this policy (both resolved), or None: a policy is a
    folder, or a YAML file, whose folder tree holds the test file. A path that does not
    exist is left to be reported as not found."""
    if policy.is_file() or (not policy.exists() and policy.suffix):
        if policy.suffix.lower() not in (".yaml", ".yml"):
            return _("policy `{written}` is not a YAML file (.yaml, .yml)")
        home = policy.parent
    elif policy.is_dir():
        home = policy
    else:
        return None
    if not test_file.is_relative_to(home):
        return _("policy `{written}` lies outside the folder tree the test file is in")
    return None


def _all_mappings(rows: Any) -> bool:
    return isinstance(rows, list) and bool(rows) and all(isinstance(r, dict) for r in rows)


def _ledger(
    doc: Document,
    chk: _Checker,
    policy: Policy | History,
    events: PathT,
    roster: PathT | None,
    tmp: Path,
    n: int,
) -> Ledger | None:
    """The case's rows, read by the ledger reader; its problems moved to the rows' lines."""
    rows = _at(doc.data, events)
    ev_file = tmp / f"events-{n}.jsonl"
    ev_file.write_text(_jsonl(rows, ("person", "date")), "utf-8")
    ro_file = None
    if roster is not None:
        ro_file = tmp / f"roster-{n}.jsonl"
        ro_file.write_text(_jsonl(_at(doc.data, roster), ("person", "institution")), "utf-8")
    try:
        ledger = read_ledger(str(ev_file), policy, str(ro_file) if ro_file else None)
    except PolicyctlError as exc:
        where = {str(ev_file): events, str(ro_file): roster}
        for d in exc.diagnostics:
            chk.problems.append(_moved(d, where, chk))
        return None
    for e in ledger.events:
        if e.id == f"{ev_file}:{e.line}":
            e.id = f"#{e.line}"
        e.file, e.line = doc.path, chk.at(events + (e.line - 1,)).line
    if ledger.roster:
        for person in ledger.roster.values():
            person.file, person.line = doc.path, chk.at(roster + (person.line - 1,)).line
    return ledger


def _jsonl(rows: list[dict], required: tuple[str, ...]) -> str:
    """Rows as JSON Lines; required columns no row names are added empty to the first."""
    first = dict(rows[0])
    present = {str(k).strip().lower() for r in rows for k in r}
    for col in required:
        if col not in present:
            first[col] = None
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in [first, *rows[1:]]) + "\n"


def _moved(d: Diagnostic, where: dict[str, PathT | None], chk: _Checker) -> Diagnostic:
    """A ledger diagnostic pointed at the row (or the list) it came from in the test file."""
    path = where.get(d.span.file) if d.span else None
    if path is None:
        return _no_column(d)
    line = d.span.line
    span = chk.at(path + (line - 1,)) if line >= 1 else chk.at(path)

    def row(n: str) -> str:
        return str(chk.at(path + (int(n) - 1,)).line)

    def relined(text: str) -> str:
        # "first at line 4", "revoked at line 4", "第 4 行" mean the 4th row of the
        # rows written out for the reader: name its line in the test file, in either
        # language (a correction's message named the written file's line: issue 22)
        text = re.sub(r"\bline (\d+)\b", lambda m: f"line {row(m.group(1))}", text)
        return re.sub(r"第 (\d+) 行", lambda m: f"第 {row(m.group(1))} 行", text)

    message, hint = relined(d.message), relined(d.hint) if d.hint else d.hint
    return Diagnostic(d.code, message, span, hint, d.severity)


def _no_column(d: Diagnostic) -> Diagnostic:
    span = Span(d.span.file, d.span.line) if d.span else None
    return Diagnostic(d.code, d.message, span, d.hint, d.severity)


def _at(data: Any, path: PathT) -> Any:
    for k in path:
        data = data[k]
    return data


def _kind(value: Any) -> str:
    """What a value of a test file is, as a message names it (in the reader's language)."""
    if value is None:
        return _("nothing")
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, list):
        return _("a list")
    if isinstance(value, str):
        return _("text `{value}`").format(value=value)
    return f"`{value}`"


# ---- running -----------------------------------------------------------------------------


def run_case(suite: Suite, case: Case) -> CaseResult:
    """Evaluate one case and compare; an xfail case that fails is `xfailed`."""
    from engine.evaluation.run import evaluate

    reader = i18n.language()
    try:
        # a case's `mentions` are phrases of the English story, as test files are written
        with i18n.using("en"):
            outcome = evaluate(suite.policy, case.ledger, case.as_of, explain=case.people)
            mismatches = check(case.expect, case.explain, outcome)
        if mismatches and case.people and reader != "en":  # the story shown, in the reader's
            outcome = evaluate(suite.policy, case.ledger, case.as_of, explain=case.people)
    except PolicyctlError as exc:
        return CaseResult(
            case, suite.policy, "error", diagnostics=[_no_column(d) for d in exc.diagnostics]
        )
    if case.xfail:
        status = "xfailed" if mismatches else "xpassed"
    else:
        status = "failed" if mismatches else "passed"
    return CaseResult(case, suite.policy, status, mismatches, outcome)


def run_paths(paths: Iterable[str] = (DEFAULT_PATH,), *, allow_outside: bool = False) -> Run:
    """Find, load and run every test file under `paths` (`allow_outside`: load_file)."""
    files, errors = discover(paths)
    policies: dict[Path, Policy | History] = {}
    results: list[CaseResult] = []
    for f in files:
        try:
            suite = load_file(f, policies, allow_outside=allow_outside)
        except ScenarioError as exc:
            errors += exc.diagnostics
            continue
        results += [run_case(suite, c) for c in suite.cases]
    return Run(files, results, errors)
