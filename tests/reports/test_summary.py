"""The summary over hand-built tickets: the period, merged tickets, groups, backlog, no NaN."""

from __future__ import annotations

import json
from zoneinfo import ZoneInfo

from supportctl.reports.metrics import ticket_metrics
from supportctl.reports.summary import parse_day, summarize
from supportctl.sla.calendar import to_ts
from supportctl.sla.engine import SlaEngine
from tests.slakit import TicketBuilder, b, config

BERLIN = ZoneInfo("Europe/Berlin")


def solved(day: int, tid: str, replies: int = 1, **meta):
    t = TicketBuilder(b(day, 9), tid=tid, **meta).customer(b(day, 9))
    for n in range(replies):
        t.reply(b(day, 10 + n))
    t.status(b(day, 10), "open")
    return t.status(b(day, 10 + replies), "solved").build()


def run(tickets, now, **kw):
    engine = SlaEngine(config())
    metrics = [m for m in (ticket_metrics(t, engine, to_ts(now)) for t in tickets) if m is not None]
    args = {"since": None, "until": to_ts(now), "now": to_ts(now), "by": None, "zone": BERLIN, **kw}
    return summarize(metrics, [], **args)


def test_fcr_reopen_rate_and_attainment():
    open_one = TicketBuilder(b(4, 9), tid="OPEN01").customer(b(4, 9)).build()
    data = run([solved(2, "ONE001"), solved(3, "TWO002", replies=2), open_one], b(6, 12))
    fig = data["overall"]
    assert (fig["tickets"], fig["solved"], fig["active"]) == (3, 2, 1)
    assert fig["fcr"] == {"one_touch": 1, "solved": 2, "pct": 50}
    assert fig["reopen_rate"] == {"reopened": 0, "solved": 2, "pct": 0}
    assert fig["sla"]["first_response"] == {"met": 2, "breached": 1, "pct": 66.7}   # OPEN01 waited 4 days
    assert fig["times"]["first_reply_time"]["business"] == {"count": 2, "median": 3600, "p90": 3600, "mean": 3600}
    assert data["backlog"]["at_until"] == 1


def test_an_empty_period_says_so_without_nan():
    data = run([solved(2, "ONE001")], b(6, 12), since=to_ts(b(5, 0)))
    assert data["empty"] and data["overall"]["tickets"] == 0
    assert data["overall"]["fcr"]["pct"] is None and data["overall"]["csat"]["pct"] is None
    json.dumps(data, allow_nan=False)   # raises on NaN or infinity


def test_a_merged_ticket_counts_once_in_its_target():
    source = solved(2, "SRC001", merged_into="TGT001")
    data = run([source, solved(2, "TGT001")], b(6, 12))
    assert data["overall"]["tickets"] == 1


def test_groups_and_backlog_per_day():
    a = solved(2, "AAA001", assignee="alice")
    c = TicketBuilder(b(3, 9), tid="CCC001", assignee="bob").customer(b(3, 9)).build()
    data = run([a, c], b(4, 20), by="agent", since=to_ts(b(2, 0)))
    assert [(g["key"], g["tickets"]) for g in data["groups"]] == [("alice", 1), ("bob", 1)]
    assert data["backlog"]["per_day"] == [{"date": "2026-03-02", "active": 0}, {"date": "2026-03-03", "active": 1},
                                          {"date": "2026-03-04", "active": 1}]
    weeks = run([a, c], b(4, 20), by="week")["groups"]
    assert [g["key"] for g in weeks] == ["2026-W10"]


def test_dates_are_whole_days_in_the_desks_zone():
    assert parse_day("2026-03-02", BERLIN, end=False) == to_ts(b(2, 0))
    assert parse_day("2026-03-02", BERLIN, end=True) == to_ts(b(3, 0)) - 1
    assert parse_day("2026-03-02T09:00:00+01:00", BERLIN, end=True) == to_ts(b(2, 9))
