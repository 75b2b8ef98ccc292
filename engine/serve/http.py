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
- writes need `Authorization: Bearer TOKEN`; reads too when `reads_need_token`;
  tokens are compared in constant time and never logged;
- a request body larger than `max_body` bytes is refused before it is read
  whole; batches are bounded by the service (`max_batch`);
- the log has one line a request: method, the route's template (never the
  path itself: it names a person), status and milliseconds. No query string, no
  header, no body, no person code is ever logged.
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
}


@dataclass(frozen=True)
class Guards:
    """Who may do what, and how much a request may carry."""

    write_token: str | None = None
    read_token: str | None = None
    reads_need_token: bool = False
    max_body: int = 16 * 1024 * 1024


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

    def reader(request: Request) -> None:
        if guards.reads_need_token:
            _check(request, (guards.read_token, guards.write_token))

    def writer(request: Request) -> None:
        if guards.write_token is None:
            raise ServiceError(
                Diagnostic(
                    "read-only", _(MESSAGES["read_only"]), None, _(MESSAGES["read_only_hint"])
                ),
                403,
            )
        _check(request, (guards.write_token,))

    @app.get("/v1/people/{code}/status", response_model=StatusOut, dependencies=[Depends(reader)])
    def status(code: str, date: str | None = Query(None, description="YYYY-MM-DD; default today")):
        """May the person bill on the date? With the sanction in force and its article."""
        return service.status(code, _date(date))

    @app.post("/v1/claims/check", response_model=ClaimsOut, dependencies=[Depends(reader)])
    def check(body: ClaimsIn):
        """Each claim line payable or refused, with the reason: the status call, in bulk."""
        service.bounded(len(body.lines), "claim lines")
        return {"lines": service.check(claim_lines([line.model_dump() for line in body.lines]))}

    @app.get("/v1/people/{code}", dependencies=[Depends(reader)])
    def record(code: str, date: str | None = Query(None, description="as of; default today")):
        """The person's record as `policyctl evaluate` gives it, as of the date."""
        return service.record(code, _date(date))

    @app.get("/v1/people/{code}/explain", response_model=ExplainOut, dependencies=[Depends(reader)])
    def explain(code: str, date: str | None = Query(None, description="as of; default today")):
        """The person's story, event by event, with each article."""
        return service.explain(code, _date(date))

    @app.post("/v1/events", response_model=PostOut, dependencies=[Depends(writer)])
    def post(body: EventsIn):
        """Append findings or re-applications, all or nothing; idempotent by event id."""
        return service.post(body.events)

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

    return Limits(AccessLog(app), guards.max_body)


# a claim line's fields -> the CLI's codes for what is wrong with them
_FIELD_CODES = {"date": "date", "person": "person", "claim_id": "claim_id"}


def _check(request: Request, tokens: tuple[str | None, ...]) -> None:
    given = request.headers.get("authorization", "")
    scheme, _sep, token = given.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ServiceError(
            Diagnostic("unauthorized", _(MESSAGES["token"]), None, _(MESSAGES["token_hint"])), 401
        )
    token = token.strip()
    # every configured token compared, in constant time, whichever matches
    ok = False
    for t in tokens:
        if t is not None and hmac.compare_digest(token.encode(), t.encode()):
            ok = True
    if not ok:
        raise ServiceError(Diagnostic("unauthorized", _(MESSAGES["bad_token"])), 401)


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
    """One line a request: method, route template, status, milliseconds. Nothing else."""

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

        try:
            await self.app(scope, receive, sending)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "(unknown)"
            ms = (time.perf_counter() - start) * 1000
            log.info(MESSAGES["access"], scope.get("method", "?"), template, status, ms)
