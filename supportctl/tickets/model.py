"""The ticket file: YAML front matter (current fields) plus the history as records.

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
change touches only the lines it must.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from supportctl.errors import SupportctlError, TicketFormatError
from supportctl.base.timeutil import format_timestamp

ROLES = ("customer", "agent", "system")
KINDS = ("message", "note", "event")  # message = public, note = internal
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "web", "chat", "phone", "social", "github", "api", "other")

# Crockford base32: no I, L, O, U, so ids survive being read aloud on a phone call.
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
TICKET_ID_LENGTH = 6
RECORD_ID_LENGTH = 8

HEADER_PATTERN = r"^### (message|note|event) ([0-9a-z]{4,32}) · (\S+) · (.+) \((customer|agent|system)\)[ \t]*$"
HEADER_RE = re.compile(HEADER_PATTERN)
# A body line that would read as a record header is written with a leading
# backslash (Markdown's own escape); one backslash is removed when reading.
_ESCAPED_RE = re.compile(r"^(\\*)(### (?:message|note|event) )")
_SIMPLE_VALUE = re.compile(r"^[A-Za-z0-9_.@/][A-Za-z0-9_.@/:+-]*$")


def new_ticket_id(taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A random id; random, not sequential, so two branches never pick the same one."""
    while True:
        value = "".join(secrets.choice(CROCKFORD) for _ in range(TICKET_ID_LENGTH))
        if value not in taken and not value.isdigit():
            return value


def new_record_id() -> str:
    return "".join(secrets.choice(CROCKFORD) for _ in range(RECORD_ID_LENGTH)).lower()


def encode_value(value: Any) -> str:
    """A field value as written in an event line: plain when unambiguous, else JSON."""
    if value is None:
        return "null"
    text = str(value)
    if text != "null" and _SIMPLE_VALUE.match(text) and " -> " not in text:
        return text
    return json.dumps(text, ensure_ascii=False)


def decode_value(text: str) -> str | None:
    text = text.strip()
    if text == "null":
        return None
    if text.startswith('"'):
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


@dataclass(frozen=True)
class Change:
    """One line of an event: `field: old -> new`, `field: +item`, or `field: text`."""

    field: str
    old: str | None = None
    new: str | None = None
    op: str = "set"  # set | add | remove | info

    def render(self) -> str:
        if self.op == "set":
            return f"{self.field}: {encode_value(self.old)} -> {encode_value(self.new)}"
        if self.op == "add":
            return f"{self.field}: +{encode_value(self.new)}"
        if self.op == "remove":
            return f"{self.field}: -{encode_value(self.old)}"
        return f"{self.field}: {self.new}"

    @classmethod
    def parse(cls, line: str) -> Change | None:
        name, sep, rest = line.partition(": ")
        if not sep or not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            return None
        if " -> " in rest:
            old, _, new = rest.partition(" -> ")
            return cls(name, decode_value(old), decode_value(new), "set")
        if rest.startswith("+") and len(rest) > 1:
            return cls(name, None, decode_value(rest[1:]), "add")
        if rest.startswith("-") and len(rest) > 1 and not rest[1:2].isspace():
            return cls(name, decode_value(rest[1:]), None, "remove")
        # A JSON-quoted value (written by encode_value) reads back as its text.
        return cls(name, None, decode_value(rest) if rest.startswith("\"") else rest, "info")


@dataclass
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
        if self.kind != "event":
            return []
        out = []
        for line in self.body.splitlines():
            change = Change.parse(line.strip())
            if change is not None:
                out.append(change)
        return out

    def header(self) -> str:
        return f"### {self.kind} {self.id} · {format_timestamp(self.at)} · {self.author} ({self.role})"

    def canonical(self) -> str:
        """The record as supportctl writes it: header, blank line, body."""
        if not self.body:
            return f"{self.header()}\n"
        body = "\n".join(_escape(line) for line in self.body.split("\n"))
        return f"{self.header()}\n\n{body}\n"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "at": format_timestamp(self.at),
                               "author": self.author, "role": self.role}
        if self.is_message:
            out["visibility"] = self.visibility
            out["body"] = self.body
        else:
            out["changes"] = [{"field": c.field, "op": c.op, "old": c.old, "new": c.new}
                              for c in self.changes()]
        return out


def _escape(line: str) -> str:
    return "\\" + line if _ESCAPED_RE.match(line) else line


def _unescape(line: str) -> str:
    m = _ESCAPED_RE.match(line)
    return line[1:] if m and m.group(1) else line


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


