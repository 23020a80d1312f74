"""A rule's `if`: does a ticket pass every condition? (A list of values means any of them.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from supportctl.config.fields import as_list
from supportctl.config.views import Conditions
from supportctl.sla.policy import email_matches, requester_email


def _has(meta: dict[str, Any], name: str, wanted: list[str]) -> bool:  # custom fields
    value = meta.get(name)
    text = "none" if value in (None, "") else str(value)
    return text.lower() in {w.lower() for w in wanted}


def _tags(meta: dict[str, Any]) -> set[str]:
    tags = meta.get("tags") or []
    return {str(t).lower() for t in (tags if isinstance(tags, list) else [tags])}


@lru_cache(maxsize=256)
def word_pattern(words: tuple[str, ...]) -> re.Pattern:
    """Whole words or phrases, case-insensitive: `refund` matches "Refund please", not "refunded"."""
    return re.compile("|".join(r"(?<!\w)" + r"\s+".join(map(re.escape, w.split())) + r"(?!\w)" for w in words),
                      re.IGNORECASE)


def requester_in(config, email: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        if pattern.startswith("customers:"):
            if any(email_matches(email, p) for p in config.customers.get(pattern[10:], [])):
                return True
        elif email_matches(email, pattern):
            return True
    return False


_COMPILED: dict[int, tuple] = {}


def _compiled(cond: Conditions) -> tuple:
    """The condition's value lists, lower-cased once (a run checks every rule against every ticket)."""
    found = _COMPILED.get(id(cond))
    if found is None or found[0] is not cond:
        fields = tuple((name, frozenset(w.lower() for w in as_list(getattr(cond, name))))
                       for name in ("channel", "priority", "type", "status", "group", "assignee")
                       if getattr(cond, name) is not None)
        tags = tuple(frozenset(t.lower() for t in as_list(v)) if v is not None else None
                     for v in (cond.tags, cond.tags_any, cond.not_tags))
        found = (cond, fields, tags)
        _COMPILED[id(cond)] = found
    return found[1:]


def failing(cond: Conditions, meta: dict[str, Any], config, text: Callable[[], str]) -> str | None:
    """The first condition the ticket fails (as `name`), or None when it passes them all.

    `text()` is the message the rule looks at (the one that raised the event,
    or the latest customer message); it is only asked for when a `text`
    condition is reached, so a rule needs no file read unless it looks at words.
    """
    fields, (all_tags, any_tags, no_tags) = _compiled(cond)
    for name, wanted in fields:
        value = meta.get(name)
        if ("none" if value is None or value == "" else str(value).lower()) not in wanted:
            return name
    if cond.category is not None:
        category = config.lifecycle.category(str(meta.get("status", "")))
        if category not in as_list(cond.category):
            return "category"
    if all_tags is not None or any_tags is not None or no_tags is not None:
        tags = _tags(meta)
        if all_tags is not None and not all_tags <= tags:
            return "tags"
        if any_tags is not None and not any_tags & tags:
            return "tags_any"
        if no_tags is not None and no_tags & tags:
            return "not_tags"
    if cond.requester is not None or cond.not_requester is not None:
        email = requester_email(meta)
        if cond.requester is not None and not requester_in(config, email, as_list(cond.requester)):
            return "requester"
        if cond.not_requester is not None and requester_in(config, email, as_list(cond.not_requester)):
            return "not_requester"
    if cond.organization is not None or cond.plan is not None:
        _, org, plan = config.customer_of(meta)
        if cond.organization is not None and (org or "none").lower() not in {v.lower() for v in as_list(cond.organization)}:
            return "organization"
        if cond.plan is not None and (plan or "none").lower() not in {v.lower() for v in as_list(cond.plan)}:
            return "plan"
    for name, wanted in cond.fields.items():
        if not _has(meta, name, as_list(wanted)):
            return f"fields.{name}"
    title = str(meta.get("title", ""))
    if cond.subject is not None and not word_pattern(tuple(as_list(cond.subject))).search(title):
        return "subject"
    if cond.text is not None:
        pattern = word_pattern(tuple(as_list(cond.text)))
        if not pattern.search(title) and not pattern.search(text()):
            return "text"
    return None


def matches(cond: Conditions, meta: dict[str, Any], config, text: Callable[[], str]) -> bool:
    return failing(cond, meta, config, text) is None
