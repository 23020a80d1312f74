"""The SLA engine: policies, the three clocks, warnings, breaches, explanations, escalation.

Pure domain code (shared/spec.md §5): every function takes the configuration,
a ticket and `now`, and returns data. Nothing here reads the clock, the disk
or the environment, so the engine is tested table-driven against
tests/data/sla-cases.yaml without a repository.

The clocks are computed from the ticket's own history every time, so a change
of policy or calendar re-evaluates every ticket:

- first_response: from the first public customer message to the first public
  agent reply after it;
- next_reply: from the oldest unanswered public customer message to the next
  public agent reply (a cycle per exchange; the first message opens the first
  cycle);
- resolution: from creation until the ticket enters a solved/closed category
  state; a reopen resumes it.

While the ticket is in a state with `pauses_sla: true` no working time accrues
on any clock. Internal notes and messages written by `system` never count as
replies. Times are handled as whole POSIX seconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from supportctl.sla.calendar import BusinessCalendar, HolidayLookup, to_ts
from supportctl.config.model import Config, EscalationRule, Policy
from supportctl.tickets.format import STATUS_CACHE, escalation_keys, status_change
from supportctl.tickets.model import PRIORITIES, Record, Ticket

CLOCKS = ("first_response", "next_reply", "resolution")
STATES = ("running", "warning", "paused", "met", "breached", "none")
ACTIVE_CATEGORIES = ("new", "open", "pending")
DONE_CATEGORIES = ("solved", "closed")
ESCALATION_FIELD = "escalation"


def utc_text(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).isoformat()


# ------------------------------------------------------------------ results


@dataclass(slots=True)
class Clock:
    """One clock of one ticket at `now`."""

    name: str
    state: str = "none"
    target: int | None = None        # working seconds allowed
    elapsed: int = 0                 # working seconds accrued (until the stop, if stopped)
    due: int | None = None           # POSIX seconds; None when not applicable or paused
    warn: int = 0                    # working seconds before the deadline that count as warning
    started: int | None = None
    stopped: int | None = None       # when a reply (or solving the ticket) stopped it
    stop_reason: str | None = None   # "agent reply" | "solved" | "closed" ...
    breached_cycles: int = 0         # next_reply: earlier exchanges answered late

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


@dataclass(slots=True)
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

    @property
    def active(self) -> bool:
        """The ticket is still being worked (new, open or pending category)."""
        return self.category in ACTIVE_CATEGORIES

    def worst(self) -> str:
        """The most serious state among the live clocks: breached > warning > running > paused > none."""
        order = {"breached": 0, "warning": 1, "running": 2, "paused": 3}
        states = [c.state for c in self.clocks.values() if c.live]
        return min(states, key=lambda s: order.get(s, 9)) if states else "none"

    def next_clock(self) -> Clock | None:
        """The live clock with the earliest deadline (the one the agent must beat next)."""
        best = None
        for clock in self.clocks.values():
            if clock.live and clock.due is not None and (best is None or clock.due < best.due):
                best = clock
        return best

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "policy": self.policy,
            "status": self.status,
            "clocks": {name: clock.to_json() for name, clock in self.clocks.items()},
            "calendar": self.calendar,
        }


# ---------------------------------------------------------- the timeline


@dataclass(slots=True)
class Timeline:
    """What the clocks need from a ticket's history, as of `now`, in POSIX seconds."""

    created: int
    now: int
    states: list[tuple[int, str]]              # (since, state), in time order, first at `created`
    first_customer: int | None = None
    first_response_stop: tuple[int, str] | None = None
    cycles: list[tuple[int, int | None, str | None]] = field(default_factory=list)  # next_reply
    done_since: int | None = None              # in a solved/closed state since (at `now`)


