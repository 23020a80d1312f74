"""Field changes by a macro or a rule: one event that names what made it, front matter updated to match."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from supportctl.config.views import FieldChanges
from supportctl.tickets.actions import change_event, check_transition, resolve_agent
from supportctl.tickets.model import Change, Record, Ticket


def field_changes(ticket: Ticket, config, changes: FieldChanges) -> tuple[list[Change], dict[str, Any]]:
    """The change lines and front-matter updates `changes` makes to `ticket` (nothing for a value it already has).

    Raises a SupportctlError for a status the lifecycle does not allow from here.
    """
    meta = ticket.meta
    out: list[Change] = []
    updates: dict[str, Any] = {}
    for name in ("priority", "type", "group"):
        value = getattr(changes, name)
        if value is not None and value != meta.get(name):
            out.append(Change(name, None if meta.get(name) is None else str(meta.get(name)), value))
            updates[name] = value
    if changes.assignee is not None:
        handle = resolve_agent(config, changes.assignee)
        if handle != meta.get("assignee"):
            out.append(Change("assignee", meta.get("assignee"), handle))
            updates["assignee"] = handle
    tags = list(meta.get("tags") or [])
    for name in changes.tags.add:
        if name not in tags:
            tags.append(name)
            out.append(Change("tags", new=name, op="add"))
    for name in changes.tags.remove:
        if name in tags:
            tags.remove(name)
            out.append(Change("tags", old=name, op="remove"))
    if tags != list(meta.get("tags") or []):
        updates["tags"] = sorted(tags)
    if changes.status is not None and changes.status != ticket.status:
        check_transition(config, ticket.status, changes.status)
        out.append(Change("status", ticket.status, changes.status))
        updates["status"] = changes.status
    return out, updates


def record_changes(ticket: Ticket, *, at: datetime, actor: str, role: str, changes: list[Change],
                   updates: dict[str, Any], label: list[Change] | None = None) -> Record | None:
    """Append one event (label lines first, then the changes) and update the front matter; None when empty."""
    lines = [*(label or []), *changes]
    if not changes and not label:
        return None
    return change_event(ticket, actor=actor, role=role, at=at, changes=lines, updates=updates)
