"""Ticket use cases: open, converse, change fields, link, merge and sweep."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import field
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError, UsageError
from supportctl.services import automation
from supportctl.services.session import SYSTEM, SYSTEM_EMAIL, Session
from supportctl.tickets import actions
from supportctl.tickets.model import Ticket, new_ticket_id, ticket_path


@datatype
class Done:
    """What a change did: the ticket, a one-line summary and the commit (None when not committed)."""

    ticket: Ticket
    summary: str
    sha: str | None
    follow_up: Ticket | None = None   # a new ticket opened instead of reopening a closed one
    redirected_from: str | None = None  # the ticket addressed, when it was merged into `ticket`
    fired: list = field(default_factory=list)   # automation rules that acted (services/automation.py)

    @property
    def what(self) -> str:
        """The summary without its `ticket ID: ` prefix."""
        return self.summary.split(": ", 1)[-1]


def _change(session: Session, ref: str, action: Callable[[Ticket, Any], actions.Outcome], *,
            commit: bool = True) -> Done:
    """Under the desk lock: read one ticket, apply `action(ticket, now)`, save and commit."""
    author = session.author()
    with session.desk.lock():
        ticket = session.tickets.get(ref)
        outcome = action(ticket, session.now())
        sha = session.tickets.save([ticket], outcome.summary, author=author, commit=commit)
    return Done(ticket, outcome.summary, sha)


def create(session: Session, *, title: str, requester: str, body: str | None = None, priority: str = "normal",
           channel: str = "email", type_: str | None = None, group: str | None = None,
           assignee: str | None = None, tags: list[str] | None = None, fields: dict[str, str] | None = None,
           commit: bool = True) -> Done:
    """Open a ticket for a customer."""
    from supportctl.services.customers import links_for

    actor, author = session.agent(), session.author()
    with session.desk.lock():
        ticket_id = new_ticket_id(session.tickets.taken())
        links, new_customers = links_for(session, requester)
        path = ticket_path(ticket_id, session.config.desk.tickets_sharded)
        ticket = actions.create_ticket(session.config, ticket_id=ticket_id, path=path, title=title,
                                       requester=requester, actor=actor, at=session.now(), body=body,
                                       priority=priority, channel=channel, type_=type_, group=group,
                                       assignee=assignee, tags=tags or [], fields=fields or {}, links=links)
        summary = f"ticket {ticket_id}: new ({channel}) {ticket.title}"
        if new_customers:
            summary += f" (new customer {links['customer']})"
        fired = automation.fire(session, ticket, "created", at=ticket.meta["created"], text=body or "")
        sha = session.tickets.save([ticket], automation.with_rules(summary, fired), author=author, commit=commit,
                                   extra=new_customers)
    return Done(ticket, summary, sha, fired=fired)


def customer_message(session: Session, ref: str, *, text: str, sender: str | None = None,
                     commit: bool = True) -> Done:
    """A customer's message: reopens a pending or solved ticket, or opens a follow-up of a closed one."""
    given = actions.parse_requester(sender) if sender else None
    sender_text = actions.format_person(given) if given else None
    desk = session.desk
    with desk.lock():
        addressed = session.tickets.get(ref)
        ticket = _carrier(session, addressed)
        redirected = addressed.id if ticket is not addressed else None
        if redirected and given is None and isinstance(addressed.meta.get("requester"), dict):
            # Written to the duplicate, so from its requester (after a --force merge, not the target's).
            given = addressed.meta["requester"]
            sender_text = actions.format_person(given)
        when = session.now()
        # The commit's author is who recorded the message (the agent at the terminal, or
        # supportctl for an intake job); the record itself names the customer. Git is the
        # audit trail of who changed the repository, and a customer's address in commit
        # metadata could not be erased later by editing a file.
        author = session.author() if session.actor else (SYSTEM, SYSTEM_EMAIL)
        if actions.closed_follow_up(ticket, session.config, when):
            outcome = actions.open_follow_up(ticket, session.config, ticket_id=new_ticket_id(session.tickets.taken()),
                                             at=when, text=text, sender=sender_text)
            follow = outcome.created[0]
            sha = session.tickets.save([follow, ticket], outcome.summary, author=author, commit=commit)
            return Done(ticket, outcome.summary, sha, follow_up=follow, redirected_from=redirected)
        outcome = actions.customer_message(ticket, session.config, at=when, text=text, author=sender_text)
        summary = outcome.summary + (f" (addressed to {redirected}, merged into {ticket.id})" if redirected else "")
        fired = automation.fire(session, ticket, "customer_message", at=when, text=text)
        sha = session.tickets.save([ticket], automation.with_rules(summary, fired), author=author, commit=commit)
    return Done(ticket, summary, sha, redirected_from=redirected, fired=fired)


