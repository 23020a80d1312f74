"""A rule's `if`: does a ticket pass every condition? (A list of values means any of them.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from supportctl.config.automation import Conditions, as_list
from supportctl.sla.policy import email_matches, requester_email


def _has(meta: dict[str, Any], name: str, wanted: list[str]) -> bool:
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


def failing(cond: Conditions, meta: dict[str, Any], config, text: Callable[[], str]) -> str | None:
    """The first condition the ticket fails (as `name`), or None when it passes them all.

    `text()` is the message the rule looks at (the one that raised the event,
    or the latest customer message); it is only asked for when a `text`
    condition is reached, so a rule needs no file read unless it looks at words.
    """
    for name in ("channel", "priority", "type", "status", "group", "assignee"):
        wanted = as_list(getattr(cond, name))
        if wanted and not _has(meta, name, wanted):
            return name
    if cond.category is not None:
        category = config.lifecycle.category(str(meta.get("status", "")))
        if category not in as_list(cond.category):
            return "category"
    tags = _tags(meta)
    if cond.tags is not None and not {t.lower() for t in as_list(cond.tags)} <= tags:
        return "tags"
    if cond.tags_any is not None and not {t.lower() for t in as_list(cond.tags_any)} & tags:
        return "tags_any"
    if cond.not_tags is not None and {t.lower() for t in as_list(cond.not_tags)} & tags:
        return "not_tags"
    if cond.requester is not None or cond.not_requester is not None:
        email = requester_email(meta)
        if cond.requester is not None and not requester_in(config, email, as_list(cond.requester)):
            return "requester"
        if cond.not_requester is not None and requester_in(config, email, as_list(cond.not_requester)):
            return "not_requester"
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
