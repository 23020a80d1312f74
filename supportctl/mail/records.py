"""Mail in the ticket file: the event that goes with each mail received, sent or bounced, and reading them back.

A mail event sits beside the message record it is about:

    ### event 3m8d0c2v · 2026-11-20T09:15:00+01:00 · supportctl (system)

    mail: received <CAF1234@mail.example.com>
    record: k7q2p9xa
    file: mail/7QH2KD/k7q2p9xa.eml
    attachment: mail/7QH2KD/k7q2p9xa/screenshot.png

`mail:` says what happened (received, sent, delivery failed) and to which
Message-ID; the other lines name the record, the original message kept byte
for byte, its attachments, and for automated mail or bounces why.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import field

from supportctl.base.datatypes import datatype
from supportctl.tickets.events import decode_value, encode_value

RECEIVED, SENT, FAILED = "received", "sent", "delivery failed"
_KINDS = (FAILED, RECEIVED, SENT)
_MSGID = re.compile(r"^<[^<>\s]+>$")
_FIELD = re.compile(r"^([a-z_]+): (.*)$")


@datatype
class MailEvent:
    """One mail event read back from a ticket (or about to be written)."""

    kind: str                       # received | sent | delivery failed
    message_id: str                 # "<id@host>", or "sha256:<hex>" for mail that had no Message-ID
    record: str | None = None       # the message record it is about
    fields: list[tuple[str, str]] = field(default_factory=list)   # file, attachment, to, automated, ...

    def body(self) -> str:
        """The event's text: the `mail:` line, then one `field: value` line each."""
        lines = [f"mail: {self.kind} {self.message_id}"]
        if self.record:
            lines.append(f"record: {self.record}")
        lines += [f"{name}: {encode_value(value)}" for name, value in self.fields]
        return "\n".join(lines)

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.fields if key == name]


def safe_id(message_id: str | None) -> str | None:
    """A Message-ID fit to be written on one line, or None."""
    if message_id and _MSGID.match(message_id) and len(message_id) <= 998:
        return message_id
    return None


def parse_event(body: str) -> MailEvent | None:
    """The mail event an event record's body holds, or None when it is not one."""
    if not body.startswith("mail: "):
        return None
    lines = body.split("\n")
    head = lines[0][len("mail: "):]
    for kind in _KINDS:
        if head.startswith(kind + " "):
            event = MailEvent(kind, head[len(kind) + 1:].strip())
            break
    else:
        return None
    for line in lines[1:]:
        m = _FIELD.match(line.strip())
        if not m:
            continue
        name, value = m.group(1), decode_value(m.group(2)) or ""
        if name == "record":
            event.record = value
        else:
            event.fields.append((name, value))
    return event


def events_of(history: Iterable[tuple[str, str, int, str]]) -> list[MailEvent]:
    """Every mail event in a ticket's history ((kind, role, seconds, body) tuples, as the index keeps them)."""
    out = []
    for kind, _, _, body in history:
        if kind == "event" and body.startswith("mail: "):
            event = parse_event(body)
            if event is not None:
                out.append(event)
    return out


def delivered(events: Iterable[MailEvent]) -> set[str]:
    """Record ids that have a delivery record (sent)."""
    return {e.record for e in events if e.kind == SENT and e.record}
