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
from pathlib import Path

from supportctl.base.datatypes import datatype
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


@datatype
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


def commit(root: Path, paths: list[str], message: str, *, author_name: str, author_email: str,
           moved: dict[str, str] | None = None) -> str:
    """Commit exactly `paths` (other staged or unstaged changes stay as they are); return the hash.

    `moved` (old path -> new, both also in `paths`): files renamed as HEAD has
    them, whose contents git holds already (not packed again).

    The paths are staged and the commit made with plumbing: `git commit --
    PATHS` would do the same, but in a folder of 100,000 tickets it spends up
    to tens of seconds walking trees, and refreshes every file's stat. When
    the user has staged something else, the commit's tree is built in a
    temporary index that starts from HEAD, so that stays out of it.
    """
    env = {"GIT_AUTHOR_NAME": author_name, "GIT_AUTHOR_EMAIL": author_email}
    # A machine without user.email (a fresh CI runner) cannot commit at all;
    # the actor is then the committer too, rather than failing the command.
    if _run(root, "config", "user.email", check=False).returncode != 0 and "GIT_COMMITTER_EMAIL" not in os.environ:
        env.update({"GIT_COMMITTER_NAME": author_name, "GIT_COMMITTER_EMAIL": author_email})
    # Paths go through stdin (NUL-separated): a mail import can commit tens of
    # thousands of files, more than a command line holds.
    listed = "".join(p + "\0" for p in paths)
    # One call for the git dir (where the temporary index goes), HEAD and its tree;
    # on an unborn branch only the first line is there and HEAD stays None.
    found = _run(root, "rev-parse", "--git-dir", "HEAD", "HEAD^{tree}", check=False).stdout.split("\n")
    git_dir = Path(root) / found[0]
    head, head_tree = (found[1], found[2]) if len(found) > 3 and found[2] != "HEAD^{tree}" else (None, None)
    # Moved files are blobs git has: `update-index --index-info` would spare reading them again,
    # but it inserts entries one at a time (100,000 moves took 124 s against 20 s this way).
    known = {*moved, *moved.values()} if moved else set()
    fresh = [p for p in paths if p not in known]
    if len(fresh) >= PACK_FROM:
        pack_blobs(root, fresh)
    # The real index learns the new content of these paths (and only these) first, so
    # `git status` is clean for them and other staged changes stay staged; when another
    # git process holds the index, this fails and nothing is committed.
    _commit_step(root, ("update-index", "--add", "--remove", "-z", "--stdin"), env, stdin=listed)
    try:
        # Nothing else staged (the usual case): the real index's own tree is the commit's, and
        # git's cache of trees rewrites only the changed folders. Otherwise a temporary index
        # that starts from HEAD leaves the rest out (0.3 s more at 100,000 tickets).
        tree = _plain_tree(root, head_tree, paths) or _tree_from_head(root, git_dir, temp_env=env, head=head,
                                                                       listed=listed)
        if tree == head_tree:
            raise SupportctlError("git commit failed: nothing to commit (the files are as HEAD has them)",
                                  hint="nothing changed; pass --no-commit to write without committing")
        # The message goes through a file: a mail import lists every message, and one
        # argument may hold at most 128 KiB.
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as fh:
            fh.write(message if message.endswith("\n") else message + "\n")
        try:
            sha = _commit_step(root, ("commit-tree", tree, *(["-p", head] if head else []), "-F", fh.name),
                               env).stdout.strip()
        finally:
            os.unlink(fh.name)
        subject = message.strip().splitlines()[0] if message.strip() else ""
        # The old value makes the update fail, not overwrite, if HEAD moved meanwhile.
        _commit_step(root, ("update-ref", "-m", f"commit: {subject}", "HEAD", sha, head or ""), env)
    except BaseException:
        unstage(root, paths)
        raise
    return _run(root, "rev-parse", "--short", sha).stdout.strip()


