"""Reading kb/: articles, categories, the home page and templates; symbolic links are never followed."""

from __future__ import annotations

import os
from datetime import date

import pytest

from supportctl.errors import NotFound, SupportctlError, UsageError
from supportctl.kb.load import article_template, load_kb
from tests.kb.kbkit import article, codes, config, problems, write


def test_article_fields_and_categories(tmp_path):
    write(tmp_path, {
        "kb/billing/_category.yml": "title: Billing & money\norder: 5\ndescription: Paying us.\n",
        "kb/billing/refunds.md": article("Refunds", tags="[billing, refunds]", related="[plans]"),
        "kb/billing/plans.md": article("Plans", status="draft"),
        "kb/api/tokens.md": article("API tokens", visibility="internal"),
    })
    kb = load_kb(tmp_path, config())
    assert [c.name for c in kb.ordered_categories()] == ["billing", "api"]
    assert kb.categories["billing"].title == "Billing & money"
    assert kb.categories["api"].title == "Api"           # no _category.yml: from the folder name
    a = kb.get("refunds")
    assert (a.category, a.slug, a.tags, a.related, a.updated) == ("billing", "refunds", ["billing", "refunds"],
                                                                  ["plans"], date(2026, 10, 1))
    assert a.public and not kb.get("plans").public and not kb.get("tokens").public
    assert a.line_of("tags") == 6 and a.body_line == 11
    assert [x.slug for x in kb.public()] == ["refunds"]


def test_category_from_config_overrides_file(tmp_path):
    write(tmp_path, {"kb/billing/_category.yml": "title: Billing\norder: 5\n", "kb/billing/a.md": article("A")})
    kb = load_kb(tmp_path, config(categories={"billing": {"title": "Money", "order": 1}}))
    assert (kb.categories["billing"].title, kb.categories["billing"].order) == ("Money", 1)


def test_unreadable_front_matter_is_a_problem_with_a_line(tmp_path):
    write(tmp_path, {"kb/a/x.md": "---\ntitle: [unclosed\n---\nbody\n", "kb/a/y.md": "no front matter\n"})
    found = problems(tmp_path)
    assert ("front-matter", "kb/a/x.md", 3) in codes(found) or ("front-matter", "kb/a/x.md", 2) in codes(found)
    assert ("front-matter", "kb/a/y.md", 1) in codes(found)


def test_a_symlinked_article_is_reported_and_not_read(tmp_path):
    outside = write(tmp_path / "outside", {"secret.md": article("Secret", body="jane@gmail.com\n")}) / "secret.md"
    write(tmp_path, {"kb/a/real.md": article("Real")})
    os.symlink(outside, tmp_path / "kb/a/secret.md")
    kb = load_kb(tmp_path, config())
    assert [a.slug for a in kb.articles] == ["real"]
    (p,) = kb.problems
    assert (p.code, p.path, p.blocking) == ("symlink", "kb/a/secret.md", True) and "symbolic link" in p.message
    assert p.hint


def test_symlinked_folders_category_files_and_home_page_are_not_followed(tmp_path):
    outside = write(tmp_path / "outside", {"x.md": article("X"), "cat.yml": "title: Leaked\n", "home.md": "Leaked\n"})
    write(tmp_path, {"kb/a/one.md": article("One")})
    os.symlink(outside, tmp_path / "kb/evil")
    os.symlink(outside / "cat.yml", tmp_path / "kb/a/_category.yml")
    os.symlink(outside / "home.md", tmp_path / "kb/_home.md")
    kb = load_kb(tmp_path, config())
    assert list(kb.categories) == ["a"] and kb.categories["a"].title == "A" and kb.categories["a"].path is None
    assert kb.home is None and [a.slug for a in kb.articles] == ["one"]
    assert sorted(codes(kb.problems)) == [("symlink", "kb/_home.md", None), ("symlink", "kb/a/_category.yml", None),
                                          ("symlink", "kb/evil", None)]


def test_files_in_kb_are_assets_only_when_regular(tmp_path):
    write(tmp_path, {"kb/a/one.md": article("One"), "kb/a/pic.png": "png", "kb/_partials/note.md": "partial\n"})
    os.symlink("/proc/self/environ", tmp_path / "kb/a/env.txt")
    kb = load_kb(tmp_path, config())
    assert kb.assets == {"kb/a/pic.png", "kb/_partials/note.md"}
    assert [a.path for a in kb.articles] == ["kb/a/one.md"]            # `_` folders hold no articles


def test_article_templates_come_from_templates_kb_only(tmp_path):
    write(tmp_path, {"templates/outside.md": "---\ntitle: x\nstatus: draft\nvisibility: public\n---\n",
                     "templates/kb/howto.md": "---\ntitle: {{ title }}\n---\n", "elsewhere/t.md": "x\n"})
    assert article_template(tmp_path, "howto").startswith("---\ntitle:")
    assert article_template(tmp_path, None) is None                   # no article.md: the built-in one
    for name in ("../outside", "../../elsewhere/t", "/etc/passwd", "kb/howto", ".hidden", "how to"):
        with pytest.raises(UsageError, match="plain name"):
            article_template(tmp_path, name)
    with pytest.raises(NotFound):
        article_template(tmp_path, "nope")
    os.symlink(tmp_path / "elsewhere/t.md", tmp_path / "templates/kb/linked.md")
    os.symlink(tmp_path / "elsewhere/t.md", tmp_path / "templates/kb/article.md")
    with pytest.raises(SupportctlError, match="symbolic link"):
        article_template(tmp_path, "linked")
    with pytest.raises(SupportctlError, match="symbolic link"):
        article_template(tmp_path, None)


def test_problems_of_the_loader_reach_the_checks(tmp_path):
    write(tmp_path, {"kb/a/one.md": article("One")})
    os.symlink(tmp_path / "kb/a/one.md", tmp_path / "kb/a/two.md")
    assert [(p.code, p.path) for p in problems(tmp_path)] == [("symlink", "kb/a/two.md")]
    assert load_kb(tmp_path).get("one").updated == date(2026, 10, 1)
