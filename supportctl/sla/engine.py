"""The SLA engine: the three clocks of a ticket at `now`, with warnings and breaches.

Pure domain code (shared/spec.md §5): every function takes the configuration,
a ticket and `now`, and returns data. Nothing here reads the clock, the disk
or the environment, so the engine is tested table-driven against
tests/data/sla-cases.yaml without a repository.

- first_response: from the first public customer message to the first public
  agent reply after it;
- next_reply: from the oldest unanswered public customer message to the next
  public agent reply (a cycle per exchange; the first message opens the first
  cycle); no deadline while nothing waits for an answer;
- resolution: from creation until the ticket enters a solved/closed category
  state; a reopen resumes it.

While the ticket is in a state with `pauses_sla: true` no working time accrues
on any clock. Solving or closing a ticket does not answer the customer: it
pauses the response clocks, and a reopen resumes them. Internal notes and
messages written by `system` never count as replies. A ticket is judged as it
was at `now` (tickets/replay.py). Times are handled as whole POSIX seconds.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from supportctl.config.views import Config, Policy
from supportctl.errors import ConfigError, SupportctlError
from supportctl.sla.calendar import BusinessCalendar, DateOutOfRange, HolidayLookup, day_text, to_ts
from supportctl.sla.policy import PolicyMatcher
from supportctl.sla.results import CLOCKS, Clock, SlaFailure, TicketSla

if TYPE_CHECKING:   # imported when a ticket is evaluated: a result carried forward (sla/plan.py) needs the calendars only
    from supportctl.sla.timeline import Lifecycle, SlaTicket, Timeline

# How far from `now` a ticket's history and its deadlines may lie. Each
# calendar's day table then spans at most twice this (well inside the
# calendar's own MAX_TABLE_DAYS), so whether a ticket evaluates never depends
# on which tickets were evaluated before it.
HORIZON_YEARS = 30
HORIZON = HORIZON_YEARS * 366 * 86400

T = TypeVar("T", bound="SlaTicket")


def answered_late(cal: BusinessCalendar, active: list[tuple[int, int]], start: int, stop: int, target: int,
                  latest: int | None = None, ends: list[int] | None = None) -> bool:
    """Was a stopped clock stopped after its deadline? (`run_clock`'s verdict, without building a Clock.)

    `ends` (the intervals' ends) lets a ticket with thousands of exchanges
    skip to the start by bisection instead of walking every interval again.
    """
    worked = cal.worked
    acc = 0
    first = bisect_right(ends, start) if ends is not None else 0
    for i in range(first, len(active)):
        s, e = active[i]
        if e <= start:
            continue
        if s >= stop:
            break
        ws = worked(s if s > start else start)
        done = worked(e if e < stop else stop) - ws
        if acc + done >= target:
            if acc + done > target:
                return True
            # Exactly on target: late only if the stop came after the instant it was reached.
            return stop > cal.instant_at(ws + target - acc, latest)
        acc += done
    return False


def run_clock(clock: Clock, cal: BusinessCalendar, active: list[tuple[int, int]], running_now: bool,
              now: int, latest: int | None = None) -> Clock:
    """Fill in elapsed, due and state for a clock whose target, start and stop are set.

    A deadline after `latest` raises DateOutOfRange.
    """
    target = clock.target
    start = clock.started
    assert target is not None and start is not None
    stop = clock.stopped
    limit = stop if stop is not None else now
    worked = cal.worked
    acc = 0
    due = None
    last = (limit, acc, limit)    # (start, working seconds before it, end) of the last span counted
    for s, e in active:
        if e <= start:
            continue
        if s >= limit:
            break
        if s < start:
            s = start
        if e > limit:
            e = limit
        if e <= s:
            continue
        ws = worked(s)
        done = worked(e) - ws
        if due is None and acc + done >= target:
            due = cal.instant_at(ws + target - acc, latest)
        last = (s, acc, e)
        acc += done
    clock.elapsed = acc
    if stop is None and running_now:
        # Still accruing: the last span runs on past `now` (sla/plan.py continues it).
        clock.open_since, clock.accrued_before = last[:2] if last[2] == limit else (limit, acc)
    if stop is not None:
        if due is None:
            # Met: the deadline it had when it stopped, as if it had kept running.
            clock.due = cal.instant_at(worked(stop) + target - acc, latest)
            clock.state = "met"
        else:
            clock.due = due
            clock.state = "breached" if stop > due else "met"
        return clock
    if due is not None:
        clock.due = due
        clock.state = "breached" if now > due else "warning"
    elif not running_now:
        clock.state = "paused"
        clock.due = None
    else:
        clock.due = cal.instant_at(worked(now) + target - acc, latest)
        clock.state = "warning" if target - acc <= clock.warn else "running"
    return clock


class SlaEngine:
    """Evaluates tickets against one desk configuration (calendars are built once and cached)."""

    def __init__(self, config: Config, holidays: HolidayLookup | None = None) -> None:
        self.config = config
        self.holidays = holidays    # where `holidays_from` dates come from (default: the package)
        self.matchers = [PolicyMatcher(p, config) for p in config.sla.policies]
        self._lifecycle: Lifecycle | None = None
        self._calendars: dict[str, BusinessCalendar] = {}
        # Per policy: (target, warning window) of each clock, looked up once per ticket.
        self._targets = {p.name: {name: (p.target(name), p.warn_seconds(name)) for name in CLOCKS}
                         for p in config.sla.policies}

    @property
    def lifecycle(self) -> Lifecycle:
        if self._lifecycle is None:
            from supportctl.sla.timeline import Lifecycle

            self._lifecycle = Lifecycle(self.config)
        return self._lifecycle

    def calendar(self, name: str) -> BusinessCalendar:
        cal = self._calendars.get(name)
        if cal is None:
            cal = BusinessCalendar(self.config.calendars[name], self.config.calendar_zone(name), name,
                                   holidays=self.holidays)
            self._calendars[name] = cal
        return cal

    def policy_for(self, ticket: SlaTicket) -> Policy | None:
        """The first policy whose `match` fits the ticket's current fields."""
        meta = ticket.meta
        for matcher in self.matchers:
            if matcher.matches(meta):
                return matcher.policy
        return None

    def evaluate(self, ticket: SlaTicket, now: datetime | int) -> TicketSla:
        """The three clocks of `ticket` at `now`, with its fields as they were then.

        Raises DateOutOfRange for a ticket whose history or deadlines lie more
        than HORIZON_YEARS from `now` (`try_evaluate` returns it instead).
        """
        from supportctl.sla.timeline import build_timeline
        from supportctl.tickets.replay import as_of

        now_ts = now if isinstance(now, int) else to_ts(now)
        # Judged as it was at `now`: its fields then choose the policy (a replay).
        then = as_of(ticket, now_ts)
        if then is not None:
            ticket = then
        meta = ticket.meta
        status = ticket.status
        policy = self.policy_for(ticket)
        created = int(ticket.created_ts) or None
        result = TicketSla(
            id=ticket.id, status=status, category=self.lifecycle.category.get(status),
            policy=policy.name if policy else None, calendar=policy.calendar if policy else None,
            now=now_ts, clocks={"first_response": Clock("first_response"), "next_reply": Clock("next_reply"),
                                "resolution": Clock("resolution")},
            title=ticket.title, priority=meta.get("priority"), assignee=meta.get("assignee"),
            group=meta.get("group"), created=created)
        if policy is None:
            return result
        targets = self._targets[policy.name]
        for name, (target, _) in targets.items():
            result.clocks[name].target = target
        if all(target is None for target, _ in targets.values()):
            return result
        timeline = build_timeline(ticket, self.config, now_ts, self.lifecycle, result.created)
        result.history_from = timeline.created
        if result.created is None:
            result.created = timeline.created
        if timeline.created > now_ts:
            return result   # the ticket did not exist yet at `now`
        if timeline.created < now_ts - HORIZON:
            raise DateOutOfRange(f"its history starts {day_text(timeline.created)}, more than {HORIZON_YEARS} "
                                 f"years before now ({day_text(now_ts)})",
                                 hint="check `created:` and the record times in the file, and --now",
                                 path=_path(ticket) or None)
        self._fill(result, policy, timeline, targets)
        return result

    def try_evaluate(self, ticket: SlaTicket, now: datetime | int) -> TicketSla | SlaFailure:
        """`evaluate`, but a ticket it cannot evaluate comes back as a SlaFailure (file, message, hint).

        A bad configuration still raises: it is not one ticket's fault.
        """
        try:
            return self.evaluate(ticket, now)
        except ConfigError:
            raise
        except SupportctlError as exc:
            return SlaFailure(ticket.id, _path(ticket), exc.message, exc.hint)
        except (ArithmeticError, ValueError, TypeError, LookupError) as exc:
            # Data the file checks let through (a field of the wrong type, a
            # date Python cannot hold): one ticket is skipped, not the desk.
            return SlaFailure(ticket.id, _path(ticket), f"its SLA cannot be evaluated ({type(exc).__name__}: {exc})",
                              "run `supportctl check` to find what is wrong in the file")

    def evaluate_many(self, tickets: Iterable[T],
                      now: datetime | int) -> tuple[list[tuple[T, TicketSla]], list[SlaFailure]]:
        """(ticket, result) for every ticket that evaluates and a SlaFailure for each one that does not.

        Both lists keep the input order; callers report the failures and go on.
        """
        now_ts = now if isinstance(now, int) else to_ts(now)
        evaluated: list[tuple[T, TicketSla]] = []
        failures: list[SlaFailure] = []
        for ticket in tickets:
            out = self.try_evaluate(ticket, now_ts)
            if isinstance(out, SlaFailure):
                failures.append(out)
            else:
                evaluated.append((ticket, out))
        return evaluated, failures

    def _fill(self, result: TicketSla, policy: Policy, timeline: Timeline,
              targets: dict[str, tuple[int | None, int]]) -> None:
        from supportctl.sla.timeline import active_intervals

        cal = self.calendar(policy.calendar)
        now = timeline.now
        latest = now + HORIZON
        first_target, first_warn = targets["first_response"]
        next_target, next_warn = targets["next_reply"]
        res_target, res_warn = targets["resolution"]
        # A ticket that has only customer messages merged from another has next_reply but no first_response.
        if (timeline.first_customer is not None or timeline.cycles) and (first_target is not None
                                                                        or next_target is not None):
            active, running = active_intervals(timeline, self.config, resolution=False, lifecycle=self.lifecycle)
            if first_target is not None and timeline.first_customer is not None:
                clock = result.clocks["first_response"]
                clock.warn = first_warn
                clock.started = timeline.first_customer
                if timeline.first_response_stop is not None:
                    clock.stopped, clock.stop_reason = timeline.first_response_stop
                run_clock(clock, cal, active, running, now, latest)
            if next_target is not None and timeline.cycles:
                # The clock shows the latest exchange; earlier late answers are counted.
                *earlier, (start, stop, why) = timeline.cycles
                clock = Clock("next_reply", target=next_target, warn=next_warn, started=start, stopped=stop,
                              stop_reason=why)
                run_clock(clock, cal, active, running, now, latest)
                if stop is not None:
                    # Nothing waits for an answer: no deadline until the customer
                    # writes again; the state tells how the last exchange went.
                    clock.due = None
                ends = [e for _, e in active] if len(earlier) > 8 else None
                clock.breached_cycles = sum(1 for a, b, _ in earlier
                                            if answered_late(cal, active, a, b, next_target,  # type: ignore[arg-type]
                                                             latest, ends))
                result.clocks["next_reply"] = clock
        if res_target is not None:
            clock = result.clocks["resolution"]
            clock.warn = res_warn
            clock.started = timeline.created
            if timeline.done_since is not None:
                clock.stopped = timeline.done_since
                clock.stop_reason = "ticket " + timeline.states[-1][1]
            res_active, res_running = active_intervals(timeline, self.config, resolution=True,
                                                       lifecycle=self.lifecycle)
            run_clock(clock, cal, res_active, res_running, now, latest)


def _path(ticket: SlaTicket) -> str:
    return str(getattr(ticket, "path", "") or "")

