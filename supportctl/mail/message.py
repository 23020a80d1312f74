"""One RFC 5322 message parsed into what the desk records: ids, people, subject, new text, attachments."""

from __future__ import annotations

import email
import re
from dataclasses import field
from datetime import datetime
from email import policy
from email.parser import BytesParser
from email.message import EmailMessage, Message

from supportctl.base.datatypes import datatype
from supportctl.mail.charsets import decode_bytes
from supportctl.mail.errors import MailParseError
from supportctl.mail.filenames import safe_filename, unique_names
from supportctl.mail.headers import (Address, decode_words, parse_addresses, parse_date, parse_msgids,
                                     raw_text, unfold)
from supportctl.mail.replies import reply_text
from supportctl.mail.threads import is_forward

# Deeper MIME nesting than this is an attack or a loop, not mail; parts below it are ignored.
_MAX_DEPTH = 40
# The stdlib parser checks every line against every open boundary: time grows with lines x nesting
# (400 nested multiparts of 20 kB take 1.5 s). Real mail has a handful; past this only headers are read.
_MAX_MULTIPARTS = 100
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@datatype(frozen=True)
class Attachment:
    """A file carried by the message (inline images and attached messages too)."""

    filename: str  # safe base name, unique within the message
    content_type: str  # lower-case type/subtype
    data: bytes = field(repr=False)
    inline: bool = False  # shown in the body (Content-Disposition inline, or an image the HTML refers to)
    content_id: str | None = None  # "<id>" the HTML body refers to as cid:id


@datatype(frozen=True)
class ParsedMessage:
    """What a message says, decoded; `raw` keeps it byte for byte."""

    raw: bytes = field(repr=False)
    message_id: str | None  # "<id@host>", None when the message has none (no id is made up)
    in_reply_to: str | None  # the first id of In-Reply-To
    references: tuple[str, ...]  # References ids, oldest first
    subject: str  # decoded, whitespace collapsed ('' when missing)
    content_type: str  # of the whole message, lower-case type/subtype as declared (default text/plain)
    from_addr: Address | None
    reply_to: tuple[Address, ...]
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None  # aware; None when missing or unreadable
    text: str  # the new text: quoted history and signature removed
    full_text: str  # the whole body as text
    html_converted: bool  # the text came from an HTML part
    attachments: tuple[Attachment, ...]
    headers: tuple[tuple[str, str], ...] = field(repr=False)  # every header, decoded and unfolded, in order
    defects: tuple[str, ...] = ()  # what the parser had to work around (names of email.errors defects)
    mime: Message = field(repr=False, compare=False, default_factory=EmailMessage)  # the parsed MIME tree

    def header(self, name: str) -> str | None:
        """The first value of a header (decoded), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def header_all(self, name: str) -> list[str]:
        """Every value of a header (decoded), in order."""
        wanted = name.lower()
        return [value for key, value in self.headers if key.lower() == wanted]


def parse_message(raw: bytes) -> ParsedMessage:
    """Parse one message; raises MailParseError only when the bytes are no mail message at all."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise MailParseError(f"a message is bytes, not {type(raw).__name__}")
    raw = bytes(raw)
    if not raw.strip():
        raise MailParseError("empty message")
    try:
        return _parse(raw)
    except MailParseError:
        raise
    # The stdlib email package raises assorted exceptions (IndexError, AttributeError, ValueError,
    # TypeError, ...) on malformed input, type depending on the bug hit; the promise here is "a
    # MailParseError or a result", so this one boundary turns any of them into a clear error.
    except Exception as exc:  # noqa: BLE001
        raise MailParseError(f"cannot parse the message: {type(exc).__name__}: {exc}") from exc


