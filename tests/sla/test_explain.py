"""`sla explain` in the domain: segments, reasons and why a deadline is where it is."""

from __future__ import annotations

from supportctl.sla.engine import SlaEngine
from supportctl.sla.explain import explain
from tests.slakit import TicketBuilder, b, config



def test_explain_shows_counted_paused_and_closed_time():
    builder = (TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 10)).status(b(2, 10), "open")
               .status(b(2, 11), "pending").status(b(3, 9), "open"))
    engine = SlaEngine(config())
    out = explain(engine, builder.build(), b(3, 10))
    assert out.policy_reasons[0].startswith("policy urgent: skipped")
    assert out.policy_reasons[1].startswith("policy standard: applies")
    resolution = next(c for c in out.clocks if c.clock.name == "resolution")
    kinds = [(s.kind, s.why) for s in resolution.segments]
    assert ("paused", "status pending") in kinds
    assert kinds[0] == ("counted", "")
    assert kinds[-1][0] == "projected"
    counted = sum(s.seconds for s in resolution.segments if s.kind == "counted")
    assert counted == resolution.clock.elapsed == 3 * 3600
    projected = sum(s.seconds for s in resolution.segments if s.kind == "projected")
    assert counted + projected == resolution.clock.target
    assert resolution.segments[-1].end == resolution.clock.due
    assert any("due" in line for line in resolution.reasons)
    # Closed time carries its reason.
    weekend = explain(engine, TicketBuilder(b(6, 17)).customer(b(6, 17)).build(), b(9, 9))
    first = next(c for c in weekend.clocks if c.clock.name == "first_response")
    closed = [s.why for s in first.segments if s.kind == "closed"]
    assert closed == ["outside opening hours; closed on sat; closed on sun"]


def test_explain_says_which_policies_were_skipped():
    builder = TicketBuilder(b(2, 9), priority="normal").customer(b(2, 9))
    out = explain(SlaEngine(config()), builder.build(), b(2, 10))
    assert out.policy_reasons[0].startswith("policy urgent: skipped, not priority = urgent (priority is normal)")
    assert out.to_json()["timeline"][0]["segments"]


def test_explain_says_solving_pauses_and_does_not_answer():
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9)).status(b(2, 10), "solved")
    out = explain(SlaEngine(config()), builder.build(), b(3, 10))
    first = next(c for c in out.clocks if c.clock.name == "first_response")
    assert first.clock.state == "paused"
    assert not any("stopped" in line for line in first.reasons)
    assert any("the ticket is solved, which pauses SLA clocks" in line and "not an answer" in line
               and "3h will remain if it is reopened" in line for line in first.reasons), first.reasons
    assert ("paused", "status solved") in [(s.kind, s.why) for s in first.segments]


def test_explain_says_nothing_waits_after_a_reply():
    builder = (TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 10)).status(b(2, 10), "open"))
    out = explain(SlaEngine(config()), builder.build(), b(2, 11))
    nxt = next(c for c in out.clocks if c.clock.name == "next_reply")
    assert nxt.clock.due is None and nxt.to_json()["due"] is None
    assert any("the customer message that opened the last exchange" in line for line in nxt.reasons)
    assert any("nothing waits for an answer" in line for line in nxt.reasons), nxt.reasons
    assert nxt.reasons[-1] == "met: the last exchange was answered before its deadline"
    assert not any(line.startswith("due ") for line in nxt.reasons)
