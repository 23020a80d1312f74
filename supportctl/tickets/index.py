"""The ticket index: every ticket's fields and timeline, cached per file.

The cache lives in `.supportctl/cache/`, keyed by each file's stat (mtime,
ctime, size, inode) or, on a big desk, by the blob id git vouches for
(desk/filekeys.py), so a hand edit or a `git checkout` re-parses exactly
the files it touched. Entries are built with the same record parser as the
full parse (tickets/format.py), so a file the index accepts is a file every
command can read.

It is two files, because most commands need only one of them:
`tickets.marshal` holds what a listing shows and filters on (the fields as
JSON text, status, times, counts), `timelines.marshal` each ticket's
records, which only the SLA clocks, reports and automations read. A listing
of 100,000 tickets then loads a third of the bytes and builds no dicts.

`tickets.marshal` also keeps the entries newest activity first, ahead of
the map by path, so that marshal lays them out in memory in the order a
default listing reads them: spliced in that order, 100,000 entries took
half the time of the same entries scattered by path.
"""

from __future__ import annotations

import functools
import json
import marshal
import os
import time
from datetime import datetime
from pathlib import Path

from supportctl.desk.filekeys import stat_key, still_vouched
from supportctl.desk.store import (RACY_NS, Desk, in_workers, keep_until_exit, read_cache, read_cache_entry,
                                   write_cache)
from supportctl.errors import SupportctlError, TicketFormatError
from supportctl.tickets.model import Record, Ticket, TicketFields

CACHE_VERSION = 16
# Below this many files to parse, forking a worker costs more than it saves (a cold index
# on 2 cores, in this process alone -> with a worker: 1,000 files 0.14 -> 0.09 s, 300 files
# 0.046 -> 0.030 s, 100 files 0.017 s either way).
PARALLEL_FROM = 200
# After re-parsing this many files, their timelines are saved at once rather than
# left for the first command that reads timelines to parse again.
SAVE_TIMELINES_FROM = 1000
# Up to this size the saved index is read to spare a command that names one ticket the
# YAML parser: marshal reads it at ~3.4 ms/MiB, `import yaml` alone takes 25-50 ms.
# (From 5,000 tickets the index keys on git's blob ids, which a lone stat cannot match.)
FIELDS_FOR_ONE_UP_TO = 4 << 20
TIMELINE = 9   # where an "ok" payload keeps the marshalled records


class IndexEntry(TicketFields):
    """One ticket as the index keeps it: JSON-ready fields and the timeline, no message text."""

    __slots__ = ("path", "meta_json", "status", "dt_keys", "created_ts", "updated_ts", "messages", "latest_ts",
                 "json_tail", "_meta", "_timeline", "_timelines")

    def __init__(self, path: str, payload: tuple, timelines: Timelines | None = None) -> None:
        (_, self.meta_json, self.status, self.dt_keys, self.created_ts, self.updated_ts, self.messages,
         self.latest_ts, self.json_tail, self._timeline) = payload
        self.path = path
        self._meta = None
        self._timelines = timelines

    @property
    def meta(self) -> dict:
        """The front matter as JSON-ready data (timestamps as ISO text), decoded on first use."""
        if self._meta is None:
            self._meta = json.loads(self.meta_json)
        return self._meta

    def timeline(self) -> bytes:
        """The records, marshalled as the index keeps them (fetched from `timelines.marshal` on first use)."""
        if self._timeline is None:
            self._timeline = self._timelines.get(self.path)
        return self._timeline

    @property
    def records(self) -> tuple:
        """The timeline: (kind, id, at, author, role, text, POSIX seconds) per record.

        The text is an event's body, or for a message or note the ticket it was
        merged from ('' for the ticket's own), as in `Ticket.history`.
        """
        return marshal.loads(self.timeline())

    def history(self) -> list[tuple[str, str, int, str]]:
        """(kind, role, POSIX seconds, event body) per record, as `Ticket.history`, from the index alone.

        The SLA engine reads this, so `sla check` on a large desk evaluates
        index entries without rebuilding Record objects and datetimes.
        """
        return [(kind, role, ts, body) for kind, _, _, _, role, body, ts in self.records]

    def fields(self) -> dict:
        """The front matter as listings see it: JSON-ready values, aware datetimes restored."""
        meta = dict(self.meta)
        for key in self.dt_keys:
            meta[key] = datetime.fromisoformat(meta[key])
        return meta

    def ticket(self) -> Ticket:
        """A `Ticket` with datetimes restored and records rebuilt (event bodies kept, message text not)."""
        meta = self.fields()
        records = [Record(kind, rid, datetime.fromisoformat(at), author, role, body)
                   if kind == "event" else
                   Record(kind, rid, datetime.fromisoformat(at), author, role, merged_from=body or None)
                   for kind, rid, at, author, role, body, _ in self.records]
        return Ticket(path=self.path, meta=meta, fm_text="", records=records, preamble="")


