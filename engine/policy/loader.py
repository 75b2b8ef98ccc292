"""Stage 3 of loading: plain data + positions -> the typed, compiled `Policy`.

Runs the named stages in order and collects every diagnostic on the way:

1. source   — YAML composed with positions (`source.py`)
2. schema   — structure against `schema/policy.schema.json` (`schema.py`);
              a policy with structural errors stops here
3. model    — each block built into a dataclass; each expression parsed,
              checked against its place's scope and compiled to a closure
4. checks   — whole-policy rules: duplicate codes, bands that overlap or leave
              gaps, unreachable tiers, points outside the scale, undeclared
              actions, dangling deadline references
5. provenance — the source text's SHA-256, and every quoted text found in it

`load_policy` raises `PolicyError` with all diagnostics; `check_policy`
returns them (for `validate`, which also reports warnings).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

from engine import calendar
from engine.dsl import ast
from engine.dsl.checker import Checker
from engine.dsl.compile import compile_expr
from engine.dsl.parser import ExprSyntaxError, parse_action, parse_expr
from engine.dsl.sql import sql_problems
from engine.dsl.types import ANY, BOOL, NUM, Type
from engine.errors import EVAL_ERRORS, Diagnostic, PolicyError, Span, os_reason
from engine.i18n import _
from engine.numbers import exact, number_text
from engine.policy import bands as _bands
from engine.policy import provenance, scopes
from engine.policy.model import (
    ActionSpec,
    Ban,
    Billing,
    Cascade,
    ClaimRule,
    Combine,
    Condition,
    Cycle,
    Deadline,
    Effect,
    Exception_,
    Expr,
    Fact,
    InstitutionRule,
    Item,
    NamedAction,
    Policy,
    Provision,
    Rule,
    Scale,
    Tier,
)
from engine.policy.scoring import (
    band_checks,
    build_scoring,
    calls_refuse,
    empty_value_warnings,
    refuse_problems,
)
from engine.policy.source import Document, load_document, not_utf8

ENGINE_ACTIONS = {"interview", "suspend", "terminate", "refer", "ban"}


def load_policy(
    path: str | Path, *, provenance_checks: bool = True, allow_outside: bool = False
) -> Policy:
    """Load, check and compile a policy file; raise PolicyError listing every problem.
    `allow_outside`: let `source.file` lie outside the policy's folder tree."""
    policy, diags = _load(path, provenance_checks, allow_outside)
    errors = [d for d in diags if d.severity == "error"]
    if errors or policy is None:
        raise PolicyError(errors)
    return policy


def check_policy(
    path: str | Path, allow_outside: bool = False
) -> tuple[Policy | None, list[Diagnostic]]:
    """Every diagnostic (errors and warnings) for a policy file; the policy if it built."""
    try:
        return _load(path, True, allow_outside)
    except PolicyError as exc:
        return None, exc.diagnostics


def _load(
    path: str | Path, with_provenance: bool, allow_outside: bool = False
) -> tuple[Policy | None, list[Diagnostic]]:
    doc = load_document(path)
    if not isinstance(doc.data, dict):
        return None, [
            Diagnostic("schema", _("a policy must be a YAML mapping"), Span(doc.path, 1, 1))
        ]
    from engine.policy.schema import schema_diagnostics

    diags = schema_diagnostics(doc)
    if diags:
        return None, diags
    b = _Builder(doc)
    policy = b.build()
    diags = b.diags
    if policy is not None and not any(d.severity == "error" for d in diags):
        diags += _model_checks(policy, doc)
        if with_provenance:
            diags += _provenance(policy, doc, allow_outside)
    diags.sort(key=lambda d: (d.span.line if d.span else 0, d.span.column if d.span else 0))
    return policy, diags


