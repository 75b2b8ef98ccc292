"""The `policyctl` command: a thin layer over the Python API.

Parses arguments, calls the library, formats. The only module that imports
click. Exit codes: 0 ok, 1 invalid input or evaluation failure, 2 usage.
Problems are printed one per line on standard error; an output file is written
to a temporary name and renamed, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

import click

from engine import i18n
from engine.errors import PolicyctlError
from engine.i18n import N_, _
from engine.output import (
    failure,
    mode_of,
    output_error,
    output_plan,
    steady_stderr,
    write_files,
)


def _fail(exc: PolicyctlError, errors: str = "text") -> None:
    """Each problem on standard error, one line each, or (`--errors json`) as one JSON
    list of objects with stable keys (severity, code, message, file, line, column,
    hint) for a pipeline to read; exit 1 (69: a component not installed, extras.py)."""
    if errors == "json":
        out = [d.as_dict() for d in exc.diagnostics]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2), err=True)
    else:
        for d in exc.diagnostics:
            click.echo(d.render(), err=True)
    sys.exit(getattr(exc, "exit_code", 1))


def _needs(extra: str, command: str, what: str | None = None, errors: str = "text") -> None:
    """Stop here, before any work, when the optional component `extra` that `command`
    needs is not installed: one line naming the install to run, exit 69
    (engine/extras.py)."""
    from engine.extras import require

    try:
        require(extra, command, what=what)
    except PolicyctlError as exc:
        _fail(exc, errors)


def _write(chunks: Iterable[str], output: str | None, encoding: str | None = None) -> None:
    """Text chunks, to standard output (`output` None or `-`) or to a file, in UTF-8
    unless `encoding` says otherwise.

    A file is written as docs/ledger.md ("Output files") says: a regular file (or a
    new one) to a temporary name beside it, renamed over it only when complete, so a
    failed or killed run leaves it as it was; a symlink is followed to its target's
    folder; a character device, a FIFO or a `/proc/self/fd/N` (anything that is not
    a regular file, and every path under /dev and /proc) is written through, never
    replaced. A folder, a read-only file and a missing or read-only folder are
    refused before anything is written. Problems raise OutputError.

    A broken pipe is not a problem to report: the reader of standard output went
    away (`policyctl evaluate ... | head -1`) and wants no more. It passes to click,
    which ends the run as Python's documentation advises, quietly with status 1 (no
    message, no traceback, as a Unix tool ended by SIGPIPE says nothing).
    """

    if output is None or output == "-":
        if sys.stdout is None:
            raise output_error("-", _("standard output is closed"))
        try:
            if encoding and not _is_utf8(encoding):
                # every character encoded before the first byte goes out: what cannot be
                # written in the encoding is said with nothing written (standard output
                # cannot be taken back)
                data = [c.encode(encoding) for c in chunks]
                for b in data:
                    sys.stdout.buffer.write(b)
                sys.stdout.flush()
            else:
                for c in chunks:
                    sys.stdout.write(c)
                sys.stdout.flush()
        except BrokenPipeError:  # the reader went away (`| head -1`): see above
            raise
        except (OSError, ValueError) as exc:  # full, closed, unencodable
            raise failure("-", exc) from None
        return
    write_files([(chunks, output)], encoding)


def _check_encoding(value: str | None) -> str | None:
    import codecs

    if value is not None:
        try:
            codecs.lookup(value)
        except LookupError:
            raise click.BadParameter(
                _("`{encoding}` is not an encoding (e.g. utf-8, utf-8-sig, gb18030)").format(
                    encoding=value
                )
            ) from None
    return value


def _is_utf8(encoding: str) -> bool:
    import codecs

    return codecs.lookup(encoding).name == "utf-8"


def _output_encoding(fmt: str, output: str | None, chosen: str | None) -> str | None:
    """CSV that Excel on Chinese Windows opens correctly: a `.csv` file gets UTF-8 with a
    byte-order mark (without one Excel reads it as GBK and 张三 shows as 寮犱笁); a pipe
    gets plain UTF-8, which programs expect. `--output-encoding` overrides both."""
    if chosen:
        return chosen
    if fmt == "csv" and output and output != "-" and output.lower().endswith(".csv"):
        return "utf-8-sig"
    return None


# --help in the chosen language: help texts are written in English, marked with N_()
# for the catalogue, and translated when shown (the language is chosen after the
# decorators run). Click's own words (Usage, Options, default) go through the
# same catalogue.


def _click_speaks_ours() -> None:
    """Click's usage errors (a missing option, a bad choice, an unknown option) in
    the chosen language.

    Why this way: click words them itself, each of its modules through the standard
    library's `gettext` bound at import (`from gettext import gettext as _`), which
    reads the process's default domain under the locale's language: not `--lang`,
    not POLICYCTL_LANG, and not our catalogue. Click offers no other hook, so its
    loaded modules' two names are pointed at our catalogue's `known` and `known_n`:
    the messages engine/i18n/usage.py lists come out translated, anything else
    as click wrote it. In English nothing changes."""
    import gettext

    for name, module in list(sys.modules.items()):
        if name != "click" and not name.startswith("click."):
            continue
        if getattr(module, "_", None) is gettext.gettext:
            module._ = i18n.known
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = i18n.known_n


_click_speaks_ours()


def _chinese_punctuation(text: str) -> str:
    """Click joins some messages from translated pieces with English punctuation of its
    own: `f"{missing}{param_hint}."` (缺少参数 'NEW'.) and `f"{message} {did_you_mean}"`
    (没有选项 '--x' （您是否指 ...）). In Chinese the stop is 。 and no space comes
    before a full-width bracket; English is left alone."""
    import re

    if i18n.language() != "zh":
        return text
    # click.Path names its kind at import, before the language is chosen: `Directory 'x'`
    text = re.sub(
        r"\b(File|Directory|Path) (?=')", lambda m: i18n.known(m.group(1).lower()) + " ", text
    )
    text = re.sub(r"\s+（", "（", text)
    text = re.sub(r"(?<=['\"`）\u4e00-\u9fff])\.(?=\s|$)", "。", text)
    return text.replace("。 ", "。")


def _click_punctuates_ours() -> None:
    """Each of click's exceptions that words its own message says it through
    _chinese_punctuation."""
    import click.exceptions as ce

    for cls in vars(ce).values():
        if not (isinstance(cls, type) and issubclass(cls, click.ClickException)):
            continue
        own = cls.__dict__.get("format_message")
        if own is None or getattr(own, "_punctuated", False):
            continue

        def format_message(self, _own=own) -> str:
            return _chinese_punctuation(_own(self))

        format_message._punctuated = True  # type: ignore[attr-defined]
        cls.format_message = format_message  # type: ignore[method-assign]


_click_punctuates_ours()


class _Formatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, _("Usage: ") if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        heading = i18n.known(heading)  # click may have translated it already
        if i18n.language() == "zh":  # click appends an English colon: 选项：, not 选项:
            self.write(f"{'':>{self.current_indent}}{heading}：\n")
        else:
            super().write_heading(heading)


class _Context(click.Context):
    formatter_class = _Formatter


def _translated(record: tuple[str, str] | None) -> tuple[str, str] | None:
    if record is None:
        return None
    opt, text = record
    for word in ("default: ", "required"):
        text = text.replace(word, _(word))
    return opt, text


class _Option(click.Option):
    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        english = self.help
        self.help = _(english) if english else english
        try:
            return _translated(super().get_help_record(ctx))
        finally:
            self.help = english


def _lang_first(args: list[str]) -> None:
    """The language `--lang` names, wherever it stands, before click reads the rest:
    click finds an unknown option or a missing value while parsing, before any option's
    callback runs, so `evaluate --lang zh --polcy x` was told in the locale's language.
    A bad value is left for the option's own callback to report."""
    for i, arg in enumerate(args):
        if arg == "--":
            return
        value = None
        if arg == "--lang" and i + 1 < len(args):
            value = args[i + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
        if value is not None:
            with contextlib.suppress(i18n.UnknownLanguage):
                i18n.set_language(value)


def _policy_files_in_a_row(ctx: click.Context, command: click.Command, args: list[str]) -> None:
    """`--policy a.yaml b.yaml`, as a shell user lists several files, is click's bare
    "unexpected extra argument": say how a history is given instead. Only a command
    that takes no argument of its own, so a valid command line is never refused."""
    if any(isinstance(p, click.Argument) for p in command.params) or "--help" in args:
        return
    if not any(isinstance(p, click.Option) and "--policy" in p.opts for p in command.params):
        return
    for i in range(len(args) - 1):
        if args[i] == "--policy" and args[i + 1].startswith("--"):  # `--policy --lang zh`
            raise click.UsageError(
                _("--policy needs a policy file before `{option}`").format(option=args[i + 1]),
                ctx,
            )
    for i in range(len(args) - 2):
        if args[i] == "--policy" and not args[i + 2].startswith("-"):
            raise click.UsageError(
                _(
                    "`{file}` follows --policy's value: give --policy before each file "
                    "(--policy {first} --policy {file}), or the folder holding the versions"
                ).format(file=args[i + 2], first=args[i + 1]),
                ctx,
            )


class _Command(click.Command):
    context_class = _Context

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("context_settings", {"help_option_names": ["-h", "--help"]})
        super().__init__(*args, **kwargs)
        _lang_option(self)

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        english = self.help
        self.help = _(english) if english else english
        try:
            super().format_help_text(ctx, formatter)
        finally:
            self.help = english

    def get_short_help_str(self, limit: int = 45) -> str:
        english = self.help
        self.help = _(english) if english else english
        try:
            return super().get_short_help_str(limit)
        finally:
            self.help = english

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _lang_first(args)
        _policy_files_in_a_row(ctx, self, args)
        return super().parse_args(ctx, args)

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)
        if option is not None and not isinstance(option, _Option):
            option.help = N_("Show this message and exit.")
            option.__class__ = _Option  # click's own option, its help translated when shown
        return option