def _carrier(session: Session, ticket: Ticket) -> Ticket:
    """The ticket that carries `ticket`'s conversation: itself, or the end of its merged_into chain."""
    from supportctl.errors import NotFound

    tickets = {ticket.id: ticket}

    def merged_into(ticket_id: str) -> str | None:
        into = tickets[ticket_id].meta.get("merged_into")
        if into and str(into) not in tickets:
            try:
                found = session.tickets.get(str(into))
                if found.id != str(into):   # a prefix of another ticket is not the one it was merged into
                    raise NotFound(str(into))
            except NotFound:
                raise SupportctlError(f"ticket {ticket_id} is merged into {into}, which does not exist",
                                      hint=f"fix merged_into in {tickets[ticket_id].path}") from None
            tickets[str(into)] = found
            return found.id
        return str(into) if into else None

    return tickets[actions.merged_chain(ticket.id, merged_into)[-1]]


def reply(session: Session, ref: str, *, text: str | None = None, template: str | None = None,
          status: str | None = None, kb: list[str] | None = None, commit: bool = True) -> Done:
    """A public reply, written or from a template, optionally with KB article links and a status change."""
    if template is not None and text is not None:
        raise UsageError("give -m, --body-file or --template, not several", hint="choose one source for the reply")
    actor, author = session.agent(), session.author()
    desk = session.desk
    with desk.lock():
        ticket = session.tickets.get(ref)
        when = session.now()
        macro = None
        if template:   # rendered before anything changes: a template that fails changes nothing
            text, macro = automation.macro_reply(session, ticket, template, actor=actor, at=when)
        articles: dict[str, str] = {}
        linked = None
        if kb:  # the article links go into the reply, and ticket and article record each other
            from supportctl.kb.load import desk_kb
            from supportctl.kb.reply import reply_links

            linked = reply_links(desk_kb(desk), session.config, ticket.id, kb, text)
            text, articles = linked.text, linked.files
        old_status = ticket.status
        if macro is not None and status is None:   # the macro's status moves the ticket as --status would
            status = macro.changes.status
        outcome = actions.agent_reply(ticket, session.config, actor=actor, at=when, text=text or "", status=status)
        changed = automation.apply_set(session, ticket, macro, actor=actor, at=when, status=status) if macro else []
        if linked is not None:
            from supportctl.kb.model import str_list

            for slug in linked.new_links(str_list(ticket.meta.get("kb"))):
                actions.link(ticket, kind="kb", target=slug, actor=actor, at=when)
        summary = outcome.summary + "".join(f", kb {s}" for s in kb or []) + \
            (f", macro {template}: {'; '.join(changed)}" if changed else "")
        fired = automation.fire(session, ticket, "agent_reply", at=when, text=text or "")
        if ticket.status != old_status:
            fired += automation.fire(session, ticket, "status_changed", at=when, text=text or "")
        sha = session.tickets.save([ticket], automation.with_rules(summary, fired), author=author, commit=commit,
                                   extra=articles)
    return Done(ticket, summary, sha, fired=fired)


def note(session: Session, ref: str, *, text: str, commit: bool = True) -> Done:
    """An internal note: never shown to the customer."""
    actor = session.agent()
    return _change(session, ref, lambda t, now: actions.internal_note(t, actor=actor, at=now, text=text),
                   commit=commit)


def set_status(session: Session, ref: str, state: str, *, reason: str | None = None, commit: bool = True) -> Done:
    """Move a ticket to another state of the lifecycle."""
    actor, author = session.agent(), session.author()
    with session.desk.lock():
        ticket = session.tickets.get(ref)
        when = session.now()
        outcome = actions.set_status(ticket, session.config, state=state, actor=actor, at=when, reason=reason)
        fired = automation.fire(session, ticket, "status_changed", at=when)
        sha = session.tickets.save([ticket], automation.with_rules(outcome.summary, fired), author=author,
                                   commit=commit)
    return Done(ticket, outcome.summary, sha, fired=fired)


def assign(session: Session, ref: str, *, agent: str | None = None, group: str | None = None,
           unassign: bool = False, commit: bool = True) -> Done:
    """Assign an agent and/or a group."""
    if unassign and agent:
        raise UsageError("give an AGENT or --unassign, not both", hint="choose one")
    actor = session.agent()
    return _change(session, ref, lambda t, now: actions.assign(t, session.config, agent=agent, group=group,
                                                               actor=actor, at=now, unassign=unassign),
                   commit=commit)