def _parse(raw: bytes) -> ParsedMessage:
    """parse_message without the boundary that turns stdlib surprises into MailParseError."""
    defects: list[str] = []
    if raw.lower().count(b"multipart/") > _MAX_MULTIPARTS:
        mime = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        defects.append("TooManyMultiparts")
    else:
        mime = email.message_from_bytes(raw, policy=policy.default)
    raw_headers = [(name, value) for name, value in mime.raw_items()]
    if not raw_headers:
        raise MailParseError("no header fields: not an RFC 5322 message")

    def first(name: str) -> str | None:
        wanted = name.lower()
        return next((v for k, v in raw_headers if k.lower() == wanted), None)

    def every(name: str) -> list[str]:
        wanted = name.lower()
        return [v for k, v in raw_headers if k.lower() == wanted]

    subject = decode_words(first("Subject") or "")
    senders = parse_addresses(every("From"))
    in_reply_to = parse_msgids(first("In-Reply-To"))
    body = _Body()
    if "TooManyMultiparts" not in defects:
        _walk(mime, body, defects, depth=0)
    full_text = "\n\n".join(t.strip("\n") for t in body.texts if t.strip())
    full_text = _CONTROL.sub("", full_text)
    names = unique_names([a.filename for a in body.attachments])
    attachments = tuple(
        Attachment(name, a.content_type, a.data, a.inline, a.content_id) for name, a in zip(names, body.attachments)
    )
    return ParsedMessage(
        raw=raw,
        message_id=next(iter(parse_msgids(first("Message-ID"))), None),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=parse_msgids(" ".join(every("References"))),
        subject=subject,
        content_type=_declared_type(first("Content-Type")),
        from_addr=senders[0] if senders else None,
        reply_to=parse_addresses(every("Reply-To")),
        to=parse_addresses(every("To")),
        cc=parse_addresses(every("Cc")),
        date=parse_date(first("Date")),
        text=reply_text(full_text, forwarded=is_forward(subject)),
        full_text=full_text,
        html_converted=body.html_converted,
        attachments=attachments,
        headers=tuple((name, decode_words(value)) for name, value in raw_headers),
        defects=tuple(dict.fromkeys(defects + [type(d).__name__ for d in mime.defects])),
        mime=mime,
    )


@datatype
class _Body:
    """What the MIME walk collects: body texts in order, attachments, whether HTML was converted."""

    texts: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    html_converted: bool = False


def _walk(part: Message, body: _Body, defects: list[str], depth: int, text_wanted: bool = True) -> None:
    """Collect body texts and attachments in document order; `text_wanted` False for unchosen alternatives."""
    if depth > _MAX_DEPTH:
        defects.append("MimeTooDeep")
        return
    try:
        ctype = part.get_content_type()
        if ctype.startswith("message/"):
            _add_message_part(part, ctype, body)
        elif part.is_multipart():
            children = [c for c in part.get_payload() if isinstance(c, Message)]
            chosen = _best_alternative(children) if ctype == "multipart/alternative" else None
            for child in children:
                wanted = text_wanted and (chosen is None or child is chosen)
                _walk(child, body, defects, depth + 1, wanted)
        else:
            _add_leaf(part, ctype, body, text_wanted)
    # One broken part must not lose the rest of the message; the stdlib raises varied types here.
    except Exception as exc:  # noqa: BLE001
        defects.append(f"UnreadablePart({type(exc).__name__})")


def _add_leaf(part: Message, ctype: str, body: _Body, text_wanted: bool) -> None:
    """A non-multipart part: body text (inline text/plain or text/html) or an attachment."""
    if ctype.startswith("multipart/"):
        # A multipart whose boundary is missing or broken could not be split: its body is
        # unreadable as parts but still readable as text, which beats hiding it in a file.
        ctype = "text/plain"
    disposition = part.get_content_disposition()
    filename = _filename(part)
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not filename:
        if text_wanted:
            text = _part_text(part)
            if ctype == "text/html":
                from supportctl.mail.htmltext import html_to_text  # lxml is only loaded for HTML mail

                text = html_to_text(text)
                body.html_converted = True
            body.texts.append(text)
        return
    if ctype in ("text/plain", "text/html") and not text_wanted and not filename:
        return  # the other rendering of an alternative we did not choose
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = b""
    content_id = next(iter(parse_msgids(_raw_header(part, "Content-ID"))), None)
    inline = disposition == "inline" or (disposition is None and content_id is not None)
    body.attachments.append(Attachment(safe_filename(filename, ctype), ctype, data, inline, content_id))


