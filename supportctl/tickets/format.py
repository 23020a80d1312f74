"""The ticket file format: parsing and writing the text (docs/file-format.md has the grammar).

One record parser serves every reader: the full parse (`parse_ticket`) and
the index (`tickets/payload.py`), so the format changes in one place; the
event lines inside records are tickets/events.py's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime

from supportctl.base.timeutil import format_timestamp
from supportctl.errors import TicketFormatError
from supportctl.tickets.frontmatter import MAX_YEAR, MIN_YEAR, encodable, load_meta, split_front_matter
from supportctl.tickets.events import event_changes, one_line
from supportctl.tickets.model import Record, Ticket

# A record copied from another ticket by `ticket merge` ends its header with
# ` · merged from <ID>` (group 6). The author group is greedy, so only a suffix
# after the role counts: a name cannot forge it.
MERGED_SUFFIX = r"(?: · merged from ([0-9A-Za-z_.-]+))?"
HEADER_PATTERN = (r"^### (message|note|event) ([0-9a-z]{4,32}) · (\S+) · (.+) \((customer|agent|system)\)"
                  + MERGED_SUFFIX + r"[ \t]*$")
HEADER_RE = re.compile(HEADER_PATTERN)
# One C pass over the whole text finds every header (multi-line mode).
_HEADER_SCAN = re.compile(HEADER_PATTERN, re.M)
# A line that looks like an attempt at a record header but is not one (`## message
# ...`, `### mesage ...`, a bad id or role) would otherwise fold that record into
# the one before it: a customer's message would vanish from `show` and the SLA
# clocks. It is an error instead: a heading (1-6 #) that starts with a record
# kind, or that holds the header's ` · ` separator or ends with its `(role)`.
_LOOKS_LIKE = r"#{1,6}[ \t]*(?:(?:message|note|event)[ \t]|[^\n]*?(?: · |\((?:customer|agent|system)\)[ \t]*$))"
_ATTEMPT_SCAN = re.compile("^" + _LOOKS_LIKE, re.M)
# A body line that would read as a record header (or as an attempt at one), or as
# the start of a git conflict (a customer pasting one), is written with a leading
# backslash (Markdown's own escape); one backslash is removed when reading.
_ESCAPED_RE = re.compile(r"^(\\*)(" + _LOOKS_LIKE + r"|<<<<<<<(?: |$))")
_LOOSE_HEADER = re.compile(r"^(#+)[ \t]*(\S+)[ \t]+(\S+)[ \t]+·[ \t]+(\S+)[ \t]+·[ \t]+(.+?)[ \t]*\((\S*)\)[ \t]*$")
# What a line merge leaves where both sides changed the same lines (git's
# conflict markers), when git merged a ticket without supportctl's driver.
_CONFLICT_START = re.compile(r"^<<<<<<<(?: |$)", re.M)
_CONFLICT_SEPARATOR = re.compile(r"^=======$", re.M)
_CONFLICT_END = re.compile(r"^>>>>>>>(?: |$)", re.M)


# ---------------------------------------------------------------- records


def record_header(record: Record) -> str:
    merged = f" · merged from {record.merged_from}" if record.merged_from else ""
    return (f"### {record.kind} {record.id} · {format_timestamp(record.at)} · {one_line(record.author) or '-'} "
            f"({record.role}){merged}")


def merged_source(header: str) -> str | None:
    """The ticket a record was copied from by a merge (its header's ` · merged from ID`), or None."""
    if " · merged from " not in header:
        return None
    m = HEADER_RE.match(header)
    return m.group(6) if m else None


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


def scan_records(rest: str, first_line: int, path: str = "") -> Iterator[tuple]:
    """Every record of the text after the front matter, in file order.

    Yields (kind, id, at text, author, role, header start, header end, end,
    line): the header's groups and offsets into `rest`. Readers then use
    `parse_at`, `record_body` and `check_event_body`, so the index (which
    skips message bodies) and the full parse refuse the same files. A line
    that looks like a record header but does not parse is a TicketFormatError.
    """
    matches = list(_HEADER_SCAN.finditer(rest))
    if "#" in rest:
        headers = {m.start() for m in matches}
        for attempt in _ATTEMPT_SCAN.finditer(rest):
            if attempt.start() not in headers:
                raise bad_header(rest, attempt.start(), first_line, path)
    line, pos = first_line, 0
    for n, m in enumerate(matches):
        start = m.start()
        line += rest.count("\n", pos, start)
        pos = start
        kind, rid, at, author, role = m.group(1, 2, 3, 4, 5)
        end = matches[n + 1].start() if n + 1 < len(matches) else len(rest)
        yield kind, rid, at, author, role, start, m.end(), end, line


_HEADER_SHAPE = "### message|note|event <id> · <time> · <author> (customer|agent|system)"


def bad_header(rest: str, start: int, first_line: int, path: str) -> TicketFormatError:
    """The error for a line that looks like a record header but does not parse, saying what is wrong."""
    end = rest.find("\n", start)
    text = rest[start:end if end != -1 else len(rest)]
    line = first_line + rest.count("\n", 0, start)
    shown = text if len(text) <= 80 else text[:79] + "…"
    escape = "; if the line is text, start it with a backslash (\\)"
    m = _LOOSE_HEADER.match(text)
    problem, hint = "does not parse", f"a record header reads `{_HEADER_SHAPE}`" + escape
    if m:
        hashes, kind, rid, _, _, role = m.groups()
        if hashes != "###":
            problem, hint = f"starts with {len(hashes)} #", "a record header starts with exactly three: ### " + escape
        elif kind not in ("message", "note", "event"):
            problem, hint = f"has an unknown kind {kind!r}", "kinds: message (public), note (internal), event"
        elif not re.fullmatch(r"[0-9a-z]{4,32}", rid):
            problem, hint = f"has a bad record id {rid!r}", "a record id is 4-32 lowercase letters and digits"
        elif role not in ("customer", "agent", "system"):
            problem, hint = f"has an unknown role {role!r}", "roles: customer, agent, system"
    return TicketFormatError(f"record header {problem}: {shown}", path=path, line=line, hint=hint)


def record_body(rest: str, header_end: int, end: int) -> str:
    """A record's body: the lines after its header (one blank line skipped), unescaped, right-stripped."""
    body = rest[header_end + 1:end]
    if body.startswith("\n"):
        body = body[1:]
    if "\\" in body:  # every escaped line starts with a backslash
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
            if value is not None and not encodable(value):
                raise TicketFormatError(f"event {rid} has a value that is not valid Unicode (a lone surrogate)",
                                        path=path, line=line, hint="remove the \\udXXX escape from the event line")


def parse_records(rest: str, path: str, first_line: int) -> tuple[str, list[Record]]:
    """Split the text after the front matter into (preamble, records)."""
    records: list[Record] = []
    preamble = rest
    for kind, rid, at_text, author, role, start, header_end, end, line in scan_records(rest, first_line, path):
        if not records:
            preamble = rest[:start]
        try:
            at, _ = parse_at(at_text)
        except ValueError:
            raise bad_timestamp(rid, at_text, path, line) from None
        body = record_body(rest, header_end, end)
        if kind == "event":
            check_event_body(body, rid, path, line)
        records.append(Record(kind, rid, at, author, role, body, rest[start:end], line,
                              merged_source(rest[start:header_end])))
    return preamble, records


# ------------------------------------------------------------------ files


def refuse_conflict(text: str, path: str) -> None:
    """Refuse a file git left with conflict markers, saying so (not as broken YAML or a stray line).

    Markers count only as git writes them, in order: a `<<<<<<<` line, a
    `=======` line, a `>>>>>>>` line. supportctl escapes a body line that
    starts like the first, so a pasted conflict in a message is not one.
    """
    if "<<<<<<<" not in text:
        return
    start = _CONFLICT_START.search(text)
    if start is None:
        return
    separator = _CONFLICT_SEPARATOR.search(text, start.end())
    if separator is None or _CONFLICT_END.search(text, separator.end()) is None:
        return
    raise TicketFormatError("unresolved merge conflict: git left its <<<<<<< ======= >>>>>>> lines in the ticket",
                            path=path, line=text.count("\n", 0, start.start()) + 1,
                            hint="run `supportctl git setup` and merge again (`git merge --abort`, then the same "
                                 "`git merge`), so git merges tickets record by record; or resolve it by hand, "
                                 "keeping both sides' records, and delete the marker lines")


def parse_ticket(text: str, path: str, load: Callable[[str, str], dict] = load_meta) -> Ticket:
    """Parse a ticket file, or raise TicketFormatError with the line and a hint (`load` reads the front matter)."""
    refuse_conflict(text, path)
    fm_text, rest = split_front_matter(text, path)
    meta = load(fm_text, path)
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