class SlaTicket(Protocol):
    """What the engine reads of a ticket: a parsed `Ticket`, or an index entry (`tickets.index.IndexEntry`)."""

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
    items: list[tuple[int, int, Any]] = []     # (instant, 0 customer | 1 agent | 2 status, change)
    for kind, role, ts, body in ticket.history():
        if kind == "message":
            if role == "customer":
                items.append((ts, 0, None))
            elif role == "agent":
                items.append((ts, 1, None))
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
    if items and items[0][0] < created:
        created = items[0][0]

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
            if first_customer is None:
                first_customer = ts
            if pending is None:
                pending = ts
        elif what == 1:
            if first_stop is None and first_customer is not None:
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
            if new in done_states:
                if not done:
                    done = True
                    done_since = ts
                    why = "ticket " + new
                    # Solving a ticket answers it: the response clocks stop with it.
                    if first_stop is None and first_customer is not None:
                        first_stop = (ts, why)
                    if pending is not None:
                        cycles.append((pending, ts, why))
                        pending = None
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
        if done and done_since is not None:
            # A message on a ticket that stays solved or closed (no reopen) waits for nobody.
            cycles.append((pending, max(pending, done_since), "ticket " + states[-1][1]))
            if first_stop is None and first_customer is not None:
                first_stop = (max(first_customer, done_since), "ticket " + states[-1][1])
        else:
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


def answered_late(cal: BusinessCalendar, active: list[tuple[int, int]], start: int, stop: int, target: int) -> bool:
    """Was a stopped clock stopped after its deadline? (`run_clock`'s verdict, without building a Clock.)"""
    worked = cal.worked
    acc = 0
    for s, e in active:
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
            return stop > cal.instant_at(ws + target - acc)
        acc += done
    return False


def run_clock(clock: Clock, cal: BusinessCalendar, active: list[tuple[int, int]], running_now: bool,
              now: int) -> Clock:
    """Fill in elapsed, due and state for a clock whose target, start and stop are set."""
    target = clock.target
    start = clock.started
    assert target is not None and start is not None
    stop = clock.stopped
    limit = stop if stop is not None else now
    worked = cal.worked
    acc = 0
    due = None
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
            due = cal.instant_at(ws + target - acc)
        acc += done
    clock.elapsed = acc
    if stop is not None:
        if due is None:
            # Met: the deadline it had when it stopped, as if it had kept running.
            clock.due = cal.instant_at(worked(stop) + target - acc)
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
        clock.due = cal.instant_at(worked(now) + target - acc)
        clock.state = "warning" if target - acc <= clock.warn else "running"
    return clock


# -------------------------------------------------------------- policies


def _values(value: Any) -> frozenset[str] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return frozenset(str(v).lower() for v in items)


def requester_email(meta: dict[str, Any]) -> str:
    person = meta.get("requester")
    if isinstance(person, dict):
        return str(person.get("email") or "").lower()
    text = str(person or "")
    if "<" in text and text.endswith(">"):
        text = text[text.rindex("<") + 1:-1]
    return text.strip().lower()


def email_matches(email: str, pattern: str) -> bool:
    """`pattern` is an address or `@domain` (the domain itself, not its sub-domains)."""
    pattern = pattern.strip().lower()
    if pattern.startswith("@"):
        return email.endswith(pattern)
    return email == pattern


