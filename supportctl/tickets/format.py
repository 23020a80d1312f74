"""The ticket file format: parsing and writing the text (docs/file-format.md has the grammar).

One record parser serves every reader: the full parse (`parse_ticket`), the
index (`tickets/index.py`) and the SLA engine's look into event bodies
(`status_change`, `escalation_keys`), so the format changes in one place.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from supportctl.base.timeutil import format_timestamp
from supportctl.errors import TicketFormatError
from supportctl.tickets.model import Change, Record, Ticket

HEADER_PATTERN = r"^### (message|note|event) ([0-9a-z]{4,32}) · (\S+) · (.+) \((customer|agent|system)\)[ \t]*$"
HEADER_RE = re.compile(HEADER_PATTERN)
# One C pass over the whole text finds every header (multi-line mode).
_HEADER_SCAN = re.compile(HEADER_PATTERN, re.M)
# A body line that would read as a record header is written with a leading
# backslash (Markdown's own escape); one backslash is removed when reading.
_ESCAPED_RE = re.compile(r"^(\\*)(### (?:message|note|event) )")
_SIMPLE_VALUE = re.compile(r"^[A-Za-z0-9_.@/][A-Za-z0-9_.@/:+-]*$")
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# Characters that would end or split a header line if written raw (a name
# with a newline could forge a record): written as one space instead.
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")
# Years a record or a creation time may carry: POSIX seconds and every
# duration computed from them stay bounded (year 1 or 9999 overflow them).
MIN_YEAR, MAX_YEAR = 1970, 2999


# ------------------------------------------------------------ event lines


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
            value = json.loads(text)
        except ValueError:
            return text
        return value if isinstance(value, str) else text
    return text


def parse_change(line: str) -> Change | None:
    """One event line: `field: old -> new`, `field: +item`, `field: -item` or `field: text`."""
    name, sep, rest = line.partition(": ")
    if not sep or not _FIELD_NAME.fullmatch(name):
        return None
    if " -> " in rest:
        old, _, new = rest.partition(" -> ")
        return Change(name, decode_value(old), decode_value(new), "set")
    if rest.startswith("+") and len(rest) > 1:
        return Change(name, None, decode_value(rest[1:]), "add")
    if rest.startswith("-") and len(rest) > 1 and not rest[1:2].isspace():
        return Change(name, decode_value(rest[1:]), None, "remove")
    return Change(name, None, rest, "info")


def render_change(change: Change) -> str:
    if change.op == "set":
        return f"{change.field}: {encode_value(change.old)} -> {encode_value(change.new)}"
    if change.op == "add":
        return f"{change.field}: +{encode_value(change.new)}"
    if change.op == "remove":
        return f"{change.field}: -{encode_value(change.old)}"
    # Free text (a reason, an escalation key) stays on its one line.
    return f"{change.field}: {_LINE_BREAKING.sub(' ', str(change.new or ''))}"


def event_changes(body: str) -> list[Change]:
    """Every change line of an event body (lines split on \\n only, as the file is)."""
    out = []
    for line in body.split("\n"):
        change = parse_change(line.strip())
        if change is not None:
            out.append(change)
    return out


# Event bodies repeat across tickets ("status: open -> pending"): their parse
# is cached (the SLA engine reads the dict directly in its hot loop).
STATUS_CACHE: dict[str, tuple[str | None, str] | None] = {}


def status_change(body: str) -> tuple[str | None, str] | None:
    """(old, new) when an event body sets the status; for the SLA engine's hot loop."""
    try:
        return STATUS_CACHE[body]
    except KeyError:
        pass
    found = None
    if "status: " in body:
        for change in event_changes(body):
            if change.field == "status" and change.op == "set" and change.new is not None:
                found = (change.old, change.new)
                break
    if len(STATUS_CACHE) < 4096:
        STATUS_CACHE[body] = found
    return found


def escalation_keys(body: str, field: str = "escalation") -> list[str]:
    """The `escalation: KEY` lines of an event body."""
    if field not in body:
        return []
    return [c.new.strip() for c in event_changes(body) if c.field == field and c.op == "info" and c.new]


# ---------------------------------------------------------------- records


def one_line(text: str) -> str:
    """A header value on one line: line breaks and control characters become a space."""
    return _LINE_BREAKING.sub(" ", text).strip()


