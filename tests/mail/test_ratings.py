"""CSAT ratings by mail: the solved reply's links come back and are recorded as the customer's rating."""

from __future__ import annotations

import re
from urllib.parse import unquote

from supportctl.mail.ratings import rating_in
from tests.mail.test_channel import intake, mail, mail_desk, show  # noqa: F401  (mail_desk is a fixture)


def test_the_subject_or_the_first_line_carries_the_rating():
    assert rating_in("Re: Rating: good [Test #7QH2KD]", "", "Test") == ("good", None)
    assert rating_in("Rating: 4 [Test #7QH2KD]", "Rating: 4\nQuick, thanks", "Test") == ("4", "Quick, thanks")
    assert rating_in("Re: Export [Test #7QH2KD]", "rating: BAD\n\nStill slow.", "Test") == ("bad", "Still slow.")
    assert rating_in("Re: Export [Test #7QH2KD]", "The rating: good part is fine", "Test") is None
    assert rating_in("Rating: excellent [Test #7QH2KD]", "", "Test") is None


def _solved_with_links(cli, tmp_path):
    [first] = intake(cli, tmp_path, mail("Refund", "Please refund order 1042."))
    ticket_id = first["ticket"]
    cli("ticket", "reply", ticket_id, "--template", "replies/solved", "--status", "solved")
    reply = [r for r in show(cli, ticket_id)["history"] if r["kind"] == "message" and r["role"] == "agent"][-1]
    subjects = [unquote(s) for s in re.findall(r"<mailto:support@desk\.example\?subject=([^>]+)>", reply["body"])]
    return ticket_id, {s.split()[1]: s for s in subjects}


def test_a_rating_link_that_comes_back_is_recorded_not_a_message(mail_desk, cli, tmp_path):  # noqa: F811
    ticket_id, subjects = _solved_with_links(cli, tmp_path)
    assert set(subjects) == {"good", "bad"}
    assert subjects["good"] == f"Rating: good [Test #{ticket_id}]"
    before = show(cli, ticket_id)
    [rated] = intake(cli, tmp_path, mail("Re: " + subjects["good"], "Thanks, all good"))
    assert rated["action"] == "appended" and rated["ticket"] == ticket_id and rated["reason"] == "CSAT rating good"
    after = show(cli, ticket_id)
    assert after["status"] == "solved" and after["csat"] == "good"          # not reopened
    customer = [r for r in after["history"] if r["kind"] == "message" and r["role"] == "customer"]
    assert len(customer) == len([r for r in before["history"] if r["kind"] == "message" and r["role"] == "customer"])
    event = [r for r in after["history"] if r["kind"] == "event" and r["role"] == "customer"][-1]
    assert {(c["field"], c["new"]) for c in event["changes"]} == {("csat", "good"), ("csat_comment", "Thanks, all good")}
    [again] = intake(cli, tmp_path, mail("Re: " + subjects["good"], "Thanks, all good",
                                         message_id=None))
    assert again["action"] == "appended"       # a second click is a new rating (the latest counts)
    metrics = cli("report", "metrics", ticket_id, "--json").stdout
    assert '"csat": "good"' in metrics


def test_a_rating_from_a_stranger_is_only_kept(mail_desk, cli, tmp_path):  # noqa: F811
    ticket_id, subjects = _solved_with_links(cli, tmp_path)
    [result] = intake(cli, tmp_path, mail(subjects["bad"], "", sender="Eve <eve@elsewhere.example>"))
    assert result["action"] == "appended" and "not on the ticket" in result["reason"]
    assert show(cli, ticket_id).get("csat") is None