class _Group(_Command, click.Group):
    command_class = _Command

    def main(self, *args, **kwargs):
        """The language from the environment before any argument is read (so that
        `--help` is translated); `--lang` then overrides it."""
        try:
            i18n.set_language()
        except i18n.UnknownLanguage as exc:
            i18n.set_language("en")
            argv = kwargs.get("args", args[0] if args else None)
            if "--lang" not in (sys.argv[1:] if argv is None else argv):
                error = click.UsageError(_bad_language("POLICYCTL_LANG", str(exc)))
                if not kwargs.get("standalone_mode", True):
                    raise error from None
                error.show()
                sys.exit(error.exit_code)
        return super().main(*args, **kwargs)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        """click's, and a command people look for under another name said where it is
        (`policyctl explain P` is `policyctl evaluate ... --explain P`)."""
        if args and args[0] in _ELSEWHERE and args[0] not in self.commands:
            raise click.UsageError(_(_ELSEWHERE[args[0]]).format(name=args[0]), ctx)
        return super().resolve_command(ctx, args)


# commands people guess that are options of another (docs: README "Commands")
_ELSEWHERE = {
    "explain": N_(
        "there is no command `{name}`: a person's story is "
        "`policyctl evaluate --policy P --events E --explain PERSON`"
    ),
    "story": N_(
        "there is no command `{name}`: a person's story is "
        "`policyctl evaluate --policy P --events E --explain PERSON`"
    ),
}


def _bad_language(where: str, value: str) -> str:
    return _("{where}: `{value}` is not a language policyctl speaks (zh, en)").format(
        where=where, value=value
    )


def _set_lang(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    try:
        i18n.set_language(value)
    except i18n.UnknownLanguage:
        raise click.BadParameter(_bad_language("--lang", value)) from None


def _lang_option(command: click.Command) -> None:
    """`--lang zh|en` on every command and on the group: eager, so it is read before
    `--help` is acted on when it comes first."""
    command.params.append(
        _Option(
            ["--lang"],
            metavar="zh|en",
            is_eager=True,
            expose_value=False,
            callback=_set_lang,
            help=N_("language of messages and reports (default: POLICYCTL_LANG, else the locale)"),
        )
    )


def _option(*decls: str, **attrs):
    return click.option(*decls, cls=_Option, **attrs)


# ---- options several commands take, made in one place ----------------------------------
def _policy_option(name: str, help: str, multiple: bool = True):
    """`--policy` (required): a file, or where `multiple` several files or a folder for a
    regulation's versions; `name` is the parameter the command receives."""
    return _option("--policy", name, required=True, multiple=multiple, type=click.Path(), help=help)


def _events_option(help: str, required: bool = True):
    """`--events`: the ledger file; `help` says what the command does with it. (No
    default is given where it is required: click takes an explicit None for one.)"""
    if required:
        return _option("--events", required=True, help=help)
    return _option("--events", default=None, help=help)


def _roster_option(help: str = N_("roster file (person, institution, ...)")):
    """`--roster`: optional, beside --events."""
    return _option("--roster", default=None, help=help)


def _encoding_option(command):
    """`--encoding` on every command that reads a CSV ledger."""
    return _option(
        "--encoding", default=None, help=N_("CSV encoding (default: UTF-8, else GB18030)")
    )(command)


_DB_HELP = N_("sqlite:///path.db (embedded) or postgresql://user@host/dbname")


def _db_option(command):
    """`--db URL` (required) on `db init`, `db load` and `serve`."""
    return _option("--db", "url", required=True, metavar="URL", help=_DB_HELP)(command)


def _engine_option(command):
    """`--engine` on evaluate and diff (engine/columnar/run.py)."""
    return _option(
        "--engine",
        type=click.Choice(["auto", "columnar", "fold"]),
        default="auto",
        show_default=True,
        help=N_(
            "fold: every person event by event; columnar: whole columns for whoever the "
            "plan can decide exactly, the fold for the rest; auto: columnar on a large "
            "ledger. The answers are the same"
        ),
    )(command)


def _allow_outside(command):
    """`--allow-outside` on every command that takes a policy: policy and test files
    are untrusted, so a policy's `source.file`, and a test file's `policy:`, must lie
    in the folder tree they belong to (docs/ledger.md, "Files a policy names")."""
    return _option(
        "--allow-outside",
        is_flag=True,
        help=N_(
            "accept a policy's source.file, or a test file's policy, outside the "
            "folder tree it must lie in"
        ),
    )(command)


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    click.echo(_("policyctl, version {version}").format(version=version("policyctl")))
    ctx.exit()


# click's own words in a help page, for the catalogue
_CLICK_WORDS = (
    N_("Usage: "),
    N_("Options"),
    N_("Commands"),
    N_("Arguments"),
    N_("Positional arguments"),
    N_("default: "),
    N_("required"),
)


@click.group(
    cls=_Group,
    help=N_(
        "Regulation-as-code for medical-insurance practitioner points regimes.\n\n"
        "A policy is one regulation version as YAML: `validate` checks it, `evaluate` "
        "applies it to a ledger of inspection findings, `test` runs the scenario tests "
        "written beside it, and `diff` says what a revision changes and for whom."
    ),
)
@_option(
    "--version",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_show_version,
    help=N_("Show the version and exit."),
)
def cli() -> None:
    pass


@cli.command(
    help=N_(
        "Check policy files: structure, expressions, tiers, provenance.\n\nA folder "
        "stands for its *.yaml files. Files sharing one `id` are the versions of one "
        "regulation, and the set is checked too: periods that do not overlap, each "
        "`supersedes` and its map."
    )
)
@click.argument("files", nargs=-1, required=True, type=click.Path())
@_option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("text: one line per problem; json: a list of objects"),
)
@_allow_outside
def validate(files: tuple[str, ...], fmt: str, allow_outside: bool) -> None:
    from engine.policy.loader import check_policy
    from engine.policy.scoring import describe as describe_scoring
    from engine.policy.versions import check_history, empty_folders, policy_paths

    # a folder with no policy in it validated nothing: not a success
    results: list = [(arg, None, diags) for arg, diags in empty_folders(files)]
    failed = bool(results)
    by_id: dict[str, list[str]] = {}
    for f in policy_paths(files):
        policy, diags = check_policy(f, allow_outside)
        errors = [d for d in diags if d.severity == "error"]
        failed = failed or bool(errors) or policy is None
        results.append((str(f), policy, diags))
        if policy is not None and not errors:
            by_id.setdefault(policy.id, []).append(str(f))
    sets = []
    for paths in by_id.values():
        if len(paths) > 1:
            history, _files, set_diags = check_history(paths, allow_outside)
            failed = failed or history is None or any(d.severity == "error" for d in set_diags)
            sets.append((history, set_diags))
    if fmt == "json":
        out = [d.as_dict() for _f, _p, diags in results for d in diags]
        out += [d.as_dict() for _h, diags in sets for d in diags]
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        for f, policy, diags in results:
            for d in diags:
                click.echo(d.render(), err=True)
            if policy is not None and not any(d.severity == "error" for d in diags):
                click.echo(
                    _(
                        "{file}: valid ({items} items, {tiers} tiers, {rules} rules, "
                        "{bans} bans, {institution_rules} institution rules)"
                    ).format(
                        file=f,
                        items=len(policy.items),
                        tiers=len(policy.tiers),
                        rules=len(policy.rules),
                        bans=len(policy.bans),
                        institution_rules=len(policy.institution_rules),
                    )
                )
                if policy.scoring is not None:
                    click.echo("  " + describe_scoring(policy.scoring))
        for history, diags in sets:
            for d in diags:
                click.echo(d.render(), err=True)
            if history is not None and not any(d.severity == "error" for d in diags):
                periods = "; ".join(
                    _("{version} {start} to {end}").format(
                        version=p.version, start=p.effective_from, end=p.effective_to or _("open")
                    )
                    for p in history.versions
                )
                click.echo(
                    _("`{id}`: a valid history of {n} versions ({periods})").format(
                        id=history.id, n=len(history), periods=periods
                    )
                )
    sys.exit(1 if failed else 0)


