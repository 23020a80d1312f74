"""A conversation onto its ticket: the records not there yet, its tags, its status and its handle time (pure)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from supportctl.errors import SupportctlError
from supportctl.imports.model import Conversation, source_record_id
from supportctl.tickets import actions
from supportctl.tickets.model import Change, Record, Ticket, message_body

if TYPE_CHECKING:   # the pydantic model: importing it costs more than importing a thousand issues
    from supportctl.config.model import Config


def new_ticket_fields(config: Config, conv: Conversation) -> dict:
    """What a new ticket's front matter says once the whole conversation is in (for `create_ticket(extra=)`)."""
    fields: dict = {"updated": max(line.at for line in conv.lines), "source": conv.source,
                    "handle_time": conv.duration}
    state = target_state(config, config.lifecycle.initial, conv.status)
    if state is not None:
        fields["status"] = state
    return fields


def target_state(config: Config, current: str, category: str | None) -> str | None:
    """The state a ticket in `current` moves to for a source's status category (solved, open), or None."""
    if category is None:
        return None
    have = config.lifecycle.category(current)
    if have == category or (category == "open" and have in ("new", "open", "pending")) or have == "closed":
        return None
    state = next((s for s, spec in config.lifecycle.states.items() if spec.category == category), None)
    if state is None:
        return None
    try:
        actions.check_transition(config, current, state)
    except SupportctlError:
        return None    # the lifecycle has no such step from here: the status stays as people set it
    return state


def apply(ticket: Ticket, config: Config, conv: Conversation, now: datetime, *, created: bool = False) -> list[str]:
    """Add what the ticket lacks; returns what changed (empty when it was all there already).

    A ticket `created` from this conversation already has its fields (new_ticket_fields): only the
    records are added, and the status change that front matter already shows.
    """
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
    for call_id, at, seconds, outcome in conv.calls:
        rid = source_record_id(conv.source, f"call/{call_id}/{at.isoformat()}")
        if rid not in have:
            changes = [Change("call", new=f"{call_id} {seconds}s" + (f" {outcome}" if outcome else ""), op="info")]
            ticket.add_record(Record("event", rid, at, actions.SYSTEM, "system",
                                     "\n".join(c.render() for c in changes)))
            have.add(rid)
    if created:
        initial = config.lifecycle.initial
        if ticket.status != initial:
            changes = [Change("status", initial, ticket.status), Change("reason", new="imported", op="info")]
            ticket.add_record(Record("event", source_record_id(conv.source, f"status/{ticket.status}"),
                                     max(now, _last(ticket)), actions.SYSTEM, "system",
                                     "\n".join(c.render() for c in changes)))
            done.append(f"status {ticket.status}")
        if conv.duration is not None:
            done.append(f"handle time {conv.duration}s")
        if conv.tags:
            done.append("tags " + ",".join(conv.tags))
        return done
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
    state = target_state(config, ticket.status, category)
    if state is None:
        return []
    actions.set_status(ticket, config, state=state, actor=actions.SYSTEM, at=at, role="system", reason="imported")
    return [f"status {state}"]
