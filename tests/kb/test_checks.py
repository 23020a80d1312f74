"""`kb check`: front matter, links, duplicates, staleness, symbolic links, raw HTML, personal data."""

from __future__ import annotations

import os

from supportctl.kb.checks import check_articles, publish_problems
from supportctl.kb.links import links_of
from supportctl.kb.load import load_kb
from tests.kb.kbkit import NOW, REPO, article, codes, config, problems, write


def test_a_clean_kb_has_no_problems(tmp_path):
    write(tmp_path, {
        "kb/billing/refunds.md": article("Refunds", related="[plans]",
                                         body="See [plans](plans.md#pick-one) and [tokens](../api/tokens.md).\n"),
        "kb/billing/plans.md": article("Plans", body="## Pick one\n\nText.\n"),
        "kb/api/tokens.md": article("Tokens", body="Mail help@acme.io or someone@example.com.\n"),
    })
    assert problems(tmp_path) == []


def test_front_matter_problems(tmp_path):
    write(tmp_path, {"kb/a/x.md": article("X", extra="tgas: [a]\nsearch_boost: 2\n", tags="[Bad Tag]")
                     .replace("status: published", "status: live").replace("visibility: public", "visibility: no")})
    found = problems(tmp_path)
    messages = [p.message for p in found]
    assert "unknown key 'tgas'" in messages
    assert any(m.startswith("status 'live'") for m in messages)
    assert any("ambiguous value no" in m for m in messages)      # YAML 1.1 would read `no` as false
    assert any("tag 'Bad Tag'" in m for m in messages)
    tgas = next(p for p in found if p.message == "unknown key 'tgas'")
    assert tgas.line == 10 and tgas.hint


def test_missing_description_and_duplicates(tmp_path):
    write(tmp_path, {
        "kb/a/same.md": article("Same title", description=None),
        "kb/b/same.md": article("Same Title"),
    })
    found = codes(problems(tmp_path))
    assert ("description", "kb/a/same.md", 1) in found
    assert sum(1 for c in found if c[0] == "duplicate") == 4      # slug and title, reported on both files
    dup = [p for p in problems(tmp_path) if p.code == "duplicate"]
    assert any("slug 'same'" in p.message for p in dup) and any("title" in p.message for p in dup)


def test_broken_links_and_anchors_name_the_line(tmp_path):
    # Lines 1-10 are front matter, 11 is blank, 12 "## Intro part", 13 blank, 14 "Intro.", 15 blank.
    body = ("Intro.\n\n"
            "See [missing](nope.md) here.\n"                     # line 16
            "And [bad anchor](other.md#no-such-heading).\n"      # 17
            "And [ok](other.md#real-heading), [self](#intro-part).\n"
            "```\n[not a link](ignored.md)\n```\n"
            "An absolute [link](/billing/x/).\n"                # 22
            "`[code](skip.md)` and [image](pic.png).\n")        # 23: pic.png does not exist in kb/
    write(tmp_path, {"kb/a/one.md": article("One", body="## Intro part\n\n" + body),
                     "kb/a/other.md": article("Other", body="## Real heading\n\nText.\n")})
    found = [(p.code, p.line) for p in problems(tmp_path)]
    assert found == [("link", 16), ("anchor", 17), ("link", 22), ("link", 23)]


def test_public_articles_must_not_link_unpublished_or_internal_ones(tmp_path):
    write(tmp_path, {
        "kb/a/public.md": article("Public", related="[draft]", body="See [runbook](internal.md).\n"),
        "kb/a/internal.md": article("Runbook", visibility="internal", body="See [public](public.md).\n"),
        "kb/a/draft.md": article("Draft", status="draft"),
    })
    found = problems(tmp_path)
    leaks = [(p.path, p.line, p.blocking) for p in found if p.code == "leak"]
    assert ("kb/a/public.md", 12, True) in leaks            # the link in the body (line 12 of the file)
    assert ("kb/a/public.md", 9, True) in leaks             # the related: line
    assert not [p for p in found if p.path == "kb/a/internal.md"]   # internal -> public is fine


def test_problems_in_drafts_do_not_block_the_site(tmp_path):
    write(tmp_path, {"kb/a/draft.md": article("Draft", status="draft", body="[x](missing.md)\n")})
    (p,) = problems(tmp_path)
    assert p.code == "link" and not p.blocking


def test_stale_articles(tmp_path):
    write(tmp_path, {"kb/a/old.md": article("Old", updated="2025-10-01"),
                     "kb/a/fresh.md": article("Fresh", updated="2026-06-01"),
                     "kb/a/old-draft.md": article("Old draft", status="draft", updated="2020-01-01")})
    found = [(p.code, p.path, p.blocking) for p in problems(tmp_path)]
    assert found == [("stale", "kb/a/old.md", False)]
    assert problems(tmp_path, config(stale_after_months=3))[0].code == "stale"
    assert len(problems(tmp_path, config(stale_after_months=3))) == 2


