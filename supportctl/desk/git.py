"""Git, through the `git` command.

The commit path runs on every ticket change, so it calls `git` directly: the
GitPython import alone costs ~110 ms here and would spend a fifth of the
0.5 s budget of `ticket reply` before any work, while issuing the same git
processes underneath.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from supportctl.errors import SupportctlError


def _run(root: Path, *args: str, env: dict[str, str] | None = None, check: bool = True,
         stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, input=stdin,
                              env={**os.environ, **(env or {})})
    except FileNotFoundError:
        raise SupportctlError("git is not installed", hint="install git; supportctl keeps the desk in git") from None
    except OSError as exc:
        raise SupportctlError(f"cannot run git {args[0]}: {exc.strerror}", hint="see the message above") from None
    if check and proc.returncode != 0:
        raise SupportctlError(f"git {args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}",
                              hint="run the same git command by hand to see what it needs")
    return proc


def is_repo(root: Path) -> bool:
    return _run(root, "rev-parse", "--git-dir", check=False).returncode == 0


def init(root: Path) -> None:
    _run(root, "init", "-q")


MERGE_DRIVER_NAME = "supportctl ticket merge (union of records)"
# The attribute line that sends ticket files to the driver (the starter's .gitattributes has it).
TICKETS_ATTRIBUTES = "tickets/**/*.md merge=supportctl eol=lf"


def merge_driver_command(python: str | None = None) -> str:
    """The shell command git runs to merge a ticket file: this interpreter, by its absolute path.

    A bare `supportctl` depends on PATH, which lacks a virtualenv that is not
    activated (and git GUIs and IDEs start git with their own PATH): git then
    prints "supportctl: not found" and leaves a conflict. The interpreter's
    own path is not resolved through symbolic links: a virtualenv's python is
    a link to a base interpreter that does not have supportctl installed.
    `-P` keeps Python from putting the working directory (the repository root,
    where git runs the driver) first on sys.path, so a file in the repository
    named like a module supportctl imports is never run by a merge.
    """
    return f"{shlex.quote(python or sys.executable)} -P -m supportctl merge-driver %O %A %B %P"


@dataclass
class ConfigChange:
    """One git setting set for this clone: its key, the value before (None: unset) and after."""

    key: str
    before: str | None
    after: str


def config_get(root: Path, key: str) -> str | None:
    """A setting as git reads it here (every scope), or None when it is not set."""
    proc = _run(root, "config", "--get", key, check=False)
    return proc.stdout.rstrip("\n") if proc.returncode == 0 else None


def register_merge_driver(root: Path) -> list[ConfigChange]:
    """Tell this clone's git how to merge ticket files (.gitattributes names the driver); return what changed."""
    changes = []
    for key, value in (("merge.supportctl.name", MERGE_DRIVER_NAME),
                       ("merge.supportctl.driver", merge_driver_command())):
        before = config_get(root, key)
        if before != value:
            _run(root, "config", key, value)
            changes.append(ConfigChange(key, before, value))
    return changes


def attribute(root: Path, path: str, name: str) -> str | None:
    """The value git gives attribute `name` for `path` (which need not exist); None when unspecified."""
    proc = _run(root, "check-attr", name, "--", path, check=False)
    if proc.returncode != 0:
        return None
    value = proc.stdout.strip().rsplit(": ", 1)[-1]
    return None if value == "unspecified" else value


def merge_file(ours: Path, base: Path, theirs: Path) -> bool:
    """git's own line merge of three files into `ours`; False when it left conflict markers."""
    try:
        proc = subprocess.run(["git", "merge-file", "-L", "ours", "-L", "base", "-L", "theirs", str(ours), str(base),
                               str(theirs)], capture_output=True, text=True)
    except OSError:
        return False  # `ours` is left as it was: git reports the conflict
    return proc.returncode == 0


