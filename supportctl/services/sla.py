"""SLA use cases: evaluate clocks, check the desk for CI, explain one ticket, escalate, and the queue."""

from __future__ import annotations

import time
from bisect import bisect_left
from dataclasses import field
from datetime import datetime
from typing import Any

from supportctl.base.datatypes import datatype
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


@datatype
class Evaluated:
    """Tickets evaluated at one instant, and the files that could not be read."""

    now: int
    results: list
    tickets: list = field(default_factory=list)   # beside the results, when asked for (or empty)
    problems: list[SupportctlError] = field(default_factory=list)


# Each ticket's SLA result as a plan (sla/plan.py), kept beside the index between runs, and
# the code whose change must drop them (besides PLAN_VERSION), as fingerprint.code_digest counts it:
# whole packages, so a module split out of another still counts (tests/cli/test_sla_plans.py).
PLANS_FILE = "sla-plans.marshal"
PLANS_CODE = ("sla", "config", "customers", "tickets", "services/sla.py")


@datatype(slots=True)
class Known:
    """A ticket as its carried SLA result knows it: enough to decide and apply its escalations."""

    path: str
    id: str
    fired: tuple[str, ...]    # escalations already recorded in the file


def _keeps(*, every: bool = False, active_only: bool = False):
    """Which status categories a command looks at: all, all but closed, or those still being worked."""
    if every:
        return lambda category: True
    if active_only:
        return lambda category: category in ACTIVE
    return lambda category: category != "closed"


def _desk(session: Session, eng, at: int, keep, *, with_tickets: bool = False) -> Evaluated:
    """Every ticket whose category `keep` accepts, evaluated at `at` (as it was then, for a replay);
    `with_tickets` for the tickets too (escalation needs them; a carried one is `Known`).

    A ticket whose file, config, customers and code are as they were at the
    last run is carried forward from the plan that run saved (sla/plan.py):
    two calendar lookups instead of reading its timeline and walking it. The
    others are read from the index and evaluated, and their plans saved. On a
    desk of 100,000 tickets where nothing changed, neither the index nor the
    timelines are loaded.
    """
    from supportctl.desk.store import gc_paused, keep_until_exit

    with gc_paused():   # a hundred thousand results: nothing here forms cycles
        out = _carried(session, eng, at, keep, with_tickets)
    keep_until_exit(out)   # alive to the end anyway: never freed one by one (the plans are, to spare memory)
    return out


