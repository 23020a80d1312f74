"""Mail intake: messages from files, mailboxes, stdin or IMAP become tickets and messages, each once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import field
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError, UsageError
from supportctl.services import automation
from supportctl.services.session import SYSTEM, SYSTEM_EMAIL, Session

UNPROCESSED = "mail/unprocessed"   # mail that made no ticket change is still kept, never dropped
MESSAGE_LINES = 500                 # a commit message lists this many messages, then counts the rest


@datatype
class Intake:
    """What became of one message (spec §10: message_id, action, ticket, automated, bounce, reason)."""

    source: str
    message_id: str | None = None
    action: str = "skipped"          # created | appended | skipped
    ticket: str | None = None
    automated: bool = False
    bounce: bool = False
    reason: str | None = None
    kept: str | None = None          # where the original was kept when nothing else was done with it

    def to_json(self) -> dict[str, Any]:
        return {"message_id": self.message_id, "action": self.action, "ticket": self.ticket,
                "automated": self.automated, "bounce": self.bounce, "reason": self.reason, "source": self.source,
                "kept": self.kept}


@datatype
class IntakeRun:
    """Every message's fate, and the one commit that recorded them."""

    results: list[Intake] = field(default_factory=list)
    sha: str | None = None
    dry_run: bool = False

    def count(self, action: str) -> int:
        return sum(1 for r in self.results if r.action == action)


def mail_config(session: Session):
    """The desk's `mail:` settings; an error that says how to add them when there are none."""
    cfg = session.config.mail
    if cfg is None:
        raise UsageError("this desk has no mail settings",
                         hint="add a mail: section to supportctl.yml (address, subject_tag, imap, smtp); "
                              "see docs/mail.md")
    return cfg


def secret(env: Mapping[str, str], name: str | None) -> str:
    """A password from the environment variable the config names (secrets never go in supportctl.yml)."""
    if not name or not env.get(name):
        raise SupportctlError(f"the password variable {name or '(none)'} is not set",
                              hint=f"export {name or 'the variable named in password_env'} before running; "
                                   "secrets never go in supportctl.yml")
    return env[name]


def fetch(session: Session, *, env: Mapping[str, str], dry_run: bool = False, commit: bool = True,
          limit: int | None = None) -> IntakeRun:
    """Import the IMAP folder's new mail, then file it away (moved to processed_folder, or marked seen)."""
    from supportctl.mail.sources import SourceItem
    from supportctl.mail.transport import imap_folder

    cfg = mail_config(session)
    if cfg.imap is None:
        raise UsageError("no IMAP server to fetch from", hint="add mail.imap (host, username, password_env, folder) "
                                                              "to supportctl.yml, or use `mail import`")
    with imap_folder(cfg.imap, secret(env, cfg.imap.password_env), base=session.desk.root) as box:
        fetched = box.messages(limit)
        items = [SourceItem(f"imap:{cfg.imap.folder}#{f.uid}", f.data) for f in fetched]
        run = intake(session, items, dry_run=dry_run, commit=commit)
        if not dry_run:
            # Filed away only once recorded: a message that could not even be kept stays for the next run.
            box.done([f.uid for f, r in zip(fetched, run.results) if r.action != "skipped" or r.kept
                      or r.reason == "duplicate"])
    return run


