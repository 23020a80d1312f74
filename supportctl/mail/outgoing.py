"""A reply from the desk as an email.message.EmailMessage, ready for SMTP; every header value made single-line."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from supportctl.mail.errors import OutgoingMailError
from supportctl.mail.headers import domain_of
from supportctl.mail.threads import remove_ticket_tags, strip_reply_prefixes

_LINE_BREAKS = re.compile(r"[\r\n\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\x85]+")
_ATOM = re.compile(r"^[A-Za-z0-9._-]+$")
_MSGID = re.compile(r"^<[^<>\s@]+@[^<>\s@]+>$")
_NAME_ADDR = re.compile(r"^(?:(?P<name>[^<>]*?)\s*<(?P<addr>[^<>]*)>|(?P<bare>[^<>\s]+))$")
_ADDR_SPEC = re.compile(r'^[^@\s<>(),;:"\[\]\\]+@[^@\s<>(),;:"\[\]\\]+$')


def build_reply(
    *,
    desk_address: str,
    to: str | Sequence[str],
    title: str,
    subject_tag: str,
    ticket_id: str,
    record_id: str,
    date: datetime,
    body: str,
    desk_name: str | None = None,
    cc: Sequence[str] = (),
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    automatic: bool = False,
) -> EmailMessage:
    """The message for one reply record: threaded to the customer's mail, Message-ID stable per record.

    `to`/`cc` are addresses ("bob@x" or "Bob <bob@x>"); `in_reply_to` and `references` are the customer's
    message ids ("<id@host>"). Raises OutgoingMailError for an unusable address or a naive date.
    """
    if date.tzinfo is None or date.utcoffset() is None:
        raise OutgoingMailError("the Date of an outgoing message needs a time zone", hint="pass an aware datetime")
    desk = _address(desk_address, desk_name)
    recipients = [_address(a) for a in ([to] if isinstance(to, str) else list(to))]
    if not recipients:
        raise OutgoingMailError("an outgoing message needs a recipient")
    copies = [a for a in (_address(c) for c in cc) if a.addr_spec.lower() not in
              {r.addr_spec.lower() for r in recipients} | {desk.addr_spec.lower()}]

    msg = EmailMessage(policy=SMTP)
    msg["From"] = desk
    msg["To"] = recipients
    if copies:
        msg["Cc"] = copies
    msg["Subject"] = reply_subject(title, subject_tag, ticket_id)
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id_for(ticket_id, record_id, desk.domain)
    parent = _msgid(in_reply_to) if in_reply_to else None
    chain = [i for i in (_msgid(r) for r in references) if i]
    if parent:
        msg["In-Reply-To"] = parent
        chain.append(parent)
    if chain:
        msg["References"] = " ".join(dict.fromkeys(chain))
    # X-Loop lets the desk recognise its own mail coming back (an auto-reply quoting our headers).
    msg["X-Loop"] = desk.addr_spec
    if automatic:
        msg["Auto-Submitted"] = "auto-generated"
        # Exchange/Outlook honour this and send no out-of-office answer to an automatic message.
        msg["X-Auto-Response-Suppress"] = "All"
    text = body.replace("\r\n", "\n").replace("\r", "\n")
    # quoted-printable for non-ASCII text: a relay without 8BITMIME still delivers it intact.
    # (ASCII: the stdlib picks 7bit, or quoted-printable when a line is too long for SMTP.)
    msg.set_content(text, charset="utf-8", cte=None if text.isascii() else "quoted-printable")
    return msg


def reply_subject(title: str, subject_tag: str, ticket_id: str) -> str:
    """`Re: <title> [<subject_tag> #ID]`: one "Re:" whatever the title starts with, one tag."""
    clean = strip_reply_prefixes(remove_ticket_tags(_one_line(title), _one_line(subject_tag)))
    tag = f"[{_one_line(subject_tag)} #{_one_line(ticket_id).upper()}]"
    return f"Re: {clean} {tag}" if clean else f"Re: {tag}"


def message_id_for(ticket_id: str, record_id: str, domain: str) -> str:
    """`<ticket.record@domain>`: the same for the same record, so a resend cannot make a second thread."""
    domain = domain_of(_one_line(domain)) or _one_line(domain).lower()
    if not domain or not _ATOM.match(domain):
        raise OutgoingMailError(f"cannot make a Message-ID for domain {domain!r}")
    ticket, record = _one_line(ticket_id), _one_line(str(record_id))
    if not _ATOM.match(record):
        record = hashlib.sha256(record.encode("utf-8")).hexdigest()[:16]  # ids with odd characters
    if not _ATOM.match(ticket):
        raise OutgoingMailError(f"not a ticket id: {ticket_id!r}")
    return f"<{ticket.upper()}.{record}@{domain}>"


def _one_line(value: str) -> str:
    """Header injection guard: line breaks and control characters become spaces."""
    return " ".join(_LINE_BREAKS.sub(" ", value).split())


def _address(value: str, name: str | None = None) -> HeaderAddress:
    """A header Address from "bob@x" or "Bob <bob@x>"; `name` replaces the display name when given.

    Strict on purpose: an address with a line break or trailing text is refused, not repaired, so a
    value from a ticket file can never add a recipient.
    """
    match = _NAME_ADDR.match(value.strip()) if not _LINE_BREAKS.search(value) else None
    addr = (match.group("addr") or match.group("bare") or "") if match else ""
    if not _ADDR_SPEC.match(addr):
        raise OutgoingMailError(f"not an email address: {value!r}")
    display = name if name is not None else (match.group("name") or "").strip().strip('"')
    local, _, domain = addr.rpartition("@")
    try:
        return HeaderAddress(display_name=_one_line(display), username=local, domain=domain)
    except (ValueError, TypeError) as exc:
        raise OutgoingMailError(f"not an email address: {value!r}") from exc


def _msgid(value: str) -> str | None:
    """A well-formed "<id@host>" (brackets added when missing), or None for anything else."""
    value = _one_line(value)
    if not value.startswith("<"):
        value = f"<{value}>"
    return value if _MSGID.match(value) else None
