"""Issue 11 part 1: the history is append-only (`check --since`), a record header that does not parse is
an error, and no command writes a record older than its ticket."""

from __future__ import annotations

import json
import sys

import pytest

from tests.conftest import git, new_ticket


def head(root) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def problems(cli, *args: str, code: int = 1) -> list[dict]:
    result = cli("check", "--json", *args, ok=False)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return json.loads(result.stdout)


# ------------------------------------------------------------ check --since


def test_appending_records_and_editing_current_fields_is_fine(desk, cli):
    tid = new_ticket(cli)
    base = head(desk)
    cli("ticket", "reply", tid, "-m", "Looking into it", "--status", "pending", "--at", "2026-03-02T10:00:00+01:00")
    cli("ticket", "assign", tid, "bob", "--group", "tier-2", "--at", "2026-03-02T10:05:00+01:00")
    cli("ticket", "message", tid, "-m", "Any news?", "--at", "2026-03-02T11:00:00+01:00")
    cli("ticket", "note", tid, "-m", "Back-dated note", "--at", "2026-03-02T09:30:00+01:00")   # inserted, not appended
    other = new_ticket(cli, title="New since then")
    result = cli("check", "--since", base)
    assert "no problems" in result.stderr
    assert problems(cli, "--since", base, code=0) == []
    assert other


def test_a_rewritten_customer_message_and_a_deleted_note_fail(desk, cli):
    tid = new_ticket(cli, message="The export stops at 1,000 rows.")
    cli("ticket", "note", tid, "-m", "Known bug ENG-1234", "--at", "2026-03-02T09:10:00+01:00")
    cli("ticket", "reply", tid, "-m", "We are on it", "--at", "2026-03-02T09:20:00+01:00")
    base = head(desk)
    path = desk / "tickets" / f"{tid}.md"
    text = path.read_text()
    note_start = text.index("### note ")
    note_end = text.index("### message ", note_start)
    note_id = text[note_start:].split()[2]
    text = text[:note_start] + text[note_end:]
    text = text.replace("The export stops at 1,000 rows.", "The export works fine.")
    path.write_text(text)
    git(desk, "commit", "-qam", "tidy the ticket")
    found = problems(cli, "--since", base)
    rel = f"tickets/{tid}.md"
    assert len(found) == 2 and all(p["path"] == rel and p["severity"] == "error" for p in found)
    rewritten = next(p for p in found if "rewritten" in p["message"])
    assert rewritten["message"].startswith("message ") and "Dana Smith <dana@example.com>" in rewritten["message"]
    assert "'The export stops at 1,000 rows.' -> 'The export works fine.'" in rewritten["message"]
    lines = path.read_text().splitlines()
    assert lines[rewritten["line"] - 1].startswith("### message ")
    deleted = next(p for p in found if "deleted" in p["message"])
    assert deleted["message"].startswith(f"note {note_id} ") and "alice (agent)" in deleted["message"]
    assert "append-only" in deleted["hint"] and "--allow-rewrite" in deleted["hint"]
    human = cli("check", "--since", base, ok=False)
    assert human.exit_code == 1 and f"error: {rel}:{rewritten['line']}: message " in human.stderr
    assert "2 problems" in human.stderr
    # The plain check (no --since) has nothing against the file itself.
    assert cli("check").exit_code == 0
    # --allow-rewrite: reported as warnings, exit 0.
    allowed = cli("check", "--since", base, "--allow-rewrite")
    assert allowed.stderr.count("warning: ") == 2 and "no problems, 2 rewritten records allowed" in allowed.stderr
    assert {p["severity"] for p in problems(cli, "--since", base, "--allow-rewrite", code=0)} == {"warning"}


def test_uncommitted_changes_are_checked_too(desk, cli):
    tid = new_ticket(cli)
    path = desk / "tickets" / f"{tid}.md"
    path.write_text(path.read_text().replace("It fails.", "It works."))
    [found] = problems(cli, "--since", "HEAD")
    assert "rewritten" in found["message"]


def test_a_retimed_or_reattributed_event_is_a_rewrite_and_an_offset_change_is_not(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "open", "--at", "2026-03-02T09:30:00+01:00")
    base = head(desk)
    path = desk / "tickets" / f"{tid}.md"
    original = path.read_text()
    path.write_text(original.replace("2026-03-02T09:30:00+01:00 · alice (agent)", "2026-03-02T08:30:00+00:00 · "
                                                                                   "alice (agent)"))
    assert problems(cli, "--since", base, code=0) == []     # the same instant
    path.write_text(original.replace("2026-03-02T09:30:00+01:00 · alice (agent)", "2026-03-02T09:40:00+01:00 · "
                                                                                   "bob (agent)"))
    [found] = problems(cli, "--since", base)
    assert found["message"].startswith("event ") and "time 2026-03-02T09:30:00+01:00 -> 2026-03-02T09:40:00+01:00" \
        in found["message"] and "author 'alice' -> 'bob'" in found["message"]


