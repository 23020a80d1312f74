"""What can happen to a ticket: pure functions that edit a `Ticket` in memory.

Each action appends history records and updates the front matter, and returns
a short summary used as the commit message. Nothing here reads the clock, the
disk or git; the store does that around these functions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import datetime, timedelta
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.config.views import Config
from supportctl.errors import SupportctlError, UsageError
from supportctl.tickets.frontmatter import new_front_matter_meta
from supportctl.tickets.model import (CHANNELS, PRIORITIES, Change, Record, Ticket, copied_record_id, message_body,
                                     new_record_id, ticket_path)
from supportctl.tickets.people import format_person, parse_requester  # noqa: F401 (re-exported)

SYSTEM = "supportctl"


@datatype
class Outcome:
    """What an action did: the commit summary, and tickets it created on the side."""

    summary: str
    created: list[Ticket] = field(default_factory=list)


def _event(ticket: Ticket, actor: str, role: str, at: datetime, changes: list[Change]) -> Record:
    _refuse_rewriting_history(ticket, at, {c.field for c in changes if c.op in ("set", "add", "remove")})
    body = "\n".join(c.render() for c in changes)
    record = Record("event", new_record_id(), at, actor, role, body)
    _append(ticket, record)
    return record


def change_event(ticket: Ticket, *, actor: str, role: str, at: datetime, changes: list[Change],
                 updates: dict[str, Any]) -> Record:
    """One event of field changes (and `info` lines), and the front matter updated to match."""
    record = _event(ticket, actor, role, at, changes)
    _touch(ticket, at, updates)
    return record


def _append(ticket: Ticket, record: Record) -> None:
    """Add a record in time order; one dated before the ticket was created is refused.

    Every action appends through here, so no command (a note, a link written on
    the other ticket, a back-dated reply) writes a record `check` would reject.
    """
    created = ticket.created
    if created is not None and record.at < created:
        from supportctl.base.timeutil import format_timestamp

        what = f"{'an' if record.kind == 'event' else 'a'} {record.kind}"
        raise UsageError(f"ticket {ticket.id} was created at {format_timestamp(created)}; {what} at "
                         f"{format_timestamp(record.at)} would be older than the ticket",
                         hint="give a time at or after its creation (--at), or leave out --at")
    ticket.add_record(record)


def _refuse_rewriting_history(ticket: Ticket, at: datetime, fields: set[str]) -> None:
    """Refuse a change dated before a later recorded change of the same field.

    The front matter is what the history says: the last change of a field
    in time order is its value. A back-dated change that lands before a later
    one would either be silently overridden by it or make the front matter
    disagree with the history, so it is refused (docs/file-format.md).
    """
    for record in reversed(ticket.records):
        if record.at <= at:
            break
        for change in record.changes():
            if change.field in fields and change.op != "info":
                from supportctl.base.timeutil import format_timestamp

                raise SupportctlError(f"ticket {ticket.id}: {change.field} was changed at "
                                      f"{format_timestamp(record.at)}, after {format_timestamp(at)}",
                                      hint="give a time after that change (--at), or leave out --at")


def _touch(ticket: Ticket, at: datetime, updates: dict[str, Any] | None = None) -> None:
    updates = dict(updates or {})
    current = ticket.meta.get("updated")
    if not isinstance(current, datetime) or current.tzinfo is None or at > current:
        updates["updated"] = at
    if updates:
        ticket.set_fields(updates)


def _message_record(kind: str, author: str, role: str, at: datetime, text: str) -> Record:
    body = message_body(text)
    if not body:
        raise UsageError("the message is empty", hint="pass the text with -m TEXT or --body-file FILE")
    return Record(kind, new_record_id(), at, author, role, body)


# ------------------------------------------------------------------ create


def custom_value(config: Config, name: str, text: str | None) -> Any:
    """A custom field's value from the command line, as its declared type."""
    from datetime import date

    spec = config.custom_fields.get(name)
    if spec is None:
        raise UsageError(f"unknown custom field {name!r}", hint="declare it under custom_fields in supportctl.yml")
    if text is None or text == "":
        return None
    try:
        value: Any = {
            "string": str, "integer": int, "number": float, "date": date.fromisoformat,
            "boolean": lambda s: {"true": True, "false": False}[s.lower()],
            "list": lambda s: [part.strip() for part in s.split(",") if part.strip()],
        }[spec.type](text)
    except (ValueError, KeyError):
        example = {"integer": "12", "number": "12.5", "date": "2026-11-20", "boolean": "true or false"}
        article = "an" if spec.type[0] in "aeiou" else "a"
        raise UsageError(f"{name} must be {article} {spec.type}, not {text!r}",
                         hint=f"e.g. {name}={example.get(spec.type, 'text')}") from None
    if spec.choices and str(value) not in spec.choices:
        raise UsageError(f"{name} {text!r} is not one of the choices", hint=f"choices: {', '.join(spec.choices)}")
    return value


