"""Time triggers: when a rule falls due for a ticket, and whether it already fired in this episode.

An episode is what the time counts from: entering the state, the creation,
the latest customer or agent message, or the SLA clock's current cycle. A
rule fires once per episode: it is done when the ticket holds a record
naming the rule (`rule: NAME`, or `skipped: NAME`) at or after the episode's start. That is read
from the records, so it survives git merges and runs on other machines.
"""

from __future__ import annotations

from supportctl.automation.view import View
from supportctl.config.views import TimeTrigger
from supportctl.tickets.events import status_change

RULE_PREFIX = "rule: "
# A message rule that a later one superseded in the same run (a late run finds "bump" and "solve"
# both due: the customer gets the last message only); recorded, so it stays done for the episode.
SKIPPED_PREFIX = "skipped: "


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
    lines = (RULE_PREFIX + rule, SKIPPED_PREFIX + rule)
    for kind, _, _, _, _, body, ts in reversed(view.records):
        if ts < since:
            return False
        if kind == "event" and (lines[0] in body or lines[1] in body) and \
                any(line in lines for line in body.split("\n")):
            return True
    return False


def due(trigger: TimeTrigger, start: int, calendar) -> int:
    """When `after` has passed since `start`: calendar seconds, or working time in `calendar`."""
    assert trigger.after is not None
    if trigger.time == "business" and calendar is not None:
        return calendar.add_ts(start, trigger.after)
    return start + trigger.after
