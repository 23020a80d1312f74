"""Per-ticket metrics (spec §11), named after Zendesk's ticket metrics, from the ticket's own history.

The status timeline is the SLA engine's (`sla.timeline.build_timeline`), the
business time is the policy calendar's (`SlaEngine.calendar(...).elapsed_ts`)
and the `sla` states are `SlaEngine.evaluate`'s: a change to the engine flows
into every report. Times are POSIX seconds; each time is a `Span` of
calendar seconds and business seconds (None without an SLA policy).
"""

from __future__ import annotations

from dataclasses import field, fields
from typing import TYPE_CHECKING, Any

from supportctl.base.datatypes import datatype, shared
from supportctl.sla.results import CLOCKS, utc_text
from supportctl.tickets.rating import rating_of

if TYPE_CHECKING:   # the timeline and the parser load when a ticket's metrics are computed, not from the cache
    from supportctl.sla.engine import SlaEngine
    from supportctl.sla.timeline import SlaTicket

TIMES = ("first_reply_time", "first_resolution_time", "full_resolution_time", "requester_wait_time",
         "agent_wait_time", "on_hold_time")
ACTIVE = ("new", "open", "pending")
DONE = ("solved", "closed")
# Fields whose value at `now` is rebuilt by undoing the events after `now`.
TRACKED = ("assignee", "group", "priority", "merged_into")


# Fields whose values repeat across a desk: kept `shared` (sla/plan.py does the same for the SLA plans).
_REPEATED = frozenset(("status", "category", "channel", "group", "assignee", "priority", "policy"))


@datatype(slots=True)
class Span:
    """A time in calendar seconds and in business seconds of the policy's calendar."""

    calendar: int
    business: int | None

    def to_json(self) -> dict[str, int | None]:
        return {"calendar": self.calendar, "business": self.business}


@datatype
class TicketMetrics:
    """One ticket's metrics at `now`."""

    id: str
    title: str
    created: int
    status: str
    category: str | None
    channel: str | None
    group: str | None
    assignee: str | None
    priority: str | None
    policy: str | None
    times: dict[str, Span | None]
    replies: int = 0
    reopens: int = 0
    solved: bool = False              # in a solved or closed state at `now`
    solved_at: int | None = None      # latest entry into a solved or closed state (when solved)
    one_touch: bool = False
    sla: dict[str, str | None] = field(default_factory=dict)
    csat: str | int | None = None
    csat_at: int | None = None
    csat_comment: str | None = None
    kb: list[str] = field(default_factory=list)
    active: list[tuple[int, int | None]] = field(default_factory=list)   # spans in a new/open/pending state
    merged_into: str | None = None
    last_record: int = 0              # the latest record's time
    handle_time: int | None = None    # seconds on the phone (imported calls: docs/channels.md)

    def settled(self, now: int) -> bool:
        """True when these metrics hold at any later `now`: solved or closed, nothing after its last record.

        A solved/closed state adds to no time and moves no clock, so until the
        file changes, evaluating it later gives the same metrics.
        """
        return self.solved and self.last_record <= now and self.created <= now

    def to_plain(self) -> tuple:
        """The metrics as plain data (tuples, dicts, str, int), fit for marshal; `from_plain` reads it back."""
        values = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "times":
                value = {k: None if v is None else (v.calendar, v.business) for k, v in value.items()}
            elif f.name in ("active", "kb"):
                value = [tuple(x) if isinstance(x, (list, tuple)) else x for x in value]
            elif f.name == "sla":
                value = {k: shared(v) for k, v in value.items()}
            elif f.name in _REPEATED:
                value = shared(value)
            values.append(value)
        return tuple(values)

    @classmethod
    def from_plain(cls, data: tuple) -> TicketMetrics:
        m = cls(*data)
        m.times = {k: None if v is None else Span(v[0], v[1]) for k, v in m.times.items()}
        return m

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id, "title": self.title, "status": self.status, "created": utc_text(self.created),
            "channel": self.channel, "group": self.group, "assignee": self.assignee, "priority": self.priority,
            "policy": self.policy,
        }
        for name in TIMES:
            span = self.times.get(name)
            out[name] = span.to_json() if span is not None else None
        out.update({"replies": self.replies, "reopens": self.reopens, "one_touch": self.one_touch,
                    "solved": self.solved, "sla": dict(self.sla), "csat": self.csat, "kb": list(self.kb),
                    "handle_time": self.handle_time})
        return out


def record_rows(ticket: Any) -> list[tuple[str, str, str, int, str]]:
    """(kind, record id, role, POSIX seconds, event body) per record, in time order.

    Reads an index entry's timeline (no message text) or a parsed ticket's records.
    """
    records = ticket.records
    if records and isinstance(records[0], tuple):
        rows = [(kind, rid, role, ts, body) for kind, rid, _, _, role, body, ts in records]
    else:
        rows = [(r.kind, r.id, r.role, int(r.at.timestamp()), r.body if r.kind == "event" else "")
                for r in records]
    for i in range(len(rows) - 1):
        if rows[i][3] > rows[i + 1][3]:
            rows.sort(key=lambda row: row[3])   # hand-edited files may be out of order (stable for ties)
            break
    return rows