class PolicyMatcher:
    """A policy's `match`, pre-digested: every listed condition must hold; a list means any of."""

    FIELDS = ("priority", "type", "group", "channel")

    def __init__(self, policy: Policy, config: Config) -> None:
        self.policy = policy
        match = policy.match
        self.fields = [(name, _values(getattr(match, name))) for name in self.FIELDS
                       if getattr(match, name) is not None]
        self.tags = _values(match.tags)
        self.requesters: list[str] | None = None
        if match.requester is not None:
            patterns: list[str] = []
            for value in (match.requester if isinstance(match.requester, list) else [match.requester]):
                if value.startswith("customers:"):
                    patterns.extend(config.customers.get(value[10:], []))
                else:
                    patterns.append(value)
            self.requesters = patterns
            self.exact = frozenset(p.strip().lower() for p in patterns if not p.strip().startswith("@"))
            self.domains = frozenset(p.strip().lower() for p in patterns if p.strip().startswith("@"))

    def reasons(self, meta: dict[str, Any]) -> list[tuple[str, bool, str]]:
        """(condition, holds, what the ticket has) for each condition of the match."""
        out = []
        for name, wanted in self.fields:
            have = meta.get(name)
            out.append((f"{name} in {sorted(wanted)}" if len(wanted) > 1 else f"{name} = {next(iter(wanted))}",
                        have is not None and str(have).lower() in wanted, f"{name} is {have}"))
        if self.tags is not None:
            tags = {str(t).lower() for t in meta.get("tags") or []}
            out.append((f"tags any of {sorted(self.tags)}", bool(tags & self.tags),
                        f"tags are {sorted(tags) or 'none'}"))
        if self.requesters is not None:
            email = requester_email(meta)
            out.append((f"requester in {self.policy.match.requester}",
                        any(email_matches(email, p) for p in self.requesters), f"requester is {email or 'none'}"))
        return out

    def matches(self, meta: dict[str, Any]) -> bool:
        for name, wanted in self.fields:
            have = meta.get(name)
            if have is None or str(have).lower() not in wanted:
                return False
        if self.tags is not None:
            tags = meta.get("tags") or []
            if not any(str(t).lower() in self.tags for t in tags):
                return False
        if self.requesters is not None:
            email = requester_email(meta)
            if email not in self.exact and email[email.rfind("@"):] not in self.domains:
                return False
        return True


# ---------------------------------------------------------------- engine


class SlaEngine:
    """Evaluates tickets against one desk configuration (calendars are built once and cached)."""

    def __init__(self, config: Config, holidays: HolidayLookup | None = None) -> None:
        self.config = config
        self.holidays = holidays    # where `holidays_from` dates come from (default: the package)
        self.matchers = [PolicyMatcher(p, config) for p in config.sla.policies]
        self.lifecycle = Lifecycle(config)
        self._calendars: dict[str, BusinessCalendar] = {}
        # Per policy: (target, warning window) of each clock, looked up once per ticket.
        self._targets = {p.name: {name: (p.target(name), p.warn_seconds(name)) for name in CLOCKS}
                         for p in config.sla.policies}

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
        """The three clocks of `ticket` at `now`."""
        now_ts = now if isinstance(now, int) else to_ts(now)
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
        if result.created is None:
            result.created = timeline.created
        if timeline.created > now_ts:
            return result   # the ticket did not exist yet at `now`
        self._fill(result, policy, timeline, targets)
        return result

    def _fill(self, result: TicketSla, policy: Policy, timeline: Timeline,
              targets: dict[str, tuple[int | None, int]]) -> None:
        cal = self.calendar(policy.calendar)
        now = timeline.now
        first_target, first_warn = targets["first_response"]
        next_target, next_warn = targets["next_reply"]
        res_target, res_warn = targets["resolution"]
        if timeline.first_customer is not None and (first_target is not None or next_target is not None):
            active, running = active_intervals(timeline, self.config, resolution=False, lifecycle=self.lifecycle)
            if first_target is not None:
                clock = result.clocks["first_response"]
                clock.warn = first_warn
                clock.started = timeline.first_customer
                if timeline.first_response_stop is not None:
                    clock.stopped, clock.stop_reason = timeline.first_response_stop
                run_clock(clock, cal, active, running, now)
            if next_target is not None and timeline.cycles:
                # The clock shows the latest exchange; earlier late answers are counted.
                *earlier, (start, stop, why) = timeline.cycles
                clock = Clock("next_reply", target=next_target, warn=next_warn, started=start, stopped=stop,
                              stop_reason=why)
                run_clock(clock, cal, active, running, now)
                clock.breached_cycles = sum(1 for a, b, _ in earlier
                                            if answered_late(cal, active, a, b, next_target))  # type: ignore[arg-type]
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
            run_clock(clock, cal, res_active, res_running, now)

    # -------------------------------------------------------------- explain
    def explain(self, ticket: Ticket, now: datetime | int) -> Explanation:
        return explain(self, ticket, now)


