"""Tickets from phone, chat, social and GitHub: a requester without an email address."""

from __future__ import annotations

import json

from tests.conftest import git, new_ticket


def show(cli, tid: str) -> dict:
    return json.loads(cli("ticket", "show", tid, "--json").stdout)


def test_a_phone_ticket_names_the_number_in_e164(desk, cli):
    tid = new_ticket(cli, "--channel", "phone", requester="+353 87 123 4567")
    ticket = show(cli, tid)
    assert ticket["requester"] == {"name": "+353871234567", "phone": "+353871234567"}
    assert ticket["channel"] == "phone"
    assert cli("check").exit_code == 0


def test_a_social_ticket_keeps_the_handle_not_an_email(desk, cli):
    tid = new_ticket(cli, "--channel", "social", requester="Judy <@judy_tweets>")
    assert show(cli, tid)["requester"] == {"name": "Judy", "social": "@judy_tweets"}
    found = json.loads(cli("ticket", "list", "--requester", "judy_tweets", "--json").stdout)
    assert [t["id"] for t in found] == [tid]


def test_replies_to_a_ticket_without_email_are_recorded_and_the_outbox_says_why_not_mailed(desk, cli):
    with open(desk / "supportctl.yml", "a") as fh:
        fh.write("mail:\n  address: support@desk.example\n  subject_tag: Test\n")
    git(desk, "commit", "-qam", "mail settings")
    tid = new_ticket(cli, "--channel", "phone", requester="Sean <+44 20 7946 0958>")
    cli("ticket", "reply", tid, "-m", "We called you back.", "--as", "alice")
    assert "We called you back." in (desk / "tickets" / f"{tid}.md").read_text()
    result = cli("mail", "outbox", "--json")
    assert json.loads(result.stdout) == []
    assert f"not mailed: ticket {tid}" in result.stderr and "no email address (only phone +442079460958)" in result.stderr


def test_check_flags_a_requester_with_a_bad_phone_or_no_handle(desk, cli):
    tid = new_ticket(cli, "--channel", "phone", requester="+353 87 123 4567")
    path = desk / "tickets" / f"{tid}.md"
    path.write_text(path.read_text().replace("phone: '+353871234567'", "phone: '087 123'")
                    .replace('phone: "+353871234567"', 'phone: "087 123"'))
    result = cli("check", ok=False)
    assert result.exit_code == 1 and "not in E.164 form" in result.stdout + result.stderr
