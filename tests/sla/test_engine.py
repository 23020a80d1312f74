"""The SLA engine, directly: sla-cases.yaml table-driven, clocks, pauses, policies, bounds, properties."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.config.model import Config
from supportctl.errors import ConfigError
from supportctl.sla.calendar import DateOutOfRange, to_ts
from supportctl.sla.engine import HORIZON_YEARS, SlaEngine
from supportctl.sla.results import CLOCKS, SlaFailure, urgency_key, utc_text
from tests.conftest import TEST_CONFIG
from tests.slakit import (TicketBuilder, b, case_config, case_ticket, cases_of, config, policies, random_history, utc,
                          within)


# ------------------------------------------------------ shared/sla-cases.yaml


def _expected_clocks(case: dict) -> list[tuple[str, str, object]]:
    out = []
    for key, value in case["expected"].items():
        for clock in CLOCKS:
            if key.startswith(clock + "_"):
                out.append((clock, key[len(clock) + 1:], value))
    return out


def _check_expected(result: dict, case: dict) -> None:
    for clock, what, value in _expected_clocks(case):
        got = result["clocks"][clock]
        if what == "due":
            assert got["due"] == (None if value is None else utc(value).isoformat()), (clock, got)
        elif what == "elapsed_seconds":
            assert got["elapsed_seconds"] == value, (clock, got)
        elif what == "state":
            assert got["state"] == value, (clock, got)
        else:  # pragma: no cover - a new kind of expectation in the YAML
            raise AssertionError(f"unknown expectation {clock}_{what}")


def _last_event(case: dict) -> datetime:
    return max([utc(e["at"]) for e in case.get("events", [])] + [utc(case["created"])])


@pytest.mark.parametrize("case", cases_of("sla_deadlines", "sla_elapsed"), ids=lambda c: c["id"])
@pytest.mark.parametrize("later", [0, 60, 3 * 86400])
def test_sla_case(case, later):
    """Every ticket case, evaluated at the last event and later (a deadline does not drift with `now`)."""
    engine = SlaEngine(case_config(case))
    result = engine.evaluate(case_ticket(case), _last_event(case) + timedelta(seconds=later)).to_json()
    _check_expected(result, case)


def test_sla_cases_cover_every_kind():
    kinds = {c["kind"] for c in cases_of("sla_deadlines", "sla_elapsed", "add_business_time",
                                         "elapsed_business_time")}
    from tests.slakit import CASES

    assert kinds == {c["kind"] for c in CASES["cases"]}


# ---------------------------------------------------------------- the JSON


def test_json_has_the_spec_fields():
    cfg = config()
    ticket = TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 9, 30)).status(b(2, 9, 30), "open").build()
    result = SlaEngine(cfg).evaluate(ticket, b(2, 10)).to_json()
    assert set(result) >= {"id", "policy", "status", "clocks"}
    assert result["policy"] == "standard" and result["status"] == "open"
    assert set(result["clocks"]) == set(CLOCKS)
    for clock in result["clocks"].values():
        assert set(clock) >= {"state", "due", "target_seconds", "elapsed_seconds"}
    first = result["clocks"]["first_response"]
    # Answered after 30 minutes of a 4h target: due where it stood, 09:00 + 4h = the lunch close at 13:00.
    assert first == {**first, "state": "met", "elapsed_seconds": 1800, "target_seconds": 4 * 3600,
                     "due": utc_text(to_ts(b(2, 13)))}


# ------------------------------------------------------------------ clocks


def test_first_response_met_due_is_where_the_deadline_stood():
    cfg = Config.model_validate({**yaml.safe_load(TEST_CONFIG), "sla": policies(
        {"name": "fast", "calendar": "always", "first_response": "1h"}, base=False)})
    ticket = TicketBuilder(utc("2013-03-21T09:30:00Z")).customer(utc("2013-03-21T09:30:00Z")) \
        .reply(utc("2013-03-21T10:00:00Z")).build()
    clock = SlaEngine(cfg).evaluate(ticket, utc("2013-03-22T00:00:00Z")).to_json()["clocks"]["first_response"]
    assert clock["state"] == "met"
    assert clock["due"] == "2013-03-21T10:30:00+00:00"
    assert clock["elapsed_seconds"] == 1800 and clock["target_seconds"] == 3600


def test_no_customer_message_means_no_response_clocks():
    ticket = TicketBuilder(b(2, 9)).reply(b(2, 9, 5)).build()
    result = SlaEngine(config()).evaluate(ticket, b(2, 10))
    assert result.clocks["first_response"].state == "none"
    assert result.clocks["next_reply"].state == "none"
    assert result.clocks["first_response"].to_json()["due"] is None
    assert result.clocks["resolution"].state == "running"


def test_internal_notes_and_system_messages_are_not_replies():
    ticket = (TicketBuilder(b(2, 9)).customer(b(2, 9)).note(b(2, 9, 10))
              .add("message", b(2, 9, 20), "supportctl", "system", "We got your message").build())
    result = SlaEngine(config()).evaluate(ticket, b(2, 10))
    assert result.clocks["first_response"].state == "running"
    assert result.clocks["first_response"].elapsed == 3600
    assert result.clocks["next_reply"].state == "running"


def test_first_response_is_not_reset_by_group_or_assignee_changes():
    ticket = (TicketBuilder(b(2, 9)).customer(b(2, 9))
              .add("event", b(2, 9, 30), "alice", "agent", "group: null -> tier-2\nassignee: null -> bob").build())
    clock = SlaEngine(config()).evaluate(ticket, b(2, 10)).clocks["first_response"]
    assert clock.started == to_ts(b(2, 9)) and clock.elapsed == 3600


def test_next_reply_from_oldest_unanswered_message_further_messages_do_not_move_it():
    ticket = (TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 9, 30)).status(b(2, 9, 30), "open")
              .customer(b(2, 10)).customer(b(2, 11)).note(b(2, 11, 30)).build())
    clock = SlaEngine(config()).evaluate(ticket, b(2, 12)).clocks["next_reply"]
    assert clock.started == to_ts(b(2, 10))
    assert clock.elapsed == 2 * 3600
    # 8h from Mon 10:00: 3h before lunch, 4h after, 1h on Tuesday.
    assert clock.due == to_ts(b(3, 9))
    assert clock.state == "running"


def test_next_reply_covers_the_first_message_and_restarts_after_each_answer():
    engine = SlaEngine(config())
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9))
    assert engine.evaluate(builder.build(), b(2, 9)).clocks["next_reply"].due == to_ts(b(2, 18))
    builder.reply(b(2, 10)).status(b(2, 10), "open")
    answered = engine.evaluate(builder.build(), b(2, 11)).clocks["next_reply"]
    assert answered.state == "met" and answered.stopped == to_ts(b(2, 10)) and answered.elapsed == 3600
    builder.customer(b(3, 8))
    again = engine.evaluate(builder.build(), b(3, 9)).clocks["next_reply"]
    assert again.state == "running" and again.started == to_ts(b(3, 8)) and again.elapsed == 3600


def test_next_reply_counts_earlier_late_answers():
    builder = (TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(3, 15)).status(b(3, 15), "open")
               .customer(b(4, 9)).reply(b(4, 9, 5)))
    clock = SlaEngine(config()).evaluate(builder.build(), b(4, 10)).clocks["next_reply"]
    assert clock.state == "met" and clock.breached_cycles == 1


def test_pending_pauses_every_clock_and_moves_the_deadline():
    engine = SlaEngine(config())
    builder = (TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 10)).status(b(2, 10), "open")
               .status(b(2, 10), "pending"))
    paused = engine.evaluate(builder.build(), b(3, 8, 30)).clocks["resolution"]
    assert paused.state == "paused" and paused.due is None and paused.elapsed == 3600
    assert paused.to_json()["due"] is None
    builder.status(b(3, 9), "open")
    resumed = engine.evaluate(builder.build(), b(3, 9)).clocks["resolution"]
    # 27h target, 1h before the pause: 26h from Tue 09:00 -> Thu 15:00 (without the pause: Wed 17:00).
    assert resumed.state == "running" and resumed.due == to_ts(b(5, 15))
    assert resumed.elapsed == 3600


def test_customer_message_while_pending_starts_next_reply_after_the_reopen():
    engine = SlaEngine(config())
    builder = (TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 10)).status(b(2, 10), "open")
               .status(b(2, 10), "pending").customer(b(3, 10)).status(b(3, 10), "open", role="system"))
    result = engine.evaluate(builder.build(), b(3, 11))
    assert result.clocks["next_reply"].state == "running"
    assert result.clocks["next_reply"].elapsed == 3600
    assert result.clocks["resolution"].elapsed == 2 * 3600


def test_solved_stops_resolution_and_a_reopen_resumes_it():
    engine = SlaEngine(config())
    builder = (TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 10)).status(b(2, 10), "open")
               .status(b(2, 11), "solved"))
    solved = engine.evaluate(builder.build(), b(4, 12)).clocks["resolution"]
    assert solved.state == "met" and solved.elapsed == 2 * 3600 and solved.stopped == to_ts(b(2, 11))
    builder.customer(b(4, 9)).status(b(4, 9), "open", role="system")
    reopened = engine.evaluate(builder.build(), b(4, 10)).clocks["resolution"]
    assert reopened.state == "running" and reopened.stopped is None
    assert reopened.elapsed == 3 * 3600      # 2h before solving, 1h since the reopen


def test_solving_without_a_reply_pauses_the_response_clocks():
    # Spec §5 "Solving or closing is not an answer" (this test used to expect `met`, stopped by "ticket
    # solved": the deviation issue 11 removed). A solved state pauses SLAs, so the clocks wait, paused.
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9)).status(b(2, 9, 20), "solved")
    result = SlaEngine(config()).evaluate(builder.build(), b(9, 9))
    for name in ("first_response", "next_reply"):
        clock = result.clocks[name]
        assert clock.state == "paused" and clock.stopped is None and clock.elapsed == 20 * 60, name
        assert clock.due is None and clock.to_json()["due"] is None and clock.to_json()["stopped"] is None
    assert result.clocks["resolution"].state == "met"      # solving does end the resolution clock


def test_closing_without_a_reply_pauses_the_response_clocks_too():
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9)).status(b(2, 10), "closed")
    result = SlaEngine(config()).evaluate(builder.build(), b(20, 9))
    assert result.clocks["first_response"].state == "paused" and result.clocks["first_response"].due is None
    assert result.clocks["next_reply"].state == "paused"


def test_a_reopen_resumes_the_response_clocks_with_the_paused_time_added():
    engine = SlaEngine(config())
    # Mon 09:00 the customer writes, 09:30 a reply, 10:00 the customer again; solved at 11:00 with that
    # message unanswered (1h of next_reply's 8h spent); Tue 09:00 the customer writes and reopens it.
    builder = (TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 9, 30)).status(b(2, 9, 30), "open")
               .customer(b(2, 10)).status(b(2, 11), "solved"))
    solved = engine.evaluate(builder.build(), b(2, 15)).clocks["next_reply"]
    assert solved.state == "paused" and solved.due is None and solved.elapsed == 3600
    assert solved.started == to_ts(b(2, 10)) and solved.stopped is None
    builder.customer(b(3, 9)).status(b(3, 9), "open", role="system")
    resumed = engine.evaluate(builder.build(), b(3, 10)).clocks["next_reply"]
    assert resumed.state == "running" and resumed.started == to_ts(b(2, 10))   # the oldest unanswered message
    assert resumed.elapsed == 2 * 3600
    # 6h left from Tue 10:00: Tue 16:00. Without the pause: Mon 10:00 + 8h = Tue 09:00.
    assert resumed.due == to_ts(b(3, 16))
    builder.reply(b(3, 11))
    answered = engine.evaluate(builder.build(), b(3, 12)).clocks["next_reply"]
    assert answered.state == "met" and answered.stopped == to_ts(b(3, 11)) and answered.stop_reason == "agent reply"


def test_a_reopen_resumes_first_response_of_a_ticket_solved_unanswered():
    engine = SlaEngine(config())
    builder = (TicketBuilder(b(2, 9)).customer(b(2, 9)).status(b(2, 10), "solved")
               .customer(b(4, 9)).status(b(4, 9), "open", role="system"))
    clock = engine.evaluate(builder.build(), b(4, 10)).clocks["first_response"]
    # 1h on Monday, 1h since the reopen; 4h target: 2h left from Wed 10:00 = 12:00.
    assert clock.state == "running" and clock.elapsed == 2 * 3600 and clock.due == to_ts(b(4, 12))
    builder.reply(b(4, 11))
    met = engine.evaluate(builder.build(), b(4, 12)).clocks["first_response"]
    assert met.state == "met" and met.stopped == to_ts(b(4, 11))


def test_a_deadline_passed_before_solving_stays_breached():
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9)).status(b(2, 15), "solved")
    result = SlaEngine(config()).evaluate(builder.build(), b(9, 9))
    clock = result.clocks["first_response"]
    assert clock.state == "breached" and clock.due == to_ts(b(2, 13)) and clock.stopped is None


def test_a_solved_state_that_does_not_pause_keeps_the_response_clocks_running():
    data = yaml.safe_load(TEST_CONFIG)
    data["lifecycle"]["states"]["solved"]["pauses_sla"] = False
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9)).status(b(2, 10), "solved")
    clock = SlaEngine(Config.model_validate(data)).evaluate(builder.build(), b(2, 11)).clocks["first_response"]
    assert clock.state == "running" and clock.elapsed == 2 * 3600


def test_next_reply_has_no_deadline_while_nothing_waits():
    engine = SlaEngine(config())
    on_time = (TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 10)).status(b(2, 10), "open"))
    clock = engine.evaluate(on_time.build(), b(2, 11)).clocks["next_reply"]
    assert clock.state == "met" and clock.due is None and clock.to_json()["due"] is None
    late = TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(3, 15)).status(b(3, 15), "open")
    clock = engine.evaluate(late.build(), b(3, 16)).clocks["next_reply"]
    assert clock.state == "breached" and clock.due is None and clock.stopped == to_ts(b(3, 15))
    # The next customer message opens an exchange with a deadline again.
    late.customer(b(4, 9))
    clock = engine.evaluate(late.build(), b(4, 10)).clocks["next_reply"]
    assert clock.state == "running" and clock.due == to_ts(b(4, 17)) and clock.breached_cycles == 1
    # first_response keeps the deadline it had when it was met: something did wait for it.
    assert engine.evaluate(on_time.build(), b(2, 11)).clocks["first_response"].due == to_ts(b(2, 13))


def test_breached_for_good_once_stopped_after_the_deadline():
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(3, 9)).status(b(3, 9), "open")
    clock = SlaEngine(config()).evaluate(builder.build(), b(20, 9)).clocks["first_response"]
    # 4h from Mon 09:00 fill the morning exactly: due at the lunch close, 13:00.
    assert clock.state == "breached" and clock.due == to_ts(b(2, 13)) and clock.elapsed == 9 * 3600


def test_running_warning_breached_as_time_passes():
    engine = SlaEngine(config())
    ticket = TicketBuilder(b(2, 9)).customer(b(2, 9)).build()
    # first_response 4h, warn_before 30m: 09:00-13:00 is 4h, so due at the lunch close, 13:00.
    states = {t: engine.evaluate(ticket, b(2, *t)).clocks["first_response"].state
              for t in [(12, 29), (12, 30), (12, 59), (13, 0), (13, 0, 1)]}
    assert states == {(12, 29): "running", (12, 30): "warning", (12, 59): "warning", (13, 0): "warning",
                      (13, 0, 1): "breached"}
    # Past the deadline during lunch: overdue, by no working time yet.
    lunch = engine.evaluate(ticket, b(2, 13, 30)).clocks["first_response"]
    assert lunch.state == "breached" and lunch.remaining == 0
    late = engine.evaluate(ticket, b(2, 15)).clocks["first_response"]
    assert late.remaining == -3600 and late.due == to_ts(b(2, 13))


def test_warn_before_as_a_percentage():
    cfg = Config.model_validate({**yaml.safe_load(TEST_CONFIG), "sla": policies(
        {"name": "pct", "calendar": "always", "first_response": "4h", "warn_before": "25%"}, base=False)})
    ticket = TicketBuilder(b(2, 9)).customer(b(2, 9)).build()
    engine = SlaEngine(cfg)
    assert engine.evaluate(ticket, b(2, 11, 59)).clocks["first_response"].state == "running"
    assert engine.evaluate(ticket, b(2, 12)).clocks["first_response"].state == "warning"


def test_records_after_now_are_ignored():
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 12)).status(b(2, 12), "open")
    clock = SlaEngine(config()).evaluate(builder.build(), b(2, 10)).clocks["first_response"]
    assert clock.state == "running" and clock.elapsed == 3600


def test_out_of_order_records_are_read_in_time_order():
    builder = TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(b(2, 10))
    builder.ticket.records.reverse()
    clock = SlaEngine(config()).evaluate(builder.build(), b(2, 12)).clocks["first_response"]
    assert clock.state == "met" and clock.elapsed == 3600


# ---------------------------------------------------------------- policies


def _policy_desk() -> Config:
    return Config.model_validate({**yaml.safe_load(TEST_CONFIG), "sla": policies(
        {"name": "premium", "match": {"requester": "customers:premium"}, "calendar": "always",
         "first_response": "30m"},
        {"name": "vip-person", "match": {"requester": ["boss@corp.example"]}, "calendar": "always",
         "first_response": "15m"},
        {"name": "security", "match": {"tags": ["security", "breach"], "type": "incident"}, "calendar": "always",
         "first_response": "10m"},
        {"name": "phone-tier2", "match": {"channel": ["phone", "chat"], "group": "tier-2"}, "calendar": "always",
         "first_response": "20m"})})


@pytest.mark.parametrize("meta,expected", [
    ({}, "standard"),
    ({"priority": "urgent"}, "urgent"),
    ({"requester": {"name": "V", "email": "vip@bigco.example"}}, "premium"),
    ({"requester": {"name": "X", "email": "x@bigco.example"}}, "premium"),       # "@bigco.example"
    ({"requester": {"name": "X", "email": "x@sub.bigco.example"}}, "standard"),   # not a sub-domain
    ({"requester": {"name": "B", "email": "Boss@Corp.example"}}, "vip-person"),
    ({"tags": ["security"], "type": "incident"}, "security"),
    ({"tags": ["security"], "type": "question"}, "standard"),                   # every condition must hold
    ({"tags": ["breach", "x"], "type": "incident", "priority": "urgent"}, "security"),  # first match wins
    ({"channel": "chat", "group": "tier-2"}, "phone-tier2"),
    ({"channel": "email", "group": "tier-2"}, "standard"),
])
def test_policy_first_match(meta, expected):
    meta = dict(meta)
    requester = meta.pop("requester", {"email": "dana@example.com"})["email"]
    builder = TicketBuilder(b(2, 9), requester=requester, **meta)
    assert SlaEngine(_policy_desk()).policy_for(builder.build()).name == expected


def test_no_matching_policy_means_no_clocks():
    cfg = Config.model_validate({**yaml.safe_load(TEST_CONFIG), "sla": policies(
        {"name": "only-urgent", "match": {"priority": "urgent"}, "calendar": "always", "resolution": "1h"},
        base=False)})
    result = SlaEngine(cfg).evaluate(TicketBuilder(b(2, 9)).customer(b(2, 9)).build(), b(2, 10)).to_json()
    assert result["policy"] is None
    assert all(c["state"] == "none" and c["due"] is None for c in result["clocks"].values())


def test_changing_policy_or_calendar_reevaluates():
    ticket = TicketBuilder(b(2, 9)).customer(b(2, 9)).build()
    before = SlaEngine(config()).evaluate(ticket, b(2, 10)).clocks["first_response"].due
    data = yaml.safe_load(TEST_CONFIG)
    data["calendars"]["office"]["hours"]["mon"] = ["09:00-10:00"]
    after = SlaEngine(Config.model_validate(data)).evaluate(ticket, b(2, 10)).clocks["first_response"].due
    assert before == to_ts(b(2, 13)) and after == to_ts(b(3, 11))
    data["sla"]["policies"][1]["first_response"] = "1h"
    assert SlaEngine(Config.model_validate(data)).evaluate(ticket, b(2, 9, 30)).clocks["first_response"].due \
        == to_ts(b(2, 10))


def test_calendar_without_open_time_is_a_config_error():
    data = yaml.safe_load(TEST_CONFIG)
    data["calendars"]["office"] = {"hours": {"mon": ["08:00-09:00"]},
                                   "holidays": [f"{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 32)
                                                if d <= 28 or (m != 2 and (d <= 30 or m in (1, 3, 5, 7, 8, 10, 12)))]
                                   + ["02-29"]}
    with pytest.raises(ConfigError, match="no opening time"):
        SlaEngine(Config.model_validate(data)).evaluate(TicketBuilder(b(2, 9)).customer(b(2, 9)).build(), b(2, 10))


# ------------------------------------------------------------------ queue


def test_urgency_puts_the_earliest_deadline_first_and_paused_last():
    engine = SlaEngine(config())
    late = TicketBuilder(b(2, 9), tid="LATE01").customer(b(2, 9)).build()
    soon = TicketBuilder(b(2, 12), tid="SOON01").customer(b(2, 12)).build()
    waiting = (TicketBuilder(b(2, 8), tid="WAIT01").customer(b(2, 8)).reply(b(2, 8, 5))
               .status(b(2, 8, 5), "pending").build())
    results = [engine.evaluate(t, b(2, 15)) for t in (waiting, soon, late)]
    assert [r.id for r in sorted(results, key=urgency_key)] == ["LATE01", "SOON01", "WAIT01"]
    assert results[2].worst() == "breached" and results[0].worst() == "paused"

# ------------------------------------------------- bad tickets (issue 9)

UTC_ = ZoneInfo("UTC")


def far(year: int, month: int = 1, day: int = 1, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC_)


@pytest.mark.parametrize("created, message", [
    (far(1), far(1)),                          # created: 0001-01-01
    (b(2, 9), far(1900)),                      # a record far in the past drags the start back
    (far(1990), far(1990)),                    # 36 years before now: beyond the horizon
])
def test_a_ticket_from_long_ago_is_reported_not_a_crash_or_a_hang(created, message):
    engine = SlaEngine(config())
    ticket = TicketBuilder(created).customer(message).build()
    with within(3), pytest.raises(DateOutOfRange, match=f"more than {HORIZON_YEARS} years before now") as info:
        engine.evaluate(ticket, b(2, 10))
    assert "created:" in info.value.hint
    failure = engine.try_evaluate(ticket, b(2, 10))
    assert isinstance(failure, SlaFailure)
    assert failure.path == "tickets/T1CKET.md" and failure.id == "T1CKET" and failure.hint
    assert str(failure).startswith("tickets/T1CKET.md: its history starts ")


def test_a_ticket_within_the_horizon_still_evaluates():
    engine = SlaEngine(config())
    old = TicketBuilder(far(2000)).customer(far(2000)).build()
    clock = engine.evaluate(old, b(2, 10)).clocks["resolution"]
    assert clock.state == "breached" and clock.elapsed > 20 * 250 * 8 * 3600


@pytest.mark.parametrize("created", [far(9999, 12, 31), far(3500)])
def test_a_ticket_from_the_far_future_did_not_exist_yet(created):
    result = SlaEngine(config()).evaluate(TicketBuilder(created).customer(created).build(), b(2, 10))
    assert all(c.state == "none" for c in result.clocks.values())


def test_records_far_in_the_future_are_ignored():
    ticket = TicketBuilder(b(2, 9)).customer(b(2, 9)).reply(far(9999, 12, 31)).status(far(9999, 12, 31), "solved")
    with within(3):
        clock = SlaEngine(config()).evaluate(ticket.build(), b(2, 10)).clocks["first_response"]
    assert clock.state == "running"


@pytest.mark.parametrize("now", [far(9999, 12, 31, 23), far(3001), far(1899, 6, 1)])
def test_now_far_away_is_a_failure_per_ticket_not_a_hang(now):
    engine = SlaEngine(config())
    ticket = TicketBuilder(now).customer(now).build()     # even a ticket of that very time
    with within(3):
        failure = engine.try_evaluate(ticket, now)
    assert isinstance(failure, SlaFailure)
    assert "1900-2999" in failure.message


@pytest.mark.parametrize("calendar", ["office", "always"])
def test_an_enormous_target_is_a_failure_at_once_not_a_hang(calendar):
    cfg = Config.model_validate({**yaml.safe_load(TEST_CONFIG), "sla": policies(
        {"name": "huge", "calendar": calendar, "first_response": "1h", "resolution": "1h"}, base=False)})
    engine = SlaEngine(cfg)
    # The configuration may refuse such a target; the engine must not rely on it.
    engine._targets["huge"]["first_response"] = (999_999_999_999, 0)
    ticket = TicketBuilder(b(2, 9)).customer(b(2, 9)).build()
    with within(3):
        failure = engine.try_evaluate(ticket, b(2, 10))
    assert isinstance(failure, SlaFailure)
    assert "deadline lies after" in failure.message and "targets" in failure.hint


def test_a_field_of_the_wrong_type_does_not_stop_the_engine():
    cfg = Config.model_validate({**yaml.safe_load(TEST_CONFIG), "sla": policies(
        {"name": "tagged", "calendar": "always", "first_response": "1h", "match": {"tags": ["5", "vip"]}})})
    engine = SlaEngine(cfg)
    for tags in (5, "vip", None, {"a": 1}):
        ticket = TicketBuilder(b(2, 9), tags=tags).customer(b(2, 9)).build()
        assert engine.evaluate(ticket, b(2, 10)).policy == ("tagged" if tags in (5, "vip") else "standard")


def test_evaluate_many_skips_the_bad_ticket_and_keeps_the_others():
    engine = SlaEngine(config())
    good = TicketBuilder(b(2, 9), tid="GOOD01").customer(b(2, 9)).build()
    bad = TicketBuilder(far(1), tid="BAD001").customer(far(1)).build()
    later = TicketBuilder(b(2, 9, 30), tid="GOOD02").customer(b(2, 9, 30)).build()
    with within(3):
        evaluated, failures = engine.evaluate_many([good, bad, later], b(2, 10))
    assert [(t.id, r.id) for t, r in evaluated] == [("GOOD01", "GOOD01"), ("GOOD02", "GOOD02")]
    assert [f.id for f in failures] == ["BAD001"]
    assert failures[0].to_json()["path"] == "tickets/BAD001.md"
    # The bad ticket did not disturb the others: the same as evaluated alone.
    assert evaluated[1][1].to_json() == SlaEngine(config()).evaluate(later, b(2, 10)).to_json()


def test_a_bad_configuration_still_fails_the_whole_run():
    every_day = [f"{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 32)
                 if not (m in (4, 6, 9, 11) and d == 31) and not (m == 2 and d > 29)]
    data = yaml.safe_load(TEST_CONFIG)
    data["calendars"]["office"]["holidays"] = every_day
    engine = SlaEngine(Config.model_validate(data))
    with pytest.raises(ConfigError, match="no opening time"):
        engine.try_evaluate(TicketBuilder(b(2, 9)).customer(b(2, 9)).build(), b(2, 10))


def _many_exchanges(n: int, late_every: int = 3) -> TicketBuilder:
    """n exchanges, each paused while pending; every `late_every`-th reply comes a working day late."""
    at = b(2, 9)
    builder = TicketBuilder(at, status="open").customer(at)
    for i in range(n):
        at += timedelta(hours=26 if i % late_every == 0 else 0, minutes=7)
        builder.reply(at).status(at, "pending")
        at += timedelta(minutes=7)
        builder.customer(at).status(at, "open", role="system")
    return builder


def test_earlier_late_answers_are_counted_the_same_on_a_long_history():
    from supportctl.sla import engine as engine_module

    engine = SlaEngine(config())
    ticket = _many_exchanges(30).build()
    now = ticket.records[-1].at + timedelta(minutes=1)
    clock = engine.evaluate(ticket, now).clocks["next_reply"]
    # Counted again the slow way: every interval walked from the first for every exchange.
    from supportctl.sla.timeline import active_intervals, build_timeline

    timeline = build_timeline(ticket, engine.config, to_ts(now), engine.lifecycle)
    active, _ = active_intervals(timeline, engine.config, resolution=False, lifecycle=engine.lifecycle)
    cal = engine.calendar("office")
    slow = sum(1 for a, stop, _ in timeline.cycles[:-1]
               if engine_module.answered_late(cal, active, a, stop, clock.target))
    assert clock.breached_cycles == slow > 0


class LightTicket:
    """What the engine reads of a ticket (an index entry's shape), built without records."""

    def __init__(self, created: datetime, history: list[tuple[str, str, int, str]], status: str) -> None:
        self.meta = {"priority": "normal", "status": status}
        self.id, self.status, self.title, self.path = "LIGHT1", status, "Light", "tickets/LIGHT1.md"
        self.created_ts = created.timestamp()
        self._history = history

    def history(self) -> list[tuple[str, str, int, str]]:
        return self._history


def test_thousands_of_exchanges_and_pauses_take_linear_time():
    at = to_ts(b(2, 9))
    history = [("message", "customer", at, "")]
    for i in range(20_000):
        # Each exchange: a reply that waits on the customer (pending), then the customer reopens it.
        at += 420 + (93_600 if i == 0 else 0)
        history += [("message", "agent", at, ""), ("event", "agent", at, "status: open -> pending")]
        at += 420
        history += [("message", "customer", at, ""), ("event", "system", at, "status: pending -> open")]
    ticket = LightTicket(b(2, 9), history, "open")
    with within(5):     # quadratic in the exchanges before: ~10 s here
        clock = SlaEngine(config()).evaluate(ticket, at + 60).clocks["next_reply"]
    assert clock.breached_cycles == 1      # the first reply only: every other came 7 minutes after


# --------------------------------------------------------------- properties


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 3 * 86400), st.sampled_from(["customer", "reply", "note", "pending",
                                                                       "open", "solved"])),
                min_size=1, max_size=10),
       st.integers(0, 10 * 86400))
def test_clock_invariants_on_random_histories(steps, extra):
    engine = SlaEngine(config())
    ticket, at = random_history(steps)
    now = at + timedelta(seconds=extra)
    result = engine.evaluate(ticket, now)
    cal = engine.calendar("office")
    for clock in result.clocks.values():
        assert clock.state in ("running", "warning", "paused", "met", "breached", "none")
        if clock.state == "none":
            continue
        assert 0 <= clock.elapsed <= cal.elapsed_ts(clock.started, clock.stopped or to_ts(now))
        # No deadline while paused, nor on next_reply while nothing waits (spec §5; issue 11 added the latter).
        if clock.state == "paused" or (clock.name == "next_reply" and clock.stopped is not None):
            assert clock.due is None
        else:
            assert clock.due is not None
            assert cal.is_open_ts(clock.due - 1)   # deadlines never fall in closed time
        if clock.state == "breached":
            if clock.due is None:      # next_reply answered late: the exchange used up its target
                assert clock.elapsed >= clock.target
            else:
                assert (clock.stopped or to_ts(now)) > clock.due
        if clock.state in ("running", "warning"):
            assert clock.elapsed < clock.target or (clock.elapsed == clock.target and clock.state == "warning")
    copy.deepcopy(result)  # results are plain data
