"""The wire: reading an IMAP folder and sending over SMTP (the only mail code that opens sockets)."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError

TIMEOUT = 60  # seconds for connecting and each command: a hung server must not hang CI forever


class TransportError(SupportctlError):
    """The mail server could not be reached, refused the login, or refused a command."""


def ssl_context(cfg, base: Path | str | None = None) -> ssl.SSLContext:
    """The TLS context for a server in the config: certificate and host name always verified.

    Trusted: the CA certificates in ``cfg.ca_file`` (a path relative to ``base``, the desk's
    root, or absolute) when set, else the system's trust store. There is no way to turn
    verification off.
    """
    ca_file = getattr(cfg, "ca_file", None)
    if not ca_file:
        return ssl.create_default_context()
    path = Path(ca_file).expanduser()
    if not path.is_absolute() and base is not None:
        path = Path(base) / path
    if not path.is_file():
        raise TransportError(f"the CA file {path} does not exist",
                             hint="ca_file is a PEM file, relative to the desk's root or absolute")
    try:
        return ssl.create_default_context(cafile=str(path))
    except (ssl.SSLError, ValueError, OSError) as exc:
        raise TransportError(f"the CA file {path} holds no usable PEM certificate: {exc}",
                             hint="ca_file must be the CA certificate(s) in PEM form "
                                  "(-----BEGIN CERTIFICATE-----)") from None


def _failure(exc: BaseException) -> str:
    """Why a connection failed, in words: an untrusted certificate says which setting fixes it."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"the server's TLS certificate is not trusted ({exc.verify_message or exc.reason})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason or exc})"
    if isinstance(exc, smtplib.SMTPException):
        return _smtp_reason(exc)
    return str(exc) or type(exc).__name__


def _tls_hint(exc: BaseException, section: str, default: str) -> str:
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (f"if the server uses a private CA, set {section}.ca_file to its CA certificate (PEM, relative to "
                f"the desk or absolute); check that {section}.host is the name on the certificate")
    if isinstance(exc, ssl.SSLError):
        return f"check {section}.port and {section}.security (ssl is TLS from the start, starttls upgrades)"
    return default


@datatype
class Fetched:
    """One message in the IMAP folder: its UID there and its bytes."""

    uid: int
    data: bytes


class Mailbox:
    """An open IMAP folder: list its messages, then file away the ones the desk recorded."""

    def __init__(self, client, folder: str, processed: str | None) -> None:
        self.client = client
        self.folder = folder
        self.processed = processed

    def messages(self, limit: int | None = None) -> list[Fetched]:
        """Messages still to import: all of them when processed mail is moved away, else the unseen ones."""
        criteria = ["ALL"] if self.processed else ["UNSEEN"]
        uids = sorted(self.client.search(criteria))[:limit] if limit else sorted(self.client.search(criteria))
        out = []
        # BODY.PEEK: reading must not mark a message seen before the desk has committed it.
        for start in range(0, len(uids), 50):
            chunk = uids[start:start + 50]
            for uid, data in self.client.fetch(chunk, ["BODY.PEEK[]"]).items():
                body = data.get(b"BODY[]")
                if body is not None:
                    out.append(Fetched(uid, bytes(body)))
        return sorted(out, key=lambda f: f.uid)

    def done(self, uids: list[int]) -> None:
        """Move recorded messages to the processed folder, or mark them seen."""
        if not uids:
            return
        if self.processed:
            if not self.client.folder_exists(self.processed):
                self.client.create_folder(self.processed)
            self.client.move(uids, self.processed)
        else:
            self.client.add_flags(uids, [b"\\Seen"])


