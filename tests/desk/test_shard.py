"""`supportctl shard`: tickets into folders by the first two characters of their id, and back, in one commit."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.config.edit import with_desk_setting
from supportctl.errors import ConfigError
from tests.conftest import git, new_ticket


def _tickets(desk) -> list[str]:
    return sorted(p.relative_to(desk).as_posix() for p in (desk / "tickets").rglob("*.md") if p.name != "README.md")


def test_shard_moves_every_ticket_in_one_commit_and_new_tickets_follow(desk, cli):
    ids = [new_ticket(cli, title=f"Ticket {n}") for n in range(3)]
    (desk / "notes.txt").write_text("someone's own change, not for this commit\n")
    config_before = (desk / "supportctl.yml").read_text()
    head = git(desk, "rev-parse", "HEAD").strip()

    out = json.loads(cli("shard", "--json").stdout)
    assert out["sharded"] and out["config_changed"] and out["commit"]
    assert sorted((m["from"], m["to"]) for m in out["moved"]) == sorted(
        (f"tickets/{i}.md", f"tickets/{i[:2]}/{i}.md") for i in ids)
    assert _tickets(desk) == sorted(f"tickets/{i[:2]}/{i}.md" for i in ids)
    # One commit: renames (git sees the same blobs) and one added line in supportctl.yml.
    assert git(desk, "rev-list", "--count", f"{head}..HEAD").strip() == "1"
    renames = git(desk, "show", "--format=", "--name-status", "-M100%", "HEAD").splitlines()
    assert sorted(r.split("\t")[0] for r in renames) == ["M"] + ["R100"] * 3
    after = (desk / "supportctl.yml").read_text().split("\n")
    after.remove("  tickets_sharded: true")
    assert after == config_before.split("\n")
    assert git(desk, "status", "--porcelain") == "?? notes.txt\n"
    assert json.loads(cli("check", "--since", head, "--json").stdout) == []   # moved, not rewritten

    # Every command finds the moved tickets, by whole id or prefix; new ones go to their folder.
    assert json.loads(cli("ticket", "show", ids[0], "--json").stdout)["path"] == f"tickets/{ids[0][:2]}/{ids[0]}.md"
    assert json.loads(cli("ticket", "show", ids[1][:5], "--json").stdout)["id"] == ids[1]
    cli("ticket", "reply", ids[2], "-m", "Still here.")
    fresh = new_ticket(cli, title="After sharding")
    assert (desk / "tickets" / fresh[:2] / f"{fresh}.md").is_file()
    assert len(json.loads(cli("ticket", "list", "--json", "--all").stdout)) == 4
    assert cli("check").exit_code == 0
    # The merge driver's attribute reaches the shard folders.
    assert "merge: supportctl" in git(desk, "check-attr", "merge", "--", f"tickets/{fresh[:2]}/{fresh}.md")

    assert "already sharded" in cli("shard").stderr   # nothing to do: no commit
    assert git(desk, "rev-list", "--count", f"{head}..HEAD").strip() == "3"   # shard, reply, new


def test_flat_moves_them_back_and_removes_the_empty_folders(desk, cli):
    ids = [new_ticket(cli, title=f"Ticket {n}") for n in range(2)]
    cli("shard")
    result = cli("shard", "--flat")
    assert "2 files moved" in result.stderr and "tickets_sharded set" in result.stderr
    assert _tickets(desk) == sorted(f"tickets/{i}.md" for i in ids)
    assert not [p for p in (desk / "tickets").iterdir() if p.is_dir()]
    assert "tickets_sharded: false" in (desk / "supportctl.yml").read_text()
    assert git(desk, "status", "--porcelain") == ""
    fresh = new_ticket(cli, title="Flat again")
    assert (desk / "tickets" / f"{fresh}.md").is_file()


def test_a_ticket_made_flat_on_another_branch_is_a_warning_until_shard_runs_again(desk, cli):
    new_ticket(cli, title="Before")
    git(desk, "checkout", "-qb", "old-layout")
    straggler = new_ticket(cli, title="Made on a branch that was not sharded")
    git(desk, "checkout", "-q", "-")
    cli("shard")
    git(desk, "merge", "-q", "--no-edit", "old-layout")
    assert (desk / "tickets" / f"{straggler}.md").is_file()
    result = cli("check", "--json", ok=None)
    assert result.exit_code == 0
    found = json.loads(result.stdout)
    assert [(p["path"], p["severity"]) for p in found] == [(f"tickets/{straggler}.md", "warning")]
    assert f"tickets/{straggler[:2]}/{straggler}.md" in found[0]["message"]
    assert "1 warning" in cli("check").stderr
    moved = json.loads(cli("shard", "--json").stdout)
    assert moved["moved"] == [{"from": f"tickets/{straggler}.md", "to": f"tickets/{straggler[:2]}/{straggler}.md"}]
    assert not moved["config_changed"]
    assert json.loads(cli("check", "--json").stdout) == []


def test_two_files_for_one_id_stop_the_shard_before_anything_moves(desk, cli):
    tid = new_ticket(cli, title="Twice")
    other = new_ticket(cli, title="Other")
    (desk / "tickets" / tid[:2]).mkdir(exist_ok=True)
    (desk / "tickets" / tid[:2] / f"{tid}.md").write_text((desk / "tickets" / f"{tid}.md").read_text())
    git(desk, "add", "tickets")
    git(desk, "commit", "-qm", "a copy, committed")
    before = {p: (desk / p).read_bytes() for p in _tickets(desk) + ["supportctl.yml"]}
    head = git(desk, "rev-parse", "HEAD")
    result = cli("shard", ok=False)
    assert result.exit_code == 1 and f"two files for ticket {tid}" in result.stderr
    assert {p: (desk / p).read_bytes() for p in _tickets(desk) + ["supportctl.yml"]} == before
    assert git(desk, "rev-parse", "HEAD") == head and (desk / "tickets" / f"{other}.md").is_file()


def test_tickets_with_changes_not_committed_stop_the_shard(desk, cli):
    tid = new_ticket(cli, title="Edited")
    path = desk / "tickets" / f"{tid}.md"
    path.write_text(path.read_text() + "\nAn edit in progress.\n")
    result = cli("shard", ok=False)
    assert result.exit_code == 1 and f"tickets/{tid}.md" in result.stderr and "commit or stash" in result.stderr
    assert path.is_file() and "tickets_sharded" not in (desk / "supportctl.yml").read_text()
    git(desk, "commit", "-qam", "the edit")
    cli("shard")
    assert (desk / "tickets" / tid[:2] / f"{tid}.md").is_file()


def test_a_failed_commit_puts_every_file_back(desk, cli, monkeypatch):
    ids = [new_ticket(cli, title=f"Ticket {n}") for n in range(2)]
    before = {p: (desk / p).read_bytes() for p in _tickets(desk) + ["supportctl.yml"]}
    (desk / ".git" / "index.lock").write_text("")     # another git process holds the index
    result = cli("shard", ok=False)
    assert result.exit_code != 0
    (desk / ".git" / "index.lock").unlink()
    assert {p: (desk / p).read_bytes() for p in _tickets(desk) + ["supportctl.yml"]} == before
    assert not [p for p in (desk / "tickets").iterdir() if p.is_dir()]
    assert git(desk, "status", "--porcelain") == ""
    assert all((desk / "tickets" / f"{i}.md").is_file() for i in ids)


def test_one_desk_setting_is_set_on_its_own_line_and_nothing_else_moves():
    text = ("# the desk\ndesk:\n  name: Acme   # shown on the site\n  timezone: Europe/Berlin\n\n"
            "agents:\n  alice:  {name: Alice}\n")
    added = with_desk_setting(text, "tickets_sharded", "true")
    assert added == text.replace("Europe/Berlin\n", "Europe/Berlin\n  tickets_sharded: true\n")
    assert with_desk_setting(added, "tickets_sharded", "false") == added.replace(": true", ": false")
    assert with_desk_setting("desk: {name: Acme}  # ours\n", "tickets_sharded", "true") == \
        "desk: {name: Acme, tickets_sharded: true}  # ours\n"
    assert with_desk_setting("desk: {name: Acme,\n  url: x}\n", "tickets_sharded", "true") == \
        "desk: {name: Acme,\n  url: x, tickets_sharded: true}\n"
    for odd in ("desk: {name: Acme, }\n", "desk:\n  name: Acme\n  tickets_sharded:\n    false\n", "agents: [a]\n"):
        with pytest.raises(ConfigError) as refused:
            with_desk_setting(odd, "tickets_sharded", "true")
        assert "by hand" in refused.value.hint


@settings(max_examples=200, deadline=None)
@given(desk=st.dictionaries(st.text(min_size=1, max_size=8), st.one_of(st.text(max_size=12), st.integers(),
                                                                       st.booleans(), st.none()), max_size=4),
       flow=st.booleans(), width=st.integers(min_value=8, max_value=80), value=st.sampled_from(["true", "false"]))
def test_setting_a_desk_key_keeps_every_other_setting_or_refuses(desk, flow, width, value):
    import yaml

    text = yaml.safe_dump({"desk": desk, "agents": ["alice"]}, default_flow_style=flow, width=width,
                          allow_unicode=True)
    try:
        out = with_desk_setting(text, "tickets_sharded", value)
    except ConfigError as exc:
        assert "by hand" in exc.hint
        return
    before = yaml.safe_load(text)   # as PyYAML reads it back (it folds some line breaks, e.g. U+0085)
    assert yaml.safe_load(out) == {**before, "desk": {**before["desk"], "tickets_sharded": value == "true"}}


def test_an_id_is_taken_wherever_a_ticket_file_with_it_lies(desk):
    from supportctl.desk.store import Desk
    from supportctl.tickets.store import TicketStore

    tickets = desk / "tickets"
    for rel in ("AAAAAA.md", "BB/BBBBBB.md", "2025/03/CCCCCC.md", "CC/DDDDDD.md"):
        (tickets / rel).parent.mkdir(parents=True, exist_ok=True)
        (tickets / rel).write_text("x")
    taken = TicketStore(Desk(desk)).taken()
    assert "AAAAAA" in taken and "BBBBBB" in taken and "CCCCCC" in taken   # flat, sharded, any other folder
    assert "EEEEEE" not in taken
    # A file in another id's shard folder is found by the scan any listing does, not by this lookup.
    assert "DDDDDD" not in taken


def test_a_shard_folder_that_is_a_link_is_refused_and_nothing_leaves_the_desk(desk, cli, tmp_path):
    tid = new_ticket(cli, title="Stay here")
    outside = tmp_path / "outside"
    outside.mkdir()
    (desk / "tickets" / tid[:2]).symlink_to(outside)
    git(desk, "add", "tickets")
    git(desk, "commit", "-qm", "a link where a shard folder goes")
    for args in ((), ("--no-commit",)):   # git would refuse the commit; without one, only this stops it
        result = cli("shard", *args, ok=False)
        assert result.exit_code == 1 and "symbolic link" in result.stderr
        assert (desk / "tickets" / f"{tid}.md").is_file() and not any(outside.iterdir())
        assert "tickets_sharded" not in (desk / "supportctl.yml").read_text()
