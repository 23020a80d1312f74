"""What every command shares: options, and the desk, actor and clock resolved once at the edge."""

from __future__ import annotations

import os
import sys
from datetime import datetime

import typer

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError, UsageError


@datatype
class Edge:
    """What the root command was told (`-C PATH`), kept on the Click context of this invocation."""

    root: str | None = None


def _edge() -> Edge:
    from typer.main import get_current_context

    ctx = get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, Edge) else Edge()


def desk():
    """The desk for this invocation (-C, SUPPORTCTL_ROOT, or the nearest supportctl.yml)."""
    from supportctl.desk.store import Desk

    return Desk.find(override=_edge().root)


def clock(d):
    """The clock: SUPPORTCTL_NOW when set (demos, tests, replays), else the real time in the desk's zone."""
    from supportctl.base.timeutil import now_in, parse_timestamp

    fixed = os.environ.get("SUPPORTCTL_NOW")
    if fixed:
        moment = parse_timestamp(fixed, what="SUPPORTCTL_NOW")
        return lambda: moment

    # The zone is looked up when the clock is read, so commands that never ask
    # the time (and `check` on a broken config) do not need a valid config,
    # nor zoneinfo (3-4 ms of start-up).
    def read() -> datetime:
        from zoneinfo import ZoneInfo

        return now_in(ZoneInfo(d.config.desk.timezone))

    return read


def actor_handle(d, explicit: str | None) -> str | None:
    """`--as`, then SUPPORTCTL_AGENT, then git user.name, as an agent handle (None when none is set)."""
    from supportctl.services.session import resolve_actor

    if explicit:
        return resolve_actor(d, explicit, "--as")
    if os.environ.get("SUPPORTCTL_AGENT"):
        return resolve_actor(d, os.environ["SUPPORTCTL_AGENT"], "SUPPORTCTL_AGENT")
    from supportctl.desk import git

    return resolve_actor(d, git.user_name(d.root), "git user.name")


def session(as_: str | None = None, at: str | None = None, *, now: str | None = None, actor: bool | None = True,
            d=None):
    """A services session: the desk, the actor, and `--at` or `--now` or the clock.

    `actor=True` resolves the actor (a service that needs one says so when none is
    set); `False` names nobody; `None` takes the actor when `--as` or the
    environment names a known agent, and nobody otherwise.
    """
    from supportctl.base.timeutil import parse_timestamp
    from supportctl.services.session import Session

    d = d or desk()
    handle = None
    if actor:
        handle = actor_handle(d, as_)
    elif actor is None:
        try:
            handle = actor_handle(d, as_)
        except SupportctlError:
            if as_:
                raise
    explicit: datetime | None = None
    if at:
        explicit = parse_timestamp(at, what="--at")
    elif now:
        explicit = parse_timestamp(now, what="--now")
    return Session(d, actor=handle, at=explicit, clock=clock(d))


def read_body(message: str | None, body_file: str | None, *, required: bool = True) -> str | None:
    """The text from -m or --body-file (`-` reads standard input)."""
    if message is not None and body_file is not None:
        raise UsageError("give -m or --body-file, not both", hint="choose one source for the text")
    if body_file is not None:
        try:
            if body_file == "-":
                return sys.stdin.buffer.read().decode("utf-8") if hasattr(sys.stdin, "buffer") else sys.stdin.read()
            with open(body_file, encoding="utf-8") as fh:
                return fh.read()
        except OSError as exc:
            raise UsageError(f"cannot read {body_file}: {exc.strerror}", hint="check the path") from None
        except UnicodeDecodeError as exc:
            raise UsageError(f"{body_file} is not UTF-8 text (byte {exc.start + 1} is 0x{exc.object[exc.start]:02x})",
                             hint="save it as UTF-8") from None
    if message is None and required:
        raise UsageError("no text given", hint="pass -m TEXT or --body-file FILE")
    return message


def done(ticket_id: str, what: str, sha: str | None) -> None:
    """The line every change prints: what happened and the commit."""
    from supportctl.cli.render import info

    info(f"{ticket_id}: {what}" + (f" (commit {sha})" if sha else " (not committed)"))


# Options shared by every command that changes a ticket (spec §8).
AS_OPTION = typer.Option(None, "--as", help="Who does this (agent); default SUPPORTCTL_AGENT, then git user.name.")
AT_OPTION = typer.Option(None, "--at", help="When it happened (ISO 8601 with offset); default now.")
NOW_OPTION = typer.Option(None, "--now", help="Evaluate at this time (ISO 8601 with offset); default "
                                              "SUPPORTCTL_NOW, then the clock.")
REPLAY_OPTION = typer.Option(None, "--now", help="Judge the desk as it was at this time (ISO 8601 with offset): "
                                                 "later tickets and records left out, each ticket's fields as "
                                                 "they were then; default SUPPORTCTL_NOW, then the clock.")
NO_COMMIT_OPTION = typer.Option(False, "--no-commit", help="Write the files but do not commit.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON on stdout.")
