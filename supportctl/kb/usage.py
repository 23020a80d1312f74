"""How often articles helped: tickets that link them, and how many of those were solved."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from supportctl.kb.model import Article, str_list

if TYPE_CHECKING:
    from supportctl.config.model import Config


def usage_counts(articles: list[Article], tickets: list[Any], config: Config) -> dict[str, dict[str, int]]:
    """slug -> {"linked": tickets linking it, "resolved": of those, solved or closed}."""
    out = {a.slug: {"linked": 0, "resolved": 0} for a in articles}
    for t in tickets:
        links = str_list(t.meta.get("kb"))
        category = config.lifecycle.category(t.status)
        for slug in set(links):
            if slug in out:
                out[slug]["linked"] += 1
                if category in ("solved", "closed"):
                    out[slug]["resolved"] += 1
    return out
