"""Reports of a `policyctl test` run: text for people, JSON and JUnit XML for CI.

Text puts what needs fixing first: one `FAIL file:line: name [cite]` line per
failing case, followed (indented) by one line per difference, expected
against actual, and the explanation of each person concerned; then the
coverage, if asked; and last, alone on its line, `N passed, N failed`, the
line CI logs are searched for. Expected failures (`xfail`) are listed and
counted apart from both. Problems with the files themselves go to standard
error, one line each, from the CLI.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

from engine.i18n import _
from engine.testing.coverage import Coverage
from engine.testing.expect import describe, people_in
from engine.testing.scenarios import CaseResult, Run

LABEL = {"failed": "FAIL", "error": "ERROR", "xpassed": "XPASS", "xfailed": "XFAIL"}


def summary(run: Run) -> str:
    # not translated: `N passed, N failed` is the line CI logs are searched for
    return f"{run.passed} passed, {run.failed} failed"


def failure_text(r: CaseResult, explain: bool = True) -> str:
    """What went wrong in one case: the differences and the people's explanations."""
    from engine.report.explain import explain as tell

    lines = []
    if r.status == "error":
        lines += [d.render() for d in r.diagnostics]
    elif r.status == "xpassed":
        lines.append(
            _("marked `xfail: {reason}` but passes now: remove `xfail`").format(reason=r.case.xfail)
        )
    else:
        lines += [describe(m) for m in r.mismatches]
    if explain and r.outcome is not None and r.status in ("failed", "xfailed"):
        known = {p.person for p in r.outcome.people}
        for person in people_in(r.mismatches):
            if person in known:
                lines.append(_("explanation of {person}:").format(person=person))
                story = tell(r.outcome, person).rstrip("\n").split("\n")
                lines += [("  " + x).rstrip() for x in story]
    return "\n".join(lines)


def heading(r: CaseResult) -> str:
    c = r.case
    return f"{c.where}: {c.name} [{c.cite}]"


def text(run: Run, coverage: list[Coverage] | None = None) -> Iterator[str]:
    for r in run.results:
        if r.status in ("failed", "error", "xpassed"):
            yield f"{LABEL[r.status]} {heading(r)}\n"
            yield "".join(f"    {x}".rstrip() + "\n" for x in failure_text(r).split("\n"))
    for r in run.results:
        if r.status == "xfailed":
            yield f"XFAIL {heading(r)}: {r.case.xfail}\n"
    if coverage is not None:
        yield from coverage_text(coverage)
    xf = run.count("xfailed")
    if xf:
        yield f"{xf} xfailed\n"
    yield summary(run) + "\n"


def coverage_text(coverage: list[Coverage]) -> Iterator[str]:
    if not coverage:
        yield _("coverage: no case ran") + "\n"
    for cov in coverage:
        yield (
            _("coverage of {policy} ({id}): {covered}/{targets} targets, {percent}%").format(
                policy=cov.policy,
                id=cov.policy_id,
                covered=len(cov.covered),
                targets=len(cov.targets),
                percent=f"{cov.percent:.1f}",
            )
            + "\n"
        )
        kinds = cov.by_kind()
        yield "    " + ", ".join(f"{k} {c}/{n}" for k, (c, n) in kinds.items()) + "\n"
        for t in cov.uncovered:
            yield "    " + _("not exercised: {target}").format(target=t) + "\n"


def as_json(run: Run, coverage: list[Coverage] | None = None) -> str:
    cases = []
    for r in run.results:
        c = r.case
        d: dict = {
            "file": c.file,
            "line": c.line,
            "name": c.name,
            "cite": c.cite,
            "status": r.status,
        }
        if c.xfail:
            d["xfail"] = c.xfail
        if r.mismatches:
            d["mismatches"] = [_mismatch(m) for m in r.mismatches]
        if r.diagnostics:
            d["errors"] = [x.as_dict() for x in r.diagnostics]
        cases.append(d)
    out: dict = {
        "files": run.files,
        "cases": cases,
        "errors": [d.as_dict() for d in run.errors],
        "summary": {"passed": run.passed, "failed": run.failed, "xfailed": run.count("xfailed")},
    }
    if coverage is not None:
        out["coverage"] = [c.as_dict() for c in coverage]
    return json.dumps(out, ensure_ascii=False, indent=2) + "\n"


def _mismatch(m) -> dict:
    """A difference as JSON: `missing` when the outcome has nothing there,
    `unexpected` when the outcome has an element the case did not list."""
    from engine.testing.expect import unexpected

    if unexpected(m):
        return {"path": m.path, "unexpected": m.actual}
    if m.absent:
        return {"path": m.path, "expected": m.expected, "missing": True}
    return {"path": m.path, "expected": m.expected, "actual": m.actual}


def junit(run: Run) -> str:
    """JUnit XML: a testsuite per file, a testcase per case; bad files as errors."""
    errors = run.count("error")
    root = ET.Element(
        "testsuites",
        name="policyctl test",
        tests=str(len(run.results)),
        failures=str(run.failed - errors),
        errors=str(errors + len({d.span.file if d.span else "" for d in run.errors})),
    )
    by_file: dict[str, list[CaseResult]] = {f: [] for f in run.files}
    for r in run.results:
        by_file.setdefault(r.case.file, []).append(r)
    bad: dict[str, list[str]] = {}
    for d in run.errors:
        bad.setdefault(d.span.file if d.span else "", []).append(d.render())
    for f in sorted(set(by_file) | set(bad)):
        results = by_file.get(f, [])
        erred = sum(1 for r in results if r.status == "error") + (f in bad)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f,
            tests=str(len(results)),
            failures=str(sum(1 for r in results if r.status in ("failed", "xpassed"))),
            errors=str(erred),
            skipped=str(sum(1 for r in results if r.status == "xfailed")),
        )
        if f in bad:
            tc = ET.SubElement(suite, "testcase", classname=f, name="(load)", file=f)
            err = ET.SubElement(tc, "error", message=bad[f][0])
            err.text = "\n".join(bad[f])
        for r in results:
            tc = ET.SubElement(
                suite, "testcase", classname=f, name=r.case.name, file=f, line=str(r.case.line)
            )
            if r.status == "xfailed":
                ET.SubElement(tc, "skipped", message=f"xfail: {r.case.xfail}")
            elif not r.ok:
                body = failure_text(r)
                el = ET.SubElement(
                    tc,
                    "error" if r.status == "error" else "failure",
                    message=body.split("\n", 1)[0],
                )
                el.text = body
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
