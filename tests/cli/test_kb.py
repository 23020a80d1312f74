"""`supportctl kb`, `supportctl site` and `ticket reply --kb` through the CLI, in a real git desk."""

from __future__ import annotations

import json

from tests.conftest import git, new_ticket


def article_file(root, rel: str, *, status: str = "published", visibility: str = "public", body: str = "Text.\n",
                 title: str = "Refund a payment", updated: str = "2026-03-01", tags: str = "[billing]") -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\ntitle: {title}\ndescription: How to refund.\nstatus: {status}\nvisibility: {visibility}\n"
                    f"tags: {tags}\nowner: alice\nupdated: {updated}\nrelated: []\n---\n\n{body}")
    git(root, "add", rel)
    git(root, "commit", "-qm", f"add {rel}")


def last_commit(root) -> tuple[str, list[str]]:
    subject = git(root, "log", "-1", "--format=%s").strip()
    files = git(root, "show", "--name-only", "--format=", "HEAD").split()
    return subject, files


def test_new_writes_a_draft_from_the_template_and_commits(desk, cli):
    result = cli("kb", "new", "How do I export to CSV?", "--category", "data", "--tag", "export",
                 "--description", "Exports", "--at", "2026-03-02T10:00:00+01:00")
    rel = result.stdout.strip()
    assert rel == "kb/data/how-do-i-export-to-csv.md"
    text = (desk / rel).read_text()
    assert "status: draft" in text and "owner: alice" in text and "updated: 2026-03-02" in text
    subject, files = last_commit(desk)
    assert subject == "kb how-do-i-export-to-csv: new public draft"
    assert sorted(files) == ["kb/data/_category.yml", rel]        # a new category gets its _category.yml
    again = cli("kb", "new", "How do I export to CSV?", "--category", "data", ok=False)
    assert again.exit_code == 1 and "already exists" in again.stderr


def test_list_filters_and_json(desk, cli, monkeypatch):
    article_file(desk, "kb/billing/refunds.md", tags="[billing, refunds]")
    article_file(desk, "kb/billing/plans.md", title="Plans", status="draft")
    article_file(desk, "kb/billing/runbook.md", title="Runbook", visibility="internal", updated="2025-01-01")
    monkeypatch.setenv("SUPPORTCTL_NOW", "2026-03-10T12:00:00+00:00")
    slugs = lambda *args: [a["slug"] for a in json.loads(cli("kb", "list", "--json", *args).stdout)]  # noqa: E731
    assert slugs("--category", "billing") == ["plans", "refunds", "runbook"]
    assert slugs("--status", "draft") == ["plans"]
    assert slugs("--visibility", "internal") == ["runbook"]
    assert slugs("--tag", "refunds") == ["refunds"]
    assert slugs("--stale") == ["runbook"]
    assert slugs("--owner", "bob") == []
    item = json.loads(cli("kb", "list", "--json", "--tag", "refunds").stdout)[0]
    assert item["status"] == "published" and item["path"] == "kb/billing/refunds.md" and item["url"]
    assert cli("kb", "list", "--status", "bogus", ok=False).exit_code == 2
    assert "refunds" in cli("kb", "list").stdout


def test_show_and_status_changes_are_committed(desk, cli):
    article_file(desk, "kb/billing/refunds.md", status="draft")
    cli("kb", "status", "refunds", "review", "--as", "bob")
    subject, files = last_commit(desk)
    assert (subject, files) == ("kb refunds: draft -> review", ["kb/billing/refunds.md"])
    assert git(desk, "log", "-1", "--format=%an").strip() == "Bob Brown"
    cli("kb", "status", "refunds", "published", "--at", "2026-04-01T09:00:00+02:00")
    shown = json.loads(cli("kb", "show", "refunds", "--json").stdout)
    assert shown["status"] == "published" and shown["updated"] == "2026-04-01"
    assert shown["url"].endswith("/billing/refunds/") and shown["body"].strip() == "Text."
    assert "Refund a payment" in cli("kb", "show", "ref").stdout               # a unique prefix is enough
    same = cli("kb", "status", "refunds", "published", ok=False)
    assert same.exit_code == 1 and "already published" in same.stderr
    assert cli("kb", "show", "nope", ok=False).exit_code == 1


def test_publishing_refuses_an_article_with_blocking_problems(desk, cli):
    article_file(desk, "kb/billing/refunds.md", status="review", body="Call me on +44 20 7946 0958.\n")
    result = cli("kb", "status", "refunds", "published", ok=False)
    assert result.exit_code == 1
    assert "kb/billing/refunds.md:12: phone number" in result.stderr and "cannot be published" in result.stderr
    assert "status: review" in (desk / "kb/billing/refunds.md").read_text()