class _Builder:
    def __init__(self, doc: Document):
        self.doc = doc
        self.d: dict = doc.data
        self.diags: list[Diagnostic] = []
        self.has_score = self.d["scale"].get("initial") is not None
        causes = [
            x["cause"]
            for k in ("items", "credits", "rules")
            for x in self.d.get(k) or []
            if isinstance(x, dict) and x.get("cause")
        ]
        names = [a["name"] for a in self.d.get("actions") or [] if isinstance(a, dict)]
        self.closed = scopes.closed_values(names, causes)

    def err(self, code: str, message: str, path, hint: str | None = None, key=False) -> None:
        span = self.doc.key_span(path) if key else self.doc.span(path)
        self.diags.append(Diagnostic(code, message, span, hint))

    def warn(self, code: str, message: str, path, hint: str | None = None) -> None:
        self.diags.append(Diagnostic(code, message, self.doc.span(path), hint, "warning"))

    # ---- expressions -------------------------------------------------------------------
    def expr(
        self,
        path: tuple,
        scope: dict[str, Type],
        expected: Type,
        sql: bool = False,
        may_refuse: bool = False,
    ) -> Expr | None:
        text = self._get(path)
        if isinstance(text, (bool, int, float)):
            text = str(text).lower() if isinstance(text, bool) else str(text)
        origin, inline = self.doc.expr_origin(path)

        def at(pos: int) -> Span:
            return origin.shifted(pos) if inline else origin

        try:
            node = parse_expr(text)
        except ExprSyntaxError as exc:
            self.diags.append(
                Diagnostic(
                    exc.code,
                    _("in `{text}`: {message}").format(text=text, message=exc.message),
                    at(exc.offset),
                    exc.hint,
                )
            )
            return None
        checker = Checker(scope, self.closed)
        checked = checker.run(node, expected)
        if checker.problems:
            for p in checker.problems:
                self.diags.append(Diagnostic(p.code, p.message, at(p.pos), p.hint))
            return None
        refusals = refuse_problems(node, may_refuse)
        for pos, message, hint in refusals:
            self.diags.append(Diagnostic("refuse", message, at(pos), hint))
        if refusals:
            return None
        if sql:  # a claims rule runs as SQL too: what cannot compile is an error here
            problems = sql_problems(checked)
            for p in problems:
                self.diags.append(
                    Diagnostic(
                        "sql",
                        _("in `{text}`: {message}").format(text=text, message=p.message),
                        at(p.pos),
                        p.hint,
                    )
                )
            if problems:
                return None
        try:
            fn = compile_expr(checked)
        except EVAL_ERRORS as exc:  # a constant part fails as it is folded: 1 / 0
            self.diags.append(
                Diagnostic(
                    "evaluation",
                    _("in `{text}`: {exc}").format(text=text, exc=exc),
                    origin,
                    _("this part of the expression can never be computed"),
                )
            )
            return None
        return Expr(
            text,
            node,
            fn,
            origin,
            frozenset(checked.names),
            frozenset(checked.attrs),
            checked if sql else None,
        )

    def actions(self, path: tuple, allow_ban: bool = False) -> tuple[ActionSpec, ...]:
        value = self._get(path)
        texts = value if isinstance(value, list) else [value]
        out = []
        for i, text in enumerate(texts):
            p = path + (i,) if isinstance(value, list) else path
            spec = self.action(p, str(text))
            if spec is None:
                continue
            if spec.kind == "ban" and not allow_ban:
                self.err(
                    "action",
                    _("`{text}`: a ban belongs in `bans`").format(text=text),
                    p,
                    _("here use interview, suspend, terminate, refer or a named action"),
                )
                continue
            out.append(spec)
        return tuple(out)

    def action(self, path: tuple, text: str) -> ActionSpec | None:
        origin, inline = self.doc.expr_origin(path)
        try:
            act = parse_action(text)
        except ExprSyntaxError as exc:
            self.diags.append(
                Diagnostic(
                    "action",
                    _("`{text}` is not an action: {message}").format(
                        text=text, message=exc.message
                    ),
                    origin.shifted(exc.offset) if inline else origin,
                    exc.hint
                    or _(
                        "e.g. `interview`, `suspend 3 months`, `suspend 1 to 6 months`, "
                        "`suspend up to 30 days`, `terminate`, `refer`, `ban 1 year`, `ban "
                        "never`, or a name declared under `actions`"
                    ),
                )
            )
            return None
        if act.kind not in ENGINE_ACTIONS and act.kind not in self.named:
            self.err(
                "action",
                _("unknown action `{kind}`").format(kind=act.kind),
                path,
                _("declare it under `actions:` with a name, label and cite"),
            )
            return None
        for dur in (act.low, act.high):
            if dur is not None and dur.unit == "working day":
                self.err(
                    "action",
                    _("a sanction's length is counted in calendar time"),
                    path,
                    _("use days, weeks, months or years"),
                )
        if any(dur is not None and dur.amount == 0 for dur in (act.low, act.high)):
            self.err(
                "action",
                _("`{text}`: a length of zero").format(text=text),
                path,
                _(
                    "a length with no floor (不超过{amount}...) is written `{kind} up to {high}`"
                ).format(amount=act.high.amount, kind=act.kind, high=act.high)
                if act.low is not None and act.low.amount == 0 and act.high is not None
                else _("a sanction lasts at least a day; leave the action out instead"),
            )
        if act.low and act.high and act.high.amount <= act.low.amount:
            self.err(
                "action",
                _("`{text}`: the range must go from shorter to longer").format(text=text),
                path,
            )
        return ActionSpec(text, act, origin)

    def _get(self, path: tuple) -> Any:
        node = self.d
        for p in path:
            node = node[p]
        return node

    # ---- blocks ------------------------------------------------------------------------
    def build(self) -> Policy | None:
        d = self.d
        self.named = {}
        for i, a in enumerate(d.get("actions") or []):
            if a["name"] in ENGINE_ACTIONS:
                self.err(
                    "action",
                    _("`{a}` is an engine action already").format(a=a["name"]),
                    ("actions", i, "name"),
                )
            elif a["name"] in self.named:
                self.err(
                    "duplicate",
                    _("action `{a}` is declared twice").format(a=a["name"]),
                    ("actions", i, "name"),
                )
            self.named[a["name"]] = NamedAction(
                a["name"], a["label"], a["cite"], self.doc.span(("actions", i))
            )
        sc = d["scale"]
        scale = Scale(sc["kind"], exact(sc.get("initial")), exact(sc.get("unit", 1)), sc["cite"])
        if scale.kind == "score" and scale.initial is None:
            self.err("scale", _("a score scale needs `initial`"), ("scale",))
        cy = d["cycle"]
        month, day = (int(x) for x in cy.get("start", "01-01").split("-"))
        if (month, day) == (2, 29) or day > [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][
            month - 1
        ]:
            self.err(
                "cycle",
                _("`{cy}` is not a day every year has").format(cy=cy["start"]),
                ("cycle", "start"),
                _("use a start such as 01-01 or 04-01"),
            )
        reset_when = None
        if "reset_when" in cy:
            reset_when = self.expr(
                ("cycle", "reset_when"), scopes.reset_scope(self.has_score), BOOL
            )
        cycle = Cycle(
            month,
            day,
            exact(cy.get("cap")),
            exact(cy.get("credit_cap")),
            frozenset(cy.get("resets", ["points", "tiers"])),
            cy["cite"],
            exact(cy.get("credit_total_cap")),
            bool(cy.get("credits_after_termination", False)),
            reset_when,
        )
        co = d["combine"]
        combine = Combine(co["same_act"], co["same_inspection"], co["sites"], co["cite"])
        items = self.items("items", credit=False)
        credits = self.items("credits", credit=True)
        for code in set(items) & set(credits):
            self.err(
                "duplicate",
                _("code `{code}` is both an item and a credit").format(code=code),
                ("credits",),
                _("give the credit its own code"),
            )
        scoring = build_scoring(self, scale, items, credits)
        tiers = self.tiers(scale)
        rules = tuple(self.rule(i, r) for i, r in enumerate(d.get("rules") or []))
        conds = tuple(
            Condition(
                e,
                c.get("message", c["when"]),
                c["cite"],
                self.doc.span(("reapplication", "conditions", i)),
                c.get("after", "termination"),
            )
            for i, c in enumerate((d.get("reapplication") or {}).get("conditions") or [])
            if (
                e := self.expr(
                    ("reapplication", "conditions", i, "when"), scopes.reapply_scope(), BOOL
                )
            )
            is not None
        )
        bans = tuple(b for i, x in enumerate(d.get("bans") or []) if (b := self.ban(i, x)))
        inst = d.get("institutions") or {}
        irules = tuple(
            r for i, x in enumerate(inst.get("rules") or []) if (r := self.institution_rule(i, x))
        )
        cascades: dict[str, Cascade] = {}
        for i, c in enumerate(inst.get("cascade") or []):
            p = ("institutions", "cascade", i)
            spec = self.action(p + ("then",), c["then"])
            if spec is None:
                continue
            if spec.kind not in ("suspend", "terminate"):
                self.err("action", _("a cascade suspends or terminates the staff"), p + ("then",))
            elif spec.action.discretionary:
                self.err(
                    "action",
                    _("a cascade's length is the institution's, not a range"),
                    p + ("then",),
                    _("write `suspend`, or a fixed `suspend 3 months`"),
                )
            if c["on"] in cascades:
                self.err("duplicate", _("two cascades on `{c}`").format(c=c["on"]), p + ("on",))
            cascades[c["on"]] = Cascade(c["on"], spec, c["cite"], self.doc.span(p))
        deadlines = tuple(self.deadline(i, x) for i, x in enumerate(d.get("deadlines") or []))
        facts = tuple(
            Fact(f["name"], e, f["cite"], self.doc.span(("facts", i)))
            for i, f in enumerate(d.get("facts") or [])
            if (e := self.expr(("facts", i, "value"), scopes.fact_scope(), ANY)) is not None
        )
        claims = self.claims()
        provisions = tuple(
            Provision(p["cite"], p.get("text"), p.get("note"), self.doc.span(("provisions", i)))
            for i, p in enumerate(d.get("provisions") or [])
        )
        self.metadata_dates()
        san = d.get("sanctions") or {}
        rest = d["restoration"]
        eff = d["effective"]
        if (
            any(x is None for x in tiers)
            or any(x is None for x in rules)
            or any(x is None for x in deadlines)
        ):
            return None
        return Policy(
            id=d["id"],
            version=str(d["version"]),
            title=d["title"],
            issuer=d["issuer"],
            document=d.get("document"),
            issued=None if d.get("issued") is None else str(d["issued"]),
            effective_from=str(eff["from"]),
            effective_to=None if eff.get("to") is None else str(eff["to"]),
            source_file=d["source"]["file"],
            source_sha256=d["source"]["sha256"],
            scale=scale,
            cycle=cycle,
            combine=combine,
            items=items,
            credits=credits,
            actions=self.named,
            tiers=tuple(tiers),
            rules=rules,
            overlap=san.get("overlap", "replace"),
            overlap_cite=san.get("cite"),
            restoration=rest["by"],
            restoration_cite=rest["cite"],
            conditions=conds,
            bans=bans,
            institution_rules=irules,
            cascades=cascades,
            deadlines=deadlines,
            facts=facts,
            provisions=provisions,
            optional_columns=frozenset((d.get("ledger") or {}).get("optional") or ()),
            required_columns=frozenset((d.get("ledger") or {}).get("required") or ()),
            path=self.doc.path,
            supersedes=None if "supersedes" not in d else str(d["supersedes"]["version"]),
            supersedes_map=(d.get("supersedes") or {}).get("map"),
            claims=claims,
            billing=self.billing(),
            scoring=scoring,
            take_effect=(d.get("decisions") or {}).get("take_effect", "on-computation"),
            take_effect_cite=(d.get("decisions") or {}).get("cite"),
        )

    def billing(self) -> Billing | None:
        b = self.d.get("billing")
        if b is None:
            return None
        x = b.get("exception")
        exception = None if x is None else Exception_(tuple(x["covers"]), x["text"], x["cite"])
        return Billing(frozenset(b["refused_while"]), b["text"], b["cite"], exception)

    def metadata_dates(self) -> None:
        """Issue and effective dates are real days, and the period runs forwards."""
        days = {}
        for path in (("issued",), ("effective", "from"), ("effective", "to")):
            value = self._get_or_none(path)
            if value is None:
                continue
            try:
                days[path] = calendar.parse_date(str(value))
            except ValueError as exc:
                self.err("date", str(exc), path, _("write a real day as YYYY-MM-DD"))
        lo, hi = days.get(("effective", "from")), days.get(("effective", "to"))
        if lo and hi and hi < lo:
            self.err(
                "date",
                _("the effective period ends ({hi}) before it starts ({lo})").format(hi=hi, lo=lo),
                ("effective", "to"),
            )

    def _get_or_none(self, path: tuple) -> Any:
        node = self.d
        for p in path:
            if not isinstance(node, dict) or p not in node:
                return None
            node = node[p]
        return node

    def items(self, key: str, credit: bool) -> dict[str, Item]:
        out: dict[str, Item] = {}
        for i, it in enumerate(self.d.get(key) or []):
            p = (key, i)
            code = it["code"]
            if code in out:
                self.err(
                    "duplicate",
                    _("item code `{code}` is used twice").format(code=code),
                    p + ("code",),
                    _("first at line {line}").format(line=out[code].span.line),
                )
                continue
            pts = it["points"]
            fixed = low = high = expr = band = None
            needs: set[str] = set()
            if isinstance(pts, dict) and "band" in pts:
                kind, band = "band", str(pts["band"])  # checked in scoring.py
                needs.add("points")
            elif isinstance(pts, dict):
                kind, low, high = "range", exact(pts["min"]), exact(pts["max"])
                needs.add("points")
                if low > high:
                    self.err(
                        "points",
                        _("item `{code}`: min {low} is above max {high}").format(
                            code=code, low=low, high=high
                        ),
                        p + ("points",),
                    )
            elif isinstance(pts, str):
                kind = "computed"
                expr = self.expr(p + ("points",), scopes.item_scope(), NUM, may_refuse=not credit)
                if expr is not None:
                    if "amount" in expr.names or ("event", "amount") in expr.attrs:
                        needs.add("amount")
                    if ("event", "points") in expr.attrs:
                        needs.add("points")
            else:
                kind, fixed = "fixed", exact(pts)
            effects = []
            for j, ef in enumerate(it.get("effects") or []):
                ep = p + ("effects", j)
                when = None
                if "when" in ef:
                    when = self.expr(ep + ("when",), scopes.item_scope(), BOOL)
                    if when is not None and (
                        "amount" in when.names or ("event", "amount") in when.attrs
                    ):
                        needs.add("amount")
                effects.append(
                    Effect(when, self.actions(ep + ("then",)), ef["cite"], self.doc.span(ep))
                )
            out[code] = Item(
                code,
                kind,
                fixed,
                low,
                high,
                expr,
                it.get("text", ""),
                it["cite"],
                it.get("cause"),
                tuple(effects),
                self.doc.span(p),
                credit,
                frozenset(needs),
                bool(it.get("violation", True)),
                band,
                expr is not None and calls_refuse(expr.node),
            )
        return out

    def tiers(self, scale: Scale) -> list[Tier | None]:
        out: list[Tier | None] = []
        seen: set[str] = set()
        for i, t in enumerate(self.d["tiers"]):
            p = ("tiers", i)
            when = self.expr(p + ("when",), scopes.tier_scope(self.has_score), BOOL)
            then = self.actions(p + ("then",))
            tid = t.get("id") or str(t["then"])
            if tid in seen:
                self.err("duplicate", _("tier id `{tid}` is used twice").format(tid=tid), p)
            seen.add(tid)
            if when is None:
                out.append(None)
                continue
            band = _bands.band_of(when.node, scale.initial)
            if band is None:
                self.warn(
                    "band",
                    _(
                        "tier `{tid}` is not a band on `deducted` or `score`; overlap and gap "
                        "checks skip it"
                    ).format(tid=tid),
                    p + ("when",),
                    _("write it as a comparison such as `6 <= deducted <= 8`"),
                )
            lasting = frozenset(t.get("lasting") or ())
            kinds = {spec.kind for spec in then}
            for j, name in enumerate(t.get("lasting") or ()):
                if name not in kinds:
                    self.err(
                        "action",
                        f"`{name}` is not an action of tier `{tid}`",
                        p + ("lasting", j),
                        "list actions from its `then`: " + ", ".join(sorted(kinds)),
                    )
            out.append(
                Tier(
                    tid,
                    when,
                    then,
                    t["cite"],
                    i,
                    band,
                    self.doc.span(p),
                    lasting,
                    t.get("clause"),
                )
            )
        return out

    def rule(self, i: int, r: dict) -> Rule | None:
        p = ("rules", i)
        when = self.expr(p + ("when",), scopes.rule_scope(self.has_score), BOOL)
        then = self.actions(p + ("then",))
        if when is None:
            return None
        return Rule(
            r["id"], when, then, r["cite"], r.get("cause"), self.doc.span(p), r.get("clause")
        )

    def ban(self, i: int, b: dict) -> Ban | None:
        p = ("bans", i)
        when = None
        if "when" in b:
            when = self.expr(p + ("when",), scopes.ban_scope(self.has_score), BOOL)
            if when is None:
                return None
        spec = self.action(p + ("then",), str(b["then"]))
        if spec is None:
            return None
        if spec.kind != "ban":
            self.err(
                "action",
                _("`{b}` is not a ban").format(b=b["then"]),
                p + ("then",),
                _("write `ban 6 months`, `ban 1 to 2 years` or `ban never`"),
            )
            return None
        return Ban(when, spec, b["cite"], self.doc.span(p))

    def institution_rule(self, i: int, r: dict) -> InstitutionRule | None:
        p = ("institutions", "rules", i)
        when = self.expr(p + ("when",), scopes.institution_scope(), BOOL)
        then = self.actions(p + ("then",))
        if when is None:
            return None
        return InstitutionRule(r["id"], when, then, r["cite"], self.doc.span(p))

    def claims(self) -> tuple[ClaimRule, ...]:
        """The `claims:` rules: each condition checked, compiled to a closure, and
        proved compilable to SQL (the screen runs it on an analytical engine)."""
        out: list[ClaimRule] = []
        seen: dict[str, int] = {}
        for i, r in enumerate(self.d.get("claims") or []):
            p = ("claims", i)
            if r["id"] in seen:
                self.err(
                    "duplicate",
                    _("claims rule id `{id}` is used twice").format(id=r["id"]),
                    p + ("id",),
                    _("first at line {line}").format(line=seen[r["id"]]),
                )
                continue
            seen[r["id"]] = self.doc.span(p).line
            when = self.expr(p + ("when",), scopes.claim_scope(), BOOL, sql=True)
            if when is None:
                continue
            out.append(
                ClaimRule(
                    r["id"],
                    when,
                    r["then"],
                    r["cite"],
                    r["text"],
                    r.get("reason"),
                    self.doc.span(p),
                )
            )
        return tuple(out)

    def deadline(self, i: int, x: dict) -> Deadline | None:
        p = ("deadlines", i)
        origin, inline = self.doc.expr_origin(p + ("within",))
        try:
            node = parse_expr(str(x["within"]))
        except ExprSyntaxError as exc:
            self.diags.append(
                Diagnostic(
                    "deadline",
                    f"`{x['within']}`: {exc.message}",
                    origin.shifted(exc.offset) if inline else origin,
                    _("write a duration such as `10 working days`"),
                )
            )
            return None
        if not isinstance(node, ast.Duration) or not isinstance(node.amount, int):
            self.err(
                "deadline",
                _("`{x}` is not a duration").format(x=x["within"]),
                p + ("within",),
                _("write a duration such as `10 working days`"),
            )
            return None
        on = frozenset(x["on"]) if x.get("on") else None
        for a in on or ():
            if a not in ENGINE_ACTIONS and a not in self.named:
                self.err("action", _("unknown action `{a}`").format(a=a), p + ("on",))
        return Deadline(x["id"], x.get("after", "action"), node, on, x["cite"], self.doc.span(p))


