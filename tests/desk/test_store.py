"""The desk store: all-or-nothing writes."""

from __future__ import annotations

import pytest

from supportctl.desk.store import Desk
from tests.conftest import new_ticket


def test_a_change_of_two_files_is_all_or_nothing(desk, cli):
    a = new_ticket(cli, title="First")
    path = desk / "tickets" / f"{a}.md"
    before = path.read_text()
    d = Desk(desk)
    blocked = desk / "tickets" / "sub"
    blocked.write_text("a file where a folder is needed")   # the second write cannot succeed
    with pytest.raises(OSError):
        d.write_files({f"tickets/{a}.md": before + "\nchanged\n", "tickets/sub/NEW123.md": "x"})
    assert path.read_text() == before


@pytest.mark.parametrize("where", ["staging", "renaming"])
def test_many_files_are_all_or_nothing_and_leave_no_temporary_file(desk, cli, where):
    """More files than are fsynced one by one (one sync for all): a failure writing or renaming any puts all back."""
    from supportctl.desk.store import SYNC_EACH

    a = new_ticket(cli, title="First")
    path = desk / "tickets" / f"{a}.md"
    before = path.read_text()
    files = {f"tickets/{a}.md": before + "\nchanged\n"}
    files.update({f"tickets/N{n:05d}.md": f"new {n}\n" for n in range(SYNC_EACH * 2)})
    if where == "staging":
        (desk / "tickets" / "sub").write_text("a file where a folder is needed")
        files["tickets/sub/LAST.md"] = "x"
    else:
        (desk / "tickets" / "ZLAST.md").mkdir()   # renaming a file onto a folder fails, after the others
        files["tickets/ZLAST.md"] = "x"
    with pytest.raises(OSError):
        Desk(desk).write_files(files)
    assert path.read_text() == before
    assert not any((desk / "tickets" / f"N{n:05d}.md").exists() for n in range(SYNC_EACH * 2))
    assert not [p.name for p in (desk / "tickets").iterdir() if p.name.endswith(".tmp")]


def test_a_commit_of_thousands_of_files_with_a_long_message(desk):
    """A large mail import: more paths and a longer message than a command line holds."""
    from tests.conftest import git

    files = {f"mail/BIG123/{n:05d}-{'x' * 60}.eml": f"message {n}\n" for n in range(3000)}
    message = "mail: 3000 messages\n\n" + "\n".join(f"- <{n}-{'y' * 80}@example.com>: created" for n in range(3000))
    assert len(message) > 128 * 1024
    sha = Desk(desk).commit_files(files, message, author=("supportctl", "supportctl@example.com"))
    assert sha and git(desk, "status", "--porcelain") == ""
    assert int(git(desk, "show", "--format=", "--name-only", "HEAD").count("\n")) == 3000


def test_a_commit_of_many_files_packs_their_contents_and_keeps_every_byte(desk):
    """From PACK_FROM files the blobs go to one pack (not a loose object per ticket); the commit is the same."""
    from supportctl.desk import git as gitops
    from tests.conftest import git

    files = {f"tickets/P{n:05d}.md": f"---\nid: P{n:05d}\n---\nbody {n}\n" for n in range(gitops.PACK_FROM)}
    files["tickets/EMPTY0.md"] = ""
    files["tickets/CRLF00.md"] = "---\nid: CRLF00\n---\r\nwritten on Windows\r\n"   # git's eol filter applies
    loose_before = set((desk / ".git" / "objects").glob("??/*"))
    sha = Desk(desk).commit_files(files, "many", author=("supportctl", "supportctl@example.com"))
    # Clean: what HEAD holds is what each file holds, after git's own filters.
    assert sha and git(desk, "status", "--porcelain") == ""
    assert git(desk, "show", "HEAD:tickets/P00042.md") == files["tickets/P00042.md"]
    assert git(desk, "show", "HEAD:tickets/EMPTY0.md") == ""
    assert list((desk / ".git" / "objects" / "pack").glob("*.pack"))
    new_loose = set((desk / ".git" / "objects").glob("??/*")) - loose_before
    assert len(new_loose) < 10   # trees and the commit, not a blob per file
    git(desk, "fsck", "--no-progress")


def test_a_commit_whose_packing_fails_still_commits_every_file(desk, monkeypatch):
    """The pack is only a head start: when fast-import cannot run, update-index writes the objects."""
    from supportctl.desk import git as gitops
    from tests.conftest import git

    monkeypatch.setattr(gitops, "pack_blobs", lambda root, paths: None)
    files = {f"tickets/Q{n:05d}.md": f"body {n}\n" for n in range(gitops.PACK_FROM)}
    assert Desk(desk).commit_files(files, "many", author=("supportctl", "supportctl@example.com"))
    assert git(desk, "show", "HEAD:tickets/Q00007.md") == "body 7\n"


def test_a_commit_uses_the_real_index_unless_something_else_is_staged(desk, cli, monkeypatch):
    """Nothing else staged: the index's own tree (git's cache of trees); else one built from HEAD."""
    from supportctl.desk import git as gitops
    from tests.conftest import git

    built = []
    real = gitops._tree_from_head
    monkeypatch.setattr(gitops, "_tree_from_head", lambda *a, **k: built.append(1) or real(*a, **k))
    tid = new_ticket(cli, title="Plain")
    assert built == []
    (desk / "notes.txt").write_text("staged by someone\n")
    git(desk, "add", "notes.txt")
    cli("ticket", "note", tid, "-m", "with something else staged")
    assert built == [1]
    assert git(desk, "show", "--name-only", "--format=", "HEAD").split() == [f"tickets/{tid}.md"]
    assert git(desk, "status", "--porcelain") == "A  notes.txt\n"
    git(desk, "commit", "-qm", "notes")
    cli("ticket", "note", tid, "-m", "nothing else staged again")
    assert built == [1] and git(desk, "status", "--porcelain") == ""
