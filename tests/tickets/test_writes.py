"""Issue 9, item 2: what supportctl writes reads back the same, and the front matter agrees with the history."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from supportctl.tickets.format import parse_ticket, render_record
from supportctl.tickets.model import Record
from tests.conftest import git, new_ticket


def meta(desk, tid):
    return parse_ticket((desk / "tickets" / f"{tid}.md").read_text(), f"tickets/{tid}.md").meta


def test_values_yaml_1_1_would_misread_are_quoted_and_pass_check(desk, cli):
    tid = new_ticket(cli, "--tag", "yes", "--field", "seats=7", requester="Yes <yes@example.com>", title="off")
    cli("ticket", "tag", tid, "on", "12:30")
    cli("ticket", "set", tid, "title", "no")
    m = meta(desk, tid)
    assert m["title"] == "no" and m["tags"] == ["12:30", "on", "yes"] and m["requester"]["name"] == "Yes"
    cli("check")
    cli("ticket", "tag", tid, "more")       # the next write reads its own output back
    cli("ticket", "message", tid, "-m", "Hello again")
    cli("check")


def test_a_string_custom_field_that_looks_like_a_time_stays_a_string(desk, cli):
    (desk / "supportctl.yml").write_text((desk / "supportctl.yml").read_text().replace(
        "  seats: {type: integer}\n", "  seats: {type: integer}\n  order_id: {type: string}\n"))
    git(desk, "commit", "-qam", "order_id")
    tid = new_ticket(cli, "--field", "order_id=12:30")
    assert meta(desk, tid)["order_id"] == "12:30"
    cli("ticket", "set", tid, "order_id", "0123")
    assert meta(desk, tid)["order_id"] == "0123"
    cli("check")


def test_a_requester_name_cannot_forge_a_record(desk, cli):
    forged = "Eve\n\n### message abcdefgh · 2026-03-02T09:00:00+01:00 · alice (agent)\n\nRefund approved"
    tid = new_ticket(cli, requester=f'"{forged}" <eve@example.com>')
    text = (desk / "tickets" / f"{tid}.md").read_text()
    ticket = parse_ticket(text, "x.md")
    assert [(r.kind, r.role) for r in ticket.records] == [("message", "customer")]
    assert "Refund approved" not in ticket.records[0].body
    cli("check")


def test_check_rejects_a_requester_name_with_a_line_break(desk, cli):
    tid = new_ticket(cli)
    path = desk / "tickets" / f"{tid}.md"
    path.write_text(path.read_text().replace("name: Dana Smith", 'name: "Dana\\n### message x"'))
    r = cli("check", ok=False)
    assert r.exit_code == 1 and "line break" in r.stdout + r.stderr


def test_a_record_header_is_always_one_line():
    at = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    text = render_record(Record("message", "abcd1234", at, "Eve\r\n### note x\u2028y", "customer", "hi"))
    assert text.split("\n")[0] == "### message abcd1234 · 2026-03-02T09:00:00+00:00 · Eve ### note x y (customer)"


def test_a_note_on_a_file_without_a_final_newline_is_not_glued_on(desk, cli):
    tid = new_ticket(cli, message=None)
    path = desk / "tickets" / f"{tid}.md"
    path.write_text(path.read_text().rstrip("\n") + "\nA line of text the agent typed by hand")
    cli("ticket", "note", tid, "-m", "Called the customer")
    ticket = parse_ticket(path.read_text(), "x.md")
    assert [r.body for r in ticket.records] == ["Called the customer"]
    assert "A line of text the agent typed by hand\n" in ticket.preamble
    tid2 = new_ticket(cli)
    path2 = desk / "tickets" / f"{tid2}.md"
    path2.write_text(path2.read_text().rstrip("\n"))
    cli("ticket", "note", tid2, "-m", "Second")
    assert [r.body for r in parse_ticket(path2.read_text(), "x.md").records] == ["It fails.", "Second"]


def test_a_back_dated_status_change_before_the_latest_one_is_refused(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "pending", "--at", "2026-03-02T12:00:00+01:00")
    path = desk / "tickets" / f"{tid}.md"
    before = path.read_text()
    r = cli("ticket", "status", tid, "open", "--at", "2026-03-02T10:00:00+01:00", ok=False)
    assert r.exit_code == 1 and "after" in r.stderr
    assert path.read_text() == before
    cli("ticket", "note", tid, "-m", "Logged a call from earlier", "--at", "2026-03-02T10:00:00+01:00")
    cli("check")


def test_a_back_dated_customer_message_does_not_reopen_against_the_history(desk, cli):
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "solved", "--at", "2026-03-02T12:00:00+01:00")
    cli("ticket", "message", tid, "-m", "Earlier mail, filed late", "--at", "2026-03-02T11:00:00+01:00")
    assert meta(desk, tid)["status"] == "solved"
    cli("check")
    cli("ticket", "message", tid, "-m", "Still broken", "--at", "2026-03-02T13:00:00+01:00")
    assert meta(desk, tid)["status"] == "open"
    cli("check")


def test_the_lock_says_when_it_was_taken(desk):
    from supportctl.desk.store import Desk

    d = Desk(desk)
    before = datetime.now(timezone.utc) - timedelta(seconds=1)
    with d.lock() as taken:
        assert taken >= before.replace(microsecond=0) and taken == d.locked_at


def test_a_stale_git_index_lock_is_explained(desk, cli):
    tid = new_ticket(cli)
    (desk / ".git" / "index.lock").write_text("")
    path = desk / "tickets" / f"{tid}.md"
    before = path.read_text()
    r = cli("ticket", "note", tid, "-m", "x", ok=False)
    assert r.exit_code == 1 and "locked by .git/index.lock" in r.stderr and "stale" in r.stderr
    assert path.read_text() == before


def test_records_at_the_same_instant_merge_in_one_order_whoever_merges(desk, cli):
    from supportctl.tickets.merge import merge_texts

    tid = new_ticket(cli)
    path = desk / "tickets" / f"{tid}.md"
    base = path.read_text()
    at = "2026-03-02T10:00:00+01:00"
    cli("ticket", "note", tid, "-m", "Ours", "--at", at, "--no-commit")
    ours = path.read_text()
    path.write_text(base)
    cli("ticket", "note", tid, "-m", "Theirs", "--at", at, "--no-commit")
    theirs = path.read_text()
    one = merge_texts(base, ours, theirs).text
    other = merge_texts(base, theirs, ours).text
    bodies = [r.body for r in parse_ticket(one, "x.md").records]
    assert bodies == [r.body for r in parse_ticket(other, "x.md").records]
    assert sorted(bodies[1:]) == ["Ours", "Theirs"]


def test_a_merge_keeps_the_front_matter_what_the_merged_history_says(desk, cli):
    """Their side went open -> pending -> open (no net change), ours solved earlier: history wins."""
    from supportctl.tickets.merge import merge_texts

    tid = new_ticket(cli)
    cli("ticket", "status", tid, "open", "--at", "2026-03-02T09:30:00+01:00")
    path = desk / "tickets" / f"{tid}.md"
    base = path.read_text()
    cli("ticket", "status", tid, "solved", "--at", "2026-03-02T10:00:00+01:00", "--no-commit")
    ours = path.read_text()
    path.write_text(base)
    cli("ticket", "status", tid, "pending", "--at", "2026-03-02T11:00:00+01:00", "--no-commit")
    cli("ticket", "status", tid, "open", "--at", "2026-03-02T12:00:00+01:00", "--no-commit")
    theirs = path.read_text()
    for a, b in ((ours, theirs), (theirs, ours)):
        merged = parse_ticket(merge_texts(base, a, b).text, "x.md")
        assert merged.meta["status"] == "open"
        assert merged.meta["updated"] == datetime.fromisoformat("2026-03-02T12:00:00+01:00")


def test_the_line_edit_of_simple_fields_writes_what_the_round_trip_writes():
    """Every change touches `updated:` through a fast line edit; it must equal ruamel's round trip."""
    import glob
    from datetime import datetime, timedelta, timezone
    from pathlib import Path

    from supportctl.base.yamlio import rt_dump, rt_load
    from supportctl.tickets import frontmatter
    from supportctl.tickets.format import read_ticket

    root = Path(__file__).resolve().parents[2]
    updates = ({"updated": datetime(2026, 12, 2, 5, 36, 49, tzinfo=timezone(timedelta(hours=1)))},
               {"status": "open", "updated": datetime(2026, 12, 2, 5, 36, tzinfo=timezone.utc)},
               {"status": "solved"}, {"status": "yes"}, {"title": "Two words"})
    fast_ones = 0
    for path in sorted(glob.glob(str(root / "tickets" / "*.md"))):
        ticket = read_ticket(path, path)
        for update in updates:
            fast = frontmatter._set_lines(ticket.fm_text, update)
            if fast is None:
                continue
            doc = rt_load(ticket.fm_text)
            for key, value in update.items():
                doc[key] = frontmatter.to_yaml_value(key, value)
            assert fast == rt_dump(doc), (path, update)
            fast_ones += 1
    assert fast_ones >= 150
    assert frontmatter._set_lines("status: open\n", {"status": "yes"}) is None     # YAML 1.1 would read a bool
