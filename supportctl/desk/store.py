"""The desk on disk: finding it, its paths and config, writing files safely.

Writing takes a lock, writes atomically, commits, and restores the files if
anything fails. What the files mean (tickets, articles) is for the domain
packages; the ticket index is tickets/index.py.
"""

from __future__ import annotations

import collections
import contextlib
import fcntl
import gc
import itertools
import json
import marshal
import os
import signal
import stat
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportctl.errors import NotFound, SupportctlError

if TYPE_CHECKING:
    from supportctl.config.views import Config

CONFIG_FILE = "supportctl.yml"
# An entry whose file changed this recently may change again within the same
# mtime tick without the stat changing (git's "racily clean" problem); such
# entries are re-read next time instead of being trusted.
RACY_NS = 2_000_000_000
# The desk's own state (the writers' lock, caches), beside the tickets; never committed.
STATE_DIR = ".supportctl"


def find_root(start: Path | None = None, override: str | None = None) -> Path:
    """The desk root: `-C PATH`, then SUPPORTCTL_ROOT, then the nearest supportctl.yml upwards."""
    explicit = override or os.environ.get("SUPPORTCTL_ROOT")
    if explicit:
        root = Path(explicit).expanduser().resolve()
        if not (root / CONFIG_FILE).is_file():
            raise NotFound(f"no {CONFIG_FILE} in {root}", hint="run `supportctl init` there, or point -C at a desk")
        return root
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise NotFound(f"no {CONFIG_FILE} in {here} or any folder above it",
                   hint="run `supportctl init`, cd into a desk, or pass -C PATH / set SUPPORTCTL_ROOT")


