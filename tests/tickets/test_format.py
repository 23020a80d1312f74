"""The ticket file format: parsing, writing, round trips and minimal diffs."""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.errors import TicketFormatError
from supportctl.tickets.format import parse_ticket
from supportctl.tickets.frontmatter import new_front_matter
from supportctl.tickets.model import Change, Record, Ticket, new_record_id
from supportctl.base.timeutil import parse_timestamp

SAMPLE = """\
---
id: 7QH2KD
title: CSV export stops at 1,000 rows   # reported twice this week
status: open
priority: high
type: incident
channel: email
requester: {name: Dana Smith, email: dana@example.com}
assignee: alice
group: tier-1
tags: [billing, export]
created: 2026-11-20T09:15:00+01:00
updated: 2026-11-20T09:40:00+01:00
---

### message k7q2p9xa · 2026-11-20T09:15:00+01:00 · Dana Smith <dana@example.com> (customer)

Hi, our export stops at 1,000 rows.

### Steps
1. Open Reports
\\### message 00000000 · looks like a header · x (agent)

### event 3m8d0c2v · 2026-11-20T09:20:00+01:00 · alice (agent)

status: new -> open
assignee: null -> alice

### note q1w2e3r4 · 2026-11-20T09:30:00+01:00 · alice (agent)

Known bug, see ENG-1234.

### message z9x8c7v6 · 2026-11-20T09:40:00+01:00 · alice (agent)

Hi Dana, we are on it.
"""


def test_parse_reads_fields_and_records():
    t = parse_ticket(SAMPLE, "tickets/7QH2KD.md")
    assert t.id == "7QH2KD" and t.status == "open"
    assert t.meta["requester"] == {"name": "Dana Smith", "email": "dana@example.com"}
    assert [r.kind for r in t.records] == ["message", "event", "note", "message"]
    first = t.records[0]
    assert first.role == "customer" and first.public and first.author == "Dana Smith <dana@example.com>"
    # A Markdown heading inside a message stays in the body; the escaped header is unescaped.
    assert "### Steps" in first.body
    assert "### message 00000000 · looks like a header · x (agent)" in first.body.splitlines()
    assert t.records[1].changes() == [Change("status", "new", "open"), Change("assignee", None, "alice")]
    assert t.records[2].visibility == "internal" and not t.records[2].public
    assert t.records[0].line == 16


def test_unchanged_file_round_trips_byte_for_byte():
    assert parse_ticket(SAMPLE, "x.md").render() == SAMPLE


