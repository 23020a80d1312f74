"""What authors write in front matter, category files and the config is text on every page of the built site."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest

from supportctl.config.model import Config
from supportctl.site.build import build
from tests.site.test_build import DESK, NOW, make_desk

TITLE = "Hostile <img src=x onerror=alert(1)> & title"
DESCRIPTION = 'x"><script>alert(2)</script>'
CATEGORY = "Banking <img src=x onerror=alert(3)>"
CATEGORY_DESCRIPTION = "Feeds <script>alert(4)</script> and {: onclick=alert(5) } [link](javascript:alert(6))"
SUBTITLE = "<script>alert(7)</script>"
LINKY = "Click [me](javascript:alert(8)) *now* `code`"
DESK_NAME = "Ledgerly <script>alert(9)</script> Help"


def hostile_desk(root: Path) -> tuple[Path, Config]:
    """The sample KB with script in every piece of front matter that the site renders."""
    root, _ = make_desk(root)
    (root / "kb/banking/_category.yml").write_text(
        f"title: {json.dumps(CATEGORY)}\norder: 40\ndescription: {json.dumps(CATEGORY_DESCRIPTION)}\n")
    (root / "kb/banking/hostile.md").write_text(
        f"---\ntitle: {json.dumps(TITLE)}\ndescription: {json.dumps(DESCRIPTION)}\nsubtitle: {json.dumps(SUBTITLE)}\n"
        "status: published\nvisibility: public\ntags: [bank-feeds]\nupdated: 2026-11-01\n"
        "related: [linky, connect-a-bank-feed]\n---\n\nA page whose front matter tries to run script.\n")
    (root / "kb/banking/linky.md").write_text(
        f"---\ntitle: {json.dumps(LINKY)}\ndescription: Markdown in a title stays text.\n"
        "status: published\nvisibility: public\ntags: [bank-feeds]\nupdated: 2026-11-01\n"
        "related: [hostile]\n---\n\nA page whose title is written in Markdown.\n")
    return root, Config.model_validate({"desk": {**DESK["desk"], "name": DESK_NAME}})


class Page(HTMLParser):
    """Elements, attributes and text of one page, as a browser would parse them."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.title = ""
        self.text: list[str] = []
        self._in: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in.append(tag)

    def handle_endtag(self, tag):
        if tag in self._in:
            while self._in.pop() != tag:
                pass

    def handle_data(self, data):
        if data.strip() and not (self._in and self._in[-1] in ("script", "style")):
            self.text.append(" ".join(data.split()))
        if self._in and self._in[-1] == "script":
            self.scripts.append(data)
        if self._in and self._in[-1] == "title":
            self.title += data


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root, cfg = hostile_desk(tmp_path_factory.mktemp("hostile") / "desk")
    report = build(root, cfg, now=NOW, out=root / "out")
    return root, report.out


def pages(out: Path) -> dict[str, Page]:
    return {p.relative_to(out).as_posix(): Page(p.read_text()) for p in out.rglob("*.html")}


def test_no_page_gets_an_element_attribute_or_script_from_front_matter(hostile):
    _, out = hostile
    parsed = pages(out)
    assert {"index.html", "banking/index.html", "banking/hostile/index.html", "tags/index.html"} <= set(parsed)
    for rel, page in parsed.items():
        for tag, attrs in page.tags:
            assert not any(name.startswith("on") for name in attrs), (rel, tag, attrs)
            assert not (tag == "img" and attrs.get("src") == "x"), (rel, attrs)
            for name in ("href", "src"):
                assert not (attrs.get(name) or "").strip().lower().startswith("javascript:"), (rel, tag, attrs)
        assert not any("alert(" in s for s in page.scripts), rel


def test_title_and_description_are_text_in_title_and_meta(hostile):
    _, out = hostile
    page = pages(out)["banking/hostile/index.html"]
    assert page.title.strip() == f"{TITLE} - {DESK_NAME}"
    meta = [a for t, a in page.tags if t == "meta" and a.get("name") == "description"]
    assert [m["content"] for m in meta] == [DESCRIPTION]
    home = pages(out)["index.html"]
    assert home.title.strip() == DESK_NAME


def test_front_matter_is_shown_as_written(hostile):
    """Escaped once, not twice: the reader sees exactly the characters the author typed."""
    _, out = hostile
    parsed = pages(out)
    article = parsed["banking/hostile/index.html"].text
    assert article.count(TITLE) >= 3                       # header, nav and <h1>
    assert LINKY in article and SUBTITLE in article         # the related block; the subtitle in the nav
    assert CATEGORY_DESCRIPTION in parsed["banking/index.html"].text
    assert CATEGORY in parsed["index.html"].text and DESK_NAME in parsed["index.html"].text
    for rel, page in parsed.items():
        assert not any("&lt;" in t or "&amp;" in t for t in page.text), rel     # never escaped twice


def test_search_index_titles_are_text(hostile):
    """Material's search shows result titles as HTML, so they must be escaped in the index."""
    _, out = hostile
    index = json.loads((out / "search/search_index.json").read_text())
    for doc in index["docs"]:
        assert "<img" not in doc["title"] and "<script" not in doc["title"], doc["title"]


def test_the_contact_link_carries_the_title_as_written(hostile):
    """The feedback partial turns the escaped title back into text before it URL-encodes it."""
    from urllib.parse import quote

    _, out = hostile
    page = pages(out)["banking/hostile/index.html"]
    links = [a["href"] for t, a in page.tags if t == "a" and a.get("class") == "supportctl-contact"]
    assert links and links[0].startswith("mailto:support@ledgerly.example?subject=Feedback%3A%20"
                                         + quote(TITLE, safe="") + "%20%5Bkb%3Ahostile%5D")
