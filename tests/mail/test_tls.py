"""TLS and AUTH for real: a private CA, an SMTP relay that requires STARTTLS and AUTH, and IMAPS.

The certificates come from ``tls_certificates`` (a throwaway CA made with openssl per session);
the servers are the fixtures in tests/mail/servers.py. Nothing turns verification off: the desk
trusts the relay only through ``ca_file``.
"""

from __future__ import annotations

import json
import shutil
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from tests.conftest import git
from tests.mail.servers import PASSWORD, SMTP_USER, SmtpServer

NOW = "2026-03-02T10:30:00+01:00"
CUSTOMER_ID = "<customer-1@example.com>"
RELAY = """
mail:
  address: support@desk.example
  subject_tag: Test
  smtp: {{host: 127.0.0.1, port: {port}, security: starttls, username: {user}, password_env: TEST_SMTP_PASSWORD{ca}}}
"""


def mail(subject: str, body: str, *, sender: str = "Dana Smith <dana@example.com>", **headers) -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "support@desk.example"
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id")
    msg["Date"] = "Mon, 02 Mar 2026 09:00:00 +0100"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return bytes(msg)


def relay_desk(desk, relay: SmtpServer, ca_file: str | None) -> None:
    """Point the desk's SMTP settings at ``relay``; ``ca_file`` as written in supportctl.yml."""
    ca = f", ca_file: {ca_file}" if ca_file else ""
    with open(desk / "supportctl.yml", "a") as fh:
        fh.write(RELAY.format(port=relay.port, user=SMTP_USER, ca=ca))
    git(desk, "add", "-A")
    git(desk, "commit", "-qm", "mail settings: the relay")


def ticket_with_reply(cli, tmp_path, body: str = "Grüße aus Köln: the export runs again.") -> tuple[str, str]:
    """A ticket from a customer's mail (with a Cc) and an agent reply in the outbox: (ticket, record)."""
    path = tmp_path / "customer.eml"
    path.write_bytes(mail("Export stops", "It stops at 1,000 rows.", message_id=CUSTOMER_ID,
                          Cc="Bob Jones <bob@example.com>"))
    [created] = json.loads(cli("mail", "import", path, "--json").stdout)
    cli("ticket", "reply", created["ticket"], "-m", body)
    [queued] = json.loads(cli("mail", "outbox", "--json").stdout)
    return created["ticket"], queued["record"]


@pytest.fixture
def private_ca(desk, tls_certificates):  # noqa: F811
    """The test CA's certificate committed in the desk as certs/relay-ca.pem (ca_file relative to the desk)."""
    (desk / "certs").mkdir()
    shutil.copy(tls_certificates.ca_cert, desk / "certs" / "relay-ca.pem")
    return "certs/relay-ca.pem"


def no_traceback(result) -> None:
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


# --------------------------------------------------------------------------------------------
# SMTP: STARTTLS + AUTH through a private CA
# --------------------------------------------------------------------------------------------

def test_send_through_a_starttls_relay_with_auth_and_a_private_ca(desk, cli, tmp_path, monkeypatch,
                                                                 smtp_tls_server, private_ca):  # noqa: F811
    relay_desk(desk, smtp_tls_server, private_ca)
    monkeypatch.setenv("SUPPORTCTL_NOW", NOW)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    ticket_id, record_id = ticket_with_reply(cli, tmp_path)

    result = json.loads(cli("mail", "send", "--json").stdout)
    assert [s["record"] for s in result["sent"]] == [record_id] and result["failed"] == []

    [received] = smtp_tls_server.messages
    assert received.tls and received.login == SMTP_USER
    assert smtp_tls_server.logins == [("PLAIN", SMTP_USER, True)]
    assert received.mail_from == "support@desk.example"
    assert received.rcpt_tos == ["dana@example.com", "bob@example.com"]
    head, _, body = received.data.partition(b"\r\n\r\n")
    assert head.decode("ascii").split("\r\n") == [
        "From: Test Desk <support@desk.example>",
        "To: Dana Smith <dana@example.com>",
        "Cc: bob@example.com",                                # the desk records Cc addresses
        f"Subject: Re: Export stops [Test #{ticket_id}]",
        "Date: Mon, 02 Mar 2026 10:30:00 +0100",
        f"Message-ID: <{ticket_id}.{record_id}@desk.example>",
        f"In-Reply-To: {CUSTOMER_ID}",
        f"References: {CUSTOMER_ID}",
        "X-Loop: support@desk.example",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: quoted-printable",
        "MIME-Version: 1.0",
    ]
    assert body == b"Gr=C3=BC=C3=9Fe aus K=C3=B6ln: the export runs again.\r\n"
    parsed = message_from_bytes(received.data.replace(b"\r\n", b"\n"), policy=policy.default)
    assert parsed.get_content() == "Grüße aus Köln: the export runs again.\n"

    # Recorded and committed: the outbox is empty and a second run sends nothing.
    assert git(desk, "status", "--porcelain") == ""
    assert json.loads(cli("mail", "outbox", "--json").stdout) == []
    assert json.loads(cli("mail", "send", "--json").stdout)["sent"] == []
    assert len(smtp_tls_server.messages) == 1