# what a file's name says it holds, and the --format that writes it: a workbook or a
# Parquet file with a CSV's text inside opens as a broken file, far from the run
_FORMAT_OF_SUFFIX = {".xlsx": "xlsx", ".xlsm": "xlsx", ".parquet": "intervals"}


def _output_matches_format(output: str, fmt: str) -> None:
    """Refuse `-o report.xlsx --format csv` (a CSV named as a workbook) before any work."""
    suffix = Path(output).suffix.lower()
    want = _FORMAT_OF_SUFFIX.get(suffix)
    if suffix in (".html", ".htm"):
        raise click.UsageError(
            _("--output {output} names an HTML page, which `policyctl report` writes").format(
                output=output
            )
        )
    if want is not None and want != fmt:
        raise click.UsageError(
            _(
                "--output {output} names a {suffix} file, but --format {fmt} writes another "
                "kind: give --format {want}, or a file name that fits"
            ).format(output=output, suffix=suffix, fmt=fmt, want=want)
        )


class _IntRange(click.IntRange):
    """click's, naming its type in the reader's language when a value is not one
    (click says `'abc' is not a valid integer range` with its own English name)."""

    @property
    def name(self) -> str:  # type: ignore[override]
        return _("integer")

    @name.setter
    def name(self, value: str) -> None:  # click sets it on the class only
        pass


class _FloatRange(click.FloatRange):
    """click's, naming its type in the reader's language (see _IntRange)."""

    @property
    def name(self) -> str:  # type: ignore[override]
        return _("number")

    @name.setter
    def name(self, value: str) -> None:  # click sets it on the class only
        pass


def _parse_as_of(ctx, param, value: str | None) -> _dt.date:
    if value is None:
        return _dt.date.today()
    try:
        date = _dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            _("`{value}` is not a date (YYYY-MM-DD)").format(value=value)
        ) from None
    if date > LAST_AS_OF:  # its cycle would end past 9999-12-31, the last date there is
        raise click.BadParameter(
            _(
                "`{value}` is too late: the latest date a ledger can be evaluated as of is {last}"
            ).format(value=value, last=LAST_AS_OF)
        )
    return date


LAST_AS_OF = _dt.date(9998, 12, 31)


def _parse_day(ctx, param, value: str | None) -> _dt.date | None:
    """An optional date option (None when not given)."""
    return None if value is None else _parse_as_of(ctx, param, value)


def _evaluation_inputs(command):
    """The inputs of a command that evaluates a ledger as `evaluate` does (`evaluate`,
    `report`): --policy, --events, --roster, --as-of, in that order in --help."""
    for option in reversed(
        [
            _policy_option(
                "policy_path",
                N_("the policy YAML; several files, or a folder, for a regulation's versions"),
            ),
            _events_option(N_("events file: .csv, .xlsx, .jsonl, .parquet, or - for stdin")),
            _roster_option(),
            _option(
                "--as-of",
                "as_of",
                callback=_parse_as_of,
                default=None,
                help=N_("the date to report status on (default: today)"),
            ),
        ]
    ):
        command = option(command)
    return command


def _redaction_options(command):
    """--redact, --redact-key-file and --redact-institutions, on every command that writes
    what a ledger says about people (evaluate, report, diff, screen)."""
    for option in reversed(
        [
            _option(
                "--redact",
                is_flag=True,
                help=N_(
                    "replace practitioner codes and event ids in the output by stable "
                    "pseudonyms (a keyed hash): de-identified, not anonymous (docs/privacy.md)"
                ),
            ),
            _option(
                "--redact-key-file",
                default=None,
                metavar="FILE",
                help=N_("the key for --redact (default: the POLICYCTL_REDACT_KEY variable)"),
            ),
            _option(
                "--redact-institutions",
                is_flag=True,
                help=N_(
                    "with --redact: institution codes too (a one-doctor clinic names its doctor)"
                ),
            ),
        ]
    ):
        command = option(command)
    return command


def _pseudonyms(redact: bool, key_file: str | None, institutions: bool):
    """The pseudonyms --redact asks for (None without it); a missing or weak key is a
    usage error, said without the key."""
    if not redact:
        if key_file or institutions:
            raise click.UsageError(
                _("{option} needs --redact").format(
                    option="--redact-key-file" if key_file else "--redact-institutions"
                )
            )
        return None
    from engine.privacy.pseudonyms import KeyProblem, pseudonyms

    try:
        return pseudonyms(key_file, institutions)
    except KeyProblem as exc:
        d = exc.first
        # the hint as every diagnostic gives it (`（提示：...）` in Chinese)
        raise click.UsageError(d.message + _(" (hint: {hint})").format(hint=d.hint)) from None


