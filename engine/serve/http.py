"""Stage "serve", over HTTP: the `/v1` API (FastAPI on uvicorn), its guards and its log.

FastAPI, because it writes the OpenAPI document (`/v1/openapi.json`) from the
same typed models that shape the answers, so the document cannot drift from
the code; measured against Starlette alone with the same one-row handler
(docs/performance.md), its cost is within the noise of this machine. The
answers themselves come from service.py; this module only maps them to HTTP:

- errors are JSON, `{"errors": [{"code", "message", "file", "line", "hint"}]}`,
  with the CLI's codes (a request's rows are `<body>`, line N the Nth row) and
  the HTTP status that fits: 400 malformed JSON, 401 no or wrong token, 403
  writes disabled, 404 unknown person or route, 413 too large or too many rows,
  415 a body not sent as JSON, 422 invalid rows, 503 database unreachable;
- writes need `Authorization: Bearer TOKEN`; reads too unless the service was
  started with `--reads open` (a local demonstration); tokens are compared in
  constant time and never logged;
- every read of a person is entered in the access log (access.py) before it is
  answered, under the name of the token used; a write's answer (`changed`) too,
  in the write's own transaction;
- a request body larger than `max_body` bytes is refused before it is read
  whole; batches are bounded by the service (`max_batch`);
- the log has one line a request: method, the route's template (never the
  path itself: it names a person), status and milliseconds. No query string, no
  header, no body, no person code is ever logged; an unexpected error is logged
  as its kind and place in policyctl's code, never its message (which could
  quote a value) nor a traceback (whose frames could).
"""

from __future__ import annotations

import datetime as _dt
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any, ClassVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, model_serializer
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.calendar import parse_date
from engine.errors import Diagnostic, LedgerError, PolicyctlError, Span
from engine.i18n import N_, _
from engine.serve.access import ANONYMOUS
from engine.serve.service import BODY, Service, ServiceError, claim_lines

log = logging.getLogger("policyctl.serve")

MESSAGES = {
    "title": "policyctl status service",
    "description": "May this practitioner bill on this date? Status, claim checks, records "
    "and stories from the points regime, and new findings appended. See docs/service.md.",
    "token": N_("this endpoint needs `Authorization: Bearer TOKEN`"),
    "token_hint": N_("send the service's token"),
    "bad_token": N_("the token is not the service's"),
    "read_only": N_("writes are disabled: the service was started without a token"),
    "read_only_hint": N_("start it with --token-file FILE or POLICYCTL_TOKEN set"),
    "too_large": N_("the request body is larger than {limit:,} bytes"),
    "too_large_hint": N_("send fewer rows a request"),
    "json": N_("the request body is not JSON: {reason}"),
    "json_hint": N_("send a JSON object"),
    "shape": N_("`{where}`: {reason}"),
    "route": N_("no such endpoint: {method} {path}"),
    "not_json": N_("the request body must be JSON"),
    "not_json_hint": N_("send it with `Content-Type: application/json`"),
    "route_hint": N_("see /v1/openapi.json"),
    "date": N_("date `{text}` is not a date in YYYY-MM-DD form"),
    "date_hint": N_("write dates as YYYY-MM-DD, e.g. `2024-03-29`"),
    "access": "%s %s %d %.1fms",
    "internal": "%s %s: internal error %s at %s",
    "internal_answer": N_("internal error: the service's log says where"),
    "unrecorded": N_("the read could not be entered in the access log, so it is not answered"),
    "unrecorded_hint": N_("check that the database is reachable and writable, and retry"),
}


WRITER = "writer"  # the write token's name in the access log


@dataclass(frozen=True)
class Guards:
    """Who may do what, and how much a request may carry. `readers`: each read token
    and the name its holder goes by in the access log."""

    write_token: str | None = None
    readers: dict[str, str] | None = None
    reads_need_token: bool = True
    max_body: int = 16 * 1024 * 1024

    def tokens(self) -> list[tuple[str, str]]:
        """(token, name) of every token that may read."""
        found = list((self.readers or {}).items())
        if self.write_token is not None:
            found.append((self.write_token, WRITER))
        return found


# ---- the documented shapes ---------------------------------------------------------------------


class PolicyRef(BaseModel):
    id: str
    version: str


class _Sometimes(BaseModel):
    """A shape some of whose keys are answered only where they apply (`SOMETIMES`): a
    key the service left out stays out, so that answers under the shipped policies
    keep their bytes (issue 22 §2 added keys for decisions)."""

    SOMETIMES: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _leave_out(self, handler):
        out = handler(self)
        for key in self.SOMETIMES:
            if key not in self.model_fields_set:
                out.pop(key, None)
        return out