def test_a_relay_that_offers_only_auth_login(desk, cli, tmp_path, monkeypatch, tls_certificates,  # noqa: F811
                                             private_ca):
    relay = SmtpServer(tls=tls_certificates, auth=(SMTP_USER, PASSWORD), mechanisms=("LOGIN",))
    relay.start()
    try:
        relay_desk(desk, relay, private_ca)
        monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
        ticket_with_reply(cli, tmp_path, body="Fixed now.")
        cli("mail", "send")
        assert relay.logins == [("LOGIN", SMTP_USER, True)]
        [received] = relay.messages
        assert received.tls and received.login == SMTP_USER and b"\r\n\r\nFixed now.\r\n" in received.data
    finally:
        relay.stop()


def test_a_wrong_password_is_a_clear_error_and_the_reply_stays_in_the_outbox(
        desk, cli, tmp_path, monkeypatch, smtp_tls_server, private_ca):  # noqa: F811
    relay_desk(desk, smtp_tls_server, private_ca)
    monkeypatch.setenv("TEST_SMTP_PASSWORD", "not-the-password")
    ticket_id, record_id = ticket_with_reply(cli, tmp_path)
    head = git(desk, "rev-parse", "HEAD")

    result = cli("mail", "send", ok=False)
    assert result.exit_code == 1
    no_traceback(result)
    assert (f"error: the SMTP server 127.0.0.1:{smtp_tls_server.port} refused the login of {SMTP_USER}: "
            "535 5.7.8 Authentication credentials invalid") in result.stderr
    assert "TEST_SMTP_PASSWORD" in result.stderr       # the hint names the variable to check
    assert "not-the-password" not in result.output + result.stderr
    assert smtp_tls_server.messages == [] and [ok for *_, ok in smtp_tls_server.logins] == [False, False]
    # Nothing recorded: the reply is still in the outbox, and goes out once the password is right.
    assert git(desk, "rev-parse", "HEAD") == head and git(desk, "status", "--porcelain") == ""
    assert [o["record"] for o in json.loads(cli("mail", "outbox", "--json").stdout)] == [record_id]
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    assert [s["record"] for s in json.loads(cli("mail", "send", "--json").stdout)["sent"]] == [record_id]


def test_an_untrusted_certificate_is_refused_before_the_password_is_sent(
        desk, cli, tmp_path, monkeypatch, smtp_tls_server):  # noqa: F811
    relay_desk(desk, smtp_tls_server, ca_file=None)   # the system trust store does not know the test CA
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    _, record_id = ticket_with_reply(cli, tmp_path)

    result = cli("mail", "send", ok=False)
    assert result.exit_code == 1
    no_traceback(result)
    # OpenSSL's words follow: "(unable to get local issuer certificate)"
    assert (f"error: cannot use the SMTP server 127.0.0.1:{smtp_tls_server.port}: "
            "the server's TLS certificate is not trusted (") in result.stderr
    assert "hint: if the server uses a private CA, set mail.smtp.ca_file" in result.stderr
    assert smtp_tls_server.logins == [] and smtp_tls_server.messages == []   # no password left the desk
    assert [o["record"] for o in json.loads(cli("mail", "outbox", "--json").stdout)] == [record_id]