@cli.command(
    help=N_(
        "Evaluate a ledger of events under a policy.\n\nWith --explain and no --output, "
        "prints only the story; with both, the report goes to the file and the story "
        "to standard output."
    )
)
@_evaluation_inputs
@_option(
    "--format",
    "fmt",
    type=click.Choice(["json", "jsonl", "csv", "table", "xlsx", "intervals"]),
    default="json",
    show_default=True,
    help=N_(
        "intervals: each person's status as date intervals, CSV (Parquet when "
        "--output ends in .parquet)"
    ),
)
@_option("--output", "-o", default=None, help=N_("write the report here (default: stdout)"))
@_option(
    "--explain",
    "explain_people",
    multiple=True,
    metavar="PERSON",
    help=N_("tell this person's story, event by event (may repeat)"),
)
@_encoding_option
@_option(
    "--output-encoding",
    default=None,
    callback=lambda ctx, param, value: _check_encoding(value),
    metavar="ENCODING",
    help=N_(
        "encoding of the report (default: UTF-8; a .csv file: UTF-8 with a BOM, "
        "which Excel needs; e.g. gb18030)"
    ),
)
@_option(
    "--all",
    "everyone",
    is_flag=True,
    help=N_("with --format table: list everyone, not only the people with a sanction"),
)
@_option(
    "--errors",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help=N_("how problems are printed on standard error: text lines, or a JSON list"),
)
@_option(
    "--sheet",
    default=None,
    metavar="NAME|N",
    help=N_("the events workbook's sheet, by name or number from 1 (default: the first)"),
)
@_option(
    "--columns",
    "columns_file",
    default=None,
    metavar="FILE",
    help=N_("YAML: each column and the header that holds it, e.g. `person: 工号`"),
)
@_option(
    "--jobs",
    "-j",
    type=_IntRange(1, None),
    default=None,
    hidden=True,
    help=N_("no longer used: evaluation runs on one process (docs/performance.md)"),
)
@_allow_outside
@_engine_option
@_redaction_options
def evaluate(
    policy_path: tuple[str, ...],
    events: str,
    roster: str | None,
    as_of: _dt.date,
    fmt: str,
    output: str | None,
    explain_people: tuple[str, ...],
    encoding: str | None,
    output_encoding: str | None,
    errors: str,
    everyone: bool,
    sheet: str | None,
    columns_file: str | None,
    jobs: int | None,
    allow_outside: bool,
    engine: str,
    redact: bool,
    redact_key_file: str | None,
    redact_institutions: bool,
) -> None:
    from engine.evaluation.fold import paused_gc

    if engine == "columnar":
        _needs("columnar", "policyctl evaluate --engine columnar", errors=errors)
    if fmt == "intervals" and output and output.lower().endswith(".parquet"):
        _needs("columnar", "policyctl evaluate --format intervals -o FILE.parquet", "parquet")
    ps = _pseudonyms(redact, redact_key_file, redact_institutions)

    if jobs is not None and jobs > 1:
        # accepted so that scripts written for the two-process fold keep working
        click.echo(
            _(
                "warning: --jobs is no longer used: evaluation runs on one process "
                "(see docs/performance.md)"
            ),
            err=True,
        )
    from engine.report import progress as bars

    progress = bars.Bar() if bars.wanted() else None

    # a short-lived process: see paused_gc (engine/evaluation/fold.py); the console script
    # never resumes it
    with paused_gc(resume=_UNFREED is None):
        _evaluate(
            policy_path,
            events,
            roster,
            as_of,
            fmt,
            output,
            explain_people,
            encoding,
            progress,
            errors,
            output_encoding,
            everyone,
            {"sheet": sheet, "columns": columns_file, "allow_outside": allow_outside},
            engine,
            ps,
        )


def _beside(output: str, kind: str) -> str:
    """people.csv -> people.institutions.csv"""
    path = Path(output)
    return str(path.with_name(f"{path.stem}.{kind}{path.suffix or '.csv'}"))


def _csv_files(outcome, chunks, output: str, fmt: str):
    """The report and, for CSV, the files beside it: the institutions and, when there
    are any, the corrections' trails. A generator, so the latter are worked out once
    the report's chunks have been written (the fold fills the outcome as it goes)."""
    yield chunks, output
    if fmt == "csv":
        from engine.report.formats import institutions_csv

        yield [institutions_csv(outcome)], _beside(output, "institutions")
        if outcome.corrections:
            from engine.report.corrections import csv_text

            yield [csv_text(outcome.corrections)], _beside(output, "corrections")


def _write_xlsx(outcome, output: str) -> None:
    """The workbook, under a temporary name renamed once complete (as _write does)."""
    from engine.report.xlsx import write_xlsx

    target = Path(output)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".xlsx", dir=target.parent or ".")
    os.close(fd)
    try:
        write_xlsx(outcome, tmp)
        os.chmod(tmp, mode_of(target))
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _warn(warnings: list[str]) -> None:
    for w in warnings:
        click.echo(_("warning: {message}").format(message=w), err=True)


def _longer_than_screen(chunks: list[str]) -> bool:
    import shutil

    return sum(c.count("\n") for c in chunks) > shutil.get_terminal_size().lines - 2


def _evaluate(
    policy_path,
    events,
    roster,
    as_of,
    fmt,
    output,
    explain_people,
    encoding,
    progress,
    errors,
    output_encoding=None,
    everyone=False,
    reading=None,
    engine="auto",
    ps=None,
) -> None:
    from engine import api
    from engine.report.formats import render

    reading = reading or {}
    to_file = output is not None and output != "-"
    if to_file:
        _output_matches_format(output, fmt)
    if fmt == "intervals" and not explain_people:
        _intervals(
            policy_path,
            events,
            roster,
            as_of,
            output,
            encoding,
            reading.get("allow_outside"),
            engine,
            ps,
        )
        return
    if fmt == "xlsx" and not to_file:
        raise click.UsageError(
            _("--format xlsx writes a workbook: give it a file with --output (-o report.xlsx)")
        )
    known = None  # everyone's codes, when the outcome holds only the people explained
    try:
        if to_file:
            output_plan(output)  # a target that cannot be written: said before any work
            if fmt == "csv":
                output_plan(_beside(output, "institutions"))
        on_terminal = not to_file and sys.stdout.isatty()
        # what every way of evaluating below is given alike
        files = (policy_path, events, roster, as_of)
        given = {"encoding": encoding, "progress": progress, **reading, "redact": ps}
        folded = {**given, "keep": _UNFREED, "engine": engine}  # report_files's
        stories = [p if ps is None else ps.person(p) for p in explain_people]
        if fmt == "table" and not explain_people:  # counts kept, people let go as they go
            import shutil

            width = shutil.get_terminal_size().columns if on_terminal else None
            outcome, chunks = api.report_files(
                *files, fmt, **folded, everyone=everyone, width=width
            )
        elif explain_people and not to_file and fmt != "xlsx":  # the stories only
            outcome, known = api.explain_files(*files, stories, **given)
            chunks = iter(())
        elif explain_people and fmt in ("json", "jsonl", "csv"):  # to a file, as it goes
            known = set()
            outcome, chunks = api.report_files(*files, fmt, **folded, explain=stories, known=known)
        elif explain_people or fmt == "xlsx":
            outcome = api.evaluate_files(*files, explain=explain_people, **given, engine=engine)
            chunks = render(outcome, fmt) if fmt != "xlsx" else iter(())
        else:  # folded and written as it goes
            outcome, chunks = api.report_files(*files, fmt, **folded)
        _known_people(
            {p.person for p in outcome.people} if known is None else known, explain_people, ps
        )
        warnings = outcome.warnings()
        if not progress:
            _warn(warnings)
        out_enc = _output_encoding(fmt, output, output_encoding)
        if fmt == "xlsx":
            _write_xlsx(outcome, output)
        elif to_file:  # to temporary names, renamed only when all are complete
            write_files(_csv_files(outcome, chunks, output, fmt), out_enc)
        elif not explain_people:
            report = list(chunks)  # standard output cannot be taken back: no partial report
            if fmt == "table" and on_terminal and _longer_than_screen(report):
                click.echo_via_pager("".join(report))
            else:
                _write(report, None, out_enc)
    except PolicyctlError as exc:
        if progress:
            progress.stop()
        _fail(exc, errors)
    if progress:  # the bar done, the warnings below it
        progress.stop()
        _warn(warnings)
    if explain_people:
        from engine.report.explain import explain

        for person in explain_people:
            click.echo(explain(outcome, person if ps is None else ps.person(person)))


