"""`supportctl ticket`: create, work and inspect tickets."""

from __future__ import annotations

from typing import Any, Optional

import typer

from supportctl.cli.common import (AS_OPTION, AT_OPTION, JSON_OPTION, NO_COMMIT_OPTION, actor_name, author_of, clip,
                                   desk, emit_json, event_time, info, read_body, style, table, tickets_of)
from supportctl.errors import SupportctlError, UsageError

app = typer.Typer(no_args_is_help=True, help="Create, work and inspect tickets.")

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


def _done(ticket_id: str, what: str, sha: str | None) -> None:
    info(f"{ticket_id}: {what}" + (f" (commit {sha})" if sha else " (not committed)"))


def _change(ref: str, as_: str | None, no_commit: bool, action) -> tuple[Any, str | None]:
    """Resolve the actor, then apply `action(ticket, d, actor)` under the desk lock and commit."""
    d = desk()
    actor = actor_name(d, as_)
    ticket, sha = tickets_of(d).change(ref, lambda t: action(t, d, actor).summary, author=author_of(d, actor),
                           commit=not no_commit)
    return ticket, sha


# ------------------------------------------------------------------ create


@app.command("new")
def new(
    title: str = typer.Option(..., "--title", "-t", help="What the customer needs, in a line."),
    requester: str = typer.Option(..., "--from", help='The customer: "Name <email>".'),
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
    from supportctl.tickets.actions import create_ticket
    from supportctl.tickets.model import new_ticket_id

    d = desk()
    actor = actor_name(d, as_)
    when = event_time(d, at)
    body = read_body(message, body_file, required=False)
    custom = {}
    for item in fields:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--field {item!r} is not KEY=VALUE", hint="e.g. --field order_id=A-1042")
        custom[key.strip()] = value
    with d.lock():
        ticket_id = new_ticket_id(set(tickets_of(d).ids()))
        ticket = create_ticket(d.config, ticket_id=ticket_id, path=f"tickets/{ticket_id}.md", title=title,
                               requester=requester, actor=actor, at=when, body=body, priority=priority,
                               channel=channel, type_=type_, group=group, assignee=assignee, tags=tags,
                               fields=custom)
        sha = tickets_of(d).save([ticket], f"ticket {ticket_id}: new ({channel}) {ticket.title}",
                                 author=author_of(d, actor),
                     commit=not no_commit)
    if json_:
        emit_json(ticket_json(ticket, d.config, full=True))
    else:
        typer.echo(ticket_id)
    _done(ticket_id, "created", sha)


# ---------------------------------------------------------------- messages


@app.command("message")
def message_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    message: Optional[str] = typer.Option(None, "-m", "--message", help="The customer's text."),
    body_file: Optional[str] = typer.Option(None, "--body-file", help="Read the text from a file (- = stdin)."),
    sender: Optional[str] = typer.Option(None, "--from", help='Sender if not the requester: "Name <email>".'),
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Add a customer message; it reopens a pending or solved ticket."""
    from supportctl.tickets.actions import closed_follow_up, customer_message, format_person, open_follow_up, parse_requester
    from supportctl.tickets.model import new_ticket_id

    d = desk()
    when = event_time(d, at)
    text = read_body(message, body_file) or ""
    given = parse_requester(sender) if sender else None
    with d.lock():
        ticket = tickets_of(d).get(ref)
        person = given or ticket.meta.get("requester") or {}
        # The customer is the commit's author: their words, whoever typed them in.
        author = (person.get("name") or person.get("email", "customer"), person.get("email", "customer@invalid"))
        sender_text = format_person(given) if given else None
        if closed_follow_up(ticket, d.config, when):
            follow_id = new_ticket_id(set(tickets_of(d).ids()))
            outcome = open_follow_up(ticket, d.config, ticket_id=follow_id, at=when, text=text,
                                     sender=sender_text)
            follow = outcome.created[0]
            sha = tickets_of(d).save([follow, ticket], outcome.summary, author=author, commit=not no_commit)
            typer.echo(follow.id)
            _done(follow.id, f"follow-up of closed ticket {ticket.id}", sha)
            return
        outcome = customer_message(ticket, d.config, at=when, text=text, author=sender_text)
        sha = tickets_of(d).save([ticket], outcome.summary, author=author, commit=not no_commit)
    _done(ticket.id, outcome.summary.split(": ", 1)[1], sha)


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
    from supportctl.tickets.actions import agent_reply

    if template is not None and (message is not None or body_file is not None):
        raise UsageError("give -m, --body-file or --template, not several", hint="choose one source for the reply")
    d = desk()
    actor = actor_name(d, as_)
    when = event_time(d, at)
    text = None if template else read_body(message, body_file, required=not kb)
    with d.lock():
        ticket = tickets_of(d).get(ref)
        if template:
            from supportctl.templating import render, ticket_context

            text = render(d.templates_dir, template, ticket_context(d, ticket, actor))
        articles: dict[str, str] = {}
        if kb:  # the article links go into the reply, and ticket and article record each other
            from supportctl.kb.model import kb_reply_links

            text, articles, link = kb_reply_links(d, ticket, kb, text)
        outcome = agent_reply(ticket, d.config, actor=actor, at=when, text=text or "", status=status)
        if kb:
            link(actor, when)
        sha = tickets_of(d).save([ticket], outcome.summary + "".join(f", kb {s}" for s in kb),
                                 author=author_of(d, actor),
                     commit=not no_commit, extra=articles)
    _done(ticket.id, outcome.summary.split(": ", 1)[1], sha)


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
    from supportctl.tickets.actions import internal_note

    text = read_body(message, body_file)
    ticket, sha = _change(ref, as_, no_commit,
                          lambda t, d, actor: internal_note(t, actor=actor, at=event_time(d, at), text=text or ""))
    _done(ticket.id, "note added", sha)


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
    from supportctl.tickets.actions import set_status

    ticket, sha = _change(ref, as_, no_commit, lambda t, d, actor: set_status(
        t, d.config, state=state, actor=actor, at=event_time(d, at), reason=reason))
    _done(ticket.id, f"status {ticket.status}", sha)


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
    from supportctl.tickets.actions import assign

    if unassign and agent:
        raise UsageError("give an AGENT or --unassign, not both", hint="choose one")
    ticket, sha = _change(ref, as_, no_commit, lambda t, d, actor: assign(
        t, d.config, agent=agent, group=group, actor=actor, at=event_time(d, at), unassign=unassign))
    _done(ticket.id, f"assignee {ticket.meta.get('assignee') or 'none'}, group {ticket.meta.get('group') or 'none'}",
          sha)


@app.command("priority")
def priority_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    priority: str = typer.Argument(..., metavar="PRIORITY", help="low, normal, high or urgent."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Change a ticket's priority."""
    from supportctl.tickets.actions import set_priority

    ticket, sha = _change(ref, as_, no_commit, lambda t, d, actor: set_priority(
        t, priority=priority, actor=actor, at=event_time(d, at)))
    _done(ticket.id, f"priority {priority}", sha)


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
    from supportctl.tickets.actions import set_field

    ticket, sha = _change(ref, as_, no_commit, lambda t, d, actor: set_field(
        t, d.config, name=field, value=value, actor=actor, at=event_time(d, at)))
    _done(ticket.id, f"{field} set", sha)


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
    from supportctl.tickets.actions import tag

    add = [t.lstrip("+") for t in tags if not t.startswith("-") and not remove]
    drop = [t.lstrip("-") for t in tags if t.startswith("-") or remove]
    ticket, sha = _change(ref, as_, no_commit, lambda t, d, actor: tag(
        t, add=add, remove=drop, actor=actor, at=event_time(d, at)))
    _done(ticket.id, "tags " + (", ".join(ticket.meta.get("tags") or []) or "(none)"), sha)


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
    from supportctl.tickets.actions import link

    if (kb is None) == (related is None):
        raise UsageError("give --kb SLUG or --related ID", hint="one link at a time")
    d = desk()
    actor = actor_name(d, as_)
    when = event_time(d, at)
    with d.lock():
        ticket = tickets_of(d).get(ref)
        extra: dict[str, str] = {}
        if related is not None:
            other = tickets_of(d).get(related)
            outcome = link(ticket, kind="related", target=other.id, actor=actor, at=when, remove=remove)
            # Related links go both ways, so each ticket shows the other.
            try:
                link(other, kind="related", target=ticket.id, actor=actor, at=when, remove=remove)
                changed = [ticket, other]
            except SupportctlError:
                changed = [ticket]
        else:
            # The article must exist, and it records the ticket too (internal
            # runbooks included: agents link those from tickets).
            from supportctl.kb.model import desk_kb, forget_ticket, record_ticket

            article = desk_kb(d).get(kb or "")
            outcome = link(ticket, kind="kb", target=article.slug, actor=actor, at=when, remove=remove)
            changed = [ticket]
            extra = {article.path: (forget_ticket if remove else record_ticket)(article, ticket.id)}
        sha = tickets_of(d).save(changed, outcome.summary, author=author_of(d, actor), commit=not no_commit,
                                 extra=extra)
    _done(ticket.id, outcome.summary.split(": ", 1)[1], sha)


@app.command("merge")
def merge_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="The duplicate ticket (it will be closed)."),
    into: str = typer.Argument(..., metavar="TARGET", help="The ticket that carries on."),
    as_: Optional[str] = AS_OPTION,
    at: Optional[str] = AT_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
) -> None:
    """Merge a duplicate into another ticket (the duplicate is closed and points to it)."""
    from supportctl.tickets.actions import merge

    d = desk()
    actor = actor_name(d, as_)
    when = event_time(d, at)
    with d.lock():
        source, target = tickets_of(d).get(ref), tickets_of(d).get(into)
        outcome = merge(source, target, d.config, actor=actor, at=when)
        sha = tickets_of(d).save([source, target], outcome.summary, author=author_of(d, actor), commit=not no_commit)
    _done(source.id, f"merged into {target.id}", sha)


