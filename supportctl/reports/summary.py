"""`report summary`: counts, time statistics and rates over the tickets created in a period, grouped."""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from supportctl.reports.formulas import csat, describe, nps, rate
from supportctl.reports.metrics import ACTIVE, TIMES, TicketMetrics
from supportctl.reports.nps import NpsAnswer, latest_scores
from supportctl.sla.results import CLOCKS, utc_text

GROUPINGS = ("agent", "group", "channel", "priority", "week", "month")
MAX_DAYS = 366          # backlog per day: at most the last year of the period
NONE_KEY = "(none)"


def week_key(ts: int, zone: ZoneInfo) -> str:
    """ISO week in the desk's zone, e.g. 2026-W47."""
    year, week, _ = datetime.fromtimestamp(ts, zone).isocalendar()
    return f"{year}-W{week:02d}"


def month_key(ts: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, zone).strftime("%Y-%m")


def group_key(m: TicketMetrics, by: str, zone: ZoneInfo) -> str:
    """The group a ticket falls in: its assignee, group, channel or priority (at `now`), or its creation week/month."""
    if by == "week":
        return week_key(m.created, zone)
    if by == "month":
        return month_key(m.created, zone)
    value = {"agent": m.assignee, "group": m.group, "channel": m.channel, "priority": m.priority}[by]
    return str(value) if value else NONE_KEY


def in_period(m: TicketMetrics, since: int | None, until: int) -> bool:
    return (since is None or m.created >= since) and m.created <= until


def figures(rows: list[TicketMetrics]) -> dict[str, Any]:
    """Every summary figure of some tickets (docs/reports.md has each formula)."""
    solved = [m for m in rows if m.solved]
    ever_solved = [m for m in rows if m.times["first_resolution_time"] is not None]
    times: dict[str, Any] = {}
    for name in TIMES:
        spans = [m.times[name] for m in rows if m.times[name] is not None]
        times[name] = {"calendar": describe([s.calendar for s in spans]),
                       "business": describe([s.business for s in spans if s.business is not None])}
    sla = {}
    for clock in CLOCKS:
        met = sum(1 for m in rows if m.sla.get(clock) == "met")
        breached = sum(1 for m in rows if m.sla.get(clock) == "breached")
        sla[clock] = {"met": met, "breached": breached, "pct": rate(met, met + breached, "met", "of")["pct"]}
    return {
        "tickets": len(rows),
        "solved": len(solved),
        "active": sum(1 for m in rows if m.category in ACTIVE),
        "replies": sum(m.replies for m in rows),
        "times": times,
        "fcr": rate(sum(1 for m in solved if m.one_touch), len(solved), "one_touch", "solved"),
        "reopen_rate": rate(sum(1 for m in ever_solved if m.reopens), len(ever_solved), "reopened", "solved"),
        "sla": sla,
        "csat": csat(m.csat for m in rows),
    }


def backlog_counter(metrics: list[TicketMetrics]):
    """A function instant -> how many tickets were in a new/open/pending state then."""
    starts = sorted(a for m in metrics for a, _ in m.active)
    ends = sorted(b for m in metrics for _, b in m.active if b is not None)

    def at(ts: int) -> int:
        return bisect_right(starts, ts) - bisect_right(ends, ts)

    return at


def day_ends(first: int, last: int, zone: ZoneInfo) -> list[tuple[str, int]]:
    """(date, end of that day or `last`) for each day of [first, last] in `zone` (at most MAX_DAYS)."""
    day = datetime.fromtimestamp(first, zone).date()
    end_day = datetime.fromtimestamp(last, zone).date()
    day = max(day, end_day - timedelta(days=MAX_DAYS - 1))
    out = []
    while day <= end_day:
        nxt = datetime.combine(day + timedelta(days=1), time(), zone)
        out.append((day.isoformat(), min(int(nxt.timestamp()) - 1, last)))
        day += timedelta(days=1)
    return out


def summarize(metrics: list[TicketMetrics], answers: list[NpsAnswer], *, since: int | None, until: int, now: int,
              by: str | None, zone: ZoneInfo) -> dict[str, Any]:
    """The summary of the tickets created in [since, until], as of `now` (<= until), grouped `by`."""
    live = [m for m in metrics if not m.merged_into]     # a merged ticket counts once, in its target
    rows = [m for m in live if in_period(m, since, until)]
    out: dict[str, Any] = {"since": utc_text(since), "until": utc_text(until), "now": utc_text(now), "by": by,
                           "empty": not rows, "overall": figures(rows)}
    if by:
        keyed: dict[str, list[TicketMetrics]] = {}
        for m in rows:
            keyed.setdefault(group_key(m, by, zone), []).append(m)
        out["groups"] = [{"key": key, **figures(keyed[key])} for key in sorted(keyed)]
    counter = backlog_counter(live)
    first = since if since is not None else min((m.created for m in live), default=until)
    out["backlog"] = {"at_until": counter(until),
                      "per_day": [{"date": d, "active": counter(ts)} for d, ts in day_ends(first, until, zone)]}
    out["nps"] = nps(latest_scores(answers, since, until))
    return out


def parse_day(text: str, zone: ZoneInfo, *, end: bool) -> int:
    """--since/--until: a date (the start, or with `end` the last second, of that day in the desk's zone) or a timestamp."""
    from supportctl.base.timeutil import parse_timestamp
    from supportctl.errors import UsageError

    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        if "T" not in text:
            raise UsageError(f"{text!r} is neither a date nor a timestamp",
                             hint="write 2026-11-01, or 2026-11-01T00:00:00+00:00") from None
        return int(parse_timestamp(text, what="--since/--until").timestamp())
    if end:
        return int(datetime.combine(day + timedelta(days=1), time(), zone).timestamp()) - 1
    return int(datetime.combine(day, time(), zone).timestamp())
