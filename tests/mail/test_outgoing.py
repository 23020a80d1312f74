"""Outgoing replies: threading headers, stable ids, one "Re:", automatic marks, no header injection."""

from __future__ import annotations

import email
from datetime import datetime, timedelta, timezone
from email import policy

import pytest

from supportctl.mail.errors import OutgoingMailError
from supportctl.mail.message import parse_message
from supportctl.mail.outgoing import build_reply, message_id_for, reply_subject

WHEN = datetime(2024, 3, 5, 10, 0, tzinfo=timezone(timedelta(hours=1)))


def _reply(**changes):
    values = dict(desk_address="support@ledgerly.example", desk_name="Ledgerly Support", to="Anna <anna@example.com>",
                  cc=["tom@example.org"], title="Invoice wrong", subject_tag="Ledgerly", ticket_id="7QH2KD",
                  record_id="r3", date=WHEN, body="Hello Anna,\n\nfixed.\n", in_reply_to="<CAF1@mail.example.com>",
                  references=["<CAF0@mail.example.com>"])
    values.update(changes)
    return build_reply(**values)


def test_reply_headers_and_body():
    msg = _reply()
    assert msg["From"] == "Ledgerly Support <support@ledgerly.example>"
    assert msg["To"] == "Anna <anna@example.com>"
    assert msg["Cc"] == "tom@example.org"
    assert msg["Subject"] == "Re: Invoice wrong [Ledgerly #7QH2KD]"
    assert msg["Message-ID"] == "<7QH2KD.r3@ledgerly.example>"
    assert msg["In-Reply-To"] == "<CAF1@mail.example.com>"
    assert msg["References"] == "<CAF0@mail.example.com> <CAF1@mail.example.com>"
    assert msg["Date"] == "Tue, 05 Mar 2024 10:00:00 +0100"
    assert msg["Auto-Submitted"] is None
    assert msg.get_content() == "Hello Anna,\n\nfixed.\n"
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"


def test_round_trip_through_the_parser():
    sent = _reply(body="Grüße, Jürgen\n", title="Ärger mit € [Ledgerly #7QH2KD]", to="Jürgen Müller <j@example.de>")
    back = parse_message(sent.as_bytes())
    assert back.subject == "Re: Ärger mit € [Ledgerly #7QH2KD]"
    assert str(back.to[0]) == "Jürgen Müller <j@example.de>"
    assert back.text == "Grüße, Jürgen"
    assert back.message_id == "<7QH2KD.r3@ledgerly.example>"


def test_automatic_messages_are_marked():
    msg = _reply(automatic=True)
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Loop"] == "support@ledgerly.example"


@pytest.mark.parametrize(("title", "subject"), [
    ("Invoice", "Re: Invoice [Ledgerly #7QH2KD]"),
    ("Re: Invoice", "Re: Invoice [Ledgerly #7QH2KD]"),
    ("RE: AW: Invoice [Ledgerly #7QH2KD]", "Re: Invoice [Ledgerly #7QH2KD]"),
    ("", "Re: [Ledgerly #7QH2KD]"),
])
def test_subject_has_one_re_and_one_tag(title, subject):
    assert reply_subject(title, "Ledgerly", "7qh2kd") == subject


def test_message_id_is_stable_per_record():
    assert message_id_for("7QH2KD", "r3", "ledgerly.example") == message_id_for("7QH2KD", "r3", "ledgerly.example")
    assert message_id_for("7QH2KD", "r3", "ledgerly.example") != message_id_for("7QH2KD", "r4", "ledgerly.example")
    odd = message_id_for("7QH2KD", "2024-03-05T10:00 alice", "ledgerly.example")
    assert odd.startswith("<7QH2KD.") and " " not in odd


def test_header_injection_is_impossible():
    msg = _reply(title="Invoice\r\nBcc: evil@attacker.example", desk_name="Desk\nBcc: evil@attacker.example",
                 in_reply_to="<a@b>\r\nBcc: evil@attacker.example", references=["<c@d>\nX-Evil: 1"])
    wire = msg.as_bytes()
    parsed = email.message_from_bytes(wire, policy=policy.default)
    assert parsed["Bcc"] is None and parsed["X-Evil"] is None
    assert "\n" not in parsed["Subject"]
    assert parsed["In-Reply-To"] is None  # not a message id once the line break is gone


@pytest.mark.parametrize("bad", ["not an address", "a@b\nBcc: c@d", "<>", "a@", "@b", "a b@c.example"])
def test_bad_addresses_are_refused(bad):
    with pytest.raises(OutgoingMailError):
        _reply(to=bad)


def test_naive_date_is_refused():
    with pytest.raises(OutgoingMailError):
        _reply(date=datetime(2024, 3, 5, 10, 0))


def test_cc_drops_the_requester_and_the_desk():
    msg = _reply(cc=["ANNA@example.com", "support@ledgerly.example", "tom@example.org"])
    assert msg["Cc"] == "tom@example.org"
    assert _reply(cc=[])["Cc"] is None
