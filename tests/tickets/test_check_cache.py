"""`check` results cached per file content: the same problems warm as cold, and nothing stale after a change."""

from __future__ import annotations

import json
import os
import shutil

import pytest
import yaml

from supportctl.desk.store import Desk
from supportctl.tickets import deskcheck
from supportctl.tickets.checks import check_ticket
from supportctl.tickets.store import TicketStore
from tests.conftest import git, new_ticket


def uncached(root) -> list[tuple]:
    """What `check` reports about the tickets, worked out from scratch: every file parsed and checked."""
    desk = Desk(root)
    result = TicketStore(desk).load_all(with_bodies=True)
    problems = list(result.problems)
    ids: dict[str, str] = {}
    for ticket in result.tickets:
        if ticket.id in ids:
            problems.append(("duplicate", ticket.path, ticket.id))
        ids.setdefault(ticket.id, ticket.path)
    for ticket in result.tickets:
        problems.extend(check_ticket(ticket, desk.config, set(ids)))
    return [p if isinstance(p, tuple) else (p.path, p.line, p.message, p.hint) for p in problems]


def checked(root) -> list[tuple]:
    """What the cached `check` reports about the tickets, in the same shape as `uncached`."""
    out = []
    for p in deskcheck.check_desk(Desk(root)):
        if p.message.startswith("duplicate id "):
            out.append(("duplicate", p.path, p.message.split()[2].rstrip(":")))
        else:
            out.append((p.path, p.line, p.message, p.hint))
    return out


def cli_problems(cli) -> list[dict]:
    return json.loads(cli("check", "--json", ok=None).stdout)


def no_parsing(monkeypatch):
    """Fail if any ticket is parsed again: a warm check answers from the cache."""
    def refuse(*args, **kw):
        raise AssertionError("a ticket was parsed again")

    monkeypatch.setattr(deskcheck, "parse_ticket_lines", refuse)


def break_ticket(desk, tid: str) -> None:
    path = desk / "tickets" / f"{tid}.md"
    text = path.read_text()
    text = text.replace("priority: normal", "priority: critical")
    text = text.replace("channel: email", "channel: email\nasignee: bob\nescalated: no\nseats: many")
    text = text.replace("status: new", "status: waiting")
    text = text.replace("created: 2026-03-02T09:00:00+01:00", "created: 2026-03-02T09:00:00")
    text = text.replace("tags: []", "tags: []\nrelated: [NOWHERE, ZZZZZZ]")
    text += "\n### message aaaa1111 · 2026-03-01T09:00:00+01:00 · bob (agent)\n\nOut of order\n"
    path.write_text(text)


@pytest.fixture
def broken_desk(desk, cli):
    """A desk with a clean ticket, a ticket with a dozen problems, a copy (duplicate id) and an unparsable file."""
    good = new_ticket(cli)
    bad = new_ticket(cli, title="To be broken")
    break_ticket(desk, bad)
    (desk / "tickets" / f"{good}-copy.md").write_text((desk / "tickets" / f"{good}.md").read_text())
    (desk / "tickets" / "BROKEN.md").write_text("---\nid: BROKEN\ntitle: [unclosed\n---\n")
    return desk, good, bad


@pytest.mark.parametrize("parallel", [False, True])
def test_a_problem_found_cold_is_still_reported_warm_with_the_same_path_line_and_hint(
        broken_desk, cli, monkeypatch, parallel):
    desk, good, bad = broken_desk
    if parallel:
        monkeypatch.setattr(deskcheck, "PARALLEL_FROM", 1)   # the forked workers of a cold check
    expected = uncached(desk)
    assert len(expected) >= 12
    cold = checked(desk)
    assert cold == expected
    assert (desk / ".supportctl" / "cache" / deskcheck.CACHE_NAME).is_file()
    cold_cli = cli_problems(cli)
    with monkeypatch.context() as m:
        no_parsing(m)
        assert checked(desk) == expected
        assert cli_problems(cli) == cold_cli
    rel = f"tickets/{bad}.md"
    by_message = {p["message"]: p for p in cold_cli if p["path"] == rel}
    assert by_message["unknown priority 'critical'"]["line"] == 5
    related = by_message["related points to ticket 'NOWHERE', which does not exist"]
    assert related["line"] == (desk / "tickets" / f"{bad}.md").read_text().split("\n").index(
        "related: [NOWHERE, ZZZZZZ]") + 1
    assert related["hint"] == "fix or remove the link"
    assert by_message["seats must be an integer"]["hint"] == "see custom_fields in supportctl.yml"
    assert any(p["path"] == "tickets/BROKEN.md" and p["line"] == 3 for p in cold_cli)


def test_files_aged_past_the_racy_window_are_not_even_read(broken_desk, monkeypatch):
    desk, _, _ = broken_desk
    old = 1_700_000_000
    for path in (desk / "tickets").iterdir():
        os.utime(path, (old, old))
    expected = checked(desk)
    checked(desk)   # the entries are settled now
    read = []
    real = deskcheck.check_file
    monkeypatch.setattr(deskcheck, "check_file", lambda *a, **kw: read.append(a[1]) or real(*a, **kw))
    assert checked(desk) == expected and read == []


