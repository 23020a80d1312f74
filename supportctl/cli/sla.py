"""`supportctl sla` (status, check, explain) and `supportctl queue`: the SLA engine on the command line."""

from __future__ import annotations

from typing import Any, Optional

import typer

from supportctl.cli.common import AS_OPTION, JSON_OPTION, NO_COMMIT_OPTION, REPLAY_OPTION, actor_handle, session
from supportctl.cli.render import (Instants, clip, colour_enabled, column_table, duration, echo, emit_json, info,
                                   plural, report_error, span, style, table, wall_duration, warn_problem, when)
from supportctl.errors import UsageError

app = typer.Typer(no_args_is_help=True, help="SLA clocks: status, check (CI), explain.")

STATE_STYLE: dict[str, dict[str, Any]] = {
    "breached": {"fg": "red", "bold": True},
    "warning": {"fg": "yellow", "bold": True},
    "running": {"fg": "green"},
    "paused": {"fg": "blue"},
    "met": {"fg": "green", "dim": True},
    "none": {"dim": True},
}
STATE_MARK = {"breached": "🔴", "warning": "🟡", "running": "🟢", "paused": "⏸️", "met": "✅", "none": "·"}


# ----------------------------------------------------------------- helpers


def _left(clock) -> str:
    """Working time left, or overdue, for people."""
    earlier = f" ({clock.breached_cycles} earlier late)" if clock.breached_cycles else ""
    if clock.state == "none":
        return "-"
    if clock.state == "met":
        return "met" + earlier
    remaining = clock.remaining
    if clock.state == "breached":
        over = -remaining if remaining is not None and remaining < 0 else 0
        return (f"{duration(over)} overdue" if over else "overdue") + earlier
    return f"{duration(remaining or 0)} left" + earlier


class _Texts:
    """Deadlines and time left as text, each made once: a big desk lists 85,000 clocks, and
    deadlines repeat (closing times), so do overdue times (31,515 distinct texts at 100,000 tickets)."""

    def __init__(self, zone) -> None:
        self.instants, self.dues, self.lefts, self.ages = Instants(zone), {}, {}, {}

    def due(self, ts: int | None) -> str:
        text = self.dues.get(ts)
        if text is None:
            text = self.dues[ts] = self.instants(ts)
        return text

    def age(self, seconds: int) -> str:
        # An age shows its two largest units (`2d 3h`), so it is memoised cut to the second one:
        # the ages of 77,000 tickets are nearly all distinct to the second, not to the hour.
        if seconds >= 86400 and seconds % 86400 >= 3600:
            seconds -= seconds % 3600
        elif seconds >= 3600 and seconds % 3600 >= 60:
            seconds -= seconds % 60
        text = self.ages.get(seconds)
        if text is None:
            text = self.ages[seconds] = wall_duration(seconds)
        return text

    def left(self, clock) -> str:
        key = (clock.state, clock.target, clock.elapsed, clock.breached_cycles)
        text = self.lefts.get(key)
        if text is None:
            text = self.lefts[key] = _left(clock)
        return text


CHECK_HEADERS = ["ID", "CLOCK", "STATE", "DUE", "LEFT", "ASSIGNEE", "POLICY", "TITLE"]


def _check_columns(items, zone) -> list[list[str]]:
    """`sla check`'s table, column by column (CHECK_HEADERS)."""
    texts = _Texts(zone)
    due, left = texts.due, texts.left
    return [[r.id for r, _ in items], [c.name for _, c in items], [c.state for _, c in items],
            [due(c.due) for _, c in items], [left(c) for _, c in items], [r.assignee or "-" for r, _ in items],
            [r.policy or "-" for r, _ in items], [clip(r.title, 50) for r, _ in items]]


def _warn_skipped(evaluated) -> None:
    for problem in evaluated.problems:
        warn_problem(problem)


# ------------------------------------------------------------------ status


@app.command("status")
def status(
    refs: Optional[list[str]] = typer.Argument(None, metavar="[ID...]", help="Tickets (default: all but closed)."),
    now: Optional[str] = REPLAY_OPTION,
    all_: bool = typer.Option(False, "--all", help="Include closed tickets."),
    json_: bool = JSON_OPTION,
) -> None:
    """Show each ticket's SLA clocks: state, due, time left and the policy."""
    from supportctl.services import sla
    from supportctl.sla.results import CLOCKS

    s = session(now=now, actor=False)
    evaluated = sla.status(s, refs, every=all_)
    _warn_skipped(evaluated)
    results, now_ts, zone = evaluated.results, evaluated.now, s.zone
    if json_:
        emit_json([r.to_json() for r in results])
        return
    if not results:
        info("no tickets")
        return
    rows, styles = [], []
    for r in results:
        for n, name in enumerate(CLOCKS):
            clock = r.clocks[name]
            rows.append([r.id if n == 0 else "", name, clock.state, when(clock.due, zone), _left(clock),
                         (r.policy or "(no policy)") if n == 0 else ""])
            styles.append({2: STATE_STYLE.get(clock.state, {})})
    echo(table(rows, ["ID", "CLOCK", "STATE", "DUE", "LEFT", "POLICY"], styles=styles))
    info(f"{plural(len(results), 'ticket')} at {when(now_ts, zone)}; "
         "time left is working time")