@cli.command(
    "pseudonym",
    help=N_(
        "The pseudonym --redact gives each CODE, with the same key: to find a person "
        "in a redacted report.\n\nCodes are read from standard input, one a line, when "
        "none is given. Prints `CODE<tab>PSEUDONYM` lines."
    ),
)
@click.argument("codes", nargs=-1)
@_option(
    "--kind",
    type=click.Choice(["person", "event", "institution"]),
    default="person",
    show_default=True,
    help=N_("what the codes are: practitioner codes, event ids or institution codes"),
)
@_option(
    "--redact-key-file",
    default=None,
    metavar="FILE",
    help=N_("the key for --redact (default: the POLICYCTL_REDACT_KEY variable)"),
)
def pseudonym_command(codes: tuple[str, ...], kind: str, redact_key_file: str | None) -> None:
    ps = _pseudonyms(True, redact_key_file, kind == "institution")
    make = {"person": ps.person, "event": ps.event, "institution": ps.institution}[kind]
    given = codes or tuple(line.strip() for line in sys.stdin if line.strip())
    for code in given:
        click.echo(f"{code}\t{make(code)}")


@cli.command(
    "init",
    help=N_(
        "Start a new city: a commented skeleton policy, a placeholder for the regulation's "
        "text and a first scenario test, under policies/."
        "\n\nPaste the regulation into policies/sources/CITY.txt, then `policyctl validate "
        "policies/CITY.yaml` and `policyctl test policies/tests/CITY`."
    ),
)
@click.argument("city")
@_option(
    "--dir",
    "root",
    default=".",
    type=click.Path(file_okay=False),
    help=N_("the project folder (default: the current one)"),
)
def init_command(city: str, root: str) -> None:
    from engine.policy.skeleton import init

    try:
        written = init(city, root)
    except PolicyctlError as exc:
        _fail(exc)
    for path in written:
        click.echo(_("wrote {path}").format(path=path))


def _known_people(known: set[str], people: tuple[str, ...], ps=None) -> None:
    """`--explain` of someone with no events who is not on the roster is a mistake
    (most likely a typing one): say so, with the nearest known person, before any output
    (none under --redact: the codes known are pseudonyms)."""
    if not people:
        return
    from engine.errors import Diagnostic, closest

    diags = []
    for person in people:
        if (person if ps is None else ps.person(person)) in known:
            continue
        near = closest(person, known) if ps is None else None
        diags.append(
            Diagnostic(
                "unknown-person",
                _("--explain {person}: no events and not on the roster").format(person=person),
                hint=_("did you mean `{person}`?").format(person=near) if near else None,
            )
        )
    if diags:
        raise PolicyctlError(diags)


def _intervals(
    policy_path, events, roster, as_of, output, encoding, allow_outside, engine="auto", ps=None
) -> None:
    from engine import api
    from engine.report import intervals as report

    try:
        found = api.intervals_files(
            policy_path,
            events,
            roster,
            as_of,
            encoding=encoding,
            allow_outside=allow_outside,
            engine=engine,
            redact=ps,
        )
    except PolicyctlError as exc:
        _fail(exc)
    try:
        if output and output.lower().endswith(".parquet"):
            output_plan(output)  # a target that cannot be written, said as for any report
            _write_binary(lambda f: report.write_parquet(found, f), output)
        else:
            chunks = report.csv_chunks(found)
            _write(chunks if output not in (None, "-") else list(chunks), output)
    except PolicyctlError as exc:
        _fail(exc)


def _write_binary(write_to, output: str) -> None:
    """A binary report to a temporary name beside `output`, renamed when complete."""
    target = Path(output)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or ".")
    try:
        os.chmod(tmp, mode_of(target))
        with os.fdopen(fd, "wb") as f:
            write_to(f)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@cli.command(
    help=N_(
        "Check claim lines against the sanctions and the policy's `claims:` rules.\n\n"
        "Each refused or flagged line comes out with its rule, article, reason and "
        "amount at stake, with a summary per institution and per rule."
    )
)
@_policy_option("policy_path", N_("the policy YAML (its `claims:` rules)"), multiple=False)
@_events_option(N_("events file: .csv, .xlsx, .jsonl"))
@_roster_option()
@_option(
    "--claims",
    required=True,
    help=N_("claim lines: a Parquet file, a folder of Parquet files, a glob, or a CSV file"),
)
@_option(
    "--as-of",
    "as_of",
    callback=_parse_as_of,
    default=None,
    help=N_("evaluate the ledger as of this date (default: today)"),
)
@_option(
    "--engine",
    "engine_name",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help=N_(
        "duckdb: this machine; spark: local mode, or a cluster (--spark-master, --spark-remote)"
    ),
)
@_option("--output", "-o", default=None, help=N_("write here (default: stdout, json and csv)"))
@_option(
    "--format",
    "fmt",
    type=click.Choice(["json", "csv", "parquet", "xlsx"]),
    default="json",
    show_default=True,
    help=N_(
        "csv and parquet: the lines in FILE, the summaries in FILE.institutions and FILE.rules"
    ),
)
@_encoding_option
@_option("--memory-limit", default=None, help=N_("duckdb: e.g. 4GB; spills to disk past it"))
@_option("--temp-directory", default=None, help=N_("duckdb: where to spill"))
@_option("--spark-master", default=None, help=N_("spark: master URL (default local[*])"))
@_option("--spark-remote", default=None, help=N_("spark: a Spark Connect URL, sc://host:15002"))
@_allow_outside
@_redaction_options
def screen(
    policy_path: str,
    events: str,
    roster: str | None,
    claims: str,
    as_of: _dt.date,
    engine_name: str,
    output: str | None,
    fmt: str,
    encoding: str | None,
    memory_limit: str | None,
    temp_directory: str | None,
    spark_master: str | None,
    spark_remote: str | None,
    allow_outside: bool,
    redact: bool,
    redact_key_file: str | None,
    redact_institutions: bool,
) -> None:
    _needs("screen", "policyctl screen")
    from engine import api
    from engine.screen import output as out

    ps = _pseudonyms(redact, redact_key_file, redact_institutions)
    if fmt in ("parquet", "xlsx") and output in (None, "-"):
        raise click.UsageError(
            _("--format {fmt} writes a binary file: give --output FILE").format(fmt=fmt)
        )
    options = {
        "memory_limit": memory_limit,
        "temp_directory": temp_directory,
        "master": spark_master,
        "remote": spark_remote,
    }
    writer = out.Writer(fmt, output, sys.stdout)
    try:
        result = api.screen_files(
            policy_path,
            events,
            claims,
            roster,
            as_of,
            engine=engine_name,
            encoding=encoding,
            allow_outside=allow_outside,
            redact=ps,
            sink=writer,
            **options,
        )
        writer.close(result)
    except PolicyctlError as exc:
        writer.abort()
        _fail(exc)
    except BaseException:
        writer.abort()
        raise
    for line in out.summary_text(result):
        click.echo(line, err=True)


