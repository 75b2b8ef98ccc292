"""A regulation's history: the versions of one regulation, each in force for a period.

Regulations are revised (the national guideline of 2024 had a 2023 draft; every
city re-issued its rules in 2025), and a bureau's ledger spans versions. A
history is a set of policy files sharing one `id`, each with its
`effective.from` / `to`; it is given as several files, or a folder whose
`*.yaml` files (not its sub-folders) are the versions.

Input: paths (files or folders); output: a `History`, the versions in date
order, checked as a set:

- one `id` for all of them, and no `version` twice;
- periods that do not overlap (an open-ended `to: null` only on the last);
- a gap between two periods is a warning: an event dated in it has no version
  in force;
- a version's `supersedes` names the version before it, and its optional map
  (the `diff --map` format, relative to the newer file) is checked against the
  two catalogues. Without a map, the codes of one version pair with the next's
  as `diff` pairs them (`codemap.pair_items`): same code and text, same text,
  same code. `History.maps[i]` carries version i's codes to version i + 1's.

`load_history` raises `PolicyError` with every problem; `check_history` returns
them with the warnings (for `validate`).
"""

from __future__ import annotations

import bisect
import datetime as _dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from engine.errors import Diagnostic, PolicyError, Span
from engine.i18n import _
from engine.policy.codemap import load_map, pair_items
from engine.policy.loader import check_policy, load_policy
from engine.policy.model import Policy
from engine.policy.source import load_document

CodeMap = dict[str, str | None]
PolicyPaths = str | Path | Iterable[str | Path]


@dataclass(frozen=True)
class History:
    """The versions of one regulation, by `effective.from`, and the code maps between
    each version and the next."""

    versions: tuple[Policy, ...]
    maps: tuple[CodeMap, ...] = ()

    @property
    def id(self) -> str:
        return self.versions[0].id

    @property
    def latest(self) -> Policy:
        return self.versions[-1]

    def __len__(self) -> int:
        return len(self.versions)

    @cached_property
    def _periods(self) -> tuple[list[_dt.date], list[_dt.date | None]]:
        """Each version's first and last day (None: open), parsed once: every row of a
        ledger asks which version its dates fall in."""
        return (
            [_day(p.effective_from) for p in self.versions],
            [_day(p.effective_to) if p.effective_to else None for p in self.versions],
        )

    def index_at(self, d: _dt.date) -> int | None:
        """The index of the version in force on d, or None (before the first, in a gap,
        after the last one's end)."""
        starts, ends = self._periods
        i = bisect.bisect_right(starts, d) - 1
        if i < 0:
            return None
        to = ends[i]
        return i if to is None or d <= to else None

    def in_force(self, d: _dt.date) -> Policy | None:
        i = self.index_at(d)
        return None if i is None else self.versions[i]

    def nearest(self, d: _dt.date) -> int:
        """The index of the version in force on d, else of the last one that started
        before d (d in a gap, or after the last one's end), else the first: the version
        an event dated where none is in force is read and judged under, counted as
        outside (the outcome's warning), as a single policy judges events outside its
        period."""
        i = self.index_at(d)
        if i is not None:
            return i
        return max(bisect.bisect_right(self._periods[0], d) - 1, 0)

    def restoration_on(self, d: _dt.date) -> tuple[str, str]:
        """How a person whose suspension is over on d comes back (`restoration.by`) and
        the article: the version in force on d decides (程序从新, docs/semantics.md)."""
        p = self.versions[self.nearest(d)]
        return p.restoration, p.restoration_cite

    def carry(self, code: str, frm: int, to: int) -> str | None:
        """An item code of version `frm` as version `to` (later) names it: through each
        map in turn; None where a version in between has no counterpart."""
        for i in range(frm, to):
            code = self.maps[i].get(code, code) if code is not None else None
            if code is None:
                return None
        return code

    def carry_back(self, code: str, frm: int, to: int) -> tuple[str, ...]:
        """The item codes of version `to` (earlier) that version `frm` names `code`: the
        codes `carry` takes to it. None of them: the earlier version has no such item
        (the conduct was no violation then); several: the later catalogue merged them,
        and a finding naming the later code cannot say which earlier item it was."""
        catalogue = self.versions[to]
        return tuple(
            c for c in (*catalogue.items, *catalogue.credits) if self.carry(c, to, frm) == code
        )


def _day(text: str) -> _dt.date:
    return _dt.date.fromisoformat(text)


