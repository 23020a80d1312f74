"""Working tickets through the CLI, end to end, in a real git repository."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import git, new_ticket


def read(desk: Path, tid: str) -> str:
    return (desk / "tickets" / f"{tid}.md").read_text()


def last_commit(desk: Path) -> tuple[str, str]:
    out = git(desk, "log", "-1", "--format=%an <%ae>%x1f%s")
    author, subject = out.strip().split("\x1f")
    return author, subject


def test_new_prints_the_id_and_commits_the_file(desk, cli):
    result = cli("ticket", "new", "--title", "CSV export stops at 1,000 rows", "--from",
                 "Dana Smith <dana@example.com>", "-m", "The export stops.", "--priority", "high",
                 "--channel", "web", "--tag", "export", "--field", "plan=pro", "--at", "2026-03-02T09:00:00+01:00")
    tid = result.stdout.strip()
    assert len(tid) == 6
    text = read(desk, tid)
    assert f"id: {tid}" in text and "priority: high" in text and "channel: web" in text and "plan: pro" in text
    assert "(customer)\n\nThe export stops.\n" in text
    author, subject = last_commit(desk)
    assert author == "Alice Adams <alice@desk.example>"
    assert subject == f"ticket {tid}: new (web) CSV export stops at 1,000 rows"
    assert git(desk, "status", "--porcelain").strip() == ""


def test_new_json_prints_the_whole_ticket(desk, cli):
    result = cli("ticket", "new", "--title", "Invoice PDF blank", "--from", "ops@acme.example", "-m", "Blank PDF",
                 "--json", "--at", "2026-03-02T09:00:00+01:00")
    data = json.loads(result.stdout)
    assert data["title"] == "Invoice PDF blank" and data["status"] == "new" and data["category"] == "new"
    assert data["requester"] == {"name": "ops", "email": "ops@acme.example"}
    assert data["created"] == "2026-03-02T09:00:00+01:00"
    assert data["history"][0]["role"] == "customer" and data["history"][0]["body"] == "Blank PDF"


def test_reply_opens_a_new_ticket_and_pending_pauses(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "reply", tid, "-m", "Looking into it.", "--at", "2026-03-02T09:30:00+01:00", "--as", "bob")
    data = json.loads(cli("ticket", "show", tid, "--json").stdout)
    assert data["status"] == "open"
    kinds = [(h["kind"], h["role"], h["author"]) for h in data["history"]]
    assert kinds[1:] == [("message", "agent", "bob"), ("event", "agent", "bob")]
    assert data["history"][2]["changes"] == [{"field": "status", "op": "set", "old": "new", "new": "open"}]
    assert last_commit(desk) == ("Bob Brown <bob@desk.example>", f"ticket {tid}: reply by bob, new -> open")
    cli("ticket", "reply", tid, "-m", "Can you send a screenshot?", "--status", "pending",
        "--at", "2026-03-02T09:40:00+01:00")
    assert "status: pending\n" in read(desk, tid)


def test_customer_message_reopens_pending_and_solved(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "reply", tid, "-m", "Screenshot please", "--status", "pending", "--at", "2026-03-02T10:00:00+01:00")
    cli("ticket", "message", tid, "-m", "Here it is.", "--at", "2026-03-02T11:00:00+01:00")
    text = read(desk, tid)
    assert "status: open\n" in text
    assert "(system)\n\nstatus: pending -> open\nreason: customer reply\n" in text
    author, subject = last_commit(desk)
    assert author == "Alice Adams <alice@desk.example>"   # who recorded it (see the test on commit authors)
    assert subject == f"ticket {tid}: pending -> open (customer reply)"
    cli("ticket", "status", tid, "solved", "--at", "2026-03-02T12:00:00+01:00")
    cli("ticket", "message", tid, "-m", "Still broken.", "--at", "2026-03-03T09:00:00+01:00")
    assert "status: open\n" in read(desk, tid)


def test_customer_message_on_closed_ticket_opens_a_linked_follow_up(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "closed", "--at", "2026-03-02T10:00:00+01:00")
    result = cli("ticket", "message", tid, "-m", "One more question.", "--at", "2026-03-05T09:00:00+01:00")
    follow = result.stdout.strip()
    assert follow and follow != tid
    old = json.loads(cli("ticket", "show", tid, "--json").stdout)
    new = json.loads(cli("ticket", "show", follow, "--json").stdout)
    assert old["status"] == "closed" and old["related"] == [follow]
    assert new["status"] == "new" and new["related"] == [tid]
    assert new["history"][0]["body"] == "One more question."
    # Both files in one commit.
    files = git(desk, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(files) == sorted([f"tickets/{tid}.md", f"tickets/{follow}.md"])


def test_reopen_policy_reopen_within_days(desk, cli):
    config = (desk / "supportctl.yml").read_text().replace("reopen: {closed: new_ticket}",
                                                             "reopen: {closed: new_ticket, within_days: 7}")
    config = config.replace("    closed: []\n", "    closed: [open]\n")
    (desk / "supportctl.yml").write_text(config)
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "closed", "--at", "2026-03-02T10:00:00+01:00")
    cli("ticket", "message", tid, "-m", "Wait, one thing.", "--at", "2026-03-04T10:00:00+01:00")
    assert "status: open\n" in read(desk, tid)


def test_refused_transition_names_the_allowed_states_and_changes_nothing(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "solved")
    before = read(desk, tid)
    head = git(desk, "rev-parse", "HEAD")
    result = cli("ticket", "status", tid, "new", ok=False)
    assert result.exit_code == 1
    assert "error: a ticket cannot go from solved to new" in result.stderr
    assert "hint: from solved it can go to: open, closed" in result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert read(desk, tid) == before and git(desk, "rev-parse", "HEAD") == head


def test_unknown_status_agent_and_ticket_are_usage_errors(desk, cli):
    tid = new_ticket(cli)
    r = cli("ticket", "status", tid, "waiting", ok=False)
    assert r.exit_code == 2 and "unknown status 'waiting'" in r.stderr and "states: new, open" in r.stderr
    r = cli("ticket", "assign", tid, "zoe", ok=False)
    assert r.exit_code == 1 and "unknown agent 'zoe'" in r.stderr and "alice, bob, carol" in r.stderr
    r = cli("ticket", "show", "ZZZZZZ", ok=False)
    assert r.exit_code == 1 and "no ticket 'ZZZZZZ'" in r.stderr
    r = cli("ticket", "reply", tid, "-m", "x", "--at", "yesterday", ok=False)
    assert r.exit_code == 2 and "--at 'yesterday' is not an ISO 8601 timestamp" in r.stderr
    r = cli("ticket", "reply", tid, "-m", "x", "--at", "2026-03-02T09:00:00", ok=False)
    assert r.exit_code == 2 and "no UTC offset" in r.stderr
    r = cli("ticket", "new", "--title", "x", "--from", "nobody", ok=False)
    assert r.exit_code == 2 and "has no email address" in r.stderr


def test_any_unique_prefix_works_and_ambiguity_is_explained(desk, cli):
    tid = new_ticket(cli)
    assert json.loads(cli("ticket", "show", tid[:3].lower(), "--json").stdout)["id"] == tid
    # Crockford: O reads as 0 and I/L as 1, as people type ids from the phone.
    other = tid[:2] + "0" * 4 if tid[2:] != "0000" else tid[:2] + "1111"
    shutil.copy(desk / "tickets" / f"{tid}.md", desk / "tickets" / f"{other}.md")
    r = cli("ticket", "show", tid[:2], ok=False)
    assert r.exit_code == 2 and "is ambiguous" in r.stderr and tid in r.stderr and other in r.stderr


def test_assign_priority_tag_link_and_set(desk, cli):
    tid = new_ticket(cli)
    other = new_ticket(cli, title="Second")
    cli("ticket", "assign", tid, "bob", "--group", "tier-2")
    cli("ticket", "priority", tid, "urgent")
    cli("ticket", "tag", tid, "vip", "billing")
    cli("ticket", "tag", tid, "--remove", "vip")
    cli("ticket", "link", tid, "--kb", "welcome")
    cli("ticket", "link", tid, "--related", other)
    cli("ticket", "set", tid, "plan", "enterprise")
    cli("ticket", "set", tid, "title", "Export fails for big files")
    data = json.loads(cli("ticket", "show", tid, "--json").stdout)
    assert (data["assignee"], data["group"], data["priority"]) == ("bob", "tier-2", "urgent")
    assert data["tags"] == ["billing"] and data["kb"] == ["welcome"] and data["related"] == [other]
    assert data["plan"] == "enterprise" and data["title"] == "Export fails for big files"
    assert json.loads(cli("ticket", "show", other, "--json").stdout)["related"] == [tid]
    changes = [c for h in data["history"] if h["kind"] == "event" for c in h["changes"]]
    assert {"field": "assignee", "op": "set", "old": None, "new": "bob"} in changes
    assert {"field": "group", "op": "set", "old": None, "new": "tier-2"} in changes
    assert {"field": "priority", "op": "set", "old": "normal", "new": "urgent"} in changes
    assert {"field": "tags", "op": "remove", "old": "vip", "new": None} in changes
    r = cli("ticket", "priority", tid, "urgent", ok=False)
    assert r.exit_code == 1 and "already urgent" in r.stderr


def test_merge_closes_the_duplicate_and_links_both(desk, cli):
    a = new_ticket(cli, title="Cannot log in")
    b = new_ticket(cli, title="Login broken", message="Same here, cannot log in.")
    cli("ticket", "merge", b, a, "--at", "2026-03-02T10:00:00+01:00")
    dup = json.loads(cli("ticket", "show", b, "--json").stdout)
    target = json.loads(cli("ticket", "show", a, "--json").stdout)
    assert dup["status"] == "closed" and dup["merged_into"] == a
    assert dup["history"][0]["body"] == "Same here, cannot log in."  # messages stay readable
    assert target["related"] == [b]
    assert target["history"][-1]["kind"] == "note" and b in target["history"][-1]["body"]
    r = cli("ticket", "merge", b, a, ok=False)
    assert "already merged" in r.stderr


def test_note_is_internal_and_template_reply_renders(desk, cli):
    tid = new_ticket(cli, requester="Dana Smith <dana@example.com>", title="Export fails")
    cli("ticket", "note", tid, "-m", "Probably ENG-1234")
    cli("ticket", "reply", tid, "--template", "replies/acknowledge")
    data = json.loads(cli("ticket", "show", tid, "--json").stdout)
    note, reply = [h for h in data["history"] if h["kind"] != "event"][1:3]
    assert note["visibility"] == "internal"
    assert reply["visibility"] == "public" and reply["body"].startswith("Hi Dana,")
    assert '"Export fails"' in reply["body"] and tid in reply["body"] and "Alice Adams" in reply["body"]
    (desk / "templates" / "broken.md.j2").write_text("Hi {{ requester.nickname }}")
    r = cli("ticket", "reply", tid, "--template", "broken", ok=False)
    assert r.exit_code == 1 and "nickname" in r.stderr
    r = cli("ticket", "reply", tid, "--template", "nope", ok=False)
    assert "no template 'nope'" in r.stderr and "replies/acknowledge" in r.stderr


def test_list_filters_sorting_and_json(desk, cli):
    a = new_ticket(cli, "--priority", "low", "--channel", "chat", "--tag", "billing", title="Refund please",
                   requester="Ann <ann@bigco.example>", at="2026-03-02T09:00:00+01:00")
    b = new_ticket(cli, "--priority", "urgent", "--assign", "bob", title="Site down",
                   message="Everything returns 502", at="2026-03-02T10:00:00+01:00")
    c = new_ticket(cli, "--group", "tier-2", title="Old question", at="2026-03-01T09:00:00+01:00")
    cli("ticket", "status", c, "closed")

    def ids(*args):
        return [t["id"] for t in json.loads(cli("ticket", "list", "--json", *args).stdout)]

    assert set(ids()) == {a, b}                       # closed ones only on request
    assert set(ids("--all")) == {a, b, c}
    assert ids("--status", "closed") == [c]
    assert ids("--category", "new") == [b, a]         # newest activity first
    assert ids("--assignee", "bob") == [b]
    assert ids("--assignee", "none") == [a]
    assert ids("--all", "--group", "tier-2") == [c]
    assert ids("--priority", "urgent") == [b]
    assert ids("--tag", "billing") == [a]
    assert ids("--channel", "chat") == [a]
    assert ids("--requester", "bigco") == [a]
    assert ids("--text", "502") == [b]
    assert ids("--sort", "priority") == [b, a]
    assert ids("--sort", "priority", "--reverse") == [a, b]
    assert ids("--limit", "1", "--sort", "created", "--reverse") == [a]
    row = json.loads(cli("ticket", "list", "--json", "--priority", "urgent").stdout)[0]
    for key in ("id", "title", "status", "category", "priority", "channel", "requester", "assignee", "group",
                "tags", "created", "updated", "path", "messages"):
        assert key in row
    human = cli("ticket", "list")
    assert a in human.stdout and "Site down" in human.stdout and "2 tickets" in human.stderr


def test_log_shows_who_changed_what(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "assign", tid, "carol", "--as", "bob")
    entries = json.loads(cli("ticket", "log", tid, "--json").stdout)
    assert [e["subject"] for e in entries] == [f"ticket {tid}: assign assignee carol",
                                               f"ticket {tid}: new (email) Export fails"]
    assert entries[0]["author"] == "Bob Brown"
    assert "Bob Brown" in cli("ticket", "log", tid).stdout


def test_no_commit_writes_without_committing(desk, cli):
    tid = new_ticket(cli)
    head = git(desk, "rev-parse", "HEAD")
    cli("ticket", "note", tid, "-m", "draft", "--no-commit")
    assert git(desk, "rev-parse", "HEAD") == head
    assert "draft" in read(desk, tid)
    assert git(desk, "status", "--porcelain").strip() == f"M tickets/{tid}.md"


def test_commit_contains_only_the_files_it_wrote(desk, cli):
    tid = new_ticket(cli)
    (desk / "notes.txt").write_text("unrelated, staged\n")
    git(desk, "add", "notes.txt")
    (desk / "templates" / "replies" / "solved.md.j2").write_text("edited but not staged\n")
    cli("ticket", "note", tid, "-m", "Checked the logs")
    assert git(desk, "show", "--name-only", "--format=", "HEAD").split() == [f"tickets/{tid}.md"]
    status = git(desk, "status", "--porcelain")
    assert "A  notes.txt" in status and " M templates/replies/solved.md.j2" in status
    assert f"tickets/{tid}.md" not in status      # committed, and the index knows it


def test_failed_commit_restores_the_file(desk, cli):
    tid = new_ticket(cli)
    before = read(desk, tid)
    lock = desk / ".git" / "index.lock"
    lock.write_text("")  # another git process "holds" the index
    try:
        r = cli("ticket", "reply", tid, "-m", "This must not stay", ok=False)
    finally:
        lock.unlink()
    assert r.exit_code == 1 and "error: git" in r.stderr and "Traceback" not in r.stderr
    assert read(desk, tid) == before
    assert git(desk, "status", "--porcelain").strip() == ""


def test_broken_ticket_is_reported_and_the_others_keep_working(desk, cli):
    good = new_ticket(cli, title="Fine ticket")
    (desk / "tickets" / "BROKEN.md").write_text("---\nid: BROKEN\ntitle: [unclosed\n---\n")
    r = cli("ticket", "list")
    assert good in r.stdout
    assert "tickets/BROKEN.md:3:" in r.stderr and "not valid YAML" in r.stderr
    assert json.loads(cli("ticket", "show", good, "--json").stdout)["title"] == "Fine ticket"
    r = cli("ticket", "show", "BROKEN", ok=False)
    assert r.exit_code == 1 and "tickets/BROKEN.md:3:" in r.stderr and "hint:" in r.stderr


def test_cache_follows_hand_edits_and_checkouts(desk, cli, keys_by):
    tid = new_ticket(cli, title="Original title")
    assert json.loads(cli("ticket", "list", "--json").stdout)[0]["title"] == "Original title"
    assert (desk / ".supportctl" / "cache" / "tickets.marshal").exists()
    path = desk / "tickets" / f"{tid}.md"
    path.write_text(path.read_text().replace("title: Original title", "title: Edited by hand"))
    assert json.loads(cli("ticket", "list", "--json").stdout)[0]["title"] == "Edited by hand"
    git(desk, "checkout", "--", f"tickets/{tid}.md")
    assert json.loads(cli("ticket", "list", "--json").stdout)[0]["title"] == "Original title"
    cli("ticket", "set", tid, "title", "Renamed")
    git(desk, "checkout", "-q", "HEAD~1", "--", f"tickets/{tid}.md")
    assert json.loads(cli("ticket", "list", "--json").stdout)[0]["title"] == "Original title"


def test_cache_entries_are_reused_when_old_enough(desk, cli):
    from supportctl.desk.store import Desk
    from supportctl.tickets.store import TicketStore

    tid = new_ticket(cli)
    path = desk / "tickets" / f"{tid}.md"
    old = time.time() - 60
    os.utime(path, (old, old))  # past the racy window, so the entry is trusted next time
    first = TicketStore(Desk(desk)).load_all()
    cache = desk / ".supportctl" / "cache" / "tickets.marshal"
    stamp = cache.stat().st_mtime_ns
    second = TicketStore(Desk(desk)).load_all()
    assert [t.id for t in second.tickets] == [t.id for t in first.tickets] == [tid]
    assert cache.stat().st_mtime_ns == stamp  # nothing changed, nothing rewritten
    # Same size, same mtime would fool a naive cache: the inode changes on an atomic write.
    text = path.read_text().replace("priority: normal", "priority: urgent")
    text = text.replace("Export fails", "Export fail")  # keep the size equal
    path.write_text(text + " " * (path.stat().st_size - len(text.encode())))
    os.utime(path, (old, old))
    assert TicketStore(Desk(desk)).load_all().tickets[0].meta["priority"] == "urgent"


def console(desk: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("supportctl")
    return subprocess.run([str(exe), *args], cwd=desk, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


def test_installed_console_script_runs(desk):
    out = console(desk, "--version")
    assert out.returncode == 0 and out.stdout.startswith("supportctl ")
    made = console(desk, "ticket", "new", "--title", "From the shell", "--from", "x@example.com", "-m", "hi")
    assert made.returncode == 0, made.stderr
    tid = made.stdout.strip()
    shown = console(desk, "ticket", "show", tid, "--json")
    assert json.loads(shown.stdout)["title"] == "From the shell"
    bad = console(desk, "ticket", "show", "ZZZZZZ")
    assert bad.returncode == 1 and bad.stderr.startswith("error: no ticket") and "Traceback" not in bad.stderr
    usage = console(desk, "ticket", "frobnicate")
    assert usage.returncode == 2


def test_the_console_script_flushes_its_output_and_leaves_quietly_when_the_reader_goes(desk, cli):
    """It exits with os._exit (no interpreter teardown): all output must still arrive, and a reader
    that stops early (`| head`) must not get a traceback."""
    for n in range(40):
        new_ticket(cli, title=f"Ticket number {n} with a title long enough to fill the pipe a little")
    listed = console(desk, "ticket", "list", "--json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == 40
    exe = Path(sys.executable).with_name("supportctl")
    proc = subprocess.Popen([str(exe), "ticket", "list"], cwd=desk, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait() in (0, 1) and "Traceback" not in err and "Exception ignored" not in err


def test_what_a_command_keeps_until_exit_is_bounded():
    """A process that runs many commands (the tests, a server) keeps only the last few."""
    from supportctl.desk import store

    for n in range(20):
        store.keep_until_exit([n])
    assert len(store._KEPT) == store._KEPT.maxlen and store._KEPT[-1] == [19]


def test_two_processes_writing_at_once_do_not_corrupt_the_desk(desk):
    made = console(desk, "ticket", "new", "--title", "Busy", "--from", "x@example.com", "-m", "hi")
    tid = made.stdout.strip()
    script = "; ".join(
        f"{Path(sys.executable).with_name('supportctl')} ticket note {tid} -m 'note {{w}}-{i}' --as {{a}}"
        for i in range(4))
    procs = [subprocess.Popen(["bash", "-c", script.replace("{w}", str(w)).replace("{a}", agent)], cwd=desk,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for w, agent in ((1, "alice"), (2, "bob"))]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    shown = json.loads(console(desk, "ticket", "show", tid, "--json").stdout)
    notes = sorted(h["body"] for h in shown["history"] if h["kind"] == "note")
    assert notes == sorted(f"note {w}-{i}" for w in (1, 2) for i in range(4))
    assert git(desk, "status", "--porcelain").strip() == ""
    assert int(git(desk, "rev-list", "--count", "HEAD").strip()) == 2 + 1 + 8
    assert console(desk, "check").returncode == 0


def test_ids_typed_with_confusable_letters_resolve(desk, cli):
    tid = new_ticket(cli)
    shutil.move(desk / "tickets" / f"{tid}.md", desk / "tickets" / "A0B1C2.md")
    path = desk / "tickets" / "A0B1C2.md"
    path.write_text(path.read_text().replace(f"id: {tid}", "id: A0B1C2"))
    assert json.loads(cli("ticket", "show", "aob1c", "--json").stdout)["id"] == "A0B1C2"
    assert json.loads(cli("ticket", "show", "AOBL", "--json").stdout)["id"] == "A0B1C2"


def test_sweep_closes_solved_tickets_after_the_configured_wait(desk, cli):
    config = (desk / "supportctl.yml").read_text()
    (desk / "supportctl.yml").write_text(config.replace(
        "solved: {category: solved, pauses_sla: true}",
        "solved: {category: solved, pauses_sla: true, next_state: closed, after: 4d}"))
    old = new_ticket(cli, title="Solved long ago")
    cli("ticket", "status", old, "solved", "--at", "2026-03-02T10:00:00+01:00")
    recent = new_ticket(cli, title="Solved yesterday")
    cli("ticket", "status", recent, "solved", "--at", "2026-03-05T10:00:00+01:00")
    reopened = new_ticket(cli, title="Customer came back")
    cli("ticket", "status", reopened, "solved", "--at", "2026-03-02T10:00:00+01:00")
    cli("ticket", "message", reopened, "-m", "Not fixed", "--at", "2026-03-03T10:00:00+01:00")
    r = cli("ticket", "sweep", "--now", "2026-03-06T12:00:00+01:00", "--json")
    assert json.loads(r.stdout) == [{"id": old, "change": "solved -> closed (4d in solved)"}]
    data = json.loads(cli("ticket", "show", old, "--json").stdout)
    assert data["status"] == "closed"
    event = data["history"][-1]
    # Dated when it fell due, by the system, whatever time the sweep ran.
    assert (event["at"], event["author"], event["role"]) == ("2026-03-06T10:00:00+01:00", "supportctl", "system")
    assert last_commit(desk)[1] == "sweep: 1 timed transition"
    assert json.loads(cli("ticket", "show", recent, "--json").stdout)["status"] == "solved"
    assert json.loads(cli("ticket", "show", reopened, "--json").stdout)["status"] == "open"
    head = git(desk, "rev-parse", "HEAD")
    assert json.loads(cli("ticket", "sweep", "--now", "2026-03-06T12:00:00+01:00", "--json").stdout) == []
    assert git(desk, "rev-parse", "HEAD") == head  # idempotent


def test_a_timed_transition_must_be_an_allowed_one(desk, cli):
    config = (desk / "supportctl.yml").read_text()
    (desk / "supportctl.yml").write_text(config.replace(
        "solved: {category: solved, pauses_sla: true}",
        "solved: {category: solved, pauses_sla: true, next_state: new, after: 4d}"))
    r = cli("check", ok=False)
    assert "next_state 'new' is not an allowed transition from solved" in r.stderr


def test_a_follow_up_ticket_records_where_it_came_from(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "closed", "--at", "2026-03-02T10:00:00+01:00")
    follow = cli("ticket", "message", tid, "-m", "Again", "--at", "2026-03-05T09:00:00+01:00").stdout.strip()
    history = json.loads(cli("ticket", "show", follow, "--json").stdout)["history"]
    assert history[-1]["role"] == "system"
    assert history[-1]["changes"] == [{"field": "related", "op": "add", "old": None, "new": tid}]


def test_linking_an_article_records_the_ticket_in_both_files(desk, cli):
    tid = new_ticket(cli)
    article = desk / "kb" / "getting-started" / "welcome.md"
    cli("ticket", "link", tid, "--kb", "welcome")
    assert sorted(git(desk, "show", "--name-only", "--format=", "HEAD").split()) == \
        sorted([f"tickets/{tid}.md", "kb/getting-started/welcome.md"])
    kb = json.loads(cli("kb", "show", "welcome", "--json").stdout)
    assert kb["tickets"] == [tid]
    cli("ticket", "link", tid, "--kb", "welcome", "--remove")
    assert json.loads(cli("kb", "show", "welcome", "--json").stdout)["tickets"] == []
    assert json.loads(cli("ticket", "show", tid, "--json").stdout)["kb"] == []
    before = article.read_text()
    r = cli("ticket", "link", tid, "--kb", "no-such-article", ok=False)
    assert r.exit_code == 1 and "no article 'no-such-article'" in r.stderr
    assert article.read_text() == before


def test_list_follows_config_changes_and_reports_a_broken_config(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "pending")
    config = desk / "supportctl.yml"
    old = time.time() - 60
    os.utime(config, (old, old))  # settled: listing may use the cached state categories
    assert json.loads(cli("ticket", "list", "--json").stdout)[0]["category"] == "pending"
    cached = json.loads((desk / ".supportctl" / "cache" / "lifecycle.json").read_text())
    assert cached["categories"]["pending"] == "pending"
    config.write_text(config.read_text().replace("pending: {category: pending, pauses_sla: true}",
                                                 "pending: {category: open}"))
    os.utime(config, (old, old))  # same old mtime: the change is still seen (ctime, size)
    assert json.loads(cli("ticket", "list", "--json").stdout)[0]["category"] == "open"
    config.write_text(config.read_text().replace("pending: {category: open}", "pending: {category: paused}"))
    r = cli("ticket", "list", ok=False)
    assert r.exit_code == 1 and "supportctl.yml:" in r.stderr and "category" in r.stderr


def test_piped_list_json_is_the_same_data_as_show(desk, cli):
    a = new_ticket(cli, "--tag", "x", "--field", "seats=12", title='Quotes " and \\ and ünïcode')
    new_ticket(cli, title="Second")
    rows = {r["id"]: r for r in json.loads(cli("ticket", "list", "--json").stdout)}
    full = json.loads(cli("ticket", "show", a, "--json").stdout)
    full.pop("history")
    assert rows[a] == full
    assert rows[a]["seats"] == 12 and rows[a]["title"] == 'Quotes " and \\ and ünïcode'


def test_custom_fields_take_their_declared_type(desk, cli):
    tid = new_ticket(cli, "--field", "seats=12", "--field", "plan=pro")
    data = json.loads(cli("ticket", "show", tid, "--json").stdout)
    assert data["seats"] == 12 and data["plan"] == "pro"
    r = cli("ticket", "set", tid, "seats", "twelve", ok=False)
    assert r.exit_code == 2 and "seats must be an integer, not 'twelve'" in r.stderr and "seats=12" in r.stderr
    r = cli("ticket", "set", tid, "plan", "gold", ok=False)
    assert r.exit_code == 2 and "choices: free, pro, enterprise" in r.stderr
    cli("ticket", "set", tid, "seats", "40")
    assert json.loads(cli("ticket", "show", tid, "--json").stdout)["seats"] == 40
    assert cli("check", ok=False).exit_code == 0


def test_a_new_ticket_starts_in_the_default_group_unless_it_names_one(desk, cli):
    config = (desk / "supportctl.yml").read_text().replace("groups:\n", "default_group: tier-1\ngroups:\n", 1)
    (desk / "supportctl.yml").write_text(config)
    plain = json.loads(cli("ticket", "show", new_ticket(cli), "--json").stdout)
    named = json.loads(cli("ticket", "show", new_ticket(cli, "--group", "tier-2"), "--json").stdout)
    assert plain["group"] == "tier-1" and named["group"] == "tier-2"


def test_a_default_group_that_is_not_a_group_is_a_config_error(desk, cli):
    config = (desk / "supportctl.yml").read_text().replace("groups:\n", "default_group: tier-9\ngroups:\n", 1)
    (desk / "supportctl.yml").write_text(config)
    result = cli("check", ok=False)
    assert result.exit_code == 1 and "default_group: 'tier-9' is not a group" in result.stdout + result.stderr


def test_an_agent_reply_on_a_closed_ticket_is_refused_and_changes_nothing(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "closed", "--at", "2026-03-02T10:00:00+01:00")
    before, head = read(desk, tid), git(desk, "rev-parse", "HEAD")
    result = cli("ticket", "reply", tid, "-m", "One more thing.", ok=False)
    assert result.exit_code == 2
    assert f"ticket {tid} is closed (closed): it takes no more replies" in result.stderr
    assert "hint: reopen it in the same command (`--status open`)" in result.stderr
    assert read(desk, tid) == before and git(desk, "rev-parse", "HEAD") == head
    # An internal note is still fine: it never reaches the customer.
    cli("ticket", "note", tid, "-m", "Customer called back; nothing to do.")


def test_a_reply_that_reopens_a_closed_ticket_is_accepted_where_the_lifecycle_allows_it(desk, cli):
    config = (desk / "supportctl.yml").read_text().replace("    closed: []\n", "    closed: [open]\n")
    (desk / "supportctl.yml").write_text(config)
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "closed", "--at", "2026-03-02T10:00:00+01:00")
    cli("ticket", "reply", tid, "-m", "Reopening: we found more.", "--status", "open",
        "--at", "2026-03-03T10:00:00+01:00")
    assert json.loads(cli("ticket", "show", tid, "--json").stdout)["status"] == "open"


def test_a_customer_message_is_committed_by_who_recorded_it_not_the_customer(desk, cli, monkeypatch):
    tid = new_ticket(cli)
    cli("ticket", "message", tid, "-m", "Any news?", "--at", "2026-03-02T11:00:00+01:00")
    assert last_commit(desk)[0] == "Alice Adams <alice@desk.example>"
    assert "Dana Smith <dana@example.com> (customer)" in read(desk, tid).split("Any news?")[0].splitlines()[-2]
    # With no agent named (an intake job on a CI runner), supportctl records it.
    monkeypatch.delenv("SUPPORTCTL_AGENT")
    git(desk, "config", "user.name", "CI Runner")
    cli("ticket", "message", tid, "-m", "Hello?", "--at", "2026-03-02T12:00:00+01:00")
    assert last_commit(desk)[0] == "supportctl <supportctl@users.noreply.supportctl>"


def test_ticket_log_shows_when_things_happened_not_when_they_were_committed(desk, cli):
    tid = new_ticket(cli, at="2026-03-02T09:00:00+01:00")
    cli("ticket", "reply", tid, "-m", "On it.", "--at", "2026-03-03T14:30:00+01:00", "--as", "bob")
    rows = cli("ticket", "log", tid).stdout.splitlines()
    assert rows[0].split() == ["COMMIT", "WHEN", "COMMITTED", "BY", "LINES", "CHANGE"]
    assert "2026-03-03 14:30" in rows[1] and "Bob Brown <bob@desk.example>" in rows[1]
    assert "2026-03-02 09:00" in rows[2]
    data = json.loads(cli("ticket", "log", tid, "--json").stdout)
    assert data[0]["at"] == "2026-03-03T14:30:00+01:00"
    assert [r["kind"] for r in data[0]["records"]] == ["message", "event"]
    assert data[0]["committed"] != data[0]["at"]
