"""The demo report in a real browser (headless Chromium through selenium), as people open it.

At 1400 px and in 400 px phone emulation: every image loads, nothing is requested from outside
the report's folder, the console stays clean, the page never scrolls sideways at 400 px (even
with every <details> open), body text is at least 12 px, and figures are shown at their pixel
width on a desktop (so their text keeps its designed size). Screenshots are written next to
the report. The report is a small but complete demo run (about 30 s); set
MINIGRAD_REPORT=path/to/report.html to run the same checks on a real `make demo` report.

Chromium comes from Debian's `chromium` and `chromium-driver` packages (.ci/run installs them);
without them the tests skip, except under CI where .ci/run did not record that the install
failed (MINIGRAD_NO_BROWSER), so a CI machine without a browser fails instead of passing.
"""
from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = ("chromedriver",)
PHONE = {"width": 400, "height": 860, "pixelRatio": 2.0}

# every non-blank text node's element: its computed font size in px and a sample of the text
_TEXT_SIZES = """
const out = [];
const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walk.nextNode(); n; n = walk.nextNode()) {
  const el = n.parentElement, t = n.textContent.trim();
  if (!t || !el || el.closest('style,script')) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 && r.height === 0) continue;  // inside a closed <details>
  out.push([parseFloat(getComputedStyle(el).fontSize), el.tagName, t.slice(0, 40)]);
}
return out;
"""
_IMAGES = """
return Array.from(document.images).map(i => ({src: i.currentSrc || i.src, done: i.complete,
  natural: i.naturalWidth, shown: i.getBoundingClientRect().width,
  figure: !!i.closest('figure')}));
"""
_URLS = """
const urls = performance.getEntriesByType('resource').map(e => e.name);
for (const el of document.querySelectorAll('[src],[href]'))
  urls.push(el.getAttribute('src') !== null ? el.src : el.href);
return urls;
"""


def _which(names: tuple[str, ...]) -> str | None:
    return next((p for p in map(shutil.which, names) if p), None)


def _browser_or_skip() -> tuple[str, str]:
    """Paths of Chromium and chromedriver; skip (or fail under CI) when they are missing."""
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed "
                                    "(pip install -e '.[test]')")
    del webdriver
    browser, driver = _which(CHROMIUM), _which(DRIVER)
    if browser and driver:
        return browser, driver
    missing = " and ".join(n for n, p in (("chromium", browser), ("chromedriver", driver))
                           if not p)
    reason = os.environ.get("MINIGRAD_NO_BROWSER")
    if os.environ.get("CI") and not reason:
        pytest.fail(f"{missing} missing under CI although .ci/run installs them "
                    "(apt-get install chromium chromium-driver)")
    pytest.skip(f"{missing} not found: {reason or 'apt-get install chromium chromium-driver'}")


def _driver(phone: bool):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    browser, driver = _browser_or_skip()
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--window-size=1400,1000"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    if phone:
        opts.add_experimental_option("mobileEmulation", {"deviceMetrics": PHONE})
    return webdriver.Chrome(options=opts, service=Service(driver))


def _screenshot(d, path: Path) -> None:
    """A full-page PNG (the whole document, not just the viewport)."""
    size = d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    shot = d.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
    path.write_bytes(base64.b64decode(shot["data"]))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """A small complete demo run's report.html (or MINIGRAD_REPORT's)."""
    given = os.environ.get("MINIGRAD_REPORT")
    if given:
        return Path(given).resolve()
    _browser_or_skip()
    from tests.vis.test_report import small_demo

    return small_demo(tmp_path_factory.mktemp("demo"))


def _check_page(d, report: Path, width: int, name: str, url: str | None = None) -> dict:
    """Open `report` (from `url`, default its file: URL), run every check, write a screenshot
    next to it; returns measurements."""
    url = url or report.as_uri()
    d.get(url)
    d.execute_script("return document.fonts ? document.fonts.ready : null")
    if name:
        _screenshot(d, report.parent / f"screenshot-{name}.png")  # as it opens: details closed
    d.execute_script("document.querySelectorAll('details').forEach(x => x.open = true)")
    folder = url.rsplit("/", 1)[0] + "/"
    images = d.execute_script(_IMAGES)
    assert images, "the report shows no image"
    broken = [i["src"][:80] for i in images if not (i["done"] and i["natural"] > 0)]
    assert not broken, f"images that did not load: {broken}"
    outside = [u for u in d.execute_script(_URLS)
               if not (u.startswith(folder) or u.startswith("data:")
                       or u.startswith(url + "#"))]
    assert not outside, f"requests outside {folder}: {outside}"
    errors = [e for e in d.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert not errors, f"console errors: {errors}"
    sizes = d.execute_script(_TEXT_SIZES)
    small = [s for s in sizes if s[0] < 12]
    assert not small, f"text under 12 px: {small[:5]}"
    scroll, inner = d.execute_script(
        "return [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert inner == width, f"viewport {inner} px, expected {width}"
    if width <= 400:
        assert scroll <= inner, f"the page scrolls sideways at {width} px: {scroll} > {inner}"
    else:
        shrunk = [i["src"][-40:] for i in images
                  if i["figure"] and i["shown"] < i["natural"] - 1]
        assert not shrunk, f"figures shown below their pixel width at {width} px: {shrunk}"
    return {"images": len(images), "text": len(sizes)}


@pytest.mark.parametrize("phone", [False, True], ids=["desktop-1400px", "phone-400px"])
def test_report_in_chromium(report, phone):
    d = _driver(phone)
    try:
        if not phone:
            d.set_window_size(1400, 1000)
            width = d.execute_script("return window.innerWidth")
            d.set_window_size(1400 + (1400 - width), 1000)  # the viewport, not the window
        got = _check_page(d, report, 400 if phone else 1400, "400" if phone else "1400")
    finally:
        d.quit()
    assert got["images"] >= 5 and got["text"] > 50
    assert (report.parent / f"screenshot-{'400' if phone else '1400'}.png").stat().st_size > 0


def test_single_file_report_alone_in_chromium(report, tmp_path):
    """--single-file: report.html copied alone into an empty folder still shows everything."""
    if os.environ.get("MINIGRAD_REPORT"):
        pytest.skip("checks the small run's single-file report only")
    from vis.cli import main

    assert main(["report", "--out", str(report.parent), "--single-file"]) == 0
    alone = tmp_path / "report.html"
    shutil.copy(report.parent / "report.html", alone)
    assert main(["report", "--out", str(report.parent)]) == 0  # back to the folder report
    d = _driver(phone=False)
    try:
        got = _check_page(d, alone, d.execute_script("return window.innerWidth"), "single")
    finally:
        d.quit()
    assert got["images"] >= 5


def test_report_served_over_http(report):
    """Served by a web server (as when shared on one), it asks for nothing else either: no
    favicon, no file outside the folder, and no 404 in the console."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(report.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    d = _driver(phone=False)
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{report.name}"
        got = _check_page(d, report, d.execute_script("return window.innerWidth"), "", url)
    finally:
        d.quit()
        server.shutdown()
        server.server_close()
    assert got["images"] >= 5
