"""The ticket index: the parallel cold parse gives exactly what the sequential one gives."""

from __future__ import annotations

import shutil

from supportctl import store
from supportctl.store import Desk
from tests.conftest import new_ticket


def test_parallel_and_sequential_index_builds_agree(desk, cli, monkeypatch):
    for i in range(6):
        new_ticket(cli, "--tag", f"t{i}", title=f"Ticket {i}", message=f"Message {i}")
    (desk / "tickets" / "BROKEN.md").write_text("---\nid: BROKEN\ntitle: [unclosed\n---\n")

    def build():
        shutil.rmtree(desk / ".supportctl" / "cache", ignore_errors=True)
        entries, problems = Desk(desk).load_index()
        return ([(e.path, e.meta, e.records, e.messages) for e in entries],
                [(p.path, p.line, p.message) for p in problems])

    sequential = build()
    monkeypatch.setattr(store, "PARALLEL_FROM", 1)  # force the worker processes
    parallel = build()
    assert parallel == sequential
    assert len(sequential[0]) == 6 and sequential[1][0][:2] == ("tickets/BROKEN.md", 3)
