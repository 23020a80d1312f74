"""Edits to KB files: a new article from a template, status, review date, linked tickets."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date, datetime
from typing import Any

import yaml

from supportctl.base.yamlio import Stamp, load_fast, rt_dump, rt_load
from supportctl.errors import SupportctlError, UsageError
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
tags: {{ tags | yaml }}
owner: {{ owner | yaml }}
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
# What `kb new` may start an article as: publishing goes through `kb status`, which checks it first.
NEW_STATUSES = ("draft", "review")


def yaml_value(value: Any) -> str:
    """`value` as a YAML scalar or flow list: plain where that reads back the same, JSON-quoted otherwise."""
    if value is None:
        return "null"
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
        return "[" + ", ".join(t if _reads_back(f"k: [{t}]\n", [t]) else _quoted(t) for t in items) + "]"
    text = str(value)
    return text if _reads_back(f"k: {text}\n", text) else _quoted(text)


def _reads_back(doc: str, want: Any) -> bool:
    try:
        return load_fast(doc) == {"k": want}
    except yaml.YAMLError:
        return False


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def one_line(value: str, what: str) -> str:
    """`value` with its whitespace (newlines included) collapsed; control characters are refused."""
    text = " ".join(value.split())
    if any(not c.isprintable() for c in text):
        raise UsageError(f"the {what} contains a control character", hint=f"write the {what} as plain text")
    return text


def new_article(kb: Kb, *, title: str, category: str, slug: str | None = None, description: str = "",
                tags: list[str] | None = None, owner: str | None = None, visibility: str = "public", today: date,
                template: str | None = None, desk_name: str = "", template_path: str | None = None
                ) -> tuple[str, str]:
    """(relative path, text) of a new draft article, rendered from `template` (its source; default: the built-in).

    Every value is checked to read back as given, so a template that writes one
    unquoted cannot turn it into other keys (`owner: bob` + newline + `status: published`).
    """
    title = one_line(title, "title")
    if not title:
        raise UsageError("the title is empty", hint="give the article a title")
    description = one_line(description, "description")
    if owner is not None and one_line(owner, "owner") != owner:
        raise UsageError(f"owner {owner!r} must be one line", hint="owners are agent handles, e.g. --owner alice")
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
    from supportctl.templating import render_source

    # `{{ owner }}` with no owner writes null, as older desk templates expect.
    text = render_source(template if template is not None else DEFAULT_TEMPLATE,
                         dict(title=title, description=description, tags=tags, owner=owner, visibility=visibility,
                              category=category, slug=slug, today=today.isoformat(), desk={"name": desk_name}),
                         rel=template_path or "article template", keep_trailing_newline=True,
                         filters={"tojson": _quoted, "yaml": yaml_value},
                         finalize=lambda v: "null" if v is None else v,
                         hint="the template may use title, description, tags, owner, visibility, category, slug, "
                              "today and desk.name")
    rel = f"kb/{category}/{slug}.md"
    article = parse_article(text, rel)
    given = {"title": title, "description": description, "visibility": visibility, "tags": tags, "owner": owner}
    for key, value in given.items():
        if key in article.meta and article.meta[key] != value and not (article.meta[key] in (None, "")
                                                                         and value in (None, "", [])):
            raise SupportctlError(f"the article template writes {key} as {article.meta[key]!r}, not {value!r}",
                                  hint=f"quote it in the template: {key}: {{{{ {key} | tojson }}}}")
    if article.status not in NEW_STATUSES:
        raise SupportctlError(f"the article template sets status {article.status or 'none'!r}; new articles are "
                              "drafts", hint="write status: draft (publish with `supportctl kb status SLUG "
                                             "published`, which checks the article first)")
    return rel, text


def category_file_text(title: str, order: int, description: str = "") -> str:
    """The `_category.yml` of a new category (values JSON-quoted, so any title is safe)."""
    title, description = one_line(title, "category title"), one_line(description, "category description")
    return (f"title: {json.dumps(title, ensure_ascii=False)}\norder: {order}\n"
            f"description: {json.dumps(description, ensure_ascii=False)}\n")


def edit_front_matter(article: Article, updates: dict[str, Any], *, append: dict[str, str] | None = None) -> str:
    """The article's text with front-matter fields changed by a round-trip edit (minimal diff)."""
    from ruamel.yaml.comments import CommentedSeq

    doc = rt_load(article.fm_text)
    for key, value in updates.items():
        if isinstance(value, date) and not isinstance(value, datetime):
            value = Stamp(value.isoformat())
        elif isinstance(value, list):
            value = [_safe(v) for v in value]
        doc[key] = _safe(value)
    for key, value in (append or {}).items():
        seq = doc.get(key)
        if seq is None:
            seq = CommentedSeq()
            doc[key] = seq
        if value not in seq:
            seq.append(_safe(value))
    fm = rt_dump(doc)
    # Read it back as every other reader will (PyYAML, YAML 1.1): a value
    # that comes back different, or as other keys, is refused, not written.
    try:
        meta = load_fast(fm) or {}
    except yaml.YAMLError as exc:
        raise SupportctlError(f"{article.path}: the edited front matter would not be valid YAML ({exc})",
                              hint="fix the front matter by hand, then retry") from None
    wrong = [(key, value) for key, value in updates.items() if meta.get(key) != value]
    wrong += [(key, value) for key, value in (append or {}).items()
              if not isinstance(meta.get(key), list) or value not in meta[key]]
    if wrong:
        key, value = wrong[0]
        raise SupportctlError(f"{article.path}: {key} {value!r} would be read back as {meta.get(key)!r}",
                              hint="the value needs quoting; edit the file by hand")
    return "---\n" + fm + "---\n" + article.body


def _safe(value: Any) -> Any:
    """A string YAML 1.1 would read as something else (`yes`, `1:20`) double-quoted; anything else as it is."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if isinstance(value, str) and not isinstance(value, Stamp) and yaml_value(value) != value:
        return DoubleQuotedScalarString(value)
    return value


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