def test_a_change_touches_only_the_lines_it_must():
    t = parse_ticket(SAMPLE, "x.md")
    at = parse_timestamp("2026-11-20T10:00:00+01:00")
    t.add_record(Record("event", new_record_id(), at, "alice", "agent", Change("status", "open", "pending").render()))
    t.set_fields({"status": "pending", "updated": at})
    diff = [line for line in difflib.unified_diff(SAMPLE.splitlines(), t.render().splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    removed = [line for line in diff if line.startswith("-")]
    assert removed == ["-status: open", "-updated: 2026-11-20T09:40:00+01:00"]
    added = [line for line in diff if line.startswith("+")]
    assert "+status: pending" in added and "+updated: 2026-11-20T10:00:00+01:00" in added
    assert "+status: open -> pending" in added
    # The comment on the title line and the key order survive.
    assert "# reported twice this week" in t.render()


def test_records_are_inserted_in_time_order():
    t = parse_ticket(SAMPLE, "x.md")
    early = parse_timestamp("2026-11-20T09:25:00+01:00")
    t.add_record(Record("message", "aaaaaaaa", early, "alice", "agent", "In between"))
    reparsed = parse_ticket(t.render(), "x.md")
    assert [r.id for r in reparsed.records] == ["k7q2p9xa", "3m8d0c2v", "aaaaaaaa", "q1w2e3r4", "z9x8c7v6"]
    assert reparsed.records[2].body == "In between"


def test_a_record_merged_from_another_ticket_is_marked_in_its_header_and_round_trips():
    t = parse_ticket(SAMPLE, "x.md")
    early = parse_timestamp("2026-11-20T09:10:00+01:00")
    t.add_record(Record("message", "m3rg3d01", early, "Dana Smith <dana@example.com>", "customer", "Me too.",
                        merged_from="ABC123"))
    text = t.render()
    assert ("### message m3rg3d01 · 2026-11-20T09:10:00+01:00 · Dana Smith <dana@example.com> (customer)"
            " · merged from ABC123\n\nMe too.\n\n### message k7q2p9xa") in text
    assert text.endswith(SAMPLE.split("---\n\n", 1)[1])     # every record that was there is untouched
    back = parse_ticket(text, "x.md")
    assert back.render() == text
    copy = back.records[0]
    assert (copy.author, copy.role, copy.merged_from) == ("Dana Smith <dana@example.com>", "customer", "ABC123")
    assert copy.to_json()["merged_from"] == "ABC123" and back.records[1].to_json()["merged_from"] is None
    assert back.history()[0] == ("message", "customer", int(early.timestamp()), "ABC123")


def test_a_name_cannot_forge_the_merged_mark():
    t = parse_ticket(SAMPLE, "x.md")
    at = parse_timestamp("2026-11-20T09:50:00+01:00")
    t.add_record(Record("message", "f0rg3d01", at, "Eve (customer) · merged from ABC123", "customer", "Hi"))
    forged = parse_ticket(t.render(), "x.md").records[-1]
    assert forged.merged_from is None and forged.author == "Eve (customer) · merged from ABC123"


@pytest.mark.parametrize("text, message", [
    ("id: X\n", "does not start with YAML front matter"),
    ("---\nid: X\n", "front matter is not closed"),
    ("---\nid: [X\n---\n", "not valid YAML"),
    ("---\n- a\n- b\n---\n", "not a mapping"),
])
def test_malformed_files_name_the_problem(text, message):
    with pytest.raises(TicketFormatError) as info:
        parse_ticket(text, "tickets/X.md")
    assert message in info.value.message
    assert info.value.path == "tickets/X.md" and info.value.line
    assert info.value.hint


def test_yaml_error_reports_the_file_line():
    text = "---\nid: X\ntitle: a\nstatus: [open\n---\n"
    with pytest.raises(TicketFormatError) as info:
        parse_ticket(text, "tickets/X.md")
    assert info.value.line >= 4


def test_git_conflict_markers_are_named_as_a_conflict_with_the_way_out():
    """What a line merge leaves (no merge driver) is not reported as broken YAML or a stray line."""
    head, records = SAMPLE.split("### event 3m8d0c2v", 1)
    for text in (head + "<<<<<<< HEAD\n### event 3m8d0c2v" + records.replace(
                     "### note", "=======\n### note", 1) + ">>>>>>> b\n",
                 SAMPLE.replace("status: open\n", "<<<<<<< HEAD\nstatus: open\n=======\nstatus: solved\n"
                                                  ">>>>>>> b\n")):
        with pytest.raises(TicketFormatError) as info:
            parse_ticket(text, "tickets/7QH2KD.md")
        lines = text.split("\n")
        assert info.value.message.startswith("unresolved merge conflict")
        assert lines[info.value.line - 1].startswith("<<<<<<< HEAD")
        assert "run `supportctl git setup` and merge again" in info.value.hint


def test_a_conflict_pasted_into_a_message_stays_text():
    body = "My rebase says:\n<<<<<<< HEAD\nfoo\n=======\nbar\n>>>>>>> main\nWhat now?"
    t = parse_ticket(SAMPLE, "x.md")
    t.add_record(Record("message", "aaaaaaaa", parse_timestamp("2026-11-20T10:00:00+01:00"), "Dana", "customer",
                        body))
    text = t.render()
    assert "\n\\<<<<<<< HEAD\n" in text  # escaped, like a line that reads as a record header
    assert parse_ticket(text, "x.md").records[-1].body == body


# ------------------------------------------------------------------ property

# Text made of ordinary characters and of the pieces the format itself uses, so
# bodies that look like headers, separators or escapes are generated often.
_piece = (st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029\x85")
          | st.sampled_from(["\n", "### ", "\\### message ", "### message ", "---\n", " · ", "\\",
                           "\n### message abcd1234 · 2026-01-01T00:00:00+01:00 · x (agent)\n",
                           "\n<<<<<<< ours\n", "\n=======\n", "\n>>>>>>> theirs\n", "\\<<<<<<<", "<<<<<<<"]))
_text = st.lists(_piece, max_size=30).map("".join)
_body = _text.map(lambda s: "\n".join(line.rstrip() for line in s.split("\n")).strip("\n"))
_name = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)
_time = st.integers(min_value=0, max_value=10**8).map(
    lambda s: (datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=1))) + timedelta(seconds=s)))