@contextlib.contextmanager
def imap_folder(cfg, password: str, *, base: Path | str | None = None,
                context: ssl.SSLContext | None = None) -> Iterator[Mailbox]:
    """Log in to the configured IMAP server and select the intake folder.

    TLS uses ``context``, or one built by :func:`ssl_context` from ``cfg`` (``base``: the
    directory a relative ``ca_file`` is under).
    """
    from imapclient import IMAPClient
    from imapclient.exceptions import IMAPClientError, LoginError

    where = f"{cfg.host}:{cfg.port}"
    if cfg.security != "none" and context is None:
        context = ssl_context(cfg, base)
    try:
        client = IMAPClient(cfg.host, port=cfg.port, ssl=cfg.security == "ssl",
                            ssl_context=context if cfg.security == "ssl" else None, timeout=TIMEOUT)
    except (OSError, IMAPClientError) as exc:
        raise TransportError(f"cannot reach the IMAP server {where}: {_failure(exc)}",
                             hint=_tls_hint(exc, "mail.imap", "check mail.imap host, port and security in "
                                                              "supportctl.yml")) from None
    try:
        if cfg.security == "starttls":
            try:
                client.starttls(context)
            except (OSError, IMAPClientError) as exc:
                raise TransportError(f"IMAP {where}: STARTTLS failed: {_failure(exc)}",
                                     hint=_tls_hint(exc, "mail.imap", "the server may not offer STARTTLS; "
                                                                      "try security: ssl")) from None
        try:
            client.login(cfg.username, password)
        except LoginError as exc:
            raise TransportError(f"the IMAP server {where} refused the login of {cfg.username}: {exc}",
                                 hint=f"check mail.imap.username and the password in ${cfg.password_env}") from None
        client.select_folder(cfg.folder)
        yield Mailbox(client, cfg.folder, cfg.processed_folder)
    except (OSError, IMAPClientError) as exc:
        raise TransportError(f"IMAP {where}: {_failure(exc)}",
                             hint=_tls_hint(exc, "mail.imap", "check the username, the password variable and "
                                                              "the folder names in mail.imap")) from None
    finally:
        with contextlib.suppress(Exception):
            client.logout()


class Smtp:
    """An open SMTP connection that sends one message at a time."""

    def __init__(self, client: smtplib.SMTP, where: str) -> None:
        self.client = client
        self.where = where

    def send(self, message: EmailMessage) -> None:
        """Send, or raise TransportError with the server's answer (nothing was delivered then)."""
        try:
            refused = self.client.send_message(message)
        except smtplib.SMTPException as exc:
            raise TransportError(f"SMTP {self.where} refused the message: {_smtp_reason(exc)}",
                                 hint="it stays in the outbox and is sent by the next `mail send`") from None
        except OSError as exc:
            raise TransportError(f"SMTP {self.where}: {exc}", hint="it stays in the outbox") from None
        if refused:
            # Some recipients were refused, the others accepted: recorded as sent, and the
            # refusals reported, since resending would mail the accepted ones twice.
            raise PartialDelivery(refused)


class PartialDelivery(TransportError):
    """The server took the message for some recipients and refused others."""

    def __init__(self, refused: dict) -> None:
        shown = ", ".join(f"{addr} ({_code(v)})" for addr, v in refused.items())
        super().__init__(f"refused for {shown}", hint="the others got it; check these addresses")
        self.refused = refused


def _code(value) -> str:
    code, text = value if isinstance(value, tuple) else (value, b"")
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}".strip()


def _smtp_reason(exc: smtplib.SMTPException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _code((exc.smtp_code, exc.smtp_error))
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{a}: {_code(v)}" for a, v in exc.recipients.items())
    return str(exc) or type(exc).__name__


@contextlib.contextmanager
def smtp_connection(cfg, password: str | None, *, base: Path | str | None = None,
                    context: ssl.SSLContext | None = None) -> Iterator[Smtp]:
    """Connect (and log in, when a username is set) to the configured SMTP server.

    TLS uses ``context``, or one built by :func:`ssl_context` from ``cfg`` (``base``: the
    directory a relative ``ca_file`` is under).
    """
    where = f"{cfg.host}:{cfg.port}"
    if cfg.security != "none" and context is None:
        context = ssl_context(cfg, base)
    client: smtplib.SMTP | None = None
    try:
        if cfg.security == "ssl":
            client = smtplib.SMTP_SSL(cfg.host, cfg.port, timeout=TIMEOUT, context=context)
        else:
            client = smtplib.SMTP(cfg.host, cfg.port, timeout=TIMEOUT)
            if cfg.security == "starttls":
                client.starttls(context=context)
        if cfg.username:
            client.login(cfg.username, password or "")
    except smtplib.SMTPAuthenticationError as exc:
        _close(client)
        raise TransportError(f"the SMTP server {where} refused the login of {cfg.username}: {_smtp_reason(exc)}",
                             hint=f"check mail.smtp.username and the password in ${cfg.password_env}") from None
    except smtplib.SMTPNotSupportedError as exc:
        _close(client)
        raise TransportError(f"cannot use the SMTP server {where}: {exc}",
                             hint="check mail.smtp.security (STARTTLS, AUTH) and port") from None
    except (OSError, smtplib.SMTPException) as exc:
        _close(client)
        raise TransportError(f"cannot use the SMTP server {where}: {_failure(exc)}",
                             hint=_tls_hint(exc, "mail.smtp", "check mail.smtp host, port, security and the "
                                                              "password variable")) from None
    try:
        yield Smtp(client, where)
    finally:
        with contextlib.suppress(Exception):
            client.quit()


def _close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        with contextlib.suppress(Exception):
            client.close()
