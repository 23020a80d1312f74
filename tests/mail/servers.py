"""Real mail servers on 127.0.0.1 for the mail channel tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Use them from any test under tests/mail/ (tests/mail/conftest.py imports the fixtures)::

    def test_fetch(imap_server, smtp_server): ...

``imap_server`` yields an :class:`ImapServer`. One Dovecot process serves the whole test
session (started on first use, stopped when pytest exits); every test gets its own fresh
user, so mailbox and folder state never leaks between tests. ``smtp_server`` yields an
:class:`SmtpServer`, a fresh aiosmtpd server per test that collects what it receives and can
refuse messages on demand.

TLS and AUTH, tested for real: ``tls_certificates`` makes a throwaway CA and a server
certificate it signed for 127.0.0.1/localhost (with the ``openssl`` command, once per session).
``smtp_tls_server`` is an aiosmtpd server that requires STARTTLS and then AUTH (PLAIN or
LOGIN) with :data:`SMTP_USER`/:data:`PASSWORD`; ``imaps_server`` is a second Dovecot with
that certificate on an IMAPS (implicit TLS) port and STARTTLS on its plain port.

Nothing here touches the system's Dovecot: the config, sockets, state, logs and mail all
live in one temporary directory, and the server only listens on 127.0.0.1 on a free port.
"""

from __future__ import annotations

import atexit
import contextlib
import imaplib
import itertools
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
PASSWORD = "s3cret-pass"
SMTP_USER = "relay-user@desk.example"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, deadline: float, alive=lambda: True) -> bool:
    while time.monotonic() < deadline and alive():
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.settimeout(1.0)
            return sock.recv(64).startswith(b"* OK")  # Dovecot's greeting
        time.sleep(0.05)
    return False


def _wait_for_tcp(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return True
        time.sleep(0.05)
    return False


# --------------------------------------------------------------------------------------------
# TLS: a throwaway CA and a server certificate
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Certificates:
    """PEM files: a private CA (``ca_cert``) and the certificate it signed for 127.0.0.1 and localhost."""

    ca_cert: Path
    cert: Path      # the server's certificate
    key: Path       # its private key (unencrypted)

    def server_context(self) -> ssl.SSLContext:
        """What a server presents: this certificate and key."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificates(folder: Path) -> Certificates:
    """A new CA and server certificate (EC P-256, valid for two days) written to ``folder``."""
    openssl = shutil.which("openssl")
    if not openssl:
        pytest.fail("the openssl command is needed to make the test certificates (Debian package openssl)")
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = folder / "ca.key", folder / "ca.pem"
    key, csr, cert = folder / "server.key", folder / "server.csr", folder / "server.pem"
    ext = folder / "server.ext"
    # Python's default context checks these extensions (keyUsage on the CA, key identifiers, SAN).
    ext.write_text("basicConstraints = critical, CA:FALSE\n"
                   "keyUsage = critical, digitalSignature, keyEncipherment\n"
                   "extendedKeyUsage = serverAuth\n"
                   "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                   "subjectKeyIdentifier = hash\n"
                   "authorityKeyIdentifier = keyid, issuer\n")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        proc = subprocess.run([openssl, *args], capture_output=True, text=True)
        if proc.returncode != 0:
            pytest.fail(f"openssl {' '.join(args)} failed:\n{proc.stderr}")

    run("req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca_cert), "-days", "2",
        "-subj", "/O=supportctl tests/CN=supportctl test CA",
        "-addext", "basicConstraints = critical, CA:TRUE",
        "-addext", "keyUsage = critical, keyCertSign, cRLSign",
        "-addext", "subjectKeyIdentifier = hash")
    run("req", "-new", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/O=supportctl tests/CN=localhost")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca_cert), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "2", "-sha256", "-extfile", str(ext))
    for path in (ca_cert, cert, key):
        path.chmod(0o644)  # Dovecot's config process reads them, as root or as us
    return Certificates(ca_cert=ca_cert, cert=cert, key=key)


@pytest.fixture(scope="session")
def tls_certificates(tmp_path_factory) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1/localhost, made once per test session."""
    folder = tmp_path_factory.mktemp("tls")
    folder.chmod(0o755)
    return make_certificates(folder)


# --------------------------------------------------------------------------------------------
# IMAP: Dovecot
# --------------------------------------------------------------------------------------------

def _dovecot_binary() -> str:
    found = shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)), None)
    if not found:
        pytest.fail("dovecot is not installed (Debian package dovecot-imapd; .ci/run installs it)")
    return found


