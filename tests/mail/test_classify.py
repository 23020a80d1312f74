"""Automated mail and bounces: what is recorded but never acknowledged, and which sent message bounced."""

from __future__ import annotations

import pytest

from supportctl.mail.bounces import detect_bounce
from supportctl.mail.classify import automated_reason
from supportctl.mail.message import parse_message
from tests.mail.conftest import DESK


def _headers(extra: str, sender: str = "Bob <bob@example.com>", msgid: str = "<1@example.com>"):
    raw = f"From: {sender}\nTo: {DESK}\nSubject: hi\nMessage-ID: {msgid}\n{extra}\nhello\n"
    return parse_message(raw.encode())


@pytest.mark.parametrize(("extra", "reason"), [
    ("Auto-Submitted: auto-replied\n", "Auto-Submitted: auto-replied"),
    ("Auto-Submitted: auto-generated; owner-email=x@y\n", "Auto-Submitted: auto-generated; owner-email=x@y"),
    ("Precedence: bulk\n", "Precedence: bulk"),
    ("Precedence: JUNK\n", "Precedence: junk"),
    ("Precedence: list\n", "Precedence: list"),
    ("X-Autoreply: yes\n", "X-Autoreply: yes"),
    ("X-Autorespond: Vacation\n", "X-Autorespond: Vacation"),
    ("X-Auto-Response-Suppress: All\n", "X-Auto-Response-Suppress: All"),
    ("List-Id: <users.lists.example>\n", "List-Id (mailing list)"),
    ("List-Unsubscribe: <mailto:u@lists.example>\n", "List-Unsubscribe (mailing list)"),
    (f"X-Loop: {DESK.upper()}\n", "X-Loop names the desk (mail loop)"),
    ("Return-Path: <>\n", "Return-Path: <> (null sender)"),
])
def test_automated_headers(extra, reason):
    assert automated_reason(_headers(extra), DESK) == reason


@pytest.mark.parametrize("extra", ["Auto-Submitted: no\n", "Auto-Submitted: No (manual)\n", "Precedence: first-class\n",
                                   "X-Loop: other@desk.example\n", "Return-Path: <bob@example.com>\n", ""])
def test_mail_from_people(extra):
    assert automated_reason(_headers(extra), DESK) is None


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.com", "postmaster@example.com",
                                    "Mail System <Postmaster@x.example>"])
def test_robot_senders(sender):
    assert automated_reason(_headers("", sender=sender), DESK).startswith("From ")


def test_message_id_from_the_desk_domain():
    msg = _headers("", msgid="<7QH2KD.r1@Ledgerly.Example>")
    assert automated_reason(msg, DESK) == "Message-ID from the desk's own domain"
    assert automated_reason(_headers("", msgid="<x@sub.ledgerly.example>"), DESK) is None


@pytest.mark.parametrize(("name", "reason"), [
    ("vacation_autoreply.eml", "Auto-Submitted: auto-replied (vacation)"),
    ("outlook_out_of_office.eml", "X-Auto-Response-Suppress: All"),
    ("mailing_list.eml", "List-Id (mailing list)"),
    ("dsn_bounce_postfix.eml", "Auto-Submitted: auto-replied"),
    ("dsn_headers_only.eml", "From postmaster@contoso.example"),
    ("classic_bounce_qmail.eml", "From MAILER-DAEMON@mail.example.org"),
    ("loop_own_domain.eml", "Message-ID from the desk's own domain"),
    ("x_loop.eml", "X-Loop names the desk (mail loop)"),
    ("gmail_reply_alternative.eml", None),
    ("outlook_reply.eml", None),
    ("html_only_reply.eml", None),
])
def test_fixtures(load, name, reason):
    assert automated_reason(load(name), DESK) == reason


def test_dsn_with_the_original_message(load):
    bounce = detect_bounce(load("dsn_bounce_postfix.eml"))
    assert bounce.original_message_ids == ("<9ZX4QA.r2@ledgerly.example>",)
    assert bounce.failed
    assert bounce.recipient == "nobody@example.net"
    assert bounce.status == "5.1.1"
    assert bounce.diagnostic == "550 5.1.1 <nobody@example.net>: Recipient address rejected: User unknown"


def test_dsn_with_only_the_original_headers(load):
    bounce = detect_bounce(load("dsn_headers_only.eml"))
    assert bounce.original_message_ids == ("<7QH2KD.r5@ledgerly.example>",)
    assert (bounce.recipient, bounce.status) == ("jan.kowalski@contoso.example", "5.1.10")
    assert bounce.diagnostic.startswith("550 5.1.10 RESOLVER.ADR.RecipientNotFound")


def test_classic_bounce_without_a_report(load):
    bounce = detect_bounce(load("classic_bounce_qmail.eml"))
    assert bounce.original_message_ids == ("<4KD2PM.r7@ledgerly.example>",)
    assert (bounce.recipient, bounce.status, bounce.failed) == ("gone@example.org", "5.1.1", True)


def test_bounce_ids_fall_back_to_threading_headers():
    raw = (b"From: MAILER-DAEMON@mx.example\nSubject: Delivery Status Notification (Failure)\n"
           b"Message-ID: <dsn@mx.example>\nIn-Reply-To: <7QH2KD.r1@ledgerly.example>\n"
           b"References: <a@x> <7QH2KD.r1@ledgerly.example>\n\nCould not deliver.\n")
    bounce = detect_bounce(parse_message(raw))
    assert bounce.original_message_ids == ("<7QH2KD.r1@ledgerly.example>", "<a@x>")
    assert bounce.recipients == ()


def test_delay_report_is_not_a_failure():
    raw = (b"From: MAILER-DAEMON@mx.example\nSubject: Delayed Mail (still being retried)\n"
           b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
           b"--B\nContent-Type: text/plain\n\nStill trying.\n"
           b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n"
           b"Final-Recipient: rfc822; slow@example.net\nAction: delayed\nStatus: 4.4.1\n\n--B--\n")
    bounce = detect_bounce(parse_message(raw))
    assert not bounce.failed and bounce.recipient == "slow@example.net" and bounce.status == "4.4.1"


@pytest.mark.parametrize("name", ["gmail_reply_alternative.eml", "vacation_autoreply.eml", "forwarded_attachment.eml",
                                  "mailing_list.eml", "malformed.eml"])
def test_no_bounce(load, name):
    assert detect_bounce(load(name)) is None
