"""Macros: a reply template's `set:` block applied with its text, in one command and one commit."""

from __future__ import annotations

import json

from tests.automation.conftest import add_config, add_template, show
from tests.conftest import git, new_ticket

NEED_INFO = """\
---
description: Ask for details and wait
set:
  status: pending
  priority: high
  group: tier-2
  assignee: bob
  tags: {add: [needs-info], remove: [new-lead]}
---
Hi {{ requester.first_name }},

which file is it, for "{{ ticket.title }}"?

{{ agent.name }}
"""


def test_reply_template_applies_text_and_changes_in_one_commit(desk, cli):
    add_template(desk, "replies/need-info", NEED_INFO)
    tid = new_ticket(cli, "--tag", "new-lead")
    head = git(desk, "rev-parse", "HEAD")
    r = cli("ticket", "reply", tid, "--template", "replies/need-info", "--at", "2026-03-02T10:00:00+01:00")
    assert "macro replies/need-info" in r.stderr
    assert git(desk, "rev-list", "--count", f"{head.strip()}..HEAD") == "1\n"
    data = show(cli, tid)
    assert (data["status"], data["priority"], data["group"], data["assignee"], data["tags"]) == \
        ("pending", "high", "tier-2", "bob", ["needs-info"])
    reply, moved, event = data["history"][-3:]
    assert reply["kind"] == "message" and reply["author"] == "alice" and reply["role"] == "agent"
    # The status moves as `reply --status` moves it; the other changes are one event naming the macro.
    assert [(c["field"], c["old"], c["new"]) for c in moved["changes"]] == [("status", "new", "pending")]
    # The text starts where the template's body starts: no front matter, no blank lines from it.
    assert reply["body"] == 'Hi Dana,\n\nwhich file is it, for "Export fails"?\n\nAlice Adams'
    assert (event["author"], event["role"]) == ("alice", "agent")
    assert [(c["field"], c["old"], c["new"]) for c in event["changes"]] == [
        ("macro", None, "replies/need-info"), ("priority", "normal", "high"), ("group", None, "tier-2"),
        ("assignee", None, "bob"), ("tags", None, "needs-info"), ("tags", "new-lead", None)]


def test_explicit_status_wins_over_the_macro(desk, cli):
    add_template(desk, "replies/need-info", NEED_INFO)
    tid = new_ticket(cli)
    cli("ticket", "reply", tid, "--template", "replies/need-info", "--status", "solved")
    assert show(cli, tid)["status"] == "solved"


def test_a_failing_template_changes_nothing_and_names_template_line_and_variable(desk, cli):
    add_template(desk, "replies/broken", "---\nset: {status: pending, tags: {add: [x]}}\n---\nHi,\n\n"
                                         "{{ requester.nickname }}\n")
    tid = new_ticket(cli)
    before = (desk / "tickets" / f"{tid}.md").read_bytes()
    head = git(desk, "rev-parse", "HEAD")
    r = cli("ticket", "reply", tid, "--template", "replies/broken", ok=False)
    assert r.exit_code == 1
    assert "templates/replies/broken.md.j2:6:" in r.stderr and "nickname" in r.stderr
    assert (desk / "tickets" / f"{tid}.md").read_bytes() == before and git(desk, "rev-parse", "HEAD") == head
    # One bad ticket in a batch: none of them changes.
    other = new_ticket(cli, title="Other")
    head = git(desk, "rev-parse", "HEAD")
    r = cli("ticket", "apply", other, tid, "--macro", "replies/broken", ok=False)
    assert r.exit_code == 1 and git(desk, "rev-parse", "HEAD") == head and git(desk, "status", "--porcelain") == ""


def test_bad_front_matter_is_an_error_with_the_line(desk, cli):
    add_template(desk, "replies/typo", "---\ndescription: x\nset:\n  stauts: pending\n---\nHi\n")
    tid = new_ticket(cli)
    r = cli("ticket", "reply", tid, "--template", "replies/typo", ok=False)
    assert "templates/replies/typo.md.j2:4: front matter: unknown key 'set.stauts'" in r.stderr
    add_template(desk, "replies/nogroup", "---\nset: {group: nowhere}\n---\nHi\n")
    r = cli("ticket", "reply", tid, "--template", "replies/nogroup", ok=False)
    assert "group 'nowhere' is not defined" in r.stderr
    r = cli("check", ok=False)
    assert "typo.md.j2:4" in r.stderr and "nogroup" in r.stderr


