"""The KB core: article format, categories, checks and edits (no CLI)."""

from __future__ import annotations

import textwrap
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from supportctl.config.model import Config
from supportctl.kb.checks import check_articles
from supportctl.kb.edits import edit_front_matter, new_article, record_ticket, set_status
from supportctl.kb.links import links_of
from supportctl.kb.load import load_kb
from supportctl.kb.model import parse_article
from supportctl.kb.privacy import pii_findings

REPO = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)


def config(**kb) -> Config:
    return Config.model_validate({"desk": {"name": "Acme Help", "support_email": "help@acme.io"},
                                  "agents": ["alice", "bob"], "kb": kb})


def article(title: str, *, status: str = "published", visibility: str = "public", body: str = "Text.\n",
            description: str | None = "What it is about.", updated: str = "2026-10-01", tags: str = "[billing]",
            related: str = "[]", extra: str = "") -> str:
    desc = f"description: {description}\n" if description is not None else ""
    return (f"---\ntitle: {title}\n{desc}status: {status}\nvisibility: {visibility}\ntags: {tags}\n"
            f"owner: alice\nupdated: {updated}\nrelated: {related}\n{extra}---\n\n{body}")


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if rel.endswith(".yml") else text, encoding="utf-8")
    return root


def problems(root: Path, cfg: Config | None = None, now: datetime = NOW):
    return check_articles(load_kb(root, cfg or config()), cfg or config(), now)


def codes(found) -> list[tuple[str, str, int | None]]:
    return [(p.code, p.path, p.line) for p in found]


# ----------------------------------------------------------------- reading


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


# ------------------------------------------------------------------ checks


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


def test_personal_data_in_public_articles(tmp_path):
    body = ("Write to jane.doe@gmail.com or call +49 30 1234 5678.\n"
            "US office: (415) 555-2671. Our address: help@acme.io, demo@example.com, bot@shop.example.\n"
            "Invoice LGR-2026-10481 of 2026-11-20, version 4.12.1, test card 4242 4242 4242 4242.\n")
    write(tmp_path, {"kb/a/pii.md": article("PII", body=body),
                     "kb/a/internal.md": article("Internal", visibility="internal", body=body)})
    found = [(p.message, p.line) for p in problems(tmp_path) if p.code == "personal-data"]
    assert found == [("email address 'jane.doe@gmail.com' in a public article", 12),
                     ("phone number '+49 30 1234 5678' in a public article", 12),
                     ("phone number '(415) 555-2671' in a public article", 13)]
    cfg = config(pii_allow=["gmail.com", "+49 30 1234 5678", "(415) 555-2671"])
    assert [p for p in problems(tmp_path, cfg) if p.code == "personal-data"] == []


def test_pii_findings_ignores_dates_and_versions():
    assert pii_findings("Released 2026-11-20 as 10.2.3.4567, order 12345678.", []) == []


# ------------------------------------------------------------------- edits


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
    rel, text = new_article(tmp_path, kb, title="Reset your password: a guide", category="account",
                            tags=["login"], owner="alice", today=date(2026, 11, 23))
    a = parse_article(text, rel)
    assert rel == "kb/account/reset-your-password-a-guide.md"
    assert (a.title, a.status, a.visibility, a.tags, a.owner) == ("Reset your password: a guide", "draft", "public",
                                                                 ["login"], "alice")
    write(tmp_path, {"templates/kb/howto.md": "---\ntitle: {{ title }}\nstatus: draft\nvisibility: {{ visibility }}\n"
                                              "---\n\n{{ nope }}\n"})
    from supportctl.errors import SupportctlError

    with pytest.raises(SupportctlError, match="nope"):       # missing variables are errors, not blanks
        new_article(tmp_path, kb, title="T", category="a", template="howto", today=date(2026, 1, 1))


# ------------------------------------------------------------- sample desk


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
