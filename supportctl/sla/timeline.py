"""A ticket's history as the clocks read it: statuses over time, first response, next-reply cycles.

The clocks are computed from the ticket's own history every time, so a change
of policy or calendar re-evaluates every ticket. Times are whole POSIX seconds.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Protocol

from supportctl.base.datatypes import datatype
from supportctl.tickets.events import STATUS_CACHE, status_change  # noqa: F401  (the one event parser)
from supportctl.config.views import Config
from supportctl.sla.results import DONE_CATEGORIES


class SlaTicket(Protocol):
    """What the engine reads of a ticket: a parsed `Ticket`, or an index entry (`store.IndexEntry`)."""

    meta: dict[str, Any]

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def created_ts(self) -> float: ...

    def history(self) -> list[tuple[str, str, int, str]]: ...


@datatype(slots=True)
class Timeline:
    """What the clocks need from a ticket's history, as of `now`, in POSIX seconds."""

    created: int
    now: int
    states: list[tuple[int, str]]              # (since, state), in time order, first at `created`
    first_customer: int | None = None
    first_response_stop: tuple[int, str] | None = None     # (the first public agent reply, why)
    # next_reply, one per exchange: (oldest unanswered customer message, the reply or None, why)
    cycles: list[tuple[int, int | None, str | None]] = field(default_factory=list)
    done_since: int | None = None              # in a solved/closed state since (at `now`)


class Lifecycle:
    """The lifecycle's state -> (category, pauses) as plain dicts: looked up per record on large desks."""

    def __init__(self, config: Config) -> None:
        states = config.lifecycle.states
        self.category = {name: s.category for name, s in states.items()}
        self.pauses = {name: s.pauses_sla for name, s in states.items()}
        self.done = {name for name, s in states.items() if s.category in DONE_CATEGORIES}


def build_timeline(ticket: SlaTicket, config: Config, now: int, lifecycle: Lifecycle | None = None,
                   created: int | None = None) -> Timeline:
    """Walk the history once: statuses, first response, next-reply cycles (records after `now` ignored)."""
    lc = lifecycle or Lifecycle(config)
    done_states = lc.done
    # Only public customer and agent messages and status changes move a clock:
    # pick them out (with the parsed change) before any time arithmetic.
    cache = STATUS_CACHE
    # (instant, 0 customer | 1 agent | 2 status, change); for a message, the ticket
    # it was merged from (None for the ticket's own): a merge brings waiting
    # messages to next_reply but leaves first_response and creation the target's own.
    items: list[tuple[int, int, Any]] = []
    for kind, role, ts, body in ticket.history():
        if kind == "message":
            if role == "customer":
                items.append((ts, 0, body or None))
            elif role == "agent":
                items.append((ts, 1, body or None))
        elif kind == "event":
            change = cache.get(body, False)
            if change is False:
                change = status_change(body)
            if change is not None:
                items.append((ts, 2, change))
    for i in range(len(items) - 1):
        if items[i][0] > items[i + 1][0]:
            # Hand-edited files may be out of order; history is what happened when (stable for ties).
            items.sort(key=lambda item: item[0])
            break
    if created is None:
        created = int(ticket.created_ts) or (items[0][0] if items else now)
    own = next((item[0] for item in items if item[1] == 2 or item[2] is None), None)
    if own is not None and own < created:
        created = own

    # The initial status is the first status change's old value; until that
    # change is seen, index 0 of `states` holds a placeholder.
    states: list[tuple[int, str]] = [(created, "")]
    known = False
    done = False
    done_since: int | None = None
    first_customer = None
    first_stop: tuple[int, str] | None = None
    pending: int | None = None          # start of the unanswered next_reply cycle
    cycles: list[tuple[int, int | None, str | None]] = []
    stopped_at = len(items)
    for n, (ts, what, change) in enumerate(items):
        if ts > now:
            stopped_at = n
            break
        if what == 0:
            if first_customer is None and change is None:
                first_customer = ts
            if pending is None:
                pending = ts
        elif what == 1:
            if first_stop is None and first_customer is not None and change is None:
                first_stop = (ts, "agent reply")
            if pending is not None:
                cycles.append((pending, ts, "agent reply"))
                pending = None
        else:
            old, new = change
            if not known:
                known = True
                initial = old if old is not None else ticket.status
                states[0] = (created, initial)
                done = initial in done_states
                done_since = created if done else None
            states.append((ts, new))
            # Solving or closing is not an answer (spec §5): the response clocks
            # only pause, where the state pauses SLAs, and a reopen resumes them.
            if new in done_states:
                if not done:
                    done = True
                    done_since = ts
            else:
                done = False
                done_since = None
    if not known:
        # A status change after `now` still tells the initial status.
        later = next((item[2] for item in items[stopped_at:] if item[1] == 2), None)
        initial = later[0] if later is not None and later[0] is not None else ticket.status
        states[0] = (created, initial)
        done = initial in done_states
        done_since = created if done else None
    if pending is not None:
        cycles.append((pending, None, None))
    return Timeline(created, now, states, first_customer, first_stop, cycles, done_since if done else None)


def active_intervals(timeline: Timeline, config: Config, *, resolution: bool,
                     lifecycle: Lifecycle | None = None) -> tuple[list[tuple[int, int]], bool]:
    """Intervals in [created, now] when working time accrues, and whether it accrues at `now`.

    Time stops in states with `pauses_sla`; for the resolution clock also in
    solved/closed states, whatever their pause setting.
    """
    lc = lifecycle or Lifecycle(config)
    pauses = lc.pauses
    done_states = lc.done
    out: list[tuple[int, int]] = []
    states = timeline.states
    now = timeline.now
    running = False
    last = len(states) - 1
    for i, (since, state) in enumerate(states):
        until = states[i + 1][0] if i < last else now
        counts = not pauses.get(state, False) and not (resolution and state in done_states)
        running = counts
        if not counts or until <= since:
            continue
        if out and out[-1][1] == since:
            out[-1] = (out[-1][0], until)
        else:
            out.append((since, until))
    return out, running
