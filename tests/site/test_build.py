"""The help site: a real `mkdocs build --strict` of the sample KB in a temp desk, then the HTML,
sitemap.xml and search index are inspected."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest

from supportctl.config.model import Config
from supportctl.errors import SupportctlError
from supportctl.kb.load import load_kb
from supportctl.kb.model import GENERATED_MARK
from supportctl.site.build import SiteCheckFailed, build
from supportctl.site.engine import EngineRun
from supportctl.site.mkdocs import read_mkdocs
from supportctl.site.stage import stage
from supportctl.starter.scaffold import starter_files

REPO = Path(__file__).resolve().parents[2]
NOW = datetime.now(timezone.utc)   # the KB checks need a "now"; the sample KB is judged as of today
DESK = {"desk": {"name": "Ledgerly Help Center", "url": "https://help.ledgerly.example/",
                 "repo_url": "https://github.com/ledgerly/helpdesk", "support_email": "support@ledgerly.example"}}


def make_desk(root: Path, **site) -> tuple[Path, Config]:
    """A copy of the sample desk's KB and site config."""
    root.mkdir(parents=True, exist_ok=True)
    for name in ("kb", "overrides"):
        shutil.copytree(REPO / name, root / name)
    shutil.copy(REPO / "mkdocs.yml", root / "mkdocs.yml")
    return root, Config.model_validate({**DESK, "site": site})


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root, cfg = make_desk(tmp_path_factory.mktemp("desk") / "desk")
    before = hashlib.sha256((root / "mkdocs.yml").read_bytes()).hexdigest()
    report = build(root, cfg, now=NOW, out=root / "out")
    assert hashlib.sha256((root / "mkdocs.yml").read_bytes()).hexdigest() == before   # never rewritten
    return root, cfg, report


def run_engine(root: Path, cfg, mk, out: Path, during=None) -> str:
    """The engine alone on an already staged folder, as `build` runs it; its log."""
    run = EngineRun(root, cfg, mk, out)
    try:
        run.go()
        return run.wait(during)
    finally:
        run.close()


def all_output_text(out: Path) -> dict[str, str]:
    texts = {}
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".xml", ".js", ".txt") and "assets" not in path.parts:
            texts[path.relative_to(out).as_posix()] = path.read_text(encoding="utf-8", errors="replace")
    return texts


def distinctive_lines(body: str) -> list[str]:
    """Sentences of an article that would give it away if they leaked."""
    lines = [ln.strip() for ln in body.splitlines() if len(ln.strip()) > 40 and not ln.startswith(("#", "|", "```"))]
    return [re.sub(r"[*`\[\]()]", "", ln)[:40] for ln in lines[:3]]


def test_only_published_public_articles_reach_pages_sitemap_and_search(built):
    root, cfg, report = built
    out = report.out
    kb = load_kb(root, cfg)
    public = kb.public()
    hidden = [a for a in kb.articles if not a.public]
    assert {a.status for a in hidden} >= {"draft", "review", "archived"}
    assert any(a.visibility == "internal" and a.status == "published" for a in hidden)

    sitemap = (out / "sitemap.xml").read_text()
    index = json.loads((out / "search" / "search_index.json").read_text())
    locations = {d["location"].split("#")[0] for d in index["docs"]}
    for a in public:
        assert (out / a.category / a.slug / "index.html").is_file()
        assert f"<loc>https://help.ledgerly.example/{a.category}/{a.slug}/</loc>" in sitemap
        assert f"{a.category}/{a.slug}/" in locations
    texts = all_output_text(out)
    for a in hidden:
        assert not (out / a.category / a.slug).exists()
        for name, text in texts.items():
            assert f"/{a.slug}/" not in text and f"{a.slug}.md" not in text, (a.slug, name)
            for line in distinctive_lines(a.body):
                assert line not in text, (a.slug, line, name)
    # The staged docs hold nothing else either, and no internal field of the public ones.
    staged = {p.relative_to(root / "site_docs").as_posix() for p in (root / "site_docs").rglob("*.md")}
    assert {a.site_path for a in public} <= staged
    assert not any(a.site_path in staged for a in hidden)
    refund = (root / "site_docs/account/your-ledgerly-subscription.md").read_text()
    assert "owner:" not in refund and "status:" not in refund and "visibility:" not in refund


