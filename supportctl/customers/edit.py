"""Changes to customer and organisation files: new, set, merge (pure: data in, data out; comments kept)."""

from __future__ import annotations

from typing import Any

from supportctl.customers.model import CUSTOMER_KEYS, HANDLE_KEYS, ORG_KEYS, as_list
from supportctl.errors import UsageError
from supportctl.tickets.people import parse_handle

SETTABLE_CUSTOMER = ("name", "organization", "plan", "notes")
SETTABLE_ORG = ("name", "plan", "notes")


def ordered(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The mapping with its keys in the documented order (unknown keys last), as ruamel writes it."""
    from ruamel.yaml.comments import CommentedMap

    out = CommentedMap()
    for key in keys:
        if key in data and data[key] not in (None, [], {}):
            out[key] = data[key]
    for key in data:
        if key not in keys:
            out[key] = data[key]
    return out


def add_handles(data: Any, handles: list[str]) -> None:
    """Add handles as typed (an email, +phone, github:login, @social) to a customer mapping."""
    for text in handles:
        kind, value = parse_handle(text)
        have = as_list(data.get(kind))
        if value not in have:
            have.append(value)
        data[kind] = have[0] if len(have) == 1 else have


def remove_handles(data: Any, handles: list[str]) -> None:
    for text in handles:
        kind, value = parse_handle(text)
        have = [v for v in as_list(data.get(kind)) if v.lower() != value.lower()]
        if not have:
            data.pop(kind, None)
        else:
            data[kind] = have[0] if len(have) == 1 else have


def set_values(data: Any, values: dict[str, str | None], settable: tuple[str, ...]) -> None:
    """`key=value` settings: documented keys, or `fields.NAME`; an empty value removes the key."""
    for key, value in values.items():
        if key.startswith("fields."):
            fields = data.get("fields")
            if not isinstance(fields, dict):
                fields = data["fields"] = {}
            name = key[len("fields."):]
            if value in (None, ""):
                fields.pop(name, None)
            else:
                fields[name] = value
            if not fields:
                data.pop("fields", None)
            continue
        if key not in settable:
            raise UsageError(f"cannot set {key!r}", hint=f"set one of: {', '.join(settable)}, or fields.NAME")
        if value in (None, ""):
            data.pop(key, None)
        else:
            data[key] = value


def merge_customers(keep: Any, gone: Any) -> Any:
    """`gone`'s handles, fields, notes and NPS answers added to `keep` (which wins where both have a value)."""
    for kind in HANDLE_KEYS:
        values = as_list(keep.get(kind)) + [v for v in as_list(gone.get(kind)) if v not in as_list(keep.get(kind))]
        if values:
            keep[kind] = values[0] if len(values) == 1 else values
    for key in ("name", "organization", "plan"):
        if not keep.get(key) and gone.get(key):
            keep[key] = gone[key]
    if gone.get("notes"):
        keep["notes"] = "\n\n".join(n for n in (keep.get("notes"), gone.get("notes")) if n)
    if isinstance(gone.get("fields"), dict):
        fields = keep.get("fields") if isinstance(keep.get("fields"), dict) else {}
        keep["fields"] = {**gone["fields"], **fields}
    answers = list(keep.get("nps") or []) + list(gone.get("nps") or [])
    if answers:
        keep["nps"] = sorted(answers, key=lambda a: str(a.get("at", "")) if isinstance(a, dict) else "")
    return ordered(keep, CUSTOMER_KEYS)


__all__ = ["CUSTOMER_KEYS", "ORG_KEYS", "ordered", "add_handles", "remove_handles", "set_values",
           "merge_customers"]
