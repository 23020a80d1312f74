"""`supportctl ticket`: create, work and inspect tickets."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import (AS_OPTION, AT_OPTION, JSON_OPTION, NO_COMMIT_OPTION, NOW_OPTION, done, read_body,
                                   session)
from supportctl.cli.automate import show_fired
from supportctl.cli.render import (clip, echo, emit_json, info, plural, short_time, style, table, warn_problem,
                                   widen_pipe)
from supportctl.cli.satisfaction import rate
from supportctl.errors import UsageError

app = typer.Typer(no_args_is_help=True, help="Create, work and inspect tickets.")


# ------------------------------------------------------------------ create


@app.command("new")
def new(
    title: str = typer.Option(..., "--title", "-t", help="What the customer needs, in a line."),
    requester: str = typer.Option(..., "--from", help='The customer: "Name <email>", a phone "+353 87 123 4567", "Name <@handle>" or "Name <github:login>".'),
    priority: str = typer.Option("normal", "--priority", "-p", help="low, normal, high or urgent."),
    channel: str = typer.Option("email", "--channel", help="email, web, chat, phone, social, github, api, other."),
    type_: Optional[str] = typer.Option(None, "--type", help="Ticket type (see ticket_types in supportctl.yml)."),
    group: Optional[str] = typer.Option(None, "--group", "-g", help="Group (tier or queue)."),
    assignee: Optional[str] = typer.Option(None, "--assign", help="Agent to assign."),
    tags: list[str] = typer.Option([], "--tag", help="Tag (repeatable)."),
    fields: list[str] = typer.Option([], "--field", help="Custom field as KEY=VALUE (repeatable)."),
    message: Optional[str] = typer.Option(None, "-m", "--message", help="The customer's first message."),
    body_file: Optional[str] = typer.Option(None, "--body-file", help="Read the first message from a file (- = stdin)."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Open a ticket; prints its id."""
    from supportctl.services import tickets
    from supportctl.tickets.query import ticket_json

    s = session(as_, at)
    body = read_body(message, body_file, required=False)
    custom = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--field {item!r} is not KEY=VALUE", hint="e.g. --field order_id=A-1042")
        custom[key.strip()] = value
    result = tickets.create(s, title=title, requester=requester, body=body, priority=priority, channel=channel,
                            type_=type_, group=group, assignee=assignee, tags=tags, fields=custom,
                            commit=not no_commit)
    if json_:
        emit_json(ticket_json(result.ticket, s.config, full=True))
    else:
        echo(result.ticket.id)
    done(result.ticket.id, "created", result.sha)
    show_fired(result.fired)


# ---------------------------------------------------------------- messages


@app.command("message")
def message_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    message: Optional[str] = typer.Option(None, "-m", "--message", help="The customer's text."),
    body_file: Optional[str] = typer.Option(None, "--body-file", help="Read the text from a file (- = stdin)."),
    sender: Optional[str] = typer.Option(None, "--from", help='Sender if not the requester: "Name <email>" (or a phone or handle).'),
    as_: Optional[str] = typer.Option(None, "--as", help="Who records it, the commit's author (default "
                                      "SUPPORTCTL_AGENT, then git user.name, else supportctl)."),
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Add a customer message; it reopens a pending or solved ticket, and goes to the target of a merged one."""
    from supportctl.services import tickets

    s = session(as_, at=at, actor=None)
    text = read_body(message, body_file) or ""
    result = tickets.customer_message(s, ref, text=text, sender=sender, commit=not no_commit)
    if result.redirected_from is not None:
        info(f"ticket {result.redirected_from} was merged into {result.ticket.id}: the message goes to "
             f"{result.ticket.id}")
    if result.follow_up is not None:
        echo(result.follow_up.id)
        done(result.follow_up.id, f"follow-up of closed ticket {result.ticket.id}", result.sha)
        return
    done(result.ticket.id, result.what, result.sha)
    show_fired(result.fired)


@app.command("reply")
def reply(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    message: Optional[str] = typer.Option(None, "-m", "--message", help="The reply text."),
    body_file: Optional[str] = typer.Option(None, "--body-file", help="Read the reply from a file (- = stdin)."),
    template: Optional[str] = typer.Option(None, "--template", help="Render templates/NAME as the reply."),
    status: Optional[str] = typer.Option(None, "--status", "-s", help="Also set the status (e.g. pending, solved)."),
    kb: list[str] = typer.Option([], "--kb", help="Add this article's public link and link it to the ticket "
                                 "(repeatable)."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Send a public reply to the customer."""
    from supportctl.services import tickets

    if template is not None and (message is not None or body_file is not None):
        raise UsageError("give -m, --body-file or --template, not several", hint="choose one source for the reply")
    s = session(as_, at)
    text = None if template else read_body(message, body_file, required=not kb)
    result = tickets.reply(s, ref, text=text, template=template, status=status, kb=kb, commit=not no_commit)
    done(result.ticket.id, result.what, result.sha)
    show_fired(result.fired)