class Desk:
    """One help desk: a folder with supportctl.yml, tickets/, kb/ and templates/."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()  # paths below are sliced off an absolute root
        self.locked_at: datetime | None = None  # when `lock()` was last taken

    @classmethod
    def find(cls, start: Path | None = None, override: str | None = None) -> Desk:
        return cls(find_root(start, override))

    @cached_property
    def config(self) -> Config:
        from supportctl.config.load import load_config

        return load_config(self.root / CONFIG_FILE, cache=self.cache_dir / "config.marshal")

    def state_categories(self) -> dict[str, str]:
        """Each lifecycle state's category, without validating the config when it has not changed.

        Listing needs only this map, and building the pydantic models costs
        ~70 ms of a ~400 ms budget; the map is kept in the cache beside the
        stat of the supportctl.yml it was validated from.
        """
        path = self.cache_dir / "lifecycle.json"
        try:
            st = self.config_path.stat()
        except OSError:
            return {name: state.category for name, state in self.config.lifecycle.states.items()}
        key = [st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino]
        settled = time.time_ns() - st.st_mtime_ns > RACY_NS
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
            if settled and cached["key"] == key:
                return cached["categories"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # no cache yet, or an unreadable one: validate and write it
        categories = {name: state.category for name, state in self.config.lifecycle.states.items()}
        if settled:
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(path, json.dumps({"key": key, "categories": categories}).encode(), sync=False)
        return categories

    @property
    def config_path(self) -> Path:
        return self.root / CONFIG_FILE

    @property
    def tickets_dir(self) -> Path:
        return self.root / "tickets"

    @property
    def kb_dir(self) -> Path:
        return self.root / "kb"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def cache_dir(self) -> Path:
        override = os.environ.get("SUPPORTCTL_CACHE_DIR")
        return Path(override) if override else self.state_dir / "cache"

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # ------------------------------------------------------------- writing
    @contextlib.contextmanager
    def lock(self, timeout: float = 30.0) -> Iterator[datetime]:
        """Serialise writers: two supportctl processes never edit or commit at once.

        Yields the moment the lock was taken (UTC, whole seconds): a command
        that waited for another writer must date its records from then, not
        from before the wait, or its history would run backwards.
        """
        self.state_dir.mkdir(exist_ok=True)
        fh = open(self.state_dir / "lock", "a+")
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SupportctlError("another supportctl command is writing this desk",
                                              hint="wait for it to finish and run the command again") from None
                    time.sleep(0.02)
            self.locked_at = datetime.now(timezone.utc).replace(microsecond=0)
            self._recover()
            yield self.locked_at
        finally:
            fh.close()

    def write_files(self, files: dict[str, str | bytes], *, sync: bool = True) -> dict[str, bytes | None]:
        """Write texts (or bytes: kept mail) atomically; return the previous contents (None = did not exist).

        Each file is replaced atomically; if a later one fails (disk full), the
        earlier ones are put back, so a change of two tickets is all or nothing.
        """
        for rel, text in files.items():
            if isinstance(text, bytes):
                continue
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate, e.g. from a non-UTF-8 argument
                raise SupportctlError(f"{rel}: the new text is not valid Unicode",
                                      hint="pass arguments and files as UTF-8 text") from None
        previous: dict[str, bytes | None] = {}
        for rel in files:
            path = self.root / rel
            previous[rel] = path.read_bytes() if path.exists() else None
        # Every file's text goes to a temporary file first and is made durable, then
        # each is renamed into place. Many files share one sync: a thousand fsyncs
        # cost seconds, one os.sync a fraction of that (the mail batch does the same).
        many = sync and len(files) > SYNC_EACH
        staged: dict[str, str] = {}
        written: dict[str, bytes | None] = {}
        try:
            for rel, data in files.items():
                staged[rel] = stage_bytes(self.root / rel, data if isinstance(data, bytes) else data.encode("utf-8"),
                                          sync=sync and not many)
            if many:
                os.sync()
            for rel, tmp in staged.items():
                place(tmp, self.root / rel)
                written[rel] = previous[rel]
        except BaseException:
            for rel, tmp in staged.items():
                if rel not in written:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(tmp)
            self.restore(written)
            raise
        return previous

    def restore(self, previous: dict[str, bytes | None]) -> None:
        for rel, data in previous.items():
            path = self.root / rel
            if data is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write_bytes(path, data)

    def commit_files(self, files: dict[str, str | bytes], message: str, *, author: tuple[str, str],
                     commit: bool = True) -> str | None:
        """Write files (relative path -> text) and commit them; on failure restore every file."""
        if not commit:
            self.write_files(files)
            return None
        self._intend(list(files), message, author)
        previous = self.write_files(files)
        return self._commit(list(files), message, author, previous)

    def move_files(self, moves: dict[str, str], files: dict[str, str | bytes], message: str, *,
                   author: tuple[str, str], commit: bool = True) -> str | None:
        """Rename files (old path -> new), write `files`, and commit it all; on failure put every file back.

        A folder the moves leave empty is removed (git keeps no folders; the work tree should not either).

        The moved files should be as HEAD has them: git holds their contents, which are not packed again.
        """
        paths = [*moves, *moves.values(), *files]
        if commit:
            self._intend(paths, message, author)
        done: list[tuple[Path, Path]] = []
        made: set[Path] = set()
        try:
            for old, new in moves.items():
                src, dst = self.root / old, self.root / new
                if os.path.lexists(dst):   # rename would replace it silently
                    raise SupportctlError(f"{new} exists already; {old} was not moved onto it",
                                          hint="`supportctl check` reports duplicate ids; give one ticket a new id")
                if dst.parent not in made:
                    _no_link_on_the_way(self.root, new)
                    dst.parent.mkdir(parents=True, exist_ok=True)
                    made.add(dst.parent)
                os.rename(src, dst)   # the same file under its new name: no copy, nothing to sync
                done.append((src, dst))
            previous = self.write_files(files)
        except BaseException:
            _move_back(done)
            self._intent_path.unlink(missing_ok=True)
            raise
        sha = None
        if commit:
            try:
                sha = self._commit(paths, message, author, previous, moved=moves)
            except BaseException:
                _move_back(done)
                raise
        _remove_if_empty({src.parent for src, _ in done})
        return sha

    def _commit(self, paths: list[str], message: str, author: tuple[str, str],
                previous: dict[str, bytes | None], moved: dict[str, str] | None = None) -> str:
        from supportctl.desk import git as gitops

        try:
            sha = gitops.commit(self.root, paths, message, author_name=author[0], author_email=author[1],
                                moved=moved)
        except BaseException:
            self.undo(previous)
            raise
        finally:
            self._intent_path.unlink(missing_ok=True)
        return sha

    def undo(self, previous: dict[str, bytes | None]) -> None:
        """Put files back as `write_files` found them, and take new ones out of git's index again."""
        from supportctl.desk import git as gitops

        self.restore(previous)
        gitops.unstage(self.root, [p for p, old in previous.items() if old is None])

    # A command killed between writing its files and committing them would leave
    # changes that the next command, touching the same ticket, commits under its
    # own name. So a commit is announced first (paths, message, author); whoever
    # takes the lock next finishes an announced commit under its original name.
    @property
    def _intent_path(self) -> Path:
        return self.state_dir / "commit-intent.json"

    def _intend(self, paths: list[str], message: str, author: tuple[str, str]) -> None:
        self.state_dir.mkdir(exist_ok=True)
        data = {"paths": paths, "message": message, "author": list(author)}
        atomic_write_bytes(self._intent_path, json.dumps(data).encode("utf-8"))

    def _recover(self) -> None:
        """Commit what an interrupted command wrote, under its own message and author."""
        try:
            data = json.loads(self._intent_path.read_text(encoding="utf-8"))
            paths, message, author = list(data["paths"]), str(data["message"]), tuple(data["author"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError):
            self._intent_path.unlink(missing_ok=True)   # unreadable: nothing to finish
            return
        try:   # a batch lists its files as it goes, one per line
            paths += self._batch_paths.read_text(encoding="utf-8").splitlines()
        except OSError:
            pass
        from supportctl.desk import git as gitops

        changed = gitops.changed(self.root, list(dict.fromkeys(paths)))
        if changed:
            gitops.commit(self.root, changed, message + "\n\n(recorded after the command that wrote it was "
                          "interrupted)", author_name=author[0], author_email=author[1])
        self._intent_path.unlink(missing_ok=True)
        self._batch_paths.unlink(missing_ok=True)

    @property
    def _batch_paths(self) -> Path:
        return self.state_dir / "commit-intent.paths"

    def batch(self, message: str, author: tuple[str, str], *, commit: bool = True) -> Batch:
        """Files written one by one during a long run (a mail import), committed together at the end.

        `message` and `author` name the commit should the run be killed before it commits.
        """
        return Batch(self, message, author, commit=commit)


class Batch:
    """Writes that go to disk as they happen, so a long run's memory does not grow with its size,
    then one commit for all of them; on failure every file is put back as it was."""

    def __init__(self, desk: Desk, message: str, author: tuple[str, str], *, commit: bool = True) -> None:
        self.desk = desk
        self.previous: dict[str, bytes | None] = {}   # first contents of each file touched (None: new)
        self._intent = (message, author) if commit else None   # --no-commit: nothing to finish for it
        self._listed = None

    def write(self, files: dict[str, str | bytes]) -> None:
        # The files are listed before they are written, so a run killed half-way is
        # committed by the next writer (Desk._recover) rather than left lying around.
        if self._listed is None and self._intent is not None:
            self.desk._intend([], *self._intent)
            self._listed = open(self.desk._batch_paths, "w", encoding="utf-8")
        if self._listed is not None:
            self._listed.write("".join(f"{rel}\n" for rel in files))
            self._listed.flush()
        # No fsync per file: one sync before the commit covers them all.
        for rel, old in self.desk.write_files(files, sync=False).items():
            self.previous.setdefault(rel, old)

    def _forget(self) -> None:
        if self._listed is not None:
            self._listed.close()
            self._listed = None
        self.desk._intent_path.unlink(missing_ok=True)
        self.desk._batch_paths.unlink(missing_ok=True)

    def rollback(self) -> None:
        self.desk.undo(self.previous)
        self.previous = {}
        self._forget()

    def commit(self, message: str, *, author: tuple[str, str]) -> str | None:
        """One commit of every file written (none with commit=False); on failure all are put back."""
        try:
            if not self.previous:
                return None
            os.sync()
            if self._intent is None:
                return None
            return self.desk._commit(list(self.previous), message, author, self.previous)
        finally:
            self._forget()


def _move_back(done: list[tuple[Path, Path]]) -> None:
    for src, dst in reversed(done):
        os.rename(dst, src)
    _remove_if_empty({dst.parent for _, dst in done})   # the folders the moves made


def _no_link_on_the_way(root: Path, rel: str) -> None:
    """Refuse a path whose folders include a symbolic link: what it points at is outside the desk's business."""
    path = root
    for part in rel.split("/")[:-1]:
        path = path / part
        if path.is_symlink():
            raise SupportctlError(f"{path.relative_to(root).as_posix()} is a symbolic link; nothing is moved into it",
                                  hint="replace it with a folder, or delete it")


def _remove_if_empty(folders: set[Path]) -> None:
    for folder in folders:
        with contextlib.suppress(OSError):   # not empty: it holds other files
            folder.rmdir()


def markdown_files(folder: Path, base: Path, *, stat: bool = True, skip: tuple[str, ...] = (".",),
                   min_depth: int = 0, key: Callable[[os.stat_result], Any] | None = None,
                   dirs: dict[str, int] | None = None) -> dict[str, Any]:
    """Markdown files below `folder` (path relative to `base`, with /) -> stat (or `key(stat)`), or None without `stat`.

    os.scandir, not pathlib: on 10,000 files Path objects alone cost 0.1 s.
    Names starting with a `skip` prefix (dot files, temporary files) and
    README.md are left out, as are files shallower than `min_depth`. With
    `dirs`, each folder walked is added to it with its mtime in ns, taken
    before it is read: while those stay the same, so do the names.
    """
    out: dict[str, os.stat_result | None] = {}

    def scan(path: str, rel: str, depth: int) -> None:
        try:
            if dirs is not None:
                dirs[path] = os.stat(path).st_mtime_ns
            entries = os.scandir(path)
        except FileNotFoundError:
            return
        with entries:
            for entry in entries:
                name = entry.name
                if name.startswith(skip):
                    continue
                # A symbolic link is never followed (neither test below follows one): it could point
                # anywhere on the machine, and its target would be read and committed as desk data.
                # Reached 100,000 times on a big desk, so one test decides the common case.
                if name.endswith(".md") and entry.is_file(follow_symlinks=False):
                    if name != "README.md" and depth >= min_depth:
                        out[rel + name] = (key(entry.stat()) if key else entry.stat()) if stat else None
                elif entry.is_dir(follow_symlinks=False):
                    scan(entry.path, f"{rel}{name}/", depth + 1)

    start = folder.relative_to(base).as_posix() if folder != base else ""
    scan(str(folder), start + "/" if start else "", 0)
    return out


def read_cache(path: Path, key: Any) -> Any:
    """What `write_cache` kept at `path` under `key`; None when it is missing, unreadable or kept under another key."""
    kept = read_cache_entry(path)
    return kept[1] if kept is not None and kept[0] == key else None


def read_cache_entry(path: Path) -> tuple[Any, Any] | None:
    """(key, value) as `write_cache` kept them at `path`; None when missing or unreadable."""
    try:
        # loads() on the bytes: load() on a file object reads item by item
        # and took 5x longer on a 10,000-ticket index.
        with open(path, "rb") as fh:
            saved, value = marshal.loads(fh.read())
    except Exception:  # missing, truncated, another layout or another Python: rebuild
        return None
    return saved, value


def write_cache(path: Path, key: Any, value: Any) -> None:
    """Keep `value` (plain data) under `key` in `.supportctl/cache/` for the next command.

    marshal, because it loads plain data several times faster than pickle. A
    read-only checkout, or a value marshal cannot hold, goes without the cache.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, marshal.dumps((key, value)), sync=False)
    except (OSError, ValueError, TypeError):
        pass


def in_workers(work: Callable[[list], dict], items: list, *, parallel_from: int) -> dict:
    """`work(items)` (a dict of plain data per item), split over this process and forked children.

    Parsing ticket files is CPU-bound (the C YAML parser still builds Python
    objects), so a cold index or check of 10,000 tickets takes half as long
    on two cores. Children are forked (they start with everything imported)
    and send their part back marshalled through a pipe while this process
    does its own part; a child that fails has its part done here. Below
    `parallel_from` items, where forking costs more than it saves, or on one
    core, everything stays in this process.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(items) < parallel_from or workers < 2 or not hasattr(os, "fork"):
        return work(items)
    # Not multiprocessing.Pool: its import, threads and pickling cost 20-40 ms, a
    # third of a cold index of 1,000 tickets, and its parent only waits.
    chunks = [items[i::workers] for i in range(workers)]
    pending: list[tuple[int, Any, list]] = []   # (pid, the pipe's read end, part)
    try:
        for chunk in chunks[1:]:
            read_end, write_end = os.pipe()
            pid = os.fork()
            if pid == 0:
                _child(work, chunk, read_end, write_end)
            os.close(write_end)
            pending.append((pid, open(read_end, "rb"), chunk))
        out = work(chunks[0])
        while pending:
            pid, pipe, chunk = pending[0]
            with pipe:
                data = pipe.read()
            pending.pop(0)
            _, status = os.waitpid(pid, 0)
            try:
                part = marshal.loads(data) if status == 0 else None
            except (EOFError, ValueError, TypeError):
                part = None
            out.update(work(chunk) if part is None else part)
        return out
    finally:
        for pid, pipe, _ in pending:   # interrupted: no child left behind
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            pipe.close()


def aside(work: Callable[[], Any]) -> Callable[[], Any]:
    """Start `work()` (returning plain data) in a forked child while this process goes on; the function
    returned waits for its result. Where there is no fork or one core, or the child fails, that function
    does the work itself, so its errors are raised here as they always were. Fork before starting threads."""
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "fork"):
        return work
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        _child(lambda _: work(), [], read_end, write_end)
    os.close(write_end)

    def result() -> Any:
        try:
            with open(read_end, "rb") as pipe:
                data = pipe.read()
            _, status = os.waitpid(pid, 0)
            try:
                return marshal.loads(data) if status == 0 else work()
            except (EOFError, ValueError, TypeError):
                return work()
        except BaseException:
            with contextlib.suppress(OSError):     # interrupted: no child left behind
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            raise

    return result


