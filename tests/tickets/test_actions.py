"""Ticket actions in memory: no git, no CLI, no disk; a config and a clock are all they need."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import yaml

from supportctl.config.model import Config
from supportctl.errors import SupportctlError, UsageError
from supportctl.tickets import actions
from supportctl.tickets.format import parse_ticket
from supportctl.tickets.model import copied_record_id
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


def duplicate_pair():
    """A duplicate (ABC123: message, reply, note) and the ticket it goes into (DEF456, opened in between)."""
    source = new()
    actions.agent_reply(source, CONFIG, actor="alice", at=at(10), text="Looking into it.")
    actions.internal_note(source, actor="alice", at=at(20), text="Probably ENG-1234.")
    target = new(ticket_id="DEF456", path="tickets/DEF456.md", title="Export broken", at=at(15),
                 body="Export broken again.")
    return source, target


def test_merge_copies_the_conversation_into_the_target_in_time_order():
    source, target = duplicate_pair()
    outcome = actions.merge(source, target, CONFIG, actor="bob", at=at(60))
    assert "2 messages and 1 internal note copied" in outcome.summary
    back = reread(target)
    story = [(r.kind, r.at, r.author, r.body, r.merged_from) for r in back.records if r.kind != "event"]
    assert story[:4] == [
        ("message", T0, "Dana Smith <dana@example.com>", "It fails.", "ABC123"),
        ("message", at(10), "alice", "Looking into it.", "ABC123"),
        ("message", at(15), "Dana Smith <dana@example.com>", "Export broken again.", None),
        ("note", at(20), "alice", "Probably ENG-1234.", "ABC123"),
    ]
    assert story[4][0] == "note" and story[4][2] == "bob" and "copied here, marked merged from ABC123" in story[4][3]
    # Each copy has its own id, derived from the original's; events (the source's own fields) stay behind.
    originals = [r for r in source.records if r.kind != "event"]
    copies = [r for r in back.records if r.merged_from]
    assert [c.id for c in copies] == [copied_record_id("ABC123", r.id) for r in originals]
    assert not {c.id for c in copies} & {r.id for r in originals}
    assert back.render() == target.render() and back.meta["related"] == ["ABC123"]
    assert source.status == "closed" and source.meta["merged_into"] == "DEF456"
    assert [r.body for r in source.records if r.kind != "event"] == ["It fails.", "Looking into it.",
                                                                     "Probably ENG-1234."]
    assert [c.render() for c in source.records[-1].changes()] == ["status: open -> closed",
                                                                   "merged_into: null -> DEF456"]


def test_merging_into_a_target_that_already_has_the_copies_adds_none_twice():
    source, target = duplicate_pair()
    actions.merge(source, target, CONFIG, actor="bob", at=at(60))
    # The same duplicate merged again (the merge undone by hand, or on a second branch).
    again, _ = duplicate_pair()
    again.records = [r for r in source.records if r.kind != "event"]   # the same records, not merged
    actions.merge(again, target, CONFIG, actor="bob", at=at(70))
    ids = [r.id for r in target.records]
    assert len(ids) == len(set(ids)) and sum(1 for r in target.records if r.merged_from) == 3


def test_a_merge_is_refused_where_it_would_lose_or_tangle_a_conversation():
    source, target = duplicate_pair()

    def refused(src, dst, **kw):
        with pytest.raises(UsageError) as info:
            actions.merge(src, dst, CONFIG, actor="bob", at=kw.pop("when", at(60)), **kw)
        return info.value

    assert "into itself" in refused(source, source).message
    error = refused(source, new(ticket_id="GHJ789", path="tickets/GHJ789.md",
                                requester="Eve Other <eve@example.com>"))
    assert "different requesters (dana@example.com and eve@example.com)" in error.message
    assert "see each other's conversation" in error.hint and "--force" in error.hint
    assert "after the merge time" in refused(source, target, when=at(15)).message
    closed = new(ticket_id="GHJ789", path="tickets/GHJ789.md")
    actions.set_status(closed, CONFIG, state="closed", actor="alice", at=at(30))
    error = refused(source, closed)
    assert "GHJ789 is closed" in error.message and "merge GHJ789 into ABC123 instead" in error.hint
    actions.merge(source, target, CONFIG, actor="bob", at=at(60))
    assert "ABC123 is already merged into DEF456" in refused(source, target).message
    error = refused(new(ticket_id="KMN234", path="tickets/KMN234.md"), source)
    assert "ABC123 is itself merged into DEF456" in error.message and "merge into DEF456" in error.hint
    assert "would make a cycle" in refused(target, source).message


def test_with_force_the_other_requester_is_copied_on_the_targets_replies():
    source = new(requester="Eve Other <eve@example.com>")
    actions.add_cc(source, ["boss@example.com"], at=at(1))
    target = new(ticket_id="DEF456", path="tickets/DEF456.md", at=at(5))
    actions.merge(source, target, CONFIG, actor="bob", at=at(60), force=True)
    assert reread(target).meta["cc"] == ["eve@example.com", "boss@example.com"]


def test_a_waiting_customer_message_from_the_duplicate_reopens_a_pending_target():
    source, target = duplicate_pair()
    actions.agent_reply(target, CONFIG, actor="alice", at=at(30), text="Which file?", status="pending")
    actions.customer_message(source, CONFIG, at=at(40), text="Any news?")
    outcome = actions.merge(source, target, CONFIG, actor="bob", at=at(60))
    assert target.status == "open" and "DEF456 pending -> open" in outcome.summary
    assert [c.render() for c in target.records[-1].changes()] == [
        "status: pending -> open", "reason: customer message merged from ABC123"]
    # Answered before the target went pending: nothing is waiting, the target stays pending.
    source, target = duplicate_pair()
    actions.agent_reply(target, CONFIG, actor="alice", at=at(30), text="Which file?", status="pending")
    actions.merge(source, target, CONFIG, actor="bob", at=at(60))
    assert target.status == "pending"


def test_an_agent_reply_or_note_on_a_merged_ticket_is_refused_with_the_target():
    source, target = duplicate_pair()
    actions.merge(source, target, CONFIG, actor="bob", at=at(60))
    for act in (lambda: actions.agent_reply(source, CONFIG, actor="alice", at=at(70), text="Hi"),
                lambda: actions.internal_note(source, actor="alice", at=at(70), text="Hm")):
        with pytest.raises(UsageError) as info:
            act()
        assert "merged into DEF456" in info.value.message and "DEF456" in info.value.hint


def test_a_ticket_that_took_in_a_duplicate_carries_it_on_when_merged_itself():
    source, target = duplicate_pair()
    actions.merge(source, target, CONFIG, actor="bob", at=at(60))
    final = new(ticket_id="GHJ789", path="tickets/GHJ789.md", at=at(70), body="Third time.")
    actions.merge(target, final, CONFIG, actor="bob", at=at(80))
    marks = [(r.body, r.merged_from) for r in reread(final).records if r.kind == "message"]
    # Each copy names the ticket it was written on.
    assert marks == [("It fails.", "ABC123"), ("Looking into it.", "ABC123"), ("Export broken again.", "DEF456"),
                     ("Third time.", None)]


def test_a_chain_of_merges_is_followed_and_a_cycle_is_an_error():
    links = {"AAAAAA": "BBBBBB", "BBBBBB": "CCCCCC"}
    assert actions.merged_chain("AAAAAA", links.get) == ["AAAAAA", "BBBBBB", "CCCCCC"]
    assert actions.merged_chain("CCCCCC", links.get) == ["CCCCCC"]
    links["CCCCCC"] = "AAAAAA"
    with pytest.raises(SupportctlError) as info:
        actions.merged_chain("AAAAAA", links.get)
    assert "AAAAAA -> BBBBBB -> CCCCCC -> AAAAAA" in info.value.message


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
