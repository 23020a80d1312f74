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
