"""CSAT ratings on a ticket: a customer event `csat: old -> new` (+ `csat_comment:`), latest in front matter.

    ### event 4k2m9qzt · 2026-11-21T10:02:00+00:00 · Dana Smith <dana@example.com> (customer)

    csat: null -> good
    csat_comment: "Quick and friendly, thanks"

The event is the customer's (role `customer`), so a rating never reads as an
agent's change; a re-rating is another event and the latest one counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from supportctl.config.views import Config
from supportctl.errors import UsageError
from supportctl.tickets.model import Change, Record, Ticket, new_record_id

GOOD_BAD = ("good", "bad")


def scale(config: Config) -> int:
    """The desk's CSAT scale: 2 (good/bad, the default) or 5 (1-5)."""
    return config.csat.scale


def parse_rating(config: Config, text: str | int) -> str | int:
    """A rating as typed (`good`, `bad`, or 1-5 on a 5-point desk), checked against the desk's scale."""
    value = str(text).strip().lower()
    if scale(config) == 5:
        if value in ("1", "2", "3", "4", "5"):
            return int(value)
        raise UsageError(f"{text!r} is not a rating on this desk's 1-5 scale",
                         hint="rate 1 (very unsatisfied) to 5 (very satisfied); csat.scale is 5 in supportctl.yml")
    if value in GOOD_BAD:
        return value
    raise UsageError(f"{text!r} is not a rating", hint="rate good or bad (set csat: {scale: 5} for a 1-5 scale)")


def rating_value(text: str | None) -> str | int | None:
    """A rating as read from an event or front matter: 1-5 as int, good/bad as text."""
    if text is None:
        return None
    value = str(text).strip().lower()
    return int(value) if value.isdigit() else value


def satisfied(value: str | int | None) -> bool:
    """good, or 4-5 on the 5-point scale (spec §12)."""
    return value == "good" or (isinstance(value, int) and value >= 4)


def rating_of(body: str) -> tuple[str | int, str | None] | None:
    """(rating, comment) when an event body records a rating, else None."""
    if "csat: " not in body:
        return None
    from supportctl.tickets.events import event_changes   # here: only events that rate need it

    rating, comment = None, None
    for change in event_changes(body):
        if change.field == "csat" and change.op == "set" and change.new is not None:
            rating = rating_value(change.new)
        elif change.field == "csat_comment" and change.op == "info":
            comment = change.new
    return None if rating is None else (rating, comment)


def rate(ticket: Ticket, config: Config, *, rating: str | int, at: datetime, author: str,
         comment: str | None = None) -> tuple[Record, str]:
    """Record the customer's rating as an event and set front-matter `csat` to it; (record, summary)."""
    value = parse_rating(config, rating)
    old = ticket.meta.get("csat")
    changes = [Change("csat", None if old is None else str(old), str(value))]
    if comment and comment.strip():
        changes.append(Change("csat_comment", new=" ".join(comment.split()), op="info"))
    record = Record("event", new_record_id(), at, author, "customer", "\n".join(c.render() for c in changes))
    ticket.add_record(record)
    updates: dict[str, Any] = {"csat": value}
    current = ticket.meta.get("updated")
    if not isinstance(current, datetime) or current.tzinfo is None or at > current:
        updates["updated"] = at
    ticket.set_fields(updates)
    return record, f"ticket {ticket.id}: rated {value}" + (f" (was {old})" if old is not None else "")