def commit(root: Path, paths: list[str], message: str, *, author_name: str, author_email: str) -> str:
    """Commit exactly `paths` (other staged or unstaged changes stay as they are); return the hash."""
    env = {"GIT_AUTHOR_NAME": author_name, "GIT_AUTHOR_EMAIL": author_email}
    # A machine without user.email (a fresh CI runner) cannot commit at all;
    # the actor is then the committer too, rather than failing the command.
    if _run(root, "config", "user.email", check=False).returncode != 0 and "GIT_COMMITTER_EMAIL" not in os.environ:
        env.update({"GIT_COMMITTER_NAME": author_name, "GIT_COMMITTER_EMAIL": author_email})
    # `git add` first so new files are known; `commit -- paths` (git's --only)
    # then records just these paths, whatever else the index holds.
    # Paths go through stdin (NUL-separated): a mail import can commit tens of
    # thousands of files, more than a command line holds.
    listed = "\0".join(paths)
    proc = _run(root, "add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul", check=False, stdin=listed)
    if proc.returncode == 0:
        # The message goes through a file too: a mail import lists every message, and one
        # argument may hold at most 128 KiB.
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as fh:
            fh.write(message)
        try:
            proc = _run(root, "commit", "-q", "--no-verify", "-F", fh.name, "--pathspec-from-file=-",
                        "--pathspec-file-nul", env=env, check=False, stdin=listed)
        finally:
            os.unlink(fh.name)
    if proc.returncode != 0:
        _explain_index_lock(root, proc.stderr or "")
        raise SupportctlError(f"git commit failed: {(proc.stderr or proc.stdout).strip()}",
                              hint="the files were restored; fix the repository and try again, "
                                   "or pass --no-commit")
    return _run(root, "rev-parse", "--short", "HEAD").stdout.strip()


def _explain_index_lock(root: Path, stderr: str) -> None:
    """A commit that failed on `.git/index.lock`: say whether it is stale, and what to do."""
    if "index.lock" not in stderr:
        return
    found = next(iter(sorted(Path(root).glob(".git/index.lock"))), None)
    age = ""
    if found is not None:
        import time

        with contextlib.suppress(OSError):
            age = f", left {int(time.time() - found.stat().st_mtime)} s ago"
    # git creates index.lock for every change of its index and removes it
    # when done; a git (or supportctl) process killed midway leaves it behind,
    # and every later commit then fails until it is removed.
    raise SupportctlError(f"git commit failed: the repository is locked by .git/index.lock{age}",
                          hint="if no git command is running (an editor, another terminal, CI), the lock is "
                               "stale from a killed commit: remove .git/index.lock and run the command again; "
                               "the files were restored")


def changed(root: Path, paths: list[str]) -> list[str]:
    """Those of `paths` whose working-tree state differs from HEAD (new, modified or deleted)."""
    if not paths:
        return []
    proc = _run(root, "status", "--porcelain", "-z", "--untracked-files=all", "--", *paths, check=False)
    if proc.returncode != 0:
        return []
    out = []
    for item in proc.stdout.split("\0"):
        if len(item) > 3:
            out.append(item[3:])
    return [p for p in out if p in set(paths)]


def unstage(root: Path, paths: list[str]) -> None:
    """Undo `git add` of paths (used when a commit fails and files are restored)."""
    if paths:
        _run(root, "reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul", check=False,
             stdin="\0".join(paths))


@dataclass
class LogEntry:
    commit: str
    author: str
    email: str
    date: str
    subject: str
    stat: str


def log(root: Path, path: str) -> list[LogEntry]:
    """The commits that touched `path`, newest first, in one `git log` call."""
    fmt = "%x1e%h%x1f%an%x1f%ae%x1f%aI%x1f%s"
    proc = _run(root, "log", "--follow", f"--format={fmt}", "--numstat", "--", path, check=False)
    if proc.returncode != 0:
        return []
    entries = []
    for chunk in proc.stdout.split("\x1e")[1:]:
        head, _, rest = chunk.partition("\n")
        parts = head.split("\x1f")
        if len(parts) != 5:
            continue
        stat = ""
        for line in rest.strip().splitlines():
            added, removed, _name = (line.split("\t") + ["", "", ""])[:3]
            stat = f"+{added} -{removed}"
        entries.append(LogEntry(*parts, stat))
    return entries


def user_name(root: Path) -> str | None:
    proc = _run(root, "config", "user.name", check=False)
    return proc.stdout.strip() or None