def test_check_exits_1_with_file_line_and_hint(desk, cli):
    assert cli("kb", "check").exit_code == 0
    article_file(desk, "kb/billing/refunds.md", body="See [plans](plans.md).\n")
    result = cli("kb", "check", ok=False)
    assert result.exit_code == 1
    assert "error: kb/billing/refunds.md:12: broken link 'plans.md'" in result.stderr and "hint:" in result.stderr
    problems = json.loads(cli("kb", "check", "--json", ok=False).stdout)
    assert [(p["code"], p["line"], p["blocking"]) for p in problems] == [("link", 12, True)]
    assert cli("check", ok=False).exit_code == 1                              # `supportctl check` includes it


def test_suggest_ranks_articles_for_a_ticket(desk, cli):
    article_file(desk, "kb/data/export.md", title="Export your data to CSV", tags="[export]",
                 body="A quick export stops at 1,000 rows; use the full export.\n")
    article_file(desk, "kb/account/password.md", title="Reset your password", tags="[login]",
                 body="Use Forgot password on the sign-in page.\n")
    tid = new_ticket(cli, title="CSV export stops at 1000 rows", message="Our export is cut off after 1000 rows.")
    hits = json.loads(cli("kb", "suggest", tid, "--json").stdout)
    assert hits[0]["slug"] == "export" and hits[0]["score"] > 0 and "rows" in hits[0]["snippet"]
    assert [h["slug"] for h in hits] == ["export"]
    text = cli("kb", "suggest", "--text", "forgot my password").stdout
    assert text.startswith("1. Reset your password  password  score ")
    assert cli("kb", "suggest", ok=False).exit_code == 2


def test_reply_with_kb_links_both_files_in_one_commit(desk, cli):
    article_file(desk, "kb/data/export.md", title="Export your data to CSV")
    tid = new_ticket(cli, title="Export fails")
    cli("ticket", "reply", tid, "-m", "Hi Dana, the full export handles this.", "--kb", "export",
        "--at", "2026-03-02T10:00:00+01:00")
    subject, files = last_commit(desk)
    ticket_path = next(f for f in files if f.startswith("tickets/"))
    assert sorted(files) == sorted(["kb/data/export.md", ticket_path]) and "kb export" in subject
    ticket = json.loads(cli("ticket", "show", tid, "--json").stdout)
    reply = [m for m in ticket["history"] if m.get("role") == "agent" and m["kind"] == "message"][-1]
    assert reply["body"] == "Hi Dana, the full export handles this.\n\nExport your data to CSV: https://help.test.example/data/export/"
    assert ticket["kb"] == ["export"]
    assert "tickets:\n  - " + tid in (desk / "kb/data/export.md").read_text()
    internal = cli("ticket", "reply", tid, "-m", "x", "--kb", "nope", ok=False)
    assert internal.exit_code == 1


def test_reply_refuses_internal_articles(desk, cli):
    article_file(desk, "kb/billing/runbook.md", title="Runbook", visibility="internal")
    tid = new_ticket(cli)
    result = cli("ticket", "reply", tid, "--kb", "runbook", ok=False)
    assert result.exit_code == 1 and "no public link" in result.stderr


def test_list_used_counts_solved_tickets(desk, cli):
    article_file(desk, "kb/data/export.md", title="Export your data to CSV")
    article_file(desk, "kb/account/password.md", title="Reset your password")
    solved, open_ = new_ticket(cli), new_ticket(cli)
    cli("ticket", "reply", solved, "--kb", "export", "--status", "solved", "--at", "2026-03-02T10:00:00+01:00")
    cli("ticket", "reply", open_, "--kb", "export", "--at", "2026-03-02T10:00:00+01:00")
    rows = json.loads(cli("kb", "list", "--used", "--json").stdout)
    assert [(r["slug"], r["resolved"], r["linked"]) for r in rows] == [("export", 1, 2), ("password", 0, 0),
                                                                        ("welcome", 0, 0)]
    assert cli("kb", "list", "--used").stdout.splitlines()[0].startswith("RESOLVED  LINKED")


def test_site_build_of_a_new_desk(desk, cli, tmp_path):
    result = cli("site", "build", "--out", tmp_path / "site", "--json")
    report = json.loads(result.stdout)
    assert report["articles"] == 1 and "index.md" in report["generated"]
    assert (tmp_path / "site/getting-started/welcome/index.html").is_file()
    assert "Test Desk" in (tmp_path / "site/index.html").read_text()          # desk name from supportctl.yml
    assert git(desk, "status", "--porcelain").strip() == ""                   # staged docs are git-ignored
    article_file(desk, "kb/billing/refunds.md", body="Broken [link](nowhere.md).\n")
    failed = cli("site", "build", "--out", tmp_path / "site", ok=False)
    assert failed.exit_code == 1 and "broken link" in failed.stderr


def test_categories(desk, cli):
    rows = json.loads(cli("kb", "categories", "--json").stdout)
    assert rows == [{"name": "getting-started", "title": "Getting started", "order": 10,
                     "description": "First steps and how to reach us.", "articles": 1, "public": 1}]


