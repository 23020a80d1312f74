"""Time rules over a simulated two weeks: `automate run --now` every hour, exact records, nothing twice."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from tests.automation.conftest import add_config, add_template, rule_events, show
from tests.conftest import git, new_ticket

RULES = """\
automations:
  - name: bump
    when: {status: pending, after: 20h, time: business}     # two 10-hour office days
    do: {reply: replies/bump}
  - name: bump2
    when: {status: pending, after: 40h, time: business}
    do: {reply: replies/bump2}
  - name: solve
    when: {status: pending, after: 50h, time: business}
    do: {reply: replies/closing, status: solved, tags: {add: [no-reply]}}
  - name: check-in
    when: {status: solved, after: 2d}
    do: {reply: replies/check-in}
  - name: warn
    when: {sla: next_reply, before: 1h}
    do: {note: notes/warn}
"""


def _setup(desk, cli):
    path = desk / "supportctl.yml"
    path.write_text(path.read_text().replace("solved: {category: solved, pauses_sla: true}",
                                             "solved: {category: solved, pauses_sla: true, next_state: closed, "
                                             "after: 4d}"))
    add_template(desk, "replies/bump", "Hi {{ requester.first_name }}, any news on {{ ticket.id }}?", commit=False)
    add_template(desk, "replies/bump2", "Hi {{ requester.first_name }}, last call on {{ ticket.id }}.", commit=False)
    add_template(desk, "replies/closing", "We solved {{ ticket.id }} for now; reply to reopen it.", commit=False)
    add_template(desk, "replies/check-in", "Is {{ ticket.title }} still working?", commit=False)
    add_template(desk, "notes/warn", "{{ ticket.id }}: next reply due within the hour ({{ rule }}).", commit=False)
    add_config(desk, RULES)


def _hours(start: str, days: int):
    t = datetime.fromisoformat(start)
    for _ in range(days * 24 + 1):
        yield t
        t += timedelta(hours=1)


def test_two_weeks_of_hourly_runs(desk, cli):
    _setup(desk, cli)
    tickets: dict[str, str] = {}
    # What happens between the runs: (time, action).
    script = {
        "2026-03-02T09:00": [lambda at: tickets.__setitem__("A", new_ticket(cli, title="A", at=at))],
        "2026-03-02T10:00": [lambda at: cli("ticket", "reply", tickets["A"], "-m", "Need details", "-s", "pending",
                                            "--at", at)],
        "2026-03-03T09:00": [lambda at: tickets.__setitem__("B", new_ticket(cli, title="B", at=at))],
        "2026-03-04T09:00": [lambda at: tickets.__setitem__("C", new_ticket(cli, title="C", at=at))],
        "2026-03-04T10:00": [lambda at: cli("ticket", "reply", tickets["B"], "-m", "On it", "--at", at)],
        "2026-03-04T11:00": [lambda at: cli("ticket", "message", tickets["B"], "-m", "And now?", "--at", at)],
        "2026-03-04T09:30": [lambda at: cli("ticket", "reply", tickets["C"], "-m", "Which file?", "-s", "pending",
                                            "--at", at)],
        "2026-03-05T12:00": [lambda at: cli("ticket", "message", tickets["C"], "-m", "This one", "--at", at)],
        "2026-03-05T13:30": [lambda at: cli("ticket", "reply", tickets["C"], "-m", "And the date?", "-s", "pending",
                                            "--at", at)],
    }
    fired_at: list[str] = []
    for now in _hours("2026-03-02T00:00:00+01:00", 14):
        for key in sorted(script):   # actions due in the hour before this run, in time order
            at = datetime.fromisoformat(key + ":00+01:00")
            if now - timedelta(hours=1) < at <= now:
                for action in script[key]:
                    action(at.isoformat())
        stamp = now.isoformat()
        head = git(desk, "rev-parse", "HEAD")
        plan = json.loads(cli("automate", "run", "--now", stamp, "--dry-run", "--json").stdout)
        assert git(desk, "rev-parse", "HEAD") == head and git(desk, "status", "--porcelain") == ""
        result = json.loads(cli("automate", "run", "--now", stamp, "--json").stdout)
        assert [(a["ticket"], a["rule"], a["at"]) for a in result["actions"]] == \
            [(a["ticket"], a["rule"], a["at"]) for a in plan["actions"]]
        if result["actions"]:
            fired_at.append(stamp)
            # Committed by the agent named in the environment (SUPPORTCTL_AGENT); the records are the system's.
            assert result["commit"] and git(desk, "log", "-1", "--format=%an") == "Alice Adams\n"
            head = git(desk, "rev-parse", "HEAD")
            again = json.loads(cli("automate", "run", "--now", stamp, "--json").stdout)
            assert again["actions"] == [] and git(desk, "rev-parse", "HEAD") == head
        else:
            assert result["commit"] is None

    a, b, c = (show(cli, tickets[k]) for k in "ABC")
    assert rule_events(a) == [
        ("2026-03-04T11:00:00+01:00", "bump", []),
        ("2026-03-06T11:00:00+01:00", "bump2", []),
        ("2026-03-09T11:00:00+01:00", "solve", ["tags: +no-reply", "status: pending -> solved"]),
        ("2026-03-11T11:00:00+01:00", "check-in", []),
    ]
    closing = a["history"][-1]
    assert a["status"] == "closed" and closing["at"] == "2026-03-13T11:00:00+01:00"
    assert closing["changes"][0] == {"field": "status", "op": "set", "old": "solved", "new": "closed"}
    # The customer-facing messages: public, by the system, the text of each template.
    sent = [(h["at"], h["body"]) for h in a["history"] if h["kind"] == "message" and h["role"] == "system"]
    assert sent == [("2026-03-04T11:00:00+01:00", f"Hi Dana, any news on {a['id']}?"),
                    ("2026-03-06T11:00:00+01:00", f"Hi Dana, last call on {a['id']}."),
                    ("2026-03-09T11:00:00+01:00", f"We solved {a['id']} for now; reply to reopen it."),
                    ("2026-03-11T11:00:00+01:00", "Is A still working?")]
    # B waits for an answer twice: a note an hour before each next-reply deadline, once per wait.
    assert rule_events(b) == [("2026-03-03T16:00:00+01:00", "warn", []),
                              ("2026-03-05T08:00:00+01:00", "warn", [])]
    notes = [h for h in b["history"] if h["kind"] == "note"]
    assert [n["body"] for n in notes] == [f"{b['id']}: next reply due within the hour (warn)."] * 2
    # C: the customer's answer reopened it, so its second wait counts from 13:30 (due at 14:30 on Monday,
    # between two hourly runs: dated when it fell due, not when the run found it).
    assert rule_events(c) == [
        ("2026-03-09T14:30:00+01:00", "bump", []),
        ("2026-03-11T14:30:00+01:00", "bump2", []),
        ("2026-03-12T14:30:00+01:00", "solve", ["tags: +no-reply", "status: pending -> solved"]),
        ("2026-03-14T14:30:00+01:00", "check-in", []),
    ]
    assert c["status"] == "solved"   # closes on the 16th at 14:30, after the simulation
    assert len(fired_at) == 11   # A: 4 rules and the close; B: 2 notes; C: 4 rules


def test_a_late_run_sends_only_the_last_message_and_records_the_others(desk, cli):
    _setup(desk, cli)
    tid = new_ticket(cli, at="2026-03-02T09:00:00+01:00")
    cli("ticket", "reply", tid, "-m", "Need details", "-s", "pending", "--at", "2026-03-02T10:00:00+01:00")
    r = json.loads(cli("automate", "run", "--now", "2026-03-09T12:00:00+01:00", "--json").stdout)
    assert [(x["rule"], x["actions"][:2]) for x in r["actions"]] == [
        ("solve", ["skipped bump (superseded)", "skipped bump2 (superseded)"])]
    data = show(cli, tid)
    assert [h["body"] for h in data["history"] if h["role"] == "system" and h["kind"] == "message"] == \
        [f"We solved {tid} for now; reply to reopen it."]
    assert json.loads(cli("automate", "run", "--now", "2026-03-09T13:00:00+01:00", "--json").stdout)["actions"] == []


def test_dry_run_writes_nothing(desk, cli):
    _setup(desk, cli)
    tid = new_ticket(cli, at="2026-03-02T09:00:00+01:00")
    cli("ticket", "reply", tid, "-m", "Need details", "-s", "pending", "--at", "2026-03-02T10:00:00+01:00")
    before = (desk / "tickets" / f"{tid}.md").read_bytes()
    head = git(desk, "rev-parse", "HEAD")
    r = cli("automate", "run", "--now", "2026-03-04T12:00:00+01:00", "--dry-run")
    assert f"{tid}: rule bump: reply: replies/bump" in r.stderr and "dry run: nothing written" in r.stderr
    assert (desk / "tickets" / f"{tid}.md").read_bytes() == before
    assert git(desk, "rev-parse", "HEAD") == head and git(desk, "status", "--porcelain") == ""


def test_a_broken_template_skips_that_rule_and_says_why(desk, cli):
    _setup(desk, cli)
    add_template(desk, "replies/bump", "Hi {{ requester.nickname }}")
    tid = new_ticket(cli, at="2026-03-02T09:00:00+01:00")
    cli("ticket", "reply", tid, "-m", "Need details", "-s", "pending", "--at", "2026-03-02T10:00:00+01:00")
    r = cli("automate", "run", "--now", "2026-03-04T12:00:00+01:00")
    assert "rule bump not applied" in r.stderr and "nickname" in r.stderr
    assert rule_events(show(cli, tid)) == []


def test_sweep_is_the_lifecycle_part_of_automate_run(desk, cli):
    _setup(desk, cli)
    tid = new_ticket(cli, at="2026-03-02T09:00:00+01:00")
    cli("ticket", "status", tid, "solved", "--at", "2026-03-02T10:00:00+01:00")
    r = json.loads(cli("automate", "run", "--now", "2026-03-06T12:00:00+01:00", "--json").stdout)
    assert [(x["rule"], x["at"], x["actions"]) for x in r["actions"]] == [
        ("check-in", "2026-03-04T10:00:00+01:00", ["reply: replies/check-in"]),
        ("lifecycle", "2026-03-06T10:00:00+01:00", ["status: solved -> closed (4d in solved)"])]
    data = show(cli, tid)
    assert data["status"] == "closed" and rule_events(data) == [("2026-03-04T10:00:00+01:00", "check-in", [])]
