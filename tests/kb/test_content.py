"""Content checks: what renders wrong on the help site or reads unfinished is caught before publishing."""

from __future__ import annotations

import json

from supportctl.kb.content import boilerplate_lines, images_without_alt, shallow_nested_lists, skipped_headings
from supportctl.kb.edits import DEFAULT_TEMPLATE


def test_a_sub_list_indented_by_three_spaces_is_found_and_four_is_fine():
    body = "1. Choose:\n   - draft,\n   - approve\n2. Save.\n\n1. Choose:\n    - draft\n2. Save.\n"
    assert list(shallow_nested_lists(body)) == [(1, 3), (2, 3)]


def test_indented_lines_that_are_not_under_a_list_are_not_nested_lists():
    body = "Some text\n\n  - a list that starts indented\n\n```\n1. x\n   - code, not a list\n```\n"
    assert list(shallow_nested_lists(body)) == []


def test_boilerplate_comes_from_the_template_body_not_its_headings():
    lines = boilerplate_lines([DEFAULT_TEMPLATE])
    assert "Start with one or two sentences that answer the question directly." in lines
    assert "1. First step." in lines
    assert not any(line.startswith("#") or "{{" in line for line in lines)


def test_images_without_alt_text():
    body = "![Export button](a.png)\n![](b.png)\n![ ](c.png)\n<img src=d.png>\n<img alt=\"Chart\" src=e.png>\n"
    assert list(images_without_alt(body)) == [1, 2, 3]


def test_headings_that_skip_a_level_after_the_title():
    body = "### Too deep for the first\n\n## Fine\n\n#### Skips three\n\n```\n###### in code\n```\n"
    assert list(skipped_headings(body)) == [(0, 3, 2), (4, 4, 3)]


def test_kb_new_then_publish_refuses_the_template_text(desk, cli):
    cli("kb", "new", "Export more rows", "--category", "getting-started", "--description", "Exports of any size.")
    result = cli("kb", "status", "export-more-rows", "published", ok=False)
    assert result.exit_code == 1
    assert "template text left in: 'Start with one or two sentences" in result.stderr
    assert "status: draft" in (desk / "kb" / "getting-started" / "export-more-rows.md").read_text()


def test_check_reports_each_content_problem_with_its_line(desk, cli):
    article = desk / "kb" / "getting-started" / "steps.md"
    article.write_text("---\ntitle: Steps\ndescription: How to do it.\nstatus: published\nvisibility: public\n"
                       "updated: 2026-03-01\n---\n\n1. Open it:\n   - here\n2. Done.\n\n![](shot.png)\n\n"
                       "#### Deep\n")
    (desk / "kb" / "getting-started" / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    data = json.loads(cli("kb", "check", "--json", ok=False).stdout)
    found = {(p["code"], p["line"]) for p in data if p["path"].endswith("steps.md")}
    assert {("list", 10), ("image", 13), ("heading", 15)} <= found
