"""Escalation on an in-memory ticket: once per key, never lowering priority, once per exchange."""

from __future__ import annotations

import pytest
import yaml

from supportctl.config.model import Config
from supportctl.errors import UsageError
from supportctl.sla.calendar import to_ts
from supportctl.sla.engine import SlaEngine
from supportctl.sla.escalation import escalate, fired_keys, pending_escalations
from supportctl.sla.results import utc_text
from tests.conftest import TEST_CONFIG
from tests.slakit import TicketBuilder, b



def _escalating_config() -> Config:
    data = yaml.safe_load(TEST_CONFIG)
    data["sla"]["policies"][1]["escalate"] = [
        {"clock": "first_response", "when": "warning", "tag": "at-risk"},
        {"clock": "first_response", "when": "breached", "priority": "urgent", "group": "tier-2",
         "note": "escalated"},
        {"clock": "next_reply", "when": "breached", "assignee": "bob"},
    ]
    data["sla"]["policies"][0]["escalate"] = [{"clock": "any", "when": "breached", "tag": "urgent-breach"}]
    return Config.model_validate(data)


def _full(builder: TicketBuilder):
    """A ticket with real front matter, as the store reads it (escalation edits it)."""
    from supportctl.tickets.format import parse_ticket
    from supportctl.tickets.frontmatter import new_front_matter

    ticket = builder.build()
    text = "---\n" + new_front_matter(ticket.meta) + "---\n\n" + "\n".join(r.canonical() for r in ticket.records)
    return parse_ticket(text, ticket.path)


def _render(name, ticket, context):
    return f"{name}: {context['clock']} {context['state']} (due {context['due']})"


def test_escalation_fires_once_per_key_and_is_idempotent():
    engine = SlaEngine(_escalating_config())
    ticket = _full(TicketBuilder(b(2, 9)).customer(b(2, 9)))
    assert pending_escalations(engine, ticket, b(2, 10)) == []
    warned = escalate(engine, ticket, b(2, 12, 45), _render)
    assert [e.key for e in warned] == ["standard/first_response/warning"]
    assert ticket.meta["tags"] == ["at-risk"]
    assert escalate(engine, ticket, b(2, 12, 50), _render) == []
    breached = escalate(engine, ticket, b(2, 15), _render)
    # The breach raised the priority, which moved the ticket to the urgent policy (24/7, 1h/2h/8h),
    # whose `any` rule fired too, for both its breached clocks.
    next_key = f"urgent/next_reply/breached@{utc_text(to_ts(b(2, 9)))}"
    assert [e.key for e in breached] == ["standard/first_response/breached", "urgent/first_response/breached",
                                         next_key]
    assert ticket.meta["priority"] == "urgent" and ticket.meta["group"] == "tier-2"
    assert "urgent-breach" in ticket.meta["tags"]
    assert escalate(engine, ticket, b(2, 15), _render) == []
    assert fired_keys(ticket) == {"standard/first_response/warning", "standard/first_response/breached",
                                  "urgent/first_response/breached", next_key}
    events = [r for r in ticket.records if r.kind == "event"]
    assert all(r.role == "system" and r.author == "supportctl" for r in events)
    assert events[1].body.splitlines() == ["escalation: standard/first_response/breached",
                                           "priority: normal -> urgent", "group: null -> tier-2"]
    notes = [r for r in ticket.records if r.kind == "note"]
    assert notes[0].body.startswith("escalated: first_response breached (due 2026-03-02T12:00:00+00:00)")
    # The ticket file round-trips with the new records.
    from supportctl.tickets.format import parse_ticket

    again = parse_ticket(ticket.render(), ticket.path)
    assert fired_keys(again) == fired_keys(ticket)


def test_escalation_never_lowers_priority_and_skips_what_is_already_so():
    data = yaml.safe_load(TEST_CONFIG)
    data["sla"]["policies"] = [{"name": "all", "calendar": "always", "first_response": "1h",
                                "escalate": [{"when": "breached", "priority": "high", "tag": "vip"}]}]
    engine = SlaEngine(Config.model_validate(data))
    ticket = _full(TicketBuilder(b(2, 9), priority="urgent", tags=["vip"]).customer(b(2, 9)))
    [fired] = escalate(engine, ticket, b(2, 12))
    assert fired.changes == [] and ticket.meta["priority"] == "urgent"
    assert escalate(engine, ticket, b(2, 13)) == []


def test_next_reply_escalates_once_per_exchange():
    engine = SlaEngine(_escalating_config())
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 9, 30)).status(b(2, 9, 30), "open") \
        .customer(b(2, 10))
    ticket = _full(builder)
    fired = escalate(engine, ticket, b(3, 12), _render)
    assert [e.key for e in fired] == [f"standard/next_reply/breached@{utc_text(to_ts(b(2, 10)))}"]
    assert ticket.meta["assignee"] == "bob"


def test_closed_tickets_and_stopped_clocks_do_not_escalate():
    engine = SlaEngine(_escalating_config())
    late_reply = _full(TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(3, 9)).status(b(3, 9), "open"))
    assert [e.clock for e in pending_escalations(engine, late_reply, b(3, 10))] == []
    closed = _full(TicketBuilder(b(2, 9)).customer(b(2, 9)).status(b(9, 9), "closed"))
    assert pending_escalations(engine, closed, b(10, 9)) == []


def test_escalating_before_a_later_record_is_refused():
    engine = SlaEngine(_escalating_config())
    ticket = _full(TicketBuilder(b(2, 9)).customer(b(2, 9)).note(b(3, 9)))
    before = ticket.render()
    with pytest.raises(UsageError, match="records after"):
        escalate(engine, ticket, b(2, 15), _render)
    assert ticket.render() == before
    assert escalate(engine, ticket, b(3, 10), _render)      # at the present it escalates
