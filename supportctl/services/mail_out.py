"""Mail delivery: every public reply that has no delivery record yet goes out over SMTP, once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import field
from datetime import datetime
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import UsageError
from supportctl.services.mail_in import mail_config, secret
from supportctl.services.session import SYSTEM, SYSTEM_EMAIL, Session


@datatype
class Outgoing:
    """One reply waiting to be mailed: which record of which ticket, to whom, and how it threads."""

    ticket: str
    record: str
    title: str
    at: datetime
    to: str
    cc: list[str]
    subject: str
    message_id: str
    automatic: bool
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    body: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "record": self.record, "at": self.at.isoformat(), "to": self.to,
                "cc": self.cc, "subject": self.subject, "message_id": self.message_id,
                "automatic": self.automatic, "in_reply_to": self.in_reply_to}


def _pending(entry, since: float | None) -> bool:
    """Whether a ticket (index entry) may have a reply without a delivery record: decided from the index alone."""
    from supportctl.mail.records import delivered, events_of

    done = delivered(events_of(entry.history()))
    for kind, rid, _, _, role, merged_from, ts in entry.records:
        # A reply merged from another ticket was that ticket's to send (the index keeps where it came from).
        if (kind == "message" and role in ("agent", "system") and not merged_from and rid not in done
                and (since is None or ts >= since)):
            return True
    return False


@datatype
class Unmailable:
    """A public reply mail cannot deliver: the requester has no email address (a phone, chat or social ticket)."""

    ticket: str
    record: str
    at: datetime
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {"ticket": self.ticket, "record": self.record, "at": self.at.isoformat(), "reason": self.reason}


def imported_replies(ticket) -> set[str]:
    """Replies imported from a chat or GitHub (`imported:` events): they reached the customer there."""
    out: set[str] = set()
    for record in ticket.records:
        if record.kind == "event" and record.body.startswith("imported: "):
            out.update(line[len("record: "):].strip() for line in record.body.split("\n")
                       if line.startswith("record: "))
    return out


def outbox(session: Session) -> list[Outgoing]:
    """Every public reply (agent or automatic) with no delivery record, oldest first."""
    return scan_outbox(session)[0]


def scan_outbox(session: Session) -> tuple[list[Outgoing], list[Unmailable]]:
    """The outbox, and the replies left out of it because their requester has no email address."""
    from supportctl.tickets.people import handle_of, show_handle
    from supportctl.mail.outgoing import message_id_for, reply_subject
    from supportctl.mail.records import RECEIVED, SENT, delivered, parse_event

    cfg = mail_config(session)
    since = cfg.deliver_since.timestamp() if cfg.deliver_since else None
    store = session.tickets
    entries, _ = store.load_index()
    out: list[Outgoing] = []
    skipped: list[Unmailable] = []
    for entry in entries:
        if not _pending(entry, since):
            continue
        ticket = store.read(entry.path)
        requester = ticket.meta.get("requester") or {}
        to = requester.get("email") if isinstance(requester, dict) else None
        if not to:
            # Nobody to mail (a phone, chat or social ticket): the reply stays recorded, and
            # the outbox says why it is not sent rather than dropping it silently.
            found = handle_of(requester)
            reason = (f"requester has no email address (only {found[0]} {show_handle(*found)}); "
                      f"reply on the {ticket.meta.get('channel') or 'other'} channel" if found
                      else "requester has no email address")
            imported = imported_replies(ticket)
            skipped.extend(Unmailable(ticket.id, r.id, r.at, reason) for r in ticket.records
                           if r.kind == "message" and r.role in ("agent", "system") and not r.merged_from
                           and r.id not in imported
                           and (since is None or r.at.timestamp() >= since))
            continue
        name = requester.get("name")
        events = [(r, parse_event(r.body)) for r in ticket.records if r.kind == "event" and r.body.startswith("mail: ")]
        done = delivered(e for _, e in events if e) | imported_replies(ticket)
        thread: list[str] = []          # message ids of the conversation so far, oldest first
        last_in: str | None = None
        by_record = {e.record: e for _, e in events if e and e.record}
        for record in ticket.records:
            mail = by_record.get(record.id)
            if mail is not None and mail.kind in (RECEIVED, SENT) and mail.message_id.startswith("<"):
                thread.append(mail.message_id)
                if mail.kind == RECEIVED:
                    last_in = mail.message_id
            if (record.kind != "message" or record.role not in ("agent", "system") or record.id in done
                    or record.merged_from or (since is not None and record.at.timestamp() < since)):
                continue
            out.append(Outgoing(
                ticket=ticket.id, record=record.id, title=ticket.title, at=record.at, to=f"{name} <{to}>" if name else to,
                cc=[str(c) for c in ticket.meta.get("cc") or []],
                subject=reply_subject(ticket.title, cfg.subject_tag, ticket.id),
                message_id=message_id_for(ticket.id, record.id, cfg.domain), automatic=record.role == "system",
                in_reply_to=last_in, references=thread[-10:], body=record.body))
    out.sort(key=lambda o: (o.at, o.ticket, o.record))
    skipped.sort(key=lambda o: (o.at, o.ticket, o.record))
    return out, skipped


@datatype
class Sent:
    """What `mail send` did: each message sent (with its commit) and each failure with the reason."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False