def create_ticket(config: Config, *, ticket_id: str, path: str, title: str, requester: str, actor: str,
                  at: datetime, body: str | None = None, priority: str = "normal", channel: str = "email",
                  type_: str | None = None, group: str | None = None, assignee: str | None = None,
                  tags: list[str] | None = None, fields: dict[str, Any] | None = None,
                  related: list[str] | None = None, agent_created: bool = False,
                  links: dict[str, str | None] | None = None, extra: dict[str, Any] | None = None) -> Ticket:
    """A new ticket; the body, when given, is the customer's first message."""
    title = " ".join(title.split())
    if not title:
        raise UsageError("the title is empty", hint='pass --title "What the customer needs"')
    if priority not in PRIORITIES:
        raise UsageError(f"unknown priority {priority!r}", hint=f"use one of: {', '.join(PRIORITIES)}")
    if channel not in CHANNELS:
        raise UsageError(f"unknown channel {channel!r}", hint=f"use one of: {', '.join(CHANNELS)}")
    if type_ is not None and type_ not in config.ticket_types:
        raise UsageError(f"unknown type {type_!r}", hint=f"use one of: {', '.join(config.ticket_types)}")
    if group is not None and group not in config.groups:
        raise UsageError(f"unknown group {group!r}", hint=f"groups: {', '.join(config.groups) or '(none)'}")
    if group is None:
        group = config.default_group
    if assignee is not None:
        assignee = resolve_agent(config, assignee)
    person = parse_requester(requester)
    meta: dict[str, Any] = {
        "id": ticket_id, "title": title, "status": config.lifecycle.initial, "priority": priority,
        "type": type_, "channel": channel, "requester": person, "assignee": assignee, "group": group,
        "tags": sorted(set(tags or [])), "created": at, "updated": at,
    }
    if related:
        meta["related"] = related
    for key in ("customer", "organization"):     # who the requester is (docs/customers.md)
        if (links or {}).get(key):
            meta[key] = links[key]
    # An import knows the whole conversation up front (status, source, handle time): written in one go.
    for key, value in (extra or {}).items():
        if value is not None:
            meta[key] = value
    for key, value in (fields or {}).items():
        meta[key] = custom_value(config, key, value)
    fm_text, loaded = new_front_matter_meta(meta, path)
    ticket = Ticket(path=path, meta=loaded, fm_text=fm_text)
    if body is not None and message_body(body):
        # A ticket an agent opens (phone log, proactive outreach) still starts with
        # the customer's words when they are given, so the response clocks start.
        author = format_person(person)
        _append(ticket, _message_record("message", author, "customer", at, body))
    return ticket


# ---------------------------------------------------------------- messages


def customer_message(ticket: Ticket, config: Config, *, at: datetime, text: str,
                     author: str | None = None, reopen: bool = True) -> Outcome:
    """A message from the customer; it reopens a pending or solved ticket (unless `reopen` is off)."""
    sender = author or format_person(ticket.meta.get("requester"))
    _append(ticket, _message_record("message", sender, "customer", at, text))
    category = config.lifecycle.category(ticket.status)
    summary = f"ticket {ticket.id}: customer message"
    changed_at = last_status_change(ticket)
    # Automated mail (an out-of-office) is kept but wakes nothing up; a message filed
    # late (the status was set after it was written) leaves that status standing.
    if not reopen or (changed_at is not None and at < changed_at):
        _touch(ticket, at)
        return Outcome(summary)
    if category in ("pending", "solved") or (category == "closed" and _reopens_closed(ticket, config, at)):
        target = config.lifecycle.reopen_state()
        old = ticket.status
        _event(ticket, SYSTEM, "system", at, [Change("status", old, target), Change("reason", new="customer reply",
                                                                                       op="info")])
        _touch(ticket, at, {"status": target})
        return Outcome(f"ticket {ticket.id}: {old} -> {target} (customer reply)")
    _touch(ticket, at)
    return Outcome(summary)


