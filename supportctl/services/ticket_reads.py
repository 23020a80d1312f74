"""Reading tickets: one by id, listings from the index, and a ticket's history in git.

Apart from the write use cases (services/tickets.py), so that a read command
imports neither the actions nor the automation rules.
"""

from __future__ import annotations

from dataclasses import field

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError
from supportctl.services.session import Session
from supportctl.tickets.model import Ticket


@datatype
class Listing:
    """Tickets a listing kept (index entries), the files it skipped, and each state's category."""

    entries: list
    problems: list[SupportctlError]
    categories: dict[str, str]


def find(session: Session, flt, *, text: str | None = None, sort: str = "updated", reverse: bool = False,
         limit: int | None = None) -> Listing:
    """Tickets that pass a filter (and contain `text`), sorted, from the index."""
    from supportctl.desk.store import keep_until_exit
    from supportctl.tickets.query import check_values, newest_first, sort_key

    key = sort_key(sort)
    check_values(session.config, status=flt.status, category=flt.category, priority=flt.priority,
                 channel=flt.channel, group=flt.group)
    categories = session.desk.state_categories()
    # Newest activity first is the default order, and the order the index keeps.
    by_recency = sort == "updated"
    entries, problems = session.tickets.load_index(recent=by_recency)
    # `--all` with no filter keeps every entry: no call per ticket on a 100,000-ticket listing.
    everything = flt.all and not (flt.status or flt.category or flt.narrows)
    kept = entries if everything else [t for t in entries if flt.keeps(t, categories)]
    if flt.org:
        # The ticket's `organization:`, else the one its requester belongs to now (customers/).
        wanted = {o.lower() for o in flt.org}
        config = session.config
        kept = [t for t in kept if (config.customer_of(t.meta)[1] or "none").lower() in wanted]
    if text:
        needle = text.lower()
        kept = [t for t in kept if needle in t.title.lower() or needle in _full_text(session, t.path)]
    # Newest activity first by default; priority sorts urgent first. Sorting is stable, so
    # ties stay in path order either way.
    if not (by_recency and not reverse):
        kept.sort(key=key, reverse=newest_first(sort) != reverse)
    if limit is not None:
        kept = kept[:limit]
    keep_until_exit(entries)
    return Listing(kept, problems, categories)


def _full_text(session: Session, rel: str) -> str:
    try:
        return (session.desk.root / rel).read_text(encoding="utf-8").lower()
    except (OSError, UnicodeDecodeError):
        return ""


def get(session: Session, ref: str) -> Ticket:
    """One ticket by id or unique prefix, to show: every record, the fields as the index keeps them."""
    return session.tickets.get_indexed(ref)


@datatype
class LogLine:
    """One commit that touched a ticket, with the records it added (their own `--at` times)."""

    commit: str
    author: str
    email: str
    committed: str                 # the commit's date: when the change reached git
    subject: str
    stat: str
    records: list[dict] = field(default_factory=list)   # {kind, id, at, author, role}

    @property
    def at(self) -> str | None:
        """When it happened: the earliest record the commit added, else None (a hand edit)."""
        return min((r["at"] for r in self.records), default=None)


def history(session: Session, ref: str) -> tuple[str, list[LogLine]]:
    """(path, commits) for one ticket: who changed it and when, from git and the records."""
    from supportctl.desk import git
    from supportctl.tickets.format import HEADER_RE

    rel = session.tickets.resolve(ref)
    lines = []
    for entry in git.log(session.desk.root, rel):
        records = []
        for header in entry.added:
            m = HEADER_RE.match(header)
            if m:
                kind, rid, at, who, role = m.groups()[:5]
                records.append({"kind": kind, "id": rid, "at": at, "author": who, "role": role})
        lines.append(LogLine(entry.commit, entry.author, entry.email, entry.date, entry.subject, entry.stat,
                             records))
    return rel, lines