class _Run:
    """One intake run under the desk lock: the tickets it touched and the files it writes."""

    def __init__(self, session: Session, dry_run: bool, commit: bool) -> None:
        from supportctl.mail.records import RECEIVED, SENT, events_of

        self.session = session
        self.dry_run = dry_run
        self.batch = session.desk.batch("mail: an import that was interrupted", (SYSTEM, SYSTEM_EMAIL),
                                        commit=commit)
        self.cfg = mail_config(session)
        self.store = session.tickets
        self.now = session.now()
        self.tickets: dict[str, Any] = {}        # ticket id -> Ticket changed in this run
        self.files: dict[str, bytes] = {}
        self.linker = None      # services/customers.Linker, made when the run opens its first ticket
        self.received: dict[str, str] = {}       # message id (or sha256:...) -> ticket id
        self.sent: dict[str, str] = {}
        entries, _ = self.store.load_index()
        self.ids = {e.id for e in entries}
        # A merged ticket's mail goes on in the ticket it was merged into.
        self.merged = {e.id: str(e.meta["merged_into"]) for e in entries if e.meta.get("merged_into")}
        for entry in entries:
            for event in events_of(entry.history()):
                if event.kind == SENT:
                    self.sent[event.message_id] = entry.id
                elif event.kind == RECEIVED:
                    self.received[event.message_id] = entry.id
                else:   # a bounce is recorded under its own id, so it is skipped next time
                    self.received[event.message_id] = entry.id

    def ticket(self, ticket_id: str):
        if ticket_id not in self.tickets:
            self.tickets[ticket_id] = self.store.get(ticket_id)
        return self.tickets[ticket_id]

    def flush(self) -> None:
        """Write what the last message changed and forget it: memory stays flat over a large mailbox."""
        if self.dry_run:   # nothing is written: tickets stay in memory for later messages of the run
            self.files = {}
            return
        if self.tickets or self.files:
            self.batch.write({**{t.path: t.render() for t in self.tickets.values()}, **self.files})
        self.tickets, self.files = {}, {}

    def keep_unprocessed(self, raw: bytes) -> str:
        path = f"{UNPROCESSED}/{hashlib.sha256(raw).hexdigest()[:20]}.eml"
        self.files[path] = raw
        return path


def intake(session: Session, items: Iterable, *, dry_run: bool = False, commit: bool = True) -> IntakeRun:
    """Turn messages into tickets and messages (threaded, deduplicated, automated mail and bounces marked)."""
    out = IntakeRun(dry_run=dry_run)
    with session.desk.lock():
        run = _Run(session, dry_run, commit)
        try:
            for item in items:
                out.results.append(_one(run, item))
                run.flush()
            lines = [f"- {r.message_id or r.source}: {r.action}" + (f" {r.ticket}" if r.ticket else "") +
                     (f" ({r.reason})" if r.reason else "") for r in out.results[:MESSAGE_LINES]]
            if len(out.results) > MESSAGE_LINES:
                lines.append(f"- ... and {len(out.results) - MESSAGE_LINES} more")
            n = len(out.results)
            summary = (f"mail: {n} message{'s' if n != 1 else ''} ({out.count('created')} created, "
                       f"{out.count('appended')} appended, {out.count('skipped')} skipped)")
            out.sha = run.batch.commit(summary + "\n\n" + "\n".join(lines), author=(SYSTEM, SYSTEM_EMAIL))
        except BaseException:
            run.batch.rollback()   # a failed run leaves every file as it was
            raise
    return out


def _one(run: _Run, item) -> Intake:
    from supportctl.mail.errors import MailParseError
    from supportctl.mail.message import parse_message
    from supportctl.mail.records import safe_id

    result = Intake(item.label)
    if item.error is not None or item.data is None:
        result.reason = f"unreadable: {item.error}"
        return result
    raw = bytes(item.data)
    try:
        msg = parse_message(raw)
    except MailParseError as exc:
        result.reason = f"unreadable: {exc.message}"
        result.kept = run.keep_unprocessed(raw)
        return result
    result.message_id = safe_id(msg.message_id)
    key = result.message_id or "sha256:" + hashlib.sha256(raw).hexdigest()
    if key in run.received or key in run.sent:
        result.reason = "duplicate"
        result.ticket = run.received.get(key) or run.sent.get(key)
        return result
    try:
        _file(run, result, msg, raw, key)
    except SupportctlError as exc:
        if not run.dry_run:
            # Whatever this message half-changed is dropped (the previous one was flushed),
            # so a skipped message leaves no trace but its kept original.
            run.tickets, run.files = {}, {}
            run.received.pop(key, None)
        result.action, result.ticket = "skipped", None
        result.reason = exc.message
        result.kept = run.keep_unprocessed(raw)
    return result


