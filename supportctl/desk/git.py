"""Git, through the `git` command.

The commit path runs on every ticket change, so it calls `git` directly: the
GitPython import alone costs ~110 ms here and would spend a fifth of the
0.5 s budget of `ticket reply` before any work, while issuing the same git
processes underneath.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
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


def register_merge_driver(root: Path) -> None:
    """Tell this clone's git how to merge ticket files (.gitattributes names the driver)."""
    _run(root, "config", "merge.supportctl.name", "supportctl ticket merge (union of records)")
    _run(root, "config", "merge.supportctl.driver", "supportctl merge-driver %O %A %B %P")


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
    added: list[str]       # the lines the commit added that start with the caller's prefix


def log(root: Path, path: str, *, added_prefix: str = "### ") -> list[LogEntry]:
    """The commits that touched `path`, newest first, in one `git log` call."""
    fmt = "%x1e%h%x1f%an%x1f%ae%x1f%aI%x1f%s"
    proc = _run(root, "log", "--follow", f"--format={fmt}", "-p", "-U0", "--no-color", "--no-ext-diff",
                "--", path, check=False)
    if proc.returncode != 0:
        return []
    entries = []
    for chunk in proc.stdout.split("\x1e")[1:]:
        head, _, rest = chunk.partition("\n")
        parts = head.split("\x1f")
        if len(parts) != 5:
            continue
        plus = minus = 0
        added = []
        for line in rest.splitlines():
            if line.startswith("+++") or line.startswith("---"):
                continue
            if line.startswith("+"):
                plus += 1
                if line.startswith(added_prefix, 1):
                    added.append(line[1:])
            elif line.startswith("-"):
                minus += 1
        entries.append(LogEntry(*parts, f"+{plus} -{minus}", added))
    return entries


def user_name(root: Path) -> str | None:
    proc = _run(root, "config", "user.name", check=False)
    return proc.stdout.strip() or None