def test_generated_pages_are_marked_and_ordered(built):
    root, cfg, report = built
    docs = root / "site_docs"
    kb = load_kb(root, cfg)
    for rel in report.stage.generated:
        assert GENERATED_MARK in (docs / rel).read_text()
    generated = ["index.md", "tags.md", "contact/index.md"] + [f"{c}/index.md"
                                                               for c in {a.category for a in kb.public()}]
    assert sorted(report.stage.generated) == sorted(generated)
    home = (report.out / "index.html").read_text()
    titles = [c.title for c in kb.ordered_categories()]
    positions = [home.index(f'<a class="sc-card__link" href="{c.name}/">') for c in kb.ordered_categories()]
    assert positions == sorted(positions)             # topic cards in the categories' configured order
    cat = (report.out / "banking" / "index.html").read_text()
    sidebar = cat[cat.index("md-nav--primary"):]
    labels = re.findall(r'md-ellipsis">\s*([^<]+?)\s*<', sidebar)
    labels = [x for x in labels if x in titles or x == "Home"]
    assert labels[:len(titles) + 1] == ["Home", *titles]      # the navigation shows the category titles in order
    assert "Fix a disconnected bank feed" in cat and "Agents: escalating" not in cat
    # The related-articles block lists public related articles only.
    refund = (report.out / "account/delete-your-account/index.html").read_text()
    assert 'id="related-articles"' in refund and "Export your data to CSV" in refund
    tags = (report.out / "tags" / "index.html").read_text()
    assert "bank-feeds" in tags and "runbook" not in tags    # a tag used only by internal articles


def test_branding_feedback_edit_links_and_no_third_party_requests(built):
    root, cfg, report = built
    page = (report.out / "banking/fix-a-disconnected-bank-feed/index.html").read_text()
    assert "<title>Fix a disconnected bank feed - Ledgerly Help Center</title>" in page
    assert 'name="description" content="Reconnect a bank feed' in page
    # "Was this page helpful?" with a prefilled contact link, and the custom (request-free) provider.
    assert "Was this page helpful?" in page and 'name="feedback"' in page
    link = re.search(r'class="supportctl-contact" href="([^"]+)"', page).group(1)
    assert link.startswith("mailto:support@ledgerly.example?subject=Feedback%3A%20Fix%20a%20disconnected%20bank%20"
                           "feed%20%5Bkb%3Afix-a-disconnected-bank-feed%5D")
    assert "help.ledgerly.example%2Fbanking%2Ffix-a-disconnected-bank-feed%2F" in link.replace("/", "%2F")
    assert "function __md_analytics" in page and "googletagmanager" not in page
    # "Improve this article" edits the source file in the repository; generated pages have no edit link.
    assert ('href="https://github.com/ledgerly/helpdesk/edit/main/kb/banking/fix-a-disconnected-bank-feed.md" '
            'title="Improve this article"') in page
    assert "Improve this article" not in (report.out / "banking/index.html").read_text()
    # Nothing loads from another host: no Google Fonts, no repository widget fetching star counts.
    for rel, text in all_output_text(report.out).items():
        if rel.endswith(".html"):
            for m in re.finditer(r'<(?:script|link(?! rel="(?:canonical|alternate)")|img|iframe)\b[^>]*'
                                 r'(?:src|href)="(https?:)?//([^/"]+)', text):
                assert False, f"{rel} loads from {m.group(2)}"
            assert "fonts.googleapis" not in text and "fonts.gstatic" not in text