def test_the_sample_kb_is_real_and_clean():
    cfg = None
    if (REPO / "supportctl.yml").exists():
        from supportctl.config.model import load_config

        cfg = load_config(REPO / "supportctl.yml")
    kb = load_kb(REPO, cfg)
    public = kb.public()
    assert len(kb.articles) >= 20 and len(public) >= 20
    assert len({a.category for a in public}) >= 5
    assert any(a.status == "draft" for a in kb.articles) and any(a.visibility == "internal" for a in kb.articles)
    assert all(a.tags for a in public) and all(a.description for a in public)
    cross_links = sum(1 for a in public for link in links_of(a)
                      if link.target.endswith(".md") or ".md#" in link.target)
    assert cross_links >= 20
    assert all(len(a.body.split()) >= 60 for a in public), "sample articles are real, not stubs"
    found = check_articles(kb, cfg, NOW)
    assert found == [], "\n".join(str(p) for p in found)


def test_a_linked_file_that_is_a_symlink_is_reported_and_blocks(tmp_path):
    write(tmp_path, {"kb/account/vars.md": article("Vars", body="Download [the list](env.txt).\n")})
    os.symlink("/proc/self/environ", tmp_path / "kb/account/env.txt")
    found = problems(tmp_path)
    assert [(p.code, p.path, p.line, p.blocking) for p in found] == [
        ("symlink", "kb/account/env.txt", None, True), ("link", "kb/account/vars.md", 12, True)]
    assert "symbolic link" in found[1].message


def test_raw_html_is_refused_unless_the_desk_allows_it(tmp_path):
    body = ("Intro with <https://acme.example/x> and <help@acme.io>, `<b>code</b>` and a < b.\n"   # 12: all fine
            "<script>alert(1)</script>\n"                                                         # 13
            "<img src=x onerror=alert()>\n"                                                        # 14
            "```html\n<div>in a code block</div>\n```\n"                                           # 15-17: fine
            '<pre class="mermaid">graph</pre>\n'                                                   # 18
            "[click](javascript:alert(1)) and [ok](https://acme.example)\n"                        # 19
            'A paragraph.\n{ onclick="alert(1)" }\n'                                               # 20, 21
            "<!-- a comment -->\n")                                                                # 22: fine
    write(tmp_path, {"kb/a/page.md": article("Page", body=body),
                     "kb/a/draft.md": article("Draft", status="draft", body="<b>bold</b>\n")})
    found = [(p.path, p.line, p.blocking) for p in problems(tmp_path) if p.code == "html"]
    assert found == [("kb/a/draft.md", 12, False), ("kb/a/page.md", 13, True), ("kb/a/page.md", 14, True),
                     ("kb/a/page.md", 18, True), ("kb/a/page.md", 19, True), ("kb/a/page.md", 21, True)]
    messages = [p.message for p in problems(tmp_path) if p.code == "html"]
    assert messages[1] == "raw HTML <script> in the body" and messages[4] == "a javascript: link in the body"
    assert [p for p in problems(tmp_path, config(allow_html=True)) if p.code == "html"] == []
    write(tmp_path, {"kb/_home.md": "Welcome.\n\n<script>steal()</script>\n"})
    assert [(p.path, p.line) for p in problems(tmp_path) if p.code == "html"][0] == ("kb/_home.md", 3)


def test_publishing_runs_the_html_check(tmp_path):
    write(tmp_path, {"kb/a/draft.md": article("Draft", status="draft", body="<script>x()</script>\n")})
    kb = load_kb(tmp_path, config())
    a = kb.get("draft")
    text = "---\n" + a.fm_text.replace("status: draft", "status: published") + "---\n" + a.body
    assert [p.code for p in publish_problems(kb, a, text, config(), NOW)] == ["html"]


def test_personal_data_in_every_published_text(tmp_path):
    write(tmp_path, {
        "kb/a/page.md": article("Page", extra="subtitle: Ask jane@gmail.com\n"),
        "kb/a/_category.yml": "title: Account\ndescription: Or call +49 30 1234 5678\n",
        "kb/b/page-b.md": article("Page B"),
        "kb/c/draft.md": article("Draft", status="draft"),
        "kb/c/_category.yml": "description: bob@gmail.com (not on the site: no public article)\n",
        "kb/_home.md": "Welcome!\n\nWrite to sam@gmail.com.\n",
    })
    cfg = config(categories={"b": {"title": "Mail ann@gmail.com"}})
    found = [(p.path, p.line, p.message) for p in problems(tmp_path, cfg) if p.code == "personal-data"]
    assert found == [("kb/_home.md", 3, "email address 'sam@gmail.com' on the home page"),
                     ("kb/a/_category.yml", 2, "phone number '+49 30 1234 5678' in the description of category a"),
                     ("kb/a/page.md", 10, "email address 'jane@gmail.com' in the subtitle"),
                     ("supportctl.yml", None, "email address 'ann@gmail.com' in the title of category b")]
