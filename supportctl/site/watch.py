"""Checking the built pages while the engine writes them: the engine runs on one core, and the other,
idle until now, reads each page once it is written. At the end every page read is confirmed unchanged
(else the whole site is checked again, as `verify_pages` does) and the pages not read yet are read."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path
from typing import Any

from supportctl.site.verify import (PARALLEL_FROM, html_pages, own_hosts, page_text, pii_allowed, pii_of,
                                    raise_findings, scan_page, verify_pages)

# A page is read once it has been still this long (mkdocs writes each page in one go). A page whose
# stamps are this close to the moment it was read could have changed again within the stamps'
# granularity unseen (git's "racily clean" entries): its bytes are kept by digest and compared at the end.
QUIET_NS = 100_000_000

Stamp = tuple[int, int, int, int]


def _stamp(st: os.stat_result) -> Stamp:
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


class PageWatch:
    """The page checks of one build, done while the engine writes the pages."""

    def __init__(self, out: Path, config: Any) -> None:
        self.out, self.config = out, config
        self.own, self.allow = own_hosts(config), pii_allowed(config)
        self.since_ns = time.time_ns()          # a page older than this is a previous build's: read at the end
        self.checked: set[str] = set()          # scan_page's memory of what earlier pages held
        self.memo: dict = {}
        self.seen: set[str] = set()
        self.read: dict[str, tuple[Stamp, bytes | None]] = {}   # page -> (stamp, digest if read racily)
        self.findings: dict[str, list[str]] = {}
        self.settled: set[str] = set()          # folders whose pages are all read and that hold no folder

    def poll(self) -> None:
        """Read the pages written since the last call that have been still for a moment."""
        now = time.time_ns()
        stack = [""]
        while stack:
            rel = stack.pop()
            try:
                entries = list(os.scandir(self.out / rel))
            except OSError:
                continue
            leaf = True
            for entry in entries:
                name = f"{rel}/{entry.name}" if rel else entry.name
                if entry.is_dir(follow_symlinks=False):
                    leaf = False
                    if name not in self.settled:
                        stack.append(name)
                elif entry.name.endswith(".html") and name not in self.read:
                    try:
                        mtime = entry.stat(follow_symlinks=False).st_mtime_ns
                    except OSError:
                        mtime = now
                    # Links and fresh pages wait for the end.
                    if self.since_ns <= mtime <= now - QUIET_NS and not entry.is_symlink():
                        self._read(name)
                    leaf = leaf and name in self.read
            if leaf and rel and entries:
                self.settled.add(rel)

    def finish(self) -> None:
        """Confirm each page read is unchanged, read the rest; raise as `verify_pages` would."""
        pages = html_pages(self.out)
        if not self._confirmed(set(pages)) or len(set(pages) - set(self.read)) >= PARALLEL_FROM:
            # What was read no longer stands, or most is left: every page again, on every core.
            verify_pages(self.out, self.config)
            return
        for rel in pages:
            if rel not in self.read:
                self.findings[rel] = self._scan(rel, (self.out / rel).read_bytes())
        if any(self.findings.values()):
            # Read again in page order, so that each finding is named on the page it always was.
            verify_pages(self.out, self.config)
            raise_findings([f for rel in pages for f in self.findings[rel]])

    def _read(self, rel: str) -> None:
        began = time.time_ns()
        try:
            # Not through a link put there since the listing: what it points to is read at the end, if at all.
            with open(os.open(self.out / rel, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb") as f:
                data = f.read()
                st = os.fstat(f.fileno())
        except OSError:
            return
        if st.st_size != len(data):
            return                              # still being written: read it later
        racy = max(st.st_mtime_ns, st.st_ctime_ns) >= began - QUIET_NS
        self.read[rel] = (_stamp(st), hashlib.sha1(data).digest() if racy else None)
        self.findings[rel] = self._scan(rel, data)

    def _scan(self, rel: str, data: bytes) -> list[str]:
        page_findings, chunks = scan_page(page_text(data), self.own, self.checked, self.memo)
        # The navigation repeats on every page: each piece of text is checked once, on the first page read.
        fresh = set(chunks)
        fresh -= self.seen
        self.seen |= fresh
        return [f"{rel}: {f}" for f in page_findings] + pii_of(rel, fresh, self.allow)

    def _confirmed(self, pages: set[str]) -> bool:
        """Every page read is still there as it was read. Each page was read knowing what the pages read
        before it held, so a single change undoes what was read after it too."""
        for rel, (stamp, digest) in self.read.items():
            if rel not in pages:
                return False
            try:
                if _stamp(os.lstat(self.out / rel)) != stamp:
                    return False
                if digest is not None and hashlib.sha1((self.out / rel).read_bytes()).digest() != digest:
                    return False
            except OSError:
                return False
        return True
