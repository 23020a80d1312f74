"""Edits to KB files: a new article from a template, status, review date, linked tickets."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime
from pathlib import Path
from typing import Any

from supportctl.base.yamlio import Stamp, rt_dump, rt_load
from supportctl.errors import NotFound, SupportctlError, UsageError
from supportctl.kb.model import SLUG_RE, STATUSES, TAG_RE, VISIBILITIES, Article, Kb, parse_article


def slugify(title: str) -> str:
    """A file name from a title: ASCII lowercase words joined by dashes."""
    value = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    value = re.sub(r"[^a-z0-9]+", "-", value).strip("-")
    return value[:60].rstrip("-") or "article"


DEFAULT_TEMPLATE = """\
---
title: {{ title | tojson }}
description: {{ description | tojson }}
status: draft
visibility: {{ visibility }}
tags: [{{ tags | join(", ") }}]
owner: {{ owner }}
updated: {{ today }}
related: []
---

Start with one or two sentences that answer the question directly.

## Before you start

- What the customer needs (plan, role, access).

## Steps

1. First step.
2. Second step.

## If it still does not work

What to check next, and when to contact support.
"""


def new_article(root: Path, kb: Kb, *, title: str, category: str, slug: str | None = None,
                description: str = "", tags: list[str] | None = None, owner: str | None = None,
                visibility: str = "public", today: date, template: str | None = None,
                desk_name: str = "") -> tuple[str, str]:
    """(relative path, text) of a new draft article, rendered from a template."""
    from jinja2 import StrictUndefined
    from jinja2.exceptions import TemplateError, UndefinedError
    from jinja2.sandbox import SandboxedEnvironment

    title = " ".join(title.split())
    if not title:
        raise UsageError("the title is empty", hint="give the article a title")
    if not SLUG_RE.match(category):
        raise UsageError(f"category {category!r} is not a folder name",
                         hint="categories are lowercase-with-dashes folders in kb/, e.g. billing")
    slug = slug or slugify(title)
    if not SLUG_RE.match(slug):
        raise UsageError(f"slug {slug!r} is not lowercase-with-dashes", hint="e.g. --slug reset-your-password")
    if slug in kb.by_slug:
        raise SupportctlError(f"an article {slug!r} already exists ({kb.by_slug[slug].path})",
                              hint="choose another --slug")
    if visibility not in VISIBILITIES:
        raise UsageError(f"visibility {visibility!r} is not public or internal", hint="--visibility public")
    tags = [t.strip().lower() for t in (tags or []) if t.strip()]
    for tag in tags:
        if not TAG_RE.match(tag):
            raise UsageError(f"tag {tag!r} is not lowercase-with-dashes", hint="e.g. --tag bank-feeds")
    source = DEFAULT_TEMPLATE
    if template is not None:
        tpath = root / "templates" / "kb" / f"{template}.md"
        if not tpath.is_file():
            raise NotFound(f"no article template {template!r} (templates/kb/{template}.md)",
                           hint="ls templates/kb/ to see the templates")
        source = tpath.read_text(encoding="utf-8")
    elif (root / "templates" / "kb" / "article.md").is_file():
        source = (root / "templates" / "kb" / "article.md").read_text(encoding="utf-8")
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    env.filters["tojson"] = lambda v: json.dumps(v, ensure_ascii=False)
    try:
        text = env.from_string(source).render(title=title, description=description, tags=tags, owner=owner or "null",
                                              visibility=visibility, category=category, slug=slug,
                                              today=today.isoformat(), desk={"name": desk_name})
    except UndefinedError as exc:
        raise SupportctlError(f"article template: {exc.message}", hint="the template may use title, description, "
                              "tags, owner, visibility, category, slug, today and desk.name") from None
    except TemplateError as exc:
        raise SupportctlError(f"article template: {exc}", hint="fix the Jinja2 syntax") from None
    rel = f"kb/{category}/{slug}.md"
    article = parse_article(text, rel)
    if article.status not in STATUSES:
        raise SupportctlError("the article template does not set a valid status", hint="add status: draft")
    return rel, text


def category_file_text(title: str, order: int, description: str = "") -> str:
    """The `_category.yml` of a new category (values JSON-quoted, so any title is safe)."""
    return (f"title: {json.dumps(title, ensure_ascii=False)}\norder: {order}\n"
            f"description: {json.dumps(description, ensure_ascii=False)}\n")


def edit_front_matter(article: Article, updates: dict[str, Any], *, append: dict[str, str] | None = None) -> str:
    """The article's text with front-matter fields changed by a round-trip edit (minimal diff)."""
    from ruamel.yaml.comments import CommentedSeq

    doc = rt_load(article.fm_text)
    for key, value in updates.items():
        if isinstance(value, date) and not isinstance(value, datetime):
            value = Stamp(value.isoformat())
        doc[key] = value
    for key, value in (append or {}).items():
        seq = doc.get(key)
        if seq is None:
            seq = CommentedSeq()
            doc[key] = seq
        if value not in seq:
            seq.append(value)
    fm = rt_dump(doc)
    return "---\n" + fm + "---\n" + article.body


def set_status(article: Article, status: str, today: date) -> tuple[str, str]:
    """(new text, commit message). Publishing also stamps `updated` (a publish is a review)."""
    if status not in STATUSES:
        raise UsageError(f"unknown status {status!r}", hint=f"use one of: {', '.join(STATUSES)}")
    old = article.status
    if old == status:
        raise SupportctlError(f"{article.slug} is already {status}", hint="nothing to change")
    updates: dict[str, Any] = {"status": status}
    if status == "published":
        updates["updated"] = today
    return edit_front_matter(article, updates), f"kb {article.slug}: {old or 'none'} -> {status}"


def mark_reviewed(article: Article, today: date) -> tuple[str, str]:
    """(new text, commit message): `updated` set to today."""
    if article.updated == today:
        raise SupportctlError(f"{article.slug} is already marked reviewed today", hint="nothing to change")
    return edit_front_matter(article, {"updated": today}), f"kb {article.slug}: reviewed"


def record_ticket(article: Article, ticket_id: str) -> str:
    """The article's text with `ticket_id` added to its `tickets` list."""
    if ticket_id in article.tickets:
        return "---\n" + article.fm_text + "---\n" + article.body
    return edit_front_matter(article, {}, append={"tickets": ticket_id})


def forget_ticket(article: Article, ticket_id: str) -> str:
    """The article's text with `ticket_id` removed from its `tickets` list."""
    if ticket_id not in article.tickets:
        return "---\n" + article.fm_text + "---\n" + article.body
    return edit_front_matter(article, {"tickets": [t for t in article.tickets if t != ticket_id]})
