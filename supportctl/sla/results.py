"""What the SLA engine returns: one Clock per clock, a TicketSla per ticket, a SlaFailure per bad ticket."""

from __future__ import annotations

from dataclasses import field
from datetime import datetime, timezone
from typing import Any

from supportctl.base.datatypes import datatype

CLOCKS = ("first_response", "next_reply", "resolution")
STATES = ("running", "warning", "paused", "met", "breached", "none")
ACTIVE_CATEGORIES = ("new", "open", "pending")
DONE_CATEGORIES = ("solved", "closed")
_SERIOUS = {"breached": 0, "warning": 1, "running": 2, "paused": 3}   # TicketSla.worst


def utc_text(ts: int | None) -> str | None:
    """POSIX seconds -> ISO 8601 in UTC, the form of every instant in the JSON output."""
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat()


@datatype(slots=True)
class Clock:
    """One clock of one ticket at `now`."""

    name: str
    state: str = "none"
    target: int | None = None        # working seconds allowed
    elapsed: int = 0                 # working seconds accrued (until the stop, if stopped)
    due: int | None = None           # POSIX seconds; None when not applicable, paused, or nothing waits
    warn: int = 0                    # working seconds before the deadline that count as warning
    started: int | None = None
    stopped: int | None = None       # when a reply (resolution: solving the ticket) stopped it
    stop_reason: str | None = None   # "agent reply" | "ticket solved" | "ticket closed" ...
    breached_cycles: int = 0         # next_reply: earlier exchanges answered late
    # While the clock accrues at `now`: since when (the start of the span still open),
    # and the working seconds it had before that span. None: it does not accrue now.
    open_since: int | None = None
    accrued_before: int = 0

    @property
    def remaining(self) -> int | None:
        """Working seconds left before the deadline (negative: overdue)."""
        return None if self.target is None or self.state == "none" else self.target - self.elapsed

    @property
    def live(self) -> bool:
        """Still counting down (or overdue) rather than stopped or not applicable."""
        return self.state != "none" and self.stopped is None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "due": utc_text(self.due),
            "target_seconds": self.target,
            "elapsed_seconds": self.elapsed,
            "remaining_seconds": self.remaining,
            "started": utc_text(self.started),
            "stopped": utc_text(self.stopped),
            # next_reply shows the latest exchange; earlier late answers stay
            # visible here, since each was breached for good.
            "breached_cycles": self.breached_cycles,
        }


@datatype(slots=True)
class TicketSla:
    """The SLA picture of one ticket at `now` (shared/spec.md §8 gives the JSON)."""

    id: str
    status: str
    category: str | None
    policy: str | None
    calendar: str | None
    now: int
    clocks: dict[str, Clock]
    title: str = ""
    priority: str | None = None
    assignee: str | None = None
    group: str | None = None
    created: int | None = None
    history_from: int | None = None   # where the clocks' reading of its history starts (None: not read)
    # `standing()`, given by whoever made the clocks final (sla/plan.py, once it has made them; a
    # queue asks it of every ticket while sorting and again while showing). None: worked out when
    # asked, as the engine fills its clocks in after making the result.
    known_standing: tuple[str, Clock | None] | None = field(default=None, repr=False, compare=False)

    @property
    def active(self) -> bool:
        """The ticket is still being worked (new, open or pending category)."""
        return self.category in ACTIVE_CATEGORIES

    def standing(self) -> tuple[str, Clock | None]:
        """(`worst()`, `next_clock()`), worked out together."""
        known = self.known_standing
        return known if known is not None else standing_of(self.clocks.values())

    def worst(self) -> str:
        """The most serious state among the live clocks: breached > warning > running > paused > none."""
        return self.standing()[0]

    def next_clock(self) -> Clock | None:
        """The live clock with the earliest deadline (the one the agent must beat next)."""
        return self.standing()[1]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "policy": self.policy,
            "status": self.status,
            "clocks": {name: clock.to_json() for name, clock in self.clocks.items()},
            "calendar": self.calendar,
        }


def standing_of(clocks) -> tuple[str, Clock | None]:
    """The most serious state among live `clocks` (breached > warning > running > paused > none), and
    the live clock with the earliest deadline (a live clock: not stopped, state not none)."""
    worst, rank, best = "none", 10, None
    for clock in clocks:
        if clock.stopped is None and clock.state != "none":
            r = _SERIOUS.get(clock.state, 9)
            if r < rank:
                worst, rank = clock.state, r
            if clock.due is not None and (best is None or clock.due < best.due):
                best = clock
    return worst, best


def urgency_key(result: TicketSla) -> tuple:
    """Sort key for the queue: earliest live deadline first, then clocks without one, oldest first."""
    clock = result.next_clock()
    if clock is not None:
        return (0, clock.due, result.created or 0, result.id)
    return (1, 0, result.created or 0, result.id)


@datatype(slots=True)
class SlaFailure:
    """A ticket the engine could not evaluate: reported with its file and a hint, then skipped."""

    id: str
    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "path": self.path, "error": self.message, "hint": self.hint}
