"""Time triggers: when a rule falls due for a ticket, and whether it already fired in this episode.

An episode is what the time counts from: entering the state, the creation,
the latest customer or agent message, or the SLA clock's current cycle. A
rule fires once per episode: it is done when the ticket holds a record
naming the rule (`rule: NAME`) at or after the episode's start. That is read
from the records, so it survives git merges and runs on other machines.
"""

from __future__ import annotations

from supportctl.automation.view import View
from supportctl.config.automation import TimeTrigger
from supportctl.tickets.format import status_change

RULE_PREFIX = "rule: "


def anchor(trigger: TimeTrigger, view: View) -> int | None:
    """The instant (POSIX seconds) the trigger's time counts from, or None when it does not apply."""
    since = trigger.anchor
    if since == "status":
        if trigger.status is not None and view.status != trigger.status:
            return None
        for kind, _, _, _, _, body, ts in reversed(view.records):
            if kind == "event" and "status: " in body and status_change(body) is not None:
                return ts
        return int(view.created_ts) if view.created_ts else None
    if trigger.status is not None and view.status != trigger.status:
        return None
    if since == "created":
        return int(view.created_ts) if view.created_ts else None
    role = "customer" if since == "customer_message" else "agent"
    for kind, _, _, _, who, _, ts in reversed(view.records):
        if kind == "message" and who == role:
            return ts
    return None


def fired_since(view: View, rule: str, since: int) -> bool:
    """Did `rule` already act on this ticket at or after `since`?"""
    line = RULE_PREFIX + rule
    for kind, _, _, _, _, body, ts in reversed(view.records):
        if ts < since:
            return False
        if kind == "event" and line in body and line in body.split("\n"):
            return True
    return False


def due(trigger: TimeTrigger, start: int, calendar) -> int:
    """When `after` has passed since `start`: calendar seconds, or working time in `calendar`."""
    assert trigger.after is not None
    if trigger.time == "business" and calendar is not None:
        return calendar.add_ts(start, trigger.after)
    return start + trigger.after
