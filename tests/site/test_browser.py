"""The built help site in headless Chromium: search, feedback, no script from front matter,
accessibility, and no third-party requests.

Needs the Debian `chromium` package at /usr/bin/chromium (or CHROMIUM_PATH) and
the playwright Python package; no browser is downloaded.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.site.test_build import NOW, make_desk

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM if Path(CHROMIUM).exists() else shutil.which("chromium"),
                              args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The sample KB built into a folder and served on 127.0.0.1 on a free port."""
    root, cfg = make_desk(tmp_path_factory.mktemp("browser") / "desk")
    yield from _serve(root, cfg)


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    """The sample KB with script in titles, descriptions, category files, subtitle and desk name."""
    from tests.site.test_escaping import hostile_desk

    root, cfg = hostile_desk(tmp_path_factory.mktemp("hostile") / "desk")
    yield from _serve(root, cfg)


def _serve(root, cfg):
    from supportctl.site.build import build

    report = build(root, cfg, now=NOW, out=root / "out")
    handler = functools.partial(_QuietHandler, directory=str(report.out))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


def _page(browser):
    page = browser.new_page()
    hosts: list[str] = []
    page.on("request", lambda req: hosts.append(urlsplit(req.url).hostname or req.url.split(":")[0]))
    return page, hosts


def _search(page, query: str) -> str:
    page.click(".md-search__input")  # the header's search box (the label opens the overlay)
    # keyboard.type, not fill(): Material's search listens for key events; fill() typed nothing it saw.
    page.keyboard.type(query, delay=20)
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    return page.inner_text(".md-search-result")


def test_search_finds_the_article_and_makes_no_third_party_requests(browser, site):
    page, hosts = _page(browser)
    page.goto(site)
    text = _search(page, "bank feed disconnected")
    assert "Fix a disconnected bank feed" in text
    assert "matching document" in text
    # The first result leads to the article.
    page.click(".md-search-result__item .md-search-result__link")
    page.wait_for_url("**/banking/fix-a-disconnected-bank-feed/**")
    assert page.title() == "Fix a disconnected bank feed - Ledgerly Help Center"
    assert set(hosts) == {"127.0.0.1"}, hosts
    page.close()


def test_search_never_finds_drafts_or_internal_articles(browser, site):
    page, _ = _page(browser)
    page.goto(site)
    text = _search(page, "refund")
    assert "Agents: refunding a Ledgerly subscription" not in text      # internal runbook
    assert "Your Ledgerly subscription" in text
    page.fill(".md-search__input", "")
    page.close()


def test_feedback_widget_shows_a_prefilled_contact_link(browser, site):
    page, hosts = _page(browser)
    page.goto(site + "account/reset-your-password/")
    form = page.locator("form.md-feedback")
    form.wait_for(state="visible", timeout=10_000)       # un-hidden by the custom analytics partial
    assert "Was this page helpful?" in form.inner_text()
    page.click("button.md-feedback__icon[data-md-value='0']")
    link = page.locator(".md-feedback__note [data-md-value='0'] a.supportctl-contact")
    link.wait_for(state="visible")
    href = link.get_attribute("href")
    assert href.startswith("mailto:support@ledgerly.example?subject=Feedback%3A%20Reset%20your%20password%20"
                           "%5Bkb%3Areset-your-password%5D")
    assert set(hosts) == {"127.0.0.1"}, hosts
    page.close()


def test_offline_build_searches_from_a_file_url(browser, tmp_path):
    from supportctl.site.build import build

    root, cfg = make_desk(tmp_path / "desk", offline=True)
    report = build(root, cfg, now=NOW, out=tmp_path / "out")
    page, hosts = _page(browser)
    page.goto((report.out / "index.html").as_uri())
    text = _search(page, "two-factor")
    assert "Two-factor authentication" in text
    assert [h for h in hosts if h not in ("", "file")] == [], hosts      # no unpkg.com shim, no fonts
    page.close()


def test_front_matter_never_runs_script_on_any_page(browser, hostile_site):
    """Nav, <title>, home, category and tag pages, the related block and search results."""
    page, hosts = _page(browser)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    for path in ("", "banking/", "banking/hostile/", "banking/linky/", "tags/", "banking/connect-a-bank-feed/"):
        page.goto(hostile_site + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.querySelectorAll('[onerror], [onclick], img[src=x]').length") == 0, path
    page.goto(hostile_site)
    text = _search(page, "hostile")
    assert "Hostile <img src=x onerror=alert(1)> & title" in text
    page.wait_for_timeout(500)
    assert page.evaluate("document.querySelectorAll('[onerror], img[src=x]').length") == 0
    assert dialogs == []
    assert set(hosts) == {"127.0.0.1"}, hosts
    page.close()


def test_every_request_of_every_kind_of_page_goes_to_the_site_itself(browser, site):
    page, hosts = _page(browser)
    for path in ("", "banking/", "banking/fix-a-disconnected-bank-feed/", "tags/", "account/reset-your-password/"):
        page.goto(site + path)
        page.wait_for_load_state("networkidle")
    _search(page, "invoice")
    page.wait_for_load_state("networkidle")
    assert set(hosts) == {"127.0.0.1"}, hosts
    page.close()


def _axe_violations(page) -> list[dict]:
    axe = pytest.importorskip("axe_playwright_python")
    page.add_script_tag(path=str(Path(axe.__file__).parent / "axe.min.js"))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"]]


@pytest.mark.parametrize("path", ["", "banking/fix-a-disconnected-bank-feed/"])
def test_home_and_article_pages_have_no_serious_accessibility_violations(browser, site, path):
    page, _ = _page(browser)
    page.goto(site + path)
    page.wait_for_load_state("networkidle")
    violations = _axe_violations(page)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    page.close()
