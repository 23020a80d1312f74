"""The pure parts: time triggers, episodes and conditions on plain data (no repository)."""

from __future__ import annotations

from datetime import datetime

from supportctl.automation.conditions import failing
from supportctl.automation.timing import anchor, due, fired_since
from supportctl.automation.view import View
from supportctl.config.automation import Conditions, TimeTrigger

CET = "+01:00"


def ts(text: str) -> int:
    return int(datetime.fromisoformat(text + CET).timestamp())


def view(status: str, records: list[tuple], **meta) -> View:
    return View("T1", "tickets/T1.md", {"status": status, **meta}, ts("2026-03-02T09:00:00"), None,
                tuple((kind, f"r{i}", None, who, role, body, ts(at)) for i, (kind, at, who, role, body)
                      in enumerate(records)))


RECORDS = [
    ("message", "2026-03-02T09:00:00", "Dana", "customer", ""),
    ("message", "2026-03-02T10:00:00", "alice", "agent", ""),
    ("event", "2026-03-02T10:00:00", "alice", "agent", "status: new -> pending"),
    ("message", "2026-03-03T10:00:00", "supportctl", "system", ""),
]


def test_anchors_are_the_state_entry_the_creation_or_the_latest_message():
    v = view("pending", RECORDS)
    assert anchor(TimeTrigger(status="pending", after=60), v) == ts("2026-03-02T10:00:00")
    assert anchor(TimeTrigger(status="open", after=60), v) is None     # not in that state
    assert anchor(TimeTrigger(since="created", after=60), v) == ts("2026-03-02T09:00:00")
    assert anchor(TimeTrigger(since="customer_message", after=60), v) == ts("2026-03-02T09:00:00")
    # A system message (a rule's reminder) is not an agent message.
    assert anchor(TimeTrigger(since="agent_message", after=60), v) == ts("2026-03-02T10:00:00")


def test_business_time_counts_working_seconds_in_the_calendar(tmp_path):
    from supportctl.config.model import load_config
    from supportctl.sla.engine import SlaEngine
    from tests.conftest import TEST_CONFIG

    path = tmp_path / "supportctl.yml"
    path.write_text(TEST_CONFIG)
    cal = SlaEngine(load_config(path)).calendar("office")
    trigger = TimeTrigger(status="pending", after=20 * 3600, time="business")
    # Mon 10:00 + 20 office hours (Mon 08-13, 14-18; Tue-Fri 08-18) = Wed 11:00.
    assert due(trigger, ts("2026-03-02T10:00:00"), cal) == ts("2026-03-04T11:00:00")
    assert due(TimeTrigger(status="pending", after=20 * 3600), ts("2026-03-02T10:00:00"), None) == \
        ts("2026-03-03T06:00:00")


def test_a_rule_fired_once_per_episode_from_the_records():
    fired = RECORDS + [("event", "2026-03-04T11:00:00", "supportctl", "system", "rule: bump\nreply: r9")]
    v = view("pending", fired)
    assert fired_since(v, "bump", ts("2026-03-02T10:00:00"))
    assert not fired_since(v, "bump2", ts("2026-03-02T10:00:00"))
    assert not fired_since(v, "bump", ts("2026-03-05T10:00:00"))       # a later episode
    skipped = RECORDS + [("event", "2026-03-04T11:00:00", "supportctl", "system", "rule: solve\nskipped: bump")]
    assert fired_since(view("pending", skipped), "bump", ts("2026-03-02T10:00:00"))
    # `rule: bump` must be a whole line: `rule: bump-again` is another rule.
    other = RECORDS + [("event", "2026-03-04T11:00:00", "supportctl", "system", "rule: bump-again")]
    assert not fired_since(view("pending", other), "bump", ts("2026-03-02T10:00:00"))


def test_conditions_on_plain_fields():
    class Config:
        customers = {"premium": ["@bigco.example"]}

        class lifecycle:
            @staticmethod
            def category(state):
                return {"pending": "pending"}.get(state)

    meta = {"status": "pending", "priority": "normal", "tags": ["Billing"], "group": None,
            "requester": {"name": "V", "email": "vip@bigco.example"}, "title": "Refund for March"}
    text = lambda: "I was charged twice"   # noqa: E731
    assert failing(Conditions(priority=["low", "normal"], group="none", tags=["billing"]), meta, Config, text) is None
    assert failing(Conditions(requester="customers:premium", category="pending"), meta, Config, text) is None
    assert failing(Conditions(text=["charged  twice"]), meta, Config, text) is None
    assert failing(Conditions(subject=["refund"]), meta, Config, text) is None
    assert failing(Conditions(text=["charge"]), meta, Config, text) == "text"
    assert failing(Conditions(not_tags=["billing"]), meta, Config, text) == "not_tags"
    assert failing(Conditions(assignee="alice"), meta, Config, text) == "assignee"
    assert failing(Conditions(not_requester="@bigco.example"), meta, Config, text) == "not_requester"
