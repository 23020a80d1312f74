"""The desk as it was at a git revision, read from git into a folder outside the work tree.

`report --at REV` rebuilds last month's numbers exactly: the files come from
`git archive` (the commit's own blobs), so the work tree, the index and
uncommitted edits are never touched or read.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
from datetime import datetime
from pathlib import Path

from supportctl.errors import SupportctlError, UsageError

# What a report reads: the configuration, the tickets and the customers (NPS).
DESK_PATHS = ("supportctl.yml", "tickets", "customers")


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True)
    except OSError as exc:
        raise SupportctlError(f"cannot run git: {exc.strerror}", hint="install git") from None


def resolve(root: Path, rev: str) -> tuple[str, datetime]:
    """(full commit id, committer time) of a revision; a usage error when it names no commit."""
    if rev.startswith("-"):
        raise UsageError(f"{rev!r} is not a revision", hint="give a commit, tag or branch, e.g. --at v1.2 or HEAD~3")
    proc = _git(root, "log", "-1", "--format=%H %cI", f"{rev}^{{commit}}", "--")
    if proc.returncode != 0:
        raise UsageError(f"{rev!r} is not a commit of this desk's repository",
                         hint="`git log --oneline` lists the commits; a tag or branch name works too")
    sha, when = proc.stdout.decode().split()
    return sha, datetime.fromisoformat(when)


def extract(root: Path, sha: str, dest: Path) -> None:
    """Write the desk files of commit `sha` (DESK_PATHS that exist there) into `dest`."""
    # The desk may sit in a sub-folder of the repository: read that folder of the commit.
    prefix = _git(root, "rev-parse", "--show-prefix").stdout.decode().strip()
    top = Path(_git(root, "rev-parse", "--show-toplevel").stdout.decode().strip() or root)
    tree = f"{sha}:{prefix.rstrip('/')}" if prefix else sha
    # From the top folder: in a sub-folder git would read paths (and ls-tree's listing) relative to it.
    listing = _git(top, "ls-tree", "--name-only", tree)
    present = set(listing.stdout.decode().split("\n"))
    paths = [p for p in DESK_PATHS if p in present]
    if "supportctl.yml" not in paths:
        raise UsageError(f"commit {sha[:12]} has no supportctl.yml in {prefix or 'the top folder'}",
                         hint="give a commit made after the desk was set up")
    proc = _git(top, "archive", "--format=tar", tree, "--", *paths)
    if proc.returncode != 0:
        raise SupportctlError(f"git archive failed: {proc.stderr.decode(errors='replace').strip()}",
                              hint="run `git archive` by hand to see why")
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        tar.extractall(dest, filter="data")   # no links out of dest, no absolute paths