def test_a_missing_ca_file_says_which_path_it_looked_for(desk, cli, tmp_path, monkeypatch,
                                                       smtp_tls_server):  # noqa: F811
    relay_desk(desk, smtp_tls_server, "certs/nowhere.pem")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    ticket_with_reply(cli, tmp_path)
    result = cli("mail", "send", ok=False)
    assert result.exit_code == 1
    no_traceback(result)
    assert f"error: the CA file {desk.resolve() / 'certs' / 'nowhere.pem'} does not exist" in result.stderr
    assert smtp_tls_server.logins == [] and smtp_tls_server.messages == []


def test_a_ca_file_that_is_no_certificate_is_a_clear_error(desk, cli, tmp_path, monkeypatch,
                                                         smtp_tls_server):  # noqa: F811
    (desk / "not-a-cert.pem").write_text("hello\n")
    relay_desk(desk, smtp_tls_server, "not-a-cert.pem")
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    ticket_with_reply(cli, tmp_path)
    result = cli("mail", "send", ok=False)
    assert result.exit_code == 1
    no_traceback(result)
    assert "holds no usable PEM certificate" in result.stderr and smtp_tls_server.messages == []


def test_ca_file_without_tls_is_a_config_error(desk, cli):
    with open(desk / "supportctl.yml", "a") as fh:
        fh.write("mail:\n  address: support@desk.example\n  subject_tag: Test\n"
                 "  smtp: {host: 127.0.0.1, port: 25, security: none, ca_file: certs/ca.pem}\n")
    result = cli("mail", "outbox", ok=False)
    assert result.exit_code != 0
    no_traceback(result)
    assert "ca_file needs security: ssl or starttls" in result.stderr


# --------------------------------------------------------------------------------------------
# IMAP: implicit TLS (IMAPS) and STARTTLS against Dovecot with the same certificate
# --------------------------------------------------------------------------------------------

def imap_desk(desk, server, security: str, ca_file: str | None) -> None:
    port = server.ssl_port if security == "ssl" else server.port
    ca = f", ca_file: '{ca_file}'" if ca_file else ""
    with open(desk / "supportctl.yml", "a") as fh:
        fh.write("mail:\n  address: support@desk.example\n  subject_tag: Test\n"
                 f"  imap: {{host: 127.0.0.1, port: {port}, security: {security}, username: {server.username}, "
                 f"password_env: TEST_IMAP_PASSWORD, processed_folder: Processed{ca}}}\n")
    git(desk, "commit", "-qam", "mail settings: IMAP over TLS")


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_fetch_over_tls_with_a_private_ca(desk, cli, monkeypatch, imaps_server, security):  # noqa: F811
    imap_desk(desk, imaps_server, security, str(imaps_server.ca_cert))    # an absolute ca_file
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imaps_server.password)
    imaps_server.append("INBOX", mail("Over TLS", "Fetched through TLS.", message_id="<tls-1@example.com>"))
    [result] = json.loads(cli("mail", "fetch", "--json").stdout)
    assert result["action"] == "created" and result["message_id"] == "<tls-1@example.com>"
    ticket = json.loads(cli("ticket", "show", result["ticket"], "--json").stdout)
    assert ticket["title"] == "Over TLS" and ticket["history"][0]["body"] == "Fetched through TLS."
    assert imaps_server.list_messages("INBOX") == [] and len(imaps_server.list_messages("Processed")) == 1
    # Dovecot logs the desk's login as over TLS (the test helpers log in on the plain port).
    logins = [line for line in imaps_server.log_path.read_text().splitlines()
              if f"Login: user=<{imaps_server.username}>" in line]
    assert any(", TLS," in line for line in logins), logins


def test_fetch_from_an_untrusted_imaps_server_is_a_clear_error(desk, cli, monkeypatch, imaps_server):  # noqa: F811
    imap_desk(desk, imaps_server, "ssl", ca_file=None)
    monkeypatch.setenv("TEST_IMAP_PASSWORD", imaps_server.password)
    imaps_server.append("INBOX", mail("Waiting", "Still here.", message_id="<tls-2@example.com>"))
    head = git(desk, "rev-parse", "HEAD")
    result = cli("mail", "fetch", ok=False)
    assert result.exit_code == 1
    no_traceback(result)
    assert (f"error: cannot reach the IMAP server 127.0.0.1:{imaps_server.ssl_port}: "
            "the server's TLS certificate is not trusted") in result.stderr
    assert "mail.imap.ca_file" in result.stderr
    assert git(desk, "rev-parse", "HEAD") == head and len(imaps_server.list_messages("INBOX")) == 1