def set_priority(session: Session, ref: str, priority: str, *, commit: bool = True) -> Done:
    """Change the priority."""
    actor = session.agent()
    return _change(session, ref, lambda t, now: actions.set_priority(t, priority=priority, actor=actor, at=now),
                   commit=commit)


def set_field(session: Session, ref: str, name: str, value: str | None, *, commit: bool = True) -> Done:
    """Change the title, type or a custom field."""
    actor = session.agent()
    return _change(session, ref, lambda t, now: actions.set_field(t, session.config, name=name, value=value,
                                                                  actor=actor, at=now), commit=commit)


def tag(session: Session, ref: str, *, add: list[str], remove: list[str], commit: bool = True) -> Done:
    """Add and remove tags."""
    actor = session.agent()
    return _change(session, ref, lambda t, now: actions.tag(t, add=add, remove=remove, actor=actor, at=now),
                   commit=commit)


def link(session: Session, ref: str, *, kb: str | None = None, related: str | None = None, remove: bool = False,
         commit: bool = True) -> Done:
    """Link a ticket to a KB article (the article records it too) or to another ticket (both ways)."""
    if (kb is None) == (related is None):
        raise UsageError("give --kb SLUG or --related ID", hint="one link at a time")
    actor, author = session.agent(), session.author()
    desk = session.desk
    with desk.lock():
        ticket = session.tickets.get(ref)
        when = session.now()
        extra: dict[str, str] = {}
        if related is not None:
            other = session.tickets.get(related)
            outcome = actions.link(ticket, kind="related", target=other.id, actor=actor, at=when, remove=remove)
            # Related links go both ways, so each ticket shows the other; the other side
            # is left alone only when it already says so. Any other refusal there (a time
            # before the other ticket was created) refuses the whole link.
            back = other.meta.get("related")
            if (ticket.id in (back if isinstance(back, list) else [])) == remove:
                actions.link(other, kind="related", target=ticket.id, actor=actor, at=when, remove=remove)
                changed = [ticket, other]
            else:
                changed = [ticket]
        else:
            # The article must exist, and it records the ticket too (internal
            # runbooks included: agents link those from tickets).
            from supportctl.kb.edits import forget_ticket, record_ticket
            from supportctl.kb.load import desk_kb

            article = desk_kb(desk).get(kb or "")
            outcome = actions.link(ticket, kind="kb", target=article.slug, actor=actor, at=when, remove=remove)
            changed = [ticket]
            extra = {article.path: (forget_ticket if remove else record_ticket)(article, ticket.id)}
        sha = session.tickets.save(changed, outcome.summary, author=author, commit=commit, extra=extra)
    return Done(ticket, outcome.summary, sha)


def merge(session: Session, ref: str, into: str, *, force: bool = False, commit: bool = True) -> Done:
    """Move a duplicate's conversation into another ticket and close it there; one commit for both files."""
    actor, author = session.agent(), session.author()
    with session.desk.lock():
        source, target = session.tickets.get(ref), session.tickets.get(into)
        outcome = actions.merge(source, target, session.config, actor=actor, at=session.now(), force=force)
        sha = session.tickets.save([source, target], outcome.summary, author=author, commit=commit)
    return Done(source, outcome.summary, sha)


@datatype
class Swept:
    """The timed transitions a sweep applied, one commit for all."""

    moved: list[dict[str, str]] = field(default_factory=list)   # {"id", "change"}
    sha: str | None = None


def sweep(session: Session, *, commit: bool = True) -> Swept:
    """Apply every timed transition that is due (e.g. close tickets solved four days ago)."""
    desk = session.desk
    timed = {name for name, state in session.config.lifecycle.states.items() if state.next_state}
    result = Swept()
    changed = []
    with desk.lock():
        when = session.now()
        entries, _ = session.tickets.load_index()
        for entry in entries:
            if entry.status not in timed:
                continue
            ticket = session.tickets.read(entry.path)
            outcome = actions.apply_due_transition(ticket, session.config, when)
            if outcome is not None:
                changed.append(ticket)
                result.moved.append({"id": ticket.id, "change": outcome.summary.split(": ", 1)[1]})
        if changed:
            n = len(changed)
            message = f"sweep: {n} timed transition{'s' if n != 1 else ''}\n\n" + \
                "\n".join(f"ticket {c['id']}: {c['change']}" for c in result.moved)
            result.sha = session.tickets.save(changed, message, author=(SYSTEM, SYSTEM_EMAIL), commit=commit)
    return result


# ----------------------------------------------------------------- reading