def evaluate(config: Config, ticket: Ticket, now: datetime) -> TicketSla:
    """One-off evaluation (build an `SlaEngine` to evaluate many tickets)."""
    return SlaEngine(config).evaluate(ticket, now)


def urgency_key(result: TicketSla) -> tuple:
    """Sort key for the queue: earliest live deadline first, then clocks without one, oldest first."""
    clock = result.next_clock()
    if clock is not None:
        return (0, clock.due, result.created or 0, result.id)
    return (1, 0, result.created or 0, result.id)


# ---------------------------------------------------------------- explain


@dataclass(slots=True)
class Segment:
    """A stretch of a clock's window: counted, paused, closed (outside hours) or still to come."""

    start: int
    end: int
    kind: str            # counted | paused | closed | projected
    seconds: int         # working seconds counted (0 unless counted/projected)
    why: str = ""        # the pausing state, or why the calendar is closed

    def to_json(self) -> dict[str, Any]:
        return {"start": utc_text(self.start), "end": utc_text(self.end), "kind": self.kind,
                "working_seconds": self.seconds, "why": self.why}


@dataclass
class ClockExplanation:
    clock: Clock
    segments: list[Segment]
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"clock": self.clock.name, **self.clock.to_json(),
                "segments": [s.to_json() for s in self.segments], "reasons": self.reasons}


@dataclass
class Explanation:
    result: TicketSla
    policy_reasons: list[str]
    calendar: str | None
    statuses: list[tuple[int, str]]
    clocks: list[ClockExplanation]

    def to_json(self) -> dict[str, Any]:
        return {**self.result.to_json(), "now": utc_text(self.result.now), "policy_reasons": self.policy_reasons,
                "calendar_hours": self.calendar,
                "statuses": [{"since": utc_text(ts), "status": s} for ts, s in self.statuses],
                "timeline": [c.to_json() for c in self.clocks]}


def _closed_reason(cal: BusinessCalendar, start: int, end: int) -> str:
    """Why the calendar is closed in [start, end): each distinct reason, day by day."""
    reasons: list[str] = []
    ts = start
    while ts < end:
        reason = cal.closed_reason(ts)
        if reason not in reasons:
            reasons.append(reason)
        local = datetime.fromtimestamp(ts, cal.zone)
        next_day = local.date().toordinal() + 1
        ts = cal._instant(datetime.fromordinal(next_day).date(), 0)
    return "; ".join(reasons)


def _segments(cal: BusinessCalendar, timeline: Timeline, config: Config, start: int, end: int,
              *, resolution: bool, projected_from: int | None = None) -> list[Segment]:
    lifecycle = config.lifecycle
    out: list[Segment] = []
    states = timeline.states
    for i, (since, state) in enumerate(states):
        until = states[i + 1][0] if i + 1 < len(states) else max(end, since)
        lo, hi = max(since, start), min(until, end)
        if lo >= hi:
            continue
        paused = lifecycle.pauses(state) or (resolution and lifecycle.category(state) in DONE_CATEGORIES)
        if paused:
            out.append(Segment(lo, hi, "paused", 0, f"status {state}"))
            continue
        cursor = lo
        for a, b in cal.intervals_ts(lo, hi):
            if a > cursor:
                out.append(Segment(cursor, a, "closed", 0, _closed_reason(cal, cursor, a)))
            out.append(Segment(a, b, "counted", b - a))
            cursor = b
        if cursor < hi:
            out.append(Segment(cursor, hi, "closed", 0, _closed_reason(cal, cursor, hi)))
    if projected_from is not None:
        split: list[Segment] = []
        for seg in out:
            if seg.end <= projected_from:
                split.append(seg)
            elif seg.start >= projected_from:
                split.append(Segment(seg.start, seg.end, "projected" if seg.kind == "counted" else seg.kind,
                                     seg.seconds, seg.why))
            else:
                first = Segment(seg.start, projected_from, seg.kind, projected_from - seg.start
                                if seg.kind == "counted" else 0, seg.why)
                rest = Segment(projected_from, seg.end, "projected" if seg.kind == "counted" else seg.kind,
                               seg.end - projected_from if seg.kind == "counted" else 0, seg.why)
                split.extend([first, rest])
        out = split
    return out