def _carried(session: Session, eng, at: int, keep, with_tickets: bool) -> Evaluated:
    import marshal

    from supportctl.desk.store import RACY_NS, read_cache, write_cache
    from supportctl.services.fingerprint import engine_fingerprint
    from supportctl.sla.engine import HORIZON
    from supportctl.sla.plan import PLAN_VERSION, plan_of, plannable, results_at, usable

    store = session.tickets
    path = session.desk.cache_dir / PLANS_FILE
    fingerprint = engine_fingerprint(session, f"sla plans {PLAN_VERSION}", PLANS_CODE)
    # (token of the file keys, bounds, paths, entries' columns): see _plans_saved. Read while git
    # looks at the work tree.
    keys, kept = store.stat_keys_while(lambda: read_cache(path, fingerprint) if fingerprint else None)
    token, bounds, rels, columns = kept if _plans_shape(kept) else _plans_saved(None, {})
    if token is not None and token == getattr(keys, "token", None) and len(rels) == len(keys) and (
            bounds is None or (usable(bounds[0], bounds[1], at, HORIZON) and not any(map(keep, bounds[2])))):
        # Every key as when the plans were saved (desk/filekeys.py), and every plan usable at `at`:
        # no entry to look at one by one, no map by path to build (0.2 s at 100,000 tickets).
        return _carried_whole(rels, columns, at, eng, keep, with_tickets)
    cached = dict(zip(rels, zip(*columns)))   # rel -> (key, category, made at, history from, plan, fired)
    racy_before = time.time_ns() - RACY_NS
    get = cached.get
    misses = {rel for rel, (key, _) in keys.items()
              if (hit := get(rel)) is None or hit[0] != key or not usable(hit[2], hit[3], at, HORIZON)
              or (hit[4] is None and keep(hit[1]))}
    fresh: dict[str, tuple] = {}      # rel -> (ticket, result) of the files evaluated now
    problems: list = []
    # What the next run may carry; on an unchanged desk, what this run found.
    saved = cached if not misses and len(cached) == len(keys) else {
        rel: hit for rel, hit in cached.items() if rel in keys and rel not in misses}
    if misses:
        from supportctl.sla.escalation import fired_keys
        from supportctl.sla.results import SlaFailure
        from supportctl.tickets.replay import desk_at

        category = session.config.lifecycle.category
        escalating = {p.name for p in session.config.sla.policies if p.escalate}
        entries, problems = store.load_index(keys)
        for ticket in desk_at([e for e in entries if e.path in misses], at):
            rel = ticket.path
            key, mtime = keys[rel]
            # A file written in the last instants may change again within its mtime's tick;
            # a replayed view of a ticket (records after `at`) is not the file.
            lasting = mtime < racy_before and hasattr(ticket, "timeline") and (ticket.latest_ts or 0) <= at
            kind = category(ticket.status)
            if not keep(kind):
                if lasting:
                    saved[rel] = (key, kind, at, None, None, ())
                continue
            result = eng.try_evaluate(ticket, at)
            if isinstance(result, SlaFailure):
                problems.append(result)
                continue
            fresh[rel] = (ticket, result)
            if lasting and plannable(result, ticket.latest_ts):
                fired = tuple(sorted(fired_keys(ticket))) if result.policy in escalating else ()
                saved[rel] = (key, kind, at, result.history_from, marshal.dumps(plan_of(result)), fired)
    now_token = getattr(keys, "token", None)   # after load_index: a file changed while read has none
    if fingerprint and (misses or len(saved) != len(cached) or token != now_token):
        write_cache(path, fingerprint, _plans_saved(now_token, saved))
    if saved is cached:   # nothing changed (the usual case): the plans as read
        return _carried_whole(rels, columns, at, eng, keep, with_tickets)
    order = [rel for rel in sorted(keys) if rel in fresh or (rel not in misses and keep(cached[rel][1]))]
    # Each plan is decoded as its turn comes and freed once carried: never a desk's plans all at once.
    carried = iter(results_at(map(marshal.loads, [cached[rel][4] for rel in order if rel not in fresh]), at, eng))
    results, tickets = [], []
    for rel in order:
        got = fresh.get(rel)
        ticket, result = got if got is not None else (None, next(carried))
        results.append(result)
        if with_tickets:
            tickets.append(ticket or Known(rel, result.id, cached[rel][5]))
    return Evaluated(at, results, tickets, problems)


def _carried_whole(rels: list[str], columns: tuple, at: int, eng, keep, with_tickets: bool) -> Evaluated:
    """Every saved plan whose category `keep` accepts, carried to `at` in path order (`_plans_saved`'s columns)."""
    import marshal

    from supportctl.sla.plan import results_at

    _, kinds, _, _, plans, fired = columns
    order = [i for i, kind in enumerate(kinds) if keep(kind)]
    # Each plan is decoded as its turn comes and freed once carried: never a desk's plans all at once.
    results = results_at(map(marshal.loads, [plans[i] for i in order]), at, eng)
    return Evaluated(at, results, [Known(rels[i], r.id, fired[i]) for i, r in zip(order, results)]
                     if with_tickets else [])


def _plans_shape(kept) -> bool:
    """Whether what PLANS_FILE held has `_plans_saved`'s shape (anything else is evaluated afresh)."""
    return (type(kept) is tuple and len(kept) == 4 and type(kept[2]) is list and type(kept[3]) is tuple
            and len(kept[3]) == 6 and all(type(c) is list and len(c) == len(kept[2]) for c in kept[3])
            and (kept[1] is None or (type(kept[1]) is tuple and len(kept[1]) == 3)))