def record_header(record: Record) -> str:
    return (f"### {record.kind} {record.id} · {format_timestamp(record.at)} · {one_line(record.author) or '-'} "
            f"({record.role})")


def render_record(record: Record) -> str:
    """The record as supportctl writes it: header, blank line, body."""
    if not record.body:
        return f"{record_header(record)}\n"
    body = "\n".join(_escape(line) for line in record.body.split("\n"))
    return f"{record_header(record)}\n\n{body}\n"


def _escape(line: str) -> str:
    return "\\" + line if _ESCAPED_RE.match(line) else line


def _unescape(line: str) -> str:
    m = _ESCAPED_RE.match(line)
    return line[1:] if m and m.group(1) else line


def parse_at(text: str) -> tuple[datetime, int]:
    """A header timestamp -> (datetime, POSIX seconds); ValueError when bad or out of range."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("no UTC offset")
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise ValueError("year out of range")
    return moment, int(moment.timestamp())


def scan_records(rest: str, first_line: int) -> Iterator[tuple]:
    """Every record of the text after the front matter, in file order.

    Yields (kind, id, at text, author, role, header start, header end, end,
    line): the header's groups and offsets into `rest`; `record_body` turns
    the offsets into the body. Bad timestamps raise TicketFormatError here,
    so every reader refuses the same files.
    """
    matches = list(_HEADER_SCAN.finditer(rest))
    line, pos = first_line, 0
    for n, m in enumerate(matches):
        start = m.start()
        line += rest.count("\n", pos, start)
        pos = start
        kind, rid, at, author, role = m.group(1, 2, 3, 4, 5)
        end = matches[n + 1].start() if n + 1 < len(matches) else len(rest)
        yield kind, rid, at, author, role, start, m.end(), end, line


def record_body(rest: str, header_end: int, end: int) -> str:
    """A record's body: the lines after its header (one blank line skipped), unescaped, right-stripped."""
    body = rest[header_end + 1:end]
    if body.startswith("\n"):
        body = body[1:]
    if "### " in body:
        body = "\n".join(_unescape(line) for line in body.split("\n"))
    return body.rstrip()


def bad_timestamp(rid: str, at: str, path: str, line: int) -> TicketFormatError:
    return TicketFormatError(f"record {rid} has a bad timestamp {at!r}", path=path, line=line,
                             hint=f"use ISO 8601 with an offset, years {MIN_YEAR}-{MAX_YEAR}, "
                                  "e.g. 2026-11-20T09:15:00+01:00")


def check_event_body(body: str, rid: str, path: str, line: int) -> None:
    """Refuse event values no command could print: a lone surrogate from a `\\udXXX` escape."""
    if "\\u" not in body and "\\U" not in body:
        return
    for change in event_changes(body):
        for value in (change.old, change.new):
            if value is not None and not _encodable(value):
                raise TicketFormatError(f"event {rid} has a value that is not valid Unicode (a lone surrogate)",
                                        path=path, line=line, hint="remove the \\udXXX escape from the event line")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_records(rest: str, path: str, first_line: int) -> tuple[str, list[Record]]:
    """Split the text after the front matter into (preamble, records)."""
    records: list[Record] = []
    preamble = rest
    for kind, rid, at_text, author, role, start, header_end, end, line in scan_records(rest, first_line):
        if not records:
            preamble = rest[:start]
        try:
            at, _ = parse_at(at_text)
        except ValueError:
            raise bad_timestamp(rid, at_text, path, line) from None
        body = record_body(rest, header_end, end)
        if kind == "event":
            check_event_body(body, rid, path, line)
        records.append(Record(kind, rid, at, author, role, body, rest[start:end], line))
    return preamble, records


# ------------------------------------------------------------ front matter


def split_front_matter(text: str, path: str) -> tuple[str, str]:
    """Split a ticket into (front matter text, rest); the front matter is required."""
    from supportctl.base.yamlio import split_front_matter as split

    try:
        return split(text)
    except ValueError as exc:
        message, hint = exc.args[0]
        raise TicketFormatError(message, path=path, line=1, hint=hint) from None


