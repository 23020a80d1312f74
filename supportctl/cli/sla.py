"""`supportctl sla` (status, check, explain) and `supportctl queue`: the SLA engine on the command line."""

from __future__ import annotations

import functools
from typing import Any, Optional

import typer

from supportctl.cli.common import (AS_OPTION, JSON_OPTION, NO_COMMIT_OPTION, clip, clock_now, desk, emit_json,
                                   info, style, table, tickets_of, warn)
from supportctl.errors import UsageError

app = typer.Typer(no_args_is_help=True, help="SLA clocks: status, check (CI), explain.")

NOW_OPTION = typer.Option(None, "--now", help="Evaluate at this time (ISO 8601 with offset); default "
                                              "SUPPORTCTL_NOW, then the clock.")
STATE_STYLE: dict[str, dict[str, Any]] = {
    "breached": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow", "bold": True},
    "running": {"fg": "green"},
    "paused": {"fg": "blue"},
    "met": {"fg": "green", "dim": True},
    "none": {"dim": True},
}
STATE_MARK = {"breached": "🔴", "warning": "🟡", "running": "🟢", "paused": "⏸️", "met": "✅", "none": "·"}
ACTIVE = ("new", "open", "pending")


# ----------------------------------------------------------------- helpers


def _load(d, refs: list[str] | None = None, *, every: bool = False, active_only: bool = False):
    """Tickets to evaluate: the named ones (parsed), or index entries for all but closed
    (every: all; active_only: new/open/pending); the engine reads either."""
    if refs:
        return [tickets_of(d).read(tickets_of(d).resolve(ref)) for ref in refs]
    entries, problems = tickets_of(d).load_index()
    for problem in problems:
        warn(str(problem) + (f" (hint: {problem.hint})" if problem.hint else ""))
    category = d.config.lifecycle.category
    if active_only:
        keep = [e for e in entries if category(e.status) in ACTIVE]
    elif every:
        keep = entries
    else:
        keep = [e for e in entries if category(e.status) != "closed"]
    return keep


def _engine(d):
    from supportctl.sla.holidays import cached_holidays
    from supportctl.sla.engine import SlaEngine

    return SlaEngine(d.config, holidays=cached_holidays(d.cache_dir))


def _zone(d):
    from zoneinfo import ZoneInfo

    return ZoneInfo(d.config.desk.timezone)