def _dovecot_version(binary: str) -> tuple[int, ...]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    return tuple(int(part) for part in out.split()[0].split(".")[:3] if part.isdigit())


def _system_user(*names: str) -> str:
    """The first of ``names`` that exists as a system user, else root."""
    import pwd

    for name in names:
        with contextlib.suppress(KeyError):
            pwd.getpwnam(name)
            return name
    return "root"


def _mail_owner() -> tuple[int, int]:
    """The uid/gid Dovecot reads and writes mail as: ours, or nobody's when we are root."""
    import pwd

    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    try:
        nobody = pwd.getpwnam("nobody")
        return nobody.pw_uid, nobody.pw_gid
    except KeyError:
        return 65534, 65534


class Dovecot:
    """One Dovecot master process running from a private temporary directory."""

    def __init__(self, tls: Certificates | None = None) -> None:
        self.tls = tls
        self.binary = _dovecot_binary()
        self.version = _dovecot_version(self.binary)
        if self.version >= (2, 4):  # 2.4 renamed most settings (mail_location, passdb args, ...)
            pytest.fail(f"tests/mail/servers.py writes a Dovecot 2.3 config (Debian 12's); "
                        f"{self.binary} is {'.'.join(map(str, self.version))}")
        self.root = Path(tempfile.mkdtemp(prefix="supportctl-dovecot-"))
        self.root.chmod(0o755)  # the unprivileged login/auth processes must reach their sockets
        self.base_dir = self.root / "run"
        self.state_dir = self.root / "state"
        self.mail_root = self.root / "mail"
        self.log_path = self.root / "dovecot.log"
        self.users_dir = self.root / "users"
        self.config_path = self.root / "dovecot.conf"
        for folder in (self.base_dir, self.state_dir, self.mail_root, self.users_dir):
            folder.mkdir(mode=0o755)
        # Dovecot never accesses mail as root, so as root the mail belongs to "nobody".
        self.mail_uid, self.mail_gid = _mail_owner()
        os.chown(self.mail_root, self.mail_uid, self.mail_gid)
        self.port = 0
        self.ssl_port = 0  # the IMAPS listener, with ``tls`` only
        self.process: subprocess.Popen | None = None
        self._users = itertools.count(1)

    # -- configuration -----------------------------------------------------------------------
    def config(self) -> str:
        uid, gid = self.mail_uid, self.mail_gid
        return f"""\
# Written by tests/mail/servers.py for one test session. Not the system's Dovecot.
instance_name = supportctl-test-{os.getpid()}{"-tls" if self.tls else ""}
base_dir = {self.base_dir}
state_dir = {self.state_dir}
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
protocols = imap
listen = {HOST}
{self._ssl_settings()}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {_system_user("dovecot")}
default_login_user = {_system_user("dovenull", "dovecot")}
first_valid_uid = {min(uid, 500)}
first_valid_gid = {min(gid, 500)}
mail_uid = {uid}
mail_gid = {gid}
mail_location = maildir:{self.mail_root}/%u/Maildir
mail_fsync = never
shutdown_clients = yes

# One passwd-file per user (Dovecot rereads a changed passwd-file at most once a second,
# so a user added to a shared file could miss the next login; a new file is read at once).
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.users_dir}/%u
}}
userdb {{
  driver = passwd-file
  args = {self.users_dir}/%u
}}

namespace inbox {{
  inbox = yes
  separator = /
}}

service imap-login {{
  inet_listener imap {{
    address = {HOST}
    port = {self.port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {self.ssl_port}
  }}
  process_min_avail = 1
}}
service anvil {{
  chroot =
}}
"""

    def _ssl_settings(self) -> str:
        if not self.tls:
            return "ssl = no"
        # ssl = yes, not required: the plain port offers STARTTLS, and the test helpers
        # (ImapServer.connect) still log in there without TLS.
        return (f"ssl = yes\nssl_cert = <{self.tls.cert}\nssl_key = <{self.tls.key}\n"
                f"ssl_min_protocol = TLSv1.2")

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        errors = []
        for _attempt in range(3):  # another process may grab the free port before Dovecot does
            self.port = free_port()
            self.ssl_port = free_port() if self.tls else 0
            self.config_path.write_text(self.config())
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [self.binary, "-F", "-c", str(self.config_path)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)  # its own process group: teardown kills all of it
            deadline = time.monotonic() + START_TIMEOUT
            if _wait_for_port(self.port, deadline, alive=lambda: self.process.poll() is None) and (
                    not self.ssl_port or _wait_for_tcp(self.ssl_port, deadline)):
                return
            errors.append(f"attempt on port {self.port}: exit code {self.process.poll()}")
            self.stop()
            if "Address already in use" not in self.log():
                break
        pytest.fail("Dovecot did not start on %s (%s). Its log (%s):\n%s\nIts config:\n%s" % (
            HOST, "; ".join(errors), self.log_path, self.log(), self.config_path.read_text()))

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        # Children left behind in the group (there should be none) go too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log written)"

    # -- users -------------------------------------------------------------------------------
    def new_user(self) -> str:
        """Add a user with an empty mailbox (its own passwd-file in ``users_dir``)."""
        username = f"agent{next(self._users)}@desk.test"
        home = self.mail_root / username
        # uid/gid stay empty: passwd-file rejects uid 0; mail_uid/mail_gid in the config apply.
        passwd = self.users_dir / username
        passwd.write_text(f"{username}:{{PLAIN}}{PASSWORD}:::::{home}::\n")
        passwd.chmod(0o644)
        return username


