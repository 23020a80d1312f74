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
