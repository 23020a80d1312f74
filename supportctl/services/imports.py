"""Importing chats, calls and GitHub issues: every file read and checked first, then one commit (or nothing)."""

from __future__ import annotations

from dataclasses import field
from pathlib import Path
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError, UsageError
from supportctl.services.session import SYSTEM, SYSTEM_EMAIL, Session


@datatype
class Imported:
    """One conversation's fate: created, updated or unchanged, and on which ticket."""

    source: str
    ticket: str
    action: str
    changes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "ticket": self.ticket, "action": self.action, "changes": self.changes}


@datatype
class ImportRun:
    """What an import did to each item, and its commit."""

    results: list[Imported] = field(default_factory=list)
    sha: str | None = None
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.results if r.action == action)


def _read(paths: list[str]) -> list[tuple[str, str]]:
    out = []
    for name in paths:
        path = Path(name)
        try:
            out.append((name, path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise UsageError(f"no file {name!r}", hint="give the path of the export") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise SupportctlError(f"{name}: cannot read it ({type(exc).__name__})", path=name,
                                  hint="give a UTF-8 text file") from None
    return out


def import_chat(session: Session, paths: list[str], *, dry_run: bool = False, commit: bool = True) -> ImportRun:
    """Chat transcripts (JSON Lines) into tickets, one record per line."""
    from supportctl.imports.transcripts import parse_jsonl

    convs = [c for name, text in _read(paths) for c in parse_jsonl(text, name, kind="chat")]
    return _apply(session, convs, "chat", dry_run=dry_run, commit=commit)


def import_calls(session: Session, paths: list[str], *, dry_run: bool = False, commit: bool = True) -> ImportRun:
    """Call logs (CSV, or JSON Lines transcripts) into phone tickets that keep each call's duration."""
    from supportctl.imports.transcripts import parse_calls_csv, parse_jsonl

    convs = []
    for name, text in _read(paths):
        if name.lower().endswith((".jsonl", ".json", ".ndjson")) or text.lstrip().startswith("{"):
            convs += parse_jsonl(text, name, kind="calls")
        else:
            convs += parse_calls_csv(text, name)
    return _apply(session, convs, "calls", dry_run=dry_run, commit=commit)


def import_github(session: Session, paths: list[str], *, dry_run: bool = False, commit: bool = True) -> ImportRun:
    """GitHub issues and comments (REST API JSON or webhook payloads) into tickets; re-running only adds."""
    from supportctl.imports.github import collect, conversations

    config = session.config
    convs = conversations(collect(_read(paths)), config.github.maintainer_map(config.agent_map()))
    return _apply(session, convs, "github", dry_run=dry_run, commit=commit)


def _apply(session: Session, convs: list, what: str, *, dry_run: bool, commit: bool) -> ImportRun:
    from supportctl.imports.apply import apply, new_ticket_fields
    from supportctl.services.customers import Linker
    from supportctl.tickets import actions
    from supportctl.tickets.model import new_ticket_id, ticket_path
    from supportctl.tickets.people import parse_requester

    run = ImportRun(dry_run=dry_run)
    config = session.config
    with session.desk.lock():
        now = session.now()
        store = session.tickets
        entries, _ = store.load_index()
        by_source = {str(e.meta["source"]): e.path for e in entries if e.meta.get("source")}
        indexed = {e.path: e for e in entries}
        ids = set(store.ids())
        linker = Linker(session)
        changed = []
        for conv in sorted(convs, key=lambda c: (c.created, c.source)):
            path = by_source.get(conv.source)
            if path is not None and path in indexed and _all_there(indexed[path], config, conv, now):
                run.results.append(Imported(conv.source, indexed[path].id, "unchanged", []))
                continue
            if path is not None:
                ticket = store.read(path)
                action = "updated"
            else:
                ticket_id = new_ticket_id(ids)
                ids.add(ticket_id)
                links = linker.link(parse_requester(conv.requester))
                path = ticket_path(ticket_id, config.desk.tickets_sharded)
                ticket = actions.create_ticket(config, ticket_id=ticket_id, path=path, title=conv.title,
                                               requester=conv.requester, actor=SYSTEM,
                                               at=conv.created, channel=conv.channel, links=links,
                                               tags=conv.tags, extra=new_ticket_fields(config, conv))
                by_source[conv.source] = ticket.path
                action = "created"
            done = apply(ticket, config, conv, now, created=action == "created")
            if action == "updated" and not done:
                action = "unchanged"
            if action != "unchanged":
                changed.append(ticket)
            run.results.append(Imported(conv.source, ticket.id, action, done))
        if dry_run or not changed:
            return run
        summary = (f"import {what}: {run.count('created')} created, {run.count('updated')} updated")
        lines = [f"{r.source}: {r.action} {r.ticket}" for r in run.results if r.action != "unchanged"]
        run.sha = store.save(changed, summary + "\n\n" + "\n".join(lines), author=(SYSTEM, SYSTEM_EMAIL),
                             commit=commit, extra=linker.files)
    return run


def _all_there(entry, config, conv, now) -> bool:
    """Whether the conversation adds nothing to the ticket, decided on its index entry without reading the file.

    `apply` decides from record ids, times, tags, status and fields, never from
    message text, so its verdict on the entry's ticket (records without text)
    is its verdict on the file: a re-import of a thousand issues reads none.
    When the entry cannot say (an edit it cannot make without the file's front
    matter), the file is read and decides.
    """
    from supportctl.imports.apply import apply

    try:
        return not apply(entry.ticket(), config, conv, now)
    except SupportctlError:
        return False
