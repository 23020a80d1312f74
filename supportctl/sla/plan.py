"""A ticket's SLA picture carried forward in time: evaluated once, then at any later `now` by arithmetic.

Evaluated at t0, a ticket that tells of nothing after t0 has everything fixed
but what time adds, for as long as its file and the configuration stay as
they are: a clock that accrues at t0 accrues on (no record will come to pause
it), its deadline is already known (`run_clock` computes the instant the
target is reached as if nothing changes), and the state follows from the
elapsed working time. So `sla check` on a large desk evaluates each unchanged
ticket with two calendar lookups instead of rebuilding its timeline.

A plan is plain data (tuples, marshal-able) kept in the services' cache.
tests/sla/test_plan.py checks `result_at(plan_of(evaluate(t, t0)), now)` equals
`evaluate(t, now)` for later instants.
"""

from __future__ import annotations

from typing import Any, Iterable

from supportctl.base.datatypes import shared
from supportctl.sla.results import CLOCKS, Clock, TicketSla, standing_of

# Bump when the shape of a plan or the engine's arithmetic changes (the cache keys on it).
PLAN_VERSION = 2
# The fields of a plan before its clocks, and of each clock (in CLOCKS order, one flat
# tuple: every open ticket's plan is decoded on every run, and fewer objects decode faster).
_HEAD = 12
_CLOCK = 11


def plannable(result: TicketSla, latest: int | None) -> bool:
    """Whether `result` can be carried forward: nothing in the ticket lies after the instant it was evaluated."""
    return latest is None or latest <= result.now


def plan_of(result: TicketSla) -> tuple:
    """`result` as plain data for `result_at`."""
    clocks = [result.clocks[name] for name in CLOCKS]
    # Statuses, policies, agents, states and reasons repeat across a desk: `shared`, each carried result
    # holds the same strings (77,000 carried results took 31 MiB less).
    return (result.id, *map(shared, (result.status, result.category, result.policy, result.calendar)), result.now,
            result.title, *map(shared, (result.priority, result.assignee, result.group)), result.created,
            result.history_from,
            *[field for c in clocks
              for field in (shared(c.state), c.target, c.elapsed, c.due, c.warn, c.started, c.stopped,
                            shared(c.stop_reason), c.breached_cycles, c.open_since, c.accrued_before)])


def usable(made: int, history_from: int | None, now: int, horizon: int) -> bool:
    """Whether a plan made at `made` (`TicketSla.now`) answers for `now`: not earlier, and its history
    (`TicketSla.history_from`) within the engine's horizon of `now`."""
    return now >= made and (history_from is None or history_from >= now - horizon)


def result_at(plan: tuple, now: int, engine: Any) -> TicketSla:
    """The ticket's SLA at `now` (>= the plan's own instant), as `engine.evaluate` would give it."""
    return results_at([plan], now, engine)[0]


def results_at(plans: Iterable[tuple], now: int, engine: Any) -> list[TicketSla]:
    """`result_at` of each plan: one loop for a whole desk, each calendar's working time at `now` asked once."""
    out: list[TicketSla] = []
    append = out.append
    calendars: dict[str, list] = {}   # name -> [its `worked`, worked(now) or None until a clock asks]
    for plan in plans:
        calendar = plan[4]
        known = None if calendar is None else calendars.get(calendar)
        if known is None and calendar is not None:
            known = calendars[calendar] = [engine.calendar(calendar).worked, None]
        clocks = {}
        i = _HEAD
        # `run_clock`'s arithmetic carried from the plan's instant to `now`, inlined: this runs for
        # every open ticket of a large desk.
        for name in CLOCKS:
            state, target, elapsed, due, warn, started, stopped, why, cycles, since, before = plan[i:i + _CLOCK]
            i += _CLOCK
            if stopped is None and state != "none" and target is not None:
                if since is not None:   # accruing: the working time since the open span began is added
                    worked, at_now = known
                    if at_now is None:
                        at_now = known[1] = worked(now)
                    elapsed = before + at_now - worked(since)
                if elapsed >= target:   # the deadline (known) is reached
                    state = "breached" if now > due else "warning"
                elif since is not None:
                    state = "warning" if target - elapsed <= warn else "running"
            clocks[name] = Clock(name, state, target, elapsed, due, warn, started, stopped, why, cycles, since,
                                 before)
        # The clocks are final: their standing is known now, while they are at hand. The plan's
        # head ends where TicketSla's known_standing begins.
        append(TicketSla(plan[0], plan[1], plan[2], plan[3], calendar, now, clocks, *plan[6:_HEAD],
                         standing_of(clocks.values())))
    return out
