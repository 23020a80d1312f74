"""What tells that a desk file changed since a cache was made: its stat, or on a big desk git's word.

Every cache of parsed files (the ticket index, the SLA plans) keys each file
on a number that changes when the file does. On a small desk that is its
stat. Stat-ing 100,000 files takes Python half a second, so on a big desk
git is asked instead: `git diff-files` checks the whole work tree against
git's index on every core, with git's own handling of racy timestamps, and
each file it finds as committed is keyed on its blob id from that index. A
blob id is the file's content, so the keys also hold in a fresh clone: a CI
runner that restores `.supportctl/cache` parses nothing that did not change.
A file git cannot vouch for (changed, new, conflicted, skipped by a sparse
checkout) is keyed on its stat as before.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from supportctl.desk.store import markdown_files, read_cache, write_cache

# From this many files, asking git costs less than a stat each (git starts in ~5 ms;
# Python stats 1,000 files in ~4 ms on the machine this was measured on).
GIT_FROM = 5000
# A key's mtime when git vouched for the file: never in the racy window (git handled that).
VOUCHED = 0
BLOBS_FILE = "git-blobs.marshal"
BLOBS_VERSION = 1
# Environment that moves git's index or work tree away from the desk's own: then stat is used.
_GIT_PLACES = ("GIT_DIR", "GIT_INDEX_FILE", "GIT_WORK_TREE", "GIT_COMMON_DIR")


def stat_key(st: os.stat_result) -> tuple[int, int]:
    """What tells that a file changed, as (one number for mtime, ctime, size and inode; mtime).

    The hash (ints hash alike in every process) takes a quarter of the memory
    of the tuple in a 100,000-entry index; the mtime tells a file in the racy window.
    """
    return hash((st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)), st.st_mtime_ns


def file_keys(root: Path, folder: Path, cache_dir: Path) -> dict[str, tuple[int, int]]:
    """Every Markdown file below `folder` (path relative to `root`) -> (key, mtime), as caches key on.

    The key is git's blob id when git vouches the file is as in its index
    (mtime then `VOUCHED`), else `stat_key`.
    """
    names = markdown_files(folder, root, stat=False)
    vouched = git_vouched(root, folder, cache_dir) if len(names) >= GIT_FROM else None
    if vouched is None:
        return markdown_files(folder, root, key=stat_key)
    out: dict[str, tuple[int, int]] = {}
    base = str(root) + os.sep
    get = vouched.get
    for rel in names:
        blob = get(rel)
        if blob is not None:
            out[rel] = (blob, VOUCHED)
            continue
        try:
            out[rel] = stat_key(os.lstat(base + rel))
        except FileNotFoundError:   # removed since the walk
            pass
    return out


def git_vouched(root: Path, folder: Path, cache_dir: Path) -> dict[str, int] | None:
    """Files below `folder` that git finds as its index has them -> their blob id as an int; None when git cannot say."""
    if any(name in os.environ for name in _GIT_PLACES) or not (root / ".git").is_dir():
        return None   # a worktree, a submodule, or git pointed elsewhere: not worth the guessing
    spec = folder.relative_to(root).as_posix()
    try:
        # Started first: git checks the work tree on its own threads while this process reads its cache.
        dirty = _git(root, "diff-files", "--name-only", "-z", "--", spec)
        blobs = _blobs(root, spec, cache_dir)
        out, _ = dirty.communicate()
    except OSError:
        return None
    if blobs is None or dirty.returncode != 0:
        return None
    for rel in out.split(b"\0"):
        if rel:
            blobs.pop(os.fsdecode(rel), None)
    return blobs


def still_vouched(root: Path, rels: list[str], keys: dict[str, tuple[int, int]]) -> None:
    """After reading files git vouched for, mark those changed since (git now sees them changed) as racy.

    Their content may not be the blob their key names, so nothing parsed
    from them may be kept under it: with a fresh mtime no cache keeps them.
    """
    import time

    vouched = [rel for rel in rels if keys[rel][1] == VOUCHED]
    if not vouched:
        return
    # Many paths: one look at the folder is cheaper than a command line of paths.
    spec = vouched if len(vouched) <= 100 else sorted({rel.split("/", 1)[0] for rel in vouched})
    try:
        proc = _git(root, "diff-files", "--name-only", "-z", "--", *spec)
        out, _ = proc.communicate()
        failed = proc.returncode != 0
    except OSError:
        out, failed = b"", True
    moved = set(vouched) if failed else {os.fsdecode(rel) for rel in out.split(b"\0") if rel}
    now = time.time_ns()
    for rel in vouched:
        if rel in moved:
            keys[rel] = (keys[rel][0], now)


def _blobs(root: Path, spec: str, cache_dir: Path) -> dict[str, int] | None:
    """Path -> blob id of every plain entry of git's index below `spec`, kept until the index file changes."""
    index = root / ".git" / "index"
    try:
        with open(index, "rb") as fh:
            st = os.fstat(fh.fileno())
            fh.seek(-20, os.SEEK_END)
            trailer = fh.read()   # the index's own checksum (zeros with index.skipHash; the stat still tells)
    except OSError:
        return None
    key = (BLOBS_VERSION, spec, st.st_ino, st.st_size, st.st_mtime_ns, trailer)
    path = cache_dir / BLOBS_FILE
    blobs = read_cache(path, key)
    if blobs is not None:
        return blobs
    proc = _git(root, "ls-files", "-s", "-v", "-z", "--", spec)
    out, _ = proc.communicate()
    if proc.returncode != 0:
        return None
    blobs = {}
    for line in out.split(b"\0"):
        # "H 100644 <sha> 0\t<path>": only plain tracked files at stage 0; a lower-case tag
        # (assume-unchanged), S (skip-worktree) and conflicts are stat-ed instead. (Intent-to-add
        # entries need no test: diff-files always lists them.)
        if line[:2] == b"H " and line[49:52] == b" 0\t":
            blobs[os.fsdecode(line[52:])] = int(line[9:24], 16)
    write_cache(path, key, blobs)
    return blobs


def _git(root: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    return subprocess.Popen(["git", *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)

