"""Chat transcripts and call logs (docs/channels.md): JSON Lines or CSV text in, conversations out.

JSON Lines, one message a line:

    {"conversation": "chat-1042", "time": "2026-11-20T10:00:00+00:00", "author": "Judy <@judy_tweets>",
     "role": "customer", "text": "Hi, my invoice..."}

optional per line: "title" (the ticket's title, from the first line that has
one), "internal": true (an agent's note), and for calls "duration" (seconds
or 7m12s) and "outcome". The requester is the conversation's first customer.

CSV call logs, one call a row, with a header:
    call_id,time,caller,agent,duration,outcome[,direction,notes,title,conversation]
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import datetime
from typing import Any

from supportctl.base.timeutil import parse_duration, parse_timestamp
from supportctl.errors import SupportctlError, UsageError
from supportctl.imports.model import Conversation, Line
from supportctl.tickets.people import parse_requester

ROLES = ("customer", "agent", "system")
CALL_COLUMNS = ("call_id", "time", "caller", "agent", "duration", "outcome")


def _line_key(at: datetime, author: str, text: str) -> str:
    """A transcript line's identity: when, who and what (a re-export in another order is the same line)."""
    return hashlib.sha256(f"{at.isoformat()}\0{author}\0{text}".encode()).hexdigest()[:16]


def _bad(where: str, message: str, hint: str) -> SupportctlError:
    path, _, line = where.rpartition(":")
    return UsageError(message, path=path, line=int(line) if line.isdigit() else None, hint=hint)


def _time(value: Any, where: str) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise _bad(where, "the line has no time", 'add "time": "2026-11-20T10:00:00+00:00"')
    try:
        return parse_timestamp(value, what="time")
    except SupportctlError as exc:
        raise _bad(where, exc.message, exc.hint or "") from None


def _person(value: Any, where: str, what: str) -> str:
    from supportctl.tickets.people import format_person

    if not isinstance(value, str) or not value.strip():
        raise _bad(where, f"the line has no {what}", f'add "{what}": "Judy <@judy_tweets>"')
    try:
        return format_person(parse_requester(value))
    except SupportctlError as exc:
        raise _bad(where, f"{what} {value!r}: {exc.message}", exc.hint or "") from None


def _name(value: Any, where: str) -> str:
    from supportctl.tickets.events import one_line

    if not isinstance(value, str) or not one_line(value).strip():
        raise _bad(where, "the line has no author", 'add "author": "alice"')
    return one_line(value).strip()


def _seconds(value: Any, where: str) -> int:
    try:
        return parse_duration(value if not (isinstance(value, str) and value.strip().isdigit()) else int(value))
    except SupportctlError:
        raise _bad(where, f"duration {value!r} is not a duration", "write seconds (432) or 7m12s") from None


def parse_jsonl(text: str, path: str, *, kind: str = "chat") -> list[Conversation]:
    """Every conversation of a JSON Lines transcript; any bad line is an error naming it (nothing half-read)."""
    conversations: dict[str, Conversation] = {}
    for n, raw in enumerate(text.splitlines(), 1):
        if not raw.strip():
            continue
        where = f"{path}:{n}"
        try:
            item = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise _bad(where, f"not a JSON object ({exc.msg})", "one JSON object a line") from None
        if not isinstance(item, dict):
            raise _bad(where, "not a JSON object", "one JSON object a line")
        conv = item.get("conversation") or item.get("call_id")
        if not isinstance(conv, (str, int)) or str(conv).strip() == "":
            raise _bad(where, "the line has no conversation id", 'add "conversation": "chat-1042"')
        at = _time(item.get("time"), where)
        role = item.get("role", "customer")
        if role not in ROLES:
            raise _bad(where, f"unknown role {role!r}", f"roles: {', '.join(ROLES)}")
        # A customer is a requester (a handle we can link); an agent is named as the team names them.
        author = _person(item.get("author"), where, "author") if role == "customer" else _name(item.get("author"),
                                                                                               where)
        body = item.get("text")
        if not isinstance(body, str) or not body.strip():
            raise _bad(where, "the line has no text", 'add "text": "what was said"')
        key = str(conv)
        channel = "phone" if kind == "calls" else str(item.get("channel") or "chat")
        found = conversations.get(key)
        if found is None:
            found = conversations[key] = Conversation(source=f"{'call' if kind == 'calls' else 'chat'}:{key}",
                                                      title="", channel=channel, requester="", where=where)
        if item.get("title") and not found.title:
            found.title = " ".join(str(item["title"]).split())
        if role == "customer" and not found.requester:
            found.requester = author
        if kind == "calls" and item.get("duration") is not None:
            seconds = _seconds(item["duration"], where)
            found.calls.append((key, at, seconds, str(item.get("outcome") or "")))
        found.lines.append(Line(_line_key(at, author, body), at, author, role, body.strip(),
                                internal=bool(item.get("internal")), where=where))
    return [_finish(c) for c in conversations.values()]


def _finish(conv: Conversation) -> Conversation:
    if not conv.requester:
        raise _bad(conv.where, f"conversation {conv.source} has no customer line",
                   'the requester is the first line with "role": "customer"')
    conv.lines.sort(key=lambda line: line.at)
    if not conv.title:
        first = next(line.text for line in conv.lines if line.role == "customer")
        words = " ".join(first.split())
        conv.title = words if len(words) <= 70 else words[:67].rstrip() + "..."
    if conv.calls:
        conv.duration = sum(c[2] for c in conv.calls)
    return conv


def parse_calls_csv(text: str, path: str) -> list[Conversation]:
    """A call log: each row is a call (a ticket per call id), its notes the agent's record of it."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CALL_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise UsageError(f"the call log has no {', '.join(missing)} column", path=path, line=1,
                              hint=f"the header names: {', '.join(CALL_COLUMNS)}, direction, notes, title")
    conversations: dict[str, Conversation] = {}
    for n, row in enumerate(reader, 2):
        where = f"{path}:{n}"
        call_id = (row.get("call_id") or "").strip()
        if not call_id:
            raise _bad(where, "the row has no call_id", "every call needs its id from the phone system")
        at = _time(row.get("time"), where)
        caller = _person(row.get("caller"), where, "caller")
        agent = (row.get("agent") or "").strip() or "supportctl"
        seconds = _seconds((row.get("duration") or "").strip() or "0", where)
        outcome = (row.get("outcome") or "").strip()
        direction = (row.get("direction") or "inbound").strip()
        notes = (row.get("notes") or "").strip()
        from supportctl.base.timeutil import format_duration

        summary = f"Phone call ({direction}, {format_duration(seconds) or '0s'}" + (f", {outcome}" if outcome else "") + ")"
        text = summary + (f"\n\n{notes}" if notes else "")
        # Calls about one matter (a call back) share a `conversation`; else each call is its own ticket.
        key = (row.get("conversation") or "").strip() or call_id
        conv = conversations.get(key)
        if conv is None:
            conv = conversations[key] = Conversation(source=f"call:{key}", title="", channel="phone",
                                                     requester=caller, where=where)
        if row.get("title") and not conv.title:
            conv.title = " ".join(row["title"].split())
        if not conv.title:
            conv.title = (notes.split("\n")[0][:70] if notes else f"Phone call from {caller}")
        conv.calls.append((call_id, at, seconds, outcome))
        conv.lines.append(Line(_line_key(at, agent, text), at, agent, "agent", text, internal=True, where=where))
    out = list(conversations.values())
    for conv in out:
        conv.lines.sort(key=lambda line: line.at)
        conv.duration = sum(c[2] for c in conv.calls)
    return out