def automated_ids(rows: list[tuple[str, str, str, int, str]]) -> set[str]:
    """Message records that mail intake marked automated (an out-of-office is no customer message)."""
    out = set()
    for kind, _, _, _, body in rows:
        if kind == "event" and body.startswith("mail: received") and "\nautomated: " in body:
            for line in body.split("\n"):
                if line.startswith("record: "):
                    out.add(line[8:].strip())
    return out


def fields_at(meta: dict[str, Any], rows: list[tuple[str, str, str, int, str]], now: int) -> tuple[dict, list]:
    """(tracked fields, kb links) as they were at `now`: the front matter with later events undone."""
    values = {name: meta.get(name) for name in TRACKED}
    kb = [str(k) for k in meta.get("kb") or [] if isinstance(k, str)]
    later = [body for kind, _, _, ts, body in rows if kind == "event" and ts > now]
    if later:
        from supportctl.tickets.events import event_changes
    for body in reversed(later):
        for change in reversed(event_changes(body)):
            if change.field in values and change.op == "set":
                values[change.field] = change.old
            elif change.field == "kb":
                if change.op == "add" and change.new in kb:
                    kb.remove(change.new)
                elif change.op == "remove" and change.old is not None and change.old not in kb:
                    kb.append(change.old)
    return values, kb


class _Read:
    """A ticket as the engine reads it, with its history decoded once (an index entry unmarshals it per call)."""

    __slots__ = ("meta", "id", "status", "title", "created_ts", "path", "_history")

    def __init__(self, ticket: SlaTicket, rows: list[tuple[str, str, str, int, str]]) -> None:
        self.meta = ticket.meta
        self.id, self.status, self.title = ticket.id, ticket.status, ticket.title
        self.created_ts = ticket.created_ts
        self.path = getattr(ticket, "path", "")
        self._history = [(kind, role, ts, body) for kind, _, role, ts, body in rows]

    def history(self) -> list[tuple[str, str, int, str]]:
        return self._history


def ticket_metrics(ticket: SlaTicket, engine: SlaEngine, now: int) -> TicketMetrics | None:
    """The metrics of one ticket at `now`, or None when it did not exist yet.

    Raises what `SlaEngine.evaluate` raises for a ticket it cannot evaluate.
    """
    measured = measure(ticket, engine, now)
    return None if measured is None else measured[0]


