"""Append-only history: what a change since an earlier version did to the records it had (`check --since`).

Appending records, merging another branch's records (a union) and editing the
front matter are how a ticket grows. Deleting or rewriting a record that was
already there is not: it changes what a customer wrote or what the desk did.
"""

from __future__ import annotations

from supportctl.base.timeutil import format_timestamp
from supportctl.tickets.checks import Problem
from supportctl.tickets.model import Record, Ticket


class Rewrite(Problem):
    """A record deleted or rewritten since the earlier version; a warning under --allow-rewrite."""

    severity = "error"


def rewrites(old: Ticket, new: Ticket | None, since: str, rev: str, *, allow: bool = False) -> list[Rewrite]:
    """One Rewrite per record of `old` that `new` lacks or holds changed (one for a deleted ticket).

    `since` names the earlier version for people, `rev` for git.
    """
    out: list[Rewrite] = []

    def add(message: str, hint: str, path: str, line: int | None) -> None:
        if allow:   # accepted: the hint only says how it could be undone
            hint = hint.replace("; --allow-rewrite accepts this", "")
        problem = Rewrite(message, hint, path=path, line=line)
        if allow:
            problem.severity = "warning"
        out.append(problem)

    restore = f"history is append-only: restore it as it was (`git show {rev}:./{old.path}` in the desk folder)"
    if new is None:
        add(f"ticket {old.id} was deleted since {since}, with its {_count(len(old.records), 'record')}",
            f"{restore}; close it instead; --allow-rewrite accepts this", old.path, None)
        return out
    now = {}
    for record in new.records:
        now.setdefault(record.id, record)
    seen: set[str] = set()
    for n, record in enumerate(old.records):
        if record.id in seen:
            continue
        seen.add(record.id)
        current = now.get(record.id)
        if current is None:
            # Point at where it was: the next record that is still there, or the end of the file.
            after = next((now[r.id].line for r in old.records[n + 1:] if r.id in now), None)
            add(f"{_name(record)} was deleted (line {record.line} at {since})",
                f"{restore} and add a new record for any correction; --allow-rewrite accepts this", new.path,
                after or (new.records[-1].line if new.records else None))
            continue
        changes = changed(record, current)
        if changes:
            add(f"{_name(record)} was rewritten: {'; '.join(changes)}",
                f"{restore} and add a new record for any correction; --allow-rewrite accepts this", new.path,
                current.line or None)
    return out


def changed(old: Record, new: Record) -> list[str]:
    """What differs between two versions of one record, for people."""
    out = []
    if old.kind != new.kind:
        out.append(f"kind {old.kind} -> {new.kind}")
    if old.at != new.at:   # the same instant written with another offset is the same time
        out.append(f"time {format_timestamp(old.at)} -> {format_timestamp(new.at)}")
    if old.author != new.author:
        out.append(f"author {_clip(old.author)!r} -> {_clip(new.author)!r}")
    if old.role != new.role:
        out.append(f"role {old.role} -> {new.role}")
    if old.body != new.body:
        a, b = old.body.split("\n"), new.body.split("\n")
        i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        was = _clip(a[i]) if i < len(a) else "(nothing)"
        now = _clip(b[i]) if i < len(b) else "(nothing)"
        out.append(f"text line {i + 1} {was!r} -> {now!r}" if i < len(a) and i < len(b)
                   else f"text from line {i + 1}: {was!r} -> {now!r}")
    return out


def _name(record: Record) -> str:
    who = record.author if record.role == "customer" else f"{record.author} ({record.role})"
    return f"{record.kind} {record.id} of {format_timestamp(record.at)} by {_clip(who)}"


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
