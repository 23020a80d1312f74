"""Replays: a ticket as it was at an instant, from a parsed file and from the index alike."""

from __future__ import annotations

from pathlib import Path

from supportctl.desk.store import Desk
from supportctl.sla.calendar import to_ts
from supportctl.sla.engine import SlaEngine
from supportctl.tickets import index
from supportctl.tickets.format import parse_ticket
from supportctl.tickets.replay import TicketAt, as_of, desk_at, fields_at
from supportctl.tickets.store import TicketStore
from tests.slakit import TicketBuilder, b, config

TEXT = """\
---
id: ABC123
title: Export fails
status: solved
priority: urgent
requester: {name: Dana, email: dana@example.com}
assignee: bob
group: tier-2
tags: [billing, vip]
created: 2026-03-02T09:00:00+01:00
updated: 2026-03-02T15:00:00+01:00
---

### message aaaa0001 · 2026-03-02T09:00:00+01:00 · Dana <dana@example.com> (customer)

It fails.

### event aaaa0002 · 2026-03-02T09:30:00+01:00 · alice (agent)

status: new -> open
tags: +export

### event aaaa0003 · 2026-03-02T11:00:00+01:00 · alice (agent)

assignee: null -> bob
group: null -> tier-2
tags: +billing
tags: -export

### event aaaa0004 · 2026-03-02T11:00:00+01:00 · alice (agent)

priority: normal -> urgent
tags: +vip

### event aaaa0005 · 2026-03-02T15:00:00+01:00 · alice (agent)

status: open -> solved
reason: "fixed in 4.2"
"""


def _both(tmp_path: Path):
    path = tmp_path / "ABC123.md"
    path.write_text(TEXT)
    entry = index.IndexEntry("tickets/ABC123.md", index.index_payload(path, "tickets/ABC123.md"))
    return parse_ticket(TEXT, "tickets/ABC123.md"), entry


def _fields(ticket) -> dict:
    meta = ticket.meta
    return {"status": meta["status"], "priority": meta["priority"], "assignee": meta["assignee"],
            "group": meta["group"], "tags": sorted(meta["tags"])}


def test_nothing_after_now_returns_the_ticket_itself(tmp_path):
    ticket, entry = _both(tmp_path)
    assert entry.latest_ts == ticket.latest_ts == to_ts(b(2, 15))
    for now in (to_ts(b(2, 15)), to_ts(b(9, 9))):
        assert as_of(ticket, now) is ticket and as_of(entry, now) is entry
        assert desk_at([entry], now)[0] is entry


def test_a_ticket_created_after_now_did_not_exist(tmp_path):
    ticket, entry = _both(tmp_path)
    before = to_ts(b(2, 8, 59))
    assert as_of(ticket, before) is None and as_of(entry, before) is None
    assert desk_at([entry, ticket], before) == []


def test_the_fields_at_now_undo_the_later_events(tmp_path):
    ticket, entry = _both(tmp_path)
    expected = {
        b(2, 9): {"status": "new", "priority": "normal", "assignee": None, "group": None, "tags": []},
        b(2, 10): {"status": "open", "priority": "normal", "assignee": None, "group": None, "tags": ["export"]},
        # Both 11:00 events count at 11:00.
        b(2, 11): {"status": "open", "priority": "urgent", "assignee": "bob", "group": "tier-2",
                   "tags": ["billing", "vip"]},
        b(2, 14, 59): {"status": "open", "priority": "urgent", "assignee": "bob", "group": "tier-2",
                       "tags": ["billing", "vip"]},
    }
    for moment, fields in expected.items():
        now = to_ts(moment)
        from_file, from_index = as_of(ticket, now), as_of(entry, now)
        assert _fields(from_file) == _fields(from_index) == fields, moment
        assert isinstance(from_index, TicketAt) and from_index.source is entry and from_index.path == entry.path
        assert type(from_file) is type(ticket)
        # Records after now are left out, from either source.
        assert from_file.history() == from_index.history() == [h for h in ticket.history() if h[2] <= now]
        assert all(r.at <= moment for r in from_file.records)
        # A replay of a replay changes nothing.
        assert as_of(from_index, now) is from_index
    # The current fields are untouched.
    assert ticket.meta["status"] == entry.meta["status"] == "solved"


def test_fields_at_leaves_fields_without_events_alone():
    meta = {"status": "open", "title": "T", "channel": "email"}
    assert fields_at(meta, [("event", "agent", 100, "status: new -> open")], 50) == {**meta, "status": "new"}
    assert fields_at(meta, [("event", "agent", 100, "status: new -> open")], 100) == meta


def test_the_engine_judges_the_policy_and_status_at_now():
    builder = (TicketBuilder(b(2, 9)).customer(b(2, 9))
               .add("event", b(2, 11), "alice", "agent", "priority: normal -> urgent"))
    builder.ticket.meta["priority"] = "urgent"
    builder.status(b(2, 15), "solved")
    engine = SlaEngine(config())
    then = engine.evaluate(builder.build(), b(2, 10))
    assert then.policy == "standard" and then.status == "new" and then.priority == "normal"
    later = engine.evaluate(builder.build(), b(2, 12))
    assert later.policy == "urgent" and later.status == "new"
    assert engine.evaluate(builder.build(), b(2, 16)).status == "solved"


def test_replays_of_the_sample_desk_agree_between_the_index_and_the_files(tmp_path, monkeypatch):
    """Every ticket of the sample desk, replayed at many instants: the index and the parsed files agree."""
    monkeypatch.setenv("SUPPORTCTL_CACHE_DIR", str(tmp_path / "cache"))
    desk = Desk(Path(__file__).resolve().parent.parent.parent)
    store = TicketStore(desk)
    engine = SlaEngine(desk.config)
    entries, problems = store.load_index()
    assert not problems
    tickets = {e.path: store.read(e.path) for e in entries}
    instants = sorted({h[2] for e in entries for h in e.history()})
    replayed_any = False
    for now in instants[:: max(1, len(instants) // 12)] + [instants[-1] - 1]:
        at_now = desk_at(entries, now)
        alive = {t.path for t in at_now}
        assert alive == {p for p, t in tickets.items() if as_of(t, now) is not None}
        for light in at_now:
            full = as_of(tickets[light.path], now)
            assert _fields(light) == _fields(full), (light.path, now)
            assert engine.evaluate(light, now).to_json() == engine.evaluate(full, now).to_json(), (light.path, now)
            replayed_any |= isinstance(light, TicketAt)
    assert replayed_any