def load_meta(fm_text: str, path: str) -> dict[str, Any]:
    """The front matter as a dict (fast loader), or TicketFormatError with a line and hint."""
    import yaml

    from supportctl.base.yamlio import load_fast, yaml_error_line

    try:
        meta = load_fast(fm_text)
    except yaml.YAMLError as exc:
        line = yaml_error_line(exc)
        raise TicketFormatError(f"the front matter is not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                path=path, line=(line + 1) if line else 2,
                                hint=getattr(exc, "hint", None)
                                or "check indentation and quote values that contain ': ' or '#'") from None
    except (ValueError, OverflowError) as exc:  # PyYAML's timestamp constructor: 2026-02-30, year 0
        raise TicketFormatError(f"the front matter has an impossible date or time ({exc})", path=path,
                                line=_date_line(fm_text), hint="write a real date, e.g. 2026-11-20T09:15:00+01:00"
                                ) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise TicketFormatError("the front matter is not a mapping of keys to values", path=path, line=2,
                                hint="write one `key: value` per line")
    check_shape(meta, fm_text, path)
    return meta


def _date_line(fm_text: str) -> int:
    m = re.search(r"\d{4}-\d{1,2}-\d{1,2}", fm_text)
    return fm_text.count("\n", 0, m.start()) + 2 if m else 2


def _key_line(fm_text: str, key: str) -> int:
    m = re.search(rf"^{re.escape(key)}\s*:", fm_text, re.M)
    return fm_text.count("\n", 0, m.start()) + 2 if m else 2


# The fields every command reads, and the shape they must have for it not to
# crash; anything else about a value (an unknown status, a missing title) is
# for `check` to report while the ticket keeps working.
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:(?=\s|$)", re.M)
_SCALARS = ("id", "title", "status", "priority", "type", "channel", "assignee", "group", "merged_into")
_LISTS = ("tags", "kb", "related", "cc")


def check_shape(meta: dict[str, Any], fm_text: str, path: str) -> None:
    """Refuse front matter that a command could not use: it is reported and the ticket skipped."""
    from supportctl.base.yamlio import Ambiguous

    def refuse(key: str, message: str, hint: str) -> None:
        raise TicketFormatError(message, path=path, line=_key_line(fm_text, key), hint=hint)

    if not meta:
        raise TicketFormatError("the front matter is empty", path=path, line=2,
                                hint="a ticket needs at least id, title, status and created")
    for key in meta:
        if not isinstance(key, str):
            refuse(str(key), f"the key {key!r} is not a name", "keys are names like title or tags")
    if meta.get("id") in (None, ""):
        refuse("id", "missing id", "add `id:` to the front matter (the file name without .md)")
    seen: set[str] = set()
    for m in _TOP_KEY.finditer(fm_text):
        if m.group(1) in seen:
            # PyYAML keeps the last value silently; ruamel (which rewrites the
            # file) refuses: no command could change this ticket.
            raise TicketFormatError(f"the key {m.group(1)!r} appears twice", path=path,
                                    line=fm_text.count("\n", 0, m.start()) + 2, hint="keep one of them")
        seen.add(m.group(1))
    for key in _SCALARS:
        value = meta.get(key)
        if value is not None and not isinstance(value, (str, Ambiguous)) and not (
                key == "id" and isinstance(value, int) and not isinstance(value, bool)):
            refuse(key, f"{key} must be text, not {type(value).__name__}", f"write {key}: some-text")
    for key in _LISTS:
        value = meta.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            refuse(key, f"{key} must be a list of names", f"write {key}: [a, b]")
    requester = meta.get("requester")
    if requester is not None and not (isinstance(requester, dict)
                                      and all(isinstance(v, (str, type(None))) for v in requester.values())):
        refuse("requester", "requester must have a name and an email",
               "write requester: {name: Dana Smith, email: dana@example.com}")
    for key in ("created", "updated"):
        value = meta.get(key)
        if isinstance(value, datetime) and not MIN_YEAR < value.year < MAX_YEAR:
            refuse(key, f"{key} is in the year {value.year}", f"use a time in the years {MIN_YEAR}-{MAX_YEAR}")
    if "\\u" in fm_text or "\\U" in fm_text:
        for key, value in meta.items():
            if not _all_encodable(value):
                refuse(key, f"{key} is not valid Unicode (a lone surrogate)", "remove the \\udXXX escape")


