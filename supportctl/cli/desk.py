"""Desk-wide commands: `init`, `paths`, `check`, `shard`, `merge-driver`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supportctl.cli.common import AS_OPTION, JSON_OPTION, NO_COMMIT_OPTION, session
from supportctl.cli.render import echo, emit_json, info, plural, report_error, run_outcome, style, warn_problem
from supportctl.errors import UsageError

# Root commands; supportctl/cli/__init__.py loads each from here when it is asked for.
app = typer.Typer()


@app.command("init")
def init(
    path: Path = typer.Argument(Path("."), help="Folder for the new desk (created if missing)."),
    name: str = typer.Option("Help Center", "--name", help="The desk's name, shown on the help site."),
    timezone: Optional[str] = typer.Option(None, "--timezone", help="IANA time zone (default: this machine's)."),
    agent: Optional[str] = typer.Option(None, "--agent", help="First agent's handle (default: from git user.name)."),
    url: Optional[str] = typer.Option(None, "--url", help="Public address of the help site (for links in replies)."),
    source: Optional[str] = typer.Option(None, "--source", metavar="OWNER/NAME",
                                         help="GitHub repository the CI files install supportctl from (default: "
                                              "supportctl's own; a fork or mirror)."),
    no_commit: bool = typer.Option(False, "--no-commit", help="Write the files but do not commit."),
) -> None:
    """Create a new desk: config, folders, templates, site and CI files; commit them."""
    import os
    from datetime import datetime
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from supportctl.base.timeutil import parse_timestamp
    from supportctl.services import desk

    zone = timezone or _local_zone()
    fixed = os.environ.get("SUPPORTCTL_NOW")
    try:   # the welcome article's `updated:` date, in the new desk's zone
        today = (parse_timestamp(fixed, what="SUPPORTCTL_NOW") if fixed else datetime.now(ZoneInfo(zone))).date()
    except (ZoneInfoNotFoundError, ValueError):
        today = datetime.now().date()   # a bad zone is reported by init itself
    created = desk.init(path, name=name, timezone=zone, agent=agent, url=url, today=today,
                        commit=not no_commit, source=source)
    info(f"created desk {name!r} in {created.root}")
    info(f"next: cd {created.root} && supportctl ticket new --title \"...\" --from \"Name <email>\" "
         f"--as {created.agent}")


def _local_zone() -> str:
    """This machine's IANA zone name, or UTC when it cannot be told."""
    import os

    env = os.environ.get("TZ")
    if env and "/" in env:
        return env.lstrip(":")
    try:
        target = os.path.realpath("/etc/localtime")
        if "zoneinfo/" in target:
            return target.split("zoneinfo/", 1)[1]
    except OSError:
        pass
    return "UTC"


@app.command("paths")
def paths(json_: bool = JSON_OPTION) -> None:
    """Print where the desk's root, config, tickets, KB, templates and cache are."""
    from supportctl.services import desk

    data = desk.paths(session(actor=False))
    if json_:
        emit_json(data)
        return
    width = max(map(len, data))
    for key, value in data.items():
        echo(f"{key.ljust(width)}  {value}")


@app.command("check")
def check(
    since: Optional[str] = typer.Option(None, "--since", metavar="REV",
                                        help="Also fail when a ticket changed since git revision REV lost or "
                                             "rewrote a record (REV...HEAD: since their merge base)."),
    allow_rewrite: bool = typer.Option(False, "--allow-rewrite", help="With --since: report deleted or "
                                                                      "rewritten records as warnings."),
    json_: bool = JSON_OPTION,
) -> None:
    """Validate the config, every ticket and the KB; exit 1 if anything is wrong."""
    from supportctl.services import desk
    from supportctl.tickets.history import Rewrite

    if allow_rewrite and since is None:
        raise UsageError("--allow-rewrite needs --since REV", hint="e.g. supportctl check --since origin/main")
    found = desk.check(session(actor=False), since=since, allow_rewrite=allow_rewrite)
    problems = [p for p in found if getattr(p, "severity", "error") != "warning"]
    warnings = [p for p in found if getattr(p, "severity", "error") == "warning"]
    if json_:
        emit_json([{"path": p.path, "line": p.line, "message": p.message, "hint": p.hint,
                    "severity": getattr(p, "severity", "error")} for p in found])
    else:
        for p in problems:
            report_error(p)
        for p in warnings:
            warn_problem(p)
        summary = plural(len(problems), "problem") if problems else "no problems"
        rewrites = sum(1 for p in warnings if isinstance(p, Rewrite))
        if rewrites:
            summary += f", {plural(rewrites, 'rewritten record')} allowed"
        if len(warnings) > rewrites:
            summary += f", {plural(len(warnings) - rewrites, 'warning')}"
        info(style(summary, fg="red" if problems else "green"))
    if problems:
        raise typer.Exit(1)


@app.command("shard")
def shard(
    flat: bool = typer.Option(False, "--flat", help="Move every ticket back into tickets/ itself."),
    as_: Optional[str] = AS_OPTION,
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Move tickets into folders by the first two characters of their id (for desks past ~200,000 tickets)."""
    from supportctl.services import layout

    done = layout.shard(session(as_), flat=flat, commit=not no_commit)
    if json_:
        emit_json({"sharded": done.sharded, "moved": [{"from": a, "to": b} for a, b in done.moved],
                   "config_changed": done.config_changed, "commit": done.sha})
        return
    shape = "sharded (tickets/7Q/7QH2KD.md)" if done.sharded else "flat (tickets/7QH2KD.md)"
    if not done.moved and not done.config_changed:
        info(f"tickets are already {shape}; nothing moved")
        return
    info(run_outcome(f"tickets {shape}: {plural(len(done.moved), 'file')} moved"
                     + (", desk.tickets_sharded set in supportctl.yml" if done.config_changed else ""),
                     dry_run=False, sha=done.sha))


@app.command("merge-driver")
def merge_driver(
    base: Path = typer.Argument(..., help="The common ancestor (git's %O)."),
    ours: Path = typer.Argument(..., help="Our version; the result is written here (git's %A)."),
    theirs: Path = typer.Argument(..., help="Their version (git's %B)."),
    path: Optional[str] = typer.Argument(None, help="The ticket's path in the repository (git's %P)."),
) -> None:
    """Git merge driver for ticket files: the union of both sides' records (set up by init and git setup)."""
    from supportctl.services import desk

    # git runs `supportctl.console` for this (no Typer import, see there); this
    # command is what `--help` and the reference show, and does the same.
    name = path or str(ours)
    outcome = desk.merge_driver(base, ours, theirs, name)
    if outcome.problem is not None:
        report_error(outcome.problem)
    for conflict in outcome.conflicts:
        info(f"{name}: {conflict}")
    if not outcome.clean:
        raise typer.Exit(1)
