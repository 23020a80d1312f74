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
import time
from pathlib import Path
from typing import Callable, Iterable, TypeVar

from supportctl.desk.store import RACY_NS, STATE_DIR, markdown_files, read_cache, write_cache

# From this many files, asking git costs less than a stat each (git starts in ~5 ms;
# Python stats 1,000 files in ~4 ms on the machine this was measured on).
GIT_FROM = 5000
# From this many files that git finds changed, its stat cache is taken as stale and refreshed
# (git then reads each of them once); fewer are edits, stat-ed every time.
REFRESH_FROM = 500
# A key's mtime when git vouched for the file: never in the racy window (git handled that).
VOUCHED = 0
# The names found, the folders' mtimes and git's blob ids, kept between runs.
KEYS_FILE = "filekeys.marshal"
KEYS_VERSION = 3
T = TypeVar("T")
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
    return file_keys_while(root, folder, cache_dir, lambda: None)[0]


def file_keys_while(root: Path, folder: Path, cache_dir: Path, work: Callable[[], T], *, one_core: bool = False
                    ) -> tuple[dict[str, tuple[int, int]], T]:
    """`file_keys`, and what `work()` returns: run while git checks the work tree (a cache read, say).

    With `one_core`, for long work (reading a whole index), git checks the
    files on one core and leaves the rest to `work`: on two cores its threads
    took from the read more than they gave git (0.1 s of a listing of 100,000
    tickets). Short work (the SLA plans) ends first and then waits on git,
    which is done sooner on every core.
    """
    spec = folder.relative_to(root).as_posix()
    path = cache_dir / KEYS_FILE
    here = _git_here(root)
    saved = read_cache(path, (KEYS_VERSION, spec)) if here else None
    try:
        # A big desk last time: git starts first and checks the work tree
        # while this process does `work` and finds the names.
        dirty = _diff_files(root, spec, threads=not one_core) if saved else None
    except OSError:
        dirty, saved = None, None
    try:
        done = work()
    except BaseException:
        if dirty:
            dirty.kill()
            dirty.wait()
        raise
    return _keys(root, folder, spec, path, here, saved, dirty), done


def _keys(root: Path, folder: Path, spec: str, path: Path, here: bool, saved: dict | None,
          dirty: subprocess.Popen | None) -> dict[str, tuple[int, int]]:
    dirs: dict[str, int] | None = None
    if saved and saved["dirs"] and _unchanged(saved["dirs"]):
        names = saved["names"]
    elif saved is None:   # a small desk last time (most desks): stat while walking
        dirs = {}
        keyed = markdown_files(folder, root, key=stat_key, dirs=dirs)
        if len(keyed) < GIT_FROM or not here:
            return keyed
        names = list(keyed)
    else:
        dirs = {}
        names = list(markdown_files(folder, root, stat=False, dirs=dirs))
    if len(names) < GIT_FROM:   # the desk shrank
        if dirty:
            dirty.communicate()
        path.unlink(missing_ok=True)
        return markdown_files(folder, root, key=stat_key)
    ids, index = _ids(root, spec, names, saved)
    try:
        dirty = dirty or _diff_files(root, spec)
        out, _ = dirty.communicate()
    except OSError:
        ids = None
    if ids is None or dirty.returncode != 0:
        return _stat_each(root, names)
    if out.count(b"\0") >= REFRESH_FROM and _refresh(root):
        # Git's own stat cache was stale (a copied or restored desk): refreshed once, it vouches again.
        ids, index = _ids(root, spec, names, saved)
        try:
            again = _diff_files(root, spec)
            out, _ = again.communicate()
        except OSError:
            ids = None
        if ids is None or again.returncode != 0:
            return _stat_each(root, names)
    digest = _digest(names) if dirs is not None else saved["digest"]
    if dirs is not None or index != saved["index"]:
        write_cache(path, (KEYS_VERSION, spec), {"dirs": _lasting(dirs) if dirs is not None else saved["dirs"],
                                                 "names": names, "digest": digest, "ids": ids, "index": index})
    # Built whole, then mended: a lookup per file cost more than the rest of this function.
    keys = FileKeys(zip(names, [(blob, VOUCHED) for blob in ids]))
    unvouched = _paths(out)
    unvouched.update(rel for rel, blob in zip(names, ids) if blob is None)
    unvouched.intersection_update(keys)   # not a ticket file (a README), or one deleted since
    if not unvouched:
        # Every file as git's index has it: the same names and the same index mean the same keys.
        keys.token = (digest, index)
    stat_ed = _stat_each(root, unvouched)
    keys.update(stat_ed)
    for rel in unvouched.difference(stat_ed):   # removed since the walk
        del keys[rel]
    return keys


class FileKeys(dict):
    """`file_keys`'s answer, with a token when every file is vouched for by git.

    Equal tokens mean equal keys, so a cache saved with the token it was
    checked against needs no check of its entries one by one (0.08 s on
    100,000 files). None when any file is keyed by its stat.
    """

    token: tuple | None = None


