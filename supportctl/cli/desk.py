"""Desk-wide commands: `init`, `paths`, `check`."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from supportctl.cli import app
from supportctl.cli.common import JSON_OPTION, desk, emit_json, info, report_error, style
from supportctl.errors import SupportctlError


@app.command("init")
def init(
    path: Path = typer.Argument(Path("."), help="Folder for the new desk (created if missing)."),
    name: str = typer.Option("Help Center", "--name", help="The desk's name, shown on the help site."),
    timezone: Optional[str] = typer.Option(None, "--timezone", help="IANA time zone (default: this machine's)."),
    agent: Optional[str] = typer.Option(None, "--agent", help="First agent's handle (default: from git user.name)."),
    url: Optional[str] = typer.Option(None, "--url", help="Public address of the help site (for links in replies)."),
    no_commit: bool = typer.Option(False, "--no-commit", help="Write the files but do not commit."),
) -> None:
    """Create a new desk: config, folders, templates, site and CI files; commit them."""
    from supportctl.desk import git as gitops
    from supportctl.starter import scaffold
    from supportctl.desk.store import atomic_write

    root = path.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    zone = timezone or _local_zone()
    from supportctl.config.model import check_zone

    try:
        check_zone(zone)
    except ValueError as exc:
        raise SupportctlError(str(exc), hint="pass --timezone Europe/Berlin or another IANA name") from None
    git_user = gitops.user_name(root)
    handle = scaffold.slug(agent or git_user or "agent")
    person = agent or git_user or handle
    files = scaffold.desk_files(name, zone, handle, person, f"{handle}@example.com", url)
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(zone)).date()       # the welcome article's `updated:`
    files.update(scaffold.starter_files(name, today))  # mkdocs.yml, the theme overrides, a first KB article
    existing = sorted(rel for rel in files if (root / rel).exists())
    if existing:
        shown = ", ".join(existing[:6]) + (f" and {len(existing) - 6} more" if len(existing) > 6 else "")
        raise SupportctlError(f"{root} already has {shown}",
                              hint="init writes into a folder without these files; nothing was changed")
    if not gitops.is_repo(root):
        gitops.init(root)
    gitops.register_merge_driver(root)
    for rel, text in files.items():
        atomic_write(root / rel, text)
    if not no_commit:
        gitops.commit(root, sorted(files), f"supportctl: new desk {name}", author_name=person,
                      author_email=f"{handle}@example.com")
    info(f"created desk {name!r} in {root}")
    info(f"next: cd {root} && supportctl ticket new --title \"...\" --from \"Name <email>\" --as {handle}")


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
    d = desk()
    data = {"root": str(d.root), "config": str(d.config_path), "tickets": str(d.tickets_dir),
            "kb": str(d.kb_dir), "templates": str(d.templates_dir), "cache": str(d.cache_dir)}
    if json_:
        emit_json(data)
        return
    width = max(map(len, data))
    for key, value in data.items():
        typer.echo(f"{key.ljust(width)}  {value}")


@app.command("check")
def check(json_: bool = JSON_OPTION) -> None:
    """Validate the config, every ticket and the KB; exit 1 if anything is wrong."""
    from supportctl.tickets.checks import check_desk
    from supportctl.kb.model import check_kb

    d = desk()
    problems = check_desk(d)
    if not any(p.path == "supportctl.yml" for p in problems):  # the KB checks need a valid config
        problems.extend(check_kb(d))
    if json_:
        emit_json([{"path": p.path, "line": p.line, "message": p.message, "hint": p.hint} for p in problems])
    else:
        for p in problems:
            report_error(p)
        count = len(problems)
        summary = f"{count} problem{'s' if count != 1 else ''}" if count else "no problems"
        info(style(summary, fg="red" if count else "green"))
    if problems:
        raise typer.Exit(1)


@app.command("merge-driver")
def merge_driver(
    base: Path = typer.Argument(..., help="The common ancestor (git's %O)."),
    ours: Path = typer.Argument(..., help="Our version; the result is written here (git's %A)."),
    theirs: Path = typer.Argument(..., help="Their version (git's %B)."),
    path: Optional[str] = typer.Argument(None, help="The ticket's path in the repository (git's %P)."),
) -> None:
    """Git merge driver for ticket files: the union of both sides' records (set up by init)."""
    import subprocess

    from supportctl.tickets.merge import merge_texts
    from supportctl.desk.store import atomic_write

    name = path or str(ours)
    try:
        result = merge_texts(base.read_text(encoding="utf-8"), ours.read_text(encoding="utf-8"),
                             theirs.read_text(encoding="utf-8"), name)
    except SupportctlError as exc:
        # A side that does not parse cannot be merged record by record: fall
        # back to git's line merge, which leaves conflict markers to resolve.
        report_error(exc)
        proc = subprocess.run(["git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs",
                               str(ours), str(base), str(theirs)])
        raise typer.Exit(1 if proc.returncode else 0)
    atomic_write(ours, result.text)
    for conflict in result.conflicts:
        info(f"{name}: {conflict}")
    if result.conflicts:
        raise typer.Exit(1)
