"""Ticket actions in memory: no git, no CLI, no disk; a config and a clock are all they need."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml

from supportctl.config.model import Config
from supportctl.errors import SupportctlError, UsageError
from supportctl.tickets import actions
from supportctl.tickets.format import parse_ticket
from supportctl.tickets.query import Filter
from tests.conftest import TEST_CONFIG

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
CONFIG = Config.model_validate(yaml.safe_load(TEST_CONFIG))


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def new(**kw):
    args = dict(ticket_id="ABC123", path="tickets/ABC123.md", title="Export fails",
                requester="Dana Smith <dana@example.com>", actor="alice", at=T0, body="It fails.")
    args.update(kw)
    return actions.create_ticket(CONFIG, **args)


def reread(ticket):
    """The ticket as the next command reads it: what was written is what comes back."""
    return parse_ticket(ticket.render(), ticket.path)


def statuses(ticket) -> list[tuple[str | None, str | None]]:
    return [(c.old, c.new) for r in ticket.records for c in r.changes() if c.field == "status"]


def test_a_new_ticket_starts_with_the_customers_words():
    ticket = reread(new(tags=["Billing", "billing"]))
    assert ticket.status == "new" and ticket.meta["requester"] == {"name": "Dana Smith", "email": "dana@example.com"}
    [message] = ticket.records
    assert (message.kind, message.role, message.body) == ("message", "customer", "It fails.")


def test_a_reply_opens_a_new_ticket_and_a_customer_message_reopens_a_solved_one():
    ticket = new()
    actions.agent_reply(ticket, CONFIG, actor="alice", at=at(10), text="On it.")
    actions.agent_reply(ticket, CONFIG, actor="alice", at=at(20), text="Fixed.", status="solved")
    outcome = actions.customer_message(ticket, CONFIG, at=at(30), text="Still broken.")
    assert "solved -> open" in outcome.summary
    assert statuses(reread(ticket)) == [("new", "open"), ("open", "solved"), ("solved", "open")]


def test_an_automated_message_is_kept_but_reopens_nothing():
    ticket = new()
    actions.set_status(ticket, CONFIG, state="pending", actor="alice", at=at(5))
    actions.customer_message(ticket, CONFIG, at=at(10), text="I am out of office.", reopen=False)
    assert ticket.status == "pending" and ticket.records[-1].body == "I am out of office."


def test_a_refused_transition_names_the_allowed_states():
    ticket = new()
    actions.set_status(ticket, CONFIG, state="closed", actor="alice", at=at(5))
    with pytest.raises(SupportctlError) as info:
        actions.set_status(ticket, CONFIG, state="open", actor="alice", at=at(6))
    assert "closed to open" in info.value.message and "(nowhere)" in info.value.hint


def test_a_customer_writing_to_a_closed_ticket_gets_a_linked_follow_up():
    ticket = new()
    actions.set_status(ticket, CONFIG, state="closed", actor="alice", at=at(5))
    assert actions.closed_follow_up(ticket, CONFIG, at(60))
    outcome = actions.open_follow_up(ticket, CONFIG, ticket_id="DEF456", at=at(60), text="Me again.")
    [follow] = outcome.created
    assert follow.meta["related"] == ["ABC123"] and ticket.meta["related"] == ["DEF456"]
    assert follow.records[0].body == "Me again."


def test_fields_tags_assignment_and_priority_are_events_that_read_back():
    ticket = new()
    actions.assign(ticket, CONFIG, agent="Bob Brown", group="tier-2", actor="alice", at=at(1))
    actions.tag(ticket, add=["Yes", "vip"], remove=[], actor="alice", at=at(2))
    actions.set_priority(ticket, priority="high", actor="alice", at=at(3))
    actions.set_field(ticket, CONFIG, name="plan", value="pro", actor="alice", at=at(4))
    back = reread(ticket)
    assert (back.meta["assignee"], back.meta["group"], back.meta["priority"]) == ("bob", "tier-2", "high")
    assert back.meta["tags"] == ["vip", "yes"] and back.meta["plan"] == "pro"
    with pytest.raises(UsageError):
        actions.set_priority(ticket, priority="asap", actor="alice", at=at(5))


def test_merge_closes_the_duplicate_and_tells_the_target():
    source, target = new(), new(ticket_id="DEF456", path="tickets/DEF456.md", title="Export broken")
    actions.merge(source, target, CONFIG, actor="alice", at=at(5))
    assert source.status == "closed" and source.meta["merged_into"] == "DEF456"
    assert target.records[-1].kind == "note" and "ABC123" in target.records[-1].body
    with pytest.raises(SupportctlError):
        actions.merge(source, target, CONFIG, actor="alice", at=at(6))


def test_a_timed_transition_is_dated_when_it_fell_due():
    data = yaml.safe_load(TEST_CONFIG)
    data["lifecycle"]["states"]["solved"].update({"next_state": "closed", "after": "4d"})
    config = Config.model_validate(data)
    ticket = new()
    actions.set_status(ticket, config, state="solved", actor="alice", at=at(0))
    assert actions.apply_due_transition(ticket, config, at(60)) is None
    actions.apply_due_transition(ticket, config, at(60 * 24 * 5))
    assert ticket.status == "closed" and ticket.records[-1].at == at(60 * 24 * 4)


def test_the_unassigned_filter_is_one_rule_for_list_and_queue():
    ticket, other = new(), new(ticket_id="DEF456", path="tickets/DEF456.md", assignee="bob")
    categories = {name: s.category for name, s in CONFIG.lifecycle.states.items()}
    for word in ("none", "-"):
        assert Filter(assignee=word).keeps(ticket, categories) and not Filter(assignee=word).keeps(other, categories)
    assert Filter(assignee="bob").keeps(other, categories)
