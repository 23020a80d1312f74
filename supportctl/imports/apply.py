"""A conversation onto its ticket: the records not there yet, its tags, its status and its handle time (pure)."""

from __future__ import annotations

from datetime import datetime

from supportctl.config.model import Config
from supportctl.errors import SupportctlError
from supportctl.imports.model import Conversation, source_record_id
from supportctl.tickets import actions
from supportctl.tickets.model import Change, Record, Ticket, message_body


def apply(ticket: Ticket, config: Config, conv: Conversation, now: datetime) -> list[str]:
    """Add what the ticket lacks; returns what changed (empty when it was all there already)."""
    done: list[str] = []
    have = {r.id for r in ticket.records}
    replies: list[str] = []
    for line in conv.lines:
        rid = source_record_id(conv.source, line.key)
        if rid in have:
            continue
        kind = "note" if line.internal else "message"
        ticket.add_record(Record(kind, rid, line.at, line.author, line.role, message_body(line.text)))
        have.add(rid)
        done.append(f"{kind} {rid}")
        if kind == "message" and line.role != "customer":
            replies.append(rid)
    if replies:
        # The desk's replies were delivered on their own channel: this event tells `mail send` not to mail them.
        changes = [Change("imported", new=conv.source, op="info"), *(Change("record", new=r, op="info")
                                                                     for r in replies)]
        at = max(line.at for line in conv.lines)
        ticket.add_record(Record("event", source_record_id(conv.source, "replies/" + ",".join(replies)), at,
                                 actions.SYSTEM, "system", "\n".join(c.render() for c in changes)))
    updates: dict = {}
    latest = max((line.at for line in conv.lines), default=None)
    current = ticket.meta.get("updated")
    if latest is not None and (not isinstance(current, datetime) or latest > current):
        updates["updated"] = latest
    if ticket.meta.get("source") != conv.source:
        updates["source"] = conv.source
    if conv.duration is not None and ticket.meta.get("handle_time") != conv.duration:
        updates["handle_time"] = conv.duration
        done.append(f"handle time {conv.duration}s")
    if updates:
        ticket.set_fields(updates)
    for call_id, at, seconds, outcome in conv.calls:
        rid = source_record_id(conv.source, f"call/{call_id}/{at.isoformat()}")
        if rid not in have:
            changes = [Change("call", new=f"{call_id} {seconds}s" + (f" {outcome}" if outcome else ""), op="info")]
            ticket.add_record(Record("event", rid, at, actions.SYSTEM, "system",
                                     "\n".join(c.render() for c in changes)))
            have.add(rid)
    new_tags = sorted(set(conv.tags) - set(ticket.meta.get("tags") or []))
    if new_tags:
        actions.tag(ticket, add=new_tags, remove=[], actor=actions.SYSTEM, at=max(now, _last(ticket)),
                    role="system")
        done.append("tags +" + ",".join(new_tags))
    if conv.status is not None:
        done += _status(ticket, config, conv.status, max(now, _last(ticket)))
    return done


def _last(ticket: Ticket) -> datetime:
    return max((r.at for r in ticket.records), default=ticket.meta["created"])


def _status(ticket: Ticket, config: Config, category: str, at: datetime) -> list[str]:
    """Move to the first state of that category (solved, open) unless the ticket is in that category already."""
    have = config.lifecycle.category(ticket.status)
    if have == category or (category == "open" and have in ("new", "open", "pending")) or have == "closed":
        return []
    state = next((s for s, spec in config.lifecycle.states.items() if spec.category == category), None)
    if state is None:
        return []
    try:
        actions.set_status(ticket, config, state=state, actor=actions.SYSTEM, at=at, role="system",
                           reason="imported")
    except SupportctlError:
        return []    # the lifecycle has no such step from here: the status stays as people set it
    return [f"status {state}"]
