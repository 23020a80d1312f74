"""A ticket as it was at an instant: the fields its records tell, and only the records up to then.

`--now T` replays the desk (shared/spec.md §5 "Replays"): a ticket created
after T does not exist, records after T are ignored, and every field an event
records (status, priority, assignee, group, tags, links, ...) has the value it
had at T, found by undoing the later events' changes on the current fields.
A ticket with nothing after T is returned as it is, so the usual evaluation
at the present costs one comparison per ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from supportctl.tickets.events import event_changes
from supportctl.tickets.model import Ticket, TicketFields

T = TypeVar("T")


class TicketAt(TicketFields):
    """A light ticket (an index entry) as it was at `at`: what the SLA engine and the queue read of it."""

    __slots__ = ("path", "meta", "created_ts", "updated_ts", "latest_ts", "at", "source", "_history")

    def __init__(self, source: Any, meta: dict[str, Any], history: list[tuple[str, str, int, str]],
                 at: int) -> None:
        self.source = source          # the ticket as it is now
        self.path = getattr(source, "path", "")
        self.meta = meta
        self.created_ts = source.created_ts
        self.updated_ts = getattr(source, "updated_ts", 0.0)
        self.latest_ts = max((ts for _, _, ts, _ in history), default=int(source.created_ts) or None)
        self.at = at
        self._history = history

    def history(self) -> list[tuple[str, str, int, str]]:
        """(kind, role, POSIX seconds, event body) of the records up to `at`."""
        return self._history


def latest_ts(ticket: Any) -> int | None:
    """The last instant the ticket's file tells of: its newest record, or its creation."""
    try:
        return ticket.latest_ts        # kept by the index; computed by a parsed Ticket
    except AttributeError:
        pass
    # Any other object the SLA engine reads (a test's stand-in, a library caller's own).
    return max((ts for _, _, ts, _ in ticket.history()), default=int(ticket.created_ts) or None)


def born_ts(ticket: Any, history: list[tuple[str, str, int, str]] | None = None) -> int | None:
    """When the ticket came to exist: `created`, or its first record when that is missing."""
    created = int(ticket.created_ts or 0)
    if created:
        return created
    return min((ts for _, _, ts, _ in (history if history is not None else ticket.history())), default=None)


def as_of(ticket: T, now: int) -> T | TicketAt | None:
    """`ticket` as it was at `now`: itself when nothing in it is later, None when it did not exist yet.

    A parsed `Ticket` comes back as a `Ticket` (its later records left out);
    anything else (an index entry) as a `TicketAt`.
    """
    latest = latest_ts(ticket)
    if latest is None or latest <= now:
        return ticket
    history = ticket.history()           # type: ignore[attr-defined]
    born = born_ts(ticket, history)
    if born is not None and born > now:
        return None
    meta = fields_at(ticket.meta, history, now)   # type: ignore[attr-defined]
    if isinstance(ticket, Ticket):
        records = [r for r in ticket.records if int(r.at.timestamp()) <= now]
        return Ticket(path=ticket.path, meta=meta, fm_text=ticket.fm_text, records=records,
                      preamble=ticket.preamble)
    return TicketAt(ticket, meta, [h for h in history if h[2] <= now], now)


def fields_at(meta: dict[str, Any], history: list[tuple[str, str, int, str]], now: int) -> dict[str, Any]:
    """The front-matter fields as they were at `now`: the changes of later events undone, newest first."""
    later = [(ts, body) for kind, _, ts, body in history if kind == "event" and ts > now]
    later.sort(key=lambda item: item[0])    # stable: events of one instant keep their file order
    out = dict(meta)
    for _, body in reversed(later):
        for change in reversed(event_changes(body)):
            name = change.field
            if change.op == "set":
                out[name] = change.old
            elif change.op in ("add", "remove"):
                items = list(out.get(name) or [])
                if change.op == "add" and change.new in items:
                    items.remove(change.new)
                elif change.op == "remove" and change.old is not None and change.old not in items:
                    items.append(change.old)
                out[name] = items
    return out


def desk_at(tickets: Iterable[T], now: int) -> list[T | TicketAt]:
    """The tickets that existed at `now`, each as it was then (unchanged ones as they are)."""
    out: list[T | TicketAt] = []
    for ticket in tickets:
        latest = latest_ts(ticket)
        if latest is None or latest <= now:
            out.append(ticket)
            continue
        then = as_of(ticket, now)
        if then is not None:
            out.append(then)
    return out