def _file(run: _Run, result: Intake, msg, raw: bytes, key: str) -> None:
    """Append the message to its ticket, or open one, or record a bounce; fills in `result`."""
    from supportctl.mail.bounces import detect_bounce
    from supportctl.mail.classify import automated_reason

    bounce = detect_bounce(msg)
    if bounce is not None:
        result.bounce = result.automated = True
        _bounce(run, result, msg, raw, key, bounce)
        return
    reason = automated_reason(msg, run.cfg.address)
    result.automated = reason is not None
    ticket_id = _thread(run, msg)
    sender = msg.from_addr or (msg.reply_to[0] if msg.reply_to else None)
    if sender is None or "@" not in sender.email:
        raise UsageError("no sender address", hint="a message needs a From address to become a ticket")
    if ticket_id is not None and reason is None and _rating(run, result, msg, raw, key, ticket_id, _person(sender)):
        return
    if ticket_id is not None:
        carrier = _carrier(run, ticket_id)
        _append(run, result, msg, raw, key, carrier, _person(sender), reason)
        if carrier != ticket_id:
            said = f"to {ticket_id}, which was merged into {carrier}"
            result.reason = f"{said}; {result.reason}" if result.reason else said
    else:
        _create(run, result, msg, raw, key, _person(sender), reason)


def _rating(run: _Run, result: Intake, msg, raw: bytes, key: str, ticket_id: str, sender: str) -> bool:
    """A CSAT rating from the ticket's requester (or a cc): recorded as their rating, not as a message.

    It neither reopens the ticket nor counts as a customer message. Anything
    else (no rating, a stranger's, a value off the desk's scale) is a message.
    """
    from supportctl.mail.ratings import rating_in
    from supportctl.mail.records import RECEIVED, MailEvent
    from supportctl.tickets import actions, rating

    found = rating_in(msg.subject or "", _text(msg), run.cfg.subject_tag)
    if found is None:
        return False
    ticket = run.ticket(ticket_id)
    if _unknown_sender(ticket, sender):
        return False
    value, comment = found
    try:
        record, _ = rating.rate(ticket, run.session.config, rating=value, at=run.now, author=sender, comment=comment)
    except UsageError:
        return False
    path = f"mail/{ticket.id}/{record.id}.eml"
    run.files[path] = raw
    actions.event(ticket, at=record.at, body=MailEvent(RECEIVED, key, record.id, [("file", path)]).body())
    run.received[key] = ticket.id
    result.action, result.ticket = "appended", ticket.id
    result.reason = f"CSAT rating {rating.parse_rating(run.session.config, value)}"
    return True


def _person(address) -> str:
    """`Name <email>`, the name quoted when it holds a comma or the like ("Peterson, Mark")."""
    name = " ".join(address.name.split())
    if not name:
        return address.email
    if any(c in name for c in ',;:<>@()[]"\\'):
        name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{name} <{address.email}>"


def _thread(run: _Run, msg) -> str | None:
    """The ticket a message belongs to: its subject tag, else a message id the desk recorded."""
    from supportctl.mail.threads import candidate_ids, find_ticket_id

    tagged = find_ticket_id(msg.subject, run.cfg.subject_tag)
    if tagged is not None and (tagged in run.ids or tagged in run.tickets):
        return tagged
    for mid in candidate_ids(msg):
        found = run.sent.get(mid) or run.received.get(mid)
        if found:
            return found
    return None


def _carrier(run: _Run, ticket_id: str) -> str:
    """The ticket that carries `ticket_id`'s conversation: the end of its merged_into chain."""
    from supportctl.tickets import actions

    chain = actions.merged_chain(ticket_id, run.merged.get)
    if len(chain) > 1 and chain[-1] not in run.ids:
        raise SupportctlError(f"ticket {chain[-2]} is merged into {chain[-1]}, which does not exist",
                              hint=f"fix merged_into in ticket {chain[-2]}'s file, then import the mail again")
    return chain[-1]


def _text(msg) -> str:
    text = msg.text.strip() or msg.full_text.strip()
    if text:
        return text
    return "(no text; see the attached files)" if msg.attachments else "(empty message)"


