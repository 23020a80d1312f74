"""Rules on mail intake: routing on arrival, rule messages in the outbox marked automatic, no rules for robots."""

from __future__ import annotations

import json

from tests.automation.conftest import add_config, add_template, rule_events
from tests.mail.test_channel import intake, mail, show

CONFIG = """\
mail:
  address: support@desk.example
  subject_tag: Test
automations:
  - name: refunds
    when: created
    if: {text: [refund]}
    do: {group: tier-2, reply: replies/refund-ack}
  - name: bump-on-reply
    when: customer_message
    if: {text: [urgent]}
    do: {priority: high}
"""


def test_mail_intake_runs_event_rules_and_rule_messages_go_to_the_outbox(desk, cli, tmp_path):
    add_template(desk, "replies/refund-ack", "Hi {{ requester.first_name }}, billing has your refund request.")
    add_config(desk, CONFIG)
    [result] = intake(cli, tmp_path, mail("Refund please", "I'd like a refund for March."))
    ticket = show(cli, result["ticket"])
    assert ticket["group"] == "tier-2" and [e[1] for e in rule_events(ticket)] == ["refunds"]
    outbox = json.loads(cli("mail", "outbox", "--json").stdout)
    assert [(o["ticket"], o["automatic"]) for o in outbox] == [(ticket["id"], True)]
    # A reply to the ticket raises customer_message.
    [reply] = intake(cli, tmp_path, mail(f"Re: Refund please [Test #{ticket['id']}]", "This is urgent!"))
    assert reply["action"] == "appended"
    assert show(cli, ticket["id"])["priority"] == "high"


def test_automated_mail_raises_no_rules(desk, cli, tmp_path):
    add_template(desk, "replies/refund-ack", "Hi, billing has your refund request.")
    add_config(desk, CONFIG)
    [result] = intake(cli, tmp_path, mail("Auto: refund", "Out of office; refund questions to Bob.",
                                          Auto_Submitted="auto-replied"))
    assert result["automated"]
    ticket = show(cli, result["ticket"])
    assert rule_events(ticket) == [] and json.loads(cli("mail", "outbox", "--json").stdout) == []