def _model_checks(policy: Policy, doc: Document) -> list[Diagnostic]:
    out: list[Diagnostic] = empty_value_warnings(policy) + band_checks(policy)
    top = policy.cycle.cap if policy.cycle.cap is not None else policy.scale.initial
    unit = policy.scale.unit
    initial, cap = policy.scale.initial, policy.cycle.cap
    if initial is not None and cap is not None and cap > initial:
        out.append(
            Diagnostic(
                "scale",
                _(
                    "`cycle.cap` {cap} is above `scale.initial` {initial}: a score could "
                    "fall to {value}, and an act worth {initial} empties the score without "
                    "counting as reached in one act"
                ).format(cap=cap, initial=initial, value=initial - cap),
                doc.span(("cycle", "cap")),
                _(
                    "a cap bounds the deductions at the scale: make it {initial}, or leave it out"
                ).format(initial=initial),
            )
        )
    if initial is not None:  # points against the smaller of the scale and the cap
        top = initial if cap is None else min(cap, initial)
    if top is None:
        out += [
            Diagnostic(
                "reached-by",
                _(
                    '`reached_by` is "single" only on a scale with a top (`scale.initial` or '
                    "`cycle.cap`): this ban can never match"
                ),
                b.when.span,
                _("give the scale its top, or test `reached_by` no more"),
            )
            for b in policy.bans
            if b.when is not None and _tests_single(b.when.node)
        ]
    for item in list(policy.items.values()) + list(policy.credits.values()):
        for value in (item.points, item.low, item.high):
            if value is None:
                continue
            if value < 0:
                out.append(
                    Diagnostic(
                        "points",
                        _("item `{code}` has negative points").format(code=item.code),
                        item.span,
                        _("credits lower a total; list them under `credits` with positive points"),
                    )
                )
            elif top is not None and value > top:
                out.append(
                    Diagnostic(
                        "points",
                        _("item `{code}` is worth {value}, more than the scale's {top}").format(
                            code=item.code, value=number_text(value), top=number_text(top)
                        ),
                        item.span,
                    )
                )
            elif Fraction(value) % Fraction(unit):
                out.append(
                    Diagnostic(
                        "points",
                        _(
                            "item `{code}` is worth {value}, not a multiple of the scale's "
                            "unit {unit}"
                        ).format(code=item.code, value=number_text(value), unit=number_text(unit)),
                        item.span,
                    )
                )
    # tiers as bands
    banded = [t for t in policy.tiers if t.band is not None]
    for t in banded:
        if _bands.first_step(t.band, unit) is None or (
            top is not None and _bands.first_step(t.band, unit) > top
        ):
            out.append(
                Diagnostic(
                    "unreachable",
                    _("tier `{id}` can never be reached ({band} holds no reachable total)").format(
                        id=t.id, band=t.band
                    ),
                    t.when.span,
                )
            )
    for a, b in zip(banded, banded[1:], strict=False):
        fa, fb = _bands.first_step(a.band, unit), _bands.first_step(b.band, unit)
        if fa is None or fb is None:
            continue
        if fb <= fa:
            out.append(
                Diagnostic(
                    "tier-order",
                    _("tier `{id}` is milder than `{id2}` above it").format(id=b.id, id2=a.id),
                    b.span,
                    _("list tiers from the mildest to the harshest"),
                )
            )
            continue
        la = _bands.last_step(a.band, unit)
        if la is None or la >= fb:
            out.append(
                Diagnostic(
                    "overlap",
                    _("tiers `{id}` and `{id2}` overlap at deducted = {fb}").format(
                        id=a.id, id2=b.id, fb=fb
                    ),
                    b.when.span,
                    _("each total must fall in at most one tier"),
                )
            )
        elif la + unit < fb:
            gap = la + unit
            out.append(
                Diagnostic(
                    "gap",
                    _("no tier covers deducted = {gap} (between `{id}` and `{id2}`)").format(
                        gap=gap, id=a.id, id2=b.id
                    ),
                    b.when.span,
                    _("make the bands meet, or the total falls out of every tier"),
                )
            )
    if banded and top is not None:
        last = banded[-1]
        ls = _bands.last_step(last.band, unit)
        if ls is not None and ls < top:
            out.append(
                Diagnostic(
                    "gap",
                    _("no tier covers totals above {ls} (up to {top})").format(ls=ls, top=top),
                    last.when.span,
                    _("the harshest tier should reach the end of the scale"),
                )
            )
    # one article, two triggers that both suspend: one sanction or two? (issue 14 §3b)
    triggers = [("tier", t.id, t) for t in policy.tiers] + [("rule", r.id, r) for r in policy.rules]
    for n, (kind_a, id_a, a) in enumerate(triggers):
        for kind_b, id_b, b in triggers[n + 1 :]:
            if kind_a == kind_b == "tier" or a.cite != b.cite:
                continue
            if a.clause is not None and a.clause == b.clause:
                continue
            if any(s.kind == "suspend" for s in a.then) and any(
                s.kind == "suspend" for s in b.then
            ):
                out.append(
                    Diagnostic(
                        "clause",
                        f"{kind_a} `{id_a}` and {kind_b} `{id_b}` both cite {a.cite} and "
                        "both suspend: one finding meeting both gets two suspensions",
                        b.span,
                        "if the article means one sanction (A or B), give both the same `clause:`",
                        "warning",
                    )
                )
    # deadlines refer to earlier ones
    ids: set[str] = set()
    for dl in policy.deadlines:
        if dl.after != "action" and dl.after not in ids:
            out.append(
                Diagnostic(
                    "deadline",
                    _("deadline `{id}` counts from unknown `{after}`").format(
                        id=dl.id, after=dl.after
                    ),
                    dl.span,
                    _("use `action` or the id of a deadline listed before it"),
                )
            )
        if dl.id in ids:
            out.append(
                Diagnostic(
                    "duplicate", _("deadline id `{id}` is used twice").format(id=dl.id), dl.span
                )
            )
        ids.add(dl.id)
    return out


