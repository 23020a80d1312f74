"""After the engine ran: no script we did not put there, no third-party request, no personal data in any page."""

from __future__ import annotations

import pytest

from supportctl.errors import SupportctlError
from supportctl.site.build import build
from supportctl.site.mkdocs import read_mkdocs
from supportctl.site.stage import stage
from tests.site.test_build import NOW, make_desk, run_engine


def test_script_handlers_javascript_links_and_cdn_diagrams_in_pages_fail_the_build(tmp_path):
    """Whatever slips past `kb check` (or a desk that allows raw HTML) is caught in the built pages."""
    from supportctl.site.verify import verify_pages

    root, cfg = make_desk(tmp_path / "desk")
    stage(root, cfg)
    page = root / "site_docs/banking/connect-a-bank-feed.md"
    page.write_text(page.read_text() + '\n<script>alert(1)</script>\n\n<img src="x" onerror="alert(2)">\n\n'
                    '<a href="javascript:alert(3)">x</a>\n\n<pre class="mermaid">graph TD; A-->B</pre>\n\n'
                    '<img src="https://tracker.example.net/pixel.gif" alt="">\n')
    out = tmp_path / "out"
    run_engine(root, cfg, read_mkdocs(root), out)
    with pytest.raises(SupportctlError) as info:
        verify_pages(out, cfg)
    text = str(info.value) + " " + (info.value.hint or "")
    assert "banking/connect-a-bank-feed/index.html" in text
    for finding in ("<script>", "onerror", "javascript:", "mermaid", "tracker.example.net"):
        assert finding in text, finding


