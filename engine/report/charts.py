"""Stage "report", html: the report's charts, drawn by matplotlib as SVG.

Why matplotlib's SVG (measured for issue 16, see docs/report.md): the charts of
both example reports come to a few dozen kilobytes and need no script at all, so
they open offline, show in a mail client that blocks scripts, and print to A4 as
vectors. Vega-Lite through Altair needs a 0.9 MB script inlined (and vl-convert
took 12 s to bundle it per run here); Plotly's script alone is 4.8 MB, near the
whole report's budget. Text is written as SVG text (`svg.fonttype: none`), not as
outlines, so the browser sets the Chinese with the report's font: the subset
embedded by fonts.py, else the reader's own Chinese fonts.

Each function takes the report's data (collect.ReportData.as_dict) and returns
an `<svg>` element as text, its ids prefixed so that several charts can live in
one page. Nothing here knows a city: bands, items and actions come from the data.
"""

from __future__ import annotations

import datetime as _dt
import io
import logging
import re
import warnings
from typing import Any

from engine.report import words

# the palette: sanctions from mild to harsh, and the neutral ink of findings
COLOURS = {
    "interview": "#e0a100",
    "suspend": "#e06000",
    "terminate": "#a01010",
    "findings": "#4a6f8a",
    "band": "#7a7a7a",
}
FALLBACK_FONTS = [
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Micro Hei",
    "SimHei",
    "DejaVu Sans",
]
WIDTH = 7.2  # inches: the width of an A4 page's text at the report's margins


class Canvas:
    """matplotlib set up once for a report: fonts, deterministic SVG, no pyplot."""

    def __init__(self, family: str | None):
        import matplotlib

        matplotlib.use("svg", force=False)  # no window, whatever the default backend
        # names of fonts not installed are tried and passed over, each with a log line
        logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
        self.rc = {
            "svg.fonttype": "none",
            "svg.hashsalt": "policyctl",
            "font.family": "sans-serif",
            "font.sans-serif": ([family] if family else []) + FALLBACK_FONTS,
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.titlesize": 10,
            "legend.frameon": False,
            "figure.dpi": 100,
        }
        self.count = 0

    def figure(self, height: float, rows: int = 1, margins: dict | None = None):
        """A figure with `rows` axes: laid out by matplotlib, or with fixed `margins`
        (quicker, for the many timelines whose labels are alike)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(WIDTH, height), layout=None if margins else "constrained")
        if margins:
            fig.subplots_adjust(**margins)
        axes = fig.subplots(rows, 1, squeeze=False)[:, 0]
        return fig, list(axes)

    def svg(self, draw, *args) -> str:
        """Run `draw(canvas, *args) -> Figure` under the report's settings; the SVG."""
        import matplotlib

        with matplotlib.rc_context(self.rc), warnings.catch_warnings():
            # a glyph missing from the fonts matplotlib measures with: the browser
            # sets the text with its own fonts all the same
            warnings.simplefilter("ignore", UserWarning)
            fig = draw(self, *args)
            buf = io.StringIO()
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        self.count += 1
        return _inline(buf.getvalue(), f"c{self.count}-")


def _inline(svg: str, prefix: str) -> str:
    """An SVG document as an element for an HTML page: no prolog, ids made unique,
    scaled to its container."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = svg.replace("url(#", f"url(#{prefix}").replace('href="#', f'href="#{prefix}')
    svg = re.sub(r'^<svg([^>]*?) width="[^"]*" height="[^"]*"', r"<svg\1", svg, count=1)
    svg = '<svg class="chart"' + svg[len("<svg") :]
    return svg.strip()


def _zh_date(x: float, pos: int | None = None) -> str:
    """A date axis's tick as Chinese writes it: 2025年 at a year's start, 3月 at a
    month's, 3月15日 otherwise."""
    from matplotlib.dates import num2date

    d = num2date(x)
    if d.day != 1:
        return f"{d.month}月{d.day}日"
    return f"{d.year}年" if d.month == 1 else f"{d.month}月"


