"""Per-ticket metrics on hand-built tickets with known answers, in calendar and business time.

TEST_CONFIG's office calendar (Europe/Berlin): Mon 08-13 and 14-18, Tue-Fri
08-18, closed 25 and 26 December; the standard policy uses it, urgent tickets
the 24/7 calendar. Mon 2 March 2026 is a Monday.
"""

from __future__ import annotations

import yaml

from supportctl.config.model import Config
from supportctl.reports.metrics import ticket_metrics
from supportctl.sla.calendar import to_ts
from supportctl.sla.engine import SlaEngine
from supportctl.sla.results import CLOCKS
from tests.conftest import TEST_CONFIG
from tests.slakit import TicketBuilder, b, config

H = 3600


def metrics(ticket, now, cfg=None):
    return ticket_metrics(ticket, SlaEngine(cfg or config()), to_ts(now))


def times(m, name):
    span = m.times[name]
    return None if span is None else (span.calendar, span.business)


def answered_and_solved() -> TicketBuilder:
    t = TicketBuilder(b(2, 9)).customer(b(2, 9))
    t.reply(b(2, 11)).status(b(2, 11), "open")
    return t.status(b(3, 10), "solved")


def test_a_ticket_answered_then_solved():
    m = metrics(answered_and_solved().build(), b(4, 12))
    assert times(m, "first_reply_time") == (2 * H, 2 * H)
    # Mon 09:00 -> Tue 10:00: 25 hours; working time Mon 09-13, 14-18 and Tue 08-10 = 10 hours.
    assert times(m, "first_resolution_time") == (25 * H, 10 * H)
    assert times(m, "full_resolution_time") == (25 * H, 10 * H)
    assert times(m, "requester_wait_time") == (25 * H, 10 * H)
    assert times(m, "agent_wait_time") == (0, 0)
    assert (m.replies, m.reopens, m.one_touch, m.solved) == (1, 0, True, True)


def test_the_sla_states_are_the_engines():
    ticket = answered_and_solved().build()
    engine = SlaEngine(config())
    m = ticket_metrics(ticket, engine, to_ts(b(4, 12)))
    evaluated = engine.evaluate(ticket, b(4, 12))
    assert m.sla == {c: evaluated.clocks[c].state for c in CLOCKS}
    assert m.sla["first_response"] == "met" and m.policy == "standard"


def test_pending_time_is_agent_wait_and_counts_in_resolution():
    t = TicketBuilder(b(2, 9)).customer(b(2, 9))
    t.reply(b(2, 10)).status(b(2, 10), "open").status(b(2, 10), "pending")
    t.customer(b(2, 15)).status(b(2, 15), "open", role="system")
    t.reply(b(3, 9)).status(b(3, 9), "solved")
    m = metrics(t.build(), b(4, 12))
    # pending Mon 10:00-15:00: 5 hours, of which 10-13 and 14-15 are working time.
    assert times(m, "agent_wait_time") == (5 * H, 4 * H)
    # new 09-10, open Mon 15:00 -> Tue 09:00 (18 hours; working 15-18 and Tue 08-09).
    assert times(m, "requester_wait_time") == (19 * H, 5 * H)
    assert times(m, "full_resolution_time") == (24 * H, 9 * H)
    assert times(m, "on_hold_time") == (0, 0)
    assert (m.replies, m.one_touch) == (2, False)
    assert times(m, "first_reply_time") == (H, H)


def test_on_hold_is_pending_that_does_not_pause():
    data = yaml.safe_load(TEST_CONFIG)
    data["lifecycle"]["states"]["on-hold"] = {"category": "pending", "pauses_sla": False}
    data["lifecycle"]["transitions"] = {}
    cfg = Config.model_validate(data)
    t = TicketBuilder(b(2, 9)).customer(b(2, 9))
    t.reply(b(2, 10)).status(b(2, 10), "on-hold").status(b(2, 16), "open")
    m = metrics(t.build(), b(2, 17), cfg)
    assert times(m, "on_hold_time") == (6 * H, 5 * H)       # 10-16 less the 13-14 lunch break
    assert times(m, "agent_wait_time") == (0, 0)
    assert times(m, "requester_wait_time") == (2 * H, 2 * H)


def test_holidays_are_not_business_time():
    # Thu 24 Dec 16:00 -> Mon 28 Dec 09:00; 25 and 26 December are holidays, the 27th a Sunday.
    t = TicketBuilder(b(24, 16, month=12)).customer(b(24, 16, month=12))
    t.reply(b(28, 9, month=12)).status(b(28, 9, month=12), "open")
    m = metrics(t.build(), b(28, 12, month=12))
    assert times(m, "first_reply_time") == (89 * H, 3 * H)