def measure(ticket: SlaTicket, engine: SlaEngine, now: int) -> tuple[TicketMetrics, tuple | None] | None:
    """(`ticket_metrics`, its carry or None): what `metrics_at` needs to give them at any later instant.

    A ticket has a carry when it is still being worked and nothing in it lies
    at or after `now`: until its file changes, time only lengthens its last
    status span (a wait) and moves its SLA clocks (sla/plan.py carries those).
    A solved or closed ticket needs none (`TicketMetrics.settled`).
    """
    from supportctl.sla.timeline import build_timeline

    rows = record_rows(ticket)
    ticket = _Read(ticket, rows)
    created = int(ticket.created_ts) or (rows[0][3] if rows else 0)
    if rows and rows[0][3] < created:
        created = rows[0][3]
    if not created or created > now:
        return None
    sla = engine.evaluate(ticket, now)
    timeline = build_timeline(ticket, engine.config, now, engine.lifecycle, created)
    created = timeline.created
    lc = engine.lifecycle
    cal = engine.calendar(sla.calendar) if sla.calendar else None

    def span(start: int, end: int) -> Span:
        return Span(end - start, cal.elapsed_ts(start, end) if cal is not None else None)

    # Public messages: the first customer message (automated mail is none), the first agent reply after it.
    automated = automated_ids(rows)
    first_customer = first_reply = None
    replies = 0
    csat = csat_comment = csat_at = None
    for kind, rid, role, ts, body in rows:
        if ts > now:
            break
        if kind == "message":
            if role == "customer" and first_customer is None and rid not in automated:
                first_customer = ts
            elif role == "agent":
                replies += 1
                if first_reply is None and first_customer is not None:
                    first_reply = ts
        elif kind == "event" and role == "customer" and "csat: " in body:
            rating = rating_of(body)
            if rating is not None:
                (csat, csat_comment), csat_at = rating, ts

    # Status spans: waits by category, entries into solved/closed, reopens, backlog spans.
    category = lc.category
    waits = {"requester": [0, 0], "agent": [0, 0], "on_hold": [0, 0]}
    entries: list[int] = []
    reopens = 0
    active: list[tuple[int, int | None]] = []
    states = timeline.states
    previous: str | None = None
    for i, (since, state) in enumerate(states):
        until = states[i + 1][0] if i + 1 < len(states) else now
        cat = category.get(state)
        if cat in DONE and previous not in DONE:
            entries.append(since)
        elif cat in ACTIVE and previous in DONE:
            reopens += 1
        if cat in ACTIVE and until > since:
            if active and active[-1][1] == since:
                active[-1] = (active[-1][0], until)
            else:
                active.append((since, until))
        previous = cat if cat is not None else previous
        if until <= since:
            continue
        bucket = ("requester" if cat in ("new", "open") else
                  ("agent" if lc.pauses.get(state) else "on_hold") if cat == "pending" else None)
        if bucket is not None:
            acc = waits[bucket]
            acc[0] += until - since
            if cal is not None:
                # worked() remembers its last answer, and spans follow each other: one table walk per span.
                acc[1] += cal.worked(until) - cal.worked(since)
    status = states[-1][1]
    cat_now = category.get(status)
    solved = cat_now in DONE
    if active and active[-1][1] == now and cat_now in ACTIVE:
        active[-1] = (active[-1][0], None)   # still in the backlog at `now`

    times: dict[str, Span | None] = {name: None for name in TIMES}
    if first_customer is not None and first_reply is not None:
        times["first_reply_time"] = span(first_customer, first_reply)
    if entries:
        times["first_resolution_time"] = span(created, entries[0])
        if solved:
            times["full_resolution_time"] = span(created, entries[-1])
    for name, key in (("requester_wait_time", "requester"), ("agent_wait_time", "agent"),
                      ("on_hold_time", "on_hold")):
        cal_s, bus_s = waits[key]
        times[name] = Span(cal_s, bus_s if cal is not None else None)

    values, kb = fields_at(ticket.meta, rows, now)
    carry = None
    last_since, last_state = states[-1]
    if cat_now in ACTIVE and last_since < now and (not rows or rows[-1][3] < now) and created < now:
        from supportctl.sla.plan import plan_of, plannable

        if plannable(sla, rows[-1][3] if rows else None):
            bucket = ("requester_wait_time" if cat_now in ("new", "open") else
                      "agent_wait_time" if lc.pauses.get(last_state) else "on_hold_time")
            carry = (now, bucket, sla.history_from, plan_of(sla))
    metrics = TicketMetrics(
        id=ticket.id, title=ticket.title, created=created, status=status, category=cat_now,
        channel=ticket.meta.get("channel"), group=values["group"], assignee=values["assignee"],
        priority=values["priority"], policy=sla.policy, times=times, replies=replies, reopens=reopens,
        solved=solved, solved_at=entries[-1] if solved and entries else None,
        one_touch=solved and replies == 1,
        sla={name: (None if sla.clocks[name].state == "none" else sla.clocks[name].state) for name in CLOCKS},
        csat=csat, csat_at=csat_at, csat_comment=csat_comment, kb=kb, active=active,
        merged_into=values["merged_into"], last_record=rows[-1][3] if rows else created,
        handle_time=_handle_time(ticket.meta.get("handle_time")))
    return metrics, carry


def metrics_at(kept: list[tuple[tuple, tuple]], now: int, engine: SlaEngine) -> list[TicketMetrics | None]:
    """Each (metrics as plain data, carry) that `measure` gave, carried to `now`: None where the carry does
    not answer for `now` (an earlier instant, or beyond the engine's horizon). One pass for a whole desk."""
    from supportctl.sla.engine import HORIZON
    from supportctl.sla.plan import results_at, usable

    answers = [usable(made, history_from, now, HORIZON) for _, (made, _, history_from, _) in kept]
    results = iter(results_at([carry[3] for (_, carry), ok in zip(kept, answers) if ok], now, engine))
    worked_now: dict[str, int] = {}   # calendar -> its working time at `now`, asked once
    out: list[TicketMetrics | None] = []
    for (plain, (made, bucket, _, _)), ok in zip(kept, answers):
        if not ok:
            out.append(None)
            continue
        sla = next(results)
        m = TicketMetrics.from_plain(plain)
        # The last status span, a wait, runs on from `made` to `now`; nothing else moves (see `measure`).
        wait, business = m.times[bucket], None
        if sla.calendar:
            cal = engine.calendar(sla.calendar)
            at_now = worked_now.get(sla.calendar)
            if at_now is None:
                at_now = worked_now[sla.calendar] = cal.worked(now)
            business = wait.business + at_now - cal.worked(made)   # `made` is one instant per run: remembered
        m.times[bucket] = Span(wait.calendar + now - made, business)
        m.sla = {name: (None if sla.clocks[name].state == "none" else sla.clocks[name].state) for name in CLOCKS}
        out.append(m)
    return out


def _handle_time(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
