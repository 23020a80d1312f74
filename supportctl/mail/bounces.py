"""Delivery status notifications: which outgoing message bounced, for whom, and why."""

from __future__ import annotations

import re
from email.message import Message
from typing import TYPE_CHECKING

from supportctl.base.datatypes import datatype
from supportctl.mail.charsets import decode_bytes
from supportctl.mail.headers import parse_msgids, raw_text, unfold

if TYPE_CHECKING:
    from supportctl.mail.message import ParsedMessage

_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_MSGID_LINE = re.compile(r"^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_FIELD = re.compile(r"^([A-Za-z0-9-]+):[ \t]*(.*)$")
# Subjects of bounces from MTAs that send no RFC 3464 report (qmail, old Exchange, some hosted mail).
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|undelivered|delivery status notification|delivery (?:has )?failed|delivery failure"
    r"|mail delivery (?:failed|system|subsystem)|returned mail|failure notice|could not be delivered"
    r"|nicht zustellbar|unzustellbar|non remis|non distribuable|no se pudo entregar|non recapitabile",
    re.IGNORECASE,
)
_ROBOTS = ("mailer-daemon", "postmaster")
# qmail's "<bob@example.com>:" line above the reason; Postfix's "<bob@example.com>: host ... said:".
_RECIPIENT_LINE = re.compile(r"^<([^<>\s@]+@[^<>\s]+)>:", re.MULTILINE)


@datatype(frozen=True)
class FailedRecipient:
    """One recipient a report is about."""

    address: str
    action: str | None = None  # failed, delayed, delivered, relayed, expanded (lower-case)
    status: str | None = None  # enhanced status code, e.g. "5.1.1"
    diagnostic: str | None = None  # the remote server's words, e.g. "550 5.1.1 User unknown"


@datatype(frozen=True)
class Bounce:
    """A delivery report about mail the desk sent."""

    original_message_ids: tuple[str, ...]  # the bounced message's id(s), most reliable source first
    recipients: tuple[FailedRecipient, ...]

    @property
    def failed(self) -> bool:
        """Whether delivery failed for someone (a report of mere delay is not a failure)."""
        if not self.recipients:
            return True  # a bounce without a machine-readable report is a failure notice
        return any(r.action == "failed" or (r.status or "").startswith("5") for r in self.recipients)

    @property
    def recipient(self) -> str | None:
        """The first failed recipient's address."""
        first = self._first_failed()
        return first.address if first else None

    @property
    def status(self) -> str | None:
        """The first failed recipient's enhanced status code."""
        first = self._first_failed()
        return first.status if first else None

    @property
    def diagnostic(self) -> str | None:
        """The first failed recipient's diagnostic (the remote server's words)."""
        first = self._first_failed()
        return first.diagnostic if first else None

    def _first_failed(self) -> FailedRecipient | None:
        """The first recipient whose delivery failed, else the first one reported."""
        for r in self.recipients:
            if r.action == "failed" or (r.status or "").startswith("5"):
                return r
        return self.recipients[0] if self.recipients else None


def detect_bounce(msg: ParsedMessage) -> Bounce | None:
    """The bounce a message reports (RFC 3464 DSN, or a classic MAILER-DAEMON notice), else None."""
    parts = _parts(msg.mime)
    reports = [p for p in parts if _ctype(p) == "message/delivery-status"]
    if not reports and not _looks_like_classic_bounce(msg):
        return None
    recipients = [r for part in reports for r in _recipients(part)]
    if not recipients:
        # A notice without a report is a failure notice (delays come as reports); the status, if
        # any, is the first code in the text, e.g. qmail's "(#5.1.1)".
        code = _STATUS.search(msg.full_text)
        recipients = [FailedRecipient(a, "failed", code.group(1) if code else None)
                      for a in dict.fromkeys(_RECIPIENT_LINE.findall(msg.full_text))]
    ids = _original_ids(msg, parts)
    return Bounce(tuple(ids), tuple(recipients))