def _months_axis(ax, months: list[str]) -> None:
    step = max(1, (len(months) + 17) // 18)
    ax.set_xticks(range(0, len(months), step))
    ax.set_xticklabels([months[i] for i in range(0, len(months), step)], rotation=45, ha="right")
    ax.set_xlim(-0.6, len(months) - 0.4)


def over_time(canvas: Canvas, data: dict, lang: str):
    """Sanctions per month by kind (stacked), and findings per month."""
    rows = data["months"]
    months = [r["month"] for r in rows]
    fig, (top, bottom) = canvas.figure(5.0, rows=2)
    base = [0] * len(rows)
    for kind in ("interview", "suspend", "terminate"):
        values = [r[kind] for r in rows]
        top.bar(
            range(len(rows)),
            values,
            bottom=base,
            color=COLOURS[kind],
            label=words.action(kind, lang),
            width=0.8,
        )
        base = [a + b for a, b in zip(base, values, strict=True)]
    top.set_title(words.word("sanctions_month", lang), loc="left")
    top.set_ylabel(words.word("actions_n", lang))
    top.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3, borderaxespad=0.2)
    top.yaxis.get_major_locator().set_params(integer=True)
    _months_axis(top, months)
    bottom.bar(range(len(rows)), [r["findings"] for r in rows], color=COLOURS["findings"])
    bottom.set_title(words.word("findings_month", lang), loc="left")
    bottom.set_ylabel(words.word("findings", lang))
    bottom.yaxis.get_major_locator().set_params(integer=True)
    _months_axis(bottom, months)
    return fig


def institutions(canvas: Canvas, data: dict, lang: str, shown: int = 15):
    """The institutions with the most people suspended or terminated this cycle."""
    rows = sorted(
        data["institutions"],
        key=lambda r: (-r["sanctioned"], -r["with_findings"], r["institution"]),
    )[:shown]
    rows = [r for r in rows if r["sanctioned"] or r["with_findings"]]
    fig, (ax,) = canvas.figure(0.6 + 0.28 * max(len(rows), 1))
    names = [r["institution"] for r in rows][::-1]
    sanctioned = [r["sanctioned"] for r in rows][::-1]
    findings = [max(0, r["with_findings"] - r["sanctioned"]) for r in rows][::-1]
    ax.barh(names, sanctioned, color=COLOURS["suspend"], label=words.word("sanctioned", lang))
    ax.barh(
        names,
        findings,
        left=sanctioned,
        color=COLOURS["findings"],
        alpha=0.45,
        label=words.word("with_findings", lang),
    )
    for y, r in enumerate(rows[::-1]):
        if r["staff"]:
            share = f"{r['sanctioned']}/{r['staff']} ({100 * r['sanctioned'] / r['staff']:.0f}%)"
            ax.text(r["with_findings"] + 0.1, y, share, va="center", fontsize=7)
    ax.set_xlabel(words.word("people", lang))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="lower right")
    ax.margins(x=0.12)
    return fig


def _score_axis(data: dict) -> tuple[bool, Any]:
    policy = data["policy"]
    return policy["scale"] == "score" and policy["initial"] is not None, policy["initial"]


def distribution(canvas: Canvas, data: dict, lang: str):
    """People by the cycle's total, with the line where each band begins."""
    dist = data["distribution"]
    score, initial = _score_axis(data)
    values = [v for v, _ in dist["totals"]]
    counts = [n for _, n in dist["totals"]]
    xs = [initial - v for v in values] if score else values
    fig, (ax,) = canvas.figure(3.0)
    span = max([*xs, *[t["from"] or 0 for t in data["tiers"]], 1])
    width = max(0.8, span / 60)
    ax.bar(xs, counts, width=width, color=COLOURS["findings"])
    top = max(counts, default=1)
    for t in data["tiers"]:
        if t["from"] is None:
            continue
        x = initial - t["from"] if score else t["from"]
        x = x + width / 2 if score else x - width / 2
        ax.axvline(x, color=COLOURS.get(t["action"], COLOURS["band"]), linestyle="--", lw=1)
        ax.text(
            x,
            top * 1.33,
            f"{words.tier_label(t, lang)} ",
            rotation=90,
            va="top",
            ha="right" if score else "left",
            fontsize=7,
            color=COLOURS.get(t["action"], COLOURS["band"]),
        )
    ax.set_xlabel(words.word("score" if score else "deducted", lang))
    ax.set_ylabel(words.word("people", lang))
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(0, top * 1.35)
    if score:
        ax.invert_xaxis()
    return fig


