"""The Python API of policyctl: what the CLI calls, and what a notebook or a service imports.

Every stage of the pipeline is one function here, and each hands the next a typed
value (docs/architecture.md draws the stages):

    load_policy(path)                    -> Policy     a checked, compiled regulation version
    load_policies(paths) / load_history  -> Policy | History   one version, or all of them
    read_ledger(events, policy, roster)  -> Ledger     typed events and roster, each with file:line
    evaluate(policy, ledger, as_of)      -> Outcome    per person and per institution
    render(outcome, fmt)                 -> str        json | jsonl | csv | table, as the CLI writes
    explain(outcome, person)             -> str        one person's story (evaluate with explain=)
    diff(old, new)                       -> PolicyDiff what changed, compared by meaning
    impact(d, events, roster, as_of)     -> Impact     whose outcome a diff changes, and why
    render_diff(d, impact, fmt)          -> str        text | json | markdown
    diff_histories / impact_histories / render_history_diff   the same over folders of versions

and from files in one call: `evaluate_files`, `report_files` (a large ledger folded
and rendered as it is read, never held), `diff_files`, `intervals_files` (each
person's status as date intervals), `screen_files` (claims against them) and
`html_report_files` (the HTML report with charts, `policyctl report`);
`check_policy` and `check_history` return diagnostics rather than raising.

Personal data: the functions that read a ledger take `redact=`, a
`Pseudonyms` (`pseudonyms(key_file)`, engine/privacy/pseudonyms.py): every
practitioner code and event id (and institution code, when asked) in what they
return is then a keyed-hash pseudonym, the outputs sorted by it. Codes given to
them (`explain=`, `people=`, `institutions=`) are the real ones, as the operator
knows them. docs/privacy.md says what this is and is not.

Errors: a user's mistake (a policy, a ledger, a map) raises a `PolicyctlError`
(`PolicyError`, `LedgerError`, `EvaluationError`) whose `diagnostics` each carry a
stable code, the file, line and column, and a hint; `str()` of the error is what
the CLI prints. Anything else is a bug.

`from engine import load_policy, ...` gives these same functions (engine/__init__.py
resolves them lazily, so that `import engine` stays cheap). docs/api.md has a
notebook-sized example, run by tests/test_api.py.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from engine.compare.diff import PolicyDiff, diff_files, diff_policies
from engine.errors import Diagnostic, PolicyError, Span, UsageError
from engine.evaluation.outcome import Outcome
from engine.evaluation.run import evaluate
from engine.i18n import _
from engine.ledger.read import read_ledger
from engine.policy.loader import check_policy, load_policy
from engine.policy.model import Policy
from engine.policy.versions import (
    History,
    PolicyPaths,
    check_history,
    load_history,
    load_policies,
)
from engine.privacy.pseudonyms import Pseudonyms, pseudonyms

if TYPE_CHECKING:  # the impact replay pulls in the carry-over; imported when called
    from engine.compare.impact import Impact


def diff(old: Policy, new: Policy, item_map: dict[str, str | None] | None = None) -> PolicyDiff:
    """What changed from `old` to `new`, compared by meaning (`policyctl diff`).

    `item_map`: old item code -> new code (or None: dropped), for a renumbered catalogue.
    """
    return diff_policies(old, new, item_map)


def evaluate_files(
    policy: PolicyPaths,
    events: str,
    roster: str | None = None,
    as_of: _dt.date | None = None,
    *,
    explain: Iterable[str] = (),
    encoding: str | None = None,
    progress: Callable[[int, str], None] | None = None,
    sheet: str | int | None = None,
    columns: str | None = None,
    allow_outside: bool = False,
    engine: str = "auto",
    redact: Pseudonyms | None = None,
) -> Outcome:
    """Load a policy and a ledger from files and evaluate; raises PolicyctlError.

    `policy`: a file, or the files or folder of a regulation's history (load_policies).
    `redact`: the outcome's codes are pseudonyms (`explain` still names real codes).

    `progress(count, what)`, when given, is told now and then how many "events"
    have been folded and "people" finished. `allow_outside`: accept a policy whose
    `source.file` lies outside its folder tree (as every function taking a policy).
    `engine`: fold | columnar | auto (engine/columnar/run.py); the answers are the same.
    """
    p = load_policies(policy, allow_outside=allow_outside)
    names = _names(columns)
    return _evaluate(
        p, events, roster, as_of, encoding, progress, engine, explain, sheet, names, redact
    )


def _evaluate(
    p,
    events,
    roster,
    as_of,
    encoding,
    progress=None,
    engine="auto",
    explain=(),
    sheet=None,
    names=None,
    redact=None,
):
    as_of = as_of or _dt.date.today()
    if sheet is None and names is None and redact is None:
        ev = _columnar(p, events, roster, as_of, encoding, progress, engine, explain)
        if ev is not None:
            return ev.run()
    ledger = read_ledger(
        events, p, roster, encoding=encoding, sheet=sheet, names=names, redact=redact
    )
    if redact is not None:
        explain = [redact.person(code) for code in explain]
    return evaluate(p, ledger, as_of, explain=explain, progress=progress)


def _columnar(p, events, roster, as_of, encoding, progress, engine, explain=()):
    """The columnar evaluator with the ledger evaluated, when `engine` asks for it and
    it can take these inputs (engine/columnar/run.py); else None: the fold."""
    from engine.columnar.run import columnar_evaluator, wanted

    if not wanted(engine, events, p, roster, explain):
        return None
    return columnar_evaluator(p, events, roster, as_of, encoding, progress)


def report_files(
    policy: PolicyPaths,
    events: str,
    roster: str | None,
    as_of: _dt.date,
    fmt: str,
    *,
    encoding: str | None = None,
    progress: Callable[[int, str], None] | None = None,
    keep: list | None = None,
    everyone: bool = False,
    width: int | None = None,
    sheet: str | int | None = None,
    columns: str | None = None,
    allow_outside: bool = False,
    engine: str = "auto",
    redact: Pseudonyms | None = None,
    explain: Iterable[str] = (),
    known: set[str] | None = None,
) -> tuple[Outcome, Iterator[str]]:
    """Evaluate and render a json, jsonl or csv report as it goes.

    `explain`: people whose outcome and steps are kept as they are finished, in the
    outcome's `people` and `traces` once the chunks are consumed (`evaluate
    --explain P -o FILE`: the stories told after the report, without holding
    everyone). `known`, when given, is filled with every person's code once the
    fold is done, before the first chunk: for a caller checking whom it explains.

    A ledger in date order (as ledgers are kept) is folded as its rows are
    read, never held; a ledger out of order is read whole, sorted, and folded
    from memory. Either way, people are then finished and rendered in batches
    and let go: memory holds each person's running state and the institutions'
    tracker, not the ledger and not every outcome. The fold is done before this
    returns (the outcome's warnings count what it saw); its institutions are
    filled in once the chunks have been consumed. Other formats need the whole
    outcome: use evaluate_files and render. `keep`: a list the evaluation's
    remains (the roster, the institutions' records) are put in once the last
    chunk is taken, for a caller about to end its process without freeing them
    (the console script: freed otherwise as the chunks end, they would hold up
    the report's last write by a tenth of a second or more on a province's
    ledger). `engine`: fold | columnar | auto, as for evaluate_files.
    """
    from engine.report import formats as report

    if fmt not in ("json", "jsonl", "csv", "table"):
        raise UsageError(
            Diagnostic(
                "usage",
                _("report_files writes json, jsonl, csv or table, not `{fmt}`").format(fmt=fmt),
            )
        )
    p = load_policies(policy, allow_outside=allow_outside)
    wanted = list(dict.fromkeys(explain))
    evaluator = None
    if sheet is None and columns is None and redact is None and not wanted:
        evaluator = _columnar(p, events, roster, as_of, encoding, progress, engine)
    if evaluator is None:
        evaluator = _fold(
            p,
            events,
            roster,
            as_of,
            encoding,
            progress,
            sheet=sheet,
            names=_names(columns),
            redact=redact,
            explain=wanted,
        )[0]
    codes = evaluator.codes()
    if known is not None:
        known.update(codes)
    outcome = evaluator.outcome([], {}, institutions=[])
    finisher = _Keeping(evaluator, wanted, outcome) if wanted else evaluator

    def people_runs() -> Iterator[str]:
        yield from report.people_runs(finisher, codes, fmt, progress)
        outcome.institutions = evaluator.judge_institutions(None)
        if keep is not None:
            keep.append(evaluator)

    if fmt == "table":  # counts kept, people let go a batch at a time (report/table.py)
        from engine.report.table import TableSummary

        def table() -> Iterator[str]:
            summary = TableSummary(everyone)
            finish = finisher.finish_person
            for start in range(0, len(codes), report.BATCH):
                summary.add([finish(code)[0] for code in codes[start : start + report.BATCH]])
                if progress:
                    progress(min(start + report.BATCH, len(codes)), "people", len(codes))
            outcome.institutions = evaluator.judge_institutions(None)
            if keep is not None:
                keep.append(evaluator)
            yield summary.render(outcome, width)

        return outcome, table()
    return outcome, report.frame(outcome, fmt, people_runs())


class _Keeping:
    """An evaluator as a report finishes its people, keeping the outcome and steps of
    the people explained (in `outcome.people` and `outcome.traces`) and letting the
    others go."""

    def __init__(self, evaluator, wanted: Iterable[str], outcome: Outcome):
        self.ev, self.wanted, self.outcome = evaluator, set(wanted), outcome

    def finish_person(self, code: str):
        person, trace = self.ev.finish_person(code)
        if code in self.wanted:
            self.outcome.people.append(person)
            self.outcome.traces[code] = trace or []
        return person, trace

    def finish_row(self, code: str):
        if code not in self.wanted:
            return self.ev.finish_row(code)
        from engine.evaluation.outcome import PersonRow

        person = self.finish_person(code)[0]  # the row, read off the same outcome
        return PersonRow(*(getattr(person, f) for f in PersonRow._fields))


def intervals_files(
    policy: PolicyPaths,
    events: str,
    roster: str | None = None,
    as_of: _dt.date | None = None,
    *,
    encoding: str | None = None,
    allow_outside: bool = False,
    engine: str = "auto",
    redact: Pseudonyms | None = None,
) -> list:
    """Each person's status as date intervals (`evaluate --format intervals`)."""
    from engine.evaluation.intervals import intervals

    p = load_policies(policy, allow_outside=allow_outside)
    outcome = _evaluate(p, events, roster, as_of, encoding, engine=engine, redact=redact)
    return list(intervals(outcome.people, *_restoration(p)))


def _restoration(p: Policy | History) -> tuple:
    """How people come back, as status intervals read it: the policy's, or across a
    history the version in force when each suspension is over."""
    if isinstance(p, History):
        return p.restoration_on, None
    return p.restoration, p.restoration_cite


def screen_files(
    policy: PolicyPaths,
    events: str,
    claims: str,
    roster: str | None = None,
    as_of: _dt.date | None = None,
    *,
    engine: str = "duckdb",
    encoding: str | None = None,
    allow_outside: bool = False,
    redact: Pseudonyms | None = None,
    sink=None,
    **options,
):
    """Screen claim lines against the sanctions (`policyctl screen`); a ScreenResult.

    `options` go to the engine: memory_limit, temp_directory, threads (DuckDB);
    master, remote (Spark). `redact`: the claims are joined on the codes as written,
    and the result's practitioner codes (and institution codes, when asked) are then
    replaced (screen/output.py). `sink` (a screen.output.Writer): the refused and
    flagged lines are written to it as they come and the result holds only the
    summaries (`lines` None); redacted lines are sorted again by their pseudonyms,
    so with `redact` they are gathered first and then written.
    """
    from engine.evaluation.intervals import intervals
    from engine.screen.run import screen

    p = load_policies(policy, allow_outside=allow_outside)
    as_of = as_of or _dt.date.today()
    rules = _claims_rules(p, as_of)
    ledger = read_ledger(events, p, roster, encoding=encoding)
    outcome = evaluate(p, ledger, as_of)
    found = list(intervals(outcome.people, *_restoration(p)))
    del outcome, ledger  # only the intervals are needed while the engine runs
    result = screen(rules, found, claims, engine, sink if redact is None else None, **options)
    if redact is not None:
        from engine.screen.output import redact_result

        result = redact_result(result, redact)
        if sink is not None:
            sink.start(result.screened)
            sink.lines(result.lines)
    return result


def _claims_rules(p: Policy | History, as_of: _dt.date) -> Policy:
    """The version whose `claims:` rules screen the claims: the policy, or across a
    history the one in force on the as-of date, when every version has the same rules
    (the screen runs one set of rules over every claim line; versions whose rules
    differ are refused rather than some claims judged by another version's)."""
    if not isinstance(p, History):
        return p
    current = p.versions[p.nearest(as_of)]
    for other in p.versions:
        if other is not current and any(
            c.section == "claims" for c in diff_policies(other, current).changes
        ):
            raise PolicyError(
                Diagnostic(
                    "history",
                    _(
                        'versions "{version}" and "{version2}" of `{id}` differ in their '
                        "`claims:` rules: the screen takes one version's"
                    ).format(version=other.version, version2=current.version, id=p.id),
                    Span(current.path),
                    _("screen with the file of the version whose rules apply"),
                )
            )
    return current


def render(outcome: Outcome, fmt: str = "json") -> str:
    """The report of an outcome as `policyctl evaluate --format FMT` writes it:
    json | jsonl | csv | table."""
    from engine.report.formats import render as chunks

    return "".join(chunks(outcome, fmt))


def explain(outcome: Outcome, person: str) -> str:
    """A person's story, event by event and article by article, as `--explain` tells
    it. The outcome must come from `evaluate(..., explain=[person, ...])`, which keeps
    the steps; for anyone else only the closing summary is told."""
    from engine.report.explain import explain as tell

    return tell(outcome, person)


def impact(
    d: PolicyDiff,
    events: str,
    roster: str | None = None,
    as_of: _dt.date | None = None,
    *,
    redact: Pseudonyms | None = None,
    engine: str = "auto",
) -> Impact:
    """Whose outcome the change from `d.old` to `d.new` changes on a ledger, and why
    (`policyctl diff --events`): the ledger is evaluated under both policies
    (`engine`: fold | columnar | auto, as for evaluate_files)."""
    from engine.compare.impact import impact as replay

    return replay(d, events, roster, as_of or _dt.date.today(), redact=redact, engine=engine)


def render_diff(d: PolicyDiff, imp: Impact | None = None, fmt: str = "text", style=None) -> str:
    """A diff (and its impact) as `policyctl diff --format FMT` writes it:
    text | json | markdown. `style(text, fg=...)`, when given, colours the text
    report (the CLI passes click.style on a terminal)."""
    from engine.compare.render import render as show

    return show(d, imp, fmt, style)


def render_diff_chunks(d: PolicyDiff, imp: Impact | None = None, fmt: str = "text", style=None):
    """`render_diff`'s text in pieces, to write as they come (a ledger's impact can
    list tens of thousands of people)."""
    from engine.compare.render import render_chunks

    return render_chunks(d, imp, fmt, style)


def diff_histories(
    old: PolicyPaths, new: PolicyPaths, map_path: str | None = None, *, allow_outside: bool = False
):
    """Two regulations' histories (folders of versions) compared version by version
    (`policyctl diff OLD/ NEW/`); a HistoryDiff. Raises PolicyError."""
    from engine.compare.history import diff_histories as compare

    return compare(old, new, map_path, allow_outside=allow_outside)


def impact_histories(hd, events: str, roster: str | None = None, as_of: _dt.date | None = None):
    """Whose outcome moves from one history to the other on a ledger, each history
    evaluating the ledger across its versions (`policyctl diff OLD/ NEW/ --events`)."""
    from engine.compare.history import impact_histories as replay

    return replay(hd, events, roster, as_of or _dt.date.today())


def render_history_diff(hd, fmt: str = "text", imp: Impact | None = None) -> str:
    """A history diff (and its impact) as `policyctl diff OLD/ NEW/` writes it."""
    from engine.compare.history import render_history

    return render_history(hd, fmt, imp=imp)


def html_report_files(
    policy: PolicyPaths,
    events: str,
    roster: str | None = None,
    as_of: _dt.date | None = None,
    *,
    lang: str = "zh",
    people: Iterable[str] = (),
    institutions: Iterable[str] = (),
    top: int = 12,
    near: int | None = None,
    encoding: str | None = None,
    progress: Callable[[int, str], None] | None = None,
    embed_font: bool = True,
    allow_outside: bool = False,
    redact: Pseudonyms | None = None,
    claims: str | None = None,
    screen_engine: str = "duckdb",
) -> tuple[Outcome, str, dict, bool]:
    """Evaluate as `evaluate_files` does and make the HTML report (`policyctl report`).

    `claims`: a file (or folder) of claim lines, screened as `screen_files` screens
    them (on `screen_engine`); the report then has a section with the screen's totals,
    its rules and the institutions with the most refused (`report --claims`).

    Returns the outcome's header (its warnings; no people: the report keeps none),
    the page, the data drawn in it (collect.ReportData.as_dict) and whether a
    Chinese font was inlined. `people`: whose timelines to draw (default: the `top`
    people by points this cycle, the suspended and terminated first);
    `institutions`: report on these institutions' staff only (needs a roster);
    `near`: how many points from the next band counts as close (default: twice the
    policy's lightest fixed item). Raises PolicyctlError.
    """
    from engine.errors import Diagnostic, LedgerError, Span, closest
    from engine.report import collect, html

    pol = load_policies(policy, allow_outside=allow_outside)
    as_of = as_of or _dt.date.today()
    # the page's bands, scale and items: the version in force on the as-of date
    p = pol.versions[pol.nearest(as_of)] if isinstance(pol, History) else pol
    named = list(dict.fromkeys(people))
    sites = list(dict.fromkeys(institutions))
    given = {code: code for code in [*named, *sites]}  # as the operator wrote them
    if redact is not None:
        named = [redact.person(c) for c in named]
        sites = [redact.institution(s) or s for s in sites]
        given = {redact.person(c): c for c in people}
        given.update({redact.institution(s) or s: s for s in institutions})
    if near is None:
        fixed = [i.points for i in p.items.values() if i.points_kind == "fixed" and i.points]
        near = 2 * min(fixed) if fixed else 2 * p.scale.unit
    scope: set[str] | None = None

    def watch(ev) -> collect.Tap:
        nonlocal scope
        if sites:
            staff = ev.ledger.staff
            unknown = [s for s in sites if s not in staff]
            if unknown or ev.ledger.roster is None:
                raise LedgerError(
                    [
                        Diagnostic(
                            "unknown-institution",
                            _("institution `{code}` has nobody on the roster").format(
                                code=given[s]
                            ),
                            Span(roster or events),
                            (
                                _("did you mean `{near}`?").format(near=m)
                                if redact is None and (m := closest(s, staff))
                                else _("give a code from the roster's institution column")
                            ),
                        )
                        for s in unknown or sites
                    ]
                )
            scope = {code for s in sites for code in staff[s]}
        return collect.Tap(p, ev, as_of, scope)

    ev, tap = _fold(pol, events, roster, as_of, encoding, progress, watch, redact=redact)
    codes = ev.codes()
    known = set(codes)
    missing = [c for c in named if c not in known]
    if missing:
        raise LedgerError(
            [
                Diagnostic(
                    "unknown-person",
                    _("person `{code}` has no event in the ledger and is not on the roster").format(
                        code=given[c]
                    ),
                    Span(events),
                    _("did you mean `{near}`?").format(near=m)
                    if redact is None and (m := closest(c, known))
                    else None,
                )
                for c in missing
            ]
        )
    col = collect.Collector(p, as_of, ev.ledger.staff, sites or None, named, top, near)
    for n, code in enumerate(codes):
        person = ev.finish_person(code)[0]
        if scope is None or code in scope:
            col.add(person)
        if progress and n % 2000 == 0:
            progress(n, "people")
    judged = ev.judge_institutions(sorted(sites) if sites else None)
    outcome = ev.outcome([], {}, institutions=judged)
    trails = {o.person: tap.trail.get(o.person, []) for o in col.selection.people()}
    data = col.data(tap, judged, trails, outcome.warnings()).as_dict()
    if outcome.versions is not None:  # a history: its versions, each with its period
        head = data["policy"]
        head["version"] = ", ".join(v["version"] for v in outcome.versions)
        head["effective"] = list(outcome.effective)
        head["versions"] = outcome.versions
    if claims is not None:
        from engine.screen.output import report_summary

        screened = screen_files(
            policy,
            events,
            claims,
            roster,
            as_of,
            engine=screen_engine,
            encoding=encoding,
            allow_outside=allow_outside,
            redact=redact,
        )
        data["screen"] = report_summary(screened)
    shown = [t for t in outcome.corrections if scope is None or t.person in scope]
    if shown:  # the corrections' trails (issue 22 §1), only when the ledger has some
        data["corrections"] = [t.as_dict() for t in shown]
    page, font = html.render(data, lang, embed_font)
    return outcome, page, data, font


def _fold(
    p,
    events,
    roster,
    as_of,
    encoding,
    progress,
    watch=None,
    sheet=None,
    names=None,
    redact=None,
    explain=(),
):
    """An evaluator with the ledger folded: streamed as it is read when it is in date
    order, else read whole and sorted (a ledger out of order, or an event the fold
    cannot take, whose file's own problems are then reported first).

    `watch(evaluator)`, when given, makes a tap (report.collect.Tap) the events go
    through on their way to the fold; returned with the evaluator (else None).
    `explain`: the people whose steps the fold keeps (their stories)."""
    from engine.errors import EvaluationError
    from engine.evaluation.fold import Unsorted
    from engine.evaluation.run import evaluator
    from engine.ledger.read import NeedsWhole, stream_ledger

    names = names or _names(None)
    corrections = False  # the file's corrections and decisions read before the stream
    while True:
        streamed = stream_ledger(
            events,
            p,
            roster,
            encoding,
            sheet=sheet,
            names=names,
            redact=redact,
            corrections=corrections,
        )
        if streamed is None:
            break
        ledger, rows = streamed
        ev = evaluator(p, ledger, as_of, explain, progress)
        tap = watch(ev) if watch else None
        known = ev.stream_known(rows)  # (as corrected, when they were read: known.py)
        try:
            ev.fold_events(tap.events(known) if tap else known)
        except NeedsWhole:  # a correction or decision met: read them first, then stream
            if corrections:
                break
            corrections = True
            continue
        except (Unsorted, EvaluationError):
            break  # read whole below
        else:
            rows.close()  # (raises the file's problems)
            return ev, tap
        finally:  # left before its end (or done): its file closed before it is read again
            rows.discard()
    # the stream's text, and the first fold's states, go before the file is read again
    streamed = rows = known = ev = tap = None
    ledger = read_ledger(
        events, p, roster, encoding=encoding, sheet=sheet, names=names, redact=redact
    )
    ev = evaluator(p, ledger, as_of, explain, progress)
    tap = watch(ev) if watch else None
    rows = ev.ledger.events  # as known on the as-of date (corrections made: known.py)
    ev.fold_events(tap.events(rows) if tap else rows)
    ledger.events = ev.ledger.events = rows = []  # folded: let the rows go
    return ev, tap


def explain_files(
    policy: PolicyPaths,
    events: str,
    roster: str | None = None,
    as_of: _dt.date | None = None,
    people: Iterable[str] = (),
    *,
    encoding: str | None = None,
    progress: Callable[[int, str], None] | None = None,
    sheet: str | int | None = None,
    columns: str | None = None,
    allow_outside: bool = False,
    redact: Pseudonyms | None = None,
) -> tuple[Outcome, set[str]]:
    """The stories of a few people (`evaluate --explain` with no --output): the
    outcome of `people` only, with their steps, and the codes of everyone the ledger
    and roster know (to say "did you mean" of a code that is not among them).

    Why not `evaluate_files(explain=...)`: that reads the ledger whole and keeps every
    person's outcome, to print a few stories (issue 15 §3). Here the ledger is
    folded as it is read, as `report_files` folds it, and only the people asked about
    are finished: memory holds the people's running states, not the rows and not
    everyone's outcome. `people` are codes as the outcome has them (pseudonyms under
    `redact`: the caller maps them). The answers are `evaluate_files`'s.
    """
    p = load_policies(policy, allow_outside=allow_outside)
    as_of = as_of or _dt.date.today()
    wanted = list(dict.fromkeys(people))
    ev = _fold(
        p,
        events,
        roster,
        as_of,
        encoding,
        progress,
        sheet=sheet,
        names=_names(columns),
        redact=redact,
        explain=wanted,
    )[0]
    known = set(ev.codes())
    found, traces = [], {}
    for code in wanted:
        if code in known:
            person, trace = ev.finish_person(code)
            found.append(person)
            traces[code] = trace or []
    return ev.outcome(found, traces, institutions=[]), known


def _names(columns: str | None):
    """The header names of `--columns FILE`, or the built-in ones."""
    from engine.ledger.columns import DEFAULT_NAMES, load_names

    return DEFAULT_NAMES if columns is None else load_names(columns)


@contextlib.contextmanager
def _database(url: str) -> Iterator[Any]:
    """The service's database at `url`, its connections closed when done."""
    from engine.serve import database

    db = database.connect(url)
    try:
        yield db
    finally:
        db.dispose()


def db_init(url: str) -> tuple[int, int]:
    """Create the service's schema at a database URL, or migrate it (`policyctl db init`);
    (version before, version after)."""
    from engine.serve import schema

    with _database(url) as db:
        return schema.init(db)


def db_retention(url: str, days: int | None) -> None:
    """Set the database's retention setting, in days (None or 0: keep everything);
    `policyctl db init --retention-days N` (serve/erase.py, docs/privacy.md)."""
    from engine.serve import erase

    with _database(url) as db:
        erase.set_retention(db, days)


def db_erase(url: str, code: str):
    """Remove everything the database holds about one person, all or nothing
    (`policyctl db erase`); returns serve.erase.Erased, the counts removed."""
    from engine.serve import erase

    with _database(url) as db:
        return erase.erase(db, code)


def db_purge(url: str, today: _dt.date, dry_run: bool = False):
    """Apply the retention setting as of `today` (`policyctl db purge`): returns
    (serve.erase.Erased, the cutoff date)."""
    from engine.serve import erase

    with _database(url) as db:
        return erase.purge(db, today, dry_run)


def db_access_log(
    url: str,
    since: str | None = None,
    until: str | None = None,
    person: str | None = None,
    fmt: str = "csv",
) -> list[str]:
    """The service's access log as CSV or JSON Lines text chunks (`policyctl db
    access-log`), read whole before anything is written (no partial output)."""
    from sqlalchemy.exc import SQLAlchemyError

    from engine.serve import access, database, schema

    with _database(url) as db:
        schema.require(db)
        try:
            return list(access.render(access.entries(db, since, until, person), fmt))
        except SQLAlchemyError as exc:
            raise database.unreachable(db, exc) from None


def db_load(
    url: str,
    policy: PolicyPaths,
    events: str,
    roster: str | None = None,
    *,
    encoding: str | None = None,
    progress: Callable[[int, str], None] | None = None,
):
    """Load a ledger into the database, all or nothing (`policyctl db load`); returns
    a serve.load.LoadResult. Raises PolicyctlError with every problem."""
    from engine.serve.load import db_load as load

    with _database(url) as db:
        return load(db, policy, events, roster, encoding, progress)


__all__ = [
    "History",
    "check_history",
    "check_policy",
    "db_access_log",
    "db_erase",
    "db_init",
    "db_load",
    "db_purge",
    "db_retention",
    "diff",
    "diff_files",
    "diff_histories",
    "evaluate",
    "evaluate_files",
    "explain",
    "explain_files",
    "impact",
    "impact_histories",
    "html_report_files",
    "intervals_files",
    "load_history",
    "load_policies",
    "load_policy",
    "pseudonyms",
    "read_ledger",
    "render",
    "render_diff",
    "render_diff_chunks",
    "render_history_diff",
    "report_files",
    "screen_files",
]
