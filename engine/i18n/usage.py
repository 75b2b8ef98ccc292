"""Click's own words for a usage error, marked for our catalogue.

Why here: click words a missing option, a bad choice or an unknown option itself,
through the standard library's `gettext` in its own modules, which reads the
process's default domain, not our catalogue and not `--lang`. The CLI points
those modules at `known()` and `known_n()` (engine/cli.py, `_click_speaks_ours`),
so each message below is given in the chosen language; anything click says that
is not listed here stays in English, as click wrote it, and is not noted missing.

The message ids are click's, byte for byte (click 8.1 to 8.3 word some of them
differently; both spellings are listed). Placeholders are click's too, and a
translation keeps each one, `!r` included.
"""

from __future__ import annotations

from engine.i18n import N_, ngettext

MESSAGES = (
    N_("Error: {message}"),
    N_("Try '{command} {option}' for help."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing {param_type}"),
    N_("Missing parameter: {param_name}"),
    N_("Missing command."),
    N_("No such option {name!r}."),
    N_("No such option: {name}"),
    N_("No such command {name!r}."),
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Option {name!r} does not take a value."),
    N_("Argument {name!r} takes {nargs} values."),
    N_("Could not open file {filename!r}: {message}"),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
    N_("file"),
    N_("directory"),
    N_("path"),
)


def _plurals() -> tuple[str, ...]:
    """Never called: marks click's messages that have a plural form (the extractor
    reads `ngettext` calls)."""
    return (
        ngettext("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)", 1),
        ngettext(
            "Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})", 1
        ),
        ngettext(
            "Option {name!r} requires an argument.",
            "Option {name!r} requires {nargs} arguments.",
            1,
        ),
        ngettext("{value!r} is not {choice}.", "{value!r} is not one of {choices}.", 1),
        ngettext(
            "{value!r} does not match the format {format}.",
            "{value!r} does not match the formats {formats}.",
            1,
        ),
        ngettext(
            "Takes {nargs} values but 1 was given.", "Takes {nargs} values but {len} were given.", 1
        ),
    )
