"""The built help site in headless Chromium: search (the header's and the home page's), feedback, no script
from front matter, accessibility (axe-core on the home, a category, an article, the tags page and a search
result page), and no third-party requests. SUPPORTCTL_SCREENSHOTS=DIR also saves screenshots.

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
from urllib.parse import parse_qs, urlsplit

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


@pytest.mark.parametrize("path", ["", "banking/", "banking/fix-a-disconnected-bank-feed/", "tags/", "?q=invoice",
                                  "contact/"])
def test_home_category_article_tags_and_search_pages_have_no_serious_accessibility_violations(browser, site, path):
    page, _ = _page(browser)
    page.goto(site + path)
    page.wait_for_load_state("networkidle")
    if "?q=" in path:                        # a search result page: Material opens its dialog with the results
        page.wait_for_selector(".md-search-result__item", timeout=15_000)
    violations = _axe_violations(page)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    page.close()


def test_the_report_dashboard_opens_from_a_file_url_alone_and_is_accessible(browser, desk, cli, tmp_path):
    """`report build`: loads from file://, every request stays in file://, no console errors, axe clean."""
    from tests.conftest import new_ticket

    for day, channel in ((2, "email"), (3, "web"), (10, "chat")):
        tid = new_ticket(cli, "--channel", channel, at=f"2026-03-{day:02d}T09:00:00+01:00",
                         title="<img src=x onerror=alert(1)> export")
        cli("ticket", "reply", tid, "-m", "Done.", "--status", "solved", "--at", f"2026-03-{day:02d}T10:00:00+01:00")
        cli("ticket", "rate", tid, "good" if day != 3 else "bad", "--comment", "<script>alert(2)</script>",
            "--at", f"2026-03-{day:02d}T12:00:00+01:00")
    cli("customer", "rate", "dana@example.com", "9", "--at", "2026-03-05T10:00:00+01:00")
    out = tmp_path / "dash"
    cli("report", "build", "--out", out, "--now", "2026-03-12T12:00:00+01:00")
    page = browser.new_page()
    urls: list[str] = []
    errors: list[str] = []
    dialogs: list[str] = []
    page.on("request", lambda req: urls.append(req.url))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto((out / "index.html").as_uri())
    page.wait_for_load_state("networkidle")
    assert "Support dashboard" in page.title()
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")   # every chart drew
    assert page.evaluate("[...document.images].every(i => i.alt.length > 20)")
    assert all(u.startswith("file://") for u in urls), urls
    assert errors == [] and dialogs == []
    serious = [v for v in _axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious
    page.close()


def _hero_search(page, query: str) -> str:
    page.click("#sc-q")
    page.keyboard.type(query, delay=20)
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    return page.inner_text(".md-search-result")


def test_the_home_page_search_field_drives_materials_search(browser, site):
    page, hosts = _page(browser)
    page.goto(site)
    page.wait_for_load_state("networkidle")
    text = _hero_search(page, "bank feed")
    assert "Fix a disconnected bank feed" in text and "matching document" in text
    assert page.input_value(".md-search__input") == "bank feed"      # typed on into Material's own field
    # Without script the form reloads with ?q=, which Material's search opens as well.
    page.goto(site + "?q=stripe")
    page.wait_for_selector(".md-search-result__item", timeout=15_000)
    assert "Connect Stripe" in page.inner_text(".md-search-result")
    assert set(hosts) == {"127.0.0.1"}, hosts
    page.close()


def test_the_offline_home_page_search_works_from_a_file_url(browser, tmp_path):
    from supportctl.site.build import build

    root, cfg = make_desk(tmp_path / "desk", offline=True)
    report = build(root, cfg, now=NOW, out=tmp_path / "out")
    page, hosts = _page(browser)
    page.goto((report.out / "index.html").as_uri())
    assert page.is_visible("#sc-q")
    text = _hero_search(page, "two-factor")
    assert "Two-factor authentication" in text
    assert [h for h in hosts if h not in ("", "file")] == [], hosts
    page.close()


def test_without_materials_search_the_home_field_filters_the_page(browser, tmp_path):
    """The fallback: where the theme's search is not on the page, the field filters the topic cards and the
    article list, and says so (it never promises a search it cannot run)."""
    from supportctl.site.build import build

    root, cfg = make_desk(tmp_path / "desk", offline=True)
    report = build(root, cfg, now=NOW, out=tmp_path / "out")
    page, _ = _page(browser)
    # The same page with Material's search toggle gone (as with a theme or config without search).
    html = (report.out / "index.html").read_text().replace('id="__search"', 'id="__gone"')
    (report.out / "nosearch.html").write_text(html)
    page.goto((report.out / "nosearch.html").as_uri())
    assert page.get_attribute("#sc-q", "placeholder") == "Filter topics and articles"
    page.click("#sc-q")
    page.keyboard.type("bank", delay=10)
    visible = page.locator(".sc-card:visible .sc-card__title").all_inner_texts()
    assert visible == ["Bank feeds and reconciliation"]
    page.close()


def _fill_request(page, extra: dict[str, str] | None = None) -> None:
    page.fill("#sc-f-name", "Ana Díaz")
    page.fill("#sc-f-email", "ana@example.org")
    page.select_option("#sc-f-category", "Bank feeds and reconciliation")
    page.fill("#sc-f-subject", "Feed stopped & shows 50% <old>")
    for field, value in (extra or {}).items():
        page.fill(f"#sc-f-{field}", value)
    page.fill("#sc-f-description", "Since Monday no transactions.\nError: 401")


def test_the_contact_form_says_what_is_missing_then_composes_a_prefilled_mail(browser, site):
    page, hosts = _page(browser)
    mails: list[str] = []
    page.on("request", lambda req: req.url.startswith("mailto:") and mails.append(req.url))
    page.goto(site)
    page.click("a.sc-contact__button")                   # the home page's "Contact support"
    page.wait_for_url("**/contact/")
    form = page.locator("form.sc-request")
    form.wait_for(state="visible")                        # un-hidden by the page's script
    page.click("form.sc-request button[type=submit]")
    alert = page.locator("[data-sc-errors][role=alert]")
    assert "Please correct 5 fields" in alert.inner_text()
    assert "Your name is required." in alert.inner_text()
    assert page.get_attribute("#sc-f-name", "aria-invalid") == "true"
    assert "sc-e-name" in page.get_attribute("#sc-f-name", "aria-describedby")
    assert page.inner_text("#sc-e-name") == "Your name is required."
    assert page.evaluate("document.activeElement.id") == "sc-f-name"
    serious = [v for v in _axe_violations(page) if v["impact"] in ("serious", "critical")]
    assert serious == [], serious                          # with the errors shown too
    page.fill("#sc-f-email", "not an address")
    page.click("form.sc-request button[type=submit]")
    assert "Your email address is not an email address." in alert.inner_text()
    _fill_request(page)
    page.click("form.sc-request button[type=submit]")
    assert alert.inner_text().strip() == ""
    assert page.get_attribute("#sc-f-name", "aria-invalid") is None
    url = form.get_attribute("data-sc-url")
    assert page.locator("[data-sc-sent] a").get_attribute("href") == url
    assert url.startswith("mailto:support@ledgerly.example?")
    query = parse_qs(urlsplit(url).query)
    assert query["subject"] == ["Feed stopped & shows 50% <old>"]
    assert query["body"] == ["Your name: Ana Díaz\nYour email address: ana@example.org\n"
                             "Category: Bank feeds and reconciliation\n\nSince Monday no transactions.\nError: 401\n"]
    assert mails == [url]                                 # the script opened it (the mail program's turn)
    assert set(hosts) == {"127.0.0.1", "mailto"}, hosts
    page.close()


def test_offline_contact_form_opens_a_prefilled_github_issue_from_a_file_url(browser, tmp_path):
    """site.requests: github, built for file://: the form composes the issue form's address; the intake
    template's fields ride in the description."""
    from supportctl.site.build import build

    root, cfg = make_desk(tmp_path / "desk", offline=True, requests="github")
    (root / "templates/intake").mkdir(parents=True)
    (root / "templates/intake/request.yml").write_text(
        "fields:\n  - {id: plan, label: Plan, type: select, options: [Starter, Pro], required: true}\n")
    report = build(root, cfg, now=NOW, out=tmp_path / "out")
    page, hosts = _page(browser)
    opened = []
    page.route("https://github.com/**", lambda route: (opened.append(route.request.url),
                                                      route.fulfill(status=200, body="issue form")))
    page.goto((report.out / "index.html").as_uri())
    page.click("a.sc-contact__button")
    page.wait_for_url("**/contact/index.html")
    page.locator("form.sc-request").wait_for(state="visible")
    assert page.get_attribute("#sc-f-email", "required") is None      # public issue: email optional
    _fill_request(page)
    page.select_option("#sc-f-plan", "Pro")
    page.fill("#sc-f-email", "")
    page.click("form.sc-request button[type=submit]")
    page.wait_for_url("https://github.com/**")
    assert len(opened) == 1
    parts = urlsplit(opened[0])
    assert f"{parts.netloc}{parts.path}" == "github.com/ledgerly/helpdesk/issues/new"
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["template"] == ["support.yml"] and query["title"] == ["Feed stopped & shows 50% <old>"]
    assert query["name"] == ["Ana Díaz"] and query["email"] == [""]
    assert query["category"] == ["Bank feeds and reconciliation"]
    assert query["description"] == ["Since Monday no transactions.\nError: 401\n\nPlan: Pro"]
    assert [h for h in hosts if h not in ("", "file", "github.com")] == [], hosts
    page.close()


SHOTS = os.environ.get("SUPPORTCTL_SCREENSHOTS")


@pytest.mark.skipif(not SHOTS, reason="set SUPPORTCTL_SCREENSHOTS=DIR to save screenshots of the sample site")
def test_screenshots(browser, site):
    """Desktop (1280) and mobile (390) screenshots of the home, a category and an article, to look at."""
    out = Path(SHOTS)
    out.mkdir(parents=True, exist_ok=True)
    pages = {"home": "", "category": "banking/", "article": "banking/fix-a-disconnected-bank-feed/"}
    for width, height, kind in ((1280, 900, "desktop"), (390, 844, "mobile")):
        page = browser.new_page(viewport={"width": width, "height": height})
        for name, path in pages.items():
            page.goto(site + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(out / f"{name}-{kind}.png"), full_page=True)
        page.close()