def explain(engine: SlaEngine, ticket: Ticket, now: datetime | int) -> Explanation:
    """The timeline of one ticket: what counted, what was paused or outside hours, and why `due` is what it is."""
    from supportctl.base.timeutil import format_duration as dur

    now_ts = now if isinstance(now, int) else to_ts(now)
    config = engine.config
    result = engine.evaluate(ticket, now_ts)
    reasons: list[str] = []
    chosen = None
    for matcher in engine.matchers:
        conditions = matcher.reasons(ticket.meta)
        failed = [f"{what} ({have})" for what, ok, have in conditions if not ok]
        if failed:
            reasons.append(f"policy {matcher.policy.name}: skipped, not {'; not '.join(failed)}")
            continue
        held = ", ".join(f"{what}" for what, _, _ in conditions) or "no conditions"
        reasons.append(f"policy {matcher.policy.name}: applies (first match; {held})")
        chosen = matcher.policy
        break
    if chosen is None:
        reasons.append("no policy matches: no SLA clocks run for this ticket")
        return Explanation(result, reasons, None, [], [])
    cal = engine.calendar(chosen.calendar)
    timeline = build_timeline(ticket, config, now_ts)
    zone = cal.zone

    def local(ts: int | None) -> str:
        if ts is None:
            return "-"
        return datetime.fromtimestamp(ts, zone).strftime("%a %Y-%m-%d %H:%M:%S %Z")

    clocks: list[ClockExplanation] = []
    for name in CLOCKS:
        clock = result.clocks[name]
        lines: list[str] = []
        if clock.target is None:
            lines.append(f"policy {chosen.name} sets no {name} target")
            clocks.append(ClockExplanation(clock, [], lines))
            continue
        if clock.state == "none":
            lines.append("no customer message: the response clocks do not apply")
            clocks.append(ClockExplanation(clock, [], lines))
            continue
        resolution = name == "resolution"
        start_why = {"first_response": "the first customer message",
                     "next_reply": "the oldest customer message not yet answered",
                     "resolution": "the ticket's creation"}[name]
        lines.append(f"starts {local(clock.started)} at {start_why}")
        warn_text = (f"{chosen.warn_before} of the target = {dur(clock.warn)}" if isinstance(chosen.warn_before, str)
                     else dur(clock.warn))
        lines.append(f"target {dur(clock.target)} of working time (calendar {chosen.calendar}); "
                     f"warning {warn_text} before the deadline")
        if name == "next_reply" and clock.breached_cycles:
            lines.append(f"{clock.breached_cycles} earlier exchange(s) were answered late")
        end = clock.stopped if clock.stopped is not None else now_ts
        projected = None
        if clock.due is not None and clock.due > end and clock.stopped is None:
            projected, end = now_ts, clock.due
        segments = _segments(cal, timeline, config, clock.started, end, resolution=resolution,
                             projected_from=projected)
        # What kept the deadline from being start + target on the wall clock.
        horizon = clock.due if clock.due is not None else end
        paused = sum(min(s.end, horizon) - s.start for s in segments if s.kind == "paused" and s.start < horizon)
        closed = sum(min(s.end, horizon) - s.start for s in segments if s.kind == "closed" and s.start < horizon)
        if clock.stopped is not None:
            lines.append(f"stopped {local(clock.stopped)} by the {clock.stop_reason} after "
                         f"{dur(clock.elapsed)} of working time")
        else:
            lines.append(f"{dur(clock.elapsed)} of working time counted by now ({local(now_ts)})")
        if clock.state == "paused":
            lines.append(f"paused: the ticket is {ticket.status}, which pauses SLA clocks; "
                         f"{dur(clock.remaining or 0)} will remain when it resumes")
        elif clock.due is not None:
            if clock.state == "met" and clock.stopped is not None and clock.elapsed < clock.target:
                lines.append(f"due {local(clock.due)}: where the deadline stood when the clock stopped, "
                             f"{dur(clock.target - clock.elapsed)} early")
            else:
                lines.append(f"due {local(clock.due)}: the instant the counted time reaches {dur(clock.target)}")
            wall = clock.due - clock.started
            if paused or closed:
                lines.append(f"between start and deadline: {dur(paused)} paused and {dur(closed)} outside "
                             f"opening hours did not count (wall-clock {dur(wall)})")
        verdict = {
            "met": "met: stopped before the deadline",
            "breached": ("breached for good: stopped after the deadline" if clock.stopped is not None
                         else "breached: the deadline has passed without a reply" if name != "resolution"
                         else "breached: the deadline has passed and the ticket is not solved"),
            "warning": f"warning: {dur(max(clock.remaining or 0, 0))} left, within the warning window",
            "running": f"running: {dur(clock.remaining or 0)} left",
            "paused": "paused",
        }[clock.state]
        lines.append(verdict)
        clocks.append(ClockExplanation(clock, segments, lines))
    return Explanation(result, reasons, cal.describe(), list(timeline.states), clocks)