@cli.command(
    "report",
    help=N_(
        "One self-contained HTML report with charts: summary, months, institutions, "
        "items, the cycle's distribution, who is close to the next band, and timelines."
        "\n\nSame inputs and evaluation as `evaluate`; the file opens offline and prints "
        "to A4. Its language is --lang's."
    ),
)
@_evaluation_inputs
@_option(
    "--person",
    "people",
    multiple=True,
    metavar="CODE",
    help=N_("draw this person's timeline (may repeat; default: the top people by points)"),
)
@_option(
    "--institution",
    "institutions",
    multiple=True,
    metavar="CODE",
    help=N_("report on this institution's staff only (may repeat; needs --roster)"),
)
@_option(
    "--top",
    type=_IntRange(0, 200),
    default=12,
    show_default=True,
    help=N_("timelines drawn when no --person is given"),
)
@_option(
    "--near",
    type=_FloatRange(0, min_open=True),
    default=None,
    help=N_("points from the next band that count as close (default: twice the lightest item)"),
)
@_option("--output", "-o", required=True, help=N_("the HTML file to write"))
@_encoding_option
@_option(
    "--claims",
    default=None,
    type=click.Path(exists=True),
    help=N_(
        "also screen these claim lines (as `policyctl screen` does) and add a section "
        "with the totals, the rules and the institutions with the most refused"
    ),
)
@_allow_outside
@_redaction_options
def report_command(
    policy_path: tuple[str, ...],
    events: str,
    roster: str | None,
    as_of: _dt.date,
    people: tuple[str, ...],
    institutions: tuple[str, ...],
    top: int,
    near: float | None,
    output: str,
    encoding: str | None,
    claims: str | None,
    allow_outside: bool,
    redact: bool,
    redact_key_file: str | None,
    redact_institutions: bool,
) -> None:
    from fractions import Fraction

    _needs("report", "policyctl report")
    if claims is not None:
        _needs("screen", "policyctl report --claims")
    from engine import api
    from engine.evaluation.fold import paused_gc

    ps = _pseudonyms(redact, redact_key_file, redact_institutions)
    if institutions and roster is None:
        raise click.UsageError(_("--institution needs --roster"))
    if Path(output).suffix.lower() in (".csv", ".json", ".jsonl", ".xlsx", ".parquet", ".txt"):
        raise click.UsageError(
            _(
                "--output {output}: a report is one HTML page; name it .html (a table of "
                "the people is `policyctl evaluate --format csv`, json or xlsx)"
            ).format(output=output)
        )
    try:
        output_plan(output)  # a folder, a missing folder...: said before any work, as evaluate does
        with paused_gc(resume=_UNFREED is None):
            outcome, page, _data, font = api.html_report_files(
                policy_path,
                events,
                roster,
                as_of,
                lang=i18n.language(),
                people=people,
                institutions=institutions,
                top=top,
                near=None if near is None else Fraction(str(near)),
                encoding=encoding,
                allow_outside=allow_outside,
                redact=ps,
                claims=claims,
            )
    except PolicyctlError as exc:
        _fail(exc)
    _warn(outcome.warnings())
    if not font:
        click.echo(
            _(
                "warning: no Chinese font found on this machine to inline; the report names "
                "the usual Chinese fonts and relies on the reader's (install fonts-noto-cjk)"
            ),
            err=True,
        )
    try:
        _write([page], output)
    except PolicyctlError as exc:
        _fail(exc)


@cli.command(
    "test",
    help=N_(
        "Run scenario tests (YAML files with `cases:`) under PATH... (default policies/tests)."
        "\n\nPrints each failing case with expected against actual and the person's "
        "explanation, then `N passed, N failed`; exits 1 on any failure or bad file."
    ),
)
@click.argument("paths", nargs=-1, type=click.Path())
@_option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_option(
    "--junit",
    "junit_file",
    default=None,
    type=click.Path(dir_okay=False),
    help=N_("also write a JUnit XML report here"),
)
@_option(
    "--coverage",
    "with_coverage",
    is_flag=True,
    help=N_("report the items, tiers, rules, bans... no case exercises"),
)
@_option(
    "--fail-under",
    type=_FloatRange(0, 100),
    default=None,
    metavar="PERCENT",
    help=N_("with --coverage: exit 1 if a policy's coverage is below this"),
)
@_allow_outside
def run_tests(
    paths: tuple[str, ...],
    fmt: str,
    junit_file: str | None,
    with_coverage: bool,
    fail_under: float | None,
    allow_outside: bool,
) -> None:
    from engine.testing import report as testreport
    from engine.testing.coverage import measure
    from engine.testing.scenarios import DEFAULT_PATH, run_paths

    if junit_file:
        try:
            output_plan(junit_file)  # a missing folder: said before the tests run, as evaluate
        except PolicyctlError as exc:
            _fail(exc)
    run = run_paths(paths or (DEFAULT_PATH,), allow_outside=allow_outside)
    if not run.files and not run.errors:
        from engine.errors import Diagnostic

        where = ", ".join(paths or (DEFAULT_PATH,))
        _fail(
            PolicyctlError(
                Diagnostic(
                    "test",
                    _("no test files under {where}").format(where=where),
                    hint=_("a test file is a YAML file with `cases:` (docs/testing.md)"),
                )
            )
        )
    cov = measure(run.results) if with_coverage or fail_under is not None else None
    if fmt == "json":
        _write([testreport.as_json(run, cov)], None)
    else:
        for d in run.errors:
            click.echo(d.render(), err=True)
        _write(testreport.text(run, cov), None)
    if junit_file:
        try:
            _write([testreport.junit(run)], junit_file)
        except PolicyctlError as exc:
            _fail(exc)
    short = fail_under is not None and any(c.percent < fail_under for c in cov or ())
    if short and fmt == "text":
        click.echo(_("coverage below {percent}%").format(percent=f"{fail_under:g}"), err=True)
    sys.exit(1 if run.errors or run.failed or short else 0)


