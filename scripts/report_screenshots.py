"""Screenshots of the example reports for docs/ (README, docs/report.md).

    python scripts/report_screenshots.py [--out docs/images]

Makes `policyctl report` for both shipped examples, in Chinese, opens each in
headless Chromium (the distribution's `chromium`, driven by playwright's Python
package, as tests/test_report_browser.py does) and saves PNGs of what a reader
sees first (the summary and the months), of the institutions, and of Jining's
per-person timelines. Needs the test extra (`pip install '.[test]'`) and
`apt-get install chromium fonts-noto-cjk`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = {"jining": "2025-12-31", "zhanjiang": "2023-12-31"}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
# (file name, the section to show, its height in CSS pixels)
SHOTS = {
    "jining": [
        ("report-jining.png", "body", 1500),
        ("report-jining-timelines.png", "#timelines", 1300),
    ],
    "zhanjiang": [
        ("report-zhanjiang.png", "body", 1500),
        ("report-zhanjiang-institutions.png", "#by_institution", 1100),
    ],
}


def make_report(city: str, folder: Path) -> Path:
    out = folder / f"{city}.html"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "engine.cli",
            "report",
            "--lang",
            "zh",
            "--policy",
            str(ROOT / "policies" / f"{city}.yaml"),
            "--events",
            str(ROOT / "examples" / city / "events.csv"),
            "--roster",
            str(ROOT / "examples" / city / "roster.csv"),
            "--as-of",
            EXAMPLES[city],
            "--output",
            str(out),
        ],
        check=True,
        cwd=ROOT,
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "images"))
    args = parser.parse_args()
    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser_path is None:
        sys.exit("no chromium: apt-get install chromium fonts-noto-cjk")
    from playwright.sync_api import sync_playwright

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=browser_path, args=ARGS)
        for city in EXAMPLES:
            report = make_report(city, Path(tmp))
            page = browser.new_page(viewport={"width": 1000, "height": 900})
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            page.evaluate("document.fonts.ready.then(() => true)")
            for name, selector, height in SHOTS[city]:
                box = page.locator(selector).first.bounding_box()
                clip = {"x": 0, "y": box["y"], "width": 1000, "height": height}
                page.screenshot(path=str(out / name), clip=clip, full_page=True)
                print(out / name)
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