def _reopens_closed(ticket: Ticket, config: Config, at: datetime) -> bool:
    policy = config.lifecycle.reopen
    if policy.within_days is None:
        return policy.closed == "reopen"
    # `within_days` limits reopening whichever way `closed` is spelled: a
    # message within the window reopens, a later one opens a follow-up.
    closed_at = last_status_change(ticket)
    return closed_at is not None and at - closed_at <= timedelta(days=policy.within_days)


def closed_follow_up(ticket: Ticket, config: Config, at: datetime) -> bool:
    """True when a customer message on this ticket must open a new linked ticket instead."""
    if config.lifecycle.category(ticket.status) != "closed":
        return False
    closed_at = last_status_change(ticket)
    if closed_at is not None and at < closed_at:
        return False  # written before the ticket was closed: it belongs to this ticket
    return not _reopens_closed(ticket, config, at)


def open_follow_up(closed: Ticket, config: Config, *, ticket_id: str, at: datetime, text: str,
                   sender: str | None = None) -> Outcome:
    """A customer wrote to a ticket that stays closed: a new ticket carries on, linked both ways.

    The follow-up keeps the closed ticket's title, priority, channel, type,
    group and tags; both histories record the link as a system event.
    """
    requester = sender or format_person(closed.meta.get("requester"))
    follow = create_ticket(config, ticket_id=ticket_id, path=ticket_path(ticket_id, config.desk.tickets_sharded),
                           title=closed.title, requester=requester, actor=SYSTEM, at=at, body=text,
                           priority=str(closed.meta.get("priority") or "normal"),
                           channel=str(closed.meta.get("channel") or "email"), type_=closed.meta.get("type"),
                           group=closed.meta.get("group"), tags=list(closed.meta.get("tags") or []))
    link(follow, kind="related", target=closed.id, actor=SYSTEM, at=at, role="system")
    link(closed, kind="related", target=ticket_id, actor=SYSTEM, at=at, role="system")
    return Outcome(f"ticket {ticket_id}: follow-up of closed ticket {closed.id}", created=[follow])


def last_status_change(ticket: Ticket) -> datetime | None:
    for record in reversed(ticket.records):
        if any(c.field == "status" and c.op == "set" for c in record.changes()):
            return record.at
    return None


def agent_reply(ticket: Ticket, config: Config, *, actor: str, at: datetime, text: str,
                status: str | None = None) -> Outcome:
    """A public reply; a `new` ticket moves to open unless another status is given."""
    _refuse_merged(ticket, "reply", "reply")
    lifecycle = config.lifecycle
    if lifecycle.category(ticket.status) == "closed" and (status is None or lifecycle.category(status) == "closed"):
        # Closed is final: a reply there would reach the customer on a conversation
        # every report counts as finished, and no clock would ever see it.
        raise UsageError(f"ticket {ticket.id} is {ticket.status} (closed): it takes no more replies",
                         hint=f"reopen it in the same command (`--status {lifecycle.reopen_state()}`), "
                              "or open a new ticket for the customer")
    _append(ticket, _message_record("message", actor, "agent", at, text))
    if status is None and config.lifecycle.category(ticket.status) == "new":
        status = config.lifecycle.reopen_state()
    if status is not None and status != ticket.status:
        old = ticket.status
        check_transition(config, old, status)
        _event(ticket, actor, "agent", at, [Change("status", old, status)])
        _touch(ticket, at, {"status": status})
        return Outcome(f"ticket {ticket.id}: reply by {actor}, {old} -> {status}")
    _touch(ticket, at)
    return Outcome(f"ticket {ticket.id}: reply by {actor}")


