"""Automation use cases: event rules inside the commands that raise events, time rules (`automate run`), macros."""

from __future__ import annotations

import contextlib
from dataclasses import field
from datetime import datetime
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError, UsageError
from supportctl.services.session import SYSTEM, SYSTEM_EMAIL, Session, agent_author


def renderer(session: Session):
    """Renders a rule's note or reply template for a ticket (the sandbox, the ticket's context, the rule's name)."""
    from supportctl import templating
    from supportctl.automation.context import template_context

    desk = session.desk

    def render(name: str, ticket, rule) -> str:
        return templating.render(desk.templates_dir, name, template_context(desk, ticket, None, rule=rule.name))

    return render


def workload(session: Session):
    """Agents' loads and round-robin positions, read from the index the first time a rule assigns."""
    from supportctl.automation.assign import Workload

    return Workload(session.config, lambda: session.tickets.load_index()[0])


def fire(session: Session, ticket, event: str, *, at: datetime, text: str = "", loads=None) -> list:
    """Run the event rules for `event` on `ticket` (in memory; the caller saves it in its own commit)."""
    from supportctl.automation.rules import event_rules, run_event

    config = session.config
    if not event_rules(config, event):
        return []
    return run_event(config, ticket, event, at=at, text=text, workload=loads or workload(session),
                     render=renderer(session))


def describe(fired: list) -> str:
    """Commit-message lines for the rules that acted: `- rule NAME: changes`."""
    lines = []
    for f in fired:
        what = "; ".join(f.actions) if not f.error else f"not applied: {f.error}"
        lines.append(f"- {f.ticket}: rule {f.rule}: {what}")
    return "\n".join(lines)


def with_rules(summary: str, fired: list) -> str:
    """A commit message: the command's summary, then what the rules did."""
    return summary + ("\n\n" + describe(fired) if fired else "")


# -------------------------------------------------------------- time rules


@datatype
class Run:
    """What `automate run` did (or, with --dry-run, would do), and its one commit."""

    now: datetime
    fired: list = field(default_factory=list)
    sha: str | None = None
    dry_run: bool = False
    problems: list[SupportctlError] = field(default_factory=list)

    @property
    def applied(self) -> list:
        return [f for f in self.fired if not f.error and f.actions]

    def to_json(self) -> dict[str, Any]:
        return {"now": self.now.isoformat(), "dry_run": self.dry_run, "commit": self.sha,
                "actions": [f.to_json() for f in self.fired]}


def run(session: Session, *, dry_run: bool = False, commit: bool = True) -> Run:
    """Apply every time rule (and the lifecycle's timed transitions) that is due; one commit for all."""
    from supportctl.automation.assign import Workload
    from supportctl.automation.rules import time_rules
    from supportctl.automation.schedule import Plan, run_ticket
    from supportctl.automation.view import from_entry
    from supportctl.services.sla import engine

    config, desk, store = session.config, session.desk, session.tickets
    todo = time_rules(config)
    timed = {name: s for name, s in config.lifecycle.states.items() if s.next_state}
    # A dry run takes no lock: it writes nothing, and may run beside a writer.
    with desk.lock() if not dry_run else contextlib.nullcontext():
        now = session.now()
        out = Run(now, dry_run=dry_run)
        entries, out.problems = store.load_index()
        plan = Plan(config, todo, timed, now, session.zone, engine(session) if todo else None,
                    Workload(config, lambda: entries), renderer(session))
        changed = []
        for entry in entries:
            if not entry.created_ts or entry.created_ts > plan.now_ts or not plan.may_act(entry.status):
                continue   # a ticket created after --now did not exist yet; closed is final
            try:
                ticket, fired = run_ticket(plan, from_entry(entry), lambda: store.read(entry.path))
            except SupportctlError as exc:   # one unreadable ticket or absurd date never stops the run
                out.problems.append(exc if exc.path else SupportctlError(exc.message, exc.hint, path=entry.path))
                continue
            out.fired.extend(fired)
            if ticket is not None:
                changed.append(ticket)
        if changed and not dry_run:
            applied = out.applied
            n = len(applied)
            message = (f"automate: {n} action{'s' if n != 1 else ''} on {len(changed)} "
                       f"ticket{'s' if len(changed) != 1 else ''}\n\n" + describe(applied))
            author = agent_author(desk, session.actor) if session.actor and session.actor != SYSTEM \
                else (SYSTEM, SYSTEM_EMAIL)
            out.sha = store.save(changed, message, author=author, commit=commit)
    return out


