"""One shape for what rules read, whether it comes from the index (fast) or from a parsed ticket file."""

from __future__ import annotations

from typing import Any


class View:
    """A ticket's fields and timeline; `source` is the IndexEntry or Ticket it came from (the SLA engine reads it).

    The timeline is (kind, record id, at text or None, author, role, event
    body, POSIX seconds) per record, built on first use: most rules are
    decided on the fields alone, and unmarshalling 10,000 timelines is most
    of what a run that finds nothing due would cost.
    """

    __slots__ = ("id", "path", "meta", "created_ts", "source", "_records", "sla")

    def __init__(self, id: str, path: str, meta: dict[str, Any], created_ts: float, source: Any,
                 records: tuple | None = None) -> None:
        self.id, self.path, self.meta, self.created_ts, self.source = id, path, meta, created_ts, source
        self._records = records
        self.sla = None   # the SLA engine's result, once a rule asked for it

    @property
    def records(self) -> tuple:
        if self._records is None:
            self._records = self.source.records
        return self._records

    @property
    def status(self) -> str:
        return str(self.meta.get("status", ""))

    @property
    def last_ts(self) -> int:
        """The time of the latest record (the creation when there is none)."""
        return max((r[6] for r in self.records), default=int(self.created_ts))


def from_entry(entry) -> View:
    return View(entry.id, entry.path, entry.meta, entry.created_ts, entry)


def from_ticket(ticket) -> View:
    records = tuple((r.kind, r.id, None, r.author, r.role, r.body if r.kind == "event" else "", int(r.at.timestamp()))
                    for r in ticket.records)
    return View(ticket.id, ticket.path, ticket.meta, ticket.created_ts, ticket, records)
