"""The internal dashboard: series computed from the metrics, charts, and the HTML page (as files in memory).

`dashboard_files` returns {relative path: bytes}; the service writes them.
The page is static: no JavaScript, no web fonts, no request to anyone, so it
opens from file:// and as a CI artifact. Everything authored (titles, names,
comments, article slugs) is escaped by Jinja2's autoescape.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from supportctl.reports.formulas import csat, median, nps, pct, percentile
from supportctl.reports.metrics import TicketMetrics
from supportctl.reports.nps import latest_scores
from supportctl.reports.summary import month_key, summarize, week_key
from supportctl.sla.results import CLOCKS, utc_text

TOP_ARTICLES = 10


def week_keys(first: int, last: int, zone: ZoneInfo) -> list[str]:
    """Every ISO week from the one holding `first` to the one holding `last`, gaps included."""
    day = datetime.fromtimestamp(first, zone).date()
    end = datetime.fromtimestamp(last, zone).date()
    day -= timedelta(days=day.weekday())
    out = []
    while day <= end:
        year, week, _ = day.isocalendar()
        out.append(f"{year}-W{week:02d}")
        day += timedelta(days=7)
    return out


def month_keys(first: int, last: int, zone: ZoneInfo) -> list[str]:
    start = datetime.fromtimestamp(first, zone)
    end = datetime.fromtimestamp(last, zone)
    y, m = start.year, start.month
    out = []
    while (y, m) <= (end.year, end.month):
        out.append(f"{y}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value / 3600, 2)


def _time_of(m: TicketMetrics, name: str) -> int | None:
    span = m.times[name]
    if span is None:
        return None
    return span.business if span.business is not None else span.calendar


def dashboard_data(report: Any) -> dict[str, Any]:
    """Every series the dashboard draws, as plain data (also written out as summary.json)."""
    zone: ZoneInfo = report.zone
    live = [m for m in report.metrics if not m.merged_into]
    rows = report.in_period()
    summary = summarize(report.metrics, report.answers, since=report.since, until=report.until, now=report.now,
                        by=None, zone=zone)
    first = report.since if report.since is not None else min((m.created for m in rows), default=report.until)
    weeks = week_keys(first, report.until, zone)
    by_week: dict[str, list[TicketMetrics]] = {w: [] for w in weeks}
    for m in rows:
        by_week.setdefault(week_key(m.created, zone), []).append(m)

    times = []
    for w in weeks:
        entry: dict[str, Any] = {"week": w, "tickets": len(by_week[w])}
        for name in ("first_reply_time", "full_resolution_time"):
            values = [v for v in (_time_of(m, name) for m in by_week[w]) if v is not None]
            entry[name] = {"count": len(values), "median_h": _hours(median(values)),
                           "p90_h": _hours(percentile(values, 90))}
        times.append(entry)

    sla = []
    for w in weeks:
        entry = {"week": w}
        for clock in CLOCKS:
            met = sum(1 for m in by_week[w] if m.sla.get(clock) == "met")
            breached = sum(1 for m in by_week[w] if m.sla.get(clock) == "breached")
            entry[clock] = {"met": met, "breached": breached, "pct": pct(met, met + breached)}
        sla.append(entry)

    channels = sorted({m.channel or "(none)" for m in rows})
    volume = [{"week": w, **{c: sum(1 for m in by_week[w] if (m.channel or "(none)") == c) for c in channels}}
              for w in weeks]

    rated = [m for m in live if m.csat_at is not None and (report.since is None or m.csat_at >= report.since)
             and m.csat_at <= report.until]
    csat_weeks = []
    for w in weeks:
        got = [m.csat for m in rated if week_key(m.csat_at, zone) == w]
        csat_weeks.append({"week": w, **csat(got)})
    comments = sorted(((m.csat_at, m) for m in rated if m.csat_comment), key=lambda x: x[0], reverse=True)[:10]

    nps_months = []
    for mk in month_keys(first, report.until, zone):
        in_month = [a for a in report.answers if month_key(a.at, zone) == mk and a.at <= report.until]
        nps_months.append({"month": mk, **nps(latest_scores(in_month, None, report.until))})

    kb = Counter(slug for m in rows if m.solved for slug in m.kb)
    articles = [{"article": slug, "solved_tickets": n} for slug, n in
                sorted(kb.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_ARTICLES]]

    agents: dict[str, dict[str, int]] = {}
    for m in live:
        if m.category in ("new", "open", "pending") and m.active and m.active[-1][1] is None:
            agents.setdefault(m.assignee or "(unassigned)", {"active": 0, "solved": 0})["active"] += 1
    for m in rows:
        if m.solved:
            agents.setdefault(m.assignee or "(unassigned)", {"active": 0, "solved": 0})["solved"] += 1
    load = [{"agent": a, **v} for a, v in sorted(agents.items(), key=lambda kv: (-kv[1]["active"] - kv[1]["solved"],
                                                                                  kv[0]))]
    return {
        "desk": report.desk_name, "since": utc_text(report.since), "until": utc_text(report.until),
        "now": utc_text(report.now), "revision": report.revision, "summary": summary,
        "times": times, "sla": sla, "channels": channels, "volume": volume,
        "backlog": summary["backlog"]["per_day"], "csat": csat_weeks, "nps": nps_months, "articles": articles,
        "agents": load,
        "comments": [{"ticket": m.id, "rating": m.csat, "comment": m.csat_comment, "at": utc_text(at)}
                     for at, m in comments],
    }


def dashboard_files(report: Any) -> dict[str, bytes]:
    """index.html, charts/*.svg and summary.json of the dashboard."""
    from supportctl.reports.charts import render_charts
    from supportctl.reports.page import render_page

    data = dashboard_data(report)
    charts = render_charts(data)
    files = {f"charts/{name}.svg": chart.svg for name, chart in charts.items()}
    files["index.html"] = render_page(data, charts, report.zone).encode("utf-8")
    files["summary.json"] = (json.dumps(data, ensure_ascii=False, indent=2, allow_nan=False) + "\n").encode("utf-8")
    return files