@dataclass
class ImapServer:
    """What ``imap_server`` yields: a real Dovecot IMAP server and a fresh user on it.

    Connect with ``IMAPClient(server.host, server.port, ssl=False)`` and
    ``login(server.username, server.password)``; no TLS, plain LOGIN works.
    """

    host: str
    port: int
    username: str
    password: str
    maildir: Path  # this user's Maildir (INBOX is cur/new/tmp here; folder X is ".X")
    log_path: Path  # Dovecot's log, handy when a test fails
    dovecot: Dovecot = field(repr=False)
    ssl_port: int | None = None  # imaps_server only: implicit TLS here; ``port`` offers STARTTLS
    ca_cert: Path | None = None  # imaps_server only: the CA that signed the server's certificate

    @contextlib.contextmanager
    def connect(self):
        """A logged-in stdlib ``imaplib.IMAP4`` connection, logged out afterwards."""
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            conn.login(self.username, self.password)
            yield conn
        finally:
            with contextlib.suppress(Exception):
                conn.logout()

    def create_folder(self, name: str) -> None:
        """Create (and subscribe to) a folder; an existing folder is fine."""
        with self.connect() as conn:
            typ, data = conn.create(_quote(name))
            if typ != "OK" and b"ALREADYEXISTS" not in b" ".join(d or b"" for d in data):
                raise AssertionError(f"CREATE {name!r} failed: {typ} {data}")
            conn.subscribe(_quote(name))

    def append(self, folder: str, raw: bytes, flags: str = "", date_time=None) -> int:
        """APPEND ``raw`` (a whole RFC 5322 message) to ``folder``; returns the new UID."""
        if isinstance(raw, str):
            raw = raw.encode()
        raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")  # IMAP literals are CRLF
        with self.connect() as conn:
            typ, data = conn.append(_quote(folder), f"({flags})" if flags else None,
                                    imaplib.Time2Internaldate(date_time or time.time()), raw)
            if typ != "OK":
                raise AssertionError(f"APPEND to {folder!r} failed: {typ} {data}")
            response = data[0].decode() if data and data[0] else ""
            # Dovecot answers "[APPENDUID <validity> <uid>] Append completed."
            if "APPENDUID" in response:
                return int(response.split("APPENDUID", 1)[1].split()[1].rstrip("]"))
            return 0

    def list_messages(self, folder: str = "INBOX") -> list[bytes]:
        """The raw bytes of every message in ``folder`` in UID order (not marked \\Seen)."""
        with self.connect() as conn:
            typ, data = conn.select(_quote(folder), readonly=True)
            if typ != "OK":
                raise AssertionError(f"SELECT {folder!r} failed: {typ} {data}")
            typ, data = conn.uid("SEARCH", None, "ALL")
            uids = data[0].split() if data and data[0] else []
            messages = []
            for uid in uids:
                typ, data = conn.uid("FETCH", uid, "(BODY.PEEK[])")
                messages.append(next(part[1] for part in data if isinstance(part, tuple)))
            return messages

    def list_folders(self) -> list[str]:
        """Every folder name of this user (INBOX included)."""
        with self.connect() as conn:
            typ, data = conn.list()
        names = []
        for line in data:
            name = line.decode().rsplit(' "/" ', 1)[-1]
            names.append(name[1:-1] if name.startswith('"') else name)
        return names


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_dovecots: dict[str, Dovecot] = {}  # "plain" and "tls": at most one of each per pytest run


