"""Three-way merge of one ticket file, for git's merge driver.

Records merge as a union by id (every record is self-contained), so two
branches that both replied to a ticket keep both replies. Front-matter keys
merge three-way; where both sides changed a field that events record
(status, priority, assignee, group), the value set by the latest event in the
merged history wins, which keeps the fields and the history consistent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from supportctl.tickets.format import parse_ticket
from supportctl.tickets.model import Record, Ticket

LIST_FIELDS = ("tags", "kb", "related", "cc")
EVENT_FIELDS = ("status", "priority", "assignee", "group", "type", "title", "merged_into")


@dataclass
class MergeResult:
    text: str
    conflicts: list[str] = field(default_factory=list)


def merge_texts(base: str, ours: str, theirs: str, path: str = "ticket.md") -> MergeResult:
    """Merge two versions of a ticket against their common ancestor (base may be empty)."""
    ours_t = parse_ticket(ours, path)
    theirs_t = parse_ticket(theirs, path)
    base_t = parse_ticket(base, path) if base.strip() else None
    return merge_tickets(base_t, ours_t, theirs_t)


def merge_tickets(base: Ticket | None, ours: Ticket, theirs: Ticket) -> MergeResult:
    base_ids = {r.id for r in base.records} if base else set()
    ours_ids = {r.id for r in ours.records}
    theirs_ids = {r.id for r in theirs.records}
    # A record one side deleted (present in the base) stays deleted: that is
    # how personal data is redacted from a ticket's history.
    deleted = (base_ids - ours_ids) | (base_ids - theirs_ids)
    result = Ticket(path=ours.path, meta=dict(ours.meta), fm_text=ours.fm_text,
                    records=_union(ours, theirs, deleted, base_ids), preamble=ours.preamble)

    conflicts: list[str] = []
    updates: dict[str, Any] = {}
    base_meta = base.meta if base else {}
    for key in list(dict.fromkeys([*ours.meta, *theirs.meta])):
        mine, other, old = ours.meta.get(key), theirs.meta.get(key), base_meta.get(key)
        if mine == other or other == old:
            continue
        if mine == old:
            updates[key] = other
        elif key == "updated":
            updates[key] = max(v for v in (mine, other) if v is not None)
        elif key in LIST_FIELDS:
            updates[key] = _merge_list(old or [], mine or [], other or [])
        elif key in EVENT_FIELDS and _last_set(result.records, key) is not _MISSING:
            pass  # set from the merged history below
        else:
            conflicts.append(f"{key}: ours {mine!r}, theirs {other!r}; kept ours")
    # The front matter is what the merged history says, even where one side's
    # net value did not change (open -> pending -> open) but its events now
    # come last.
    for key in EVENT_FIELDS:
        value = _last_set(result.records, key)
        if value is not _MISSING and value != updates.get(key, ours.meta.get(key)):
            updates[key] = value
    stamps = [v for v in (ours.meta.get("updated"), theirs.meta.get("updated")) if isinstance(v, datetime)]
    if len(stamps) == 2 and all(s.tzinfo for s in stamps) and max(stamps) != ours.meta.get("updated"):
        updates["updated"] = max(stamps)
    if updates:
        result.set_fields(updates)
    return MergeResult(result.render(), conflicts)


_MISSING = object()


def _union(ours: Ticket, theirs: Ticket, deleted: set[str], base_ids: set[str]) -> list[Record]:
    """Both sides' records in time order; the same whichever side is ours.

    Records both sides have keep our order. New records at the same instant
    are grouped by side, and the groups ordered by their first record id, so
    who runs the merge does not change the file.
    """
    theirs_ids = {r.id for r in theirs.records}
    ours_ids = {r.id for r in ours.records}
    keyed = []
    for n, record in enumerate(ours.records):
        if record.id in deleted:
            continue
        shared = record.id in theirs_ids or record.id in base_ids
        keyed.append((record, shared, "ours", n))
    for n, record in enumerate(theirs.records):
        if record.id not in ours_ids and record.id not in deleted:
            keyed.append((Record(record.kind, record.id, record.at, record.author, record.role, record.body,
                                 merged_from=record.merged_from), False, "theirs", n))
    first: dict[tuple, str] = {}
    for record, shared, side, _ in keyed:
        if not shared:
            first[(record.at, side)] = min(first.get((record.at, side), record.id), record.id)
    keyed.sort(key=lambda k: (k[0].at, not k[1], "" if k[1] else first[(k[0].at, k[2])], k[3]))
    return [k[0] for k in keyed]


def _last_set(records: list[Record], key: str) -> Any:
    value: Any = _MISSING
    for record in records:  # time order: the last event that set the field wins
        for change in record.changes():
            if change.field == key and change.op == "set":
                value = change.new
    return value


def _merge_list(base: list, ours: list, theirs: list) -> list:
    removed = (set(base) - set(ours)) | (set(base) - set(theirs))
    out = [v for v in ours if v not in removed]
    out += [v for v in theirs if v not in out and v not in removed]
    return out
