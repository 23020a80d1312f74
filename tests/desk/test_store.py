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