def _looks_like_classic_bounce(msg: ParsedMessage) -> bool:
    """MAILER-DAEMON/postmaster sending a subject that says delivery failed."""
    sender = (msg.from_addr.email if msg.from_addr else "").lower().partition("@")[0]
    return sender in _ROBOTS and bool(_BOUNCE_SUBJECT.search(msg.subject))


def _parts(root: Message) -> list[Message]:
    """All MIME parts, parents first, without recursion (nesting depth is up to the sender)."""
    out, stack = [], [root]
    while stack and len(out) < 10_000:
        part = stack.pop()
        out.append(part)
        if part.is_multipart() and _ctype(part) != "message/delivery-status":
            stack.extend(reversed([p for p in part.get_payload() if isinstance(p, Message)]))
    return out


def _ctype(part: Message) -> str:
    """A part's content type, or octet-stream when its header cannot be read."""
    try:
        return part.get_content_type()
    except (ValueError, TypeError, IndexError, AttributeError):  # header parser bugs on garbage
        return "application/octet-stream"


def _blocks(part: Message) -> list[list[tuple[str, str]]]:
    """The field blocks of a delivery-status part: per message first, then one per recipient."""
    # is_multipart() first: get_payload() of a text payload decodes it and can raise on odd charsets.
    if part.is_multipart():
        blocks = [b for b in part.get_payload() if isinstance(b, Message)]
        return [[(k, unfold(raw_text(v)).strip()) for k, v in b.raw_items()] for b in blocks]
    # Not parsed into blocks (encoded, or malformed): read the text ourselves.
    data = part.get_payload(decode=True)
    text = decode_bytes(data, "utf-8") if isinstance(data, bytes) else ""
    blocks: list[list[tuple[str, str]]] = [[]]
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if blocks[-1]:
                blocks.append([])
        elif line[0] in " \t" and blocks[-1]:
            name, value = blocks[-1][-1]
            blocks[-1][-1] = (name, f"{value} {line.strip()}")
        elif match := _FIELD.match(line):
            blocks[-1].append((match.group(1), match.group(2).strip()))
    return [b for b in blocks if b]


def _recipients(part: Message) -> list[FailedRecipient]:
    """The per-recipient blocks of a delivery-status part."""
    found = []
    for block in _blocks(part):
        fields = {name.lower(): value for name, value in block}
        address = fields.get("final-recipient") or fields.get("original-recipient")
        if not address:
            continue
        status = _STATUS.search(fields.get("status", ""))
        found.append(FailedRecipient(
            address=_typed_value(address),
            action=(fields.get("action") or "").strip().lower() or None,
            status=status.group(1) if status else None,
            diagnostic=_typed_value(fields["diagnostic-code"]) if fields.get("diagnostic-code") else None,
        ))
    return found


def _typed_value(value: str) -> str:
    """'rfc822; bob@x' -> 'bob@x'; 'smtp; 550 ...' -> '550 ...' (RFC 3464 typed fields)."""
    kind, sep, rest = value.partition(";")
    return rest.strip() if sep and " " not in kind.strip() else value.strip()


def _original_ids(msg: ParsedMessage, parts: list[Message]) -> list[str]:
    """Ids of the bounced message: from the returned message or its headers, else the body, else threading."""
    ids: list[str] = []
    for part in parts:
        ctype = _ctype(part)
        if ctype in ("message/rfc822", "message/global"):
            payload = part.get_payload() if part.is_multipart() else []
            if payload and isinstance(payload[0], Message):
                ids += _message_id_of(payload[0])
        elif ctype in ("text/rfc822-headers", "message/rfc822-headers"):
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                ids += _MSGID_LINE.findall(decode_bytes(data, "utf-8"))
    if not ids:
        ids += _MSGID_LINE.findall(msg.full_text)  # classic bounces quote the original inline
    if not ids:
        ids += ([msg.in_reply_to] if msg.in_reply_to else []) + list(reversed(msg.references))
    return [i for i in dict.fromkeys(ids) if i != msg.message_id]


def _message_id_of(inner: Message) -> list[str]:
    """The Message-ID of a returned message, read from its raw header."""
    value = next((v for k, v in inner.raw_items() if k.lower() == "message-id"), None)
    return list(parse_msgids(value))
