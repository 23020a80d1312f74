"""Header values of real mail decoded: encoded words, 8-bit bytes, addresses, message ids, dates."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.header import decode_header
from email.utils import getaddresses, parsedate_to_datetime

from supportctl.base.datatypes import datatype
from supportctl.mail.charsets import decode_bytes

_FOLD = re.compile(r"\r?\n[ \t]*")
_SPACE = re.compile(r"\s+")
_MSGID = re.compile(r"<([^<>\s]+)>")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@datatype(frozen=True)
class Address:
    """One mailbox: a decoded display name (may be '') and the address (as written, not lower-cased)."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def unfold(value: str) -> str:
    """Join a folded header value onto one line."""
    return _FOLD.sub(" ", value)


def raw_text(value: str) -> str:
    """A raw header string from the parser as text: 8-bit bytes (surrogate-escaped) decoded as UTF-8 or cp1252."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        # email's bytes parser keeps non-ASCII header bytes as surrogate escapes; RFC 6532 mail is UTF-8.
        value = decode_bytes(value.encode("ascii", "surrogateescape"), "utf-8")
    return value


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words (any charset, unknown ones too) and collapse whitespace."""
    value = unfold(raw_text(value))
    if "=?" in value:
        try:
            parts = decode_header(value)
        except (ValueError, IndexError, AssertionError):  # the stdlib trips over some broken words
            parts = [(value, None)]
        pieces = []
        for chunk, charset in parts:
            if isinstance(chunk, str):
                pieces.append(chunk)
            elif charset is None:
                # decode_header hands back the unencoded runs as raw-unicode-escape bytes.
                pieces.append(chunk.decode("raw-unicode-escape", errors="replace"))
            else:
                pieces.append(decode_bytes(chunk, charset.split("*", 1)[0]))  # RFC 2231 "utf-8*en"
        value = "".join(pieces)
    return _SPACE.sub(" ", _CONTROL.sub("", value)).strip()


def parse_addresses(values: list[str]) -> tuple[Address, ...]:
    """Mailboxes from raw address header values; names decoded after splitting, so a comma in them is safe."""
    unfolded = [unfold(raw_text(v)) for v in values]
    found = []
    for name, addr in getaddresses(unfolded):
        addr = _CONTROL.sub("", addr).strip()
        if "@" not in addr and addr.lower() not in {"mailer-daemon", "postmaster"}:
            continue  # group syntax leftovers and garbage; bare MAILER-DAEMON is kept for classification
        found.append(Address(decode_words(name), addr))
    return tuple(found)


def parse_msgids(value: str | None) -> tuple[str, ...]:
    """The `<id>` tokens of a Message-ID, In-Reply-To or References value, in order, deduplicated."""
    if not value:
        return ()
    value = unfold(raw_text(value))
    ids = [f"<{m}>" for m in _MSGID.findall(value)]
    if not ids:
        # Some clients drop the angle brackets; a bare id@domain token is still an id.
        ids = [f"<{tok}>" for tok in value.split() if "@" in tok and "<" not in tok and ">" not in tok]
    return tuple(dict.fromkeys(ids))


def parse_date(value: str | None) -> datetime | None:
    """An aware datetime from a Date header, or None when it is missing or unreadable."""
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(unfold(raw_text(value)).strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        # "-0000" and zone-less dates: RFC 5322 says the time is UTC with no local zone known.
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def domain_of(address: str) -> str:
    """The lower-cased domain of an address or message id ('' when there is none)."""
    return address.strip("<>").rpartition("@")[2].strip().lower().rstrip(".")