def _session_dovecot(config: pytest.Config, tls: Certificates | None = None) -> Dovecot:
    """The Dovecot of this pytest run (one plain, one with TLS): started on first use, stopped when pytest ends."""
    kind = "tls" if tls else "plain"
    current = _dovecots.get(kind)
    if current is None or current.process is None or current.process.poll() is not None:
        if current is not None:
            current.cleanup()
        server = Dovecot(tls)
        try:
            server.start()
        except BaseException:
            server.cleanup()
            raise
        _dovecots[kind] = server
        config.add_cleanup(lambda: _stop_session_dovecot(kind))
    return _dovecots[kind]


def _stop_session_dovecot(kind: str | None = None) -> None:
    for name in [kind] if kind else list(_dovecots):
        server = _dovecots.pop(name, None)
        if server is not None:
            server.cleanup()


atexit.register(_stop_session_dovecot)  # belt and braces if pytest dies before its cleanup


def _imap_user(dovecot: Dovecot) -> ImapServer:
    username = dovecot.new_user()
    return ImapServer(host=HOST, port=dovecot.port, username=username, password=PASSWORD,
                      maildir=dovecot.mail_root / username / "Maildir", log_path=dovecot.log_path,
                      dovecot=dovecot, ssl_port=dovecot.ssl_port or None,
                      ca_cert=dovecot.tls.ca_cert if dovecot.tls else None)


@pytest.fixture
def imap_server(request: pytest.FixtureRequest) -> ImapServer:
    """A real Dovecot IMAP server on 127.0.0.1 with a fresh, empty user for this test."""
    dovecot = _session_dovecot(request.config)
    server = _imap_user(dovecot)
    yield server
    shutil.rmtree(dovecot.mail_root / server.username, ignore_errors=True)


