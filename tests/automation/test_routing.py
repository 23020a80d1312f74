"""Event rules on arrival: each condition routes a new ticket, inside `ticket new`'s own commit."""

from __future__ import annotations

import pytest

from tests.automation.conftest import add_config, rule_events, show
from tests.conftest import git, new_ticket

RULES = """\
automations:
  - name: by-channel
    when: created
    if: {channel: phone}
    do: {tags: {add: [phone]}}
  - name: by-priority
    when: created
    if: {priority: urgent}
    do: {group: tier-2}
  - name: by-type
    when: created
    if: {type: incident}
    do: {priority: high}
  - name: by-domain
    when: created
    if: {requester: "@acme.example"}
    do: {tags: {add: [acme]}}
  - name: by-customer-list
    when: created
    if: {requester: "customers:premium", priority: [low, normal]}
    do: {priority: high, tags: {add: [premium]}}
  - name: by-words
    when: created
    if: {text: [refund, "charged twice"]}
    do: {type: question, group: tier-2}
  - name: by-subject
    when: created
    if: {subject: [SAML]}
    do: {tags: {add: [sso]}}
  - name: by-tag
    when: created
    if: {tags: [vip], not_tags: [test]}
    do: {priority: urgent}
  - name: by-field
    when: created
    if: {fields: {plan: enterprise}}
    do: {tags: {add: [enterprise]}}
"""


@pytest.fixture
def routed(desk, cli):
    add_config(desk, RULES)
    return desk


@pytest.mark.parametrize("args, kw, expect", [
    (["--channel", "phone"], {}, {"tags": ["phone"]}),
    (["--priority", "urgent"], {}, {"group": "tier-2"}),
    (["--type", "incident"], {}, {"priority": "high"}),
    ([], {"requester": "Ann <ann@acme.example>"}, {"tags": ["acme"]}),
    ([], {"requester": "Vic <vip@bigco.example>"}, {"priority": "high", "tags": ["premium"]}),
    ([], {"message": "Please refund me, I was Charged  twice."}, {"type": "question", "group": "tier-2"}),
    ([], {"title": "SAML login loops"}, {"tags": ["sso"]}),
    (["--tag", "vip"], {}, {"priority": "urgent"}),
    (["--field", "plan=enterprise"], {}, {"tags": ["enterprise"]}),
], ids=["channel", "priority", "type", "domain", "customer-list", "text", "subject", "tags", "field"])
def test_each_condition_routes_a_new_ticket(routed, cli, args, kw, expect):
    tid = new_ticket(cli, *args, **kw)
    data = show(cli, tid)
    for key, value in expect.items():
        assert data[key] == value, (key, data[key])
    events = rule_events(data)
    assert len(events) == 1 and events[0][0] == "2026-03-02T09:00:00+01:00"
    # One commit: the ticket and what the rules did, by the agent who opened it.
    log = git(routed, "log", "-1", "--format=%an%n%B")
    assert log.startswith("Alice Adams\nticket ") and f"{tid}: rule {events[0][1]}:" in log
    assert git(routed, "status", "--porcelain") == ""


def test_no_condition_met_changes_nothing(routed, cli):
    tid = new_ticket(cli, title="Export fails", message="The export stops at 1,000 rows.")
    data = show(cli, tid)
    assert rule_events(data) == [] and data["tags"] == [] and data["priority"] == "normal"


def test_words_match_whole_words_only(routed, cli):
    tid = new_ticket(cli, message="It was refunded already, thanks")
    assert rule_events(show(cli, tid)) == []


def test_rules_run_in_order_and_later_rules_see_earlier_changes(desk, cli):
    add_config(desk, """\
automations:
  - name: premium-urgent
    when: created
    if: {requester: "customers:premium"}
    do: {priority: urgent}
  - name: urgent-to-tier-2
    when: created
    if: {priority: urgent}
    do: {group: tier-2, assign: bob}
""")
    tid = new_ticket(cli, requester="Vic <vip@bigco.example>")
    data = show(cli, tid)
    assert (data["priority"], data["group"], data["assignee"]) == ("urgent", "tier-2", "bob")
    assert [e[1] for e in rule_events(data)] == ["premium-urgent", "urgent-to-tier-2"]
    # Every action is a record by the system naming the rule.
    events = [h for h in data["history"] if h["kind"] == "event"]
    assert all((e["author"], e["role"]) == ("supportctl", "system") for e in events)


def test_default_group_then_routing_overrides_it(desk, cli):
    add_config(desk, "default_group: tier-1\n" + """\
automations:
  - name: api-to-tier-2
    when: created
    if: {text: [API]}
    do: {group: tier-2}
""")
    plain = new_ticket(cli, message="Export fails")
    api = new_ticket(cli, message="The API returns 429")
    assert show(cli, plain)["group"] == "tier-1"
    assert show(cli, api)["group"] == "tier-2"


def test_customer_message_and_status_rules_run_in_their_commands(desk, cli):
    add_config(desk, """\
automations:
  - name: outage
    when: customer_message
    if: {text: [outage], priority: [low, normal]}
    do: {priority: high}
  - name: solved-tag
    when: status_changed
    if: {status: solved}
    do: {tags: {add: [was-solved]}}
  - name: replied
    when: agent_reply
    if: {category: open}
    do: {tags: {add: [answered]}}
""")
    tid = new_ticket(cli)
    cli("ticket", "message", tid, "-m", "Is this an outage?", "--at", "2026-03-02T10:00:00+01:00")
    cli("ticket", "reply", tid, "-m", "Looking", "--at", "2026-03-02T11:00:00+01:00")
    cli("ticket", "status", tid, "solved", "--at", "2026-03-02T12:00:00+01:00")
    data = show(cli, tid)
    assert [e[1] for e in rule_events(data)] == ["outage", "replied", "solved-tag"]
    assert data["priority"] == "high" and data["tags"] == ["answered", "was-solved"]


def test_rule_actions_raise_no_new_events(desk, cli):
    """A rule that sets the status does not fire status_changed rules: no rule can trigger itself."""
    add_config(desk, """\
automations:
  - name: ping
    when: status_changed
    do: {status: pending}
  - name: pong
    when: status_changed
    if: {status: pending}
    do: {status: open}
""")
    tid = new_ticket(cli)
    cli("ticket", "status", tid, "open", "--at", "2026-03-02T10:00:00+01:00")
    data = show(cli, tid)
    # ping moves it to pending; pong sees pending (rules see earlier changes) and moves it back once; no loop.
    assert [e[1] for e in rule_events(data)] == ["ping", "pong"]
    assert data["status"] == "open"
