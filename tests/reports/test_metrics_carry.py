"""A ticket's metrics kept while it is worked, then carried to a later instant, are its metrics evaluated then.

`report summary` keeps each ticket's metrics (services/reports.py) and, for
one still being worked, carries them forward (`metrics_at`) instead of
evaluating the ticket again: these tests hold the two ways to the same answer.
"""

from __future__ import annotations

import marshal

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.config.model import Config
from supportctl.reports.metrics import ACTIVE, measure, metrics_at, ticket_metrics
from supportctl.sla.calendar import to_ts
from supportctl.sla.engine import HORIZON, SlaEngine
from tests.conftest import TEST_CONFIG
from tests.slakit import TicketBuilder, b, random_history

DAY = 86400
# From a second later to months on, and the instants where business time starts and stops.
LATER = [1, 59, 3600, 4 * 3600, 8 * 3600 + 1, DAY, 3 * DAY, 40 * DAY, 400 * DAY]


def _config() -> Config:
    """TEST_CONFIG with an on-hold state: pending, but the SLA clocks run (on_hold_time, not agent_wait_time)."""
    data = yaml.safe_load(TEST_CONFIG)
    data["lifecycle"]["states"]["on-hold"] = {"category": "pending"}
    for state in ("new", "open", "pending"):
        data["lifecycle"]["transitions"][state].append("on-hold")
    data["lifecycle"]["transitions"]["on-hold"] = ["open", "pending", "solved", "closed"]
    return Config.model_validate(data)


def carried(engine: SlaEngine, ticket, t0: int, now: int):
    """(the metrics kept at t0 and carried to `now` through marshal, the metrics evaluated at `now`)."""
    m, carry = measure(ticket, engine, t0)
    kept = marshal.loads(marshal.dumps((m.to_plain(), carry)))   # as the cache keeps them
    [got] = metrics_at([kept], now, engine)
    return got, ticket_metrics(ticket, engine, now)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3 * DAY), st.sampled_from(["customer", "reply", "note", "pending",
                                                                     "on-hold", "open", "solved", "closed"])),
                max_size=10),
       st.integers(1, 5 * DAY), st.lists(st.integers(0, 60 * DAY), min_size=1, max_size=4), st.booleans())
def test_random_histories_carried_forward(steps, wait, laters, urgent):
    """Any history, kept a while after it ends, then carried forward: exactly the metrics evaluated afresh."""
    engine = SlaEngine(_config())   # urgent: always-open calendar; normal: office hours with a lunch break
    ticket, last = random_history(steps, priority="urgent" if urgent else "normal")
    t0 = to_ts(last) + wait
    m, carry = measure(ticket, engine, t0)
    # Every ticket still being worked carries; a solved or closed one needs no carry (it is settled).
    assert (carry is not None) == (m.category in ACTIVE)
    assert carry is None or not m.settled(t0)
    if carry is None:
        return
    for later in sorted(laters):
        got, want = carried(engine, ticket, t0, t0 + later)
        assert got == want


def test_a_ticket_waiting_on_hold_over_weekends_and_months():
    """On hold from a Wednesday: on_hold_time grows in calendar and office time, the SLA clocks run on."""
    t = TicketBuilder(b(2, 9)).customer(b(2, 9))
    t.reply(b(2, 10)).status(b(4, 11), "on-hold")
    ticket, engine = t.build(), SlaEngine(_config())
    t0 = to_ts(b(4, 12))
    for later in LATER:
        got, want = carried(engine, ticket, t0, t0 + later)
        assert got == want, later
        assert got.times["on_hold_time"] == want.times["on_hold_time"]
    assert want.times["on_hold_time"].calendar == 400 * DAY + 3600


def test_no_carry_when_something_lies_at_or_after_the_instant():
    """A record at `now` itself, or a later one (a replay), may still move what a carry takes as fixed."""
    t = TicketBuilder(b(2, 9)).customer(b(2, 9))
    t.reply(b(2, 10)).customer(b(3, 10))
    ticket, engine = t.build(), SlaEngine(_config())
    assert measure(ticket, engine, to_ts(b(3, 10)))[1] is None
    assert measure(ticket, engine, to_ts(b(2, 12)))[1] is None
    assert measure(ticket, engine, to_ts(b(3, 11)))[1] is not None


def test_a_carry_does_not_answer_for_an_earlier_instant_or_beyond_the_horizon():
    t = TicketBuilder(b(2, 9)).customer(b(2, 9))
    ticket, engine = t.build(), SlaEngine(_config())
    t0 = to_ts(b(2, 12))
    m, carry = measure(ticket, engine, t0)
    kept = [(m.to_plain(), carry)]
    assert metrics_at(kept, t0 - 1, engine) == [None]
    assert metrics_at(kept, to_ts(b(2, 9)) + HORIZON + 1, engine) == [None]
    assert metrics_at(kept * 2, t0, engine) == [m, m]
