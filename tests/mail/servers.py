"""Real mail servers on 127.0.0.1 for the mail channel tests: Dovecot (IMAP) and aiosmtpd (SMTP).

Use them from any test under tests/mail/ (tests/mail/conftest.py imports the fixtures)::

    def test_fetch(imap_server, smtp_server): ...

``imap_server`` yields an :class:`ImapServer`. One Dovecot process serves the whole test
session (started on first use, stopped when pytest exits); every test gets its own fresh
user, so mailbox and folder state never leaks between tests. ``smtp_server`` yields an
:class:`SmtpServer`, a fresh aiosmtpd server per test that collects what it receives and can
refuse messages on demand.

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
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
PASSWORD = "s3cret-pass"


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

    def __init__(self) -> None:
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
        self.process: subprocess.Popen | None = None
        self._users = itertools.count(1)

    # -- configuration -----------------------------------------------------------------------
    def config(self) -> str:
        uid, gid = self.mail_uid, self.mail_gid
        return f"""\
# Written by tests/mail/servers.py for one test session. Not the system's Dovecot.
instance_name = supportctl-test-{os.getpid()}
base_dir = {self.base_dir}
state_dir = {self.state_dir}
log_path = {self.log_path}
info_log_path = {self.log_path}
debug_log_path = {self.log_path}
protocols = imap
listen = {HOST}
ssl = no
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
    port = 0
  }}
  process_min_avail = 1
}}
service anvil {{
  chroot =
}}
"""

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        errors = []
        for _attempt in range(3):  # another process may grab the free port before Dovecot does
            self.port = free_port()
            self.config_path.write_text(self.config())
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    [self.binary, "-F", "-c", str(self.config_path)],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)  # its own process group: teardown kills all of it
            deadline = time.monotonic() + START_TIMEOUT
            if _wait_for_port(self.port, deadline, alive=lambda: self.process.poll() is None):
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


_dovecot: Dovecot | None = None


def _session_dovecot(config: pytest.Config) -> Dovecot:
    """The one Dovecot of this pytest run: started on first use, stopped when pytest ends."""
    global _dovecot
    if _dovecot is None or _dovecot.process is None or _dovecot.process.poll() is not None:
        if _dovecot is not None:
            _dovecot.cleanup()
        server = Dovecot()
        try:
            server.start()
        except BaseException:
            server.cleanup()
            raise
        _dovecot = server
        config.add_cleanup(_stop_session_dovecot)
    return _dovecot


def _stop_session_dovecot() -> None:
    global _dovecot
    if _dovecot is not None:
        _dovecot.cleanup()
        _dovecot = None


atexit.register(_stop_session_dovecot)  # belt and braces if pytest dies before its cleanup


@pytest.fixture
def imap_server(request: pytest.FixtureRequest) -> ImapServer:
    """A real Dovecot IMAP server on 127.0.0.1 with a fresh, empty user for this test."""
    dovecot = _session_dovecot(request.config)
    username = dovecot.new_user()
    server = ImapServer(host=HOST, port=dovecot.port, username=username, password=PASSWORD,
                        maildir=dovecot.mail_root / username / "Maildir",
                        log_path=dovecot.log_path, dovecot=dovecot)
    yield server
    shutil.rmtree(dovecot.mail_root / username, ignore_errors=True)


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
        self.server.messages.append(ReceivedMessage(
            mail_from=envelope.mail_from, rcpt_tos=list(envelope.rcpt_tos), data=bytes(raw),
            peer=session.peer))
        return "250 Message accepted for delivery"


class SmtpServer:
    """What ``smtp_server`` yields: a real SMTP server (aiosmtpd) on 127.0.0.1, no TLS or AUTH.

    * ``messages``: every accepted message, a list of :class:`ReceivedMessage`
      (``mail_from``, ``rcpt_tos``, ``data`` raw bytes).
    * ``fail_next = "451 4.3.0 try later"`` refuses the next message (one shot, at DATA),
      ``fail_always = "550 5.7.1 no"`` refuses every message until set back to None.
      ``fail_stage = "rcpt"`` moves the refusal to RCPT TO. A refused message is not recorded.
    * ``refused``: how many messages were refused so far.
    """

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.host = HOST
        self.messages: list[ReceivedMessage] = []
        self.fail_next: str | None = None
        self.fail_always: str | None = None
        self.fail_stage = "data"
        self.refused = 0
        self.port = free_port()
        self._controller = Controller(_Handler(self), hostname=HOST, port=self.port,
                                      enable_SMTPUTF8=True, ready_timeout=START_TIMEOUT)

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
