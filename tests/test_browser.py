"""The fixture portal in a real browser: Debian's chromium driven by Playwright.

Skips with a reason when Playwright or chromium is missing (``tools/test-setup.sh`` installs
chromium and the CJK fonts where it can). Screenshots at 360 px and 1280 px go to
``test-artifacts/screenshots/`` for a person to look at.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
AXE = ROOT / "tests" / "vendor" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
PAGES = {
    "home": "index.html",
    "dataset": "datasets/air-mini/index.html",
    "bulletin": "bulletins/air-2025-01.html",
    "catalogue": "datasets/index.html",
    "calendar": "calendar.html",
    "en-home": "en/index.html",
    "en-dataset": "en/datasets/air-mini/index.html",
    "en-bulletin": "en/bulletins/air-2025-01.html",
}

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
if not CHROMIUM:
    pytest.skip("chromium is not installed (run tools/test-setup.sh as root, or apt-get install chromium)",
                allow_module_level=True)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def _serve(folder: Path) -> Iterator[str]:
    """``folder`` served on 127.0.0.1 at a free port; yields its address."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def site_url(built_fixture: Path) -> Iterator[str]:
    """The built fixture portal served on 127.0.0.1 at a free port."""
    with _serve(built_fixture) as url:
        yield url


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def _open(page, url: str) -> None:
    """Load a page and wait until every chart on it has drawn."""
    page.goto(url, wait_until="load")
    plots = page.locator(".chart-plot")
    for i in range(plots.count()):
        plots.nth(i).locator("svg.main-svg").first.wait_for(state="attached", timeout=10_000)


def _watch(page) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {"console": [], "failed": []}
    page.on("console", lambda m: problems["console"].append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems["console"].append(str(e)))
    page.on("requestfailed", lambda r: problems["failed"].append(r.url))
    page.on("response", lambda r: problems["failed"].append(f"{r.status} {r.url}") if r.status >= 400 else None)
    return problems


@pytest.mark.parametrize("name", ["home", "dataset", "bulletin", "en-dataset", "en-bulletin", "catalogue", "calendar"])
def test_page_loads_without_errors_and_every_chart_draws(page, site_url: str, name: str) -> None:
    problems = _watch(page)
    _open(page, site_url + PAGES[name])
    assert page.locator(".chart-plot").count() == page.locator(".chart-plot:has(svg.main-svg)").count()
    assert problems == {"console": [], "failed": []}


def test_language_switch_goes_to_the_same_page_in_english_and_back(page, site_url: str) -> None:
    page.goto(site_url + PAGES["dataset"])
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    page.locator("a.lang-switch").click()
    page.wait_for_load_state()
    assert page.url.endswith("/en/datasets/air-mini/index.html")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Test city hourly air quality"
    page.locator("a.lang-switch").click()
    page.wait_for_load_state()
    assert page.url.endswith("/datasets/air-mini/index.html") and "/en/" not in page.url


def test_catalogue_filters_hide_what_does_not_match(page, site_url: str) -> None:
    page.goto(site_url + PAGES["catalogue"])
    form = page.locator("#catalogue-filters")
    assert form.is_visible()
    page.select_option("select[name=frequency]", "hourly")
    assert page.locator(".catalogue-section .card:visible").count() == 1
    assert "1" in page.locator(".filter-count").inner_text()


def test_chinese_search_finds_the_bulletin(page, site_url: str) -> None:
    problems = _watch(page)
    page.goto(site_url + "search.html")
    page.locator(".pagefind-ui__search-input").fill("总体良好")  # words of the bulletin's text only
    results = page.locator(".pagefind-ui__result-link")
    results.first.wait_for(timeout=10_000)
    titles = results.all_inner_texts()
    assert "2025年1月上旬测试市空气质量" in titles
    href = results.first.get_attribute("href")
    assert href and href.endswith(".html")
    page.goto(site_url + "en/search.html")
    page.locator(".pagefind-ui__search-input").fill("hourly")
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=10_000)
    assert problems == {"console": [], "failed": []}


def test_download_links_resolve_to_files(page, site_url: str) -> None:
    page.goto(site_url + PAGES["dataset"])
    links = page.locator("table.downloads a[download]")
    assert links.count() >= 1
    for i in range(links.count()):
        url = links.nth(i).evaluate("a => a.href")
        response = page.request.get(url)
        assert response.status == 200, url
        assert len(response.body()) > 0


# Records every Content-Security-Policy violation the page reports, from before its first script.
CSP_WATCH = """window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(e.effectiveDirective + ' ' + (e.blockedURI || '') + ' ' + (e.sourceFile || '')));"""


@pytest.mark.parametrize("name", ["home", "dataset", "bulletin", "en-bulletin", "catalogue", "calendar"])
def test_no_page_violates_its_content_security_policy(page, site_url: str, name: str) -> None:
    page.add_init_script(CSP_WATCH)
    problems = _watch(page)
    _open(page, site_url + PAGES[name])
    plots = page.locator(".chart-plot svg.main-svg")
    if plots.count():
        plots.first.hover()  # plotly draws its hover labels
        page.mouse.move(700, 300)
        page.wait_for_timeout(300)
    assert page.evaluate("window.__csp") == []
    assert problems == {"console": [], "failed": []}


def test_the_csp_is_enforced_and_search_works_under_it(page, site_url: str) -> None:
    page.add_init_script(CSP_WATCH)
    problems = _watch(page)
    page.goto(site_url + "search.html")
    page.locator(".pagefind-ui__search-input").fill("总体良好")
    page.locator(".pagefind-ui__result-link").first.wait_for(timeout=10_000)
    assert page.evaluate("window.__csp") == [] and problems == {"console": [], "failed": []}
    # An injected inline script does not run: the policy is live, not just written down.
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = 1'; document.body.append(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert any(v.startswith("script-src-elem") for v in page.evaluate("window.__csp"))


@pytest.mark.parametrize("name", ["home", "dataset", "bulletin", "catalogue", "calendar", "en-dataset"])
def test_no_serious_accessibility_violations(page, site_url: str, name: str) -> None:
    _open(page, site_url + PAGES[name])
    assert _serious_violations(page) == []


def _serious_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.1 A/AA violations on the open page."""
    # Evaluated by the driver, not added as an inline <script>: the page's CSP refuses inline scripts.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_screenshots_for_review(browser, site_url: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, height in ((360, 740), (1280, 900)):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        for name in ("home", "dataset", "bulletin", "en-home"):
            _open(page, site_url + PAGES[name])
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{name} scrolls sideways at {width}px"
        context.close()


def test_a_derived_dataset_page_is_accessible_in_both_languages(page, portal: Path) -> None:
    """The fixture portal with a daily-AQI dataset derived from air-mini, built and opened."""
    from conftest import approve_items
    from publisher.site import build_site
    from test_derived import DAILY, NOW, define

    define(portal)
    approve_items(portal, ("air-mini", DAILY))
    build_site(portal, now=NOW)
    with _serve(portal / "output") as site:
        for path in (f"datasets/{DAILY}/index.html", f"en/datasets/{DAILY}/index.html"):
            problems = _watch(page)
            _open(page, site + path)
            assert page.locator(".derived-sources a").count() == 1
            assert _serious_violations(page) == [], path
            assert problems["console"] == [] and problems["failed"] == [], path
