"""Edits to KB files: every value supportctl writes reads back as written, and cannot add keys."""

from __future__ import annotations

from datetime import date

import pytest

from supportctl.base.yamlio import load_fast
from supportctl.errors import SupportctlError, UsageError
from supportctl.kb.edits import (DEFAULT_TEMPLATE, category_file_text, edit_front_matter, forget_ticket, new_article,
                                 record_ticket, set_status)
from supportctl.kb.load import article_template, load_kb
from supportctl.kb.model import parse_article
from tests.kb.kbkit import REPO, article, config, write

TODAY = date(2026, 11, 23)


def test_set_status_is_a_minimal_round_trip_edit(tmp_path):
    text = article("Refunds", status="draft", extra="# keep this comment\n")
    a = parse_article(text, "kb/billing/refunds.md")
    new, message = set_status(a, "published", date(2026, 11, 23))
    old_lines, new_lines = text.splitlines(), new.splitlines()
    changed = [(o, n) for o, n in zip(old_lines, new_lines) if o != n]
    assert changed == [("status: draft", "status: published"), ("updated: 2026-10-01", "updated: 2026-11-23")]
    assert len(old_lines) == len(new_lines) and message == "kb refunds: draft -> published"
    assert "# keep this comment" in new


def test_record_ticket_appends_once(tmp_path):
    a = parse_article(article("Refunds"), "kb/billing/refunds.md")
    once = record_ticket(a, "7QH2KD")
    b = parse_article(once, a.path)
    assert b.tickets == ["7QH2KD"]
    twice = record_ticket(parse_article(record_ticket(b, "8ABCDE"), a.path), "7QH2KD")
    assert parse_article(twice, a.path).tickets == ["7QH2KD", "8ABCDE"]
    assert twice.endswith(a.body)


def test_edit_front_matter_keeps_the_body_byte_for_byte():
    body = "Line with trailing spaces   \n\n```\n---\n```\n"
    a = parse_article(article("X", body=body), "kb/a/x.md")
    assert edit_front_matter(a, {"status": "review"}).endswith("---\n\n" + body)


def test_new_article_from_the_default_and_a_desk_template(tmp_path):
    kb = load_kb(tmp_path, config())
    rel, text = new_article(kb, title="Reset your password: a guide", category="account",
                            tags=["login"], owner="alice", today=date(2026, 11, 23))
    a = parse_article(text, rel)
    assert rel == "kb/account/reset-your-password-a-guide.md"
    assert (a.title, a.status, a.visibility, a.tags, a.owner) == ("Reset your password: a guide", "draft", "public",
                                                                 ["login"], "alice")
    write(tmp_path, {"templates/kb/howto.md": "---\ntitle: {{ title }}\nstatus: draft\nvisibility: {{ visibility }}\n"
                                              "---\n\n{{ nope }}\n"})
    from supportctl.errors import SupportctlError

    with pytest.raises(SupportctlError, match="nope"):       # missing variables are errors, not blanks
        new_article(kb, title="T", category="a", template=article_template(tmp_path, "howto"),
                    today=date(2026, 1, 1))


def new(tmp_path, **kw):
    kw = {"title": "T", "category": "a", "today": TODAY, **kw}
    rel, text = new_article(load_kb(tmp_path, config()), **kw)
    return parse_article(text, rel)


def test_new_article_values_cannot_add_front_matter_keys(tmp_path):
    with pytest.raises(UsageError, match="one line"):
        new(tmp_path, owner="bob\nstatus: published")
    for bad in ("billing\n", "a/../b", "Billing"):
        with pytest.raises(UsageError, match="folder name"):
            new(tmp_path, category=bad)
    with pytest.raises(UsageError, match="control character"):
        new(tmp_path, title="T\x1b[31m")
    a = new(tmp_path, title="Reset\nstatus: published", description="One.\nvisibility: internal",
            tags=["yes", "on"], owner="no")
    assert (a.title, a.description, a.status, a.visibility) == ("Reset status: published",
                                                                "One. visibility: internal", "draft", "public")
    assert (a.tags, a.owner) == (["yes", "on"], "no")                 # quoted, not read as booleans
    assert set(a.meta) == {"title", "description", "status", "visibility", "tags", "owner", "updated", "related"}


def test_the_built_in_template_is_the_sample_desks():
    assert (REPO / "templates/kb/article.md").read_text() == DEFAULT_TEMPLATE


def test_a_template_writing_values_raw_cannot_change_them(tmp_path):
    """Desks made before the template quoted owner and tags still write them raw; the read-back refuses a change."""
    old = DEFAULT_TEMPLATE.replace("{{ tags | yaml }}", '[{{ tags | join(", ") }}]').replace("{{ owner | yaml }}",
                                                                                              "{{ owner }}")
    assert new(tmp_path, template=old, owner="alice", tags=["login"]).owner == "alice"
    assert new(tmp_path, template=old).owner is None                 # no owner: null, as before
    for owner in ("bob # note", "yes", "[a, b]"):
        with pytest.raises(SupportctlError, match="writes owner as"):
            new(tmp_path, template=old, owner=owner)
    with pytest.raises(SupportctlError, match="writes tags as"):
        new(tmp_path, template=old, tags=["off"])


def test_new_articles_start_as_drafts(tmp_path):
    published = DEFAULT_TEMPLATE.replace("status: draft", "status: published")
    with pytest.raises(SupportctlError, match="new articles are drafts"):
        new(tmp_path, template=published)
    assert new(tmp_path, template=DEFAULT_TEMPLATE.replace("status: draft", "status: review")).status == "review"


def test_kb_new_reads_only_templates_kb(tmp_path):
    write(tmp_path, {"templates/outside.md": DEFAULT_TEMPLATE})
    with pytest.raises(UsageError):
        new(tmp_path, template=article_template(tmp_path, "../outside"))


def test_edits_quote_values_yaml_would_misread():
    a = parse_article(article("Refunds"), "kb/billing/refunds.md")
    for tid in ("yes", "ON", "1:20", "0123", "a\nb: c"):
        b = parse_article(record_ticket(a, tid), a.path)
        assert b.tickets == [tid] and set(b.meta) == set(a.meta) | {"tickets"}
        assert parse_article(forget_ticket(parse_article(record_ticket(b, "Z1"), a.path), "Z1"), a.path).tickets == [tid]
    assert "  - 7QH2KD\n" in record_ticket(a, "7QH2KD")                 # plain where plain reads back the same
    assert parse_article(edit_front_matter(a, {"owner": "no"}), a.path).owner == "no"


def test_category_file_text_is_one_line_per_key():
    assert load_fast(category_file_text("Billing\nstatus: x", 10, "yes")) == {
        "title": "Billing status: x", "order": 10, "description": "yes"}
