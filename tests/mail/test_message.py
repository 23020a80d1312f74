"""Parsing whole messages: realistic fixtures from common clients, in several charsets and encodings."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from supportctl.mail.errors import MailParseError
from supportctl.mail.headers import Address
from supportctl.mail.message import parse_message
from tests.mail.conftest import MESSAGES


def test_gmail_reply_prefers_plain_text_and_drops_the_quote(load):
    msg = load("gmail_reply_alternative.eml")
    assert msg.message_id == "<CAF4kQ9x8Yx=Kp2mN7vZ3+qR@mail.gmail.example>"
    assert msg.in_reply_to == "<7QH2KD.r2@ledgerly.example>"
    assert msg.references == ("<7QH2KD.r1@ledgerly.example>", "<7QH2KD.r2@ledgerly.example>")
    assert msg.subject == "Re: [Ledgerly #7QH2KD] Invoice 2024-113 shows the wrong VAT rate"
    assert msg.from_addr == Address("Anna Schmidt", "anna.schmidt@gmail.example")
    assert msg.to == (Address("Ledgerly Support", "support@ledgerly.example"),)
    assert msg.cc == (Address("Tom Weber", "tom.weber@example.org"),)
    assert msg.date == datetime(2024, 3, 5, 11, 42, 7, tzinfo=timezone(timedelta(hours=1)))
    assert msg.text == ("Hi,\n\nthanks, the corrected invoice looks right now. Could you also resend the\n"
                        "February one?\n\nAnna")
    assert "we have corrected the VAT rate" in msg.full_text
    assert not msg.html_converted and msg.attachments == ()
    assert msg.raw == (MESSAGES / "gmail_reply_alternative.eml").read_bytes()


def test_html_only_mail_is_turned_into_text(load):
    msg = load("html_only_reply.eml")
    assert msg.html_converted
    assert msg.from_addr == Address("Kowalski, Jan", "jan.kowalski@firma.example")
    assert msg.text == ("Hello,\n\nthe export still fails with error E42. Steps:\n\n 1. Open Reports\n"
                        " 2. Click «Export»\n\nGrüße aus Köln,\nJan")
    assert "window.track" not in msg.full_text and "font-family" not in msg.full_text


@pytest.mark.parametrize(("name", "subject", "sender", "text"), [
    ("qp_latin1.eml", "Rechnung lässt sich nicht öffnen", Address("Jürgen Müller", "j.mueller@example.de"),
     "Guten Tag,\n\nseit dem Update lässt sich die Rechnung Nr. 4711 nicht mehr öffnen. Die\n"
     "Fehlermeldung lautet: »Ungültiges Format«.\n\nMit freundlichen Grüßen\nJürgen Müller"),
    ("base64_utf8.eml", "Не могу войти 😞", Address("Ольга Иванова", "olga@example.ru"),
     "Здравствуйте!\n\nНе могу войти в личный кабинет 😞 — пишет «неверный пароль».\n\nСпасибо,\nОльга"),
    ("subject_charsets.eml", "請求書について / Problème de facture / Ошибка", Address("山田 太郎", "taro@example.jp"),
     "請求書の金額が違います。"),
    ("8bit_headers_wrong_charset.eml", "Re: No puedo descargar la factura – urgente",
     Address("José Núñez", "jose@ejemplo.example"),
     "Hola, la descarga de la factura falla desde ayer. ¿Pueden revisarlo?"),
])
def test_charsets_and_encodings(load, name, subject, sender, text):
    msg = load(name)
    assert (msg.subject, msg.from_addr, msg.text) == (subject, sender, text)


def test_attachments_names_and_inline_images(load):
    msg = load("attachments_rfc2231.eml")
    assert msg.text == "Bonjour,\n\nvoici les factures de février (voir pièces jointes).\n\nMarie"
    assert [(a.filename, a.content_type, a.inline) for a in msg.attachments] == [
        ("attachment.png", "image/png", True),
        ("facture février €.pdf", "application/pdf", False),  # RFC 2231 UTF-8
        ("récapitulatif 2024.pdf", "application/pdf", False),  # RFC 2231 continuations, latin-1
        ("été.pdf", "application/pdf", False),  # encoded word in a quoted parameter (Outlook, Gmail)
        ("authorized_keys", "application/octet-stream", False),  # "../../.ssh/" dropped
        ("image001.png", "image/png", False),
        ("image001-2.png", "image/png", False),  # same name twice: numbered
    ]
    assert msg.attachments[0].content_id == "<logo@example.fr>"
    assert msg.attachments[1].data == b"%PDF-1.4\n%fake\n"
    assert msg.attachments[4].data == b"ssh-rsa AAAA"


def test_alternatives_not_chosen_are_not_attachments(load):
    assert load("outlook_reply.eml").attachments == ()


@pytest.mark.parametrize(("name", "text"), [
    ("outlook_reply.eml", "Thanks, that fixed it.\n\nMark"),
    ("outlook_de_original_message.eml", "Hallo,\n\ndanke, der Zugang funktioniert wieder.\n\nViele Grüße\n"
                                        "Sabine Wagner"),
    ("apple_mail_french.eml", "Merci, ça marche."),
])
def test_replies_from_other_clients(load, name, text):
    assert load(name).text == text


def test_forwarded_mail_keeps_the_forwarded_text(load):
    msg = load("forwarded_inline.eml")
    assert msg.text.startswith("Can you check this? Our card is fine.\n\n---------- Forwarded message")
    assert msg.text.endswith("Your payment for invoice 2024-200 could not be processed.\n\n--\nLedgerly Billing")


def test_message_attached_as_a_file(load):
    msg = load("forwarded_attachment.eml")
    assert msg.text == "See the attached mail, I did not log in from there."
    (eml,) = msg.attachments
    assert (eml.filename, eml.content_type) == ("New login from Lisbon.eml", "message/rfc822")
    inner = parse_message(eml.data)
    assert inner.message_id == "<login-alert-99@ledgerly.example>" and inner.text == "Someone logged in from Lisbon."


def test_malformed_mail_is_read_as_far_as_it_goes(load):
    msg = load("malformed.eml")
    assert msg.message_id == "<no-angle-brackets@example.com>"
    assert msg.date is None and msg.from_addr is None
    assert msg.text == "Hello, the app crashes."
    assert [a.filename for a in msg.attachments] == ["trunc.pdf"]
    assert "CloseBoundaryNotFoundDefect" in msg.defects


def test_missing_headers_give_empty_values():
    msg = parse_message(b"X-Note: only this\n\nbody\n")
    assert (msg.message_id, msg.in_reply_to, msg.references, msg.subject, msg.from_addr, msg.date) == (
        None, None, (), "", None, None)
    assert msg.text == "body" and msg.header("x-note") == "only this"


def test_non_text_message_is_an_attachment():
    msg = parse_message(b"From: a@b.example\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
                        b"JVBERi0xLjQK\n")
    assert msg.text == "" and [(a.filename, a.data) for a in msg.attachments] == [("attachment.pdf", b"%PDF-1.4\n")]


@pytest.mark.parametrize("raw", [b"", b"   \r\n\r\n", b"\n\nno headers at all, just text"])
def test_what_is_no_message_is_an_error(raw):
    with pytest.raises(MailParseError):
        parse_message(raw)


def _nested(depth: int) -> bytes:
    head = "".join(f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" for i in range(depth))
    return ("From: a@b.example\nSubject: deep\n" + head + "Content-Type: text/plain\n\ndeep\n").encode()


def test_deep_nesting_does_not_recurse_forever():
    msg = parse_message(_nested(60))
    assert "MimeTooDeep" in msg.defects


def test_a_flood_of_multiparts_is_read_for_its_headers_only():
    started = time.perf_counter()
    msg = parse_message(_nested(5000))
    assert time.perf_counter() - started < 1
    assert msg.subject == "deep" and msg.text == "" and "TooManyMultiparts" in msg.defects


def test_multipart_without_a_boundary_is_read_as_text():
    msg = parse_message(b"From: MAILER-DAEMON@mx.example\nSubject: Returned mail\n"
                        b"Content-Type: multipart/report; report-type=delivery-status\n\n"
                        b"The message could not be sent.\n")
    assert msg.text == "The message could not be sent." and msg.attachments == ()