def test_editing_the_config_invalidates_every_cached_result(broken_desk, cli):
    desk, good, bad = broken_desk
    path = desk / "tickets" / f"{good}.md"
    path.write_text(path.read_text().replace("assignee: null", "assignee: carol"))
    before = checked(desk)
    assert not any(p[0] == f"tickets/{good}.md" for p in before)
    line = (desk / "tickets" / f"{bad}.md").read_text().split("\n").index("asignee: bob") + 1
    assert (f"tickets/{bad}.md", line, "unknown key 'asignee'",
            "check the spelling, or declare it under custom_fields in supportctl.yml") in before
    config = yaml.safe_load((desk / "supportctl.yml").read_text())
    config["custom_fields"]["asignee"] = {"type": "string"}
    config["custom_fields"]["seats"] = {"type": "string"}
    config["lifecycle"]["states"]["waiting"] = {"category": "pending"}
    config["lifecycle"]["transitions"]["waiting"] = ["open"]
    del config["agents"]["carol"]
    config["sla"]["policies"][0].pop("warn_before")   # a part the ticket rules never read
    (desk / "supportctl.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    after = checked(desk)
    assert after == uncached(desk) and after != before
    messages = {p[2] for p in after}
    assert "unknown key 'asignee'" not in messages and "seats must be an integer" not in messages
    assert "unknown status 'waiting'" not in messages
    line = path.read_text().split("\n").index("assignee: carol") + 1
    assert (f"tickets/{good}.md", line, "unknown agent 'carol'", "agents: alice, bob") in after


def test_a_hand_edit_rechecks_that_file_even_with_its_size_and_times_kept(broken_desk):
    desk, good, bad = broken_desk
    checked(desk)
    path = desk / "tickets" / f"{good}.md"
    st = path.stat()
    text = path.read_text()
    assert "priority: normal" in text
    path.write_text(text.replace("priority: normal", "priority: urgen1"))   # same length
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    after = checked(desk)
    assert after == uncached(desk)
    assert any(p[0] == f"tickets/{good}.md" and p[2] == "unknown priority 'urgen1'" for p in after)
    path.write_text(text)
    assert checked(desk) == uncached(desk)
    assert not any(p[0] == f"tickets/{good}.md" for p in checked(desk))


def test_links_and_duplicates_are_decided_across_the_desk_on_every_run(broken_desk, cli, monkeypatch):
    desk, good, bad = broken_desk
    checked(desk)
    shutil.copy(desk / "tickets" / f"{bad}.md", desk / "tickets" / "NOWHERE.md")
    text = (desk / "tickets" / "NOWHERE.md").read_text().replace(f"id: {bad}", "id: NOWHERE")
    (desk / "tickets" / "NOWHERE.md").write_text(text)
    (desk / "tickets" / f"{good}-copy.md").unlink()
    with monkeypatch.context() as m:
        real = deskcheck.parse_ticket_lines
        parsed = []
        m.setattr(deskcheck, "parse_ticket_lines", lambda text, rel: parsed.append(rel) or real(text, rel))
        after = checked(desk)
    assert parsed == ["tickets/NOWHERE.md"]   # the only new content
    assert after == uncached(desk)
    messages = [p for p in after if p[0] == f"tickets/{bad}.md"]
    assert not any("'NOWHERE'" in p[2] for p in messages)
    assert any("'ZZZZZZ'" in p[2] for p in messages)
    assert not any(p[0] == "duplicate" for p in after)


def test_a_git_checkout_changes_the_results(broken_desk, cli):
    desk, good, bad = broken_desk
    for name in (f"{good}-copy.md", "BROKEN.md"):
        (desk / "tickets" / name).unlink()
    git(desk, "add", "-A")
    git(desk, "commit", "-qm", "broken ticket")
    broken = checked(desk)
    assert any(p[0] == f"tickets/{bad}.md" for p in broken)
    git(desk, "checkout", "-q", "-b", "fixed")
    path = desk / "tickets" / f"{bad}.md"
    fixed_text = path.read_text()
    for old, new in (("priority: critical", "priority: normal"), ("\nasignee: bob\nescalated: no\nseats: many", ""),
                     ("status: waiting", "status: new"), ("T09:00:00\n", "T09:00:00+01:00\n"),
                     ("\nrelated: [NOWHERE, ZZZZZZ]", "")):
        fixed_text = fixed_text.replace(old, new)
    fixed_text = fixed_text[:fixed_text.index("\n### message aaaa1111")] + "\n"
    path.write_text(fixed_text)
    git(desk, "commit", "-qam", "fix it")
    assert checked(desk) == uncached(desk) == []
    git(desk, "checkout", "-q", "main")
    assert checked(desk) == uncached(desk) == broken
    git(desk, "checkout", "-q", "fixed")
    assert checked(desk) == []


def test_an_unreadable_cache_is_rebuilt(broken_desk):
    desk, _, _ = broken_desk
    expected = checked(desk)
    cache = desk / ".supportctl" / "cache" / deskcheck.CACHE_NAME
    cache.write_bytes(b"not marshal")
    assert checked(desk) == expected
    assert cache.read_bytes() != b"not marshal"


def test_every_ticket_module_the_rules_import_counts_in_the_rules_fingerprint():
    """A module split out of a rule module (the event lines from the format) must still drop cached results
    when it changes: every `supportctl.tickets` module the checks load is among `_RULE_MODULES`."""
    import subprocess
    import sys

    from supportctl.tickets.deskcheck import _RULE_MODULES

    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, supportctl.tickets.checks, supportctl.tickets.fastmeta, "
         "supportctl.tickets.format\nprint(' '.join(n for n in sys.modules if n.startswith('supportctl.tickets.')))"],
        capture_output=True, text=True, check=True).stdout.split()
    assert {name.rsplit(".", 1)[1] for name in loaded} <= set(_RULE_MODULES)
