"""SLA use cases: evaluate clocks, check the desk for CI, explain one ticket, escalate, and the queue."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from supportctl.errors import NotFound, SupportctlError
from supportctl.services.session import SYSTEM, SYSTEM_EMAIL, Session, agent_author

ACTIVE = ("new", "open", "pending")


def engine(session: Session):
    """The SLA engine for this desk, with public holidays cached beside the index."""
    from supportctl.sla.engine import SlaEngine
    from supportctl.sla.holidays import cached_holidays

    return SlaEngine(session.config, holidays=cached_holidays(session.desk.cache_dir))


def now_ts(session: Session) -> int:
    """The evaluation time as POSIX seconds."""
    from supportctl.sla.calendar import to_ts

    return to_ts(session.now())


@dataclass
class Evaluated:
    """Tickets evaluated at one instant, and the files that could not be read."""

    now: int
    results: list
    tickets: list = field(default_factory=list)
    problems: list[SupportctlError] = field(default_factory=list)


def _load(session: Session, at: int, refs: list[str] | None = None, *, every: bool = False,
          active_only: bool = False):
    """Tickets to evaluate as they were at `at`: the named ones (parsed), or index entries for all but
    closed (every: all; active_only: new/open/pending); the engine reads either.

    A replay (`--now` in the past) leaves out tickets created after it and
    filters on each ticket's status then, not today's.
    """
    from supportctl.tickets.replay import desk_at

    store = session.tickets
    if refs:
        return [_named(session, store.read(store.resolve(ref)), at) for ref in refs], []
    entries, problems = store.load_index()
    entries = desk_at(entries, at)
    category = session.config.lifecycle.category
    if active_only:
        keep = [e for e in entries if category(e.status) in ACTIVE]
    elif every:
        keep = entries
    else:
        keep = [e for e in entries if category(e.status) != "closed"]
    return keep, problems


def _named(session: Session, ticket, at: int):
    """A ticket named on the command line, as it was at `at`; an error when it did not exist yet."""
    from supportctl.tickets.replay import as_of

    then = as_of(ticket, at)
    if then is None:
        zone = session.zone
        created = datetime.fromtimestamp(int(ticket.created_ts), zone).isoformat()
        raise NotFound(f"ticket {ticket.id} did not exist yet at {datetime.fromtimestamp(at, zone).isoformat()}",
                       hint=f"it was created {created}; pass a later --now")
    return then


def _evaluate(eng, tickets, at: int, problems: list) -> Evaluated:
    """Evaluate every ticket the engine can; each one it cannot joins the problems (reported, skipped)."""
    evaluated, failures = eng.evaluate_many(tickets, at)
    return Evaluated(at, [r for _, r in evaluated], [t for t, _ in evaluated], [*problems, *failures])


def status(session: Session, refs: list[str] | None = None, *, every: bool = False) -> Evaluated:
    """Each ticket's clocks at the session's time (named tickets, or all but closed)."""
    at = now_ts(session)
    tickets, problems = _load(session, at, refs, every=every)
    return _evaluate(engine(session), tickets, at, problems)


def at_risk(results) -> list[tuple[Any, Any]]:
    """(ticket result, clock) for every live clock in warning or breach, most urgent first."""
    from supportctl.sla.results import CLOCKS

    items = []
    for r in results:
        for name in CLOCKS:
            clock = r.clocks[name]
            if clock.live and clock.state in ("breached", "warning"):
                items.append((r, clock))
    items.sort(key=lambda rc: (rc[1].state != "breached", rc[1].due or 0, rc[0].id))
    return items


@dataclass
class Checked:
    """What `sla check` found: evaluated tickets, clocks at risk, escalations applied and their commit."""

    evaluated: Evaluated
    items: list
    escalations: list[dict] = field(default_factory=list)
    sha: str | None = None
    escalation_failures: list[SupportctlError] = field(default_factory=list)

    @property
    def breached(self) -> int:
        return sum(1 for _, c in self.items if c.state == "breached")

    def failed(self, fail_on: str) -> bool:
        """Whether CI should go red: SLA findings as `fail_on` says, and always a ticket that could not be
        checked (a file that cannot be read, an escalation that could not be applied): it is invisible."""
        if self.evaluated.problems or self.escalation_failures:
            return True
        return (fail_on == "breach" and self.breached > 0) or (fail_on == "warning" and bool(self.items))


def check(session: Session, *, escalate: bool = False, commit: bool = True) -> Checked:
    """Open tickets whose SLA is breached or at risk; with `escalate`, apply due escalation rules first."""
    eng = engine(session)
    at = now_ts(session)
    tickets, problems = _load(session, at, active_only=True)
    evaluated = _evaluate(eng, tickets, at, problems)
    out = Checked(evaluated, [])
    if escalate:
        out.escalations, out.sha, changed, out.escalation_failures = _escalate(
            session, eng, evaluated.tickets, evaluated.results, evaluated.now, commit)
        if changed:
            by_id = {r.id: i for i, r in enumerate(evaluated.results)}
            for ticket in changed:
                evaluated.results[by_id[ticket.id]] = eng.evaluate(ticket, evaluated.now)
    out.items = at_risk(evaluated.results)
    return out


def _escalate(session: Session, eng, tickets, results, now: int, commit: bool):
    """Apply due escalations under the desk lock; one commit for all of them."""
    from supportctl import templating
    from supportctl.sla.escalation import escalate, pending_escalations

    due = [t for t, r in zip(tickets, results) if pending_escalations(eng, t, now, r)]
    if not due:
        return [], None, [], []
    desk = session.desk
    # Escalations are the desk's own doing (role system, actor supportctl); the
    # commit is authored by the agent when one was named, else by supportctl
    # itself, so a scheduled CI sweep needs no agent identity.
    if session.actor and session.actor != SYSTEM:
        author = agent_author(desk, session.actor)
    else:
        author = (SYSTEM, SYSTEM_EMAIL)
    zone = session.zone
    when = datetime.fromtimestamp(now, zone)

    def render_note(name: str, ticket, context: dict[str, Any]) -> str:
        due_local = (datetime.fromisoformat(context["due"]).astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
                     if context["due"] else "-")
        full = {**templating.ticket_context(desk, ticket, None), **context, "due_local": due_local}
        return templating.render(desk.templates_dir, name, full)

    applied: list[dict] = []
    changed = []
    failures: list[SupportctlError] = []
    with desk.lock():
        for light in due:
            # One ticket's failure (a missing note template) leaves that ticket as it was, to be
            # escalated by a later run, and never stops the escalations of the others.
            try:
                ticket = session.tickets.read(light.path)   # the full file: escalation rewrites it
                done = escalate(eng, ticket, when, render_note)
            except SupportctlError as exc:
                failures.append(SupportctlError(f"ticket {light.id}: escalation not applied: {exc}",
                                                hint=exc.hint, path=light.path))
                continue
            if done:
                changed.append(ticket)
                applied.extend({"id": ticket.id, **e.to_json()} for e in done)
        if not changed:
            return [], None, [], failures
        keys = "\n".join(f"- {a['id']}: {a['key']}" for a in applied)
        n = len(changed)
        message = f"sla: escalate {n} ticket{'s' if n != 1 else ''}\n\n{keys}"
        sha = session.tickets.save(changed, message, author=author, commit=commit)
    return applied, sha, changed, failures


def explain(session: Session, ref: str):
    """(ticket, explanation, evaluation time) of one ticket's SLA timeline."""
    from supportctl.sla.explain import explain as run

    at = now_ts(session)
    ticket = _named(session, session.tickets.get(ref), at)
    return ticket, run(engine(session), ticket, at), at


def queue(session: Session, *, assignee: str | None = None, group: list[str] | None = None,
          priority: list[str] | None = None, limit: int | None = None) -> Evaluated:
    """Open tickets, most urgent SLA deadline first."""
    from supportctl.sla.results import urgency_key
    from supportctl.tickets.query import assignee_is, check_values

    check_values(session.config, priority=priority or [], group=group or [])
    at = now_ts(session)
    tickets, problems = _load(session, at, active_only=True)
    if assignee is not None:
        tickets = [t for t in tickets if assignee_is(t.meta, assignee)]
    if group:
        tickets = [t for t in tickets if t.meta.get("group") in group]
    if priority:
        tickets = [t for t in tickets if t.meta.get("priority") in priority]
    out = _evaluate(engine(session), tickets, at, problems)
    out.results.sort(key=urgency_key)
    if limit is not None:
        out.results = out.results[:limit]
    return out