@app.command("sweep")
def sweep(
    now: Optional[str] = typer.Option(None, "--now", help="Evaluate at this time (default: the clock or "
                                      "SUPPORTCTL_NOW)."),
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Apply timed transitions that are due (e.g. close tickets solved 4 days ago)."""
    from supportctl.tickets.actions import SYSTEM, apply_due_transition
    from supportctl.cli.common import clock_now

    d = desk()
    when = clock_now(d, now)
    timed = {name for name, state in d.config.lifecycle.states.items() if state.next_state}
    changed, done = [], []
    with d.lock():
        entries, _ = tickets_of(d).load_index()
        for entry in entries:
            if entry.status not in timed:
                continue
            ticket = tickets_of(d).read(entry.path)
            outcome = apply_due_transition(ticket, d.config, when)
            if outcome is not None:
                changed.append(ticket)
                done.append({"id": ticket.id, "change": outcome.summary.split(": ", 1)[1]})
        sha = None
        if changed:
            message = f"sweep: {len(changed)} timed transition{'s' if len(changed) != 1 else ''}\n\n" + \
                "\n".join(f"ticket {c['id']}: {c['change']}" for c in done)
            sha = tickets_of(d).save(changed, message, author=(SYSTEM, "supportctl@users.noreply.supportctl"),
                         commit=not no_commit)
    if json_:
        emit_json(done)
    for item in done:
        info(f"{item['id']}: {item['change']}")
    info(f"{len(done)} ticket{'s' if len(done) != 1 else ''} moved on" +
         (f" (commit {sha})" if sha else "" if not done or no_commit else ""))


# ----------------------------------------------------------------- reading


def ticket_json(ticket, config, *, full: bool = False) -> dict[str, Any]:
    """A ticket as JSON: every front-matter field, plus category and counts (and history when full)."""
    from supportctl.tickets.index import json_value

    data = {k: json_value(v) for k, v in ticket.meta.items()}
    data["category"] = config.lifecycle.category(ticket.status)
    data["path"] = ticket.path
    data["messages"] = sum(1 for r in ticket.records if r.is_message)
    if full:
        data["history"] = [r.to_json() for r in ticket.records]
    return data


def entry_json(entry, categories: dict[str, str]) -> dict[str, Any]:
    """An index entry as JSON: the same fields as `ticket_json`, without converting anything."""
    data = dict(entry.meta)
    data["category"] = categories.get(entry.status)
    data["path"] = entry.path
    data["messages"] = entry.messages
    return data


def emit_entries(entries, categories: dict[str, str]) -> None:
    """The same JSON as `entry_json` for each entry, spliced from the text the index keeps."""
    import json
    import sys

    if sys.stdout.isatty():  # people get it indented
        emit_json([entry_json(e, categories) for e in entries])
        return
    dumps = json.dumps
    parts = []
    for e in entries:
        head = e.meta_json[:-1] + (", " if len(e.meta_json) > 2 else "")
        parts.append(f'{head}"category": {dumps(categories.get(e.status))}, "path": {dumps(e.path)}, '
                     f'"messages": {e.messages}}}')
    sys.stdout.write("[" + ", ".join(parts) + "]\n")


def _matches(ticket, categories: dict[str, str], f: dict[str, Any]) -> bool:
    meta = ticket.meta
    category = categories.get(ticket.status)
    if f["status"] and ticket.status not in f["status"]:
        return False
    if f["category"] and category not in f["category"]:
        return False
    if not f["status"] and not f["category"] and not f["all"] and category == "closed":
        return False
    if f["assignee"] is not None:
        wanted = None if f["assignee"] in ("none", "-") else f["assignee"]
        if meta.get("assignee") != wanted:
            return False
    if f["group"] and meta.get("group") not in f["group"]:
        return False
    if f["priority"] and meta.get("priority") not in f["priority"]:
        return False
    if f["channel"] and meta.get("channel") not in f["channel"]:
        return False
    if f["tag"] and not set(f["tag"]) <= set(meta.get("tags") or []):
        return False
    if f["requester"]:
        req = meta.get("requester") or {}
        hay = f"{req.get('name', '')} <{req.get('email', '')}>".lower() if isinstance(req, dict) else str(req)
        if f["requester"].lower() not in hay:
            return False
    return True


def _sort_key(field: str):
    if field == "created":
        return lambda entry: entry.created_ts
    if field == "updated":
        return lambda entry: entry.updated_ts
    if field == "priority":
        return lambda entry: PRIORITY_ORDER.get(str(entry.meta.get("priority")), 9)
    return lambda entry: str(entry.meta.get(field) or "")


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
    requester: Optional[str] = typer.Option(None, "--requester", help="Requester name or email contains this.",
                                            rich_help_panel="Filters"),
    text: Optional[str] = typer.Option(None, "--text", help="Title or any message contains this (case-insensitive).",
                                       rich_help_panel="Filters"),
    all_: bool = typer.Option(False, "--all", help="Include closed tickets.", rich_help_panel="Filters"),
    sort: str = typer.Option("updated", "--sort", help="created, updated, priority, status, id or title."),
    reverse: bool = typer.Option(False, "--reverse", help="Reverse the order."),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Show at most N tickets."),
    json_: bool = JSON_OPTION,
) -> None:
    """List tickets (closed ones only with --all or a status filter)."""
    if sort not in ("created", "updated", "priority", "status", "id", "title"):
        raise UsageError(f"cannot sort by {sort!r}", hint="sort by created, updated, priority, status, id or title")
    d = desk()
    categories = d.state_categories()
    entries, problems = tickets_of(d).load_index()
    for problem in problems:
        from supportctl.cli.common import warn

        warn(str(problem) + (f" (hint: {problem.hint})" if problem.hint else ""))
    f = {"status": status, "category": category, "assignee": assignee, "group": group, "priority": priority,
         "tag": tag, "channel": channel, "requester": requester, "all": all_}
    tickets = [t for t in entries if _matches(t, categories, f)]
    if text:
        needle = text.lower()
        tickets = [t for t in tickets if needle in t.title.lower() or needle in _full_text(d, t.path)]
    # Newest activity first by default; priority sorts urgent first.
    tickets.sort(key=_sort_key(sort), reverse=(sort in ("created", "updated")) != reverse)
    if limit is not None:
        tickets = tickets[:limit]
    if json_:
        emit_entries(tickets, categories)
        return
    if not tickets:
        info("no tickets match")
        return
    rows = []
    for t in tickets:
        m = t.meta
        rows.append([t.id, str(m.get("status", "")), str(m.get("priority", "")), str(m.get("assignee") or "-"),
                     str(m.get("group") or "-"), str(m.get("updated") or "")[:16].replace("T", " "),
                     clip(t.title, 60)])
    typer.echo(table(rows, ["ID", "STATUS", "PRIORITY", "ASSIGNEE", "GROUP", "UPDATED", "TITLE"]))
    info(f"{len(tickets)} ticket{'s' if len(tickets) != 1 else ''}")


def _full_text(d, rel: str) -> str:
    try:
        return (d.root / rel).read_text(encoding="utf-8").lower()
    except OSError:
        return ""


def _short_time(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value or "")


@app.command("show")
def show(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    json_: bool = JSON_OPTION,
) -> None:
    """Show a ticket: its fields and the whole conversation."""
    from supportctl.tickets.actions import format_person
    from supportctl.tickets.index import json_value

    d = desk()
    ticket = tickets_of(d).get(ref)
    if json_:
        emit_json(ticket_json(ticket, d.config, full=True))
        return
    m = ticket.meta
    out = [style(f"{ticket.id}  {ticket.title}", bold=True)]
    category = d.config.lifecycle.category(ticket.status)
    out.append(f"status: {ticket.status} ({category})   priority: {m.get('priority')}   "
               f"type: {m.get('type') or '-'}   channel: {m.get('channel')}")
    out.append(f"requester: {format_person(m.get('requester'))}")
    out.append(f"assignee: {m.get('assignee') or '-'}   group: {m.get('group') or '-'}   "
               f"tags: {', '.join(m.get('tags') or []) or '-'}")
    out.append(f"created: {_short_time(m.get('created'))}   updated: {_short_time(m.get('updated'))}")
    links = [f"{key}: {', '.join(map(str, m[key]))}" for key in ("kb", "related") if m.get(key)]
    if m.get("merged_into"):
        links.append(f"merged into: {m['merged_into']}")
    if links:
        out.append("   ".join(links))
    known = {"id", "title", "status", "priority", "type", "channel", "requester", "assignee", "group", "tags",
             "created", "updated", "kb", "related", "merged_into"}
    extra = {k: v for k, v in m.items() if k not in known}
    for key, value in extra.items():
        out.append(f"{key}: {json_value(value)}")
    for record in ticket.records:
        when = record.at.strftime("%Y-%m-%d %H:%M %z")
        if record.kind == "event":
            changes = "; ".join(c.render() for c in record.changes())
            out.append(style(f"  · {when}  {record.author}: {changes}", dim=True))
            continue
        label = "internal note" if record.kind == "note" else record.role
        colour = {"customer": "blue", "agent": "green", "system": "magenta"}.get(record.role, "white")
        if record.kind == "note":
            colour = "yellow"
        out.append("")
        out.append(style(f"── {when}  {record.author} ({label})", fg=colour, bold=True))
        out.append(record.body)
    typer.echo("\n".join(out))


@app.command("log")
def log_cmd(
    ref: str = typer.Argument(..., metavar="ID", help="Ticket id or unique prefix."),
    json_: bool = JSON_OPTION,
) -> None:
    """Who changed a ticket and when, from git history."""
    from supportctl.desk import git as gitops

    d = desk()
    rel = tickets_of(d).resolve(ref)
    entries = gitops.log(d.root, rel)
    if json_:
        emit_json([e.__dict__ for e in entries])
        return
    if not entries:
        info(f"{rel} has no commits yet")
        return
    rows = [[e.commit, e.date[:16].replace("T", " "), f"{e.author} <{e.email}>", e.stat, e.subject]
            for e in entries]
    typer.echo(table(rows, ["COMMIT", "DATE", "AUTHOR", "LINES", "CHANGE"]))