def _child(work: Callable[[list], dict], chunk: list, read_end: int, write_end: int) -> None:
    """A forked worker: its part, marshalled into the pipe; exit 1 on any failure. Never returns."""
    code = 1
    try:
        os.close(read_end)
        data = marshal.dumps(work(chunk))
        with open(write_end, "wb") as fh:
            fh.write(data)
        code = 0
    except BaseException:   # noqa: B036 - the parent redoes the part; nothing may escape a fork
        pass
    os._exit(code)


# What a command built for its whole run, left to the end of the process (see `keep_until_exit`).
_KEPT: collections.deque = collections.deque(maxlen=8)


def keep_until_exit(*objects: Any) -> None:
    """Leave `objects` (a whole desk's index, say) referenced until the process ends.

    The console script leaves with os._exit (console.py), so what is still
    referenced then is never freed one object at a time: 0.07 s of a listing
    of 100,000 tickets. git does the same (UNLEAK). Bounded, so a process
    that runs many commands (the tests) keeps only the last few.
    """
    _KEPT.extend(objects)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Loading a 10,000-ticket index creates about a million tuples and strings;
    with the collector on, each generation-2 pass also walks every object the
    CLI has already imported, and the load took 5x longer (0.72 s vs 0.15 s).
    Nothing built here forms reference cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # Move what was built out of the collector's view, so re-enabling it
        # does not start with a full pass over a million fresh objects.
        gc.freeze()
        if enabled:
            gc.enable()


