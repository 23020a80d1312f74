"""Knowledge-base use cases: write, publish, review, check, find and suggest articles."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError
from supportctl.services.session import Session


def load(session: Session):
    """The desk's knowledge base as it is on disk."""
    from supportctl.kb.load import desk_kb

    return desk_kb(session.desk)


@datatype
class Written:
    """An article a command wrote: its path, text and commit, and a category it created on the way."""

    path: str
    text: str
    sha: str | None
    new_category: str | None = None

    def article(self):
        from supportctl.kb.model import parse_article

        return parse_article(self.text, self.path)


def new(session: Session, *, title: str, category: str, slug: str | None = None, description: str = "",
        tags: list[str] | None = None, owner: str | None = None, visibility: str = "public",
        template: str | None = None, category_title: str | None = None, commit: bool = True) -> Written:
    """A new draft article from a template (and its category, when new)."""
    from supportctl.kb.edits import category_file_text, new_article
    from supportctl.kb.load import article_template, title_from_name
    from supportctl.kb.model import CATEGORY_FILE, parse_article

    actor, author = session.agent(), session.author()
    desk = session.desk
    with desk.lock():
        kb = load(session)
        source = article_template(desk.root, template)
        rel, text = new_article(kb, title=title, category=category, slug=slug, description=description,
                                tags=tags or [], owner=owner or actor, visibility=visibility,
                                today=session.now().date(), template=source, desk_name=session.config.desk.name,
                                template_path=f"templates/kb/{template or 'article'}.md" if source else None)
        files = {rel: text}
        created = None
        if category not in kb.categories:
            order = max((c.order for c in kb.categories.values() if c.order < 1000), default=0) + 10
            created = f"kb/{category}/{CATEGORY_FILE}"
            files[created] = category_file_text(category_title or title_from_name(category), order)
        sha = desk.commit_files(files, f"kb {parse_article(text, rel).slug}: new {visibility} draft",
                                author=author, commit=commit)
    return Written(rel, text, sha, created)


class PublishRefused(SupportctlError):
    """An article that fails the publish checks; `problems` lists why."""

    def __init__(self, slug: str, problems: list) -> None:
        n = len(problems)
        super().__init__(f"{slug} cannot be published with {n} problem{'s' if n > 1 else ''}",
                         hint="fix them and publish again")
        self.problems = problems


@datatype
class Edited:
    """An article edit: what it did (the commit message) and the commit."""

    message: str
    sha: str | None


def set_status(session: Session, slug: str, state: str, *, commit: bool = True) -> Edited:
    """Move an article to draft, review, published or archived; publishing checks it first."""
    from supportctl.kb.checks import publish_problems
    from supportctl.kb.edits import set_status as change

    author = session.author()
    desk = session.desk
    with desk.lock():
        kb = load(session)
        article = kb.get(slug)
        now = session.now()
        text, message = change(article, state, now.date())
        if state == "published":
            problems = publish_problems(kb, article, text, session.config, now)
            if problems:
                raise PublishRefused(article.slug, problems)
        sha = desk.commit_files({article.path: text}, message, author=author, commit=commit)
    return Edited(message, sha)


def reviewed(session: Session, slug: str, *, commit: bool = True) -> Edited:
    """Mark an article as reviewed today, so it is no longer stale."""
    from supportctl.kb.edits import mark_reviewed

    author = session.author()
    desk = session.desk
    with desk.lock():
        article = load(session).get(slug)
        text, message = mark_reviewed(article, session.now().date())
        sha = desk.commit_files({article.path: text}, message, author=author, commit=commit)
    return Edited(message, sha)


@datatype
class Found:
    """Articles a listing kept, with usage counts when asked for, and problems met while loading."""

    articles: list
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    problems: list = field(default_factory=list)


def find(session: Session, *, status: list[str] | None = None, visibility: str | None = None,
         category: str | None = None, tag: list[str] | None = None, owner: str | None = None,
         stale: bool = False, used: bool = False) -> Found:
    """Articles that pass the filters, by category and slug (by usage with `used`)."""
    from supportctl.errors import UsageError
    from supportctl.kb.checks import months_between
    from supportctl.kb.model import STATUSES, VISIBILITIES

    for s in status or []:
        if s not in STATUSES:
            raise UsageError(f"unknown status {s!r}", hint=f"use one of: {', '.join(STATUSES)}")
    if visibility and visibility not in VISIBILITIES:
        raise UsageError(f"unknown visibility {visibility!r}", hint="public or internal")
    kb = load(session)
    today = session.now().date()
    months = session.config.kb.stale_after_months
    rows = []
    for a in sorted(kb.articles, key=lambda a: (a.category, a.slug)):
        if status and a.status not in status:
            continue
        if visibility and a.visibility != visibility:
            continue
        if category and a.category != category:
            continue
        if tag and not all(t in a.tags for t in tag):
            continue
        if owner and a.owner != owner:
            continue
        if stale and not (a.status == "published" and (a.updated is None or months_between(a.updated, today)
                                                        >= months)):
            continue
        rows.append(a)
    out = Found(rows, problems=list(kb.problems))
    if used:
        from supportctl.kb.usage import usage_counts

        out.counts = usage_counts(rows, linking_tickets(session), session.config)
        rows.sort(key=lambda a: (-out.counts[a.slug]["resolved"], -out.counts[a.slug]["linked"], a.slug))
    return out


def linking_tickets(session: Session) -> list:
    """The tickets that link an article (`kb:`), as index entries: what usage counts read, without
    rebuilding every ticket and its timeline (seconds on a 100,000-ticket desk)."""
    entries, _ = session.tickets.load_index()
    # A ticket without a `kb:` key counts for nothing; its JSON text tells without decoding it.
    return [e for e in entries if '"kb"' in e.meta_json]


def show(session: Session, slug: str) -> tuple[Any, str | None]:
    """(article, its public link or None when it is not on the help site)."""
    from supportctl.kb.model import public_url

    article = load(session).get(slug)
    return article, (public_url(article, session.config) if article.public else None)


def check(session: Session) -> list[SupportctlError]:
    """Every problem in the knowledge base: front matter, links, duplicates, staleness, personal data."""
    from supportctl.kb.load import check_kb

    return check_kb(session.desk, session.now())


def categories(session: Session) -> list[dict[str, Any]]:
    """The categories in site order, with their article counts."""
    kb = load(session)
    rows = []
    for c in kb.ordered_categories():
        arts = [a for a in kb.articles if a.category == c.name]
        rows.append({"name": c.name, "title": c.title, "order": c.order, "description": c.description,
                     "articles": len(arts), "public": sum(1 for a in arts if a.public)})
    return rows


def suggest(session: Session, *, ref: str | None = None, text: str | None = None, limit: int = 5,
            drafts: bool = False, mark: tuple[str, str] = ("", "")) -> list:
    """Articles ranked by relevance to a ticket (title and customer messages) or to a text."""
    from supportctl.kb.search import suggest as run, ticket_text

    title, query = "", text
    if ref is not None:
        title, query = ticket_text(session.tickets.get_indexed(ref))
    return run(session.desk.root, query or "", title=title, limit=limit, include_drafts=drafts,
               cache_dir=session.desk.cache_dir, mark=mark)
