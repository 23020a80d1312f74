"""Assignment by rules over a simulated day: round-robin and least-loaded, agents away skipped."""

from __future__ import annotations

from tests.automation.conftest import add_config, show
from tests.conftest import new_ticket

AGENTS_OLD = """agents:
  alice: {name: Alice Adams, email: alice@desk.example, group: tier-1, role: lead}
  bob: {name: Bob Brown, email: bob@desk.example, group: tier-2}
  carol: {name: Carol Chen, email: carol@desk.example, group: tier-1}
"""
AGENTS = """agents:
  alice: {name: Alice Adams, email: alice@desk.example, group: tier-1, role: lead}
  bob: {name: Bob Brown, email: bob@desk.example, group: tier-2}
  carol: {name: Carol Chen, email: carol@desk.example, group: tier-1}
  dan: {name: Dan Doyle, email: dan@desk.example, group: tier-1, away: true}
  erin: {name: Erin Eze, email: erin@desk.example, group: tier-1}
"""


def _agents(desk) -> None:
    path = desk / "supportctl.yml"
    path.write_text(path.read_text().replace(AGENTS_OLD, AGENTS))


def _hours(n: int) -> list[str]:
    return [f"2026-03-02T{9 + i // 2:02d}:{30 * (i % 2):02d}:00+01:00" for i in range(n)]


def test_round_robin_over_a_day_skips_agents_who_are_away(desk, cli):
    _agents(desk)
    add_config(desk, """\
automations:
  - name: rr
    when: created
    do: {group: tier-1, assign: {round_robin: tier-1}}
""")
    picked = [show(cli, new_ticket(cli, at=at))["assignee"] for at in _hours(7)]
    assert picked == ["alice", "carol", "erin", "alice", "carol", "erin", "alice"]


def test_round_robin_carries_on_from_the_records_after_a_config_change(desk, cli):
    _agents(desk)
    add_config(desk, """\
automations:
  - name: rr
    when: created
    do: {group: tier-1, assign: {round_robin: tier-1}}
""")
    first = [show(cli, new_ticket(cli, at=at))["assignee"] for at in _hours(2)]
    path = desk / "supportctl.yml"
    path.write_text(path.read_text().replace("group: tier-1, away: true}", "group: tier-1}"))   # dan is back
    later = [show(cli, new_ticket(cli, at=at))["assignee"] for at in _hours(8)[2:]]
    assert first + later == ["alice", "carol", "dan", "erin", "alice", "carol", "dan", "erin"]


def test_least_loaded_over_a_day_counts_active_tickets(desk, cli):
    _agents(desk)
    add_config(desk, """\
automations:
  - name: ll
    when: created
    if: {assignee: none}
    do: {group: tier-1, assign: {least_loaded: tier-1}}
""")
    # alice already carries two active tickets, carol one solved (not counted).
    for at in ("2026-03-01T09:00:00+01:00", "2026-03-01T10:00:00+01:00"):
        new_ticket(cli, "--assign", "alice", at=at)
    done = new_ticket(cli, "--assign", "carol", at="2026-03-01T11:00:00+01:00")
    cli("ticket", "status", done, "solved", "--at", "2026-03-01T12:00:00+01:00")
    picked, tickets = [], []
    for i, at in enumerate(_hours(7)):
        tickets.append(new_ticket(cli, at=at))
        picked.append(show(cli, tickets[-1])["assignee"])
        if i == 3:   # carol solves her first new ticket: her load drops again
            cli("ticket", "status", tickets[0], "solved", "--at", at)
    # Loads 0/0 (dan is away): carol before erin in the config; then alice (2) waits until the others have 2.
    assert picked[:4] == ["carol", "erin", "carol", "erin"]
    # After carol solved one: alice 2, carol 1, erin 2 -> carol; then ties at 2 go in config order.
    assert picked[4:] == ["carol", "alice", "carol"]


def test_nobody_available_leaves_the_ticket_unassigned_and_says_why(desk, cli):
    path = desk / "supportctl.yml"
    path.write_text(path.read_text().replace("groups:\n  tier-1: {}\n", "groups:\n  tier-1: {}\n  nights: {}\n"))
    add_config(desk, """\
automations:
  - name: nights
    when: created
    do: {assign: {least_loaded: nights}}
""")
    r = cli("ticket", "new", "--title", "Hello", "--from", "a@b.example", "-m", "hi",
            "--at", "2026-03-02T09:00:00+01:00")
    tid = r.stdout.strip()
    assert "rule nights not applied: no agent of group nights is available" in r.stderr
    assert show(cli, tid)["assignee"] is None
