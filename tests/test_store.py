"""The ticket store: index builds (parallel and sequential), SLA clocks from the index, all-or-nothing writes."""

from __future__ import annotations

import shutil

import pytest

from supportctl.desk import store
from supportctl.desk.store import Desk
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


def test_sla_clocks_are_the_same_from_the_index_and_from_the_files(tmp_path, monkeypatch):
    """sla check evaluates index entries; they must give exactly what the parsed files give."""
    from pathlib import Path

    from supportctl.sla.engine import SlaEngine
    from supportctl.sla.escalation import fired_keys

    monkeypatch.setenv("SUPPORTCTL_CACHE_DIR", str(tmp_path / "cache"))
    desk = Desk(Path(__file__).resolve().parent.parent)   # the sample desk: 50 real tickets
    engine = SlaEngine(desk.config)
    entries, problems = desk.load_index()
    assert len(entries) >= 40 and not problems
    for now in (1795363200, 1795449600):                   # 2026-11-22 and 2026-11-23, 16:00 UTC
        for entry in entries:
            ticket = desk.read(entry.path)
            assert engine.evaluate(entry, now).to_json() == engine.evaluate(ticket, now).to_json(), entry.id
            assert fired_keys(entry) == fired_keys(ticket)
            assert entry.history() == ticket.history()


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