# ------------------------------------------------------------- escalation


@dataclass
class Escalation:
    """Rules of one policy that fire for one clock reaching one state (once per key)."""

    key: str                      # policy/clock/when, plus @cycle-start for next_reply
    policy: str
    clock: str
    when: str                     # warning | breached
    state: str                    # the clock's state now
    due: int | None
    rules: list[EscalationRule]
    changes: list[str] = field(default_factory=list)   # filled in when applied

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "policy": self.policy, "clock": self.clock, "when": self.when, "state": self.state,
                "due": utc_text(self.due), "changes": self.changes}


def fired_keys(ticket: SlaTicket) -> set[str]:
    """Escalations already recorded in the ticket (`escalation: KEY` lines of system events)."""
    keys = set()
    for kind, _, _, body in ticket.history():
        if kind == "event":
            keys.update(escalation_keys(body, ESCALATION_FIELD))
    return keys


def pending_escalations(engine: SlaEngine, ticket: SlaTicket, now: datetime | int,
                        result: TicketSla | None = None) -> list[Escalation]:
    """Escalations that fire for `ticket` at `now` and have not fired before.

    Only live clocks of tickets still being worked escalate: a clock that
    stopped late is history, not something to act on. A breach also fires the
    warning rules that have not fired yet (a missed warning is still owed).
    """
    now_ts = now if isinstance(now, int) else to_ts(now)
    result = result or engine.evaluate(ticket, now_ts)
    if not result.active or result.policy is None:
        return []
    policy = next(m.policy for m in engine.matchers if m.policy.name == result.policy)
    if not policy.escalate:
        return []
    done = fired_keys(ticket)
    out = []
    for name in CLOCKS:
        clock = result.clocks[name]
        if not clock.live or clock.state not in ("warning", "breached"):
            continue
        levels = ["warning"] + (["breached"] if clock.state == "breached" else [])
        for when in levels:
            rules = [r for r in policy.escalate if r.when == when and r.clock in (name, "any")]
            if not rules:
                continue
            key = f"{policy.name}/{name}/{when}"
            if name == "next_reply":
                key += "@" + (utc_text(clock.started) or "")
            if key in done:
                continue
            out.append(Escalation(key, policy.name, name, when, clock.state, clock.due, rules))
    return out