def test_strict_mode_fails_on_a_broken_anchor_that_slipped_past_the_checks(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    stage(root, cfg)
    page = root / "site_docs/banking/connect-a-bank-feed.md"
    page.write_text(page.read_text() + "\nSee [this](reconcile-transactions.md#no-such-section).\n")
    with pytest.raises(SupportctlError, match="no-such-section"):
        run_engine(root, cfg, read_mkdocs(root), tmp_path / "out")


def test_kb_problems_stop_the_build_before_mkdocs_runs(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    article = root / "kb/banking/connect-a-bank-feed.md"
    article.write_text(article.read_text() + "\nCall Jane on +353 1 555 0199, or read the "
                       "[escalation runbook](bank-feed-escalations.md).\n")
    with pytest.raises(SiteCheckFailed) as info:
        build(root, cfg, now=NOW, out=tmp_path / "out")
    assert sorted(p.code for p in info.value.problems) == ["leak", "personal-data"]
    assert info.value.problems[0].path == "kb/banking/connect-a-bank-feed.md"    # as found in the checks' child
    assert not (tmp_path / "out").exists()      # the engine, started early, never built


def test_a_kb_that_cannot_be_staged_is_reported_by_its_problems(tmp_path, monkeypatch):
    from supportctl.site import build as site_build

    root, cfg = make_desk(tmp_path / "desk")
    article = root / "kb/banking/connect-a-bank-feed.md"
    article.write_text(article.read_text() + "\nCall Jane on +353 1 555 0199.\n")

    def stage_fails(*args, **kwargs):
        raise KeyError("what the checks would have explained")

    monkeypatch.setattr(site_build, "stage", stage_fails)
    with pytest.raises(SiteCheckFailed) as info:
        build(root, cfg, now=NOW, out=tmp_path / "out")
    assert [p.code for p in info.value.problems] == ["personal-data"]
    assert not (tmp_path / "out").exists()


def test_unpublishing_removes_the_page_on_the_next_build(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    path = root / "kb/mobile/widgets.md"
    path.write_text("---\ntitle: Home screen widgets\ndescription: Add the Ledgerly widget to your home screen.\n"
                    "status: published\nvisibility: public\ntags: [mobile]\nupdated: 2026-11-01\n---\n\n"
                    "Long-press the home screen and choose the Ledgerly widget for outstanding invoices.\n")
    build(root, cfg, now=NOW, out=tmp_path / "out")
    assert (tmp_path / "out/mobile/widgets/index.html").exists()
    path.write_text(path.read_text().replace("status: published", "status: draft"))
    report = build(root, cfg, now=NOW, out=tmp_path / "out")
    assert report.stage.removed == 1
    assert not (root / "site_docs/mobile/widgets.md").exists()
    assert not (tmp_path / "out/mobile/widgets").exists()
    assert "/widgets/" not in (tmp_path / "out/sitemap.xml").read_text()
    assert "Long-press the home screen" not in (tmp_path / "out/search/search_index.json").read_text()


def test_unpublishing_a_linked_article_is_caught(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    path = root / "kb/mobile/scan-receipts.md"               # mobile-app-sync lists it as related
    path.write_text(path.read_text().replace("status: published", "status: draft"))
    with pytest.raises(SiteCheckFailed) as info:
        build(root, cfg, now=NOW, out=tmp_path / "out")
    assert {(p.code, p.path) for p in info.value.problems} >= {("leak", "kb/mobile/mobile-app-sync.md")}


def test_offline_build_works_from_file_urls(tmp_path):
    root, cfg = make_desk(tmp_path / "desk", offline=True)
    report = build(root, cfg, now=NOW, out=tmp_path / "out")
    assert (report.out / "search" / "search_index.js").is_file()
    home = (report.out / "index.html").read_text()
    assert "unpkg.com" not in home and 'src="assets/javascripts/iframe-worker-shim.js"' in home
    assert 'href="banking/fix-a-disconnected-bank-feed.html"' in home or \
        'href="banking/fix-a-disconnected-bank-feed/index.html"' in home


def test_refuses_to_stage_into_a_folder_it_did_not_generate(tmp_path):
    root, cfg = make_desk(tmp_path / "desk")
    (root / "site_docs").mkdir()
    (root / "site_docs" / "notes.md").write_text("my own notes")
    with pytest.raises(SupportctlError, match="not a folder supportctl generated"):
        stage(root, cfg)
    assert (root / "site_docs" / "notes.md").read_text() == "my own notes"


def test_starter_files_build_a_site(tmp_path):
    root = tmp_path / "new"
    for rel, text in starter_files("Acme Help", NOW.date()).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    cfg = Config.model_validate({"desk": {"name": "Acme Help"}})
    report = build(root, cfg, now=NOW, out=tmp_path / "out")
    assert (report.out / "getting-started/welcome/index.html").is_file()
    assert "<title>Acme Help</title>" in (report.out / "index.html").read_text()