def _digest(names: list[str]) -> bytes:
    """What tells one list of names from another, kept with them."""
    from hashlib import blake2b   # here: only a walk of a big desk needs it

    return blake2b("\0".join(names).encode("utf-8", "surrogateescape"), digest_size=16).digest()


def still_vouched(root: Path, rels: list[str], keys: dict[str, tuple[int, int]]) -> None:
    """After reading files git vouched for, mark those changed since (git now sees them changed) as racy.

    Their content may not be the blob their key names, so nothing parsed
    from them may be kept under it: with a fresh mtime no cache keeps them.
    """
    vouched = [rel for rel in rels if keys[rel][1] == VOUCHED]
    if not vouched:
        return
    # Many paths: one look at the folder is cheaper than a command line of paths.
    spec = vouched if len(vouched) <= 100 else sorted({rel.split("/", 1)[0] for rel in vouched})
    try:
        proc = _diff_files(root, *spec)
        out, _ = proc.communicate()
        failed = proc.returncode != 0
    except OSError:
        out, failed = b"", True
    moved = set(vouched) if failed else _paths(out)
    now = time.time_ns()
    for rel in vouched:
        if rel in moved:
            keys[rel] = (keys[rel][0], now)
            if isinstance(keys, FileKeys):
                keys.token = None


def _refresh(root: Path) -> bool:
    """Bring git's stat cache up to date (`git update-index --refresh`, as `git status` does), unless a
    supportctl command is writing: its commit must not meet git's index locked by a reader."""
    import fcntl

    try:
        with open(root / STATE_DIR / "lock", "a+") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            proc = _git(root, "update-index", "-q", "--refresh")
            proc.communicate()
            return proc.returncode == 0
    except OSError:   # no state folder yet, the lock taken (BlockingIOError), git missing
        return False


def _git_here(root: Path) -> bool:
    """Whether git's index and work tree are the desk's own (not a worktree, a submodule, or pointed elsewhere)."""
    return not any(name in os.environ for name in _GIT_PLACES) and (root / ".git").is_dir()


def _unchanged(dirs: dict[str, int]) -> bool:
    """Whether every folder still has the mtime it had when its names were read."""
    try:
        return all(os.stat(d).st_mtime_ns == mtime for d, mtime in dirs.items())
    except OSError:
        return False


def _lasting(dirs: dict[str, int]) -> dict[str, int] | None:
    """`dirs`, unless a folder changed so lately that it could change again within its mtime's tick."""
    racy_after = time.time_ns() - RACY_NS
    return None if any(mtime >= racy_after for mtime in dirs.values()) else dirs


def _stat_each(root: Path, names: Iterable[str]) -> dict[str, tuple[int, int]]:
    """`stat_key` of each of `names` that still exists."""
    base = str(root) + os.sep
    keys = {}
    for rel in names:
        try:
            keys[rel] = stat_key(os.lstat(base + rel))
        except FileNotFoundError:
            pass
    return keys


def _ids(root: Path, spec: str, names: list[str], saved: dict | None) -> tuple[list | None, tuple | None]:
    """(each name's blob id in git's index, or None where git has no plain entry for it; what tells the index changed).

    Read with `git ls-files` only when git's index file changed since `saved`.
    """
    try:
        with open(root / ".git" / "index", "rb") as fh:
            st = os.fstat(fh.fileno())
            fh.seek(-20, os.SEEK_END)
            trailer = fh.read()   # the index's own checksum (zeros with index.skipHash; the stat still tells)
    except OSError:
        return None, None
    index = (st.st_ino, st.st_size, st.st_mtime_ns, trailer)
    if saved and saved["index"] == index:
        if names is saved["names"]:
            return saved["ids"], index
        # New names under the same index: git has no entry for a name it had not then.
        known = dict(zip(saved["names"], saved["ids"]))
        return [known.get(rel) for rel in names], index
    try:
        proc = _git(root, "ls-files", "-s", "-v", "-z", "--", spec)
        out, _ = proc.communicate()
    except OSError:
        return None, None
    if proc.returncode != 0:
        return None, None
    blobs = {}
    for line in out.split(b"\0"):
        # "H 100644 <sha> 0\t<path>": only plain tracked files at stage 0; a lower-case tag
        # (assume-unchanged), S (skip-worktree) and conflicts are stat-ed instead. (Intent-to-add
        # entries need no test: diff-files always lists them.)
        if line[:2] == b"H " and line[49:52] == b" 0\t":
            blobs[os.fsdecode(line[52:])] = int(line[9:24], 16)
    return [blobs.get(rel) for rel in names], index


def _diff_files(root: Path, *specs: str, threads: bool = True) -> subprocess.Popen:
    """`git diff-files` started on `specs`: the files that differ from git's index, NUL-separated (`_paths`);
    without `threads`, git stats them from one thread (`core.preloadIndex` off)."""
    config = () if threads else ("-c", "core.preloadIndex=false")
    return _git(root, *config, "diff-files", "--name-only", "-z", "--", *specs)


def _paths(out: bytes) -> set[str]:
    return {os.fsdecode(rel) for rel in out.split(b"\0") if rel}


def _git(root: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    return subprocess.Popen(["git", *args], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)

