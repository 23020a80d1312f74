"""What every import produces: conversations, each with its lines, keyed by the source so a re-import matches."""

from __future__ import annotations

import hashlib
from dataclasses import field
from datetime import datetime

from supportctl.base.datatypes import datatype
from supportctl.tickets.model import CROCKFORD


def source_record_id(source: str, key: str) -> str:
    """A record id derived from where the line came from: importing it again gives the same id."""
    number = int.from_bytes(hashlib.sha256(f"{source}/{key}".encode()).digest()[:5], "big")
    return "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5)).lower()


@datatype
class Line:
    """One message of a conversation: who said what, when."""

    key: str                 # unique within the conversation (a comment id, or a hash of time/author/text)
    at: datetime
    author: str              # "Name <handle>" as a record header names people
    role: str                # customer | agent | system
    text: str
    internal: bool = False   # an internal note, not a public message
    where: str = ""          # file:line, for errors


@datatype
class Conversation:
    """One ticket's worth: a chat, a call or an issue, with the source's id for it."""

    source: str              # e.g. chat:widget-1042, call:CA-77, github:owner/repo#12
    title: str
    channel: str
    requester: str           # --from form: "Name <handle>"
    lines: list[Line] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    status: str | None = None          # a status category to end in (solved for a closed issue), or None
    duration: int | None = None        # seconds on the phone (calls): the ticket's handle time
    calls: list[tuple[str, datetime, int, str]] = field(default_factory=list)   # (call id, at, seconds, outcome)
    where: str = ""

    @property
    def created(self) -> datetime:
        return min(line.at for line in self.lines) if self.lines else datetime.min
