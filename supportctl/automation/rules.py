"""Applying rules: event rules inside the command that raised the event, time rules at `automate run`.

Loops are bounded by construction: the changes a rule makes raise no new
events (a rule that sets the status does not fire `status_changed` rules),
each rule is considered once per ticket per event or run, in the order of
the config, and a time rule fires once per episode (timing.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from typing import Any

from supportctl.automation.assign import ACTIVE, Workload
from supportctl.automation.changes import field_changes, record_changes
from supportctl.automation.conditions import matches
from supportctl.automation.timing import anchor, due, fired_since
from supportctl.automation.view import View
from supportctl.base.datatypes import datatype
from supportctl.config.views import Assign, Rule, TimeTrigger
from supportctl.errors import SupportctlError
from supportctl.tickets.actions import SYSTEM
from supportctl.tickets.model import Change, Record, Ticket, message_body, new_record_id

# (template name, ticket, rule) -> the rendered text; raises SupportctlError when it does not render.
Render = Callable[[str, Ticket, Rule], str]


@datatype
class Fired:
    """One rule acting on one ticket: what it did (or would do), or why it could not."""

    ticket: str
    rule: str
    at: datetime
    actions: list[str] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "rule": self.rule, "at": self.at.isoformat(), "actions": self.actions,
                "error": self.error}


def event_rules(config, event: str) -> list[Rule]:
    return [r for r in config.automations if r.enabled and r.when == event]


def time_rules(config) -> list[Rule]:
    return [r for r in config.automations if r.enabled and isinstance(r.when, TimeTrigger)]


def apply_rule(rule: Rule, ticket: Ticket, config, *, at: datetime, workload: Workload | None,
               render: Render, skipped: list[str] | None = None) -> Fired:
    """Make the rule's changes on `ticket` (in memory): one system event naming the rule, then its note and reply.

    All or nothing: a template that does not render, or a status the
    lifecycle does not allow, leaves the ticket as it was and says why.
    """
    fired = Fired(ticket.id, rule.name, at)
    do = rule.do
    try:
        changes = do.fields()
        if isinstance(do.assign, Assign):
            picked = workload.pick(do.assign.how, do.assign.group, rule.name) if workload else None
            if picked is None:
                raise SupportctlError(f"no agent of group {do.assign.group} is available (all away, or none)")
            changes = changes.model_copy(update={"assignee": picked})
        lines, updates = field_changes(ticket, config, changes)
        texts = [(kind, render(name, ticket, rule)) for kind, name in (("note", do.note), ("reply", do.reply)) if name]
    except SupportctlError as exc:
        fired.error = str(exc)
        return fired
    if not lines and not texts:
        return fired   # nothing to change: the ticket already is as the rule wants it
    records = [Record("note" if kind == "note" else "message", new_record_id(), at, SYSTEM, "system",
                      message_body(text)) for kind, text in texts if message_body(text)]
    label = [Change("rule", new=rule.name, op="info")] + [Change("skipped", new=n, op="info") for n in skipped or []]
    label += [Change(r.kind if r.kind == "note" else "reply", new=r.id, op="info") for r in records]
    old_assignee = ticket.meta.get("assignee")
    record_changes(ticket, at=at, actor=SYSTEM, role="system", changes=lines, updates=updates, label=label)
    for record in records:
        ticket.add_record(record)
    fired.actions = [f"skipped {n} (superseded)" for n in skipped or []] + [c.render() for c in lines] + [f"{r.kind if r.kind == 'note' else 'reply'}: "
                                                   f"{do.note if r.kind == 'note' else do.reply}" for r in records]
    if workload is not None and "assignee" in updates:
        active = config.lifecycle.category(ticket.status) in ACTIVE
        workload.moved(rule.name, old_assignee, updates["assignee"], active, int(at.timestamp()))
    return fired


def run_event(config, ticket: Ticket, event: str, *, at: datetime, text: str, workload: Workload | None,
              render: Render) -> list[Fired]:
    """Every enabled rule for `event`, in order, each seeing what the earlier ones changed."""
    out = []
    for rule in event_rules(config, event):
        if not matches(rule.if_, ticket.meta, config, lambda: text):
            continue
        fired = apply_rule(rule, ticket, config, at=at, workload=workload, render=render)
        if fired.actions or fired.error:
            out.append(fired)
    return out


def due_at(rule: Rule, view: View, now: int, sla) -> tuple[int, int] | None:
    """(episode start, due instant) when the time rule is due at `now` and has not fired in this episode."""
    trigger = rule.when
    assert isinstance(trigger, TimeTrigger)
    if trigger.sla is not None:
        if not _may_run(trigger.sla, view, sla.config):
            return None
        result = view.sla if view.sla is not None else sla.try_evaluate(view.source, now)
        view.sla = result   # one evaluation per ticket and run, whatever the number of SLA rules
        if not hasattr(result, "clocks"):
            return None     # a ticket the engine cannot evaluate: `sla check` reports it
        best = None
        for name in (("first_response", "next_reply", "resolution") if trigger.sla == "any" else (trigger.sla,)):
            clock = result.clocks[name]
            if clock.state in ("running", "warning") and clock.due is not None and clock.started is not None:
                start = clock.due - (trigger.before or 0)
                if start <= now and (best is None or start < best[1]):
                    best = (clock.started, max(start, clock.started))
        if best is None or fired_since(view, rule.name, best[0]):
            return None
        return best
    start = anchor(trigger, view)
    if start is None:
        return None
    calendar = None
    if trigger.time == "business":
        calendar = sla.calendar(trigger.calendar) if trigger.calendar else _policy_calendar(sla, view)
    when = due(trigger, start, calendar)
    if when > now or fired_since(view, rule.name, start):
        return None
    return start, when


def _may_run(clock: str, view: View, config) -> bool:
    """Can this clock be running? Read from the timeline alone, so most tickets skip the SLA engine.

    Only active tickets (new, open, pending) count: a solved ticket's clocks
    wait for a reopen. next_reply runs only while a customer message waits
    for an agent's reply; first_response only until the first one.
    """
    if config.lifecycle.category(view.status) not in ("new", "open", "pending"):
        return False
    if clock in ("resolution", "any"):
        return True
    for kind, _, _, _, role, _, _ in reversed(view.records):
        if kind != "message":
            continue
        if role == "agent":
            return False
        if role == "customer" and clock == "next_reply":
            return True
    return clock == "first_response"


def _policy_calendar(sla, view: View):
    policy = sla.policy_for(view.source)
    return sla.calendar(policy.calendar) if policy is not None else None

