"""`supportctl git setup` and the merge driver where users install supportctl: never on PATH."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.conftest import git, new_ticket

# What git sees when supportctl lives in a virtualenv that is not activated
# (the README's install), or when a git GUI starts git with its own PATH.
BARE_PATH = "/usr/bin:/bin"
OLD_DRIVER = "supportctl merge-driver %O %A %B %P"   # what init registered before


@pytest.fixture
def no_supportctl_on_path(monkeypatch):
    monkeypatch.setenv("PATH", BARE_PATH)
    assert shutil.which("git") and not shutil.which("supportctl")


def merge(cwd, branch) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "merge", "--no-edit", branch], cwd=cwd, capture_output=True, text=True)


def diverge(cli, desk, tid):
    """Branch 'b' adds a note and main a reply to the same ticket: both append at the end of the file."""
    git(desk, "branch", "b")
    git(desk, "checkout", "-q", "b")
    cli("-C", desk, "ticket", "note", tid, "-m", "Note from b", "--at", "2026-03-02T09:30:00+01:00", "--as", "bob")
    git(desk, "checkout", "-q", "main")
    cli("-C", desk, "ticket", "reply", tid, "-m", "Reply from main", "--at", "2026-03-02T10:00:00+01:00",
        "--as", "alice")


def bodies(cli, desk, tid):
    data = json.loads(cli("-C", desk, "ticket", "show", tid, "--json").stdout)
    return [h.get("body") for h in data["history"] if h["kind"] != "event"]


def test_init_registers_the_driver_by_the_interpreters_path(desk):
    command = git(desk, "config", "merge.supportctl.driver").strip()
    assert shlex.split(command)[:4] == [sys.executable, "-P", "-m", "supportctl"]
    assert command.endswith("merge-driver %O %A %B %P")
    assert git(desk, "check-attr", "merge", "--", "tickets/X.md").strip().endswith("merge: supportctl")


def test_the_driver_merges_when_supportctl_is_not_on_path(desk, cli, no_supportctl_on_path):
    tid = new_ticket(cli)
    diverge(cli, desk, tid)
    result = merge(desk, "b")
    assert result.returncode == 0, result.stdout + result.stderr
    assert bodies(cli, desk, tid) == ["It fails.", "Note from b", "Reply from main"]
    assert cli("check").exit_code == 0


def test_a_path_with_spaces_and_quotes_is_quoted_for_the_shell(tmp_path, desk, cli, no_supportctl_on_path):
    """git runs the driver through `sh -c`: an interpreter in "My Tools/it's venv" must still be one word."""
    from supportctl.desk.git import merge_driver_command

    folder = tmp_path / "My Tools" / "it's venv"
    folder.mkdir(parents=True)
    python = folder / "python"   # a wrapper: a link would lose the virtualenv, which is found beside it
    python.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} \"$@\"\n")
    python.chmod(0o755)
    git(desk, "config", "merge.supportctl.driver", merge_driver_command(str(python)))
    tid = new_ticket(cli)
    diverge(cli, desk, tid)
    result = merge(desk, "b")
    assert result.returncode == 0, result.stdout + result.stderr
    assert bodies(cli, desk, tid) == ["It fails.", "Note from b", "Reply from main"]


def test_a_bare_command_fails_without_path_and_git_setup_repairs_it(desk, cli, no_supportctl_on_path):
    """The old registration: git cannot find `supportctl` and leaves a conflict; `git setup` fixes the clone."""
    git(desk, "config", "merge.supportctl.driver", OLD_DRIVER)
    tid = new_ticket(cli)
    diverge(cli, desk, tid)
    failed = merge(desk, "b")
    assert failed.returncode != 0 and "supportctl: not found" in failed.stderr
    git(desk, "merge", "--abort")
    r = cli("git", "setup")
    assert f"merge.supportctl.driver {shlex.quote(sys.executable)} -P -m supportctl" in r.stdout
    assert f"(was: {OLD_DRIVER})" in r.stdout
    assert ".gitattributes" not in r.stdout    # the desk's .gitattributes already has the line
    assert git(desk, "status", "--porcelain") == ""
    result = merge(desk, "b")
    assert result.returncode == 0, result.stdout + result.stderr
    assert bodies(cli, desk, tid) == ["It fails.", "Note from b", "Reply from main"]


def test_a_fresh_clone_merges_line_by_line_until_git_setup(tmp_path, desk, cli, no_supportctl_on_path):
    """A clone has no driver: git falls back to a line merge, `check` says what happened and what to do."""
    tid = new_ticket(cli)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(desk), str(clone))
    assert subprocess.run(["git", "config", "merge.supportctl.driver"], cwd=clone).returncode == 1
    diverge(cli, clone, tid)
    failed = merge(clone, "b")
    assert failed.returncode != 0 and "CONFLICT" in failed.stdout
    r = cli("-C", clone, "check", ok=False)
    assert r.exit_code == 1
    assert f"tickets/{tid}.md" in r.stderr and "unresolved merge conflict" in r.stderr
    assert "not valid YAML" not in r.stderr
    assert "run `supportctl git setup` and merge again" in r.stderr
    problem = json.loads(cli("-C", clone, "check", "--json", ok=False).stdout)[0]
    text = (clone / "tickets" / f"{tid}.md").read_text().split("\n")
    assert text[problem["line"] - 1].startswith("<<<<<<<")
    git(clone, "merge", "--abort")
    r = cli("-C", clone, "git", "setup", "--json")
    data = json.loads(r.stdout)
    assert data["changed"] is True and data["gitattributes_added"] is None
    assert [(s["key"], s["before"]) for s in data["settings"]] == [("merge.supportctl.name", None),
                                                                   ("merge.supportctl.driver", None)]
    result = merge(clone, "b")
    assert result.returncode == 0, result.stdout + result.stderr
    assert bodies(cli, clone, tid) == ["It fails.", "Note from b", "Reply from main"]
    assert cli("-C", clone, "check").exit_code == 0


def test_git_setup_adds_the_attributes_line_when_missing_and_then_has_nothing_to_do(desk, cli):
    (desk / ".gitattributes").write_text("*.png binary")        # no line for tickets, no final newline
    r = cli("git", "setup")
    assert "added `tickets/**/*.md merge=supportctl eol=lf`" in r.stdout and "commit it" in r.stdout
    assert "git config" not in r.stdout                       # init registered the driver already
    text = (desk / ".gitattributes").read_text()
    assert text.startswith("*.png binary\n") and text.endswith("tickets/**/*.md merge=supportctl eol=lf\n")
    assert git(desk, "check-attr", "merge", "--", "tickets/sub/X.md").strip().endswith("merge: supportctl")
    git(desk, "commit", "-qam", "attributes")
    r = cli("git", "setup")
    assert r.stdout.startswith("nothing to change")
    assert json.loads(cli("git", "setup", "--json").stdout) == {
        "root": str(desk), "changed": False, "settings": [], "gitattributes_added": None}


def test_git_setup_outside_a_repository_says_so(tmp_path, cli, template_desk):
    root = tmp_path / "plain"
    shutil.copytree(template_desk, root, ignore=shutil.ignore_patterns(".git"))
    r = cli("-C", root, "git", "setup", ok=False)
    assert r.exit_code == 1 and "not in a git repository" in r.stderr and "git init" in r.stderr
