"""Helpers shared by the SLA tests: desks and tickets built in memory from sla-cases.yaml."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from supportctl.config.model import CalendarConfig, Config
from supportctl.tickets.events import encode_value
from supportctl.tickets.model import Record, Ticket, new_record_id
from tests.conftest import TEST_CONFIG

CASES_FILE = Path(__file__).parent / "data" / "sla-cases.yaml"


def load_cases() -> dict:
    with open(CASES_FILE, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


CASES = load_cases()


BERLIN = ZoneInfo("Europe/Berlin")


def b(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 3) -> datetime:
    """A time in March 2026, Berlin (Mon 2 March is a Monday)."""
    return datetime(2026, month, day, hour, minute, second, tzinfo=BERLIN)


def config(**changes) -> Config:
    """TEST_CONFIG with top-level keys replaced."""
    data = yaml.safe_load(TEST_CONFIG)
    for key, value in changes.items():
        data[key] = value
    return Config.model_validate(data)


def policies(*extra: dict, base: bool = True) -> dict:
    """TEST_CONFIG's `sla` with `extra` policies first (and the base ones after, unless base=False)."""
    data = yaml.safe_load(TEST_CONFIG)["sla"]
    data["policies"] = list(extra) + (data["policies"] if base else [])
    return data


def cases_of(*kinds: str) -> list[dict]:
    return [c for c in CASES["cases"] if c["kind"] in kinds]


def case_calendar(case: dict) -> tuple[dict, str]:
    """The calendar of a case as supportctl.yml would hold it, and its time zone."""
    cal = dict(CASES["calendars"][case["calendar"]])
    if "holidays" in case:
        cal["holidays"] = list(cal.get("holidays", [])) + list(case["holidays"])
    zone = cal.get("timezone") or case.get("tz") or "UTC"
    cal["timezone"] = zone
    return cal, zone


def instant(case: dict, key: str, zone: str) -> datetime:
    """`key` ("...Z" UTC) or `key_local` (wall time in `zone`) as an aware datetime."""
    if key in case:
        return datetime.fromisoformat(str(case[key]).replace("Z", "+00:00"))
    return datetime.fromisoformat(case[key + "_local"]).replace(tzinfo=ZoneInfo(zone))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def case_config(case: dict) -> Config:
    cal, zone = case_calendar(case)
    policy = {"name": "case", "calendar": "case", **case["policy"]}
    return Config.model_validate({"desk": {"name": "Case desk", "timezone": zone},
                                  "agents": ["alice"], "calendars": {"case": cal},
                                  "sla": {"policies": [policy]}})


def calendar_config(case: dict) -> tuple[CalendarConfig, str]:
    cal, zone = case_calendar(case)
    return CalendarConfig.model_validate(cal), zone


class TicketBuilder:
    """A ticket history written the way the actions write it (messages, events)."""

    def __init__(self, created: datetime, *, status: str = "new", priority: str = "normal", tid: str = "T1CKET",
                 requester: str = "dana@example.com", **meta):
        self.ticket = Ticket(path=f"tickets/{tid}.md", fm_text="", meta={
            "id": tid, "title": "Case", "status": status, "priority": priority, "channel": "email",
            "requester": {"name": "Dana", "email": requester}, "assignee": None, "group": None, "tags": [],
            "created": created, "updated": created, **meta})

    def add(self, kind: str, at: datetime, author: str, role: str, body: str) -> TicketBuilder:
        self.ticket.add_record(Record(kind, new_record_id(), at, author, role, body))
        return self

    def customer(self, at: datetime, text: str = "Hello") -> TicketBuilder:
        return self.add("message", at, "Dana <dana@example.com>", "customer", text)

    def reply(self, at: datetime, text: str = "On it", author: str = "alice") -> TicketBuilder:
        return self.add("message", at, author, "agent", text)

    def note(self, at: datetime, text: str = "internal") -> TicketBuilder:
        return self.add("note", at, "alice", "agent", text)

    def status(self, at: datetime, new: str, *, role: str = "agent") -> TicketBuilder:
        old = self.ticket.meta["status"]
        self.add("event", at, "alice" if role == "agent" else "supportctl", role,
                 f"status: {encode_value(old)} -> {encode_value(new)}")
        self.ticket.meta["status"] = new
        return self

    def build(self) -> Ticket:
        return self.ticket


def random_history(steps: list[tuple[int, str]], **meta) -> tuple[Ticket, datetime]:
    """A ticket built from (seconds later, what happened) steps, as the property tests draw them; and its last instant.

    What happened: customer (a customer message, reopening a pending or solved ticket),
    reply, note, or a status to move to.
    """
    at = b(2, 9)
    builder = TicketBuilder(at, **meta).customer(at)
    for gap, what in steps:
        at = at + timedelta(seconds=gap)
        if what == "customer":
            builder.customer(at)
            if builder.ticket.meta["status"] in ("pending", "solved"):
                builder.status(at, "open", role="system")
        elif what == "reply":
            builder.reply(at)
        elif what == "note":
            builder.note(at)
        elif builder.ticket.meta["status"] != what:
            builder.status(at, what)
    return builder.build(), at


def case_ticket(case: dict) -> Ticket:
    """The ticket a case describes: created at `created`, with its customer messages and agent replies."""
    builder = TicketBuilder(utc(case["created"]))
    for event in case.get("events", []):
        at = utc(event["at"])
        if event.get("customer_message"):
            builder.customer(at)
        if event.get("agent_reply"):
            builder.reply(at)
            if builder.ticket.meta["status"] == "new":   # as `ticket reply` does
                builder.status(at, "open")
    return builder.build()


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail the test with TimeoutError when the block runs longer than `seconds` (a hang is a failure, fast)."""
    def expired(signum, frame):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