@functools.lru_cache(maxsize=4096)
def _when(ts: int | None, zone) -> str:
    """An instant for people, in the desk's time zone (memoised: deadlines repeat at closing times)."""
    if ts is None:
        return "-"
    from datetime import datetime

    return datetime.fromtimestamp(ts, zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _span(start: int, end: int, zone) -> str:
    """`Mon 2026-03-02 09:00 → 12:45 CET`, the end's date only when it differs."""
    from datetime import datetime

    a, b = datetime.fromtimestamp(start, zone), datetime.fromtimestamp(end, zone)
    if a.date() == b.date():
        return f"{a:%a %Y-%m-%d %H:%M} → {b:%H:%M %Z}"
    return f"{a:%a %Y-%m-%d %H:%M %Z} → {b:%a %Y-%m-%d %H:%M %Z}"


def _left(clock) -> str:
    """Working time left, or overdue, for people."""
    from supportctl.base.timeutil import format_duration

    earlier = f" ({clock.breached_cycles} earlier late)" if clock.breached_cycles else ""
    if clock.state == "none":
        return "-"
    if clock.state == "met":
        return "met" + earlier
    remaining = clock.remaining
    if clock.state == "breached":
        over = -remaining if remaining is not None and remaining < 0 else 0
        return (f"{format_duration(over)} overdue" if over else "overdue") + earlier
    return f"{format_duration(remaining or 0)} left" + earlier


def _now(d, now: str | None) -> int:
    from supportctl.sla.calendar import to_ts

    return to_ts(clock_now(d, now))


# ------------------------------------------------------------------ status


@app.command("status")
def status(
    refs: Optional[list[str]] = typer.Argument(None, metavar="[ID...]", help="Tickets (default: all but closed)."),
    now: Optional[str] = NOW_OPTION,
    all_: bool = typer.Option(False, "--all", help="Include closed tickets."),
    json_: bool = JSON_OPTION,
) -> None:
    """Show each ticket's SLA clocks: state, due, time left and the policy."""
    from supportctl.sla.engine import CLOCKS

    d = desk()
    now_ts = _now(d, now)
    engine = _engine(d)
    results = [engine.evaluate(t, now_ts) for t in _load(d, refs, every=all_)]
    if json_:
        emit_json([r.to_json() for r in results])
        return
    if not results:
        info("no tickets")
        return
    zone = _zone(d)
    rows, styles = [], []
    for r in results:
        for n, name in enumerate(CLOCKS):
            clock = r.clocks[name]
            rows.append([r.id if n == 0 else "", name, clock.state, _when(clock.due, zone), _left(clock),
                         (r.policy or "(no policy)") if n == 0 else ""])
            styles.append({2: STATE_STYLE.get(clock.state, {})})
    typer.echo(table(rows, ["ID", "CLOCK", "STATE", "DUE", "LEFT", "POLICY"], styles=styles))
    info(f"{len(results)} ticket{'s' if len(results) != 1 else ''} at {_when(now_ts, zone)}; "
         "time left is working time")


# ------------------------------------------------------------------- check


def _at_risk(results) -> list[tuple[Any, Any]]:
    """(ticket result, clock) for every live clock in warning or breach, most urgent first."""
    from supportctl.sla.engine import CLOCKS

    items = []
    for r in results:
        for name in CLOCKS:
            clock = r.clocks[name]
            if clock.live and clock.state in ("breached", "warning"):
                items.append((r, clock))
    items.sort(key=lambda rc: (rc[1].state != "breached", rc[1].due or 0, rc[0].id))
    return items


def _item_json(r, clock) -> dict[str, Any]:
    from supportctl.sla.engine import utc_text

    return {"id": r.id, "title": r.title, "status": r.status, "priority": r.priority, "assignee": r.assignee,
            "group": r.group, "policy": r.policy, "clock": clock.name, "state": clock.state,
            "due": utc_text(clock.due), "remaining_seconds": clock.remaining}


def _markdown(items, checked: int, now_ts: int, zone, escalations: list[dict]) -> str:
    breached = sum(1 for _, c in items if c.state == "breached")
    warning = len(items) - breached
    lines = [f"## SLA check · {_when(now_ts, zone)}", ""]
    if not items:
        lines.append(f"✅ No SLA breaches or warnings across {checked} open ticket{'s' if checked != 1 else ''}.")
    else:
        lines.append(f"**{breached} breached, {warning} at risk** across {checked} open "
                     f"ticket{'s' if checked != 1 else ''}. Time left is working time.")
        lines += ["", "| Ticket | Title | Clock | State | Due | Left | Assignee | Policy |",
                  "|---|---|---|---|---|---|---|---|"]
        for r, clock in items:
            title = clip(r.title, 60).replace("|", "\\|")
            lines.append(f"| `{r.id}` | {title} | {clock.name} | {STATE_MARK[clock.state]} {clock.state} | "
                         f"{_when(clock.due, zone)} | {_left(clock)} | {r.assignee or '-'} | {r.policy} |")
    if escalations:
        lines += ["", f"**Escalations applied ({len(escalations)})**", ""]
        for e in escalations:
            changes = "; ".join(e["changes"]) or "nothing left to change"
            lines.append(f"- `{e['id']}` {e['key']}: {changes}")
    return "\n".join(lines) + "\n"


@app.command("check")
def check(
    now: Optional[str] = NOW_OPTION,
    json_: bool = JSON_OPTION,
    format_: Optional[str] = typer.Option(None, "--format", help="table (default), markdown (PR comment, CI "
                                                                 "job summary) or json."),
    fail_on: str = typer.Option("breach", "--fail-on", help="Exit 1 on: breach (default), warning (or breach), "
                                                            "never."),
    escalate: bool = typer.Option(False, "--escalate", help="Apply the policies' escalation rules and commit."),
    as_: Optional[str] = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """List open tickets whose SLA is breached or at risk; exit 1 when --fail-on holds."""
    fmt = format_ or ("json" if json_ else "table")
    if fmt not in ("table", "markdown", "json"):
        raise UsageError(f"unknown format {fmt!r}", hint="use table, markdown or json")
    if json_ and format_ not in (None, "json"):
        raise UsageError("--json and --format disagree", hint="pass one of them")
    if fail_on not in ("breach", "warning", "never"):
        raise UsageError(f"unknown --fail-on {fail_on!r}", hint="use breach, warning or never")
    d = desk()
    now_ts = _now(d, now)
    engine = _engine(d)
    tickets = _load(d, active_only=True)
    results = [engine.evaluate(t, now_ts) for t in tickets]
    applied: list[dict] = []
    sha = None
    if escalate:
        applied, sha, changed = _escalate(d, engine, tickets, results, now_ts, as_, no_commit)
        if changed:
            by_id = {r.id: i for i, r in enumerate(results)}
            for ticket in changed:
                results[by_id[ticket.id]] = engine.evaluate(ticket, now_ts)
    items = _at_risk(results)
    breached = sum(1 for _, c in items if c.state == "breached")
    failed = (fail_on == "breach" and breached > 0) or (fail_on == "warning" and bool(items))
    zone = _zone(d)
    if fmt == "json":
        from supportctl.sla.engine import utc_text

        emit_json({"now": utc_text(now_ts), "checked": len(results), "fail_on": fail_on, "failed": failed,
                   "counts": {"breached": breached, "warning": len(items) - breached},
                   "items": [_item_json(r, c) for r, c in items], "escalations": applied, "commit": sha})
    elif fmt == "markdown":
        text = _markdown(items, len(results), now_ts, zone, applied)
        typer.echo(text if text.endswith("\n") else text + "\n", nl=False)
    else:
        if items:
            rows = [[r.id, c.name, c.state, _when(c.due, zone), _left(c), r.assignee or "-", r.policy or "-",
                     clip(r.title, 50)] for r, c in items]
            styles = [{2: STATE_STYLE[c.state]} for _, c in items]
            typer.echo(table(rows, ["ID", "CLOCK", "STATE", "DUE", "LEFT", "ASSIGNEE", "POLICY", "TITLE"],
                             styles=styles))
        for e in applied:
            info(f"{e['id']}: escalated {e['key']}" + (f" ({'; '.join(e['changes'])})" if e["changes"] else ""))
        if escalate:
            info(f"{len(applied)} escalation{'s' if len(applied) != 1 else ''} applied"
                 + (f" (commit {sha})" if sha else " (not committed)" if applied and no_commit else ""))
        info(f"{breached} breached, {len(items) - breached} at risk, {len(results)} open tickets checked at "
             f"{_when(now_ts, zone)}")
    if failed:
        raise typer.Exit(1)


def _escalate(d, engine, tickets, results, now_ts: int, as_: str | None, no_commit: bool):
    """Apply due escalations under the desk lock; one commit for all of them."""
    from datetime import datetime

    from supportctl import templating as templates
    from supportctl.cli.common import actor_name, author_of
    from supportctl.sla.engine import escalate, pending_escalations

    due = [t for t, r in zip(tickets, results) if pending_escalations(engine, t, now_ts, r)]
    if not due:
        return [], None, []
    # Escalations are the desk's own doing (role system, actor supportctl); the
    # commit is authored by --as when given, else by supportctl itself, so a
    # scheduled CI sweep needs no agent identity.
    from supportctl.tickets.actions import SYSTEM

    if as_ and as_ != SYSTEM:
        author = author_of(d, actor_name(d, as_))
    else:   # `--as supportctl` (the scaffolded CI sweep) or nobody: the desk itself
        author = (SYSTEM, f"{SYSTEM}@users.noreply.supportctl")
    zone = _zone(d)
    when = datetime.fromtimestamp(now_ts, zone)

    def render(name: str, ticket, context: dict[str, Any]) -> str:
        local_due = _when(int(datetime.fromisoformat(context["due"]).timestamp()), zone) if context["due"] else "-"
        full = {**templates.ticket_context(d, ticket, None), **context, "due_local": local_due}
        return templates.render(d.templates_dir, name, full)

    applied: list[dict] = []
    changed = []
    with d.lock():
        for light in due:
            ticket = tickets_of(d).read(light.path)   # the full file: escalation rewrites it
            done = escalate(engine, ticket, when, render)
            if done:
                changed.append(ticket)
                applied.extend({"id": ticket.id, **e.to_json()} for e in done)
        if not changed:
            return [], None, []
        keys = "\n".join(f"- {a['id']}: {a['key']}" for a in applied)
        message = f"sla: escalate {len(changed)} ticket{'s' if len(changed) != 1 else ''}\n\n{keys}"
        sha = tickets_of(d).save(changed, message, author=author, commit=not no_commit)
    return applied, sha, changed


# ----------------------------------------------------------------- explain


@app.command("explain")
def explain_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    now: Optional[str] = NOW_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Explain one ticket's SLA timeline: what counted, what paused, and why it is due when it is."""
    from supportctl.sla.engine import explain
    from supportctl.base.timeutil import format_duration

    d = desk()
    now_ts = _now(d, now)
    ticket = tickets_of(d).get(ref)
    out = explain(_engine(d), ticket, now_ts)
    if json_:
        emit_json(out.to_json())
        return
    zone = _zone(d)
    r = out.result
    lines = [style(f"{r.id}  {ticket.title}", bold=True),
             f"status {r.status} · evaluated at {_when(now_ts, zone)}", ""]
    lines += [f"  {reason}" for reason in out.policy_reasons]
    if out.calendar:
        lines.append(f"  calendar {r.calendar}: {out.calendar}")
    if out.statuses:
        lines.append("")
        lines.append(style("Status history", bold=True))
        for ts, state in out.statuses:
            pause = " (pauses SLA)" if d.config.lifecycle.pauses(state) else ""
            lines.append(f"  {_when(ts, zone)}  {state}{pause}")
    for c in out.clocks:
        clock = c.clock
        lines.append("")
        lines.append(style(f"{clock.name}: {clock.state}", bold=True, **{k: v for k, v in
                                                                          STATE_STYLE[clock.state].items()
                                                                          if k != "bold"}))
        lines += [f"  {reason}" for reason in c.reasons]
        if c.segments:
            lines.append("  timeline:")
            for s in c.segments:
                span = _span(s.start, s.end, zone)
                if s.kind in ("counted", "projected"):
                    label = f"{'counts' if s.kind == 'counted' else 'will count'} {format_duration(s.seconds)}"
                elif s.kind == "paused":
                    label = f"paused ({s.why}) {format_duration(s.end - s.start)}"
                else:
                    label = f"closed ({s.why}) {format_duration(s.end - s.start)}"
                lines.append(f"    {span}  {label}")
    typer.echo("\n".join(lines))


# ------------------------------------------------------------------- queue


def queue(
    assignee: Optional[str] = typer.Option(None, "--assignee", "-a", help="Only this agent ('none' = unassigned)."),
    mine: bool = typer.Option(False, "--mine", help="Only tickets assigned to me (--as, SUPPORTCTL_AGENT, "
                                                    "git user.name)."),
    as_: Optional[str] = AS_OPTION,
    group: list[str] = typer.Option([], "--group", "-g", help="Only these groups."),
    priority: list[str] = typer.Option([], "--priority", "-p", help="Only these priorities."),
    now: Optional[str] = NOW_OPTION,
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Show at most N tickets."),
    json_: bool = JSON_OPTION,
) -> None:
    """The agent's queue: open tickets, most urgent SLA deadline first."""
    from supportctl.sla.engine import urgency_key, utc_text
    from supportctl.base.timeutil import format_duration

    d = desk()
    if mine and assignee:
        raise UsageError("--mine and --assignee both name the agent", hint="pass one of them")
    if mine:
        from supportctl.cli.common import actor_name

        assignee = actor_name(d, as_)
    now_ts = _now(d, now)
    engine = _engine(d)
    tickets = _load(d, active_only=True)
    if assignee is not None:
        wanted = None if assignee in ("none", "-") else assignee
        tickets = [t for t in tickets if t.meta.get("assignee") == wanted]
    if group:
        tickets = [t for t in tickets if t.meta.get("group") in group]
    if priority:
        tickets = [t for t in tickets if t.meta.get("priority") in priority]
    results = sorted((engine.evaluate(t, now_ts) for t in tickets), key=urgency_key)
    if limit is not None:
        results = results[:limit]
    if json_:
        out = []
        for r in results:
            clock = r.next_clock()
            out.append({"id": r.id, "title": r.title, "status": r.status, "priority": r.priority,
                        "assignee": r.assignee, "group": r.group, "policy": r.policy,
                        "created": utc_text(r.created), "age_seconds": now_ts - r.created if r.created else None,
                        "sla": {"state": r.worst(), "clock": clock.name if clock else None,
                                "due": utc_text(clock.due) if clock else None,
                                "remaining_seconds": clock.remaining if clock else None}})
        emit_json(out)
        return
    if not results:
        info("the queue is empty")
        return
    zone = _zone(d)
    rows, styles = [], []
    for r in results:
        clock = r.next_clock()
        state = r.worst()
        if clock is not None:
            due = f"{_when(clock.due, zone)} {clock.name}"
            left = _left(clock)
        else:
            due, left = ("paused" if state == "paused" else "-"), "-"
        age = format_duration(now_ts - r.created) if r.created else "-"
        rows.append([r.id, str(r.priority or "-"), r.status, r.assignee or "-", r.group or "-", state, due, left,
                     age, clip(r.title, 50)])
        styles.append({5: STATE_STYLE.get(state, {}), 7: STATE_STYLE.get(state, {})})
    typer.echo(table(rows, ["ID", "PRIORITY", "STATUS", "ASSIGNEE", "GROUP", "SLA", "NEXT DUE", "LEFT", "AGE",
                            "TITLE"], styles=styles))
    breached = sum(1 for r in results if r.worst() == "breached")
    warning = sum(1 for r in results if r.worst() == "warning")
    info(f"{len(results)} open ticket{'s' if len(results) != 1 else ''}: {breached} breached, {warning} at risk "
         f"({_when(now_ts, zone)})")