class Timelines:
    """The records of every ticket, read from `timelines.marshal` the first time a command needs one.

    Each timeline is stored with the key of the file it came from. On
    first use, those that are missing or stale are taken from this run's
    parse or parsed again, and the file is saved, so the next command finds
    them all. Files still in the racy window are never stored.
    """

    def __init__(self, desk: Desk, files: dict[str, tuple[int, int]], racy_before: int,
                 fresh: dict[str, bytes]) -> None:
        self.root, self.path = desk.root, desk.cache_dir / "timelines.marshal"
        self.files, self.racy_before, self.fresh = files, racy_before, fresh
        self.data: dict[str, tuple[int, bytes]] | None = None

    def get(self, rel: str) -> bytes:
        if self.data is None:
            self.load()
        hit = self.data.get(rel)
        if hit is not None and hit[0] == self.files[rel][0]:
            return hit[1]
        if rel in self.fresh:
            return self.fresh[rel]
        payload = index_payload(self.root / rel, rel)   # the file changed since the scan
        return payload[TIMELINE] if payload[0] == "ok" else marshal.dumps(())

    def load(self) -> None:
        """Read the stored timelines; bring them up to date (and save them) when files changed."""
        data = read_cache(self.path, CACHE_VERSION) or {}
        keys = {rel: key for rel, (key, mtime) in self.files.items() if mtime < self.racy_before}
        stale = [rel for rel, key in keys.items() if rel not in data or data[rel][0] != key]
        if stale or len(data) != len(keys):
            reparse = sorted(rel for rel in stale if rel not in self.fresh)
            parsed = parse_many(self.root, reparse)
            still_vouched(self.root, reparse, self.files)
            keys = {rel: key for rel, (key, mtime) in self.files.items() if mtime < self.racy_before}
            data = {rel: data[rel] for rel in keys if rel in data}
            for rel in filter(keys.__contains__, stale):
                payload = parsed.get(rel)
                timeline = (self.fresh.get(rel) if payload is None else
                            payload[TIMELINE] if payload[0] == "ok" else None)
                if timeline is None:
                    data.pop(rel, None)
                else:
                    data[rel] = (keys[rel], timeline)
            write_cache(self.path, CACHE_VERSION, data)
        self.data = data


def read_index(desk: Desk) -> tuple[dict, tuple | None, tuple[list, list]]:
    """The listing index as saved: path -> (key, racy, payload); the token of the keys it was checked
    against (desk/filekeys.py `FileKeys`), if any; and the parsed entries newest activity first, as
    (paths, payloads)."""
    kept = read_cache_entry(desk.cache_dir / "tickets.marshal")
    if kept is None:
        return {}, None, ([], [])
    saved, value = kept
    if saved == CACHE_VERSION:
        token = None
    elif isinstance(saved, tuple) and len(saved) == 2 and saved[0] == CACHE_VERSION:
        token = saved[1]
    else:
        return {}, None, ([], [])
    if not (type(value) is tuple and len(value) == 3 and type(value[2]) is dict):
        return {}, None, ([], [])   # not this layout after all: rebuilt
    paths, payloads, cache = value
    return cache, token, (paths, payloads)


def indexed_fields(desk: Desk, rel: str, st: os.stat_result) -> dict | None:
    """A ticket's fields as the saved index holds them (`IndexEntry.fields`), when it holds the file
    whose stat is `st` and is small enough to read for one ticket; else None (parse the file)."""
    try:
        if os.stat(desk.cache_dir / "tickets.marshal").st_size > FIELDS_FOR_ONE_UP_TO:
            return None
    except OSError:
        return None
    key, mtime = stat_key(st)
    hit = read_index(desk)[0].get(rel)
    if hit is None or hit[0] != key or hit[1] or hit[2][0] != "ok" or mtime >= time.time_ns() - RACY_NS:
        return None
    return IndexEntry(rel, hit[2]).fields()


