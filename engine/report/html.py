"""Stage "report", html: one self-contained HTML file a bureau director opens.

Input: the report's data (collect.ReportData) and a language; output: the page as
text. Everything is inside it: the style, the one small script (sortable tables),
the charts as SVG (charts.py), the Chinese font cut to the characters used
(fonts.py), and the data itself as JSON (`<script type="application/json"
id="policyctl-data">`), so the numbers can be read back by a program (the golden
test does). It opens offline and prints to A4: one section a page, no chart or
table row split across pages.

The page is laid out by `templates/report.html` (package data); this module
writes the sections into it. Every word comes from words.py, in the chosen
language; the regulation's own words (item texts, articles) are shown as written.
"""

from __future__ import annotations

import html
import json
from decimal import Decimal
from importlib import resources
from string import Template
from typing import Any

from engine.report import charts, fonts, words

esc = html.escape


def render(data: dict, lang: str, embed_font: bool = True) -> tuple[str, bool]:
    """The report page, and whether a Chinese font was inlined."""
    body = Body(data, lang)
    text = body.text_for_font()
    font = fonts.subset(text) if embed_font else None
    canvas = charts.Canvas(font.family if font else None)
    page = Template(
        resources.files("engine.report").joinpath("templates/report.html").read_text("utf-8")
    )
    return (
        page.substitute(
            lang="zh-CN" if lang == "zh" else "en",
            version=_version(),
            title=esc(body.title()),
            font_css=font.css() if font else "",
            body=body.html(canvas),
            data=_json(data),
        ),
        font is not None,
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("policyctl")
    except PackageNotFoundError:
        return "dev"


def _json(data: dict) -> str:
    """The data for a `<script type="application/json">`: no `<` that could end it."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _n(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _num(value: Any) -> str:
    return f'<td class="n" data-v="{esc(str(value))}">{_n(value)}</td>'


def _money(value: Any) -> str:
    """An amount in yuan with its two places: 1,234.50."""
    return f"{Decimal(str(value or 0)):,.2f}"


def _money_cell(value: Any) -> str:
    return f'<td class="n" data-v="{esc(str(value))}">{_money(value)}</td>'


def _change(c: dict) -> str:
    def span(a: dict) -> str:
        return a["start"] + (f"–{a['end']}" if a["end"] else "")

    if c["old"] is None:
        return f"{c['action']} + {span(c['new'])}"
    if c["new"] is None:
        return f"{c['action']} − {span(c['old'])}"
    return f"{c['action']} {span(c['old'])} → {span(c['new'])}"


def _cell(value: Any) -> str:
    return f"<td>{esc(str(value))}</td>"


class Body:
    """The sections of the page, in the chosen language."""

    def __init__(self, data: dict, lang: str):
        self.d = data
        self.lang = lang
        self.tiers = {t["id"]: t for t in data["tiers"]}
        self.score = data["policy"]["scale"] == "score" and data["policy"]["initial"] is not None

    def w(self, key: str, **values) -> str:
        return words.word(key, self.lang, **values)

    def title(self) -> str:
        p = self.d["policy"]
        return f"{self.w('title')} · {p['title']} ({p['version']}) · {self.d['as_of']}"

    def tier(self, tier_id: str | None, phrase: bool = False) -> str:
        if not tier_id:
            return self.w("no_band")
        t = self.tiers.get(tier_id)
        return words.tier_label(t, self.lang, phrase) if t else tier_id

    def text_for_font(self) -> str:
        """Every character the page can show (its words, the data's), for the font."""
        lang = self.lang
        parts = [json.dumps(self.d, ensure_ascii=False)]
        parts += [words.word(k, lang) for k in words.WORDS]
        parts += [words.status(k, lang) for k in words.STATUS]
        parts += [words.action(k, lang) for k in words.ACTIONS]
        for t in self.d["tiers"]:
            label = words.tier_label(t, lang, True)
            parts += [words.tier_label(t, lang), words.distance(2, label, lang)]
        parts.append("0123456789,.%()（）·：:；;/+-–—▲▼ ")
        return "".join(parts)

    # ---- the page ----------------------------------------------------------------------
    def html(self, canvas: charts.Canvas) -> str:
        sections = [
            ("summary", self.summary()),
            ("over_time", self.over_time(canvas)),
            ("by_institution", self.by_institution(canvas)),
            ("by_item", self.by_item()),
            ("distribution_score" if self.score else "distribution", self.distribution(canvas)),
            ("near", self.near()),
            ("timelines", self.timelines(canvas)),
        ]
        if self.d.get("screen") is not None:  # report --claims
            sections.insert(4, ("screen", self.screen()))
        if self.d.get("corrections"):
            sections.append(("corrections", self.corrections()))
        p = self.d["policy"]
        head = (
            f"<header><h1>{esc(self.w('title'))}</h1>"
            f'<p class="lead">{esc(p["title"])} · {esc(p["issuer"])} · '
            f"{esc(self.w('as_of'))} {esc(self.d['as_of'])}</p></header>"
        )
        nav = (
            f"<nav><strong>{esc(self.w('contents'))}</strong><ol>"
            + "".join(f'<li><a href="#{k}">{esc(self.w(k))}</a></li>' for k, _ in sections)
            + "</ol></nav>"
        )
        body = "".join(
            f'<section id="{k}"><h2>{esc(self.w(k))}</h2>{inner}</section>' for k, inner in sections
        )
        foot = f"<footer>{esc(self.w('generated'))} {esc(_version())}</footer>"
        return head + nav + body + foot

    def summary(self) -> str:
        d, p = self.d, self.d["policy"]
        lo, hi = p["effective"]
        facts = [
            (self.w("policy"), f"{p['title']}（{p['id']}）"),
            (self.w("version"), p["version"]),
            (self.w("issuer"), p["issuer"]),
            (self.w("effective"), f"{lo} – {hi or self.w('open_end')}"),
            (self.w("as_of"), d["as_of"]),
            (self.w("cycle"), d["period"]),
            (
                self.w("scope"),
                ", ".join(d["scope"]["institutions"])
                if d["scope"]["institutions"]
                else self.w("all_institutions"),
            ),
        ]
        out = ['<dl class="facts">']
        out += [f"<dt>{esc(k)}</dt><dd>{esc(str(v))}</dd>" for k, v in facts]
        out.append("</dl>")
        out.append('<div class="cards">')
        out.append(
            f'<div class="card"><div class="n">{_n(d["people"])}</div>'
            f'<div class="k">{esc(self.w("people_total"))}</div></div>'
        )
        for s, n in d["status"].items():
            out.append(
                f'<div class="card"><div class="n">{_n(n)}</div>'
                f'<div class="k">{esc(words.status(s, self.lang))}</div></div>'
            )
        out.append("</div>")
        # people by band, per cycle
        tiers = d["tiers"]
        out.append("<table><thead><tr>")
        out.append(f"<th>{esc(self.w('cycle'))}</th>")
        out.append(f'<th class="n">{esc(self.w("no_band"))}</th>')
        out += [f'<th class="n">{esc(self.tier(t["id"]))}</th>' for t in tiers]
        out.append("</tr></thead><tbody>")
        for row in d["bands"]:
            out.append(f"<tr>{_cell(row['period'])}{_num(row['none'])}")
            out += [_num(row["tiers"][t["id"]]) for t in tiers]
            out.append("</tr>")
        out.append("</tbody></table>")
        out.append(
            '<p class="note">'
            + esc(
                "；".join(f"{self.tier(t['id'])}: {t['when']}（{t['cite']}）" for t in tiers)
                if self.lang == "zh"
                else "; ".join(f"{self.tier(t['id'])}: {t['when']} ({t['cite']})" for t in tiers)
            )
            + "</p>"
        )
        if d["warnings"]:
            out.append(f"<h3>{esc(self.w('warnings'))}</h3><ul>")
            out += [f"<li>{esc(x)}</li>" for x in d["warnings"]]
            out.append("</ul>")
        return "".join(out)

    def over_time(self, canvas: charts.Canvas) -> str:
        if not self.d["months"]:
            return f"<p>{esc(self.w('nothing'))}</p>"
        return f"<figure>{canvas.svg(charts.over_time, self.d, self.lang)}</figure>"

    def by_institution(self, canvas: charts.Canvas) -> str:
        rows = self.d["institutions"]
        if not rows:
            return f"<p>{esc(self.w('nothing'))}</p>"
        out = []
        if any(r["sanctioned"] or r["with_findings"] for r in rows):
            out.append(
                f"<figure>{canvas.svg(charts.institutions, self.d, self.lang)}"
                f"<figcaption>{esc(self.w('top_institutions'))} · {esc(self.d['period'])}"
                "</figcaption></figure>"
            )
        tiers = self.d["tiers"]
        out.append(f'<p class="note">{esc(self.w("sort_hint"))}</p>')
        out.append('<table class="sortable"><thead><tr>')
        out.append(f"<th>{esc(self.w('institution'))}</th>")
        for key in ("staff", "with_findings"):
            out.append(f'<th class="n">{esc(self.w(key))}</th>')
        out += [f'<th class="n">{esc(self.tier(t["id"]))}</th>' for t in tiers]
        out.append(f'<th class="n">{esc(self.w("sanctioned"))}</th>')
        out.append(f'<th class="n">{esc(self.w("share"))}</th>')
        out.append(f"<th>{esc(self.w('rules_met'))}</th></tr></thead><tbody>")
        for r in rows:
            share = 100 * r["sanctioned"] / r["staff"] if r["staff"] else 0
            met = [
                f"{words.action(x['action'], self.lang)} {x['cite']} ({x['start']})"
                for x in r["rules"]
            ] + [
                f"{self.w('own_sanction')}: {words.action(x['action'], self.lang)} "
                f"{x['cite']} ({x['start']})"
                for x in r["own"]
            ]
            out.append(f"<tr>{_cell(r['institution'])}{_num(r['staff'])}{_num(r['with_findings'])}")
            out += [_num(r["bands"][t["id"]]) for t in tiers]
            out.append(_num(r["sanctioned"]))
            out.append(f'<td class="n" data-v="{share:.4f}">{share:.0f}%</td>')
            out.append(f"<td>{'<br>'.join(esc(m) for m in met)}</td></tr>")
        out.append("</tbody></table>")
        return "".join(out)

    def by_item(self) -> str:
        rows = self.d["items"]
        if not rows:
            return f"<p>{esc(self.w('nothing'))}</p>"
        out = ['<table class="sortable"><thead><tr>']
        out.append(f"<th>{esc(self.w('item'))}</th><th>{esc(self.w('text'))}</th>")
        out.append(f"<th>{esc(self.w('article'))}</th>")
        for key in ("points", "points_carried", "times", "this_cycle"):
            out.append(f'<th class="n">{esc(self.w(key))}</th>')
        out.append("</tr></thead><tbody>")
        for r in rows:
            low, high = r["carried"]
            carried = _n(low) if low == high else f"{_n(low)}–{_n(high)}"
            out.append(
                f"<tr>{_cell(r['item'])}{_cell(r['text'])}"
                f'<td class="cite">{esc(r["cite"])}</td>'
                f"{_num(r['points'])}"
                f'<td class="n" data-v="{esc(str(high))}">{esc(carried)}</td>'
                f"{_num(r['findings'])}{_num(r['this_cycle'])}</tr>"
            )
        out.append("</tbody></table>")
        return "".join(out)

    def screen(self) -> str:
        """What a screen of claims found (report --claims): totals, rules, institutions."""
        s = self.d["screen"]
        out = [f"<p>{esc(self.w('screen_intro', claims=s['claims'], engine=s['engine']))}</p>"]
        out.append('<div class="cards">')
        for key in ("lines", "refused_lines", "refused_amount", "flagged_lines"):
            value = _money(s[key]) if key.endswith("amount") else _n(s[key])
            out.append(
                f'<div class="card"><div class="n">{value}</div>'
                f'<div class="k">{esc(self.w("screen_" + key))}</div></div>'
            )
        out.append("</div>")
        cols = ("lines", "amount", "practitioners", "institutions", "undecided")
        out.append('<table class="sortable"><thead><tr>')
        out.append(f"<th>{esc(self.w('screen_rule'))}</th><th>{esc(self.w('screen_then'))}</th>")
        out.append(f"<th>{esc(self.w('article'))}</th>")
        out += [f'<th class="n">{esc(self.w("screen_" + c))}</th>' for c in cols]
        out.append("</tr></thead><tbody>")
        for r in s["rules"]:
            out.append(
                f"<tr>{_cell(r['rule'])}{_cell(self.w('screen_' + r['then']))}"
                f'<td class="cite">{esc(r["cite"])}</td>'
            )
            out += [_money_cell(r[c]) if c == "amount" else _num(r[c]) for c in cols]
            out.append("</tr>")
        out.append("</tbody></table>")
        if any(r["undecided"] for r in s["rules"]):
            out.append(f'<p class="note">{esc(self.w("screen_undecided_note"))}</p>')
        if not s["institutions"]:
            return "".join(out)
        cols = (
            "lines",
            "refused_lines",
            "refused_amount",
            "flagged_lines",
            "flagged_amount",
            "practitioners",
        )
        out.append('<table class="sortable"><thead><tr>')
        out.append(f"<th>{esc(self.w('institution'))}</th>")
        out += [f'<th class="n">{esc(self.w("screen_" + c))}</th>' for c in cols]
        out.append("</tr></thead><tbody>")
        for r in s["institutions"]:
            out.append(f"<tr>{_cell(r['institution'])}")
            out += [_money_cell(r[c]) if c.endswith("amount") else _num(r[c]) for c in cols]
            out.append("</tr>")
        out.append("</tbody></table>")
        more = s["institutions_total"] - len(s["institutions"])
        if more > 0:
            out.append(f'<p class="note">{esc(self.w("screen_more", n=_n(more)))}</p>')
        return "".join(out)

    def distribution(self, canvas: charts.Canvas) -> str:
        dist = self.d["distribution"]
        note = (
            f'<p class="note">{esc(self.w("without_findings", n=_n(dist["without_findings"])))}</p>'
        )
        if not dist["totals"]:
            return note
        return (
            f"<figure>{canvas.svg(charts.distribution, self.d, self.lang)}"
            f"<figcaption>{esc(self.w('cycle'))} {esc(dist['period'])}</figcaption></figure>" + note
        )

    def near(self) -> str:
        near = self.d["near"]
        out = [f"<p>{esc(self.w('near_intro', n=_n(near['within'])))}</p>"]
        if not near["total"]:
            out.append(f"<p>{esc(self.w('near_none'))}</p>")
            return "".join(out)
        out.append('<div class="cards">')
        for c in near["counts"]:
            text = words.distance(c["points_away"], self.tier(c["tier"], True), self.lang)
            out.append(
                f'<div class="card"><div class="n">{_n(c["people"])}</div>'
                f'<div class="k">{esc(text)}</div></div>'
            )
        out.append("</div>")
        key = "score" if self.score else "deducted"
        out.append('<table class="sortable"><thead><tr>')
        out.append(f"<th>{esc(self.w('person'))}</th><th>{esc(self.w('institution'))}</th>")
        out.append(f"<th>{esc(self.w('status'))}</th>")
        out.append(f'<th class="n">{esc(self.w(key))}</th>')
        out.append(f"<th>{esc(self.w('next_band'))}</th>")
        out.append(f'<th class="n">{esc(self.w("points_away"))}</th></tr></thead><tbody>')
        initial = self.d["policy"]["initial"]
        for r in near["people"]:
            shown = initial - r["deducted"] if self.score else r["deducted"]
            text = words.distance(r["points_away"], self.tier(r["tier"], True), self.lang)
            out.append(
                f"<tr>{_cell(r['person'])}{_cell(', '.join(r['institutions']))}"
                f"{_cell(words.status(r['status'], self.lang))}{_num(shown)}"
                f"{_cell(text)}{_num(r['points_away'])}</tr>"
            )
        out.append("</tbody></table>")
        more = near["total"] - len(near["people"])
        if more > 0:
            out.append(f'<p class="note">{esc(self.w("near_more", n=_n(more)))}</p>')
        return "".join(out)

    def decided(self, a: dict) -> str:
        """A sanction's decision (issue 22 §2): ` · proposed`, ` · decided D1 <its 文号>`."""
        if a.get("proposed"):
            return f" · {self.w('proposed')}"
        d = a.get("decision")
        if not d:
            return ""
        return f" · {self.w('decided')} {d['event']}" + (
            f" {d['document']}" if d["document"] else ""
        )

    def corrections(self) -> str:
        """Each correction: the finding as it stood and after, each action it changed
        with its old and new dates, the days served in error (evaluation/trail.py)."""
        out = [f'<p class="note">{esc(self.w("corrections_intro"))}</p>']
        out.append('<table class="sortable"><thead><tr>')
        for key in ("date", "correction", "person", "finding", "changes"):
            out.append(f"<th>{esc(self.w(key))}</th>")
        out.append(f'<th class="n">{esc(self.w("served_in_error_days"))}</th></tr></thead><tbody>')
        for t in self.d["corrections"]:
            was, now = t["original"], t["corrected"]
            finding = f"{was['event']} {was['date']} {'|'.join(was['items'])}"
            if now is not None:
                finding += f" → {'|'.join(now['items'])}"
            changes = "; ".join(_change(c) for c in t["changes"]) or "-"
            kind = self.w(t["type"])
            head = f"{kind} {t['correction']}" + (f" {t['document']}" if t["document"] else "")
            out.append(
                f"<tr>{_cell(t['date'])}{_cell(head)}{_cell(t['person'])}{_cell(finding)}"
                f"{_cell(changes)}{_num(sum(s['days'] for s in t['served_in_error']))}</tr>"
            )
        out.append("</tbody></table>")
        return "".join(out)

    def timelines(self, canvas: charts.Canvas) -> str:
        people = self.d["timelines"]
        if not people:
            return f"<p>{esc(self.w('nothing'))}</p>"
        out = [f'<p class="note">{esc(self.w("timelines_intro"))}</p>']
        for person in people:
            facts = [words.status(person["status"], self.lang)]
            if person["institutions"]:
                facts.append(f"{self.w('institutions_of')}: {', '.join(person['institutions'])}")
            rf = person["reapply_from"]
            if rf:
                facts.append(
                    f"{self.w('reapply_from')}: {self.w('never') if rf == 'never' else rf}"
                )
            nb = person["next_band"]
            if nb:
                facts.append(
                    words.distance(nb["points_away"], self.tier(nb["tier"], True), self.lang)
                )
            acts = " ".join(
                f'<span class="tag {esc(a["action"])}">{esc(words.action(a["action"], self.lang))} '
                f"{esc(a['start'])} {esc(a['cite'])}{esc(self.decided(a))}</span>"
                for a in person["actions"]
                if a["action"] in ("interview", "suspend", "terminate")
            )
            out.append(
                f'<div class="person" id="person-{esc(person["person"])}">'
                f"<h3>{esc(person['person'])}</h3>"
                f'<p class="note">{esc(" · ".join(facts))}</p>'
                f"<figure>{canvas.svg(charts.timeline, self.d, person, self.lang)}</figure>"
                + (f"<p>{acts}</p>" if acts else "")
                + "</div>"
            )
        return "".join(out)
