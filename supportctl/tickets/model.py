"""A ticket: front matter (current fields) plus the history as records; ids and constants.

A ticket file looks like this (docs/file-format.md has the full grammar):

    ---
    id: 7QH2KD
    title: CSV export stops at 1,000 rows
    status: open
    ...
    ---

    ### message k7q2p9xa · 2026-11-20T09:15:00+01:00 · Dana Smith <dana@example.com> (customer)

    Hi, our export stops at 1,000 rows.

    ### event 3m8d0c2v · 2026-11-20T09:20:00+01:00 · alice (agent)

    status: new -> open

Every record is self-contained (kind, id, time, author, role) so two branches'
additions can be merged as the union of their records. The raw text of each
part is kept, so writing an unchanged ticket gives back the same bytes and a
change touches only the lines it must. Reading and writing the text is
tickets/format.py.
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Any, Container

from supportctl.base.datatypes import datatype
from supportctl.base.timeutil import format_timestamp

ROLES = ("customer", "agent", "system")
KINDS = ("message", "note", "event")  # message = public, note = internal
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "web", "chat", "phone", "social", "github", "api", "other")

# Crockford base32: no I, L, O, U, so ids survive being read aloud on a phone call.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TICKET_ID_LENGTH = 6
RECORD_ID_LENGTH = 8


# On a sharded desk (`desk.tickets_sharded`) a ticket lives in the folder named by the
# first two characters of its id: 1,024 folders for random ids, each a small tree for git.
SHARD_LENGTH = 2


def ticket_path(ticket_id: str, sharded: bool = False) -> str:
    """Where a ticket's file goes: `tickets/7QH2KD.md`, or sharded `tickets/7Q/7QH2KD.md`."""
    return f"tickets/{ticket_id[:SHARD_LENGTH]}/{ticket_id}.md" if sharded else f"tickets/{ticket_id}.md"


def ticket_id_of(path: str) -> str:
    """The id a ticket file is named for: `tickets/7Q/7QH2KD.md` -> `7QH2KD`."""
    # String slicing, not Path(p).stem: pathlib cost 0.1 s on 10,000 files.
    return path[path.rfind("/") + 1:-3]


def new_ticket_id(taken: Container[str] = frozenset()) -> str:
    """A random id; random, not sequential, so two branches never pick the same one."""
    import secrets   # here, as below: only writes need it, and with hashlib it costs a read ~3 ms

    while True:
        value = "".join(secrets.choice(CROCKFORD) for _ in range(TICKET_ID_LENGTH))
        # All digits, or digits around one E (7E5442), read as a number in YAML 1.2.
        if value not in taken and not value.replace("E", "", 1).isdigit():
            return value


def new_record_id() -> str:
    import secrets

    return "".join(secrets.choice(CROCKFORD) for _ in range(RECORD_ID_LENGTH)).lower()


def copied_record_id(ticket_id: str, record_id: str) -> str:
    """The id of a record's copy in a merge target: derived from its origin, so a second copy is the same record.

    Two branches that merge the same tickets then add the same records, which
    the merge driver's union by id keeps once.
    """
    import hashlib   # here: only merges need it

    number = int.from_bytes(hashlib.sha256(f"{ticket_id}/{record_id}".encode()).digest()[:5], "big")
    return "".join(CROCKFORD[(number >> shift) & 31] for shift in range(35, -1, -5)).lower()


@datatype(frozen=True)
class Change:
    """One line of an event: `field: old -> new`, `field: +item`, or `field: text`."""

    field: str
    old: str | None = None
    new: str | None = None
    op: str = "set"  # set | add | remove | info

    def render(self) -> str:
        return _events().render_change(self)

    @classmethod
    def parse(cls, line: str) -> Change | None:
        return _events().parse_change(line)


