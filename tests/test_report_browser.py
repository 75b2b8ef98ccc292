"""The HTML report in a real browser: headless Chromium (the Debian `chromium`).

For both examples' reports, made by the CLI: the page loads with no console error
and no script error; every chart has drawn (its box has a size, and its pixels are
not blank); the Chinese text is set with a real font, not as empty boxes (its
glyphs differ from the "missing glyph" box); the tables sort when a heading is
clicked; and the page prints to A4.

Driven by playwright's Python package, pointed at the distribution's browser
(`executable_path`): playwright's own browser download cannot work offline. The
test is skipped, with the reason in pytest's summary, only when that browser or
the package is missing (`.ci/run` installs the browser and the Chinese fonts).
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from tests import report_pages

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
EXAMPLES = ("jining-zh", "zhanjiang-en")  # the same reports as test_report_html's

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed: pip install '.[test]'"
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no Chromium found (chromium, chromium-browser, google-chrome): "
    "apt-get install chromium, as .ci/run does",
)

# Whether a string's first character is drawn with a glyph of its own: drawn on a
# canvas in the page's font, next to a private-use character no font has, whose
# glyph is the "missing" box (tofu). Different pixels: a real glyph.
TOFU_CHECK = """
(text) => {
  const font = getComputedStyle(document.body).fontFamily;
  function pixels(ch) {
    const c = document.createElement("canvas");
    c.width = 48; c.height = 48;
    const g = c.getContext("2d");
    g.fillStyle = "#fff"; g.fillRect(0, 0, 48, 48);
    g.fillStyle = "#000"; g.font = "32px " + font; g.textBaseline = "top";
    g.fillText(ch, 4, 4);
    return Array.from(g.getImageData(0, 0, 48, 48).data).join(",");
  }
  const tofu = pixels("\\uE000");
  return Array.from(text).map((ch) => pixels(ch) !== tofu);
}
"""


@pytest.fixture(scope="module")
def reports() -> dict[str, Path]:
    return {name: report_pages.report(*name.split("-")) for name in EXAMPLES}


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser, path: Path):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.evaluate("document.fonts.ready.then(() => true)")
    return page, errors


@pytest.mark.parametrize("name", EXAMPLES)
def test_loads_without_errors_and_every_chart_draws(browser, reports, name):
    from PIL import Image

    page, errors = _open(browser, reports[name])
    charts = page.locator("svg.chart")
    assert charts.count() >= 4
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        box = chart.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100, f"chart {i} has no size"
        shot = Image.open(io.BytesIO(chart.screenshot())).convert("L")
        lo, hi = shot.getextrema()
        assert hi - lo > 100, f"chart {i} is blank"
        # ink: a blank or nearly blank chart has almost no dark pixels
        dark = sum(shot.histogram()[:160])
        assert dark > 500, f"chart {i} has drawn almost nothing ({dark} dark pixels)"
    assert errors == []
    page.close()


@pytest.mark.parametrize("name", EXAMPLES)
def test_chinese_is_set_with_a_real_font(browser, reports, name):
    page, errors = _open(browser, reports[name])
    # Jining's in Chinese throughout; Zhanjiang's in English, with the articles' words
    text = (
        page.locator("h1" if name.endswith("zh") else "#by_item tbody td")
        .nth(1 if name.endswith("en") else 0)
        .inner_text()
    )
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text), text
    drawn = page.evaluate(TOFU_CHECK, text)
    assert all(drawn), f"missing glyphs (tofu) in {text}: {drawn}"
    # and a character no font has is reported missing: the check can fail
    assert page.evaluate(TOFU_CHECK, "\ue001") == [False]
    # the inlined font is the one used, where the report carries one
    if "@font-face" in reports[name].read_text("utf-8"):
        assert page.evaluate(
            "[...document.fonts].some(f => f.family.includes('policyctl-cjk') "
            "&& f.status === 'loaded')"
        )
    # chart text is text, set by the browser in the page's font (not outlines)
    labels = page.locator("svg.chart text")
    assert labels.count() > 20
    assert errors == []
    page.close()


def test_tables_sort_on_a_click(browser, reports):
    page, _ = _open(browser, reports["jining-zh"])
    table = page.locator("#by_institution table.sortable")
    staff = table.locator("thead th").nth(1)

    def column() -> list[int]:
        return [int(x) for x in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]

    staff.click()
    up = column()
    assert up == sorted(up)
    staff.click()
    down = column()
    assert down == sorted(up, reverse=True) and down != up
    page.close()


def test_prints_to_a4(browser, reports):
    page, _ = _open(browser, reports["jining-zh"])
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert 4 <= len(boxes) <= 40  # one a page: a section a page, timelines unsplit
    for w, h in boxes:  # A4 is 210 x 297 mm: 595 x 842 points
        assert abs(float(w) - 595) < 2 and abs(float(h) - 842) < 2
    page.close()