@app.command("apply")
def apply_cmd(
    refs: list[str] = typer.Argument(..., metavar="ID...", help="Ticket ids or unique prefixes."),
    macro: str = typer.Option(..., "--macro", help="Reply with templates/NAME and apply its set: block."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Apply a macro to many tickets: its reply and its changes, all or none, one commit."""
    from supportctl.services import automation

    result = automation.apply_macro(session(as_, at), refs, macro, commit=not no_commit)
    if json_:
        emit_json({"macro": result.macro, "commit": result.sha, "tickets": result.tickets})
    for item in result.tickets:
        done(item["id"], item["summary"].split(": ", 1)[-1] + "".join(f", {c}" for c in item["changes"]), result.sha)


@app.command("note")
def note(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    message: Optional[str] = typer.Option(None, "-m", "--message", help="The note text."),
    body_file: Optional[str] = typer.Option(None, "--body-file", help="Read the note from a file (- = stdin)."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Add an internal note (never shown to the customer)."""
    from supportctl.services import tickets

    text = read_body(message, body_file) or ""
    result = tickets.note(session(as_, at), ref, text=text, commit=not no_commit)
    done(result.ticket.id, "note added", result.sha)


# ------------------------------------------------------------------ fields


@app.command("status")
def status_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    state: str = typer.Argument(..., metavar="STATE", help="The new status (a state of the lifecycle)."),
    reason: Optional[str] = typer.Option(None, "--reason", help="Why, recorded with the change."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Move a ticket to another status."""
    from supportctl.services import tickets

    result = tickets.set_status(session(as_, at), ref, state, reason=reason, commit=not no_commit)
    done(result.ticket.id, f"status {result.ticket.status}", result.sha)
    show_fired(result.fired)


@app.command("assign")
def assign_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    agent: Optional[str] = typer.Argument(None, metavar="[AGENT]", help="Agent to assign."),
    group: Optional[str] = typer.Option(None, "--group", "-g", help="Move to this group (tier or queue)."),
    unassign: bool = typer.Option(False, "--unassign", help="Remove the assignee."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Assign a ticket to an agent and/or a group."""
    from supportctl.services import tickets

    if unassign and agent:
        raise UsageError("give an AGENT or --unassign, not both", hint="choose one")
    result = tickets.assign(session(as_, at), ref, agent=agent, group=group, unassign=unassign,
                            commit=not no_commit)
    meta = result.ticket.meta
    done(result.ticket.id, f"assignee {meta.get('assignee') or 'none'}, group {meta.get('group') or 'none'}",
         result.sha)


@app.command("priority")
def priority_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    priority: str = typer.Argument(..., metavar="PRIORITY", help="low, normal, high or urgent."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Change a ticket's priority."""
    from supportctl.services import tickets

    result = tickets.set_priority(session(as_, at), ref, priority, commit=not no_commit)
    done(result.ticket.id, f"priority {priority}", result.sha)


@app.command("set")
def set_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    field: str = typer.Argument(..., metavar="FIELD", help="title, type, or a custom field."),
    value: Optional[str] = typer.Argument(None, metavar="[VALUE]", help="New value (omit to clear)."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Change the title, type or a custom field."""
    from supportctl.services import tickets

    result = tickets.set_field(session(as_, at), ref, field, value, commit=not no_commit)
    done(result.ticket.id, f"{field} set", result.sha)


@app.command("tag")
def tag_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    tags: list[str] = typer.Argument(..., metavar="TAG...", help="Tags to add; prefix with - to remove (use -- first)."),
    remove: bool = typer.Option(False, "--remove", "-r", help="Remove the tags instead of adding them."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Add or remove tags."""
    from supportctl.services import tickets

    add = [t.lstrip("+") for t in tags if not t.startswith("-") and not remove]
    drop = [t.lstrip("-") for t in tags if t.startswith("-") or remove]
    result = tickets.tag(session(as_, at), ref, add=add, remove=drop, commit=not no_commit)
    done(result.ticket.id, "tags " + (", ".join(result.ticket.meta.get("tags") or []) or "(none)"), result.sha)


@app.command("link")
def link_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    kb: Optional[str] = typer.Option(None, "--kb", help="Link a KB article (its slug)."),
    related: Optional[str] = typer.Option(None, "--related", help="Link another ticket (id or prefix)."),
    remove: bool = typer.Option(False, "--remove", help="Remove the link instead."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Link a ticket to a KB article or to another ticket."""
    from supportctl.services import tickets

    if (kb is None) == (related is None):
        raise UsageError("give --kb SLUG or --related ID", hint="one link at a time")
    result = tickets.link(session(as_, at), ref, kb=kb, related=related, remove=remove, commit=not no_commit)
    done(result.ticket.id, result.what, result.sha)


@app.command("merge")
def merge_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="The duplicate ticket (it will be closed)."),
    into: str = typer.Argument(..., metavar="TARGET", help="The ticket that carries on."),
    force: bool = typer.Option(False, "--force", help="Merge even though the requesters differ (the duplicate's "
                               "requester is copied on the target's replies)."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Merge a duplicate into another ticket: its messages and notes are copied there, and it is closed."""
    from supportctl.services import tickets

    result = tickets.merge(session(as_, at), ref, into, force=force, commit=not no_commit)
    done(result.ticket.id, result.what, result.sha)


@app.command("sweep")
def sweep(
    now: Optional[str] = NOW_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Apply timed transitions that are due (e.g. close tickets solved 4 days ago)."""
    from supportctl.services import tickets

    result = tickets.sweep(session(now=now, actor=False), commit=not no_commit)
    if json_:
        emit_json(result.moved)
    for item in result.moved:
        info(f"{item['id']}: {item['change']}")
    info(f"{plural(len(result.moved), 'ticket')} moved on" + (f" (commit {result.sha})" if result.sha else ""))


# ----------------------------------------------------------------- reading


@app.command("list")
def list_cmd(
    status: list[str] = typer.Option([], "--status", "-s", help="Only these statuses (repeatable).",
                                     rich_help_panel="Filters"),
    category: list[str] = typer.Option([], "--category", help="Only these categories: new, open, pending, "
                                       "solved, closed.", rich_help_panel="Filters"),
    assignee: Optional[str] = typer.Option(None, "--assignee", "-a", help="Only this agent ('none' = unassigned).",
                                           rich_help_panel="Filters"),
    group: list[str] = typer.Option([], "--group", "-g", help="Only these groups.", rich_help_panel="Filters"),
    priority: list[str] = typer.Option([], "--priority", "-p", help="Only these priorities.",
                                       rich_help_panel="Filters"),
    tag: list[str] = typer.Option([], "--tag", help="Only tickets with every one of these tags.",
                                  rich_help_panel="Filters"),
    channel: list[str] = typer.Option([], "--channel", help="Only these channels.", rich_help_panel="Filters"),
    requester: Optional[str] = typer.Option(None, "--requester", help="Requester name, email or handle contains this.",
                                            rich_help_panel="Filters"),
    org: list[str] = typer.Option([], "--org", help="Only tickets of these organisations ('none' = no "
                                  "organisation).", rich_help_panel="Filters"),
    text: Optional[str] = typer.Option(None, "--text", help="Title or any message contains this (case-insensitive).",
                                       rich_help_panel="Filters"),
    all_: bool = typer.Option(False, "--all", help="Include closed tickets.", rich_help_panel="Filters"),
    sort: str = typer.Option("updated", "--sort", help="created, updated, priority, status, id or title."),
    reverse: bool = typer.Option(False, "--reverse", help="Reverse the order."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Show at most N tickets."),
    json_: bool = JSON_OPTION,
) -> None:
    """List tickets (closed ones only with --all or a status filter)."""
    import sys

    from supportctl.services import ticket_reads as tickets
    from supportctl.tickets.query import Filter, entries_json_parts, entry_json

    flt = Filter(status=status, category=category, assignee=assignee, group=group, priority=priority, tag=tag,
                 channel=channel, requester=requester, org=org, all=all_)
    found = tickets.find(session(actor=False), flt, text=text, sort=sort, reverse=reverse, limit=limit)
    for problem in found.problems:
        warn_problem(problem)
    if json_:
        if sys.stdout.isatty():  # people get it indented
            emit_json([entry_json(e, found.categories) for e in found.entries])
        else:
            widen_pipe()
            sys.stdout.writelines(entries_json_parts(found.entries, found.categories))
            sys.stdout.write("\n")
        return
    if not found.entries:
        info("no tickets match")
        return
    rows = []
    for t in found.entries:
        m = t.meta
        rows.append([t.id, str(m.get("status", "")), str(m.get("priority", "")), str(m.get("assignee") or "-"),
                     str(m.get("group") or "-"), str(m.get("updated") or "")[:16].replace("T", " "),
                     clip(t.title, 60)])
    echo(table(rows, ["ID", "STATUS", "PRIORITY", "ASSIGNEE", "GROUP", "UPDATED", "TITLE"]))
    info(plural(len(found.entries), "ticket"))


KNOWN_FIELDS = {"id", "title", "status", "priority", "type", "channel", "requester", "assignee", "group", "tags",
                "created", "updated", "kb", "related", "merged_into", "customer", "organization"}
ROLE_COLOUR = {"customer": "blue", "agent": "green", "system": "magenta"}


@app.command("show")
def show(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    json_: bool = JSON_OPTION,
) -> None:
    """Show a ticket: its fields and the whole conversation."""
    from supportctl.services import ticket_reads as tickets
    from supportctl.tickets.people import format_person
    from supportctl.tickets.jsonable import json_value
    from supportctl.tickets.query import ticket_json

    s = session(actor=False)
    ticket = tickets.get(s, ref)
    if json_:
        emit_json(ticket_json(ticket, s.config, full=True))
        return
    m = ticket.meta
    out = [style(f"{ticket.id}  {ticket.title}", bold=True)]
    category = s.config.lifecycle.category(ticket.status)
    out.append(f"status: {ticket.status} ({category})   priority: {m.get('priority')}   "
               f"type: {m.get('type') or '-'}   channel: {m.get('channel')}")
    out.append(f"requester: {format_person(m.get('requester'))}"
               + (f"   customer: {m['customer']}" if m.get("customer") else "")
               + (f"   organization: {m['organization']}" if m.get("organization") else ""))
    out.append(f"assignee: {m.get('assignee') or '-'}   group: {m.get('group') or '-'}   "
               f"tags: {', '.join(m.get('tags') or []) or '-'}")
    out.append(f"created: {short_time(m.get('created'))}   updated: {short_time(m.get('updated'))}")
    links = [f"{key}: {', '.join(map(str, m[key]))}" for key in ("kb", "related") if m.get(key)]
    if m.get("merged_into"):
        links.append(f"merged into: {m['merged_into']}")
    if links:
        out.append("   ".join(links))
    for key, value in m.items():
        if key not in KNOWN_FIELDS:
            out.append(f"{key}: {json_value(value)}")
    for record in ticket.records:
        when = record.at.strftime("%Y-%m-%d %H:%M %z")
        if record.kind == "event":
            changes = "; ".join(c.render() for c in record.changes())
            out.append(style(f"  · {when}  {record.author}: {changes}", dim=True))
            continue
        label = "internal note" if record.kind == "note" else record.role
        if record.merged_from:
            label += f", merged from {record.merged_from}"
        colour = "yellow" if record.kind == "note" else ROLE_COLOUR.get(record.role, "white")
        out.append("")
        out.append(style(f"── {when}  {record.author} ({label})", fg=colour, bold=True))
        out.append(record.body)
    echo("\n".join(out))


@app.command("log")
def log_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    json_: bool = JSON_OPTION,
) -> None:
    """Who changed a ticket and when: the records' own times, from git history."""
    from supportctl.services import ticket_reads as tickets

    ses = session(actor=False)
    rel, entries = tickets.history(ses, ref)
    if json_:
        emit_json([{**e.__dict__, "at": e.at} for e in entries])
        return
    if not entries:
        info(f"{rel} has no commits yet")
        return
    zone = ses.zone
    rows = [[e.commit, _log_time(e.at or e.committed, zone), f"{e.author} <{e.email}>", e.stat, e.subject]
            for e in entries]
    echo(table(rows, ["COMMIT", "WHEN", "COMMITTED BY", "LINES", "CHANGE"]))
    if any(e.at is None for e in entries):
        info("a time without records (a hand edit, a config change) is the commit's date")


def _log_time(stamp: str, zone) -> str:
    from datetime import datetime

    return datetime.fromisoformat(stamp).astimezone(zone).strftime("%Y-%m-%d %H:%M")


# `ticket rate` lives with `customer rate` (satisfaction.py).
app.command("rate")(rate)