def test_reply_kb_needs_the_sites_public_address(desk, cli):
    """Without desk.url the link would be site-relative: dead in an email, so it is refused."""
    config = desk / "supportctl.yml"
    config.write_text(config.read_text().replace("  url: https://help.test.example\n", ""))
    tid = new_ticket(cli)
    before = (desk / "tickets" / f"{tid}.md").read_text()
    r = cli("ticket", "reply", tid, "--kb", "welcome", "-m", "See this", ok=False)
    assert r.exit_code == 1 and "no public address" in r.stderr and "desk.url" in r.stderr
    assert (desk / "tickets" / f"{tid}.md").read_text() == before


def test_init_url_goes_into_the_config(tmp_path, cli):
    root = tmp_path / "d"
    cli("init", root, "--timezone", "UTC", "--agent", "al", "--url", "https://help.acme.example")
    assert "  url: https://help.acme.example" in (root / "supportctl.yml").read_text()
    assert cli("-C", root, "check", ok=False).exit_code == 0


def test_new_refuses_an_owner_that_would_add_keys_and_writes_nothing(desk, cli):
    before = git(desk, "rev-parse", "HEAD")
    r = cli("kb", "new", "Refunds", "--category", "billing", "--owner", "bob\nstatus: published", ok=False)
    assert r.exit_code == 2 and "one line" in r.stderr
    assert not (desk / "kb/billing").exists() and git(desk, "rev-parse", "HEAD") == before


def test_new_reads_templates_from_templates_kb_only(desk, cli):
    (desk / "templates/outside.md").write_text("---\ntitle: x\nstatus: draft\nvisibility: public\n---\nSECRET\n")
    r = cli("kb", "new", "Refunds", "--category", "billing", "--template", "../outside", ok=False)
    assert r.exit_code == 2 and "plain name" in r.stderr and not (desk / "kb/billing").exists()


def test_check_reports_symlinks_in_kb_and_the_rest_keeps_working(desk, cli):
    import os

    os.symlink("/proc/self/environ", desk / "kb/getting-started/env.txt")
    for args in (("kb", "check"), ("check",)):
        r = cli(*args, ok=False)
        assert r.exit_code == 1 and "kb/getting-started/env.txt" in r.stderr and "symbolic link" in r.stderr
    assert "welcome" in cli("kb", "list").stdout


def test_site_build_ranks_popular_articles_by_the_tickets_that_solved_them(desk, cli, tmp_path):
    import re

    article_file(desk, "kb/data/export.md", title="Export your data to CSV")
    article_file(desk, "kb/account/password.md", title="Reset your password")
    solved, feedback = new_ticket(cli), new_ticket(cli)
    cli("ticket", "reply", solved, "--kb", "password", "--status", "solved", "--at", "2026-03-02T10:00:00+01:00")
    cli("ticket", "tag", feedback, "kb-feedback", "--at", "2026-03-02T09:30:00+01:00")
    cli("ticket", "reply", feedback, "--kb", "export", "--status", "solved", "--at", "2026-03-02T10:00:00+01:00")
    cli("site", "build", "--out", tmp_path / "site")
    home = (tmp_path / "site/index.html").read_text()
    popular = home[home.index('id="popular"'):]
    assert ">Popular articles<" in popular
    assert re.findall(r'sc-popular__title">([^<]+)<', popular) == ["Reset your password"]   # feedback is not use


def test_usage_counts_read_from_the_index_equal_those_of_every_ticket(desk, cli):
    """`kb list --used` and the home page's popular articles read only the index entries that have `kb:`."""
    from supportctl.desk.store import Desk
    from supportctl.kb.load import load_kb
    from supportctl.kb.usage import usage_counts
    from supportctl.services.kb import linking_tickets
    from supportctl.services.session import Session

    article_file(desk, "kb/account/password.md", title="Reset your password")
    linked, feedback, plain, other = (new_ticket(cli) for _ in range(4))
    cli("ticket", "reply", linked, "--kb", "password", "--status", "solved")
    cli("ticket", "tag", feedback, "kb-feedback")
    cli("ticket", "reply", feedback, "--kb", "password")
    cli("ticket", "reply", plain, "-m", 'The "kb": in this reply is no link.')
    cli("ticket", "tag", plain, "kb")           # read (its front matter holds "kb"), and counts for nothing
    session = Session(Desk.find(override=desk))
    entries = linking_tickets(session)
    assert sorted(e.path for e in entries) == sorted(f"tickets/{t}.md" for t in (linked, feedback, plain))
    assert other and len(session.tickets.load_all().tickets) == 4       # a ticket with no `kb:` is left out
    articles = load_kb(desk, session.config).articles
    assert (usage_counts(articles, entries, session.config)
            == usage_counts(articles, session.tickets.load_all().tickets, session.config))
    assert usage_counts(articles, entries, session.config)["password"] == {"linked": 1, "resolved": 1, "feedback": 1}