def internal_note(ticket: Ticket, *, actor: str, at: datetime, text: str, role: str = "agent") -> Outcome:
    """An internal note: never shown to the customer, never counts as a reply."""
    if role == "agent":
        _refuse_merged(ticket, "note", "note")
    _append(ticket, _message_record("note", actor, role, at, text))
    _touch(ticket, at)
    return Outcome(f"ticket {ticket.id}: note by {actor}")


def _refuse_merged(ticket: Ticket, what: str, command: str) -> None:
    """An agent's reply or note on a merged ticket is refused: its conversation goes on in the target.

    A customer's message is redirected instead (they write to the old thread
    and cannot be told no); an agent is better told where the conversation
    is, so the reply is written with the whole of it in view.
    """
    into = ticket.meta.get("merged_into")
    if into:
        raise UsageError(f"ticket {ticket.id} was merged into {into}: its conversation goes on there",
                         hint=f"write the {what} on {into}: supportctl ticket {command} {into} ...")


# ----------------------------------------------------------------- fields


def check_transition(config: Config, old: str, new: str) -> None:
    if new not in config.lifecycle.states:
        raise UsageError(f"unknown status {new!r}",
                         hint=f"states: {', '.join(config.lifecycle.states)}")
    allowed = config.lifecycle.allowed(old)
    if new != old and new not in allowed:
        raise SupportctlError(f"a ticket cannot go from {old} to {new}",
                              hint=f"from {old} it can go to: {', '.join(allowed) or '(nowhere)'}")


def set_status(ticket: Ticket, config: Config, *, state: str, actor: str, at: datetime, role: str = "agent",
               reason: str | None = None) -> Outcome:
    old = ticket.status
    check_transition(config, old, state)
    if old == state:
        raise SupportctlError(f"ticket {ticket.id} is already {state}", hint="nothing to change")
    changes = [Change("status", old, state)]
    if reason:
        changes.append(Change("reason", new=reason, op="info"))
    _event(ticket, actor, role, at, changes)
    _touch(ticket, at, {"status": state})
    return Outcome(f"ticket {ticket.id}: {old} -> {state}" + (f" ({reason})" if reason else ""))


def entered_status_at(ticket: Ticket) -> datetime | None:
    """When the ticket entered its current status (its creation, if it never changed)."""
    return last_status_change(ticket) or ticket.created


def due_transition(ticket: Ticket, config: Config, now: datetime) -> tuple[str, datetime] | None:
    """The timed transition (state's `next_state` after `after`) that is due at `now`, if any.

    The deadline is calendar time from entering the state, as in "close a
    ticket 4 days after it was solved"; a customer reply in between reopens
    the ticket and so restarts the wait.
    """
    state = config.lifecycle.states.get(ticket.status)
    if state is None or state.next_state is None or state.after is None:
        return None
    since = entered_status_at(ticket)
    if since is None:
        return None
    due = since + timedelta(seconds=state.after)
    return (state.next_state, due) if due <= now else None


def apply_due_transition(ticket: Ticket, config: Config, now: datetime) -> Outcome | None:
    """Move the ticket on if its timed transition is due; the change is dated when it fell due."""
    due = due_transition(ticket, config, now)
    if due is None:
        return None
    state, at = due
    after = config.lifecycle.states[ticket.status].after or 0
    from supportctl.base.timeutil import format_duration

    return set_status(ticket, config, state=state, actor=SYSTEM, role="system", at=at,
                      reason=f"{format_duration(after)} in {ticket.status}")


def resolve_agent(config: Config, name: str) -> str:
    """An agent handle from a handle, display name or email (case-insensitive)."""
    agents = config.agent_map()
    if name in agents:
        return name
    low = name.lower()
    for handle, agent in agents.items():
        if low in (handle.lower(), (agent.name or "").lower(), (agent.email or "").lower()):
            return handle
    raise SupportctlError(f"unknown agent {name!r}",
                          hint=f"agents: {', '.join(agents) or '(none)'}; add them under agents in supportctl.yml")


