"""The `mail:` section of supportctl.yml: the desk's address, IMAP intake and SMTP delivery."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from supportctl.config import views

_ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _env_name(value: str | None) -> str | None:
    # Only the *name* of a variable: a password pasted here would end up in git.
    if value is not None and not _ENV_NAME.match(value):
        raise ValueError("must be the name of an environment variable (the secret itself never goes in this file)")
    return value


class _Server(_Strict):
    """What IMAP and SMTP settings share: how the server's TLS certificate is checked.

    ``ca_file`` names the CA certificate(s) (PEM) that signed the server's certificate, for a
    private relay with its own CA: a path relative to the desk's root, or absolute. Without
    it, the system's trust store. The certificate and the host name are always checked;
    there is deliberately no setting to turn that off.
    """

    @model_validator(mode="after")
    def _ca_file(self):
        ca_file = getattr(self, "ca_file", None)
        if ca_file is not None and not ca_file.strip():
            raise ValueError("ca_file: give the path of a PEM file (relative to the desk, or absolute), "
                             "or leave ca_file out")
        if ca_file is not None and self.security == "none":
            raise ValueError("ca_file needs security: ssl or starttls (with security: none nothing is verified)")
        return self


class ImapConfig(_Server, views.ImapConfig):
    host: str
    port: int = Field(993, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "ssl"
    ca_file: str | None = None           # PEM CA for a private server (see _Server); default: system trust store
    username: str
    password_env: str
    folder: str = "INBOX"
    processed_folder: str | None = None   # move fetched mail here; without it, fetched mail is marked seen

    _env = field_validator("password_env")(_env_name)


class SmtpConfig(_Server, views.SmtpConfig):
    host: str
    port: int = Field(587, ge=1, le=65535)
    security: Literal["ssl", "starttls", "none"] = "starttls"
    ca_file: str | None = None           # PEM CA for a private relay (see _Server); default: system trust store
    username: str | None = None
    password_env: str | None = None

    _env = field_validator("password_env")(_env_name)


class MailConfig(_Strict, views.MailConfig):
    address: str                       # From of outgoing mail; mail naming it in X-Loop is the desk's own
    name: str | None = None            # display name on outgoing mail (default: the desk's name)
    subject_tag: str = Field(min_length=1, max_length=40)   # subjects carry "[<tag> #7QH2KD]"
    imap: ImapConfig | None = None
    smtp: SmtpConfig | None = None
    acknowledge: str | None = None     # template for an automatic reply to a new ticket, e.g. replies/acknowledge
    max_attachment_mb: int = Field(25, ge=1, le=1024)   # larger attachments stay only inside the kept .eml
    # Replies written before this instant are never sent (a desk that adds
    # mail later does not mail its whole history); without it, every reply
    # without a delivery record is in the outbox.
    deliver_since: datetime | None = None

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.match(value):
            raise ValueError(f"{value!r} is not an email address")
        return value.lower()

    @field_validator("subject_tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 ._-]*", value):
            raise ValueError("use letters, digits, spaces, dots, dashes and underscores")
        return value

    @field_validator("deliver_since")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time with an offset, e.g. 2026-12-01T00:00:00+00:00")
        return value
