"""The desk on disk: finding it, reading tickets fast, writing them safely.

Reading many tickets goes through an index cache in `.supportctl/cache/`,
keyed by each file's stat (mtime, ctime, size, inode), so a hand edit or a
`git checkout` re-parses exactly the files it touched. Writing takes a lock,
writes atomically, commits, and restores the files if anything fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pickle
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from supportctl.errors import NotFound, SupportctlError, TicketFormatError, UsageError
from supportctl.ticket import Record, Ticket, parse_ticket

if TYPE_CHECKING:
    from supportctl.config import Config

CONFIG_FILE = "supportctl.yml"
CACHE_VERSION = 3
# An entry whose file changed this recently may change again within the same
# mtime tick without the stat changing (git's "racily clean" problem); such
# entries are re-read next time instead of being trusted.
RACY_NS = 2_000_000_000
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


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


@dataclass
class LoadResult:
    tickets: list[Ticket]
    problems: list[SupportctlError]


class Desk:
    """One help desk: a folder with supportctl.yml, tickets/, kb/ and templates/."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @classmethod
    def find(cls, start: Path | None = None, override: str | None = None) -> Desk:
        return cls(find_root(start, override))

    @cached_property
    def config(self) -> Config:
        from supportctl.config import load_config

        return load_config(self.root / CONFIG_FILE)

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
        return self.root / ".supportctl"

    @property
    def cache_dir(self) -> Path:
        override = os.environ.get("SUPPORTCTL_CACHE_DIR")
        return Path(override) if override else self.state_dir / "cache"

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # ------------------------------------------------------------- listing
    def ticket_files(self) -> dict[str, os.stat_result]:
        """Every ticket file (relative path -> stat), sub-folders included."""
        out: dict[str, os.stat_result] = {}
        base = str(self.root) + os.sep

        def scan(folder: str) -> None:
            try:
                entries = os.scandir(folder)
            except FileNotFoundError:
                return
            with entries:
                for entry in entries:
                    if entry.name.startswith("."):
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        scan(entry.path)
                    elif entry.name.endswith(".md") and entry.name != "README.md":
                        out[entry.path[len(base):].replace(os.sep, "/")] = entry.stat()

        scan(str(self.tickets_dir))
        return out

    def ids(self) -> dict[str, str]:
        """Ticket id (from the file name) -> relative path."""
        return {Path(p).stem: p for p in self.ticket_files()}

    def resolve(self, ref: str) -> str:
        """The relative path of the ticket whose id is `ref` or starts with it, like git."""
        typed = ref.strip().upper().lstrip("#")
        if not typed or not re.fullmatch(r"[0-9A-Z_-]+", typed):
            raise UsageError(f"{ref!r} is not a ticket id", hint="ticket ids look like 7QH2KD; a prefix is enough")
        ids = self.ids()
        # As typed first; then read O as 0 and I/L as 1 (Crockford), as people
        # copy ids from a phone call or a handwritten note.
        for key in dict.fromkeys((typed, typed.translate(_CONFUSABLE))):
            if key in ids:
                return ids[key]
            matches = sorted(i for i in ids if i.startswith(key))
            if len(matches) == 1:
                return ids[matches[0]]
            if matches:
                shown = ", ".join(matches[:8]) + (", ..." if len(matches) > 8 else "")
                raise UsageError(f"ticket id {ref!r} is ambiguous: {shown}", hint="type more characters of the id")
        raise NotFound(f"no ticket {ref!r}", hint="`supportctl ticket list` shows the tickets")

    def read(self, rel_path: str) -> Ticket:
        path = self.root / rel_path
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            raise TicketFormatError(f"the file is not UTF-8 text ({exc.reason})", path=rel_path,
                                    hint="save it as UTF-8") from None
        return parse_ticket(text, rel_path)

    def get(self, ref: str) -> Ticket:
        return self.read(self.resolve(ref))

    def load_all(self, *, with_bodies: bool = False) -> LoadResult:
        """Every ticket, from the index cache where the file is unchanged.

        Without `with_bodies`, message bodies are dropped (listing and SLA work
        need the fields and the timeline, not the text); with it every file is
        read, which `check` and text search need.
        """
        files = self.ticket_files()
        if with_bodies:
            tickets, problems = [], []
            for rel in sorted(files):
                try:
                    tickets.append(self.read(rel))
                except SupportctlError as exc:
                    problems.append(exc)
            return LoadResult(tickets, problems)
        cache = _load_cache(self.cache_dir / "tickets.pickle")
        fresh: dict[str, tuple] = {}
        tickets, problems = [], []
        now_ns = time.time_ns()
        changed = len(cache) != len(files)
        for rel in sorted(files):
            st = files[rel]
            key = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
            entry = cache.get(rel)
            if entry is not None and entry[0] == key:
                payload = entry[1]
            else:
                changed = True
                try:
                    payload = _light(self.read(rel))
                except SupportctlError as exc:
                    payload = exc
            if now_ns - st.st_mtime_ns > RACY_NS:
                fresh[rel] = (key, payload)
            else:
                changed = True
            if isinstance(payload, SupportctlError):
                problems.append(payload)
            else:
                tickets.append(payload)
        if changed:
            _save_cache(self.cache_dir / "tickets.pickle", fresh)
        return LoadResult(tickets, problems)

    # ------------------------------------------------------------- writing
    @contextlib.contextmanager
    def lock(self, timeout: float = 30.0) -> Iterator[None]:
        """Serialise writers: two supportctl processes never edit or commit at once."""
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
            yield
        finally:
            fh.close()

    def write_files(self, files: dict[str, str]) -> dict[str, str | None]:
        """Write texts atomically; return the previous contents (None = did not exist)."""
        previous: dict[str, str | None] = {}
        for rel in files:
            path = self.root / rel
            previous[rel] = path.read_text(encoding="utf-8") if path.exists() else None
        for rel, text in files.items():
            atomic_write(self.root / rel, text)
        return previous

    def restore(self, previous: dict[str, str | None]) -> None:
        for rel, text in previous.items():
            path = self.root / rel
            if text is None:
                path.unlink(missing_ok=True)
            else:
                atomic_write(path, text)

    def save(self, tickets: list[Ticket], message: str, *, author: tuple[str, str], commit: bool = True,
             extra: dict[str, str] | None = None) -> str | None:
        """Write tickets (and `extra` files) and commit them; on failure restore every file."""
        files = {t.path: t.render() for t in tickets}
        files.update(extra or {})
        previous = self.write_files(files)
        if not commit:
            return None
        from supportctl import gitops

        try:
            return gitops.commit(self.root, list(files), message, author_name=author[0], author_email=author[1])
        except BaseException:
            self.restore(previous)
            gitops.unstage(self.root, [p for p, old in previous.items() if old is None])
            raise

    def change(self, ref: str, action: Callable[[Ticket], str], *, author: tuple[str, str],
               commit: bool = True) -> tuple[Ticket, str | None]:
        """Read one ticket under the lock, apply `action`, save and commit."""
        with self.lock():
            ticket = self.get(ref)
            message = action(ticket)
            sha = self.save([ticket], message, author=author, commit=commit)
        return ticket, sha


def _light(ticket: Ticket) -> Ticket:
    """The ticket without raw text and message bodies: what listings and SLA clocks need."""
    records = [Record(r.kind, r.id, r.at, r.author, r.role, r.body if r.kind == "event" else "")
               for r in ticket.records]
    return Ticket(path=ticket.path, meta=ticket.meta, fm_text="", records=records, preamble="")


def _load_cache(path: Path) -> dict[str, tuple]:
    try:
        with open(path, "rb") as fh:
            version, entries = pickle.load(fh)
    except Exception:  # missing, truncated or from another version: rebuild
        return {}
    return entries if version == CACHE_VERSION else {}


def _save_cache(path: Path, entries: dict[str, tuple]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = pickle.dumps((CACHE_VERSION, entries), protocol=pickle.HIGHEST_PROTOCOL)
        atomic_write_bytes(path, data)
    except OSError:
        pass  # a read-only checkout still works, just without the cache


def atomic_write(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:
            os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
