"""Validation of one ticket against the desk configuration (`supportctl check`; deskcheck.py runs it on all)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from supportctl.errors import SupportctlError
from supportctl.tickets.frontmatter import rewrite_refusal
from supportctl.tickets.model import CHANNELS, PRIORITIES, ROLES, Ticket
from supportctl.tickets.people import person_problems

if TYPE_CHECKING:   # the pydantic model; `check` reads the validated config and needs no pydantic of its own
    from supportctl.config.model import Config

STANDARD_FIELDS = ("id", "title", "status", "priority", "type", "channel", "requester", "assignee", "group",
                   "tags", "created", "updated", "kb", "related", "merged_into", "csat", "cc",
                   "customer", "organization", "source", "handle_time")
REQUIRED = ("id", "title", "status", "priority", "channel", "requester", "created")
_STANDARD = frozenset(STANDARD_FIELDS)


class Problem(SupportctlError):
    """One thing `check` found wrong."""


class FrontMatterLines:
    """The line of each front-matter key, found only when a problem needs one.

    Finding lines takes a second YAML parse that keeps the node tree; on a
    desk where nearly every ticket is clean that parse was a third of `check`.
    `source` gives the front-matter text (the file may have to be read again).
    """

    def __init__(self, source: Callable[[], str]) -> None:
        self.source = source
        self.lines: dict[tuple, int] | None = None

    def line(self, key: Any) -> int:
        """The file's 1-based line of `key` (a name or a path of names), or 2 when it has none."""
        from supportctl.base.yamlio import load_with_lines

        if key is None:
            return 2
        if self.lines is None:
            fm_text = self.source()
            self.lines = load_with_lines(fm_text)[1] if fm_text else {}
        fm_line = self.lines.get(key if isinstance(key, tuple) else (key,))
        return fm_line + 1 if fm_line else 2  # +1: the opening --- is line 1


def check_ticket(ticket: Ticket, config: Config, known_ids: set[str] | None = None) -> list[Problem]:
    """Every problem in one parsed ticket; with `known_ids`, also links to tickets that do not exist."""
    where = FrontMatterLines(lambda: ticket.fm_text)
    before, links, after = ticket_problems(ticket, config, where)
    middle = link_problems(ticket.path, links, known_ids, where) if known_ids is not None else []
    return before + middle + after


def link_problems(path: str, links: list[tuple[str, str]], known_ids: set[str],
                  where: FrontMatterLines) -> list[Problem]:
    """A problem for each (key, ticket id) link whose ticket is not in `known_ids`."""
    return [Problem(f"{key} points to ticket {value!r}, which does not exist", "fix or remove the link",
                    path=path, line=where.line(key))
            for key, value in links if value not in known_ids]


def ticket_links(meta: dict[str, Any]) -> list[tuple[str, str]]:
    """(key, ticket id) of every `related` and `merged_into` link, in the order `check` reports them."""
    links = []
    for key in ("related", "merged_into"):
        values = meta.get(key)
        values = values if isinstance(values, list) else [values] if values else []
        links.extend((key, value) for value in values if isinstance(value, str))
    return links


class _Rules:
    """What the rules read from the config, worked out once rather than for each of 100,000 tickets."""

    def __init__(self, config: Config) -> None:
        self.custom = config.custom_fields
        self.states = config.lifecycle.states
        self.states_hint = f"states: {', '.join(self.states)}"
        # key: (what to call a wrong value, the allowed values, the hint listing them)
        self.closed_sets = []
        for key, noun, allowed, label in (
                ("status", "status", list(config.lifecycle.states), "states"),
                ("priority", "priority", list(PRIORITIES), "use one of"),
                ("channel", "channel", list(CHANNELS), "use one of"),
                ("type", "type", list(config.ticket_types), "use one of"),
                ("assignee", "agent", list(config.agent_map()), "agents"),
                ("group", "group", list(config.groups), "groups")):
            hint = f"{label}: {', '.join(allowed) or '(none)'}"
            self.closed_sets.append((key, noun, allowed, frozenset(allowed), hint))


_RULES: dict[int, tuple[Config, _Rules]] = {}
# Types that cannot hold an ambiguous scalar: most front-matter values, tested by exact type.
_SCALAR_TYPES = frozenset((str, int, float, bool, type(None), datetime, date))


def _plain_items(value: Any) -> bool:
    """True for a list or mapping of plain scalars (tags, a requester): nothing in it can be ambiguous."""
    kind = type(value)
    if kind is list:
        return all(type(v) in _SCALAR_TYPES for v in value)
    if kind is dict:
        return all(type(v) in _SCALAR_TYPES for v in value.values())
    return False


def _rules(config: Config) -> _Rules:
    cached = _RULES.get(id(config))
    if cached is None or cached[0] is not config:
        cached = _RULES[id(config)] = (config, _Rules(config))
    return cached[1]


