"""One ticket at `automate run`: which time rules are due, applied in order, then the lifecycle's timed transition.

Pure but for two callbacks the service passes in: `read()` (the full ticket
file, asked for only when a rule acts or looks at message text) and
`render` (templates). The service locks, loads the index, calls this for
each ticket, and saves what changed in one commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from typing import Any

from supportctl.automation.conditions import failing
from supportctl.automation.rules import Fired, Render, apply_rule, due_at
from supportctl.automation.timing import anchor
from supportctl.automation.view import View, from_ticket
from supportctl.base.datatypes import datatype
from supportctl.config.views import Rule, TimeTrigger


@datatype
class Plan:
    """What a run needs beyond the ticket: rules, the lifecycle's timed states, the instant, helpers."""

    config: Any
    rules: list[Rule]
    timed: dict[str, Any]          # state name -> StateConfig with next_state/after
    now: datetime
    zone: Any
    sla: Any                       # the SLA engine (calendars and clocks)
    workload: Any
    render: Render
    now_ts: int = field(init=False)

    def __post_init__(self) -> None:
        self.now_ts = int(self.now.timestamp())

    def may_act(self, status: str) -> bool:
        """A first look at the index entry: could any rule, or a timed transition, concern this status?"""
        if self.config.lifecycle.category(status) == "closed":
            return False
        return status in self.timed or any(_may_apply(rule, status) for rule in self.rules)


def run_ticket(plan: Plan, view: View, read: Callable[[], Any]) -> tuple[Any, list[Fired]]:
    """(the changed Ticket or None, what acted) for one ticket."""
    from supportctl.base.timeutil import format_duration
    from supportctl.tickets.actions import apply_due_transition

    config, now_ts, zone = plan.config, plan.now_ts, plan.zone
    ticket = None

    def full():
        nonlocal ticket
        if ticket is None:
            ticket = read()
        return ticket

    out: list[Fired] = []
    changed = False
    # Rules in order, each judged on the ticket as the earlier ones left it. A message rule that
    # a later message rule supersedes (both due at once: a late run) is recorded as skipped.
    superseded: list[str] = []
    for i, rule in enumerate(plan.rules):
        hit = _due(plan, rule, view, full)
        if hit is None:
            continue
        if view.last_ts > now_ts:
            return None, []   # a run never writes before a later record (a replay with an old --now)
        if rule.do.reply and any(later.do.reply and _due(plan, later, view, full) for later in plan.rules[i + 1:]):
            superseded.append(rule.name)
            continue
        t = full()
        last = max((int(r.at.timestamp()) for r in t.records), default=hit[1])
        at = datetime.fromtimestamp(min(max(hit[1], last), now_ts), zone)
        fired = apply_rule(rule, t, config, at=at, workload=plan.workload, render=plan.render,
                           skipped=superseded if rule.do.reply else None)
        if rule.do.reply:
            superseded = []
        if fired.actions or fired.error:
            out.append(fired)
        if fired.actions:
            changed = True
            view = from_ticket(t)
    # The lifecycle's timed transition (what `ticket sweep` does) comes after the rules, so a late
    # run still sends what fell due before it, e.g. a check-in two days after solving.
    state = plan.timed.get(view.status)
    if state is not None and view.last_ts <= now_ts:
        from supportctl.config.automation import TimeTrigger as Trigger   # the model: a view has no defaults

        entered = anchor(Trigger(status=view.status, after=state.after), view)
        if entered is not None and entered + state.after <= now_ts:
            t = full()
            old = t.status
            if apply_due_transition(t, config, plan.now) is not None:
                out.append(Fired(t.id, "lifecycle", datetime.fromtimestamp(entered + state.after, zone),
                                 [f"status: {old} -> {state.next_state} ({format_duration(state.after)} in {old})"]))
                changed = True
    return (ticket if changed else None), out


def _due(plan: Plan, rule: Rule, view: View, full) -> tuple[int, int] | None:
    """(episode start, due instant) when the rule applies to the ticket now and has not fired in this episode."""
    status = view.meta.get("status")
    if not _may_apply(rule, status) or plan.config.lifecycle.category(status) == "closed":
        return None
    if failing(rule.if_, view.meta, plan.config, lambda: latest_customer_text(full())) is not None:
        return None
    return due_at(rule, view, plan.now_ts, plan.sla)


def _may_apply(rule: Rule, status: Any) -> bool:
    """A cheap first look: a trigger tied to a state skips tickets in any other state."""
    trigger = rule.when
    return isinstance(trigger, TimeTrigger) and (trigger.status is None or trigger.status == status)


def latest_customer_text(ticket) -> str:
    """The text `if: {text: ...}` reads in a time rule: the latest customer message."""
    for record in reversed(ticket.records):
        if record.kind == "message" and record.role == "customer":
            return record.body
    return ""
