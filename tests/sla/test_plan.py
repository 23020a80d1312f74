"""Carried-forward SLA results (sla/plan.py): an evaluation at t0, moved to a later `now`, is what the engine says then."""

from __future__ import annotations

import marshal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.sla.calendar import to_ts
from supportctl.sla.engine import HORIZON, SlaEngine
from supportctl.sla.plan import plan_of, plannable, result_at, usable
from tests.slakit import case_config, case_ticket, cases_of, config, random_history

# From a second later to months on, and the instants where business time starts and stops.
LATER = [0, 1, 59, 3600, 4 * 3600, 8 * 3600 + 1, 86400, 3 * 86400, 40 * 86400, 400 * 86400]


def carried(engine: SlaEngine, ticket, t0: int, now: int):
    """(the result at `now` carried from an evaluation at t0 through marshal, the engine's own at `now`).

    The carried result's standing, worked out as its clocks are made, is checked against the
    fresh result's, worked out from its clocks when asked.
    """
    first = engine.evaluate(ticket, t0)
    assert plannable(first, max(ts for _, _, ts, _ in ticket.history()) if ticket.history() else None)
    plan = marshal.loads(marshal.dumps(plan_of(first)))   # as the cache keeps it
    assert usable(first.now, first.history_from, now, HORIZON)
    got, want = result_at(plan, now, engine), engine.evaluate(ticket, now)
    assert got.known_standing is not None and want.known_standing is None
    assert got.standing() == want.standing()
    return got, want


@pytest.mark.parametrize("case", cases_of("sla_deadlines", "sla_elapsed"), ids=lambda c: c["id"])
def test_every_sla_case_carried_forward_is_evaluated_afresh(case):
    engine = SlaEngine(case_config(case))
    ticket = case_ticket(case)
    t0 = max([ts for _, _, ts, _ in ticket.history()] + [to_ts(ticket.meta["created"])])
    for later in LATER:
        got, want = carried(engine, ticket, t0, t0 + later)
        assert got == want, later


def _history(steps, urgent: bool = False):
    ticket, last = random_history(steps, priority="urgent" if urgent else "normal")
    return ticket, to_ts(last)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3 * 86400), st.sampled_from(["customer", "reply", "note", "pending",
                                                                       "open", "solved", "closed"])),
                max_size=10),
       st.integers(0, 5 * 86400), st.lists(st.integers(0, 60 * 86400), min_size=1, max_size=4), st.booleans())
def test_random_histories_carried_forward(steps, wait, laters, urgent):
    """Any history, evaluated when it ends or later, then carried forward: exactly the fresh result."""
    engine = SlaEngine(config())   # urgent: always-open calendar, warning at 25 %; normal: office hours
    ticket, last = _history(steps, urgent)
    t0 = last + wait
    for later in sorted(laters):
        got, want = carried(engine, ticket, t0, t0 + later)
        assert got == want


def test_a_plan_does_not_answer_for_an_earlier_instant_or_beyond_the_horizon():
    engine = SlaEngine(config())
    ticket, last = _history([(3600, "reply")])
    result = engine.evaluate(ticket, last)
    made, since = result.now, result.history_from
    assert usable(made, since, last, HORIZON) and not usable(made, since, last - 1, HORIZON)
    assert not usable(made, since, last + HORIZON + 86400 * 400, HORIZON)


def test_a_ticket_with_records_after_the_evaluation_is_not_carried():
    engine = SlaEngine(config())
    ticket, last = _history([(3600, "reply"), (7200, "customer")])
    assert not plannable(engine.evaluate(ticket, last - 60), last)
