"""The real mail servers the mail channel tests run against (tests/mail/servers.py) work.

Dovecot speaks IMAP on 127.0.0.1 (read with imapclient, as the channel does); aiosmtpd takes
mail from stdlib smtplib and can refuse it.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from imapclient import IMAPClient


RAW = (b"From: Customer <customer@example.com>\r\n"
       b"To: support@ledgerly.example\r\n"
       b"Subject: Invoice 1042 is wrong\r\n"
       b"Message-ID: <invoice-1042@example.com>\r\n"
       b"Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n"
       b"Content-Type: text/plain; charset=utf-8\r\n"
       b"Content-Transfer-Encoding: 8bit\r\n"
       b"\r\n"
       b"Hello, the total on invoice 1042 is off by \xe2\x82\xac10.\r\n")


def client(server) -> IMAPClient:
    imap = IMAPClient(server.host, port=server.port, ssl=False, timeout=10)
    imap.login(server.username, server.password)
    return imap


def message(subject="Re: Invoice 1042 is wrong") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "support@ledgerly.example"
    msg["To"] = "customer@example.com"
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="ledgerly.example")
    msg.set_content("We have corrected the invoice.\n")
    return msg


# -- IMAP ------------------------------------------------------------------------------------

def test_imap_server_is_dovecot_on_loopback(imap_server):
    assert imap_server.host == "127.0.0.1"
    assert imap_server.port not in (143, 993)
    with client(imap_server) as imap:
        assert b"Dovecot" in (imap.welcome or b"")
        assert imap.has_capability("MOVE")


def test_append_then_search_and_fetch_with_imapclient(imap_server):
    uid = imap_server.append("INBOX", RAW)

    with client(imap_server) as imap:
        info = imap.select_folder("INBOX")
        assert info[b"EXISTS"] == 1
        uids = imap.search(["SUBJECT", "Invoice 1042"])
        assert uids == [uid]
        assert imap.search(["UNSEEN"]) == [uid]
        fetched = imap.fetch(uids, ["RFC822", "FLAGS"])

    assert fetched[uid][b"RFC822"] == RAW  # byte for byte, 8-bit body included
    assert imap_server.list_messages("INBOX") == [RAW]


def test_move_to_processed(imap_server):
    first = imap_server.append("INBOX", RAW)
    second = imap_server.append("INBOX", RAW.replace(b"1042", b"1043"))
    imap_server.create_folder("Processed")

    with client(imap_server) as imap:
        imap.select_folder("INBOX")
        imap.move([first], "Processed")
        assert imap.search(["ALL"]) == [second]
        assert imap.folder_exists("Processed")

    assert imap_server.list_messages("Processed") == [RAW]
    assert [b"1043" in raw for raw in imap_server.list_messages("INBOX")] == [True]
    assert "Processed" in imap_server.list_folders()
    # Dovecot keeps the mail as a Maildir the tests can look at directly.
    stored = [p for sub in ("new", "cur") for p in (imap_server.maildir / ".Processed" / sub).iterdir()]
    assert [p.read_bytes().replace(b"\n", b"\r\n") for p in stored] == [RAW]


@pytest.mark.parametrize("run", [1, 2])
def test_every_test_gets_an_empty_mailbox(imap_server, run):
    assert imap_server.list_messages("INBOX") == []
    assert imap_server.list_folders() == ["INBOX"]
    imap_server.create_folder("Processed")
    imap_server.append("INBOX", RAW)
    assert len(imap_server.list_messages("INBOX")) == 1


# -- SMTP ------------------------------------------------------------------------------------

def test_smtp_collects_what_it_receives(smtp_server):
    msg = message()
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp:
        refused = smtp.send_message(msg, to_addrs=["customer@example.com", "cc@example.com"])

    assert refused == {}
    [received] = smtp_server.messages
    assert received.mail_from == "support@ledgerly.example"
    assert received.rcpt_tos == ["customer@example.com", "cc@example.com"]
    assert b"Subject: Re: Invoice 1042 is wrong\r\n" in received.data
    assert msg["Message-ID"].encode() in received.data


def test_temporary_refusal_records_nothing_and_a_retry_goes_through(smtp_server):
    smtp_server.fail_next = "451 4.3.0 Try again later"
    msg = message()

    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPResponseException) as refused:
            smtp.send_message(msg)
    assert refused.value.smtp_code == 451
    assert smtp_server.messages == []
    assert smtp_server.refused == 1

    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp:
        smtp.send_message(msg)  # fail_next was one shot
    assert len(smtp_server.messages) == 1


def test_permanent_refusal_lasts_until_switched_off(smtp_server):
    smtp_server.fail_always = "550 5.7.1 Message rejected"
    for _ in range(2):
        with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp:
            with pytest.raises(smtplib.SMTPResponseException) as refused:
                smtp.send_message(message())
        assert refused.value.smtp_code == 550
    assert smtp_server.messages == []

    smtp_server.fail_always = None
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp:
        smtp.send_message(message())
    assert len(smtp_server.messages) == 1


def test_refusal_at_rcpt(smtp_server):
    smtp_server.fail_stage = "rcpt"
    smtp_server.fail_next = "550 5.1.1 No such user"
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.send_message(message())
    assert refused.value.recipients == {"customer@example.com": (550, b"5.1.1 No such user")}
    assert smtp_server.messages == []


def test_sent_mail_can_be_delivered_to_the_imap_server(smtp_server, imap_server):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=10) as smtp:
        smtp.send_message(message("Round trip"))
    imap_server.append("INBOX", smtp_server.messages[0].data)

    with client(imap_server) as imap:
        imap.select_folder("INBOX", readonly=True)
        [uid] = imap.search(["SUBJECT", "Round trip"])
        assert imap.fetch([uid], ["RFC822"])[uid][b"RFC822"] == smtp_server.messages[0].data