def assign(ticket: Ticket, config: Config, *, agent: str | None, group: str | None, actor: str, at: datetime,
           unassign: bool = False, role: str = "agent") -> Outcome:
    updates: dict[str, Any] = {}
    changes: list[Change] = []
    if agent is not None or unassign:
        handle = None if unassign else resolve_agent(config, agent or "")
        if handle != ticket.meta.get("assignee"):
            changes.append(Change("assignee", ticket.meta.get("assignee"), handle))
            updates["assignee"] = handle
    if group is not None:
        if group not in config.groups:
            raise UsageError(f"unknown group {group!r}", hint=f"groups: {', '.join(config.groups) or '(none)'}")
        if group != ticket.meta.get("group"):
            changes.append(Change("group", ticket.meta.get("group"), group))
            updates["group"] = group
    if agent is None and group is None and not unassign:
        raise UsageError("nothing to assign", hint="name an AGENT, --group G, or --unassign")
    if not changes:
        raise SupportctlError(f"ticket {ticket.id} is already assigned that way", hint="nothing to change")
    _event(ticket, actor, role, at, changes)
    _touch(ticket, at, updates)
    what = ", ".join(f"{c.field} {c.new or 'none'}" for c in changes)
    return Outcome(f"ticket {ticket.id}: assign {what}")


def set_priority(ticket: Ticket, *, priority: str, actor: str, at: datetime, role: str = "agent") -> Outcome:
    if priority not in PRIORITIES:
        raise UsageError(f"unknown priority {priority!r}", hint=f"use one of: {', '.join(PRIORITIES)}")
    old = ticket.meta.get("priority")
    if old == priority:
        raise SupportctlError(f"ticket {ticket.id} is already {priority} priority", hint="nothing to change")
    _event(ticket, actor, role, at, [Change("priority", old, priority)])
    _touch(ticket, at, {"priority": priority})
    return Outcome(f"ticket {ticket.id}: priority {old} -> {priority}")


def set_field(ticket: Ticket, config: Config, *, name: str, value: Any, actor: str, at: datetime) -> Outcome:
    """Change the title, type or a custom field (recorded as an event)."""
    if name == "type":
        if value is not None and value not in config.ticket_types:
            raise UsageError(f"unknown type {value!r}", hint=f"use one of: {', '.join(config.ticket_types)}")
    elif name == "title":
        value = " ".join(str(value or "").split())
        if not value:
            raise UsageError("the title is empty", hint="give the new title")
    elif name not in config.custom_fields:
        editable = ["title", "type", *config.custom_fields]
        raise UsageError(f"{name!r} cannot be set this way",
                         hint=f"fields: {', '.join(editable)}; status, priority, assignee, group, tags and "
                              "links have their own commands")
    else:
        value = custom_value(config, name, value)
    old = ticket.meta.get(name)
    if old == value:
        raise SupportctlError(f"{name} is already {value!r}", hint="nothing to change")
    _event(ticket, actor, "agent", at, [Change(name, None if old is None else str(old),
                                                None if value is None else str(value))])
    _touch(ticket, at, {name: value})
    return Outcome(f"ticket {ticket.id}: {name} changed")


def tag(ticket: Ticket, *, add: list[str], remove: list[str], actor: str, at: datetime,
        role: str = "agent") -> Outcome:
    current = list(ticket.meta.get("tags") or [])
    changes = []
    for name in add:
        name = name.strip().lower()
        if name and name not in current:
            current.append(name)
            changes.append(Change("tags", new=name, op="add"))
    for name in remove:
        name = name.strip().lower()
        if name in current:
            current.remove(name)
            changes.append(Change("tags", old=name, op="remove"))
    if not changes:
        raise SupportctlError(f"ticket {ticket.id} already has those tags", hint="nothing to change")
    _event(ticket, actor, role, at, changes)
    _touch(ticket, at, {"tags": sorted(current)})
    return Outcome(f"ticket {ticket.id}: tags " + " ".join(c.render().split(": ", 1)[1] for c in changes))


