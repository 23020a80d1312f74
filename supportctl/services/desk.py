"""Desk-wide use cases: create a desk, check everything, set up a clone's git, merge ticket files for git."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError
from supportctl.services import automation
from supportctl.services.session import Session


@datatype
class Created:
    """A new desk: where, the handle of its first agent, the files written and the commit."""

    root: Path
    agent: str
    files: list[str]
    sha: str | None


def init(path: Path, *, name: str, timezone: str, agent: str | None, url: str | None, today: date,
         commit: bool = True, source: str | None = None) -> Created:
    """Create a desk: config, folders, templates, site and CI files; commit them."""
    from supportctl.config.model import check_zone
    from supportctl.desk import git
    from supportctl.desk.store import atomic_write
    from supportctl.starter import scaffold

    source = source or scaffold.SOURCE
    if not scaffold.source_ok(source):
        raise SupportctlError(f"--source {source!r} is not a GitHub repository name",
                              hint="give it as OWNER/NAME, e.g. acme/supportctl (a fork of supportctl)")

    root = path.expanduser().resolve()
    root.mkdir(parents=True, exist_ok=True)
    try:
        check_zone(timezone)
    except ValueError as exc:
        raise SupportctlError(str(exc), hint="pass --timezone Europe/Berlin or another IANA name") from None
    git_user = git.user_name(root)
    handle = scaffold.slug(agent or git_user or "agent")
    person = agent or git_user or handle
    files = scaffold.desk_files(name, timezone, handle, person, f"{handle}@example.com", url, source)
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


def check(session: Session, *, since: str | None = None, allow_rewrite: bool = False) -> list[SupportctlError]:
    """Every problem in the config, the tickets and the KB, each with path, line and hint.

    With `since` (a git revision) also every record deleted or rewritten since
    then; `allow_rewrite` turns those into warnings (`severity` "warning").
    """
    from supportctl.kb.load import check_kb
    from supportctl.tickets.deskcheck import check_desk

    base = None
    if since is not None:   # a bad revision is a usage error before anything is reported
        from supportctl.desk import revisions

        base = revisions.resolve(session.desk.root, since)
    problems = check_desk(session.desk)
    if base is not None:
        problems.extend(_rewrites(session, base, allow_rewrite))
    problems.extend(_symlinks(session))
    if not any(p.path == "supportctl.yml" for p in problems):  # these checks need a valid config
        problems.extend(_config_references(session))
        problems.extend(automation.check(session))   # rules and macros: templates exist, render, name real things
        problems.extend(check_kb(session.desk, session.now()))
        problems.extend(_intake(session))
        from supportctl.services import customers

        problems.extend(customers.check(session))
    elif (session.desk.root / "customers").is_dir():
        from supportctl.customers.load import load_directory

        problems.extend(load_directory(session.desk.root)[1])
    return problems


def _intake(session: Session) -> list[SupportctlError]:
    """The help site's intake template (the request form's extra fields), which `site build` would refuse."""
    from supportctl.site.contact import INTAKE_PATH, parse_intake

    path = session.desk.root / INTAKE_PATH
    if not path.is_file():
        return []
    try:
        parse_intake(path.read_text(encoding="utf-8", errors="replace"))
    except SupportctlError as e:
        return [e]
    return []


def _rewrites(session: Session, base, allow: bool) -> list[SupportctlError]:
    """Records of ticket files changed since `base` that were deleted or rewritten (tickets/history.py)."""
    from supportctl.desk import revisions
    from supportctl.tickets.format import decode_file, parse_ticket
    from supportctl.tickets.history import rewrites
    from supportctl.tickets.model import ticket_id_of

    desk, store = session.desk, session.tickets
    folder = desk.tickets_dir.relative_to(desk.root).as_posix()
    changed = revisions.changed_files(desk.root, base, folder)
    before = revisions.read_files(desk.root, base, [path for status, path in changed if status != "A"])
    ids = store.ids()
    out: list[SupportctlError] = []
    for path, data in before.items():
        try:
            old = parse_ticket(decode_file(data, path), path)
        except (SupportctlError, ValueError, TypeError, RecursionError):
            continue   # broken then: nothing to compare with
        # A ticket moved to a sub-folder is still there, under its id.
        now_path = path if (desk.root / path).is_file() else ids.get(ticket_id_of(path))
        new = None
        if now_path is not None:
            try:
                new = store.read(now_path)
            except SupportctlError:
                continue   # unreadable now: check_desk reports it
        out.extend(rewrites(old, new, base.label, base.name, allow=allow))
    return out


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


@datatype
class GitSetup:
    """What `git setup` found and changed in a clone: git settings, and the .gitattributes line if added."""

    root: Path
    settings: list  # desk.git.ConfigChange, one per setting that changed
    attributes_added: str | None = None  # the line appended to .gitattributes

    @property
    def changed(self) -> bool:
        return bool(self.settings or self.attributes_added)


def git_setup(session: Session) -> GitSetup:
    """Register the ticket merge driver in this clone, and make .gitattributes send tickets to it."""
    from supportctl.desk import git
    from supportctl.desk.store import atomic_write

    root = session.desk.root
    if not git.is_repo(root):
        raise SupportctlError(f"{root} is not in a git repository",
                              hint="run `git init` there (or clone the desk), then `supportctl git setup`")
    settings = git.register_merge_driver(root)
    # Ask git itself which driver it would pick for a ticket (top level and a
    # sub-folder): that covers .gitattributes anywhere up the tree and
    # .git/info/attributes, and an old line that names another driver.
    probes = ("tickets/TICKET.md", "tickets/folder/TICKET.md")
    added = None
    if any(git.attribute(root, probe, "merge") != "supportctl" for probe in probes):
        path = root / ".gitattributes"
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        if text and not text.endswith("\n"):
            text += "\n"
        text += ("# Two branches' additions to one ticket merge as the union of their records\n"
                 "# (each clone registers the driver once: supportctl git setup).\n"
                 f"{git.TICKETS_ATTRIBUTES}\n")
        atomic_write(path, text)
        added = git.TICKETS_ATTRIBUTES
    return GitSetup(root, settings, added)


@datatype
class DriverOutcome:
    """What git's merge driver did: fields both sides changed by hand, or why it fell back to a line merge."""

    conflicts: list[str]
    problem: SupportctlError | None = None   # a side that does not parse: merged line by line instead
    clean: bool = True                       # False: the file holds conflicts for a person to resolve


def merge_driver(base: Path, ours: Path, theirs: Path, name: str) -> DriverOutcome:
    """git's merge driver for a ticket file: the union of both sides' records, written into `ours`."""
    from supportctl.desk import git

    try:
        result = merge_ticket_files(base, ours, theirs, name)
    except SupportctlError as exc:
        # A side that does not parse cannot be merged record by record: fall
        # back to git's line merge, which leaves conflict markers to resolve.
        return DriverOutcome([], exc, git.merge_file(ours, base, theirs))
    return DriverOutcome(result.conflicts, None, not result.conflicts)


def merge_ticket_files(base: Path, ours: Path, theirs: Path, name: str):
    """Merge two sides' versions of a ticket as the union of records; writes the result into `ours`."""
    from supportctl.desk.store import atomic_write
    from supportctl.tickets.format import decode_file
    from supportctl.tickets.merge import merge_texts

    result = merge_texts(*(decode_file(side.read_bytes(), name) for side in (base, ours, theirs)), name)
    atomic_write(ours, result.text)
    return result
