"""`ticket merge` on a real desk: the conversation moves to the target, and what is written to the duplicate follows it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, new_ticket


def show(cli, tid: str) -> dict:
    return json.loads(cli("ticket", "show", tid, "--json").stdout)


@pytest.fixture
def pair(desk, cli):
    """A duplicate (a message, a reply and a note, 09:00-09:40) and the ticket it belongs with (10:00)."""
    dup = new_ticket(cli, title="Cannot log in", message="Login fails since today.")
    cli("ticket", "reply", dup, "-m", "Looking into it.", "--at", "2026-03-02T09:30:00+01:00")
    cli("ticket", "note", dup, "-m", "Probably SSO.", "--at", "2026-03-02T09:40:00+01:00")
    target = new_ticket(cli, title="Login broken", message="Still cannot log in.", at="2026-03-02T10:00:00+01:00")
    return dup, target


def test_a_merge_moves_the_conversation_in_one_commit_that_only_adds_to_the_target(desk, cli, pair):
    dup, target = pair
    before = git(desk, "rev-parse", "HEAD").strip()
    result = cli("ticket", "merge", dup, target, "--at", "2026-03-02T11:00:00+01:00")
    assert "merged into" in result.stderr and "2 messages and 1 internal note copied" in result.stderr
    assert git(desk, "rev-list", "--count", f"{before}..HEAD").strip() == "1"
    changed = git(desk, "show", "--name-only", "--format=", "HEAD").split()
    assert sorted(changed) == sorted([f"tickets/{dup}.md", f"tickets/{target}.md"])
    # No line of the target is rewritten but its `updated` (the append-only check reads it so).
    diff = git(desk, "diff", "-U0", "HEAD~1", "HEAD", "--", f"tickets/{target}.md").splitlines()
    assert [line for line in diff if line.startswith("-") and not line.startswith("---")] == [
        "-updated: 2026-03-02T10:00:00+01:00"]
    history = show(cli, target)["history"]
    talk = [(h["kind"], h["at"], h["author"], h["body"], h["merged_from"]) for h in history if h["kind"] != "event"]
    assert talk[:4] == [
        ("message", "2026-03-02T09:00:00+01:00", "Dana Smith <dana@example.com>", "Login fails since today.", dup),
        ("message", "2026-03-02T09:30:00+01:00", "alice", "Looking into it.", dup),
        ("note", "2026-03-02T09:40:00+01:00", "alice", "Probably SSO.", dup),
        ("message", "2026-03-02T10:00:00+01:00", "Dana Smith <dana@example.com>", "Still cannot log in.", None),
    ]
    assert talk[4][0] == "note" and f"marked merged from {dup}" in talk[4][3]
    text = cli("ticket", "show", target).stdout
    assert f"Dana Smith <dana@example.com> (customer, merged from {dup})" in text
    assert f"alice (internal note, merged from {dup})" in text
    closed = show(cli, dup)
    assert closed["status"] == "closed" and closed["merged_into"] == target and closed["messages"] == 3
    # Records older than the target are its history now, not a problem.
    assert cli("check").exit_code == 0


def test_a_customer_message_to_the_duplicate_lands_on_the_target_and_says_so(desk, cli, pair):
    dup, target = pair
    cli("ticket", "merge", dup, target, "--at", "2026-03-02T11:00:00+01:00")
    result = cli("ticket", "message", dup, "-m", "Any news?", "--at", "2026-03-02T12:00:00+01:00")
    assert f"ticket {dup} was merged into {target}: the message goes to {target}" in result.stderr
    assert show(cli, target)["history"][-1]["body"] == "Any news?"
    assert git(desk, "show", "--name-only", "--format=", "HEAD").split() == [f"tickets/{target}.md"]
    assert "Any news?" not in (desk / "tickets" / f"{dup}.md").read_text()


@pytest.mark.parametrize("command", ["reply", "note"])
def test_an_agent_writing_to_the_duplicate_is_sent_to_the_target(desk, cli, pair, command):
    dup, target = pair
    cli("ticket", "merge", dup, target)
    head = git(desk, "rev-parse", "HEAD")
    result = cli("ticket", command, dup, "-m", "Hello", ok=False)
    assert result.exit_code == 2 and f"ticket {dup} was merged into {target}" in result.stderr
    assert f"hint: write the {command} on {target}: supportctl ticket {command} {target}" in result.stderr
    assert git(desk, "rev-parse", "HEAD") == head


def test_merging_two_customers_tickets_needs_force_and_says_why(desk, cli):
    dup = new_ticket(cli, requester="Eve Other <eve@example.com>", message="Mine too.")
    target = new_ticket(cli, at="2026-03-02T10:00:00+01:00")
    result = cli("ticket", "merge", dup, target, ok=False)
    assert result.exit_code == 2
    assert "different requesters (eve@example.com and dana@example.com)" in result.stderr
    assert "both customers see each other's conversation" in result.stderr and "--force" in result.stderr
    cli("ticket", "merge", dup, target, "--force")
    data = show(cli, target)
    assert data["cc"] == ["eve@example.com"] and data["history"][0]["merged_from"] == dup
    # Eve writing to her old ticket is Eve writing on the target, not its requester Dana.
    cli("ticket", "message", dup, "-m", "Eve again.")
    last = show(cli, target)["history"][-1]
    assert (last["author"], last["body"]) == ("Eve Other <eve@example.com>", "Eve again.")


def test_merges_that_make_no_sense_are_refused_clearly(desk, cli, pair):
    dup, target = pair
    r = cli("ticket", "merge", dup, dup, ok=False)
    assert r.exit_code == 2 and "cannot be merged into itself" in r.stderr
    closed = new_ticket(cli, at="2026-03-02T10:30:00+01:00")
    cli("ticket", "status", closed, "closed")
    r = cli("ticket", "merge", dup, closed, ok=False)
    assert f"ticket {closed} is closed" in r.stderr and f"merge {closed} into {dup} instead" in r.stderr
    cli("ticket", "merge", dup, target)
    r = cli("ticket", "merge", target, dup, ok=False)
    assert "would make a cycle" in r.stderr
    r = cli("ticket", "merge", new_ticket(cli), dup, ok=False)
    assert f"is itself merged into {target}" in r.stderr and f"merge into {target} instead" in r.stderr


def test_the_same_merge_on_two_branches_copies_each_record_once(desk, cli, pair, monkeypatch):
    # git runs the merge driver by name, as in tests/cli/test_merge.py.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    dup, target = pair
    git(desk, "branch", "other")
    cli("ticket", "merge", dup, target, "--at", "2026-03-02T11:00:00+01:00", "--as", "alice")
    git(desk, "checkout", "-q", "other")
    cli("ticket", "merge", dup, target, "--at", "2026-03-02T11:05:00+01:00", "--as", "bob")
    git(desk, "checkout", "-q", "main")
    merged = subprocess.run(["git", "merge", "--no-edit", "other"], cwd=desk, capture_output=True, text=True)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    history = show(cli, target)["history"]
    copies = [h["id"] for h in history if h.get("merged_from")]
    assert len(copies) == 3 and len(set(copies)) == 3
    assert [h["body"] for h in history if h.get("merged_from")] == ["Login fails since today.", "Looking into it.",
                                                                    "Probably SSO."]


def test_a_hand_made_cycle_of_merges_is_an_error_not_a_hang(desk, cli, pair):
    dup, target = pair
    cli("ticket", "merge", dup, target)
    path = desk / "tickets" / f"{target}.md"
    path.write_text(path.read_text().replace("related:", f"merged_into: {dup}\nrelated:", 1))
    result = cli("ticket", "message", dup, "-m", "Hello?", ok=False)
    assert result.exit_code == 1 and f"{dup} -> {target} -> {dup}" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_merge_made_on_a_branch_keeps_its_marks_through_git_merge(desk, cli, pair, monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    dup, target = pair
    git(desk, "checkout", "-q", "-b", "other")
    cli("ticket", "merge", dup, target, "--at", "2026-03-02T11:00:00+01:00")
    git(desk, "checkout", "-q", "main")
    cli("ticket", "note", target, "-m", "Meanwhile on main.", "--at", "2026-03-02T10:30:00+01:00")
    merged = subprocess.run(["git", "merge", "--no-edit", "other"], cwd=desk, capture_output=True, text=True)
    assert merged.returncode == 0, merged.stdout + merged.stderr
    marks = [(h["body"], h["merged_from"]) for h in show(cli, target)["history"] if h["kind"] != "event"]
    assert marks[:3] == [("Login fails since today.", dup), ("Looking into it.", dup), ("Probably SSO.", dup)]
    assert ("Meanwhile on main.", None) in marks