def link(ticket: Ticket, *, kind: str, target: str, actor: str, at: datetime, remove: bool = False,
         role: str = "agent") -> Outcome:
    """Link to a KB article (`kb`) or another ticket (`related`)."""
    if kind not in ("kb", "related"):
        raise UsageError(f"unknown link kind {kind!r}", hint="use kb or related")
    current = list(ticket.meta.get(kind) or [])
    if remove:
        if target not in current:
            raise SupportctlError(f"ticket {ticket.id} has no {kind} link to {target}", hint="nothing to change")
        current.remove(target)
        change = Change(kind, old=target, op="remove")
    else:
        if target in current:
            raise SupportctlError(f"ticket {ticket.id} already links {kind} {target}", hint="nothing to change")
        current.append(target)
        change = Change(kind, new=target, op="add")
    _event(ticket, actor, role, at, [change])
    _touch(ticket, at, {kind: current})
    return Outcome(f"ticket {ticket.id}: {'unlink' if remove else 'link'} {kind} {target}")


def merge(source: Ticket, target: Ticket, config: Config, *, actor: str, at: datetime,
          force: bool = False) -> Outcome:
    """Move `source`'s conversation into `target` and close `source` as merged into it.

    Every message and note of the source is copied into the target at its own
    time, with its author, marked `merged from <source>` and with an id derived
    from the original's (so merging again, or on another branch, adds nothing
    twice). Events stay with the source: they describe its own fields.
    """
    _refuse_merge(source, target, config, at, force)
    closed = next((name for name, s in config.lifecycle.states.items() if s.category == "closed"), None)
    if closed is None:
        raise SupportctlError("the lifecycle has no closed state to put merged tickets in",
                              hint="add a state with category: closed")
    taken = {r.id for r in target.records}
    copied: list[Record] = []
    for record in source.messages():
        rid = copied_record_id(source.id, record.id)
        if rid in taken:
            continue
        copy = Record(record.kind, rid, record.at, record.author, record.role, record.body,
                      merged_from=record.merged_from or source.id)
        target.add_record(copy)
        copied.append(copy)
    old = source.status
    changes = [Change("merged_into", None, target.id)]
    if old != closed:
        changes.insert(0, Change("status", old, closed))
    _event(source, actor, "agent", at, changes)
    _touch(source, at, {"status": closed, "merged_into": target.id})
    messages = sum(1 for r in copied if r.kind == "message")
    notes = len(copied) - messages
    what = " and ".join(part for part in (_count(messages, "message") if messages else "",
                                          _count(notes, "internal note") if notes else "") if part)
    note = (f"Ticket {source.id} ({source.title}) from {format_person(source.meta.get('requester'))} "
            f"was merged into this ticket" + (f": its {what} {'is' if len(copied) == 1 else 'are'} copied here, "
                                              f"marked merged from {source.id}."
                                              if copied else "; it had no messages to copy."))
    _append(target, Record("note", new_record_id(), at, actor, "agent", note))
    # Whoever followed the duplicate follows the target (with --force, its requester too).
    own = _email(target.meta.get("requester"))
    followers = [_email(source.meta.get("requester")), *(str(c).lower() for c in source.meta.get("cc") or [])]
    add_cc(target, [a for a in followers if a and a != own], at=at, actor=actor, role="agent")
    summary = f"ticket {source.id}: merged into {target.id}" + (f" ({what} copied)" if copied else "")
    reopened = _reopen_for_merged(target, config, at, copied)
    if reopened:
        summary += f", {reopened}"
    related = list(target.meta.get("related") or [])
    updates: dict[str, Any] = {}
    if source.id not in related:
        related.append(source.id)
        updates["related"] = related
    _touch(target, at, updates)
    return Outcome(summary)


def merged_chain(ticket_id: str, merged_into: Callable[[str], str | None]) -> list[str]:
    """The ids from `ticket_id` along `merged_into` links; the last one carries the conversation.

    `merged_into(id)` is the id a ticket was merged into (None when it was
    not). Hand edits or two branches can make a cycle: that is an error, not
    an endless loop.
    """
    chain = [ticket_id]
    while True:
        into = merged_into(chain[-1])
        if not into:
            return chain
        if into in chain:
            raise SupportctlError(f"tickets {' -> '.join([*chain, into])} are merged into each other in a cycle",
                                  hint=f"remove merged_into from the one that should carry the conversation "
                                       f"(ticket {into}?)")
        chain.append(into)