# From this many files a commit first packs their contents (below it, fast-import
# would write loose objects anyway: fastimport.unpackLimit is 100).
PACK_FROM = 100


def pack_blobs(root: Path, paths: list[str]) -> None:
    """Store the contents of `paths` in one pack, so the commit that follows finds them there.

    `git update-index --add` writes each new file's content as a loose object:
    one file created under .git/objects per ticket, which for an import of a
    thousand tickets costs as much again as writing the tickets. `git fast-import`
    writes them all to one pack; update-index then still hashes each file (with
    its filters) and writes only what it did not find. This is only a head start:
    if it fails, the commit writes every object itself.
    """
    with tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=root, stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL, stderr=err)
        except OSError:
            return
        try:
            with proc.stdin as feed:
                for rel in paths:
                    try:
                        # Not through a link: what a link points at is none of the desk's business.
                        with open(os.open(os.path.join(root, rel), os.O_RDONLY | os.O_NOFOLLOW), "rb") as fh:
                            data = fh.read()
                    except OSError:   # deleted, a link, or not a file: update-index deals with it
                        continue
                    feed.write(b"blob\ndata %d\n" % len(data))
                    feed.write(data)
                    feed.write(b"\n")
                feed.write(b"done\n")
        except OSError:   # fast-import stopped early (a broken repository): the commit will say why
            pass
        proc.wait()


def _commit_step(root: Path, args: tuple[str, ...], env: dict[str, str], *,
                 stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = _run(root, *args, env=env, check=False, stdin=stdin)
    if proc.returncode != 0:
        _explain_index_lock(root, proc.stderr or "")
        raise SupportctlError(f"git commit failed ({args[0]}): {(proc.stderr or proc.stdout).strip()}",
                              hint="the files were restored; fix the repository and try again, "
                                   "or pass --no-commit")
    return proc


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


def _plain_tree(root: Path, head_tree: str | None, paths: list[str]) -> str | None:
    """The real index's tree, when it differs from HEAD's in `paths` alone; else None."""
    if head_tree is None:
        return None
    proc = _run(root, "write-tree", check=False)   # fails on unmerged entries: a merge in progress
    if proc.returncode != 0:
        return None
    tree = proc.stdout.strip()
    diff = _run(root, "diff-tree", "-r", "-z", "--name-only", "--no-renames", head_tree, tree, check=False)
    if diff.returncode != 0:
        return None
    return tree if {p for p in diff.stdout.split("\0") if p} <= set(paths) else None


def _tree_from_head(root: Path, git_dir: Path, *, temp_env: dict[str, str], head: str | None, listed: str) -> str:
    """The tree of HEAD with the listed paths as the work tree has them, built in a temporary index."""
    fd, index = tempfile.mkstemp(prefix="supportctl-index-", dir=git_dir)
    os.close(fd)
    os.unlink(index)   # git wants to create it: an empty file is not an index
    temp = {**temp_env, "GIT_INDEX_FILE": index}
    try:
        _commit_step(root, ("read-tree", "HEAD" if head else "--empty"), temp)
        _commit_step(root, ("update-index", "--add", "--remove", "-z", "--stdin"), temp, stdin=listed)
        return _commit_step(root, ("write-tree",), temp).stdout.strip()
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(index)


def dirty(root: Path, folder: str) -> list[str]:
    """Files below `folder` whose state differs from HEAD: edited, staged, new or deleted."""
    proc = _run(root, "status", "--porcelain", "-z", "--untracked-files=all", "--no-renames", "--", folder)
    return sorted(item[3:] for item in proc.stdout.split("\0") if len(item) > 3)


def unstage(root: Path, paths: list[str]) -> None:
    """Undo `git add` of paths (used when a commit fails and files are restored)."""
    if paths:
        _run(root, "reset", "-q", "--pathspec-from-file=-", "--pathspec-file-nul", check=False,
             stdin="\0".join(paths))


@datatype
class LogEntry:
    """One commit of a file's history, with the lines it added."""

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