def test_a_script_in_an_article_never_reaches_the_site(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    page = root / "kb/banking/connect-a-bank-feed.md"
    page.write_text(page.read_text() + "\n<script>alert(document.cookie)</script>\n")
    with pytest.raises(SupportctlError):
        build(root, cfg, now=NOW, out=tmp_path / "out")


def test_personal_data_anywhere_in_the_built_pages_fails_the_build(tmp_path):
    """subtitle:, category descriptions and the home text are published too."""
    root, cfg = make_desk(tmp_path / "desk")
    page = root / "kb/banking/connect-a-bank-feed.md"
    page.write_text(page.read_text().replace("updated:", "subtitle: Ask sam.lee@ledgerly.com\nupdated:", 1))
    cat = root / "kb/banking/_category.yml"
    cat.write_text(cat.read_text().replace('description: "', 'description: "Write to jane.doe@ledgerly.com. ', 1))
    home = root / "kb/_home.md"
    home.write_text(home.read_text() + "\nOr mail ops&#64;ledgerly.com.\n")
    with pytest.raises(SupportctlError) as info:
        build(root, cfg, now=NOW, out=tmp_path / "out")
    # The KB checks before the build catch these now; each address is named in a problem either way.
    problems = " ".join(str(p) for p in getattr(info.value, "problems", []))
    text = str(info.value) + " " + (info.value.hint or "") + " " + problems
    for address in ("sam.lee@ledgerly.com", "jane.doe@ledgerly.com", "ops@ledgerly.com"):
        assert address in text, (address, text)


def test_the_sample_site_passes_the_page_checks(tmp_path):
    """The checks do not fire on Material's own scripts, the feedback widget or the desk's support address."""
    from supportctl.site.verify import verify_pages

    root, cfg = make_desk(tmp_path / "desk")
    stage(root, cfg)
    out = tmp_path / "out"
    run_engine(root, cfg, read_mkdocs(root), out)
    verify_pages(out, cfg)


NAV = ('<nav class="md-nav md-nav--primary"><ul class="md-nav__list">'
       + "".join(f'\n  <li class="md-nav__item"><a href="../p{i}/" class="md-nav__link">Page {i}</a></li>'
                 for i in range(5)) + "\n</ul></nav>\n")


def _page(nav: str, article: str = "<p>Fine.</p>") -> str:
    return (f'<!doctype html><html><head><title>T</title></head><body><header>H</header>{nav}'
            f'<main><article class="md-content__inner">{article}</article></main><footer>F</footer></body></html>')


@pytest.mark.parametrize("planted", [
    # an event handler in a navigation item that the reader's earlier pages did not have
    '\n  <li class="md-nav__item"><a href="x/" onclick="steal()">X</a></li>',
    # a tag whose quoted value holds the start of a navigation item: the pieces must be read as one
    '\n  <li class="md-nav__item"><a title=\'<li class="md-nav__item\' onclick="steal()">X</a></li>',
    # the same across a line break inside the tag
    '\n  <li class="md-nav__item"><a\n title=\'x<li class="md-nav__item">\'\n onclick="steal()">X</a></li>',
    # an <svg> left open before a navigation item, with a tracking image after it
    '\n  <svg><li class="md-nav__item"></svg><img src="https://tracker.example.net/p.gif" alt="">',
])
def test_navigation_read_on_earlier_pages_is_skipped_but_nothing_new_in_it(tmp_path, planted):
    """Navigation items seen on an earlier page are not read again; anything new around them still is,
    however the page is cut."""
    from supportctl.site.verify import verify_pages

    for i in range(3):
        (tmp_path / f"p{i}").mkdir()
        (tmp_path / f"p{i}/index.html").write_text(_page(NAV))
    (tmp_path / "p3").mkdir()
    (tmp_path / "p3/index.html").write_text(_page(NAV.replace("\n</ul>", planted + "\n</ul>")))
    with pytest.raises(SupportctlError) as info:
        verify_pages(tmp_path, None)
    text = str(info.value) + " " + (info.value.hint or "")
    assert "p3/index.html" in text
    assert "onclick" in text or "tracker.example.net" in text


def test_personal_data_in_a_navigation_item_is_found_on_any_page(tmp_path):
    from supportctl.site.verify import verify_pages

    for i in range(3):
        (tmp_path / f"p{i}").mkdir()
        nav = NAV if i < 2 else NAV.replace("Page 3<", "Write to sam.lee@ledgerly.com<")
        (tmp_path / f"p{i}/index.html").write_text(_page(nav))
    with pytest.raises(SupportctlError) as info:
        verify_pages(tmp_path, None)
    assert "sam.lee@ledgerly.com" in str(info.value) and "p2/index.html" in str(info.value)


def test_a_script_or_comment_holding_a_navigation_item_is_not_read_as_html(tmp_path):
    """Script bodies and comments are not page content, even when they hold what starts a navigation item."""
    from supportctl.site.verify import verify_pages

    planted = ('\n  <script>var item = 1; // <li class="md-nav__item"></li>\n'
               ' var img = "<img src=x onerror=run()>";</script>')
    for i in range(3):
        (tmp_path / f"p{i}").mkdir()
        (tmp_path / f"p{i}/index.html").write_text(_page(NAV if i < 2 else NAV.replace("\n</ul>", planted + "\n</ul>")))
    (tmp_path / "p3").mkdir()
    comment = '\n  <!-- <li class="md-nav__item"><img src="https://tracker.example.net/p.gif"> -->'
    (tmp_path / "p3/index.html").write_text(_page(NAV.replace("\n</ul>", comment + "\n</ul>")))
    verify_pages(tmp_path, None)


def test_the_checks_split_over_workers_find_what_one_process_finds(tmp_path, monkeypatch):
    """A large site's pages are checked on every core: the same first finding, and every finding one process makes."""
    from supportctl.site import verify

    bad_nav = NAV.replace("\n</ul>", '\n  <li class="md-nav__item"><a href="x/" onclick="steal()">X</a></li>\n</ul>')
    for i in range(12):
        nav = NAV if i < 3 else bad_nav
        if i == 7:
            nav = nav.replace("Page 3<", "Write to sam.lee@ledgerly.com<")
        article = '<p>Fine.</p><img src="https://tracker.example.net/p.gif" alt="">' if i == 9 else "<p>Fine.</p>"
        (tmp_path / f"p{i:02d}").mkdir()
        (tmp_path / f"p{i:02d}/index.html").write_text(_page(nav, article))

    def found() -> tuple[str, set[str]]:
        with pytest.raises(SupportctlError) as info:
            verify.verify_pages(tmp_path, None)
        hint = (info.value.hint or "").split(" — ")[0]
        return str(info.value), {part for part in hint.split("; ") if part}

    first, rest = found()
    assert "p03/index.html" in first and "onclick" in first
    assert any("sam.lee@ledgerly.com" in f and "p07" in f for f in rest)
    assert any("tracker.example.net" in f and "p09" in f for f in rest)
    monkeypatch.setattr(verify, "PARALLEL_FROM", 2)
    split_first, split_rest = found()
    assert split_first == first and rest <= split_rest
