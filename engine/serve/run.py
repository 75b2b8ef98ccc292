"""Stage "serve", started: the policy, the tokens, the database, then uvicorn.

Tokens come from a file (`--token-file`, its first line; `--read-token-file`, a
token a line, each `NAME:TOKEN` to name its holder in the access log) or an
environment variable (`POLICYCTL_TOKEN` for writes, `POLICYCTL_READ_TOKEN` for
reads), never from the command line, where any user of the machine could read
them in the process list; they are never logged. Without a write token the
service answers reads only. Reads need a token unless `--reads open` says
otherwise (a local demonstration: docs/privacy.md). It listens on 127.0.0.1
unless told otherwise.

uvicorn runs the app on one process, its handlers on a thread pool (the
database calls block); its own access log is off, replaced by http.AccessLog,
which logs no path, query or body.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine.errors import Diagnostic, PolicyctlError, os_reason
from engine.i18n import N_, _
from engine.policy.versions import load_policies, one_version

WRITE_ENV = "POLICYCTL_TOKEN"
READ_ENV = "POLICYCTL_READ_TOKEN"

MESSAGES = {
    "token_file": N_("cannot read the token file `{path}`: {reason}"),
    "token_empty": N_("the token file `{path}` is empty"),
    "token_short": N_("the {which} token is shorter than 16 characters"),
    "token_hint": N_(
        "use a long random token, e.g. `python -c 'import secrets; "
        "print(secrets.token_urlsafe(32))'`"
    ),
    "read_token": N_(
        "reads need a token (--reads token, the default): give a read token "
        "(--read-token-file or {env}) or a write token"
    ),
    "read_token_hint": N_(
        "or start with --reads open for a local demonstration, where anyone who can "
        "reach the port reads every record"
    ),
    "token_name": N_(
        "line {line} of the token file `{path}`: `{name}` is not a name for a token's "
        "holder (letters, digits, `.`, `_`, `-`, `@`; at most 64)"
    ),
    "token_twice": N_("line {line} of the token file `{path}`: the name `{name}` is taken"),
    "token_name_hint": N_("write each line as NAME:TOKEN, e.g. `claims-system:...`"),
    "listening": N_(
        "policyctl serve: {policy} {version} on http://{host}:{port}, database {db}; "
        "writes {writes}, reads {reads}"
    ),
    "refreshed": N_("re-evaluated {count:,} people under the policy given"),
}


class ServeError(PolicyctlError):
    """A usage problem with `serve`'s options (exit 2)."""


@dataclass(frozen=True)
class Options:
    db: str
    policies: tuple[str, ...]
    host: str = "127.0.0.1"
    port: int = 8080
    token_file: str | None = None
    read_token_file: str | None = None
    reads: str = "token"  # token | open (a local demonstration)
    max_batch: int = 10_000
    max_body: int = 16 * 1024 * 1024


def _token_file(path: str) -> str:
    """A token file's text; an unreadable one is a usage error naming it and why."""
    try:
        return Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = (
            os_reason(exc)
            if isinstance(exc, OSError)
            else _("not UTF-8 (byte {offset})").format(offset=exc.start)
        )
        raise ServeError(
            Diagnostic("usage", _(MESSAGES["token_file"]).format(path=path, reason=reason))
        ) from None


def token(path: str | None, env: str, which: str) -> str | None:
    """A token from its file (first line) or the environment; None if neither is given."""
    if path is not None:
        text = _token_file(path)
        value = text.strip().splitlines()[0].strip() if text.strip() else ""
        if not value:
            raise ServeError(Diagnostic("usage", _(MESSAGES["token_empty"]).format(path=path)))
    else:
        value = os.environ.get(env, "").strip()
        if not value:
            return None
    _long_enough(value, which)
    return value


_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}\Z")
READER = "reader"  # the name of a read token given without one


def read_tokens(path: str | None, env: str) -> dict[str, str]:
    """The read tokens, each with the name its holder goes by in the access log: from
    the file, a token a line (`NAME:TOKEN`, or a bare token named `reader`, `reader-2`,
    ...), else the environment variable (one token, taken whole, named `reader`)."""
    if path is None:
        # the variable holds one token, whole (a `:` in it is the token's own, not a
        # name: docs/service.md names it `reader`), as POLICYCTL_TOKEN does
        value = os.environ.get(env, "").strip()
        if not value:
            return {}
        _long_enough(value, "read")
        return {value: READER}
    text = _token_file(path)
    lines = [(n, line.strip()) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
    if not lines:
        raise ServeError(Diagnostic("usage", _(MESSAGES["token_empty"]).format(path=path)))
    out: dict[str, str] = {}
    names: set[str] = set()
    for n, line in lines:
        name, sep, value = line.partition(":")
        if not sep:
            name, value = "", line
            count = sum(1 for x in names if x == READER or x.startswith(READER + "-"))
            name = READER if count == 0 else f"{READER}-{count + 1}"
        name, value = name.strip(), value.strip()
        if not _NAME.match(name) or name in names:
            key = "token_twice" if name in names else "token_name"
            raise ServeError(
                Diagnostic(
                    "usage",
                    _(MESSAGES[key]).format(line=n, path=path, name=name),
                    None,
                    _(MESSAGES["token_name_hint"]),
                )
            )
        _long_enough(value, "read")
        names.add(name)
        out[value] = name
    return out


def _long_enough(value: str, which: str) -> None:
    if len(value) < 16:
        raise ServeError(
            Diagnostic(
                "usage",
                _(MESSAGES["token_short"]).format(which=which),
                None,
                _(MESSAGES["token_hint"]),
            )
        )


def build(options: Options, progress: Callable[[int, str], None] | None = None):
    """The app and a description of it, ready for uvicorn (tests run it in-process)."""
    from engine.serve import database
    from engine.serve.http import Guards, make_app
    from engine.serve.service import Service

    write = token(options.token_file, WRITE_ENV, "write")
    readers = read_tokens(options.read_token_file, READ_ENV)
    if options.reads == "token" and not readers and write is None:
        raise ServeError(
            Diagnostic(
                "usage",
                _(MESSAGES["read_token"]).format(env=READ_ENV),
                None,
                _(MESSAGES["read_token_hint"]),
            )
        )
    policy = one_version(load_policies(list(options.policies)), "`serve`")
    db = database.connect(options.db)
    service = Service(db, policy, max_batch=options.max_batch)
    refreshed = service.start(progress)
    guards = Guards(write, readers, options.reads == "token", options.max_body)
    about = _(MESSAGES["listening"]).format(
        policy=policy.id,
        version=policy.version,
        host=options.host,
        port=options.port,
        db=db.shown,
        writes=_("need the token") if write else _("disabled (no token)"),
        reads=_("need a token") if options.reads == "token" else _("open to anyone"),
    )
    if refreshed:
        about += "; " + _(MESSAGES["refreshed"]).format(count=refreshed)
    return make_app(service, guards), about, service


def serve(options: Options) -> None:
    """Run the service until interrupted."""
    import uvicorn

    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from engine.serve.database import Checkpoints

    app, about, service = build(options)
    logging.getLogger("policyctl.serve").info(about)
    checkpoints = Checkpoints(service.db).start()
    try:
        uvicorn.run(
            app,
            host=options.host,
            port=options.port,
            access_log=False,
            log_config=None,
            server_header=False,
            proxy_headers=False,
        )
    finally:
        service.access.close()
        checkpoints.close()
        service.db.dispose()