def test_a_deleted_ticket_is_a_rewrite_and_a_new_one_is_checked_normally(desk, cli):
    gone = new_ticket(cli, title="Will vanish")
    base = head(desk)
    git(desk, "rm", "-q", f"tickets/{gone}.md")
    fresh = new_ticket(cli, "--priority", "high", title="New and broken")
    path = desk / "tickets" / f"{fresh}.md"
    path.write_text(path.read_text().replace("priority: high", "priority: critical"))
    found = problems(cli, "--since", base)
    by_path = {p["path"]: p for p in found}
    assert by_path[f"tickets/{gone}.md"]["message"] == f"ticket {gone} was deleted since {base}, with its 1 record"
    assert by_path[f"tickets/{fresh}.md"]["message"] == "unknown priority 'critical'"


def test_a_ticket_moved_to_a_sub_folder_is_not_deleted(desk, cli):
    tid = new_ticket(cli)
    base = head(desk)
    (desk / "tickets" / "2026").mkdir()
    git(desk, "mv", f"tickets/{tid}.md", f"tickets/2026/{tid}.md")
    git(desk, "commit", "-qm", "archive")
    assert problems(cli, "--since", base, code=0) == []


def test_an_unknown_revision_is_a_usage_error(desk, cli):
    for rev in ("no-such-branch", "HEAD~99", "--all"):
        result = cli("check", "--since", rev, ok=False)
        assert result.exit_code == 2 and "error:" in result.stderr and "hint:" in result.stderr, rev
    result = cli("check", "--allow-rewrite", ok=False)
    assert result.exit_code == 2 and "--since" in result.stderr


def _use_merge_driver(root) -> None:
    # The driver as a command that does not depend on PATH (the interpreter running the tests).
    git(root, "config", "merge.supportctl.driver", f"{sys.executable} -m supportctl merge-driver %O %A %B %P")


def test_a_merged_branch_and_a_branch_behind_main_pass(desk, cli):
    """The union of two branches' records is no rewrite; nor is what main gained after a branch left it."""
    _use_merge_driver(desk)
    tid = new_ticket(cli)
    base = head(desk)
    git(desk, "checkout", "-qb", "reply")
    cli("ticket", "reply", tid, "-m", "Fixed in 2.1", "--at", "2026-03-02T10:00:00+01:00")
    git(desk, "checkout", "-q", "main")
    cli("ticket", "message", tid, "-m", "Also the PDF export", "--at", "2026-03-02T09:30:00+01:00")
    # On the branch, main has a record the branch lacks: compared with the merge base, nothing was lost.
    git(desk, "checkout", "-q", "reply")
    assert problems(cli, "--since", "main", code=0) == []
    assert problems(cli, "--since", "main...HEAD", code=0) == []
    # A rewrite on the branch is still found against a main that moved on.
    path = desk / "tickets" / f"{tid}.md"
    path.write_text(path.read_text().replace("It fails.", "It failed once."))
    [found] = problems(cli, "--since", "main")
    assert "rewritten" in found["message"]
    git(desk, "checkout", "-q", "--", ".")
    # Merged into main: both sides' records are there, and the check passes against the old base.
    git(desk, "checkout", "-q", "main")
    git(desk, "merge", "-q", "--no-edit", "reply")
    text = path.read_text()
    assert "Fixed in 2.1" in text and "Also the PDF export" in text
    assert problems(cli, "--since", base, code=0) == []


# ------------------------------------------------ record headers that do not parse


@pytest.mark.parametrize("header, words", [
    ("## message zzzz0001 · 2026-03-02T10:00:00+01:00 · Dana Smith <dana@example.com> (customer)", "starts with 2 #"),
    ("### mesage zzzz0001 · 2026-03-02T10:00:00+01:00 · Dana Smith <dana@example.com> (customer)",
     "unknown kind 'mesage'"),
    ("### message zzzz0001 2026-03-02T10:00:00+01:00 Dana Smith (customer)", "does not parse"),
])
def test_a_mistyped_record_header_is_an_error_everywhere_and_the_rest_still_work(desk, cli, header, words):
    good = new_ticket(cli, title="Fine")
    bad = new_ticket(cli, title="Hand edited")
    path = desk / "tickets" / f"{bad}.md"
    text = path.read_text() + f"\n{header}\n\nThe PDF export fails too.\n"
    path.write_text(text)
    line = text.splitlines().index(header) + 1
    [found] = problems(cli)
    assert found["path"] == f"tickets/{bad}.md" and found["line"] == line, found
    assert words in found["message"] and found["hint"]
    # Never silently folded into the record before it: show refuses the ticket with the same line ...
    shown = cli("ticket", "show", bad, "--json", ok=False)
    assert shown.exit_code == 1 and f"tickets/{bad}.md:{line}: record header" in shown.stderr
    # ... listings name it and keep working for the others ...
    listed = cli("ticket", "list", "--json")
    assert [t["id"] for t in json.loads(listed.stdout)] == [good]
    assert f"tickets/{bad}.md:{line}" in listed.stderr
    # ... and no command appends to it.
    assert cli("ticket", "reply", bad, "-m", "hi", ok=False).exit_code == 1
    assert path.read_text() == text