def _refuse_merge(source: Ticket, target: Ticket, config: Config, at: datetime, force: bool) -> None:
    """Every reason a merge cannot go ahead, as an error that says what to do instead."""
    if source.id == target.id:
        raise UsageError("a ticket cannot be merged into itself", hint="name two different tickets")
    if target.meta.get("merged_into") == source.id:
        raise UsageError(f"ticket {target.id} is already merged into {source.id}: merging {source.id} into it "
                         "would make a cycle", hint=f"{source.id} carries the conversation; nothing to do")
    if source.meta.get("merged_into"):
        raise UsageError(f"ticket {source.id} is already merged into {source.meta['merged_into']}",
                         hint="merge the target instead")
    if target.meta.get("merged_into"):
        raise UsageError(f"ticket {target.id} is itself merged into {target.meta['merged_into']}",
                         hint=f"merge into {target.meta['merged_into']} instead")
    if config.lifecycle.category(target.status) == "closed":
        raise UsageError(f"ticket {target.id} is {target.status}: a closed ticket cannot take in a conversation",
                         hint=f"merge {target.id} into {source.id} instead, or into a ticket that is not closed")
    mine, theirs = _email(source.meta.get("requester")), _email(target.meta.get("requester"))
    if mine != theirs and not force:
        raise UsageError(f"tickets {source.id} and {target.id} have different requesters ({mine or 'none'} and "
                         f"{theirs or 'none'})",
                         hint=f"after a merge {mine or 'the requester of ' + source.id} is copied on {target.id}'s "
                              "replies and both customers see each other's conversation; pass --force if that "
                              "is what you want")
    later = [r for r in source.records if r.at > at]
    if later:
        from supportctl.base.timeutil import format_timestamp

        raise UsageError(f"ticket {source.id} has a record at {format_timestamp(later[-1].at)}, after the merge "
                         f"time {format_timestamp(at)}", hint="give a later --at, or leave out --at")


def _email(person: Any) -> str:
    return str(person.get("email") or "").lower() if isinstance(person, dict) else ""


def _reopen_for_merged(target: Ticket, config: Config, at: datetime, copied: list[Record]) -> str | None:
    """Reopen a pending or solved target when a copied customer message is still waiting for an answer.

    As with a customer message written to the target itself: one dated before
    the target's latest status change does not reopen it.
    """
    if config.lifecycle.category(target.status) not in ("pending", "solved"):
        return None
    waiting = [r for r in copied if r.kind == "message" and r.role == "customer"]
    if not waiting:
        return None
    latest = max(waiting, key=lambda r: r.at)
    changed_at = last_status_change(target)
    answered = any(r.kind == "message" and r.role == "agent" and r.at >= latest.at for r in target.records)
    if answered or (changed_at is not None and latest.at < changed_at):
        return None
    old, new = target.status, config.lifecycle.reopen_state()
    _event(target, SYSTEM, "system", at, [Change("status", old, new),
                                          Change("reason", new=f"customer message merged from {latest.merged_from}",
                                                 op="info")])
    _touch(target, at, {"status": new})
    return f"{target.id} {old} -> {new}"


def _count(n: int, noun: str) -> str:
    """`1 message`, `2 messages`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def add_cc(ticket: Ticket, addresses: list[str], *, at: datetime, actor: str = SYSTEM,
           role: str = "system") -> list[str]:
    """Add addresses to the ticket's cc (those not already there); returns the ones added."""
    current = [str(a) for a in ticket.meta.get("cc") or []]
    added = [a for a in dict.fromkeys(a.lower() for a in addresses) if a and a not in current]
    if added:
        _event(ticket, actor, role, at, [Change("cc", new=a, op="add") for a in added])
        _touch(ticket, at, {"cc": current + added})
    return added


def automatic_reply(ticket: Ticket, *, at: datetime, text: str) -> Record:
    """A public message the desk sends by itself (an acknowledgement); it is no agent's reply."""
    record = _message_record("message", SYSTEM, "system", at, text)
    _append(ticket, record)
    _touch(ticket, at)
    return record


def event(ticket: Ticket, *, at: datetime, body: str, actor: str = SYSTEM, role: str = "system") -> Record:
    """An event with a ready-made body (one `field: value` line each), e.g. a mail receipt."""
    record = Record("event", new_record_id(), at, actor, role, body)
    _append(ticket, record)
    return record