def _received(run: _Run, ticket, record, msg, raw: bytes, key: str, reason: str | None,
              unknown: str | None = None) -> None:
    """Keep the original and its attachments beside the ticket and record the receipt."""
    from supportctl.mail.records import RECEIVED, MailEvent
    from supportctl.tickets import actions

    base = f"mail/{ticket.id}/{record.id}"
    run.files[f"{base}.eml"] = raw
    event = MailEvent(RECEIVED, key, record.id, [("file", f"{base}.eml")])
    limit = run.cfg.max_attachment_mb * 1_000_000
    for attachment in msg.attachments:
        if len(attachment.data) > limit:
            # Still in the original message, byte for byte: only not unpacked as a file.
            event.fields.append(("attachment_too_large",
                                 f"{attachment.filename} ({len(attachment.data) / 1_000_000:.1f} MB)"))
            continue
        path = f"{base}/{attachment.filename}"
        run.files[path] = attachment.data
        event.fields.append(("attachment", path))
    if msg.date is not None:
        event.fields.append(("date", msg.date.isoformat()))
    if reason:
        event.fields.append(("automated", reason))
    if unknown:
        event.fields.append(("unknown_sender", unknown))
    actions.event(ticket, at=record.at, body=event.body())
    run.received[key] = ticket.id
    requester = (ticket.meta.get("requester") or {}).get("email", "")
    copies = [a.email for a in (*msg.to, *msg.cc)
              if a.email.lower() not in (run.cfg.address, str(requester).lower())]
    # Only Cc'd people follow the ticket; other To addresses are usually the desk's aliases.
    cc = [a.email for a in msg.cc if a.email in copies]
    if cc and not unknown:
        actions.add_cc(ticket, cc, at=record.at)


def _new_message(ticket, before: int):
    """The message record an action just added (it is the one not read from the file)."""
    return [r for r in ticket.records if r.raw is None and r.kind == "message"][before]


def _append(run: _Run, result: Intake, msg, raw: bytes, key: str, ticket_id: str, sender: str,
            reason: str | None) -> None:
    from supportctl.tickets import actions
    from supportctl.tickets.model import new_ticket_id

    ticket = run.ticket(ticket_id)
    config = run.session.config
    text = _text(msg)
    if reason is None and actions.closed_follow_up(ticket, config, run.now) and not _unknown_sender(ticket, sender):
        new_id = new_ticket_id(run.ids | set(run.tickets))
        outcome = actions.open_follow_up(ticket, config, ticket_id=new_id, at=run.now, text=text, sender=sender)
        follow = outcome.created[0]
        run.tickets[follow.id] = follow
        run.ids.add(follow.id)
        _received(run, follow, _new_message(follow, 0), msg, raw, key, reason)
        result.action, result.ticket = "created", follow.id
        result.reason = f"follow-up of closed ticket {ticket.id}"
        return
    unknown = _unknown_sender(ticket, sender)
    # Mail from an address the ticket does not know is kept and marked for an agent
    # to judge, but changes nothing: anyone who saw the subject tag could send it.
    actions.customer_message(ticket, config, at=run.now, text=text, author=sender,
                             reopen=reason is None and unknown is None)
    _received(run, ticket, _new_message(ticket, -1), msg, raw, key, reason, unknown)
    if reason is None and unknown is None:   # rules never answer robots or strangers
        automation.fire(run.session, ticket, "customer_message", at=run.now, text=text)
    result.action, result.ticket = "appended", ticket.id
    if unknown:
        result.reason = f"from {unknown}, who is not on the ticket: kept, did not reopen it"


def _unknown_sender(ticket, sender: str) -> str | None:
    """The sender's address when it is neither the requester nor in the ticket's cc, else None."""
    from email.utils import parseaddr

    address = parseaddr(sender)[1].lower()
    requester = ticket.meta.get("requester") or {}
    known = {str(requester.get("email", "")).lower() if isinstance(requester, dict) else ""}
    known |= {str(c).lower() for c in ticket.meta.get("cc") or []}
    return None if address in known else address


