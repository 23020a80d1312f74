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


def test_a_commit_of_thousands_of_files_with_a_long_message(desk):
    """A large mail import: more paths and a longer message than a command line holds."""
    from tests.conftest import git

    files = {f"mail/BIG123/{n:05d}-{'x' * 60}.eml": f"message {n}\n" for n in range(3000)}
    message = "mail: 3000 messages\n\n" + "\n".join(f"- <{n}-{'y' * 80}@example.com>: created" for n in range(3000))
    assert len(message) > 128 * 1024
    sha = Desk(desk).commit_files(files, message, author=("supportctl", "supportctl@example.com"))
    assert sha and git(desk, "status", "--porcelain") == ""
    assert int(git(desk, "show", "--format=", "--name-only", "HEAD").count("\n")) == 3000
