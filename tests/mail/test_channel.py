"""The mail channel end to end: real files, a real IMAP server (Dovecot) and SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
from email.message import EmailMessage
from email.utils import make_msgid

import pytest

from tests.conftest import git
from tests.mail.conftest import MESSAGES

MAIL = """
mail:
  address: support@desk.example
  subject_tag: Test
  acknowledge: replies/acknowledge
  smtp: {{host: 127.0.0.1, port: {smtp_port}, security: none}}
"""


@pytest.fixture
def mail_desk(desk, smtp_server):
    with open(desk / "supportctl.yml", "a") as fh:
        fh.write(MAIL.format(smtp_port=smtp_server.port))
    git(desk, "commit", "-qam", "mail settings")
    return desk


def mail(subject: str, body: str, *, sender: str = "Dana Smith <dana@example.com>", **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@desk.example"
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id", None) or make_msgid(domain="example.com")
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0100"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def intake(cli, tmp_path, *messages: bytes, ok=True):
    paths = []
    for n, raw in enumerate(messages):
        path = tmp_path / f"in-{len(list(tmp_path.glob('in-*')))}-{n}.eml"
        path.write_bytes(raw)
        paths.append(path)
    result = cli("mail", "import", *paths, "--json", ok=ok)
    return json.loads(result.stdout)


def show(cli, ticket_id: str) -> dict:
    return json.loads(cli("ticket", "show", ticket_id, "--json").stdout)


def test_new_mail_opens_a_ticket_keeps_the_original_and_queues_an_acknowledgement(mail_desk, cli, tmp_path):
    raw = mail("Export stops at 1,000 rows", "Our export stops at 1,000 rows.\n\nDana")
    [result] = intake(cli, tmp_path, raw)
    assert result["action"] == "created" and not result["automated"] and not result["bounce"]
    ticket = show(cli, result["ticket"])
    assert ticket["title"] == "Export stops at 1,000 rows" and ticket["channel"] == "email"
    assert ticket["requester"] == {"name": "Dana Smith", "email": "dana@example.com"}
    first = ticket["history"][0]
    assert first["role"] == "customer" and first["body"] == "Our export stops at 1,000 rows.\n\nDana"
    receipt = next(r for r in ticket["history"] if r["kind"] == "event")
    kept = next(c["new"] for c in receipt["changes"] if c["field"] == "file")
    assert (mail_desk / kept).read_bytes() == raw          # byte for byte
    outbox = json.loads(cli("mail", "outbox", "--json").stdout)
    assert [o["automatic"] for o in outbox] == [True]       # the acknowledgement, nothing else
    assert git(mail_desk, "status", "--porcelain") == ""   # committed


def test_the_same_mail_twice_changes_nothing(mail_desk, cli, tmp_path):
    raw = mail("Invoice missing", "Where is my invoice?")
    intake(cli, tmp_path, raw)
    head = git(mail_desk, "rev-parse", "HEAD")
    [again] = intake(cli, tmp_path, raw)
    assert again["action"] == "skipped" and again["reason"] == "duplicate"
    assert git(mail_desk, "rev-parse", "HEAD") == head


def test_replies_thread_by_subject_tag_and_by_message_id(mail_desk, cli, tmp_path, smtp_server):
    [first] = intake(cli, tmp_path, mail("Login fails", "I cannot log in."))
    ticket_id = first["ticket"]
    # A reply with the tag behind other prefixes.
    [tagged] = intake(cli, tmp_path, mail(f"AW: Re: Login fails [Test #{ticket_id.lower()}]", "Still failing."))
    assert tagged == {**tagged, "action": "appended", "ticket": ticket_id}
    # A reply to the desk's own mail, with the tag removed by the customer's client.
    cli("ticket", "reply", ticket_id, "-m", "Please try again now.")
    cli("mail", "send")
    sent = [m for m in smtp_server.messages]
    ours = [m for m in sent if b"Please try again now." in m.data][0]
    from email import message_from_bytes

    parsed = message_from_bytes(ours.data)
    [answered] = intake(cli, tmp_path, mail("Re: Login fails", "Works now, thanks!",
                                            In_Reply_To=parsed["Message-ID"]))
    assert answered["action"] == "appended" and answered["ticket"] == ticket_id
    bodies = [r["body"] for r in show(cli, ticket_id)["history"] if r.get("role") == "customer"]
    assert bodies == ["I cannot log in.", "Still failing.", "Works now, thanks!"]


def test_a_customer_reply_reopens_a_solved_ticket_but_an_auto_reply_does_not(mail_desk, cli, tmp_path):
    [first] = intake(cli, tmp_path, mail("Refund", "Please refund order 1042."))
    ticket_id = first["ticket"]
    cli("ticket", "reply", ticket_id, "-m", "Refunded.", "--status", "solved")
    vacation = (MESSAGES / "vacation_autoreply.eml").read_bytes().replace(b"Subject: ", f"Subject: [Test #{ticket_id}] ".encode(), 1)
    [auto] = intake(cli, tmp_path, vacation)
    assert auto["action"] == "appended" and auto["automated"] is True
    assert show(cli, ticket_id)["status"] == "solved"
    [human] = intake(cli, tmp_path, mail(f"Re: Refund [Test #{ticket_id}]", "It has not arrived."))
    assert human["action"] == "appended" and show(cli, ticket_id)["status"] == "open"


def test_automated_mail_gets_no_acknowledgement(mail_desk, cli, tmp_path):
    results = intake(cli, tmp_path, (MESSAGES / "mailing_list.eml").read_bytes(),
                     (MESSAGES / "outlook_out_of_office.eml").read_bytes())
    assert all(r["automated"] and r["action"] == "created" for r in results)
    assert json.loads(cli("mail", "outbox", "--json").stdout) == []


def test_send_delivers_each_reply_once_threaded_to_the_customer(mail_desk, cli, tmp_path, smtp_server):
    customer_id = "<first-mail@example.com>"
    [first] = intake(cli, tmp_path, mail("Export stops", "It stops.", message_id=customer_id,
                                         Cc="Bob Jones <bob@example.com>"))
    ticket_id = first["ticket"]
    cli("ticket", "reply", ticket_id, "-m", "We are on it.")
    result = json.loads(cli("mail", "send", "--json").stdout)
    assert len(result["sent"]) == 2 and result["failed"] == []    # the acknowledgement and the reply
    from email import message_from_bytes, policy

    reply = [message_from_bytes(m.data, policy=policy.default) for m in smtp_server.messages
             if b"We are on it." in m.data][0]
    assert reply["Subject"] == f"Re: Export stops [Test #{ticket_id}]"
    assert reply["From"].addresses[0].addr_spec == "support@desk.example"
    assert reply["To"].addresses[0].addr_spec == "dana@example.com"
    assert [a.addr_spec for a in reply["Cc"].addresses] == ["bob@example.com"]
    assert reply["In-Reply-To"] == customer_id and customer_id in reply["References"]
    assert reply["Auto-Submitted"] is None
    ack = [message_from_bytes(m.data, policy=policy.default) for m in smtp_server.messages
           if b"We are on it." not in m.data][0]
    assert ack["Auto-Submitted"] == "auto-generated"
    # Recorded and committed: a second run sends nothing.
    assert git(mail_desk, "status", "--porcelain") == ""
    assert json.loads(cli("mail", "send", "--json").stdout)["sent"] == []
    assert len(smtp_server.messages) == 2


def test_a_refused_send_records_nothing_and_is_retried(mail_desk, cli, tmp_path, smtp_server):
    [first] = intake(cli, tmp_path, mail("Question", "A question."))
    head = git(mail_desk, "rev-parse", "HEAD")
    before = (mail_desk / f"tickets/{first['ticket']}.md").read_text()
    smtp_server.fail_always = "451 4.3.0 try again later"
    result = cli("mail", "send", "--json", ok=False)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["sent"] == [] and "451" in report["failed"][0]["reason"]
    assert git(mail_desk, "rev-parse", "HEAD") == head
    assert (mail_desk / f"tickets/{first['ticket']}.md").read_text() == before
    smtp_server.fail_always = None
    assert len(json.loads(cli("mail", "send", "--json").stdout)["sent"]) == 1


def test_a_bounce_marks_the_reply_undelivered_without_a_new_ticket(mail_desk, cli, tmp_path, smtp_server):
    [first] = intake(cli, tmp_path, mail("Hello", "Hello there."))
    ticket_id = first["ticket"]
    cli("mail", "send")
    from email import message_from_bytes

    sent_id = message_from_bytes(smtp_server.messages[0].data)["Message-ID"]
    # Point the fixture's bounced message (the attached original) at the one the desk sent.
    text = (MESSAGES / "dsn_bounce_postfix.eml").read_text()
    assert "<9ZX4QA.r2@ledgerly.example>" in text
    text = text.replace("<9ZX4QA.r2@ledgerly.example>", sent_id)
    count = len(list((mail_desk / "tickets").glob("*.md")))
    [bounce] = intake(cli, tmp_path, text.encode())
    assert bounce["bounce"] and bounce["action"] == "appended" and bounce["ticket"] == ticket_id
    assert len(list((mail_desk / "tickets").glob("*.md"))) == count
    ticket = show(cli, ticket_id)
    assert ticket["status"] == "new"
    events = [r for r in ticket["history"] if r["kind"] == "event"]
    assert any(c["field"] == "mail" and c["new"].startswith("delivery failed") for e in events for c in e["changes"])


def test_mail_that_is_no_message_is_kept_and_reported(mail_desk, cli, tmp_path):
    [result] = intake(cli, tmp_path, b"\x00\x01 not mail at all")
    assert result["action"] == "skipped" and result["reason"].startswith("unreadable")
    assert (mail_desk / result["kept"]).read_bytes() == b"\x00\x01 not mail at all"


def test_an_mta_pipe_on_standard_input(mail_desk, cli):
    raw = b"From dana@example.com Mon Mar  2 09:00:00 2026\n" + mail("Piped", "Through the MTA.")
    result = cli("mail", "import", "-", "--json", input=raw)
    assert json.loads(result.stdout)[0]["action"] == "created"


def test_fetch_reads_the_imap_folder_and_files_mail_away(mail_desk, cli, imap_server, monkeypatch):
    with open(mail_desk / "supportctl.yml", "a") as fh:
        fh.write(f"  imap: {{host: 127.0.0.1, port: {imap_server.port}, security: none, "
                 f"username: {imap_server.username}, password_env: TEST_IMAP_PASSWORD, folder: INBOX, "
                 f"processed_folder: Processed}}\n")
    git(mail_desk, "commit", "-qam", "imap")
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imap_server.password)
    imap_server.append("INBOX", mail("From IMAP one", "First."))
    imap_server.append("INBOX", (MESSAGES / "html_only_reply.eml").read_bytes())
    results = json.loads(cli("mail", "fetch", "--json").stdout)
    assert [r["action"] for r in results] == ["created", "created"]
    assert imap_server.list_messages("INBOX") == [] and len(imap_server.list_messages("Processed")) == 2
    assert json.loads(cli("mail", "fetch", "--json").stdout) == []


def test_fetch_without_the_password_variable_says_which(mail_desk, cli, imap_server):
    with open(mail_desk / "supportctl.yml", "a") as fh:
        fh.write(f"  imap: {{host: 127.0.0.1, port: {imap_server.port}, security: none, "
                 f"username: {imap_server.username}, password_env: NOT_SET_ANYWHERE}}\n")
    result = cli("mail", "fetch", ok=False)
    assert result.exit_code == 1 and "NOT_SET_ANYWHERE" in result.stderr


def test_a_desk_without_mail_settings_says_how_to_add_them(desk, cli, tmp_path):
    result = cli("mail", "outbox", ok=False)
    assert result.exit_code == 2 and "mail:" in result.stderr


def test_a_reply_from_someone_not_on_the_ticket_is_kept_but_changes_nothing(mail_desk, cli, tmp_path):
    [first] = intake(cli, tmp_path, mail("Refund", "Please refund."))
    ticket_id = first["ticket"]
    cli("ticket", "status", ticket_id, "pending")
    [other] = intake(cli, tmp_path, mail(f"Re: Refund [Test #{ticket_id}]", "Refund me too!",
                                         sender="Mallory <mallory@elsewhere.example>"))
    assert other["action"] == "appended" and "mallory@elsewhere.example" in other["reason"]
    ticket = show(cli, ticket_id)
    assert ticket["status"] == "pending"
    assert ticket["history"][-2]["body"] == "Refund me too!"
    marks = [c for c in ticket["history"][-1]["changes"] if c["field"] == "unknown_sender"]
    assert marks and marks[0]["new"] == "mallory@elsewhere.example"


def test_a_large_attachment_stays_in_the_original_only(mail_desk, cli, tmp_path):
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "dana@example.com", "support@desk.example", "Big file"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content("See the attached log.")
    msg.add_attachment(b"x" * 26_000_000, maintype="application", subtype="octet-stream",
                       filename="../../etc/huge.log")
    [result] = intake(cli, tmp_path, bytes(msg))
    assert result["action"] == "created"
    receipt = next(r for r in show(cli, result["ticket"])["history"] if r["kind"] == "event")
    fields = {c["field"]: c["new"] for c in receipt["changes"]}
    assert "attachment" not in fields and fields["attachment_too_large"].startswith("huge.log (26.0 MB)")
    assert not list(mail_desk.glob("mail/*/*/huge.log"))
    assert not (mail_desk.parent / "etc").exists()


def test_a_broken_acknowledgement_template_still_lets_the_mail_in(mail_desk, cli, tmp_path):
    (mail_desk / "templates/replies/acknowledge.md.j2").write_text("Hi {{ no_such_variable }}\n")
    git(mail_desk, "commit", "-qam", "a broken acknowledgement")
    [result] = intake(cli, tmp_path, mail("Hello", "Hello there."))
    assert result["action"] == "created" and "no_such_variable" in result["reason"]
    assert json.loads(cli("mail", "outbox", "--json").stdout) == []        # nothing half-written to send
    assert git(mail_desk, "status", "--porcelain") == ""


def test_mail_to_a_merged_ticket_lands_on_the_ticket_it_was_merged_into(mail_desk, cli, tmp_path, smtp_server):
    [first] = intake(cli, tmp_path, mail("Login fails", "I cannot log in."))
    [second] = intake(cli, tmp_path, mail("Login broken", "Still cannot log in."))
    dup, target = first["ticket"], second["ticket"]
    cli("ticket", "reply", dup, "-m", "Please try again now.")
    cli("mail", "send")
    from email import message_from_bytes

    sent_id = next(message_from_bytes(m.data)["Message-ID"] for m in smtp_server.messages
                   if b"Please try again now." in m.data)
    cli("ticket", "merge", dup, target)
    # The copies of the duplicate's acknowledgement and reply were delivered already, from the duplicate.
    assert json.loads(cli("mail", "outbox", "--json").stdout) == []
    [tagged] = intake(cli, tmp_path, mail(f"Re: Login fails [Test #{dup}]", "Tried again, no luck."))
    assert tagged["action"] == "appended" and tagged["ticket"] == target
    assert tagged["reason"] == f"to {dup}, which was merged into {target}"
    [answered] = intake(cli, tmp_path, mail("Re: Login fails", "Any news?", In_Reply_To=sent_id))
    assert answered["ticket"] == target
    history = show(cli, target)["history"]
    customer = [(r["body"], r["merged_from"]) for r in history if r.get("role") == "customer"]
    # (Both tickets may have opened in the same second: then the copy comes second.)
    assert sorted(customer[:2]) == [("I cannot log in.", dup), ("Still cannot log in.", None)]
    assert customer[2:] == [("Tried again, no luck.", None), ("Any news?", None)]
    assert [r["body"] for r in show(cli, dup)["history"] if r.get("role") == "customer"] == ["I cannot log in."]
    assert json.loads(cli("mail", "send", "--json").stdout)["sent"] == []


def test_a_reply_the_duplicate_had_not_sent_yet_goes_out_once_from_the_duplicate(mail_desk, cli, tmp_path):
    [first] = intake(cli, tmp_path, mail("Login fails", "I cannot log in."))
    [second] = intake(cli, tmp_path, mail("Login broken", "Still cannot log in."))
    cli("mail", "send")
    cli("ticket", "reply", first["ticket"], "-m", "Please try again now.")
    cli("ticket", "merge", first["ticket"], second["ticket"])
    outbox = json.loads(cli("mail", "outbox", "--json").stdout)
    assert [(o["ticket"], o["subject"]) for o in outbox] == [
        (first["ticket"], f"Re: Login fails [Test #{first['ticket']}]")]


def test_mail_to_a_ticket_merged_into_one_that_is_gone_is_kept_not_lost(mail_desk, cli, tmp_path):
    [first] = intake(cli, tmp_path, mail("Login fails", "I cannot log in."))
    path = mail_desk / "tickets" / f"{first['ticket']}.md"
    path.write_text(path.read_text().replace("tags:", "merged_into: ZZZZZZ\ntags:", 1))
    [result] = intake(cli, tmp_path, mail(f"Re: Login fails [Test #{first['ticket']}]", "Hello?"))
    assert result["action"] == "skipped" and result["kept"]
    assert result["reason"] == f"ticket {first['ticket']} is merged into ZZZZZZ, which does not exist"