def _create(run: _Run, result: Intake, msg, raw: bytes, key: str, sender: str, reason: str | None) -> None:
    from supportctl.kb.usage import FEEDBACK_TAG
    from supportctl.mail.threads import find_kb_feedback, title_from_subject
    from supportctl.tickets import actions
    from supportctl.tickets.model import new_ticket_id, ticket_path

    new_id = new_ticket_id(run.ids | set(run.tickets))
    title = title_from_subject(msg.subject, run.cfg.subject_tag) or "(no subject)"
    # "Was this page helpful? No" on the help site mails "Feedback: <title> [kb:<slug>]": feedback on that
    # article (`kb list --used` counts it), when the article exists.
    slug = find_kb_feedback(msg.subject) if reason is None else None
    if slug and not any((run.session.desk.root / "kb").glob(f"*/{slug}.md")):
        slug = None
    if run.linker is None:
        from supportctl.services.customers import Linker

        run.linker = Linker(run.session)
    known = set(run.linker.files)
    links = run.linker.link(actions.parse_requester(sender))
    for rel in set(run.linker.files) - known:       # a customer created for this sender goes in with the ticket
        run.files[rel] = run.linker.files[rel].encode("utf-8")
    config = run.session.config
    ticket = actions.create_ticket(config, ticket_id=new_id, path=ticket_path(new_id, config.desk.tickets_sharded),
                                   title=title, requester=sender, actor=SYSTEM, at=run.now, body=_text(msg),
                                   channel="email", tags=["automated"] if reason else [FEEDBACK_TAG] if slug else [], links=links)
    if slug:
        actions.link(ticket, kind="kb", target=slug, actor=SYSTEM, at=run.now, role="system")
    run.tickets[new_id] = ticket
    run.ids.add(new_id)
    _received(run, ticket, _new_message(ticket, 0), msg, raw, key, reason)
    result.action, result.ticket = "created", new_id
    if reason is None:   # routing before the acknowledgement, which may then name the group or agent
        automation.fire(run.session, ticket, "created", at=run.now, text=_text(msg))
    if reason is None and run.cfg.acknowledge:
        try:
            _acknowledge(run, ticket)
        except SupportctlError as exc:   # a broken template must not turn a customer away
            result.reason = f"no acknowledgement: {exc}"


def _acknowledge(run: _Run, ticket) -> None:
    """The automatic reply to a new ticket, from the configured template; `mail send` delivers it."""
    from supportctl import templating
    from supportctl.tickets import actions

    desk = run.session.desk
    text = templating.render(desk.templates_dir, run.cfg.acknowledge, templating.ticket_context(desk, ticket, None))
    actions.automatic_reply(ticket, at=run.now, text=text)


def _bounce(run: _Run, result: Intake, msg, raw: bytes, key: str, bounce) -> None:
    """A delivery status notification: a `delivery failed` event on the ticket whose mail bounced."""
    from supportctl.mail.records import FAILED, MailEvent
    from supportctl.tickets import actions

    ticket_id = next((run.sent[i] for i in bounce.original_message_ids if i in run.sent), None)
    if ticket_id is None:
        raise UsageError("a bounce of mail the desk did not send", hint="kept in " + UNPROCESSED)
    ticket = run.ticket(ticket_id)
    original = next(i for i in bounce.original_message_ids if i in run.sent)
    path = f"mail/{ticket.id}/bounce-{hashlib.sha256(raw).hexdigest()[:12]}.eml"
    run.files[path] = raw
    event = MailEvent(FAILED, key, None, [("original", original), ("file", path)])
    for r in bounce.recipients:
        event.fields.append(("recipient", r.address))
        if r.status:
            event.fields.append(("dsn_status", r.status))
        if r.diagnostic:
            event.fields.append(("diagnostic", r.diagnostic))
    actions.event(ticket, at=run.now, body=event.body())
    run.received[key] = ticket.id
    result.action, result.ticket = "appended", ticket.id
