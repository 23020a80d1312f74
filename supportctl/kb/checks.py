"""`kb check`: front matter, links, anchors, duplicates, staleness and personal data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING

from supportctl.base.yamlio import Ambiguous
from supportctl.kb.content import boilerplate_left, images_without_alt, shallow_nested_lists, skipped_headings
from supportctl.kb.links import SCHEME_RE, anchors_of, links_of, raw_html, resolve
from supportctl.kb.model import (FIELDS, HOME_FILE, REQUIRED, SITE_FIELDS, SLUG_RE, STATUSES, TAG_RE, VISIBILITIES,
                                 Article, Kb, KbProblem, parse_article)
from supportctl.kb.privacy import pii_findings

if TYPE_CHECKING:
    from supportctl.config.model import Config

# Front-matter text the help site shows (tags are slugs, so they cannot hold an address).
PUBLISHED_FIELDS = ("title", "description", "subtitle")
HTML_HINT = ("write it in Markdown (`<` as &lt;), or let authors publish raw HTML with kb.allow_html: true "
             "in supportctl.yml")
PII_HINT = "remove it, use an example.com address or 555-01xx number, or list it under kb.pii_allow"


def check_articles(kb: Kb, config: Config | None, now: datetime) -> list[KbProblem]:
    """Every problem in the KB, in file order. Pure: no disk, no clock."""
    problems: list[KbProblem] = list(kb.problems)
    stale_months = config.kb.stale_after_months if config else 12
    allow = list(config.kb.pii_allow) if config else []
    if config and config.desk.support_email:
        allow.append(config.desk.support_email)
    custom = set(config.kb.extra_fields) if config else set()
    agents = set(config.agent_map()) if config else set()
    allow_html = bool(config and config.kb.allow_html)
    symlinks = {p.path for p in kb.problems if p.code == "symlink"}
    today = now.date()

    slugs: dict[str, list[Article]] = {}
    titles: dict[str, list[Article]] = {}
    for a in kb.articles:
        slugs.setdefault(a.slug, []).append(a)
        if a.status != "archived":
            titles.setdefault(a.title.casefold(), []).append(a)

    for a in kb.articles:
        def add(code: str, message: str, hint: str | None, key: str | None = None, line: int | None = None,
                blocking: bool = True, _a: Article = a) -> None:
            if line is None:
                line = _a.line_of(key) if key else 1
            problems.append(KbProblem(code, message, hint, path=_a.path, line=line, blocking=blocking,
                                      slug=_a.slug))

        # -- front matter
        if not SLUG_RE.match(a.slug):
            add("slug", f"the file name {a.slug!r} is not a slug", "use lowercase letters, digits and dashes, "
                "e.g. reset-your-password.md")
        if a.category not in kb.categories:
            add("location", f"category folder {a.category!r} is missing", "move the article into a category folder")
        for key, value in a.meta.items():
            if key not in FIELDS and key not in SITE_FIELDS and key not in custom:
                add("front-matter", f"unknown key {key!r}",
                    f"article keys: {', '.join(FIELDS)}; check the spelling", key=key)
            elif isinstance(value, Ambiguous):
                add("front-matter", f"{key}: ambiguous value {value.text}", value.hint(), key=key)
        for key in REQUIRED:
            if a.meta.get(key) in (None, ""):
                add("front-matter", f"missing {key}", _required_hint(key))
        if a.status and a.status not in STATUSES:
            add("front-matter", f"status {a.status!r} is not one of {', '.join(STATUSES)}",
                f"use `supportctl kb status {a.slug} published` (or draft, review, archived)", key="status")
        if a.visibility and a.visibility not in VISIBILITIES:
            add("front-matter", f"visibility {a.visibility!r} is not public or internal",
                "internal articles are for agents only and never reach the site", key="visibility")
        for key in ("tags", "related", "tickets"):
            if a.meta.get(key) is not None and not isinstance(a.meta.get(key), list):
                add("front-matter", f"{key} must be a list", f"write {key}: [a, b]", key=key)
        for tag in a.tags:
            if not TAG_RE.match(tag):
                add("front-matter", f"tag {tag!r} is not lowercase-with-dashes",
                    "tags are lowercase words joined by dashes, e.g. bank-feeds", key="tags")
        if "updated" in a.meta and a.meta["updated"] is not None and a.updated is None:
            add("front-matter", f"updated {a.meta['updated']!r} is not a date", "write updated: 2026-11-20",
                key="updated")
        if a.owner and agents and a.owner not in agents:
            add("front-matter", f"owner {a.owner!r} is not an agent", "owners are agent handles from supportctl.yml",
                key="owner", blocking=False)
        if not a.description and a.status != "archived":
            add("description", "missing description",
                "write a one-sentence description: search results and link previews show it",
                key="description" if "description" in a.meta else None, blocking=a.public)
        elif len(a.description) > 200:
            add("description", f"description is {len(a.description)} characters long",
                "keep it under 200 characters; it is shown in search results", key="description", blocking=False)

        # -- duplicates
        if len(slugs[a.slug]) > 1:
            others = ", ".join(o.path for o in slugs[a.slug] if o is not a)
            add("duplicate", f"slug {a.slug!r} is used twice (also {others})",
                "slugs are unique across categories: rename one file")
        if a.status != "archived" and len(titles.get(a.title.casefold(), [])) > 1:
            others = ", ".join(o.path for o in titles[a.title.casefold()] if o is not a)
            add("duplicate", f"title {a.title!r} is used twice (also {others})",
                "give each article a distinct title so customers can tell them apart", key="title")

        # -- stale
        if a.status == "published":
            updated = a.updated
            if updated is None:
                add("stale", "published article has no updated date", "add updated: YYYY-MM-DD", key=None,
                    blocking=False)
            elif months_between(updated, today) >= stale_months:
                add("stale", f"not updated since {updated.isoformat()} (more than {stale_months} months)",
                    f"review it, then `supportctl kb reviewed {a.slug}` (kb.stale_after_months sets the limit)",
                    key="updated", blocking=False)

        # -- links
        for link in links_of(a):
            target = link.target
            if not target or SCHEME_RE.match(target) or target.startswith("//"):
                continue
            if target.startswith("/"):
                add("link", f"absolute link {target!r}", "link to the article's file relatively, e.g. "
                    "../billing/refund-a-payment.md", line=link.line, blocking=a.public)
                continue
            path, anchor = resolve(a, target)
            if path.endswith(".md"):
                dest = kb.by_path.get(path)
                if dest is None:
                    add("link", f"broken link {target!r}: no article {path}",
                        "check the category folder and the slug", line=link.line, blocking=a.public)
                    continue
                if anchor and anchor not in anchors_of(dest):
                    add("anchor", f"broken anchor {target!r}: {dest.slug} has no heading #{anchor}",
                        "anchors are heading ids: lowercase words joined by dashes", line=link.line,
                        blocking=a.public)
                if a.public and not dest.public:
                    add("leak", f"public article links to {dest.status} {dest.visibility} article {dest.slug}",
                        "that article is not on the help site: remove the link or publish it as public",
                        line=link.line)
            elif path == a.path:
                if anchor and anchor not in anchors_of(a):
                    add("anchor", f"broken anchor #{anchor}", "anchors are heading ids", line=link.line,
                        blocking=a.public)
            elif any(path == s or path.startswith(s + "/") for s in symlinks):
                add("link", f"link {target!r} leads through a symbolic link", "the help site does not publish "
                    "links: put the file itself in kb/", line=link.line)
            elif not path.startswith("kb/") or path not in kb.assets:
                add("link", f"broken link {target!r}", "link to an article's .md file or to a file in kb/",
                    line=link.line, blocking=a.public)
        for slug in a.related:
            dest = kb.by_slug.get(slug)
            if dest is None:
                add("link", f"related: no article {slug!r}", "related lists article slugs", key="related",
                    blocking=a.public)
            elif dest is a:
                add("link", "related lists the article itself", "remove it", key="related", blocking=False)
            elif a.public and not dest.public:
                add("leak", f"related: {slug} is {dest.status} {dest.visibility}, not on the help site",
                    "remove it from related, or publish it as public", key="related")

        # -- content that renders wrong or reads unfinished
        problems.extend(_content_problems(a, kb.boilerplate))

        # -- raw HTML: the site publishes it as written, scripts included
        if not allow_html:
            for line, what in raw_html(a.body, a.body_line):
                add("html", f"{what} in the body", HTML_HINT, line=line, blocking=a.public)

        # -- personal data
        if a.public:
            for n, kind, value in pii_findings(a.body, allow):
                add("personal-data", f"{kind} {value!r} in a public article", PII_HINT, line=a.body_line + n)
            for key in PUBLISHED_FIELDS:
                for _, kind, value in pii_findings(_text(a.meta.get(key)), allow):
                    add("personal-data", f"{kind} {value!r} in the {key}", "remove it", key=key)
    problems.extend(_published_text_problems(kb, config, allow))
    if kb.home and not allow_html:
        problems.extend(KbProblem("html", f"{what} on the home page", HTML_HINT, path=f"kb/{HOME_FILE}", line=line)
                        for line, what in raw_html(kb.home))
    problems.sort(key=lambda e: (e.path or "", e.line or 0))
    return problems


def _published_text_problems(kb: Kb, config: Config | None, allow: list[str]) -> list[KbProblem]:
    """Personal data in what the site shows besides articles: categories with public articles, the home page."""
    out = []
    configured = config.kb.categories if config else {}
    shown = {a.category for a in kb.public()}
    for cat in kb.categories.values():
        if cat.name not in shown:
            continue
        for key in ("title", "description"):
            for _, kind, value in pii_findings(getattr(cat, key), allow):
                in_config = cat.name in configured and getattr(configured[cat.name], key, None) is not None
                out.append(KbProblem("personal-data", f"{kind} {value!r} in the {key} of category {cat.name}",
                                     PII_HINT, path="supportctl.yml" if in_config else cat.path,
                                     line=None if in_config else cat.lines.get(key)))
    for n, kind, value in pii_findings(kb.home or "", allow):
        out.append(KbProblem("personal-data", f"{kind} {value!r} on the home page", PII_HINT,
                             path=f"kb/{HOME_FILE}", line=n + 1))
    return out


def _content_problems(a: Article, boilerplate: frozenset[str]) -> list[KbProblem]:
    """Nested lists that flatten, template text left in, images without alt text, skipped heading levels."""
    def problem(code: str, message: str, hint: str, n: int, blocking: bool = True) -> KbProblem:
        return KbProblem(code, message, hint, path=a.path, line=a.body_line + n, blocking=blocking, slug=a.slug)

    out = [problem("list", f"a nested list item indented by {indent} space{'s' if indent > 1 else ''}",
                   "indent nested list items by four spaces: with fewer, the site shows them as further "
                   "items of the outer list", n, blocking=a.public)
           for n, indent in shallow_nested_lists(a.body)]
    if a.status != "draft":
        out += [problem("boilerplate", f"template text left in: {text[:60]!r}",
                        "replace the article template's placeholder with the article's own words", n,
                        blocking=a.public)
                for n, text in boilerplate_left(a.body, boilerplate)]
    out += [problem("image", "an image without alt text",
                    "describe the image in the brackets, ![Export button in the toolbar](export.png), so "
                    "screen readers and search can use it", n, blocking=a.public)
            for n in images_without_alt(a.body)]
    out += [problem("heading", f"heading level {level} follows level {expected - 1}",
                    f"use {'#' * expected} here: screen readers navigate by heading levels, and the title is "
                    "the page's level 1", n, blocking=False)
            for n, level, expected in skipped_headings(a.body)]
    return out


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _required_hint(key: str) -> str:
    return {"title": "add title: a question or task in the customer's words",
            "status": "add status: draft (or review, published, archived)",
            "visibility": "add visibility: public (or internal, for agents only)"}[key]


def months_between(earlier: date, later: date) -> int:
    """Whole months from `earlier` to `later`."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return months


def publish_problems(kb: Kb, article: Article, text: str, config: Config | None, now: datetime) -> list[KbProblem]:
    """What would stop `article`, rewritten as `text`, from being published.

    Checked as it would be published: a broken link or an email address in
    it would otherwise only surface at the next site build.
    """
    updated = parse_article(text, article.path)
    candidate = replace(kb, articles=[updated if a is article else a for a in kb.articles])
    return [p for p in check_articles(candidate, config, now) if p.path == article.path and p.blocking]
