"""Append-only history in memory (tickets/history.py): what counts as a rewrite, without git."""

from __future__ import annotations

from supportctl.base.timeutil import parse_timestamp
from supportctl.tickets.format import parse_ticket
from supportctl.tickets.history import rewrites
from supportctl.tickets.model import Record
from tests.tickets.test_format import SAMPLE


def ticket(text: str = SAMPLE):
    return parse_ticket(text, "tickets/7QH2KD.md")


def test_new_records_anywhere_and_front_matter_edits_are_no_rewrite():
    new = ticket()
    new.add_record(Record("note", "bbbbbbbb", parse_timestamp("2026-11-20T09:25:00+01:00"), "bob", "agent", "x"))
    new.add_record(Record("message", "cccccccc", parse_timestamp("2026-11-21T09:00:00+01:00"), "Dana", "customer",
                          "more"))
    new.set_fields({"status": "pending", "assignee": "bob"})
    assert rewrites(ticket(), ticket(new.render()), "main", "main") == []


def test_each_deleted_or_changed_record_is_one_problem_with_what_changed():
    text = SAMPLE.replace("Known bug, see ENG-1234.", "Known bug.").replace(
        "### message z9x8c7v6 · 2026-11-20T09:40:00+01:00 · alice (agent)\n\nHi Dana, we are on it.\n", "")
    text = text.replace("### message k7q2p9xa", "### note k7q2p9xa")
    found = rewrites(ticket(), ticket(text), "main", "main")
    messages = sorted(p.message for p in found)
    assert len(found) == 3 and all(p.severity == "error" and p.path == "tickets/7QH2KD.md" for p in found)
    assert any(m.startswith("message k7q2p9xa") and "kind message -> note" in m for m in messages)
    assert any(m.startswith("note q1w2e3r4") and "'Known bug, see ENG-1234.' -> 'Known bug.'" in m for m in messages)
    assert any(m.startswith("message z9x8c7v6") and "was deleted (line 33 at main)" in m for m in messages)
    assert {p.severity for p in rewrites(ticket(), ticket(text), "main", "main", allow=True)} == {"warning"}


def test_a_deleted_ticket_is_one_problem():
    [problem] = rewrites(ticket(), None, "origin/main", "origin/main")
    assert problem.message == "ticket 7QH2KD was deleted since origin/main, with its 4 records"
