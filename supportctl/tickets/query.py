"""Finding tickets: filters, sort orders and the JSON form every listing shares."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import UsageError

PRIORITY_ORDER = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
SORTS = ("created", "updated", "priority", "status", "id", "title")
UNASSIGNED = ("none", "-")   # what `--assignee` takes to mean "nobody"


@datatype
class Filter:
    """What a listing keeps; empty fields keep everything (closed tickets only when asked for)."""

    status: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    assignee: str | None = None
    group: list[str] = field(default_factory=list)
    priority: list[str] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    channel: list[str] = field(default_factory=list)
    requester: str | None = None
    org: list[str] = field(default_factory=list)      # the service resolves organisations (customers/)
    all: bool = False

    @property
    def narrows(self) -> bool:
        """Whether a filter beyond status and category is set."""
        return bool(self.assignee is not None or self.group or self.priority or self.channel or self.tag
                    or self.requester)

    def keeps(self, ticket: Any, categories: dict[str, str]) -> bool:
        """True when a ticket (or index entry) passes every filter."""
        category = categories.get(ticket.status)
        if self.status and ticket.status not in self.status:
            return False
        if self.category and category not in self.category:
            return False
        if not self.status and not self.category and not self.all and category == "closed":
            return False
        if not self.narrows:
            return True   # an index entry decodes its fields only when a filter reads them
        meta = ticket.meta
        if self.assignee is not None and not assignee_is(meta, self.assignee):
            return False
        if self.group and meta.get("group") not in self.group:
            return False
        if self.priority and meta.get("priority") not in self.priority:
            return False
        if self.channel and meta.get("channel") not in self.channel:
            return False
        if self.tag and not set(self.tag) <= set(meta.get("tags") or []):
            return False
        if self.requester:
            from supportctl.tickets.people import person_text

            req = meta.get("requester") or {}
            hay = person_text(req) + (f" <{req.get('email', '')}>" if isinstance(req, dict) else "")
            if self.requester.lower() not in hay.lower():
                return False
        return True


_PLURAL = {"status": "states", "category": "categories", "priority": "priorities", "channel": "channels",
           "group": "groups"}


def check_values(config: Any, *, status: list[str] = (), category: list[str] = (), priority: list[str] = (),
                 channel: list[str] = (), group: list[str] = ()) -> None:
    """Refuse a filter value outside its closed vocabulary: `--status bogus` is a typo, not an empty answer."""
    from supportctl.config.fields import CATEGORIES
    from supportctl.tickets.model import CHANNELS, PRIORITIES

    known = {"status": list(config.lifecycle.states), "category": list(CATEGORIES), "priority": list(PRIORITIES),
             "channel": list(CHANNELS), "group": list(config.groups)}
    given = {"status": status, "category": category, "priority": priority, "channel": channel, "group": group}
    for name, values in given.items():
        for value in values:
            if value not in known[name]:
                raise UsageError(f"unknown {name} {value!r}",
                                 hint=f"{_PLURAL[name]}: {', '.join(known[name]) or '(none)'}")


def assignee_is(meta: dict[str, Any], wanted: str) -> bool:
    """Whether a ticket is assigned to `wanted` (`none` or `-`: to nobody)."""
    return meta.get("assignee") == (None if wanted in UNASSIGNED else wanted)


def sort_key(field_name: str):
    """A key function for sorting tickets or index entries by one field."""
    if field_name not in SORTS:
        raise UsageError(f"cannot sort by {field_name!r}", hint=f"sort by {', '.join(SORTS)}")
    if field_name == "created":
        return lambda entry: entry.created_ts
    if field_name == "updated":
        return lambda entry: entry.updated_ts
    if field_name == "priority":
        return lambda entry: PRIORITY_ORDER.get(str(entry.meta.get("priority")), 9)
    return lambda entry: str(entry.meta.get(field_name) or "")


def newest_first(field_name: str) -> bool:
    """Times sort newest first; everything else ascending."""
    return field_name in ("created", "updated")


def ticket_json(ticket, config, *, full: bool = False) -> dict[str, Any]:
    """A ticket as JSON: every front-matter field, plus category and counts (and history when full)."""
    from supportctl.tickets.jsonable import json_value

    data = {k: json_value(v) for k, v in ticket.meta.items()}
    data["category"] = config.lifecycle.category(ticket.status)
    data["path"] = ticket.path
    data["messages"] = sum(1 for r in ticket.records if r.is_message)
    if full:
        data["history"] = [r.to_json() for r in ticket.records]
    return data


def entry_json(entry, categories: dict[str, str]) -> dict[str, Any]:
    """An index entry as JSON: the same fields as `ticket_json`, without converting anything."""
    data = dict(entry.meta)
    data["category"] = categories.get(entry.status)
    data["path"] = entry.path
    data["messages"] = entry.messages
    return data


def entries_json_parts(entries, categories: dict[str, str], chunk: int = 2000):
    """The JSON list of `entry_json` objects, in pieces, spliced from the text the index keeps (no re-encoding).

    Pieces, so a listing of 100,000 tickets is written as it is made rather
    than held twice in memory. An index entry's fields always hold its id, so
    its JSON object is never empty.
    """
    import json

    category = {state: f', "category": {json.dumps(name)}' for state, name in categories.items()}
    unknown = ', "category": null'
    yield "["
    for start in range(0, len(entries), chunk):
        yield (", " if start else "") + ", ".join(
            [e.meta_json[:-1] + category.get(e.status, unknown) + e.json_tail for e in entries[start:start + chunk]])
    yield "]"
