"""What every command shares: the desk, the actor, the clock, output and errors."""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from typing import Any, NoReturn

import typer

from supportctl.errors import SupportctlError, UsageError

# Set by the root callback from `-C PATH`.
STATE: dict[str, Any] = {"root": None}


def desk():
    """The desk for this invocation (-C, SUPPORTCTL_ROOT, or the nearest supportctl.yml)."""
    from supportctl.desk.store import Desk

    return Desk.find(override=STATE["root"])


def tickets_of(d):
    """The desk's tickets (lookup, reading, saving): supportctl/tickets/store.py."""
    from supportctl.tickets.store import TicketStore

    return TicketStore(d)


def actor_name(desk, explicit: str | None) -> str:
    """`--as`, then SUPPORTCTL_AGENT, then git user.name, resolved to an agent handle."""
    from supportctl.tickets.actions import resolve_agent

    name = explicit or os.environ.get("SUPPORTCTL_AGENT")
    source = "--as" if explicit else "SUPPORTCTL_AGENT"
    if not name:
        from supportctl.desk import git as gitops

        name = gitops.user_name(desk.root)
        source = "git user.name"
    if not name:
        raise UsageError("who is doing this? no --as, no SUPPORTCTL_AGENT and no git user.name",
                         hint="pass --as AGENT or export SUPPORTCTL_AGENT=AGENT")
    config = desk.config  # a broken config reports itself, not as an unknown agent
    try:
        return resolve_agent(config, name)
    except SupportctlError as exc:
        raise SupportctlError(f"{exc.message} (from {source})",
                              hint=f"{exc.hint}; or pass --as AGENT") from None


def author_of(desk, handle: str) -> tuple[str, str]:
    """(name, email) for the commit author of an agent."""
    agent = desk.config.agent_map().get(handle)
    name = (agent.name if agent and agent.name else handle)
    email = (agent.email if agent and agent.email else f"{handle}@users.noreply.supportctl")
    return name, email


def event_time(desk, at: str | None) -> datetime:
    """`--at` (ISO 8601 with offset) or now, in the desk's time zone."""
    from supportctl.base.timeutil import now_in, parse_timestamp

    if at:
        return parse_timestamp(at, what="--at")
    return now_in(desk_zone(desk))


def clock_now(desk, now: str | None) -> datetime:
    """`--now`, then SUPPORTCTL_NOW, then the clock."""
    from supportctl.base.timeutil import now_in, parse_timestamp

    value = now or os.environ.get("SUPPORTCTL_NOW")
    if value:
        return parse_timestamp(value, what="--now" if now else "SUPPORTCTL_NOW")
    return now_in(desk_zone(desk))


def desk_zone(desk):
    from zoneinfo import ZoneInfo

    return ZoneInfo(desk.config.desk.timezone)


def read_body(message: str | None, body_file: str | None, *, required: bool = True) -> str | None:
    """The text from -m or --body-file (`-` reads standard input)."""
    if message is not None and body_file is not None:
        raise UsageError("give -m or --body-file, not both", hint="choose one source for the text")
    if body_file is not None:
        if body_file == "-":
            return sys.stdin.read()
        try:
            with open(body_file, encoding="utf-8") as fh:
                return fh.read()
        except OSError as exc:
            raise UsageError(f"cannot read {body_file}: {exc.strerror}", hint="check the path") from None
    if message is None and required:
        raise UsageError("no text given", hint="pass -m TEXT or --body-file FILE")
    return message


def emit_json(data: Any) -> None:
    """Pure JSON on stdout (messages go to stderr); indented for a terminal, compact in a pipe.

    Indenting switches json to its pure-Python encoder, several times slower
    than the C one on a 10,000-ticket listing that a script reads anyway.
    """
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent, default=str) + "\n")


def info(message: str) -> None:
    typer.echo(message, err=True)


def warn(message: str) -> None:
    typer.echo(typer.style("warning: ", fg="yellow", bold=True) + message, err=True)


def report_error(exc: SupportctlError) -> None:
    typer.echo(typer.style("error: ", fg="red", bold=True) + str(exc), err=True)
    if exc.hint:
        typer.echo(typer.style("hint: ", fg="cyan", bold=True) + exc.hint, err=True)


def fail(message: str, hint: str | None = None, code: int = 1) -> NoReturn:
    err = SupportctlError(message, hint)
    err.exit_code = code
    raise err


def colour_enabled() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def style(text: str, **kwargs: Any) -> str:
    return typer.style(text, **kwargs) if colour_enabled() else text


def clip(text: str, width: int) -> str:
    """Cut `text` to `width` characters, marking the cut with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def table(rows: list[list[str]], headers: list[str], *, styles: list[dict | None] | None = None) -> str:
    """A plain aligned text table (pipes well; use --json for scripts)."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    colour = bool(styles) and colour_enabled()  # asked once: a queue can have thousands of rows
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        if colour and styles[n]:
            for i, st in styles[n].items():
                cells[i] = typer.style(cells[i], **st)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# Options shared by every command that changes a ticket (spec §8).
AS_OPTION = typer.Option(None, "--as", help="Who does this (agent); default SUPPORTCTL_AGENT, then git user.name.")
AT_OPTION = typer.Option(None, "--at", help="When it happened (ISO 8601 with offset); default now.")
NO_COMMIT_OPTION = typer.Option(False, "--no-commit", help="Write the files but do not commit.")
JSON_OPTION = typer.Option(False, "--json", help="Print JSON on stdout.")
