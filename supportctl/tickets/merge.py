"""Three-way merge of one ticket file, for git's merge driver.

Records merge as a union by id (every record is self-contained), so two
branches that both replied to a ticket keep both replies. A field a branch
changed by a command (an event records it: status, priority, assignee, group,
title, a custom field) takes the value of the latest change in the merged
history, which keeps the fields and the history consistent. Other fields
merge three-way: one side's change is taken, lists (tags, links) merge as
both sides' additions less either side's removals, and a field both sides
changed to different values, at least one by hand, is a conflict: "ours" is
kept, every record is merged, and the driver exits 1 so git stops the merge
for a person to decide. The result is the same whichever branch is "ours".
"""

from __future__ import annotations

from dataclasses import field
from datetime import datetime
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.tickets.format import parse_ticket
from supportctl.tickets.model import Record, Ticket

LIST_FIELDS = ("tags", "kb", "related", "cc")


@datatype
class MergeResult:
    """A ticket merged from two versions: its text and what could not be merged."""

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
    # What the last event setting each field recorded: in the merged history,
    # among the records the branches added, and in each side's own history.
    merged = _last_values(result.records)
    added = _last_values([r for r in result.records if r.id not in base_ids])
    own = {id(side): _last_values(side.records) for side in (ours, theirs)}
    for key in list(dict.fromkeys([*ours.meta, *theirs.meta])):
        if key == "updated":
            continue  # the later of the two, below
        mine, other, old = ours.meta.get(key), theirs.meta.get(key), base_meta.get(key)
        if key in added and all(_explained(side.meta.get(key), old, own[id(side)].get(key, _MISSING))
                                for side in (ours, theirs)):
            # A branch recorded a change of this field, and each side's value is
            # what its own history says: the last change in the merged history
            # wins, even where one side's net value did not change (open ->
            # pending -> open) but its events now come last.
            value = merged[key]
            if not _same(mine, value):
                updates[key] = other if _same(other, value) else value
            continue
        if mine == other or other == old:
            continue
        if mine == old:
            updates[key] = other
        elif key in LIST_FIELDS and all(isinstance(v, list) for v in (old or [], mine or [], other or [])):
            try:
                updates[key] = _merge_list(old or [], mine or [], other or [])
            except TypeError:  # a hand-written value that is not a name (check reports it)
                conflicts.append(f"{key}: ours {mine!r}, theirs {other!r}; kept ours")
        else:
            # Both sides changed it, and at least one by hand (no record says
            # why): a person decides. The file keeps ours, with every record.
            conflicts.append(f"{key}: ours {mine!r}, theirs {other!r}; kept ours")
    stamps = [v for v in (ours.meta.get("updated"), theirs.meta.get("updated")) if isinstance(v, datetime)]
    if len(stamps) == 2 and all(s.tzinfo for s in stamps) and max(stamps) != ours.meta.get("updated"):
        updates["updated"] = max(stamps)
    if updates:
        result.set_fields(updates)
    return MergeResult(result.render(), conflicts)


_MISSING = object()


def _same(value: Any, recorded: Any) -> bool:
    """A front-matter value against an event's text (events record `50` for seats: 50)."""
    if value is None or recorded is None or recorded is _MISSING:
        return value is None and recorded is None
    return value == recorded or str(value) == str(recorded)


def _explained(value: Any, old: Any, recorded: Any) -> bool:
    """The side left the field as it was, or holds what its own history last set (no hand edit on top)."""
    return value == old or _same(value, recorded)


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


def _last_values(records: list[Record]) -> dict[str, Any]:
    """Field -> the value its last `set` change recorded, in time order (the last event wins)."""
    values: dict[str, Any] = {}
    for record in records:
        for change in record.changes():
            if change.op == "set":
                values[change.field] = change.new
    return values


def _merge_list(base: list, ours: list, theirs: list) -> list:
    """Both sides' additions, neither side's removals; the same list whichever side is ours.

    A list both sides keep sorted (the `tag` command sorts tags) stays sorted;
    otherwise what the base had keeps its place and the additions follow,
    sorted, rather than in the order of whoever runs the merge.
    """
    removed = (set(base) - set(ours)) | (set(base) - set(theirs))
    out = [v for v in ours if v not in removed]
    out += [v for v in theirs if v not in out and v not in removed]
    if _sorted(ours) and _sorted(theirs):
        return sorted(out, key=str)
    kept = [v for v in base if v in out]
    return kept + sorted((v for v in out if v not in kept), key=str)


def _sorted(values: list) -> bool:
    keys = [str(v) for v in values]
    return keys == sorted(keys)
