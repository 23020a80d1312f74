"""How often articles helped: tickets that link them, how many of those were solved, and the
feedback readers sent about them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from supportctl.kb.model import Article, str_list

if TYPE_CHECKING:
    from supportctl.config.model import Config

FEEDBACK_TAG = "kb-feedback"   # a ticket filed from "Was this page helpful? No" (subject "... [kb:<slug>]")


def is_feedback(ticket: Any) -> bool:
    return FEEDBACK_TAG in str_list(ticket.meta.get("tags"))


def usage_counts(articles: list[Article], tickets: list[Any], config: Config) -> dict[str, dict[str, int]]:
    """slug -> {"linked": tickets linking it, "resolved": of those, solved or closed, "feedback": reader
    feedback tickets about it}. Feedback is not use: it counts in neither "linked" nor "resolved"."""
    out = {a.slug: {"linked": 0, "resolved": 0, "feedback": 0} for a in articles}
    for t in tickets:
        links = str_list(t.meta.get("kb"))
        if is_feedback(t):
            for slug in set(links):
                if slug in out:
                    out[slug]["feedback"] += 1
            continue
        category = config.lifecycle.category(t.status)
        for slug in set(links):
            if slug in out:
                out[slug]["linked"] += 1
                if category in ("solved", "closed"):
                    out[slug]["resolved"] += 1
    return out


def most_used(articles: list[Article], tickets: list[Any], config: Config) -> list[str]:
    """Slugs of the articles that solved tickets link, most first (ties: more links, then title)."""
    counts = usage_counts(articles, tickets, config)
    used = [a for a in articles if counts[a.slug]["resolved"]]
    used.sort(key=lambda a: (-counts[a.slug]["resolved"], -counts[a.slug]["linked"], a.title.casefold()))
    return [a.slug for a in used]