# ------------------------------------------------------------------- check


def _item_json(r, clock) -> dict[str, Any]:
    from supportctl.sla.results import utc_text

    return {"id": r.id, "title": r.title, "status": r.status, "priority": r.priority, "assignee": r.assignee,
            "group": r.group, "policy": r.policy, "clock": clock.name, "state": clock.state,
            "due": utc_text(clock.due), "remaining_seconds": clock.remaining}


def _problem_json(p) -> dict[str, Any]:
    return {"path": p.path, "line": p.line, "message": p.message, "hint": p.hint}


def _markdown(items, checked: int, now_ts: int, zone, escalations: list[dict], unreadable=()) -> str:
    breached = sum(1 for _, c in items if c.state == "breached")
    warning = len(items) - breached
    lines = [f"## SLA check · {when(now_ts, zone)}", ""]
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
                         f"{when(clock.due, zone)} | {_left(clock)} | {r.assignee or '-'} | {r.policy} |")
    if unreadable:
        lines += ["", f"**{len(unreadable)} ticket file{'s' if len(unreadable) != 1 else ''} cannot be read** "
                      "(not checked):", ""]
        lines += [f"- `{p.path}{f':{p.line}' if p.line else ''}`: {p.message}" for p in unreadable]
    if escalations:
        lines += ["", f"**Escalations applied ({len(escalations)})**", ""]
        for e in escalations:
            changes = "; ".join(e["changes"]) or "nothing left to change"
            lines.append(f"- `{e['id']}` {e['key']}: {changes}")
    return "\n".join(lines) + "\n"