@cli.command(
    "diff",
    help=N_(
        "What changed from OLD to NEW, and (with --events) whose outcome it changes."
        "\n\nOLD and NEW are two policy files, or two folders holding a regulation's "
        "versions (compared version by version)."
        "\n\nExit status as for diff(1): 0 no changes, 1 changes, 2 trouble."
    ),
)
@click.argument("old", type=click.Path())
@click.argument("new", type=click.Path())
@_option(
    "--map",
    "map_path",
    default=None,
    type=click.Path(dir_okay=False),
    help=N_("YAML: old item code -> new item code, or null for no counterpart"),
)
@_events_option(N_("evaluate this ledger under both policies"), required=False)
@_roster_option(N_("roster file, with --events"))
@_option("--as-of", "as_of", default=None, help=N_("status date, with --events (default: today)"))
@_option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@_allow_outside
@_redaction_options
@_engine_option
def diff_command(
    old: str,
    new: str,
    map_path: str | None,
    events: str | None,
    roster: str | None,
    as_of: str | None,
    fmt: str,
    allow_outside: bool,
    redact: bool,
    redact_key_file: str | None,
    redact_institutions: bool,
    engine: str,
) -> None:
    from engine import api

    if events is None and (roster or as_of):
        raise click.UsageError(_("--roster and --as-of need --events"))
    if events is not None and engine == "columnar":
        _needs("columnar", "policyctl diff --engine columnar")
    ps = _pseudonyms(redact, redact_key_file, redact_institutions)
    folders = [Path(old).is_dir(), Path(new).is_dir()]
    if any(folders):
        if not all(folders):
            raise click.UsageError(_("compare two policy files, or two folders of versions"))
        try:
            hd = api.diff_histories(old, new, map_path, allow_outside=allow_outside)
            himp = None
            if events is not None:  # the ledger across each history (evaluation/history.py)
                himp = api.impact_histories(hd, events, roster, _parse_as_of(None, None, as_of))
        except PolicyctlError as exc:
            for diag in exc.diagnostics:
                click.echo(diag.render(), err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        click.echo(api.render_history_diff(hd, fmt, imp=himp), nl=False)
        sys.exit(1 if hd.changes else 0)
    try:
        date = _parse_as_of(None, None, as_of)
        d = api.diff_files(old, new, map_path, allow_outside=allow_outside)
        imp = None
        if events is not None:
            from engine.evaluation.fold import paused_gc

            # a short-lived process, as evaluate's (paused_gc): the collector's passes over
            # both sides' ledgers freed nothing, through the comparison and the report
            with paused_gc(resume=_UNFREED is None):
                imp = api.impact(d, events, roster, date, redact=ps, engine=engine)
    except PolicyctlError as exc:
        for diag in exc.diagnostics:
            click.echo(diag.render(), err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    colour = (
        fmt == "text"
        and sys.stdout.isatty()
        and not os.environ.get("CI")
        and not os.environ.get("NO_COLOR")
    )
    for chunk in api.render_diff_chunks(d, imp, fmt, click.style if colour else None):
        click.echo(chunk, nl=False, color=colour)
    sys.exit(1 if d.changes else 0)


@cli.group(
    "db",
    cls=_Group,
    help=N_("The database `serve` answers from: create it, load a ledger into it."),
)
def db_group() -> None:
    pass


@db_group.command(
    "init",
    help=N_(
        "Create the database's schema, or migrate it to this release's version.\n\n"
        "--retention-days N sets how long personal data is kept: `db purge` then removes "
        "access-log entries older than N days and the records of people off the roster "
        "whose record closed more than N days ago (docs/privacy.md); 0 keeps everything."
    ),
)
@_db_option
@_option(
    "--retention-days",
    "retention_days",
    default=None,
    type=click.IntRange(0, 36_500),
    metavar="N",
    help=N_("keep personal data N days after a record closes (0: keep everything)"),
)
def db_init(url: str, retention_days: int | None) -> None:
    _needs("serve", "policyctl db init")
    from engine import api

    try:
        before, after = api.db_init(url)
        if retention_days is not None:
            api.db_retention(url, retention_days)
    except PolicyctlError as exc:
        _fail(exc)
    if before == after:
        said = _("{db}: schema version {version}, up to date")
    elif before == 0:
        said = _("{db}: schema version {version} created")
    else:
        said = _("{db}: schema migrated from version {before} to {version}")
    click.echo(said.format(db=_shown(url), version=after, before=before))
    if retention_days:
        click.echo(
            _("retention: {days} days (apply it with `policyctl db purge`)").format(
                days=retention_days
            )
        )
    elif retention_days == 0:
        click.echo(_("retention: none, personal data is kept until erased"))


@db_group.command(
    "access-log",
    help=N_(
        "Export the service's access log: who read which person's record, when, through "
        "which endpoint (never what was answered). CSV or JSON Lines."
    ),
)
@_db_option
@_option("--since", callback=_parse_day, default=None, help=N_("from this date (UTC)"))
@_option("--until", callback=_parse_day, default=None, help=N_("up to this date, included"))
@_option("--person", default=None, help=N_("one person's entries only"))
@_option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl"]),
    default="csv",
    show_default=True,
    help=N_("output format"),
)
@_option("--output", "-o", default=None, help=N_("write here (default: stdout)"))
def db_access_log(
    url: str,
    since: _dt.date | None,
    until: _dt.date | None,
    person: str | None,
    fmt: str,
    output: str | None,
) -> None:
    _needs("serve", "policyctl db access-log")
    from engine import api

    try:
        chunks = api.db_access_log(
            url,
            since.isoformat() if since else None,
            until.isoformat() if until else None,
            person,
            fmt,
        )
        _write(chunks, output)
    except PolicyctlError as exc:
        _fail(exc)


@db_group.command(
    "erase",
    help=N_(
        "Remove everything the database holds about one person: their events (findings, "
        "corrections, decisions), roster row, status spans and access-log entries, all "
        "or nothing. Erase them from your ledger files too, or the next `db load` brings "
        "them back."
    ),
)
@_db_option
@_option("--person", "code", required=True, help=N_("the practitioner's code"))
def db_erase(url: str, code: str) -> None:
    _needs("serve", "policyctl db erase")
    from engine import api

    try:
        done = api.db_erase(url, code)
    except PolicyctlError as exc:
        _fail(exc)
    click.echo(
        _(
            "{db}: erased {events} events, {roster} roster rows, {spans} status spans, "
            "{access} access-log entries, {sites} roster site rows"
        ).format(
            db=_shown(url),
            events=f"{done.events:,}",
            roster=f"{done.roster:,}",
            spans=f"{done.spans:,}",
            access=f"{done.access_log:,}",
            sites=f"{done.sites:,}",
        )
    )


@db_group.command(
    "purge",
    help=N_(
        "Apply the retention setting (`db init --retention-days N`): remove access-log "
        "entries older than N days, and the events and status spans of people off the "
        "roster whose every event is older than N days and who have been active since "
        "(docs/privacy.md). People on the roster keep their records."
    ),
)
@_db_option
@_option(
    "--as-of",
    "as_of",
    callback=_parse_as_of,
    default=None,
    help=N_("count the N days back from this date (default: today)"),
)
@_option("--dry-run", is_flag=True, help=N_("say what would be removed, remove nothing"))
def db_purge(url: str, as_of: _dt.date, dry_run: bool) -> None:
    _needs("serve", "policyctl db purge")
    from engine import api

    try:
        done, cutoff = api.db_purge(url, as_of, dry_run)
    except PolicyctlError as exc:
        _fail(exc)
    said = (
        _(
            "{db}: before {cutoff}, would remove the records of {people} people ({events} "
            "events, {spans} status spans) and {access} access-log entries"
        )
        if dry_run
        else _(
            "{db}: before {cutoff}, removed the records of {people} people ({events} events, "
            "{spans} status spans) and {access} access-log entries"
        )
    )
    click.echo(
        said.format(
            db=_shown(url),
            cutoff=cutoff,
            people=f"{done.people:,}",
            events=f"{done.events:,}",
            spans=f"{done.spans:,}",
            access=f"{done.access_log:,}",
        )
    )


@db_group.command(
    "load",
    help=N_(
        "Load a ledger through the same checks as `evaluate`, all or nothing.\n\n"
        "Every row needs an `id`: loading rows already in the database again changes "
        "nothing, and everyone the load touches is re-evaluated. A roster replaces the "
        "stored one."
    ),
)
@_db_option
@_policy_option(
    "policy_path", N_("the policy the events are checked and evaluated under: one version's file")
)
@_events_option(N_("events file: .csv, .xlsx, .jsonl (every row an id)"))
@_roster_option(N_("roster file; replaces the stored roster"))
@_encoding_option
def db_load(
    url: str, policy_path: tuple[str, ...], events: str, roster: str | None, encoding: str | None
) -> None:
    _needs("serve", "policyctl db load")
    from engine import api

    progress = None
    if sys.stderr.isatty() and not os.environ.get("CI"):

        def progress(n: int, what: str) -> None:
            click.echo(f"\r  {n:,} {what}" + " " * 10, err=True, nl=False)

    try:
        r = api.db_load(
            url, list(policy_path), events, roster, encoding=encoding, progress=progress
        )
    except PolicyctlError as exc:
        if progress:
            click.echo("", err=True)
        _fail(exc)
    if progress:
        click.echo("\r" + " " * 40 + "\r", err=True, nl=False)
    said = (
        _(
            "{db}: {added} events added, {skipped} already there, roster of {roster} people; "
            "{people} people re-evaluated"
        )
        if r.roster is not None
        else _("{db}: {added} events added, {skipped} already there; {people} people re-evaluated")
    )
    click.echo(
        said.format(
            db=_shown(url),
            added=f"{r.added:,}",
            skipped=f"{r.skipped:,}",
            roster=f"{r.roster or 0:,}",
            people=f"{r.people:,}",
        )
    )


@cli.command(
    "serve",
    help=N_(
        'Answer "may this practitioner bill on this date?" over HTTP, from the database.\n\n'
        "API under /v1 (docs/service.md; OpenAPI at /v1/openapi.json). Listens on "
        "127.0.0.1 unless --host says otherwise. Tokens are read from files or the "
        "environment, never from the command line."
    ),
)
@_db_option
@_policy_option(
    "policies", N_("the policy in force: one version's file (several versions are refused)")
)
@_option("--host", default="127.0.0.1", show_default=True, help=N_("address to listen on"))
@_option(
    "--port",
    default=8080,
    show_default=True,
    type=_IntRange(0, 65535),
    help=N_("port to listen on"),
)
@_option(
    "--token-file",
    default=None,
    type=click.Path(dir_okay=False),
    help=N_(
        "file whose first line is the bearer token writes need (else $POLICYCTL_TOKEN; "
        "neither: writes disabled)"
    ),
)
@_option(
    "--read-token-file",
    default=None,
    type=click.Path(dir_okay=False),
    help=N_(
        "file of tokens for reads only, one a line, NAME:TOKEN naming its holder in the "
        "access log (else $POLICYCTL_READ_TOKEN)"
    ),
)
@_option(
    "--reads",
    type=click.Choice(["token", "open"]),
    default="token",
    show_default=True,
    help=N_(
        "whether reads need a token (a read token or the write token); `open`: anyone "
        "who reaches the port reads every record, for a local demonstration only"
    ),
)
@_option(
    "--max-batch",
    default=10_000,
    show_default=True,
    type=_IntRange(1, 100_000),
    help=N_("most claim lines or events in one request"),
)
@_option(
    "--max-body",
    default=16,
    show_default=True,
    type=_IntRange(1, 1024),
    metavar="MB",
    help=N_("largest request body, in megabytes"),
)
def serve_command(
    url: str,
    policies: tuple[str, ...],
    host: str,
    port: int,
    token_file: str | None,
    read_token_file: str | None,
    reads: str,
    max_batch: int,
    max_body: int,
) -> None:
    _needs("serve", "policyctl serve")
    from engine.serve.run import Options, ServeError, serve

    options = Options(
        url, policies, host, port, token_file, read_token_file, reads, max_batch, max_body << 20
    )
    try:
        serve(options)
    except ServeError as exc:
        for d in exc.diagnostics:
            click.echo(d.render(), err=True)
        sys.exit(2)
    except PolicyctlError as exc:
        _fail(exc)


def _shown(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display: the command reported it already
        return url


# What an evaluation leaves behind, never freed: set to a list by the console script
# (`main`), which ends the process without freeing anything (`_leave`); None when the
# `cli` group is called from tests or other programs, which free as usual.
_UNFREED: list | None = None


def main() -> None:
    global _UNFREED
    _UNFREED = []
    steady_stderr()
    code: int | str | None = 0
    try:
        # Not click's standalone mode, which turns an interrupt into "Aborted!" and
        # status 1: an interrupted run exits 130, as shells expect of Ctrl-C.
        done = cli.main(prog_name="policyctl", standalone_mode=False)
        code = done if isinstance(done, int) else 0  # an int: `--help` and the like
    except SystemExit as exc:
        code = exc.code
    except click.ClickException as exc:  # a usage error, shown as click shows it
        exc.show()
        code = exc.exit_code
    except (KeyboardInterrupt, click.Abort) as exc:
        if isinstance(exc, click.Abort) and not isinstance(exc.__cause__, KeyboardInterrupt):
            click.echo("Aborted!", err=True)  # end of input at a prompt
            code = 1
        else:
            click.echo(_("interrupted"), err=True)
            code = 130
    except Exception as exc:  # a bug of ours, never a user's mistake: say so in one line
        if os.environ.get("POLICYCTL_DEBUG"):
            raise
        click.echo(
            _(
                "policyctl: internal error: {error} at {where} (please report it; "
                "set POLICYCTL_DEBUG=1 for the traceback)"
            ).format(error=type(exc).__name__, where=_raised_at(exc)),
            err=True,
        )
        code = 70
    _leave(code)


def _raised_at(exc: BaseException) -> str:
    """Where in policyctl's own code an exception was raised (`engine/evaluation/fold.py:412`).

    Said instead of the exception's message, which may quote a value of the ledger
    (a KeyError's key is a practitioner's code): no personal data in a line a CI log
    or a bug report keeps (docs/privacy.md). The place is what a report needs most."""
    import traceback

    package = Path(__file__).resolve().parent
    where = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename)
        if path.is_relative_to(package):
            where = f"engine/{path.relative_to(package).as_posix()}:{frame.lineno}"
    return where


def _leave(code: int | str | None) -> NoReturn:
    """End the process as `sys.exit(code)` would, without the interpreter's teardown.

    Why: an evaluation of a province leaves millions of objects behind (the
    roster, the institutions' records) that a normal exit frees one by one,
    about 0.3 s on bench/ to no purpose: the operating system takes a process's
    memory back whole. Nothing is lost by skipping it. Every file has been
    written and renamed (or removed) by the command itself, temporary
    directories are removed by their `with` blocks, and the standard streams
    are flushed here. Only the console script does this: the `cli` group, as
    tests and other programs call it, exits normally.
    """
    if code is None:
        code = 0
    elif not isinstance(code, int):
        click.echo(str(code), err=True)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed (`>&-`): nothing to flush
            continue
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more to say
            if code == 0 and stream is sys.stdout:
                code = 1
    os._exit(code)


if __name__ == "__main__":
    main()