def _tests_single(node: ast.Node) -> bool:
    """Whether a condition compares `reached_by` with "single" (in any form)."""
    for n in ast.walk(node):
        if isinstance(n, ast.Compare):
            names = {o.id for o in n.operands if isinstance(o, ast.Name)}
            texts = {o.value for o in n.operands if isinstance(o, ast.Str)}
            texts |= {
                x.value
                for o in n.operands
                if isinstance(o, ast.ListLit)
                for x in o.items
                if isinstance(x, ast.Str)
            }
            if "reached_by" in names and "single" in texts:
                return True
    return False


def _provenance(policy: Policy, doc: Document, allow_outside: bool = False) -> list[Diagnostic]:
    path = Path(doc.path).parent / policy.source_file
    sspan = doc.span(("source", "file"))
    # A policy file is untrusted: its source must not make item texts an oracle for
    # files elsewhere (`../../etc/passwd`, issue 13 §16), nor be a device or a folder.
    home = Path(doc.path).resolve().parent
    if not allow_outside and not path.resolve().is_relative_to(home):
        return [
            Diagnostic(
                "source",
                _("source text `{source_file}` lies outside the policy's folder").format(
                    source_file=policy.source_file
                ),
                sspan,
                _(
                    "keep the regulation's text in the policy's folder or below it "
                    "(--allow-outside to accept it)"
                ),
            )
        ]
    if path.exists() and not path.is_file():
        return [
            Diagnostic(
                "source",
                _("source text `{source_file}` is not a regular file").format(
                    source_file=policy.source_file
                ),
                sspan,
                _("point `source.file` at the regulation's text file"),
            )
        ]
    if not path.is_file():
        return [
            Diagnostic(
                "source",
                _("source text `{source_file}` not found").format(source_file=policy.source_file),
                sspan,
                _("keep the regulation's text beside the policy, path relative to it"),
            )
        ]
    out: list[Diagnostic] = []
    try:
        actual = provenance.sha256_of(path)
    except (OSError, ValueError) as exc:  # /proc/self/mem, a 4 GB file: docs/ledger.md "Limits"
        return [
            Diagnostic(
                "source",
                _("source text cannot be read: {reason}").format(
                    reason=os_reason(exc) if isinstance(exc, OSError) else exc
                ),
                sspan,
            )
        ]
    if policy.source_sha256 == "pending":  # a new policy (policyctl init): not yet recorded
        out.append(
            Diagnostic(
                "source-hash",
                _("the SHA-256 of `{source_file}` is not recorded yet").format(
                    source_file=policy.source_file
                ),
                doc.span(("source", "sha256")),
                _("once the source text is final, write `sha256: {actual}`").format(actual=actual),
                "warning",
            )
        )
    elif actual != policy.source_sha256.lower():
        out.append(
            Diagnostic(
                "source-hash",
                _("`{source_file}` has SHA-256 {actual}, not the one recorded").format(
                    source_file=policy.source_file, actual=actual
                ),
                doc.span(("source", "sha256")),
                _("the source changed: re-check every quote, then record the new hash"),
            )
        )
    try:
        raw = path.read_text("utf-8")
        text = provenance.normalise_source(raw)
    except OSError:
        return out + [Diagnostic("source", _("source text is not readable UTF-8"), sspan)]
    except UnicodeDecodeError:  # at its own line, saying what it is (GB18030, UTF-16)
        d = not_utf8(str(path), path.read_bytes())
        return out + [Diagnostic("source", d.message, d.span, d.hint)]
    for key in ("items", "credits"):
        for i, it in enumerate(doc.data.get(key) or []):
            if not it.get("text"):
                out.append(
                    Diagnostic(
                        "provenance",
                        _("`{it}` has no `text`").format(it=it["code"]),
                        doc.span((key, i)),
                        _(
                            "quote the item's original words from the source, so a reader "
                            "can check it"
                        ),
                        "warning",
                    )
                )
                continue
            if provenance.normalise(it["text"]) not in text:
                out.append(
                    Diagnostic(
                        "provenance",
                        _("the text of `{it}` is not found in `{source_file}`").format(
                            it=it["code"], source_file=policy.source_file
                        ),
                        doc.span((key, i, "text")),
                        _closest_hint(it["text"], raw, policy.source_file),
                    )
                )
    for i, cr in enumerate(doc.data.get("claims") or []):
        if provenance.normalise(cr["text"]) not in text:
            out.append(
                Diagnostic(
                    "provenance",
                    _("the text of claims rule `{id}` is not found in `{file}`").format(
                        id=cr["id"], file=policy.source_file
                    ),
                    doc.span(("claims", i, "text")),
                    _(
                        "quote the regulation exactly; only line breaks, spaces and full-width "
                        "forms may differ"
                    ),
                )
            )
    billing = doc.data.get("billing") or {}
    for path, quoted in (
        (("billing", "text"), billing.get("text")),
        (("billing", "exception", "text"), (billing.get("exception") or {}).get("text")),
    ):
        if quoted and provenance.normalise(quoted) not in text:
            out.append(
                Diagnostic(
                    "provenance",
                    _("the text of `{where}` is not found in `{file}`").format(
                        where=".".join(path[:-1]), file=policy.source_file
                    ),
                    doc.span(path),
                    _(
                        "quote the regulation exactly; only line breaks, spaces and full-width "
                        "forms may differ"
                    ),
                )
            )
    for i, pr in enumerate(doc.data.get("provisions") or []):
        if pr.get("text") and provenance.normalise(pr["text"]) not in text:
            out.append(
                Diagnostic(
                    "provenance",
                    _("the text of provision `{pr}` is not found in `{source_file}`").format(
                        pr=pr["cite"], source_file=policy.source_file
                    ),
                    doc.span(("provisions", i, "text")),
                )
            )
    return out


def _closest_hint(quote: str, source: str, source_file: str) -> str:
    """Where the quote most likely comes from, and what differs, as a hint."""
    found = provenance.closest(quote, source)
    if found is None:
        return _(
            "quote the regulation exactly; only line breaks, spaces and full-width forms may differ"
        )
    line, passage, diffs = found
    shown = "; ".join(
        _("`{quote}` where the source has `{source}`").format(quote=a, source=b)
        if a and b
        else _("`{quote}` is not in the source").format(quote=a)
        if a
        else _("the source has `{source}` here").format(source=b)
        for a, b in diffs[:4]
    )
    return _("closest passage, {file} line {line}: 「{passage}」; differs: {diffs}").format(
        file=source_file, line=line, passage=passage, diffs=shown or "-"
    )