# ------------------------------------------------------------------ macros


@datatype
class Preview:
    """A template rendered for a ticket without writing anything: the text and the changes it would make."""

    name: str
    ticket: str
    text: str
    changes: list[str]
    problem: str | None = None     # why `ticket reply --template` would refuse this ticket


def templates(session: Session) -> list:
    """Every reply and note template with its description and `set:` block; a broken one is listed with its error."""
    from supportctl.automation.macros import Macro, load_macro
    from supportctl.templating import template_names

    folder = session.desk.templates_dir
    out = []
    for name in template_names(folder):
        if not name.startswith(("replies/", "notes/")):
            continue   # kb/ holds the article template, which `kb new` fills in (its front matter is an article's)
        try:
            out.append(load_macro(folder, name))
        except SupportctlError as exc:
            out.append(Macro(name, exc.path or name, f"(broken: {exc.message})", _empty(), ""))
    return out


def _empty():
    from supportctl.config.automation import FieldChanges

    return FieldChanges()


def template(session: Session, name: str):
    """One template: its file, description, `set:` block and source."""
    from supportctl.automation.macros import load_macro

    return load_macro(session.desk.templates_dir, name, session.config)


def render(session: Session, name: str, ref: str) -> Preview:
    """Render template NAME for ticket REF as a reply would, and list the changes its `set:` block would make."""
    from supportctl.automation.changes import field_changes
    from supportctl.automation.context import template_context
    from supportctl.automation.macros import load_macro, render_body

    desk = session.desk
    macro = load_macro(desk.templates_dir, name, session.config)
    ticket = session.tickets.get(ref)
    agent = session.actor
    text = render_body(desk.templates_dir, name, template_context(desk, ticket, agent))
    try:
        lines, _ = field_changes(ticket, session.config, macro.changes)
    except SupportctlError as exc:   # the preview still shows the text, and why replying with it would fail
        return Preview(name, ticket.id, text, [], problem=exc.message)
    return Preview(name, ticket.id, text, [c.render() for c in lines])


def macro_reply(session: Session, ticket, name: str, *, actor: str, at: datetime) -> tuple[str, Any]:
    """(the reply text, the macro) for `ticket reply --template`: rendered first, so a failure changes nothing."""
    from supportctl.automation.context import template_context
    from supportctl.automation.macros import load_macro, render_body

    desk = session.desk
    macro = load_macro(desk.templates_dir, name, session.config)
    text = render_body(desk.templates_dir, name, template_context(desk, ticket, actor))
    return text, macro


def apply_set(session: Session, ticket, macro, *, actor: str, at: datetime, status: str | None = None) -> list[str]:
    """The macro's `set:` block on `ticket` as one event by the agent naming the macro; returns the change lines.

    `status` (an explicit `--status`) wins over the block's own status.
    """
    from supportctl.automation.changes import field_changes, record_changes
    from supportctl.tickets.model import Change

    changes = macro.changes
    if status is not None:
        changes = changes.model_copy(update={"status": None})
    lines, updates = field_changes(ticket, session.config, changes)
    if lines:
        record_changes(ticket, at=at, actor=actor, role="agent", changes=lines, updates=updates,
                       label=[Change("macro", new=macro.name, op="info")])
    return [c.render() for c in lines]