@pytest.fixture
def imaps_server(request: pytest.FixtureRequest, tls_certificates: Certificates) -> ImapServer:
    """Dovecot with the test CA's certificate: IMAPS on ``ssl_port``, STARTTLS on ``port``; a fresh user.

    The helpers (``append``, ``list_messages``, ...) still use the plain port without TLS.
    """
    dovecot = _session_dovecot(request.config, tls_certificates)
    server = _imap_user(dovecot)
    yield server
    shutil.rmtree(dovecot.mail_root / server.username, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# SMTP: aiosmtpd
# --------------------------------------------------------------------------------------------

@dataclass
class ReceivedMessage:
    """One message the SMTP server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    data: bytes  # the raw message as sent (after SMTP dot-unstuffing), CRLF line ends
    peer: tuple | None = None
    tls: bool = False          # the session was encrypted (STARTTLS) when the message came
    login: str | None = None   # the user the session logged in as (AUTH), if any


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, smtp_server, session, envelope, address, rcpt_options):
        refusal = self.server._take_refusal("rcpt")
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp_server, session, envelope):
        refusal = self.server._take_refusal("data")
        if refusal:
            return refusal
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        auth_data = session.auth_data if session.authenticated else None
        login = auth_data.login.decode(errors="replace") if hasattr(auth_data, "login") else None
        self.server.messages.append(ReceivedMessage(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), data=bytes(raw),
            peer=session.peer, tls=session.ssl is not None, login=login))
        return "250 Message accepted for delivery"


class SmtpServer:
    """What ``smtp_server`` yields: a real SMTP server (aiosmtpd) on 127.0.0.1, no TLS or AUTH.

    * ``messages``: every accepted message, a list of :class:`ReceivedMessage`
      (``mail_from``, ``rcpt_tos``, ``data`` raw bytes).
    * ``fail_next = "451 4.3.0 try later"`` refuses the next message (one shot, at DATA),
      ``fail_always = "550 5.7.1 no"`` refuses every message until set back to None.
      ``fail_stage = "rcpt"`` moves the refusal to RCPT TO. A refused message is not recorded.
    * ``refused``: how many messages were refused so far.

    With ``tls`` (a :class:`Certificates`) the server offers STARTTLS with that certificate
    and requires it before MAIL FROM; with ``auth`` (user, password) it also requires AUTH,
    only over TLS (``mechanisms``: the ones it offers, default PLAIN and LOGIN). Every AUTH
    attempt is recorded in ``logins`` as (mechanism, user, accepted).
    """

    def __init__(self, tls: Certificates | None = None, auth: tuple[str, str] | None = None,
                 mechanisms: tuple[str, ...] = ("PLAIN", "LOGIN")) -> None:
        from aiosmtpd.controller import Controller

        self.host = HOST
        self.messages: list[ReceivedMessage] = []
        self.fail_next: str | None = None
        self.fail_always: str | None = None
        self.fail_stage = "data"
        self.refused = 0
        self.tls = tls
        self.ca_cert = tls.ca_cert if tls else None  # the CA a client must trust (its ca_file)
        self.auth = auth
        self.logins: list[tuple[str, str, bool]] = []
        self.port = free_port()
        options: dict = {}
        if tls:
            options.update(tls_context=tls.server_context(), require_starttls=True)
        if auth:
            options.update(auth_required=True, auth_require_tls=True, authenticator=self._authenticate,
                           auth_exclude_mechanism=[m for m in ("PLAIN", "LOGIN") if m not in mechanisms])
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port,
                                      enable_SMTPUTF8=True, ready_timeout=START_TIMEOUT, **options)

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult, LoginPassword

        ok = (isinstance(auth_data, LoginPassword) and self.auth is not None
              and (auth_data.login.decode(), auth_data.password.decode()) == self.auth)
        user = auth_data.login.decode(errors="replace") if isinstance(auth_data, LoginPassword) else "?"
        self.logins.append((mechanism, user, ok))
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)

    def _take_refusal(self, stage: str) -> str | None:
        if stage != self.fail_stage:
            return None
        refusal, self.fail_next = self.fail_next, None
        refusal = refusal or self.fail_always
        if refusal:
            self.refused += 1
        return refusal

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        self.messages.clear()

    def __repr__(self) -> str:
        return f"<SmtpServer {self.host}:{self.port} messages={len(self.messages)}>"


@pytest.fixture
def smtp_server() -> SmtpServer:
    """A real SMTP server on 127.0.0.1 that collects what it receives, fresh for this test."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_tls_server(tls_certificates: Certificates) -> SmtpServer:
    """An SMTP server that requires STARTTLS (the test CA's certificate) and then AUTH as
    :data:`SMTP_USER` with :data:`PASSWORD`; fresh for this test. ``ca_cert`` names the CA file."""
    server = SmtpServer(tls=tls_certificates, auth=(SMTP_USER, PASSWORD))
    server.start()
    yield server
    server.stop()