def timeline(canvas: Canvas, data: dict, person: dict, lang: str):
    """One person's running total through the cycles, with band lines, findings as
    labelled points and sanctions as spans with their article."""
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.ticker import FuncFormatter

    score, initial = _score_axis(data)
    as_of = _dt.date.fromisoformat(data["as_of"])
    fig, (ax,) = canvas.figure(
        2.5, margins={"left": 0.08, "right": 0.83, "bottom": 0.13, "top": 0.97}
    )

    def y(total):
        return initial - total if score else total

    cycles = person["cycles"]
    start = _dt.date.fromisoformat(cycles[0]["start"]) if cycles else as_of.replace(month=1, day=1)
    # the running total: flat between findings, back to zero at each new cycle
    xs: list[_dt.date] = []
    ys: list[Any] = []
    period_end: _dt.date | None = None
    for date, _items, total in person["findings"]:
        d = _dt.date.fromisoformat(date)
        if period_end is None or d > period_end:
            c = next((c for c in cycles if c["start"] <= date <= c["end"]), None)
            if xs:
                xs.append(min(period_end, as_of))
                ys.append(ys[-1])
            if c is not None:
                xs.append(_dt.date.fromisoformat(c["start"]))
                ys.append(y(0))
                period_end = _dt.date.fromisoformat(c["end"])
        xs.append(d)
        ys.append(ys[-1] if ys else y(0))
        xs.append(d)
        ys.append(y(total))
    if xs:
        xs.append(min(period_end or as_of, as_of))
        ys.append(ys[-1])
    ax.plot(xs, ys, color=COLOURS["findings"], lw=1.4, drawstyle="default")
    fx = [_dt.date.fromisoformat(f[0]) for f in person["findings"]]
    fy = [y(f[2]) for f in person["findings"]]
    ax.scatter(fx, fy, s=14, color=COLOURS["findings"], zorder=3)
    last = None
    for (_d, items, _t), px, py in zip(person["findings"], fx, fy, strict=True):
        dy = 6 if last != (px, py) else 14
        ax.annotate(
            "+".join(items),
            (px, py),
            textcoords="offset points",
            xytext=(2, dy),
            fontsize=6.5,
            color="#333333",
        )
        last = (px, py)
    top = 0
    for t in data["tiers"]:
        if t["from"] is None:
            continue
        level = y(t["from"])
        top = max(top, t["from"])
        colour = COLOURS.get(t["action"], COLOURS["band"])
        ax.axhline(level, color=colour, linestyle="--", lw=0.8)
        ax.text(
            1.002,
            level,
            words.tier_label(t, lang),
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=7,
            color=colour,
        )
    # labels of sanctions that start close together are set one under the other
    close = (as_of - start).days / 8
    previous: _dt.date | None = None
    row = 0
    for a in person["actions"]:
        kind = a["action"]
        if kind not in ("interview", "suspend", "terminate"):
            continue
        s = _dt.date.fromisoformat(a["start"])
        row = row + 1 if previous is not None and (s - previous).days < close else 0
        previous = s
        colour = COLOURS[kind]
        label = f"{words.action(kind, lang)} {a['cite']}"
        if kind == "interview":
            ax.axvline(s, color=colour, lw=1.2)
        else:
            e = _dt.date.fromisoformat(a["end"]) if a["end"] else as_of
            ax.axvspan(s, min(e, as_of), color=colour, alpha=0.13, lw=0)
            ax.axvline(s, color=colour, lw=0.8)
        ax.text(
            s,
            1.0 - 0.09 * (row % 3),
            " " + label,
            transform=ax.get_xaxis_transform(),
            fontsize=7,
            color=colour,
            va="top",
            ha="left",
        )
    peak = max([top, *[f[2] for f in person["findings"]]], default=top)
    if score:
        ax.set_ylim(initial - peak * 1.15 - 1, initial + 1)
    else:
        ax.set_ylim(0, peak * 1.15 + 1)
    ax.set_xlim(start, as_of)
    locator = AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    # matplotlib's concise dates name months in English (Mar, Jul): Chinese writes 3月
    ax.xaxis.set_major_formatter(
        FuncFormatter(_zh_date) if lang == "zh" else ConciseDateFormatter(locator)
    )
    ax.set_ylabel(words.word("score" if score else "deducted", lang))
    return fig
