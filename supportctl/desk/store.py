"""The desk on disk: finding it, reading tickets fast, writing them safely.

Reading many tickets goes through an index cache in `.supportctl/cache/`,
keyed by each file's stat (mtime, ctime, size, inode), so a hand edit or a
`git checkout` re-parses exactly the files it touched. Writing takes a lock,
writes atomically, commits, and restores the files if anything fails.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import json
import marshal
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from supportctl.errors import NotFound, SupportctlError, TicketFormatError, UsageError
from supportctl.tickets.model import (HEADER_PATTERN, Record, Ticket, TicketFields, parse_records, parse_ticket,
                               split_front_matter)
from supportctl.base.yamlio import Ambiguous

if TYPE_CHECKING:
    from supportctl.config.model import Config

CONFIG_FILE = "supportctl.yml"
CACHE_VERSION = 8
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
        self.root = Path(root).resolve()  # paths below are sliced off an absolute root

    @classmethod
    def find(cls, start: Path | None = None, override: str | None = None) -> Desk:
        return cls(find_root(start, override))

    @cached_property
    def config(self) -> Config:
        from supportctl.config.model import load_config

        return load_config(self.root / CONFIG_FILE)

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
        return self.root / ".supportctl"

    @property
    def cache_dir(self) -> Path:
        override = os.environ.get("SUPPORTCTL_CACHE_DIR")
        return Path(override) if override else self.state_dir / "cache"

    def rel(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    # ------------------------------------------------------------- listing
    def ticket_files(self, *, stat: bool = True) -> dict[str, os.stat_result | None]:
        """Every ticket file (relative path -> stat, or None without `stat`), sub-folders included."""
        return markdown_files(self.tickets_dir, self.root, stat=stat)

    def ids(self) -> dict[str, str]:
        """Ticket id (from the file name) -> relative path."""
        # String slicing, not Path(p).stem: pathlib cost 0.1 s on 10,000 files.
        return {p[p.rfind("/") + 1:-3]: p for p in self.ticket_files(stat=False)}

    def resolve(self, ref: str) -> str:
        """The relative path of the ticket whose id is `ref` or starts with it, like git."""
        typed = ref.strip().upper().lstrip("#")
        if not typed or not re.fullmatch(r"[0-9A-Z_-]+", typed):
            raise UsageError(f"{ref!r} is not a ticket id", hint="ticket ids look like 7QH2KD; a prefix is enough")
        if (self.tickets_dir / f"{typed}.md").is_file():  # a whole id needs no scan
            return f"tickets/{typed}.md"
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

    def load_index(self) -> tuple[list[IndexEntry], list[SupportctlError]]:
        """Every ticket's index entry, re-parsing only files whose stat changed."""
        with _gc_paused():
            return self._load_index()

    def _load_index(self) -> tuple[list[IndexEntry], list[SupportctlError]]:
        files = self.ticket_files()
        cache_path = self.cache_dir / "tickets.marshal"
        cache = _load_cache(cache_path)
        now_ns = time.time_ns()
        keys: dict[str, tuple] = {}
        stale: list[str] = []
        for rel, st in files.items():
            key = keys[rel] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
            cached = cache.get(rel)
            if cached is None or cached[0] != key or cached[1]:
                stale.append(rel)
        parsed = _parse_many(self.root, sorted(stale))
        changed = len(cache) != len(files)
        fresh: dict[str, tuple] = {}
        entries: list[IndexEntry] = []
        problems: list[SupportctlError] = []
        for rel in sorted(files):
            key = keys[rel]
            racy = now_ns - key[0] < RACY_NS
            cached = cache.get(rel)
            payload = parsed.get(rel)
            if payload is None:
                payload = cached[2]
            elif cached is None or cached[0] != key or cached[2] != payload or cached[1] != racy:
                changed = True
            fresh[rel] = (key, racy, payload)
            if payload[0] == "error":
                problems.append(TicketFormatError(payload[1], payload[2], path=rel, line=payload[3]))
            else:
                entries.append(IndexEntry(rel, payload))
        if changed:
            _save_cache(cache_path, fresh)
        return entries, problems

    def load_all(self, *, with_bodies: bool = False) -> LoadResult:
        """Every ticket that parses, plus a problem for each one that does not.

        Without `with_bodies` the tickets come from the index (fields and the
        timeline, message bodies left out), which is what listings and SLA
        clocks need; with it every file is read, as `check` and search need.
        """
        if with_bodies:
            tickets, problems = [], []
            for rel in sorted(self.ticket_files()):
                try:
                    tickets.append(self.read(rel))
                except SupportctlError as exc:
                    problems.append(exc)
            return LoadResult(tickets, problems)
        entries, problems = self.load_index()
        with _gc_paused():
            return LoadResult([entry.ticket() for entry in entries], problems)

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

    def write_files(self, files: dict[str, str | bytes]) -> dict[str, bytes | None]:
        """Write texts (or bytes: kept mail) atomically; return the previous contents (None = did not exist).

        Each file is replaced atomically; if a later one fails (disk full), the
        earlier ones are put back, so a change of two tickets is all or nothing.
        """
        previous: dict[str, bytes | None] = {}
        for rel in files:
            path = self.root / rel
            previous[rel] = path.read_bytes() if path.exists() else None
        written: dict[str, bytes | None] = {}
        try:
            for rel, data in files.items():
                atomic_write_bytes(self.root / rel, data if isinstance(data, bytes) else data.encode("utf-8"))
                written[rel] = previous[rel]
        except BaseException:
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

    def save(self, tickets: list[Ticket], message: str, *, author: tuple[str, str], commit: bool = True,
             extra: dict[str, str | bytes] | None = None) -> str | None:
        """Write tickets (and `extra` files) and commit them; on failure restore every file."""
        files = {t.path: t.render() for t in tickets}
        files.update(extra or {})
        previous = self.write_files(files)
        if not commit:
            return None
        from supportctl.desk import git as gitops

        try:
            return gitops.commit(self.root, list(files), message, author_name=author[0], author_email=author[1])
        except BaseException:
            self.restore(previous)
            gitops.unstage(self.root, [p for p, old in previous.items() if old is None])
            raise

    def batch(self) -> Batch:
        """Files written one by one during a long run (a mail import), committed together at the end."""
        return Batch(self)

    def change(self, ref: str, action: Callable[[Ticket], str], *, author: tuple[str, str],
               commit: bool = True) -> tuple[Ticket, str | None]:
        """Read one ticket under the lock, apply `action`, save and commit."""
        with self.lock():
            ticket = self.get(ref)
            message = action(ticket)
            sha = self.save([ticket], message, author=author, commit=commit)
        return ticket, sha


