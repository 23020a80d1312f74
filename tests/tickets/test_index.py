"""The ticket index: parallel and sequential builds, SLA clocks from the index, one parser for both."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from supportctl.desk.store import Desk
from supportctl.errors import TicketFormatError
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


def _age(desk: Path) -> None:
    """Move every ticket file past the racy window, as on a desk whose files are not brand new."""
    import os
    import time

    old = time.time() - 3600
    for path in (desk / "tickets").glob("*.md"):
        os.utime(path, (old, old))


def _timelines(desk: Path) -> dict[str, list[str]]:
    """Each ticket's record ids as the index gives them."""
    entries, _ = TicketStore(Desk(desk)).load_index()
    return {e.id: [r[1] for r in e.records] for e in entries}


def _ids_on_file(desk: Path) -> dict[str, list[str]]:
    from supportctl.tickets.format import read_ticket

    return {p.stem: [r.id for r in read_ticket(p, f"tickets/{p.name}").records]
            for p in sorted((desk / "tickets").glob("*.md")) if p.name != "README.md"}


def test_timelines_follow_hand_edits_checkouts_and_merges_after_a_listing(desk, cli, keys_by):
    """A listing refreshes only the lean file; the timelines read later must still be the files' own."""
    from tests.conftest import git

    a = new_ticket(cli, title="First")
    b = new_ticket(cli, title="Second")
    _age(desk)
    assert _timelines(desk) == _ids_on_file(desk)   # parsed now: timelines in hand, none saved
    assert _timelines(desk) == _ids_on_file(desk)   # from the lean file; timelines parsed and saved
    assert (desk / ".supportctl" / "cache" / "timelines.marshal").exists()
    # A hand edit adds a note; a listing (no timelines) sees it first, the clocks later.
    path = desk / "tickets" / f"{a}.md"
    path.write_text(path.read_text() + "\n### note abcd1234 · 2026-03-02T10:00:00+01:00 · alice (agent)\n\nBy hand.\n")
    _age(desk)
    TicketStore(Desk(desk)).load_index()
    assert "abcd1234" in _timelines(desk)[a]
    # A checkout puts the file back.
    git(desk, "checkout", "--", f"tickets/{a}.md")
    _age(desk)
    assert _timelines(desk) == _ids_on_file(desk)
    # A merge brings a reply made on a branch.
    git(desk, "checkout", "-q", "-b", "side")
    cli("ticket", "reply", b, "-m", "From the branch.", "--at", "2026-03-02T11:00:00+01:00")
    git(desk, "checkout", "-q", "-")
    _timelines(desk)
    git(desk, "merge", "-q", "side")
    _age(desk)
    assert _timelines(desk) == _ids_on_file(desk)
    assert len(_timelines(desk)[b]) > 1


def test_stale_or_missing_timelines_are_rebuilt_and_saved(desk, cli, keys_by):
    tid = new_ticket(cli)
    _age(desk)
    TicketStore(Desk(desk)).load_index()
    timelines = desk / ".supportctl" / "cache" / "timelines.marshal"
    timelines.unlink(missing_ok=True)
    assert _timelines(desk) == _ids_on_file(desk)     # rebuilt from the files...
    assert timelines.exists()                         # ...and saved for the next command
    timelines.write_bytes(b"not marshal")
    assert _timelines(desk)[tid] == _ids_on_file(desk)[tid]


def test_a_ticket_deleted_leaves_the_timelines(desk, cli, keys_by):
    a = new_ticket(cli, title="Keep")
    b = new_ticket(cli, title="Delete")
    _age(desk)
    _timelines(desk)
    (desk / "tickets" / f"{b}.md").unlink()
    assert set(_timelines(desk)) == {a}
    import marshal

    _, saved = marshal.loads((desk / ".supportctl" / "cache" / "timelines.marshal").read_bytes())
    assert set(saved) == {f"tickets/{a}.md"}


def test_entries_newest_first_match_a_sort_of_the_path_order_through_edits(desk, cli, keys_by):
    """The index keeps its entries newest activity first for listings; that order must always be what
    sorting the path-ordered entries gives, ties in path order, whether the index was just parsed or read."""
    import json
    import os

    from tests.conftest import git

    times = ["2026-03-02T09:00:00+01:00", "2026-03-02T11:00:00+01:00", "2026-03-02T09:00:00+01:00",
             "2026-03-01T09:00:00+01:00", "2026-03-02T11:00:00+01:00"]
    ids = [new_ticket(cli, title=f"T{i}", at=at) for i, at in enumerate(times)]
    _age(desk)

    def both() -> tuple[list[str], list[str]]:
        store = TicketStore(Desk(desk))
        by_path, _ = store.load_index()
        assert [e.path for e in by_path] == sorted(e.path for e in by_path)
        recent, _ = store.load_index(recent=True)
        expected = sorted(by_path, key=lambda e: e.updated_ts, reverse=True)
        assert [e.path for e in recent] == [e.path for e in expected]
        return [e.id for e in recent], [e.id for e in expected]

    def listed(*args: str) -> list[str]:
        return [t["id"] for t in json.loads(cli("ticket", "list", "--json", "--all", *args).stdout)]

    for _ in range(2):   # parsed, then read from the saved index
        got, _ = both()
        assert listed() == got and listed("--reverse") == [e.id for e in sorted(
            TicketStore(Desk(desk)).load_index()[0], key=lambda e: e.updated_ts)]
    assert got[:2] == sorted(ids[i] for i in (1, 4)) and got[-1] == ids[3]
    # A hand edit makes the oldest the newest; a checkout puts it back; a deletion drops one.
    path = desk / "tickets" / f"{ids[3]}.md"
    path.write_text(path.read_text().replace("updated: 2026-03-01T09:00:00+01:00", "updated: 2026-03-05T09:00:00+01:00"))
    old = os.stat(path).st_mtime - 3600
    os.utime(path, (old, old))
    assert both()[0][0] == ids[3] and listed()[0] == ids[3]
    git(desk, "checkout", "--", f"tickets/{ids[3]}.md")
    _age(desk)
    assert both()[0][-1] == ids[3] and listed()[-1] == ids[3]
    (desk / "tickets" / f"{ids[1]}.md").unlink()
    assert ids[1] not in both()[0] and listed() == both()[0]


