"""The help center's home page (search-first hero, topic cards with counts, popular articles, contact)
and the article facts, in a real strict build of the sample KB."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from supportctl.config.model import Config
from supportctl.kb.load import load_kb
from supportctl.site.build import build
from supportctl.site.pages import contact_url
from supportctl.site.stage import stage
from tests.site.test_build import DESK, NOW, make_desk


def ticket(status: str, *kb: str, tags=()) -> SimpleNamespace:
    """What the popularity count reads of a ticket: its status, `kb:` links and tags."""
    return SimpleNamespace(status=status, meta={"kb": list(kb), "tags": list(tags)})


# connect-stripe is solved most, then two-factor; open tickets and feedback do not count.
TICKETS = [ticket("solved", "connect-stripe"), ticket("closed", "connect-stripe", "export-to-csv"),
           ticket("solved", "connect-stripe"), ticket("closed", "two-factor-authentication"),
           ticket("solved", "two-factor-authentication"), ticket("open", "reset-your-password"),
           ticket("open", "reset-your-password"), ticket("open", "reset-your-password"),
           ticket("new", "export-to-csv", tags=["kb-feedback"]), ticket("solved", "gdpr-erasure-runbook")]


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    root, cfg = make_desk(tmp_path_factory.mktemp("home") / "desk")
    report = build(root, cfg, now=NOW, out=root / "out", tickets=TICKETS)
    return root, cfg, report


def section(page: str, start: str, end: str) -> str:
    return page[page.index(start):page.index(end, page.index(start))]


def test_the_home_page_has_a_hero_search_cards_with_counts_and_the_popular_list(home):
    root, cfg, report = home
    page = (report.out / "index.html").read_text()
    hero = section(page, 'class="sc-hero"', "</section>")
    assert '<h1 id="sc-hero-title" class="sc-hero__title">Ledgerly Help Center</h1>' in hero
    form = re.search(r'<form class="sc-hero__search" role="search"[^>]*>(.*?)</form>', hero, re.S).group(1)
    assert re.search(r'<input id="sc-q"[^>]*type="search" name="q"', form)          # ?q= opens Material's search
    assert '<label class="sc-hero__label" for="sc-q">Search the help center</label>' in form
    assert "box at the top" not in page
    # One card per category, in order, with icon, description and the number of public articles.
    kb = load_kb(root, cfg)
    cards = re.findall(r'<li class="sc-card" data-sc-item>(.*?)</li>', page, re.S)
    assert len(cards) == len({a.category for a in kb.public()})
    for card, cat in zip(cards, [c for c in kb.ordered_categories() if any(a.category == c.name for a in kb.public())]):
        count = sum(1 for a in kb.public() if a.category == cat.name)
        assert f'href="{cat.name}/"' in card and f">{cat.title}<" in card and "<svg" in card
        assert f">{cat.description}<" in card
        assert f'<span class="sc-card__count">{count} article{"s" if count != 1 else ""}</span>' in card
    # Popular: the articles solved tickets link most, best first; internal ones never.
    popular = section(page, 'id="popular"', "</ul>")
    assert ">Popular articles<" in popular
    titles = re.findall(r'sc-popular__title">([^<]+)<', popular)
    assert titles == ["Connect Stripe to take card payments", "Two-factor authentication", "Export your data to CSV"]
    assert 'href="payments/connect-stripe/"' in popular
    # Contact support: the request form (the theme has contact.html).
    assert '<a class="md-button md-button--primary sc-contact__button" href="contact/">Contact support</a>' in page


def test_every_address_on_the_home_page_is_a_built_page(home):
    _, _, report = home
    page = (report.out / "index.html").read_text()
    hrefs = re.findall(r'class="sc-card__link" href="([^"]+)"', page)
    hrefs += re.findall(r'<li data-sc-item>\s*<a href="([^"]+)"', page)
    assert len(hrefs) > 10
    for href in hrefs:
        assert (report.out / href / "index.html").is_file(), href


def test_articles_show_when_they_were_updated_and_the_reading_time(home):
    _, _, report = home
    page = (report.out / "banking/fix-a-disconnected-bank-feed/index.html").read_text()
    facts = re.search(r'<p class="sc-facts" data-search-exclude>(.*?)</p>', page).group(1)
    assert '<time datetime="2026-11-12">12 November 2026</time>' in facts
    assert re.search(r"<span>\d min read</span>", facts)
    assert page.index("</h1>") < page.index("sc-facts") < page.index("Nothing is lost")   # right under the title
    index = (report.out / "search/search_index.json").read_text()
    assert "min read" not in index                                                   # not searchable noise


def test_offline_home_page_promises_no_search_box_it_lacks_and_links_html_files(tmp_path):
    root, cfg = make_desk(tmp_path / "desk", offline=True)
    report = build(root, cfg, now=NOW, out=tmp_path / "out", tickets=TICKETS)
    page = (report.out / "index.html").read_text()
    assert "box at the top" not in page and "search box" not in page.lower()
    # The hero's field is the search (it drives Material's search, which runs from file://; where that is
    # missing the page's script turns it into a filter of the topics and articles shown).
    assert 'role="search"' in page and "Filter topics and articles" in page
    hrefs = re.findall(r'class="sc-card__link" href="([^"]+)"', page)
    hrefs += re.findall(r'<li data-sc-item>\s*<a href="([^"]+)"', page)
    assert hrefs and all(h.endswith(".html") and (report.out / h).is_file() for h in hrefs), hrefs


def _staged_home(root: Path) -> tuple[dict, str]:
    text = (root / "site_docs/index.md").read_text()
    _, fm, body = text.split("---\n", 2)
    return yaml.safe_load(fm), body


def test_without_search_the_home_page_says_browse(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    mk = root / "mkdocs.yml"
    mk.write_text(mk.read_text().replace("  - search\n", ""))
    stage(root, cfg)
    fm, _ = _staged_home(root)
    assert fm["helpcenter"]["search"] is False
    assert fm["helpcenter"]["line"].startswith("Browse the topics below")


def test_a_theme_without_home_html_gets_a_plain_home_page_and_a_warning(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    (root / "overrides/home.html").unlink()
    st = stage(root, cfg, tickets=TICKETS)
    assert any("home.html is missing" in w for w in st.warnings)
    fm, body = _staged_home(root)
    assert "template" not in fm and "helpcenter" not in fm
    assert "## Popular articles\n\n- [Connect Stripe to take card payments](payments/connect-stripe.md)" in body
    # "Contact support" leads to the request form (the theme still has contact.html).
    assert "## Contact support\n\nCannot find an answer? [Write to us](contact/index.md)." in body
    report = build(root, cfg, now=NOW, out=tmp_path / "out")       # and it builds, strict
    assert "Recently updated" in (report.out / "index.html").read_text()


def test_no_popular_data_lists_the_recently_updated_articles(home, tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    stage(root, cfg)
    fm, _ = _staged_home(root)
    assert fm["helpcenter"]["popular"]["title"] == "Recently updated"
    assert len(fm["helpcenter"]["popular"]["items"]) == 6


def test_the_feedback_link_is_a_mail_or_an_issue_naming_the_article():
    mail = contact_url(Config.model_validate(DESK))
    assert mail.startswith("mailto:support@ledgerly.example?subject=Feedback%3A%20{title}%20%5Bkb%3A{slug}%5D")
    github = contact_url(Config.model_validate({**DESK, "site": {"feedback": "github"}}))
    assert github.startswith("https://github.com/ledgerly/helpdesk/issues/new?title=Feedback%3A%20{title}%20"
                             "%5Bkb%3A{slug}%5D") and "labels=kb-feedback" in github
    # Without desk.support_email the mail channel's address receives it.
    no_email = {"desk": {"name": "X"}, "mail": {"address": "help@x.example", "subject_tag": "X"}}
    assert contact_url(Config.model_validate(no_email)).startswith("mailto:help@x.example?")
