"""Finding and reading the desk's tickets: ids, prefixes, one file, or all of them through the index."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Callable, TypeVar

from supportctl.base.datatypes import datatype
from supportctl.desk.filekeys import file_keys_while
from supportctl.desk.store import Desk, gc_paused, markdown_files, regular_file
from supportctl.errors import NotFound, SupportctlError, TicketFormatError, UsageError
from supportctl.tickets.model import SHARD_LENGTH, Ticket, ticket_id_of, ticket_path

if TYPE_CHECKING:
    from supportctl.tickets.index import IndexEntry

T = TypeVar("T")
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


@datatype
class LoadResult:
    """Tickets read from their files, and the files that could not be read."""

    tickets: list[Ticket]
    problems: list[SupportctlError]


def _unforeseen(exc: Exception, rel_path: str) -> TicketFormatError:
    # A shape the parser did not foresee is still this file's problem, not a traceback.
    return TicketFormatError(f"the file cannot be parsed ({type(exc).__name__}: {exc})", path=rel_path,
                             hint="run `supportctl check` and fix what it reports")


class _Taken:
    """`ticket_id in taken`: whether a file in tickets/ is named for that id."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.others: list[str] | None = None   # sub-folders other than shard folders, found on first use

    def __contains__(self, ticket_id: object) -> bool:
        name = f"{ticket_id}.md"
        places = [os.path.join(self.folder, name), os.path.join(self.folder, name[:SHARD_LENGTH], name)]
        if self.others is None:
            self.others = _other_folders(str(self.folder))
        places.extend(os.path.join(folder, name) for folder in self.others)
        return any(os.path.lexists(place) for place in places)


def _other_folders(top: str, depth: int = 0) -> list[str]:
    """Every folder below `top` but the shard folders (named as long as a shard's, right below it) and
    what they hold; links and dot folders left out, as the scan of every file leaves them."""
    out: list[str] = []
    try:
        # A folder's link count is 2 plus its sub-folders on POSIX file systems that count them
        # (btrfs and some others say 1): 2 spares reading 100,000 names to find none.
        if os.stat(top).st_nlink == 2:
            return out
        with os.scandir(top) as entries:
            found = [e.path for e in entries if e.is_dir(follow_symlinks=False) and not e.name.startswith(".")
                     and (depth or len(e.name) != SHARD_LENGTH)]
    except OSError:
        return out
    for path in found:
        out.append(path)
        out.extend(_other_folders(path, depth + 1))
    return out