def test_a_saved_index_of_another_layout_is_rebuilt(desk, cli):
    import marshal

    tid = new_ticket(cli, title="Kept")
    _age(desk)
    TicketStore(Desk(desk)).load_index()
    saved = desk / ".supportctl" / "cache" / "tickets.marshal"
    for value in ({"a": 1, "b": 2, "c": 3}, ([], [], []), "text", None):
        saved.write_bytes(marshal.dumps((index.CACHE_VERSION, value)))
        entries, problems = TicketStore(Desk(desk)).load_index(recent=True)
        assert [e.id for e in entries] == [tid] and not problems


def _settled(desk: Path, rel: str) -> None:
    """Age a ticket file past the racy window, then build the index (which then holds it for good)."""
    import os

    old = time.time() - 60
    os.utime(desk / rel, (old, old))
    time.sleep(0.01)
    TicketStore(Desk(desk)).load_index()


def test_a_named_ticket_takes_its_fields_from_the_index_that_holds_the_file(desk, cli):
    """`read_indexed`: the index's fields and the file's records, with no YAML parser imported."""
    tid = new_ticket(cli, "--tag", "billing", message="The invoice PDF is blank.")
    cli("ticket", "reply", tid, "-m", "Looking into it.", "--at", "2026-03-02T10:00:00+01:00")
    rel = f"tickets/{tid}.md"
    _settled(desk, rel)
    parsed = TicketStore(Desk(desk)).read(rel)
    code = ("import json, sys\nfrom pathlib import Path\nfrom supportctl.desk.store import Desk\n"
            "from supportctl.tickets.store import TicketStore\n"
            "t = TicketStore(Desk(Path.cwd())).read_indexed(sys.argv[1])\n"
            "print(json.dumps({'yaml': 'yaml' in sys.modules, 'meta': {k: str(v) for k, v in t.meta.items()},"
            " 'records': [(r.kind, r.id, r.at.isoformat(), r.body) for r in t.records]}))")
    out = json.loads(subprocess.run([sys.executable, "-c", code, rel], cwd=desk, capture_output=True, text=True,
                                    check=True).stdout)
    assert out["yaml"] is False
    assert out["meta"] == {k: str(v) for k, v in parsed.meta.items()}
    assert [tuple(r) for r in out["records"]] == [(r.kind, r.id, r.at.isoformat(), r.body) for r in parsed.records]
    assert "The invoice PDF is blank." in [r[3] for r in out["records"]]


def test_a_named_ticket_edited_by_hand_or_broken_is_parsed_as_it_now_is(desk, cli, monkeypatch):
    tid = new_ticket(cli, title="Old title")
    rel = f"tickets/{tid}.md"
    _settled(desk, rel)
    store = TicketStore(Desk(desk))
    path = desk / rel
    path.write_text(path.read_text().replace("title: Old title", "title: New title"))
    assert store.read_indexed(rel).title == "New title"           # the index is stale for it: parsed
    _settled(desk, rel)
    monkeypatch.setattr(index, "FIELDS_FOR_ONE_UP_TO", 0)          # an index too big to read for one ticket
    assert store.read_indexed(rel).meta == store.read(rel).meta
    monkeypatch.undo()
    path.write_text(path.read_text().replace("title: New title", "title: [unclosed"))
    with pytest.raises(TicketFormatError) as got:
        store.read_indexed(rel)
    with pytest.raises(TicketFormatError) as parsed:
        store.read(rel)
    assert (got.value.path, got.value.line, got.value.message) == (parsed.value.path, parsed.value.line,
                                                                   parsed.value.message)


def test_commands_naming_a_ticket_say_the_same_with_and_without_the_index(desk, cli):
    """ticket show, sla status, sla explain and kb suggest: fields from the index or from the file alike."""
    tid = new_ticket(cli, "--priority", "high", "--tag", "export", message="How do I export invoices to CSV?")
    path = desk / "tickets" / f"{tid}.md"
    path.write_text(path.read_text().replace("\n---\n", "\nplan: pro\nseats: 12\n---\n", 1))
    cli("ticket", "reply", tid, "-m", "On it.", "--at", "2026-03-02T11:00:00+01:00")
    _settled(desk, f"tickets/{tid}.md")
    now = ("--now", "2026-03-03T12:00:00+01:00")
    commands = [("ticket", "show", tid), ("ticket", "show", tid, "--json"), ("sla", "status", tid, *now, "--json"),
                ("sla", "explain", tid, *now), ("kb", "suggest", tid)]
    with pytest.MonkeyPatch.context() as mp:   # not one of them parses the file's front matter
        mp.setattr(TicketStore, "read", lambda self, rel: pytest.fail(f"{rel} parsed"))
        from_index = [cli(*c, ok=None) for c in commands]
    shutil.rmtree(desk / ".supportctl" / "cache")
    parsed = [cli(*c, ok=None) for c in commands]
    for command, a, b in zip(commands, from_index, parsed):
        assert (a.exit_code, a.stdout) == (b.exit_code, b.stdout), command
    assert "plan: pro" in from_index[0].stdout and json.loads(from_index[1].stdout)["seats"] == 12