@datatype
class Record:
    """A message, internal note or event in a ticket's history."""

    kind: str
    id: str
    at: datetime
    author: str
    role: str
    body: str = ""
    raw: str | None = None  # exact text read from the file (None for a new record)
    line: int = 0           # 1-based line of the header in the file
    merged_from: str | None = None  # the ticket this record was copied from by a merge

    @property
    def is_message(self) -> bool:
        return self.kind in ("message", "note")

    @property
    def public(self) -> bool:
        return self.kind == "message"

    @property
    def visibility(self) -> str | None:
        return {"message": "public", "note": "internal"}.get(self.kind)

    def changes(self) -> list[Change]:
        """The field changes an event records (empty for messages)."""
        return _events().event_changes(self.body) if self.kind == "event" else []

    def header(self) -> str:
        return _format().record_header(self)

    def canonical(self) -> str:
        """The record as supportctl writes it: header, blank line, body."""
        return _format().render_record(self)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "at": format_timestamp(self.at),
                               "author": self.author, "role": self.role}
        if self.is_message:
            out["visibility"] = self.visibility
            out["body"] = self.body
            out["merged_from"] = self.merged_from
        else:
            out["changes"] = [{"field": c.field, "op": c.op, "old": c.old, "new": c.new}
                              for c in self.changes()]
        return out


def message_body(text: str) -> str:
    """Normalise a message body as it will be stored: no trailing spaces or blank edges."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return "\n".join(lines).strip("\n")


class TicketFields:
    """The fields every view of a ticket answers from its front matter (`meta`)."""

    __slots__ = ()
    meta: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.meta.get("id", ""))

    @property
    def status(self) -> str:
        return str(self.meta.get("status", ""))

    @property
    def title(self) -> str:
        return str(self.meta.get("title", ""))


@datatype
class Ticket(TicketFields):
    """A parsed ticket file: front matter, preamble text and history records."""

    path: str                     # path relative to the desk root, with forward slashes
    meta: dict[str, Any]          # front matter as read by the fast loader
    fm_text: str                  # raw front matter (between the --- lines), for round trips
    records: list[Record] = field(default_factory=list)
    preamble: str = "\n"          # text between the closing --- and the first record

    @property
    def created(self) -> datetime | None:
        """The creation time, or None when it is missing or has no offset (check reports that)."""
        value = self.meta.get("created")
        return value if isinstance(value, datetime) and value.tzinfo is not None else None

    def messages(self) -> list[Record]:
        return [r for r in self.records if r.is_message]

    @property
    def created_ts(self) -> float:
        """Creation time as a POSIX timestamp (0.0 when missing)."""
        created = self.created
        return created.timestamp() if created is not None else 0.0

    @property
    def latest_ts(self) -> int | None:
        """The last instant the file tells of (its newest record, or its creation): replays start here."""
        created = int(self.created_ts) or None
        latest = max((int(r.at.timestamp()) for r in self.records), default=None)
        return created if latest is None else latest if created is None else max(created, latest)

    def history(self) -> list[tuple[str, str, int, str]]:
        """(kind, role, POSIX seconds, text) per record: what SLA clocks read.

        The text is an event's body; for a message or note it is the ticket the
        record was merged from ('' for the ticket's own), which the clocks
        tell apart (docs/sla.md, "Merged tickets").
        """
        return [(r.kind, r.role, int(r.at.timestamp()), r.body if r.kind == "event" else (r.merged_from or ""))
                for r in self.records]

    def render(self) -> str:
        """The file's text: raw parts where unchanged, canonical text for new ones."""
        return _format().render_ticket(self)

    def add_record(self, record: Record) -> None:
        """Insert in time order (after every record at the same instant)."""
        index = len(self.records)
        while index > 0 and self.records[index - 1].at > record.at:
            index -= 1
        self.records.insert(index, record)

    def set_fields(self, updates: dict[str, Any]) -> None:
        """Change front-matter fields with a round-trip edit (comments and order survive)."""
        from supportctl.tickets.frontmatter import set_fields

        set_fields(self, updates)


def _format():
    """The text grammar (tickets/format.py), which builds these classes: imported late to avoid a cycle."""
    from supportctl.tickets import format

    return format


def _events():
    """The event lines (tickets/events.py), which build `Change`: imported late to avoid a cycle."""
    from supportctl.tickets import events

    return events