def ticket_problems(ticket: Ticket, config: Config, where: FrontMatterLines
                    ) -> tuple[list[Problem], list[tuple[str, str]], list[Problem]]:
    """What one file alone says is wrong: (problems reported before the links, the links, problems after).

    Links to other tickets are checked against the whole desk; the two lists
    around them keep the order `check` has always reported in.
    """
    from supportctl.base.yamlio import Ambiguous

    rules = _rules(config)
    before: list[Problem] = []
    problems = before
    path = ticket.path

    def add(message: str, hint: str, key: Any = None) -> None:
        problems.append(Problem(message, hint, path=path, line=where.line(key)))

    meta = ticket.meta
    custom = rules.custom
    for key, value in meta.items():
        if key not in _STANDARD and key not in custom:
            add(f"unknown key {key!r}", "check the spelling, or declare it under custom_fields in supportctl.yml",
                key)
        if type(value) not in _SCALAR_TYPES and not _plain_items(value):
            for at, found in _ambiguous(value, (key,)):
                add(f"{'.'.join(map(str, at))}: ambiguous value {found.text}", found.hint(), at)
    for key in REQUIRED:
        if key not in meta or meta[key] in (None, ""):
            add(f"missing {key}", f"add `{key}:` to the front matter")
    refused = rewrite_refusal(ticket.fm_text)
    if refused is not None:
        problems.append(Problem(f"the front matter cannot be rewritten: {refused[0]}",
                                "write spaces instead of tabs around keys and values", path=path, line=refused[1]))
    name = path[path.rfind("/") + 1:]
    dot = name.rfind(".")
    stem = name[:dot] if 0 < dot < len(name) - 1 else name   # Path.stem without building a Path
    if meta.get("id") is not None and str(meta.get("id")) != stem:
        add(f"id {meta.get('id')!r} does not match the file name {name}",
            f"rename the file to {meta.get('id')}.md or fix the id", "id")
    for key, noun, allowed, allowed_set, hint in rules.closed_sets:
        value = meta.get(key)
        # None is "not set"; an ambiguous scalar was reported above already.
        if value is None or isinstance(value, Ambiguous):
            continue
        if not (value in allowed_set if type(value) is str else value in allowed):
            add(f"unknown {noun} {value!r}", hint, key)
    requester = meta.get("requester")
    if requester is not None:
        for message, hint in person_problems(requester):
            add(message, hint, "requester")
    for key in ("tags", "kb", "related", "cc"):
        value = meta.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            add(f"{key} must be a list of names", f"write {key}: [a, b]", key)
    after: list[Problem] = []
    problems = after
    for key in ("created", "updated"):
        value = meta.get(key)
        if value is None or key not in meta:
            continue
        if not isinstance(value, datetime):
            kind = "a date without a time" if isinstance(value, date) else repr(value)
            add(f"{key} is {kind}, not a timestamp", "write it like 2026-11-20T09:15:00+01:00", key)
        elif value.tzinfo is None:
            add(f"{key} has no UTC offset", "add the offset, e.g. 2026-11-20T09:15:00+01:00", key)
    for name, spec in custom.items():
        if name in meta and meta[name] is not None:
            _check_custom(name, spec, meta[name], add)
    after.extend(_check_records(ticket, rules))
    return before, ticket_links(meta), after


def _check_custom(name: str, spec, value: Any, add) -> None:
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "date": isinstance(value, date),
        "list": isinstance(value, list),
    }[spec.type]
    if not ok:
        article = "an" if spec.type[0] in "aeiou" else "a"
        add(f"{name} must be {article} {spec.type}", "see custom_fields in supportctl.yml", name)
    elif spec.choices and str(value) not in spec.choices:
        add(f"{name} {value!r} is not one of the choices", f"choices: {', '.join(spec.choices)}", name)


# Event bodies repeat across tickets ("status: open -> pending"): the status
# each one sets is worked out once per distinct body.
_STATUS_SETS: dict[str, tuple] = {}


def _status_sets(body: str) -> tuple:
    """The new value of every `status: old -> new` line of an event body, in order."""
    found = _STATUS_SETS.get(body)
    if found is None:
        from supportctl.tickets.events import event_changes

        found = tuple(c.new for c in event_changes(body) if c.field == "status" and c.op == "set") \
            if "status" in body else ()
        if len(_STATUS_SETS) < 4096:
            _STATUS_SETS[body] = found
    return found


def _check_records(ticket: Ticket, rules: _Rules) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    previous = None
    created = ticket.created  # None when missing or naive (reported on its own)
    last = None   # (record, status) of the last recorded status change
    for record in ticket.records:
        def add(message: str, hint: str) -> None:
            problems.append(Problem(message, hint, path=ticket.path, line=record.line or None))

        if record.id in seen:
            add(f"record id {record.id} appears twice", "give one of them a new id (8 letters/digits)")
        seen.add(record.id)
        if record.role not in ROLES:
            add(f"unknown role {record.role!r}", f"roles: {', '.join(ROLES)}")
        if previous is not None and record.at < previous.at:
            add(f"{record.kind} {record.id} at {record.at.isoformat()} is earlier than the record before it",
                "records must be in time order; move it up")
        # A record merged from another ticket keeps the time it was written there.
        if created is not None and record.at < created and record.merged_from is None:
            add(f"{record.kind} {record.id} is earlier than the ticket's created time",
                "fix the timestamp or the created field")
        if record.kind == "message" and record.role == "customer" and not record.body.strip():
            add(f"message {record.id} is empty", "write the text under the header")
        if record.kind == "event":
            for new in _status_sets(record.body):
                if new not in rules.states:
                    add(f"event {record.id} sets unknown status {new!r}", rules.states_hint)
                last = (record, new)
        previous = record
    # The front matter must agree with the last recorded status change.
    if last is not None and last[1] != ticket.meta.get("status"):
        problems.append(Problem(f"status is {ticket.meta.get('status')!r} but the history last set it to "
                                f"{last[1]!r}", "use `supportctl ticket status` so the change is recorded",
                                path=ticket.path, line=last[0].line or None))
    return problems


def _ambiguous(value: Any, path: tuple):
    from supportctl.base.yamlio import Ambiguous

    if isinstance(value, Ambiguous):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _ambiguous(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _ambiguous(item, path + (i,))
