"""`sla explain`: one ticket's timeline, what counted, what was paused or outside hours, and why."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.base.timeutil import format_duration, format_working as working
from supportctl.config.views import Config
from supportctl.sla.calendar import BusinessCalendar, to_ts
from supportctl.sla.engine import SlaEngine
from supportctl.sla.results import CLOCKS, DONE_CATEGORIES, Clock, TicketSla, utc_text
from supportctl.sla.timeline import Timeline, build_timeline
from supportctl.errors import NotFound
from supportctl.tickets.model import Ticket
from supportctl.tickets.replay import as_of


@datatype(slots=True)
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


@datatype
class ClockExplanation:
    """One clock's story: its segments and the sentences `sla explain` prints."""

    clock: Clock
    segments: list[Segment]
    reasons: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"clock": self.clock.name, **self.clock.to_json(),
                "segments": [s.to_json() for s in self.segments], "reasons": self.reasons}


@datatype
class Explanation:
    """The whole story of one ticket: policy choice, calendar, status history, each clock."""

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


def _wall(seconds: int) -> str:
    """Wall-clock time (a day is a calendar day); `working` is working time, in hours."""
    return format_duration(seconds, sep=" ")


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
    """[start, end) cut into counted, paused and closed stretches; after `projected_from`, counted is projected."""
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
    now_ts = now if isinstance(now, int) else to_ts(now)
    config = engine.config
    then = as_of(ticket, now_ts)
    if then is None:
        raise NotFound(f"ticket {ticket.id} did not exist yet at {utc_text(now_ts)}",
                       hint="explain it at a time after its creation")
    ticket = then
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

    status = result.status     # as it was at `now`
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
        # next_reply after a reply: nothing waits, the clock tells how the last exchange went.
        answered = name == "next_reply" and clock.stopped is not None
        start_why = {"first_response": "the first customer message",
                     "next_reply": ("the customer message that opened the last exchange" if answered
                                    else "the oldest customer message not yet answered"),
                     "resolution": "the ticket's creation"}[name]
        lines.append(f"starts {local(clock.started)} at {start_why}")
        warn_text = (f"{chosen.warn_before} of the target = {working(clock.warn)}"
                     if isinstance(chosen.warn_before, str) else working(clock.warn))
        lines.append(f"target {working(clock.target)} of working time (calendar {chosen.calendar}); "
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
                         f"{working(clock.elapsed)} of working time")
        else:
            lines.append(f"{working(clock.elapsed)} of working time counted by now ({local(now_ts)})")
        if answered:
            lines.append("nothing waits for an answer now: no deadline until the customer writes again")
        if clock.state == "paused":
            if not resolution and config.lifecycle.category(status) in DONE_CATEGORIES:
                lines.append(f"paused: the ticket is {status}, which pauses SLA clocks; solving or closing is "
                             f"not an answer, so {working(clock.remaining or 0)} will remain if it is reopened")
            else:
                lines.append(f"paused: the ticket is {status}, which pauses SLA clocks; "
                             f"{working(clock.remaining or 0)} will remain when it resumes")
        elif clock.due is not None:
            if clock.state == "met" and clock.stopped is not None and clock.elapsed < clock.target:
                lines.append(f"due {local(clock.due)}: where the deadline stood when the clock stopped, "
                             f"{working(clock.target - clock.elapsed)} early")
            else:
                lines.append(f"due {local(clock.due)}: the instant the counted time reaches {working(clock.target)}")
            wall = clock.due - clock.started
            if paused or closed:
                lines.append(f"between start and deadline: {_wall(paused)} paused and {_wall(closed)} outside "
                             f"opening hours did not count (wall-clock {_wall(wall)})")
        verdict = {
            "met": ("met: the last exchange was answered before its deadline" if answered
                    else "met: stopped before the deadline"),
            "breached": ("breached for good: the last exchange was answered after its deadline" if answered
                         else "breached for good: stopped after the deadline" if clock.stopped is not None
                         else "breached: the deadline has passed without a reply" if name != "resolution"
                         else "breached: the deadline has passed and the ticket is not solved"),
            "warning": f"warning: {working(max(clock.remaining or 0, 0))} left, within the warning window",
            "running": f"running: {working(clock.remaining or 0)} left",
            "paused": "paused",
        }[clock.state]
        lines.append(verdict)
        clocks.append(ClockExplanation(clock, segments, lines))
    return Explanation(result, reasons, cal.describe(), list(timeline.states), clocks)
