"""After the engine ran: no script we did not put there, no third-party request, no personal data in any page."""

from __future__ import annotations

import pytest

from supportctl.errors import SupportctlError
from supportctl.site.build import build, run_engine
from supportctl.site.mkdocs import read_mkdocs
from supportctl.site.stage import stage
from tests.site.test_build import NOW, make_desk


def test_script_handlers_javascript_links_and_cdn_diagrams_in_pages_fail_the_build(tmp_path):
    """Whatever slips past `kb check` (or a desk that allows raw HTML) is caught in the built pages."""
    from supportctl.site.verify import verify_pages

    root, cfg = make_desk(tmp_path / "desk")
    stage(root, cfg)
    page = root / "site_docs/banking/connect-a-bank-feed.md"
    page.write_text(page.read_text() + '\n<script>alert(1)</script>\n\n<img src="x" onerror="alert(2)">\n\n'
                    '<a href="javascript:alert(3)">x</a>\n\n<pre class="mermaid">graph TD; A-->B</pre>\n\n'
                    '<img src="https://tracker.example.net/pixel.gif" alt="">\n')
    out, _, _ = run_engine(root, cfg, read_mkdocs(root), tmp_path / "out")
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
    out, _, _ = run_engine(root, cfg, read_mkdocs(root), tmp_path / "out")
    verify_pages(out, cfg)