def _all_encodable(value: Any) -> bool:
    if isinstance(value, str):
        return _encodable(value)
    if isinstance(value, dict):
        return all(_all_encodable(k) and _all_encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_encodable(v) for v in value)
    return True


def to_yaml_value(key: str, value: Any) -> Any:
    """Python value -> what ruamel should write (timestamps plain, short lists in flow style).

    A string the fast loader would read back as something else (`yes`, `off`,
    `12:30`, `null`, `5`) or that spans lines is written double-quoted.
    """
    from supportctl.base.yamlio import Stamp, flow_map, flow_seq, quoted

    if isinstance(value, datetime):
        return Stamp(format_timestamp(value))
    if isinstance(value, (list, tuple)):
        return flow_seq([to_yaml_value(key, v) for v in value])
    if isinstance(value, dict):
        return flow_map({k: to_yaml_value(k, v) for k, v in value.items()})
    if isinstance(value, str) and not isinstance(value, Stamp):
        return quoted(value)
    return value


def new_front_matter(fields: dict[str, Any]) -> str:
    """Front-matter text for a new ticket, in the given key order."""
    from ruamel.yaml.comments import CommentedMap

    from supportctl.base.yamlio import rt_dump

    doc = CommentedMap()
    for key, value in fields.items():
        doc[key] = to_yaml_value(key, value)
    return rt_dump(doc)


def set_fields(ticket: Ticket, updates: dict[str, Any]) -> None:
    """Change front-matter fields with a round-trip edit (comments and order survive)."""
    from supportctl.base.yamlio import rt_dump, rt_load

    try:
        doc = rt_load(ticket.fm_text) if ticket.fm_text.strip() else None
    except Exception as exc:  # ruamel refuses what PyYAML let through (a duplicate key)
        raise TicketFormatError(f"the front matter cannot be rewritten: {getattr(exc, 'problem', None) or exc}",
                                path=ticket.path, line=2, hint="run `supportctl check` and fix what it reports"
                                ) from None
    if doc is None:
        from ruamel.yaml.comments import CommentedMap

        doc = CommentedMap()
    for key, value in updates.items():
        doc[key] = to_yaml_value(key, value)
    ticket.fm_text = rt_dump(doc)
    ticket.meta = load_meta(ticket.fm_text, ticket.path)


# ------------------------------------------------------------------ files


def parse_ticket(text: str, path: str) -> Ticket:
    """Parse a ticket file, or raise TicketFormatError with the line and a hint."""
    fm_text, rest = split_front_matter(text, path)
    meta = load_meta(fm_text, path)
    first_line = fm_text.count("\n") + 3  # "---", the front matter, "---", then the rest starts
    preamble, records = parse_records(rest, path, first_line)
    return Ticket(path=path, meta=meta, fm_text=fm_text, records=records, preamble=preamble)


def decode_file(data: bytes, path: str) -> str:
    """A ticket file's bytes as text; universal newlines, as every reader sees them."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TicketFormatError(f"the file is not UTF-8 text ({exc.reason})", path=path,
                                line=data.count(b"\n", 0, exc.start) + 1, hint="save it as UTF-8") from None
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def read_ticket(abs_path, rel_path: str) -> Ticket:
    with open(abs_path, "rb") as fh:
        return parse_ticket(decode_file(fh.read(), rel_path), rel_path)


def render_ticket(ticket: Ticket) -> str:
    """The file's text: raw parts where unchanged, canonical text for new ones."""
    text = "---\n" + ticket.fm_text + "---\n" + ticket.preamble
    for i, record in enumerate(ticket.records):
        if record.raw is not None:
            # A raw record read last in its file may lack the final newline.
            if text and not text.endswith("\n") and i > 0:
                text += "\n"
            text += record.raw
            continue
        # A new record is set off by one blank line from what precedes it and
        # from a record that follows, so existing lines stay untouched; a file
        # that ended without a newline gets one first, so no header is glued
        # onto its last line.
        if not text.endswith("\n"):
            text += "\n"
        if i > 0 and not text.endswith("\n\n"):
            text += "\n"
        text += render_record(record)
        if i + 1 < len(ticket.records):
            text += "\n"
    return text