def load_index(desk: Desk, files: dict[str, tuple[int, int]], saved: tuple | None = None, *, recent: bool = False
               ) -> tuple[list[IndexEntry], list[SupportctlError]]:
    """Every ticket's index entry (from `files`: path -> key, see desk/filekeys.py), re-parsing only files that changed.

    Entries come in path order, or with `recent` newest activity (`updated`)
    first, ties in path order, as a default listing shows them. `saved`: the
    saved index, when the caller read it already (`read_index`).
    """
    cache_path = desk.cache_dir / "tickets.marshal"
    cache, checked, by_recency = read_index(desk) if saved is None else saved
    token = getattr(files, "token", None)
    racy_before = time.time_ns() - RACY_NS
    get = cache.get
    # A file is parsed again when its key changed or when it was in the racy window
    # when last parsed (cached[1]); this loop runs once per file on every listing,
    # unless every key is as when the index was last checked (the same token).
    stale = [] if token is not None and token == checked and len(cache) == len(files) else [
        rel for rel, (key, _) in files.items() if (cached := get(rel)) is None or cached[0] != key or cached[1]]
    keep_until_exit(cache, files)
    if not stale and len(cache) == len(files):
        # Nothing changed (the usual case): the cache is already in path order.
        if token is not None and token != checked:
            # Checked entry by entry against keys git vouches for: saved with their token, the
            # next command skips the check (a rewrite once after git's index changes).
            _save(cache_path, token, cache, by_recency)
        timelines = Timelines(desk, files, racy_before, {})
        entries = ([IndexEntry(rel, payload, timelines) for rel, payload in zip(*by_recency)] if recent else
                   [IndexEntry(rel, item[2], timelines) for rel, item in cache.items() if item[2][0] == "ok"])
        problems = [] if len(entries) == len(cache) else [
            TicketFormatError(p[1], p[2], path=rel, line=p[3]) for rel, (_, _, p) in cache.items() if p[0] == "error"]
        return entries, problems
    parsed = parse_many(desk.root, sorted(stale))
    still_vouched(desk.root, stale, files)   # a file edited while it was read is not kept
    fresh_timelines = {rel: payload[TIMELINE] for rel, payload in parsed.items() if payload[0] == "ok"}
    timelines = Timelines(desk, files, racy_before, fresh_timelines)
    changed = len(cache) != len(files)
    fresh: dict[str, tuple] = {}
    ok: list[tuple[str, tuple]] = []
    entries: list[IndexEntry] = []
    problems: list[SupportctlError] = []
    for rel in sorted(files):
        key, mtime = files[rel]
        racy = mtime >= racy_before
        payload = parsed.get(rel)
        if payload is None:
            stored = payload = cache[rel][2]
        else:
            stored = payload[:TIMELINE] + (None,) if payload[0] == "ok" else payload   # the timeline is kept apart
            cached = cache.get(rel)
            changed = changed or cached is None or cached[0] != key or cached[2] != stored or cached[1] != racy
        fresh[rel] = (key, racy, stored)
        if payload[0] == "error":
            problems.append(TicketFormatError(payload[1], payload[2], path=rel, line=payload[3]))
        else:
            entries.append(IndexEntry(rel, payload, timelines))
            ok.append((rel, stored))
    if changed:
        # Newest activity first; sorted() is stable, so ties stay in path order.
        ok.sort(key=_updated, reverse=True)
        # With the token of the keys it holds, when each of them is git's blob id (none racy).
        _save(cache_path, getattr(files, "token", None), fresh, ([rel for rel, _ in ok], [p for _, p in ok]))
    if len(fresh_timelines) >= SAVE_TIMELINES_FROM or (fresh_timelines and not cache):
        timelines.load()   # a cold build: save the timelines now rather than parse them again later
    if recent:
        entries.sort(key=_entry_updated, reverse=True)
    return entries, problems


def _updated(item: tuple[str, tuple]) -> float:
    return item[1][5]


def _entry_updated(entry: IndexEntry) -> float:
    return entry.updated_ts


def _save(path: Path, token: tuple | None, cache: dict, by_recency: tuple[list, list]) -> None:
    # The entries newest first go ahead of the map: marshal builds objects in the order it
    # meets them, and the map refers to the same payloads.
    write_cache(path, CACHE_VERSION if token is None else (CACHE_VERSION, token), (*by_recency, cache))


def parse_many(root: Path, rels: list[str]) -> dict[str, tuple]:
    """Index payloads of many files, on every core for a cold index (`desk.store.in_workers`)."""
    return in_workers(functools.partial(_parse_chunk, str(root)), rels, parallel_from=PARALLEL_FROM)


def _parse_chunk(root: str, rels: list[str]) -> dict[str, tuple]:
    from supportctl.tickets.payload import payload_of

    base = Path(root)
    return {rel: payload_of(base / rel, rel) for rel in rels}


def index_payload(path: Path, rel: str) -> tuple:
    """Parse one file into what the index stores (tickets/payload.py), or an error tuple."""
    from supportctl.tickets.payload import payload_of

    return payload_of(path, rel)