class TicketStore:
    """The tickets of one desk: lookup by id or prefix, reading, listing, saving."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk

    def files(self, *, stat: bool = True) -> dict[str, os.stat_result | None]:
        """Every ticket file (relative path -> stat, or None without `stat`), sub-folders included."""
        return markdown_files(self.desk.tickets_dir, self.desk.root, stat=stat)

    def ids(self) -> dict[str, str]:
        """Ticket id (from the file name) -> relative path."""
        return {ticket_id_of(p): p for p in self.files(stat=False)}

    def taken(self) -> _Taken:
        """The ids in use, for `new_ticket_id`: `id in store.taken()` looks for that one file.

        Listing 100,000 files to pick one new id was half of `ticket new` on a
        big desk; a random id is looked up where a ticket with it could be
        (flat, its shard folder, and any other sub-folder of tickets/).
        """
        return _Taken(self.desk.tickets_dir)

    def resolve(self, ref: str) -> str:
        """The relative path of the ticket whose id is `ref` or starts with it, like git."""
        typed = ref.strip().upper().lstrip("#")
        if not typed or not re.fullmatch(r"[0-9A-Z_-]+", typed):
            raise UsageError(f"{ref!r} is not a ticket id", hint="ticket ids look like 7QH2KD; a prefix is enough")
        for rel in (ticket_path(typed), ticket_path(typed, sharded=True)):   # a whole id needs no scan
            if regular_file(self.desk.root, rel):
                return rel
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
        from supportctl.tickets.format import read_ticket

        try:
            return read_ticket(self.desk.root / rel_path, rel_path)
        except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
            raise _unforeseen(exc, rel_path) from None

    def read_indexed(self, rel_path: str) -> Ticket:
        """`read`, with the fields as the index keeps them when the index holds this very file.

        Then the YAML parser is not even imported: a read command that names
        one ticket (`sla status ID`, `kb suggest ID`) starts 25-50 ms sooner.
        The fields are those listings and `sla check` see (JSON-ready values,
        aware datetimes restored); the records, message text included, come
        from the file. Never for a command that writes the ticket back.
        """
        from supportctl.tickets.format import decode_file, parse_ticket
        from supportctl.tickets.index import indexed_fields

        try:
            with open(self.desk.root / rel_path, "rb") as fh:
                st, data, after = os.fstat(fh.fileno()), fh.read(), os.fstat(fh.fileno())
        except OSError:
            return self.read(rel_path)   # which reports it
        # Edited in place while read: the bytes may not be those the stat (and the index) describe.
        same = (st.st_mtime_ns, st.st_ctime_ns, st.st_size) == (after.st_mtime_ns, after.st_ctime_ns, after.st_size)
        meta = indexed_fields(self.desk, rel_path, st) if same else None
        if meta is None:
            return self.read(rel_path)
        try:
            return parse_ticket(decode_file(data, rel_path), rel_path, load=lambda fm_text, path: meta)
        except (RecursionError, MemoryError, ValueError, TypeError, OverflowError) as exc:
            raise _unforeseen(exc, rel_path) from None

    def get(self, ref: str) -> Ticket:
        return self.read(self.resolve(ref))

    def get_indexed(self, ref: str) -> Ticket:
        """`get` through `read_indexed`: for commands that show or evaluate a ticket, never write it."""
        return self.read_indexed(self.resolve(ref))

    def stat_keys(self) -> dict[str, tuple[int, int]]:
        """Every ticket file -> (a number that changes with the file, its mtime in ns): what caches key on."""
        return self.stat_keys_while(lambda: None)[0]

    def stat_keys_while(self, work: Callable[[], T], *, one_core: bool = False
                        ) -> tuple[dict[str, tuple[int, int]], T]:
        """`stat_keys`, and what `work()` returns, run while git looks at the work tree (desk/filekeys.py;
        `one_core` for long work)."""
        # Keys, not stat results: 100,000 of those held 45 MB. On a big desk git vouches
        # for unchanged files rather than 100,000 stats.
        return file_keys_while(self.desk.root, self.desk.tickets_dir, self.desk.cache_dir, work, one_core=one_core)

    def load_index(self, keys: dict[str, tuple[int, int]] | None = None, *, recent: bool = False
                   ) -> tuple[list[IndexEntry], list[SupportctlError]]:
        """Every ticket's index entry (tickets/index.py), re-parsing only files that changed.

        In path order, or with `recent` newest activity first (ties in path order).
        """
        from supportctl.tickets.index import load_index, read_index   # here: a carried SLA run needs no index

        with gc_paused():
            if keys is not None:
                return load_index(self.desk, keys, recent=recent)
            keys, saved = self.stat_keys_while(lambda: read_index(self.desk), one_core=True)
            return load_index(self.desk, keys, saved, recent=recent)

    def load_all(self, *, with_bodies: bool = False) -> LoadResult:
        """Every ticket that parses, plus a problem for each one that does not.

        Without `with_bodies` the tickets come from the index (fields and the
        timeline, message bodies left out), which is what listings and SLA
        clocks need; with it every file is read, as `check` and search need.
        """
        if with_bodies:
            tickets, problems = [], []
            for rel in sorted(self.files(stat=False)):
                try:
                    tickets.append(self.read(rel))
                except SupportctlError as exc:
                    problems.append(exc)
            return LoadResult(tickets, problems)
        entries, problems = self.load_index()
        with gc_paused():
            return LoadResult([entry.ticket() for entry in entries], problems)

    def save(self, tickets: list[Ticket], message: str, *, author: tuple[str, str], commit: bool = True,
             extra: dict[str, str | bytes] | None = None) -> str | None:
        """Write tickets (and `extra` files) and commit them; on failure restore every file."""
        files = {t.path: t.render() for t in tickets}
        files.update(extra or {})
        return self.desk.commit_files(files, message, author=author, commit=commit)
