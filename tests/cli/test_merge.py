"""Two branches working one ticket merge through git with supportctl's merge driver."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import git, new_ticket


@pytest.fixture
def branches(desk, cli, monkeypatch):
    """A ticket on main, and two branches 'a' and 'b' forked from there."""
    # git runs the driver init registered, with supportctl not on PATH (a virtualenv that is not activated).
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert "merge-driver" in git(desk, "config", "merge.supportctl.driver")
    tid = new_ticket(cli, "--tag", "export", at="2026-03-02T09:00:00+01:00")
    git(desk, "branch", "a")
    git(desk, "branch", "b")
    return tid


def show(cli, tid):
    return json.loads(cli("ticket", "show", tid, "--json").stdout)


def merge(desk, branch) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "merge", "--no-edit", branch], cwd=desk, capture_output=True, text=True)


def test_both_branches_records_survive_a_merge(desk, cli, branches):
    tid = branches
    git(desk, "checkout", "-q", "a")
    cli("ticket", "reply", tid, "-m", "Reply from branch a", "--status", "pending", "--at",
        "2026-03-02T10:00:00+01:00", "--as", "alice")
    git(desk, "checkout", "-q", "b")
    cli("ticket", "note", tid, "-m", "Note from branch b", "--at", "2026-03-02T09:30:00+01:00", "--as", "bob")
    cli("ticket", "tag", tid, "billing", "--at", "2026-03-02T09:31:00+01:00", "--as", "bob")
    cli("ticket", "priority", tid, "high", "--at", "2026-03-02T09:32:00+01:00", "--as", "bob")
    git(desk, "checkout", "-q", "a")
    result = merge(desk, "b")
    assert result.returncode == 0, result.stdout + result.stderr
    data = show(cli, tid)
    bodies = [h.get("body") for h in data["history"] if h["kind"] != "event"]
    assert bodies == ["It fails.", "Note from branch b", "Reply from branch a"]  # in time order
    assert data["status"] == "pending" and data["priority"] == "high"
    assert data["tags"] == ["billing", "export"]
    assert data["updated"] == "2026-03-02T10:00:00+01:00"
    assert cli("check", ok=False).exit_code == 0
    # Merging again is a no-op and the record ids stay unique.
    ids = [h["id"] for h in data["history"]]
    assert len(ids) == len(set(ids))


def test_when_both_change_the_status_the_latest_change_wins(desk, cli, branches):
    tid = branches
    git(desk, "checkout", "-q", "a")
    cli("ticket", "status", tid, "pending", "--at", "2026-03-02T10:00:00+01:00")
    git(desk, "checkout", "-q", "b")
    cli("ticket", "status", tid, "solved", "--at", "2026-03-02T11:00:00+01:00", "--as", "bob")
    git(desk, "checkout", "-q", "a")
    assert merge(desk, "b").returncode == 0
    data = show(cli, tid)
    assert data["status"] == "solved"
    statuses = [c["new"] for h in data["history"] for c in h.get("changes", []) if c["field"] == "status"]
    assert statuses == ["pending", "solved"]


def test_a_field_changed_by_hand_on_both_sides_is_a_conflict(desk, cli, branches):
    tid = branches
    path = desk / "tickets" / f"{tid}.md"
    for branch, plan in (("a", "pro"), ("b", "enterprise")):
        git(desk, "checkout", "-q", branch)
        path.write_text(path.read_text().replace("tags: [export]", f"tags: [export]\nplan: {plan}"))
        git(desk, "commit", "-qam", f"plan {plan}")
    git(desk, "checkout", "-q", "a")
    result = merge(desk, "b")
    assert result.returncode != 0
    assert "plan: ours 'pro', theirs 'enterprise'" in result.stdout + result.stderr
    assert "plan: pro" in path.read_text()  # ours kept, for the person resolving it


def test_the_result_is_the_same_whichever_branch_runs_the_merge(desk, cli, branches):
    """Found by the property test: merged tags came out in the order of whoever ran the merge."""
    tid = branches
    for branch, tag, minute in (("a", "vip", "10"), ("b", "bug", "11")):
        git(desk, "checkout", "-q", branch)
        cli("ticket", "tag", tid, tag, "--at", f"2026-03-02T{minute}:00:00+01:00")
    git(desk, "checkout", "-q", "-b", "a-b", "a")
    assert merge(desk, "b").returncode == 0
    a_b = show(cli, tid)
    git(desk, "checkout", "-q", "-b", "b-a", "b")
    assert merge(desk, "a").returncode == 0
    assert show(cli, tid) == a_b and a_b["tags"] == ["bug", "export", "vip"]


def test_a_field_both_branches_set_by_command_takes_the_latest_change(desk, cli, branches):
    """`ticket set` records an event, so the history says which change came last: no conflict."""
    tid = branches
    for branch, plan, minute in (("a", "pro", "11"), ("b", "enterprise", "10")):
        git(desk, "checkout", "-q", branch)
        cli("ticket", "set", tid, "plan", plan, "--at", f"2026-03-02T{minute}:00:00+01:00")
    git(desk, "checkout", "-q", "b")
    result = merge(desk, "a")
    assert result.returncode == 0, result.stdout + result.stderr
    assert show(cli, tid)["plan"] == "pro"


def test_the_merge_driver_command_does_what_git_runs(desk, cli, tmp_path):
    """`supportctl merge-driver` (the documented command) and the console's fast path git runs agree."""
    tid = new_ticket(cli)
    text = (desk / "tickets" / f"{tid}.md").read_text()
    base, theirs = tmp_path / "base", tmp_path / "theirs"
    base.write_text(text)
    theirs.write_text(text.replace("tags: []", "tags: []\nplan: pro"))
    outputs = []
    for run in ("cli", "console"):
        ours = tmp_path / f"ours-{run}"
        ours.write_text(text.replace("tags: []", "tags: []\nplan: free"))
        if run == "cli":
            r = cli("merge-driver", base, ours, theirs, f"tickets/{tid}.md", ok=False)
            code, err = r.exit_code, r.stderr
        else:
            p = subprocess.run([sys.executable, "-P", "-m", "supportctl", "merge-driver", base, ours, theirs,
                                f"tickets/{tid}.md"], capture_output=True, text=True)
            code, err = p.returncode, p.stderr
        outputs.append((code, err, ours.read_text()))
    assert outputs[0] == outputs[1]
    assert outputs[0][0] == 1 and f"tickets/{tid}.md: plan: ours 'free', theirs 'pro'; kept ours" in outputs[0][1]