@dataclass
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

    def history(self) -> list[tuple[str, str, int, str]]:
        """(kind, role, POSIX seconds, event body) per record: what SLA clocks read."""
        return [(r.kind, r.role, int(r.at.timestamp()), r.body if r.kind == "event" else "")
                for r in self.records]

    def render(self) -> str:
        """The file's text: raw parts where unchanged, canonical text for new ones."""
        text = "---\n" + self.fm_text + "---\n" + self.preamble
        for i, record in enumerate(self.records):
            if record.raw is not None:
                text += record.raw
                continue
            # A new record is set off by one blank line from what precedes it and
            # from a record that follows, so existing lines stay untouched.
            if i > 0 and not text.endswith("\n\n"):
                text += "\n" if text.endswith("\n") else "\n\n"
            text += record.canonical()
            if i + 1 < len(self.records):
                text += "\n"
        return text

    def add_record(self, record: Record) -> None:
        """Insert in time order (after every record at the same instant)."""
        index = len(self.records)
        while index > 0 and self.records[index - 1].at > record.at:
            index -= 1
        self.records.insert(index, record)

    def set_fields(self, updates: dict[str, Any]) -> None:
        """Change front-matter fields with a round-trip edit (comments and order survive)."""
        from supportctl.base.yamlio import load_fast, rt_dump, rt_load

        doc = rt_load(self.fm_text)
        for key, value in updates.items():
            doc[key] = to_yaml_value(key, value)
        self.fm_text = rt_dump(doc)
        self.meta = load_fast(self.fm_text)


def to_yaml_value(key: str, value: Any) -> Any:
    """Python value -> what ruamel should write (timestamps plain, short lists in flow style)."""
    from supportctl.base.yamlio import Stamp, flow_map, flow_seq

    if isinstance(value, datetime):
        return Stamp(format_timestamp(value))
    if isinstance(value, (list, tuple)):
        return flow_seq([to_yaml_value(key, v) for v in value])
    if isinstance(value, dict):
        return flow_map({k: to_yaml_value(k, v) for k, v in value.items()})
    return value


def new_front_matter(fields: dict[str, Any]) -> str:
    """Front-matter text for a new ticket, in the given key order."""
    from ruamel.yaml.comments import CommentedMap

    from supportctl.base.yamlio import rt_dump

    doc = CommentedMap()
    for key, value in fields.items():
        doc[key] = to_yaml_value(key, value)
    return rt_dump(doc)


# ----------------------------------------------------------------- parsing


def split_front_matter(text: str, path: str) -> tuple[str, str]:
    """Split a ticket into (front matter text, rest); the front matter is required."""
    from supportctl.base.yamlio import split_front_matter as split

    try:
        return split(text)
    except ValueError as exc:
        message, hint = exc.args[0]
        raise TicketFormatError(message, path=path, line=1, hint=hint) from None


def parse_records(rest: str, path: str, first_line: int) -> tuple[str, list[Record]]:
    """Split the text after the front matter into (preamble, records)."""
    from supportctl.base.timeutil import parse_timestamp

    lines = rest.split("\n")
    starts = [i for i, line in enumerate(lines) if line.startswith("### ") and HEADER_RE.match(line)]
    if not starts:
        preamble_lines = lines
    else:
        preamble_lines = lines[:starts[0]]
    preamble = "\n".join(preamble_lines) + ("\n" if starts else "")
    records: list[Record] = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(lines)
        chunk = lines[start:end]
        raw = "\n".join(chunk) + ("\n" if n + 1 < len(starts) else "")
        m = HEADER_RE.match(chunk[0])
        assert m is not None
        kind, rid, at_text, author, role = m.groups()
        line_no = first_line + start
        try:
            at = parse_timestamp(at_text)
        except SupportctlError:
            raise TicketFormatError(f"record {rid} has a bad timestamp {at_text!r}", path=path, line=line_no,
                                    hint="use ISO 8601 with an offset, e.g. 2026-11-20T09:15:00+01:00") from None
        body_lines = chunk[1:]
        if body_lines and body_lines[0] == "":
            body_lines = body_lines[1:]
        body = "\n".join(_unescape(line) for line in body_lines).rstrip()
        records.append(Record(kind, rid, at, author, role, body, raw, line_no))
    return preamble, records


def parse_ticket(text: str, path: str, meta: dict[str, Any] | None = None) -> Ticket:
    """Parse a ticket file. `meta` may be given when the front matter was already loaded."""
    import yaml

    from supportctl.base.yamlio import load_fast, yaml_error_line

    fm_text, rest = split_front_matter(text, path)
    if meta is None:
        try:
            meta = load_fast(fm_text)
        except yaml.YAMLError as exc:
            line = yaml_error_line(exc)
            raise TicketFormatError(f"the front matter is not valid YAML: {getattr(exc, 'problem', exc)}",
                                    path=path, line=(line + 1) if line else 2,
                                    hint="check indentation and quote values that contain ': ' or '#'") from None
        if meta is None:
            meta = {}
        if not isinstance(meta, dict):
            raise TicketFormatError("the front matter is not a mapping of keys to values", path=path, line=2,
                                    hint="write one `key: value` per line")
    fm_lines = fm_text.count("\n")
    first_line = fm_lines + 3  # "---", the front matter, "---", then the rest starts
    preamble, records = parse_records(rest, path, first_line)
    return Ticket(path=path, meta=meta, fm_text=fm_text, records=records, preamble=preamble)


def read_ticket(abs_path, rel_path: str) -> Ticket:
    with open(abs_path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    return parse_ticket(text, rel_path)
