"""The clocks of a ticket that took in a merged duplicate's conversation (docs/sla.md, "Merged tickets")."""

from __future__ import annotations

from supportctl.sla.calendar import to_ts
from supportctl.sla.engine import SlaEngine
from supportctl.tickets import actions
from supportctl.tickets.format import parse_ticket
from supportctl.tickets.index import IndexEntry, index_payload
from tests.slakit import b, config

CONFIG = config()


def ticket(ticket_id: str, at, body: str | None = "It fails."):
    return actions.create_ticket(CONFIG, ticket_id=ticket_id, path=f"tickets/{ticket_id}.md", title="Export fails",
                                 requester="Dana Smith <dana@example.com>", actor="alice", at=at, body=body)


def merged_pair():
    """B (10:00, answered 10:30) takes in A (09:00, unanswered; written to again at 11:00), merged at 12:00."""
    source, target = ticket("AAAAAA", b(2, 9)), ticket("BBBBBB", b(2, 10))
    actions.agent_reply(target, CONFIG, actor="alice", at=b(2, 10, 30), text="On it.")
    actions.customer_message(source, CONFIG, at=b(2, 11), text="Any news?")
    actions.merge(source, target, CONFIG, actor="alice", at=b(2, 12))
    return parse_ticket(target.render(), target.path)


def test_the_target_keeps_its_own_first_response_and_resolution_clocks():
    result = SlaEngine(CONFIG).evaluate(merged_pair(), b(2, 15))
    first = result.clocks["first_response"]
    # Its own first customer message (10:00), not the duplicate's earlier one (09:00).
    assert (first.state, first.started, first.stopped, first.elapsed) == ("met", to_ts(b(2, 10)),
                                                                          to_ts(b(2, 10, 30)), 30 * 60)
    assert result.clocks["resolution"].started == to_ts(b(2, 10)) and result.created == to_ts(b(2, 10))


def test_a_merged_customer_message_still_waiting_runs_the_targets_next_reply():
    result = SlaEngine(CONFIG).evaluate(merged_pair(), b(2, 15))
    clock = result.clocks["next_reply"]
    # Waiting since 11:00 on the duplicate: 11-13 and 14-15 of office time.
    assert (clock.state, clock.started, clock.stopped, clock.elapsed) == ("running", to_ts(b(2, 11)), None,
                                                                          3 * 3600)


def test_a_ticket_whose_customer_messages_all_came_by_merge_has_next_reply_but_no_first_response():
    source, target = ticket("AAAAAA", b(2, 9)), ticket("BBBBBB", b(2, 10), body=None)
    actions.merge(source, target, CONFIG, actor="alice", at=b(2, 11))
    result = SlaEngine(CONFIG).evaluate(parse_ticket(target.render(), target.path), b(2, 12))
    assert result.clocks["first_response"].state == "none"
    clock = result.clocks["next_reply"]
    # Waiting since 09:00, but the target's clocks run only while it exists (from 10:00).
    assert (clock.state, clock.started, clock.elapsed) == ("running", to_ts(b(2, 9)), 2 * 3600)


def test_the_index_reads_merged_records_as_the_file_does(tmp_path):
    target = merged_pair()
    path = tmp_path / "BBBBBB.md"
    path.write_text(target.render())
    entry = IndexEntry("tickets/BBBBBB.md", index_payload(path, "tickets/BBBBBB.md"))
    assert entry.history() == target.history()
    engine = SlaEngine(CONFIG)
    assert engine.evaluate(entry, b(2, 15)).to_json() == engine.evaluate(target, b(2, 15)).to_json()
    assert [r.merged_from for r in entry.ticket().records] == [r.merged_from for r in target.records]
