"""Desk-wide use cases: create a desk, check everything, merge ticket files for git."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from supportctl.errors import SupportctlError
from supportctl.services import automation
from supportctl.services.session import Session


@dataclass
class Created:
    """A new desk: where, the handle of its first agent, the files written and the commit."""

    root: Path
    agent: str
    files: list[str]
    sha: str | None


def init(path: Path, *, name: str, timezone: str, agent: str | None, url: str | None, today: date,
         commit: bool = True) -> Created:
    """Create a desk: config, folders, templates, site and CI files; commit them."""
    from supportctl.config.model import check_zone
    from supportctl.desk import git
    from supportctl.desk.store import atomic_write
    from supportctl.starter import scaffold

    root = path.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    try:
        check_zone(timezone)
    except ValueError as exc:
        raise SupportctlError(str(exc), hint="pass --timezone Europe/Berlin or another IANA name") from None
    git_user = git.user_name(root)
    handle = scaffold.slug(agent or git_user or "agent")
    person = agent or git_user or handle
    files = scaffold.desk_files(name, timezone, handle, person, f"{handle}@example.com", url)
    files.update(scaffold.starter_files(name, today))  # mkdocs.yml, the theme overrides, a first KB article
    existing = sorted(rel for rel in files if (root / rel).exists())
    if existing:
        shown = ", ".join(existing[:6]) + (f" and {len(existing) - 6} more" if len(existing) > 6 else "")
        raise SupportctlError(f"{root} already has {shown}",
                              hint="init writes into a folder without these files; nothing was changed")
    if not git.is_repo(root):
        git.init(root)
    git.register_merge_driver(root)
    for rel, text in files.items():
        atomic_write(root / rel, text)
    sha = None
    if commit:
        sha = git.commit(root, sorted(files), f"supportctl: new desk {name}", author_name=person,
                         author_email=f"{handle}@example.com")
    return Created(root, handle, sorted(files), sha)


def check(session: Session) -> list[SupportctlError]:
    """Every problem in the config, the tickets and the KB, each with path, line and hint."""
    from supportctl.kb.load import check_kb
    from supportctl.tickets.checks import check_desk

    problems = check_desk(session.desk)
    problems.extend(_symlinks(session))
    if not any(p.path == "supportctl.yml" for p in problems):  # these checks need a valid config
        problems.extend(_config_references(session))
        problems.extend(automation.check(session))   # rules and macros: templates exist, render, name real things
        problems.extend(check_kb(session.desk, session.now()))
    return problems


def _config_references(session: Session) -> list[SupportctlError]:
    """What supportctl.yml names that only a later run would miss: note templates, holiday countries."""
    from supportctl import templating
    from supportctl.sla.calendar import package_holidays

    config, desk = session.config, session.desk
    out: list[SupportctlError] = []
    for policy in config.sla.policies:
        for rule in policy.escalate:
            if rule.note:
                try:
                    templating.find_template(desk.templates_dir, rule.note)
                except SupportctlError as exc:
                    out.append(SupportctlError(f"sla policy {policy.name}: escalation note: {exc.message}",
                                               path="supportctl.yml", hint=exc.hint))
    if config.mail and config.mail.acknowledge:
        try:
            templating.find_template(desk.templates_dir, config.mail.acknowledge)
        except SupportctlError as exc:
            out.append(SupportctlError(f"mail.acknowledge: {exc.message}", path="supportctl.yml", hint=exc.hint))
    for name, calendar in config.calendars.items():
        source = calendar.holidays_from
        if source is None:
            continue
        try:
            package_holidays(source.country, source.subdiv, session.now().year)
        except (NotImplementedError, KeyError, ValueError):
            where = source.country + (f"/{source.subdiv}" if source.subdiv else "")
            out.append(SupportctlError(f"calendars.{name}.holidays_from: the holidays package knows no {where}",
                                       path="supportctl.yml",
                                       hint="use an ISO 3166 country code (and a subdivision it lists), e.g. IE"))
    return out


def _symlinks(session: Session) -> list[SupportctlError]:
    """Symbolic links in tickets/ and templates/: never followed (kb/ reports its own), so each is a problem."""
    from supportctl.templating import symlinks

    desk = session.desk
    return [SupportctlError(f"{rel} is a symbolic link; supportctl never follows links", path=rel,
                            hint="replace it with the file itself, or delete it")
            for folder in (desk.tickets_dir, desk.templates_dir) if folder.exists() or folder.is_symlink()
            for rel in symlinks(folder)]


def paths(session: Session) -> dict[str, str]:
    """Where the desk keeps its config, tickets, KB, templates and cache."""
    d = session.desk
    return {"root": str(d.root), "config": str(d.config_path), "tickets": str(d.tickets_dir),
            "kb": str(d.kb_dir), "templates": str(d.templates_dir), "cache": str(d.cache_dir)}


def merge_ticket_files(base: Path, ours: Path, theirs: Path, name: str):
    """Merge two sides' versions of a ticket as the union of records; writes the result into `ours`."""
    from supportctl.desk.store import atomic_write
    from supportctl.tickets.merge import merge_texts

    result = merge_texts(base.read_text(encoding="utf-8"), ours.read_text(encoding="utf-8"),
                         theirs.read_text(encoding="utf-8"), name)
    atomic_write(ours, result.text)
    return result