class DecisionOut(BaseModel):
    event: str = Field(description="the decision row's id")
    document: str | None = Field(description="its 文号")
    date: str


class SanctionOut(_Sometimes):
    SOMETIMES = ("decision", "in_force_from")

    action: str = Field(description="suspend or terminate (a cascade's too)")
    start: str
    end: str | None = Field(description="the last day; null: no end")
    cite: str = Field(description="the article that decided it")
    source: str = Field(description="what fired it: tier:ID, rule:ID, item:CODE, cascade")
    events: list[str]
    institution: str | None = Field(None, description="a cascade's site")
    decision: DecisionOut | None = Field(
        None, description="the decision that decided it; only when one has"
    )
    in_force_from: str | None = Field(
        None,
        description="decisions.take_effect: on-decision: the decision's date, when later "
        "than the start; only then",
    )


class Quote(BaseModel):
    text: str = Field(description="quoted from the regulation")
    cite: str


class ExceptionOut(Quote):
    covers: list[str] = Field(description="the kinds of service still paid: emergency, rescue")


class StatusOut(_Sometimes):
    SOMETIMES = ("proposed_status", "proposed_sanction")

    person: str
    date: str
    may_bill: bool
    status: str = Field(
        description="active, suspended, terminated, awaiting_reapplication: the status in force"
    )
    sanction: SanctionOut | None = Field(description="the sanction behind the status")
    reapply_from: str | None = Field(description="first date a re-application can succeed")
    refusal: Quote | None = Field(description="the article refusing payment, when refused")
    exception: ExceptionOut | None = Field(description="what is still paid, when refused")
    policy: PolicyRef = Field(description="the policy version that decided it")
    on_record: bool = Field(description="false: no event and not on the roster")
    proposed_status: str | None = Field(
        None,
        description="decisions.take_effect: on-decision only: the computed status while "
        "not in force (a sanction proposed, not yet decided); null: none",
    )
    proposed_sanction: SanctionOut | None = Field(
        None, description="on-decision only: the sanction behind proposed_status"
    )


class ClaimIn(BaseModel):
    # required, but checked by the service so that every line's problems are listed
    # with the CLI's codes (claim_id, person, date), not pydantic's first
    claim_id: str | int | None = Field(None, description="required")
    person: str | None = Field(None, description="the practitioner's code; required")
    date: str | None = Field(None, description="date of service, YYYY-MM-DD; required")
    emergency: bool = Field(False, description="an emergency or rescue service")


class ClaimsIn(BaseModel):
    lines: list[ClaimIn] = Field(description="claim lines; at most the service's batch limit")


class VerdictOut(BaseModel):
    claim_id: str
    person: str
    date: str
    status: str
    result: str = Field(description="payable or refused")
    reason: str = Field(description="may-bill, exception, or the status that refuses")
    cite: str | None
    sanction: SanctionOut | None


class ClaimsOut(BaseModel):
    lines: list[VerdictOut]


class EventsIn(BaseModel):
    events: list[dict[str, Any]] = Field(
        description="ledger rows as JSON objects: the columns of docs/ledger.md, `id` required"
    )


class Side(_Sometimes):
    SOMETIMES = ("proposed_status", "proposed_sanction")

    status: str
    may_bill: bool
    sanction: SanctionOut | None
    proposed_status: str | None = Field(None, description="as in the status answer")
    proposed_sanction: SanctionOut | None = Field(None, description="as in the status answer")


class ChangeOut(BaseModel):
    person: str
    from_: str = Field(alias="from", description="the first date whose answer changed")
    before: Side
    after: Side
    today: Side

    model_config = {"populate_by_name": True}


class PostOut(BaseModel):
    added: int
    already_recorded: int = Field(description="ids already stored with the same cells")
    changed: list[ChangeOut] = Field(description="people whose answers changed")


class StepOut(BaseModel):
    date: str
    kind: str
    text: str
    cite: str | None
    event: str | None
    ref: str | None


class ExplainOut(BaseModel):
    person: str
    as_of: str
    policy: PolicyRef
    text: str
    steps: list[StepOut]


class ErrorItem(BaseModel):
    severity: str
    code: str
    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    hint: str | None = None


class ErrorsOut(BaseModel):
    errors: list[ErrorItem]


ERRORS = {status: {"model": ErrorsOut} for status in (400, 401, 403, 404, 413, 415, 422, 503)}


# ---- the app -----------------------------------------------------------------------------------