def _add_message_part(part: Message, ctype: str, body: _Body) -> None:
    """An attached message (.eml) or a report part (delivery status): kept as a file."""
    # is_multipart() first: get_payload() of a text payload decodes it and can raise on odd charsets.
    payload = part.get_payload() if part.is_multipart() else None
    if ctype in ("message/rfc822", "message/global") and payload:
        inner = payload[0]
        data = _serialize(inner)
        subject = decode_words(str(inner.get("Subject", "") or ""))
        name = _filename(part) or (f"{subject}.eml" if subject else "")
        body.attachments.append(Attachment(safe_filename(name, ctype, "message"), ctype, data))
        return
    if isinstance(payload, list):  # message/delivery-status and kin: header blocks
        data = b"\n".join(_serialize(block) for block in payload if isinstance(block, Message))
    else:
        data = part.get_payload(decode=True) or b""
    stem = ctype.split("/", 1)[1]
    body.attachments.append(Attachment(safe_filename(_filename(part), ctype, stem), ctype, data))


def _serialize(msg: Message) -> bytes:
    """Bytes of a sub-message as parsed (the original bytes of a part are not kept by the parser)."""
    try:
        return msg.as_bytes(policy=msg.policy.clone(linesep="\n", max_line_length=0))
    except (TypeError, ValueError, LookupError, UnicodeError, AttributeError, IndexError):
        # policy.default re-folds headers on output and trips over some broken ones; compat32 does not.
        return msg.as_bytes(policy=policy.compat32)


def _filename(part: Message) -> str | None:
    """The decoded file name of a part (RFC 2231 and the common non-standard encoded words), or None."""
    name = part.get_filename()
    if not name:
        return None
    return decode_words(raw_text(unfold(str(name))))


def _declared_type(value: str | None) -> str:
    """type/subtype from a raw Content-Type value, read leniently ('text/plain' when unreadable)."""
    ctype = unfold(raw_text(value or "")).split(";", 1)[0].strip().strip('"').lower()
    return ctype if ctype.count("/") == 1 and " " not in ctype else "text/plain"


def _raw_header(part: Message, name: str) -> str | None:
    """A part's header as written (no structured parsing, which can fail on garbage)."""
    wanted = name.lower()
    return next((v for k, v in part.raw_items() if k.lower() == wanted), None)


def _part_text(part: Message) -> str:
    """A text part's payload decoded (transfer encoding, then charset with fallbacks)."""
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        return ""
    return decode_bytes(data, part.get_content_charset())


def _best_alternative(children: list[Message]) -> Message | None:
    """The alternative to read: plain text when it says something, else HTML, else the first one."""
    plain = html = None
    for child in children:
        kind = _first_text(child)
        if kind is None:
            continue
        ctype, leaf = kind
        if ctype == "text/plain" and _part_text(leaf).strip():
            plain = child
        elif ctype == "text/html" and html is None:
            html = child
    return plain or html or (children[0] if children else None)


def _first_text(part: Message, depth: int = 0) -> tuple[str, Message] | None:
    """The first text/plain or text/html leaf inside a part (it is the part itself for a leaf)."""
    if depth > _MAX_DEPTH:
        return None
    ctype = part.get_content_type()
    if ctype in ("text/plain", "text/html"):
        return ctype, part
    if part.is_multipart() and not ctype.startswith("message/"):
        for child in part.get_payload():
            if isinstance(child, Message):
                found = _first_text(child, depth + 1)
                if found:
                    return found
    return None