@app.command("check")
def check(
    now: Optional[str] = REPLAY_OPTION,
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
    from supportctl.services import sla
    from supportctl.services.session import SYSTEM

    # `--as supportctl` (the scaffolded CI sweep) or nobody: the desk itself escalates.
    s = session(as_, now=now, actor=bool(as_) and as_ != SYSTEM)
    checked = sla.check(s, escalate=escalate, commit=not no_commit)
    # A ticket that cannot be read or escalated fails the check whatever --fail-on says:
    # its clocks were not checked at all (docs/sla.md, "Bad tickets").
    unreadable = checked.evaluated.problems
    for problem in [*unreadable, *checked.escalation_failures]:
        report_error(problem)
    results, now_ts, zone = checked.evaluated.results, checked.evaluated.now, s.zone
    items, applied, sha = checked.items, checked.escalations, checked.sha
    breached = checked.breached
    failed = checked.failed(fail_on)
    if fmt == "json":
        from supportctl.sla.results import utc_text

        emit_json({"now": utc_text(now_ts), "checked": len(results), "fail_on": fail_on, "failed": failed,
                   "counts": {"breached": breached, "warning": len(items) - breached},
                   "items": [_item_json(r, c) for r, c in items], "escalations": applied, "commit": sha,
                   "unreadable": [_problem_json(p) for p in unreadable],
                   "escalation_failures": [_problem_json(p) for p in checked.escalation_failures]})
    elif fmt == "markdown":
        text = _markdown(items, len(results), now_ts, zone, applied, unreadable)
        typer.echo(text if text.endswith("\n") else text + "\n", nl=False)
    else:
        if items:
            columns = _check_columns(items, zone)
            if colour_enabled():   # a terminal: each state in its colour
                echo(table([list(row) for row in zip(*columns)], CHECK_HEADERS,
                           styles=[{2: STATE_STYLE[c.state]} for _, c in items]))
            else:
                echo(column_table(columns, CHECK_HEADERS))
        for e in applied:
            info(f"{e['id']}: escalated {e['key']}" + (f" ({'; '.join(e['changes'])})" if e["changes"] else ""))
        if escalate:
            info(f"{len(applied)} escalation{'s' if len(applied) != 1 else ''} applied"
                 + (f" (commit {sha})" if sha else " (not committed)" if applied and no_commit else ""))
        info(f"{breached} breached, {len(items) - breached} at risk, {len(results)} open tickets checked at "
             f"{when(now_ts, zone)}")
    if unreadable:
        info(f"{plural(len(unreadable), 'ticket file')} cannot be read and {'was' if len(unreadable) == 1 else 'were'}"
             " not checked; `supportctl check` says what to fix")
    if failed:
        raise typer.Exit(1)


# ----------------------------------------------------------------- explain


@app.command("explain")
def explain_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    now: Optional[str] = REPLAY_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Explain one ticket's SLA timeline: what counted, what paused, and why it is due when it is."""
    from supportctl.services import sla

    s = session(now=now, actor=False)
    ticket, out, now_ts = sla.explain(s, ref)
    if json_:
        emit_json(out.to_json())
        return
    zone = s.zone
    r = out.result
    lines = [style(f"{r.id}  {ticket.title}", bold=True),
             f"status {r.status} · evaluated at {when(now_ts, zone)}", ""]
    lines += [f"  {reason}" for reason in out.policy_reasons]
    if out.calendar:
        lines.append(f"  calendar {r.calendar}: {out.calendar}")
    if out.statuses:
        lines.append("")
        lines.append(style("Status history", bold=True))
        for ts, state in out.statuses:
            pause = " (pauses SLA)" if s.config.lifecycle.pauses(state) else ""
            lines.append(f"  {when(ts, zone)}  {state}{pause}")
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
                period = span(s.start, s.end, zone)
                if s.kind in ("counted", "projected"):
                    label = f"{'counts' if s.kind == 'counted' else 'will count'} {duration(s.seconds)}"
                elif s.kind == "paused":
                    label = f"paused ({s.why}) {wall_duration(s.end - s.start)}"
                else:
                    label = f"closed ({s.why}) {wall_duration(s.end - s.start)}"
                lines.append(f"    {period}  {label}")
    echo("\n".join(lines))


# ------------------------------------------------------------------- queue

QUEUE_HEADERS = ["ID", "PRIORITY", "STATUS", "ASSIGNEE", "GROUP", "SLA", "NEXT DUE", "LEFT", "AGE", "TITLE"]


def queue(
    assignee: Optional[str] = typer.Option(None, "--assignee", "-a", help="Only this agent ('none' = unassigned)."),
    mine: bool = typer.Option(False, "--mine", help="Only tickets assigned to me (--as, SUPPORTCTL_AGENT, "
                                                    "git user.name)."),
    as_: Optional[str] = AS_OPTION,
    group: list[str] = typer.Option([], "--group", "-g", help="Only these groups."),
    priority: list[str] = typer.Option([], "--priority", "-p", help="Only these priorities."),
    now: Optional[str] = REPLAY_OPTION,
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Show at most N tickets."),
    json_: bool = JSON_OPTION,
) -> None:
    """The agent's queue: open tickets, most urgent SLA deadline first."""
    from supportctl.services import sla
    from supportctl.sla.results import utc_text

    if mine and assignee:
        raise UsageError("--mine and --assignee both name the agent", hint="pass one of them")
    s = session(now=now, actor=False)
    if mine:
        assignee = actor_handle(s.desk, as_)
        if assignee is None:
            raise UsageError("--mine needs to know who you are", hint="pass --as AGENT or export SUPPORTCTL_AGENT")
    queued = sla.queue(s, assignee=assignee, group=group, priority=priority, limit=limit)
    _warn_skipped(queued)
    results, now_ts, zone = queued.results, queued.now, s.zone
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
    texts = _Texts(zone)
    due, left, age = texts.due, texts.left, texts.age
    standings = [r.standing() for r in results]
    worst, clocks = [w for w, _ in standings], [c for _, c in standings]
    columns = [[r.id for r in results], [str(r.priority or "-") for r in results], [r.status for r in results],
               [r.assignee or "-" for r in results], [r.group or "-" for r in results], worst,
               [f"{due(c.due)} {c.name}" if c is not None else "paused" if state == "paused" else "-"
                for c, state in zip(clocks, worst)],
               [left(c) if c is not None else "-" for c in clocks],
               [age(now_ts - r.created) if r.created else "-" for r in results],
               [clip(r.title, 50) for r in results]]
    if colour_enabled():   # a terminal: the SLA state and the time left in the state's colour
        echo(table([list(row) for row in zip(*columns)], QUEUE_HEADERS,
                   styles=[{5: STATE_STYLE.get(state, {}), 7: STATE_STYLE.get(state, {})} for state in worst]))
    else:
        echo(column_table(columns, QUEUE_HEADERS))
    breached, warning = worst.count("breached"), worst.count("warning")
    info(f"{len(results)} open ticket{'s' if len(results) != 1 else ''}: {breached} breached, {warning} at risk "
         f"({when(now_ts, zone)})")
