"""`supportctl mail`: take in mail (files, mailboxes, an MTA pipe, IMAP) and send the replies that were merged."""

from __future__ import annotations

import os
from typing import Optional

import typer

from supportctl.cli.common import JSON_OPTION, NO_COMMIT_OPTION, session
from supportctl.cli.render import clip, echo, emit_json, info, plural, run_outcome, table, when

app = typer.Typer(no_args_is_help=True, help="Mail in and out: import, fetch (IMAP), outbox, send (SMTP).",
                  epilog="Examples:  supportctl mail import ~/Maildir  |  postfix pipe: supportctl mail import -  |  "
                         "supportctl mail fetch  |  supportctl mail send --dry-run")

DRY_RUN_OPTION = typer.Option(False, "--dry-run", help="Show what would happen; change nothing.")


def _report(run, json_: bool) -> None:
    if json_:
        emit_json([r.to_json() for r in run.results])
    else:
        for r in run.results:
            what = f"{r.action} {r.ticket}" if r.ticket else r.action
            flags = "".join(f" [{f}]" for f, on in (("automated", r.automated and not r.bounce),
                                                    ("bounce", r.bounce)) if on)
            info(f"{r.message_id or r.source}: {what}{flags}" + (f" ({r.reason})" if r.reason else "") +
                 (f"; kept in {r.kept}" if r.kept else ""))
    summary = (f"{plural(len(run.results), 'message')}: {run.count('created')} created, "
               f"{run.count('appended')} appended, {run.count('skipped')} skipped")
    info(run_outcome(summary, dry_run=run.dry_run, sha=run.sha))


@app.command("import")
def import_(
    paths: Optional[list[str]] = typer.Argument(None, metavar="[PATH...]", help=".eml files, mbox files, Maildir "
                                                "folders or folders of .eml files; - or nothing: one message on "
                                                "standard input (an MTA pipe)."),
    dry_run: bool = DRY_RUN_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Turn mail into tickets: thread replies, skip duplicates, mark automated mail and bounces."""
    from supportctl.mail.sources import iter_messages
    from supportctl.services import mail_in

    s = session(actor=False)
    items = (item for source in (paths or ["-"]) for item in iter_messages(source))
    _report(mail_in.intake(s, items, dry_run=dry_run, commit=not no_commit), json_)


@app.command("fetch")
def fetch(
    limit: Optional[int] = typer.Option(None, "--limit", "-n", min=1, help="Take at most N messages this run."),
    dry_run: bool = DRY_RUN_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Import new mail from the IMAP folder in supportctl.yml, then move it to processed_folder (or mark it seen)."""
    from supportctl.services import mail_in

    run = mail_in.fetch(session(actor=False), env=os.environ, dry_run=dry_run, commit=not no_commit, limit=limit)
    _report(run, json_)


@app.command("outbox")
def outbox(json_: bool = JSON_OPTION) -> None:
    """List the replies `mail send` would send: public replies with no delivery record."""
    from supportctl.services import mail_out

    s = session(actor=False)
    items, skipped = mail_out.scan_outbox(s)
    for item in skipped:
        # Said on stderr (also with --json): the JSON stays the list `mail send` would send.
        info(f"not mailed: ticket {item.ticket} record {item.record}: {item.reason}")
    if json_:
        emit_json([o.to_json() for o in items])
        return
    if not items:
        info("the outbox is empty")
        return
    rows = [[o.ticket, o.record, when(int(o.at.timestamp()), s.zone), "auto" if o.automatic else "reply", o.to,
             clip(o.subject, 60)] for o in items]
    echo(table(rows, ["TICKET", "RECORD", "WRITTEN", "KIND", "TO", "SUBJECT"]))
    info(plural(len(items), "message") + " to send")


@app.command("send")
def send(
    dry_run: bool = DRY_RUN_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Send every reply in the outbox over SMTP and record each delivery; failures are retried next run."""
    from supportctl.services import mail_out

    result = mail_out.send(session(actor=False), env=os.environ, dry_run=dry_run, commit=not no_commit)
    if json_:
        emit_json({"sent": result.sent, "failed": result.failed, "dry_run": dry_run})
    else:
        for item in result.sent:
            info(f"{item['ticket']} {item['record']}: " + ("would send" if dry_run else "sent") +
                 f" to {item['to']}" + (f" ({item['note']})" if item.get("note") else ""))
        for item in result.failed:
            info(f"{item['ticket']} {item['record']}: not sent: {item['reason']}")
        info(f"{plural(len(result.sent), 'message')} {'to send' if dry_run else 'sent'}, "
             f"{len(result.failed)} failed")
    if result.failed:
        raise typer.Exit(1)
