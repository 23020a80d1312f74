"""Escalation: the policies' `escalate` rules, applied once per key to an in-memory ticket.

Pure domain code: `escalate` edits a parsed Ticket as the `system` role and
returns what it did; locking, reading the file, saving and committing are the
caller's job (supportctl/services), and so is rendering notes (`render_note`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from datetime import datetime
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.tickets.events import escalation_keys
from supportctl.config.views import Config, EscalationRule
from supportctl.errors import SupportctlError, UsageError
from supportctl.sla.calendar import to_ts
from supportctl.sla.engine import SlaEngine
from supportctl.sla.results import CLOCKS, TicketSla, utc_text
from supportctl.sla.timeline import SlaTicket
from supportctl.tickets import actions
from supportctl.tickets.model import PRIORITIES, Record, Ticket, new_record_id
from supportctl.tickets.replay import latest_ts

ESCALATION_FIELD = "escalation"
# (template name, ticket, context) -> the note's text; the caller owns templates.
NoteRenderer = Callable[[str, Ticket, dict[str, Any]], str]


@datatype
class Escalation:
    """Rules of one policy that fire for one clock reaching one state (once per key)."""

    key: str                      # policy/clock/when, plus @cycle-start for next_reply
    policy: str
    clock: str
    when: str                     # warning | breached
    state: str                    # the clock's state now
    due: int | None
    rules: list[EscalationRule]
    changes: list[str] = field(default_factory=list)   # filled in when applied

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "policy": self.policy, "clock": self.clock, "when": self.when, "state": self.state,
                "due": utc_text(self.due), "changes": self.changes}


def fired_keys(ticket: SlaTicket) -> set[str]:
    """Escalations already recorded in the ticket (`escalation: KEY` lines of system events)."""
    keys: set[str] = set()
    for kind, _, _, body in ticket.history():
        if kind == "event":
            keys.update(escalation_keys(body, ESCALATION_FIELD))
    return keys


def pending_escalations(engine: SlaEngine, ticket: SlaTicket, now: datetime | int,
                        result: TicketSla | None = None, done: set[str] | frozenset[str] | tuple[str, ...] | None = None
                        ) -> list[Escalation]:
    """Escalations that fire for `ticket` at `now` and have not fired before.

    Only live clocks of tickets still being worked escalate: a clock that
    stopped late is history, not something to act on. A breach also fires the
    warning rules that have not fired yet (a missed warning is still owed).
    `done`: the ticket's `fired_keys`, when the caller has them.
    """
    now_ts = now if isinstance(now, int) else to_ts(now)
    result = result or engine.evaluate(ticket, now_ts)
    if not result.active or result.policy is None:
        return []
    policy = next(m.policy for m in engine.matchers if m.policy.name == result.policy)
    if not policy.escalate:
        return []
    if done is None:   # the keys already recorded, unless the caller kept them
        done = fired_keys(ticket)
    out = []
    for name in CLOCKS:
        clock = result.clocks[name]
        if not clock.live or clock.state not in ("warning", "breached"):
            continue
        levels = ["warning"] + (["breached"] if clock.state == "breached" else [])
        for when in levels:
            rules = [r for r in policy.escalate if r.when == when and r.clock in (name, "any")]
            if not rules:
                continue
            key = f"{policy.name}/{name}/{when}"
            if name == "next_reply":
                key += "@" + (utc_text(clock.started) or "")
            if key in done:
                continue
            out.append(Escalation(key, policy.name, name, when, clock.state, clock.due, rules))
    return out


def apply_escalation(ticket: Ticket, config: Config, escalation: Escalation, at: datetime,
                     render_note: NoteRenderer | None = None) -> Escalation:
    """Apply one escalation's rules to `ticket` as `system` and record its key in one event."""
    before = {r.id for r in ticket.records}
    actor = actions.SYSTEM
    notes: list[str] = []
    for rule in escalation.rules:
        steps: list[Callable[[], Any]] = []
        if rule.priority is not None:
            current = ticket.meta.get("priority")
            # Escalation raises priority; it never lowers it.
            if current not in PRIORITIES or PRIORITIES.index(rule.priority) > PRIORITIES.index(current):
                steps.append(lambda rule=rule: actions.set_priority(ticket, priority=rule.priority, actor=actor,
                                                                    at=at, role="system"))
        if rule.assignee is not None or rule.group is not None:
            steps.append(lambda rule=rule: actions.assign(ticket, config, agent=rule.assignee, group=rule.group,
                                                          actor=actor, at=at, role="system"))
        if rule.tag is not None:
            steps.append(lambda rule=rule: actions.tag(ticket, add=[rule.tag], remove=[], actor=actor, at=at,
                                                       role="system"))
        for step in steps:
            try:
                step()
            except SupportctlError as exc:
                if "nothing to change" not in (exc.hint or ""):
                    raise
        if rule.note is not None:
            if render_note is None:
                raise SupportctlError(f"escalation {escalation.key} needs the note template {rule.note!r} "
                                      "but no renderer was given")
            context = {"escalation": escalation.to_json(), "clock": escalation.clock, "state": escalation.state,
                       "when": escalation.when, "policy": escalation.policy, "due": utc_text(escalation.due)}
            notes.append(render_note(rule.note, ticket, context))
    # The field changes become one system event headed by the escalation key,
    # so the next run finds the key and does nothing.
    new_events = [r for r in ticket.records if r.id not in before and r.kind == "event"]
    lines = [f"{ESCALATION_FIELD}: {escalation.key}"]
    for record in new_events:
        lines.extend(line for line in record.body.split("\n") if line.strip())
        ticket.records.remove(record)
    escalation.changes = lines[1:]
    marker = Record("event", new_record_id(), at, actor, "system", "\n".join(lines))
    ticket.add_record(marker)
    for text in notes:
        actions.internal_note(ticket, actor=actor, at=at, text=text, role="system")
        escalation.changes.append("note: internal note added")
    if not new_events and not notes:
        current = ticket.meta.get("updated")
        if not isinstance(current, datetime) or at > current:
            ticket.set_fields({"updated": at})
    return escalation


def escalate(engine: SlaEngine, ticket: Ticket, now: datetime, render_note: NoteRenderer | None = None,
             *, max_rounds: int = 10) -> list[Escalation]:
    """Apply every due escalation to `ticket` (a full ticket, not a light one) until none is left.

    Raising the priority can move the ticket to another policy whose rules
    fire too; those are applied in the same run, so a second run at the same
    time finds nothing to do.
    """
    latest = latest_ts(ticket)
    if latest is not None and latest > to_ts(now):
        # Escalating writes records dated `now`: before a later record that would rewrite history.
        raise UsageError(f"ticket {ticket.id} has records after {utc_text(to_ts(now))}: an escalation cannot be "
                         "dated before them", hint="escalate at the present time (leave out --now)")
    applied: list[Escalation] = []
    for _ in range(max_rounds):
        due = pending_escalations(engine, ticket, now)
        if not due:
            break
        for escalation in due:
            applied.append(apply_escalation(ticket, engine.config, escalation, now, render_note))
    return applied
