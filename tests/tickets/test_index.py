"""The ticket index: parallel and sequential builds, SLA clocks from the index, one parser for both."""

from __future__ import annotations

import shutil
from pathlib import Path

from supportctl.desk.store import Desk
from supportctl.tickets import index
from supportctl.tickets.store import TicketStore
from tests.conftest import new_ticket


def test_parallel_and_sequential_index_builds_agree(desk, cli, monkeypatch):
    for i in range(6):
        new_ticket(cli, "--tag", f"t{i}", title=f"Ticket {i}", message=f"Message {i}")
    (desk / "tickets" / "BROKEN.md").write_text("---\nid: BROKEN\ntitle: [unclosed\n---\n")

    def build():
        shutil.rmtree(desk / ".supportctl" / "cache", ignore_errors=True)
        entries, problems = TicketStore(Desk(desk)).load_index()
        return ([(e.path, e.meta, e.records, e.messages) for e in entries],
                [(p.path, p.line, p.message) for p in problems])

    sequential = build()
    monkeypatch.setattr(index, "PARALLEL_FROM", 1)  # force the worker processes
    parallel = build()
    assert parallel == sequential
    assert len(sequential[0]) == 6 and sequential[1][0][:2] == ("tickets/BROKEN.md", 3)


def test_sla_clocks_are_the_same_from_the_index_and_from_the_files(tmp_path, monkeypatch):
    """sla check evaluates index entries; they must give exactly what the parsed files give."""
    from supportctl.sla.engine import SlaEngine
    from supportctl.sla.escalation import fired_keys

    monkeypatch.setenv("SUPPORTCTL_CACHE_DIR", str(tmp_path / "cache"))
    desk = Desk(Path(__file__).resolve().parent.parent.parent)   # the sample desk: 50 real tickets
    store = TicketStore(desk)
    engine = SlaEngine(desk.config)
    entries, problems = store.load_index()
    assert len(entries) >= 40 and not problems
    for now in (1795363200, 1795449600):                   # 2026-11-22 and 2026-11-23, 16:00 UTC
        for entry in entries:
            ticket = store.read(entry.path)
            assert engine.evaluate(entry, now).to_json() == engine.evaluate(ticket, now).to_json(), entry.id
            assert fired_keys(entry) == fired_keys(ticket)
            assert entry.history() == ticket.history()


def test_the_index_and_the_full_parse_read_event_bodies_alike(tmp_path):
    """A body line that merely starts with `### ` (not a header) and an escaped header stay in the event."""
    text = ("---\nid: ABC123\ntitle: t\nstatus: open\n---\n\n"
            "### event abcd1234 · 2026-11-20T09:00:00+01:00 · alice (agent)\n\n"
            "status: new -> open\n### not a header\n\\### message x · y · z (agent)\n")
    path = tmp_path / "ABC123.md"
    path.write_text(text)
    from supportctl.tickets.format import parse_ticket

    payload = index.index_payload(path, "tickets/ABC123.md")
    entry = index.IndexEntry("tickets/ABC123.md", payload)
    assert entry.history() == parse_ticket(text, "tickets/ABC123.md").history()