def test_markdown_headings_in_a_message_are_text_and_look_alikes_are_escaped(desk, cli):
    tid = new_ticket(cli)
    body = ("## Steps\n### Note that\n## message · looks like a header (customer)\n"
            "### mesage abcd1234 · 2026-03-02T10:00:00+01:00 · x (agent)")
    cli("ticket", "reply", tid, "-m", body, "--at", "2026-03-02T10:00:00+01:00")
    assert cli("check").exit_code == 0
    [reply] = [h for h in json.loads(cli("ticket", "show", tid, "--json").stdout)["history"]
               if h["kind"] == "message" and h["role"] == "agent"]
    assert reply["body"] == body
    text = (desk / "tickets" / f"{tid}.md").read_text()
    assert "\n\\## message · looks like" in text and "\n\\### mesage" in text and "\n## Steps\n" in text


# ------------------------------------------------------- records older than their ticket


BEFORE = "2026-03-01T09:00:00+01:00"     # the ticket is created 2026-03-02 09:00


@pytest.mark.parametrize("command", [
    ["note", "-m", "Back then"], ["reply", "-m", "Back then"], ["message", "-m", "Back then"],
    ["status", "open"], ["assign", "bob"], ["priority", "high"], ["tag", "vip"],
])
def test_no_command_writes_a_record_older_than_its_ticket(desk, cli, command):
    tid = new_ticket(cli)
    path = desk / "tickets" / f"{tid}.md"
    before = path.read_text()
    result = cli("ticket", command[0], tid, *command[1:], "--at", BEFORE, ok=False)
    assert result.exit_code == 2, (result.exit_code, result.stderr)
    assert f"ticket {tid} was created at 2026-03-02T09:00:00+01:00" in result.stderr and "hint:" in result.stderr
    assert path.read_text() == before
    assert git(desk, "status", "--porcelain").strip() == ""
    # At the creation instant itself it is fine.
    cli("ticket", command[0], tid, *command[1:], "--at", "2026-03-02T09:00:00+01:00")
    assert cli("check").exit_code == 0


def test_a_link_never_writes_a_record_older_than_the_other_ticket(desk, cli):
    a = new_ticket(cli, title="Older", at="2026-03-02T09:00:00+01:00")
    b = new_ticket(cli, title="Newer", at="2026-03-04T09:00:00+01:00")
    files = {t: (desk / "tickets" / f"{t}.md").read_text() for t in (a, b)}
    result = cli("ticket", "link", a, "--related", b, "--at", "2026-03-03T09:00:00+01:00", ok=False)
    assert result.exit_code == 2 and f"ticket {b} was created at 2026-03-04T09:00:00+01:00" in result.stderr
    assert {t: (desk / "tickets" / f"{t}.md").read_text() for t in (a, b)} == files
    cli("ticket", "link", a, "--related", b, "--at", "2026-03-04T10:00:00+01:00")
    assert cli("check").exit_code == 0
    # A side that already links the other is left alone, as before.
    cli("ticket", "link", a, "--related", b, "--remove", "--at", "2026-03-04T11:00:00+01:00")


def test_a_desk_in_a_sub_folder_of_the_repository(tmp_path, cli, monkeypatch):
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    cli("init", repo / "support", "--timezone", "UTC", "--agent", "alice")
    monkeypatch.chdir(repo / "support")
    monkeypatch.setenv("SUPPORTCTL_AGENT", "alice")
    tid = new_ticket(cli, message="hello world")
    path = repo / "support" / "tickets" / f"{tid}.md"
    path.write_text(path.read_text().replace("hello world", "bye"))
    [found] = problems(cli, "--since", "HEAD")
    assert found["path"] == f"tickets/{tid}.md" and "'hello world' -> 'bye'" in found["message"]
    assert f"git show HEAD:./tickets/{tid}.md" in found["hint"]
    monkeypatch.chdir(repo)
    outside = cli("-C", "support", "check", "--since", "HEAD", "--json", ok=False)
    assert outside.exit_code == 1 and json.loads(outside.stdout) == [found]