def policy_paths(paths: str | Path | Iterable[str | Path]) -> list[Path]:
    """The policy files the arguments name: files as given, folders by their `*.yaml`
    and `*.yml` files (sorted; sub-folders such as `tests/` or `maps/` left out)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml") and x.is_file())
        else:
            out.append(p)
    return out


def load_history(
    paths: str | Path | Iterable[str | Path],
    *,
    provenance_checks: bool = True,
    allow_outside: bool = False,
) -> History:
    """Load every version and check the set; raise PolicyError listing every problem.
    `allow_outside`: let a version's `source.file` lie outside its folder tree."""
    files = policy_paths(paths)
    if not files:
        raise PolicyError(no_policy_files(paths))
    policies: list[Policy] = []
    errors: list[Diagnostic] = []
    for f in files:
        try:
            policies.append(
                load_policy(f, provenance_checks=provenance_checks, allow_outside=allow_outside)
            )
        except PolicyError as exc:
            errors += exc.diagnostics
    if errors:
        raise PolicyError(errors)
    history, diags = _check_set(policies)
    errors = [d for d in diags if d.severity == "error"]
    if errors or history is None:
        raise PolicyError(errors)
    return history


def check_history(
    paths: str | Path | Iterable[str | Path], allow_outside: bool = False
) -> tuple[History | None, list[tuple[Path, Policy | None, list[Diagnostic]]], list[Diagnostic]]:
    """Every diagnostic for a set of versions: per file (as `check_policy` gives them),
    then for the set; the history when everything built."""
    files = policy_paths(paths)
    per_file = []
    for f in files:
        policy, diags = check_policy(f, allow_outside)
        per_file.append((f, policy, diags))
    if not files:
        return None, [], no_policy_files(paths)
    if any(p is None or any(d.severity == "error" for d in ds) for _, p, ds in per_file):
        return None, per_file, []
    history, diags = _check_set([p for _, p, _ in per_file if p is not None])
    return history, per_file, diags


def no_policy_files(paths) -> list[Diagnostic]:
    """The `error[history]` for `paths` (a folder, or several files) holding no policy
    file: what `load_history` raises and `validate` reports for such a folder, since
    validating nothing is not a success."""
    shown = paths if isinstance(paths, (str, Path)) else ", ".join(map(str, paths))
    return [
        Diagnostic(
            "history",
            _("no policy file in `{shown}`").format(shown=shown),
            Span(str(shown)),
            _("give policy files, or a folder holding them (*.yaml)"),
        )
    ]


def empty_folders(paths: Iterable[str | Path]) -> list[tuple[str, list[Diagnostic]]]:
    """Each folder among `paths` with no policy file in it, with its diagnostics."""
    return [(str(p), no_policy_files(p)) for p in paths if Path(p).is_dir() and not policy_paths(p)]


def _span(policy: Policy, path: tuple) -> Span:
    try:
        return load_document(policy.path).span(path)
    except PolicyError:
        return Span(policy.path)


