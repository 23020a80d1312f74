"""The ticket index: every ticket's fields and timeline, cached by file stat.

The cache lives in `.supportctl/cache/tickets.marshal`, keyed by each file's
stat (mtime, ctime, size, inode), so a hand edit or a `git checkout`
re-parses exactly the files it touched. Entries are built with the same
record parser as the full parse (tickets/format.py), so a file the index
accepts is a file every command can read.
"""

from __future__ import annotations

import json
import marshal
import os
import time
from datetime import date, datetime
from pathlib import Path

from supportctl.base.yamlio import Ambiguous
from supportctl.desk.store import RACY_NS, Desk, atomic_write_bytes
from supportctl.errors import SupportctlError, TicketFormatError
from supportctl.tickets.format import (bad_timestamp, check_event_body, decode_file, merged_source, parse_at, record_body,
                                       refuse_conflict, scan_records)
from supportctl.tickets.frontmatter import load_meta, split_front_matter
from supportctl.tickets.model import Record, Ticket, TicketFields

CACHE_VERSION = 13
# Below this many files to parse, starting worker processes costs more than it saves.
PARALLEL_FROM = 1500


class IndexEntry(TicketFields):
    """One ticket as the index keeps it: JSON-ready fields and the timeline, no message text."""

    __slots__ = ("path", "meta", "dt_keys", "created_ts", "updated_ts", "_timeline", "messages", "meta_json",
                 "latest_ts")

    def __init__(self, path: str, payload: tuple) -> None:
        (_, self.meta, self.dt_keys, self.created_ts, self.updated_ts, self._timeline, self.messages,
         self.meta_json, self.latest_ts) = payload
        self.path = path

    @property
    def records(self) -> tuple:
        """The timeline: (kind, id, at, author, role, text, POSIX seconds) per record.

        The text is an event's body, or for a message or note the ticket it was
        merged from ('' for the ticket's own), as in `Ticket.history`.

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
                   if kind == "event" else
                   Record(kind, rid, datetime.fromisoformat(at), author, role, merged_from=body or None)
                   for kind, rid, at, author, role, body, _ in self.records]
        return Ticket(path=self.path, meta=meta, fm_text="", records=records, preamble="")


def load_index(desk: Desk, files: dict[str, os.stat_result]) -> tuple[list[IndexEntry], list[SupportctlError]]:
    """Every ticket's index entry (from `files`: path -> stat), re-parsing only files whose stat changed."""
    cache_path = desk.cache_dir / "tickets.marshal"
    cache = _load_cache(cache_path)
    now_ns = time.time_ns()
    keys: dict[str, tuple] = {}
    stale: list[str] = []
    for rel, st in files.items():
        key = keys[rel] = (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        cached = cache.get(rel)
        if cached is None or cached[0] != key or cached[1]:
            stale.append(rel)
    parsed = parse_many(desk.root, sorted(stale))
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


def parse_many(root: Path, rels: list[str]) -> dict[str, tuple]:
    """Index payloads of many files; spread over the CPU cores for a cold index.

    Parsing front matter is CPU-bound (the C YAML parser still builds Python
    objects), so a first listing of 10,000 tickets takes twice as long on one
    core as on two. Workers are forked (Linux), so they start with everything
    imported; elsewhere, or for a few files, parsing stays in this process.
    """
    workers = min(os.cpu_count() or 1, 8)
    if len(rels) < PARALLEL_FROM or workers < 2 or "fork" not in _mp_methods():
        return {rel: index_payload(root / rel, rel) for rel in rels}
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
    return {rel: index_payload(base / rel, rel) for rel in rels}


def _mp_methods() -> list[str]:
    import multiprocessing

    return multiprocessing.get_all_start_methods()


def index_payload(path: Path, rel: str) -> tuple:
    """Parse one file into what the index stores (plain tuples, fast to marshal), or an error tuple."""
    try:
        with open(path, "rb") as fh:
            text = decode_file(fh.read(), rel)
        refuse_conflict(text, rel)
        fm_text, rest = split_front_matter(text, rel)
        meta = load_meta(fm_text, rel)
        records = []
        first_line = fm_text.count("\n") + 3
        for kind, rid, at, author, role, start, header_end, end, line in scan_records(rest, first_line, rel):
            try:
                ts = parse_at(at)[1]
            except ValueError:
                raise bad_timestamp(rid, at, rel, line) from None
            if kind == "event":  # message text stays out of the index
                body = record_body(rest, header_end, end)
                check_event_body(body, rid, rel, line)
            else:
                body = merged_source(rest[start:header_end]) or ""
            records.append((kind, rid, at, author, role, body, ts))
        json_meta, dt_keys = {}, []
        for key, value in meta.items():
            json_meta[key], is_dt = _plain(value)
            if is_dt:
                dt_keys.append(key)
        # The fields are also kept as JSON text, encoded once here: a listing of
        # 10,000 tickets then splices text instead of encoding 150,000 values.
        meta_json = json.dumps(json_meta, ensure_ascii=False, default=str)
    except SupportctlError as exc:
        return ("error", exc.message, exc.hint, exc.line)
    except OSError as exc:
        return ("error", f"the file cannot be read ({exc.strerror})", "check its permissions", None)
    except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
        # A shape the parser did not foresee: one bad file must not stop the desk.
        return ("error", f"the file cannot be parsed ({type(exc).__name__}: {exc})",
                "run `supportctl check` and fix what it reports", None)
    messages = sum(1 for r in records if r[0] != "event")
    created = _epoch(meta.get("created"))
    # The last instant the file tells of: a replay (`--now` before it) must
    # rebuild the ticket as it was; at or after it the entry is used as is.
    latest = max((r[6] for r in records), default=None)
    if created:
        latest = int(created) if latest is None else max(latest, int(created))
    return ("ok", json_meta, tuple(dt_keys), created, _epoch(meta.get("updated")),
            marshal.dumps(tuple(records)), messages, meta_json, latest)


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
