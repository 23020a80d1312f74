"""What reply, note and rule templates see: the ticket, requester, agent, desk, and the linked articles."""

from __future__ import annotations

from typing import Any

from supportctl import templating


def template_context(desk, ticket, agent: str | None, *, rule: str | None = None) -> dict[str, Any]:
    """templating.ticket_context plus `articles` (linked KB articles with their public URLs) and `rule`.

    `ticket.url` is absent, not empty: the help site has no ticket pages, so
    there is no public address to give; a customer reaches a ticket by
    replying to its mail (docs/automation.md).
    """
    context = templating.ticket_context(desk, ticket, agent)
    context["articles"] = linked_articles(desk, ticket)
    context["rule"] = rule or ""
    return context


def linked_articles(desk, ticket) -> list[dict[str, Any]]:
    """The ticket's `kb` links as {slug, title, url, public}; the KB is read only when there are links."""
    slugs = ticket.meta.get("kb") or []
    if not slugs:
        return []
    from supportctl.errors import SupportctlError
    from supportctl.kb.load import desk_kb
    from supportctl.kb.model import public_url

    kb = desk_kb(desk)
    out = []
    for slug in slugs if isinstance(slugs, list) else [slugs]:
        try:
            article = kb.get(str(slug))
        except SupportctlError:
            continue   # a link to an article since removed: `check` reports it, the template carries on
        out.append({"slug": article.slug, "title": article.title, "public": article.public,
                    "url": public_url(article, desk.config) if article.public else None})
    return out