def test_a_reopened_ticket():
    t = TicketBuilder(b(2, 9)).customer(b(2, 9))
    t.reply(b(2, 10)).status(b(2, 10), "solved")
    t.customer(b(3, 9)).status(b(3, 9), "open", role="system")
    t.reply(b(3, 10)).status(b(3, 10), "solved")
    m = metrics(t.build(), b(4, 12))
    assert m.reopens == 1 and m.replies == 2 and not m.one_touch
    assert times(m, "first_resolution_time") == (H, H)
    assert times(m, "full_resolution_time") == (25 * H, 10 * H)
    assert times(m, "requester_wait_time") == (2 * H, 2 * H)


def test_a_reopened_ticket_not_yet_solved_again_has_no_full_resolution():
    t = TicketBuilder(b(2, 9)).customer(b(2, 9))
    t.reply(b(2, 10)).status(b(2, 10), "solved")
    t.customer(b(3, 9)).status(b(3, 9), "open", role="system")
    m = metrics(t.build(), b(3, 12))
    assert times(m, "first_resolution_time") == (H, H)
    assert m.times["full_resolution_time"] is None and m.reopens == 1 and not m.solved


def test_a_reply_before_the_customers_message_is_not_the_first_reply():
    t = TicketBuilder(b(2, 9)).reply(b(2, 9, 30), "We noticed your export failed")
    t.customer(b(2, 11)).reply(b(2, 12))
    m = metrics(t.build(), b(2, 17))
    assert times(m, "first_reply_time") == (H, H)
    assert m.replies == 2


def test_a_ticket_with_no_reply():
    m = metrics(TicketBuilder(b(2, 9)).customer(b(2, 9)).build(), b(2, 12))
    assert m.times["first_reply_time"] is None
    assert m.times["first_resolution_time"] is None and m.times["full_resolution_time"] is None
    assert times(m, "requester_wait_time") == (3 * H, 3 * H)
    assert (m.replies, m.one_touch, m.solved) == (0, False, False)
    assert m.sla["first_response"] == "running" and m.sla["resolution"] == "running"


def test_notes_and_follow_ups_do_not_move_the_first_reply():
    t = TicketBuilder(b(2, 9)).customer(b(2, 9)).note(b(2, 9, 10)).customer(b(2, 9, 30)).reply(b(2, 10))
    m = metrics(t.build(), b(2, 12))
    assert times(m, "first_reply_time") == (H, H)
    assert m.replies == 1


def test_automated_mail_is_no_customer_message():
    t = TicketBuilder(b(2, 9)).customer(b(2, 9), "I am out of the office")
    auto = t.ticket.records[-1].id
    t.add("event", b(2, 9), "supportctl", "system",
          f"mail: received <ooo@mail.example>\nrecord: {auto}\nautomated: Auto-Submitted: auto-replied")
    t.customer(b(2, 10)).reply(b(2, 10, 30))
    m = metrics(t.build(), b(2, 12))
    assert times(m, "first_reply_time") == (1800, 1800)


def test_business_time_of_a_24_7_policy_is_calendar_time():
    t = TicketBuilder(b(7, 22), priority="urgent").customer(b(7, 22)).reply(b(8, 1))   # Saturday night
    m = metrics(t.build(), b(8, 2))
    assert m.policy == "urgent" and times(m, "first_reply_time") == (3 * H, 3 * H)


def test_no_policy_no_business_time():
    cfg = config(sla={"policies": []})
    m = metrics(TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 10)).build(), b(2, 12), cfg)
    assert times(m, "first_reply_time") == (H, None)
    assert m.sla == {c: None for c in CLOCKS}


def test_records_after_now_are_ignored():
    ticket = answered_and_solved().build()
    early = metrics(ticket, b(2, 10))
    assert early.times["first_reply_time"] is None and not early.solved and early.status == "new"
    assert metrics(ticket, b(2, 8)) is None     # it did not exist yet


def test_fields_are_read_as_they_were_at_now():
    t = TicketBuilder(b(2, 9), assignee="bob").customer(b(2, 9))
    t.add("event", b(3, 9), "alice", "agent", "assignee: alice -> bob")
    t.add("event", b(3, 9), "alice", "agent", "kb: +export-limits")
    t.ticket.meta["kb"] = ["export-limits"]
    ticket = t.build()
    assert metrics(ticket, b(2, 12)).assignee == "alice" and metrics(ticket, b(2, 12)).kb == []
    later = metrics(ticket, b(3, 12))
    assert later.assignee == "bob" and later.kb == ["export-limits"]


def test_the_latest_rating_counts():
    t = answered_and_solved()
    t.add("event", b(3, 11), "Dana <dana@example.com>", "customer", "csat: null -> bad")
    t.add("event", b(3, 12), "Dana <dana@example.com>", "customer", 'csat: bad -> good\ncsat_comment: "Fixed now"')
    ticket = t.build()
    assert metrics(ticket, b(3, 11, 30)).csat == "bad"
    later = metrics(ticket, b(4, 9))
    assert (later.csat, later.csat_comment) == ("good", "Fixed now")
