"""Event lines: the changes an event record holds (`status: open -> pending`), read and written;
and any value a record's header or an event line writes kept on one line.

Apart from the rest of the file format (tickets/format.py, which uses and
re-exports them), so that the SLA engine and reports read event bodies
without importing the front-matter parser.
"""

from __future__ import annotations

import json
import re
from typing import Any

from supportctl.tickets.model import Change

_SIMPLE_VALUE = re.compile(r"^[A-Za-z0-9_.@/][A-Za-z0-9_.@/:+-]*$")
_FIELD_NAME = re.compile(r"[a-z_][a-z0-9_]*")
# Characters that would end or split a header line if written raw (a name
# with a newline could forge a record): written as one space instead.
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


def one_line(text: str) -> str:
    """A header value on one line: line breaks and control characters become a space."""
    return _LINE_BREAKING.sub(" ", text).strip()


def encode_value(value: Any) -> str:
    """A field value as written in an event line: plain when unambiguous, else JSON."""
    if value is None:
        return "null"
    text = str(value)
    if text != "null" and _SIMPLE_VALUE.match(text) and " -> " not in text:
        return text
    return _json_text(text)


def _json_text(text: str) -> str:
    """A JSON string whose text never holds ` -> ` (the separator of old and new): `>` as \\u003e."""
    return json.dumps(text, ensure_ascii=False).replace("->", "-\\u003e")


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
    if rest.startswith('"') and rest.endswith('"') and len(rest) > 1:
        try:
            whole = json.loads(rest)  # free text written as one JSON string (see render_change)
        except ValueError:
            whole = None
        if isinstance(whole, str):
            return Change(name, None, whole, "info")
    if " -> " in rest:
        old, _, new = rest.partition(" -> ")
        return Change(name, decode_value(old), decode_value(new), "set")
    if rest.startswith("+") and len(rest) > 1:
        return Change(name, None, decode_value(rest[1:]), "add")
    if rest.startswith("-") and len(rest) > 1 and not rest[1:2].isspace():
        return Change(name, decode_value(rest[1:]), None, "remove")
    # A JSON-quoted value (written by encode_value) reads back as its text.
    return Change(name, None, decode_value(rest) if rest.startswith('"') else rest, "info")


def render_change(change: Change) -> str:
    if change.op == "set":
        return f"{change.field}: {encode_value(change.old)} -> {encode_value(change.new)}"
    if change.op == "add":
        return f"{change.field}: +{encode_value(change.new)}"
    if change.op == "remove":
        return f"{change.field}: -{encode_value(change.old)}"
    # Free text (a reason, an escalation key) stays on its one line; text that
    # would read as a change (`a -> b`, `+x`, `-x`) or as JSON is written as JSON.
    text = _LINE_BREAKING.sub(" ", str(change.new or "")).strip()
    if " -> " in text or text[:1] in ('"', "+", "-"):
        text = _json_text(text)
    return f"{change.field}: {text}"


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