class Batch:
    """Writes that go to disk as they happen, so a long run's memory does not grow with its size,
    then one commit for all of them; on failure every file is put back as it was."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.previous: dict[str, bytes | None] = {}   # first contents of each file touched (None: new)

    def write(self, files: dict[str, str | bytes]) -> None:
        for rel, old in self.desk.write_files(files).items():
            self.previous.setdefault(rel, old)

    def rollback(self) -> None:
        from supportctl.desk import git as gitops

        self.desk.restore(self.previous)
        gitops.unstage(self.desk.root, [p for p, old in self.previous.items() if old is None])
        self.previous = {}

    def commit(self, message: str, *, author: tuple[str, str], commit: bool = True) -> str | None:
        if not self.previous or not commit:
            return None
        from supportctl.desk import git as gitops

        try:
            return gitops.commit(self.desk.root, list(self.previous), message, author_name=author[0],
                                 author_email=author[1])
        except BaseException:
            self.rollback()
            raise


def markdown_files(folder: Path, base: Path, *, stat: bool = True, skip: tuple[str, ...] = (".",),
                   min_depth: int = 0) -> dict[str, os.stat_result | None]:
    """Markdown files below `folder` (path relative to `base`, with /) -> stat, or None without `stat`.

    os.scandir, not pathlib: on 10,000 files Path objects alone cost 0.1 s.
    Names starting with a `skip` prefix (dot files, temporary files) and
    README.md are left out, as are files shallower than `min_depth`.
    """
    out: dict[str, os.stat_result | None] = {}
    prefix = str(base) + os.sep

    def scan(path: str, depth: int) -> None:
        try:
            entries = os.scandir(path)
        except FileNotFoundError:
            return
        with entries:
            for entry in entries:
                if entry.name.startswith(skip):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    scan(entry.path, depth + 1)
                elif entry.name.endswith(".md") and entry.name != "README.md" and depth >= min_depth:
                    out[entry.path[len(prefix):].replace(os.sep, "/")] = entry.stat() if stat else None

    scan(str(folder), 0)
    return out


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
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


class IndexEntry(TicketFields):
    """One ticket as the index keeps it: JSON-ready fields and the timeline, no message text."""

    __slots__ = ("path", "meta", "dt_keys", "created_ts", "updated_ts", "_timeline", "messages", "meta_json")

    def __init__(self, path: str, payload: tuple) -> None:
        (_, self.meta, self.dt_keys, self.created_ts, self.updated_ts, self._timeline, self.messages,
         self.meta_json) = payload
        self.path = path

    @property
    def records(self) -> tuple:
        """The timeline: (kind, id, at, author, role, event body, POSIX seconds) per record.

        Kept marshalled inside the index, so a listing that never looks at it
        does not pay for building 70,000 tuples on a 10,000-ticket desk.
        """
        return marshal.loads(self._timeline)

    def history(self) -> list[tuple[str, str, int, str]]:
        """(kind, role, POSIX seconds, event body) per record, as `Ticket.history`, from the index alone.

        The SLA engine reads this, so `sla check` on a large desk evaluates
        index entries without rebuilding Record objects and datetimes.
        """
        return [(kind, role, ts, body) for kind, _, _, _, role, body, ts in self.records]

    def ticket(self) -> Ticket:
        """A `Ticket` with datetimes restored and records rebuilt (event bodies kept, message text not)."""
        meta = dict(self.meta)
        for key in self.dt_keys:
            meta[key] = datetime.fromisoformat(meta[key])
        records = [Record(kind, rid, datetime.fromisoformat(at), author, role, body)
                   for kind, rid, at, author, role, body, _ in self.records]
        return Ticket(path=self.path, meta=meta, fm_text="", records=records, preamble="")


# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_FROM = 1500


def _parse_many(root: Path, rels: list[str]) -> dict[str, tuple]:
    """Index payloads of many files; spread over the CPU cores for a cold index.

    Parsing front matter is CPU-bound (the C YAML parser still builds Python
    objects), so a first listing of 10,000 tickets takes twice as long on one
    core as on two. Workers are forked (Linux), so they start with everything
    imported; elsewhere, or for a few files, parsing stays in this process.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(rels) < PARALLEL_FROM or workers < 2 or "fork" not in _mp_methods():
        return {rel: _index_payload(root / rel, rel) for rel in rels}
    import multiprocessing

    chunks = [rels[i::workers] for i in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        results = pool.starmap(_parse_chunk, [(str(root), chunk) for chunk in chunks])
    out: dict[str, tuple] = {}
    for result in results:
        out.update(result)
    return out


def _parse_chunk(root: str, rels: list[str]) -> dict[str, tuple]:
    base = Path(root)
    return {rel: _index_payload(base / rel, rel) for rel in rels}


def _mp_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def _index_payload(path: Path, rel: str) -> tuple:
    """Parse one file into what the index stores (plain tuples, fast to marshal)."""
    import yaml

    from supportctl.base.yamlio import load_fast, yaml_error_line

    try:
        text = path.read_text(encoding="utf-8")
        fm_text, rest = split_front_matter(text, rel)
        try:
            meta = load_fast(fm_text)
        except yaml.YAMLError:
            parse_ticket(text, rel)  # raises the full error with its line and hint
            raise
        if not isinstance(meta, dict):
            parse_ticket(text, rel)
        first_line = fm_text.count("\n") + 3
        records = []
        for m in _HEADER_SCAN.finditer(rest):
            kind, rid, at, author, role = m.group(1, 2, 3, 4, 5)
            try:
                moment = datetime.fromisoformat(at)
                if moment.tzinfo is None:
                    raise ValueError("no UTC offset")
                ts = int(moment.timestamp())
            except ValueError:
                parse_records(rest, rel, first_line)  # raises with the record's line
            body = ""
            if kind == "event":
                nxt = rest.find("\n### ", m.end())
                body = rest[m.end():nxt if nxt != -1 else len(rest)].strip()
            records.append((kind, rid, at, author, role, body, ts))
    except SupportctlError as exc:
        return ("error", exc.message, exc.hint, exc.line)
    except UnicodeDecodeError as exc:
        return ("error", f"the file is not UTF-8 text ({exc.reason})", "save it as UTF-8", None)
    except yaml.YAMLError as exc:  # pragma: no cover - parse_ticket reports these
        return ("error", f"the front matter is not valid YAML: {exc}", None, yaml_error_line(exc))
    json_meta, dt_keys = {}, []
    for key, value in meta.items():
        json_meta[str(key)], is_dt = _plain(value)
        if is_dt:
            dt_keys.append(str(key))
    messages = sum(1 for r in records if r[0] != "event")
    # The fields are also kept as JSON text, encoded once here: a listing of
    # 10,000 tickets then splices text instead of encoding 150,000 values.
    text = json.dumps(json_meta, ensure_ascii=False, default=str)
    return ("ok", json_meta, tuple(dt_keys), _epoch(meta.get("created")), _epoch(meta.get("updated")),
            marshal.dumps(tuple(records)), messages, text)


# The record header grammar, scanned over the whole text in one C pass.
_HEADER_SCAN = re.compile(HEADER_PATTERN, re.M)


def _plain(value):
    """A front-matter value as JSON-ready data; True when it was an aware datetime.

    Called for every value of every ticket on a cold index build, so the
    common types are tested first and by exact type.
    """
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value, False
    if kind is datetime:
        if value.tzinfo is None:
            return value.isoformat(), False
        return value.replace(microsecond=0).isoformat(), True
    if kind is list:
        return [_plain(v)[0] for v in value], False
    if kind is dict:
        return {str(k): _plain(v)[0] for k, v in value.items()}, False
    if kind is date:
        return value.isoformat(), False
    if kind is Ambiguous:
        return value.text, False
    return str(value), False


def json_value(value):
    """A front-matter value as JSON-ready data (timestamps as ISO text), as the index keeps it."""
    return _plain(value)[0]


def _epoch(value) -> float:
    return value.timestamp() if isinstance(value, datetime) and value.tzinfo is not None else 0.0


def _load_cache(path: Path) -> dict[str, tuple]:
    """The index as last saved; marshal because it loads plain data several times faster than pickle."""
    try:
        # loads() on the bytes: load() on a file object reads item by item
        # and took 5x longer on a 10,000-ticket index.
        with open(path, "rb") as fh:
            version, entries = marshal.loads(fh.read())
    except Exception:  # missing, truncated or from another Python: rebuild
        return {}
    return entries if version == CACHE_VERSION else {}


def _save_cache(path: Path, entries: dict[str, tuple]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, marshal.dumps((CACHE_VERSION, entries)), sync=False)
    except (OSError, ValueError):
        pass  # a read-only checkout still works, just without the cache


def atomic_write(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes, *, sync: bool = True) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:  # the cache can be rebuilt; tickets must survive a crash
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