def _check_set(policies: Sequence[Policy]) -> tuple[History | None, list[Diagnostic]]:
    """One id, distinct versions, periods in order without overlap, and each version's
    `supersedes` and map."""
    out: list[Diagnostic] = []
    first = policies[0]
    for p in policies[1:]:
        if p.id != first.id:
            out.append(
                Diagnostic(
                    "history",
                    _("`{id}` is another regulation than `{id2}` ({path})").format(
                        id=p.id, id2=first.id, path=first.path
                    ),
                    _span(p, ("id",)),
                    _("a history is the versions of one regulation: they share one `id`"),
                )
            )
    if out:
        return None, out
    seen: dict[str, Policy] = {}
    for p in policies:
        if p.version in seen:
            out.append(
                Diagnostic(
                    "history",
                    _('version "{version}" is given twice (also {path})').format(
                        version=p.version, path=seen[p.version].path
                    ),
                    _span(p, ("version",)),
                    _("each version of the regulation once"),
                )
            )
        seen[p.version] = p
    ordered = sorted(policies, key=lambda p: (p.effective_from, p.version))
    for a, b in zip(ordered, ordered[1:], strict=False):
        a_to = None if a.effective_to is None else _day(a.effective_to)
        b_from = _day(b.effective_from)
        if a_to is None or a_to >= b_from:
            ends = _("is open-ended") if a_to is None else _("runs to {date}").format(date=a_to)
            out.append(
                Diagnostic(
                    "history",
                    _(
                        'version "{version}" starts on {b_from} while version "{version2}" '
                        "({path}) {ends}: the periods overlap"
                    ).format(
                        version=b.version, b_from=b_from, version2=a.version, path=a.path, ends=ends
                    ),
                    _span(b, ("effective", "from")),
                    _('end version "{version}" the day before ({value})').format(
                        version=a.version, value=b_from - _dt.timedelta(1)
                    ),
                )
            )
        elif a_to + _dt.timedelta(1) < b_from:
            out.append(
                Diagnostic(
                    "history",
                    _(
                        'no version is in force from {value} to {value2} (between "{version}" '
                        'and "{version2}")'
                    ).format(
                        value=a_to + _dt.timedelta(1),
                        value2=b_from - _dt.timedelta(1),
                        version=a.version,
                        version2=b.version,
                    ),
                    _span(b, ("effective", "from")),
                    _(
                        "an event dated then has no rule to be judged by; close the gap "
                        "unless the regulation itself leaves one"
                    ),
                    "warning",
                )
            )
    maps: list[CodeMap] = []
    for i, p in enumerate(ordered):
        prev = ordered[i - 1] if i else None
        if p.supersedes is not None and (prev is None or prev.version != p.supersedes):
            before = f'the version before it is "{prev.version}"' if prev else "it is the first"
            out.append(
                Diagnostic(
                    "history",
                    _('version "{version}" supersedes "{supersedes}", but {before}').format(
                        version=p.version, supersedes=p.supersedes, before=before
                    ),
                    _span(p, ("supersedes", "version")),
                    _("name the version in force just before this one"),
                )
            )
        if prev is None:
            continue
        code_map: CodeMap = {}
        if p.supersedes_map is not None:
            try:
                code_map = load_map(Path(p.path).parent / p.supersedes_map, prev, p)
            except PolicyError as exc:
                out += exc.diagnostics
        maps.append(
            pair_items(prev.items, p.items, code_map).code_map
            | pair_items(prev.credits, p.credits, code_map).code_map
        )
    if any(d.severity == "error" for d in out):
        return None, out
    return History(tuple(ordered), tuple(maps)), out


def load_policies(paths: PolicyPaths, *, allow_outside: bool = False) -> Policy | History:
    """What `--policy` names: one file (a `Policy`), or several files or a folder
    holding the versions of one regulation, checked as a set (a `History`; a history
    of one version is that version).

    A ledger is evaluated across a history's versions (evaluation/history.py): each
    finding is scored under the version in force when its act occurred or, if lighter,
    the one in force at the decision (从旧兼从轻); bands, rules, bans and restoration
    follow the version in force on the day each is decided. That needs every version
    to count on one scale in one cycle: a history whose versions differ in `scale`
    (kind, initial) or `cycle.start` is refused here, with the versions named.
    """
    history = load_history(paths, allow_outside=allow_outside)
    if len(history) == 1:
        return history.latest
    problems = [d for d in _one_scale(history.versions)]
    if problems:
        raise PolicyError(problems)
    return history


def _one_scale(versions: Sequence[Policy]) -> Iterable[Diagnostic]:
    """Each version whose scale or cycle differs from the first's: their totals could
    not be added up in one cycle, nor a finding's points compared across them."""
    first = versions[0]

    def shape(p: Policy) -> tuple:
        return (p.scale.kind, p.scale.initial, p.cycle.start_month, p.cycle.start_day)

    for p in versions[1:]:
        if shape(p) != shape(first):
            yield Diagnostic(
                "history",
                _(
                    'version "{version}" counts on another scale or cycle than version '
                    '"{first}" ({path}): a ledger cannot be evaluated across them'
                ).format(version=p.version, first=first.version, path=first.path),
                _span(p, ("scale",)),
                _(
                    "the versions of one history share `scale.kind`, `scale.initial` and "
                    "`cycle.start`; evaluate each version's events on their own"
                ),
            )


def one_version(loaded: Policy | History, what: str) -> Policy:
    """`loaded` (load_policies) when it is one version; a history of several refused
    where a command (`what`) takes one version of a regulation."""
    if isinstance(loaded, Policy):
        return loaded
    raise PolicyError(
        Diagnostic(
            "history",
            _("`{id}` has {n} versions ({list}): {what} takes one version of a regulation").format(
                id=loaded.id,
                n=len(loaded),
                list=_(", ").join(p.version for p in loaded.versions),
                what=what,
            ),
            Span(loaded.latest.path),
            _("give the file of the version in force"),
        )
    )