def make_app(service: Service, guards: Guards) -> ASGIApp:
    app = FastAPI(
        title=MESSAGES["title"],
        description=MESSAGES["description"],
        version="1",
        openapi_url="/v1/openapi.json",
        docs_url=None,  # the UI loads scripts from the network: the JSON document only
        redoc_url=None,
        responses=ERRORS,
    )

    readers = guards.tokens()

    def reader(request: Request) -> str:
        """Who reads: the name of the token sent (required unless reads are open)."""
        if guards.reads_need_token:
            return _check(request, readers)
        if request.headers.get("authorization"):
            try:
                return _check(request, readers)
            except ServiceError:
                return ANONYMOUS
        return ANONYMOUS

    def writer(request: Request) -> str:
        if guards.write_token is None:
            raise ServiceError(
                Diagnostic(
                    "read-only", _(MESSAGES["read_only"]), None, _(MESSAGES["read_only_hint"])
                ),
                403,
            )
        return _check(request, [(guards.write_token, WRITER)])

    def accessed(who: str, endpoint: str, people: list[str]) -> None:
        """The read entered in the access log, or refused (access.py)."""
        if not service.access.record(who, endpoint, people):
            raise ServiceError(
                Diagnostic(
                    "access-log", _(MESSAGES["unrecorded"]), None, _(MESSAGES["unrecorded_hint"])
                ),
                503,
            )

    @app.get("/v1/people/{code}/status", response_model=StatusOut)
    def status(
        code: str,
        date: str | None = Query(None, description="YYYY-MM-DD; default today"),
        who: str = Depends(reader),
    ):
        """May the person bill on the date? With the sanction in force and its article."""
        day = _date(date)
        accessed(who, "GET /v1/people/{code}/status", [code])
        return service.status(code, day)

    @app.post("/v1/claims/check", response_model=ClaimsOut)
    def check(body: ClaimsIn, who: str = Depends(reader)):
        """Each claim line payable or refused, with the reason: the status call, in bulk."""
        service.bounded(len(body.lines), "claim lines")
        lines = claim_lines([line.model_dump() for line in body.lines])
        accessed(who, "POST /v1/claims/check", [line.person for line in lines])
        return {"lines": service.check(lines)}

    @app.get("/v1/people/{code}")
    def record(
        code: str,
        date: str | None = Query(None, description="as of; default today"),
        who: str = Depends(reader),
    ):
        """The person's record as `policyctl evaluate` gives it, as of the date."""
        day = _date(date)
        accessed(who, "GET /v1/people/{code}", [code])
        return service.record(code, day)

    @app.get("/v1/people/{code}/explain", response_model=ExplainOut)
    def explain(
        code: str,
        date: str | None = Query(None, description="as of; default today"),
        who: str = Depends(reader),
    ):
        """The person's story, event by event, with each article."""
        day = _date(date)
        accessed(who, "GET /v1/people/{code}/explain", [code])
        return service.explain(code, day)

    @app.post("/v1/events", response_model=PostOut)
    def post(body: EventsIn, who: str = Depends(writer)):
        """Append findings or re-applications, all or nothing; idempotent by event id.
        The answer's `changed` is a read of each person in it: entered in the access
        log in the events' own transaction (service.py)."""
        return service.post(body.events, who, "POST /v1/events")

    @app.get("/v1/health")
    def health():
        """The database reachable, the policies loaded and their versions."""
        found = service.health()
        return JSONResponse(found, status_code=200 if found["status"] == "ok" else 503)

    @app.exception_handler(PolicyctlError)
    async def _policyctl(request: Request, exc: PolicyctlError):
        status = exc.status if isinstance(exc, ServiceError) else 422
        if not isinstance(exc, (ServiceError, LedgerError)):
            status = 422
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return _errors(exc.diagnostics, status, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        kind = request.headers.get("content-type", "")
        if request.method == "POST" and "json" not in kind.lower():
            return _errors(
                [Diagnostic("format", _(MESSAGES["not_json"]), None, _(MESSAGES["not_json_hint"]))],
                415,
            )
        found = []
        for e in exc.errors():
            loc = [str(x) for x in e.get("loc", ()) if x != "body"]
            if e.get("type") == "json_invalid":
                reason = e.get("ctx", {}).get("error", e.get("msg", ""))
                found.append(
                    Diagnostic(
                        "format",
                        _(MESSAGES["json"]).format(reason=str(reason).lower()),
                        None,
                        _(MESSAGES["json_hint"]),
                    )
                )
                continue
            at, code = None, "format"
            if len(loc) >= 2 and loc[0] in ("lines", "events") and loc[1].isdigit():
                at = Span(BODY, int(loc[1]) + 1)  # line N: the Nth row, as in a file
                code = _FIELD_CODES.get(loc[2] if len(loc) > 2 else "", "format")
                loc = loc[2:] or loc
            where = ".".join(loc) or "body"
            message = _(MESSAGES["shape"]).format(where=where, reason=e.get("msg", "").lower())
            found.append(Diagnostic(code, message, at))
        return _errors(found[:50], 400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            message = _(MESSAGES["route"]).format(method=request.method, path=request.url.path)
            return _errors([Diagnostic("not-found", message, None, _(MESSAGES["route_hint"]))], 404)
        code = "method" if exc.status_code == 405 else "http"
        return _errors([Diagnostic(code, str(exc.detail).lower())], exc.status_code)

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        # Starlette answers with this, then raises the exception on to AccessLog,
        # which logs it without its message (so uvicorn never sees it)
        return _errors([Diagnostic("internal", _(MESSAGES["internal_answer"]))], 500)

    return Limits(AccessLog(app), guards.max_body)


# a claim line's fields -> the CLI's codes for what is wrong with them
_FIELD_CODES = {"date": "date", "person": "person", "claim_id": "claim_id"}


def _check(request: Request, tokens: list[tuple[str, str]]) -> str:
    """The name of the token the request carries; 401 unless it is one of `tokens`."""
    given = request.headers.get("authorization", "")
    scheme, _sep, token = given.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError(
            Diagnostic("unauthorized", _(MESSAGES["token"]), None, _(MESSAGES["token_hint"])), 401
        )
    sent = token.strip().encode()
    # every configured token compared, in constant time, whichever matches
    found = None
    for known, name in tokens:
        if hmac.compare_digest(sent, known.encode()) and found is None:
            found = name
    if found is None:
        raise ServiceError(Diagnostic("unauthorized", _(MESSAGES["bad_token"])), 401)
    return found


def _date(text: str | None) -> _dt.date | None:
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError
        return parse_date(text)
    except ValueError:
        raise ServiceError(
            Diagnostic(
                "date", _(MESSAGES["date"]).format(text=text), None, _(MESSAGES["date_hint"])
            ),
            422,
        ) from None


def _errors(diagnostics, status: int, headers: dict | None = None) -> JSONResponse:
    body = {"errors": [d.as_dict() for d in diagnostics]}
    return JSONResponse(body, status_code=status, headers=headers)


# ---- middleware (plain ASGI: nothing is buffered that need not be) -----------------------------


class Limits:
    """Refuse a body over `max_body` bytes: by its Content-Length before reading it, or
    as soon as a streamed body passes the limit."""

    def __init__(self, app: ASGIApp, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_body:
            await _refuse(send, self.max_body)
            return
        seen = 0
        limit = self.max_body

        async def bounded() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, bounded, send)
        except _TooLarge:
            await _refuse(send, limit)


class _TooLarge(Exception):
    pass


async def _refuse(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "errors": [
                Diagnostic(
                    "limit",
                    _(MESSAGES["too_large"]).format(limit=limit),
                    None,
                    _(MESSAGES["too_large_hint"]),
                ).as_dict()
            ]
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"connection", b"close")],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AccessLog:
    """One line a request: method, route template, status, milliseconds. Nothing else.
    An exception no handler took is answered 500 here and logged as its kind and the
    place in policyctl's code it came from (`_place`), so that neither Starlette nor
    uvicorn logs it with its message and traceback (either could quote a person's
    code or name)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = False

        async def sending_once(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await sending(message)

        try:
            await self.app(scope, receive, sending_once)
        except Exception as exc:  # noqa: BLE001 - answered and logged without its message
            route = getattr(scope.get("route"), "path", None) or "(unknown)"
            method, kind = scope.get("method", "?"), type(exc).__name__
            log.error(MESSAGES["internal"], method, route, kind, _place(exc))
            if not started:
                response = _errors([Diagnostic("internal", _(MESSAGES["internal_answer"]))], 500)
                await response(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unknown)"
            ms = (time.perf_counter() - start) * 1000
            log.info(MESSAGES["access"], scope.get("method", "?"), template, status, ms)


def _place(exc: BaseException) -> str:
    """The innermost frame of policyctl's own code the exception passed through, as
    `engine/serve/store.py:123` (a place, never a value)."""
    import traceback

    found = "?"
    for frame in traceback.extract_tb(exc.__traceback__):
        path = frame.filename.replace("\\", "/")
        at = path.rfind("/engine/")
        if at >= 0:
            found = f"{path[at + 1 :]}:{frame.lineno}"
    return found