@st.composite
def tickets(draw):
    title = draw(st.text(min_size=1, max_size=60).filter(lambda s: s.strip()))
    fields = {"id": "ABC123", "title": title, "status": draw(st.sampled_from(["new", "open", "pending"])),
              "priority": "normal", "channel": "email",
              "requester": {"name": draw(_name), "email": "x@example.com"},
              "assignee": draw(st.none() | _name), "tags": draw(st.lists(_name, max_size=3)),
              "created": draw(_time)}
    t = Ticket(path="tickets/ABC123.md", meta={}, fm_text=new_front_matter(fields))
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(["message", "note", "event"]))
        if kind == "event":
            body = Change(draw(_name).replace("-", "_"), draw(st.none() | _text.filter(lambda s: "\n" not in s)),
                          draw(st.none() | _name)).render()
        else:
            body = draw(_body)
        # Names that try to end like a merged record's header, and real copies from another ticket.
        author = draw(_name | st.sampled_from(["Eve (customer) · merged from ABC123", "x (agent) · merged from"]))
        merged = draw(st.none() | st.sampled_from(["ABC123", "7QH2KD"])) if kind != "event" else None
        t.add_record(Record(kind, new_record_id(), draw(_time), author, draw(st.sampled_from(
            ["customer", "agent", "system"])), body, merged_from=merged))
    return t


@settings(max_examples=300, deadline=None)
@given(tickets())
def test_parse_write_is_the_identity(ticket):
    text = ticket.render()
    parsed = parse_ticket(text, ticket.path)
    assert parsed.render() == text
    assert parsed.meta["title"] == ticket.meta.get("title", parsed.meta["title"])
    assert [(r.kind, r.id, r.at, r.author, r.role, r.body, r.merged_from) for r in parsed.records] == \
           [(r.kind, r.id, r.at, r.author, r.role, r.body, r.merged_from) for r in ticket.records]
    for original, again in zip(ticket.records, parsed.records):
        assert again.changes() == original.changes()


def test_the_sla_engine_reads_event_bodies_with_the_same_parser():
    from supportctl.tickets.events import escalation_keys, event_changes, status_change

    body = 'status: "on hold" -> open\nreason: customer reply\nescalation: standard/first_response/breached'
    assert status_change(body) == ("on hold", "open")
    assert status_change("priority: low -> high") is None
    assert status_change("status: open -> null") is None      # no new status: not a change the clocks use
    assert escalation_keys(body) == ["standard/first_response/breached"]
    assert [c.field for c in event_changes(body)] == ["status", "reason", "escalation"]


@pytest.mark.parametrize("change", [Change("title", "a -> b", 'say "hi" -> bye', "set"),
                                    Change("tags", new="x -> y", op="add"),
                                    Change("reason", new="moved -> pending", op="info"),
                                    Change("reason", new="-1 from the customer", op="info"),
                                    Change("reason", new='"quoted"', op="info"), Change("kb", old="+x", op="remove")])
def test_every_change_reads_back_as_written(change):
    from supportctl.tickets.events import parse_change, render_change

    assert parse_change(render_change(change)) == change


@pytest.mark.parametrize("line", [
    "## message aaaa1111 · 2026-11-20T10:00:00+01:00 · Dana Smith <dana@example.com> (customer)",
    "### mesage aaaa1111 · 2026-11-20T10:00:00+01:00 · Dana Smith <dana@example.com> (customer)",
    "### message AAAA1111 · 2026-11-20T10:00:00+01:00 · Dana Smith <dana@example.com> (customer)",
    "### message aaaa1111 · 2026-11-20T10:00:00+01:00 · Dana Smith <dana@example.com> (client)",
    "#### note by alice",
])
def test_a_line_that_looks_like_a_record_header_but_does_not_parse_is_an_error(tmp_path, line):
    """Never folded into the record before it (where a customer's message would vanish from show and SLAs)."""
    from supportctl.tickets import index

    text = SAMPLE.replace("### note q1w2e3r4", f"{line}\n\nLost?\n\n### note q1w2e3r4")
    with pytest.raises(TicketFormatError) as info:
        parse_ticket(text, "tickets/7QH2KD.md")
    assert info.value.line == text.splitlines().index(line) + 1 and info.value.hint
    assert "record header" in info.value.message
    # The index refuses the same file, with the same line.
    path = tmp_path / "7QH2KD.md"
    path.write_text(text)
    payload = index.index_payload(path, "tickets/7QH2KD.md")
    assert payload[0] == "error" and payload[3] == info.value.line


def test_body_lines_that_look_like_headers_are_escaped_and_read_back():
    t = parse_ticket(SAMPLE, "x.md")
    body = "## message x · y\n\\## message x · y\n### note abc\nends like one (agent)\n# Title (customer)"
    t.add_record(Record("note", "bbbbbbbb", parse_timestamp("2026-11-20T10:00:00+01:00"), "alice", "agent", body))
    text = t.render()
    assert "\n\\## message x · y\n\\\\## message x · y\n\\### note abc\n" in text and "\n\\# Title (customer)" in text
    assert parse_ticket(text, "x.md").records[-1].body == body