@datatype
class Applied:
    """`ticket apply --macro`: each ticket's reply and changes, one commit for all."""

    macro: str
    tickets: list[dict] = field(default_factory=list)
    sha: str | None = None


def apply_macro(session: Session, refs: list[str], name: str, *, commit: bool = True) -> Applied:
    """Reply to each ticket with the macro's text and apply its `set:` block: all tickets or none, one commit."""
    from supportctl.tickets import actions

    if not refs:
        raise UsageError("no tickets given", hint="name one or more ticket ids")
    actor, author = session.agent(), session.author()
    out = Applied(name)
    with session.desk.lock():
        when = session.now()
        done = []
        for ref in dict.fromkeys(refs):
            ticket = session.tickets.get(ref)
            if any(t.id == ticket.id for t in done):
                continue
            text, macro = macro_reply(session, ticket, name, actor=actor, at=when)
            outcome = actions.agent_reply(ticket, session.config, actor=actor, at=when, text=text,
                                          status=macro.changes.status)
            lines = apply_set(session, ticket, macro, actor=actor, at=when, status=macro.changes.status)
            fired = fire(session, ticket, "agent_reply", at=when, text=text)
            done.append(ticket)
            out.tickets.append({"id": ticket.id, "summary": outcome.summary, "changes": lines,
                                "rules": [f.to_json() for f in fired]})
        n = len(done)
        message = f"macro {name}: {n} ticket{'s' if n != 1 else ''} by {actor}\n\n" + "\n".join(
            f"- {t['id']}: {', '.join(t['changes']) or 'reply'}" for t in out.tickets)
        out.sha = session.tickets.save(done, message, author=author, commit=commit)
    return out


# ------------------------------------------------------------------- check


def check(session: Session) -> list[SupportctlError]:
    """What `check` finds in rules and macros: templates that do not exist, do not render, or set what is not defined.

    Each template is rendered against a sample ticket, so a typo in a
    variable is caught in the pull request, not in the scheduled run.
    """
    from supportctl import templating
    from supportctl.automation.context import template_context

    config, desk = session.config, session.desk
    folder = desk.templates_dir
    used = [(i, rule, kind, getattr(rule.do, kind)) for i, rule in enumerate(config.automations)
            for kind in ("note", "reply") if getattr(rule.do, kind)]
    replies = [name for name in templating.template_names(folder) if name.startswith("replies/")]
    if not used and not replies:
        return []   # nothing to render: no sample ticket, and no pydantic for the macro fields
    from supportctl.automation.macros import load_macro

    out: list[SupportctlError] = []
    sample = sample_ticket(session)
    for i, rule, kind, name in used:
        try:
            load_macro(folder, name)
            templating.render(folder, name, template_context(desk, sample, None, rule=rule.name))
        except SupportctlError as exc:
            where = f"{exc.path}:{exc.line}: " if exc.path and exc.line else ""
            out.append(SupportctlError(f"automations[{i}] ({rule.name}): {kind} {name}: {where}{exc.message}",
                                       path="supportctl.yml", hint=exc.hint))
    for name in replies:
        try:
            load_macro(folder, name, config)
            templating.render(folder, name, template_context(desk, sample, next(iter(config.agent_map()), None)))
        except SupportctlError as exc:
            out.append(exc)
    return out


def sample_ticket(session: Session):
    """A ticket with every common field set, for rendering templates in `check`."""
    from supportctl.tickets.actions import create_ticket

    config = session.config
    ticket = create_ticket(config, ticket_id="SAMPLE", path="tickets/SAMPLE.md", title="Sample ticket for check",
                           requester="Dana Sample <dana@example.com>", actor=SYSTEM, at=session.now(),
                           body="A sample message.", type_=config.ticket_types[0] if config.ticket_types else None,
                           group=next(iter(config.groups), None), assignee=next(iter(config.agent_map()), None))
    return ticket