# Up to this many files are each fsynced; more share one os.sync() (Desk.write_files).
SYNC_EACH = 8


def atomic_write(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    place(stage_bytes(path, data, sync=sync), path)


_STAGED = itertools.count()


def stage_bytes(path: Path, data: bytes, *, sync: bool = True) -> str:
    """`data` in a temporary file beside `path` (a dot file, which no scan reads), for `place` to rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # Named by process and counter, opened exclusively: tempfile.mkstemp's random
    # names and file object doubled the cost of writing a thousand tickets.
    while True:
        tmp = f"{path.parent}{os.sep}.{path.name}.{os.getpid()}-{next(_STAGED)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            break
        except FileExistsError:   # left by a killed process that had the same id
            continue
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            if sync:  # the cache can be rebuilt; tickets must survive a crash
                os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return tmp


def place(tmp: str, path: Path) -> None:
    """Rename a staged file onto `path`, keeping the mode of the file it replaces."""
    try:
        try:
            mode = os.stat(path).st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def regular_file(root: Path, rel: str) -> bool:
    """True if `rel` is a regular file inside `root` and no part of its path is a symbolic link."""
    path = root
    for part in rel.split("/"):
        if part in ("", ".", ".."):
            return False
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return False
        if stat.S_ISLNK(mode):
            return False
    return stat.S_ISREG(mode)