def _plans_saved(token, saved: dict[str, tuple]) -> tuple:
    """What is kept in PLANS_FILE: (token, bounds, paths, columns).

    The paths in order (as the results), and a column of each entry's (file
    key, category, made at, history from, the plan marshalled or None,
    escalations fired): columns of plain values load in half the time of a
    tuple per ticket. A ticket in a category the command that saved it leaves
    out has no plan. The token is that of the file keys the entries were saved
    under; bounds are what decides whether every plan is usable at once: (the
    latest made at, the earliest history from, the categories of entries
    without a plan), None with no entries.
    """
    rels = sorted(saved)
    if not rels:
        return token, None, rels, ([], [], [], [], [], [])
    columns = tuple(map(list, zip(*[saved[rel] for rel in rels])))
    _, kinds, made, froms, plans, _ = columns
    unplanned = list({kind for kind, plan in zip(kinds, plans) if plan is None})   # a category or None
    return token, (max(made), min((f for f in froms if f is not None), default=None), unplanned), rels, columns


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
    if not refs:
        return _desk(session, engine(session), at, _keeps(every=every))
    store = session.tickets
    tickets = [_named(session, store.get_indexed(ref), at) for ref in refs]
    return _evaluate(engine(session), tickets, at, [])


_AT_RISK = frozenset(("breached", "warning"))


def at_risk(results) -> list[tuple[Any, Any]]:
    """(ticket result, clock) for every live clock in warning or breach, most urgent first."""
    from supportctl.desk.store import gc_paused

    with gc_paused():
        return _at_risk(results)


def _at_risk(results) -> list[tuple[Any, Any]]:
    # `clock.live`, inlined: this runs for every clock of a large desk. Clocks in CLOCKS order. A ticket
    # whose worst state is neither has no clock to look at (a paused ticket, a running one).
    items = [(r, clock) for r in results if r.standing()[0] in _AT_RISK for clock in r.clocks.values()
             if clock.stopped is None and clock.state in _AT_RISK]
    items.sort(key=lambda rc: (rc[1].state != "breached", rc[1].due or 0, rc[0].id))
    return items


@datatype
class Checked:
    """What `sla check` found: evaluated tickets, clocks at risk, escalations applied and their commit."""

    evaluated: Evaluated
    items: list                   # (result, clock) as `at_risk` orders them: breached first
    escalations: list[dict] = field(default_factory=list)
    sha: str | None = None
    escalation_failures: list[SupportctlError] = field(default_factory=list)

    @property
    def breached(self) -> int:
        # The items come breached first (`at_risk`'s order): 85,000 of them at 100,000 tickets.
        return bisect_left(self.items, True, key=lambda rc: rc[1].state != "breached")

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
    evaluated = _desk(session, eng, at, _keeps(active_only=True), with_tickets=escalate)
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

    due = [t for t, r in zip(tickets, results)
           if pending_escalations(eng, t, now, r, done=t.fired if isinstance(t, Known) else None)]
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
    ticket = _named(session, session.tickets.get_indexed(ref), at)
    return ticket, run(engine(session), ticket, at), at


def queue(session: Session, *, assignee: str | None = None, group: list[str] | None = None,
          priority: list[str] | None = None, limit: int | None = None) -> Evaluated:
    """Open tickets, most urgent SLA deadline first."""
    from supportctl.sla.results import urgency_key
    from supportctl.tickets.query import assignee_is, check_values

    check_values(session.config, priority=priority or [], group=group or [])
    at = now_ts(session)
    out = _desk(session, engine(session), at, _keeps(active_only=True))
    if assignee is not None:
        out.results = [r for r in out.results if assignee_is({"assignee": r.assignee}, assignee)]
    if group:
        out.results = [r for r in out.results if r.group in group]
    if priority:
        out.results = [r for r in out.results if r.priority in priority]
    out.results.sort(key=urgency_key)
    if limit is not None:
        out.results = out.results[:limit]
    return out