def send(session: Session, *, env: Mapping[str, str], dry_run: bool = False, commit: bool = True) -> Sent:
    """Send the outbox over SMTP; each delivery is recorded and committed as soon as the server took it."""
    from supportctl.mail.outgoing import build_reply
    from supportctl.mail.transport import PartialDelivery, TransportError, smtp_connection

    cfg = mail_config(session)
    result = Sent(dry_run=dry_run)
    if cfg.smtp is None and not dry_run:
        raise UsageError("no SMTP server to send with", hint="add mail.smtp (host, port, security) to supportctl.yml")
    desk = session.desk
    with desk.lock():
        queue = outbox(session)
        if dry_run or not queue:
            result.sent = [o.to_json() for o in queue] if dry_run else []
            return result
        password = secret(env, cfg.smtp.password_env) if cfg.smtp.username else None
        with smtp_connection(cfg.smtp, password, base=desk.root) as smtp:
            for item in queue:
                message = build_reply(desk_address=cfg.address, desk_name=cfg.name or session.config.desk.name,
                                      to=item.to, cc=item.cc, title=item.title, subject_tag=cfg.subject_tag,
                                      ticket_id=item.ticket, record_id=item.record, date=session.now(),
                                      body=item.body, in_reply_to=item.in_reply_to, references=item.references,
                                      automatic=item.automatic)
                note = None
                try:
                    smtp.send(message)
                except PartialDelivery as exc:
                    note = exc.message
                except TransportError as exc:
                    result.failed.append({**item.to_json(), "reason": exc.message})
                    continue
                sha = _record_delivery(session, item, note, commit)
                result.sent.append({**item.to_json(), "commit": sha, "note": note})
    return result


def _record_delivery(session: Session, item: Outgoing, note: str | None, commit: bool) -> str | None:
    """The `mail: sent` event on the ticket, committed at once so a crash cannot mail it twice."""
    from supportctl.mail.records import SENT, MailEvent
    from supportctl.tickets import actions

    ticket = session.tickets.get(item.ticket)
    fields = [("to", item.to)] + [("cc", c) for c in item.cc]
    if note:
        fields.append(("refused", note))
    actions.event(ticket, at=max(session.now(), item.at), body=MailEvent(SENT, item.message_id, item.record,
                                                                        fields).body())
    return session.tickets.save([ticket], f"mail: sent {item.message_id} (ticket {item.ticket})",
                             author=(SYSTEM, SYSTEM_EMAIL), commit=commit)