def test_apply_a_macro_to_many_tickets_in_one_commit(desk, cli):
    add_template(desk, "replies/need-info", NEED_INFO)
    ids = [new_ticket(cli, title=f"T{i}") for i in range(3)]
    head = git(desk, "rev-parse", "HEAD")
    r = cli("ticket", "apply", *ids, "--macro", "replies/need-info", "--json")
    out = json.loads(r.stdout)
    assert [t["id"] for t in out["tickets"]] == ids
    assert git(desk, "rev-list", "--count", f"{head.strip()}..HEAD") == "1\n"
    assert git(desk, "log", "-1", "--format=%s") == "macro replies/need-info: 3 tickets by alice\n"
    for i, tid in enumerate(ids):
        data = show(cli, tid)
        assert data["status"] == "pending" and f'"T{i}"' in data["history"][-3]["body"]


def test_templates_list_show_and_render_preview_writes_nothing(desk, cli):
    add_template(desk, "replies/need-info", NEED_INFO)
    listed = {t["name"]: t for t in json.loads(cli("templates", "list", "--json").stdout)}
    assert listed["replies/need-info"]["set"]["status"] == "pending"
    assert listed["replies/need-info"]["description"] == "Ask for details and wait"
    assert "kb/article" not in listed
    shown = json.loads(cli("templates", "show", "replies/need-info", "--json").stdout)
    assert shown["path"] == "templates/replies/need-info.md.j2" and shown["source"] == NEED_INFO
    tid = new_ticket(cli)
    before = (desk / "tickets" / f"{tid}.md").read_bytes()
    head = git(desk, "rev-parse", "HEAD")
    r = cli("templates", "render", "replies/need-info", "--ticket", tid)
    assert r.stdout.startswith("Hi Dana,") and "Alice Adams" in r.stdout
    assert "would change: priority: normal -> high" in r.stderr and "status: new -> pending" in r.stderr
    data = json.loads(cli("templates", "render", "replies/need-info", "--ticket", tid, "--json").stdout)
    assert data["changes"][-1] == "status: new -> pending"
    assert (desk / "tickets" / f"{tid}.md").read_bytes() == before and git(desk, "rev-parse", "HEAD") == head
    cli("ticket", "status", tid, "closed")
    r = cli("templates", "render", "replies/need-info", "--ticket", tid)
    assert r.stdout.startswith("Hi Dana,") and "would be refused: a ticket cannot go from closed to pending" in r.stderr


def test_templates_see_linked_articles_and_no_ticket_url(desk, cli):
    add_template(desk, "replies/links", "{% for a in articles %}{{ a.title }}: {{ a.url }}\n{% endfor %}")
    add_template(desk, "replies/url", "See {{ ticket.url }}")
    tid = new_ticket(cli)
    slug = json.loads(cli("kb", "list", "--json").stdout)[0]["slug"]
    cli("ticket", "link", tid, "--kb", slug)
    r = cli("templates", "render", "replies/links", "--ticket", tid)
    assert "https://help.test.example/" in r.stdout
    r = cli("templates", "render", "replies/url", "--ticket", tid, ok=False)
    assert "url" in r.stderr and "templates/replies/url.md.j2:1" in r.stderr


def test_check_catches_broken_rules_before_they_run(desk, cli):
    add_template(desk, "replies/bad", "Hi {{ requester.nick }}")
    add_config(desk, """\
automations:
  - name: missing
    when: created
    do: {reply: replies/nope}
  - name: bad
    when: {status: pending, after: 1d}
    do: {note: replies/bad}
""")
    r = cli("check", ok=False)
    assert "automations[0] (missing): reply replies/nope: no template 'replies/nope'" in r.stderr
    assert "automations[1] (bad): note replies/bad: templates/replies/bad.md.j2:1: template:" in r.stderr
    assert "nick" in r.stderr