NoteRenderer = Callable[[str, Ticket, dict[str, Any]], str]


def apply_escalation(ticket: Ticket, config: Config, escalation: Escalation, at: datetime,
                     render_note: NoteRenderer | None = None) -> Escalation:
    """Apply one escalation's rules to `ticket` as `system` and record its key in one event."""
    from supportctl.tickets import actions
    from supportctl.errors import SupportctlError
    from supportctl.tickets.model import new_record_id

    before = {r.id for r in ticket.records}
    actor = actions.SYSTEM
    notes: list[str] = []
    for rule in escalation.rules:
        steps: list[Callable[[], Any]] = []
        if rule.priority is not None:
            current = ticket.meta.get("priority")
            # Escalation raises priority; it never lowers it.
            if current not in PRIORITIES or PRIORITIES.index(rule.priority) > PRIORITIES.index(current):
                steps.append(lambda rule=rule: actions.set_priority(ticket, priority=rule.priority, actor=actor,
                                                                    at=at, role="system"))
        if rule.assignee is not None or rule.group is not None:
            steps.append(lambda rule=rule: actions.assign(ticket, config, agent=rule.assignee, group=rule.group,
                                                          actor=actor, at=at, role="system"))
        if rule.tag is not None:
            steps.append(lambda rule=rule: actions.tag(ticket, add=[rule.tag], remove=[], actor=actor, at=at,
                                                       role="system"))
        for step in steps:
            try:
                step()
            except SupportctlError as exc:
                if "nothing to change" not in (exc.hint or ""):
                    raise
        if rule.note is not None:
            if render_note is None:
                raise SupportctlError(f"escalation {escalation.key} needs the note template {rule.note!r} "
                                      "but no renderer was given")
            context = {"escalation": escalation.to_json(), "clock": escalation.clock, "state": escalation.state,
                       "when": escalation.when, "policy": escalation.policy, "due": utc_text(escalation.due)}
            notes.append(render_note(rule.note, ticket, context))
    # The field changes become one system event headed by the escalation key,
    # so the next run finds the key and does nothing.
    new_events = [r for r in ticket.records if r.id not in before and r.kind == "event"]
    lines = [f"{ESCALATION_FIELD}: {escalation.key}"]
    for record in new_events:
        lines.extend(line for line in record.body.split("\n") if line.strip())
        ticket.records.remove(record)
    escalation.changes = lines[1:]
    marker = Record("event", new_record_id(), at, actor, "system", "\n".join(lines))
    ticket.add_record(marker)
    for text in notes:
        actions.internal_note(ticket, actor=actor, at=at, text=text, role="system")
        escalation.changes.append("note: internal note added")
    if not new_events and not notes:
        current = ticket.meta.get("updated")
        if not isinstance(current, datetime) or at > current:
            ticket.set_fields({"updated": at})
    return escalation


def escalate(engine: SlaEngine, ticket: Ticket, now: datetime, render_note: NoteRenderer | None = None,
             *, max_rounds: int = 10) -> list[Escalation]:
    """Apply every due escalation to `ticket` (a full ticket, not a light one) until none is left.

    Raising the priority can move the ticket to another policy whose rules
    fire too; those are applied in the same run, so a second run at the same
    time finds nothing to do.
    """
    applied: list[Escalation] = []
    for _ in range(max_rounds):
        due = pending_escalations(engine, ticket, now)
        if not due:
            break
        for escalation in due:
            applied.append(apply_escalation(ticket, engine.config, escalation, now, render_note))
    return applied


def evaluate_all(engine: SlaEngine, tickets: Iterable[SlaTicket], now: datetime | int) -> list[TicketSla]:
    now_ts = now if isinstance(now, int) else to_ts(now)
    return [engine.evaluate(t, now_ts) for t in tickets]
